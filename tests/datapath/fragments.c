// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Datagrams in fragments, through the real program (BPF_PROG_TEST_RUN): the
 * first fragment's verdict decides the later ones (vrnet_frags), in any order
 * they come, under the policies in force when it passed, for a minute; a
 * later fragment of no datagram whose first fragment passed is dropped,
 * reason fragment.
 * verdicts.c has the rows of single packets (a first fragment too short for
 * its ports, later fragments alone).
 */
#include "datapath/harness.h"
#include "output.h"

/* ids: 0 .10:53/udp, 1 [::10]:53/udp, 2 .20 (any port), 3 block .10:5353 */
#define POLICY                                                                        \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.10:53/udp\", "               \
	"\"[2001:db8::10]:53/udp\", \"203.0.113.20\"], \"block\": [\"203.0.113.10:5353\"]}"

static struct vr_verdict run(const struct dp_pkt *p)
{
	struct vr_verdict v;
	struct dp_frame f;

	dp_build(p, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	return v;
}

static void expect(struct dp_pkt p, bool allow, uint32_t reason, int rule_id)
{
	struct vr_verdict v = run(&p);
	char text[256];

	dp_pkt_format(&p, text, sizeof(text));
	if (v.allow != allow || v.reason != reason ||
	    (rule_id >= 0 && v.rule_id != (uint32_t)rule_id))
		fail_msg("%s: %s reason %s rule %u, want %s reason %s rule %d", text,
			 v.allow ? "allow" : "deny", vr_reason_key(v.reason), v.rule_id,
			 allow ? "allow" : "deny", vr_reason_key(reason), rule_id);
}

static int setup(void **state)
{
	dp_forget_fragments();
	return dp_apply(POLICY);
}

/* The fragments of one UDP datagram of @family to @dst:@port, with @id. */
static struct dp_pkt first_of(int family, const char *dst, uint16_t port, uint16_t id)
{
	struct dp_pkt p = { .family = family, .dst = dst, .proto = 17, .dport = port,
			    .more_frags = true, .frag_id = id };

	if (family == 6) {
		p.ext[0] = 44;
		p.n_ext = 1;
	}
	return p;
}

static struct dp_pkt later_of(const struct dp_pkt *first, uint16_t offset, bool more)
{
	struct dp_pkt p = *first;

	p.frag = offset;
	p.more_frags = more;
	return p;
}

static void datagram_in_order(int family, const char *dst, int rule)
{
	struct dp_pkt first = first_of(family, dst, 53, 7), mid = later_of(&first, 185, true),
		      last = later_of(&first, 370, false);

	/* a control: the later fragments alone are dropped */
	expect(mid, false, VRNET_REASON_FRAGMENT, -1);
	expect(first, true, VRNET_REASON_ALLOW_RULE, rule);
	expect(mid, true, VRNET_REASON_ALLOW_RULE, rule);
	expect(last, true, VRNET_REASON_ALLOW_RULE, rule);
	/* another datagram (id) between the same ends has no first fragment yet */
	first.frag_id = 8;
	expect(later_of(&first, 185, true), false, VRNET_REASON_FRAGMENT, -1);
}

static void test_a_datagram_v4(void **state)
{
	dp_skip_unless_root();
	datagram_in_order(4, "203.0.113.10", 0);
}

static void test_a_datagram_v6(void **state)
{
	dp_skip_unless_root();
	datagram_in_order(6, "2001:db8::10", 1);
}

/* Later fragments before the first are dropped; those after it pass. */
static void test_out_of_order(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 53, 21),
		      last = later_of(&first, 185, false);

	dp_skip_unless_root();
	expect(last, false, VRNET_REASON_FRAGMENT, -1);
	expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	expect(last, true, VRNET_REASON_ALLOW_RULE, 0);
}

/* A first fragment that does not pass lets none of its datagram through. */
static void test_first_dropped(void **state)
{
	struct dp_pkt blocked = first_of(4, "203.0.113.10", 5353, 31),
		      other_port = first_of(4, "203.0.113.10", 54, 32),
		      other_proto = first_of(4, "203.0.113.20", 80, 33);

	dp_skip_unless_root();
	expect(blocked, false, VRNET_REASON_BLOCK_RULE, 3);
	expect(later_of(&blocked, 185, false), false, VRNET_REASON_FRAGMENT, -1);
	expect(other_port, false, VRNET_REASON_DEFAULT, -1);
	expect(later_of(&other_port, 185, false), false, VRNET_REASON_FRAGMENT, -1);
	/* the note is the datagram's protocol's: a TCP fragment of a UDP datagram's id is not */
	other_proto.proto = 17;
	expect(other_proto, true, VRNET_REASON_ALLOW_RULE, 2);
	other_proto.proto = 6;
	expect(later_of(&other_proto, 185, false), false, VRNET_REASON_FRAGMENT, -1);
}

/*
 * In XDP mode the XDP program judges a first fragment before the tc program,
 * which alone sees its offload metadata: @first, which the policy passes (or
 * audits), dropped by tc for that metadata, leaves no note that passes the
 * rest of its datagram.
 */
