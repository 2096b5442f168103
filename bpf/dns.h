/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS steering (docs/dns-proxy.md): a sandbox's query to any server goes to
 * the proxy on this namespace's vrdns0, from a client address of its
 * device's own, and the answer goes back from the server it asked. Both
 * directions rewrite the addresses (and fix the checksums, pseudo-header
 * included, so CHECKSUM_PARTIAL stays right) and redirect.
 */
#ifndef VRNET_BPF_DNS_H
#define VRNET_BPF_DNS_H

#define TC_ACT_REDIRECT 7
#define ETH_HLEN_ 14
#define IP4_CSUM_OFF (ETH_HLEN_ + 10)
#define IP4_SADDR_OFF (ETH_HLEN_ + 12)
#define IP4_DADDR_OFF (ETH_HLEN_ + 16)
#define IP6_SADDR_OFF (ETH_HLEN_ + 8)
#define IP6_DADDR_OFF (ETH_HLEN_ + 24)

/* The proxy's address (@slot 0 unused) or the client address of @slot, for @family. */
static __always_inline void dns_address(__u8 family, bool proxy, __u32 slot, __u8 *addr)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	__u32 host = proxy ? 1 : 2 + slot;

	__builtin_memset(addr, 0, 16);
	if (family == 4) {
		__u32 a = bpf_htonl(proxy ? VRNET_DNS_PROXY4 : VRNET_DNS_CLIENT4(slot));

		__builtin_memcpy(addr, &a, 4);
		return;
	}
	__builtin_memcpy(addr, prefix6, 8);
	host = bpf_htonl(host);
	__builtin_memcpy(addr + 12, &host, 4);
}

/*
 * Replaces the source and destination addresses of the IP packet at the
 * frame's start (@family) whose transport checksum is at @csum_off.
 */
static __always_inline int rewrite_addresses(struct __sk_buff *skb, __u8 family, __u8 proto,
					     __u32 csum_off, const __u8 *old_s, const __u8 *new_s,
					     const __u8 *old_d, const __u8 *new_d)
{
	__u64 flags = BPF_F_PSEUDO_HDR | (proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0);
	__u32 os, ns, od, nd;
	__s64 diff;

	if (family == 4) {
		__builtin_memcpy(&os, old_s, 4);
		__builtin_memcpy(&ns, new_s, 4);
		__builtin_memcpy(&od, old_d, 4);
		__builtin_memcpy(&nd, new_d, 4);
		if (bpf_l4_csum_replace(skb, csum_off, os, ns, flags | 4) ||
		    bpf_l4_csum_replace(skb, csum_off, od, nd, flags | 4) ||
		    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, os, ns, 4) ||
		    bpf_l3_csum_replace(skb, IP4_CSUM_OFF, od, nd, 4) ||
		    bpf_skb_store_bytes(skb, IP4_SADDR_OFF, &ns, 4, 0) ||
		    bpf_skb_store_bytes(skb, IP4_DADDR_OFF, &nd, 4, 0))
			return -1;
		return 0;
	}
	diff = bpf_csum_diff((__be32 *)old_s, 16, (__be32 *)new_s, 16, 0);
	diff = bpf_csum_diff((__be32 *)old_d, 16, (__be32 *)new_d, 16, (__wsum)diff);
	if (bpf_l4_csum_replace(skb, csum_off, 0, (__u64)diff, flags) ||
	    bpf_skb_store_bytes(skb, IP6_SADDR_OFF, new_s, 16, 0) ||
	    bpf_skb_store_bytes(skb, IP6_DADDR_OFF, new_d, 16, 0))
		return -1;
	return 0;
}

static __always_inline __u32 l4_csum_off(const struct packet_info *pkt, __u32 l4_off)
{
	return l4_off + (pkt->l4_proto == IPPROTO_UDP ? 6 : 16);
}

/* Whether the device @dev may send one more query now (limiter.h, as events are held). */
static __always_inline bool dns_query_in_rate(const struct vrnet_record *dev)
{
	__u32 slot = dev->slot;
	struct vrnet_limiter *lim = bpf_map_lookup_elem(&vrnet_dnsrate, &slot);
	__u64 tat, suppressed;

	if (!lim || !dev->dns_interval_ns)
		return false; /* no rate is no query */
	return limiter_take(lim, bpf_ktime_get_ns(), dev->dns_interval_ns, dev->dns_tolerance_ns,
			    &tat, &suppressed);
}

struct frame_macs {
	__u8 src[6];
	__u8 dst[6];
};

/*
 * Steers the query @pkt of the device in @slot to this namespace's proxy:
 * notes its way back, rewrites and redirects. @macs: the frame's, read
 * before any helper changed the packet. A global function, verified once.
 * Return: TC_ACT_REDIRECT, or -1 (no proxy device, or a failed rewrite: the
 * query is dropped).
 */
