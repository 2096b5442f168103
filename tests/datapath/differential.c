// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Differential test: random policies over a small address universe (so rules
 * overlap heavily) and random packets; the real program's verdict must equal
 * a plain reference model of the documented semantics, packet by packet:
 *
 *   a packet is dropped if any block rule matches, else passed if any allow
 *   rule (or DNS resolver, 53 over TCP/UDP) matches, else the default applies;
 *   a packet whose IP length fields do not fit the frame or its header is
 *   dropped as malformed;
 *   ARP passes, whatever the policy, only as an Ethernet/IPv4 request or
 *   reply of at most 60 bytes to the broadcast or the host device's MAC, and
 *   is otherwise dropped as malformed;
 *   a GSO packet of no TCP or UDP GSO type (all a test run can make) is
 *   dropped for its offload metadata, unless it is malformed already;
 *   an IPv6 destination that embeds an IPv4 address (::ffff:A, ::A,
 *   64:ff9b::A, 64:ff9b:1::/48 in RFC 6052's layout, 2002:A::/48) is also
 *   matched against the IPv4 block rules of A (ICMPv6 counting as ICMP);
 *   a rule written as an IPv4-mapped prefix is the IPv4 rule it names;
 *   a later fragment is dropped, reason fragment: no first fragment of its
 *   datagram passed (the test forgets them before each packet;
 *   tests/datapath/fragments.c follows datagrams);
 *   a rule matches when the destination is in its prefix and
 *     - an IPv6 Mobility Header (an upper-layer protocol, whatever follows
 *       it): the rule names neither port nor protocol;
 *     - else the protocol matches (icmp is ICMP for IPv4, ICMPv6 for IPv6)
 *       and, if the rule has ports, the packet is TCP/UDP with its
 *       destination port in range.
 *
 * A policy's inbound part is the same rules matched against the source of
 * what the host sends into the sandbox (test_random_inbound()).
 *
 * The model is written from those sentences, not from loader/compile.c.
 * The seed is printed; VRNET_SEED=N repeats a run.
 */
#include <time.h>
#include "datapath/harness.h"
#include "datapath/flows.h"
#include "program.h"
#include "output.h"

#define N_POLICIES 300
#define N_PACKETS 50
#define MAX_RULES 40
#define MAX_DNS 2
#define MAX_MISMATCHES_SHOWN 5

/* ---- PRNG: splitmix64, so a seed means the same run everywhere ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(rng_next() % n);
}

static bool rng_chance(uint32_t percent)
{
	return rng_below(100) < percent;
}

#define PICK(arr) ((arr)[rng_below(ARRAY_SIZE(arr))])

/* ---- the universe ---- */

/* Rule addresses: few, close together. */
static const char *const rule_addrs4[] = {
	"203.0.113.0", "203.0.113.1", "203.0.113.2",  "203.0.113.3",  "203.0.113.4",
	"203.0.113.5", "203.0.113.6", "203.0.113.7",  "203.0.113.8",  "203.0.113.9",
	"203.0.113.12", "203.0.113.15", "198.51.100.0", "198.51.100.1", "198.51.100.3",
};
static const int plens4[] = { 0, 8, 16, 24, 24, 28, 29, 30, 31, 32, 32, 32 };

static const char *const rule_addrs6[] = {
	"2001:db8::",	"2001:db8::1",	"2001:db8::2",	 "2001:db8::3",	  "2001:db8::4",
	"2001:db8::5",	"2001:db8::7",	"2001:db8::8",	 "2001:db8::c",	  "2001:db8::f",
	"2001:db8:1::", "2001:db8:1::1", "2001:db8:1::3",
	/* IPv6 rules over IPv4 addresses in disguise */
	"64:ff9b::cb00:7105", "::ffff:cb00:7100", "2002:cb00:7100::",
};
static const int plens6[] = { 0, 16, 32, 48, 64, 112, 124, 125, 126, 127, 128, 128, 128 };

/* Packet destinations: the rule addresses, neighbours and outsiders. */
static const char *const pkt_addrs4[] = {
	"203.0.113.0",	"203.0.113.1",	"203.0.113.2",	"203.0.113.3",	 "203.0.113.4",
	"203.0.113.5",	"203.0.113.6",	"203.0.113.7",	"203.0.113.8",	 "203.0.113.9",
	"203.0.113.10", "203.0.113.12", "203.0.113.15", "203.0.113.16",	 "203.0.113.19",
	"203.0.113.255", "198.51.100.0", "198.51.100.1", "198.51.100.2", "198.51.100.3",
	"198.51.100.9", "203.0.114.1",	"192.0.2.1",
};
static const char *const pkt_addrs6[] = {
	"2001:db8::",	 "2001:db8::1",	  "2001:db8::2",   "2001:db8::3",   "2001:db8::4",
	"2001:db8::5",	 "2001:db8::6",	  "2001:db8::7",   "2001:db8::8",   "2001:db8::c",
	"2001:db8::f",	 "2001:db8::10",  "2001:db8::13",  "2001:db8::1:0", "2001:db8:1::",
	"2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3", "2001:db8:1::9", "2001:db8:ffff::1",
};

static const uint16_t ports[] = { 0,   1,    52,   53,   54,	79,    80,   81,
				  442, 443,  444,  1023, 1024, 8080, 65534, 65535 };

/* ---- reference model ---- */

struct ref_rule {
	int list; /* enum vrnet_rule_list */
	int family;
	int plen;
	uint8_t addr[16];
	uint8_t proto; /* enum vrnet_proto */
	bool any_port;
	uint16_t lo, hi;
	char text[96];
};

struct ref_policy {
	bool default_allow;
	struct ref_rule rules[MAX_RULES + MAX_DNS]; /* index = rule id */
	int n;
};

struct ref_verdict {
	bool allow;
	uint32_t reason;
	uint64_t ids; /* bit per rule id that matches with the deciding action */
};

static bool in_prefix(const struct ref_rule *r, const uint8_t *dst)
{
	for (int bit = 0; bit < r->plen; bit++) {
		uint8_t m = (uint8_t)(0x80 >> (bit % 8));

		if ((r->addr[bit / 8] & m) != (dst[bit / 8] & m))
			return false;
	}
	return true;
}

static bool has_mobility_header(const struct dp_pkt *p)
{
	for (int i = 0; i < p->n_ext; i++)
		if (p->ext[i] == 135)
			return true;
	return false;
}

/* @family: of the address @dst (an IPv6 packet's embedded IPv4 address is 4) */
static bool ref_matches(const struct ref_rule *r, const struct dp_pkt *p, int family,
			const uint8_t *dst)
{
	uint8_t icmp = p->family == 4 ? 1 : 58;
	bool ported = p->proto == 6 || p->proto == 17;

	if (r->family != family || !in_prefix(r, dst))
		return false;
	if (has_mobility_header(p))
		return r->any_port && r->proto == VRNET_PROTO_ANY;
	if ((r->proto == VRNET_PROTO_TCP && p->proto != 6) ||
	    (r->proto == VRNET_PROTO_UDP && p->proto != 17) ||
	    (r->proto == VRNET_PROTO_ICMP && p->proto != icmp))
		return false;
	if (r->any_port)
		return true;
	return ported && p->dport >= r->lo && p->dport <= r->hi;
}

/* The IPv4 address an IPv6 destination carries, as the semantics list the forms. */
static bool ref_embedded_ipv4(const uint8_t *d, uint8_t *v4)
{
	static const uint8_t zero[12], mapped[12] = { [10] = 0xff, [11] = 0xff },
				       nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (!memcmp(d, zero, 12) || !memcmp(d, mapped, 12) || !memcmp(d, nat64, 12)) {
		memcpy(v4, d + 12, 4);
		return true;
	}
	if (!memcmp(d, nat64, 4) && d[4] == 0 && d[5] == 1) { /* 64:ff9b:1::/48 */
		v4[0] = d[6], v4[1] = d[7], v4[2] = d[9], v4[3] = d[10];
		return true;
	}
	if (d[0] == 0x20 && d[1] == 0x02) { /* 2002::/16 */
		memcpy(v4, d + 2, 4);
		return true;
	}
	return false;
}

static bool ref_arp_passes(const struct dp_pkt *p)
{
	static const uint8_t host_mac[6]; /* the harness's device is lo */
	const char *dst = p->eth_dst ? p->eth_dst : "\xff\xff\xff\xff\xff\xff";

	return (!p->arp_htype || p->arp_htype == 1) && (!p->arp_hlen || p->arp_hlen == 6) &&
	       (!p->arp_plen || p->arp_plen == 4) && (!p->arp_op || p->arp_op <= 2) &&
	       DP_ETH_LEN + 28 + p->trailer <= 60 &&
	       (!memcmp(dst, "\xff\xff\xff\xff\xff\xff", 6) || !memcmp(dst, host_mac, 6));
}

/*
 * The rules' verdict on @p by the address @addr (its destination; for the
 * inbound part, its source) into @v, which holds the default: a block rule
 * matching it or the IPv4 address it embeds, else an allow rule matching it.
 */
static void ref_rules(const struct ref_policy *pol, const struct dp_pkt *p, const uint8_t *addr,
		      struct ref_verdict *v)
{
	bool embedded;
	uint64_t block = 0, allow = 0;
	uint8_t v4[4];

	embedded = p->family == 6 && ref_embedded_ipv4(addr, v4);
	for (int i = 0; i < pol->n; i++) {
		const struct ref_rule *r = &pol->rules[i];

		if (r->list == VRNET_LIST_BLOCK &&
		    (ref_matches(r, p, p->family, addr) || (embedded && ref_matches(r, p, 4, v4))))
			block |= 1ull << i;
		else if (r->list != VRNET_LIST_BLOCK && ref_matches(r, p, p->family, addr))
			allow |= 1ull << i;
	}
	if (block) {
		v->allow = false;
		v->reason = VRNET_REASON_BLOCK_RULE;
		v->ids = block;
	} else if (allow) {
		v->allow = true;
		v->reason = VRNET_REASON_ALLOW_RULE;
		v->ids = allow;
	}
}

static struct ref_verdict ref_eval(const struct ref_policy *pol, const struct dp_pkt *p,
				   uint16_t gso_size)
{
	struct ref_verdict v = { .allow = pol->default_allow, .reason = VRNET_REASON_DEFAULT };
	uint8_t dst[16] = { 0 };

	if (p->arp) {
		if (gso_size)
			return (struct ref_verdict){ .allow = false, .reason = VRNET_REASON_OFFLOAD };
		if (ref_arp_passes(p))
			return (struct ref_verdict){ .allow = true, .reason = VRNET_REASON_LINK_LOCAL };
		return (struct ref_verdict){ .allow = false, .reason = VRNET_REASON_MALFORMED };
	}
	assert_int_equal(inet_pton(p->family == 4 ? AF_INET : AF_INET6, p->dst, dst), 1);
	if (p->ip_len_set) /* the generator only lies about lengths in ways that never fit */
		return (struct ref_verdict){ .allow = false, .reason = VRNET_REASON_MALFORMED };
	if (gso_size)
		return (struct ref_verdict){ .allow = false, .reason = VRNET_REASON_OFFLOAD };
	if (dp_is_later_fragment(p))
		return (struct ref_verdict){ .allow = false, .reason = VRNET_REASON_FRAGMENT };
	ref_rules(pol, p, dst, &v);
	return v;
}

/* ---- random policies and packets ---- */

static void random_cidr(struct ref_rule *r, int family)
{
	char a[INET6_ADDRSTRLEN];
	int bytes = family == 4 ? 4 : 16;

	r->family = family;
	r->plen = family == 4 ? PICK(plens4) : PICK(plens6);
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6,
				   family == 4 ? PICK(rule_addrs4) : PICK(rule_addrs6), r->addr),
			 1);
	for (int bit = r->plen; bit < bytes * 8; bit++)
		r->addr[bit / 8] &= (uint8_t)~(0x80 >> (bit % 8));
	inet_ntop(family == 4 ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
	snprintf(r->text, sizeof(r->text), "%s%s/%d%s", family == 6 ? "[" : "", a, r->plen,
		 family == 6 ? "]" : "");
	/* an IPv4-mapped prefix is the IPv4 rule it names (the packets are IPv4) */
	if (family == 6 && !memcmp(r->addr, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12)) {
		memmove(r->addr, r->addr + 12, 4);
		memset(r->addr + 4, 0, 12);
		r->family = 4;
		r->plen -= 96;
	}
}

