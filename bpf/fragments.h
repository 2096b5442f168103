/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Fragments: a later fragment has no transport header to judge, so the
 * verdict on its datagram's first fragment decides it. A first fragment that
 * passes is noted (vrnet_frags, per device, source, destination, protocol and
 * id; in audit mode, one the rules drop too, so that apply_mode() passes the
 * rest as it passes the first); a later fragment gets the note's verdict if
 * the note was made under the record in force now (its policies, internet
 * switch and mode: any change since drops the rest), less than
 * VRNET_FRAG_LIFE_NS ago, and is otherwise dropped (reason fragment), in any
 * order it comes. A first fragment too short for its transport header is
 * malformed (parsing.h).
 */
#ifndef VRNET_BPF_FRAGMENTS_H
#define VRNET_BPF_FRAGMENTS_H

/*
 * @inbound: a datagram the host sends into the sandbox. The direction is in
 * the key: a first fragment the sandbox forges with a peer's source never
 * speaks for the peer's fragments into it.
 */
static __always_inline void fragment_key(const struct vrnet_record *dev,
					 const struct packet_info *pkt, __u8 inbound,
					 struct vrnet_frag_key *key)
{
	key->slot = dev->slot;
	key->inbound = inbound;
	key->id = pkt->frag_id;
	key->family = pkt->family;
	key->proto = pkt->l4_proto;
	__builtin_memcpy(key->saddr, pkt->saddr, 16);
	__builtin_memcpy(key->daddr, pkt->daddr, 16);
}

/* A first fragment's verdict @v: noted if it passes, for the rest of its datagram. */
static __always_inline void note_first_fragment(const struct vrnet_record *dev,
						const struct packet_info *pkt, __u8 inbound,
						const struct verdict *v)
{
	struct vrnet_frag_key key = {};
	__u32 slot = dev->slot; /* a key on the stack: Linux 6.1 takes no other memory as one */
	void *notes;
	struct vrnet_frag val = { .noted_ns = bpf_ktime_get_ns(), .change = dev->change,
				  .rule_id = v->rule_id, .reason = (__u16)v->reason,
				  .action = v->action };

	if (v->action != VRNET_ACTION_ALLOW && dev->mode != VRNET_MODE_AUDIT)
		return;
	notes = bpf_map_lookup_elem(&vrnet_frags, &slot);
	if (!notes)
		return; /* no table: the rest is dropped */
	fragment_key(dev, pkt, inbound, &key);
	bpf_map_update_elem(notes, &key, &val, BPF_ANY);
}

/* The verdict on a later fragment: its first fragment's, if noted under these policies, lately. */
static __always_inline void judge_later_fragment(const struct vrnet_record *dev,
						 const struct packet_info *pkt, __u8 inbound,
						 struct verdict *v)
{
	struct vrnet_frag_key key = {};
	const struct vrnet_frag *first = NULL;
	__u32 slot = dev->slot; /* on the stack, as above */
	void *notes = bpf_map_lookup_elem(&vrnet_frags, &slot);

	fragment_key(dev, pkt, inbound, &key);
	if (notes)
		first = bpf_map_lookup_elem(notes, &key);
	if (first && first->change == dev->change &&
	    bpf_ktime_get_ns() - first->noted_ns < VRNET_FRAG_LIFE_NS) {
		v->action = first->action;
		v->reason = first->reason;
		v->rule_id = first->rule_id;
		return;
	}
	v->action = VRNET_ACTION_DENY;
	v->reason = VRNET_REASON_FRAGMENT;
	v->rule_id = 0;
}

#endif