__noinline int vrnet_steer_dns(struct __sk_buff *skb, __u32 slot, const struct packet_info *pkt,
			       const struct frame_macs *macs, __u32 l4_off)
{
	struct vrnet_dnsflow_key key = { .slot = slot };
	struct vrnet_dnsflow flow = { .ifindex = skb->ifindex };
	__u64 cookie = vrnet_netns_cookie;
	struct vrnet_dnsnetns *px;
	__u8 client[16], proxy[16];

	if (!pkt || !macs)
		return -1;
	key.port = bpf_htons(pkt->sport);
	key.family = pkt->family;
	key.proto = pkt->l4_proto;
	__builtin_memcpy(flow.saddr, pkt->saddr, 16);
	__builtin_memcpy(flow.daddr, pkt->daddr, 16);
	__builtin_memcpy(flow.smac, macs->src, 6);
	__builtin_memcpy(flow.dmac, macs->dst, 6);
	px = bpf_map_lookup_elem(&vrnet_dnsnetns, &cookie);
	if (!px || bpf_map_update_elem(&vrnet_dnsflows, &key, &flow, BPF_ANY))
		return -1;
	dns_address(pkt->family, false, slot, client);
	dns_address(pkt->family, true, 0, proxy);
	if (rewrite_addresses(skb, pkt->family, pkt->l4_proto, l4_csum_off(pkt, l4_off),
			      flow.saddr, client, flow.daddr, proxy) ||
	    bpf_skb_store_bytes(skb, 0, px->mac, 6, 0))
		return -1;
	return (int)bpf_redirect(px->ifindex, BPF_F_INGRESS);
}

/* Whether the first @words 32-bit words at @a and @b are equal (no memcmp in BPF). */
static __always_inline bool same_words(const __u8 *a, const __u8 *b, int words)
{
	__u32 x, y;

	for (int i = 0; i < words; i++) {
		__builtin_memcpy(&x, a + 4 * i, 4);
		__builtin_memcpy(&y, b + 4 * i, 4);
		if (x != y)
			return false;
	}
	return true;
}

/* The slot whose client address @addr (@family) is; -1 if it is none. */
static __always_inline int client_slot(__u8 family, const __u8 *addr)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	__u32 a, w2, host;

	if (family == 4) {
		__builtin_memcpy(&a, addr, 4);
		host = bpf_ntohl(a) - VRNET_DNS_CLIENT4(0);
	} else {
		__builtin_memcpy(&w2, addr + 8, 4);
		__builtin_memcpy(&a, addr + 12, 4);
		if (!same_words(addr, prefix6, 2) || w2)
			return -1;
		host = bpf_ntohl(a) - 2;
	}
	return host < VRNET_MAX_DEVICES ? (int)host : -1;
}

/*
 * An answer the proxy sends from vrdns0 to a client address: back to the
 * sandbox that asked, from the server it asked. Anything else on vrdns0 (an
 * ICMP error when no proxy listens, neighbour discovery) is dropped.
 */
static __always_inline int return_dns(struct __sk_buff *skb)
{
	struct hdr_cursor cur = { .pos = (void *)(long)skb->data,
				  .end = (void *)(long)skb->data_end };
	struct vrnet_dnsflow_key key = {};
	struct packet_info pkt = {};
	const struct vrnet_dnsflow *flow;
	__u8 proxy[16], macs[12];
	void *frame = cur.pos;
	int type, ret, slot;

	type = parse_ethhdr(&cur);
	if (type == bpf_htons(ETH_P_IP))
		ret = parse_ipv4(&cur, &pkt, skb->len - ETH_HLEN_, skb->gso_size != 0);
	else if (type == bpf_htons(ETH_P_IPV6))
		ret = parse_ipv6(&cur, &pkt, skb->len - ETH_HLEN_);
	else
		return TC_ACT_SHOT;
	if (ret || !pkt.has_port || pkt.sport != VRNET_DNS_PORT ||
	    (pkt.l4_proto != IPPROTO_UDP && pkt.l4_proto != IPPROTO_TCP))
		return TC_ACT_SHOT;
	dns_address(pkt.family, true, 0, proxy);
	slot = client_slot(pkt.family, pkt.daddr);
	if (slot < 0 || !same_words(pkt.saddr, proxy, 4))
		return TC_ACT_SHOT;
	key.slot = (__u32)slot;
	key.port = bpf_htons(pkt.dport);
	key.family = pkt.family;
	key.proto = pkt.l4_proto;
	flow = bpf_map_lookup_elem(&vrnet_dnsflows, &key);
	if (!flow)
		return TC_ACT_SHOT;
	__builtin_memcpy(macs, flow->smac, 6);
	__builtin_memcpy(macs + 6, flow->dmac, 6);
	if (rewrite_addresses(skb, pkt.family, pkt.l4_proto,
			      l4_csum_off(&pkt, (__u32)(cur.pos - frame)), pkt.saddr, flow->daddr,
			      pkt.daddr, flow->saddr) ||
	    bpf_skb_store_bytes(skb, 0, macs, 12, 0))
		return TC_ACT_SHOT;
	return (int)bpf_redirect(flow->ifindex, 0);
}

#endif
