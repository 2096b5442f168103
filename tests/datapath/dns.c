// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The DNS proxy's side of the datapath. Addresses its answers open
 * (vrnet_dnsaddrs), as the program judges them and as the loader keeps
 * them: written the way the proxy writes them, then run through the program
 * (BPF_PROG_TEST_RUN); swept, bounded, and carried over by applies. And
 * the rate of queries a device may steer. Real maps of a private pin
 * directory; nothing is attached.
 */
#include <time.h>
#include <unistd.h>
#include "datapath/harness.h"
#include "datapath/flows.h"
#include "devices.h"
#include "program.h"
#include "dns_opened.h"
#include "dns_report.h"

#define NS_PER_S 1000000000ull

/* Rule 0 and 1 are the name rules; 2 the block rule. */
#define POLICY_A                                                                             \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:443/tcp\","  \
	" \"*.cdn.example:443/tcp\"], \"block\": [\"198.51.100.66\"]}"
/* The same names; api.example on another port. */
#define POLICY_SAME_NAMES                                                                    \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:8443/tcp\"," \
	" \"*.cdn.example:443/tcp\"], \"block\": [\"198.51.100.66\"]}"
/* A name rule less. */
#define POLICY_FEWER                                                                         \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:8443/tcp\"]}"
/* The rate of queries of its own: 200 a second, bursts of 50. */
#define RATE 200
#define BURST 50
#define POLICY_RATE                                                                          \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:443/tcp\"],"  \
	" \"dns_rate\": {\"rate\": 200, \"burst\": 50}}"
/* A name rule more. */
#define POLICY_MORE                                                                          \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:8443/tcp\"," \
	" \"new.example\"]}"

static struct vr_device device(void)
{
	struct vr_device dev;

	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	return dev;
}

static struct vrnet_dnsaddr_key key_of(__u32 slot, const char *addr)
{
	struct vrnet_dnsaddr_key key = { .slot = slot, .family = strchr(addr, ':') ? 6 : 4 };

	assert_int_equal(inet_pton(key.family == 4 ? AF_INET : AF_INET6, addr, key.addr), 1);
	return key;
}

/* Opens @addr for @slot under @policy_id's rule @rule_id (port 443/tcp), as the proxy does. */
static void open_for(__u32 slot, const char *addr, __u32 policy_id, __u32 prev, __u32 rule_id,
		     long long expires_in_s)
{
	struct vrnet_dnsaddr_key key = key_of(slot, addr);
	struct vrnet_dnsaddr val = {
		.policy_id = policy_id,
		.prev_policy_id = prev,
		.by_rule[0] = { .expires_ns = vr_ktime_ns() +
					      (__u64)(expires_in_s * (long long)NS_PER_S),
				.entry = { .port_lo = 443, .port_hi = 443, .proto = VRNET_PROTO_TCP,
					   .action = VRNET_ACTION_ALLOW, .rule_id = rule_id } },
	};

	assert_int_equal(bpf_map_update_elem(dp.st.dnsaddrs_fd, &key, &val, BPF_ANY), 0);
}

static bool is_open(__u32 slot, const char *addr, struct vrnet_dnsaddr *val)
{
	struct vrnet_dnsaddr_key key = key_of(slot, addr);
	struct vrnet_dnsaddr v;

	return !bpf_map_lookup_elem(dp.st.dnsaddrs_fd, &key, val ? val : &v);
}

static void assert_verdict(int family, const char *dst, uint16_t port, bool allow,
			   uint32_t reason)
{
	struct vr_verdict v = dp_probe_tcp(family, dst, port);

	if (v.allow != allow || v.reason != reason)
		fail_msg("%s port %u: %s (reason %u), want %s (reason %u)", dst, port,
			 v.allow ? "allow" : "deny", v.reason, allow ? "allow" : "deny", reason);
}

