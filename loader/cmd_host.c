// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Commands about the host as a whole: log, metrics, gc, upgrade, version, features. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include "cli.h"
#include "events.h"
#include "kernel.h"
#include "log.h"
#include "metrics.h"
#include "netns.h"
#include "output.h"
#include "program.h"
#include "upgrade.h"

int do_log(int argc, char **argv)
{
	struct vr_log_opts o = { .json = opt.json, .summary_interval_ms = 10000 };
	struct vr_state st;
	long count = 0, summary = 10;
	__u32 *list = NULL;
	int ret;
	size_t n = 0;

	if (opt.since && (ret = vr_parse_since(opt.since, &o.since_ns)))
		return fail(VR_EXIT_USAGE,
			    ret == -ERANGE ?
				    "--since %s reaches back before 1970" :
				    "--since takes 30s, 10m, 2h, 1d or YYYY-MM-DDTHH:MM:SS (UTC), not \"%s\"",
			    opt.since);
	if ((opt.count && (ret = parse_count(opt.count, "--count", 1000000000, &count))) ||
	    (opt.summary && (ret = parse_count(opt.summary, "--summary-interval", 86400, &summary))))
		return ret;
	o.max_events = (uint64_t)count;
	o.summary_interval_ms = (int)summary * 1000;
	ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf));
	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	if (argc && (ret = devices_arg(&st, argc, argv, &list, &n)))
		goto out;
	o.slots = list;
	o.slot_count = n;
	/* streaming for hours must not hold off the commands that change policies */
	flock(st.dir_fd, LOCK_UN);
	ret = vr_log_run(&st, &o);
	if (ret)
		ret = fail(VR_EXIT_SYSTEM, "reading events: %s", strerror(-ret));
out:
	free(list);
	vr_state_close(&st);
	return ret;
}

int do_metrics(int argc, char **argv)
{
	struct vr_hits hits = { 0 };
	struct vr_state st;
	__u32 *list = NULL;
	int ret;
	size_t n = 0;

	ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf));
	if (ret == -ENOENT && !argc) { /* nothing loaded: no devices */
		if (opt.json)
			vr_json_print(vr_metrics_json(NULL, NULL, 0, NULL), opt.pretty);
		else
			vr_metrics_write(NULL, NULL, 0, NULL, stdout);
		return 0;
	}
	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	ret = devices_arg(&st, argc, argv, &list, &n);
	if (!ret && opt.rules && (ret = vr_hits_load(&st, &hits)))
		ret = fail(VR_EXIT_SYSTEM, "couldn't read the rules' hits: %s", strerror(-ret));
	if (!ret) {
		if (opt.json)
			vr_json_print(vr_metrics_json(&st, list, n, opt.rules ? &hits : NULL),
				      opt.pretty);
		else if (vr_metrics_write(&st, list, n, opt.rules ? &hits : NULL, stdout))
			ret = fail(VR_EXIT_SYSTEM, "writing metrics: %s", strerror(errno));
	}
	vr_hits_free(&hits);
	free(list);
	vr_state_close(&st);
	return ret;
}

int do_gc(int argc, char **argv)
{
	struct vr_state st;
	int ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_CHANGE, errbuf, sizeof(errbuf));

	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	size_t swept = 0, unreachable = 0, freed = 0;

	ret = vr_gc(&st, opt.force ? VR_GC_FORCE : VR_GC_ALL, &unreachable);
	if (ret >= 0) {
		int sweep = vr_sweep(&st, &swept);

		if (!sweep)
			sweep = vr_gc_free_slots(&st, &freed);
		ret = sweep ? sweep : ret;
	}
	if (ret >= 0)
		vr_state_prune_programs(&st);
	vr_state_close(&st);
	if (ret < 0)
		return fail(VR_EXIT_SYSTEM, "gc: %s", strerror(-ret));
	if (opt.json)
		vr_json_print(json_pack("{s:i,s:I,s:I,s:I}", "reclaimed_devices", ret,
					"removed_entries", (json_int_t)swept, "unreachable_devices",
					(json_int_t)unreachable, "freed_slot_tables",
					(json_int_t)freed),
			      opt.pretty);
	else
		printf("reclaimed the state of %d deleted device%s, removed %zu entries no policy uses, freed the tables of %zu free slot%s\n",
		       ret, ret == 1 ? "" : "s", swept, freed, freed == 1 ? "" : "s");
	if (unreachable && !opt.json)
		printf("kept %zu device%s whose network namespace was not found (gc --force forgets %s)\n",
		       unreachable, unreachable == 1 ? "" : "s", unreachable == 1 ? "it" : "them");
	return 0;
}

/*
 * The version, this binary's program build, and the programs running on this
 * host (those an upgrade would replace), when the pin directory can be read.
 */
