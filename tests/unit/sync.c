// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync's decisions (vr_sync_decide), one row per case, and its files: the
 * names read from a directory and the "device" settings a file may hold.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sync_files.h"
#include "sync_plan.h"
#include "vrnet_common.h"

static const uint8_t digest_a[VR_DIGEST_LEN] = { 0xa };
static const uint8_t digest_b[VR_DIGEST_LEN] = { 0xb };

/* A record of what sync applied to ifindex 7: digest_a, policy 40, overlay 0, tc mode. */
static struct vr_sync_record record(bool attached)
{
	struct vr_sync_record r = { .ifindex = 7, .policy_id = 40, .attached = attached };

	memcpy(r.digest, digest_a, sizeof(r.digest));
	return r;
}

struct decide_case {
	const char *what;
	bool has_file, file_ok;
	const uint8_t *digest;
	int record; /* 0 none, 1 attached by sync, 2 attached by hand before, 3 another directory's */
	struct vr_sync_seen seen;
	enum vr_sync_action want;
	const char *reason;
};

#define SEEN_FILTERED { .ifindex = 7, .filtered = true, .policy_id = 40 }

static const struct decide_case decide_cases[] = {
	{ "new file, device there", true, true, digest_a, 0, { .ifindex = 7 }, VR_SYNC_ATTACH,
	  "new" },
	{ "new file, no device", true, true, digest_a, 0, { 0 }, VR_SYNC_WAIT, "no such device" },
	{ "file as applied", true, true, digest_a, 1, SEEN_FILTERED, VR_SYNC_UNCHANGED,
	  "as its file says" },
	{ "file changed", true, true, digest_b, 1, SEEN_FILTERED, VR_SYNC_APPLY, "file changed" },
	{ "policy changed by a command", true, true, digest_a, 1,
	  { .ifindex = 7, .filtered = true, .policy_id = 41 }, VR_SYNC_APPLY,
	  "policy changed by another command" },
	{ "overlay added by a command", true, true, digest_a, 1,
	  { .ifindex = 7, .filtered = true, .policy_id = 40, .overlay_id = 3 }, VR_SYNC_APPLY,
	  "policy changed by another command" },
	{ "XDP mode changed by a command", true, true, digest_a, 1,
	  { .ifindex = 7, .filtered = true, .policy_id = 40, .xdp = VRNET_XDP_NATIVE },
	  VR_SYNC_APPLY, "XDP mode changed by another command" },
	{ "filter taken off", true, true, digest_a, 1, { .ifindex = 7 }, VR_SYNC_ATTACH,
	  "filter missing" },
	{ "device made anew", true, true, digest_a, 1, { .ifindex = 9 }, VR_SYNC_ATTACH,
	  "device made anew" },
	{ "attached by hand, file new", true, true, digest_a, 0, SEEN_FILTERED, VR_SYNC_APPLY,
	  "attached before sync managed it" },
	{ "bad file, device unfiltered", true, false, NULL, 0, { .ifindex = 7 }, VR_SYNC_DENY,
	  "file unusable: deny-all until it is fixed" },
	{ "bad file, device filtered", true, false, NULL, 1, SEEN_FILTERED, VR_SYNC_INVALID,
	  "file unusable: the device keeps its policy" },
	{ "bad file, no device", true, false, NULL, 0, { 0 }, VR_SYNC_INVALID, "file unusable" },
	{ "file gone, sync attached it", false, false, NULL, 1, SEEN_FILTERED, VR_SYNC_DETACH,
	  "file gone" },
	{ "file gone, attached by hand before", false, false, NULL, 2, SEEN_FILTERED,
	  VR_SYNC_RELEASE, "file gone; attached before sync managed it" },
	{ "file gone, filter already off", false, false, NULL, 1, { .ifindex = 7 },
	  VR_SYNC_FORGET, "file gone; its filter was already off" },
	{ "file and device gone", false, false, NULL, 1, { 0 }, VR_SYNC_FORGET,
	  "file and device gone" },
	{ "file gone, another device by that name", false, false, NULL, 1,
	  { .ifindex = 9, .filtered = true }, VR_SYNC_FORGET, "file and device gone" },
	{ "file, another directory's device", true, true, digest_a, 3, SEEN_FILTERED,
	  VR_SYNC_INVALID, "another directory's sync manages it" },
	{ "file, another directory's device, unfiltered", true, true, digest_a, 3, { .ifindex = 7 },
	  VR_SYNC_DENY, "another directory's sync manages it: deny-all until it attaches it" },
	{ "no file, another directory's device", false, false, NULL, 3, SEEN_FILTERED,
	  VR_SYNC_UNCHANGED, "another directory's sync manages it" },
	{ "no file, no record: not sync's", false, false, NULL, 0, SEEN_FILTERED,
	  VR_SYNC_UNCHANGED, "not managed" },
};

