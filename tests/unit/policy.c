// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Policy files: vr_policy_parse, vr_policy_read_file, vr_policy_add,
 * vr_policy_remove and vr_policy_to_json.
 */
#include <glob.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "policy.h"
#include "rule_of.h"

#define assert_contains(s, sub)                                              \
	do {                                                                 \
		if (!strstr((s), (sub)))                                     \
			fail_msg("\"%s\" does not contain \"%s\"", (s), (sub)); \
	} while (0)

#define SRC "test.json"

static int parse(const char *text, struct vr_policy *p, char *err, size_t errlen)
{
	return vr_policy_parse(text, strlen(text), SRC, p, err, errlen);
}

/* Parses @text, which must fail, and checks the message. */
static void expect_error(const char *text, const char *msg)
{
	struct vr_policy p;
	char err[512] = "";
	int ret = parse(text, &p, err, sizeof(err));

	if (ret != -EINVAL)
		fail_msg("%s: got %d (%s), want -EINVAL", text, ret, err);
	assert_contains(err, msg);
	/* a failed parse leaves an empty policy behind */
	assert_int_equal(vr_policy_rule_count(&p), 0);
	assert_null(p.allow.rules);
}

static void assert_rule_text(const struct vr_rule *r, const char *want)
{
	char buf[VR_RULE_TEXT_MAX];

	vr_rule_format(r, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Writes @len bytes of @text to a new temporary file; returns its path. */
static char *temp_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/vrnet-policy-test.XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void test_valid_all_keys(void **state)
{
	static const char text[] = "{\n"
				   "  \"comment\": \"office network\",\n"
				   "  \"default\": \"allow\",\n"
				   "  \"allow\": [\"10.0.0.0/8:443/tcp\", \"Example.COM\",\n"
				   "            \"[2001:db8::/32]:53/udp\"],\n"
				   "  \"block\": [\"10.1.0.0/16\", \"10.2.0.0/16:22/tcp\"],\n"
				   "  \"dns\": [\"8.8.8.8\", \"2001:4860:4860::8888\"]\n"
				   "}\n";
	struct vr_policy p;
	char err[512] = "";

	if (parse(text, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p.default_action, VRNET_ACTION_ALLOW);
	assert_int_equal(p.allow.count, 3);
	assert_int_equal(p.block.count, 2);
	assert_int_equal(p.dns.count, 2);
	assert_int_equal(vr_policy_rule_count(&p), 7);
	assert_rule_text(&p.allow.rules[0], "10.0.0.0/8:443/tcp");
	assert_rule_text(&p.allow.rules[1], "example.com");
	assert_int_equal(p.allow.rules[1].kind, VRNET_RULE_DOMAIN);
	assert_rule_text(&p.allow.rules[2], "[2001:db8::/32]:53/udp");
	assert_rule_text(&p.block.rules[0], "10.1.0.0/16");
	assert_rule_text(&p.block.rules[1], "10.2.0.0/16:22/tcp");
	/* resolvers become port 53 rules of any protocol */
	for (size_t i = 0; i < p.dns.count; i++) {
		assert_int_equal(p.dns.rules[i].kind, VRNET_RULE_CIDR);
		assert_false(p.dns.rules[i].any_port);
		assert_int_equal(p.dns.rules[i].port_lo, 53);
		assert_int_equal(p.dns.rules[i].port_hi, 53);
		assert_int_equal(p.dns.rules[i].proto, VRNET_PROTO_ANY);
	}
	assert_rule_text(&p.dns.rules[0], "8.8.8.8:53");
	assert_rule_text(&p.dns.rules[1], "[2001:4860:4860::8888]:53");
	assert_int_equal(p.dns.rules[0].family, 4);
	assert_int_equal(p.dns.rules[1].family, 6);
	assert_true(vr_policy_list(&p, VRNET_LIST_ALLOW) == &p.allow);
	assert_true(vr_policy_list(&p, VRNET_LIST_BLOCK) == &p.block);
	assert_true(vr_policy_list(&p, VRNET_LIST_DNS) == &p.dns);
	vr_policy_free(&p);
	assert_int_equal(vr_policy_rule_count(&p), 0);
}

static void test_default_missing_is_deny(void **state)
{
	static const char *const texts[] = {
		"{}",
		"{\"allow\": [\"10.0.0.1\"]}",
		"{\"default\": \"deny\", \"allow\": []}",
	};
	struct vr_policy p;
	char err[512] = "";

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		/* a stale value in @p must not survive */
		p.default_action = VRNET_ACTION_ALLOW;
		if (parse(texts[i], &p, err, sizeof(err)))
			fail_msg("%s: %s", texts[i], err);
		assert_int_equal(p.default_action, VRNET_ACTION_DENY);
		vr_policy_free(&p);
	}
}

static void test_bad_json(void **state)
{
	static const struct {
		const char *text;
		int line;
	} cases[] = {
		{ "{\n  \"allow\": [\"10.0.0.1\",]\n}", 2 },
		{ "{\n\n\n  \"allow\" [\n}", 4 },
		{ "{\"default\": \"deny\"", 1 },
		{ "{\"default\": \"deny\"}\n{}", 2 },
		{ "", 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vr_policy p;
		char err[512] = "", src[64];
		int line = 0, col = 0, n = 0;

		assert_int_equal(parse(cases[i].text, &p, err, sizeof(err)), -EINVAL);
		/* "SOURCE:LINE:COL: text" */
		if (sscanf(err, "%63[^:]:%d:%d: %n", src, &line, &col, &n) != 3 || !n ||
		    !err[n])
			fail_msg("\"%s\" is not SOURCE:LINE:COL: MESSAGE", err);
		assert_string_equal(src, SRC);
		if (line != cases[i].line)
			fail_msg("%s: line %d, want %d", err, line, cases[i].line);
		assert_true(col >= 0);
	}
}

static void test_not_an_object(void **state)
{
	expect_error("[]", SRC ": a policy must be a JSON object");
	expect_error("[{\"default\": \"deny\"}]", "a policy must be a JSON object");
	/* a bare value is not even accepted as a JSON document */
	expect_error("\"deny\"", SRC ":1:");
}

static void test_unknown_key(void **state)
{
	static const char text[] = "{\n"
				   "  \"default\": \"deny\",\n"
				   "  \"alow\": [\"10.0.0.1\"]\n"
				   "}";

	expect_error(text, SRC ":3:3: unknown key \"alow\"");
	expect_error("{\"default\": \"deny\", \"Allow\": []}", SRC ":1:21: unknown key \"Allow\"");
}

static void test_wrong_types(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "{\"allow\": \"10.0.0.1\"}", "\"allow\" must be an array of strings" },
		{ "{\"block\": {}}", "\"block\" must be an array of strings" },
		{ "{\"dns\": null}", "\"dns\" must be an array of strings" },
		{ "{\"allow\": [\"10.0.0.1\", 5]}", "allow[1] must be a string" },
		{ "{\"block\": [[\"10.0.0.1\"]]}", "block[0] must be a string" },
		{ "{\"dns\": [\"8.8.8.8\", null]}", "dns[1] must be a string" },
		{ "{\"default\": \"reject\"}", "\"default\" must be \"deny\" or \"allow\"" },
		{ "{\"default\": \"Deny\"}", "\"default\" must be \"deny\" or \"allow\"" },
		{ "{\"default\": true}", "\"default\" must be \"deny\" or \"allow\"" },
		{ "{\"default\": null}", "\"default\" must be \"deny\" or \"allow\"" },
		{ "{\"comment\": 5}", "\"comment\" must be a string" },
		{ "{\"comment\": [\"a\"]}", "\"comment\" must be a string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		expect_error(cases[i].text, cases[i].msg);
		expect_error(cases[i].text, SRC ": ");
	}
}

static void test_invalid_rule_location(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "{\n"
		  "  \"default\": \"deny\",\n"
		  "  \"allow\": [\"10.0.0.1\", \"10.0.0.1/8\"]\n"
		  "}",
		  SRC ":3:25: allow[1] \"10.0.0.1/8\": " },
		{ "{\n"
		  "  \"default\": \"deny\",\n"
		  "  \"allow\": [\"10.0.0.1\", \"10.0.0.1/8\"]\n"
		  "}",
		  "10.0.0.0/8" },
		{ "{\n"
		  "  \"allow\": [\n"
		  "    \"10.0.0.1\",\n"
		  "    \"example.com\"\n"
		  "  ],\n"
		  "  \"block\": [\n"
		  "    \"10.0.0.2\",\n"
		  "    \"10.0.0.3\",\n"
		  "\t\"10.0.0.4:90-80\"\n"
		  "  ]\n"
		  "}",
		  SRC ":9:2: block[2] \"10.0.0.4:90-80\": port range \"90-80\" is reversed" },
		{ "{\"dns\": [\"8.8.8.8\",\n"
		  "         \"*.example.com\"]}",
		  SRC ":2:10: dns[1] \"*.example.com\": " },
		{ "{\"allow\": [\"[::1]:80/sctp\"]}", SRC ":1:12: allow[0]" },
		{ "{\"allow\": [\"\"]}", SRC ":1:12: allow[0] \"\": empty rule" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_error(cases[i].text, cases[i].msg);
}

/*
 * The same text is valid in "allow" but not in "dns": the location must be
 * the dns entry, not the earlier allow entry with the same text.
 */
static void test_invalid_rule_location_repeated_text(void **state)
{
	static const char text[] = "{\n"
				   "  \"allow\": [\"10.0.0.0/24\"],\n"
				   "  \"dns\": [\"10.0.0.0/24\"]\n"
				   "}";

	expect_error(text, SRC ":3:11: dns[0] \"10.0.0.0/24\": ");
}

/* The same text twice in one list: the error points at the one that failed. */
static void test_invalid_rule_location_repeated_in_list(void **state)
{
	static const char text[] = "{\n"
				   "  \"allow\": [\"10.0.0.0/33\",\n"
				   "            \"10.0.0.0/33\"]\n"
				   "}";

	expect_error(text, SRC ":2:13: allow[0] \"10.0.0.0/33\": ");
}

/* An unknown key whose name appeared earlier as a value is found as a key. */
static void test_unknown_key_after_same_value(void **state)
{
	expect_error("{\"comment\": \"alow\",\n \"alow\": []}", SRC ":2:2: unknown key \"alow\"");
}

/* Text written with other escapes is not found: no position rather than a wrong one. */
static void test_invalid_rule_escaped_has_no_position(void **state)
{
	struct vr_policy p;
	char err[512] = "";

	assert_int_equal(parse("{\"allow\": [\"10.0.0.1\\/8\"]}", &p, err, sizeof(err)), -EINVAL);
	assert_contains(err, SRC ": allow[0] \"10.0.0.1/8\": host bits set");
}

static void test_mode_and_log(void **state)
{
	struct vr_policy p;
	char err[512] = "";

	assert_int_equal(parse("{\"mode\": \"audit\", \"log\": {\"rate\": 5, \"burst\": 7, \"allowed\": true}}",
			       &p, err, sizeof(err)), 0);
	assert_int_equal(p.mode, VRNET_MODE_AUDIT);
	assert_int_equal(p.event_rate, 5);
	assert_int_equal(p.event_burst, 7);
	assert_true(p.log_allowed);
	vr_policy_free(&p);

	assert_int_equal(parse("{}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.mode, VRNET_MODE_ENFORCE);
	assert_int_equal(p.event_rate, VRNET_DEFAULT_EVENT_RATE);
	assert_int_equal(p.event_burst, VRNET_DEFAULT_EVENT_BURST);
	assert_false(p.log_allowed);
	vr_policy_free(&p);

	assert_int_equal(parse("{\"log\": {\"rate\": 0}}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.event_rate, 0);
	vr_policy_free(&p);

	expect_error("{\"mode\": \"monitor\"}", "\"mode\" must be \"enforce\" or \"audit\"");
	expect_error("{\"mode\": 1}", "\"mode\" must be");
	expect_error("{\"log\": []}", "\"log\" must be an object");
	expect_error("{\"log\": {\"rate\": -1}}", "log.rate");
	expect_error("{\"log\": {\"rate\": 1000001}}", "log.rate");
	expect_error("{\"log\": {\"burst\": 0}}", "log.burst");
	expect_error("{\"log\": {\"allowed\": \"yes\"}}", "log.allowed");
	expect_error("{\"log\": {\"speed\": 1}}", "log.speed");
}

/* The shipped examples parse (the suite runs from the repository root). */
static void test_example_policies(void **state)
{
	glob_t g;

	assert_int_equal(glob("policies/*.json", 0, NULL, &g), 0);
	assert_true(g.gl_pathc >= 4);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct vr_policy p;
		char err[512] = "";

		if (vr_policy_read_file(g.gl_pathv[i], &p, err, sizeof(err)))
			fail_msg("%s: %s", g.gl_pathv[i], err);
		assert_int_equal(p.default_action, VRNET_ACTION_DENY);
		vr_policy_free(&p);
	}
	globfree(&g);
}

static void test_duplicate_keys(void **state)
{
	expect_error("{\"allow\": [\"10.0.0.1\"],\n \"allow\": [\"10.0.0.2\"]}", "duplicate");
	expect_error("{\"default\": \"deny\", \"default\": \"allow\"}", SRC ":1:");
}

static void test_dns_entries(void **state)
{
	static const struct {
		const char *entry;
		const char *msg;
	} bad[] = {
		{ "10.0.0.0/24", "plain IPv4 or IPv6 address" },
		{ "2001:db8::/64", "plain IPv4 or IPv6 address" },
		{ "8.8.8.8:53", "plain IPv4 or IPv6 address" },
		{ "[2001:db8::1]:53", "plain IPv4 or IPv6 address" },
		{ "dns.google", "plain IPv4 or IPv6 address" },
		{ "8.8.8.8:53/udp", "plain IPv4 or IPv6 address" },
	};
	struct vr_policy p;
	char text[256], err[512] = "";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "{\"dns\": [\"1.1.1.1\", \"%s\"]}", bad[i].entry);
		expect_error(text, bad[i].msg);
		expect_error(text, "dns[1]");
	}

	assert_int_equal(parse("{\"dns\": [\"1.1.1.1\", \"::1\"]}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.dns.count, 2);
	assert_int_equal(p.allow.count, 0);
	assert_rule_text(&p.dns.rules[0], "1.1.1.1:53");
	assert_rule_text(&p.dns.rules[1], "[::1]:53");
	vr_policy_free(&p);
}

/* Name rules go to the DNS proxy unless the policy says "dns_proxy": false. */
static void test_dns_proxy_default(void **state)
{
	static const struct {
		const char *text;
		bool proxy;
	} cases[] = {
		{ "{\"allow\": [\"api.example.com:443/tcp\"]}", true },
		{ "{\"default\": \"allow\", \"block\": [\"*.corp.example\"]}", true },
		{ "{\"dns_proxy\": false, \"allow\": [\"api.example.com\"]}", false },
		{ "{\"allow\": [\"203.0.113.10:443/tcp\"], \"dns\": [\"192.0.2.53\"]}", false },
		{ "{\"dns_proxy\": true, \"allow\": [\"203.0.113.10\"]}", true },
		{ "{}", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vr_policy p;
		char err[512] = "";

		assert_int_equal(parse(cases[i].text, &p, err, sizeof(err)), 0);
		if (p.dns_proxy != cases[i].proxy)
			fail_msg("%s: dns_proxy %d, want %d", cases[i].text, p.dns_proxy,
				 cases[i].proxy);
		vr_policy_free(&p);
	}
}

/* "dns_rate": the device's queries to the DNS proxy, defaults and bounds. */
static void test_dns_rate(void **state)
{
	struct vr_policy p;
	char err[512] = "";

	assert_int_equal(parse("{}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.dns_rate, VRNET_DEFAULT_DNS_RATE);
	assert_int_equal(p.dns_burst, VRNET_DEFAULT_DNS_BURST);
	vr_policy_free(&p);
	assert_int_equal(parse("{\"dns_rate\": {\"rate\": 50, \"burst\": 7}}", &p, err,
			       sizeof(err)), 0);
	assert_int_equal(p.dns_rate, 50);
	assert_int_equal(p.dns_burst, 7);
	vr_policy_free(&p);
	expect_error("{\"dns_rate\": {\"rate\": 0}}", "dns_rate.rate: \"rate\" takes 1-");
	expect_error("{\"dns_rate\": {\"burst\": 1000001}}", "dns_rate.burst");
	expect_error("{\"dns_rate\": {\"per\": 1}}", "dns_rate.per");
	expect_error("{\"dns_rate\": 5}", "\"dns_rate\" must be an object");
}

/* "inbound": its default, its lists as inbound lists, its round trip, its errors. */
static void test_inbound(void **state)
{
	struct vr_policy p, back;
	char err[512] = "";
	json_t *j;
	char *text;

	assert_int_equal(parse("{\"allow\": [\"10.0.0.1\"]}", &p, err, sizeof(err)), 0);
	assert_int_equal(p.inbound, VRNET_INBOUND_NONE);
	j = vr_policy_to_json(&p);
	assert_null(json_object_get(j, "inbound"));
	json_decref(j);
	vr_policy_free(&p);

	assert_int_equal(parse("{\"allow\": [\"10.0.0.1\"], \"inbound\": {\"default\": \"deny\", "
			       "\"allow\": [\"192.0.2.7:22/tcp\"], \"block\": [\"[2001:db8::/32]\"]}}",
			       &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.inbound, VRNET_INBOUND_DENY);
	assert_int_equal(p.allow.count, 1);
	assert_int_equal(p.inbound_allow.count, 1);
	assert_int_equal(p.inbound_block.count, 1);
	assert_int_equal(vr_policy_rule_count(&p), 3);
	assert_rule_text(&p.inbound_allow.rules[0], "192.0.2.7:22/tcp");
	assert_rule_text(&p.inbound_block.rules[0], "2001:db8::/32");
	assert_true(vr_policy_list(&p, VRNET_LIST_INBOUND_BLOCK) == &p.inbound_block);
	/* what to_json writes parses back to the same policy */
	j = vr_policy_to_json(&p);
	text = json_dumps(j, JSON_COMPACT);
	assert_int_equal(parse(text, &back, err, sizeof(err)), 0);
	assert_int_equal(back.inbound, VRNET_INBOUND_DENY);
	assert_int_equal(back.inbound_allow.count, 1);
	assert_int_equal(back.inbound_block.count, 1);
	free(text);
	json_decref(j);
	vr_policy_free(&back);
	vr_policy_free(&p);

	assert_int_equal(parse("{\"inbound\": {\"default\": \"allow\"}}", &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.inbound, VRNET_INBOUND_ALLOW);
	vr_policy_free(&p);

	expect_error("{\"inbound\": {\"allow\": [\"192.0.2.7\"]}}",
		     "\"inbound\" needs \"default\": \"allow\" or \"deny\"");
	expect_error("{\"inbound\": {\"default\": \"open\"}}", "\"inbound\" needs \"default\"");
	expect_error("{\"inbound\": {\"default\": \"deny\", \"dns\": []}}",
		     "inbound.dns: unknown key");
	expect_error("{\"inbound\": [\"192.0.2.7\"]}", "\"inbound\" must be an object");
	expect_error("{\"inbound\": {\"default\": \"deny\", \"allow\": [\"ci.example.com\"]}}",
		     "inbound.allow[0] \"ci.example.com\": an inbound rule's host is the source");
	expect_error("{\"inbound\": {\"default\": \"deny\", \"block\": [\"10.0.0.1/8\"]}}",
		     "inbound.block[0]");
}

static void test_read_file(void **state)
{
	static const char text[] = "{\n  \"allow\": [\"10.0.0.1:443/tcp\"],\n"
				   "  \"block\": [\"10.0.0.0/8\"]\n}\n";
	char *path = temp_file(text, strlen(text));
	struct vr_policy p;
	char err[512] = "", want[128];

	if (vr_policy_read_file(path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p.allow.count, 1);
	assert_int_equal(p.block.count, 1);
	assert_rule_text(&p.allow.rules[0], "10.0.0.1:443/tcp");
	assert_rule_text(&p.block.rules[0], "10.0.0.0/8");
	vr_policy_free(&p);
	unlink(path);
	free(path);

	/* errors carry the path as their source */
	path = temp_file("{\n\n  \"block\": [\"10.0.0.1/8\"]\n}", 30);
	assert_int_equal(vr_policy_read_file(path, &p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3:13: block[0]", path);
	assert_contains(err, want);
	unlink(path);
	free(path);
}

static void test_read_file_missing(void **state)
{
	struct vr_policy p;
	char err[512] = "";

	assert_int_equal(vr_policy_read_file("/nonexistent/vrnet/policy.json", &p, err,
					     sizeof(err)),
			 -EINVAL);
	assert_contains(err, "/nonexistent/vrnet/policy.json: ");
	assert_contains(err, strerror(ENOENT));
	assert_int_equal(vr_policy_rule_count(&p), 0);
}

static void test_read_file_too_large(void **state)
{
	static const char start[] = "{\"allow\": [\"10.0.0.1\"], \"comment\": \"";
	char path[] = "/tmp/vrnet-policy-big.XXXXXX";
	struct vr_policy p;
	char err[512] = "";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)VR_POLICY_FILE_MAX + 1), 0);
	assert_int_equal(pwrite(fd, start, strlen(start), 0), (ssize_t)strlen(start));
	close(fd);

	assert_int_equal(vr_policy_read_file(path, &p, err, sizeof(err)), -EINVAL);
	assert_contains(err, path);
	assert_contains(err, "larger than the limit of 64 MiB");
	assert_int_equal(vr_policy_rule_count(&p), 0);
	unlink(path);
}

/* A file of exactly the limit is read and parsed. */
static void test_read_file_at_limit(void **state)
{
	static const char start[] = "{\"allow\": [\"10.0.0.1\"]}";
	char path[] = "/tmp/vrnet-policy-limit.XXXXXX";
	size_t chunk = 1 << 20;
	char *spaces = malloc(chunk);
	struct vr_policy p;
	char err[512] = "";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_non_null(spaces);
	memset(spaces, ' ', chunk);
	assert_int_equal(write(fd, start, strlen(start)), (ssize_t)strlen(start));
	for (size_t left = VR_POLICY_FILE_MAX - strlen(start); left;) {
		size_t n = left < chunk ? left : chunk;

		assert_int_equal(write(fd, spaces, n), (ssize_t)n);
		left -= n;
	}
	close(fd);
	free(spaces);

	if (vr_policy_read_file(path, &p, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(p.allow.count, 1);
	vr_policy_free(&p);
	unlink(path);
}

static void test_add_remove(void **state)
{
	struct vr_policy p;
	struct vr_rule a = rule_of("10.0.0.1"), b = rule_of("10.0.0.2:443/tcp"),
		       c = rule_of("example.com");
	struct vr_rule same_as_a = rule_of("10.0.0.1/32:*");

	vr_policy_init(&p);
	assert_int_equal(p.default_action, VRNET_ACTION_DENY);
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &a), 0);
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &b), 0);
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &c), 0);
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_BLOCK, &a), 0);
	assert_int_equal(vr_policy_rule_count(&p), 4);

	/* removal keeps the order of the rest, and touches one list only */
	assert_int_equal(vr_policy_remove(&p, VRNET_LIST_ALLOW, &same_as_a), 0);
	assert_int_equal(p.allow.count, 2);
	assert_rule_text(&p.allow.rules[0], "10.0.0.2:443/tcp");
	assert_rule_text(&p.allow.rules[1], "example.com");
	assert_int_equal(p.block.count, 1);
	assert_rule_text(&p.block.rules[0], "10.0.0.1");
	assert_int_equal(vr_policy_remove(&p, VRNET_LIST_ALLOW, &a), -ENOENT);
	assert_int_equal(p.allow.count, 2);

	/* a different port or protocol is a different rule */
	struct vr_rule b_udp = rule_of("10.0.0.2:443/udp");

	assert_int_equal(vr_policy_remove(&p, VRNET_LIST_ALLOW, &b_udp), -ENOENT);
	assert_int_equal(vr_policy_remove(&p, VRNET_LIST_DNS, &b), -ENOENT);

	/* every copy goes */
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &b), 0);
	assert_int_equal(vr_policy_add(&p, VRNET_LIST_ALLOW, &c), 0);
	assert_int_equal(vr_policy_remove(&p, VRNET_LIST_ALLOW, &b), 0);
	assert_int_equal(p.allow.count, 2);
	assert_rule_text(&p.allow.rules[0], "example.com");
	assert_rule_text(&p.allow.rules[1], "example.com");

	/* growth past the first allocation keeps every rule */
	for (int i = 0; i < 100; i++) {
		char text[32];
		struct vr_rule r;

		snprintf(text, sizeof(text), "192.168.0.%d", i);
		r = rule_of(text);
		assert_int_equal(vr_policy_add(&p, VRNET_LIST_DNS, &r), 0);
	}
	assert_int_equal(p.dns.count, 100);
	assert_rule_text(&p.dns.rules[99], "192.168.0.99");
	assert_int_equal(vr_policy_rule_count(&p), 103);
	vr_policy_free(&p);
	assert_int_equal(vr_policy_rule_count(&p), 0);
	assert_null(p.dns.rules);
}

static void assert_json_strings(json_t *arr, const char *const *want, size_t n)
{
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(arr, i);

		assert_true(json_is_string(s));
		assert_string_equal(json_string_value(s), want[i]);
	}
}

static void test_to_json(void **state)
{
	static const char text[] = "{\"default\": \"allow\", \"comment\": \"x\",\n"
				   " \"allow\": [\"10.0.0.1/32:443/TCP\", \"Example.com.\"],\n"
				   " \"block\": [\"[2001:db8::/32]:*/icmp\"],\n"
				   " \"dns\": [\"8.8.8.8\", \"[::1]\"]}";
	static const char *const allow[] = { "10.0.0.1:443/tcp", "example.com" };
	static const char *const block[] = { "[2001:db8::/32]:*/icmp" };
	static const char *const dns[] = { "8.8.8.8", "::1" };
	struct vr_policy p, back;
	char err[512] = "", *dumped;
	json_error_t jerr;
	json_t *j, *parsed;

	if (parse(text, &p, err, sizeof(err)))
		fail_msg("%s", err);
	j = vr_policy_to_json(&p);
	assert_non_null(j);
	dumped = json_dumps(j, 0);
	assert_non_null(dumped);
	json_decref(j);

	parsed = json_loads(dumped, 0, &jerr);
	if (!parsed)
		fail_msg("%s: %s", dumped, jerr.text);
	assert_true(json_is_object(parsed));
	assert_int_equal(json_object_size(parsed), 8);
	assert_string_equal(json_string_value(json_object_get(parsed, "default")), "allow");
	assert_string_equal(json_string_value(json_object_get(parsed, "mode")), "enforce");
	/* a name rule and no "dns_proxy": the proxy, written out as such */
	assert_true(json_is_true(json_object_get(parsed, "dns_proxy")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(parsed, "log"), "rate")),
			 VRNET_DEFAULT_EVENT_RATE);
	assert_json_strings(json_object_get(parsed, "allow"), allow, 2);
	assert_json_strings(json_object_get(parsed, "block"), block, 1);
	assert_json_strings(json_object_get(parsed, "dns"), dns, 2);
	json_decref(parsed);

	/* the output is itself a policy, equal to the input */
	if (parse(dumped, &back, err, sizeof(err)))
		fail_msg("%s: %s", dumped, err);
	assert_int_equal(back.default_action, p.default_action);
	assert_int_equal(back.allow.count, p.allow.count);
	assert_int_equal(back.block.count, p.block.count);
	assert_int_equal(back.dns.count, p.dns.count);
	for (size_t i = 0; i < p.allow.count; i++)
		assert_true(vr_rule_equal(&back.allow.rules[i], &p.allow.rules[i]));
	for (size_t i = 0; i < p.block.count; i++)
		assert_true(vr_rule_equal(&back.block.rules[i], &p.block.rules[i]));
	for (size_t i = 0; i < p.dns.count; i++)
		assert_true(vr_rule_equal(&back.dns.rules[i], &p.dns.rules[i]));
	free(dumped);
	vr_policy_free(&back);
	vr_policy_free(&p);

	/* an empty policy has every key */
	vr_policy_init(&p);
	j = vr_policy_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "default")), "deny");
	assert_json_strings(json_object_get(j, "allow"), NULL, 0);
	assert_json_strings(json_object_get(j, "block"), NULL, 0);
	assert_json_strings(json_object_get(j, "dns"), NULL, 0);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_all_keys),
		cmocka_unit_test(test_default_missing_is_deny),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_invalid_rule_location),
		cmocka_unit_test(test_invalid_rule_location_repeated_text),
		cmocka_unit_test(test_invalid_rule_location_repeated_in_list),
		cmocka_unit_test(test_unknown_key_after_same_value),
		cmocka_unit_test(test_invalid_rule_escaped_has_no_position),
		cmocka_unit_test(test_example_policies),
		cmocka_unit_test(test_mode_and_log),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_dns_entries),
		cmocka_unit_test(test_dns_proxy_default),
		cmocka_unit_test(test_dns_rate),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_read_file_missing),
		cmocka_unit_test(test_read_file_too_large),
		cmocka_unit_test(test_read_file_at_limit),
		cmocka_unit_test(test_add_remove),
		cmocka_unit_test(test_to_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
