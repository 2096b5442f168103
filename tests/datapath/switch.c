// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * "Old policy or new, never a mix", under load: two records that disagree
 * on every field that decides a verdict (base policy, overlay, default, mode,
 * internet switch) are switched back and forth from several CPUs while
 * prober threads on the other CPUs judge packets through the real program.
 * Every verdict must be exactly what one of the two records gives.
 *
 * The control run first writes the other record over the one in force, in
 * place, as an update of a live element would: the same probers must see
 * mixed verdicts there, or they could not see them at all.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include "datapath/harness.h"
#include "devices.h"
#include "mapio.h"
#include "store.h"

#define PROBERS_MAX 6
#define FLIPPERS 2

/* The probes: each gets a different answer from each record. */
static const struct dp_pkt probes[] = {
	{ .family = 4, .dst = "192.0.2.1", .proto = 6, .dport = 80 },  /* base rules */
	{ .family = 4, .dst = "192.0.2.2", .proto = 6, .dport = 80 },  /* overlay rules */
	{ .family = 4, .dst = "192.0.2.9", .proto = 17, .dport = 53 }, /* default, mode */
};
#define N_PROBES ARRAY_SIZE(probes)

struct outcome {
	bool allow, enforce_allow;
	uint32_t reason, rule_id;
};

static struct vrnet_record records[2];
static struct outcome expected[2][N_PROBES];
static struct dp_frame frames[N_PROBES];
static atomic_bool running;
static atomic_ulong judged, mixed, flips;
static pthread_mutex_t change_lock = PTHREAD_MUTEX_INITIALIZER; /* the pin directory's flock */
static bool in_place; /* the control: overwrite the record in force */
static __u32 slot;

static struct outcome judge(size_t probe)
{
	struct vr_verdict v;
	struct outcome o;