/* An opening (vr_dns_opened_add's) under @rule_id on @port/tcp, until @expires_ns. */
static struct vrnet_dnsaddr_opening opening(__u32 rule_id, __u16 port, __u64 expires_ns)
{
	return (struct vrnet_dnsaddr_opening){
		.expires_ns = expires_ns,
		.entry = { .port_lo = port, .port_hi = port, .proto = VRNET_PROTO_TCP,
			   .action = VRNET_ACTION_ALLOW, .rule_id = rule_id },
	};
}

/* The device under POLICY_A, with no address open. */
static struct vr_device fresh_device(void)
{
	assert_int_equal(dp_apply(POLICY_A), 0);
	assert_int_equal(vr_dns_opened_forget(&dp.st, device().slot), 0);
	return device();
}

/* What the program does with an opened address: a table over one device's entries. */
static void test_opened_addresses_pass_like_allow_rules(void **state)
{
	struct vr_device dev;

	dp_skip_unless_root();
	dev = fresh_device();
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, 60);
	open_for(dev.slot, "2001:db8::7", dev.policy_id, dev.policy_id, 0, 60);
	open_for(dev.slot, "203.0.113.8", dev.policy_id, dev.policy_id, 0, -1);   /* expired */
	open_for(dev.slot + 1, "203.0.113.9", dev.policy_id, dev.policy_id, 0, 60); /* another */
	open_for(dev.slot, "203.0.113.10", dev.policy_id + 100, dev.policy_id + 100, 0, 60);
	open_for(dev.slot, "203.0.113.11", dev.policy_id + 100, dev.policy_id, 1, 60); /* carried */
	open_for(dev.slot, "198.51.100.66", dev.policy_id, dev.policy_id, 0, 60);  /* blocked */

	assert_verdict(4, "203.0.113.7", 443, true, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(dp_probe_tcp(4, "203.0.113.7", 443).rule_id, 0);
	assert_verdict(4, "203.0.113.7", 80, false, VRNET_REASON_DEFAULT);
	assert_verdict(6, "2001:db8::7", 443, true, VRNET_REASON_ALLOW_RULE);
	assert_verdict(4, "203.0.113.8", 443, false, VRNET_REASON_DEFAULT);
	assert_verdict(4, "203.0.113.9", 443, false, VRNET_REASON_DEFAULT);
	assert_verdict(4, "203.0.113.10", 443, false, VRNET_REASON_DEFAULT);
	assert_verdict(4, "203.0.113.11", 443, true, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(dp_probe_tcp(4, "203.0.113.11", 443).rule_id, 1);
	assert_verdict(4, "198.51.100.66", 443, false, VRNET_REASON_BLOCK_RULE);
	/* a probe that could leak: with no entry the same address is denied */
	assert_verdict(4, "203.0.113.12", 443, false, VRNET_REASON_DEFAULT);
	vr_dns_opened_forget(&dp.st, dev.slot + 1);
}

/* The sweep keeps what is in force (or carried), deletes the rest, and counts per device. */
static void test_sweep_keeps_what_is_in_force(void **state)
{
	struct vr_dns_opened o;
	struct vr_device dev;

	dp_skip_unless_root();
	dev = fresh_device();
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, 60);
	open_for(dev.slot, "203.0.113.8", dev.policy_id, dev.policy_id, 0, -1);
	open_for(dev.slot, "203.0.113.10", dev.policy_id + 100, dev.policy_id + 100, 0, 60);
	open_for(dev.slot, "203.0.113.11", dev.policy_id + 100, dev.policy_id, 1, 60);
	open_for(dev.slot + 1, "203.0.113.9", dev.policy_id, dev.policy_id, 0, 60); /* no device */
	assert_int_equal(vr_dns_opened_init(&o, 0, false), 0);
	assert_int_equal(vr_dns_opened_sweep(&dp.st, &o, vr_ktime_ns()), 3);
	assert_true(is_open(dev.slot, "203.0.113.7", NULL));
	assert_true(is_open(dev.slot, "203.0.113.11", NULL));
	assert_false(is_open(dev.slot, "203.0.113.8", NULL));
	assert_false(is_open(dev.slot, "203.0.113.10", NULL));
	assert_false(is_open(dev.slot + 1, "203.0.113.9", NULL));
	assert_int_equal(o.count[dev.slot], 2);
	vr_dns_opened_free(&o);
}

