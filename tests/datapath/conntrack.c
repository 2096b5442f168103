// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Connections opened into a sandbox, through the real programs
 * (BPF_PROG_TEST_RUN): what the peer sends into the sandbox runs through
 * the tc egress program (vrnet_inbound), the sandbox's answer through the
 * filter, both as real packets (no probe mark). Every answer is run first
 * with no connection noted (the control: the default drops it) and then
 * after the peer's opening packet.
 */
#include <time.h>
#include <unistd.h>
#include "datapath/harness.h"
#include "datapath/flows.h"
#include "slot_tables.h"
#include "output.h"
#include "program.h"

/* ids: 0 allow .50:443/tcp, 1 block .66 */
#define POLICY                                                                        \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.50:443/tcp\"], "             \
	"\"block\": [\"203.0.113.66\"]}"

#define SBX4 "192.0.2.1" /* the harness's sandbox addresses */
#define SBX6 "2001:db8::1"
#define PEER4 "203.0.113.7"
#define PEER6 "2001:db8:7::7"

#define REPLY VRNET_REASON_REPLY
#define DEFAULT VRNET_REASON_DEFAULT

static int inbound_fd = -1;

/* The peer sends @p into the sandbox of @ifindex: the tc egress program sees it, and passes it on. */
static void peer_sends_to(int ifindex, const struct pkt *p)
{
	struct vr_verdict v = flow_run(inbound_fd, ifindex, p, NULL);

	assert_true(v.allow); /* no inbound part: no verdict, the next program decides */
}

static void peer_sends(const struct pkt *p)
{
	peer_sends_to(DP_IFINDEX, p);
}

static struct vr_verdict run_patched(int prog_fd, const struct pkt *p,
				     void (*patch)(uint8_t *dgram))
{
	return flow_run(prog_fd, DP_IFINDEX, p, patch);
}

static struct vr_verdict run_on(int prog_fd, const struct pkt *p)
{
	return flow_run(prog_fd, DP_IFINDEX, p, NULL);
}

static void expect(const struct pkt *p, bool allow, uint32_t reason, const char *when)
{
	struct vr_verdict v = run_on(dp.st.prog_fd, p);

	if (v.allow != allow || v.reason != reason)
		fail_msg("%s: IPv%d %s -> %s proto %u %u->%u flags/type 0x%x: %s reason %s, want %s reason %s",
			 when, p->family, p->src, p->dst, p->proto, p->sport, p->dport, p->flags,
			 v.allow ? "allow" : "deny", vr_reason_key(v.reason),
			 allow ? "allow" : "deny", vr_reason_key(reason));
}

/* Every connection of the device out: those into its sandbox and the notes of its own flows. */
static void forget_conns(void)
{
	dp_table_clear(dp.st.conns_fd);
	dp_table_clear(dp.st.ownnotes_fd);
}

static int setup(void **state)
{
	(void)state;
	if (inbound_fd < 0 &&
	    vr_program_inbound_fd(&dp.st, dp.st.netns_cookie, &inbound_fd))
		return -1;
	forget_conns();
	if (!vr_device_find(&dp.st, DP_IFINDEX, &(__u32){ 0 }))
		dp_set_own_flows(NULL);
	if (dp_apply(POLICY))
		return -1;
	return vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY);
}

static void tcp_connection(int family)
{
	const char *sbx = family == 4 ? SBX4 : SBX6, *peer = family == 4 ? PEER4 : PEER6;
	const struct pkt syn = { family, peer, sbx, 6, 50000, 8080, SYN, NULL };
	const struct pkt synack = { family, sbx, peer, 6, 8080, 50000, SYN | ACK, NULL };
	const struct pkt data = { family, sbx, peer, 6, 8080, 50000, ACK, NULL };
	const struct pkt own_syn = { family, sbx, peer, 6, 8080, 50000, SYN, NULL };
	const struct pkt other_port = { family, sbx, peer, 6, 8080, 50001, SYN | ACK, NULL };
	const struct pkt fin = { family, sbx, peer, 6, 8080, 50000, FIN | ACK, NULL };
	const struct pkt peer_ack = { family, peer, sbx, 6, 50000, 8080, ACK, NULL };

	expect(&synack, false, DEFAULT, "no SYN into the sandbox (control)");
	peer_sends(&peer_ack);
	expect(&synack, false, DEFAULT, "an ACK into the sandbox opens nothing");
	peer_sends(&syn);
	expect(&data, false, DEFAULT, "to a SYN, data before the SYN-ACK");
	expect(&own_syn, false, DEFAULT, "to a SYN, a SYN of its own");
	expect(&synack, true, REPLY, "the SYN-ACK");
	expect(&data, true, REPLY, "established");
	expect(&own_syn, false, DEFAULT, "established, a SYN of its own");
	expect(&other_port, false, DEFAULT, "another peer port");
	peer_sends(&peer_ack);
	expect(&fin, true, REPLY, "its FIN");
	expect(&data, true, REPLY, "closing, within 10 s");
}

static void test_tcp_v4(void **state)
{
	(void)state;
	tcp_connection(4);
}

static void test_tcp_v6(void **state)
{
	(void)state;
	tcp_connection(6);
}

