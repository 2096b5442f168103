// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The loader's kernel state: policy ids, the atomic replacement of a policy,
 * and what is left in the maps after failures. Real maps of a private pin
 * directory; the devices are map entries only (nothing is attached).
 */
#include <stddef.h>
#include <bpf/libbpf.h>
#include "datapath/harness.h"
#include "devices.h"
#include "output.h"
#include "program.h"
#include "store.h"
#include "rule_of.h"

/* An ifindex no device has: entries under it are map state only. */
#define OTHER_IFINDEX 0x7ffffff0

static int apply_to(int ifindex, const char *json)
{
	struct vr_policy p;
	char err[512] = "";
	int ret;

	assert_int_equal(vr_policy_parse(json, strlen(json), "test", &p, err, sizeof(err)), 0);
	ret = vr_apply(&dp.st, ifindex, "vrfake", &p, dp_resolve, NULL, err, sizeof(err));
	if (ret)
		print_error("apply: %s\n", err);
	vr_policy_free(&p);
	return ret;
}

static void forget_all(void)
{
	vr_device_forget(&dp.st, DP_IFINDEX);
	vr_device_forget(&dp.st, OTHER_IFINDEX);
}

static uint32_t policy_of(int ifindex)
{
	struct vr_device dev;

	assert_int_equal(vr_device_get(&dp.st, ifindex, &dev), 0);
	return dev.policy_id;
}

/*
 * The program pin can go (an operator removes it, an upgrade) while the maps
 * stay: loading it again must not restart policy ids and write a new policy
 * over a live one.
 */
static void test_reload_keeps_policy_ids(void **state)
{
	char path[128], err[512] = "";
	uint32_t first;

	dp_skip_unless_root();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"default\": \"allow\", \"block\": [\"192.0.2.1\"]}"), 0);
	first = policy_of(DP_IFINDEX);

	snprintf(path, sizeof(path), "%s/%s_%llu", dp.pin_dir, VRNET_PROG_PIN,
		 (unsigned long long)dp.st.netns_cookie);
	assert_int_equal(unlink(path), 0);
	vr_state_close(&dp.st);
	dp.open = false;
	assert_int_equal(vr_state_open(&dp.st, dp.pin_dir, VR_OPEN_CHANGE, err, sizeof(err)), 0);
	dp.open = true;
	assert_int_equal(dp.st.prog_fd, -1);
	assert_int_equal(vr_state_load_program(&dp.st, err, sizeof(err)), 0);

	assert_int_equal(apply_to(OTHER_IFINDEX, "{\"default\": \"allow\"}"), 0);
	assert_int_not_equal(policy_of(OTHER_IFINDEX), first);
	/* the first device's block rule still holds */
	assert_false(dp_probe_tcp(4, "192.0.2.1", 80).allow);
	assert_true(dp_probe_tcp(4, "192.0.2.2", 80).allow);
	forget_all();
}

/* Replacing a policy leaves exactly the new one's entries. */
static void test_replace_leaves_no_entries(void **state)
{
	size_t empty;

	dp_skip_unless_root();
	forget_all();
	empty = dp_policy_entries();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"dns_proxy\": false, \"allow\": [\"10.0.0.0/8:443/tcp\", \"svc.example\", \"[2001:db8::/32]:53\"]}"), 0);
	assert_int_equal(apply_to(DP_IFINDEX, "{\"dns_proxy\": false, \"allow\": [\"10.0.0.0/8:443/tcp\", \"svc.example\", \"[2001:db8::/32]:53\"]}"), 0);
	/*
	 * 3 IPv4 prefixes (10/8 and the name's two addresses), 2 IPv6 (the /32
	 * and the name's address inside it), 4 portsets (tcp 443; any; 53; any
	 * plus the inherited 53), 1 chunk of records, 1 name, 1 vrnet_policies entry.
	 */
	assert_int_equal(dp_policy_entries() - empty, 3 + 2 + 4 + 1 + 1 + 1);
	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_policy_entries(), empty);
}

