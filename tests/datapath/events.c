// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Events from the real program: frames run through BPF_PROG_TEST_RUN without
 * the probe mark (so they count and log like a sandbox's packets), events read
 * back from the real ring buffer.
 */
#include <stddef.h>
#include <bpf/libbpf.h>
#include "datapath/harness.h"

#define MAX_EVENTS 64

struct collected {
	struct vrnet_event ev[MAX_EVENTS];
	int n;
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct collected *c = ctx;

	if (size >= sizeof(struct vrnet_event) && c->n < MAX_EVENTS)
		memcpy(&c->ev[c->n++], data, sizeof(struct vrnet_event));
	return 0;
}

/* Reads every event waiting in the ring buffer. */
static void drain(struct collected *c)
{
	struct ring_buffer *rb = ring_buffer__new(dp.st.events_fd, on_event, c, NULL);

	assert_non_null(rb);
	ring_buffer__consume(rb);
	ring_buffer__free(rb);
}

/* Runs @p as a sandbox's packet (counted, logged): true if passed. */
static bool send_pkt(const struct dp_pkt *p)
{
	struct __sk_buff ctx = { .ifindex = DP_IFINDEX };
	struct dp_frame f;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	dp_build(p, &f);
	opts.data_in = f.data;
	opts.data_size_in = (__u32)f.len;
	assert_int_equal(bpf_prog_test_run_opts(dp.st.prog_fd, &opts), 0);
	return opts.retval == 0;
}

static void setup_policy(const char *json)
{
	struct collected junk = { 0 };

	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_apply(json), 0);
	drain(&junk); /* whatever earlier tests left */
}

static void test_blocked_syn_event_fields(void **state)
{
	struct dp_pkt syn = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 25,
			      .tcp_flags = 0x02 };
	struct collected c = { 0 };
	struct vr_device dev;
	uint8_t want[4] = { 203, 0, 113, 66 };

	dp_skip_unless_root();
	setup_policy("{\"allow\": [\"203.0.113.10:443/tcp\"], \"block\": [\"203.0.113.0/24:25/tcp\"]}");
	assert_false(send_pkt(&syn));
	drain(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(c.ev[0].ifindex, DP_IFINDEX);
	assert_int_equal(c.ev[0].policy_id, dev.policy_id);
	assert_int_equal(c.ev[0].reason, VRNET_REASON_BLOCK_RULE);
	assert_int_equal(c.ev[0].rule_id, 1);
	assert_int_equal(c.ev[0].action, VRNET_ACTION_DENY);
	assert_int_equal(c.ev[0].family, 4);
	assert_int_equal(c.ev[0].l4_proto, 6);
	assert_int_equal(c.ev[0].dport, 25);
	assert_int_equal(c.ev[0].tcp_flags & 0x12, 0x02);
	assert_memory_equal(c.ev[0].daddr, want, 4);
	assert_int_equal(c.ev[0].suppressed_total, 0);
}

/* Only what starts something: a SYN, not an ACK; one per UDP flow. */
static void test_only_starts_make_events(void **state)
{
	struct dp_pkt ack = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 80,
			      .tcp_flags = 0x10 };
	struct dp_pkt udp = { .family = 6, .dst = "2001:db8::66", .proto = 17, .dport = 53 };
	struct dp_pkt allowed = { .family = 4, .dst = "203.0.113.10", .proto = 6, .dport = 443,
				  .tcp_flags = 0x02 };
	struct collected c = { 0 };

	dp_skip_unless_root();
	setup_policy("{\"allow\": [\"203.0.113.10:443/tcp\"]}");
	assert_false(send_pkt(&ack));
	for (int i = 0; i < 5; i++)
		assert_false(send_pkt(&udp)); /* one flow */
	assert_true(send_pkt(&allowed));
	drain(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].family, 6);
	assert_int_equal(c.ev[0].l4_proto, 17);
	assert_int_equal(c.ev[0].reason, VRNET_REASON_DEFAULT);
	udp.dport = 54; /* another flow */
	assert_false(send_pkt(&udp));
	c.n = 0;
	drain(&c);
	assert_int_equal(c.n, 1);
}

/* The token bucket: a burst, then exactly what was held back, counted. */
static void test_rate_limit_counts_suppressed(void **state)
{
	struct dp_pkt syn = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 1,
			      .tcp_flags = 0x02 };
	struct collected c = { 0 };
	struct vr_device dev;

	dp_skip_unless_root();
	setup_policy("{\"log\": {\"rate\": 1, \"burst\": 5}}");
	for (int i = 0; i < 20; i++)
		assert_false(send_pkt(&syn));
	drain(&c);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.ev[4].suppressed_total, 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_suppressed_read(&dp.st, dev.slot), 15);
}

