// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A policy's inbound part, through the real programs (BPF_PROG_TEST_RUN):
 * what the host sends into the sandbox runs through the tc egress program
 * (vrnet_inbound), the sandbox's own packets through the filter. Every
 * packet a test expects dropped is run first under the same policy without
 * an inbound part, where it passes: the control that it could get in.
 */
#include <time.h>
#include <unistd.h>
#include "datapath/harness.h"
#include "datapath/flows.h"
#include "rule_of.h"
#include "output.h"
#include "program.h"

/* egress: ids 0 .50 (anything), 1 [2001:db8:50::50] (anything) */
#define EGRESS                                                                        \
	"\"default\": \"deny\", \"allow\": [\"203.0.113.50\", \"2001:db8:50::50\"]"
/* inbound: ids 2 .7:22/tcp, 3 the /48's 22/tcp, 4 block 198.51.100.0/24, 5 allow .66 */
#define INBOUND_RULES                                                                 \
	"\"allow\": [\"198.51.100.7:22/tcp\", \"[2001:db8:7::/48]:22/tcp\"], "        \
	"\"block\": [\"203.0.113.0/25\", \"198.51.100.66\"]"
#define DENY_IN "{" EGRESS ", \"inbound\": {\"default\": \"deny\", " INBOUND_RULES "}}"
#define ALLOW_IN "{" EGRESS ", \"inbound\": {\"default\": \"allow\", " INBOUND_RULES "}}"
#define NO_IN "{" EGRESS "}"

#define SBX4 "192.0.2.1"
#define SBX6 "2001:db8::1"

static int inbound_fd = -1;

static struct vr_verdict into_sandbox(const struct pkt *p, void (*patch)(uint8_t *))
{
	return flow_run(inbound_fd, DP_IFINDEX, p, patch);
}

static void expect_in_patched(const struct pkt *p, void (*patch)(uint8_t *), bool allow,
			      uint32_t reason, const char *when)
{
	struct vr_verdict v = into_sandbox(p, patch);

	if (v.allow != allow || v.reason != reason)
		fail_msg("%s: into the sandbox IPv%d %s -> %s proto %u %u->%u flags/type 0x%x: %s reason %s, want %s reason %s",
			 when, p->family, p->src, p->dst, p->proto, p->sport, p->dport, p->flags,
			 v.allow ? "allow" : "deny", vr_reason_key(v.reason),
			 allow ? "allow" : "deny", vr_reason_key(reason));
}

static void expect_in(const struct pkt *p, bool allow, uint32_t reason, const char *when)
{
	expect_in_patched(p, NULL, allow, reason, when);
}

/* What the sandbox sends: through the filter, with the verdict wanted. */
static void sandbox_sends(const struct pkt *p, bool allow, const char *when)
{
	struct vr_verdict v = flow_run(dp.st.prog_fd, DP_IFINDEX, p, NULL);

	if (v.allow != allow)
		fail_msg("%s: the sandbox's IPv%d %s -> %s proto %u: %s, want %s", when, p->family,
			 p->src, p->dst, p->proto, v.allow ? "allow" : "deny",
			 allow ? "allow" : "deny");
}

/* The control: without an inbound part, @p gets into the sandbox. */
static void gets_in_without_inbound(const struct pkt *p, void (*patch)(uint8_t *))
{
	struct vr_verdict v;

	assert_int_equal(dp_apply(NO_IN), 0);
	v = into_sandbox(p, patch);
	if (!v.allow)
		fail_msg("control: IPv%d %s -> %s is dropped without an inbound part", p->family,
			 p->src, p->dst);
	dp_table_clear(dp.st.conns_fd); /* what it opened into the sandbox */
}

static int setup(void **state)
{
	(void)state;
	if (inbound_fd < 0 && vr_program_inbound_fd(&dp.st, dp.st.netns_cookie, &inbound_fd))
		return -1;
	if (dp_apply(NO_IN))
		return -1;
	dp_table_clear(dp.st.conns_fd);
	dp_table_clear(dp.st.ownnotes_fd);
	dp_forget_fragments();
	return vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY);
}

