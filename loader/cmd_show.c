// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Commands that show what is there: show, list, status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "filter.h"
#include "log.h"
#include "output.h"
#include "program.h"

static const char *filter_state(const struct vr_device_seen *seen)
{
	return !seen->reachable		 ? "unreachable" :
	       !seen->filtered		 ? "missing" :
	       vr_filter_behind(seen) ? "behind" :
					 "attached";
}

/* One device of `list`: what decides, and how much passed and dropped. */
static void print_list_line(struct vr_state *st, const struct vr_device_policy *dp,
			    const struct vr_device_seen *seen)
{
	struct vr_program_info prog;
	struct vrnet_stats c;
	char netns[300];
	uint32_t rules = 0;

	for (uint32_t i = 0; i < dp->count; i++)
		rules += vr_record_is_rule(&dp->rules[i]);
	vr_stats_read(st, dp->dev.slot, &c);
	vr_device_netns_text(st, &dp->dev, netns, sizeof(netns));
	if (vr_program_info(st, dp->dev.netns_cookie, &prog))
		snprintf(prog.tag, sizeof(prog.tag), "none");
	printf("%-16s ifindex %-6d internet %-6s default %-5s %-7s %6u rules  allowed %llu  dropped %llu  program %s%s%s%s%s%s%s\n",
	       dp->dev.ifname, dp->dev.ifindex, vr_internet_name(dp->dev.internet),
	       dp->dev.default_action == VRNET_ACTION_ALLOW ? "allow" : "deny",
	       dp->dev.mode == VRNET_MODE_AUDIT ? "audit" : "enforce", rules,
	       (unsigned long long)c.allowed_packets, (unsigned long long)c.dropped_packets,
	       prog.tag, dp->dev.xdp ? "  xdp " : "",
	       dp->dev.xdp ? vr_xdp_mode_name(dp->dev.xdp) : "",
	       c.audited_packets ? "  (audited: passed, would drop)" : "",
	       *netns ? "  netns " : "", netns,
	       !seen->reachable	       ? "  (namespace not found)" :
	       vr_filter_missing(seen) ? "  FILTER MISSING: unfiltered" :
	       vr_filter_behind(seen)  ? "  PROGRAM AHEAD: may be skipped" :
					 "");
}

static int show_devices(int argc, char **argv, bool rules)
{
	struct vr_hits hits = { 0 };
	json_t *arr = json_array();
	struct vr_state st;
	__u32 *list = NULL;
	int one, ret;
	size_t n = 0;

	if (argc && (ret = device_index(argv[0], &one)))
		goto out;
	ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf));
	if (ret == -ENOENT && !argc) { /* nothing loaded: nothing to list */
		ret = 0;
		goto print;
	}
	if (ret) {
		ret = fail(open_exit(ret), "%s", errbuf);
		goto out;
	}
	vr_program_warn_other_build(&st);
	if ((ret = devices_arg(&st, argc, argv, &list, &n)))
		goto close;
	if (rules && (ret = vr_hits_load(&st, &hits))) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't read the rules' hits: %s", strerror(-ret));
		goto close;
	}
	for (size_t i = 0; i < n; i++) {
		struct vr_device_policy dp;
		struct vr_device_seen seen;

		if (vr_device_policy_read_slot(&st, list[i], &dp))
			continue;
		vr_device_look(&st, &dp.dev, &seen);
		if (opt.json) {
			json_t *obj = vr_device_json(&st, &dp, rules ? &hits : NULL);

			json_object_set_new(obj, "filter", json_string(filter_state(&seen)));
			json_array_append_new(arr, obj);
		} else if (rules) {
			vr_device_print(&st, &dp, &hits);
			if (vr_filter_missing(&seen))
				printf("  FILTER MISSING: nothing filters %s (vrnet-bpf status)\n",
				       dp.dev.ifname);
		} else
			print_list_line(&st, &dp, &seen);
		vr_device_policy_free(&dp);
	}
close:
	vr_hits_free(&hits);
	vr_state_close(&st);
print:
	if (!ret && opt.json) {
		if (argc) /* one device: the object itself */
			vr_json_print(json_incref(json_array_get(arr, 0)), opt.pretty);
		else
			vr_json_print(json_incref(arr), opt.pretty);
	}
out:
	free(list);
	json_decref(arr);
	return ret;
}

/* status: every device with state, and whether its filter is still there. */
int do_status(int argc, char **argv)
{
	json_t *arr = json_array();
	struct vr_state st;
	size_t n = 0, missing = 0;
	__u32 *list = NULL;
	int ret;

	ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf));
	if (ret == -ENOENT) { /* nothing loaded: nothing to check */
		ret = 0;
		goto print;
	}
	if (ret) {
		ret = fail(open_exit(ret), "%s", errbuf);
		goto out;
	}
	ret = live_devices(&st, &list, &n);
	for (size_t i = 0; !ret && i < n; i++) {
		struct vr_device dev;
		struct vr_device_seen seen;
		char netns[300], where[320] = "";

		if (vr_device_get_slot(&st, list[i], &dev))
			continue;
		vr_device_look(&st, &dev, &seen);
		vr_device_netns_text(&st, &dev, netns, sizeof(netns));
		if (*netns)
			snprintf(where, sizeof(where), " (netns %s)", netns);
		missing += vr_filter_missing(&seen) || vr_filter_behind(&seen);
		if (opt.json)
			json_array_append_new(arr, json_pack("{s:s,s:i,s:s,s:s}", "device",
							     dev.ifname, "ifindex", dev.ifindex,
							     "netns", *netns ? netns : "",
							     "filter", filter_state(&seen)));
		else if (vr_filter_missing(&seen))
			printf("%s%s: FILTER MISSING: nothing filters it (was its clsact qdisc removed?); vrnet-bpf%s%s attach %s restores it, deny-all\n",
			       dev.ifname, where, *netns ? " -n " : "", netns, dev.ifname);
		else if (vr_filter_behind(&seen))
			printf("%s%s: PROGRAM AHEAD: %d other program%s run%s before vrnet-bpf on its hook and may pass packets without it; vrnet-bpf%s%s attach %s puts it first again\n",
			       dev.ifname, where, seen.ahead, seen.ahead == 1 ? "" : "s",
			       seen.ahead == 1 ? "s" : "", *netns ? " -n " : "", netns, dev.ifname);
		else if (!seen.reachable)
			printf("%s%s: its network namespace is not found (gone?)\n", dev.ifname,
			       where);
		else
			printf("%s%s: filtered\n", dev.ifname, where);
	}
	vr_state_close(&st);
print:
	if (!ret && opt.json)
		vr_json_print(json_pack("{s:O,s:I}", "devices", arr, "missing", (json_int_t)missing),
			      opt.pretty);
	if (!ret && missing)
		ret = VR_EXIT_DENY;
out:
	free(list);
	json_decref(arr);
	return ret;
}

int do_show(int argc, char **argv)
{
	return show_devices(argc, argv, true);
}

int do_list(int argc, char **argv)
{
	return show_devices(0, argv, false);
}