/*
 * XDP mode: the XDP program can see the sandbox's next segment before the tc
 * program moved the connection on with its SYN-ACK (GRO holds passed frames
 * back for a batch). It leaves any packet of a live connection to tc, which
 * alone keeps the state, and drops what belongs to none.
 */
static void test_xdp_leaves_state_to_tc(void **state)
{
	const struct pkt syn = { 4, PEER4, SBX4, 6, 50002, 8080, SYN, NULL };
	const struct pkt data = { 4, SBX4, PEER4, 6, 8080, 50002, ACK, NULL };
	const struct pkt none = { 4, SBX4, PEER4, 6, 8080, 50003, ACK, NULL };
	struct vr_verdict x;
	struct dp_frame f;

	(void)state;
	peer_sends(&syn);
	flow_frame(&data, NULL, &f);
	assert_true(dp_run_xdp(&f, &x));
	assert_true(x.allow);
	flow_frame(&none, NULL, &f);
	assert_true(dp_run_xdp(&f, &x));
	assert_false(x.allow);
	assert_int_equal(x.reason, DEFAULT);
	/* tc's state is its own: no SYN-ACK seen, the segment is not a reply yet */
	expect(&data, false, DEFAULT, "to a SYN, data before the SYN-ACK");
}

static void test_udp(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 53, 0, NULL };
	const struct pkt out = { 4, SBX4, PEER4, 17, 53, 5353, 0, NULL };
	const struct pkt other = { 4, SBX4, PEER4, 17, 53, 5354, 0, NULL };
	const struct pkt in6 = { 6, PEER6, SBX6, 17, 5353, 53, 0, NULL };
	const struct pkt out6 = { 6, SBX6, PEER6, 17, 53, 5353, 0, NULL };

	(void)state;
	expect(&out, false, DEFAULT, "no datagram in (control)");
	expect(&out6, false, DEFAULT, "no datagram in (control)");
	peer_sends(&in);
	peer_sends(&in6);
	expect(&out, true, REPLY, "the answer");
	expect(&out6, true, REPLY, "the answer");
	expect(&other, false, DEFAULT, "to another port of the peer");
}

static void test_echo(void **state)
{
	const struct pkt req = { 4, PEER4, SBX4, 1, 0, 77, 8, NULL };
	const struct pkt rep = { 4, SBX4, PEER4, 1, 0, 77, 0, NULL };
	const struct pkt rep_other = { 4, SBX4, PEER4, 1, 0, 78, 0, NULL };
	const struct pkt own_req = { 4, SBX4, PEER4, 1, 0, 77, 8, NULL };
	const struct pkt req6 = { 6, PEER6, SBX6, 58, 0, 77, 128, NULL };
	const struct pkt rep6 = { 6, SBX6, PEER6, 58, 0, 77, 129, NULL };

	(void)state;
	expect(&rep, false, DEFAULT, "no echo request in (control)");
	expect(&rep6, false, DEFAULT, "no echo request in (control)");
	peer_sends(&req);
	peer_sends(&req6);
	expect(&rep, true, REPLY, "the echo reply");
	expect(&rep6, true, REPLY, "the echo reply");
	expect(&rep_other, false, DEFAULT, "a reply of another id");
	expect(&own_req, false, DEFAULT, "an echo request of its own");
}

/* ICMP errors about a connection into the sandbox pass; about anything else, not. */
static void test_icmp_errors(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 9999, 0, NULL };
	const struct pkt untracked = { 4, PEER4, SBX4, 17, 5353, 9998, 0, NULL };
	const struct pkt unreach = { 4, SBX4, PEER4, 1, 0, 0, 3, &in };
	const struct pkt unreach_other = { 4, SBX4, PEER4, 1, 0, 0, 3, &untracked };
	const struct pkt in6 = { 6, PEER6, SBX6, 6, 50000, 22, SYN, NULL };
	const struct pkt unreach6 = { 6, SBX6, PEER6, 58, 0, 0, 1, &in6 };
	const struct pkt too_big6 = { 6, SBX6, PEER6, 58, 0, 0, 2, &in6 };
	const struct pkt ping = { 4, PEER4, SBX4, 1, 0, 77, 8, NULL };
	const struct pkt exceeded = { 4, SBX4, PEER4, 1, 0, 0, 11, &ping };

	(void)state;
	expect(&unreach, false, DEFAULT, "no datagram in (control)");
	expect(&unreach6, false, DEFAULT, "no SYN in (control)");
	expect(&exceeded, false, DEFAULT, "no echo request in (control)");
	peer_sends(&in);
	peer_sends(&in6);
	peer_sends(&ping);
	expect(&unreach, true, REPLY, "port unreachable about it");
	expect(&unreach_other, false, DEFAULT, "port unreachable about another");
	expect(&unreach6, true, REPLY, "unreachable about it");
	expect(&too_big6, true, REPLY, "packet too big about it");
	expect(&exceeded, true, REPLY, "time exceeded about an echo request");
}

static void quote_past_datagram(uint8_t *d)
{
	dp_put16(d + 2, DP_IP4_LEN + 8); /* the datagram ends after the ICMP header */
}

