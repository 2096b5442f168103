// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "rule.h"

#define fail(...)                                  \
	do {                                       \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                    \
	} while (0)

const char *vr_proto_name(uint8_t proto)
{
	switch (proto) {
	case VRNET_PROTO_TCP:
		return "tcp";
	case VRNET_PROTO_UDP:
		return "udp";
	case VRNET_PROTO_ICMP:
		return "icmp";
	default:
		return "any";
	}
}

/* Parses a decimal number in [0, max] that fills the whole of [s, end). */
static int parse_uint(const char *s, const char *end, unsigned long max,
		      unsigned long *out)
{
	unsigned long v = 0;

	if (s == end || end - s > 10)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_ports(const char *s, struct vr_rule *rule, char *err, size_t errlen)
{
	const char *dash = strchr(s, '-');
	const char *end = s + strlen(s);
	unsigned long lo, hi;

	if (!strcmp(s, "*")) {
		rule->any_port = true;
		rule->port_lo = 0;
		rule->port_hi = 65535;
		return 0;
	}
	if (!*s)
		fail("missing port after ':'");
	if (dash) {
		if (parse_uint(s, dash, 65535, &lo) || parse_uint(dash + 1, end, 65535, &hi))
			fail("port range \"%s\" must be N-M with ports 0-65535", s);
		if (lo > hi)
			fail("port range \"%s\" is reversed", s);
	} else {
		if (parse_uint(s, end, 65535, &lo))
			fail("port \"%s\" must be a number 0-65535, a range N-M or *", s);
		hi = lo;
	}
	rule->any_port = false;
	rule->port_lo = (uint16_t)lo;
	rule->port_hi = (uint16_t)hi;
	return 0;
}

static int parse_proto(const char *s, struct vr_rule *rule, char *err, size_t errlen)
{
	if (!strcasecmp(s, "tcp"))
		rule->proto = VRNET_PROTO_TCP;
	else if (!strcasecmp(s, "udp"))
		rule->proto = VRNET_PROTO_UDP;
	else if (!strcasecmp(s, "icmp"))
		rule->proto = VRNET_PROTO_ICMP;
	else if (!strcasecmp(s, "any"))
		rule->proto = VRNET_PROTO_ANY;
	else
		fail("protocol \"%s\" must be tcp, udp, icmp or any", s);
	return 0;
}

static void clear_host_bits(uint8_t *addr, int bytes, int prefixlen)
{
	for (int i = 0; i < bytes; i++) {
		int keep = prefixlen - i * 8;

		if (keep <= 0)
			addr[i] = 0;
		else if (keep < 8)
			addr[i] &= (uint8_t)(0xff << (8 - keep));
	}
}

/*
 * An IPv6 rule that names IPv4 space: the sandbox's packets to those hosts are
 * IPv4, so an IPv4-mapped rule (::ffff:a.b.c.d) would never match them. It
 * becomes the IPv4 rule it means. IPv4-compatible addresses (::a.b.c.d, other
 * than :: and ::1) are deprecated and refused rather than guessed at.
 */
static int ipv4_in_ipv6(struct vr_rule *rule, char *err, size_t errlen)
{
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t zero[12];
	char v4[INET_ADDRSTRLEN];

	if (!memcmp(rule->addr, mapped, sizeof(mapped))) {
		memmove(rule->addr, rule->addr + 12, 4);
		memset(rule->addr + 4, 0, 12);
		rule->family = 4;
		rule->prefixlen -= 96;
		return 0;
	}
	if (!memcmp(rule->addr, zero, sizeof(zero)) && rule->prefixlen == 128 &&
	    (rule->addr[12] | rule->addr[13] | rule->addr[14] || rule->addr[15] > 1)) {
		inet_ntop(AF_INET, rule->addr + 12, v4, sizeof(v4));
		fail("IPv4-compatible IPv6 addresses are deprecated: write %s", v4);
	}
	return 0;
}

static int parse_cidr(const char *s, int family, struct vr_rule *rule, char *err,
		      size_t errlen)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	int maxlen = family == 4 ? 32 : 128;
	int bytes = family == 4 ? 4 : 16;
	uint8_t masked[16];
	unsigned long plen = (unsigned long)maxlen;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen >= sizeof(addr))
		fail("invalid IPv%d address", family);
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (inet_pton(family == 4 ? AF_INET : AF_INET6, addr, rule->addr) != 1)
		fail("invalid IPv%d address \"%s\"", family, addr);
	if (slash && parse_uint(slash + 1, slash + 1 + strlen(slash + 1),
				(unsigned long)maxlen, &plen))
		fail("prefix length must be 0-%d", maxlen);

	memcpy(masked, rule->addr, (size_t)bytes);
	clear_host_bits(masked, bytes, (int)plen);
	if (memcmp(masked, rule->addr, (size_t)bytes)) {
		char net[INET6_ADDRSTRLEN];

		inet_ntop(family == 4 ? AF_INET : AF_INET6, masked, net, sizeof(net));
		fail("host bits set after the prefix (the network is %s/%lu)", net, plen);
	}
	rule->kind = VRNET_RULE_CIDR;
	rule->family = (uint8_t)family;
	rule->prefixlen = (uint8_t)plen;
	if (family == 6 && plen >= 96)
		return ipv4_in_ipv6(rule, err, errlen);
	return 0;
}

