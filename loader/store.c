// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "mapio.h"
#include "store.h"

static size_t chunk_count(size_t records)
{
	return (records + VRNET_RULES_PER_CHUNK - 1) / VRNET_RULES_PER_CHUNK;
}

static void lpm4_key(__u32 id, const __u8 *addr, __u8 plen, struct vrnet_lpm4_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + plen;
	k->policy_id = id;
	memcpy(k->addr, addr, 4);
}

static bool is_host(int family, int prefixlen)
{
	return prefixlen == (family == 4 ? 32 : 128);
}

static void host4_key(__u32 id, const __u8 *addr, struct vrnet_host4_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = id;
	memcpy(k->addr, addr, 4);
}

static void host6_key(__u32 id, const __u8 *addr, struct vrnet_host6_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = id;
	memcpy(k->addr, addr, 16);
}

static void lpm6_key(__u32 id, const __u8 *addr, __u8 plen, struct vrnet_lpm6_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + plen;
	k->policy_id = id;
	memcpy(k->addr, addr, 16);
}

/*
 * Removes the entries of policy @id: prefixes (from the address records
 * @recs), portsets 0..@portset_count-1, rule records and names, and with
 * @hits the hit counters of rule ids 0..@hit_count-1.
 */
/* The id an address record's prefixes are keyed by: its inbound part's, for an inbound rule. */
static __u32 prefix_space(__u32 id, bool inbound)
{
	return inbound ? id | VRNET_INBOUND_SPACE : id;
}

/*
 * Deletes the rule-hit counters of policy @id (rule ids below @hit_count).
 * Only rules that were hit have one, and the kernel's batch delete costs a
 * system call for every key not there (100,000 rules without hits made a
 * detach 0.3 s): beyond VR_HITS_BY_KEY keys, the counters that exist are
 * found by reading the map in batches, which costs what the host's
 * counters number (each one value a CPU), not what this policy's rules do;
 * where the kernel cannot read the map in batches, by key again.
 */
#define VR_HITS_BY_KEY 4096
#define VR_HITS_READ_BATCH 1024
static int delete_hits_by_key(struct vr_state *st, __u32 id, size_t hit_count)
{
	struct vrnet_rulehit_key *keys = calloc(hit_count + 1, sizeof(*keys));
	int ret;

	if (!keys)
		return -ENOMEM;
	for (size_t i = 0; i < hit_count; i++)
		keys[i] = (struct vrnet_rulehit_key){ .policy_id = id, .rule_id = (__u32)i };
	ret = vr_batch_delete(st->rulehits_fd, keys, sizeof(*keys), hit_count);
	free(keys);
	return ret;
}

/* Appends the counters of policy @id among @keys[0..@count) to @found (@n of @cap). */
static int collect_hits(__u32 id, const struct vrnet_rulehit_key *keys, __u32 count,
			struct vrnet_rulehit_key **found, size_t *n, size_t *cap)
{
	for (__u32 i = 0; i < count; i++) {
		if (keys[i].policy_id != id)
			continue;
		if (*n == *cap) {
			size_t more = *cap ? 2 * *cap : VR_HITS_READ_BATCH;
			struct vrnet_rulehit_key *f = realloc(*found, more * sizeof(*f));

			if (!f)
				return -ENOMEM;
			*found = f;
			*cap = more;
		}
		(*found)[(*n)++] = keys[i];
	}
	return 0;
}

/* The counters of policy @id that exist, found by reading the map in batches. */
static int delete_hits_found(struct vr_state *st, __u32 id)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ncpu = libbpf_num_possible_cpus(), ret = 0;
	struct vrnet_rulehit_key *keys, *found = NULL;
	size_t n = 0, cap = 0;
	__u32 batch, count;
	__u64 *values;
	void *in = NULL;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	keys = calloc(VR_HITS_READ_BATCH, sizeof(*keys));
	values = calloc((size_t)VR_HITS_READ_BATCH * (size_t)ncpu, sizeof(*values));
	while (keys && values && !ret) {
		count = VR_HITS_READ_BATCH;
		ret = bpf_map_lookup_batch(st->rulehits_fd, in, &batch, keys, values, &count,
					   &opts) ? -errno : 0;
		if (!ret || ret == -ENOENT) {
			int err = collect_hits(id, keys, count, &found, &n, &cap);

			ret = err ? err : ret;
		}
		in = &batch;
	}
	if (!keys || !values)
		ret = -ENOMEM;
	else if (ret == -ENOENT) /* the map read to its end */
		ret = vr_batch_delete(st->rulehits_fd, found, sizeof(*found), n);
	free(keys);
	free(values);
	free(found);
	return ret;
}