/* A policy written into the store the way an apply does, not switched in. */
static __u32 write_unswitched(const char *json)
{
	struct vr_compiled c;
	struct vr_policy p;
	char err[512] = "";
	__u32 id = 0;

	assert_int_equal(vr_policy_parse(json, strlen(json), "test", &p, err, sizeof(err)), 0);
	assert_int_equal(vr_compile(&p, dp_resolve, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(vr_store_write(&dp.st, &c, &id, err, sizeof(err)), 0);
	vr_compiled_free(&c);
	vr_policy_free(&p);
	return id;
}

/*
 * One device's policy (@live entries in all) and, beside it, a policy written
 * but never switched in; @empty: the entries before either.
 */
static __u32 live_and_unswitched(size_t *empty, size_t *live)
{
	forget_all();
	*empty = dp_policy_entries();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	*live = dp_policy_entries();
	return write_unswitched("{\"dns_proxy\": false, \"allow\": [\"10.0.0.0/8\", \"2001:db8::/32\", \"svc.example\"]}");
}

/*
 * What an apply killed after writing its policy leaves: a policy no record
 * names. The next change (vr_recover) removes it and nothing else.
 */
static void test_recover_removes_unswitched_policies(void **state)
{
	size_t empty, live, repaired = 0;
	struct vrnet_policy_info info;
	__u32 orphan;

	dp_skip_unless_root();
	orphan = live_and_unswitched(&empty, &live);
	assert_true(dp_policy_entries() > live);

	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	assert_int_equal(repaired, 1);
	assert_int_equal(dp_policy_entries(), live);
	assert_int_equal(vr_store_info(&dp.st, orphan, &info), -ENOENT);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 80).allow);
	/* nothing else to do the second time */
	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	assert_int_equal(repaired, 0);

	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_policy_entries(), empty);
}

static __u32 slots_mark(void)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(dp.st.config_fd, &zero, &cfg), 0);
	return cfg.slots_used;
}

static void set_slots_mark(__u32 mark)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(dp.st.config_fd, &zero, &cfg), 0);
	cfg.slots_used = mark;
	assert_int_equal(bpf_map_update_elem(dp.st.config_fd, &zero, &cfg, BPF_ANY), 0);
}

/* The second device, made (its slot and key), for the recovery's tests: its key into @key. */
static void second_device_made(struct vr_device *dev, struct vrnet_device_key *key)
{
	int ifindex = dp_second_device();
	char err[256];

	dp_skip_unless_root();
	*key = (struct vrnet_device_key){ .netns_cookie = dp.st.netns_cookie,
					  .ifindex = (__u32)ifindex };
	assert_int_equal(vr_device_create(&dp.st, ifindex, dp.second, dev, err, sizeof(err)), 0);
}

/*
 * An attach killed before its device's key leaves a slot in use that no
 * key names; the next change (vr_recover) frees it. Its scan of the slots
 * stops at vrnet_config's high-water mark, which taking the slot raised
 * above it first. The control: with the mark put back below the slot, the
 * scan does not reach it, so the mark is what finds it.
 */
static void test_recover_frees_a_slot_above_the_rest(void **state)
{
	struct vrnet_device_key key;
	struct vr_device dev;
	size_t repaired = 0;

	second_device_made(&dev, &key);
	assert_true(slots_mark() > dev.slot);
	for (int control = 1; control >= 0; control--) {
		__u32 mark = slots_mark();
		struct vrnet_devinfo di = dp.st.devinfo[dev.slot];

		/* killed before its key: the slot in use, attaching, no key naming it */
		bpf_map_delete_elem(dp.st.devices_fd, &key);
		di.in_use = VRNET_SLOT_ATTACHING;
		assert_int_equal(bpf_map_update_elem(dp.st.devinfo_fd, &dev.slot, &di, BPF_EXIST), 0);
		if (control)
			set_slots_mark(dev.slot);
		assert_int_equal(vr_recover(&dp.st, &repaired), 0);
		assert_int_equal(repaired, control ? 0 : 1);
		assert_int_equal(dp.st.devinfo[dev.slot].in_use, control ? VRNET_SLOT_ATTACHING : 0);
		if (control)
			set_slots_mark(mark);
	}
}

/*
 * A finished attach marks its slot keyed, and the recovery looks up no key
 * of such a slot; a command that takes a key away marks the slot detaching
 * first, so one killed right after (its key gone, the slot still in use) is
 * found and freed by the next change.
 */
static void test_recover_frees_a_slot_whose_forget_died(void **state)
{
	struct vrnet_device_key key;
	struct vrnet_devinfo di;
	struct vr_device dev;
	size_t repaired = 0;

	second_device_made(&dev, &key);
	assert_int_equal(dp.st.devinfo[dev.slot].in_use, 1);
	/* what vr_device_forget_slot() does before its key goes */
	di = dp.st.devinfo[dev.slot];
	di.detaching = 1;
	assert_int_equal(bpf_map_update_elem(dp.st.devinfo_fd, &dev.slot, &di, BPF_EXIST), 0);
	assert_int_equal(bpf_map_delete_elem(dp.st.devices_fd, &key), 0);
	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	assert_int_equal(repaired, 1);
	assert_int_equal(dp.st.devinfo[dev.slot].in_use, 0);
}

