// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compile.h"

/* One port entry of one prefix, before folding. */
struct leaf {
	bool inbound; /* of an inbound rule: a source prefix */
	uint8_t family;
	uint8_t prefixlen;
	uint8_t addr[16];
	struct vrnet_port_entry entry;
};

struct builder {
	struct vr_compiled *out;
	size_t rule_cap, name_cap;
	struct leaf *leaves;
	size_t leaf_count, leaf_cap;
	/* open-addressing index of portsets by content */
	uint32_t *set_index;
	size_t set_index_cap, set_cap;
	uint32_t first_rule_id;
	bool names_only; /* DOMAIN records without addresses: the DNS proxy opens those */
	char *err;
	size_t errlen;
};

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t n;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static int add_record(struct builder *b, const struct vrnet_rule *rec, uint32_t *id)
{
	struct vr_compiled *c = b->out;

	if (c->rule_count >= VRNET_MAX_POLICY_RULES) {
		snprintf(b->err, b->errlen,
			 "more than %d rules and resolved addresses (the limit of one policy)",
			 VRNET_MAX_POLICY_RULES);
		return -EINVAL;
	}
	if (grow((void **)&c->rules, &b->rule_cap, c->rule_count + 1, sizeof(*rec)))
		return -ENOMEM;
	*id = (uint32_t)c->rule_count;
	c->rules[c->rule_count++] = *rec;
	return 0;
}

static int add_leaf(struct builder *b, const struct vrnet_rule *rec, uint32_t id)
{
	struct leaf *l;

	if (grow((void **)&b->leaves, &b->leaf_cap, b->leaf_count + 1, sizeof(*l)))
		return -ENOMEM;
	l = &b->leaves[b->leaf_count++];
	memset(l, 0, sizeof(*l));
	l->inbound = vrnet_list_is_inbound(rec->list);
	l->family = rec->family;
	l->prefixlen = rec->prefixlen;
	memcpy(l->addr, rec->addr, 16);
	l->entry.proto = rec->proto;
	l->entry.any_port = rec->any_port;
	l->entry.port_lo = rec->port_lo;
	l->entry.port_hi = rec->port_hi;
	l->entry.action = vrnet_list_blocks(rec->list) ? VRNET_ACTION_DENY : VRNET_ACTION_ALLOW;
	l->entry.rule_id = b->first_rule_id + id;
	return 0;
}

void vr_record_of_rule(const struct vr_rule *r, int list, struct vrnet_rule *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->kind = r->kind;
	rec->list = (uint8_t)list;
	rec->proto = r->proto;
	rec->family = r->family;
	rec->prefixlen = r->prefixlen;
	rec->any_port = r->any_port;
	rec->port_lo = r->port_lo;
	rec->port_hi = r->port_hi;
	memcpy(rec->addr, r->addr, 16);
}

static int add_domain(struct builder *b, const struct vr_rule *r, int list,
		      vr_resolve_fn resolve, void *ctx)
{
	struct vr_compiled *c = b->out;
	struct vr_addr addrs[VR_MAX_ADDRS_PER_NAME];
	struct vrnet_rule rec;
	uint32_t domain_id, id;
	char why[200];
	int n, ret;

	if (b->names_only) {
		n = 0;
	} else if (r->name[0] == '*') {
		snprintf(b->err, b->errlen,
			 "%s: a wildcard is served by the DNS proxy only (\"dns_proxy\": true)",
			 r->name);
		return -EINVAL;
	} else if (!resolve) {
		snprintf(b->err, b->errlen, "%s: domain rules need a resolver", r->name);
		return -EINVAL;
	} else {
		n = resolve(ctx, r->name, addrs, VR_MAX_ADDRS_PER_NAME, why, sizeof(why));
	}
	if (n < 0) {
		snprintf(b->err, b->errlen, "%s: %s", r->name, why);
		return n == -ENOMEM ? n : -EINVAL;
	}
	vr_record_of_rule(r, list, &rec);
	ret = add_record(b, &rec, &domain_id);
	if (ret)
		return ret;
	if (grow((void **)&c->names, &b->name_cap, c->name_count + 1, sizeof(*c->names)))
		return -ENOMEM;
	c->names[c->name_count].rule_id = domain_id;
	snprintf(c->names[c->name_count].name, VRNET_MAX_NAME_LEN, "%s", r->name);
	c->name_count++;

	for (int i = 0; i < n; i++) {
		rec.kind = VRNET_RULE_RESOLVED;
		rec.family = addrs[i].family;
		rec.prefixlen = addrs[i].family == 4 ? 32 : 128;
		rec.parent = domain_id;
		memset(rec.addr, 0, 16);
		memcpy(rec.addr, addrs[i].addr, addrs[i].family == 4 ? 4 : 16);
		ret = add_record(b, &rec, &id);
		if (!ret)
			ret = add_leaf(b, &rec, id);
		if (ret)
			return ret;
	}
	return 0;
}