static void offload_drop_keeps_the_rest_out(struct dp_pkt first)
{
	struct vr_verdict v;
	struct dp_frame f;

	dp_build(&first, &f);
	assert_int_equal(dp_run_gso(&f, 1000, &v), 0); /* XDP, then tc */
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_OFFLOAD);
	expect(later_of(&first, 185, false), false, VRNET_REASON_FRAGMENT, -1);
}

#define AUDIT_POLICY                                                                  \
	"{\"default\": \"deny\", \"mode\": \"audit\", \"allow\": [\"203.0.113.10:53/udp\"]}"

static void test_first_dropped_for_offload(void **state)
{
	dp_skip_unless_root();
	offload_drop_keeps_the_rest_out(first_of(4, "203.0.113.10", 53, 34));
}

/* The same in audit mode, where XDP passes the first fragment its default drops. */
static void test_first_dropped_for_offload_audit(void **state)
{
	dp_skip_unless_root();
	assert_int_equal(dp_apply(AUDIT_POLICY), 0);
	offload_drop_keeps_the_rest_out(first_of(4, "203.0.113.10", 54, 35));
}

/*
 * A later fragment can reach the XDP program before the tc program judged
 * its first one (GRO holds passed frames back for a batch): with no note
 * yet, XDP leaves it to tc. XDP notes nothing of a first fragment, even one
 * it drops: tc alone decides the later ones.
 */
static void test_later_before_first(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 5353, 36);
	struct dp_pkt later = later_of(&first, 185, false);
	struct vr_verdict x;
	struct dp_frame f;

	dp_skip_unless_root();
	dp_build(&later, &f);
	assert_true(dp_run_xdp(&f, &x));
	assert_true(x.allow);
	dp_build(&first, &f);
	assert_true(dp_run_xdp(&f, &x)); /* XDP drops the blocked first fragment... */
	assert_false(x.allow);
	dp_build(&later, &f);
	assert_true(dp_run_xdp(&f, &x)); /* ...and notes nothing: tc decides the later one */
	assert_true(x.allow);
	/* and tc drops it: its first fragment never passed (dp_run: XDP, then tc) */
	expect(later, false, VRNET_REASON_FRAGMENT, -1);
}

/*
 * A second first fragment of a datagram is judged on its own: to a port not
 * allowed it is dropped, and the note of the first one stands for the rest.
 */
static void test_second_first_fragment(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 53, 91),
		      again = first_of(4, "203.0.113.10", 5353, 91);

	dp_skip_unless_root();
	expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	expect(again, false, VRNET_REASON_BLOCK_RULE, 3);
	expect(later_of(&first, 185, false), true, VRNET_REASON_ALLOW_RULE, 0);
}

/* A change of the policy between a first fragment and the rest drops the rest. */
static void test_policy_change_between(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 53, 41);

	dp_skip_unless_root();
	expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	assert_int_equal(dp_apply(POLICY), 0);
	expect(later_of(&first, 185, false), false, VRNET_REASON_FRAGMENT, -1);
	expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	expect(later_of(&first, 185, false), true, VRNET_REASON_ALLOW_RULE, 0);
}

/* A note lives VRNET_FRAG_LIFE_NS (IPv6's reassembly timeout): later fragments after it drop. */
static void test_note_expires(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 53, 81);
	struct vrnet_frag_key key;
	struct vrnet_frag note;
	int notes;

	dp_skip_unless_root();
	expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	expect(later_of(&first, 185, true), true, VRNET_REASON_ALLOW_RULE, 0);
	notes = dp_table(dp.st.frags_fd);
	assert_int_equal(bpf_map_get_next_key(notes, NULL, &key), 0); /* the only one */
	assert_int_equal(bpf_map_lookup_elem(notes, &key, &note), 0);
	note.noted_ns -= VRNET_FRAG_LIFE_NS;
	assert_int_equal(bpf_map_update_elem(notes, &key, &note, BPF_EXIST), 0);
	close(notes);
	expect(later_of(&first, 370, false), false, VRNET_REASON_FRAGMENT, -1);
}

/* In audit mode the rest of a datagram the rules drop passes, audited, as its first fragment. */
static void test_audit_mode(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 54, 51);
	struct vr_verdict v;
	struct dp_frame f;

	dp_skip_unless_root();
	assert_int_equal(dp_apply(AUDIT_POLICY), 0);
	expect(first, true, VRNET_REASON_DEFAULT, -1);
	first = later_of(&first, 185, false);
	dp_build(&first, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_true(v.allow);
	assert_false(v.enforce_allow); /* enforce mode would drop it */
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);
	/* a control: a later fragment of no datagram is dropped in audit mode too */
	first.frag_id = 52;
	expect(first, false, VRNET_REASON_FRAGMENT, -1);
}