/*
 * Another build's commands mark no slot attaching: the first change of this
 * build on their maps (st.new_build) looks up every slot's key, and frees a
 * slot in use that no key names. The control: a later change does not look.
 */
static void test_first_change_of_a_build_looks_up_every_key(void **state)
{
	struct vrnet_device_key key;
	struct vr_device dev;
	size_t repaired = 0;

	second_device_made(&dev, &key);
	/* an older build's attach killed before its key: in use (1), no key */
	assert_int_equal(bpf_map_delete_elem(dp.st.devices_fd, &key), 0);
	dp.st.new_build = false;
	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	assert_int_equal(repaired, 0);
	assert_int_equal(dp.st.devinfo[dev.slot].in_use, 1);
	dp.st.new_build = true;
	assert_int_equal(vr_recover(&dp.st, &repaired), 0);
	dp.st.new_build = false;
	assert_int_equal(repaired, 1);
	assert_int_equal(dp.st.devinfo[dev.slot].in_use, 0);
}

/*
 * A forgotten device's slot keeps its tables for the next device; gc takes
 * them out of every slot no device holds, and of no other.
 */
static void test_gc_frees_the_tables_of_free_slots(void **state)
{
	struct vrnet_device_key key;
	struct vr_device dev, first;
	size_t freed = 0;
	__u32 id;

	second_device_made(&dev, &key);
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &first), 0);
	assert_int_equal(vr_device_forget(&dp.st, dev.ifindex), 0);
	assert_int_equal(bpf_map_lookup_elem(dp.st.conns_fd, &dev.slot, &id), 0); /* kept */
	assert_int_equal(vr_gc_free_slots(&dp.st, &freed), 0);
	assert_true(freed >= 1);
	assert_int_equal(bpf_map_lookup_elem(dp.st.conns_fd, &dev.slot, &id), -ENOENT);
	assert_int_equal(bpf_map_lookup_elem(dp.st.ownnotes_fd, &dev.slot, &id), -ENOENT);
	/* the control: the device still attached keeps its own */
	assert_int_equal(bpf_map_lookup_elem(dp.st.conns_fd, &first.slot, &id), 0);
	assert_int_equal(vr_gc_free_slots(&dp.st, &freed), 0);
	assert_int_equal(freed, 0);
}

/* The policy id of ifindex 1's record. */
static __u32 device_policy(void)
{
	struct vr_device dev;

	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	return dev.policy_id;
}

/*
 * A host address the hash could not take sits in the trie; deleting the
 * policy finds it there, though it asks the trie only for the hosts the hash
 * did not have. Here one host is moved from the hash to the trie, as a full
 * hash would have left it.
 */
static void test_delete_finds_a_host_in_the_trie(void **state)
{
	struct vrnet_host4_key h = { 0 };
	struct vrnet_lpm4_key t = { .prefixlen = 32 + 32 };
	struct vrnet_prefix_value v;
	size_t empty;
	__u32 id;

	dp_skip_unless_root();
	forget_all();
	empty = dp_policy_entries();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\", "
					      "\"203.0.113.11\", \"10.0.0.0/8\"]}"), 0);
	id = device_policy();
	h.policy_id = t.policy_id = id;
	inet_pton(AF_INET, "203.0.113.11", h.addr);
	memcpy(t.addr, h.addr, sizeof(h.addr));
	assert_int_equal(bpf_map_lookup_elem(dp.st.host4_fd, &h, &v), 0);
	assert_int_equal(bpf_map_delete_elem(dp.st.host4_fd, &h), 0);
	assert_int_equal(bpf_map_update_elem(dp.st.lpm4_fd, &t, &v, BPF_NOEXIST), 0);
	assert_true(dp_probe_tcp(4, "203.0.113.11", 80).allow); /* the trie finds it */
	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	assert_int_equal(bpf_map_lookup_elem(dp.st.lpm4_fd, &t, &v), -ENOENT);
	assert_int_equal(dp_policy_entries(), empty);
}