/* A device's bound: renewals still go; another device is not held back. */
static void test_bound_per_device(void **state)
{
	struct vrnet_dnsaddr_opening op = { .expires_ns = vr_ktime_ns() + 60 * NS_PER_S };
	struct vr_dns_opened o;
	struct vr_device dev;
	char addr[32];

	dp_skip_unless_root();
	dev = fresh_device();
	assert_int_equal(vr_dns_opened_init(&o, 0, false), 0);
	for (int i = 0; i < VR_DNS_MAX_ADDRS_PER_DEVICE; i++) {
		struct vrnet_dnsaddr_key key;

		snprintf(addr, sizeof(addr), "10.9.%d.%d", i / 256, i % 256);
		key = key_of(dev.slot, addr);
		assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	}
	{
		struct vrnet_dnsaddr_key more = key_of(dev.slot, "10.10.0.1");
		struct vrnet_dnsaddr_key renew = key_of(dev.slot, "10.9.0.1");
		struct vrnet_dnsaddr_key other = key_of(dev.slot + 1, "10.10.0.1");

		assert_int_equal(vr_dns_opened_add(&dp.st, &o, &more, dev.policy_id, &op), -ENOSPC);
		assert_int_equal(vr_dns_opened_add(&dp.st, &o, &renew, dev.policy_id, &op), 0);
		assert_int_equal(vr_dns_opened_add(&dp.st, &o, &other, dev.policy_id, &op), 0);
	}
	assert_int_equal(vr_dns_opened_forget(&dp.st, dev.slot), 0);
	assert_int_equal(vr_dns_opened_forget(&dp.st, dev.slot + 1), 0);
	assert_false(is_open(dev.slot, "10.9.0.1", NULL));
	vr_dns_opened_free(&o);
}

/*
 * An apply with the same names carries each address over under its rule's
 * new ports and id; one without a name closes its addresses; one with a
 * new name rule carries nothing.
 */
static void test_applies_carry_what_keeps_its_name(void **state)
{
	struct vrnet_dnsaddr val;
	struct vr_device dev;

	dp_skip_unless_root();
	dev = fresh_device();
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, 60); /* api.example */
	open_for(dev.slot, "203.0.113.8", dev.policy_id, dev.policy_id, 1, 60); /* *.cdn */

	assert_int_equal(dp_apply(POLICY_SAME_NAMES), 0);
	dev = device();
	assert_verdict(4, "203.0.113.7", 8443, true, VRNET_REASON_ALLOW_RULE);
	assert_verdict(4, "203.0.113.7", 443, false, VRNET_REASON_DEFAULT);
	assert_verdict(4, "203.0.113.8", 443, true, VRNET_REASON_ALLOW_RULE);
	assert_true(is_open(dev.slot, "203.0.113.7", &val)); /* settled: the new policy only */
	assert_int_equal(val.policy_id, dev.policy_id);
	assert_int_equal(val.prev_policy_id, dev.policy_id);

	/* one address opened under both names: only the kept name's opening carries */
	val = (struct vrnet_dnsaddr){ .policy_id = dev.policy_id, .prev_policy_id = dev.policy_id };
	val.by_rule[0] = opening(1, 443, vr_ktime_ns() + 60 * NS_PER_S);
	val.by_rule[2] = opening(0, 8443, vr_ktime_ns() + 60 * NS_PER_S);
	{
		struct vrnet_dnsaddr_key both = key_of(dev.slot, "203.0.113.9");

		assert_int_equal(bpf_map_update_elem(dp.st.dnsaddrs_fd, &both, &val, BPF_ANY), 0);
	}
	assert_verdict(4, "203.0.113.9", 443, true, VRNET_REASON_ALLOW_RULE);

	assert_int_equal(dp_apply(POLICY_FEWER), 0);
	assert_verdict(4, "203.0.113.7", 8443, true, VRNET_REASON_ALLOW_RULE);
	assert_verdict(4, "203.0.113.8", 443, false, VRNET_REASON_DEFAULT);
	assert_false(is_open(dev.slot, "203.0.113.8", NULL));
	assert_verdict(4, "203.0.113.9", 8443, true, VRNET_REASON_ALLOW_RULE);
	assert_verdict(4, "203.0.113.9", 443, false, VRNET_REASON_DEFAULT);

	assert_int_equal(dp_apply(POLICY_MORE), 0);
	assert_verdict(4, "203.0.113.7", 8443, false, VRNET_REASON_DEFAULT);
	assert_false(is_open(dev.slot, "203.0.113.7", NULL));
}

