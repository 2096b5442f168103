// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vr_compile: rule records, name records, prefix folding and portsets, with a
 * fake resolver. A reference lookup does what the datapath does with the
 * compiled maps (longest prefix, then the portset) and is checked against
 * known answers and against a naive evaluation of the rules themselves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compile.h"

#define assert_contains(s, sub)                                              \
	do {                                                                 \
		if (!strstr((s), (sub)))                                     \
			fail_msg("\"%s\" does not contain \"%s\"", (s), (sub)); \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fake resolver ---- */

struct fake_name {
	const char *name;
	const char *addrs[4];
};

static const struct fake_name fake_names[] = {
	{ "example.com", { "10.1.2.3", "2606:2800::1" } },
	{ "multi.example", { "192.0.2.1", "192.0.2.2", "2001:db8::5" } },
	{ "empty.example", { NULL } },
};

struct fake_ctx {
	int calls;
};

static int fake_resolve(void *ctx, const char *name, struct vr_addr *out, int max,
			char *err, size_t errlen)
{
	struct fake_ctx *f = ctx;

	if (f)
		f->calls++;
	for (size_t i = 0; i < ARRAY_SIZE(fake_names); i++) {
		int n = 0;

		if (strcmp(fake_names[i].name, name))
			continue;
		for (; n < 4 && fake_names[i].addrs[n] && n < max; n++) {
			const char *a = fake_names[i].addrs[n];

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = strchr(a, ':') ? 6 : 4;
			assert_int_equal(inet_pton(out[n].family == 4 ? AF_INET : AF_INET6, a,
						   out[n].addr),
					 1);
		}
		return n;
	}
	snprintf(err, errlen, "no such name (fake resolver)");
	return -ENOENT;
}

/* ---- helpers ---- */

static void add_rules(struct vr_policy *p, int list, const char *const *texts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vr_rule r;
		char err[256];
		int ret = list == VRNET_LIST_DNS ? vr_dns_rule_parse(texts[i], &r, err, sizeof(err)) :
						   vr_rule_parse(texts[i], &r, err, sizeof(err));

		if (ret)
			fail_msg("%s: %s", texts[i], err);
		assert_int_equal(vr_policy_add(p, list, &r), 0);
	}
}

#define ADD(p, list, ...)                                                  \
	do {                                                               \
		static const char *const t_[] = { __VA_ARGS__ };           \
		add_rules((p), (list), t_, ARRAY_SIZE(t_));                \
	} while (0)

static void compile_ok(const struct vr_policy *p, struct vr_compiled *c)
{
	struct fake_ctx f = { 0 };
	char err[256] = "";

	if (vr_compile(p, fake_resolve, &f, c, err, sizeof(err)))
		fail_msg("vr_compile: %s", err);
}

static void addr_of(const char *text, int *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	*family = strchr(text, ':') ? 6 : 4;
	assert_int_equal(inet_pton(*family == 4 ? AF_INET : AF_INET6, text, addr), 1);
}

static const struct vr_prefix *find_prefix(const struct vr_compiled *c, const char *addr,
					   int prefixlen)
{
	uint8_t a[16];
	int family;

	addr_of(addr, &family, a);
	for (size_t i = 0; i < c->prefix_count; i++) {
		const struct vr_prefix *p = &c->prefixes[i];

		if (p->family == family && p->prefixlen == prefixlen && !memcmp(p->addr, a, 16))
			return p;
	}
	fail_msg("no prefix %s/%d", addr, prefixlen);
	return NULL;
}

static const struct vrnet_portset *set_of(const struct vr_compiled *c,
					  const struct vr_prefix *p)
{
	assert_true(p->portset_id < c->portset_count);
	return &c->portsets[p->portset_id];
}

static void check_entry(const struct vrnet_port_entry *e, int action, int proto, bool any_port,
			int lo, int hi, uint32_t rule_id)
{
	assert_int_equal(e->action, action);
	assert_int_equal(e->proto, proto);
	assert_int_equal(e->any_port, any_port);
	if (!any_port) {
		assert_int_equal(e->port_lo, lo);
		assert_int_equal(e->port_hi, hi);
	}
	assert_int_equal(e->rule_id, rule_id);
}

