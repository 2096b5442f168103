// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What the loader says of a kernel: the floor and missing features
 * (vr_kernel_check) and a rejected load's verifier log in one line
 * (vr_verifier_summary). The logs are excerpts of real rejections, by the
 * verifiers of Debian's 6.1 and 6.12 kernels, of earlier builds of the program.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kernel.h"
#include "verifier_log.h"

#define assert_contains(s, sub)                                              \
	do {                                                                 \
		if (!strstr((s), (sub)))                                     \
			fail_msg("\"%s\" does not contain \"%s\"", (s), (sub)); \
	} while (0)

static void test_parse_release(void **state)
{
	static const struct {
		const char *release;
		int ret, major, minor;
	} cases[] = {
		{ "6.1.0-57-cloud-amd64", 0, 6, 1 },
		{ "6.12.95+deb12-cloud-amd64", 0, 6, 12 },
		{ "5.10.0-35-amd64", 0, 5, 10 },
		{ "6.18.44-fc-v782", 0, 6, 18 },
		{ "7.0", 0, 7, 0 },
		{ "6", -EINVAL, 0, 0 },
		{ "linux", -EINVAL, 0, 0 },
		{ "6-1", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int major = -1, minor = -1;
		int ret = vr_kernel_parse_release(cases[i].release, &major, &minor);

		if (ret != cases[i].ret)
			fail_msg("\"%s\": got %d, want %d", cases[i].release, ret, cases[i].ret);
		if (!ret && (major != cases[i].major || minor != cases[i].minor))
			fail_msg("\"%s\": got %d.%d", cases[i].release, major, minor);
	}
}

static const struct vr_kernel_feature *feature(const char *key)
{
	for (size_t i = 0; i < vr_kernel_n_features; i++)
		if (!strcmp(vr_kernel_features[i].key, key))
			return &vr_kernel_features[i];
	fail_msg("no feature %s", key);
	return NULL;
}

static void test_floor(void **state)
{
	char err[512];

	assert_int_equal(vr_kernel_check("6.1.0-57-cloud-amd64", NULL, 0, err, sizeof(err)), 0);
	assert_int_equal(vr_kernel_check("6.12.95+deb12-cloud-amd64", NULL, 0, err, sizeof(err)),
			 0);
	assert_int_equal(vr_kernel_check("10.0.1", NULL, 0, err, sizeof(err)), 0);

	assert_int_equal(vr_kernel_check("6.0.12", NULL, 0, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "Linux 6.0.12 is older than 6.1, the oldest kernel vrnet-bpf runs on");
	assert_int_equal(vr_kernel_check("5.10.0-35-amd64", NULL, 0, err, sizeof(err)), -ENOTSUP);
	assert_contains(err, "Linux 5.10.0-35-amd64 is older than 6.1");
	/* a release that is not one is not taken for a new kernel */
	assert_int_equal(vr_kernel_check("unknown", NULL, 0, err, sizeof(err)), -ENOTSUP);
}

static void test_missing_features(void **state)
{
	const struct vr_kernel_feature *missing[] = { feature("ringbuf"), feature("kernel_btf") };
	char err[512];

	assert_int_equal(vr_kernel_check("6.1.0", missing, 2, err, sizeof(err)), -ENOTSUP);
	assert_string_equal(err, "Linux 6.1.0 lacks what vrnet-bpf needs: BPF ring buffer (Linux "
				 "5.8+, for the audit trail (log)); kernel BTF "
				 "(/sys/kernel/btf/vmlinux) (Linux 5.4+, for CO-RE: the program's "
				 "view of kernel structures)");
	assert_int_equal(vr_kernel_check("5.4.0", missing, 1, err, sizeof(err)), -ENOTSUP);
	assert_contains(err, "older than 6.1");
	assert_contains(err, "BPF ring buffer (Linux 5.8+");

	/* a short buffer is cut, never overrun */
	char small[16];

	assert_int_equal(vr_kernel_check("6.1.0", missing, 2, small, sizeof(small)), -ENOTSUP);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

/*
 * This kernel has every required feature, and each probe says so; unprivileged, the
 * probes cannot run and say that instead of "absent".
 */
static void test_probe_this_kernel(void **state)
{
	bool present[VR_KERNEL_MAX_FEATURES];
	char err[512] = "";

	if (geteuid() != 0) {
		assert_int_equal(vr_kernel_supported(present, err, sizeof(err)), -EPERM);
		assert_contains(err, "may not load a BPF program to probe Linux");
		return;
	}
	assert_int_equal(vr_kernel_supported(present, err, sizeof(err)), 0);
	for (size_t i = 0; i < vr_kernel_n_features; i++)
		if (!present[i] && !vr_kernel_features[i].optional)
			fail_msg("%s probed absent", vr_kernel_features[i].key);
}

/* 6.1 on the IPv4 options walk: a global function, the helper's size. */
static const char log_61_global[] =
	"Validating vrnet_ipv4_source_route() func#1...\n"
	"912: R1=ctx(off=0,imm=0) R2=scalar() R3=scalar() R10=fp0\n"
	"; __noinline int vrnet_ipv4_source_route(struct __sk_buff *skb, __u64 off, __u64 len)\n"
	"912: (bf) r6 = r3                     ; R3=scalar(id=1) R6_w=scalar(id=1)\n"
	"916: (25) if r3 > 0xffffffd7 goto pc+4 921: R1=ctx(off=0,imm=0) R2=scalar()\n"
	"; if (bpf_skb_load_bytes(skb, off, opts, len))\n"
	"923: (bf) r4 = r6                     ; R4_w=scalar(id=1) R6_w=scalar(id=1)\n"
	"924: (85) call bpf_skb_load_bytes#26\n"
	"R4 min value is negative, either use unsigned or 'var &= const'\n"
	"processed 15 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 "
	"mark_read 1\n";

/* 6.12 on the same walk before its loop was rewritten: too many states. */
static const char log_612_too_large[] =
	"Validating vrnet_ipv4_source_route() func#1...\n"
	"912: R1=ctx() R2=scalar() R3=scalar() R10=fp0\n"
	"Validating vrnet_scan_policy() func#2...\n"
	"979: R1=map_value(map=vrnet_portsets) R2=scalar()\n"
	"1010: (95) exit\n"
	"; __u8 type = opts[i & (IPV4_OPTIONS_BUF - 1)], optlen; @ ipv4_options.h:46\n"
	"942: (bf) r4 = r3\n"
	"BPF program is too large. Processed 1000001 insn\n"
	"verification time 7019091 usec\n"
	"stack depth 64\n"
	"processed 1000001 insns (limit 1000000) max_states_per_insn 20 total_states 19842\n";

/* The main program rejected after both global functions passed. */
static const char log_main[] =
	"Validating vrnet_ipv4_source_route() func#1...\n"
	"912: R1=ctx() R2=scalar() R3=scalar() R10=fp0\n"
	"978: (95) exit\n"
	"Validating vrnet_scan_policy() func#2...\n"
	"979: R1=map_value(map=vrnet_portsets) R2=scalar()\n"
	"1010: (95) exit\n"
	"0: R1=ctx() R10=fp0\n"
	"; dev = bpf_map_lookup_elem(&vrnet_devices, &ifindex);\n"
	"37: (61) r1 = *(u32 *)(r0 +4)\n"
	"R0 invalid mem access 'map_value_or_null'\n"
	"processed 40 insns (limit 1000000)\n";

static void test_verifier_summary(void **state)
{
	char buf[512];

	assert_int_equal(vr_verifier_summary(log_61_global, "vrnet_egress", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vrnet_ipv4_source_route(): R4 min value is negative, either "
				 "use unsigned or 'var &= const'");
	assert_int_equal(vr_verifier_summary(log_612_too_large, "vrnet_egress", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "vrnet_ipv4_source_route(): BPF program is too large. Processed "
				 "1000001 insn");
	assert_int_equal(vr_verifier_summary(log_main, "vrnet_egress", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vrnet_egress(): R0 invalid mem access 'map_value_or_null'");
}

static void test_verifier_summary_edges(void **state)
{
	char buf[512] = "x", small[24];

	/* no log, or statistics alone: nothing to say */
	assert_int_equal(vr_verifier_summary("", "vrnet_egress", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	assert_int_equal(vr_verifier_summary("processed 0 insns (limit 1000000)\n", "vrnet_egress",
					     buf, sizeof(buf)),
			 -1);
	/* a reason before any instruction; no final newline */
	assert_int_equal(vr_verifier_summary("combined stack size of 4 calls is 544. Too large",
					     "vrnet_egress", buf, sizeof(buf)),
			 0);
	assert_string_equal(buf, "vrnet_egress(): combined stack size of 4 calls is 544. Too large");
	/* a short buffer is cut, never overrun */
	assert_int_equal(vr_verifier_summary(log_61_global, "vrnet_egress", small, sizeof(small)),
			 0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_release),
		cmocka_unit_test(test_floor),
		cmocka_unit_test(test_missing_features),
		cmocka_unit_test(test_probe_this_kernel),
		cmocka_unit_test(test_verifier_summary),
		cmocka_unit_test(test_verifier_summary_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