static int delete_hits(struct vr_state *st, __u32 id, size_t hit_count)
{
	int ret;

	if (hit_count <= VR_HITS_BY_KEY)
		return delete_hits_by_key(st, id, hit_count);
	ret = delete_hits_found(st, id);
	return ret < 0 && vr_no_batch_support(-ret) ? delete_hits_by_key(st, id, hit_count) : ret;
}

/*
 * Deletes the @n host keys @hosts from their hash; the trie keys (@trie, of
 * @trie_size each, beside them) of those the hash did not have go to the
 * trie's list (@lpm, @n_lpm of them): a host is in the trie only when the
 * hash was full, and every key the trie is asked for and has not costs the
 * batch a system call (100,000 hosts made a detach 0.5 s). @missing: n
 * flags of scratch.
 */
static int delete_hosts(int host_fd, const void *hosts, size_t host_size, size_t n,
			const void *trie, void *lpm, size_t trie_size, size_t *n_lpm, bool *missing)
{
	int ret;

	memset(missing, 0, n * sizeof(*missing));
	ret = vr_batch_delete_found(host_fd, hosts, host_size, n, missing);
	for (size_t i = 0; !ret && i < n; i++)
		if (missing[i])
			memcpy((char *)lpm + (*n_lpm)++ * trie_size, (const char *)trie + i * trie_size,
			       trie_size);
	return ret;
}

static int delete_entries(struct vr_state *st, __u32 id, const struct vrnet_rule *recs,
			  size_t n, __u32 portset_count, bool hits, size_t hit_count)
{
	size_t chunks = chunk_count(n);
	struct vrnet_lpm4_key *k4 = calloc(n + 1, sizeof(*k4));
	struct vrnet_lpm6_key *k6 = calloc(n + 1, sizeof(*k6));
	struct vrnet_host4_key *h4 = calloc(n + 1, sizeof(*h4));
	struct vrnet_host6_key *h6 = calloc(n + 1, sizeof(*h6));
	/* a host's trie key, beside its hash key: deleted only if the hash had not got it */
	struct vrnet_lpm4_key *t4 = calloc(n + 1, sizeof(*t4));
	struct vrnet_lpm6_key *t6 = calloc(n + 1, sizeof(*t6));
	bool *missing = calloc(n + 1, sizeof(*missing));
	struct vrnet_chunk_key *ck = calloc(chunks + 1, sizeof(*ck));
	struct vrnet_rule_key *nk = calloc(n + 1, sizeof(*nk));
	struct vrnet_portset_key *pk = calloc(portset_count + 1, sizeof(*pk));
	struct vrnet_rule_key *rk = calloc(n + 1, sizeof(*rk));
	size_t n4 = 0, n6 = 0, nh4 = 0, nh6 = 0, nn = 0, nr = 0;
	int ret = -ENOMEM;
	__u32 space;

	if (!k4 || !k6 || !h4 || !h6 || !t4 || !t6 || !missing || !ck || !nk || !pk || !rk)
		goto out;
	for (size_t i = 0; i < chunks; i++)
		ck[i] = (struct vrnet_chunk_key){ .policy_id = id, .chunk = (__u32)i };
	for (size_t i = 0; i < n; i++) {
		if (!recs[i].kind) /* a chunk a killed command never wrote */
			continue;
		if (recs[i].kind == VRNET_RULE_DOMAIN) {
			nk[nn++] = (struct vrnet_rule_key){ .policy_id = id, .rule_id = (__u32)i };
			continue;
		}
		if (recs[i].kind == VRNET_RULE_REMOVED) {
			rk[nr++] = (struct vrnet_rule_key){ .policy_id = id, .rule_id = recs[i].parent };
			continue;
		}
		/* a host address is in the hash or, if that was full, in the trie */
		space = prefix_space(id, vrnet_list_is_inbound(recs[i].list));
		if (recs[i].family == 4 && is_host(4, recs[i].prefixlen)) {
			lpm4_key(space, recs[i].addr, recs[i].prefixlen, &t4[nh4]);
			host4_key(space, recs[i].addr, &h4[nh4++]);
		} else if (recs[i].family == 4) {
			lpm4_key(space, recs[i].addr, recs[i].prefixlen, &k4[n4++]);
		} else if (is_host(6, recs[i].prefixlen)) {
			lpm6_key(space, recs[i].addr, recs[i].prefixlen, &t6[nh6]);
			host6_key(space, recs[i].addr, &h6[nh6++]);
		} else {
			lpm6_key(space, recs[i].addr, recs[i].prefixlen, &k6[n6++]);
		}
	}
	for (__u32 i = 0; i < portset_count; i++)
		pk[i] = (struct vrnet_portset_key){ .policy_id = id, .portset_id = i };

	/* Prefixes first: nothing may point at a portset that is gone. */
	ret = delete_hosts(st->host4_fd, h4, sizeof(*h4), nh4, t4, k4, sizeof(*k4), &n4, missing);
	if (!ret)
		ret = delete_hosts(st->host6_fd, h6, sizeof(*h6), nh6, t6, k6, sizeof(*k6), &n6,
				   missing);
	if (!ret)
		ret = vr_batch_delete(st->lpm4_fd, k4, sizeof(*k4), n4);
	if (!ret)
		ret = vr_batch_delete(st->lpm6_fd, k6, sizeof(*k6), n6);
	if (!ret)
		ret = vr_batch_delete(st->portsets_fd, pk, sizeof(*pk), portset_count);
	if (!ret)
		ret = vr_batch_delete(st->removed_fd, rk, sizeof(*rk), nr);
	/* names before the records they are found through */
	if (!ret)
		ret = vr_batch_delete(st->names_fd, nk, sizeof(*nk), nn);
	if (!ret)
		ret = vr_batch_delete(st->rules_fd, ck, sizeof(*ck), chunks);
	if (!ret && hits)
		ret = delete_hits(st, id, hit_count);
out:
	free(k4);
	free(k6);
	free(h4);
	free(h6);
	free(t4);
	free(t6);
	free(missing);
	free(ck);
	free(nk);
	free(pk);
	free(rk);
	return ret;
}