/* Appends ":PORTS[/PROTO]" to r->text, or drops the brackets of a bare IPv6 rule. */
static void random_ports(struct ref_rule *r)
{
	static const char *const proto_names[] = { "any", "icmp", "tcp", "udp" };
	static const uint8_t protos[] = { VRNET_PROTO_ANY, VRNET_PROTO_ICMP, VRNET_PROTO_TCP,
					  VRNET_PROTO_UDP };
	size_t len = strlen(r->text);
	int kind = (int)rng_below(4), pi = (int)rng_below(4);

	r->any_port = true;
	r->proto = VRNET_PROTO_ANY;
	r->lo = 0;
	r->hi = 65535;
	if (kind == 0) { /* the address alone */
		if (r->family == 6) {
			memmove(r->text, r->text + 1, len - 2);
			r->text[len - 2] = '\0';
		}
		return;
	}
	if (kind == 1 || protos[pi] == VRNET_PROTO_ICMP) { /* ":*" with a protocol */
		r->proto = protos[pi];
		snprintf(r->text + len, sizeof(r->text) - len, ":*/%s", proto_names[pi]);
		return;
	}
	r->any_port = false;
	r->lo = PICK(ports);
	r->hi = kind == 2 ? r->lo : PICK(ports);
	if (r->hi < r->lo) {
		uint16_t t = r->lo;

		r->lo = r->hi;
		r->hi = t;
	}
	r->proto = protos[pi];
	len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, ":%u", r->lo);
	if (r->hi != r->lo)
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "-%u", r->hi);
	/* "any" written or left out: both mean TCP or UDP */
	if (r->proto != VRNET_PROTO_ANY || rng_chance(50))
		snprintf(r->text + len, sizeof(r->text) - len, "/%s", proto_names[pi]);
}

