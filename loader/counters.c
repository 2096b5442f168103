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
		sum->inbound_allowed_packets += per_cpu[i].inbound_allowed_packets;
		sum->inbound_allowed_bytes += per_cpu[i].inbound_allowed_bytes;
		sum->inbound_dropped_packets += per_cpu[i].inbound_dropped_packets;
		sum->inbound_dropped_bytes += per_cpu[i].inbound_dropped_bytes;
	}
	free(per_cpu);
	return 0;
}

uint64_t vr_suppressed_read(struct vr_state *st, uint32_t slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vrnet_quiet quiet[ncpu > 0 ? ncpu : 1];
	struct vrnet_limiter lim;
	uint64_t total = 0;

	/* held back under the lock, and by each CPU on its own while the bucket was empty */
	if (!bpf_map_lookup_elem_flags(st->limits_fd, &slot, &lim, BPF_F_LOCK))
		total = lim.suppressed;
	if (ncpu > 0 && !bpf_map_lookup_elem(st->quiet_fd, &slot, quiet))
		for (int i = 0; i < ncpu; i++)
			total += quiet[i].suppressed;
	return total;
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

static int cmp_hit(const void *a, const void *b)
{
	const struct vr_hit *x = a, *y = b;

	if (x->policy_id != y->policy_id)
		return x->policy_id < y->policy_id ? -1 : 1;
	return (x->rule_id > y->rule_id) - (x->rule_id < y->rule_id);
}

static int add_hit(struct vr_hits *h, size_t *cap, const struct vrnet_rulehit_key *k,
		   const __u64 *per_cpu, int ncpu)
{
	__u64 sum = 0;

	for (int c = 0; c < ncpu; c++)
		sum += per_cpu[c];
	if (h->n == *cap) {
		struct vr_hit *v = realloc(h->v, (*cap = *cap ? 2 * *cap : 1024) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		h->v = v;
	}
	h->v[h->n++] = (struct vr_hit){ k->policy_id, k->rule_id, sum };
	return 0;
}

/* One element at a time, where the kernel has no batch lookup for the map. */
static int load_one_by_one(struct vr_state *st, struct vr_hits *h, size_t *cap, int ncpu)
{
	struct vrnet_rulehit_key key, next, *prev = NULL;
	__u64 per_cpu[ncpu];
	int ret = 0;

	while (!ret && !bpf_map_get_next_key(st->rulehits_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(st->rulehits_fd, &next, per_cpu))
			ret = add_hit(h, cap, &next, per_cpu, ncpu);
		key = next;
		prev = &key;
	}
	return ret;
}

int vr_hits_load(struct vr_state *st, struct vr_hits *h)
{
	enum { BATCH = 4096 };
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct vrnet_rulehit_key *keys = calloc(BATCH, sizeof(*keys));
	__u64 *values = calloc((size_t)BATCH * (size_t)(ncpu > 0 ? ncpu : 1), sizeof(*values));
	__u64 batch = 0;
	void *in = NULL;
	size_t cap = 0;

	memset(h, 0, sizeof(*h));
	if (ncpu <= 0 || !keys || !values) {
		ret = ncpu <= 0 ? -EINVAL : -ENOMEM;
		goto out;
	}
	for (;;) {
		__u32 count = BATCH;
		int err = bpf_map_lookup_batch(st->rulehits_fd, in, &batch, keys, values, &count,
					       &opts) ? -errno : 0;

		for (__u32 i = 0; !ret && i < count; i++)
			ret = add_hit(h, &cap, &keys[i], values + (size_t)i * (size_t)ncpu, ncpu);
		if (ret || err == -ENOENT)
			break; /* ENOENT: that was the last batch */
		if (err == -EINVAL || err == -ENOTSUP || err == -524) {
			h->n = 0; /* no batch lookup here */
			ret = load_one_by_one(st, h, &cap, ncpu);
			break;
		}
		if (err) {
			ret = err;
			break;
		}
		in = &batch;
	}
	if (!ret && h->n)
		qsort(h->v, h->n, sizeof(*h->v), cmp_hit);
out:
	free(keys);
	free(values);
	if (ret)
		vr_hits_free(h);
	return ret;
}

uint64_t vr_hits_get(const struct vr_hits *h, uint32_t policy_id, uint32_t rule_id)
{
	struct vr_hit key = { .policy_id = policy_id, .rule_id = rule_id };
	const struct vr_hit *found =
		h && h->n ? bsearch(&key, h->v, h->n, sizeof(*h->v), cmp_hit) : NULL;

	return found ? found->packets : 0;
}

void vr_hits_free(struct vr_hits *h)
{
	free(h->v);
	memset(h, 0, sizeof(*h));
}
