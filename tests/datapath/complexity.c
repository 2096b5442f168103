// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the verifier does to load each program of the object on this kernel:
 * the instructions it processes stay within VR_VERIFIER_BUDGET, a quarter of
 * its limit of 1,000,000. A program far past it takes seconds to load at
 * every first attach in a namespace, and is one feature away from a kernel
 * that refuses it (the connection tracking and source binding took
 * vrnet_egress from 78,828 to 507,345 until their checks became global
 * functions, verified once). Each program is loaded on its own, its maps
 * unpinned; the entry point this kernel cannot run is left out, as attach
 * leaves it out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "skb_btf.h"
#include "vrnet_egress.skel.h"
#include "vrnet_xdp.skel.h"

#define VR_VERIFIER_BUDGET 250000
#define LOG_SIZE (1 << 20)
#define BPF_LOG_STATS 4

/* Loads @name of @obj alone; returns the instructions the verifier processed, or -1. */
static long processed_insns_of(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p, *target = NULL;
	struct bpf_map *m;
	char *log = calloc(1, LOG_SIZE);
	const char *at;
	long n = -1;

	if (!log)
		return -1;
	bpf_object__for_each_map(m, obj)
		bpf_map__set_pin_path(m, NULL); /* private maps, gone with the object */
	bpf_object__for_each_program(p, obj) {
		if (strcmp(bpf_program__name(p), name)) {
			bpf_program__set_autoload(p, false);
			continue;
		}
		target = p;
		bpf_program__set_log_level(p, BPF_LOG_STATS);
		bpf_program__set_log_buf(p, log, LOG_SIZE);
	}
	if (!target || bpf_object__load(obj))
		goto out;
	at = strstr(log, "processed ");
	if (at)
		n = strtol(at + strlen("processed "), NULL, 10);
	print_message("%s: %ld instructions processed (budget %d)\n", name, n,
		      VR_VERIFIER_BUDGET);
out:
	free(log);
	return n;
}

/* The XDP mode's program is the only one of its object. */
static long processed_insns(const char *name)
{
	long n = -1;

	if (!strcmp(name, "vrnet_egress_xdp")) {
		struct vrnet_xdp *xdp = vrnet_xdp__open();

		if (xdp) {
			xdp->rodata->vrnet_nr_cpus = (__u32)libbpf_num_possible_cpus();
			n = processed_insns_of(xdp->obj, name);
		}
		vrnet_xdp__destroy(xdp);
	} else {
		struct vrnet_egress *skel = vrnet_egress__open();

		if (skel) {
			skel->rodata->vrnet_nr_cpus = (__u32)libbpf_num_possible_cpus();
			n = processed_insns_of(skel->obj, name);
		}
		vrnet_egress__destroy(skel);
	}
	return n;
}

static void check_program(const char *name)
{
	long n;

	if (geteuid() != 0)
		skip();
	n = processed_insns(name);
	assert_true(n > 0);
	assert_true(n <= VR_VERIFIER_BUDGET);
}

static void test_egress(void **state)
{
	if (!vr_skb_btf()->kern_ctx)
		skip(); /* 6.1: attach loads the probe-read entry point */
	check_program("vrnet_egress");
}

static void test_egress_probe_read(void **state)
{
	check_program("vrnet_egress_probe_read");
}

static void test_inbound(void **state)
{
	check_program("vrnet_inbound");
}

static void test_dns_return(void **state)
{
	check_program("vrnet_dns_return");
}

static void test_xdp(void **state)
{
	check_program("vrnet_egress_xdp");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_egress),
		cmocka_unit_test(test_egress_probe_read),
		cmocka_unit_test(test_inbound),
		cmocka_unit_test(test_dns_return),
		cmocka_unit_test(test_xdp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
