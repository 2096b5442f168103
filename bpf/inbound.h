/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A policy's inbound part: what the host sends into the sandbox (the device's
 * tc egress hook), judged by its source and the sandbox's port, with the same
 * precedence as the egress policy: a block rule drops, else an allow rule
 * passes, else the inbound default decides. Before the rules: a peer's
 * packet on a connection the sandbox opened under its egress policy always
 * passes (reason reply, conntrack.h), and so does the host's neighbour
 * discovery (hop limit 255: from the link, RFC 4861) and its multicast
 * listener queries (from a link-local address, which no router forwards).
 * Only IPv4, IPv6 and ARP get in, untagged.
 */
#ifndef VRNET_BPF_INBOUND_H
#define VRNET_BPF_INBOUND_H

#define ICMPV6_MLD_QUERY 130
#define ICMPV6_ROUTER_ADVERT 134

/* An MLD query's length: MLDv1's 24 bytes, or MLDv2's 28 and 16 a source (RFC 3810). */
static __always_inline int mld_query_length(__u32 len)
{
	return len == 24 || (len >= 28 && (len - 28) % 16 == 0);
}

/*
 * The host's ND to the sandbox, unfragmented: RA, NS, NA at hop limit 255;
 * MLD queries at 1 from a link-local address.
 */
static __always_inline int inbound_link_exempt(const struct packet_info *pkt)
{
	if (pkt->family != 6 || pkt->l4_proto != IPPROTO_ICMPV6 || !pkt->has_l4 ||
	    pkt->frag_id_set)
		return 0;
	if (pkt->icmp_type == ICMPV6_MLD_QUERY)
		return pkt->hop_limit == 1 && is_link_local_unicast(pkt->saddr) &&
		       mld_query_length(pkt->l4_len);
	return pkt->hop_limit == 255 &&
	       (pkt->icmp_type == ICMPV6_ROUTER_ADVERT ||
		pkt->icmp_type == ICMPV6_NEIGHBOUR_SOLICIT ||
		pkt->icmp_type == ICMPV6_NEIGHBOUR_ADVERT);
}

/* The policy id an inbound rule's prefixes are keyed by (vrnet_common.h). */
static __always_inline __u32 inbound_space(__u32 policy_id)
{
	return policy_id | VRNET_INBOUND_SPACE;
}

/*
 * The inbound policy's verdict on the host's packet @pkt into @v: its rules
 * are looked up by the packet's source, and by the IPv4 address an IPv6
 * source carries (embedded_ipv4(): a peer behind a translator is blocked as
 * its IPv4 address is). A global function, verified once; returns 0.
 */
__noinline int vrnet_evaluate_inbound(const struct vrnet_record *dev,
				      const struct packet_info *pkt, struct verdict *v)
{
	struct packet_info peer;
	__u32 v4, space;
	__u8 proto;

	if (!dev || !pkt || !v)
		return 0;
	space = inbound_space(dev->policy_id);
	proto = rule_proto_of(pkt);
	v->action = dev->inbound == VRNET_INBOUND_ALLOW ? VRNET_ACTION_ALLOW : VRNET_ACTION_DENY;
	v->reason = VRNET_REASON_DEFAULT;
	v->rule_id = 0;
	/* the rules' prefixes are matched against the peer: its address in daddr's place */
	peer = *pkt;
	__builtin_memcpy(peer.daddr, pkt->saddr, 16);
	if (vrnet_scan_policy(space, &peer, proto, v, 0))
		return 0;
	if (pkt->family == 6 && embedded_ipv4(pkt->saddr, (__u8 *)&v4)) {
		struct verdict b = { .action = VRNET_ACTION_DENY, .reason = VRNET_REASON_DEFAULT };

		peer.family = 4;
		__builtin_memcpy(peer.daddr, &v4, 4);
		if (vrnet_scan_policy(space, &peer, proto, &b, 0) &&
		    b.reason == VRNET_REASON_BLOCK_RULE)
			*v = b;
	}
	return 0;
}

#endif
