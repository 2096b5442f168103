// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "devices.h"
#include "dns_opened.h"

#define BATCH 256

__u64 vr_ktime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

int vr_dns_opened_init(struct vr_dns_opened *o, __u32 max_per_device, bool skip_renewals)
{
	o->max_per_device = max_per_device ? max_per_device : VR_DNS_MAX_ADDRS_PER_DEVICE;
	o->count = calloc(VRNET_MAX_DEVICES, sizeof(*o->count));
	o->written = skip_renewals ? calloc(VR_DNS_WRITTEN, sizeof(*o->written)) : NULL;
	return o->count && (o->written || !skip_renewals) ? 0 : -ENOMEM;
}

void vr_dns_opened_free(struct vr_dns_opened *o)
{
	free(o->count);
	free(o->written);
	o->count = NULL;
	o->written = NULL;
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

/* Entries gathered while walking, to change after it (changing would move the cursor). */
struct gathered {
	struct vrnet_dnsaddr_key *keys;
	struct vrnet_dnsaddr *vals;
	size_t n, cap;
	int err;
};

/* Adds @key and @val; returns the copy of @val to change, or NULL (out of memory). */
static struct vrnet_dnsaddr *gather(struct gathered *g, const struct vrnet_dnsaddr_key *key,
				    const struct vrnet_dnsaddr *val)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 64;
		struct vrnet_dnsaddr_key *k = realloc(g->keys, cap * sizeof(*k));
		struct vrnet_dnsaddr *v = k ? realloc(g->vals, cap * sizeof(*v)) : NULL;

		if (k)
			g->keys = k;
		if (!v) {
			g->err = -ENOMEM;
			return NULL;
		}
		g->vals = v;
		g->cap = cap;
	}
	g->keys[g->n] = *key;
	g->vals[g->n] = *val;
	return &g->vals[g->n++];
}

static void gathered_free(struct gathered *g)
{
	free(g->keys);
	free(g->vals);
	*g = (struct gathered){ .err = g->err };
}

/* Deletes what @g gathered (and frees it). Return: entries deleted, or -errno. */
static int delete_gathered(struct vr_state *st, struct gathered *g)
{
	size_t n = g->n;
	int ret = g->err;

	for (size_t i = 0; !ret && i < n; i++)
		if (bpf_map_delete_elem(st->dnsaddrs_fd, &g->keys[i]) && errno != ENOENT)
			ret = -errno;
	gathered_free(g);
	return ret ? ret : (int)n;
}

/* Writes the changed values @g gathered (and frees it); an entry gone meanwhile stays gone. */
static int update_gathered(struct vr_state *st, struct gathered *g)
{
	int ret = g->err;

	for (size_t i = 0; !ret && i < g->n; i++)
		if (bpf_map_update_elem(st->dnsaddrs_fd, &g->keys[i], &g->vals[i], BPF_EXIST) &&
		    errno != ENOENT)
			ret = -errno;
	gathered_free(g);
	return ret;
}

struct walk {
	struct vr_state *st;
	__u64 now_ns;
	__u32 *count;	 /* per slot: live entries */
	__u32 *policy;	 /* per slot: the policy in force, +1; 0 unknown yet */
	struct gathered *doomed; /* NULL: count only */
};

static void walk_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		     void *ctx)
{
	struct walk *w = ctx;
	__u32 *policy;

	if (key->slot >= VRNET_MAX_DEVICES) {
		if (w->doomed)
			gather(w->doomed, key, val);
		return;
	}
	policy = &w->policy[key->slot];
	if (!*policy) {
		struct vr_device dev;

		*policy = vr_device_get_slot(w->st, key->slot, &dev) || !dev.dns_proxy ?
				  1 : dev.policy_id + 1;
	}
	if (vr_dns_opened_expires(val) > w->now_ns &&
	    (val->policy_id + 1 == *policy || val->prev_policy_id + 1 == *policy))
		w->count[key->slot]++;
	else if (w->doomed)
		gather(w->doomed, key, val);
}

