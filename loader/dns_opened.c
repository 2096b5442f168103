// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "dns_opened.h"

#define BATCH 256

__u64 vr_ktime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

int vr_dns_opened_init(struct vr_dns_opened *o)
{
	o->count = calloc(VRNET_MAX_DEVICES, sizeof(*o->count));
	return o->count ? 0 : -ENOMEM;
}

void vr_dns_opened_free(struct vr_dns_opened *o)
{
	free(o->count);
	o->count = NULL;
}

int vr_dns_opened_each(struct vr_state *st, __u32 slot,
		       void (*fn)(const struct vrnet_dnsaddr_key *key,
				  const struct vrnet_dnsaddr *val, void *ctx),
		       void *ctx)
{
	struct vrnet_dnsaddr_key keys[BATCH];
	struct vrnet_dnsaddr vals[BATCH];
	__u64 token[4], *in = NULL; /* the kernel's cursor (a bucket) */

	for (;;) {
		__u32 n = BATCH;
		int ret = bpf_map_lookup_batch(st->dnsaddrs_fd, in, token, keys, vals, &n, NULL);

		if (ret && errno != ENOENT)
			return -errno;
		for (__u32 i = 0; i < n; i++)
			if (slot == VRNET_MAX_DEVICES || keys[i].slot == slot)
				fn(&keys[i], &vals[i], ctx);
		if (ret)
			return 0; /* ENOENT: the last batch */
		in = token;
	}
}

/* Keys to delete, gathered while walking (deleting would move the cursor). */
struct doomed {
	struct vrnet_dnsaddr_key *keys;
	size_t n, cap;
	int err;
};

static void doom(struct doomed *d, const struct vrnet_dnsaddr_key *key)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 64;
		struct vrnet_dnsaddr_key *k = realloc(d->keys, cap * sizeof(*k));

		if (!k) {
			d->err = -ENOMEM;
			return;
		}
		d->keys = k;
		d->cap = cap;
	}
	d->keys[d->n++] = *key;
}

static int delete_doomed(struct vr_state *st, struct doomed *d)
{
	int ret = d->err;

	for (size_t i = 0; i < d->n; i++)
		if (bpf_map_delete_elem(st->dnsaddrs_fd, &d->keys[i]) && errno != ENOENT)
			ret = -errno;
	free(d->keys);
	return ret ? ret : (int)d->n;
}

struct walk {
	struct vr_state *st;
	__u64 now_ns;
	__u32 *count;	 /* per slot: live entries */
	__u32 *policy;	 /* per slot: the policy in force, +1; 0 unknown yet */
	struct doomed *doomed; /* NULL: count only */
};

static void walk_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		     void *ctx)
{
	struct walk *w = ctx;
	__u32 *policy;

	if (key->slot >= VRNET_MAX_DEVICES) {
		if (w->doomed)
			doom(w->doomed, key);
		return;
	}
	policy = &w->policy[key->slot];
	if (!*policy) {
		struct vr_device dev;

		*policy = vr_device_get_slot(w->st, key->slot, &dev) || !dev.dns_proxy ?
				  1 : dev.policy_id + 1;
	}
	if (val->expires_ns > w->now_ns && val->policy_id + 1 == *policy)
		w->count[key->slot]++;
	else if (w->doomed)
		doom(w->doomed, key);
}

/* Counts the live entries per slot into @count; with @doomed, gathers the others. */
static int walk_live(struct vr_state *st, __u64 now_ns, __u32 *count, struct doomed *doomed)
{
	struct walk w = { .st = st, .now_ns = now_ns, .count = count, .doomed = doomed };
	int ret;

	w.policy = calloc(VRNET_MAX_DEVICES, sizeof(*w.policy));
	if (!w.policy)
		return -ENOMEM;
	memset(count, 0, VRNET_MAX_DEVICES * sizeof(*count));
	ret = vr_dns_opened_each(st, VRNET_MAX_DEVICES, walk_one, &w);
	free(w.policy);
	return ret;
}

int vr_dns_opened_sweep(struct vr_state *st, struct vr_dns_opened *o, __u64 now_ns)
{
	struct doomed d = { 0 };
	int ret = walk_live(st, now_ns, o->count, &d);

	if (ret) {
		free(d.keys);
		return ret;
	}
	return delete_doomed(st, &d);
}

int vr_dns_opened_count(struct vr_state *st, __u32 *count)
{
	return walk_live(st, vr_ktime_ns(), count, NULL);
}

int vr_dns_opened_add(struct vr_state *st, struct vr_dns_opened *o,
		      const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val)
{
	if (!bpf_map_update_elem(st->dnsaddrs_fd, key, val, BPF_EXIST))
		return 0; /* renewed */
	if (o->count[key->slot] >= VR_DNS_MAX_ADDRS_PER_DEVICE)
		return -ENOSPC;
	if (bpf_map_update_elem(st->dnsaddrs_fd, key, val, BPF_NOEXIST))
		return errno == EEXIST ? 0 : -errno; /* E2BIG: full */
	o->count[key->slot]++;
	return 0;
}

static void doom_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		     void *ctx)
{
	doom(ctx, key);
}

int vr_dns_opened_forget(struct vr_state *st, __u32 slot)
{
	struct doomed d = { 0 };
	int ret = vr_dns_opened_each(st, slot, doom_one, &d);

	if (ret) {
		free(d.keys);
		return ret;
	}
	ret = delete_doomed(st, &d);
	return ret < 0 ? ret : 0;
}