static int add_rule(struct builder *b, const struct vr_rule *r, int list, vr_resolve_fn resolve,
		    void *ctx)
{
	struct vrnet_rule rec;
	uint32_t id;
	int ret;

	if (r->kind == VRNET_RULE_DOMAIN)
		return add_domain(b, r, list, resolve, ctx);
	vr_record_of_rule(r, list, &rec);
	ret = add_record(b, &rec, &id);
	return ret ? ret : add_leaf(b, &rec, id);
}

/*
 * The rules of all lists in the order they were added (vr_rule.seq), so an
 * edit that adds an allow rule after a block rule leaves the block rule's id
 * where it was. Each list is in that order already: a merge.
 */
static int add_rules(struct builder *b, const struct vr_policy *p, vr_resolve_fn resolve,
		     void *ctx)
{
	const struct vr_rule_list *lists[] = { &p->allow, &p->block, &p->dns, &p->inbound_allow,
					       &p->inbound_block };
	static const int list_of[] = { VRNET_LIST_ALLOW, VRNET_LIST_BLOCK, VRNET_LIST_DNS,
				       VRNET_LIST_INBOUND_ALLOW, VRNET_LIST_INBOUND_BLOCK };
	size_t next[5] = { 0 };

	for (;;) {
		int pick = -1, ret;
		size_t before;

		for (int l = 0; l < 5; l++)
			if (next[l] < lists[l]->count &&
			    (pick < 0 ||
			     lists[l]->rules[next[l]].seq < lists[pick]->rules[next[pick]].seq))
				pick = l;
		if (pick < 0)
			return 0;
		before = b->out->rule_count;
		ret = add_rule(b, &lists[pick]->rules[next[pick]++], list_of[pick], resolve, ctx);
		if (ret)
			return ret;
		if (list_of[pick] == VRNET_LIST_DNS)
			b->out->dns_count += (uint32_t)(b->out->rule_count - before);
	}
}

/* Ancestors sort before their descendants; equal prefixes end up adjacent. */
static int leaf_cmp(const void *pa, const void *pb)
{
	const struct leaf *a = pa, *b = pb;
	int d = memcmp(a->addr, b->addr, 16);

	if (a->inbound != b->inbound)
		return a->inbound - b->inbound;
	if (a->family != b->family)
		return a->family - b->family;
	if (d)
		return d;
	if (a->prefixlen != b->prefixlen)
		return a->prefixlen - b->prefixlen;
	return (a->entry.rule_id > b->entry.rule_id) - (a->entry.rule_id < b->entry.rule_id);
}

static bool prefix_contains(const struct vr_prefix *outer, const struct vr_prefix *inner)
{
	int bits = outer->prefixlen;

	if (outer->inbound != inner->inbound || outer->family != inner->family ||
	    outer->prefixlen > inner->prefixlen)
		return false;
	if (memcmp(outer->addr, inner->addr, (size_t)bits / 8))
		return false;
	if (bits % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - bits % 8));

		return (outer->addr[bits / 8] & mask) == (inner->addr[bits / 8] & mask);
	}
	return true;
}

static bool same_prefix(const struct leaf *l, const struct vr_prefix *p)
{
	return l->inbound == p->inbound && l->family == p->family &&
	       l->prefixlen == p->prefixlen && !memcmp(l->addr, p->addr, 16);
}

static bool same_match(const struct vrnet_port_entry *a, const struct vrnet_port_entry *b)
{
	return a->proto == b->proto && a->any_port == b->any_port &&
	       a->action == b->action &&
	       (a->any_port || (a->port_lo == b->port_lo && a->port_hi == b->port_hi));
}

/*
 * Appends @e unless an entry with the same match is there already, which
 * then stands for @e's rule too: it is marked, so a removal of its rule
 * alone knows it cannot just skip it (overlay.c).
 */
