// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Removals through the overlay (vr_edit_remove): a base rule removed without
 * a new base decides no packet any more, and what decides instead is what a
 * policy without the rule decides. The real program judges every probe; the
 * controls show the REMOVED entries are what makes the difference.
 */
#include "datapath/harness.h"
#include "rule_of.h"
#include "devices.h"
#include "store.h"

static struct vr_device device(void)
{
	struct vr_device dev;

	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	return dev;
}

static int unlist(int list, const char *text)
{
	struct vr_rule r = rule_of(text);
	char err[512] = "";
	size_t missing = 99;
	int ret = vr_edit_remove(&dp.st, DP_IFINDEX, list, &r, 1, &missing, err, sizeof(err));

	if (ret == -ENOENT)
		assert_int_equal(missing, 0);
	else if (ret && ret != -EAGAIN)
		fail_msg("remove %s: %s", text, err);
	return ret;
}

static int add(int list, const char *text)
{
	struct vr_rule r = rule_of(text);
	char err[512] = "";

	return vr_edit_add(&dp.st, DP_IFINDEX, list, &r, 1, dp_resolve, NULL, err, sizeof(err));
}

/* The record in force, with @removes as its overlay_removes: what packets see next. */
static void force_removes_flag(__u8 removes)
{
	struct vr_device dev = device();
	struct vrnet_record rec;

	dev.overlay_removes = removes;
	vr_record_of(&dev, &rec);
	assert_int_equal(vr_device_switch(&dp.st, dev.slot, &rec), 0);
}

static void test_base_allow_removed(void **state)
{
	struct vr_verdict v;
	struct vr_device dev;
	__u32 base;

	dp_skip_unless_root();
	assert_int_equal(dp_apply("{\"allow\": [\"203.0.113.10:443/tcp\", \"203.0.113.0/24:80/tcp\"]}"), 0);
	base = device().policy_id;
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);

	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), 0);
	dev = device();
	assert_int_equal(dev.policy_id, base); /* no new base */
	assert_true(dev.overlay_removes);
	assert_int_equal(dev.overlay_removed_rules, 1);
	v = dp_probe_tcp(4, "203.0.113.10", 443);
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);
	/* the other rule, covering the same address, still decides */
	v = dp_probe_tcp(4, "203.0.113.10", 80);
	assert_true(v.allow);
	assert_int_equal(v.rule_id, 1);

	/* control: a record that does not say its overlay removes rules passes it again */
	force_removes_flag(0);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	force_removes_flag(1);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 443).allow);

	/* removed once: not there any more */
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), -ENOENT);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* An unblocked address falls to the rules that remain: here a covering allow. */
static void test_base_block_removed(void **state)
{
	struct dp_pkt nat64 = { .family = 6, .dst = "64:ff9b::192.0.2.1", .proto = 6,
				.dport = 22 };
	struct dp_frame f;
	struct vr_verdict v;

	dp_skip_unless_root();
	assert_int_equal(dp_apply("{\"allow\": [\"203.0.113.0/24\", \"[64:ff9b::/96]\"], "
				  "\"block\": [\"203.0.113.5:22/tcp\", \"192.0.2.1\"]}"),
			 0);
	v = dp_probe_tcp(4, "203.0.113.5", 22);
	assert_int_equal(v.reason, VRNET_REASON_BLOCK_RULE);
	dp_build(&nat64, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_int_equal(v.reason, VRNET_REASON_BLOCK_RULE); /* the IPv4 block, inside NAT64 */

	assert_int_equal(unlist(VRNET_LIST_BLOCK, "203.0.113.5:22/tcp"), 0);
	v = dp_probe_tcp(4, "203.0.113.5", 22);
	assert_true(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(v.rule_id, 0);

	assert_int_equal(unlist(VRNET_LIST_BLOCK, "192.0.2.1"), 0);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_true(v.allow); /* the IPv6 allow decides once the IPv4 block is gone */
	assert_int_equal(v.rule_id, 1);

	/* the allow list has no such rule, nor either list an unwritten one */
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.5:22/tcp"), -ENOENT);
	assert_int_equal(unlist(VRNET_LIST_BLOCK, "203.0.113.6:22/tcp"), -ENOENT);
	assert_int_equal(unlist(VRNET_LIST_BLOCK, "203.0.113.0/25"), -ENOENT);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/*
 * A rule whose entry also stands for another's (compile.c folds equal
 * matches) cannot be skipped alone: the edit says a re-apply must do it, and
 * changes nothing itself.
 */
static void test_folded_rule_needs_reapply(void **state)
{
	dp_skip_unless_root();
	assert_int_equal(dp_apply("{\"dns_proxy\": false, \"allow\": [\"203.0.113.0/24:443/tcp\", "
				  "\"203.0.113.7:443/tcp\", \"svc.example:443/tcp\"]}"),
			 0);
	assert_true(dp_probe_tcp(4, "198.51.100.10", 443).allow); /* svc.example's */
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.7:443/tcp"), -EAGAIN);
	assert_int_equal(device().overlay_id, 0);
	/* the /24 hides nothing of its own prefix: it goes alone, and the host's rule remains */
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.0/24:443/tcp"), 0);
	assert_true(dp_probe_tcp(4, "203.0.113.7", 443).allow);
	assert_false(dp_probe_tcp(4, "203.0.113.8", 443).allow);
	/* a domain rule takes its addresses with it: a re-apply, and nothing changed here */
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "svc.example:443/tcp"), -EAGAIN);
	assert_true(dp_probe_tcp(4, "198.51.100.10", 443).allow);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* Overlay rules leave the overlay; removals survive later additions; an apply folds all. */
static void test_overlay_and_apply(void **state)
{
	struct vr_device_policy dpol;
	struct vr_device dev;
	size_t base_entries;

	dp_skip_unless_root();
	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_apply("{\"allow\": [\"203.0.113.10:443/tcp\", \"203.0.113.11:443/tcp\"]}"), 0);
	base_entries = dp_policy_entries();

	assert_int_equal(add(VRNET_LIST_ALLOW, "198.51.100.1:22/tcp"), 0);
	assert_true(dp_probe_tcp(4, "198.51.100.1", 22).allow);
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "198.51.100.1:22/tcp"), 0);
	assert_false(dp_probe_tcp(4, "198.51.100.1", 22).allow);
	assert_int_equal(device().overlay_id, 0); /* nothing left to overlay */
	assert_int_equal(dp_policy_entries(), base_entries);

	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), 0);
	assert_int_equal(add(VRNET_LIST_ALLOW, "198.51.100.2:22/tcp"), 0);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 443).allow); /* still removed */
	assert_true(dp_probe_tcp(4, "198.51.100.2", 22).allow);
	assert_true(dp_probe_tcp(4, "203.0.113.11", 443).allow);

	/* the device's policy as read back has the rules in force only */
	assert_int_equal(vr_device_policy_read(&dp.st, DP_IFINDEX, &dpol), 0);
	assert_int_equal(vr_device_policy_records(&dpol), 2);
	assert_int_equal(dpol.rules[0].kind, VRNET_RULE_REMOVED);
	assert_true(vr_record_is_rule(&dpol.rules[1]));
	vr_device_policy_free(&dpol);

	/* the same rule added back: in force again, from the overlay */
	assert_int_equal(add(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), 0);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);

	assert_int_equal(dp_apply("{\"allow\": [\"203.0.113.10:443/tcp\", \"203.0.113.11:443/tcp\"]}"), 0);
	dev = device();
	assert_int_equal(dev.overlay_id, 0);
	assert_false(dev.overlay_removes);
	assert_int_equal(dp_count_keys(dp.st.removed_fd, sizeof(struct vrnet_rule_key)), 0);
	assert_int_equal(dp_policy_entries(), base_entries);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* Removals count toward the overlay's VRNET_MAX_OVERLAY_RULES; past it, a re-apply. */