static void test_default_deny(void **state)
{
	const struct pkt ssh = { 4, "198.51.100.7", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt ssh6 = { 6, "2001:db8:7:1::9", SBX6, 6, 50000, 22, SYN, NULL };
	const struct pkt telnet = { 4, "198.51.100.7", SBX4, 6, 50000, 23, SYN, NULL };
	const struct pkt other = { 4, "198.51.100.8", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt other6 = { 6, "2001:db8:8::9", SBX6, 6, 50000, 22, SYN, NULL };
	const struct pkt udp = { 4, "198.51.100.7", SBX4, 17, 50000, 22, 0, NULL };
	const struct pkt ping = { 4, "198.51.100.7", SBX4, 1, 0, 9, 8, NULL };

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&telnet, NULL);
	gets_in_without_inbound(&other6, NULL);
	gets_in_without_inbound(&udp, NULL);
	gets_in_without_inbound(&ping, NULL);
	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_in(&ssh, true, VRNET_REASON_ALLOW_RULE, "an allowed source and port");
	expect_in(&ssh6, true, VRNET_REASON_ALLOW_RULE, "an allowed IPv6 prefix and port");
	expect_in(&telnet, false, VRNET_REASON_DEFAULT, "another port");
	expect_in(&other, false, VRNET_REASON_DEFAULT, "another source");
	expect_in(&other6, false, VRNET_REASON_DEFAULT, "another IPv6 source");
	expect_in(&udp, false, VRNET_REASON_DEFAULT, "UDP to a TCP rule's port");
	expect_in(&ping, false, VRNET_REASON_DEFAULT, "an echo request");
}

/* Block rules win over allow rules and the default, as they do out of the sandbox. */
static void test_block_precedence(void **state)
{
	const struct pkt blocked = { 4, "203.0.113.9", SBX4, 6, 50000, 80, SYN, NULL };
	const struct pkt blocked_allowed = { 4, "198.51.100.66", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt elsewhere = { 4, "203.0.113.200", SBX4, 6, 50000, 80, SYN, NULL };
	/* NAT64 and IPv4-mapped forms of the blocked 203.0.113.9 */
	const struct pkt nat64 = { 6, "64:ff9b::cb00:7109", SBX6, 6, 50000, 80, SYN, NULL };
	const struct pkt mapped = { 6, "::ffff:203.0.113.9", SBX6, 17, 50000, 80, 0, NULL };
	const struct pkt six_to_four = { 6, "2002:cb00:7109::1", SBX6, 6, 50000, 80, SYN, NULL };
	const struct pkt nat64_elsewhere = { 6, "64:ff9b::cb00:71c8", SBX6, 6, 50000, 80, SYN,
					     NULL };

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&blocked, NULL);
	gets_in_without_inbound(&blocked_allowed, NULL);
	gets_in_without_inbound(&nat64, NULL);
	gets_in_without_inbound(&mapped, NULL);
	gets_in_without_inbound(&six_to_four, NULL);
	assert_int_equal(dp_apply(ALLOW_IN), 0);
	expect_in(&blocked, false, VRNET_REASON_BLOCK_RULE, "a blocked prefix");
	expect_in(&blocked_allowed, false, VRNET_REASON_BLOCK_RULE, "blocked and allowed");
	expect_in(&elsewhere, true, VRNET_REASON_DEFAULT, "default allow");
	expect_in(&nat64, false, VRNET_REASON_BLOCK_RULE, "a blocked address through NAT64");
	expect_in(&mapped, false, VRNET_REASON_BLOCK_RULE, "a blocked address IPv4-mapped");
	expect_in(&six_to_four, false, VRNET_REASON_BLOCK_RULE, "a blocked address through 6to4");
	expect_in(&nat64_elsewhere, true, VRNET_REASON_DEFAULT, "another address through NAT64");
}

/* The peers of flows the sandbox opened under its egress policy get in; nobody else. */
static void test_replies_to_own_flows(void **state)
{
	const struct pkt syn = { 4, SBX4, "203.0.113.50", 6, 40000, 443, SYN, NULL };
	const struct pkt synack = { 4, "203.0.113.50", SBX4, 6, 443, 40000, SYN | ACK, NULL };
	const struct pkt other_port = { 4, "203.0.113.50", SBX4, 6, 443, 40001, ACK, NULL };
	const struct pkt dgram = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };
	const struct pkt ping6 = { 6, SBX6, "2001:db8:50::50", 58, 0, 7, 128, NULL };
	const struct pkt pong6 = { 6, "2001:db8:50::50", SBX6, 58, 0, 7, 129, NULL };
	const struct pkt pong6_other = { 6, "2001:db8:50::50", SBX6, 58, 0, 8, 129, NULL };
	/* a router on the path: the datagram was too big */
	const struct pkt too_big = { 4, "198.18.0.1", SBX4, 1, 0, 0, 3, &dgram };
	const struct pkt elsewhere = { 4, SBX4, "203.0.113.51", 17, 40000, 53, 0, NULL };
	const struct pkt about_elsewhere = { 4, "198.18.0.1", SBX4, 1, 0, 0, 3, &elsewhere };

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&synack, NULL);
	gets_in_without_inbound(&about_elsewhere, NULL);
	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_in(&synack, false, VRNET_REASON_BLOCK_RULE, "before the sandbox's SYN (control)");
	expect_in(&answer, false, VRNET_REASON_BLOCK_RULE, "before its datagram (control)");
	expect_in(&pong6, false, VRNET_REASON_DEFAULT, "before its echo request (control)");
	expect_in(&too_big, false, VRNET_REASON_DEFAULT, "before its datagram (control)");
	sandbox_sends(&syn, true, "its SYN");
	sandbox_sends(&dgram, true, "its datagram");
	sandbox_sends(&ping6, true, "its echo request");
	expect_in(&synack, true, VRNET_REASON_REPLY, "the SYN-ACK, from a blocked prefix");
	expect_in(&other_port, false, VRNET_REASON_BLOCK_RULE, "to another port of the sandbox");
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer");
	expect_in(&pong6, true, VRNET_REASON_REPLY, "the echo reply");
	expect_in(&pong6_other, false, VRNET_REASON_DEFAULT, "an echo reply of another id");
	expect_in(&too_big, true, VRNET_REASON_REPLY, "a router's error about its datagram");
	expect_in(&about_elsewhere, false, VRNET_REASON_DEFAULT, "an error about no flow of it");
}