static bool covers(int family, const uint8_t *net, int prefixlen, const uint8_t *addr)
{
	for (int bit = 0; bit < prefixlen; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((net[bit / 8] & m) != (addr[bit / 8] & m))
			return false;
	}
	return family == 4 ? prefixlen <= 32 : prefixlen <= 128;
}

struct probe {
	const char *addr;
	int proto; /* enum vrnet_proto */
	int port;
};

#define DEFAULT (-1)

/*
 * What the datapath decides for @pr with the compiled maps: the longest
 * matching prefix's portset; a matching block entry wins, else the first
 * matching allow entry, else DEFAULT. *@rule_id is the deciding rule.
 */
static int ref_lookup(const struct vr_compiled *c, const struct probe *pr, uint32_t *rule_id)
{
	const struct vr_prefix *best = NULL;
	const struct vrnet_portset *set;
	int family, action = DEFAULT;
	uint8_t a[16];

	addr_of(pr->addr, &family, a);
	for (size_t i = 0; i < c->prefix_count; i++) {
		const struct vr_prefix *p = &c->prefixes[i];

		if (p->family == family && covers(family, p->addr, p->prefixlen, a) &&
		    (!best || p->prefixlen > best->prefixlen))
			best = p;
	}
	if (!best)
		return DEFAULT;
	set = set_of(c, best);
	assert_true(set->count <= VRNET_MAX_PORTSET_ENTRIES);
	for (uint32_t i = 0; i < set->count; i++) {
		const struct vrnet_port_entry *e = &set->entries[i];
		uint32_t id = e->rule_id == VRNET_RULE_ID_OWN ? best->rule_id : e->rule_id;
		bool has_port = pr->proto == VRNET_PROTO_TCP || pr->proto == VRNET_PROTO_UDP;

		if (e->proto != VRNET_PROTO_ANY && e->proto != pr->proto)
			continue;
		if (!e->any_port && !(has_port && pr->port >= e->port_lo && pr->port <= e->port_hi))
			continue;
		/* the deciding rule exists, is of the right list and covers the address */
		assert_true(id < c->rule_count);
		assert_int_equal(c->rules[id].list == VRNET_LIST_BLOCK,
				 e->action == VRNET_ACTION_DENY);
		assert_true(c->rules[id].family == family &&
			    covers(family, c->rules[id].addr, c->rules[id].prefixlen, a));
		if (e->action == VRNET_ACTION_DENY) {
			*rule_id = id;
			return VRNET_ACTION_DENY;
		}
		if (action == DEFAULT) {
			action = VRNET_ACTION_ALLOW;
			*rule_id = id;
		}
	}
	return action;
}

/* The same decision straight from the rule records, without prefixes. */
static int naive_lookup(const struct vr_compiled *c, const struct probe *pr)
{
	int family, action = DEFAULT;
	uint8_t a[16];

	addr_of(pr->addr, &family, a);
	for (size_t i = 0; i < c->rule_count; i++) {
		const struct vrnet_rule *r = &c->rules[i];
		bool has_port = pr->proto == VRNET_PROTO_TCP || pr->proto == VRNET_PROTO_UDP;

		if (r->kind == VRNET_RULE_DOMAIN || r->family != family ||
		    !covers(family, r->addr, r->prefixlen, a))
			continue;
		if (r->proto != VRNET_PROTO_ANY && r->proto != pr->proto)
			continue;
		if (!r->any_port && !(has_port && pr->port >= r->port_lo && pr->port <= r->port_hi))
			continue;
		if (r->list == VRNET_LIST_BLOCK)
			return VRNET_ACTION_DENY;
		action = VRNET_ACTION_ALLOW;
	}
	return action;
}

/* ---- tests ---- */

