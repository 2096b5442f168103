/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Policy evaluation: one longest-prefix lookup finds the portset of every rule
 * that covers the destination; a block entry that matches drops, else an allow
 * entry that matches passes, else the device's default applies.
 */
#ifndef VRNET_BPF_POLICY_H
#define VRNET_BPF_POLICY_H

struct verdict {
	int action;    /* enum vrnet_action: what happens to the packet */
	__u32 reason;  /* enum vrnet_reason */
	__u32 rule_id;
	int enforce_action; /* what enforce mode does */
	__u8 audit;    /* passed only because the policy is in audit mode */
};

/*
 * Audit mode passes what the policy (its rules and default) would drop. The
 * structural drops (ethertypes, malformed packets, source routes, offload) and the
 * internet switch stay enforced.
 */
static __always_inline void apply_mode(const struct vrnet_record *dev, struct verdict *v)
{
	v->enforce_action = v->action;
	if (dev->mode == VRNET_MODE_AUDIT && v->action == VRNET_ACTION_DENY &&
	    (v->reason == VRNET_REASON_BLOCK_RULE || v->reason == VRNET_REASON_DEFAULT)) {
		v->action = VRNET_ACTION_ALLOW;
		v->audit = 1;
	}
}

/* The longest prefix of @policy_id holding the destination: the host hash, then the trie. */
static __always_inline struct vrnet_prefix_value *
lookup_prefix(__u32 policy_id, const struct packet_info *pkt)
{
	struct vrnet_prefix_value *v;

	if (pkt->family == 4) {
		struct vrnet_host4_key host = { .policy_id = policy_id };
		struct vrnet_lpm4_key key = {
			.prefixlen = 32 + 32,
			.policy_id = policy_id,
		};

		__builtin_memcpy(host.addr, pkt->daddr, 4);
		v = bpf_map_lookup_elem(&vrnet_host4, &host);
		if (v)
			return v;
		__builtin_memcpy(key.addr, pkt->daddr, 4);
		return bpf_map_lookup_elem(&vrnet_lpm4, &key);
	} else {
		struct vrnet_host6_key host = { .policy_id = policy_id };
		struct vrnet_lpm6_key key = {
			.prefixlen = 32 + 128,
			.policy_id = policy_id,
		};

		__builtin_memcpy(host.addr, pkt->daddr, 16);
		v = bpf_map_lookup_elem(&vrnet_host6, &host);
		if (v)
			return v;
		__builtin_memcpy(key.addr, pkt->daddr, 16);
		return bpf_map_lookup_elem(&vrnet_lpm6, &key);
	}
}

/*
 * Maps a packet's IP protocol to the rule protocol it can match. ICMP is
 * protocol 1 in IPv4 and 58 in IPv6: protocol 1 inside IPv6 is not ICMP.
 */
static __always_inline __u8 rule_proto_of(const struct packet_info *pkt)
{
	switch (pkt->l4_proto) {
	case IPPROTO_TCP:
		return VRNET_PROTO_TCP;
	case IPPROTO_UDP:
		return VRNET_PROTO_UDP;
	case IPPROTO_ICMP:
		return pkt->family == 4 ? VRNET_PROTO_ICMP : VRNET_PROTO_OTHER;
	case IPPROTO_ICMPV6:
		return pkt->family == 6 ? VRNET_PROTO_ICMP : VRNET_PROTO_OTHER;
	default:
		return VRNET_PROTO_OTHER;
	}
}

/*
 * A packet without its transport header (a later fragment) matches only rules
 * that name neither protocol nor port. A rule with ports matches only TCP and
 * UDP packets whose destination port is in range.
 */
static __always_inline int entry_matches(const struct vrnet_port_entry *e,
					 const struct packet_info *pkt, __u8 proto)
{
	if (!pkt->has_l4)
		return e->proto == VRNET_PROTO_ANY && e->any_port;
	if (e->proto != VRNET_PROTO_ANY && e->proto != proto)
		return 0;
	if (e->any_port)
		return 1;
	return pkt->has_port && pkt->dport >= e->port_lo && pkt->dport <= e->port_hi;
}