static void test_decide(void **state)
{
	for (size_t i = 0; i < sizeof(decide_cases) / sizeof(decide_cases[0]); i++) {
		const struct decide_case *c = &decide_cases[i];
		struct vr_sync_record rec = record(c->record == 1);
		struct vr_sync_step s = vr_sync_decide(c->has_file, c->file_ok, c->digest,
						       c->record ? &rec : NULL, c->record == 3,
						       &c->seen);

		if (s.action != c->want || strcmp(s.reason, c->reason))
			fail_msg("%s: %s (%s), want %s (%s)", c->what, vr_sync_action_name(s.action),
				 s.reason, vr_sync_action_name(c->want), c->reason);
	}
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_files_read(void **state)
{
	char dir[] = "/tmp/vrunitsync.XXXXXX", cmd[600];
	struct vr_sync_file *files;
	char err[256];
	bool one;
	size_t n;

	assert_non_null(mkdtemp(dir));
	put(dir, "vrb.json", "{}");
	put(dir, "vra.json", "{\"default\": \"allow\"}");
	put(dir, ".vrc.json", "{}");		   /* hidden: a ConfigMap's or an editor's */
	put(dir, "vrd.json.swp", "{}");		   /* not DEVICE.json */
	put(dir, "name-longer-than-15.json", "{}"); /* no device has such a name */
	put(dir, "a:b.json", "{}");
	assert_int_equal(vr_sync_files_read(dir, &files, &n, &one, err, sizeof(err)), 0);
	assert_false(one);
	assert_int_equal(n, 4);
	/* sorted by name, as the records are */
	assert_string_equal(files[0].name, "a:b");
	assert_true(files[0].no_device);
	assert_string_equal(files[1].name, "name-longer-tha");
	assert_true(files[1].no_device);
	assert_string_equal(files[2].name, "vra");
	assert_false(files[2].no_device);
	assert_int_equal(files[2].error, 0);
	assert_string_equal(files[3].name, "vrb");
	/* the digest is of the bytes: two files that differ differ */
	assert_memory_not_equal(files[2].digest, files[3].digest, VR_DIGEST_LEN);
	vr_sync_files_free(files, n);

	snprintf(cmd, sizeof(cmd), "%s/vra.json", dir);
	assert_int_equal(vr_sync_files_read(cmd, &files, &n, &one, err, sizeof(err)), 0);
	assert_true(one);
	assert_int_equal(n, 1);
	vr_sync_files_free(files, n);
	snprintf(cmd, sizeof(cmd), "%s/vrd.json.swp", dir);
	assert_int_equal(vr_sync_files_read(cmd, &files, &n, &one, err, sizeof(err)), -EINVAL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

struct device_case {
	const char *json;
	int want; /* 0, or -EINVAL */
	int xdp;
	size_t addresses;
	const char *error; /* part of the message */
};

static const struct device_case device_cases[] = {
	{ "{}", 0, VRNET_XDP_NONE, 0, NULL },
	{ "{\"mode\": \"xdp\"}", 0, VRNET_XDP_NATIVE, 0, NULL },
	{ "{\"mode\": \"xdp\", \"xdp_generic\": true}", 0, VRNET_XDP_GENERIC, 0, NULL },
	{ "{\"mode\": \"tc\", \"addresses\": [\"10.0.0.2\", \"fd00::2/128\"], "
	  "\"mac\": \"02:00:00:00:00:02\", \"dhcp\": true}",
	  0, VRNET_XDP_NONE, 2, NULL },
	{ "{\"xdp_generic\": true}", -EINVAL, 0, 0, "goes with \"mode\": \"xdp\"" },
	{ "{\"mode\": \"ebpf\"}", -EINVAL, 0, 0, "device.mode: unknown key or wrong type" },
	{ "{\"mac\": \"02:00:00:00:00:02\"}", -EINVAL, 0, 0, "binds nothing" },
	{ "{\"addresses\": \"10.0.0.2\"}", -EINVAL, 0, 0, "must be a list" },
	{ "{\"addresses\": [\"10.0.0.300\"]}", -EINVAL, 0, 0, "device.addresses[0]" },
	{ "{\"force\": true}", -EINVAL, 0, 0, "device.force: unknown key" },
	{ "[]", -EINVAL, 0, 0, "\"device\" must be an object" },
};

static void test_device_settings(void **state)
{
	for (size_t i = 0; i < sizeof(device_cases) / sizeof(device_cases[0]); i++) {
		const struct device_case *c = &device_cases[i];
		json_t *obj = json_loads(c->json, 0, NULL);
		struct vr_sync_device d = { 0 };
		char err[512] = "";
		int ret;

		assert_non_null(obj);
		ret = vr_sync_device_parse(obj, "f.json", &d, err, sizeof(err));
		json_decref(obj);
		if (ret != c->want)
			fail_msg("%s: %d (%s), want %d", c->json, ret, err, c->want);
		if (c->error && !strstr(err, c->error))
			fail_msg("%s: \"%s\" does not say \"%s\"", c->json, err, c->error);
		if (!ret && (d.xdp != c->xdp || d.binding.count != c->addresses))
			fail_msg("%s: xdp %d, %zu addresses", c->json, d.xdp, d.binding.count);
	}
}

/* A policy file with settings: both parsed, the key refused in a plain policy. */
static void test_device_file(void **state)
{
	char dir[] = "/tmp/vrunitsync.XXXXXX", cmd[600], err[512];
	struct vr_sync_file *files;
	struct vr_sync_device d;
	struct vr_policy p;
	bool one;
	size_t n;

	assert_non_null(mkdtemp(dir));
	put(dir, "vra.json",
	    "{\"device\": {\"mode\": \"xdp\"}, \"default\": \"deny\", \"allow\": [\"192.0.2.1\"]}");
	put(dir, "vrb.json", "{\"device\": {\"mode\": \"xdp\"}, \"allow\": [\"192.0.2.300\"]}");
	assert_int_equal(vr_sync_files_read(dir, &files, &n, &one, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(vr_sync_device_load(&files[0], &d, err, sizeof(err)), 0);
	assert_int_equal(d.xdp, VRNET_XDP_NATIVE);
	assert_int_equal(d.policy.allow.count, 1);
	assert_memory_equal(d.digest, files[0].digest, VR_DIGEST_LEN);
	vr_sync_device_free(&d);
	vr_sync_file_check(&files[1]);
	assert_int_equal(files[1].error, -EINVAL);
	assert_non_null(strstr(files[1].why, "vrb.json"));
	vr_sync_files_free(files, n);
	/* "device" belongs to sync's files: apply's policy has no such key */
	snprintf(cmd, sizeof(cmd), "%s/vra.json", dir);
	assert_int_equal(vr_policy_read_file(cmd, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key \"device\""));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decide),
		cmocka_unit_test(test_files_read),
		cmocka_unit_test(test_device_settings),
		cmocka_unit_test(test_device_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
