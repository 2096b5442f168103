// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Name rules and DNS messages of the proxy: decisions, queries, refusals, answers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "dns_message.h"
#include "dns_names.h"
#include "dns_qtype.h"
#include "vrnet_common.h"

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *r = ldns_dname_new_frm_str(s);

	assert_non_null(r);
	return r;
}

/* The index of the pattern that decides @qname among @texts of @lists; -1 for none. */
static int decide_index(const char *const *texts, const uint8_t *lists, size_t n,
			const char *qname)
{
	struct vr_name_pattern p[8];
	ldns_rdf *q = dname(qname);
	int i;

	assert_true(n <= 8);
	for (size_t k = 0; k < n; k++)
		assert_int_equal(vr_name_pattern_init(&p[k], texts[k], lists[k], (uint32_t)k), 0);
	/* the name as the proxy has it: ldns's, from the query */
	i = vr_name_decide(p, n, ldns_rdf_data(q), ldns_rdf_size(q));
	ldns_rdf_deep_free(q);
	return i;
}

/* The same, as the pattern's text; "-" for none. */
static const char *decide(const char *const *texts, const uint8_t *lists, size_t n,
			  const char *qname)
{
	int i = decide_index(texts, lists, n, qname);

	return i < 0 ? "-" : texts[i];
}

#define A VRNET_LIST_ALLOW
#define B VRNET_LIST_BLOCK

static void test_exact_and_wildcard(void **state)
{
	const char *const t[] = { "api.example.com", "*.cdn.example" };
	const uint8_t l[] = { A, A };

	assert_string_equal(decide(t, l, 2, "api.example.com"), "api.example.com");
	assert_string_equal(decide(t, l, 2, "API.Example.COM."), "api.example.com");
	assert_string_equal(decide(t, l, 2, "www.api.example.com"), "-");
	assert_string_equal(decide(t, l, 2, "example.com"), "-");
	assert_string_equal(decide(t, l, 2, "a.cdn.example"), "*.cdn.example");
	assert_string_equal(decide(t, l, 2, "a.b.cdn.example"), "*.cdn.example");
	/* the wildcard does not cover its suffix itself, nor names that only end alike */
	assert_string_equal(decide(t, l, 2, "cdn.example"), "-");
	assert_string_equal(decide(t, l, 2, "xcdn.example"), "-");
	/* ...in any case: ldns's subdomain test compares the name itself with case */
	assert_string_equal(decide(t, l, 2, "CDN.example"), "-");
	assert_string_equal(decide(t, l, 2, "cdn.EXAMPLE."), "-");
	assert_string_equal(decide(t, l, 2, "A.CDN.Example"), "*.cdn.example");
}

/*
 * Names compared on their wire form: a label holding a dot or a byte that
 * looks like a length is one label still, and patterns written in capitals
 * match as lowercase.
 */
static void test_wire_names(void **state)
{
	const char *const t[] = { "*.CDN.Example", "Api.Example.com" };
	const uint8_t l[] = { A, A };

	assert_string_equal(decide(t, l, 2, "a.cdn.example"), "*.CDN.Example");
	assert_string_equal(decide(t, l, 2, "api.example.com"), "Api.Example.com");
	/* one label "x.cdn" in front of "example": not under cdn.example */
	assert_string_equal(decide(t, l, 2, "x\\.cdn.example"), "-");
	/* one label "a.cdn.example" alone: not under it either */
	assert_string_equal(decide(t, l, 2, "a\\.cdn\\.example"), "-");
	/* a label holding bytes 3, "cdn", 7, "example": one label, not a suffix */
	assert_string_equal(decide(t, l, 2, "x\\003cdn\\007example"), "-");
	assert_string_equal(decide(t, l, 2, "\\003cdn\\007example.cdn.example"), "*.CDN.Example");
	/* a NUL inside a label ends nothing */
	assert_string_equal(decide(t, l, 2, "a\\000.cdn.example"), "*.CDN.Example");
	assert_string_equal(decide(t, l, 2, "cdn\\000.example"), "-");
}