static void test_removals_fill_the_overlay(void **state)
{
	static char json[VRNET_MAX_OVERLAY_RULES * 24 + 64];
	static struct vr_rule rules[VRNET_MAX_OVERLAY_RULES + 1];
	char err[512] = "", text[32];
	size_t len = 0, missing;

	dp_skip_unless_root();
	len += (size_t)snprintf(json + len, sizeof(json) - len, "{\"allow\": [");
	for (int i = 0; i <= VRNET_MAX_OVERLAY_RULES; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i >> 8, i & 255);
		rules[i] = rule_of(text);
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s\"%s\"", i ? "," : "",
					text);
	}
	snprintf(json + len, sizeof(json) - len, "]}");
	assert_int_equal(dp_apply(json), 0);
	assert_int_equal(vr_edit_remove(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, rules,
					VRNET_MAX_OVERLAY_RULES + 1, &missing, err, sizeof(err)),
			 -EAGAIN);
	assert_true(dp_probe_tcp(4, "10.1.0.0", 80).allow); /* nothing changed */
	assert_int_equal(vr_edit_remove(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, rules,
					VRNET_MAX_OVERLAY_RULES, &missing, err, sizeof(err)),
			 0);
	assert_false(dp_probe_tcp(4, "10.1.0.0", 80).allow);
	assert_false(dp_probe_tcp(4, "10.1.3.255", 80).allow);
	assert_true(dp_probe_tcp(4, "10.1.4.0", 80).allow);
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "10.1.4.0"), -EAGAIN);
	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_count_keys(dp.st.removed_fd, sizeof(struct vrnet_rule_key)), 0);
}

/*
 * vrnet_removed full host-wide (here with entries of policies that do not
 * exist): a removal cannot be written, says a re-apply must do it, and
 * changes nothing.
 */
static void test_removed_map_full(void **state)
{
	static struct vrnet_rule_key keys[VRNET_MAX_REMOVED];
	static __u8 ones[VRNET_MAX_REMOVED];
	__u32 count = VRNET_MAX_REMOVED;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	dp_skip_unless_root();
	assert_int_equal(dp_apply("{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	for (__u32 i = 0; i < VRNET_MAX_REMOVED; i++) {
		keys[i] = (struct vrnet_rule_key){ .policy_id = 0xfffffff0u, .rule_id = i };
		ones[i] = 1;
	}
	assert_int_equal(bpf_map_update_batch(dp.st.removed_fd, keys, ones, &count, &opts), 0);
	assert_int_equal(count, VRNET_MAX_REMOVED);
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), -EAGAIN);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	assert_int_equal(device().overlay_id, 0);
	assert_int_equal(bpf_map_delete_batch(dp.st.removed_fd, keys, &count, &opts), 0);
	assert_int_equal(unlist(VRNET_LIST_ALLOW, "203.0.113.10:443/tcp"), 0);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base_allow_removed),
		cmocka_unit_test(test_base_block_removed),
		cmocka_unit_test(test_folded_rule_needs_reapply),
		cmocka_unit_test(test_overlay_and_apply),
		cmocka_unit_test(test_removals_fill_the_overlay),
		cmocka_unit_test(test_removed_map_full),
	};

	return cmocka_run_group_tests(tests, dp_group_setup, dp_group_teardown);
}