static void quote_later_fragment(uint8_t *d)
{
	dp_put16(d + DP_IP4_LEN + 8 + 6, 185); /* the quoted header's fragment offset */
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
 * An ICMP error is about one connection: it goes back to that peer, from
 * that address, quoting a first fragment, within its own datagram.
 */
static void test_icmp_error_elsewhere(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 9999, 0, NULL };
	const struct pkt to_peer = { 4, SBX4, PEER4, 1, 0, 0, 3, &in };
	const struct pkt elsewhere = { 4, SBX4, "198.51.100.99", 1, 0, 0, 3, &in };
	const struct pkt in6 = { 6, PEER6, SBX6, 17, 5353, 9999, 0, NULL };
	const struct pkt elsewhere6 = { 6, SBX6, "2001:db8:99::99", 58, 0, 0, 1, &in6 };
	struct vr_verdict v;

	(void)state;
	peer_sends(&in);
	peer_sends(&in6);
	expect(&to_peer, true, REPLY, "the error to the peer (control)");
	expect(&elsewhere, false, DEFAULT, "the same error to another address");
	expect(&elsewhere6, false, DEFAULT, "the same error to another address");
	v = run_patched(dp.st.prog_fd, &to_peer, quote_past_datagram);
	assert_false(v.allow);
	v = run_patched(dp.st.prog_fd, &to_peer, quote_later_fragment);
	assert_false(v.allow);
}

/* What the sandbox makes the host send opens nothing: the DNS proxy's answers, multicast. */
static void test_opens_nothing(void **state)
{
	const struct pkt answer = { 4, "198.51.100.9", SBX4, 17, 53, 40000, 0, NULL };
	const struct pkt mdns = { 4, PEER4, "224.0.0.251", 17, 5353, 5353, 0, NULL };
	const struct pkt mcast6 = { 6, PEER6, "ff02::fb", 17, 5353, 5353, 0, NULL };

	(void)state;
	peer_sends(&answer);
	assert_int_equal(conns_count(), 1); /* the control: without the proxy it opens */
	forget_conns();
	assert_int_equal(dp_apply("{\"default\": \"deny\", \"dns_proxy\": true}"), 0);
	peer_sends(&answer);
	assert_int_equal(conns_count(), 0);
	peer_sends(&mdns);
	peer_sends(&mcast6);
	assert_int_equal(conns_count(), 0);
}

/* A block rule drops a reply; the internet switch's off does not. */
static void test_block_and_internet(void **state)
{
	const struct pkt syn = { 4, "203.0.113.66", SBX4, 6, 50000, 22, SYN, NULL };
	const struct pkt synack = { 4, SBX4, "203.0.113.66", 6, 22, 50000, SYN | ACK, NULL };
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 53, 0, NULL };
	const struct pkt out = { 4, SBX4, PEER4, 17, 53, 5353, 0, NULL };
	const struct pkt other = { 4, SBX4, PEER4, 17, 53, 5354, 0, NULL };

	(void)state;
	peer_sends(&syn);
	expect(&synack, false, VRNET_REASON_BLOCK_RULE, "to a blocked peer");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect(&synack, false, VRNET_REASON_INTERNET, "internet off, to a blocked peer");
	expect(&out, false, VRNET_REASON_INTERNET, "internet off, nothing in (control)");
	peer_sends(&in);
	expect(&out, true, REPLY, "internet off, the answer");
	expect(&other, false, VRNET_REASON_INTERNET, "internet off, anything else");
}

/* The policy with a rule for the sandbox's own UDP flow to .50:7777 (id 2). */
#define POLICY_UDP                                                                    \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.50:443/tcp\", "              \
	"\"[2001:db8:7::50]:443/tcp\", \"203.0.113.50:7777/udp\", "                       \
	"\"[2001:db8:7::50]:7777/udp\"], \"block\": [\"203.0.113.66\"]}"

/*
 * A UDP flow the sandbox opens under its policy, and its peer answers: the
 * answers open no connection into the sandbox, so a rule removed, or internet
 * off, stops the flow. Once a peer has sent first, the sandbox answers it.
 */
static void own_flow(int family)
{
	const char *sbx = family == 4 ? SBX4 : SBX6;
	const char *peer = family == 4 ? "203.0.113.50" : "2001:db8:7::50";
	const struct pkt own = { family, sbx, peer, 17, 40000, 7777, 0, NULL };
	const struct pkt answer = { family, peer, sbx, 17, 7777, 40000, 0, NULL };

	assert_int_equal(dp_apply(POLICY_UDP), 0);
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "its own flow, allowed");
	peer_sends(&answer);
	assert_int_equal(dp_apply(POLICY), 0);
	expect(&own, false, DEFAULT, "its rule gone: the answers opened nothing");
	peer_sends(&answer);
	expect(&own, false, DEFAULT, "its rule gone, answered again");

	assert_int_equal(dp_apply(POLICY_UDP), 0);
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "allowed again");
	peer_sends(&answer);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect(&own, false, VRNET_REASON_INTERNET, "internet off cuts it");
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);

	/*
	 * Its note pushed out of the LRU table (the sandbox opened many flows):
	 * vrnet_ownflows still knows the flow, so the peer's answer (through a
	 * NAT mapping it keeps alive) opens nothing.
	 */
	assert_int_equal(dp_apply(POLICY_UDP), 0);
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "allowed again");
	forget_conns();
	peer_sends(&answer);
	assert_int_equal(dp_apply(POLICY), 0);
	expect(&own, false, DEFAULT, "its note pushed out, its rule gone");

	/* control: with neither the note nor the bit, the answer opens one, and it passes */
	forget_conns();
	dp_set_own_flows(NULL);
	peer_sends(&answer);
	expect(&own, true, REPLY, "no note of its own flow, no bit (control)");
}