static void test_most_specific_wins(void **state)
{
	/* default allow, block *.corp.example, allow jira.corp.example */
	const char *const t[] = { "*.corp.example", "jira.corp.example", "*.eu.corp.example" };
	const uint8_t l[] = { B, A, A };

	assert_string_equal(decide(t, l, 3, "jira.corp.example"), "jira.corp.example");
	assert_string_equal(decide(t, l, 3, "wiki.corp.example"), "*.corp.example");
	assert_string_equal(decide(t, l, 3, "a.eu.corp.example"), "*.eu.corp.example");
	assert_string_equal(decide(t, l, 3, "x.jira.corp.example"), "*.corp.example");
}

static void test_block_wins_a_tie(void **state)
{
	const char *const t[] = { "*.example.com", "*.example.com", "a.example.com", "a.example.com" };
	const uint8_t allow_first[] = { A, B, A, B }, block_first[] = { B, A, B, A };

	assert_int_equal(decide_index(t, allow_first, 4, "a.example.com"), 3);
	assert_int_equal(decide_index(t, allow_first, 4, "x.example.com"), 1);
	assert_int_equal(decide_index(t, block_first, 4, "a.example.com"), 2);
	assert_int_equal(decide_index(t, block_first, 4, "x.example.com"), 0);
}

static void test_bad_patterns(void **state)
{
	const char *const bad[] = { "*", "*.", "a.*.example", "*foo.example", "**.example", "." };
	struct vr_name_pattern p;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(vr_name_pattern_init(&p, bad[i], A, 0), -EINVAL);
}

/*
 * Names the CLI parses (libc's ns_name_pton, no ldns) come out as ldns
 * parses them for the proxy, lowercase: `check` and the proxy decide alike.
 */
static void test_names_as_ldns_reads_them(void **state)
{
	const char *const names[] = { "api.example.com", "API.Example.COM.", "x\\.cdn.example",
				      "a\\000.b", "\\003cdn\\007example.cdn.example",
				      "a-b_c.9.example", "xn--bcher-kva.example" };
	char long_label[80], long_name[300];
	struct vr_dname n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_rdf *r = dname(names[i]);

		ldns_dname2canonical(r);
		assert_int_equal(vr_dname_from_text(&n, names[i]), 0);
		assert_int_equal(n.len, ldns_rdf_size(r));
		assert_memory_equal(n.wire, ldns_rdf_data(r), n.len);
		assert_int_equal(n.labels, ldns_dname_label_count(r));
		ldns_rdf_deep_free(r);
	}
	/* a label of 64 bytes, a name of 256: no names, for ldns neither */
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".example");
	assert_int_equal(vr_dname_from_text(&n, long_label), -EINVAL);
	assert_null(ldns_dname_new_frm_str(long_label));
	for (size_t i = 0; i < 64; i++)
		memcpy(long_name + 4 * i, "abc.", 4);
	long_name[256] = '\0';
	assert_int_equal(vr_dname_from_text(&n, long_name), -EINVAL);
	assert_null(ldns_dname_new_frm_str(long_name));
	long_name[252] = '\0'; /* 63 labels of 3: 253 bytes of wire, with the root */
	assert_int_equal(vr_dname_from_text(&n, long_name), 0);
	assert_int_equal(n.len, 253);
	assert_int_equal(vr_dname_from_text(&n, "a..example"), -EINVAL);
}

/* Every query type prints as ldns (and dig) names it: its mnemonic, or RFC 3597's TYPEnnn. */
static void test_qtype_text(void **state)
{
	char buf[VR_QTYPE_TEXT];
	int named = 0;

	for (uint32_t t = 0; t <= 65535; t++) {
		const char *ours = vr_qtype_text((uint16_t)t, buf);
		char *theirs = ldns_rr_type2str((ldns_rr_type)t);

		assert_non_null(theirs);
		assert_string_equal(ours, theirs);
		named += ours != buf;
		free(theirs);
	}
	assert_int_equal(named, 79);
	assert_string_equal(vr_qtype_text(65, buf), "HTTPS");
	assert_string_equal(vr_qtype_text(65535, buf), "TYPE65535");
}