static void test_rule_records(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	uint8_t a[16];
	int family;

	vr_policy_init(&p);
	ADD(&p, VRNET_LIST_ALLOW, "10.0.0.0/8:443/tcp", "example.com:443/tcp");
	ADD(&p, VRNET_LIST_BLOCK, "10.1.0.0/16", "multi.example", "empty.example:*/udp");
	ADD(&p, VRNET_LIST_DNS, "8.8.8.8", "::1");
	compile_ok(&p, &c);

	static const struct {
		int kind, list, family, prefixlen, proto;
		bool any_port;
		int port;
		const char *addr;
		uint32_t parent;
	} want[] = {
		{ VRNET_RULE_CIDR, VRNET_LIST_ALLOW, 4, 8, VRNET_PROTO_TCP, false, 443, "10.0.0.0", 0 },
		{ VRNET_RULE_DOMAIN, VRNET_LIST_ALLOW, 0, 0, VRNET_PROTO_TCP, false, 443, NULL, 0 },
		{ VRNET_RULE_RESOLVED, VRNET_LIST_ALLOW, 4, 32, VRNET_PROTO_TCP, false, 443,
		  "10.1.2.3", 1 },
		{ VRNET_RULE_RESOLVED, VRNET_LIST_ALLOW, 6, 128, VRNET_PROTO_TCP, false, 443,
		  "2606:2800::1", 1 },
		{ VRNET_RULE_CIDR, VRNET_LIST_BLOCK, 4, 16, VRNET_PROTO_ANY, true, 0, "10.1.0.0", 0 },
		{ VRNET_RULE_DOMAIN, VRNET_LIST_BLOCK, 0, 0, VRNET_PROTO_ANY, true, 0, NULL, 0 },
		{ VRNET_RULE_RESOLVED, VRNET_LIST_BLOCK, 4, 32, VRNET_PROTO_ANY, true, 0,
		  "192.0.2.1", 5 },
		{ VRNET_RULE_RESOLVED, VRNET_LIST_BLOCK, 4, 32, VRNET_PROTO_ANY, true, 0,
		  "192.0.2.2", 5 },
		{ VRNET_RULE_RESOLVED, VRNET_LIST_BLOCK, 6, 128, VRNET_PROTO_ANY, true, 0,
		  "2001:db8::5", 5 },
		{ VRNET_RULE_DOMAIN, VRNET_LIST_BLOCK, 0, 0, VRNET_PROTO_UDP, true, 0, NULL, 0 },
		{ VRNET_RULE_CIDR, VRNET_LIST_DNS, 4, 32, VRNET_PROTO_ANY, false, 53, "8.8.8.8", 0 },
		{ VRNET_RULE_CIDR, VRNET_LIST_DNS, 6, 128, VRNET_PROTO_ANY, false, 53, "::1", 0 },
	};

	assert_int_equal(c.rule_count, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct vrnet_rule *r = &c.rules[i];

		if (r->kind != want[i].kind || r->list != want[i].list ||
		    r->family != want[i].family || r->prefixlen != want[i].prefixlen ||
		    r->proto != want[i].proto || r->any_port != want[i].any_port)
			fail_msg("rule %zu: kind %u list %u family %u len %u proto %u any %u", i,
				 r->kind, r->list, r->family, r->prefixlen, r->proto, r->any_port);
		if (!want[i].any_port) {
			assert_int_equal(r->port_lo, want[i].port);
			assert_int_equal(r->port_hi, want[i].port);
		}
		memset(a, 0, sizeof(a));
		if (want[i].addr)
			addr_of(want[i].addr, &family, a);
		assert_memory_equal(r->addr, a, 16);
		if (r->kind == VRNET_RULE_RESOLVED)
			assert_int_equal(r->parent, want[i].parent);
	}

	assert_int_equal(c.name_count, 3);
	assert_int_equal(c.names[0].rule_id, 1);
	assert_string_equal(c.names[0].name, "example.com");
	assert_int_equal(c.names[1].rule_id, 5);
	assert_string_equal(c.names[1].name, "multi.example");
	assert_int_equal(c.names[2].rule_id, 9);
	assert_string_equal(c.names[2].name, "empty.example");
	assert_int_equal(c.dns_count, 2);

	/* one prefix per address or CIDR: 10/8 10.1/16 10.1.2.3 192.0.2.1 .2 8.8.8.8 */
	size_t v4 = 0;

	for (size_t i = 0; i < c.prefix_count; i++)
		v4 += c.prefixes[i].family == 4;
	assert_int_equal(c.prefix_count, 9);
	assert_int_equal(c.prefix_count4, 6);
	assert_int_equal(v4, 6);
	find_prefix(&c, "2606:2800::1", 128);
	find_prefix(&c, "2001:db8::5", 128);
	find_prefix(&c, "::1", 128);
	find_prefix(&c, "8.8.8.8", 32);
	vr_compiled_free(&c);
	assert_null(c.rules);
	assert_int_equal(c.rule_count, 0);
	vr_policy_free(&p);
}