/* How many rule-hit counters policy @id has. */
static size_t hits_of(__u32 id)
{
	struct vrnet_rulehit_key k, next, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(dp.st.rulehits_fd, prev, &next)) {
		n += next.policy_id == id;
		k = next;
		prev = &k;
	}
	return n;
}

/*
 * A policy of more rules than its counters are deleted one key at a time
 * for: its counters are found by reading the map (more of them than one
 * read returns, more than the first list holds), and only its own go.
 */
static void test_delete_finds_the_hits_of_a_large_policy(void **state)
{
	enum { RULES = 5000, OTHERS = 2000 };
	__u32 other = 0xfffffff0u, id;
	int ncpu = libbpf_num_possible_cpus();
	__u64 *one = calloc((size_t)ncpu, sizeof(*one));
	char *json = malloc(RULES * 24 + 32), *p;

	dp_skip_unless_root();
	assert_non_null(one);
	assert_non_null(json);
	one[0] = 1;
	p = json + sprintf(json, "{\"allow\": [");
	for (int i = 0; i < RULES; i++)
		p += sprintf(p, "%s\"10.%d.%d.1\"", i ? ", " : "", i / 256, i % 256);
	sprintf(p, "]}");
	assert_int_equal(apply_to(DP_IFINDEX, json), 0);
	id = device_policy();
	for (__u32 i = 0; i < RULES + 8; i++) { /* and some above its rule ids */
		struct vrnet_rulehit_key k = { .policy_id = id, .rule_id = i };

		assert_int_equal(bpf_map_update_elem(dp.st.rulehits_fd, &k, one, BPF_ANY), 0);
	}
	for (__u32 i = 0; i < OTHERS; i++) {
		struct vrnet_rulehit_key o = { .policy_id = other, .rule_id = i };

		assert_int_equal(bpf_map_update_elem(dp.st.rulehits_fd, &o, one, BPF_ANY), 0);
	}
	assert_int_equal(hits_of(id), RULES + 8);
	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	assert_int_equal(hits_of(id), 0);
	assert_int_equal(hits_of(other), OTHERS); /* the control: another policy's stay */
	for (__u32 i = 0; i < OTHERS; i++) {
		struct vrnet_rulehit_key o = { .policy_id = other, .rule_id = i };

		bpf_map_delete_elem(dp.st.rulehits_fd, &o);
	}
	free(one);
	free(json);
}

/*
 * Entries under an id without a vrnet_policies entry (no command writes
 * them so; an older build's crash could): vr_sweep() removes them and nothing
 * else.
 */
static void test_sweep_removes_orphans_only(void **state)
{
	size_t empty, live, orphaned, swept = 0;
	__u32 orphan;

	dp_skip_unless_root();
	orphan = live_and_unswitched(&empty, &live);
	assert_int_equal(bpf_map_delete_elem(dp.st.policies_fd, &orphan), 0);
	orphaned = dp_policy_entries() - live;
	assert_true(orphaned > 0);

	assert_int_equal(vr_sweep(&dp.st, &swept), 0);
	assert_int_equal(swept, orphaned);
	assert_int_equal(dp_policy_entries(), live);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 80).allow);

	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_policy_entries(), empty);
}

/* A policy that fails to compile changes nothing. */
static void test_failed_apply_changes_nothing(void **state)
{
	uint32_t before;
	size_t entries;

	dp_skip_unless_root();
	forget_all();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	before = policy_of(DP_IFINDEX);
	entries = dp_policy_entries();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"dns_proxy\": false, \"allow\": [\"unknown.example\"]}"), -EINVAL);
	assert_int_equal(policy_of(DP_IFINDEX), before);
	assert_int_equal(dp_policy_entries(), entries);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* Probes (what `check` runs) carry VRNET_PROBE_MARK and are not counted. */