static int set_add(struct vrnet_portset *set, const struct vrnet_port_entry *e)
{
	for (uint32_t i = 0; i < set->count; i++)
		if (same_match(&set->entries[i], e)) {
			set->entries[i].hides = 1;
			return 0;
		}
	if (set->count == VRNET_MAX_PORTSET_ENTRIES)
		return -E2BIG;
	set->entries[set->count++] = *e;
	return 0;
}

/*
 * Adds the entries of @src with @action to @set. An inherited entry marked
 * VRNET_RULE_ID_OWN belongs to the ancestor: it gets the ancestor's rule id
 * (@owner, NULL for the prefix's own entries) so it does not take the
 * descendant's.
 */
static int merge(struct vrnet_portset *set, const struct vrnet_portset *src, int action,
		 const struct vr_prefix *owner)
{
	for (uint32_t k = 0; k < src->count; k++) {
		struct vrnet_port_entry e = src->entries[k];

		if (e.action != action)
			continue;
		if (owner && e.rule_id == VRNET_RULE_ID_OWN)
			e.rule_id = owner->rule_id;
		if (set_add(set, &e))
			return -E2BIG;
	}
	return 0;
}

static uint64_t set_hash(const struct vrnet_portset *set)
{
	const uint8_t *p = (const uint8_t *)set;
	size_t len = sizeof(set->count) + set->count * sizeof(set->entries[0]);
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static bool set_equal(const struct vrnet_portset *a, const struct vrnet_portset *b)
{
	return a->count == b->count &&
	       !memcmp(a->entries, b->entries, a->count * sizeof(a->entries[0]));
}

/* Returns the id of a portset equal to @set, adding it if it is new. */
static int intern_set(struct builder *b, const struct vrnet_portset *set, uint32_t *id)
{
	struct vr_compiled *c = b->out;
	size_t mask, slot;

	if ((c->portset_count + 1) * 2 > b->set_index_cap) {
		size_t cap = b->set_index_cap ? b->set_index_cap * 2 : 1024;
		uint32_t *idx = malloc(cap * sizeof(*idx));

		if (!idx)
			return -ENOMEM;
		memset(idx, 0xff, cap * sizeof(*idx));
		for (size_t i = 0; i < c->portset_count; i++) {
			slot = set_hash(&c->portsets[i]) & (cap - 1);
			while (idx[slot] != UINT32_MAX)
				slot = (slot + 1) & (cap - 1);
			idx[slot] = (uint32_t)i;
		}
		free(b->set_index);
		b->set_index = idx;
		b->set_index_cap = cap;
	}
	mask = b->set_index_cap - 1;
	for (slot = set_hash(set) & mask; b->set_index[slot] != UINT32_MAX;
	     slot = (slot + 1) & mask) {
		if (set_equal(&c->portsets[b->set_index[slot]], set)) {
			*id = b->set_index[slot];
			return 0;
		}
	}
	if (c->portset_count >= VRNET_MAX_PORTSETS) {
		snprintf(b->err, b->errlen, "more than %d distinct port sets", VRNET_MAX_PORTSETS);
		return -EINVAL;
	}
	if (grow((void **)&c->portsets, &b->set_cap, c->portset_count + 1, sizeof(*set)))
		return -ENOMEM;
	*id = (uint32_t)c->portset_count;
	c->portsets[c->portset_count++] = *set;
	b->set_index[slot] = *id;
	return 0;
}

static void prefix_text(const struct vr_prefix *p, char *buf, size_t len)
{
	vr_addr_format(p->family, p->addr, p->prefixlen, buf, len);
}

/*
 * Folds the leaves into prefixes. Leaves are sorted so a stack holds the chain
 * of prefixes that contain the current one; each prefix's portset is its
 * nearest ancestor's portset plus its own entries, block entries first.
 */
static int fold(struct builder *b)
{
	struct vr_compiled *c = b->out;
	size_t stack_len = 0;
	size_t *stack; /* chain of containing prefixes: indices into c->prefixes */
	int ret = 0;

	if (b->leaf_count) /* an empty policy has no leaves array at all */
		qsort(b->leaves, b->leaf_count, sizeof(*b->leaves), leaf_cmp);
	c->prefixes = calloc(b->leaf_count ? b->leaf_count : 1, sizeof(*c->prefixes));
	stack = calloc(130, sizeof(*stack));
	if (!c->prefixes || !stack) {
		free(stack);
		return -ENOMEM;
	}

	for (size_t i = 0; i < b->leaf_count;) {
		struct vr_prefix *p = &c->prefixes[c->prefix_count];
		struct vrnet_portset own = { 0 }, set = { 0 };
		size_t j;

		p->inbound = b->leaves[i].inbound;
		p->family = b->leaves[i].family;
		p->prefixlen = b->leaves[i].prefixlen;
		memcpy(p->addr, b->leaves[i].addr, 16);

		for (j = i; j < b->leaf_count && same_prefix(&b->leaves[j], p); j++)
			;
		/* own entries of this prefix, blocks first */
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = i; k < j; k++) {
				const struct vrnet_port_entry *e = &b->leaves[k].entry;

				if ((pass == 0) != (e->action == VRNET_ACTION_DENY))
					continue;
				if (set_add(&own, e))
					goto too_many;
			}
		i = j;

		while (stack_len && !prefix_contains(&c->prefixes[stack[stack_len - 1]], p))
			stack_len--;

		/* one own entry: its rule id moves to the prefix so portsets share */
		p->rule_id = own.entries[0].rule_id;
		if (own.count == 1)
			own.entries[0].rule_id = VRNET_RULE_ID_OWN;

		if (stack_len) {
			const struct vr_prefix *up = &c->prefixes[stack[stack_len - 1]];
			const struct vrnet_portset *parent = &c->portsets[up->portset_id];

			if (merge(&set, &own, VRNET_ACTION_DENY, NULL) ||
			    merge(&set, parent, VRNET_ACTION_DENY, up) ||
			    merge(&set, &own, VRNET_ACTION_ALLOW, NULL) ||
			    merge(&set, parent, VRNET_ACTION_ALLOW, up))
				goto too_many;
		} else {
			set = own;
		}

		ret = intern_set(b, &set, &p->portset_id);
		if (ret)
			goto out;
		if (p->family == 4)
			c->prefix_count4++;
		c->prefix_count++;
		if (c->prefix_count4 > VRNET_MAX_POLICY_PREFIXES ||
		    c->prefix_count - c->prefix_count4 > VRNET_MAX_POLICY_PREFIXES) {
			snprintf(b->err, b->errlen, "more than %d IPv%d prefixes in one policy",
				 VRNET_MAX_POLICY_PREFIXES, p->family);
			ret = -EINVAL;
			goto out;
		}
		stack[stack_len++] = c->prefix_count - 1;
	}
	goto out;

too_many: {
	char text[64];

	prefix_text(&c->prefixes[c->prefix_count], text, sizeof(text));
	snprintf(b->err, b->errlen,
		 "%s is covered by more than %d distinct port/protocol rules",
		 text, VRNET_MAX_PORTSET_ENTRIES);
	ret = -EINVAL;
}
out:
	free(stack);
	return ret;
}