/* What the egress policy drops opens nothing inbound: no way to let a denied peer in. */
static void test_dropped_opens_nothing(void **state)
{
	const struct pkt syn = { 4, SBX4, "203.0.113.51", 6, 40000, 443, SYN, NULL };
	const struct pkt synack = { 4, "203.0.113.51", SBX4, 6, 443, 40000, SYN | ACK, NULL };
	const struct pkt dgram = { 4, SBX4, "198.51.100.9", 17, 40000, 9, 0, NULL };
	const struct pkt answer = { 4, "198.51.100.9", SBX4, 17, 9, 40000, 0, NULL };

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&answer, NULL);
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&syn, false, "a SYN its egress policy drops");
	sandbox_sends(&dgram, false, "a datagram its egress policy drops");
	expect_in(&synack, false, VRNET_REASON_BLOCK_RULE, "the denied peer's SYN-ACK");
	expect_in(&answer, false, VRNET_REASON_DEFAULT, "the denied peer's datagram");
}

/* Connections into the sandbox open only when the inbound part lets them in. */
static void test_inbound_opens_connections(void **state)
{
	const struct pkt syn = { 4, "198.51.100.7", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt synack = { 4, SBX4, "198.51.100.7", 6, 22, 50000, SYN | ACK, NULL };
	const struct pkt denied_syn = { 4, "198.51.100.8", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt denied_synack = { 4, SBX4, "198.51.100.8", 6, 22, 50000, SYN | ACK,
					   NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&synack, false, "a SYN-ACK to nothing (control)");
	expect_in(&denied_syn, false, VRNET_REASON_DEFAULT, "a denied SYN");
	sandbox_sends(&denied_synack, false, "the SYN-ACK to a denied SYN");
	expect_in(&syn, true, VRNET_REASON_ALLOW_RULE, "an allowed SYN");
	sandbox_sends(&synack, true, "the SYN-ACK to an allowed SYN");
}

/* Every note of the sandbox's own flows gone: the LRU entries and vrnet_ownflows's marks. */
static void forget_own_flows(void)
{
	dp_table_clear(dp.st.conns_fd);
	dp_table_clear(dp.st.ownnotes_fd);
	dp_set_own_flows(NULL);
}

/*
 * A peer the inbound part does not let in opens nothing, even on a UDP flow
 * the sandbox started whose every note is gone (its LRU entry pushed out, its
 * vrnet_ownflows mark older than 300 s, as behind a NAT that keeps mappings
 * longer): the sandbox's datagrams stay its own, and its policy, its rule
 * removed, drops them. Without an inbound part (the control) the peer's
 * datagram opens a connection and they pass as replies.
 */
static void test_forgotten_flow(void **state)
{
	const struct pkt out = { 4, SBX4, "198.51.100.9", 17, 40000, 4433, 0, NULL };
	const struct pkt in = { 4, "198.51.100.9", SBX4, 17, 4433, 40000, 0, NULL };
	const char *with_rule[] = {
		"{\"default\": \"deny\", \"allow\": [\"198.51.100.9:4433/udp\"]}",
		"{\"default\": \"deny\", \"allow\": [\"198.51.100.9:4433/udp\"], "
		"\"inbound\": {\"default\": \"deny\"}}",
	};
	const char *without_rule[] = { "{\"default\": \"deny\"}",
				       "{\"default\": \"deny\", \"inbound\": {\"default\": \"deny\"}}" };

	(void)state;
	dp_skip_unless_root();
	for (int inbound = 0; inbound < 2; inbound++) {
		assert_int_equal(dp_apply(with_rule[inbound]), 0);
		forget_own_flows();
		sandbox_sends(&out, true, "the sandbox's flow, allowed");
		forget_own_flows();
		into_sandbox(&in, NULL); /* the peer's datagram */
		assert_int_equal(dp_apply(without_rule[inbound]), 0);
		sandbox_sends(&out, !inbound, inbound ? "the rule removed, under an inbound part" :
							"the rule removed, no inbound part (control)");
	}
}

static void set_hop_limit_255(uint8_t *d)
{
	d[7] = 255;
}

static void truncate_tcp(uint8_t *d)
{
	dp_put16(d + 2, DP_IP4_LEN + 10); /* a TCP header cut to 10 bytes */
}

/* The host's neighbour discovery gets in; the same from off the link does not. */
static void test_link_and_malformed(void **state)
{
	const struct pkt ns = { 6, "fe80::1", SBX6, 58, 0, 0, 135, NULL };
	const struct pkt bad = { 4, "198.51.100.7", SBX4, 6, 50000, 22, SYN, NULL };

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&ns, NULL);
	gets_in_without_inbound(&bad, truncate_tcp);
	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_in_patched(&ns, set_hop_limit_255, true, VRNET_REASON_LINK_LOCAL,
			  "a neighbour solicitation at hop limit 255");
	expect_in(&ns, false, VRNET_REASON_DEFAULT, "the same at hop limit 64: not from the link");
	expect_in_patched(&bad, truncate_tcp, false, VRNET_REASON_MALFORMED,
			  "an allowed SYN whose header is cut short");
}

/* An MLD query of @len bytes from @src at hop limit @hop, run into the sandbox. */
static struct vr_verdict mld_query(const char *src, uint8_t hop, size_t len)
{
	struct dp_frame f = { 0 };
	struct vr_verdict v;
	uint8_t *d;

	dp_eth(&f, 0x86dd);
	d = dp_put(&f, DP_IP6_LEN + len);
	d[0] = 0x60;
	dp_put16(d + 4, (uint16_t)len);
	d[6] = 58;
	d[7] = hop;
	put_addr(d + 8, 6, src);
	put_addr(d + 24, 6, "ff02::1");
	d[DP_IP6_LEN] = 130;
	assert_int_equal(vr_frame_run(inbound_fd, DP_IFINDEX, f.data, f.len, 0, 0, &v), 0);
	return v;
}

static void expect_mld(const char *src, uint8_t hop, size_t len, bool allow, uint32_t reason)
{
	struct vr_verdict v = mld_query(src, hop, len);

	if (v.allow != allow || v.reason != reason)
		fail_msg("MLD query from %s, hop limit %u, %zu bytes: %s reason %s, want %s reason %s",
			 src, hop, len, v.allow ? "allow" : "deny", vr_reason_key(v.reason),
			 allow ? "allow" : "deny", vr_reason_key(reason));
}

/*
 * The host's MLD queries get in: from a link-local address (no router
 * forwards one), at hop limit 1, shaped as MLDv1 (24 bytes) or MLDv2 (28 and
 * 16 a source). A forwarded one (a global source whose hop limit reached 1)
 * or one carrying anything else does not.
 */
static void test_mld_queries(void **state)
{
	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(NO_IN), 0);
	assert_true(mld_query("2001:db8:9::1", 1, 24).allow); /* the control */
	assert_true(mld_query("fe80::1", 1, 200).allow);
	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_mld("fe80::1", 1, 24, true, VRNET_REASON_LINK_LOCAL);
	expect_mld("fe80::1", 1, 28, true, VRNET_REASON_LINK_LOCAL);
	expect_mld("fe80::1", 1, 28 + 2 * 16, true, VRNET_REASON_LINK_LOCAL);
	expect_mld("2001:db8:9::1", 1, 24, false, VRNET_REASON_DEFAULT);
	expect_mld("fe80::1", 2, 24, false, VRNET_REASON_DEFAULT);
	expect_mld("fe80::1", 1, 200, false, VRNET_REASON_DEFAULT);
}

