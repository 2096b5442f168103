/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Per-device, per-CPU packet and byte counters of allowed and dropped traffic. */
#ifndef VRNET_BPF_STATS_H
#define VRNET_BPF_STATS_H

static __always_inline void count_packet(const struct vrnet_device *dev,
					 struct __sk_buff *skb, int action)
{
	struct vrnet_stats *st;
	__u32 slot;

	if (!dev || skb->mark == VRNET_PROBE_MARK)
		return;
	slot = dev->slot;
	st = bpf_map_lookup_elem(&vrnet_stats, &slot);
	if (!st)
		return;
	if (action == VRNET_ACTION_ALLOW) {
		st->allowed_packets++;
		st->allowed_bytes += skb->len;
	} else {
		st->dropped_packets++;
		st->dropped_bytes += skb->len;
	}
}

#endif