/* A mark of tick @t: 0 is none (a mark of tick 0 is 1, as the program stores it). */
static __u16 as_mark(int t)
{
	return (__u16)t ? (__u16)t : 1;
}

/* The tick vrnet_ownflows marks with now (conntrack.h, own_flow_tick()). */
static __u16 tick_now(void)
{
	struct timespec ts;
	__u16 tick;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts), 0);
	tick = (__u16)(((__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec) >>
		       VRNET_OWNFLOW_TICK_SHIFT);
	return tick ? tick : 1;
}

/*
 * A simultaneous open on a TCP connection the sandbox started (its SYN
 * allowed by a rule): the peer answers with a bare SYN (through the NAT
 * mapping the sandbox's SYN made), the sandbox with a SYN-ACK. That is the
 * sandbox's own connection, not one into it: under internet off its
 * packets are dropped. Its note pushed out, the own-flow bit still says so.
 */
static void simultaneous_open(int family)
{
	const char *sbx = family == 4 ? SBX4 : SBX6;
	const char *peer = family == 4 ? "203.0.113.50" : "2001:db8:7::50";
	const struct pkt own_syn = { family, sbx, peer, 6, 40001, 443, SYN, NULL };
	const struct pkt peer_syn = { family, peer, sbx, 6, 443, 40001, SYN, NULL };
	const struct pkt synack = { family, sbx, peer, 6, 40001, 443, SYN | ACK, NULL };
	const struct pkt data = { family, sbx, peer, 6, 40001, 443, ACK, NULL };
	static struct vrnet_ownflows marks;
	int held = 0, renewed = 0;
	__u16 old;

	assert_int_equal(dp_apply(POLICY_UDP), 0);
	expect(&own_syn, true, VRNET_REASON_ALLOW_RULE, "its own SYN, allowed");
	peer_sends(&peer_syn);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect(&synack, false, VRNET_REASON_INTERNET, "simultaneous open, internet off");
	expect(&data, false, VRNET_REASON_INTERNET, "simultaneous open, internet off, data");

	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);
	expect(&own_syn, true, VRNET_REASON_ALLOW_RULE, "its own SYN again");
	forget_conns();
	peer_sends(&peer_syn);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect(&synack, false, VRNET_REASON_INTERNET, "its note pushed out, internet off");

	/* the peer's SYN marks the flow again, as its datagram would (a NAT mapping kept alive) */
	dp_own_flows(&marks);
	old = as_mark(tick_now() - VRNET_OWNFLOW_LIFE_TICKS + 3);
	for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
		if (marks.seen[i])
			marks.seen[i] = old, held++;
	assert_true(held >= 1 && held <= 2);
	dp_set_own_flows(&marks);
	peer_sends(&peer_syn);
	dp_own_flows(&marks);
	for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
		if (marks.seen[i] && (__u16)(marks.seen[i] - tick_now() + 1) <= 2)
			renewed++;
	assert_int_equal(renewed, held);

	/* control: with neither note nor bit, the peer's SYN opens one, and the SYN-ACK passes */
	forget_conns();
	dp_set_own_flows(NULL);
	peer_sends(&peer_syn);
	expect(&synack, true, REPLY, "no note, no bit (control)");
	expect(&data, true, REPLY, "no note, no bit (control), data");
}

/*
 * The note alone keeps the peer out, its marks gone: the peer's bare SYN on
 * the sandbox's connection, or its datagram on the sandbox's UDP flow,
 * opens nothing, so under internet off the sandbox's SYN-ACK and datagram
 * are its own and dropped. The control: with the note gone too, the same
 * packets open a connection and pass as replies.
 */
static void test_note_alone_keeps_peer_out(void **state)
{
	const struct pkt own_syn = { 4, SBX4, "203.0.113.50", 6, 40001, 443, SYN, NULL };
	const struct pkt peer_syn = { 4, "203.0.113.50", SBX4, 6, 443, 40001, SYN, NULL };
	const struct pkt synack = { 4, SBX4, "203.0.113.50", 6, 40001, 443, SYN | ACK, NULL };
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40002, 7777, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 7777, 40002, 0, NULL };

	(void)state;
	for (int control = 0; control < 2; control++) {
		assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY), 0);
		assert_int_equal(dp_apply(POLICY_UDP), 0);
		forget_conns();
		expect(&own_syn, true, VRNET_REASON_ALLOW_RULE, "its own SYN");
		expect(&own, true, VRNET_REASON_ALLOW_RULE, "its own datagram");
		assert_int_equal(own_notes_count(), 2);
		dp_set_own_flows(NULL);
		if (control)
			forget_conns();
		peer_sends(&peer_syn);
		peer_sends(&answer);
		assert_int_equal(conns_count(), control ? 2 : 0);
		assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
		expect(&synack, !!control, control ? REPLY : VRNET_REASON_INTERNET,
		       control ? "no note, no marks (control)" : "the note alone, internet off");
		expect(&own, !!control, control ? REPLY : VRNET_REASON_INTERNET,
		       control ? "no note, no marks (control)" : "the note alone, internet off");
	}
}