static __always_inline __u32 rule_of(const struct vrnet_port_entry *e,
				      const struct vrnet_prefix_value *prefix)
{
	return e->rule_id == VRNET_RULE_ID_OWN ? prefix->rule_id : e->rule_id;
}

/* Whether the overlay @removed_id (0: none) removes rule @rule_id of its base. */
static __always_inline int rule_removed(__u32 removed_id, __u32 rule_id)
{
	struct vrnet_rule_key key = { .policy_id = removed_id, .rule_id = rule_id };

	return removed_id && bpf_map_lookup_elem(&vrnet_removed, &key);
}

/*
 * Scans the entries of @policy_id (with VRNET_INBOUND_SPACE: of its inbound
 * part) that cover the packet's destination into
 * @v, skipping the rules the overlay @removed_id removes (0: none). Returns 1
 * when the verdict is final (a block rule matched). A global function: the
 * verifier checks its loop once, not once per path of the caller (it runs for
 * the base policy and the overlay).
 */
__noinline int vrnet_scan_policy(__u32 policy_id, const struct packet_info *pkt, __u32 proto,
				 struct verdict *v, __u32 removed_id)
{
	/* an inbound part's portsets are its policy's (vrnet_common.h, VRNET_INBOUND_SPACE) */
	struct vrnet_portset_key set_key = { .policy_id = policy_id & ~VRNET_INBOUND_SPACE };
	struct vrnet_prefix_value *prefix;
	struct vrnet_portset *set;
	__u32 i, count;

	if (!pkt || !v)
		return 1;
	prefix = lookup_prefix(policy_id, pkt);
	if (!prefix)
		return 0;
	set_key.portset_id = prefix->portset_id;
	set = bpf_map_lookup_elem(&vrnet_portsets, &set_key);
	if (!set) {
		/* The loader writes portsets before prefixes: never expected. */
		v->action = VRNET_ACTION_DENY;
		v->reason = VRNET_REASON_UNKNOWN_DEVICE_STATE;
		return 1;
	}

	count = set->count;
	for (i = 0; i < VRNET_MAX_PORTSET_ENTRIES; i++) {
		const struct vrnet_port_entry *e = &set->entries[i];

		if (i >= count)
			break;
		if (!entry_matches(e, pkt, (__u8)proto) ||
		    rule_removed(removed_id, rule_of(e, prefix)))
			continue;
		if (e->action == VRNET_ACTION_DENY) {
			v->action = VRNET_ACTION_DENY;
			v->reason = VRNET_REASON_BLOCK_RULE;
			v->rule_id = rule_of(e, prefix);
			return 1;
		}
		if (v->reason != VRNET_REASON_ALLOW_RULE) {
			v->action = VRNET_ACTION_ALLOW;
			v->reason = VRNET_REASON_ALLOW_RULE;
			v->rule_id = rule_of(e, prefix);
		}
	}
	return 0;
}

/*
 * The IPv4 address an IPv6 destination carries in one of the forms that reach
 * that IPv4 host through a translator or relay on the path: IPv4-mapped
 * (::ffff:0:0/96), IPv4-compatible (::/96), NAT64 (64:ff9b::/96), local-use
 * NAT64 (64:ff9b:1::/48, RFC 6052 layout: octets 6-7 and 9-10) and 6to4
 * (2002::/16, octets 2-5). Returns 1 and fills @v4, or 0.
 */
static __always_inline int embedded_ipv4(const __u8 *d, __u8 *v4)
{
	__u32 w0, w1, w2;

	__builtin_memcpy(&w0, d, 4);
	__builtin_memcpy(&w1, d + 4, 4);
	__builtin_memcpy(&w2, d + 8, 4);
	if ((!w0 && !w1 && (!w2 || w2 == bpf_htonl(0x0000ffff))) ||
	    (w0 == bpf_htonl(0x0064ff9b) && !w1 && !w2)) {
		__builtin_memcpy(v4, d + 12, 4);
		return 1;
	}
	if (w0 == bpf_htonl(0x0064ff9b) && d[4] == 0 && d[5] == 1) {
		v4[0] = d[6];
		v4[1] = d[7];
		v4[2] = d[9];
		v4[3] = d[10];
		return 1;
	}
	if (d[0] == 0x20 && d[1] == 0x02) {
		__builtin_memcpy(v4, d + 2, 4);
		return 1;
	}
	return 0;
}