/*
 * Host addresses go to the hash of their family; what does not fit (the hash
 * is full host-wide) goes to the trie, which finds them just as well.
 */
static int write_hosts(int host_fd, int lpm_fd, const void *host_keys, size_t host_key_size,
		       const void *lpm_keys, size_t lpm_key_size,
		       const struct vrnet_prefix_value *values, size_t n)
{
	size_t written = 0;
	int ret = vr_batch_update_some(host_fd, host_keys, host_key_size, values, sizeof(*values), n,
				    &written);

	if (ret != -E2BIG && ret != -ENOSPC)
		return ret;
	vr_debug("the host hash is full: %zu host prefixes go to the trie", n - written);
	return vr_batch_update(lpm_fd, (const char *)lpm_keys + written * lpm_key_size,
			    lpm_key_size, values + written, sizeof(*values), n - written);
}

static int write_policy(struct vr_state *st, __u32 id, const struct vr_compiled *c)
{
	size_t n = c->prefix_count + 1, chunks = chunk_count(c->rule_count);
	struct vrnet_chunk_key *ck = calloc(chunks + 1, sizeof(*ck));
	struct vrnet_rule_chunk *cv = calloc(chunks + 1, sizeof(*cv));
	struct vrnet_rule_key *nk = calloc(c->name_count + 1, sizeof(*nk));
	struct vrnet_name *nv = calloc(c->name_count + 1, sizeof(*nv));
	struct vrnet_portset_key *pk = calloc(c->portset_count + 1, sizeof(*pk));
	/* per family: trie keys and values, then host keys (both forms) and values */
	struct vrnet_lpm4_key *k4 = calloc(n, sizeof(*k4)), *hl4 = calloc(n, sizeof(*hl4));
	struct vrnet_lpm6_key *k6 = calloc(n, sizeof(*k6)), *hl6 = calloc(n, sizeof(*hl6));
	struct vrnet_host4_key *h4 = calloc(n, sizeof(*h4));
	struct vrnet_host6_key *h6 = calloc(n, sizeof(*h6));
	struct vrnet_prefix_value *v4 = calloc(n, sizeof(*v4)), *v6 = calloc(n, sizeof(*v6));
	struct vrnet_prefix_value *hv4 = calloc(n, sizeof(*hv4)), *hv6 = calloc(n, sizeof(*hv6));
	struct vrnet_rule_key *rk = calloc(c->rule_count + 1, sizeof(*rk));
	__u8 *rv = calloc(c->rule_count + 1, sizeof(*rv));
	size_t i4 = 0, i6 = 0, ih4 = 0, ih6 = 0, nr = 0;
	int ret = -ENOMEM;

	if (!ck || !cv || !nk || !nv || !pk || !k4 || !hl4 || !k6 || !hl6 || !h4 || !h6 ||
	    !v4 || !v6 || !hv4 || !hv6 || !rk || !rv)
		goto out;
	for (size_t i = 0; i < chunks; i++)
		ck[i] = (struct vrnet_chunk_key){ .policy_id = id, .chunk = (__u32)i };
	for (size_t i = 0; i < c->rule_count; i++) {
		cv[i / VRNET_RULES_PER_CHUNK].rules[i % VRNET_RULES_PER_CHUNK] = c->rules[i];
		if (c->rules[i].kind == VRNET_RULE_REMOVED) {
			rk[nr] = (struct vrnet_rule_key){ .policy_id = id,
							  .rule_id = c->rules[i].parent };
			rv[nr++] = 1;
		}
	}
	for (size_t i = 0; i < c->name_count; i++) {
		nk[i] = (struct vrnet_rule_key){ .policy_id = id, .rule_id = c->names[i].rule_id };
		memcpy(nv[i].name, c->names[i].name, sizeof(nv[i].name));
	}
	for (size_t i = 0; i < c->portset_count; i++)
		pk[i] = (struct vrnet_portset_key){ .policy_id = id, .portset_id = (__u32)i };
	for (size_t i = 0; i < c->prefix_count; i++) {
		const struct vr_prefix *p = &c->prefixes[i];
		struct vrnet_prefix_value v = { .portset_id = p->portset_id,
						.rule_id = p->rule_id };
		__u32 space = prefix_space(id, p->inbound);

		if (p->family == 4 && is_host(4, p->prefixlen)) {
			host4_key(space, p->addr, &h4[ih4]);
			lpm4_key(space, p->addr, p->prefixlen, &hl4[ih4]);
			hv4[ih4++] = v;
		} else if (p->family == 4) {
			lpm4_key(space, p->addr, p->prefixlen, &k4[i4]);
			v4[i4++] = v;
		} else if (is_host(6, p->prefixlen)) {
			host6_key(space, p->addr, &h6[ih6]);
			lpm6_key(space, p->addr, p->prefixlen, &hl6[ih6]);
			hv6[ih6++] = v;
		} else {
			lpm6_key(space, p->addr, p->prefixlen, &k6[i6]);
			v6[i6++] = v;
		}
	}
	/* records first: a delete finds the names through them */
	ret = vr_batch_update(st->rules_fd, ck, sizeof(*ck), cv, sizeof(*cv), chunks);
	if (!ret)
		ret = vr_batch_update(st->names_fd, nk, sizeof(*nk), nv, sizeof(*nv), c->name_count);
	if (!ret)
		ret = vr_batch_update(st->removed_fd, rk, sizeof(*rk), rv, sizeof(*rv), nr);
	if (!ret)
		ret = vr_batch_update(st->portsets_fd, pk, sizeof(*pk), c->portsets,
				   sizeof(*c->portsets), c->portset_count);
	if (!ret)
		ret = vr_batch_update(st->lpm4_fd, k4, sizeof(*k4), v4, sizeof(*v4), i4);
	if (!ret)
		ret = vr_batch_update(st->lpm6_fd, k6, sizeof(*k6), v6, sizeof(*v6), i6);
	if (!ret)
		ret = write_hosts(st->host4_fd, st->lpm4_fd, h4, sizeof(*h4), hl4, sizeof(*hl4),
				  hv4, ih4);
	if (!ret)
		ret = write_hosts(st->host6_fd, st->lpm6_fd, h6, sizeof(*h6), hl6, sizeof(*hl6),
				  hv6, ih6);
out:
	free(ck);
	free(cv);
	free(nk);
	free(nv);
	free(pk);
	free(k4);
	free(hl4);
	free(k6);
	free(hl6);
	free(h4);
	free(h6);
	free(v4);
	free(v6);
	free(hv4);
	free(hv6);
	free(rk);
	free(rv);
	return ret;
}