static void test_simultaneous_open_v4(void **state)
{
	(void)state;
	simultaneous_open(4);
}

static void test_simultaneous_open_v6(void **state)
{
	(void)state;
	simultaneous_open(6);
}

/* The buckets of a key's flow in vrnet_ownflows; returns how many the table has marked. */
static int marked_buckets(const struct vrnet_flow_key *key, __u32 *first, __u32 *second)
{
	static struct vrnet_ownflows o;
	__u32 h = vrnet_own_flow_hash((const __u32 *)key, sizeof(*key) / 4);
	int marked = 0;

	*first = VRNET_OWNFLOW_FIRST(h);
	*second = VRNET_OWNFLOW_SECOND(h);
	dp_own_flows(&o);
	for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
		marked += o.seen[i] != 0;
	return marked;
}

/* Only @first and @second marked, at ticks @a and @b (0: not marked). */
static void mark_only(__u32 first, __u32 second, __u16 a, __u16 b)
{
	static struct vrnet_ownflows o;

	memset(&o, 0, sizeof(o));
	o.seen[first] = a;
	o.seen[second] = b;
	dp_set_own_flows(&o);
	forget_conns();
}

/*
 * vrnet_ownflows: the sandbox's datagram marks exactly its flow's two
 * buckets; the peer's answer then opens nothing while both were marked in
 * the last 300 s (and marks them again), and opens a connection (its answer
 * passes as a reply) when either is older or unmarked.
 */
static void test_own_flow_life(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 7777, 0, NULL };
	const struct pkt answer = { 4, "203.0.113.50", SBX4, 17, 7777, 40000, 0, NULL };
	static struct vrnet_ownflows o;
	struct vrnet_own_note n;
	struct vrnet_flow_key key;
	__u32 first, second;
	__u16 tick, fresh, stale;
	int marked;

	(void)state;
	assert_int_equal(dp_apply(POLICY_UDP), 0);
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "its own flow, allowed");
	assert_int_equal(conns_count(), 0);
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	assert_int_equal(VRNET_JUDGED_PASS(n.judged), 1);
	marked = marked_buckets(&key, &first, &second);
	assert_int_equal(marked, first == second ? 1 : 2);
	assert_int_equal(dp_apply(POLICY), 0);

	tick = tick_now();
	fresh = as_mark(tick - VRNET_OWNFLOW_LIFE_TICKS + 3);
	stale = (__u16)(tick - VRNET_OWNFLOW_LIFE_TICKS - VRNET_OWNFLOW_SKEW_TICKS - 3);
	mark_only(first, second, fresh, fresh);
	peer_sends(&answer);
	expect(&own, false, DEFAULT, "both buckets marked 290 s ago: the answer opened nothing");
	dp_own_flows(&o);
	assert_true((__u16)(o.seen[first] - tick) <= 1 && (__u16)(o.seen[second] - tick) <= 1);

	mark_only(first, second, as_mark(tick + 1), as_mark(tick + 1));
	peer_sends(&answer);
	expect(&own, false, DEFAULT, "marked a tick ahead (another CPU's clock)");

	if (first != second) {
		mark_only(first, second, fresh, 0);
		peer_sends(&answer);
		expect(&own, true, REPLY, "one bucket unmarked: the answer opened a connection");
		mark_only(first, second, 0, fresh);
		peer_sends(&answer);
		expect(&own, true, REPLY, "the other unmarked: the answer opened a connection");
	}
	mark_only(first, second, stale, stale);
	peer_sends(&answer);
	expect(&own, true, REPLY, "both marked 310 s ago: the answer opened a connection");
}

/*
 * The note of flow @key given the judged word @judged, its marks cleared,
 * the sandbox's datagram @own sent (@name): how many buckets it marked.
 */
static int marked_after(const struct pkt *own, const struct vrnet_flow_key *key,
			struct vrnet_own_note *n, __u64 judged, const char *name)
{
	static const struct vrnet_ownflows none;
	int fd = dp_table(dp.st.ownnotes_fd);
	__u32 first, second;

	n->judged = judged;
	assert_int_equal(bpf_map_update_elem(fd, key, n, BPF_EXIST), 0);
	close(fd);
	dp_set_own_flows(&none);
	expect(own, true, VRNET_REASON_ALLOW_RULE, name);
	return marked_buckets(key, &first, &second);
}

/*
 * The sandbox's datagrams on a live note mark its flow's buckets once a
 * tick of judgements (own_note_renew()): again in a later tick, under
 * another record, and after a peer's packet judged the flow (its word has
 * no mark bit), but not
 * twice in one tick, which the third case shows (what the first two cases
 * see is the renewal, not a mark made whatever the word).
 */
