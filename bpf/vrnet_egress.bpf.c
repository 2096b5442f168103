// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Egress policy of a sandbox, attached to the tc ingress hook (clsact,
 * cls_bpf direct action) of the sandbox's host-side tap or veth device: what
 * the sandbox sends is what that device receives.
 */
#define __VRNET_BPF__
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "vrnet_common.h"
#include "maps.h"
#include "frame.h"
#include "device.h"
#include "parsing.h"
#include "arp.h"
#include "ipv4_options.h"
#include "neighbour.h"
#include "source.h"
#include "offload.h"
#include "policy.h"
#include "fragments.h"
#include "conntrack.h"
#include "inbound.h"
#include "stats.h"
#include "limiter.h"
#include "events.h"

#define TC_ACT_UNSPEC (-1) /* no verdict: the next program (tcx: TCX_NEXT) */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

/* judge.h's check of what the socket buffer says of the packet: its offload metadata */
static __always_inline bool frame_metadata_ok(struct __sk_buff *skb, const bool probe_read,
					      const struct packet_info *pkt, __u32 l4_off)
{
	return offload_passes(skb, probe_read, pkt, l4_off);
}

#include "judge.h"
#include "dns.h"

/*
 * Whether the sandbox's packet starts or goes on with a flow of its own
 * (conntrack.h): a UDP datagram, a TCP SYN, and under an inbound policy an
 * echo request, that the policy, its default or the internet switch passed
 * (audited too), not a reply; `check`'s probes note nothing, a note would
 * outlive them by minutes.
 */
