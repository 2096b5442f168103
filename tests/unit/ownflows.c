// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vrnet_ownflows's hash (vrnet_common.h): n flows the sandbox started mark
 * two buckets each of 16,384; a flow it never started whose two buckets are
 * both marked (a collision) keeps a peer's opening packet out. The rate of
 * that must stay near (2n/16384)^2, the figure the README gives, and the
 * two buckets must spread: a hash that put every flow in the same buckets,
 * or both of a flow's in one, would fail here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include "vrnet_common.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

/* A UDP flow of the sandbox at 10.0.0.2 to a random peer and ports, as conn_key() lays it out. */
static void random_flow(struct vrnet_flow_key *k)
{
	uint32_t peer = next_random();

	memset(k, 0, sizeof(*k));
	k->slot = 7;
	k->family = 4;
	k->proto = 17;
	k->sport = (uint16_t)(32768 + next_random() % 28000);
	k->dport = (uint16_t)(next_random() % 2 ? 443 : next_random());
	k->saddr[0] = 10;
	k->saddr[3] = 2;
	memcpy(k->daddr, &peer, 4);
}

static uint32_t hash_of(const struct vrnet_flow_key *k)
{
	return vrnet_own_flow_hash((const __u32 *)k, sizeof(*k) / 4);
}

/* The share of @probes unstarted flows that collide after @n flows are marked. */
static double collision_rate(int n, int probes, int *buckets_marked)
{
	static uint8_t marked[VRNET_OWNFLOW_BUCKETS];
	struct vrnet_flow_key k;
	int hits = 0;

	memset(marked, 0, sizeof(marked));
	for (int i = 0; i < n; i++) {
		uint32_t h;

		random_flow(&k);
		h = hash_of(&k);
		marked[VRNET_OWNFLOW_FIRST(h)] = marked[VRNET_OWNFLOW_SECOND(h)] = 1;
	}
	*buckets_marked = 0;
	for (int i = 0; i < VRNET_OWNFLOW_BUCKETS; i++)
		*buckets_marked += marked[i];
	for (int i = 0; i < probes; i++) {
		uint32_t h;

		random_flow(&k);
		h = hash_of(&k);
		hits += marked[VRNET_OWNFLOW_FIRST(h)] && marked[VRNET_OWNFLOW_SECOND(h)];
	}
	return (double)hits / probes;
}

static void test_collisions(void **state)
{
	const int flows[] = { 100, 500, 2000 };

	(void)state;
	for (size_t i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		double expected = 2.0 * flows[i] / VRNET_OWNFLOW_BUCKETS, rate;
		int buckets;

		expected *= expected;
		rate = collision_rate(flows[i], 200000, &buckets);
		printf("# %d flows: %d buckets marked, collisions %.4f%% (about %.4f%%)\n", flows[i],
		       buckets, 100 * rate, 100 * expected);
		/* two buckets a flow, nearly all distinct while few are marked */
		assert_true(buckets > flows[i] * 2 * 85 / 100);
		assert_true(rate <= expected * 1.5 + 0.0001);
	}
}

/* The two buckets of a flow are two: the second is not the first again. */
static void test_buckets_differ(void **state)
{
	struct vrnet_flow_key k;
	int same = 0;

	(void)state;
	for (int i = 0; i < 100000; i++) {
		uint32_t h;

		random_flow(&k);
		h = hash_of(&k);
		same += VRNET_OWNFLOW_FIRST(h) == VRNET_OWNFLOW_SECOND(h);
	}
	assert_true(same < 30); /* 100000 / 16384 by chance: about 6 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_buckets_differ),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