static void random_policy(struct ref_policy *pol)
{
	int n = 1 + (int)rng_below(MAX_RULES), n_dns = rng_chance(20) ? 1 + (int)rng_below(MAX_DNS) : 0;
	int n_block = (int)rng_below((uint32_t)n + 1);

	memset(pol, 0, sizeof(*pol));
	pol->default_allow = rng_chance(50);
	/* rule ids: allow rules, then block rules, then resolvers */
	for (int i = 0; i < n; i++) {
		struct ref_rule *r = &pol->rules[pol->n++];

		r->list = i < n - n_block ? VRNET_LIST_ALLOW : VRNET_LIST_BLOCK;
		random_cidr(r, rng_chance(50) ? 4 : 6);
		random_ports(r);
	}
	for (int i = 0; i < n_dns; i++) {
		struct ref_rule *r = &pol->rules[pol->n++];
		int family = rng_chance(50) ? 4 : 6;
		char a[INET6_ADDRSTRLEN];

		r->list = VRNET_LIST_DNS;
		r->family = family;
		r->plen = family == 4 ? 32 : 128;
		assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6,
					   family == 4 ? PICK(pkt_addrs4) : PICK(pkt_addrs6),
					   r->addr),
				 1);
		inet_ntop(family == 4 ? AF_INET : AF_INET6, r->addr, a, sizeof(a));
		/* bracketed: "2001:db8::1:0" alone reads as an address and a port */
		snprintf(r->text, sizeof(r->text), "%s%s%s", family == 6 ? "[" : "", a,
			 family == 6 ? "]" : "");
		r->proto = VRNET_PROTO_ANY;
		r->lo = r->hi = 53;
	}
}

static void policy_json(const struct ref_policy *pol, char *buf, size_t len)
{
	static const char *const lists[] = { [VRNET_LIST_ALLOW] = "allow",
					     [VRNET_LIST_BLOCK] = "block",
					     [VRNET_LIST_DNS] = "dns" };
	size_t n = (size_t)snprintf(buf, len, "{\"default\": \"%s\"",
				    pol->default_allow ? "allow" : "deny");

	for (int list = VRNET_LIST_ALLOW; list <= VRNET_LIST_DNS; list++) {
		const char *sep = NULL;

		for (int i = 0; i < pol->n; i++) {
			if (pol->rules[i].list != list)
				continue;
			if (!sep)
				n += (size_t)snprintf(buf + n, len - n, ", \"%s\": [", lists[list]);
			n += (size_t)snprintf(buf + n, len - n, "%s\"%s\"", sep ? sep : "",
					      pol->rules[i].text);
			sep = ", ";
			assert_true(n < len);
		}
		if (sep)
			n += (size_t)snprintf(buf + n, len - n, "]");
	}
	n += (size_t)snprintf(buf + n, len - n, "}");
	assert_true(n < len);
}

/* Protocols besides TCP, UDP and the family's ICMP: GRE, SCTP, the other ICMP. */
static uint8_t other_proto(int family)
{
	static const uint8_t others[] = { 47, 132, 0 };
	uint8_t p = PICK(others);

	return p ? p : family == 4 ? 58 : 1;
}

