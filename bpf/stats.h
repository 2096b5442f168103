/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-device, per-CPU packet and byte counters of allowed and dropped traffic. */
#ifndef VRNET_BPF_STATS_H
#define VRNET_BPF_STATS_H

/*
 * Counts the packet on its device: what it sent, or (@inbound) what the host
 * sent into it that the inbound policy judged. Returns the device's counters.
 */
static __always_inline struct vrnet_stats *count_packet(const struct vrnet_record *dev,
							 vr_ctx *ctx,
							 const struct verdict *v, __u8 inbound)
{
	struct vrnet_stats *st;
	__u32 slot = dev->slot;
	__u64 *packets, *bytes;

	st = bpf_map_lookup_elem(&vrnet_stats, &slot);
	if (!st)
		return NULL;
	if (v->action == VRNET_ACTION_ALLOW) {
		packets = inbound ? &st->inbound_allowed_packets : &st->allowed_packets;
		bytes = inbound ? &st->inbound_allowed_bytes : &st->allowed_bytes;
	} else {
		packets = inbound ? &st->inbound_dropped_packets : &st->dropped_packets;
		bytes = inbound ? &st->inbound_dropped_bytes : &st->dropped_bytes;
	}
	(*packets)++;
	*bytes += frame_len(ctx);
	if (v->audit && !inbound) {
		st->audited_packets++;
		st->audited_bytes += frame_len(ctx);
	}
	return st;
}

/* Packets each rule decided, per policy and rule id. */
static __always_inline void count_rule_hit(const struct vrnet_record *dev,
					   const struct verdict *v)
{
	struct vrnet_rulehit_key key = { .policy_id = dev->policy_id, .rule_id = v->rule_id };
	__u64 one = 1, *hits;

	if (v->reason != VRNET_REASON_ALLOW_RULE && v->reason != VRNET_REASON_BLOCK_RULE)
		return;
	hits = bpf_map_lookup_elem(&vrnet_rulehits, &key);
	if (hits)
		(*hits)++;
	else /* full: the hit is not counted; per-device counters still are */
		bpf_map_update_elem(&vrnet_rulehits, &key, &one, BPF_NOEXIST);
}

#endif
