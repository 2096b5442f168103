// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rule grammar HOST[:PORTS[/PROTO]]: vr_rule_parse, vr_rule_format,
 * vr_rule_equal and vr_dns_rule_parse.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "rule.h"
#include "policy.h"

#define assert_contains(s, sub)                                              \
	do {                                                                 \
		if (!strstr((s), (sub)))                                     \
			fail_msg("\"%s\" does not contain \"%s\"", (s), (sub)); \
	} while (0)

struct valid_case {
	const char *text;
	uint8_t kind;
	uint8_t family;
	uint8_t prefixlen;
	uint8_t proto;
	bool any_port;
	uint16_t port_lo;
	uint16_t port_hi;
	const char *addr; /* CIDR: the expected network address */
	const char *name; /* DOMAIN: the expected lower-case name */
	const char *canon;
};

#define CIDR VRNET_RULE_CIDR
#define DOM VRNET_RULE_DOMAIN
#define ANY VRNET_PROTO_ANY
#define TCP VRNET_PROTO_TCP
#define UDP VRNET_PROTO_UDP
#define ICMP VRNET_PROTO_ICMP

static const struct valid_case valid_cases[] = {
	/* IPv4 */
	{ "10.0.0.1", CIDR, 4, 32, ANY, true, 0, 65535, "10.0.0.1", NULL, "10.0.0.1" },
	{ "10.0.0.1/32", CIDR, 4, 32, ANY, true, 0, 65535, "10.0.0.1", NULL, "10.0.0.1" },
	{ "10.0.0.0/8", CIDR, 4, 8, ANY, true, 0, 65535, "10.0.0.0", NULL, "10.0.0.0/8" },
	{ "0.0.0.0/0", CIDR, 4, 0, ANY, true, 0, 65535, "0.0.0.0", NULL, "0.0.0.0/0" },
	{ "192.168.1.0/24:443/tcp", CIDR, 4, 24, TCP, false, 443, 443, "192.168.1.0", NULL,
	  "192.168.1.0/24:443/tcp" },
	{ "10.0.0.1:53", CIDR, 4, 32, ANY, false, 53, 53, "10.0.0.1", NULL, "10.0.0.1:53" },
	{ "10.0.0.1:0", CIDR, 4, 32, ANY, false, 0, 0, "10.0.0.1", NULL, "10.0.0.1:0" },
	{ "10.0.0.1:80-90/udp", CIDR, 4, 32, UDP, false, 80, 90, "10.0.0.1", NULL,
	  "10.0.0.1:80-90/udp" },
	{ "10.0.0.1:0-65535/tcp", CIDR, 4, 32, TCP, false, 0, 65535, "10.0.0.1", NULL,
	  "10.0.0.1:0-65535/tcp" },
	{ "10.0.0.1:65535", CIDR, 4, 32, ANY, false, 65535, 65535, "10.0.0.1", NULL,
	  "10.0.0.1:65535" },
	{ "10.0.0.1:*", CIDR, 4, 32, ANY, true, 0, 65535, "10.0.0.1", NULL, "10.0.0.1" },
	{ "10.0.0.1:*/tcp", CIDR, 4, 32, TCP, true, 0, 65535, "10.0.0.1", NULL,
	  "10.0.0.1:*/tcp" },
	{ "10.0.0.1:*/icmp", CIDR, 4, 32, ICMP, true, 0, 65535, "10.0.0.1", NULL,
	  "10.0.0.1:*/icmp" },
	/* protocol names are case-insensitive; "any" is the default */
	{ "10.0.0.1:443/TCP", CIDR, 4, 32, TCP, false, 443, 443, "10.0.0.1", NULL,
	  "10.0.0.1:443/tcp" },
	{ "10.0.0.1:53/Udp", CIDR, 4, 32, UDP, false, 53, 53, "10.0.0.1", NULL,
	  "10.0.0.1:53/udp" },
	{ "10.0.0.1:*/ICMP", CIDR, 4, 32, ICMP, true, 0, 65535, "10.0.0.1", NULL,
	  "10.0.0.1:*/icmp" },
	{ "10.0.0.1:443/any", CIDR, 4, 32, ANY, false, 443, 443, "10.0.0.1", NULL,
	  "10.0.0.1:443" },
	{ "10.0.0.1:*/AnY", CIDR, 4, 32, ANY, true, 0, 65535, "10.0.0.1", NULL, "10.0.0.1" },
	/* IPv6 */
	{ "::1", CIDR, 6, 128, ANY, true, 0, 65535, "::1", NULL, "::1" },
	{ "2001:DB8::1", CIDR, 6, 128, ANY, true, 0, 65535, "2001:db8::1", NULL,
	  "2001:db8::1" },
	{ "2001:db8::/32", CIDR, 6, 32, ANY, true, 0, 65535, "2001:db8::", NULL,
	  "2001:db8::/32" },
	{ "::/0", CIDR, 6, 0, ANY, true, 0, 65535, "::", NULL, "::/0" },
	{ "fe80::/10", CIDR, 6, 10, ANY, true, 0, 65535, "fe80::", NULL, "fe80::/10" },
	/* IPv4-mapped: the packets are IPv4, so the rule is */
	{ "::ffff:10.0.0.1", CIDR, 4, 32, ANY, true, 0, 65535, "10.0.0.1", NULL, "10.0.0.1" },
	{ "::ffff:169.254.169.254", CIDR, 4, 32, ANY, true, 0, 65535, "169.254.169.254", NULL,
	  "169.254.169.254" },
	{ "::FFFF:a9fe:a9fe", CIDR, 4, 32, ANY, true, 0, 65535, "169.254.169.254", NULL,
	  "169.254.169.254" },
	{ "[::ffff:169.254.169.254]:80/tcp", CIDR, 4, 32, TCP, false, 80, 80, "169.254.169.254",
	  NULL, "169.254.169.254:80/tcp" },
	{ "::ffff:10.0.0.0/104", CIDR, 4, 8, ANY, true, 0, 65535, "10.0.0.0", NULL, "10.0.0.0/8" },
	{ "::ffff:0:0/96", CIDR, 4, 0, ANY, true, 0, 65535, "0.0.0.0", NULL, "0.0.0.0/0" },
	{ "::1", CIDR, 6, 128, ANY, true, 0, 65535, "::1", NULL, "::1" },
	{ "::", CIDR, 6, 128, ANY, true, 0, 65535, "::", NULL, "::" },
	/* NAT64 stays IPv6; its canonical text "64:ff9b::c000:201" reads as a port */
	{ "64:ff9b::192.0.2.1", CIDR, 6, 128, ANY, true, 0, 65535, "64:ff9b::c000:201", NULL,
	  "[64:ff9b::c000:201]" },
	/* brackets make an address whose last group reads as a port unambiguous */
	{ "[2001:db8::1:443]", CIDR, 6, 128, ANY, true, 0, 65535, "2001:db8::1:443", NULL,
	  "[2001:db8::1:443]" },
	{ "2001:db8::1:abcd", CIDR, 6, 128, ANY, true, 0, 65535, "2001:db8::1:abcd", NULL,
	  "2001:db8::1:abcd" },
	{ "[::1]", CIDR, 6, 128, ANY, true, 0, 65535, "::1", NULL, "::1" },
	{ "[2001:db8::1]:443/tcp", CIDR, 6, 128, TCP, false, 443, 443, "2001:db8::1", NULL,
	  "[2001:db8::1]:443/tcp" },
	{ "[2001:db8::/32]:53", CIDR, 6, 32, ANY, false, 53, 53, "2001:db8::", NULL,
	  "[2001:db8::/32]:53" },
	{ "[2001:db8::/48]:1000-2000/UDP", CIDR, 6, 48, UDP, false, 1000, 2000, "2001:db8::",
	  NULL, "[2001:db8::/48]:1000-2000/udp" },
	{ "[::/0]:*/icmp", CIDR, 6, 0, ICMP, true, 0, 65535, "::", NULL, "[::/0]:*/icmp" },
	{ "[::1]:*", CIDR, 6, 128, ANY, true, 0, 65535, "::1", NULL, "::1" },
	/* domains */
	{ "example.com", DOM, 0, 0, ANY, true, 0, 65535, NULL, "example.com", "example.com" },
	{ "example.com.", DOM, 0, 0, ANY, true, 0, 65535, NULL, "example.com", "example.com" },
	{ "Example.COM.", DOM, 0, 0, ANY, true, 0, 65535, NULL, "example.com", "example.com" },
	{ "API.Example.com:443/tcp", DOM, 0, 0, TCP, false, 443, 443, NULL, "api.example.com",
	  "api.example.com:443/tcp" },
	{ "localhost", DOM, 0, 0, ANY, true, 0, 65535, NULL, "localhost", "localhost" },
	{ "LOCALHOST:8080-8090/udp", DOM, 0, 0, UDP, false, 8080, 8090, NULL, "localhost",
	  "localhost:8080-8090/udp" },
	{ "example.com:*/tcp", DOM, 0, 0, TCP, true, 0, 65535, NULL, "example.com",
	  "example.com:*/tcp" },
	{ "my_host-1.example.org", DOM, 0, 0, ANY, true, 0, 65535, NULL,
	  "my_host-1.example.org", "my_host-1.example.org" },
	{ "123.example.com", DOM, 0, 0, ANY, true, 0, 65535, NULL, "123.example.com",
	  "123.example.com" },
	{ "1e100.net", DOM, 0, 0, ANY, true, 0, 65535, NULL, "1e100.net", "1e100.net" },
};

