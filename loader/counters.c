// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Counters the datapath keeps: per device (slot) and per rule, summed over CPUs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "state.h"

int vr_stats_read(struct vr_state *st, uint32_t slot, struct vrnet_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vrnet_stats *per_cpu;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st->stats_fd, &slot, per_cpu)) {
		int ret = -errno;

		free(per_cpu);
		return ret;
	}
	for (int i = 0; i < ncpu; i++) {
		sum->allowed_packets += per_cpu[i].allowed_packets;
		sum->allowed_bytes += per_cpu[i].allowed_bytes;
		sum->dropped_packets += per_cpu[i].dropped_packets;
		sum->dropped_bytes += per_cpu[i].dropped_bytes;
		sum->audited_packets += per_cpu[i].audited_packets;
		sum->audited_bytes += per_cpu[i].audited_bytes;
		sum->events_lost += per_cpu[i].events_lost;
	}
	free(per_cpu);
	return 0;
}

uint64_t vr_suppressed_read(struct vr_state *st, uint32_t slot)
{
	struct vrnet_limiter lim;

	if (bpf_map_lookup_elem_flags(st->limits_fd, &slot, &lim, BPF_F_LOCK))
		return 0;
	return lim.suppressed;
}

uint64_t vr_rule_hits_read(struct vr_state *st, uint32_t policy_id, uint32_t rule_id)
{
	struct vrnet_rulehit_key key = { .policy_id = policy_id, .rule_id = rule_id };
	int ncpu = libbpf_num_possible_cpus();
	__u64 per_cpu[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(st->rulehits_fd, &key, per_cpu))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += per_cpu[i];
	return sum;
}