/* @qname's query of @type as wire; malloc()ed. */
static uint8_t *query_wire(const char *qname, ldns_rr_type type, size_t *len)
{
	ldns_pkt *pkt = ldns_pkt_query_new(dname(qname), type, LDNS_RR_CLASS_IN, LDNS_RD);
	uint8_t *wire = NULL;

	assert_non_null(pkt);
	ldns_pkt_set_id(pkt, 0x4242);
	assert_int_equal(ldns_pkt2wire(&wire, pkt, len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return wire;
}

static void test_query_and_refusal(void **state)
{
	struct vr_dns_query q, r;
	uint8_t *wire, *answer;
	size_t len, alen;
	ldns_pkt *a;

	wire = query_wire("Secret.Attacker.example", LDNS_RR_TYPE_TXT, &len);
	assert_int_equal(vr_dns_query_parse(wire, len, &q), 0);
	assert_int_equal(q.qtype, LDNS_RR_TYPE_TXT);
	assert_int_equal(vr_dns_refusal(&q, LDNS_RCODE_NXDOMAIN, &answer, &alen), 0);
	assert_int_equal(ldns_wire2pkt(&a, answer, alen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(a), 0x4242);
	assert_true(ldns_pkt_qr(a));
	assert_int_equal(ldns_pkt_get_rcode(a), LDNS_RCODE_NXDOMAIN);
	assert_int_equal(ldns_pkt_qdcount(a), 1);
	assert_int_equal(ldns_pkt_ancount(a), 0);
	assert_int_equal(ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(a), 0)),
					    q.qname), 0);
	/* an answer is not a query */
	assert_int_equal(vr_dns_query_parse(answer, alen, &r), -EINVAL);
	ldns_pkt_free(a);
	free(answer);
	vr_dns_query_free(&q);
	/* truncated, and a header alone */
	assert_int_equal(vr_dns_query_parse(wire, len - 3, &q), -EINVAL);
	assert_int_equal(vr_dns_query_parse(wire, 12, &q), -EINVAL);
	free(wire);
}

/* An answer to @qname's A query carrying @rrs (zone-file lines). */
static uint8_t *answer_wire(const char *qname, const char *const *rrs, size_t n, size_t *len)
{
	ldns_pkt *pkt = ldns_pkt_query_new(dname(qname), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
	uint8_t *wire = NULL;

	ldns_pkt_set_qr(pkt, true);
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = NULL;

		assert_int_equal(ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL), LDNS_STATUS_OK);
		assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, rr));
	}
	assert_int_equal(ldns_pkt2wire(&wire, pkt, len), LDNS_STATUS_OK);
	ldns_pkt_free(pkt);
	return wire;
}

static void test_answer_follows_cnames(void **state)
{
	const char *const rrs[] = {
		"api.example.com. 300 IN CNAME edge.cdn.example.",
		"edge.cdn.example. 30 IN CNAME x.cdn.example.",
		"x.cdn.example. 600 IN A 203.0.113.10",
		"x.cdn.example. 600 IN AAAA 2001:db8::10",
		"other.example. 600 IN A 198.51.100.66", /* not on the chain */
	};
	struct vr_dns_addr out[8];
	ldns_rdf *q = dname("API.example.com");
	size_t len;
	uint8_t *wire = answer_wire("api.example.com", rrs, 5, &len);

	assert_int_equal(vr_dns_answer_addrs(wire, len, q, out, 8), 2);
	assert_int_equal(out[0].family, 4);
	assert_memory_equal(out[0].addr, "\xcb\x00\x71\x0a", 4);
	assert_int_equal(out[0].ttl, 30); /* the shortest link before it */
	assert_int_equal(out[1].family, 6);
	assert_int_equal(vr_dns_answer_addrs(wire, len, q, out, 1), 1); /* bounded */
	free(wire);
	ldns_rdf_deep_free(q);
}

static void test_answer_cname_loop(void **state)
{
	const char *const rrs[] = {
		"a.example. 60 IN CNAME b.example.",
		"b.example. 60 IN CNAME a.example.",
		"b.example. 60 IN A 203.0.113.7",
	};
	struct vr_dns_addr out[64];
	ldns_rdf *q = dname("a.example");
	size_t len;
	uint8_t *wire = answer_wire("a.example", rrs, 3, &len);
	int n = vr_dns_answer_addrs(wire, len, q, out, 64);

	/* the loop ends after VR_DNS_MAX_CNAMES links */
	assert_true(n >= 1 && n <= VR_DNS_MAX_CNAMES + 1);
	free(wire);
	ldns_rdf_deep_free(q);
}