/*
 * What a carry left (entries for the new policy id, and the old one until
 * the switch) settles: onto the new policy after the switch; deleted when
 * the switch failed, their openings being of rules never in force.
 */
static void test_settle_after_a_switch_or_its_failure(void **state)
{
	struct vrnet_dnsaddr val;
	struct vr_device dev;
	__u32 next_id;

	dp_skip_unless_root();
	dev = fresh_device();
	next_id = dev.policy_id + 1000;
	open_for(dev.slot, "203.0.113.7", next_id, dev.policy_id, 0, 60);
	open_for(dev.slot, "203.0.113.8", dev.policy_id, dev.policy_id, 0, 60); /* not carried */
	assert_verdict(4, "203.0.113.7", 443, true, VRNET_REASON_ALLOW_RULE); /* by prev */
	assert_int_equal(vr_dns_opened_settle(&dp.st, dev.slot, dev.policy_id, next_id, true), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", &val));
	assert_int_equal(val.policy_id, next_id);
	assert_int_equal(val.prev_policy_id, next_id);
	assert_true(is_open(dev.slot, "203.0.113.8", NULL));

	open_for(dev.slot, "203.0.113.7", next_id, dev.policy_id, 0, 60);
	assert_int_equal(vr_dns_opened_settle(&dp.st, dev.slot, dev.policy_id, next_id, false), 0);
	assert_false(is_open(dev.slot, "203.0.113.7", NULL));
	assert_verdict(4, "203.0.113.7", 443, false, VRNET_REASON_DEFAULT);
	assert_true(is_open(dev.slot, "203.0.113.8", NULL));
	vr_dns_opened_forget(&dp.st, dev.slot);
}

/*
 * The proxy's counts wait up to 100 ms for the map: those of a device that
 * left its slot meanwhile are dropped, not given to the slot's next device.
 */
static void test_counts_stay_with_their_device(void **state)
{
	struct vrnet_dnsstats before, after;
	struct vr_dns_report r;
	struct vr_device dev;

	dp_skip_unless_root();
	dev = fresh_device();
	assert_int_equal(vr_dns_report_init(&r, &dp.st), 0);
	assert_int_equal(bpf_map_lookup_elem(dp.st.dnsstats_fd, &dev.slot, &before), 0);
	vr_dns_count(&r, dev.slot, VR_DNS_ANSWERED); /* a control: counted */
	vr_dns_report_flush(&r, true);
	assert_int_equal(bpf_map_lookup_elem(dp.st.dnsstats_fd, &dev.slot, &after), 0);
	assert_int_equal(after.answered, before.answered + 1);

	vr_dns_count(&r, dev.slot, VR_DNS_ANSWERED);
	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	vr_dns_report_flush(&r, true);
	assert_int_equal(bpf_map_lookup_elem(dp.st.dnsstats_fd, &dev.slot, &after), 0);
	assert_int_equal(after.answered, 0);
	vr_dns_report_free(&r);
}

/* A detach forgets its device's addresses: the next device in the slot inherits none. */
static void test_forget_takes_the_addresses(void **state)
{
	struct vr_device dev;

	dp_skip_unless_root();
	dev = fresh_device();
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, 60);
	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	assert_false(is_open(dev.slot, "203.0.113.7", NULL));
}