static void test_rate_zero_and_allowed_logging(void **state)
{
	struct dp_pkt syn = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 1,
			      .tcp_flags = 0x02 };
	struct dp_pkt ok = { .family = 4, .dst = "203.0.113.10", .proto = 6, .dport = 443,
			     .tcp_flags = 0x02 };
	struct collected c = { 0 };

	dp_skip_unless_root();
	setup_policy("{\"log\": {\"rate\": 0}}");
	assert_false(send_pkt(&syn));
	drain(&c);
	assert_int_equal(c.n, 0);

	setup_policy("{\"allow\": [\"203.0.113.10:443/tcp\"], \"log\": {\"allowed\": true}}");
	assert_true(send_pkt(&ok));
	drain(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].action, VRNET_ACTION_ALLOW);
	assert_int_equal(c.ev[0].reason, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(c.ev[0].audit, 0);
}

/* Audit mode passes what it would drop, counts and logs it; structure stays enforced. */
static void test_audit_mode(void **state)
{
	struct dp_pkt syn = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 22,
			      .tcp_flags = 0x02 };
	struct dp_pkt vlan = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 22,
			       .tags = { 0x8100 } };
	struct collected c = { 0 };
	struct vrnet_stats st;
	struct vr_device dev;
	struct dp_frame f;
	struct vr_verdict v;

	dp_skip_unless_root();
	setup_policy("{\"mode\": \"audit\", \"block\": [\"203.0.113.66:22/tcp\"]}");
	assert_true(send_pkt(&syn));
	assert_false(send_pkt(&vlan));
	drain(&c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.ev[0].action, VRNET_ACTION_ALLOW);
	assert_int_equal(c.ev[0].audit, 1);
	assert_int_equal(c.ev[0].reason, VRNET_REASON_BLOCK_RULE);
	assert_int_equal(c.ev[1].action, VRNET_ACTION_DENY);
	assert_int_equal(c.ev[1].reason, VRNET_REASON_ETHERTYPE);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_stats_read(&dp.st, dev.slot, &st), 0);
	assert_int_equal(st.audited_packets, 1);
	assert_int_equal(st.allowed_packets, 1);
	assert_int_equal(st.dropped_packets, 1);
	assert_int_equal(vr_rule_hits_read(&dp.st, dev.policy_id, 0), 1);

	/* check (a probe) sees enforce mode's verdict */
	dp_build(&syn, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_true(v.allow);
	assert_false(v.enforce_allow);
}

/*
 * XDP mode: the XDP program on a device counts, hit-counts and logs what it
 * drops as the tc program does, and takes no frame for a probe, even one
 * with the probe's mark in its XDP metadata: metadata can come with a frame
 * (a veth passes on what its peer's XDP program wrote).
 */
static void test_xdp_counts_and_logs(void **state)
{
	struct dp_pkt syn = { .family = 4, .dst = "203.0.113.66", .proto = 6, .dport = 22,
			      .tcp_flags = 0x02 };
	struct collected c = { 0 };
	struct vrnet_stats st;
	struct vr_device dev;
	struct vr_verdict x;
	struct dp_frame f;
	char err[512] = "";
	int fd;

	dp_skip_unless_root();
	setup_policy("{\"block\": [\"203.0.113.66:22/tcp\"]}");
	if (vr_program_load_xdp(&dp.st, dp.st.netns_cookie, false, &fd, err, sizeof(err)))
		fail_msg("the XDP program did not load: %s", err);
	dp_build(&syn, &f);
	assert_int_equal(vr_xdp_probe_run(fd, DP_IFINDEX, f.data, f.len, &x), 0);
	close(fd);
	assert_false(x.allow);
	drain(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.ev[0].action, VRNET_ACTION_DENY);
	assert_int_equal(c.ev[0].reason, VRNET_REASON_BLOCK_RULE);
	assert_int_equal(c.ev[0].dport, 22);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_stats_read(&dp.st, dev.slot, &st), 0);
	assert_int_equal(st.dropped_packets, 1);
	assert_int_equal(st.allowed_packets, 0);
	assert_int_equal(vr_rule_hits_read(&dp.st, dev.policy_id, 0), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocked_syn_event_fields),
		cmocka_unit_test(test_only_starts_make_events),
		cmocka_unit_test(test_rate_limit_counts_suppressed),
		cmocka_unit_test(test_rate_zero_and_allowed_logging),
		cmocka_unit_test(test_audit_mode),
		cmocka_unit_test(test_xdp_counts_and_logs),
	};

	return cmocka_run_group_tests(tests, dp_group_setup, dp_group_teardown);
}