int vr_store_read_records(struct vr_state *st, __u32 id, __u32 n, struct vrnet_rule **out)
{
	struct vrnet_rule *recs = calloc(n + 1, sizeof(*recs));
	struct vrnet_rule_chunk chunk;

	if (!recs)
		return -ENOMEM;
	for (__u32 c = 0; c < chunk_count(n); c++) {
		struct vrnet_chunk_key k = { .policy_id = id, .chunk = c };
		__u32 first = c * VRNET_RULES_PER_CHUNK;
		__u32 count = n - first < VRNET_RULES_PER_CHUNK ? n - first : VRNET_RULES_PER_CHUNK;

		if (bpf_map_lookup_elem(st->rules_fd, &k, &chunk)) {
			int ret = -errno;

			if (ret == -ENOENT)
				continue; /* never written: zeros, kind 0 */
			free(recs);
			return ret;
		}
		memcpy(&recs[first], chunk.rules, count * sizeof(chunk.rules[0]));
	}
	*out = recs;
	return 0;
}

int vr_store_read_names(struct vr_state *st, __u32 id, const struct vrnet_rule *recs, __u32 n,
			char (*names)[VRNET_MAX_NAME_LEN])
{
	for (__u32 i = 0; i < n; i++) {
		struct vrnet_rule_key k = { .policy_id = id, .rule_id = i };
		struct vrnet_name name;

		if (recs[i].kind != VRNET_RULE_DOMAIN)
			continue;
		if (bpf_map_lookup_elem(st->names_fd, &k, &name))
			return -errno;
		memcpy(names[i], name.name, sizeof(name.name));
		names[i][VRNET_MAX_NAME_LEN - 1] = '\0';
	}
	return 0;
}

