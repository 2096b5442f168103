// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "probe.h"

/* Documentation addresses: the probe's source is never a real host. */
static const uint8_t probe_src4[4] = { 192, 0, 2, 1 };
static const uint8_t probe_src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

/*
 * The headers are built in structs of their own and copied into @buf: at
 * their offsets in a frame (14 for the IP header) they are not aligned.
 */
size_t vr_probe_frame(const struct vr_probe *probe, uint8_t *buf, size_t len)
{
	struct ethhdr eth = { .h_dest = { 2, 0, 0, 0, 0, 1 }, .h_source = { 2, 0, 0, 0, 0, 2 } };
	size_t l3 = sizeof(eth), l4, l4len;
	uint8_t ip_proto;

	if (probe->proto == VRNET_PROTO_TCP) {
		ip_proto = IPPROTO_TCP;
		l4len = sizeof(struct tcphdr);
	} else if (probe->proto == VRNET_PROTO_UDP) {
		ip_proto = IPPROTO_UDP;
		l4len = sizeof(struct udphdr);
	} else {
		ip_proto = probe->dst.family == 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
		l4len = 8;
	}
	l4 = l3 + (probe->dst.family == 4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	if (l4 + l4len > len)
		return 0;
	memset(buf, 0, l4 + l4len);

	if (probe->dst.family == 4) {
		struct iphdr ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = ip_proto,
				    .tot_len = htons((uint16_t)(sizeof(ip) + l4len)) };

		eth.h_proto = htons(ETH_P_IP);
		memcpy(&ip.saddr, probe->has_src ? probe->src.addr : probe_src4, 4);
		memcpy(&ip.daddr, probe->dst.addr, 4);
		memcpy(buf + l3, &ip, sizeof(ip));
	} else {
		struct ipv6hdr ip6 = { .version = 6, .hop_limit = 64, .nexthdr = ip_proto,
				       .payload_len = htons((uint16_t)l4len) };

		eth.h_proto = htons(ETH_P_IPV6);
		memcpy(&ip6.saddr, probe->has_src ? probe->src.addr : probe_src6, 16);
		memcpy(&ip6.daddr, probe->dst.addr, 16);
		memcpy(buf + l3, &ip6, sizeof(ip6));
	}
	if (probe->has_smac)
		memcpy(eth.h_source, probe->smac, 6);
	memcpy(buf, &eth, sizeof(eth));
	if (probe->proto == VRNET_PROTO_TCP) {
		struct tcphdr tcp = { .source = htons(40000), .dest = htons(probe->port), .doff = 5,
				      .syn = 1 };

		memcpy(buf + l4, &tcp, sizeof(tcp));
	} else if (probe->proto == VRNET_PROTO_UDP) {
		struct udphdr udp = { .source = htons(40000), .dest = htons(probe->port),
				      .len = htons(sizeof(udp)) };

		memcpy(buf + l4, &udp, sizeof(udp));
	} else {
		buf[l4] = probe->dst.family == 4 ? ICMP_ECHO : ICMPV6_ECHO_REQUEST;
	}
	return l4 + l4len;
}

int vr_probe_run(int prog_fd, int ifindex, const void *frame, size_t len, uint16_t gso_size,
		 struct vr_verdict *v)
{
	return vr_frame_run(prog_fd, ifindex, frame, len, gso_size, VRNET_PROBE_MARK, v);
}

int vr_frame_run(int prog_fd, int ifindex, const void *frame, size_t len, uint16_t gso_size,
		 uint32_t mark, struct vr_verdict *v)
{
	struct __sk_buff ctx = { .ifindex = (__u32)ifindex, .mark = mark, .gso_size = gso_size };
	struct __sk_buff ctx_out = { 0 };
	/* no data_out: the frame as the program left it is not wanted, at any length */
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (__u32)len,
		    .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	/* TC_ACT_OK, or (the inbound program) no verdict: the packet goes on */
	v->allow = opts.retval == 0 || opts.retval == (__u32)-1;
	v->reason = ctx_out.cb[VRNET_CB_REASON];
	v->rule_id = ctx_out.cb[VRNET_CB_RULE];
	v->enforce_allow = ctx_out.cb[VRNET_CB_ENFORCE_ACTION] == VRNET_ACTION_ALLOW;
	return 0;
}

int vr_xdp_probe_run(int prog_fd, int ifindex, const void *frame, size_t len,
		     struct vr_verdict *v)
{
	struct vrnet_xdp_probe meta = { .mark = VRNET_PROBE_MARK };
	size_t size = sizeof(meta) + len;
	struct xdp_md ctx = { .data = sizeof(meta), .data_end = (__u32)size,
			      .ingress_ifindex = (__u32)ifindex };
	uint8_t *in = malloc(size), *out = malloc(size);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (__u32)size,
		    .data_out = out, .data_size_out = (__u32)size, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int ret = 0;

	if (!in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(in, &meta, sizeof(meta));
	memcpy(in + sizeof(meta), frame, len);
	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		ret = -errno;
		goto out;
	}
	/* the data out starts at the metadata, which holds the verdict */
	memcpy(&meta, out, sizeof(meta));
	v->allow = opts.retval == XDP_PASS;
	v->reason = meta.reason;
	v->rule_id = meta.rule_id;
	v->enforce_allow = meta.enforce_action == VRNET_ACTION_ALLOW;
out:
	free(in);
	free(out);
	return ret;
}

const char *vr_reason_text(uint32_t reason)
{
	switch (reason) {
	case VRNET_REASON_BLOCK_RULE:
		return "block rule";
	case VRNET_REASON_ALLOW_RULE:
		return "allow rule";
	case VRNET_REASON_DEFAULT:
		return "default";
	case VRNET_REASON_INTERNET:
		return "internet switch";
	case VRNET_REASON_LINK_LOCAL:
		return "link-local (ARP/neighbour discovery)";
	case VRNET_REASON_NO_POLICY:
		return "no policy";
	case VRNET_REASON_ETHERTYPE:
		return "ethertype";
	case VRNET_REASON_MALFORMED:
		return "malformed";
	case VRNET_REASON_SOURCE_ROUTE:
		return "source route";
	case VRNET_REASON_OFFLOAD:
		return "offload metadata";
	case VRNET_REASON_DNS:
		return "DNS, to the proxy";
	case VRNET_REASON_DNS_RATE:
		return "DNS over the device's rate";
	case VRNET_REASON_FRAGMENT:
		return "a later fragment with no note of its first fragment passing";
	case VRNET_REASON_SPOOFED:
		return "spoofed: a source the device is not bound to";
	case VRNET_REASON_REPLY:
		return "a reply to a connection opened into the sandbox";
	default:
		return "unknown";
	}
}
