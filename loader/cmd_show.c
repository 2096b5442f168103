// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Commands that show what is there: show, list, status, check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "filter.h"
#include "log.h"
#include "output.h"
#include "probe.h"
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
		rules += dp->rules[i].kind != VRNET_RULE_RESOLVED;
	vr_stats_read(st, dp->dev.slot, &c);
	vr_device_netns_text(st, &dp->dev, netns, sizeof(netns));
	if (vr_program_info(st, dp->dev.netns_cookie, &prog))
		snprintf(prog.tag, sizeof(prog.tag), "none");
	printf("%-16s ifindex %-6d internet %-6s default %-5s %-7s %6u rules  allowed %llu  dropped %llu  program %s%s%s%s%s\n",
	       dp->dev.ifname, dp->dev.ifindex, vr_internet_name(dp->dev.internet),
	       dp->dev.default_action == VRNET_ACTION_ALLOW ? "allow" : "deny",
	       dp->dev.mode == VRNET_MODE_AUDIT ? "audit" : "enforce", rules,
	       (unsigned long long)c.allowed_packets, (unsigned long long)c.dropped_packets,
	       prog.tag, c.audited_packets ? "  (audited: passed, would drop)" : "",
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

/* DEST is HOST[:PORT[/PROTO]]: a port without protocol means TCP, no port ICMP. */
static int parse_destination(const char *text, struct vr_rule *r)
{
	char why[256];

	if (vr_rule_parse(text, r, why, sizeof(why)))
		return fail(VR_EXIT_USAGE, "\"%s\": %s", text, why);
	if (r->kind == VRNET_RULE_CIDR && r->prefixlen != (r->family == 4 ? 32 : 128))
		return fail(VR_EXIT_USAGE, "\"%s\": check needs one address, not a prefix", text);
	if (!r->any_port && r->port_lo != r->port_hi)
		return fail(VR_EXIT_USAGE, "\"%s\": check needs one port, not a range", text);
	if (r->any_port && (r->proto == VRNET_PROTO_TCP || r->proto == VRNET_PROTO_UDP))
		return fail(VR_EXIT_USAGE, "\"%s\": %s needs a port", text,
			    vr_proto_name(r->proto));
	if (r->proto == VRNET_PROTO_ANY)
		r->proto = r->any_port ? VRNET_PROTO_ICMP : VRNET_PROTO_TCP;
	return 0;
}

int do_check(int argc, char **argv)
{
	struct vr_addr addrs[VR_MAX_ADDRS_PER_NAME];
	struct vr_device_policy dp = { 0 };
	json_t *results = json_array();
	struct vr_state st;
	struct vr_rule dest;
	bool all_allow = true;
	int ifindex, ret, n = 1;

	if ((ret = device_index(argv[0], &ifindex)) || (ret = parse_destination(argv[1], &dest)))
		goto out;
	if (dest.kind == VRNET_RULE_DOMAIN) {
		n = vr_resolve(&opt.resolver, dest.name, addrs, VR_MAX_ADDRS_PER_NAME, errbuf,
			       sizeof(errbuf));
		if (n < 0) {
			ret = fail(VR_EXIT_USAGE, "%s: %s", dest.name, errbuf);
			goto out;
		}
	} else {
		addrs[0].family = dest.family;
		memcpy(addrs[0].addr, dest.addr, 16);
	}
	ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_READ, errbuf, sizeof(errbuf));
	if (ret) {
		ret = fail(open_exit(ret), "%s", errbuf);
		goto out;
	}
	if ((ret = require_attached(&st, ifindex, argv[0])))
		goto close;
	if ((ret = vr_device_policy_read(&st, ifindex, &dp))) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't read the policy of %s: %s", argv[0],
			   strerror(-ret));
		goto close;
	}
	for (int i = 0; i < n; i++) {
		struct vr_probe probe = { .dst = addrs[i], .proto = dest.proto,
					  .port = dest.port_lo };
		char addr[64], rule[VR_RULE_TEXT_MAX + 80] = "";
		uint8_t frame[128];
		size_t len = vr_probe_frame(&probe, frame, sizeof(frame));
		struct vr_verdict v;
		json_t *r;

		ret = vr_probe_run(st.prog_fd, ifindex, frame, len, 0, &v);
		if (ret) {
			ret = fail(VR_EXIT_SYSTEM, "couldn't run the program: %s", strerror(-ret));
			goto close;
		}
		/* the verdict is enforce mode's: audit mode passes what it would drop */
		all_allow &= v.enforce_allow;
		vr_addr_format(probe.dst.family, probe.dst.addr, probe.dst.family == 4 ? 32 : 128,
			       addr, sizeof(addr));
		r = json_pack("{s:s,s:s,s:s,s:s,s:b}", "address", addr, "protocol",
			      vr_proto_name(probe.proto), "verdict",
			      v.enforce_allow ? "allow" : "deny", "reason", vr_reason_key(v.reason),
			      "audit_passes", v.allow != v.enforce_allow);
		if (probe.proto != VRNET_PROTO_ICMP)
			json_object_set_new(r, "port", json_integer(probe.port));
		if (v.reason == VRNET_REASON_ALLOW_RULE || v.reason == VRNET_REASON_BLOCK_RULE) {
			vr_rule_record_text(&dp, v.rule_id, rule, sizeof(rule));
			json_object_set_new(r, "rule_id", json_integer(v.rule_id));
			json_object_set_new(r, "rule", json_string(rule));
		}
		json_array_append_new(results, r);
		if (opt.json)
			continue;
		if (probe.proto == VRNET_PROTO_ICMP)
			printf("%-5s %s icmp: %s", v.enforce_allow ? "allow" : "deny", addr,
			       vr_reason_text(v.reason));
		else
			printf("%-5s %s%s%s:%u/%s: %s", v.enforce_allow ? "allow" : "deny",
			       probe.dst.family == 6 ? "[" : "", addr,
			       probe.dst.family == 6 ? "]" : "", probe.port,
			       vr_proto_name(probe.proto), vr_reason_text(v.reason));
		printf("%s%s%s\n", *rule ? " " : "", rule,
		       v.allow != v.enforce_allow ? " (audit mode: passed and logged)" : "");
	}
	if (opt.json)
		vr_json_print(json_pack("{s:s,s:s,s:s,s:O}", "device", argv[0], "destination",
					argv[1], "verdict", all_allow ? "allow" : "deny",
					"results", results),
			      opt.pretty);
close:
	vr_device_policy_free(&dp);
	vr_state_close(&st);
out:
	json_decref(results);
	if (ret)
		return ret;
	return all_allow ? VR_EXIT_OK : VR_EXIT_DENY;
}