/* An IPv4 destination in one of the IPv6 forms that carry it; in a static buffer. */
static const char *embedded_form(const char *v4_text)
{
	static char text[INET6_ADDRSTRLEN];
	uint8_t a[16] = { 0 }, v4[4];

	assert_int_equal(inet_pton(AF_INET, v4_text, v4), 1);
	switch (rng_below(5)) {
	case 0: /* ::ffff:A */
		a[10] = a[11] = 0xff;
		memcpy(a + 12, v4, 4);
		break;
	case 1: /* ::A */
		memcpy(a + 12, v4, 4);
		break;
	case 2: /* 64:ff9b::A */
		a[1] = 0x64, a[2] = 0xff, a[3] = 0x9b;
		memcpy(a + 12, v4, 4);
		break;
	case 3: /* 64:ff9b:1::/48, RFC 6052: octets 6-7 and 9-10 */
		a[1] = 0x64, a[2] = 0xff, a[3] = 0x9b, a[5] = 1;
		a[6] = v4[0], a[7] = v4[1], a[9] = v4[2], a[10] = v4[3];
		break;
	default: /* 2002:A::/48, a host in it */
		a[0] = 0x20, a[1] = 0x02;
		memcpy(a + 2, v4, 4);
		a[15] = 1;
	}
	inet_ntop(AF_INET6, a, text, sizeof(text));
	return text;
}

/* ARP: the shape that passes half the time, else of random shape. */
static void random_arp(struct dp_pkt *p)
{
	static const uint16_t htypes[] = { 0, 0, 0, 1, 6, 0xffff };
	static const uint8_t hlens[] = { 0, 0, 0, 6, 8, 200 }, plens[] = { 0, 0, 0, 4, 16 };
	static const uint16_t ops[] = { 0, 1, 2, 2, 3, 4 };
	static const char *const macs[] = { NULL, NULL, "\0\0\0\0\0\0", "\x02\0\0\0\0\x09" };

	p->arp = true;
	if (rng_chance(50)) {
		p->arp_op = rng_chance(50) ? 1 : 2;
		p->eth_dst = rng_chance(50) ? NULL : "\0\0\0\0\0\0";
		p->trailer = rng_below(19); /* Ethernet padding, to 60 bytes */
		return;
	}
	p->arp_htype = PICK(htypes);
	p->arp_hlen = PICK(hlens);
	p->arp_plen = PICK(plens);
	p->arp_op = PICK(ops);
	p->eth_dst = PICK(macs);
	p->trailer = rng_chance(50) ? 0 : rng_below(40);
}

/* @gso_size: receives the GSO segment size to run the packet with (mostly 0) */
static void random_packet(struct dp_pkt *p, uint16_t *gso_size)
{
	uint32_t r = rng_below(100);

	memset(p, 0, sizeof(*p));
	*gso_size = rng_chance(3) ? 1000 : 0;
	if (rng_chance(5)) {
		random_arp(p);
		return;
	}
	p->family = rng_chance(50) ? 4 : 6;
	p->dst = p->family == 4 ? PICK(pkt_addrs4) : PICK(pkt_addrs6);
	if (p->family == 6 && rng_chance(25))
		p->dst = embedded_form(PICK(pkt_addrs4));
	p->proto = r < 35 ? 6 : r < 65 ? 17 : r < 80 ? (p->family == 4 ? 1 : 58) :
							other_proto(p->family);
	p->dport = rng_chance(90) ? PICK(ports) : (uint16_t)rng_below(65536);
	if (p->family == 6 && rng_chance(15)) /* hop-by-hop first */
		p->ext[p->n_ext++] = 0;
	if (p->family == 6 && rng_chance(10)) /* destination options */
		p->ext[p->n_ext++] = 60;
	if (rng_chance(12)) { /* a later fragment */
		p->frag = (uint16_t)(1 + rng_below(1000));
		p->more_frags = rng_chance(50);
	} else if (rng_chance(8)) { /* a first fragment */
		p->more_frags = true;
	}
	if (p->family == 6 && (p->frag || p->more_frags))
		p->ext[p->n_ext++] = 44;
	else if (p->family == 6 && rng_chance(6)) /* a Mobility Header, a transport header after it */
		p->ext[p->n_ext++] = 135;
	if (rng_chance(5)) { /* a length beyond the frame, or short of the IP header */
		p->ip_len_set = true;
		p->ip_len = rng_chance(50) ? (uint16_t)(1000 + rng_below(5000)) :
			    p->family == 4 ? (uint16_t)rng_below(20) :
					     0;
	} else if (rng_chance(5)) { /* padding after the datagram: harmless */
		p->trailer = 1 + rng_below(40);
	}
}

/* ---- the test ---- */

/*
 * The verdict and its reason agree; the rule the program names is one that
 * matches with that action.
 */
static bool agrees(const struct ref_verdict *want, const struct vr_verdict *got)
{
	return got->allow == want->allow && got->reason == want->reason &&
	       ((want->reason != VRNET_REASON_BLOCK_RULE &&
		 want->reason != VRNET_REASON_ALLOW_RULE) ||
		(got->rule_id < 64 && (want->ids & (1ull << got->rule_id))));
}

static const char *reason_short(uint32_t r)
{
	switch (r) {
	case VRNET_REASON_BLOCK_RULE:
		return "block_rule";
	case VRNET_REASON_ALLOW_RULE:
		return "allow_rule";
	case VRNET_REASON_DEFAULT:
		return "default";
	default:
		return vr_reason_text(r);
	}
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("VRNET_SEED");
	struct timespec t;

	if (s && *s)
		return strtoull(s, NULL, 0);
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000003u ^ (uint64_t)t.tv_nsec ^ (uint64_t)getpid();
}

/*
 * @n policies, or 1/VRNET_DIFF_DIVISOR of them: the kernel matrix's guests
 * (tests/vm/guest-init.sh) run fewer, under emulation; the host runs all.
 */