static void test_own_note_marks_once_a_tick(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 7777, 0, NULL };
	struct vrnet_own_note n;
	struct vrnet_flow_key key;
	__u32 first, second;
	int both;

	(void)state;
	assert_int_equal(dp_apply(POLICY_UDP), 0);
	dp_at_start_of_tick(); /* the cases below in one tick */
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "its own flow, allowed");
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	both = marked_buckets(&key, &first, &second);
	assert_int_equal(both, first == second ? 1 : 2);
	assert_true(VRNET_JUDGED_PASS(n.judged) && (n.judged & VRNET_JUDGED_MARKED));

	/* a tick ago; under the record before a change; now, by a peer's packet (no mark bit) */
	assert_int_equal(marked_after(&own, &key, &n,
				      VRNET_JUDGED(VRNET_JUDGED_CHANGE(n.judged), (n.judged >> 16) - 1, 1) |
					      VRNET_JUDGED_MARKED,
				      "its note judged a tick ago"),
			 both);
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	assert_int_equal(marked_after(&own, &key, &n,
				      VRNET_JUDGED(VRNET_JUDGED_CHANGE(n.judged) - 1, n.judged >> 16, 1) |
					      VRNET_JUDGED_MARKED,
				      "its note judged under the record before"),
			 both);
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	assert_int_equal(marked_after(&own, &key, &n, n.judged & ~VRNET_JUDGED_MARKED,
				      "its note judged now by a peer's packet"),
			 both);

	/* marked in this tick already */
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	assert_int_equal(marked_after(&own, &key, &n, n.judged, "its note marked in this tick"), 0);
	dp_the_flow(dp.st.ownnotes_fd, &key, &n);
	assert_true(n.judged & VRNET_JUDGED_MARKED);
}

/* `check`'s probe of a UDP datagram its policy passes notes nothing; the same datagram sent does. */
static void test_probes_note_nothing(void **state)
{
	const struct pkt own = { 4, SBX4, "203.0.113.50", 17, 40000, 7777, 0, NULL };
	struct dp_frame f = { 0 };
	struct vr_verdict v;

	(void)state;
	assert_int_equal(dp_apply(POLICY_UDP), 0);
	dp_eth(&f, 0x0800);
	f.len += datagram(&own, dp_put(&f, 0));
	assert_int_equal(vr_probe_run(dp.st.prog_fd, DP_IFINDEX, f.data, f.len, 0, &v), 0);
	assert_true(v.allow);
	assert_int_equal(own_notes_count(), 0);
	expect(&own, true, VRNET_REASON_ALLOW_RULE, "sent");
	assert_int_equal(own_notes_count(), 1);
}

/*
 * `check`'s probe of the sandbox's answer to a connection opened into it
 * passes as a reply and moves the connection on by nothing: still opening,
 * seen when the peer's SYN was. The answer sent (the control) establishes it.
 */
static void test_probes_move_no_connection(void **state)
{
	const struct pkt syn = { 4, PEER4, SBX4, 6, 50000, 8080, SYN, NULL };
	const struct pkt synack = { 4, SBX4, PEER4, 6, 8080, 50000, SYN | ACK, NULL };
	struct vrnet_conn before, after;
	struct vrnet_flow_key key;
	struct dp_frame f = { 0 };
	struct vr_verdict v;

	(void)state;
	peer_sends(&syn);
	dp_the_flow(dp.st.conns_fd, &key, &before);
	assert_int_equal(before.state, VRNET_CONN_OPENING);
	usleep(20000); /* the coarse clock moves on */
	dp_eth(&f, 0x0800);
	f.len += datagram(&synack, dp_put(&f, 0));
	assert_int_equal(vr_probe_run(dp.st.prog_fd, DP_IFINDEX, f.data, f.len, 0, &v), 0);
	assert_true(v.allow);
	assert_int_equal(v.reason, REPLY);
	dp_the_flow(dp.st.conns_fd, &key, &after);
	assert_int_equal(after.state, VRNET_CONN_OPENING);
	assert_true(after.seen_ns == before.seen_ns);
	expect(&synack, true, REPLY, "the SYN-ACK sent");
	dp_the_flow(dp.st.conns_fd, &key, &after);
	assert_int_equal(after.state, VRNET_CONN_ESTABLISHED);
	assert_true(after.seen_ns > before.seen_ns);
}

/*
 * A UDP flow a peer opens, which a rule lets the sandbox answer anyway: the
 * answers keep it established, so it stays a connection into the sandbox,
 * answered under internet off too.
 */
static void test_inbound_flow_answered_by_rule(void **state)
{
	const struct pkt in = { 4, "203.0.113.50", SBX4, 17, 7777, 40000, 0, NULL };
	const struct pkt out = { 4, SBX4, "203.0.113.50", 17, 40000, 7777, 0, NULL };
	struct vrnet_flow_key key;
	struct vrnet_conn c;

	(void)state;
	assert_int_equal(dp_apply(POLICY_UDP), 0);
	peer_sends(&in);
	expect(&out, true, VRNET_REASON_ALLOW_RULE, "the answer, by its rule");
	dp_the_flow(dp.st.conns_fd, &key, &c);
	assert_int_equal(c.state, VRNET_CONN_ESTABLISHED);
	assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_OFF), 0);
	expect(&out, true, REPLY, "internet off, the answer");
}

static void test_own_flow_v4(void **state)
{
	(void)state;
	own_flow(4);
}

static void test_own_flow_v6(void **state)
{
	(void)state;
	own_flow(6);
}