static void test_probes_are_not_counted(void **state)
{
	struct vrnet_stats before, after;
	struct vr_device dev;

	dp_skip_unless_root();
	forget_all();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_stats_read(&dp.st, dev.slot, &before), 0);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	assert_false(dp_probe_tcp(4, "203.0.113.10", 80).allow);
	assert_int_equal(vr_stats_read(&dp.st, dev.slot, &after), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* The same packets without the mark are counted: the test above can fail. */
static void test_unmarked_packets_are_counted(void **state)
{
	struct dp_pkt p = { .family = 4, .dst = "203.0.113.10", .proto = 6, .dport = 80 };
	struct __sk_buff ctx = { .ifindex = DP_IFINDEX };
	struct vrnet_stats st;
	struct vr_device dev;
	struct dp_frame f;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);

	dp_skip_unless_root();
	forget_all();
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	dp_build(&p, &f);
	opts.data_in = f.data;
	opts.data_size_in = (__u32)f.len;
	assert_int_equal(bpf_prog_test_run_opts(dp.st.prog_fd, &opts), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_stats_read(&dp.st, dev.slot, &st), 0);
	assert_int_equal(st.dropped_packets, 1);
	assert_int_equal(st.dropped_bytes, f.len);
	assert_int_equal(st.allowed_packets, 0);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/*
 * Edits go into the overlay: unioned with the base (a block in either wins),
 * rule ids continuing after the base's, folded away by the next apply.
 */
static void test_overlay_edits(void **state)
{
	struct vr_rule allow[2] = { rule_of("203.0.113.20:80/tcp"), rule_of("svc.example:8443/tcp") };
	struct vr_rule block = rule_of("203.0.113.0/24:22/tcp");
	struct vr_device_policy merged;
	struct vr_device dev;
	struct dp_frame f;
	struct vr_verdict v;
	struct dp_pkt ssh = { .family = 4, .dst = "203.0.113.10", .proto = 6, .dport = 22 };
	char err[512] = "", text[VR_RULE_TEXT_MAX + 80];
	size_t empty, base_entries;
	uint32_t base;

	dp_skip_unless_root();
	forget_all();
	empty = dp_policy_entries();
	/* base: ids 0 (.10:443), 1 (.10:22) */
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\", \"203.0.113.10:22/tcp\"]}"), 0);
	base = policy_of(DP_IFINDEX);
	base_entries = dp_policy_entries();
	assert_false(dp_probe_tcp(4, "203.0.113.20", 80).allow);

	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, allow, 2, dp_resolve,
				     NULL, err, sizeof(err)), 0);
	assert_int_equal(policy_of(DP_IFINDEX), base); /* the base is untouched */
	assert_true(dp_probe_tcp(4, "203.0.113.20", 80).allow);
	assert_true(dp_probe_tcp(4, "198.51.100.11", 8443).allow);
	assert_true(dp_probe_tcp(4, "203.0.113.10", 443).allow);
	dp_build(&ssh, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_true(v.allow);
	assert_int_equal(v.rule_id, 1);

	/* a block in the overlay beats an allow in the base */
	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_BLOCK, &block, 1, dp_resolve,
				     NULL, err, sizeof(err)), 0);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_BLOCK_RULE);
	assert_true(dp_probe_tcp(4, "203.0.113.20", 80).allow); /* the first edit still holds */

	/* ids continue after the base; the merged read explains them */
	assert_int_equal(vr_device_policy_read(&dp.st, DP_IFINDEX, &merged), 0);
	assert_int_equal(merged.count, 2 + 1 + 1 + 3 + 1);
	assert_int_equal(v.rule_id, 7);
	vr_rule_record_text(&merged, v.rule_id, text, sizeof(text));
	assert_string_equal(text, "203.0.113.0/24:22/tcp");
	vr_rule_record_text(&merged, 4, text, sizeof(text));
	assert_string_equal(text, "svc.example:8443/tcp (198.51.100.10)");
	vr_device_policy_free(&merged);

	/* an apply folds the overlay in and leaves none of its entries */
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_not_equal(dev.overlay_id, 0);
	assert_int_equal(apply_to(DP_IFINDEX, "{\"allow\": [\"203.0.113.10:443/tcp\", \"203.0.113.10:22/tcp\"]}"), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(dev.overlay_id, 0);
	assert_int_equal(dp_policy_entries(), base_entries);
	assert_false(dp_probe_tcp(4, "203.0.113.20", 80).allow);
	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_policy_entries(), empty);
}

/*
 * Edits never renumber rules: an allow rule added after a block rule goes
 * after it, so the block rule keeps its id, and its hits stay with it.
 */