static int policies(int n)
{
	const char *s = getenv("VRNET_DIFF_DIVISOR");
	int d = s && *s ? atoi(s) : 1;

	return d > 1 && n / d > 0 ? n / d : n;
}

static void show_mismatch(uint64_t seed, int pi, const char *json, const struct ref_policy *pol,
			  const struct dp_pkt *p, const struct ref_verdict *want,
			  const struct vr_verdict *got)
{
	char text[256];

	dp_pkt_format(p, text, sizeof(text));
	print_error("MISMATCH (seed %llu, policy %d)\n  policy: %s\n  packet: %s\n"
		    "  reference: %s (%s)\n  program:   %s (%s, rule %u%s)\n",
		    (unsigned long long)seed, pi, json, text, want->allow ? "allow" : "deny",
		    reason_short(want->reason), got->allow ? "allow" : "deny",
		    reason_short(got->reason), got->rule_id,
		    got->rule_id < (uint32_t)pol->n ? "" : ", no such rule");
	for (int i = 0; i < pol->n; i++)
		if (want->ids & (1ull << i) || got->rule_id == (uint32_t)i)
			print_error("  %s rule %d: %s %s\n",
				    want->ids & (1ull << i) ? "matching" : "program's", i,
				    pol->rules[i].list == VRNET_LIST_BLOCK ? "block" : "allow",
				    pol->rules[i].text);
}

/*
 * Applies @pol, half the time in two steps: the rules before a random split as
 * the base policy, the rest added as edits (the device's overlay), list by
 * list. Rule ids stay those of the reference: the overlay's continue after
 * the base's in the same allow, block, dns order.
 */
static int apply_maybe_split(const struct ref_policy *pol, char *json, size_t len)
{
	struct ref_policy base = *pol;
	char err[512] = "";

	base.n = rng_chance(50) ? (int)rng_below((uint32_t)pol->n + 1) : pol->n;
	policy_json(&base, json, len);
	if (dp_apply(json))
		return -1;
	for (int list = VRNET_LIST_ALLOW; list <= VRNET_LIST_DNS; list++) {
		struct vr_rule edits[MAX_RULES + MAX_DNS];
		size_t n = 0;

		for (int i = base.n; i < pol->n; i++) {
			if (pol->rules[i].list != list)
				continue;
			if ((list == VRNET_LIST_DNS ?
				     vr_dns_rule_parse(pol->rules[i].text, &edits[n], err, sizeof(err)) :
				     vr_rule_parse(pol->rules[i].text, &edits[n], err, sizeof(err))))
				fail_msg("%s: %s", pol->rules[i].text, err);
			n++;
		}
		if (n && vr_edit_add(&dp.st, DP_IFINDEX, list, edits, n, dp_resolve, NULL, err,
				     sizeof(err))) {
			fprintf(stderr, "edit: %s\n", err);
			return -1;
		}
	}
	if (base.n < pol->n) /* what a mismatch report shows */
		snprintf(json + strlen(json), len - strlen(json), " + edits from rule %d", base.n);
	return 0;
}