/* Counts the live entries per slot into @count; with @doomed, gathers the others. */
static int walk_live(struct vr_state *st, __u64 now_ns, __u32 *count, struct gathered *doomed)
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
	struct gathered d = { 0 };
	int ret = walk_live(st, now_ns, o->count, &d);

	if (ret) {
		gathered_free(&d);
		return ret;
	}
	return delete_gathered(st, &d);
}

int vr_dns_opened_count(struct vr_state *st, __u32 *count)
{
	return walk_live(st, vr_ktime_ns(), count, NULL);
}

__u64 vr_dns_opened_expires(const struct vrnet_dnsaddr *val)
{
	__u64 last = 0;

	for (int i = 0; i < VRNET_DNSADDR_RULES; i++)
		if (val->by_rule[i].expires_ns > last)
			last = val->by_rule[i].expires_ns;
	return last;
}

/* Where the last write of @key for @rule_id is noted. */
static struct vr_dns_written *written_of(struct vr_dns_opened *o,
					 const struct vrnet_dnsaddr_key *key, __u32 rule_id)
{
	const __u8 *b = (const __u8 *)key;
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*key); i++)
		h = (h ^ b[i]) * 16777619u;
	h = (h ^ rule_id) * 16777619u;
	return &o->written[h % VR_DNS_WRITTEN];
}

/* Whether writing @op for @key under @policy_id and @word would change nothing that counts. */
static bool written_already(const struct vr_dns_written *w, const struct vrnet_dnsaddr_key *key,
			    __u32 policy_id, const struct vrnet_dnsaddr_opening *op, __u64 word,
			    __u64 now)
{
	return w->word == word && !memcmp(&w->key, key, sizeof(*key)) &&
	       w->policy_id == policy_id &&
	       !memcmp(&w->opening.entry, &op->entry, sizeof(op->entry)) &&
	       op->expires_ns < w->opening.expires_ns + VR_DNS_RENEW_NS &&
	       w->opening.expires_ns > now;
}

/*
 * Puts @op into @val: into its rule's opening (the later expiry stays), or
 * a free or expired place. Return: 0, or -ENOSPC when every place is taken.
 */
static int merge(struct vrnet_dnsaddr *val, const struct vrnet_dnsaddr_opening *op, __u64 now)
{
	int place = -1;

	for (int i = 0; i < VRNET_DNSADDR_RULES; i++) {
		struct vrnet_dnsaddr_opening *cur = &val->by_rule[i];

		if (cur->expires_ns > now && cur->entry.rule_id == op->entry.rule_id) {
			cur->entry = op->entry;
			if (op->expires_ns > cur->expires_ns)
				cur->expires_ns = op->expires_ns;
			return 0;
		}
		if (cur->expires_ns <= now && place < 0)
			place = i;
	}
	if (place < 0)
		return -ENOSPC;
	val->by_rule[place] = *op;
	return 0;
}

/*
 * Writes @op into @key's entry, or a new one. An entry of another policy
 * is replaced: its openings are of rules that policy numbered.
 */
static int write_opening(struct vr_state *st, struct vr_dns_opened *o,
			 const struct vrnet_dnsaddr_key *key, __u32 policy_id,
			 const struct vrnet_dnsaddr_opening *op, __u64 now)
{
	struct vrnet_dnsaddr val;
	int ret;

	for (int tries = 0; tries < 2; tries++) {
		bool exists = !bpf_map_lookup_elem(st->dnsaddrs_fd, key, &val);

		if (!exists || val.policy_id != policy_id)
			val = (struct vrnet_dnsaddr){ .policy_id = policy_id,
						      .prev_policy_id = policy_id };
		ret = merge(&val, op, now);
		if (ret)
			return ret;
		if (exists) {
			if (!bpf_map_update_elem(st->dnsaddrs_fd, key, &val, BPF_EXIST))
				return 0;
			if (errno != ENOENT)
				return -errno;
			continue; /* forgotten meanwhile: a new entry */
		}
		if (o->count[key->slot] >= o->max_per_device)
			return -ENOSPC;
		if (bpf_map_update_elem(st->dnsaddrs_fd, key, &val, BPF_NOEXIST)) {
			if (errno != EEXIST)
				return -errno; /* E2BIG: full */
			continue;
		}
		o->count[key->slot]++;
		return 0;
	}
	return -EAGAIN;
}