static void test_empty_policy(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;

	vr_policy_init(&p);
	compile_ok(&p, &c);
	assert_int_equal(c.rule_count, 0);
	assert_int_equal(c.prefix_count, 0);
	assert_int_equal(c.portset_count, 0);
	assert_int_equal(c.dns_count, 0);
	vr_compiled_free(&c);
}

static void test_fold_inherits_ancestor_rule_id(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vr_prefix *p8, *p16, *p24;
	const struct vrnet_portset *s;

	vr_policy_init(&p);
	ADD(&p, VRNET_LIST_ALLOW, "10.0.0.0/8:443/tcp", "10.1.2.0/24:80/tcp");
	ADD(&p, VRNET_LIST_BLOCK, "10.1.0.0/16");
	compile_ok(&p, &c);

	p8 = find_prefix(&c, "10.0.0.0", 8);
	assert_int_equal(p8->rule_id, 0);
	s = set_of(&c, p8);
	assert_int_equal(s->count, 1);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443,
		    VRNET_RULE_ID_OWN);

	/* the block comes first; the inherited allow names rule 0, not "own" */
	p16 = find_prefix(&c, "10.1.0.0", 16);
	assert_int_equal(p16->rule_id, 2);
	s = set_of(&c, p16);
	assert_int_equal(s->count, 2);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_ANY, true, 0, 0,
		    VRNET_RULE_ID_OWN);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443, 0);

	/* two levels down: inherited block with id 2, own allow, then allow 0 */
	p24 = find_prefix(&c, "10.1.2.0", 24);
	assert_int_equal(p24->rule_id, 1);
	s = set_of(&c, p24);
	assert_int_equal(s->count, 3);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_ANY, true, 0, 0, 2);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 80, 80,
		    VRNET_RULE_ID_OWN);
	check_entry(&s->entries[2], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443, 0);

	assert_int_equal(c.prefix_count, 3);
	assert_int_equal(c.portset_count, 3);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

static void test_own_entries(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vr_prefix *pf;
	const struct vrnet_portset *s;

	vr_policy_init(&p);
	/* 0, 1: a second rule with the same match adds no entry */
	ADD(&p, VRNET_LIST_ALLOW, "10.0.0.1:443/tcp", "10.0.0.1:443/tcp",
	    /* 2, 3 */ "10.0.0.2:80/tcp", "10.0.0.2:1000-2000/udp");
	/* 4 */
	ADD(&p, VRNET_LIST_BLOCK, "10.0.0.2:22/tcp");
	compile_ok(&p, &c);

	pf = find_prefix(&c, "10.0.0.1", 32);
	assert_int_equal(pf->rule_id, 0);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 1);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443,
		    VRNET_RULE_ID_OWN);

	/* several own entries keep their ids; blocks first */
	pf = find_prefix(&c, "10.0.0.2", 32);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 3);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_TCP, false, 22, 22, 4);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 80, 80, 2);
	check_entry(&s->entries[2], VRNET_ACTION_ALLOW, VRNET_PROTO_UDP, false, 1000, 2000, 3);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

/*
 * An entry that stands for another rule's too is marked (a removal of its
 * rule alone must re-apply); one that stands for its own rule only is not.
 */
