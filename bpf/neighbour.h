/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What passes whatever the policy says, because nothing works without it:
 * IPv6 neighbour discovery and multicast listener reports, in exactly their
 * own shapes. Anything else of these types (more bytes, other options,
 * other destinations, queries) meets the policy like any other packet: a
 * sandbox must not turn them into a channel to the host's raw sockets or,
 * on a bridged tap, to every port.
 *
 * Neighbour discovery to the host's own addresses on the sandbox's device:
 * when the host solicits the sandbox from one of its global addresses on
 * that device, the sandbox's advertisement goes back to that address. Only
 * the addresses the loader recorded for this device are exempt.
 */
#ifndef VRNET_BPF_NEIGHBOUR_H
#define VRNET_BPF_NEIGHBOUR_H

#define ICMPV6_MLD_REPORT 131
#define ICMPV6_MLD_DONE 132
#define ICMPV6_MLD2_REPORT 143
#define ICMPV6_ROUTER_SOLICIT 133
#define ICMPV6_NEIGHBOUR_SOLICIT 135
#define ICMPV6_NEIGHBOUR_ADVERT 136

#define ND_OPT_SOURCE_LL 1
#define ND_OPT_TARGET_LL 2
#define ND_OPT_NONCE 14	     /* enhanced DAD (RFC 7527), Linux's default */
#define MLD2_RECORDS_MAX 16  /* a report's records, each without sources */

static __always_inline int is_host_address(__u32 slot, const __u8 *addr)
{
	struct vrnet_hostaddr_key key = { .slot = slot };

	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&vrnet_hostaddrs, &key) != NULL;
}

static __always_inline int is_ff02(const __u8 *a, __u8 last)
{
	__u32 w1, w2, w3;

	__builtin_memcpy(&w1, a + 4, 4);
	__builtin_memcpy(&w2, a + 8, 4);
	__builtin_memcpy(&w3, a + 12, 4);
	return a[0] == 0xff && a[1] == 0x02 && !a[2] && !a[3] && !w1 && !w2 &&
	       w3 == bpf_htonl(last);
}

/* ff02::1:ffXX:XXXX, where a neighbour solicitation goes */
static __always_inline int is_solicited_node(const __u8 *a)
{
	__u32 w1, w2;

	__builtin_memcpy(&w1, a + 4, 4);
	__builtin_memcpy(&w2, a + 8, 4);
	return a[0] == 0xff && a[1] == 0x02 && !a[2] && !a[3] && !w1 &&
	       w2 == bpf_htonl(1) && a[12] == 0xff;
}

static __always_inline int is_link_local_unicast(const __u8 *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Exactly @base bytes, or @base and one option of type @opt or @opt2 (one 8-byte unit). */
static __always_inline int nd_length_ok(const struct hdr_cursor *c, const struct packet_info *pkt,
					__u32 base, __u8 opt, __u8 opt2)
{
	const __u8 *o = c->pos + base;

	if (pkt->l4_len == base)
		return 1;
	if (pkt->l4_len != base + 8 || (void *)(o + 2) > c->end)
		return 0;
	return (o[0] == opt || o[0] == opt2) && o[1] == 1;
}

/* RS, NS, NA: hop limit 255 (RFC 4861), code 0, their size, their destinations. */
static __always_inline int is_neighbour_discovery(const struct hdr_cursor *c,
						   const struct packet_info *pkt, __u32 slot)
{
	const __u8 *code = c->pos + 1;
	const __u8 *d = pkt->daddr;

	if (pkt->hop_limit != 255 || (void *)(code + 1) > c->end || *code)
		return 0;
	switch (pkt->icmp_type) {
	case ICMPV6_ROUTER_SOLICIT:
		return nd_length_ok(c, pkt, 8, ND_OPT_SOURCE_LL, ND_OPT_SOURCE_LL) &&
		       (is_ff02(d, 2) || is_host_address(slot, d));
	case ICMPV6_NEIGHBOUR_SOLICIT:
		return nd_length_ok(c, pkt, 24, ND_OPT_SOURCE_LL, ND_OPT_NONCE) &&
		       (is_solicited_node(d) || is_link_local_unicast(d) || is_host_address(slot, d));
	case ICMPV6_NEIGHBOUR_ADVERT:
		return nd_length_ok(c, pkt, 24, ND_OPT_TARGET_LL, ND_OPT_TARGET_LL) &&
		       (is_ff02(d, 1) || is_link_local_unicast(d) || is_host_address(slot, d));
	default:
		return 0;
	}
}

/*
 * Listener reports and done messages (no queries: a sandbox is no router):
 * hop limit 1 to ff02::/16 (RFC 2710, 3810), MLDv1 24 bytes, an MLDv2 report
 * to ff02::16 of records without sources or auxiliary data.
 */
static __always_inline int is_multicast_listener(const struct hdr_cursor *c,
						  const struct packet_info *pkt)
{
	const __u8 *d = pkt->daddr;
	const __be16 *records = c->pos + 6;
	__u32 n;

	if (pkt->hop_limit != 1 || d[0] != 0xff || d[1] != 0x02)
		return 0;
	switch (pkt->icmp_type) {
	case ICMPV6_MLD_REPORT:
		return pkt->l4_len == 24;
	case ICMPV6_MLD_DONE:
		return pkt->l4_len == 24 && is_ff02(d, 2);
	case ICMPV6_MLD2_REPORT:
		if (!is_ff02(d, 0x16) || (void *)(records + 1) > c->end)
			return 0;
		n = bpf_ntohs(*records);
		return n <= MLD2_RECORDS_MAX && pkt->l4_len == 8 + 20 * n;
	default:
		return 0;
	}
}

/*
 * Whether the IPv6 packet parsed into @pkt, @c at its transport header,
 * passes as link traffic. Never with a fragment header, atomic or not:
 * neighbour discovery and MLD are not fragmented (RFC 6980).
 */
static __always_inline int is_link_exempt(const struct hdr_cursor *c,
					   const struct packet_info *pkt, __u32 slot)
{
	if (pkt->family != 6 || pkt->l4_proto != IPPROTO_ICMPV6 || !pkt->has_l4 ||
	    pkt->frag_id_set)
		return 0;
	return is_neighbour_discovery(c, pkt, slot) || is_multicast_listener(c, pkt);
}

/*
 * is_link_exempt() for the packet whose transport header is @l4_off bytes
 * in. A global function, verified once (the policy path and source binding
 * both ask).
 */
__noinline int vrnet_link_exempt(vr_ctx *ctx, const struct packet_info *pkt,
				 __u32 slot, __u32 l4_off)
{
	struct hdr_cursor c;

	if (!pkt || cursor_at(ctx, l4_off, &c))
		return 0;
	return is_link_exempt(&c, pkt, slot);
}

#endif