int vr_dns_opened_add(struct vr_state *st, struct vr_dns_opened *o,
		      const struct vrnet_dnsaddr_key *key, __u32 policy_id,
		      const struct vrnet_dnsaddr_opening *op)
{
	struct vr_dns_written *w;
	__u64 now = vr_ktime_ns(), word;
	int ret;

	if (!o->written)
		return write_opening(st, o, key, policy_id, op, now);
	w = written_of(o, key, op->entry.rule_id);
	word = __atomic_load_n(&st->switch_words[key->slot], __ATOMIC_ACQUIRE);
	if (written_already(w, key, policy_id, op, word, now))
		return 0;
	ret = write_opening(st, o, key, policy_id, op, now);
	*w = ret ? (struct vr_dns_written){ 0 } :
		   (struct vr_dns_written){ .key = *key, .policy_id = policy_id, .opening = *op,
					    .word = word };
	return ret;
}

static void gather_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		       void *ctx)
{
	gather(ctx, key, val);
}

int vr_dns_opened_forget(struct vr_state *st, __u32 slot)
{
	struct gathered d = { 0 };
	int ret;

	vr_device_touch(st, slot); /* the proxy waits for the change to end */
	ret = vr_dns_opened_each(st, slot, gather_one, &d);

	if (ret) {
		gathered_free(&d);
		return ret;
	}
	ret = delete_gathered(st, &d);
	vr_device_touch(st, slot); /* the proxy must not count on what it opened */
	return ret < 0 ? ret : 0;
}

/* A name rule as written, with its list ("a:api.example.com", "b:*.corp.example"): first, to sort by. */
struct name_rule {
	char text[VRNET_MAX_NAME_LEN + 2];
	uint32_t rule_id;
};

static void name_rule_set(struct name_rule *r, uint8_t list, const char *name, uint32_t rule_id)
{
	snprintf(r->text, sizeof(r->text), "%c:%s", list == VRNET_LIST_BLOCK ? 'b' : 'a', name);
	r->rule_id = rule_id;
}

/* Orders name rules by their text; a key may be a bare text, which is where it starts. */
static int cmp_text(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The name rules of @n records (@names per record), sorted; NULL if out of memory. */
static struct name_rule *name_rules_of(const struct vrnet_rule *recs,
				       const char (*names)[VRNET_MAX_NAME_LEN], uint32_t n,
				       size_t *count)
{
	struct name_rule *r = calloc(n + 1, sizeof(*r));

	*count = 0;
	if (!r)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		if (recs[i].kind == VRNET_RULE_DOMAIN)
			name_rule_set(&r[(*count)++], recs[i].list, names[i], i);
	qsort(r, *count, sizeof(*r), cmp_text);
	return r;
}

/* What an apply's carry needs: the new policy's name rules, and what it carries. */
struct carry {
	const struct vr_device_policy *old;
	const struct vr_compiled *c;
	__u32 new_id;
	struct name_rule *rules; /* of the new policy, sorted */
	size_t n;
	struct gathered carried, dropped;
};

/* The new policy's allow rule with @old_rule's name, or -1. */
static long new_rule_of(const struct carry *k, __u32 old_rule)
{
	const struct name_rule *hit;
	struct name_rule key;

	if (old_rule >= k->old->count || k->old->rules[old_rule].kind != VRNET_RULE_DOMAIN ||
	    k->old->rules[old_rule].list != VRNET_LIST_ALLOW)
		return -1;
	name_rule_set(&key, VRNET_LIST_ALLOW, k->old->names[old_rule], 0);
	hit = bsearch(key.text, k->rules, k->n, sizeof(*k->rules), cmp_text);
	return hit ? (long)hit->rule_id : -1;
}

/* Each opening under the rule of the new policy with its name, or none (then it is dropped). */
static void carry_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		      void *ctx)
{
	struct carry *k = ctx;
	struct vrnet_dnsaddr next = { .policy_id = k->new_id,
				      .prev_policy_id = k->old->dev.policy_id };
	bool any = false;

	for (int i = 0; val->policy_id == k->old->dev.policy_id && i < VRNET_DNSADDR_RULES; i++) {
		const struct vrnet_dnsaddr_opening *o = &val->by_rule[i];
		long rule = o->expires_ns ? new_rule_of(k, o->entry.rule_id) : -1;
		const struct vrnet_rule *r;

		if (rule < 0)
			continue;
		r = &k->c->rules[rule];
		next.by_rule[i] = (struct vrnet_dnsaddr_opening){
			.expires_ns = o->expires_ns,
			.entry = { .port_lo = r->port_lo, .port_hi = r->port_hi, .proto = r->proto,
				   .action = VRNET_ACTION_ALLOW, .any_port = r->any_port,
				   .rule_id = (__u32)rule },
		};
		any = true;
	}
	gather(any ? &k->carried : &k->dropped, key, any ? &next : val);
}