int vr_compile(const struct vr_policy *p, vr_resolve_fn resolve, void *ctx,
	       struct vr_compiled *out, char *err, size_t errlen)
{
	return vr_compile_from(p, 0, resolve, ctx, out, err, errlen);
}

int vr_compile_from(const struct vr_policy *p, uint32_t first_rule_id, vr_resolve_fn resolve,
		    void *ctx, struct vr_compiled *out, char *err, size_t errlen)
{
	struct builder b = { .out = out, .first_rule_id = first_rule_id,
			     .names_only = p->dns_proxy, .err = err, .errlen = errlen };
	int ret;

	memset(out, 0, sizeof(*out));
	ret = add_rules(&b, p, resolve, ctx);
	if (!ret)
		ret = fold(&b);
	out->source_rules = (uint32_t)vr_policy_rule_count(p);
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	free(b.leaves);
	free(b.set_index);
	if (ret)
		vr_compiled_free(out);
	return ret;
}

int vr_compiled_remove(struct vr_compiled *c, uint32_t base_rule_id)
{
	struct vrnet_rule *rules = realloc(c->rules, (c->rule_count + 1) * sizeof(*rules));

	if (!rules)
		return -ENOMEM;
	c->rules = rules;
	memset(&rules[c->rule_count], 0, sizeof(*rules));
	rules[c->rule_count].kind = VRNET_RULE_REMOVED;
	rules[c->rule_count++].parent = base_rule_id;
	return 0;
}

void vr_compiled_free(struct vr_compiled *c)
{
	free(c->rules);
	free(c->names);
	free(c->prefixes);
	free(c->portsets);
	memset(c, 0, sizeof(*c));
}
