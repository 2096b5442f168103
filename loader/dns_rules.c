// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include "dns_rules.h"

int vr_dns_rules_init(struct vr_dns_rules_cache *c)
{
	c->slot = calloc(VRNET_MAX_DEVICES, sizeof(*c->slot));
	return c->slot ? 0 : -ENOMEM;
}

static void rules_free(struct vr_dns_rules *r)
{
	if (!r)
		return;
	free(r->p);
	free(r->opens);
	free(r->blocks);
	free(r);
}

void vr_dns_rules_free(struct vr_dns_rules_cache *c)
{
	for (__u32 i = 0; c->slot && i < VRNET_MAX_DEVICES; i++)
		rules_free(c->slot[i]);
	free(c->slot);
	c->slot = NULL;
}

static __u64 word_now(const struct vr_state *st, __u32 slot)
{
	return __atomic_load_n(&st->switch_words[slot], __ATOMIC_ACQUIRE);
}

/* What the proxy needs of @dp; NULL if out of memory. */
static struct vr_dns_rules *rules_of(const struct vr_device_policy *dp)
{
	struct vr_dns_rules *r = calloc(1, sizeof(*r));
	size_t n_blocks = 0;

	if (!r)
		return NULL;
	r->dev = dp->dev;
	for (__u32 i = 0; i < dp->count; i++)
		n_blocks += dp->rules[i].kind == VRNET_RULE_CIDR &&
			    dp->rules[i].list == VRNET_LIST_BLOCK;
	r->blocks = calloc(n_blocks + 1, sizeof(*r->blocks));
	if (!r->blocks ||
	    vr_name_patterns_of(dp->rules, (const char(*)[VRNET_MAX_NAME_LEN])dp->names,
				dp->count, &r->p, &r->n) ||
	    !(r->opens = calloc(r->n + 1, sizeof(*r->opens)))) {
		rules_free(r);
		return NULL;
	}
	for (__u32 i = 0; i < dp->count; i++)
		if (dp->rules[i].kind == VRNET_RULE_CIDR && dp->rules[i].list == VRNET_LIST_BLOCK)
			r->blocks[r->n_blocks++] = dp->rules[i];
	for (size_t i = 0; i < r->n; i++) {
		const struct vrnet_rule *rule = &dp->rules[r->p[i].rule_id];

		r->opens[i] = (struct vrnet_port_entry){ .port_lo = rule->port_lo,
							 .port_hi = rule->port_hi,
							 .proto = rule->proto,
							 .action = VRNET_ACTION_ALLOW,
							 .any_port = rule->any_port,
							 .rule_id = r->p[i].rule_id };
	}
	return r;
}

int vr_dns_rules_get(struct vr_state *st, struct vr_dns_rules_cache *c, __u32 slot,
		     const struct vr_dns_rules **out)
{
	struct vr_device_policy dp = { 0 };
	struct vr_dns_rules *r = NULL;
	__u64 word;
	int ret;

	if (slot >= VRNET_MAX_DEVICES)
		return -ENOENT;
	r = c->slot[slot];
	if (r && r->word == word_now(st, slot)) {
		*out = r;
		return 0;
	}
	rules_free(r);
	c->slot[slot] = NULL;
	while (flock(st->dir_fd, LOCK_SH) && errno == EINTR)
		; /* never a policy half-way through a change */
	word = word_now(st, slot);
	ret = vr_device_policy_read_slot(st, slot, &dp);
	flock(st->dir_fd, LOCK_UN);
	if (ret == -ENOENT) /* no device: kept as one without a policy, until its word changes */
		r = calloc(1, sizeof(*r));
	else if (!ret)
		r = rules_of(&dp);
	vr_device_policy_free(&dp);
	if (ret && ret != -ENOENT)
		return ret;
	if (!r)
		return -ENOMEM;
	r->word = word;
	c->slot[slot] = r;
	*out = r;
	return 0;
}

void vr_dns_rules_prune(struct vr_state *st, struct vr_dns_rules_cache *c)
{
	for (__u32 i = 0; i < VRNET_MAX_DEVICES; i++)
		if (c->slot[i] && c->slot[i]->word != word_now(st, i)) {
			rules_free(c->slot[i]);
			c->slot[i] = NULL;
		}
}

int vr_dns_rules_decide(const struct vr_dns_rules *r, const ldns_rdf *qname, bool *allowed)
{
	int rule;

	if (!r->dev.policy_id || !r->dev.dns_proxy)
		return -ENOENT;
	rule = vr_name_decide(r->p, r->n, ldns_rdf_data(qname), ldns_rdf_size(qname));
	*allowed = rule >= 0 ? r->p[rule].list != VRNET_LIST_BLOCK :
			       r->dev.default_action == VRNET_ACTION_ALLOW;
	return rule;
}

bool vr_dns_rules_block(const ldns_rdf *name, void *ctx)
{
	const struct vr_dns_rules *r = ctx;
	int rule = vr_name_decide(r->p, r->n, ldns_rdf_data(name), ldns_rdf_size(name));

	return rule >= 0 && r->p[rule].list == VRNET_LIST_BLOCK;
}

/* Whether the prefix of the block rule @b covers @a. */
static bool covers(const struct vrnet_rule *b, const struct vr_dns_addr *a)
{
	int bits = b->prefixlen, bytes = bits / 8;

	if (b->family != a->family || memcmp(b->addr, a->addr, (size_t)bytes))
		return false;
	return bits % 8 == 0 ||
	       !((b->addr[bytes] ^ a->addr[bytes]) & (0xff00 >> (bits % 8)));
}

int vr_dns_rules_blocked(const struct vr_dns_rules *r, const struct vr_dns_addr *addrs, int n)
{
	int blocked = 0;

	for (int i = 0; i < n; i++)
		for (size_t b = 0; b < r->n_blocks; b++)
			if (covers(&r->blocks[b], &addrs[i])) {
				blocked++;
				break;
			}
	return blocked;
}