int do_version(int argc, char **argv)
{
	json_t *running = json_array();
	char build[17];
	struct vr_state st;
	__u32 *slots = NULL;
	size_t n = 0;

	snprintf(build, sizeof(build), "%016llx", (unsigned long long)vr_program_build());
	if (!vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf))) {
		if (!vr_device_slots(&st, &slots, &n))
			for (size_t i = 0; i < n; i++) {
				struct vr_program_info info;
				struct vr_device dev;
				char netns[300];
				bool seen = false;
				size_t k;
				json_t *r;

				if (vr_device_get_slot(&st, slots[i], &dev) ||
				    vr_program_info(&st, dev.netns_cookie, &info))
					continue;
				json_array_foreach(running, k, r)
					seen |= json_integer_value(json_object_get(r, "id")) == info.id;
				if (seen)
					continue;
				vr_netns_describe(dev.netns_inode, netns, sizeof(netns));
				json_array_append_new(running,
						      json_pack("{s:s,s:i,s:s,s:b,s:s}", "netns", netns,
								"id", (int)info.id, "tag", info.tag,
								"current", info.current, "offload_read",
								!info.current	 ? "unknown" :
								info.probe_read ? "probe_read" :
										  "kfunc"));
			}
		free(slots);
		vr_state_close(&st);
	}
	if (opt.json) {
		vr_json_print(json_pack("{s:s,s:s,s:o}", "version", VRNET_VERSION, "build", build,
					"programs", running),
			      opt.pretty);
		return 0;
	}
	printf("vrnet-bpf %s (program build %s)\n", VRNET_VERSION, build);
	size_t k;
	json_t *r;

	json_array_foreach(running, k, r)
		printf("running in %s: program %lld, tag %s, offload metadata by %s%s\n",
		       json_string_value(json_object_get(r, "netns")),
		       json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "tag")),
		       json_string_value(json_object_get(r, "offload_read")),
		       json_is_true(json_object_get(r, "current")) ?
			       "" :
			       " (another build: vrnet-bpf upgrade replaces it)");
	json_decref(running);
	return 0;
}

static void print_upgraded(const struct vr_upgrade_netns *ns, void *ctx)
{
	json_t *arr = ctx;
	char netns[300];

	vr_netns_describe(ns->inode, netns, sizeof(netns));
	if (opt.json) {
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:b,s:I,s:I,s:I}", "netns",
						     netns, "old_tag", ns->old_tag, "new_tag",
						     ns->new_tag, "loaded", ns->loaded, "devices",
						     (json_int_t)ns->devices, "replaced",
						     (json_int_t)ns->replaced, "missing",
						     (json_int_t)ns->missing));
		return;
	}
	if (!ns->loaded && ns->replaced == ns->devices - ns->missing)
		printf("%s: program %s is this build's; %zu device%s run it\n", netns, ns->new_tag,
		       ns->replaced, ns->replaced == 1 ? "" : "s");
	else
		printf("%s: program %s -> %s on %zu of %zu device%s\n", netns,
		       *ns->old_tag ? ns->old_tag : "(none)", ns->new_tag, ns->replaced,
		       ns->devices, ns->devices == 1 ? "" : "s");
	if (ns->missing)
		printf("%s: %zu device%s had no filter to replace (vrnet-bpf status)\n", netns,
		       ns->missing, ns->missing == 1 ? "" : "s");
}

int do_upgrade(int argc, char **argv)
{
	json_t *arr = json_array();
	struct vr_state st;
	int ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_CHANGE, errbuf, sizeof(errbuf));

	if (ret) {
		json_decref(arr);
		return fail(open_exit(ret), "%s", errbuf);
	}
	ret = vr_upgrade(&st, opt.force, print_upgraded, arr, errbuf, sizeof(errbuf));
	vr_state_close(&st);
	if (ret)
		ret = fail(exit_of(ret), "upgrade: %s", errbuf);
	else if (opt.json)
		vr_json_print(json_incref(arr), opt.pretty);
	json_decref(arr);
	return ret;
}

int do_features(int argc, char **argv)
{
	bool present[VR_KERNEL_MAX_FEATURES];
	char why[1024] = "", since[16];
	struct utsname u;
	json_t *features;
	int ret;

	if (uname(&u))
		return fail(VR_EXIT_SYSTEM, "uname: %s", strerror(errno));
	ret = vr_kernel_supported(present, why, sizeof(why));
	if (ret == -EPERM)
		return fail(VR_EXIT_SYSTEM, "%s", why);
	if (!opt.json) {
		if (ret)
			printf("%s\n", why);
		else
			printf("Linux %s: supported\n", u.release);
		printf("%-40s %-6s %-8s %s\n", "FEATURE", "SINCE", "PRESENT", "USED FOR");
	}
	features = json_array();
	for (size_t i = 0; i < vr_kernel_n_features; i++) {
		const struct vr_kernel_feature *f = &vr_kernel_features[i];

		snprintf(since, sizeof(since), "%d.%d", f->major, f->minor);
		if (opt.json)
			json_array_append_new(features,
					      json_pack("{s:s,s:s,s:s,s:b,s:b,s:s}", "key", f->key,
							"name", f->name, "since", since,
							"present", present[i], "required",
							!f->optional, "used_for", f->used_for));
		else
			printf("%-40s %-6s %-8s %s\n", f->name, since,
			       present[i] ? "yes" : f->optional ? "no" : "NO", f->used_for);
	}
	if (opt.json)
		vr_json_print(json_pack("{s:s,s:s,s:b,s:s?,s:o}", "kernel", u.release, "floor",
					VR_KERNEL_FLOOR, "supported", !ret, "reason",
					ret ? why : NULL, "features", features),
			      opt.pretty);
	else
		json_decref(features);
	return ret ? VR_EXIT_SYSTEM : VR_EXIT_OK;
}