/* A frame of @ethertype (after any @tag, 0: none) run into the sandbox. */
static struct vr_verdict frame_of(uint16_t tag, uint16_t ethertype)
{
	struct dp_frame f = { 0 };
	struct vr_verdict v;

	if (tag) {
		dp_eth(&f, tag);
		dp_vlan(&f, 7, ethertype);
	} else {
		dp_eth(&f, ethertype);
	}
	dp_put(&f, 46);
	assert_int_equal(vr_frame_run(inbound_fd, DP_IFINDEX, f.data, f.len, 0, 0, &v), 0);
	return v;
}

/*
 * Under an inbound part only IPv4, IPv6 and ARP get in, untagged: another
 * ethertype, or an IP packet behind a VLAN tag, is dropped (reason
 * ethertype), as it is out of the sandbox.
 */
static void test_other_ethertypes(void **state)
{
	const uint16_t tags[] = { 0x8100, 0x88a8 };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(NO_IN), 0);
	assert_true(frame_of(0, 0x88b5).allow); /* the controls */
	assert_true(frame_of(0x8100, 0x0800).allow);
	for (int in = 0; in < 2; in++) {
		assert_int_equal(dp_apply(in ? ALLOW_IN : DENY_IN), 0);
		v = frame_of(0, 0x88b5);
		assert_false(v.allow);
		assert_int_equal(v.reason, VRNET_REASON_ETHERTYPE);
		for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
			v = frame_of(tags[i], 0x0800);
			assert_false(v.allow);
			assert_int_equal(v.reason, VRNET_REASON_ETHERTYPE);
		}
		v = frame_of(0, 0x0806);
		assert_true(v.allow);
		assert_int_equal(v.reason, VRNET_REASON_LINK_LOCAL);
	}
}

/* Audit mode passes what the inbound part would drop, and says so. */
static void test_audit(void **state)
{
	const struct pkt telnet = { 4, "198.51.100.7", SBX4, 6, 50000, 23, SYN, NULL };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply("{" EGRESS ", \"mode\": \"audit\", \"inbound\": {\"default\": "
				  "\"deny\", " INBOUND_RULES "}}"),
			 0);
	v = into_sandbox(&telnet, NULL);
	assert_true(v.allow);
	assert_false(v.enforce_allow);
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);
}

static void first_fragment(uint8_t *d)
{
	dp_put16(d + 4, 0x4242); /* id */
	d[6] = 0x20;		 /* more fragments, offset 0 */
}

static void later_fragment(uint8_t *d)
{
	dp_put16(d + 4, 0x4242);
	d[6] = 0x00;
	d[7] = 0x03; /* offset 24 bytes, the last */
}

/*
 * A datagram's later fragments follow its first fragment's verdict into the
 * sandbox; a first fragment the sandbox forges with the peer's source (its
 * egress policy passes it) speaks for nothing coming in.
 */
static void test_fragments(void **state)
{
	const struct pkt in = { 4, "198.51.100.7", SBX4, 6, 50000, 22, ACK, NULL };
	const struct pkt denied = { 4, "198.51.100.9", SBX4, 6, 50000, 22, ACK, NULL };
	const struct pkt forged = { 4, "198.51.100.9", SBX4, 6, 50000, 22, ACK, NULL };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&denied, later_fragment);
	assert_int_equal(dp_apply("{\"default\": \"allow\", \"inbound\": {\"default\": \"deny\", "
				  INBOUND_RULES "}}"),
			 0);
	expect_in_patched(&in, later_fragment, false, VRNET_REASON_FRAGMENT,
			  "a later fragment before its first");
	expect_in_patched(&in, first_fragment, true, VRNET_REASON_ALLOW_RULE, "the first fragment");
	expect_in_patched(&in, later_fragment, true, VRNET_REASON_ALLOW_RULE,
			  "the later fragment after it");
	/* the sandbox's forged first fragment of the denied peer's datagram */
	v = flow_run(dp.st.prog_fd, DP_IFINDEX, &forged, first_fragment);
	assert_true(v.allow); /* egress default allow: noted as the sandbox's */
	expect_in_patched(&denied, later_fragment, false, VRNET_REASON_FRAGMENT,
			  "the denied peer's later fragment after a forged first");
}