static __u64 word_of_slot(__u32 slot)
{
	return __atomic_load_n(&dp.st.switch_words[slot], __ATOMIC_ACQUIRE);
}

/*
 * An address answered again is written only when that moves its expiry by
 * a second or more, or when anything else changed: its rule, its policy,
 * or the device's word (a change, a forget). Each skip is shown by an entry
 * deleted behind the proxy's back staying deleted; each write by its coming back.
 */
static void test_renewals_written_when_they_count(void **state)
{
	struct vrnet_dnsaddr_opening op;
	struct vrnet_dnsaddr_key key;
	struct vrnet_dnsaddr got;
	struct vr_dns_opened o;
	struct vr_device dev;
	__u64 word;

	dp_skip_unless_root();
	dev = fresh_device();
	word = word_of_slot(dev.slot);
	key = key_of(dev.slot, "203.0.113.7");
	op = opening(0, 443, vr_ktime_ns() + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_init(&o, 0, true), 0);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", &got));
	assert_int_equal(got.by_rule[0].expires_ns, op.expires_ns);

	/* the same, half a second later: not written (the entry deleted behind it stays so) */
	assert_int_equal(bpf_map_delete_elem(dp.st.dnsaddrs_fd, &key), 0);
	op.expires_ns += NS_PER_S / 2;
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_false(is_open(dev.slot, "203.0.113.7", NULL));
	/* a control: a proxy that writes every renewal (--grace 0) writes it */
	{
		struct vr_dns_opened every;

		assert_int_equal(vr_dns_opened_init(&every, 0, false), 0);
		assert_int_equal(vr_dns_opened_add(&dp.st, &every, &key, dev.policy_id, &op), 0);
		assert_true(is_open(dev.slot, "203.0.113.7", NULL));
		vr_dns_opened_free(&every);
	}
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);

	/* a second or more later: written */
	assert_int_equal(bpf_map_delete_elem(dp.st.dnsaddrs_fd, &key), 0);
	op.expires_ns += NS_PER_S;
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", &got));
	assert_int_equal(got.by_rule[0].expires_ns, op.expires_ns);

	/* another rule's opening of the same address: written */
	assert_int_equal(bpf_map_delete_elem(dp.st.dnsaddrs_fd, &key), 0);
	op.entry.rule_id = 1;
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", &got));
	assert_int_equal(got.by_rule[0].entry.rule_id, 1);

	/* a change counted in the device's word: written again */
	assert_int_equal(bpf_map_delete_elem(dp.st.dnsaddrs_fd, &key), 0);
	vr_device_touch(&dp.st, dev.slot);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", NULL));
	word = word_of_slot(dev.slot);

	/* a forget changes the device's word: the next answer writes again */
	assert_int_equal(vr_dns_opened_forget(&dp.st, dev.slot), 0);
	assert_false(is_open(dev.slot, "203.0.113.7", NULL));
	assert_true(word_of_slot(dev.slot) != word);
	assert_int_equal((__u32)word_of_slot(dev.slot), (__u32)word); /* the same record */
	word = word_of_slot(dev.slot);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", NULL));

	/* so does an apply */
	assert_int_equal(bpf_map_delete_elem(dp.st.dnsaddrs_fd, &key), 0);
	assert_int_equal(dp_apply(POLICY_A), 0);
	dev = device();
	assert_true(word_of_slot(dev.slot) != word);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", NULL));
	vr_dns_opened_forget(&dp.st, dev.slot);
	vr_dns_opened_free(&o);
}

/*
 * Two name rules' answers give one address (a CDN's): it passes on each
 * rule's ports, whichever answer came last, under that rule's id. A rule
 * answered again keeps its later expiry. VRNET_DNSADDR_RULES rules at once
 * at most: one more is refused (-ENOSPC, the proxy's "full"), until one expires.
 */
