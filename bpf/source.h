/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source binding (enum vrnet_binding): a bound sandbox sends only as itself.
 * Its frames come from its MAC (--mac); its IP packets from its addresses
 * and prefixes (vrnet_bound4/6, with the link-local address its MAC gives);
 * its ARP and neighbour discovery claim only those, with its MAC as their
 * link-layer address (the frame's own source without --mac). The host's own
 * IPv6 addresses on the device are never the sandbox's, whatever prefix is
 * bound; a sandbox is no router: it sends no router advertisement or
 * redirect. What else is fine: ARP probes (sender 0.0.0.0, RFC 5227); from
 * :: duplicate address detection and router solicitations without a
 * link-layer option, and MLD reports and done messages (RFC 3810), in the
 * shapes bpf/neighbour.h exempts; an IGMPv3 report from 0.0.0.0 to
 * 224.0.0.22 (RFC 3376); with --dhcp a DHCP client's broadcast from
 * 0.0.0.0:68 for its own MAC. Anything else is dropped, reason spoofed,
 * before the policy or the DNS proxy sees it; audit mode does not pass it.
 */
#ifndef VRNET_BPF_SOURCE_H
#define VRNET_BPF_SOURCE_H

#define DHCP_CLIENT_PORT 68
#define DHCP_SERVER_PORT 67
#define DHCP_CHADDR_OFFSET (8 + 28) /* the UDP header, then the BOOTP message's chaddr */
#define ND_TARGET_OFFSET 8	    /* of NS and NA, after the ICMPv6 header and flags */
#define ND_OPTIONS_NS_NA 24
#define ND_OPTIONS_RS 8
#define ICMPV6_ROUTER_ADVERT 134
#define ICMPV6_REDIRECT 137
#define IGMPV3_ALL_ROUTERS 0xe0000016 /* 224.0.0.22, where IGMPv3 reports go */

static __always_inline int is_bound4(__u32 slot, const __u8 *addr)
{
	struct vrnet_bound4_key key = { .prefixlen = 32 + 32, .slot = slot };

	__builtin_memcpy(key.addr, addr, 4);
	return bpf_map_lookup_elem(&vrnet_bound4, &key) != NULL;
}

static __always_inline int is_bound6(__u32 slot, const __u8 *addr)
{
	struct vrnet_bound6_key key = { .prefixlen = 32 + 128, .slot = slot };

	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&vrnet_bound6, &key) != NULL &&
	       !is_host_address(slot, addr); /* a bound /64 holds the host's address too */
}

static __always_inline int is_zero4(const __u8 *a)
{
	__u32 w;

	__builtin_memcpy(&w, a, 4);
	return !w;
}

static __always_inline int is_zero16(const __u8 *a)
{
	__u64 w1, w2;

	__builtin_memcpy(&w1, a, 8);
	__builtin_memcpy(&w2, a + 8, 8);
	return !(w1 | w2);
}

/* The MAC the sandbox's link-layer claims must name: the bound one, else the frame's own. */
static __always_inline const __u8 *sandbox_mac(const struct vrnet_record *dev,
					       const struct ethhdr *eth)
{
	return dev->binding & VRNET_BIND_MAC ? dev->bound_mac : eth->h_source;
}

/* Any frame: from the bound MAC. */
static __always_inline int frame_source_ok(const struct vrnet_record *dev,
					   const struct ethhdr *eth)
{
	return !(dev->binding & VRNET_BIND_MAC) || mac_equal(eth->h_source, dev->bound_mac);
}

/*
 * ARP (is_plain_arp() passed it): its sender MAC is the sandbox's, its sender
 * address bound or 0.0.0.0 (a probe). @pkt gets the sender and target
 * addresses, for the event.
 */
static __always_inline int arp_sender_ok(const struct vrnet_record *dev,
					 const struct ethhdr *eth, const struct hdr_cursor *c,
					 struct packet_info *pkt)
{
	const struct arp_eth_ipv4 *a = c->pos;

	if ((void *)(a + 1) > c->end)
		return 0;
	pkt->family = 4;
	pkt->arp = 1;
	__builtin_memcpy(pkt->saddr, a->spa, 4);
	__builtin_memcpy(pkt->daddr, a->tpa, 4);
	if (!dev->binding)
		return 1;
	return mac_equal(a->sha, sandbox_mac(dev, eth)) &&
	       (is_zero4(a->spa) || is_bound4(dev->slot, a->spa));
}

/*
 * A DHCP client's broadcast from 0.0.0.0 (discover, or request while it has
 * no address): UDP 68 -> 255.255.255.255:67, whole, for the bound MAC. Not
 * a GSO packet: its later segments would be DHCP messages of their own,
 * with client MACs no one read.
 */
static __always_inline int is_dhcp_broadcast(vr_ctx *ctx,
					     const struct vrnet_record *dev,
					     const struct ethhdr *eth, const struct packet_info *pkt,
					     __u32 l4_off)
{
	__u8 chaddr[6];

	if (!(dev->binding & VRNET_BIND_DHCP) || !is_zero4(pkt->saddr) || frame_gso_size(ctx) ||
	    pkt->l4_proto != IPPROTO_UDP || !pkt->has_port || pkt->fragment ||
	    pkt->sport != DHCP_CLIENT_PORT || pkt->dport != DHCP_SERVER_PORT ||
	    pkt->l4_len < DHCP_CHADDR_OFFSET + sizeof(chaddr))
		return 0;
	if (pkt->daddr[0] != 0xff || pkt->daddr[1] != 0xff || pkt->daddr[2] != 0xff ||
	    pkt->daddr[3] != 0xff)
		return 0;
	if (frame_load_bytes(ctx, l4_off + DHCP_CHADDR_OFFSET, chaddr, sizeof(chaddr)))
		return 0;
	return mac_equal(chaddr, sandbox_mac(dev, eth));
}