static void test_random_policies(void **state)
{
	static char json[16384];
	uint64_t seed = seed_from_env();
	long verdicts[2] = { 0 }, reasons[VRNET_NR_REASONS] = { 0 };
	long embedded_blocks = 0; /* IPv6 packets blocked only by an IPv4 rule */
	int mismatches = 0, packets = 0;
	struct timespec t0, t1;

	dp_skip_unless_root();
	print_message("seed %llu (VRNET_SEED=%llu repeats this run)\n",
		      (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (int pi = 0; pi < policies(N_POLICIES); pi++) {
		struct ref_policy pol;

		random_policy(&pol);
		if (apply_maybe_split(&pol, json, sizeof(json) - 64))
			fail_msg("seed %llu policy %d: couldn't apply %s",
				 (unsigned long long)seed, pi, json);

		for (int k = 0; k < N_PACKETS; k++) {
			struct ref_verdict want;
			struct vr_verdict got;
			struct dp_frame f;
			uint16_t gso_size;
			struct dp_pkt p;
			int ret;

			random_packet(&p, &gso_size);
			want = ref_eval(&pol, &p, gso_size);
			dp_build(&p, &f);
			dp_forget_fragments();
			ret = dp_run_gso(&f, gso_size, &got);
			if (ret)
				fail_msg("seed %llu: test run failed: %s", (unsigned long long)seed,
					 strerror(-ret));
			packets++;
			verdicts[got.allow]++;
			if (p.family == 6 && got.reason == VRNET_REASON_BLOCK_RULE &&
			    got.rule_id < (uint32_t)pol.n && pol.rules[got.rule_id].family == 4)
				embedded_blocks++;
			if (got.reason < ARRAY_SIZE(reasons))
				reasons[got.reason]++;
			if (agrees(&want, &got))
				continue;
			if (mismatches++ < MAX_MISMATCHES_SHOWN)
				show_mismatch(seed, pi, json, &pol, &p, &want, &got);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("%d policies, %d packets: %ld allowed, %ld denied (%ld block, %ld allow "
		      "rule, %ld default, %ld malformed, %ld link-local, %ld offload; %ld blocked "
		      "as IPv4) in %.1f s\n",
		      policies(N_POLICIES), packets, verdicts[1], verdicts[0],
		      reasons[VRNET_REASON_BLOCK_RULE], reasons[VRNET_REASON_ALLOW_RULE],
		      reasons[VRNET_REASON_DEFAULT], reasons[VRNET_REASON_MALFORMED],
		      reasons[VRNET_REASON_LINK_LOCAL], reasons[VRNET_REASON_OFFLOAD], embedded_blocks,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (mismatches)
		fail_msg("%d of %d packets differ from the reference (seed %llu)", mismatches,
			 packets, (unsigned long long)seed);
	/* a generator that only ever hits one branch proves nothing */
	assert_true(reasons[VRNET_REASON_BLOCK_RULE] > packets / 50);
	assert_true(reasons[VRNET_REASON_ALLOW_RULE] > packets / 50);
	assert_true(reasons[VRNET_REASON_DEFAULT] > packets / 50);
	assert_true(reasons[VRNET_REASON_MALFORMED] > packets / 50);
	assert_true(reasons[VRNET_REASON_LINK_LOCAL] > packets / 200);
	assert_true(reasons[VRNET_REASON_OFFLOAD] > packets / 100);
	assert_true(reasons[VRNET_REASON_FRAGMENT] > packets / 50);
	assert_true(embedded_blocks > packets / 500);
}

/* ---- edits: random sequences of additions and removals ---- */

#define N_EDITED_POLICIES 40
#define EDITS_PER_POLICY 12
#define PACKETS_PER_EDIT 25

/* A rule's canonical text, as the loader compares rules (vr_rule_equal). */
static void canonical(const struct ref_rule *r, char *buf, size_t len)
{
	struct vr_rule parsed;
	char err[256];

	if (vr_rule_parse(r->text, &parsed, err, sizeof(err)))
		fail_msg("%s: %s", r->text, err);
	vr_rule_format(&parsed, buf, len);
}

/* Removes every rule of @list equal to @text from the reference; how many went. */
static int ref_remove(struct ref_policy *pol, int list, const char *text)
{
	int kept = 0, n = pol->n;

	for (int i = 0; i < n; i++) {
		char c[VR_RULE_TEXT_MAX];

		canonical(&pol->rules[i], c, sizeof(c));
		if (pol->rules[i].list != list || strcmp(c, text))
			pol->rules[kept++] = pol->rules[i];
	}
	pol->n = kept;
	return n - kept;
}

struct edit_counts {
	long fast, reapplied, missing, added;
};

/*
 * One random edit to the device and the reference alike: an added rule, the
 * removal of a rule of the policy (every rule equal to it, as the CLI
 * removes), or of one it does not have (which must change nothing).
 */
static void random_edit(struct ref_policy *pol, struct edit_counts *n)
{
	struct ref_rule r = { 0 };
	struct vr_rule parsed;
	char err[512] = "", text[VR_RULE_TEXT_MAX];
	size_t missing;
	int ret, want_removed;

	if (pol->n < MAX_RULES && (pol->n < 2 || rng_chance(35))) {
		r.list = rng_chance(50) ? VRNET_LIST_ALLOW : VRNET_LIST_BLOCK;
		random_cidr(&r, rng_chance(50) ? 4 : 6);
		random_ports(&r);
		assert_int_equal(vr_rule_parse(r.text, &parsed, err, sizeof(err)), 0);
		assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, r.list, &parsed, 1, dp_resolve,
					     NULL, err, sizeof(err)), 0);
		pol->rules[pol->n++] = r;
		n->added++;
		return;
	}
	if (rng_chance(85)) { /* one of the policy's allow or block rules */
		int i = (int)rng_below((uint32_t)pol->n);

		if (pol->rules[i].list == VRNET_LIST_DNS)
			return;
		r = pol->rules[i];
	} else {
		r.list = rng_chance(50) ? VRNET_LIST_ALLOW : VRNET_LIST_BLOCK;
		random_cidr(&r, rng_chance(50) ? 4 : 6);
		random_ports(&r);
	}
	canonical(&r, text, sizeof(text));
	assert_int_equal(vr_rule_parse(r.text, &parsed, err, sizeof(err)), 0);
	want_removed = ref_remove(pol, r.list, text);
	ret = vr_edit_remove(&dp.st, DP_IFINDEX, r.list, &parsed, 1, &missing, err, sizeof(err));
	if (ret == -EAGAIN) { /* as the CLI does */
		ret = vr_edit_reapply(&dp.st, DP_IFINDEX, r.list, false, &parsed, 1, dp_resolve, NULL,
				      &missing, err, sizeof(err));
		n->reapplied += !ret;
	} else {
		n->fast += !ret;
	}
	if (!want_removed) {
		assert_int_equal(ret, -ENOENT);
		n->missing++;
	} else if (ret) {
		fail_msg("removing %s: %s (%s)", r.text, strerror(-ret), err);
	}
}

/* Whether the rule the program names (by the device's id) is one the reference says decides. */
static bool names_a_deciding_rule(const struct vr_device_policy *dpol, uint32_t id,
				  const struct ref_policy *pol, uint64_t ids)
{
	char got[VR_RULE_TEXT_MAX + 80], want[VR_RULE_TEXT_MAX];

	if (id >= dpol->count || !vr_record_is_rule(&dpol->rules[id]))
		return false;
	vr_rule_record_text(dpol, id, got, sizeof(got));
	for (int i = 0; i < pol->n; i++) {
		if (!(ids & (1ull << i)))
			continue;
		canonical(&pol->rules[i], want, sizeof(want));
		if (!strcmp(got, want))
			return true;
	}
	return false;
}

/*
 * Adds and removals in random order, through the overlay where it can and a
 * re-apply where it cannot (as the CLI does): after each, the program's
 * verdicts equal the reference's for the rules the policy has then.
 */
static void test_random_edits(void **state)
{
	static char json[16384];
	uint64_t seed = seed_from_env();
	struct edit_counts n = { 0 };
	int mismatches = 0, packets = 0;

	dp_skip_unless_root();
	print_message("seed %llu (VRNET_SEED=%llu repeats this run)\n",
		      (unsigned long long)seed, (unsigned long long)seed);
	rng_state = seed;
	for (int pi = 0; pi < policies(N_EDITED_POLICIES); pi++) {
		struct ref_policy pol;

		random_policy(&pol);
		policy_json(&pol, json, sizeof(json));
		if (dp_apply(json))
			fail_msg("seed %llu policy %d: couldn't apply %s", (unsigned long long)seed,
				 pi, json);
		for (int e = 0; e < EDITS_PER_POLICY; e++) {
			struct vr_device_policy dpol;

			random_edit(&pol, &n);
			assert_int_equal(vr_device_policy_read(&dp.st, DP_IFINDEX, &dpol), 0);
			for (int k = 0; k < PACKETS_PER_EDIT; k++) {
				struct ref_verdict want;
				struct vr_verdict got;
				struct dp_frame f;
				uint16_t gso_size;
				struct dp_pkt p;

				random_packet(&p, &gso_size);
				want = ref_eval(&pol, &p, gso_size);
				dp_build(&p, &f);
				dp_forget_fragments();
				assert_int_equal(dp_run_gso(&f, gso_size, &got), 0);
				packets++;
				if (got.allow == want.allow && got.reason == want.reason &&
				    ((want.reason != VRNET_REASON_BLOCK_RULE &&
				      want.reason != VRNET_REASON_ALLOW_RULE) ||
				     names_a_deciding_rule(&dpol, got.rule_id, &pol, want.ids)))
					continue;
				if (mismatches++ < MAX_MISMATCHES_SHOWN) {
					policy_json(&pol, json, sizeof(json));
					show_mismatch(seed, pi, json, &pol, &p, &want, &got);
					print_error("  after edit %d; the program's rule %u: %s\n", e,
						    got.rule_id,
						    got.rule_id < dpol.count ? "(see the device)" : "none");
				}
			}
			vr_device_policy_free(&dpol);
		}
	}
	print_message("%d policies, %d edits: %ld added, %ld removed through the overlay, %ld "
		      "by a re-apply, %ld not there; %d packets\n",
		      policies(N_EDITED_POLICIES), policies(N_EDITED_POLICIES) * EDITS_PER_POLICY,
		      n.added, n.fast,
		      n.reapplied, n.missing, packets);
	if (mismatches)
		fail_msg("%d of %d packets differ from the reference (seed %llu)", mismatches,
			 packets, (unsigned long long)seed);
	/* both ways of removing, and refusals, were taken */
	assert_true(n.fast > policies(N_EDITED_POLICIES));
	assert_true(n.reapplied > 0);
	assert_true(n.missing > 0);
}

/* The reference itself, on cases whose answer is known. */
static void test_reference_model(void **state)
{
	struct ref_policy pol = { .default_allow = false };
	const struct dp_pkt web = { .family = 4, .dst = "203.0.113.5", .proto = 6, .dport = 443 },
			    web80 = { .family = 4, .dst = "203.0.113.5", .proto = 6, .dport = 80 },
			    frag = { .family = 4, .dst = "203.0.113.5", .proto = 6, .dport = 443,
				     .frag = 9 },
			    icmp6 = { .family = 6, .dst = "2001:db8::1", .proto = 58 },
			    icmp4in6 = { .family = 6, .dst = "2001:db8::1", .proto = 1 },
			    dns = { .family = 4, .dst = "192.0.2.53", .proto = 17, .dport = 53 },
			    nat64_80 = { .family = 6, .dst = "64:ff9b::203.0.113.5", .proto = 6,
					 .dport = 80 },
			    sixto4_443 = { .family = 6, .dst = "2002:cb00:7105::1", .proto = 6,
					   .dport = 443 },
			    arp = { .arp = true }, arp_rarp = { .arp = true, .arp_op = 3 };
	struct ref_rule *r = pol.rules;

	/* 0: allow 203.0.113.0/24:443/tcp, 1: allow [2001:db8::/32]:*\/icmp,
	 * 2: allow 203.0.113.5, 3: block 203.0.113.5:80, 4: dns 192.0.2.53 */
	r[0] = (struct ref_rule){ .list = VRNET_LIST_ALLOW, .family = 4, .plen = 24,
				  .addr = { 203, 0, 113, 0 }, .proto = VRNET_PROTO_TCP,
				  .lo = 443, .hi = 443 };
	r[1] = (struct ref_rule){ .list = VRNET_LIST_ALLOW, .family = 6, .plen = 32,
				  .addr = { 0x20, 0x01, 0x0d, 0xb8 }, .proto = VRNET_PROTO_ICMP,
				  .any_port = true };
	r[2] = (struct ref_rule){ .list = VRNET_LIST_ALLOW, .family = 4, .plen = 32,
				  .addr = { 203, 0, 113, 5 }, .any_port = true };
	r[3] = (struct ref_rule){ .list = VRNET_LIST_BLOCK, .family = 4, .plen = 32,
				  .addr = { 203, 0, 113, 5 }, .lo = 80, .hi = 80 };
	r[4] = (struct ref_rule){ .list = VRNET_LIST_DNS, .family = 4, .plen = 32,
				  .addr = { 192, 0, 2, 53 }, .lo = 53, .hi = 53 };
	pol.n = 5;

	assert_true(ref_eval(&pol, &web, 0).allow);
	assert_int_equal(ref_eval(&pol, &web, 0).ids, 0x5);
	assert_false(ref_eval(&pol, &web80, 0).allow);
	assert_int_equal(ref_eval(&pol, &web80, 0).reason, VRNET_REASON_BLOCK_RULE);
	/* a later fragment alone, even to an address a portless rule allows */
	assert_int_equal(ref_eval(&pol, &frag, 0).reason, VRNET_REASON_FRAGMENT);
	assert_true(ref_eval(&pol, &icmp6, 0).allow);
	assert_false(ref_eval(&pol, &icmp4in6, 0).allow);
	assert_true(ref_eval(&pol, &dns, 0).allow);
	/* the IPv4 block rule reaches 203.0.113.5 inside IPv6; IPv4 allow rules do not */
	assert_int_equal(ref_eval(&pol, &nat64_80, 0).reason, VRNET_REASON_BLOCK_RULE);
	assert_int_equal(ref_eval(&pol, &nat64_80, 0).ids, 0x8);
	assert_int_equal(ref_eval(&pol, &sixto4_443, 0).reason, VRNET_REASON_DEFAULT);
	assert_int_equal(ref_eval(&pol, &arp, 0).reason, VRNET_REASON_LINK_LOCAL);
	assert_int_equal(ref_eval(&pol, &arp_rarp, 0).reason, VRNET_REASON_MALFORMED);
	assert_int_equal(ref_eval(&pol, &web, 1000).reason, VRNET_REASON_OFFLOAD);
}

/* ---- the inbound part: the same rules, matched against the source ---- */

#define N_INBOUND_POLICIES 100
#define INBOUND_PACKETS 40

/*
 * Random rules as a policy's inbound part (the egress policy passes
 * everything) and random packets from random sources into the sandbox,
 * through the tc egress program: its verdict must be the reference's, by
 * the source. No flow of the sandbox's is open, so no packet is a reply.
 */
static void test_random_inbound(void **state)
{
	static char json[16384], inner[16000];
	uint64_t seed = seed_from_env() + 1;
	long reasons[VRNET_NR_REASONS] = { 0 }, embedded_blocks = 0;
	int mismatches = 0, packets = 0, inbound_fd = -1;

	dp_skip_unless_root();
	print_message("seed %llu\n", (unsigned long long)seed);
	rng_state = seed;
	for (int pi = 0; pi < policies(N_INBOUND_POLICIES); pi++) {
		struct ref_policy pol;

		random_policy(&pol);
		while (pol.n && pol.rules[pol.n - 1].list == VRNET_LIST_DNS)
			pol.n--; /* an inbound part has no resolvers */
		policy_json(&pol, inner, sizeof(inner));
		snprintf(json, sizeof(json), "{\"default\": \"allow\", \"inbound\": %s}", inner);
		if (dp_apply(json))
			fail_msg("seed %llu policy %d: couldn't apply %s", (unsigned long long)seed, pi,
				 json);
		if (inbound_fd < 0)
			assert_int_equal(vr_program_inbound_fd(&dp.st, dp.st.netns_cookie, &inbound_fd),
					 0);
		dp_table_clear(dp.st.conns_fd);
		dp_table_clear(dp.st.ownnotes_fd); /* no earlier packet's flow makes one a reply */
		for (int k = 0; k < INBOUND_PACKETS; k++) {
			struct ref_verdict want = { .allow = pol.default_allow,
						    .reason = VRNET_REASON_DEFAULT };
			uint32_t r = rng_below(100);
			struct dp_pkt ref = { .family = rng_chance(50) ? 4 : 6 };
			struct pkt q = { .family = ref.family, .sport = 40000 };
			uint8_t src[16] = { 0 };
			struct vr_verdict got;

			q.src = ref.family == 4 ? PICK(pkt_addrs4) : PICK(pkt_addrs6);
			if (ref.family == 6 && rng_chance(25))
				q.src = embedded_form(PICK(pkt_addrs4));
			q.dst = ref.family == 4 ? "192.0.2.1" : "2001:db8::1";
			q.proto = r < 35 ? 6 : r < 65 ? 17 : r < 80 ? (ref.family == 4 ? 1 : 58) :
								 other_proto(ref.family);
			q.dport = rng_chance(90) ? PICK(ports) : (uint16_t)rng_below(65536);
			/* TCP: a SYN; ICMP: an echo request (errors and ND are apart) */
			q.flags = q.proto == 6 ? SYN : q.proto == 1 ? 8 : q.proto == 58 ? 128 : 0;
			ref.proto = q.proto;
			ref.dport = q.dport;
			assert_int_equal(inet_pton(ref.family == 4 ? AF_INET : AF_INET6, q.src, src), 1);
			ref_rules(&pol, &ref, src, &want);
			got = flow_run(inbound_fd, DP_IFINDEX, &q, NULL);
			packets++;
			if (got.reason < ARRAY_SIZE(reasons))
				reasons[got.reason]++;
			if (ref.family == 6 && got.reason == VRNET_REASON_BLOCK_RULE &&
			    got.rule_id < (uint32_t)pol.n && pol.rules[got.rule_id].family == 4)
				embedded_blocks++;
			if (agrees(&want, &got))
				continue;
			if (mismatches++ < MAX_MISMATCHES_SHOWN)
				print_message("seed %llu policy %d: %s\n  from %s proto %u port %u: got %s %s #%u, want %s %s\n",
					      (unsigned long long)seed, pi, json, q.src, q.proto,
					      q.dport, got.allow ? "allow" : "deny",
					      reason_short(got.reason), got.rule_id,
					      want.allow ? "allow" : "deny", reason_short(want.reason));
		}
	}
	if (inbound_fd >= 0)
		close(inbound_fd);
	print_message("%d policies, %d packets into the sandbox: %ld block, %ld allow rule, %ld "
		      "default; %ld blocked as IPv4\n",
		      policies(N_INBOUND_POLICIES), packets, reasons[VRNET_REASON_BLOCK_RULE],
		      reasons[VRNET_REASON_ALLOW_RULE], reasons[VRNET_REASON_DEFAULT],
		      embedded_blocks);
	if (mismatches)
		fail_msg("%d of %d packets into the sandbox differ from the reference (seed %llu)",
			 mismatches, packets, (unsigned long long)seed);
	assert_true(reasons[VRNET_REASON_BLOCK_RULE] > packets / 50);
	assert_true(reasons[VRNET_REASON_ALLOW_RULE] > packets / 50);
	assert_true(reasons[VRNET_REASON_DEFAULT] > packets / 50);
	assert_true(embedded_blocks > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_model),
		cmocka_unit_test(test_random_policies),
		cmocka_unit_test(test_random_edits),
		cmocka_unit_test(test_random_inbound),
	};

	setvbuf(stdout, NULL, _IOLBF, 0); /* the seed and mismatches in order */
	return cmocka_run_group_tests_name("datapath differential", tests, dp_group_setup,
					   dp_group_teardown);
}