/* An entry idle past its state's timeout no longer counts. */
static void test_timeouts(void **state)
{
	const struct pkt syn = { 4, PEER4, SBX4, 6, 50000, 8080, SYN, NULL };
	const struct pkt synack = { 4, SBX4, PEER4, 6, 8080, 50000, SYN | ACK, NULL };
	const struct pkt data = { 4, SBX4, PEER4, 6, 8080, 50000, ACK, NULL };
	struct vrnet_flow_key key;
	struct vrnet_conn c;
	struct timespec now;
	int conns = dp_table(dp.st.conns_fd);

	(void)state;
	peer_sends(&syn);
	assert_int_equal(bpf_map_get_next_key(conns, NULL, &key), 0);
	assert_int_equal(bpf_map_lookup_elem(conns, &key, &c), 0);
	assert_int_equal(c.state, VRNET_CONN_OPENING);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	c.seen_ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec -
		    VRNET_CONN_OPENING_NS - 1000000000ull;
	assert_int_equal(bpf_map_update_elem(conns, &key, &c, BPF_EXIST), 0);
	expect(&synack, false, DEFAULT, "a SYN 31 s old");
	peer_sends(&syn);
	expect(&synack, true, REPLY, "a new SYN");
	assert_int_equal(bpf_map_lookup_elem(conns, &key, &c), 0);
	assert_int_equal(c.state, VRNET_CONN_ESTABLISHED);
	c.seen_ns -= VRNET_CONN_OPENING_NS + 1000000000ull; /* 31 s idle: established stays */
	assert_int_equal(bpf_map_update_elem(conns, &key, &c, BPF_EXIST), 0);
	expect(&data, true, REPLY, "established, 31 s idle");
	c.seen_ns -= VRNET_CONN_TCP_IDLE_NS;
	assert_int_equal(bpf_map_update_elem(conns, &key, &c, BPF_EXIST), 0);
	expect(&data, false, DEFAULT, "established, an hour idle");
	close(conns);
}

/*
 * The device's table is an LRU of VRNET_DEVICE_CONNS: connections opened
 * after it is full push out the least recently used; their answers then
 * meet the policy (fail closed).
 */
static void test_table_full(void **state)
{
	const struct pkt syn = { 4, PEER4, SBX4, 6, 50000, 8080, SYN, NULL };
	const struct pkt synack = { 4, SBX4, PEER4, 6, 8080, 50000, SYN | ACK, NULL };

	(void)state;
	peer_sends(&syn);
	/* more than the table holds of other connections */
	for (uint16_t port = 1; port <= VRNET_DEVICE_CONNS + 64; port++) {
		const struct pkt other = { 4, PEER4, SBX4, 17, port, 5353, 0, NULL };

		peer_sends(&other);
	}
	expect(&synack, false, DEFAULT, "pushed out of a full table");
	peer_sends(&syn);
	expect(&synack, true, REPLY, "opened again");
}

/*
 * The sandbox's own flows are noted in a table of their own: as many flows
 * as fill a table twice over, started by the sandbox, push out no
 * connection opened into it, whose answers still pass. The control: the
 * flows filled their table (when they shared one, the connection's answer
 * was dropped: DEFAULT).
 */
static void test_own_flows_push_out_nothing(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 53, 0, NULL };
	const struct pkt out = { 4, SBX4, PEER4, 17, 53, 5353, 0, NULL };
	size_t held;

	(void)state;
	assert_int_equal(dp_apply("{\"default\": \"deny\", \"allow\": [\"203.0.113.50\"]}"), 0);
	peer_sends(&in);
	for (uint16_t port = 1; port <= 2 * VRNET_DEVICE_OWN_NOTES; port++) {
		const struct pkt own = { 4, SBX4, "203.0.113.50", 17, port, 443, 0, NULL };
		const struct pkt syn = { 4, SBX4, "203.0.113.50", 6, port, 443, SYN, NULL };

		expect(&own, true, VRNET_REASON_ALLOW_RULE, "the sandbox's own datagram");
		expect(&syn, true, VRNET_REASON_ALLOW_RULE, "the sandbox's own SYN");
	}
	held = own_notes_count();
	if (held < VRNET_DEVICE_OWN_NOTES / 2)
		fail_msg("the sandbox's flows left %zu notes in their table", held);
	assert_int_equal(conns_count(), 1);
	expect(&out, true, REPLY, "its answer after twice a table of its own flows");
}

/*
 * Each device has a table of its own: connections opened into another
 * sandbox, as many as fill a table (test_table_full()), push out none of
 * this one's.
 */
static void test_other_device_flood(void **state)
{
	const struct pkt syn = { 4, PEER4, SBX4, 6, 50000, 8080, SYN, NULL };
	const struct pkt synack = { 4, SBX4, PEER4, 6, 8080, 50000, SYN | ACK, NULL };
	int other = dp_second_device();

	(void)state;
	assert_int_equal(dp_apply_to(other, dp.second, POLICY), 0);
	peer_sends(&syn);
	__u32 other_slot;
	size_t held;

	for (uint16_t port = 1; port <= 3 * VRNET_DEVICE_CONNS; port++) {
		const struct pkt flood = { 4, PEER4, SBX4, 17, port, 5353, 0, NULL };

		peer_sends_to(other, &flood);
	}
	/* the control: the flood filled the other device's table */
	assert_int_equal(vr_device_find(&dp.st, other, &other_slot), 0);
	held = dp_flow_count(vr_slot_table_fd(dp.st.conns_fd, other_slot));
	if (held < VRNET_DEVICE_CONNS / 2)
		fail_msg("the flood left %zu connections in the other table", held);
	expect(&synack, true, REPLY, "after another sandbox's flood");
}