int vr_cmp_policy_id(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/*
 * Deletes every key of @fd whose policy id (at @id_offset in the key) has no
 * vrnet_policies entry. Keys are collected first: deleting while walking a hash map
 * restarts the walk.
 */
static int sweep_map(int fd, size_t key_size, size_t id_offset, const __u32 *used,
		     size_t n_used, size_t *swept)
{
	size_t n = 0, cap = 0;
	char *orphans = NULL, key[64], next[64];
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		__u32 id;

		memcpy(&id, next + id_offset, sizeof(id));
		id &= ~VRNET_INBOUND_SPACE; /* an inbound part's prefixes are its policy's */
		if (!bsearch(&id, used, n_used, sizeof(*used), vr_cmp_policy_id)) {
			if (n == cap) {
				char *o = realloc(orphans, (cap = cap ? cap * 2 : 1024) * key_size);

				if (!o) {
					free(orphans);
					return -ENOMEM;
				}
				orphans = o;
			}
			memcpy(orphans + n++ * key_size, next, key_size);
		}
		memcpy(key, next, key_size);
		prev = key;
	}
	ret = vr_batch_delete(fd, orphans, key_size, n);
	free(orphans);
	*swept += n;
	return ret;
}


int vr_store_info(struct vr_state *st, __u32 id, struct vrnet_policy_info *info)
{
	return bpf_map_lookup_elem(st->policies_fd, &id, info) ? -errno : 0;
}

/*
 * A fresh policy id: never 0, never one that has a vrnet_policies entry (a
 * policy in use, or being written or removed), so after the counter wraps an
 * id cannot inherit another policy's entries.
 */