/* The overlay whose removals apply to the device's base policy, or 0. */
static __always_inline __u32 removals_of(const struct vrnet_record *dev)
{
	return dev->overlay_removes ? dev->overlay_id : 0;
}

/*
 * An IPv6 packet to an IPv4 address in disguise (@v4, from embedded_ipv4) is
 * judged by the IPv4 block rules of that address too (allow rules never open
 * it): otherwise a sandbox reaches a blocked host (the metadata address)
 * through NAT64 or 6to4. Returns 1 when one of them, in the device's base
 * policy or its overlay, blocks it (in @v). A global function, verified once.
 */
__noinline int vrnet_blocked_as_ipv4(const struct vrnet_record *dev,
				     const struct packet_info *pkt, __u32 v4, __u32 proto,
				     struct verdict *v)
{
	struct packet_info as4;
	struct verdict b = { .action = VRNET_ACTION_DENY, .reason = VRNET_REASON_DEFAULT };

	if (!dev || !pkt || !v)
		return 0;
	as4 = *pkt;
	as4.family = 4;
	__builtin_memcpy(as4.daddr, &v4, 4);
	if (!vrnet_scan_policy(dev->policy_id, &as4, proto, &b, removals_of(dev)) &&
	    !(dev->overlay_id && vrnet_scan_policy(dev->overlay_id, &as4, proto, &b, 0)))
		return 0;
	if (b.reason != VRNET_REASON_BLOCK_RULE)
		return 0;
	*v = b;
	return 1;
}

/* Whether the DNS proxy opened the destination for this device (docs/dns-proxy.md). */
static __always_inline void dns_address_allows(const struct vrnet_record *dev,
					       const struct packet_info *pkt, __u8 proto,
					       struct verdict *v)
{
	struct vrnet_dnsaddr_key key = { .slot = dev->slot, .family = pkt->family };
	const struct vrnet_dnsaddr *a;
	__u64 now;

	__builtin_memcpy(key.addr, pkt->daddr, 16);
	a = bpf_map_lookup_elem(&vrnet_dnsaddrs, &key);
	if (!a || (a->policy_id != dev->policy_id && a->prev_policy_id != dev->policy_id))
		return;
	now = bpf_ktime_get_ns();
	for (int i = 0; i < VRNET_DNSADDR_RULES; i++) {
		const struct vrnet_dnsaddr_opening *o = &a->by_rule[i];

		if (now < o->expires_ns && entry_matches(&o->entry, pkt, proto)) {
			v->action = VRNET_ACTION_ALLOW;
			v->reason = VRNET_REASON_ALLOW_RULE;
			v->rule_id = o->entry.rule_id;
			return;
		}
	}
}

/*
 * The device's base policy less the rules its overlay removes, then the
 * overlay's own rules: one union, so a block in either drops, else an allow
 * in either passes. A global function, verified once, not once per path of
 * the caller; such a function returns a scalar, here always 0: the verdict
 * is in @v.
 */
__noinline int vrnet_evaluate_policy(const struct vrnet_record *dev,
				     const struct packet_info *pkt, struct verdict *v)
{
	__u8 proto;
	__u32 v4;

	if (!dev || !pkt || !v)
		return 0;
	proto = rule_proto_of(pkt);
	v->action = dev->default_action;
	v->reason = VRNET_REASON_DEFAULT;
	v->rule_id = 0;
	if (vrnet_scan_policy(dev->policy_id, pkt, proto, v, removals_of(dev)))
		return 0;
	if (dev->overlay_id && vrnet_scan_policy(dev->overlay_id, pkt, proto, v, 0))
		return 0;
	/* most IPv6 packets skip this: no IPv4 address inside */
	if (pkt->family == 6 && embedded_ipv4(pkt->daddr, (__u8 *)&v4) &&
	    vrnet_blocked_as_ipv4(dev, pkt, v4, proto, v))
		return 0;
	/* no block rule: an address a DNS answer opened passes like an allow rule */
	if (dev->dns_proxy && v->reason != VRNET_REASON_ALLOW_RULE)
		dns_address_allows(dev, pkt, proto, v);
	return 0;
}

#endif