/*
 * Whether every name rule of the new policy is one of the old's (same name,
 * same list): then no name an old rule decided is decided by another now.
 */
static bool names_only_removed(const struct carry *k)
{
	size_t n;
	struct name_rule *old = name_rules_of(k->old->rules,
					      (const char(*)[VRNET_MAX_NAME_LEN])k->old->names,
					      k->old->count, &n);
	bool subset = old != NULL;

	for (size_t i = 0; subset && i < k->n; i++)
		subset = bsearch(k->rules[i].text, old, n, sizeof(*old), cmp_text) != NULL;
	free(old);
	return subset;
}

int vr_dns_opened_carry(struct vr_state *st, const struct vr_device_policy *old, __u32 new_id,
			const struct vr_compiled *c)
{
	struct carry k = { .old = old, .c = c, .new_id = new_id };
	int ret = -ENOMEM;

	vr_device_touch(st, old->dev.slot); /* the proxy waits for the change to end */
	k.rules = calloc(c->name_count + 1, sizeof(*k.rules));
	if (!k.rules)
		return -ENOMEM;
	for (size_t i = 0; i < c->name_count; i++)
		name_rule_set(&k.rules[i], c->rules[c->names[i].rule_id].list, c->names[i].name,
			      c->names[i].rule_id);
	k.n = c->name_count;
	qsort(k.rules, k.n, sizeof(*k.rules), cmp_text);
	if (!names_only_removed(&k)) {
		/* a new name rule could decide a name an old one opened: nothing carries */
		ret = vr_dns_opened_forget(st, old->dev.slot);
		goto out;
	}
	ret = vr_dns_opened_each(st, old->dev.slot, carry_one, &k);
	if (!ret)
		ret = update_gathered(st, &k.carried);
	if (!ret)
		ret = delete_gathered(st, &k.dropped);
	ret = ret < 0 ? ret : 0;
	vr_device_touch(st, old->dev.slot); /* what was not carried is gone: see forget */
out:
	gathered_free(&k.carried); /* what is left of it */
	gathered_free(&k.dropped);
	free(k.rules);
	return ret;
}

/* Ends a carry from @old_id to @new_id (vr_dns_opened_settle). */
struct settle {
	__u32 old_id, new_id;
	struct gathered changed;
};

static void settle_one(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		       void *ctx)
{
	struct settle *s = ctx;
	struct vrnet_dnsaddr *next;

	if (val->policy_id != s->new_id || val->prev_policy_id != s->old_id)
		return;
	next = gather(&s->changed, key, val);
	if (next)
		next->prev_policy_id = s->new_id;
}

int vr_dns_opened_settle(struct vr_state *st, __u32 slot, __u32 old_id, __u32 new_id,
			 bool switched)
{
	struct settle s = { .old_id = old_id, .new_id = new_id };
	int ret = vr_dns_opened_each(st, slot, settle_one, &s);

	if (ret) {
		gathered_free(&s.changed);
		return ret;
	}
	if (switched)
		return update_gathered(st, &s.changed);
	/* the carried openings hold the new policy's rules: they close, lookups open them again */
	ret = delete_gathered(st, &s.changed);
	vr_device_touch(st, slot); /* see forget */
	return ret < 0 ? ret : 0;
}