static int alloc_policy_id(struct vr_state *st, __u32 *id)
{
	struct vrnet_policy_info info;
	struct vrnet_config cfg;
	__u32 zero = 0, tries = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
		return -errno;
	do {
		if (++tries > VRNET_MAX_POLICIES + 1)
			return -ENOSPC;
		/* below VRNET_INBOUND_SPACE: that bit keys a policy's inbound part */
		*id = cfg.next_policy_id && cfg.next_policy_id < VRNET_INBOUND_SPACE ?
			      cfg.next_policy_id : 1;
		cfg.next_policy_id = *id + 1;
	} while (!vr_store_info(st, *id, &info));
	return bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int vr_store_write(struct vr_state *st, const struct vr_compiled *c, __u32 *id, char *err,
		   size_t errlen)
{
	struct vrnet_policy_info info = {
		.rule_count = (__u32)c->rule_count,
		.portset_count = (__u32)c->portset_count,
		.dns_count = c->dns_count,
		.source_rules = c->source_rules,
	};
	struct timespec now;
	int ret = alloc_policy_id(st, id);

	for (size_t i = 0; i < c->rule_count; i++)
		info.removed_rules += c->rules[i].kind == VRNET_RULE_REMOVED;
	if (ret) {
		snprintf(err, errlen, "couldn't allocate a policy id: %s", strerror(-ret));
		return ret;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	info.applied_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	/* the intent first: a command killed from here on leaves a policy the next one finds */
	if (bpf_map_update_elem(st->policies_fd, id, &info, BPF_NOEXIST)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't record the new policy: %s%s", strerror(errno),
			 errno == E2BIG || errno == ENOSPC ? " (too many policies)" : "");
		return ret;
	}
	ret = write_policy(st, *id, c);
	if (!ret)
		return 0;
	snprintf(err, errlen, "couldn't write the policy into the maps: %s%s", strerror(-ret),
		 ret == -E2BIG || ret == -ENOSPC ? " (host-wide map limit reached)" : "");
	/* A fresh id holds only what this change wrote. */
	if (vr_store_delete(st, *id, false, 0))
		vr_warn("couldn't remove the partly written policy %u (run gc)", *id);
	return ret == -EINVAL ? -EIO : ret; /* the kernel's refusal, not bad input */
}

int vr_store_delete(struct vr_state *st, __u32 id, bool hits, __u32 more_hits)
{
	struct vrnet_policy_info info;
	struct vrnet_rule *recs;
	int ret = vr_store_info(st, id, &info);

	if (ret)
		return ret == -ENOENT ? 0 : ret;
	ret = vr_store_read_records(st, id, info.rule_count, &recs);
	if (ret)
		return ret;
	ret = delete_entries(st, id, recs, info.rule_count, info.portset_count, hits,
			     (size_t)info.rule_count + more_hits);
	free(recs);
	if (!ret && bpf_map_delete_elem(st->policies_fd, &id) && errno != ENOENT)
		ret = -errno;
	return ret;
}

/* The value of the longest prefix of policy @id holding @rec's prefix, or -errno. */
static int covering_prefix(struct vr_state *st, __u32 id, const struct vrnet_rule *rec,
			   struct vrnet_prefix_value *v)
{
	struct vrnet_host4_key h4;
	struct vrnet_host6_key h6;
	struct vrnet_lpm4_key k4;
	struct vrnet_lpm6_key k6;

	/* a host is in the hash or, if that was full, in the trie */
	if (rec->family == 4) {
		host4_key(id, rec->addr, &h4);
		if (is_host(4, rec->prefixlen) && !bpf_map_lookup_elem(st->host4_fd, &h4, v))
			return 0;
		lpm4_key(id, rec->addr, rec->prefixlen, &k4);
		return bpf_map_lookup_elem(st->lpm4_fd, &k4, v) ? -errno : 0;
	}
	host6_key(id, rec->addr, &h6);
	if (is_host(6, rec->prefixlen) && !bpf_map_lookup_elem(st->host6_fd, &h6, v))
		return 0;
	lpm6_key(id, rec->addr, rec->prefixlen, &k6);
	return bpf_map_lookup_elem(st->lpm6_fd, &k6, v) ? -errno : 0;
}

static bool same_record(const struct vrnet_rule *a, const struct vrnet_rule *b)
{
	return a->kind == b->kind && a->list == b->list && a->proto == b->proto &&
	       a->family == b->family && a->prefixlen == b->prefixlen &&
	       a->any_port == b->any_port && a->port_lo == b->port_lo &&
	       a->port_hi == b->port_hi && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

int vr_store_find_rule(struct vr_state *st, __u32 id, const struct vrnet_rule *want,
		       __u32 *ids, size_t max, size_t *n)
{
	struct vrnet_prefix_value prefix;
	struct vrnet_portset_key sk = { .policy_id = id };
	struct vrnet_portset set;
	__u8 action = want->list == VRNET_LIST_BLOCK ? VRNET_ACTION_DENY : VRNET_ACTION_ALLOW;
	int ret = covering_prefix(st, id, want, &prefix);

	*n = 0;
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	sk.portset_id = prefix.portset_id;
	if (bpf_map_lookup_elem(st->portsets_fd, &sk, &set))
		return -errno;
	/*
	 * The rule's own entry is in the portset of its prefix, unless an
	 * entry with the same match stands for it and others (compile.c).
	 */
	for (__u32 i = 0; i < set.count && i < VRNET_MAX_PORTSET_ENTRIES; i++) {
		const struct vrnet_port_entry *e = &set.entries[i];
		__u32 rule = e->rule_id == VRNET_RULE_ID_OWN ? prefix.rule_id : e->rule_id;
		struct vrnet_chunk_key ck = { .policy_id = id, .chunk = rule / VRNET_RULES_PER_CHUNK };
		struct vrnet_rule_chunk chunk;

		if (e->action != action || e->proto != want->proto ||
		    e->any_port != want->any_port ||
		    (!e->any_port && (e->port_lo != want->port_lo || e->port_hi != want->port_hi)))
			continue;
		if (e->hides)
			return -EAGAIN;
		if (bpf_map_lookup_elem(st->rules_fd, &ck, &chunk))
			return -errno;
		if (!same_record(&chunk.rules[rule % VRNET_RULES_PER_CHUNK], want))
			continue;
		if (*n == max)
			return -E2BIG;
		ids[(*n)++] = rule;
	}
	return 0;
}

void vr_store_retire(struct vr_state *st, __u32 id, bool hits, __u32 more_hits)
{
	int ret = id ? vr_store_delete(st, id, hits, more_hits) : 0;

	if (ret) /* the new state is in force; the next change finishes this */
		vr_warn("couldn't remove the previous policy %u: %s", id, strerror(-ret));
}

int vr_store_reclaim(struct vr_state *st, size_t *removed)
{
	__u32 *named, *orphans = NULL, key, next, *prev = NULL;
	size_t n_named, n = 0, cap = 0;
	int ret = vr_device_policy_ids(st, &named, &n_named);

	*removed = 0;
	if (ret)
		return ret;
	while (!bpf_map_get_next_key(st->policies_fd, prev, &next)) {
		if (!bsearch(&next, named, n_named, sizeof(*named), vr_cmp_policy_id)) {
			if (n == cap) {
				__u32 *o = realloc(orphans, (cap = cap ? 2 * cap : 16) * sizeof(*o));

				if (!o) {
					ret = -ENOMEM;
					break;
				}
				orphans = o;
			}
			orphans[n++] = next;
		}
		key = next;
		prev = &key;
	}
	if (n && !ret)
		vr_wait_for_readers();
	for (size_t i = 0; !ret && i < n; i++) {
		/* an overlay's hits count under its base's id: as many as an overlay holds */
		ret = vr_store_delete(st, orphans[i], true, VRNET_MAX_OVERLAY_RULES);
		if (!ret)
			vr_debug("removed policy %u, left by a command that did not finish",
				 orphans[i]);
	}
	*removed = ret ? 0 : n;
	free(orphans);
	free(named);
	return ret;
}

int vr_store_sweep(struct vr_state *st, size_t *swept)
{
	static const struct {
		size_t fd_offset, key_size, id_offset;
	} maps[] = {
#define SWEPT(fd, key) { offsetof(struct vr_state, fd), sizeof(struct key), offsetof(struct key, policy_id) }
		SWEPT(host4_fd, vrnet_host4_key),    SWEPT(host6_fd, vrnet_host6_key),
		SWEPT(lpm4_fd, vrnet_lpm4_key),	     SWEPT(lpm6_fd, vrnet_lpm6_key),
		SWEPT(portsets_fd, vrnet_portset_key), SWEPT(rules_fd, vrnet_chunk_key),
		SWEPT(names_fd, vrnet_rule_key),     SWEPT(rulehits_fd, vrnet_rulehit_key),
		SWEPT(removed_fd, vrnet_rule_key),
#undef SWEPT
	};
	__u32 *used = NULL, key, next, *prev = NULL;
	size_t n_used = 0, cap = 0;
	int ret = 0;

	*swept = 0;
	while (!bpf_map_get_next_key(st->policies_fd, prev, &next)) {
		if (n_used == cap) {
			__u32 *u = realloc(used, (cap = cap ? 2 * cap : 256) * sizeof(*used));

			if (!u) {
				free(used);
				return -ENOMEM;
			}
			used = u;
		}
		used[n_used++] = next;
		key = next;
		prev = &key;
	}
	if (n_used)
		qsort(used, n_used, sizeof(*used), vr_cmp_policy_id);
	for (size_t i = 0; !ret && i < sizeof(maps) / sizeof(maps[0]); i++)
		ret = sweep_map(*(int *)((char *)st + maps[i].fd_offset), maps[i].key_size,
				maps[i].id_offset, used, n_used, swept);
	free(used);
	return ret;
}