/*
 * What a neighbour discovery message claims: NS, NA and RS carry at most one
 * option (of one 8-byte unit; more are not read here, so not passed); a
 * link-layer option names the sandbox's MAC; an NA's target, and a DAD
 * NS's (from ::), is the sandbox's; from :: there is no link-layer option.
 * Other ICMPv6 types claim nothing.
 */
static __always_inline int nd_claims_ok(const struct vrnet_record *dev,
					const struct ethhdr *eth, const struct hdr_cursor *c,
					const struct packet_info *pkt, int from_unspecified)
{
	__u32 base = pkt->icmp_type == ICMPV6_ROUTER_SOLICIT ? ND_OPTIONS_RS : ND_OPTIONS_NS_NA;
	const __u8 *target = c->pos + ND_TARGET_OFFSET;
	const __u8 *o = c->pos + base;
	int claims_target;

	if (pkt->icmp_type == ICMPV6_ROUTER_ADVERT || pkt->icmp_type == ICMPV6_REDIRECT)
		return 0;
	if (pkt->icmp_type != ICMPV6_ROUTER_SOLICIT && pkt->icmp_type != ICMPV6_NEIGHBOUR_SOLICIT &&
	    pkt->icmp_type != ICMPV6_NEIGHBOUR_ADVERT)
		return 1;
	if (pkt->fragment || (pkt->l4_len != base && pkt->l4_len != base + 8))
		return 0;
	claims_target = pkt->icmp_type == ICMPV6_NEIGHBOUR_ADVERT ||
			(pkt->icmp_type == ICMPV6_NEIGHBOUR_SOLICIT && from_unspecified);
	if (claims_target) {
		if ((void *)(target + 16) > c->end || !is_bound6(dev->slot, target))
			return 0;
	}
	if (pkt->l4_len == base)
		return 1;
	if ((void *)(o + 8) > c->end)
		return 0;
	if (o[0] != ND_OPT_SOURCE_LL && o[0] != ND_OPT_TARGET_LL)
		return 1; /* a nonce: no claim */
	return !from_unspecified && o[1] == 1 && mac_equal(o + 2, sandbox_mac(dev, eth));
}

/*
 * From :: only what an interface without an address sends, in the shapes
 * link traffic is exempt in: DAD, RS, MLD reports and done messages.
 */
static __always_inline int unspecified_ok(vr_ctx *ctx, const struct packet_info *pkt,
					  __u32 slot, __u32 l4_off)
{
	if (pkt->l4_proto != IPPROTO_ICMPV6 || !pkt->has_l4)
		return 0;
	if (pkt->icmp_type != ICMPV6_NEIGHBOUR_SOLICIT && pkt->icmp_type != ICMPV6_ROUTER_SOLICIT &&
	    pkt->icmp_type != ICMPV6_MLD_REPORT && pkt->icmp_type != ICMPV6_MLD_DONE &&
	    pkt->icmp_type != ICMPV6_MLD2_REPORT)
		return 0;
	return vrnet_link_exempt(ctx, pkt, slot, l4_off);
}

/* An IGMPv3 report of an interface that has no address yet (RFC 3376, 4.2.13). */
static __always_inline int is_unaddressed_igmp(const struct packet_info *pkt)
{
	__u32 dst;

	__builtin_memcpy(&dst, pkt->daddr, 4);
	return pkt->l4_proto == IPPROTO_IGMP && !pkt->fragment &&
	       dst == bpf_htonl(IGMPV3_ALL_ROUTERS);
}

/*
 * Whether the IP packet parsed into @pkt, its transport header @l4_off bytes
 * in, is the sandbox's own. A global function, verified once, not once per
 * parsing path before it.
 */
__noinline int vrnet_ip_source_ok(vr_ctx *ctx, const struct vrnet_record *dev,
				  const struct packet_info *pkt, __u32 l4_off)
{
	const struct ethhdr *eth = (void *)(long)ctx->data;
	struct hdr_cursor c;
	int from_unspecified;

	if (!dev || !pkt)
		return 0;
	if (!dev->binding)
		return 1;
	if ((void *)(eth + 1) > (void *)(long)ctx->data_end || cursor_at(ctx, l4_off, &c))
		return 0;
	if (pkt->family == 4)
		return is_bound4(dev->slot, pkt->saddr) ||
		       (is_zero4(pkt->saddr) && (is_unaddressed_igmp(pkt) ||
						 is_dhcp_broadcast(ctx, dev, eth, pkt, l4_off)));
	from_unspecified = is_zero16(pkt->saddr);
	if (from_unspecified ? !unspecified_ok(ctx, pkt, dev->slot, l4_off) :
			       !is_bound6(dev->slot, pkt->saddr))
		return 0;
	if (pkt->l4_proto != IPPROTO_ICMPV6 || !pkt->has_l4)
		return 1;
	return nd_claims_ok(dev, eth, &c, pkt, from_unspecified);
}

#endif