static size_t conns_count(void)
{
	return dp_flow_count(dp_table(dp.st.conns_fd));
}

static size_t own_notes_count(void)
{
	return dp_flow_count(dp_table(dp.st.ownnotes_fd));
}

/*
 * The datagram of @p grown to @len bytes (its payload zeros past what @p
 * holds), run into the sandbox.
 */
static struct vr_verdict into_sandbox_grown(const struct pkt *p, uint16_t len)
{
	struct dp_frame f = { 0 };
	struct vr_verdict v;
	uint8_t *d;

	dp_eth(&f, p->family == 4 ? 0x0800 : 0x86dd);
	d = dp_put(&f, len);
	datagram(p, d);
	if (p->family == 4)
		dp_put16(d + 2, len);
	else
		dp_put16(d + 4, (uint16_t)(len - DP_IP6_LEN));
	assert_int_equal(vr_frame_run(inbound_fd, DP_IFINDEX, f.data, f.len, 0, 0, &v), 0);
	return v;
}

/*
 * ICMP errors about the sandbox's own flow get in from any router on the
 * path, but not from a source the inbound part blocks, nor longer than a
 * router sends them (576 bytes in all for IPv4, RFC 1812).
 */
static void test_errors_about_own_flows(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt router = { 4, "198.51.100.200", SBX4, 1, 0, 0, 3, &own };
	const struct pkt blocked = { 4, "203.0.113.9", SBX4, 1, 0, 0, 3, &own };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	gets_in_without_inbound(&blocked, NULL);
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own, true, "its own flow");
	expect_in(&router, true, VRNET_REASON_REPLY, "an error from a router on the path");
	expect_in(&blocked, false, VRNET_REASON_BLOCK_RULE, "an error from a blocked source");

	/* the same error in a 600-byte datagram: more than a router sends */
	v = into_sandbox_grown(&router, 600);
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);
	assert_int_equal(dp_apply(NO_IN), 0); /* the control: it would get in */
	assert_true(into_sandbox_grown(&router, 600).allow);
}

/*
 * The same for IPv6 (1,280 bytes in all, RFC 4443), and for an error in
 * fragments, which no router sends: its first fragment is no reply, so the
 * rest has nothing to follow.
 */
static void test_errors_whole_and_short(void **state)
{
	const struct pkt own6 = { 6, SBX6, "2001:db8:50::50", 17, 40000, 53, 0, NULL };
	const struct pkt router6 = { 6, "2001:db8:9::1", SBX6, 58, 0, 0, 1, &own6 };
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt router = { 4, "198.51.100.200", SBX4, 1, 0, 0, 3, &own };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own6, true, "its own IPv6 flow");
	sandbox_sends(&own, true, "its own flow");
	expect_in(&router6, true, VRNET_REASON_REPLY, "an IPv6 error from a router on the path");
	v = into_sandbox_grown(&router6, 1280); /* the control: as long as it may be */
	assert_true(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_REPLY);
	v = into_sandbox_grown(&router6, 1288);
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);

	expect_in(&router, true, VRNET_REASON_REPLY, "the error whole");
	expect_in_patched(&router, first_fragment, false, VRNET_REASON_DEFAULT,
			  "the error's first fragment");
	expect_in_patched(&router, later_fragment, false, VRNET_REASON_FRAGMENT,
			  "the error's later fragment");
}

/* A fragmented answer on the sandbox's own flow gets in whole: its later fragments follow. */
static void test_fragmented_replies(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own, true, "its own flow");
	expect_in_patched(&answer, first_fragment, true, VRNET_REASON_REPLY,
			  "the answer's first fragment");
	expect_in_patched(&answer, later_fragment, true, VRNET_REASON_REPLY,
			  "the answer's later fragment");
	/* internet off between the first fragment and the rest: the rest is dropped */
	expect_in_patched(&answer, first_fragment, true, VRNET_REASON_REPLY,
			  "the answer's first fragment again");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect_in_patched(&answer, later_fragment, false, VRNET_REASON_FRAGMENT,
			  "the later fragment, internet off since the first");
}

/* DENY_IN with no egress rule: the sandbox may reach nothing. */
#define DENY_IN_NO_EGRESS                                                             \
	"{\"default\": \"deny\", \"inbound\": {\"default\": \"deny\", " INBOUND_RULES "}}"

/*
 * A peer's packets on the sandbox's own flow pass as replies only while its
 * egress policy passes the flow: its rule gone, or internet off, they meet
 * the inbound part (which blocks 203.0.113.0/25, and lets no other source
 * in), though the peer kept the flow's note alive. Before the change (the
 * control) they pass; internet on passes them again.
 */