	/*
	 * The tc program alone: dp_run() holds it to the XDP program's verdict
	 * of an instant before, which a switch in between may change. Both
	 * programs read the record through the same device_record().
	 */
	memset(&v, 0, sizeof(v));
	assert_int_equal(vr_probe_run(dp.st.prog_fd, DP_IFINDEX, frames[probe].data,
				      frames[probe].len, 0, &v),
			 0);
	o.allow = v.allow;
	o.enforce_allow = v.enforce_allow;
	o.reason = v.reason;
	o.rule_id = v.reason == VRNET_REASON_ALLOW_RULE || v.reason == VRNET_REASON_BLOCK_RULE ?
			    v.rule_id :
			    0;
	return o;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->allow == b->allow && a->enforce_allow == b->enforce_allow &&
	       a->reason == b->reason && a->rule_id == b->rule_id;
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *prober(void *arg)
{
	size_t i = 0;

	pin_to((int)(long)arg);
	while (atomic_load(&running)) {
		size_t probe = i++ % N_PROBES;
		struct outcome o = judge(probe);

		if (!same(&o, &expected[0][probe]) && !same(&o, &expected[1][probe]))
			atomic_fetch_add(&mixed, 1);
		atomic_fetch_add(&judged, 1);
	}
	return NULL;
}

static void *flipper(void *arg)
{
	unsigned int k = 0;

	pin_to((int)(long)arg);
	while (atomic_load(&running)) {
		pthread_mutex_lock(&change_lock);
		if (in_place) {
			/* a live record written over: what the protocol exists to prevent */
			__u32 live = (__u32)dp.st.switch_words[slot];

			for (int i = 0; i < 1000; i++)
				bpf_map_update_elem(dp.st.records_fd, &live, &records[++k & 1],
						    BPF_ANY);
		} else {
			assert_int_equal(vr_device_switch(&dp.st, slot, &records[++k & 1]), 0);
		}
		atomic_fetch_add(&flips, 1);
		pthread_mutex_unlock(&change_lock);
	}
	return NULL;
}

/* Writes @json into the store (rule ids from @first); its id. */
static __u32 store(const char *json, uint32_t first)
{
	struct vr_compiled c;
	struct vr_policy p;
	char err[512] = "";
	__u32 id = 0;

	assert_int_equal(vr_policy_parse(json, strlen(json), "switch", &p, err, sizeof(err)), 0);
	assert_int_equal(vr_compile_from(&p, first, dp_resolve, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(vr_store_write(&dp.st, &c, &id, err, sizeof(err)), 0);
	vr_compiled_free(&c);
	vr_policy_free(&p);
	return id;
}

/* Probers and flippers for @seconds; returns the mixed verdicts seen. */
static unsigned long run(double seconds, int ncpu)
{
	pthread_t threads[PROBERS_MAX + FLIPPERS];
	int nprobers = ncpu - FLIPPERS, n = 0;
	struct timespec t = { .tv_sec = (time_t)seconds,
			      .tv_nsec = (long)((seconds - (long)seconds) * 1e9) };

	if (nprobers > PROBERS_MAX)
		nprobers = PROBERS_MAX;
	if (nprobers < 1)
		nprobers = 1;
	atomic_store(&judged, 0);
	atomic_store(&mixed, 0);
	atomic_store(&flips, 0);
	atomic_store(&running, true);
	for (int i = 0; i < FLIPPERS; i++)
		pthread_create(&threads[n++], NULL, flipper, (void *)(long)(i % ncpu));
	for (int i = 0; i < nprobers; i++)
		pthread_create(&threads[n++], NULL, prober, (void *)(long)((FLIPPERS + i) % ncpu));
	nanosleep(&t, NULL);
	atomic_store(&running, false);
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	print_message("%s: %lu verdicts on %d CPUs, %lu %s, %lu mixed\n",
		      in_place ? "in place (control)" : "switched", atomic_load(&judged), nprobers,
		      atomic_load(&flips), in_place ? "rounds of 1000 overwrites" : "switches",
		      atomic_load(&mixed));
	return atomic_load(&mixed);
}

static void test_no_mixed_verdicts(void **state)
{
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	bool seen_mix = false;
	struct vr_device dev;
	__u32 ids[4];

	dp_skip_unless_root();
	if (ncpu < 2)
		skip();
	assert_int_equal(dp_apply("{\"default\": \"deny\"}"), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &dev), 0);
	slot = dev.slot;

	/* A: default allow, enforce; base blocks .1, overlay blocks .2 */
	ids[0] = store("{\"block\": [\"192.0.2.1:80/tcp\", \"192.0.2.77\"]}", 0);
	ids[1] = store("{\"block\": [\"192.0.2.2:80/tcp\"]}", 2);
	/* B: default deny, audit; base allows .1, overlay allows .2 (other rule ids) */
	ids[2] = store("{\"allow\": [\"192.0.2.1:80/tcp\"]}", 0);
	ids[3] = store("{\"allow\": [\"198.51.100.1\", \"192.0.2.2:80/tcp\"]}", 1);
	records[0] = (struct vrnet_record){ .policy_id = ids[0], .overlay_id = ids[1],
					    .slot = slot,
					    .default_action = VRNET_ACTION_ALLOW,
					    .internet = VRNET_INTERNET_POLICY,
					    .mode = VRNET_MODE_ENFORCE };
	records[1] = (struct vrnet_record){ .policy_id = ids[2], .overlay_id = ids[3],
					    .slot = slot,
					    .default_action = VRNET_ACTION_DENY,
					    .internet = VRNET_INTERNET_POLICY,
					    .mode = VRNET_MODE_AUDIT };
	for (size_t p = 0; p < N_PROBES; p++)
		dp_build(&probes[p], &frames[p]);
	for (int r = 0; r < 2; r++) {
		assert_int_equal(vr_device_switch(&dp.st, slot, &records[r]), 0);
		for (size_t p = 0; p < N_PROBES; p++)
			expected[r][p] = judge(p);
	}
	for (size_t p = 0; p < N_PROBES; p++)
		assert_false(same(&expected[0][p], &expected[1][p]));

	/*
	 * The control: overwriting a record in place, the probers can see a mix.
	 * A race, so it gets up to five rounds of a second (one second was not
	 * always enough under AddressSanitizer on two loaded CPUs).
	 */
	in_place = true;
	for (int round = 0; round < 5 && !seen_mix; round++)
		seen_mix = run(1.0, ncpu) > 0;
	assert_true(seen_mix);
	assert_int_equal(vr_device_switch(&dp.st, slot, &records[0]), 0);
	in_place = false;
	assert_int_equal(run(3.0, ncpu), 0);

	assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(vr_store_delete(&dp.st, ids[i], true, 0), 0);
}

/*
 * The switch's wait for readers is a map-in-map update, the grace period
 * that holds on one CPU too, not the membarrier fallback: its throwaway maps
 * are made with the bpf() system call itself (mapio.c).
 */
static void test_grace_period_by_map_in_map(void **state)
{
	(void)state;
	dp_skip_unless_root();
	assert_true(vr_wait_for_readers());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_mixed_verdicts),
		cmocka_unit_test(test_grace_period_by_map_in_map),
	};

	return cmocka_run_group_tests_name("datapath switch", tests, dp_group_setup,
					   dp_group_teardown);
}
