// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vr_btf_layout: the text two map layouts are compared by. Same-size fields
 * swapped, a member renamed or resized, or an array resized must all change
 * it; the same layout built twice must not.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <bpf/btf.h>
#include "layout.h"

/* struct { FIRST u32; SECOND u32; items [N]u16 } in a BTF of its own. */
static struct btf *make(const char *first, const char *second, int second_bits, __u32 n,
			__u32 *id)
{
	struct btf *btf = btf__new_empty();
	int u32, u16, arr, wide;

	assert_non_null(btf);
	u32 = btf__add_int(btf, "u32", 4, 0);
	u16 = btf__add_int(btf, "u16", 2, 0);
	wide = btf__add_int(btf, "u64", 8, 0);
	arr = btf__add_array(btf, u32, u16, n);
	*id = (__u32)btf__add_struct(btf, "vrnet_thing", 8 + 2 * n + (second_bits == 64 ? 4 : 0));
	assert_int_equal(btf__add_field(btf, first, u32, 0, 0), 0);
	assert_int_equal(btf__add_field(btf, second, second_bits == 64 ? wide : u32, 32, 0), 0);
	assert_int_equal(btf__add_field(btf, "items", arr, second_bits == 64 ? 96 : 64, 0), 0);
	return btf;
}

static void layout(const char *first, const char *second, int second_bits, __u32 n, char *buf)
{
	__u32 id;
	struct btf *btf = make(first, second, second_bits, n, &id);

	vr_btf_layout(btf, id, buf, 512);
	btf__free(btf);
}

static void test_layouts(void **state)
{
	char base[512], again[512], swapped[512], renamed[512], wider[512], longer[512];

	layout("policy_id", "rule_id", 32, 4, base);
	assert_string_equal(base, "{policy_id@0:4,rule_id@32:4,items@64:[4]2}");
	layout("policy_id", "rule_id", 32, 4, again);
	assert_string_equal(base, again);
	layout("rule_id", "policy_id", 32, 4, swapped);
	assert_string_not_equal(base, swapped);
	layout("policy_id", "rules", 32, 4, renamed);
	assert_string_not_equal(base, renamed);
	layout("policy_id", "rule_id", 64, 4, wider);
	assert_string_not_equal(base, wider);
	layout("policy_id", "rule_id", 32, 5, longer);
	assert_string_not_equal(base, longer);
}

static void test_no_type(void **state)
{
	char buf[16] = "x";

	vr_btf_layout(NULL, 0, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_no_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