static void test_own_flows_judged_again(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };
	const struct pkt syn = { 6, SBX6, "2001:db8:50::50", 6, 40001, 443, SYN, NULL };
	const struct pkt data = { 6, "2001:db8:50::50", SBX6, 6, 443, 40001, ACK, NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own, true, "its own flow");
	sandbox_sends(&syn, true, "its own connection");
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer (control)");
	expect_in(&data, true, VRNET_REASON_REPLY, "the peer's segment (control)");
	assert_int_equal(dp_apply(DENY_IN_NO_EGRESS), 0);
	expect_in(&answer, false, VRNET_REASON_BLOCK_RULE, "the answer, its rule gone");
	expect_in(&data, false, VRNET_REASON_DEFAULT, "the peer's segment, its rule gone");
	sandbox_sends(&own, false, "its own flow, its rule gone");

	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer, its rule back");
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer again");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect_in(&answer, false, VRNET_REASON_BLOCK_RULE, "the answer, internet off");
	expect_in(&data, false, VRNET_REASON_DEFAULT, "the peer's segment, internet off");
	assert_int_equal(dp_apply(DENY_IN_NO_EGRESS), 0);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_ON), 0);
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer, internet on");
}

/* The rule removed by an edit (unallow: the overlay), and an echo flow, the same way. */
static void test_own_flows_judged_after_edits(void **state)
{
	const struct pkt own = { 6, SBX6, "2001:db8:50::50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 6, "2001:db8:50::50", SBX6, 17, 53, 40000, 0, NULL };
	const struct pkt ping = { 6, SBX6, "2001:db8:50::50", 58, 0, 7, 128, NULL };
	const struct pkt pong = { 6, "2001:db8:50::50", SBX6, 58, 0, 7, 129, NULL };
	struct vr_rule r = rule_of("2001:db8:50::50");
	char err[512] = "";
	size_t missing = 99;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own, true, "its own flow");
	sandbox_sends(&ping, true, "its echo request");
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer (control)");
	expect_in(&pong, true, VRNET_REASON_REPLY, "the echo reply (control)");
	if (vr_edit_remove(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, &r, 1, &missing, err,
			   sizeof(err)))
		fail_msg("unallow: %s", err);
	expect_in(&answer, false, VRNET_REASON_DEFAULT, "the answer, its rule removed");
	expect_in(&pong, false, VRNET_REASON_DEFAULT, "the echo reply, its rule removed");
	sandbox_sends(&own, false, "its own flow, its rule removed");
}

/* The one note of the device's table of its sandbox's own flows. */
static struct vrnet_own_note the_note(void)
{
	struct vrnet_flow_key key;
	struct vrnet_own_note c;

	dp_the_flow(dp.st.ownnotes_fd, &key, &c);
	return c;
}

/*
 * `check --inbound`'s probe of a peer's packet on the sandbox's own flow
 * keeps nothing alive and judges nothing (it may run between a real
 * packet's steps on its CPU): to judge again, it is no reply. The real
 * packet (the control) moves the note on.
 */
static void test_probes_move_no_flow(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };
	struct vrnet_own_note before, after;
	struct dp_frame f = { 0 };
	struct vr_verdict v;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	dp_at_start_of_tick(); /* the datagram and the first probe in one tick */
	sandbox_sends(&own, true, "its own flow");
	dp_eth(&f, 0x0800);
	f.len += datagram(&answer, dp_put(&f, 0));
	before = the_note();
	usleep(20000); /* the coarse clock moves on */
	assert_int_equal(vr_probe_run(inbound_fd, DP_IFINDEX, f.data, f.len, 0, &v), 0);
	assert_true(v.allow); /* judged this tick by the sandbox's datagram: a reply */
	after = the_note();
	assert_true(after.seen_ns == before.seen_ns);
	assert_int_equal(dp_apply(DENY_IN), 0); /* a change: the flow must be judged again */
	assert_int_equal(vr_probe_run(inbound_fd, DP_IFINDEX, f.data, f.len, 0, &v), 0);
	assert_false(v.allow);
	after = the_note();
	assert_true(VRNET_JUDGED_CHANGE(after.judged) == VRNET_JUDGED_CHANGE(before.judged));
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer itself (control)");
	after = the_note();
	assert_true(after.seen_ns > before.seen_ns);
	assert_true(VRNET_JUDGED_CHANGE(after.judged) != VRNET_JUDGED_CHANGE(before.judged));
}

/*
 * A verdict on the sandbox's flow is kept for its tick and record: a denial
 * noted in this tick under this record holds though the policy passes the
 * flow (a peer's flood on a cut flow reads the policy once a tick); a note
 * of another record is judged again (the control).
 */
static void test_verdicts_kept(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };
	int fd = dp_table(dp.st.ownnotes_fd);
	struct vrnet_flow_key key;
	struct vrnet_own_note c;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	dp_at_start_of_tick();
	sandbox_sends(&own, true, "its own flow");
	dp_the_flow(dp.st.ownnotes_fd, &key, &c);
	assert_int_equal(VRNET_JUDGED_PASS(c.judged), 1);
	c.judged &= ~1ull;
	assert_int_equal(bpf_map_update_elem(fd, &key, &c, BPF_EXIST), 0);
	expect_in(&answer, false, VRNET_REASON_BLOCK_RULE, "a denial kept for its tick");
	c.judged += 1ull << 32; /* another change */
	assert_int_equal(bpf_map_update_elem(fd, &key, &c, BPF_EXIST), 0);
	expect_in(&answer, true, VRNET_REASON_REPLY, "a note of another record, judged again");
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &c), 0);
	assert_int_equal(VRNET_JUDGED_PASS(c.judged), 1);
	close(fd);
}