static __always_inline int own_flow(const struct __sk_buff *skb, const struct vrnet_record *dev,
				    const struct packet_info *pkt, const struct verdict *v)
{
	if (v->action != VRNET_ACTION_ALLOW || frame_is_probe(skb) ||
	    !(v->reason == VRNET_REASON_ALLOW_RULE || v->reason == VRNET_REASON_DEFAULT ||
	      v->reason == VRNET_REASON_BLOCK_RULE || v->reason == VRNET_REASON_INTERNET))
		return 0;
	if (pkt->l4_proto == IPPROTO_UDP)
		return 1;
	if (!pkt->has_l4)
		return 0;
	if (pkt->l4_proto == IPPROTO_TCP)
		return (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	return dev->inbound != VRNET_INBOUND_NONE &&
	       (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6) &&
	       is_echo_request(pkt);
}

/* A query to the device's DNS proxy: steered there, within the device's rate. */
static __always_inline int steer_query(struct __sk_buff *skb, const struct vrnet_record *dev,
				       const struct packet_info *pkt, const struct ethhdr *eth,
				       __u32 l4_off, struct verdict *v)
{
	struct frame_macs macs;
	int redirect;

	if (!dns_query_in_rate(dev)) {
		v->reason = VRNET_REASON_DNS_RATE;
		return 0;
	}
	__builtin_memcpy(macs.src, eth->h_source, 6);
	__builtin_memcpy(macs.dst, eth->h_dest, 6);
	redirect = vrnet_steer_dns(skb, dev->slot, pkt, &macs, l4_off) == TC_ACT_REDIRECT;
	v->action = redirect ? VRNET_ACTION_ALLOW : VRNET_ACTION_DENY;
	v->reason = VRNET_REASON_DNS;
	return redirect;
}

/* @probe_read: how offload metadata is read (offload.h); a constant */
static __always_inline int judge(struct __sk_buff *skb, const bool probe_read)
{
	struct verdict v = { .action = VRNET_ACTION_DENY };
	struct packet_info pkt = {};
	const struct vrnet_record *dev;
	struct ethhdr *eth;
	int redirect = 0;
	__u32 l4_off = 0;

	dev = device_record(skb->ifindex);
	if (!dev || !dev->policy_id)
		v.reason = VRNET_REASON_NO_POLICY;
	else if (skb->vlan_present) /* tags the kernel took off never reach the policy */
		v.reason = VRNET_REASON_ETHERTYPE;
	else if (decide(skb, dev, probe_read, &pkt, &v, &l4_off, &eth) == DNS_QUERY)
		redirect = steer_query(skb, dev, &pkt, eth, l4_off, &v);

	if (dev)
		apply_mode(dev, &v);
	else
		v.enforce_action = v.action;
	if (dev && own_flow(skb, dev, &pkt, &v))
		vrnet_note_outbound(skb, dev, &pkt, l4_off);
	skb->cb[VRNET_CB_REASON] = v.reason;
	skb->cb[VRNET_CB_RULE] = v.rule_id;
	skb->cb[VRNET_CB_ENFORCE_ACTION] = v.enforce_action;
	if (dev && !frame_is_probe(skb)) {
		struct vrnet_stats *st = count_packet(dev, skb, &v, 0);

		count_rule_hit(dev, &v);
		emit_event(skb, dev, &pkt, &v, st, 0);
	}
	if (redirect)
		return TC_ACT_REDIRECT;
	return v.action == VRNET_ACTION_ALLOW ? TC_ACT_OK : TC_ACT_SHOT;
}

/* Linux 6.2 and later: offload metadata read through bpf_cast_to_kern_ctx() */
SEC("tc")
int vrnet_egress(struct __sk_buff *skb)
{
	return judge(skb, false);
}

/* Linux 6.1: the same reads through bpf_probe_read_kernel() */
SEC("tc")
int vrnet_egress_probe_read(struct __sk_buff *skb)
{
	return judge(skb, true);
}

/*
 * The inbound policy's verdict on the host's IP packet @pkt into @v
 * (inbound.h); @reply: a peer's packet on a flow the sandbox opened that its
 * egress policy still passes (conntrack.h), which passes; an ICMP error
 * about one comes from any router on the path, which a block rule still
 * keeps out. A global function, verified once, not once per parsing path;
 * returns 0.
 */
__noinline int vrnet_judge_inbound(const struct vrnet_record *dev, const struct packet_info *pkt,
				   int reply, struct verdict *v)
{
	if (!dev || !pkt || !v)
		return 0;
	if (inbound_link_exempt(pkt)) {
		v->action = VRNET_ACTION_ALLOW;
		v->reason = VRNET_REASON_LINK_LOCAL;
		return 0;
	}
	if (pkt->fragment == VRNET_LATER_FRAGMENT) {
		judge_later_fragment(dev, pkt, 1, v);
		return 0;
	}
	/* the rules decide what is no reply, and a block rule an error's router */
	if (!reply || is_icmp_error(pkt))
		vrnet_evaluate_inbound(dev, pkt, v);
	if (reply && v->reason != VRNET_REASON_BLOCK_RULE) {
		v->action = VRNET_ACTION_ALLOW;
		v->reason = VRNET_REASON_REPLY;
		v->rule_id = 0;
	}
	if (pkt->fragment == VRNET_FIRST_FRAGMENT)
		note_first_fragment(dev, pkt, 1, v);
	return 0;
}

/*
 * The tc egress hook of the same devices (what the host sends into the
 * sandbox). Under a policy with an inbound part it judges the packet
 * (inbound.h); what passes, and everything without one, goes on to note the
 * connections opened into the sandbox (conntrack.h). A packet that passes
 * gets no verdict here: the next program on the hook, if any, runs.
 */
SEC("tc")
int vrnet_inbound(struct __sk_buff *skb)
{
	struct verdict v = { .action = VRNET_ACTION_ALLOW };
	struct packet_info pkt = {};
	const struct vrnet_record *dev;
	struct hdr_cursor cur;
	int eth_type, ret = -1, reply;
	__u32 l4_off = 0;
	bool judged;

	dev = device_record(skb->ifindex);
	if (!dev)
		return TC_ACT_UNSPEC;
	judged = dev->policy_id && dev->inbound != VRNET_INBOUND_NONE;
	pull_headers(skb);
	cur.pos = (void *)(long)skb->data;
	cur.end = (void *)(long)skb->data_end;
	eth_type = parse_ethhdr(&cur);
	if (skb->vlan_present) {
		eth_type = -2; /* a tag the kernel took off: never judged by what it tags */
	} else if (eth_type == bpf_htons(ETH_P_IP)) {
		ret = parse_ipv4(&cur, &pkt, skb->len - sizeof(struct ethhdr), skb->gso_size != 0);
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		ret = parse_ipv6(&cur, &pkt, skb->len - sizeof(struct ethhdr));
	}
	l4_off = (__u32)(cur.pos - (void *)(long)skb->data);
	if (!judged) {
		if (ret >= 0 && !frame_is_probe(skb))
			vrnet_track_inbound(skb, dev, &pkt, l4_off);
		return TC_ACT_UNSPEC;
	}
	if (eth_type == bpf_htons(ETH_P_ARP)) {
		v.reason = VRNET_REASON_LINK_LOCAL;
	} else if (eth_type != bpf_htons(ETH_P_IP) && eth_type != bpf_htons(ETH_P_IPV6)) {
		v.action = VRNET_ACTION_DENY;
		v.reason = eth_type == -1 ? VRNET_REASON_MALFORMED : VRNET_REASON_ETHERTYPE;
	} else if (ret < 0) {
		v.action = VRNET_ACTION_DENY;
		v.reason = VRNET_REASON_MALFORMED;
	} else {
		/*
		 * Here, not in vrnet_judge_inbound(): a flow judged again reads the
		 * egress policy, whose chain of calls has no stack to spare below it.
		 */
		reply = vrnet_outbound_reply(skb, dev, &pkt, l4_off);
		if (reply == OWN_FLOW_TO_JUDGE)
			reply = vrnet_own_flow_judged(dev);
		vrnet_judge_inbound(dev, &pkt, reply, &v);
	}
	apply_mode(dev, &v);
	skb->cb[VRNET_CB_REASON] = v.reason;
	skb->cb[VRNET_CB_RULE] = v.rule_id;
	skb->cb[VRNET_CB_ENFORCE_ACTION] = v.enforce_action;
	if (!frame_is_probe(skb)) {
		struct vrnet_stats *st = count_packet(dev, skb, &v, 1);

		if (v.action == VRNET_ACTION_ALLOW && v.reason != VRNET_REASON_REPLY && ret >= 0)
			vrnet_track_inbound(skb, dev, &pkt, l4_off);
		count_rule_hit(dev, &v);
		emit_event(skb, dev, &pkt, &v, st, 1);
	}
	return v.action == VRNET_ACTION_ALLOW ? TC_ACT_UNSPEC : TC_ACT_SHOT;
}

/* The tc egress of this namespace's vrdns0: the DNS proxy's answers go back. */
SEC("tc")
int vrnet_dns_return(struct __sk_buff *skb)
{
	return return_dns(skb);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