static void test_hiding_entries_marked(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vrnet_portset *s;

	vr_policy_init(&p);
	/* 0: a /16 on 443; 1: a host inside on 443 too; 2: the host on 80; 3: another host twice */
	ADD(&p, VRNET_LIST_ALLOW, "10.1.0.0/16:443/tcp", "10.1.0.1:443/tcp", "10.1.0.1:80/tcp",
	    "10.1.0.2:22/tcp", "10.1.0.2:22/tcp");
	compile_ok(&p, &c);

	s = set_of(&c, find_prefix(&c, "10.1.0.0", 16));
	assert_int_equal(s->count, 1);
	assert_int_equal(s->entries[0].hides, 0);

	/* the host's own 443 entry stands for the /16's in the host's portset */
	s = set_of(&c, find_prefix(&c, "10.1.0.1", 32));
	assert_int_equal(s->count, 2);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443, 1);
	assert_int_equal(s->entries[0].hides, 1);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 80, 80, 2);
	assert_int_equal(s->entries[1].hides, 0);

	/* a rule written twice: one entry, for both */
	s = set_of(&c, find_prefix(&c, "10.1.0.2", 32));
	assert_int_equal(s->count, 2);
	assert_int_equal(s->entries[0].hides, 1);
	assert_int_equal(s->entries[1].hides, 0); /* the /16's, inherited */
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

static void test_shared_portset(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vrnet_portset *s;

	vr_policy_init(&p);
	for (int i = 0; i < 1000; i++) {
		char text[64], err[256];
		struct vr_rule r;

		snprintf(text, sizeof(text), "10.%d.%d.%d:443/tcp", i % 7, i / 256, i % 256);
		if (vr_rule_parse(text, &r, err, sizeof(err)))
			fail_msg("%s: %s", text, err);
		assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &r), 0);
	}
	compile_ok(&p, &c);
	assert_int_equal(c.rule_count, 1000);
	assert_int_equal(c.prefix_count, 1000);
	assert_int_equal(c.portset_count, 1);
	s = &c.portsets[0];
	assert_int_equal(s->count, 1);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443,
		    VRNET_RULE_ID_OWN);

	/* each prefix names its own rule, the rule for its address */
	bool *seen = calloc(1000, sizeof(*seen));

	assert_non_null(seen);
	for (size_t i = 0; i < c.prefix_count; i++) {
		const struct vr_prefix *pf = &c.prefixes[i];

		assert_int_equal(pf->portset_id, 0);
		assert_true(pf->rule_id < 1000);
		assert_false(seen[pf->rule_id]);
		seen[pf->rule_id] = true;
		assert_memory_equal(c.rules[pf->rule_id].addr, pf->addr, 16);
	}
	free(seen);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

static void test_families_do_not_fold(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vr_prefix *pf;
	const struct vrnet_portset *s;

	vr_policy_init(&p);
	/* 0..3: a00::/8 has the same leading byte as 10.0.0.0/8 */
	ADD(&p, VRNET_LIST_ALLOW, "0.0.0.0/0:80/tcp", "10.0.0.1:443/tcp",
	    "[2001:db8::1]:443/tcp", "[::/0]:53/udp");
	/* 4, 5 */
	ADD(&p, VRNET_LIST_BLOCK, "a00::/8", "0.0.0.0/0:25/tcp");
	compile_ok(&p, &c);

	pf = find_prefix(&c, "::", 0);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 1);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_UDP, false, 53, 53,
		    VRNET_RULE_ID_OWN);
	assert_int_equal(pf->rule_id, 3);

	pf = find_prefix(&c, "0.0.0.0", 0);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 2);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_TCP, false, 25, 25, 5);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 80, 80, 0);

	/* 10.0.0.1 inherits from 0.0.0.0/0 only, not from ::/0 or a00::/8 */
	pf = find_prefix(&c, "10.0.0.1", 32);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 3);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_TCP, false, 25, 25, 5);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443,
		    VRNET_RULE_ID_OWN);
	check_entry(&s->entries[2], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 80, 80, 0);

	/* IPv6 prefixes inherit from ::/0 only */
	pf = find_prefix(&c, "a00::", 8);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 2);
	check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_ANY, true, 0, 0,
		    VRNET_RULE_ID_OWN);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_UDP, false, 53, 53, 3);

	pf = find_prefix(&c, "2001:db8::1", 128);
	s = set_of(&c, pf);
	assert_int_equal(s->count, 2);
	check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443, 443,
		    VRNET_RULE_ID_OWN);
	check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_UDP, false, 53, 53, 3);

	assert_int_equal(c.prefix_count4, 2);
	assert_int_equal(c.prefix_count, 5);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