static void check_valid(const struct valid_case *c)
{
	struct vr_rule r, again;
	uint8_t want[16] = { 0 };
	char err[256] = "", buf[VR_RULE_TEXT_MAX + 1], buf2[VR_RULE_TEXT_MAX + 1];
	int ret;

	ret = vr_rule_parse(c->text, &r, err, sizeof(err));
	if (ret)
		fail_msg("\"%s\": %d %s", c->text, ret, err);
	if (r.kind != c->kind || r.family != c->family || r.prefixlen != c->prefixlen ||
	    r.proto != c->proto || r.any_port != c->any_port || r.port_lo != c->port_lo ||
	    r.port_hi != c->port_hi)
		fail_msg("\"%s\": kind %u family %u len %u proto %u any %d ports %u-%u",
			 c->text, r.kind, r.family, r.prefixlen, r.proto, r.any_port, r.port_lo,
			 r.port_hi);
	if (c->addr)
		assert_int_equal(inet_pton(c->family == 4 ? AF_INET : AF_INET6, c->addr, want), 1);
	assert_memory_equal(r.addr, want, sizeof(want));
	assert_string_equal(r.name, c->name ? c->name : "");

	vr_rule_format(&r, buf, sizeof(buf));
	if (strcmp(buf, c->canon))
		fail_msg("\"%s\" formats as \"%s\", want \"%s\"", c->text, buf, c->canon);

	/* the canonical text parses to the same rule and formats to itself */
	ret = vr_rule_parse(buf, &again, err, sizeof(err));
	if (ret)
		fail_msg("canonical \"%s\": %s", buf, err);
	vr_rule_format(&again, buf2, sizeof(buf2));
	assert_string_equal(buf2, buf);
	assert_true(vr_rule_equal(&r, &again));
	assert_int_equal(again.kind, r.kind);
	assert_int_equal(again.family, r.family);
	assert_int_equal(again.prefixlen, r.prefixlen);
	assert_int_equal(again.proto, r.proto);
	assert_int_equal(again.any_port, r.any_port);
	assert_int_equal(again.port_lo, r.port_lo);
	assert_int_equal(again.port_hi, r.port_hi);
	assert_memory_equal(again.addr, r.addr, sizeof(r.addr));
	assert_string_equal(again.name, r.name);
}