/*
 * A simultaneous open under an inbound part: the peer's bare SYN on the
 * sandbox's connection gets in as a reply and opens nothing, so under
 * internet off the sandbox's SYN-ACK is its own packet and is dropped. The
 * control: with the sandbox's note and marks gone, and an inbound part that
 * lets the peer in, the peer's SYN opens a connection and the SYN-ACK passes.
 */
static void test_simultaneous_open(void **state)
{
	const struct pkt syn = { 6, SBX6, "2001:db8:50::50", 6, 40001, 443, SYN, NULL };
	const struct pkt peer_syn = { 6, "2001:db8:50::50", SBX6, 6, 443, 40001, SYN, NULL };
	const struct pkt synack = { 6, SBX6, "2001:db8:50::50", 6, 40001, 443, SYN | ACK, NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(ALLOW_IN), 0);
	forget_own_flows();
	into_sandbox(&peer_syn, NULL);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	sandbox_sends(&synack, true, "no note, no marks (control)");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);

	forget_own_flows();
	sandbox_sends(&syn, true, "its SYN");
	expect_in(&peer_syn, true, VRNET_REASON_REPLY, "the peer's bare SYN");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	sandbox_sends(&synack, false, "its SYN-ACK, internet off");
}

/*
 * The sandbox's TCP SYNs are noted (and marked in vrnet_ownflows) with or
 * without an inbound part, its echo requests only under one (which lets
 * their answers in); none of them in the table of connections into it.
 */
static void test_notes_syns_and_echoes(void **state)
{
	const struct pkt syn = { 4, SBX4, "203.0.113.50", 6, 40000, 443, SYN, NULL };
	const struct pkt ping = { 4, SBX4, "203.0.113.50", 1, 0, 7, 8, NULL };
	const struct pkt data = { 4, SBX4, "203.0.113.50", 6, 40000, 443, ACK, NULL };
	static struct vrnet_ownflows marks;
	size_t marked;

	(void)state;
	dp_skip_unless_root();
	for (int inbound = 0; inbound < 2; inbound++) {
		assert_int_equal(dp_apply(inbound ? DENY_IN : NO_IN), 0);
		forget_own_flows();
		sandbox_sends(&data, true, "a segment that starts nothing");
		dp_own_flows(&marks);
		marked = 0;
		for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
			marked += marks.seen[i] != 0;
		assert_int_equal(marked, 0);
		assert_int_equal(own_notes_count(), 0);
		sandbox_sends(&syn, true, "a SYN");
		sandbox_sends(&ping, true, "an echo request");
		assert_int_equal(own_notes_count(), inbound ? 2 : 1);
		assert_int_equal(conns_count(), 0);
		dp_own_flows(&marks);
		for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
			marked += marks.seen[i] != 0;
		assert_true(marked >= 1 && marked <= 2); /* the SYN's flow, two buckets */
	}
}

/*
 * A TCP connection the sandbox opened before its policy had an inbound part
 * keeps working after one came: its SYN was noted then too, so its peer's
 * segments are replies. The control: a segment of a connection the sandbox
 * never opened is dropped.
 */
static void test_connections_from_before(void **state)
{
	const struct pkt syn = { 4, SBX4, "203.0.113.50", 6, 40002, 443, SYN, NULL };
	const struct pkt data = { 4, "203.0.113.50", SBX4, 6, 443, 40002, ACK, NULL };
	const struct pkt stranger = { 4, "203.0.113.50", SBX4, 6, 443, 40003, ACK, NULL };
	const struct pkt syn6 = { 6, SBX6, "2001:db8:50::50", 6, 40002, 443, SYN, NULL };
	const struct pkt data6 = { 6, "2001:db8:50::50", SBX6, 6, 443, 40002, ACK, NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(NO_IN), 0);
	forget_own_flows();
	sandbox_sends(&syn, true, "its SYN, no inbound part yet");
	sandbox_sends(&syn6, true, "its IPv6 SYN, no inbound part yet");
	assert_int_equal(dp_apply(DENY_IN), 0);
	expect_in(&stranger, false, VRNET_REASON_BLOCK_RULE, "no connection of the sandbox's (control)");
	expect_in(&data, true, VRNET_REASON_REPLY, "its connection's segment, the inbound part come");
	expect_in(&data6, true, VRNET_REASON_REPLY, "the same, IPv6");
	/* an inbound part whose egress policy no longer passes the connection: its peer is out */
	assert_int_equal(dp_apply("{\"default\": \"deny\", \"allow\": [\"2001:db8:50::50\"], "
				  "\"inbound\": {\"default\": \"deny\", " INBOUND_RULES "}}"),
			 0);
	expect_in(&data, false, VRNET_REASON_BLOCK_RULE, "its rule gone with the inbound part's coming");
	expect_in(&data6, true, VRNET_REASON_REPLY, "the IPv6 one, still allowed");
}

/*
 * A peer's echo request with the identifier of the sandbox's own echo opens
 * no connection into the sandbox (it keeps the sandbox's note alive, as a
 * datagram on its UDP flow does), so under internet off the sandbox's echo
 * reply is its own packet and dropped. The control: with the note gone,
 * the request opens a connection and the reply passes.
 */