/* A name, or a wildcard "*.NAME" (one or more labels in front of NAME). */
static int parse_domain(const char *s, struct vr_rule *rule, char *err, size_t errlen)
{
	size_t len = strlen(s), label = 0, wild = !strncmp(s, "*.", 2) ? 2 : 0;
	bool numeric_label = true;

	if (len && s[len - 1] == '.')
		len--; /* a fully qualified name may end in a dot */
	if (!len)
		fail("empty host");
	if (len <= wild) /* "*." alone: its dot went with the trailing one */
		fail("a wildcard is \"*.\" in front of a name, as in *.example.com");
	memcpy(rule->name, s, wild);
	s += wild;
	len -= wild;
	if (len > 253)
		fail("domain name longer than 253 characters");
	if (s[0] == '*' || memchr(s, '*', len))
		fail("a wildcard is \"*.\" in front of a name, as in *.example.com");

	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? s[i] : '.';

		if (c == '.') {
			if (!label)
				fail("empty label in domain name");
			if (s[i - 1] == '-')
				fail("a domain label must not end with '-'");
			label = 0;
			if (i == len && numeric_label)
				fail("invalid address or domain name");
			numeric_label = true;
			continue;
		}
		if (!isalnum((unsigned char)c) && c != '-' && c != '_')
			fail("invalid character '%c' in domain name", c);
		if (!label && c == '-')
			fail("a domain label must not start with '-'");
		if (!isdigit((unsigned char)c))
			numeric_label = false;
		if (++label > 63)
			fail("domain label longer than 63 characters");
	}
	for (size_t i = 0; i < len; i++)
		rule->name[wild + i] = (char)tolower((unsigned char)s[i]);
	rule->name[wild + len] = '\0';
	rule->kind = VRNET_RULE_DOMAIN;
	rule->family = 0;
	return 0;
}

static bool looks_ipv4(const char *host)
{
	for (; *host && *host != '/'; host++)
		if (!isdigit((unsigned char)*host) && *host != '.')
			return false;
	return true;
}

/*
 * Whether bare IPv6 text reads as ADDRESS:PORT too, like "2001:db8::1:443":
 * its last group is decimal and the text before it is an address. Sets @rest
 * to the length of that address.
 */
static bool reads_as_port(const char *s, size_t *rest)
{
	const char *last = strrchr(s, ':');
	char head[INET6_ADDRSTRLEN + 8];
	uint8_t addr[16];

	if (!last || strchr(s, '/') || !last[1] ||
	    strspn(last + 1, "0123456789") != strlen(last + 1) || (size_t)(last - s) >= sizeof(head))
		return false;
	*rest = (size_t)(last - s);
	memcpy(head, s, *rest);
	head[*rest] = '\0';
	return inet_pton(AF_INET6, head, addr) == 1;
}