static void test_edits_keep_rule_ids(void **state)
{
	struct vr_rule block = rule_of("203.0.113.0/24:22/tcp");
	struct vr_rule allow = rule_of("203.0.113.20:80/tcp");
	struct dp_pkt ssh = { .family = 4, .dst = "203.0.113.10", .proto = 6, .dport = 22 };
	struct __sk_buff ctx = { .ifindex = DP_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .repeat = 1);
	struct vr_device_policy dp_read;
	struct vr_device dev;
	struct dp_frame f;
	struct vr_verdict v;
	char err[512] = "", text[VR_RULE_TEXT_MAX + 80];

	dp_skip_unless_root();
	forget_all();
	/* base: id 0; the block edit: id 1 */
	assert_int_equal(apply_to(DP_IFINDEX, "{\"default\": \"allow\", \"allow\": [\"203.0.113.10:443/tcp\"]}"), 0);
	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_BLOCK, &block, 1, dp_resolve,
				     NULL, err, sizeof(err)), 0);
	dp_build(&ssh, &f);
	opts.data_in = f.data;
	opts.data_size_in = (__u32)f.len;
	assert_int_equal(bpf_prog_test_run_opts(dp.st.prog_fd, &opts), 0); /* counted */
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	assert_int_equal(vr_rule_hits_read(&dp.st, dev.policy_id, 1), 1);

	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, &allow, 1, dp_resolve,
				     NULL, err, sizeof(err)), 0);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_int_equal(v.reason, VRNET_REASON_BLOCK_RULE);
	assert_int_equal(v.rule_id, 1); /* was 2 when edits renumbered by list */
	assert_int_equal(vr_device_policy_read(&dp.st, DP_IFINDEX, &dp_read), 0);
	vr_rule_record_text(&dp_read, 1, text, sizeof(text));
	assert_string_equal(text, "203.0.113.0/24:22/tcp");
	vr_rule_record_text(&dp_read, 2, text, sizeof(text));
	assert_string_equal(text, "203.0.113.20:80/tcp");
	vr_device_policy_free(&dp_read);
	/* the hit is still the block rule's, and the new rule has none */
	assert_int_equal(vr_rule_hits_read(&dp.st, dev.policy_id, 1), 1);
	assert_int_equal(vr_rule_hits_read(&dp.st, dev.policy_id, 2), 0);
	vr_device_forget(&dp.st, DP_IFINDEX);
}

/* Past VRNET_MAX_OVERLAY_RULES the caller must apply the whole policy. */
static void test_overlay_full(void **state)
{
	static struct vr_rule many[VRNET_MAX_OVERLAY_RULES + 1];
	char err[512] = "", text[64];
	size_t empty;

	dp_skip_unless_root();
	forget_all();
	empty = dp_policy_entries();
	assert_int_equal(apply_to(DP_IFINDEX, "{}"), 0);
	for (int i = 0; i <= VRNET_MAX_OVERLAY_RULES; i++) {
		snprintf(text, sizeof(text), "10.1.%d.%d", i >> 8, i & 255);
		many[i] = rule_of(text);
	}
	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, many,
				     VRNET_MAX_OVERLAY_RULES + 1, dp_resolve, NULL, err, sizeof(err)),
			 -EAGAIN);
	assert_false(dp_probe_tcp(4, "10.1.0.1", 80).allow); /* nothing changed */
	assert_int_equal(vr_edit_add(&dp.st, DP_IFINDEX, VRNET_LIST_ALLOW, many,
				     VRNET_MAX_OVERLAY_RULES, dp_resolve, NULL, err, sizeof(err)), 0);
	assert_true(dp_probe_tcp(4, "10.1.0.1", 80).allow);
	vr_device_forget(&dp.st, DP_IFINDEX);
	assert_int_equal(dp_policy_entries(), empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reload_keeps_policy_ids),
		cmocka_unit_test(test_replace_leaves_no_entries),
		cmocka_unit_test(test_recover_removes_unswitched_policies),
		cmocka_unit_test(test_recover_frees_a_slot_above_the_rest),
		cmocka_unit_test(test_recover_frees_a_slot_whose_forget_died),
		cmocka_unit_test(test_first_change_of_a_build_looks_up_every_key),
		cmocka_unit_test(test_gc_frees_the_tables_of_free_slots),
		cmocka_unit_test(test_delete_finds_a_host_in_the_trie),
		cmocka_unit_test(test_delete_finds_the_hits_of_a_large_policy),
		cmocka_unit_test(test_sweep_removes_orphans_only),
		cmocka_unit_test(test_failed_apply_changes_nothing),
		cmocka_unit_test(test_probes_are_not_counted),
		cmocka_unit_test(test_unmarked_packets_are_counted),
		cmocka_unit_test(test_overlay_edits),
		cmocka_unit_test(test_edits_keep_rule_ids),
		cmocka_unit_test(test_overlay_full),
	};

	return cmocka_run_group_tests(tests, dp_group_setup, dp_group_teardown);
}