static void test_an_address_open_under_several_rules(void **state)
{
	struct vrnet_dnsaddr_key key;
	struct vrnet_dnsaddr_opening op;
	struct vrnet_dnsaddr got;
	struct vr_dns_opened o;
	struct vr_device dev;
	__u64 now = vr_ktime_ns();

	dp_skip_unless_root();
	dev = fresh_device();
	key = key_of(dev.slot, "203.0.113.7");
	assert_int_equal(vr_dns_opened_init(&o, 0, false), 0);
	op = opening(0, 443, now + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	/* a control: the other rule's port is closed until its answer */
	assert_verdict(4, "203.0.113.7", 8080, false, VRNET_REASON_DEFAULT);
	op = opening(1, 8080, now + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_verdict(4, "203.0.113.7", 443, true, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(dp_probe_tcp(4, "203.0.113.7", 443).rule_id, 0);
	assert_verdict(4, "203.0.113.7", 8080, true, VRNET_REASON_ALLOW_RULE);
	assert_int_equal(dp_probe_tcp(4, "203.0.113.7", 8080).rule_id, 1);
	assert_verdict(4, "203.0.113.7", 22, false, VRNET_REASON_DEFAULT);

	/* rule 0 answered again with a shorter TTL: its later expiry stays */
	op = opening(0, 443, now + 10 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_true(is_open(dev.slot, "203.0.113.7", &got));
	assert_int_equal(got.by_rule[0].expires_ns, now + 60 * NS_PER_S);

	/* the places full: one rule more is refused; an expired opening frees its place */
	op = opening(2, 22, now + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	op = opening(3, 23, now + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	op = opening(4, 24, now + 60 * NS_PER_S);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), -ENOSPC);
	assert_verdict(4, "203.0.113.7", 24, false, VRNET_REASON_DEFAULT);
	assert_true(is_open(dev.slot, "203.0.113.7", &got));
	got.by_rule[1].expires_ns = now - 1; /* rule 1's opening ran out */
	assert_int_equal(bpf_map_update_elem(dp.st.dnsaddrs_fd, &key, &got, BPF_EXIST), 0);
	assert_verdict(4, "203.0.113.7", 8080, false, VRNET_REASON_DEFAULT);
	assert_int_equal(vr_dns_opened_add(&dp.st, &o, &key, dev.policy_id, &op), 0);
	assert_verdict(4, "203.0.113.7", 24, true, VRNET_REASON_ALLOW_RULE);
	assert_verdict(4, "203.0.113.7", 443, true, VRNET_REASON_ALLOW_RULE);
	vr_dns_opened_forget(&dp.st, dev.slot);
	vr_dns_opened_free(&o);
}

/*
 * A device's queries past its burst are dropped (dns_rate) until the rate
 * lets more go. The runs take time, which the rate refills: the first drop
 * comes after the burst and at most what the elapsed time allowed.
 */
static void test_query_rate(void **state)
{
	struct dp_pkt query = { .family = 4, .dst = "192.0.2.53", .proto = 17, .dport = 53 };
	struct vrnet_limiter fresh = { 0 };
	struct vr_device dev;
	struct dp_frame f;
	struct vr_verdict v;
	int first_drop = -1;
	__u64 start;
	double ms;

	dp_skip_unless_root();
	assert_int_equal(dp_apply(POLICY_RATE), 0);
	dev = device();
	assert_int_equal(dev.dns_rate, RATE);
	assert_int_equal(dev.dns_burst, BURST);
	assert_int_equal(bpf_map_update_elem(dp.st.dnsrate_fd, &dev.slot, &fresh, BPF_ANY), 0);
	dp_build(&query, &f);
	start = vr_ktime_ns();
	for (int i = 0; first_drop < 0 && i < 10 * BURST; i++) {
		assert_int_equal(dp_run(&f, &v), 0);
		/* no proxy device in this namespace: a steered query is dropped too, reason dns */
		if (v.reason == VRNET_REASON_DNS_RATE)
			first_drop = i;
		else
			assert_int_equal(v.reason, VRNET_REASON_DNS);
	}
	ms = (double)(vr_ktime_ns() - start) / 1e6;
	assert_false(v.allow);
	if (first_drop < BURST || first_drop > BURST + ms * RATE / 1000 + 1)
		fail_msg("first drop after %d queries in %.1f ms, burst %d, rate %d/s", first_drop,
			 ms, BURST, RATE);
	usleep(3 * 1000000 / RATE);
	assert_int_equal(dp_run(&f, &v), 0);
	assert_int_equal(v.reason, VRNET_REASON_DNS);
}

/* POLICY_A's name rule, and an inbound part that lets nobody in. */
#define POLICY_INBOUND                                                                       \
	"{\"default\": \"deny\", \"dns_proxy\": true, \"allow\": [\"api.example:443/tcp\"]," \
	" \"inbound\": {\"default\": \"deny\"}}"

/*
 * Under an inbound part, the peer of a connection the sandbox opened to an
 * address the proxy opened gets in as a reply while the opening lasts; once
 * it expires (no change of the device's record says so) the peer's next
 * packet, a tick (2^30 ns) later, meets the inbound part.
 */
static void test_openings_expire_for_replies_too(void **state)
{
	const struct pkt syn = { 4, "192.0.2.1", "203.0.113.7", 6, 40001, 443, 0x02, NULL };
	const struct pkt data = { 4, "203.0.113.7", "192.0.2.1", 6, 443, 40001, 0x10, NULL };
	struct vr_verdict v;
	struct vr_device dev;
	int inbound_fd;

	(void)state;
	dp_skip_unless_root();
	assert_int_equal(vr_program_inbound_fd(&dp.st, dp.st.netns_cookie, &inbound_fd), 0);
	assert_int_equal(dp_apply(POLICY_INBOUND), 0);
	assert_int_equal(vr_dns_opened_forget(&dp.st, device().slot), 0);
	dev = device();
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, 60);
	v = flow_run(dp.st.prog_fd, DP_IFINDEX, &syn, NULL);
	assert_true(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_ALLOW_RULE);
	v = flow_run(inbound_fd, DP_IFINDEX, &data, NULL);
	assert_true(v.allow); /* the control: open, the peer's segment is a reply */
	assert_int_equal(v.reason, VRNET_REASON_REPLY);
	open_for(dev.slot, "203.0.113.7", dev.policy_id, dev.policy_id, 0, -1);
	usleep(1200000); /* past the tick the flow was judged in */
	v = flow_run(inbound_fd, DP_IFINDEX, &data, NULL);
	assert_false(v.allow);
	assert_int_equal(v.reason, VRNET_REASON_DEFAULT);
	close(inbound_fd);
	dp_table_clear(dp.st.conns_fd);
	dp_table_clear(dp.st.ownnotes_fd);
	vr_dns_opened_forget(&dp.st, dev.slot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opened_addresses_pass_like_allow_rules),
		cmocka_unit_test(test_sweep_keeps_what_is_in_force),
		cmocka_unit_test(test_bound_per_device),
		cmocka_unit_test(test_applies_carry_what_keeps_its_name),
		cmocka_unit_test(test_forget_takes_the_addresses),
		cmocka_unit_test(test_counts_stay_with_their_device),
		cmocka_unit_test(test_settle_after_a_switch_or_its_failure),
		cmocka_unit_test(test_renewals_written_when_they_count),
		cmocka_unit_test(test_an_address_open_under_several_rules),
		cmocka_unit_test(test_query_rate),
		cmocka_unit_test(test_openings_expire_for_replies_too),
	};

	return cmocka_run_group_tests(tests, dp_group_setup, dp_group_teardown);
}