int vr_rule_parse(const char *text, struct vr_rule *rule, char *err, size_t errlen)
{
	char buf[VR_RULE_TEXT_MAX + 1];
	char *host, *ports = NULL, *proto = NULL;
	int ret;

	memset(rule, 0, sizeof(*rule));
	rule->any_port = true;
	rule->port_hi = 65535;
	if (!text || !*text)
		fail("empty rule");
	if (strlen(text) > VR_RULE_TEXT_MAX)
		fail("rule longer than %d characters", VR_RULE_TEXT_MAX);
	for (const char *p = text; *p; p++)
		if (isspace((unsigned char)*p) || !isprint((unsigned char)*p))
			fail("rule contains white space or a control character");
	strcpy(buf, text);

	host = buf;
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			fail("missing ']' after IPv6 address");
		*close = '\0';
		host = buf + 1;
		if (close[1] == ':')
			ports = close + 2;
		else if (close[1])
			fail("expected ':' after ']'");
	} else if (strchr(buf, ':') != strrchr(buf, ':')) {
		/* Two or more colons: a bare IPv6 address, which takes no port. */
		size_t rest;

		if (reads_as_port(buf, &rest))
			fail("ambiguous \"%s\": write [%.*s]:%s for a port, or [%s] for the address",
			     buf, (int)rest, buf, buf + rest + 1, buf);
	} else if ((ports = strchr(buf, ':'))) {
		*ports++ = '\0';
	}
	if (ports) {
		proto = strchr(ports, '/');
		if (proto)
			*proto++ = '\0';
		ret = parse_ports(ports, rule, err, errlen);
		if (ret)
			return ret;
		if (proto && (ret = parse_proto(proto, rule, err, errlen)))
			return ret;
	}
	if (rule->proto == VRNET_PROTO_ICMP && !rule->any_port)
		fail("ports do not apply to icmp (use :*/icmp)");

	if (buf[0] == '[' || strchr(host, ':'))
		ret = parse_cidr(host, 6, rule, err, errlen);
	else if (looks_ipv4(host))
		ret = parse_cidr(host, 4, rule, err, errlen);
	else
		ret = parse_domain(host, rule, err, errlen);
	return ret;
}

void vr_addr_format(int family, const uint8_t *addr, int prefixlen, char *buf,
		    size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	if (prefixlen == (family == 4 ? 32 : 128))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%d", a, prefixlen);
}

void vr_rule_format(const struct vr_rule *rule, char *buf, size_t len)
{
	char host[VRNET_MAX_NAME_LEN + 8], ports[16] = "";
	bool bracket;
	size_t rest;

	if (rule->kind == VRNET_RULE_DOMAIN)
		snprintf(host, sizeof(host), "%s", rule->name);
	else
		vr_addr_format(rule->family, rule->addr, rule->prefixlen, host,
			       sizeof(host));

	if (rule->any_port && rule->proto == VRNET_PROTO_ANY) {
		/* brackets where the bare address would read as one with a port */
		bracket = rule->kind == VRNET_RULE_CIDR && rule->family == 6 &&
			  reads_as_port(host, &rest);
		snprintf(buf, len, "%s%s%s", bracket ? "[" : "", host, bracket ? "]" : "");
		return;
	}
	if (rule->any_port)
		snprintf(ports, sizeof(ports), "*");
	else if (rule->port_lo == rule->port_hi)
		snprintf(ports, sizeof(ports), "%u", rule->port_lo);
	else
		snprintf(ports, sizeof(ports), "%u-%u", rule->port_lo, rule->port_hi);

	bracket = rule->kind == VRNET_RULE_CIDR && rule->family == 6;
	snprintf(buf, len, "%s%s%s:%s%s%s", bracket ? "[" : "", host, bracket ? "]" : "",
		 ports, rule->proto == VRNET_PROTO_ANY ? "" : "/",
		 rule->proto == VRNET_PROTO_ANY ? "" : vr_proto_name(rule->proto));
}

bool vr_rule_equal(const struct vr_rule *a, const struct vr_rule *b)
{
	char ta[VR_RULE_TEXT_MAX], tb[VR_RULE_TEXT_MAX];

	vr_rule_format(a, ta, sizeof(ta));
	vr_rule_format(b, tb, sizeof(tb));
	return !strcmp(ta, tb);
}

bool vr_rules_have_name(const struct vr_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rules[i].kind == VRNET_RULE_DOMAIN)
			return true;
	return false;
}