static void test_valid_rules(void **state)
{
	for (size_t i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(&valid_cases[i]);
}

/* Longest legal label (63) and name (253, also with the trailing dot). */
static void test_valid_domain_limits(void **state)
{
	char label[64], name[VRNET_MAX_NAME_LEN + 2], err[256];
	struct vr_rule r;

	memset(label, 'a', 63);
	label[63] = '\0';
	snprintf(name, sizeof(name), "%s.com", label);
	assert_int_equal(vr_rule_parse(name, &r, err, sizeof(err)), 0);
	assert_string_equal(r.name, name);

	/* 63+1+63+1+63+1+61 = 253 characters */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label, label);
	assert_int_equal(strlen(name), 253);
	assert_int_equal(vr_rule_parse(name, &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, VRNET_RULE_DOMAIN);
	assert_string_equal(r.name, name);

	strcat(name, ".");
	assert_int_equal(vr_rule_parse(name, &r, err, sizeof(err)), 0);
	assert_int_equal(strlen(r.name), 253);

	/* a wildcard: "*." in front of a name (the DNS proxy serves it) */
	assert_int_equal(vr_rule_parse("*.CDN.Example.com.:443/tcp", &r, err, sizeof(err)), 0);
	assert_int_equal(r.kind, VRNET_RULE_DOMAIN);
	assert_string_equal(r.name, "*.cdn.example.com");
}

struct invalid_case {
	const char *text;
	const char *msg; /* a key part of the error message */
};

static const struct invalid_case invalid_cases[] = {
	{ "2001:db8::1:443", "write [2001:db8::1]:443 for a port, or [2001:db8::1:443] for" },
	{ "::1:53", "ambiguous" },
	{ "::1.2.3.4", "IPv4-compatible IPv6 addresses are deprecated: write 1.2.3.4" },
	{ "[::0.0.0.2]:53/udp", "IPv4-compatible" },
	{ "10.0.0.0/33", "prefix length must be 0-32" },
	{ "10.0.0.0/", "prefix length must be 0-32" },
	{ "10.0.0.0/8x", "prefix length" },
	{ "2001:db8::/129", "prefix length must be 0-128" },
	{ "[2001:db8::/129]:53", "prefix length must be 0-128" },
	{ "10.0.0.1/8", "10.0.0.0/8" },
	{ "10.0.0.1/8", "host bits" },
	{ "192.168.1.1/24:443/tcp", "192.168.1.0/24" },
	{ "2001:db8::1/32", "2001:db8::/32" },
	{ "10.0.0.256", "invalid IPv4 address" },
	{ "1.2.3", "invalid" },
	{ "1.2.3.4.5", "invalid" },
	{ "example.123", "invalid address or domain name" },
	{ "example.123.", "invalid address or domain name" },
	{ "2001:db8::g", "invalid IPv6 address" },
	{ "[10.0.0.1]:80", "invalid IPv6 address" },
	{ "10.0.0.1:65536", "0-65535" },
	{ "10.0.0.1:99999999999", "0-65535" },
	{ "10.0.0.1:80-65536", "0-65535" },
	{ "10.0.0.1:90-80", "reversed" },
	{ "10.0.0.1:", "missing port" },
	{ "example.com:", "missing port" },
	{ "[::1]:", "missing port" },
	{ "10.0.0.1:80-", "N-M" },
	{ "10.0.0.1:-80", "N-M" },
	{ "10.0.0.1:http", "must be a number" },
	{ "10.0.0.1:80/sctp", "tcp, udp, icmp or any" },
	{ "10.0.0.1:80/", "tcp, udp, icmp or any" },
	{ "10.0.0.1:80/tcp/udp", "tcp, udp, icmp or any" },
	{ "10.0.0.1:80/icmp", "do not apply to icmp" },
	{ "10.0.0.1:1-2/ICMP", "do not apply to icmp" },
	{ "*", "a wildcard is" },
	{ "*.", "a wildcard is" },
	{ "a.*.example.com", "a wildcard is" },
	{ "*example.com", "a wildcard is" },
	{ "*.*.example.com", "a wildcard is" },
	{ "exa$mple.com", "invalid character '$'" },
	{ "example.com/24", "invalid character '/'" },
	{ "example..com", "empty label" },
	{ ".example.com", "empty label" },
	{ "example.com..", "empty label" },
	{ "-example.com", "must not start with '-'" },
	{ "example-.com", "must not end with '-'" },
	{ ".", "invalid" },
	{ ":80", "invalid" },
	{ "", "empty rule" },
	{ "example.com :80", "white space" },
	{ " 10.0.0.1", "white space" },
	{ "10.0.0.1\t", "white space" },
	{ "10.0.0.1\n", "white space" },
	{ "exam\x01ple.com", "control character" },
	{ "[2001:db8::1:443", "missing ']'" },
	{ "[2001:db8::1]443", "expected ':' after ']'" },
};

static void test_invalid_rules(void **state)
{
	for (size_t i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
		const struct invalid_case *c = &invalid_cases[i];
		char err[256] = "";
		struct vr_rule r;
		int ret = vr_rule_parse(c->text, &r, err, sizeof(err));

		if (ret != -EINVAL)
			fail_msg("\"%s\": got %d, want -EINVAL", c->text, ret);
		assert_contains(err, c->msg);
	}
}

static void test_invalid_null(void **state)
{
	char err[256] = "";
	struct vr_rule r;

	assert_int_equal(vr_rule_parse(NULL, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "empty rule");
}

static void test_invalid_lengths(void **state)
{
	char text[400], label[65], err[256] = "";
	struct vr_rule r;

	memset(label, 'a', 64);
	label[64] = '\0';
	snprintf(text, sizeof(text), "%s.com", label);
	assert_int_equal(vr_rule_parse(text, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "longer than 63");

	/* 4 labels of 63: 255 characters */
	label[63] = '\0';
	snprintf(text, sizeof(text), "%s.%s.%s.%s", label, label, label, label);
	assert_int_equal(strlen(text), 255);
	assert_int_equal(vr_rule_parse(text, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "longer than 253");

	/* 254 characters */
	snprintf(text, sizeof(text), "%s.%s.%s.%.62s", label, label, label, label);
	assert_int_equal(strlen(text), 254);
	assert_int_equal(vr_rule_parse(text, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "longer than 253");

	/* the whole rule text is capped */
	memset(text, 'a', 301);
	text[301] = '\0';
	assert_int_equal(vr_rule_parse(text, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "longer than 300");
	memset(text, 'a', 350);
	text[350] = '\0';
	assert_int_equal(vr_rule_parse(text, &r, err, sizeof(err)), -EINVAL);
	assert_contains(err, "longer than 300");
}

/* A short error buffer is truncated, never overrun. */
static void test_short_error_buffer(void **state)
{
	char buf[16];
	struct vr_rule r;

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(vr_rule_parse("10.0.0.1:90-80", &r, buf, 8), -EINVAL);
	assert_int_equal(strlen(buf), 7);
	for (size_t i = 8; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'X');
}

static void test_rule_equal(void **state)
{
	struct vr_rule a, b;
	char err[256];

	assert_int_equal(vr_rule_parse("10.0.0.1/32:*/any", &a, err, sizeof(err)), 0);
	assert_int_equal(vr_rule_parse("10.0.0.1", &b, err, sizeof(err)), 0);
	assert_true(vr_rule_equal(&a, &b));
	assert_int_equal(vr_rule_parse("Example.com.", &a, err, sizeof(err)), 0);
	assert_int_equal(vr_rule_parse("example.com", &b, err, sizeof(err)), 0);
	assert_true(vr_rule_equal(&a, &b));
	assert_int_equal(vr_rule_parse("10.0.0.1:443/tcp", &a, err, sizeof(err)), 0);
	assert_int_equal(vr_rule_parse("10.0.0.1:443/udp", &b, err, sizeof(err)), 0);
	assert_false(vr_rule_equal(&a, &b));
	assert_int_equal(vr_rule_parse("10.0.0.1:443", &b, err, sizeof(err)), 0);
	assert_false(vr_rule_equal(&a, &b));
	assert_int_equal(vr_rule_parse("10.0.0.0/24", &a, err, sizeof(err)), 0);
	assert_int_equal(vr_rule_parse("10.0.0.0/25", &b, err, sizeof(err)), 0);
	assert_false(vr_rule_equal(&a, &b));
}

static void test_proto_and_addr_format(void **state)
{
	uint8_t a4[16] = { 10, 1, 0, 0 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	char buf[64];

	assert_string_equal(vr_proto_name(VRNET_PROTO_TCP), "tcp");
	assert_string_equal(vr_proto_name(VRNET_PROTO_UDP), "udp");
	assert_string_equal(vr_proto_name(VRNET_PROTO_ICMP), "icmp");
	assert_string_equal(vr_proto_name(VRNET_PROTO_ANY), "any");

	vr_addr_format(4, a4, 16, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0/16");
	vr_addr_format(4, a4, 32, buf, sizeof(buf));
	assert_string_equal(buf, "10.1.0.0");
	vr_addr_format(6, a6, 32, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32");
	vr_addr_format(6, a6, 128, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::");
}

static void test_dns_rule_valid(void **state)
{
	static const struct {
		const char *text;
		int family;
		const char *addr;
	} cases[] = {
		{ "8.8.8.8", 4, "8.8.8.8" },
		{ "2001:4860:4860::8888", 6, "2001:4860:4860::8888" },
		{ "[::1]", 6, "::1" },
		/* a resolver takes no port: its last group is never one */
		{ "2620:fe::fe:9", 6, "2620:fe::fe:9" },
		{ "2001:db8::1:53", 6, "2001:db8::1:53" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t want[16] = { 0 };
		char err[256] = "";
		struct vr_rule r;

		if (vr_dns_rule_parse(cases[i].text, &r, err, sizeof(err)))
			fail_msg("\"%s\": %s", cases[i].text, err);
		inet_pton(cases[i].family == 4 ? AF_INET : AF_INET6, cases[i].addr, want);
		assert_int_equal(r.kind, VRNET_RULE_CIDR);
		assert_int_equal(r.family, cases[i].family);
		assert_int_equal(r.prefixlen, cases[i].family == 4 ? 32 : 128);
		assert_memory_equal(r.addr, want, sizeof(want));
		/* a resolver is reached on port 53, TCP and UDP */
		assert_false(r.any_port);
		assert_int_equal(r.port_lo, 53);
		assert_int_equal(r.port_hi, 53);
		assert_int_equal(r.proto, VRNET_PROTO_ANY);
	}
}

static void test_dns_rule_invalid(void **state)
{
	static const struct invalid_case cases[] = {
		{ "10.0.0.0/24", "plain IPv4 or IPv6 address" },
		{ "2001:db8::/64", "plain IPv4 or IPv6 address" },
		{ "10.0.0.1:53", "plain IPv4 or IPv6 address" },
		{ "10.0.0.1:53/udp", "plain IPv4 or IPv6 address" },
		{ "[::1]:53", "plain IPv4 or IPv6 address" },
		{ "dns.google", "plain IPv4 or IPv6 address" },
		{ "localhost", "plain IPv4 or IPv6 address" },
		/* errors of the rule grammar come through unchanged */
		{ "10.0.0.0/33", "prefix length must be 0-32" },
		{ "", "empty rule" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[256] = "";
		struct vr_rule r;
		int ret = vr_dns_rule_parse(cases[i].text, &r, err, sizeof(err));

		if (ret != -EINVAL)
			fail_msg("\"%s\": got %d, want -EINVAL", cases[i].text, ret);
		assert_contains(err, cases[i].msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_rules),
		cmocka_unit_test(test_valid_domain_limits),
		cmocka_unit_test(test_invalid_rules),
		cmocka_unit_test(test_invalid_null),
		cmocka_unit_test(test_invalid_lengths),
		cmocka_unit_test(test_short_error_buffer),
		cmocka_unit_test(test_rule_equal),
		cmocka_unit_test(test_proto_and_addr_format),
		cmocka_unit_test(test_dns_rule_valid),
		cmocka_unit_test(test_dns_rule_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