/* The id of ifindex 1's table in @outer_fd (0: none). */
static __u32 table_id(int outer_fd)
{
	__u32 slot, id = 0;

	assert_int_equal(vr_device_find(&dp.st, DP_IFINDEX, &slot), 0);
	if (bpf_map_lookup_elem(outer_fd, &slot, &id))
		assert_int_equal(errno, ENOENT);
	return id;
}

/*
 * The device's connections go with it: the slot keeps its tables, emptied,
 * and the next device there has none of them.
 */
static void test_forget(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 53, 0, NULL };
	const struct pkt out = { 4, SBX4, PEER4, 17, 53, 5353, 0, NULL };
	__u32 slot, conns = table_id(dp.st.conns_fd), notes = table_id(dp.st.ownnotes_fd);
	static struct vrnet_ownflows marked, marks;

	(void)state;
	peer_sends(&in);
	expect(&out, true, REPLY, "before");
	marked.seen[7] = 1;
	dp_set_own_flows(&marked);
	assert_int_equal(vr_device_find(&dp.st, DP_IFINDEX, &slot), 0);
	assert_int_equal(vr_slot_tables_empty(&dp.st, slot), 0);
	expect(&out, false, DEFAULT, "an emptied table holds nothing");
	assert_int_equal(vr_slot_tables_ready(&dp.st, slot), 0);
	dp_own_flows(&marks);
	assert_int_equal(marks.seen[7], 0); /* the marks start afresh too */
	assert_int_equal(table_id(dp.st.conns_fd), conns);
	assert_int_equal(table_id(dp.st.ownnotes_fd), notes);
	expect(&out, false, DEFAULT, "the next device takes the same tables, empty");
	peer_sends(&in);
	expect(&out, true, REPLY, "the emptied table tracks");
}

/*
 * A table that still holds something when the next device comes (its
 * detach was killed before emptying it) is replaced, never taken.
 */
static void test_leftover_replaced(void **state)
{
	const struct pkt in = { 4, PEER4, SBX4, 17, 5353, 53, 0, NULL };
	const struct pkt out = { 4, SBX4, PEER4, 17, 53, 5353, 0, NULL };
	__u32 slot, conns = table_id(dp.st.conns_fd);

	(void)state;
	peer_sends(&in);
	expect(&out, true, REPLY, "the control: the predecessor's connection");
	assert_int_equal(vr_device_find(&dp.st, DP_IFINDEX, &slot), 0);
	assert_int_equal(vr_slot_tables_ready(&dp.st, slot), 0);
	assert_int_not_equal(table_id(dp.st.conns_fd), conns);
	expect(&out, false, DEFAULT, "a fresh table in its place");
	/* and a slot without a table gets one */
	assert_int_equal(bpf_map_delete_elem(dp.st.conns_fd, &slot), 0);
	peer_sends(&in);
	expect(&out, false, DEFAULT, "no table: nothing opens, nothing passes as a reply");
	assert_int_equal(vr_slot_tables_ready(&dp.st, slot), 0);
	assert_int_not_equal(table_id(dp.st.conns_fd), 0);
	peer_sends(&in);
	expect(&out, true, REPLY, "the new table tracks");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_tcp_v4, setup),
		cmocka_unit_test_setup(test_tcp_v6, setup),
		cmocka_unit_test_setup(test_xdp_leaves_state_to_tc, setup),
		cmocka_unit_test_setup(test_udp, setup),
		cmocka_unit_test_setup(test_echo, setup),
		cmocka_unit_test_setup(test_icmp_errors, setup),
		cmocka_unit_test_setup(test_icmp_error_elsewhere, setup),
		cmocka_unit_test_setup(test_opens_nothing, setup),
		cmocka_unit_test_setup(test_block_and_internet, setup),
		cmocka_unit_test_setup(test_own_flow_v4, setup),
		cmocka_unit_test_setup(test_own_flow_v6, setup),
		cmocka_unit_test_setup(test_own_flow_life, setup),
		cmocka_unit_test_setup(test_own_note_marks_once_a_tick, setup),
		cmocka_unit_test_setup(test_note_alone_keeps_peer_out, setup),
		cmocka_unit_test_setup(test_simultaneous_open_v4, setup),
		cmocka_unit_test_setup(test_simultaneous_open_v6, setup),
		cmocka_unit_test_setup(test_probes_note_nothing, setup),
		cmocka_unit_test_setup(test_probes_move_no_connection, setup),
		cmocka_unit_test_setup(test_inbound_flow_answered_by_rule, setup),
		cmocka_unit_test_setup(test_timeouts, setup),
		cmocka_unit_test_setup(test_table_full, setup),
		cmocka_unit_test_setup(test_own_flows_push_out_nothing, setup),
		cmocka_unit_test_setup(test_other_device_flood, setup),
		cmocka_unit_test_setup(test_forget, setup),
		cmocka_unit_test_setup(test_leftover_replaced, setup),
	};

	return cmocka_run_group_tests_name("datapath connection tracking", tests, dp_group_setup,
					   dp_group_teardown);
}