/* An atomic fragment (offset 0, no more) is a whole datagram: judged, and nothing noted. */
static void test_atomic_fragment(void **state)
{
	struct dp_pkt atomic = first_of(6, "2001:db8::10", 53, 61);

	dp_skip_unless_root();
	atomic.more_frags = false;
	expect(atomic, true, VRNET_REASON_ALLOW_RULE, 1);
	expect(later_of(&atomic, 185, false), false, VRNET_REASON_FRAGMENT, -1);
}

/*
 * IPv6 headers that would let a later fragment carry ports, or make the id
 * not the datagram's: a first fragment whose transport header does not
 * follow its fragment header at once, and two fragment headers, are
 * malformed. A later fragment's note is its own destination's.
 */
static void test_ipv6_fragment_headers(void **state)
{
	struct dp_pkt dstopts_after = first_of(6, "2001:db8::10", 53, 71),
		      two = first_of(6, "2001:db8::10", 53, 72),
		      first = first_of(6, "2001:db8::10", 53, 73), elsewhere;

	dp_skip_unless_root();
	dstopts_after.ext[1] = 60;
	dstopts_after.n_ext = 2;
	expect(dstopts_after, false, VRNET_REASON_MALFORMED, -1);
	two.ext[1] = 44;
	two.n_ext = 2;
	expect(two, false, VRNET_REASON_MALFORMED, -1);
	/* a control: the same datagram with one fragment header passes */
	expect(first, true, VRNET_REASON_ALLOW_RULE, 1);
	elsewhere = later_of(&first, 185, false);
	elsewhere.dst = "2001:db8::11";
	expect(elsewhere, false, VRNET_REASON_FRAGMENT, -1);
	expect(later_of(&first, 185, false), true, VRNET_REASON_ALLOW_RULE, 1);
}

/*
 * The device's table's bound (VRNET_DEVICE_FRAGS datagrams): past it, the
 * least recently used are forgotten and their later fragments dropped; the
 * newest pass.
 */
static void test_table_full(void **state)
{
	struct dp_pkt first = first_of(4, "203.0.113.10", 53, 1);
	int n = 3 * VRNET_DEVICE_FRAGS;

	dp_skip_unless_root();
	for (int id = 1; id <= n; id++) {
		first.frag_id = (uint16_t)id;
		expect(first, true, VRNET_REASON_ALLOW_RULE, 0);
	}
	first.frag_id = 1;
	expect(later_of(&first, 185, false), false, VRNET_REASON_FRAGMENT, -1);
	first.frag_id = (uint16_t)n;
	expect(later_of(&first, 185, false), true, VRNET_REASON_ALLOW_RULE, 0);
}

/*
 * Each device has a table of its own: another sandbox that floods first
 * fragments (what test_table_full() shows pushes a table's notes out)
 * pushes out only its own.
 */
static void test_other_device_flood(void **state)
{
	struct dp_pkt mine = first_of(4, "203.0.113.10", 53, 7);
	struct dp_pkt flood = first_of(4, "203.0.113.10", 53, 1);
	int other = dp_second_device();
	struct vr_verdict v;
	struct dp_frame f;

	dp_skip_unless_root();
	assert_int_equal(dp_apply_to(other, dp.second, POLICY), 0);
	expect(mine, true, VRNET_REASON_ALLOW_RULE, 0);
	for (int id = 1; id <= 3 * VRNET_DEVICE_FRAGS; id++) {
		flood.frag_id = (uint16_t)id;
		dp_build(&flood, &f);
		assert_int_equal(vr_probe_run(dp.st.prog_fd, other, f.data, f.len, 0, &v), 0);
		assert_true(v.allow);
	}
	/* the flood's own oldest note is gone: it did fill a table */
	flood = later_of(&flood, 185, false);
	flood.frag_id = 1;
	dp_build(&flood, &f);
	assert_int_equal(vr_probe_run(dp.st.prog_fd, other, f.data, f.len, 0, &v), 0);
	assert_false(v.allow);
	expect(later_of(&mine, 185, false), true, VRNET_REASON_ALLOW_RULE, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_a_datagram_v4, setup),
		cmocka_unit_test_setup(test_a_datagram_v6, setup),
		cmocka_unit_test_setup(test_out_of_order, setup),
		cmocka_unit_test_setup(test_first_dropped, setup),
		cmocka_unit_test_setup(test_first_dropped_for_offload, setup),
		cmocka_unit_test_setup(test_first_dropped_for_offload_audit, setup),
		cmocka_unit_test_setup(test_later_before_first, setup),
		cmocka_unit_test_setup(test_second_first_fragment, setup),
		cmocka_unit_test_setup(test_policy_change_between, setup),
		cmocka_unit_test_setup(test_note_expires, setup),
		cmocka_unit_test_setup(test_audit_mode, setup),
		cmocka_unit_test_setup(test_atomic_fragment, setup),
		cmocka_unit_test_setup(test_ipv6_fragment_headers, setup),
		cmocka_unit_test_setup(test_table_full, setup),
		cmocka_unit_test_setup(test_other_device_flood, setup),
	};

	return cmocka_run_group_tests_name("datapath fragments", tests, dp_group_setup,
					   dp_group_teardown);
}