/* A vr_dns_name_veto: @ctx is the one name it refuses. */
static bool veto_one(const ldns_rdf *name, void *ctx)
{
	return !ldns_dname_compare(name, ctx);
}

static void test_answer_chain_veto(void **state)
{
	const char *const rrs[] = {
		"alias.example. 60 IN CNAME evil.example.",
		"evil.example. 60 IN A 203.0.113.71",
	};
	ldns_rdf *q = dname("alias.example"), *evil = dname("EVIL.example"), *other = dname("x.example");
	struct vr_dns_addr out[4];
	bool chained = false;
	size_t len;
	uint8_t *wire = answer_wire("alias.example", rrs, 2, &len);

	assert_int_equal(vr_dns_answer_chain_addrs(wire, len, q, out, 4, veto_one, evil, &chained),
			 -EPERM);
	assert_int_equal(vr_dns_answer_chain_addrs(wire, len, q, out, 4, veto_one, other, &chained),
			 1);
	assert_true(chained);
	free(wire);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(evil);
	ldns_rdf_deep_free(other);
}

/* The upstream's query carries the question and its flags, nothing a sandbox added. */
static void test_upstream_query_is_rebuilt(void **state)
{
	ldns_pkt *pkt = ldns_pkt_query_new(dname("Api.example"), LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
					   LDNS_RD);
	ldns_rr *extra = NULL;
	struct vr_dns_query q;
	uint8_t *wire = NULL, *up = NULL;
	size_t len, uplen;
	ldns_pkt *u;

	ldns_pkt_set_id(pkt, 0x1234);
	ldns_pkt_set_edns_udp_size(pkt, 1232);
	ldns_pkt_set_edns_do(pkt, true);
	assert_int_equal(ldns_rr_new_frm_str(&extra, "x.example. 60 IN TXT \"EXFILSECRET\"", 0,
					     NULL, NULL),
			 LDNS_STATUS_OK);
	assert_true(ldns_pkt_push_rr(pkt, LDNS_SECTION_ADDITIONAL, extra));
	assert_int_equal(ldns_pkt2wire(&wire, pkt, &len), LDNS_STATUS_OK);
	assert_non_null(memmem(wire, len, "EXFILSECRET", 11));
	assert_int_equal(vr_dns_query_parse(wire, len, &q), 0);
	assert_int_equal(vr_dns_upstream_query(&q, &up, &uplen), 0);
	assert_null(memmem(up, uplen, "EXFILSECRET", 11));
	assert_int_equal(ldns_wire2pkt(&u, up, uplen), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(u), 0x1234);
	assert_true(ldns_pkt_rd(u));
	assert_true(ldns_pkt_edns_do(u));
	assert_int_equal(ldns_pkt_edns_udp_size(u), 1232);
	assert_int_equal(ldns_pkt_arcount(u), 0); /* the OPT record is not counted by ldns */
	assert_memory_equal(up + 12, wire + 12, ldns_rdf_size(q.qname)); /* the spelling */
	ldns_pkt_free(u);
	ldns_pkt_free(pkt);
	vr_dns_query_free(&q);
	free(wire);
	free(up);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_and_wildcard),
		cmocka_unit_test(test_wire_names),
		cmocka_unit_test(test_most_specific_wins),
		cmocka_unit_test(test_block_wins_a_tie),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_names_as_ldns_reads_them),
		cmocka_unit_test(test_qtype_text),
		cmocka_unit_test(test_query_and_refusal),
		cmocka_unit_test(test_answer_chain_veto),
		cmocka_unit_test(test_upstream_query_is_rebuilt),
		cmocka_unit_test(test_answer_follows_cnames),
		cmocka_unit_test(test_answer_cname_loop),
	};

	return cmocka_run_group_tests_name("dns", tests, NULL, NULL);
}