static void test_echo_request_on_own_echo(void **state)
{
	const struct pkt ping = { 6, SBX6, "2001:db8:50::50", 58, 0, 9, 128, NULL };
	const struct pkt peer_ping = { 6, "2001:db8:50::50", SBX6, 58, 0, 9, 128, NULL };
	const struct pkt pong = { 6, SBX6, "2001:db8:50::50", 58, 0, 9, 129, NULL };

	(void)state;
	dp_skip_unless_root();
	for (int control = 0; control < 2; control++) {
		assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);
		assert_int_equal(dp_apply(ALLOW_IN), 0);
		forget_own_flows();
		sandbox_sends(&ping, true, "its echo request");
		if (control)
			forget_own_flows();
		expect_in(&peer_ping, true, VRNET_REASON_DEFAULT, "the peer's echo request, let in");
		assert_int_equal(conns_count(), control ? 1 : 0);
		assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
		sandbox_sends(&pong, !!control,
			      control ? "its reply, no note (control)" : "its reply, internet off");
	}
}

/*
 * Peers the inbound part lets in open connections into the sandbox, as many
 * as fill a table twice over, and push none of the sandbox's own notes out:
 * the answers on its flows still pass. The control: the flows' answers pass
 * before the flood, and a flow never noted does not.
 */
static void test_flood_pushes_out_no_own_flow(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 53, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 53, 40000, 0, NULL };
	const struct pkt syn = { 4, SBX4, "203.0.113.50", 6, 40001, 443, SYN, NULL };
	const struct pkt data = { 4, "203.0.113.50", SBX4, 6, 443, 40001, ACK, NULL };
	const struct pkt never = { 4, "203.0.113.50", SBX4, 17, 53, 40009, 0, NULL };

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	sandbox_sends(&own, true, "its own flow");
	sandbox_sends(&syn, true, "its own connection");
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer before the flood (control)");
	expect_in(&never, false, VRNET_REASON_BLOCK_RULE, "a flow never noted (control)");
	for (uint16_t port = 1; port <= 2 * VRNET_DEVICE_CONNS; port++) {
		const struct pkt ssh = { 4, "198.51.100.7", SBX4, 6, port, 22, SYN, NULL };

		expect_in(&ssh, true, VRNET_REASON_ALLOW_RULE, "the flood, let in");
	}
	if (conns_count() < VRNET_DEVICE_CONNS / 2)
		fail_msg("the flood left %zu connections in the table", conns_count());
	expect_in(&answer, true, VRNET_REASON_REPLY, "the answer after the flood");
	expect_in(&data, true, VRNET_REASON_REPLY, "its connection's segment after the flood");
}

/* Counted as inbound, by verdict; the sandbox's own counters stay as they were. */
static void test_counters(void **state)
{
	const struct pkt ssh = { 4, "198.51.100.7", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt telnet = { 4, "198.51.100.7", SBX4, 6, 50000, 23, SYN, NULL };
	struct vrnet_stats before, after;
	__u32 slot;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(dp_apply(DENY_IN), 0);
	assert_int_equal(vr_device_find(&dp.st, DP_IFINDEX, &slot), 0);
	assert_int_equal(vr_stats_read(&dp.st, slot, &before), 0);
	into_sandbox(&ssh, NULL);
	into_sandbox(&telnet, NULL);
	into_sandbox(&telnet, NULL);
	assert_int_equal(vr_stats_read(&dp.st, slot, &after), 0);
	assert_int_equal(after.inbound_allowed_packets - before.inbound_allowed_packets, 1);
	assert_int_equal(after.inbound_dropped_packets - before.inbound_dropped_packets, 2);
	assert_int_equal(after.allowed_packets, before.allowed_packets);
	assert_int_equal(after.dropped_packets, before.dropped_packets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_default_deny, setup),
		cmocka_unit_test_setup(test_block_precedence, setup),
		cmocka_unit_test_setup(test_replies_to_own_flows, setup),
		cmocka_unit_test_setup(test_dropped_opens_nothing, setup),
		cmocka_unit_test_setup(test_inbound_opens_connections, setup),
		cmocka_unit_test_setup(test_forgotten_flow, setup),
		cmocka_unit_test_setup(test_link_and_malformed, setup),
		cmocka_unit_test_setup(test_mld_queries, setup),
		cmocka_unit_test_setup(test_other_ethertypes, setup),
		cmocka_unit_test_setup(test_errors_about_own_flows, setup),
		cmocka_unit_test_setup(test_fragmented_replies, setup),
		cmocka_unit_test_setup(test_own_flows_judged_again, setup),
		cmocka_unit_test_setup(test_own_flows_judged_after_edits, setup),
		cmocka_unit_test_setup(test_errors_whole_and_short, setup),
		cmocka_unit_test_setup(test_simultaneous_open, setup),
		cmocka_unit_test_setup(test_probes_move_no_flow, setup),
		cmocka_unit_test_setup(test_verdicts_kept, setup),
		cmocka_unit_test_setup(test_audit, setup),
		cmocka_unit_test_setup(test_fragments, setup),
		cmocka_unit_test_setup(test_notes_syns_and_echoes, setup),
		cmocka_unit_test_setup(test_connections_from_before, setup),
		cmocka_unit_test_setup(test_flood_pushes_out_no_own_flow, setup),
		cmocka_unit_test_setup(test_echo_request_on_own_echo, setup),
		cmocka_unit_test_setup(test_counters, setup),
	};

	return cmocka_run_group_tests(tests, dp_group_setup, dp_group_teardown);
}