/*
 * Inbound rules' prefixes are sources: they never fold with the destination
 * prefixes of the same address, in either direction, and say which they are.
 */
static void test_inbound_prefixes_apart(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	const struct vrnet_portset *s;
	int inbound = 0;

	vr_policy_init(&p);
	ADD(&p, VRNET_LIST_ALLOW, "10.0.0.0/8:443/tcp");	 /* 0 */
	ADD(&p, VRNET_LIST_INBOUND_BLOCK, "10.0.0.0/8");	 /* 1 */
	ADD(&p, VRNET_LIST_INBOUND_ALLOW, "10.0.0.1:22/tcp"); /* 2 */
	compile_ok(&p, &c);
	assert_int_equal(c.rule_count, 3);
	assert_int_equal(c.rules[1].list, VRNET_LIST_INBOUND_BLOCK);
	assert_int_equal(c.prefix_count, 3);
	for (size_t i = 0; i < c.prefix_count; i++) {
		const struct vr_prefix *pf = &c.prefixes[i];

		s = set_of(&c, pf);
		inbound += pf->inbound;
		if (!pf->inbound) {
			/* the destination 10/8: its own allow only, no inbound block */
			assert_int_equal(s->count, 1);
			check_entry(&s->entries[0], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 443,
				    443, VRNET_RULE_ID_OWN);
			assert_int_equal(pf->rule_id, 0);
		} else if (pf->prefixlen == 32) {
			/* the source 10.0.0.1 inherits the inbound block of 10/8, not the allow */
			assert_int_equal(s->count, 2);
			check_entry(&s->entries[0], VRNET_ACTION_DENY, VRNET_PROTO_ANY, true, 0, 0, 1);
			check_entry(&s->entries[1], VRNET_ACTION_ALLOW, VRNET_PROTO_TCP, false, 22,
				    22, VRNET_RULE_ID_OWN);
		}
	}
	assert_int_equal(inbound, 2);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

static void add_port_rules(struct vr_policy *p, const char *host, int first, int n)
{
	for (int port = first; port < first + n; port++) {
		char text[64], err[256];
		struct vr_rule r;

		snprintf(text, sizeof(text), "%s:%d/tcp", host, port);
		if (vr_rule_parse(text, &r, err, sizeof(err)))
			fail_msg("%s: %s", text, err);
		assert_int_equal(vr_policy_add(p, VRNET_LIST_ALLOW, &r), 0);
	}
}

static void test_portset_limit(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	char err[256] = "";

	/* 40 inherited + 24 own = 64: the limit itself is fine */
	vr_policy_init(&p);
	add_port_rules(&p, "10.0.0.0/8", 1, 40);
	add_port_rules(&p, "10.0.0.1", 1001, 24);
	compile_ok(&p, &c);
	assert_int_equal(set_of(&c, find_prefix(&c, "10.0.0.1", 32))->count, 64);
	vr_compiled_free(&c);

	/* one more own entry is too many */
	add_port_rules(&p, "10.0.0.1", 2001, 1);
	assert_int_equal(vr_compile(&p, fake_resolve, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "10.0.0.1 is covered by more than 64");
	assert_int_equal(c.rule_count, 0);
	assert_null(c.rules);
	assert_null(c.portsets);
	vr_policy_free(&p);

	/* 65 own entries on a single prefix */
	vr_policy_init(&p);
	add_port_rules(&p, "[2001:db8::/64]", 1, 65);
	err[0] = '\0';
	assert_int_equal(vr_compile(&p, fake_resolve, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "2001:db8::/64 is covered by more than 64");
	vr_policy_free(&p);

	/* a rule repeated 100 times is one entry */
	vr_policy_init(&p);
	for (int i = 0; i < 100; i++)
		add_port_rules(&p, "10.0.0.1", 443, 1);
	compile_ok(&p, &c);
	assert_int_equal(c.portsets[0].count, 1);
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

static void test_resolver_failure(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;
	struct fake_ctx f = { 0 };
	char err[256] = "";

	vr_policy_init(&p);
	ADD(&p, VRNET_LIST_ALLOW, "example.com", "10.0.0.1");
	ADD(&p, VRNET_LIST_BLOCK, "nosuch.example:443/tcp");
	assert_int_equal(vr_compile(&p, fake_resolve, &f, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "nosuch.example");
	assert_contains(err, "no such name (fake resolver)");
	assert_int_equal(f.calls, 2);
	assert_int_equal(c.rule_count, 0);
	assert_null(c.rules);
	assert_null(c.names);

	/* without a resolver a domain rule cannot compile */
	err[0] = '\0';
	assert_int_equal(vr_compile(&p, NULL, NULL, &c, err, sizeof(err)), -EINVAL);
	assert_contains(err, "example.com");
	vr_policy_free(&p);
}

/* Known answers of the reference lookup. */
static void test_reference_lookup(void **state)
{
	struct vr_policy p;
	struct vr_compiled c;

	vr_policy_init(&p);
	ADD(&p, VRNET_LIST_ALLOW, /* 0 */ "10.0.0.0/8:443/tcp", /* 1 */ "10.2.3.4",
	    /* 2 */ "[2001:db8::/32]:53/udp", /* 3, 4 = 10.1.2.3, 5 = v6 */ "example.com:80/tcp");
	ADD(&p, VRNET_LIST_BLOCK, /* 6 */ "10.1.0.0/16", /* 7 */ "10.2.0.0/16:22/tcp",
	    /* 8 */ "[2001:db8:1::/48]");
	compile_ok(&p, &c);

	static const struct {
		struct probe pr;
		int action;
		uint32_t rule_id;
	} cases[] = {
		{ { "10.5.5.5", VRNET_PROTO_TCP, 443 }, VRNET_ACTION_ALLOW, 0 },
		{ { "10.5.5.5", VRNET_PROTO_TCP, 80 }, DEFAULT, 0 },
		{ { "10.5.5.5", VRNET_PROTO_UDP, 443 }, DEFAULT, 0 },
		{ { "10.5.5.5", VRNET_PROTO_ICMP, 0 }, DEFAULT, 0 },
		{ { "10.1.9.9", VRNET_PROTO_TCP, 443 }, VRNET_ACTION_DENY, 6 },
		{ { "10.1.0.1", VRNET_PROTO_ICMP, 0 }, VRNET_ACTION_DENY, 6 },
		/* the resolved address is inside the blocked /16: the block wins */
		{ { "10.1.2.3", VRNET_PROTO_TCP, 80 }, VRNET_ACTION_DENY, 6 },
		{ { "10.2.3.4", VRNET_PROTO_TCP, 22 }, VRNET_ACTION_DENY, 7 },
		{ { "10.2.3.4", VRNET_PROTO_UDP, 22 }, VRNET_ACTION_ALLOW, 1 },
		{ { "10.2.3.4", VRNET_PROTO_TCP, 443 }, VRNET_ACTION_ALLOW, 1 },
		{ { "10.2.9.9", VRNET_PROTO_TCP, 443 }, VRNET_ACTION_ALLOW, 0 },
		{ { "10.2.9.9", VRNET_PROTO_TCP, 22 }, VRNET_ACTION_DENY, 7 },
		{ { "10.2.9.9", VRNET_PROTO_TCP, 23 }, DEFAULT, 0 },
		{ { "192.168.0.1", VRNET_PROTO_TCP, 443 }, DEFAULT, 0 },
		{ { "2001:db8::1", VRNET_PROTO_UDP, 53 }, VRNET_ACTION_ALLOW, 2 },
		{ { "2001:db8::1", VRNET_PROTO_TCP, 53 }, DEFAULT, 0 },
		{ { "2001:db8:1::1", VRNET_PROTO_UDP, 53 }, VRNET_ACTION_DENY, 8 },
		{ { "2606:2800::1", VRNET_PROTO_TCP, 80 }, VRNET_ACTION_ALLOW, 5 },
		{ { "2606:2800::2", VRNET_PROTO_TCP, 80 }, DEFAULT, 0 },
		{ { "::ffff:10.5.5.5", VRNET_PROTO_TCP, 443 }, DEFAULT, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t id = UINT32_MAX;
		int action = ref_lookup(&c, &cases[i].pr, &id);

		if (action != cases[i].action ||
		    (action != DEFAULT && id != cases[i].rule_id))
			fail_msg("%s proto %d port %d: action %d rule %u, want %d rule %u",
				 cases[i].pr.addr, cases[i].pr.proto, cases[i].pr.port, action, id,
				 cases[i].action, cases[i].rule_id);
		assert_int_equal(action, naive_lookup(&c, &cases[i].pr));
	}
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

/* The folded maps decide as the rules do, for many nested rules and probes. */
static void test_reference_lookup_matches_rules(void **state)
{
	static const int protos[] = { VRNET_PROTO_TCP, VRNET_PROTO_UDP, VRNET_PROTO_ICMP, 47 };
	static const char *const suffix[] = { "", ":80/tcp", ":443/tcp", ":53/udp",
					      ":1000-2000", ":*/icmp", ":*/udp", ":22" };
	static const int lens[] = { 0, 8, 12, 16, 20, 24, 28, 30, 32 };
	struct vr_policy p;
	struct vr_compiled c;
	unsigned int seed = 12345;

	vr_policy_init(&p);
	for (int i = 0; i < 300; i++) {
		int len = lens[rand_r(&seed) % ARRAY_SIZE(lens)];
		uint32_t a = 0x0a000000u | ((uint32_t)rand_r(&seed) & 0x00030f0fu);
		char text[64], host[32], err[256];
		struct vr_rule r;
		struct in_addr in;

		a &= len ? ~0u << (32 - len) : 0;
		in.s_addr = htonl(a);
		inet_ntop(AF_INET, &in, host, sizeof(host));
		snprintf(text, sizeof(text), "%s/%d%s", host, len,
			 suffix[rand_r(&seed) % ARRAY_SIZE(suffix)]);
		if (vr_rule_parse(text, &r, err, sizeof(err)))
			fail_msg("%s: %s", text, err);
		assert_int_equal(vr_policy_add(&p, rand_r(&seed) % 3 ? VRNET_LIST_ALLOW :
								       VRNET_LIST_BLOCK,
					       &r),
				 0);
	}
	compile_ok(&p, &c);
	assert_true(c.portset_count < c.prefix_count);

	for (int i = 0; i < 5000; i++) {
		uint32_t a = 0x0a000000u | ((uint32_t)rand_r(&seed) & 0x00030f0fu);
		static const int ports[] = { 22, 53, 80, 443, 999, 1000, 1500, 2000, 2001 };
		struct probe pr;
		struct in_addr in;
		char host[32];
		uint32_t id;

		in.s_addr = htonl(a);
		inet_ntop(AF_INET, &in, host, sizeof(host));
		pr.addr = host;
		pr.proto = protos[rand_r(&seed) % ARRAY_SIZE(protos)];
		pr.port = ports[rand_r(&seed) % ARRAY_SIZE(ports)];
		if (ref_lookup(&c, &pr, &id) != naive_lookup(&c, &pr))
			fail_msg("%s proto %d port %d: maps and rules disagree", host, pr.proto,
				 pr.port);
	}
	vr_compiled_free(&c);
	vr_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_records),
		cmocka_unit_test(test_empty_policy),
		cmocka_unit_test(test_fold_inherits_ancestor_rule_id),
		cmocka_unit_test(test_own_entries),
		cmocka_unit_test(test_hiding_entries_marked),
		cmocka_unit_test(test_shared_portset),
		cmocka_unit_test(test_families_do_not_fold),
		cmocka_unit_test(test_inbound_prefixes_apart),
		cmocka_unit_test(test_portset_limit),
		cmocka_unit_test(test_resolver_failure),
		cmocka_unit_test(test_reference_lookup),
		cmocka_unit_test(test_reference_lookup_matches_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
