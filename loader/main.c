// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * vrnet-bpf: host-side egress firewall for sandboxes. A table of commands,
 * each with its own options; global options (-j, -p, -v, --pin-dir,
 * --resolver) may stand anywhere.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "events.h"
#include "kernel.h"
#include "log.h"
#include "metrics.h"
#include "output.h"
#include "probe.h"
#include "program.h"
#include "resolve.h"
#include "state.h"
#include "filter.h"
#include "netns.h"
#include "tc.h"
#include "upgrade.h"

#define VRNET_VERSION "0.1.0"

enum {
	OPT_POLICY = 1 << 0,
	OPT_FORCE = 1 << 1,
	OPT_SINCE = 1 << 2,
	OPT_COUNT = 1 << 3,
	OPT_SUMMARY = 1 << 4,
	OPT_CHECK = 1 << 5,
	OPT_RULES = 1 << 6,
};

static struct {
	const char *pin_dir;
	bool json, pretty, verbose;
	const char *policy;
	bool force, check, rules;
	struct vr_resolver resolver;
	const char *since;
	const char *count;
	const char *summary;
	const char *wait;
	const char *netns;
} opt = { .pin_dir = VR_DEFAULT_PIN_DIR };

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int min_args, max_args; /* positional arguments; -1: no upper bound */
	unsigned int options;	 /* OPT_* the command takes */
	const char *usage;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);

/* ---- shared steps ---- */

static char errbuf[1024];

static int fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vr_err("%s", msg);
	return code;
}

/* An errno from the library as an exit code: -EINVAL is bad input, the rest the system's. */
static int exit_of(int ret)
{
	return ret == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_SYSTEM;
}

/* Why the state could not be opened: nothing there, busy, or broken. */
static int open_exit(int ret)
{
	return ret == -ENOENT || ret == -EXDEV ? VR_EXIT_USAGE :
	       ret == -EWOULDBLOCK		 ? VR_EXIT_BUSY :
						   VR_EXIT_SYSTEM;
}

static int device_index(const char *name, int *ifindex)
{
	if (strlen(name) >= IF_NAMESIZE)
		return fail(VR_EXIT_USAGE, "device name \"%s\" is too long", name);
	*ifindex = (int)if_nametoindex(name);
	if (!*ifindex)
		return fail(VR_EXIT_USAGE, "no such device: %s", name);
	return 0;
}

/*
 * The program parses Ethernet frames: on a layer-3 device (tun, wireguard,
 * ip tunnels) the packet starts at its IP header and would be misread.
 */
static int require_ethernet(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), type = -1;

	/* an ioctl, not /sys: /sys shows the namespace it was mounted from, not -n's */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd >= 0 && !ioctl(fd, SIOCGIFHWADDR, &ifr))
		type = ifr.ifr_hwaddr.sa_family;
	if (fd >= 0)
		close(fd);
	if (type != ARPHRD_ETHER) /* tap, veth, macvtap */
		return fail(VR_EXIT_USAGE,
			    "%s is not an Ethernet device (link type %d): vrnet-bpf filters tap and veth devices",
			    name, type);
	return 0;
}

static int open_state(struct vr_state *st, enum vr_open_mode mode)
{
	int ret = vr_state_open(st, opt.pin_dir, mode, errbuf, sizeof(errbuf));

	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	vr_program_warn_other_build(st);
	if (mode == VR_OPEN_CHANGE) {
		size_t unreachable;

		ret = vr_gc(st, false, &unreachable);
		if (ret < 0)
			vr_warn("couldn't reclaim the state of deleted devices: %s", strerror(-ret));
	}
	return 0;
}

/* The device has our entry and this namespace's program on its hook. */
static bool is_attached(struct vr_state *st, int ifindex)
{
	struct vr_device dev;

	return st->prog_fd >= 0 && !vr_device_get(st, ifindex, &dev) &&
	       vr_hook_is_attached(ifindex, st->prog_id) == 1;
}

static int require_attached(struct vr_state *st, int ifindex, const char *name)
{
	struct vr_device dev;

	if (is_attached(st, ifindex))
		return 0;
	if (!vr_device_get(st, ifindex, &dev) && !strcmp(dev.ifname, name))
		return fail(VR_EXIT_USAGE,
			    "%s is not attached: it has vrnet-bpf state but no filter (its clsact qdisc removed, or the device made anew?), so nothing filters it; vrnet-bpf attach %s filters it again, deny-all",
			    name, name);
	return fail(VR_EXIT_USAGE, "%s is not attached (vrnet-bpf attach %s)", name, name);
}

/*
 * Resolution for edits: names the policy already has keep the addresses they
 * resolved to; only new names are looked up. `refresh` looks all up again.
 */
struct cached_resolver {
	const struct vr_device_policy *dp;
	struct vr_prepared_names *prepared; /* the new names, looked up before the lock */
};

static int resolve_cached(void *ctx, const char *name, struct vr_addr *out, int max,
			  char *err, size_t errlen)
{
	struct cached_resolver *c = ctx;
	int n = vr_device_policy_addresses(c->dp, name, out, max);

	return n != -ENOENT ? n : vr_resolve_prepared(c->prepared, name, out, max, err, errlen);
}

/* Names are looked up before the lock: a slow resolver holds no one else up. */
static int prepare_policy_names(struct vr_prepared_names *names, const struct vr_policy *p)
{
	if (vr_prepared_add_policy(names, p))
		return fail(VR_EXIT_SYSTEM, "out of memory");
	vr_prepared_lookup(names, &opt.resolver);
	return 0;
}

/*
 * Everything an apply does before it touches the kernel, with no lock held:
 * the names looked up (a slow resolver holds no one up) and the policy
 * compiled (100,000 rules take a while). Under the lock only the install
 * and the switch remain.
 */
static int prepare_policy(struct vr_prepared_names *names, const struct vr_policy *p,
			  struct vr_compiled *c)
{
	int ret = prepare_policy_names(names, p);

	if (!ret && (ret = vr_compile(p, vr_resolve_prepared, names, c, errbuf, sizeof(errbuf))))
		ret = fail(ret == -ENOMEM ? VR_EXIT_SYSTEM : VR_EXIT_USAGE, "%s: %s",
			   opt.policy ? opt.policy : "policy", errbuf);
	return ret;
}

static int apply_compiled(struct vr_state *st, int ifindex, const char *name,
			  const struct vr_policy *p, const struct vr_compiled *c)
{
	int ret = vr_apply_compiled(st, ifindex, name, p, c, errbuf, sizeof(errbuf));

	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	return 0;
}

static int apply_policy(struct vr_state *st, int ifindex, const char *name,
			const struct vr_policy *p, vr_resolve_fn resolve, void *ctx)
{
	int ret = vr_apply(st, ifindex, name, p, resolve, ctx, errbuf, sizeof(errbuf));

	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	return 0;
}

static int read_policy_arg(struct vr_policy *p)
{
	if (vr_policy_read_file(opt.policy, p, errbuf, sizeof(errbuf)))
		return fail(VR_EXIT_USAGE, "%s", errbuf);
	return 0;
}

/* What a change left in force: from the device entry alone, so it costs nothing. */
static void print_device(struct vr_state *st, int ifindex, const char *verb)
{
	struct vr_device_policy dp = { 0 };

	if (vr_device_get(st, ifindex, &dp.dev))
		return;
	dp.count = dp.dev.rule_count + (dp.dev.overlay_id ? dp.dev.overlay_rule_count : 0);
	if (opt.json) {
		json_t *obj = vr_device_json(st, &dp, NULL);

		json_object_set_new(obj, "result", json_string(verb));
		vr_json_print(obj, opt.pretty);
	} else {
		printf("%s %s: internet %s, default %s, %u rules, policy %u\n", verb,
		       dp.dev.ifname, vr_internet_name(dp.dev.internet),
		       dp.dev.default_action == VRNET_ACTION_ALLOW ? "allow" : "deny",
		       dp.dev.source_rules + (dp.dev.overlay_id ? dp.dev.overlay_source_rules : 0),
		       dp.dev.policy_id);
	}
}

/* ---- commands ---- */

static int do_attach(int argc, char **argv)
{
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	struct vr_policy p;
	struct vr_state st;
	struct vr_device dev;
	bool created = false, tcx = false;
	char link[4200];
	int ifindex, ret;
	__u32 slot;

	if ((ret = device_index(argv[0], &ifindex)) || (ret = require_ethernet(argv[0])))
		return ret;
	if (vr_is_default_route_dev(ifindex) && !opt.force)
		return fail(VR_EXIT_USAGE,
			    "%s carries the host's default route; attaching would filter the host itself (use --force)",
			    argv[0]);
	vr_policy_init(&p); /* no policy: deny-all */
	if (opt.policy && (ret = read_policy_arg(&p)))
		return ret;
	if ((ret = prepare_policy(&names, &p, &c)) || (ret = open_state(&st, VR_OPEN_CHANGE)))
		goto out;

	if (is_attached(&st, ifindex)) {
		if (opt.policy)
			ret = apply_compiled(&st, ifindex, argv[0], &p, &c);
		if (!ret)
			print_device(&st, ifindex, "attached");
		goto close;
	}
	/* State left by a device that had this ifindex before is never inherited. */
	if (!vr_device_get(&st, ifindex, &dev) && (ret = vr_device_forget(&st, ifindex))) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't discard stale state under ifindex %d: %s",
			   ifindex, strerror(-ret));
		goto close;
	}

	if (st.prog_fd < 0 && (ret = vr_state_load_program(&st, errbuf, sizeof(errbuf)))) {
		ret = fail(open_exit(ret), "%s", errbuf);
		goto close;
	}
	/* The policy is in the maps before the program can see a packet. */
	ret = apply_compiled(&st, ifindex, argv[0], &p, &c);
	if (ret)
		goto close;
	if (!(ret = vr_state_link_path(&st, st.netns_cookie, ifindex, link, sizeof(link))))
		ret = vr_hook_attach(ifindex, st.prog_fd, link, &tcx, &created);
	if (ret) {
		vr_device_forget(&st, ifindex);
		ret = fail(VR_EXIT_SYSTEM, "couldn't attach to %s: %s", argv[0], strerror(-ret));
		goto close;
	}
	if (!vr_device_find(&st, ifindex, &slot))
		vr_device_set_hook(&st, slot, tcx, created);
	print_device(&st, ifindex, "attached");
close:
	vr_state_close(&st);
out:
	vr_compiled_free(&c);
	vr_prepared_names_free(&names);
	vr_policy_free(&p);
	return ret;
}

/* apply --check: everything an apply does before it touches the kernel. */
static int check_policy(struct vr_policy *p)
{
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	int ret = prepare_policy(&names, p, &c);

	if (!ret && opt.json)
		vr_json_print(json_pack("{s:s,s:b,s:I,s:I,s:I,s:I}", "policy", opt.policy, "valid",
					1, "rules", (json_int_t)vr_policy_rule_count(p), "records",
					(json_int_t)c.rule_count, "prefixes",
					(json_int_t)c.prefix_count, "portsets",
					(json_int_t)c.portset_count),
			      opt.pretty);
	else if (!ret)
		printf("%s: valid: %zu rules, %zu records, %zu prefixes, %zu portsets\n", opt.policy,
		       vr_policy_rule_count(p), c.rule_count, c.prefix_count, c.portset_count);
	vr_compiled_free(&c);
	vr_prepared_names_free(&names);
	return ret;
}

static int do_apply(int argc, char **argv)
{
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	struct vr_policy p;
	struct vr_state st;
	int ifindex, ret;

	if (!opt.policy)
		return fail(VR_EXIT_USAGE, "apply needs --policy FILE (or - for standard input)");
	if (opt.check) {
		if ((ret = read_policy_arg(&p)))
			return ret;
		ret = check_policy(&p);
		vr_policy_free(&p);
		return ret;
	}
	if (argc != 1)
		return fail(VR_EXIT_USAGE, "apply needs a device (or --check)");
	if ((ret = device_index(argv[0], &ifindex)) || (ret = read_policy_arg(&p)))
		return ret;
	if (!(ret = prepare_policy(&names, &p, &c)) && !(ret = open_state(&st, VR_OPEN_CHANGE))) {
		ret = require_attached(&st, ifindex, argv[0]);
		if (!ret)
			ret = apply_compiled(&st, ifindex, argv[0], &p, &c);
		if (!ret)
			print_device(&st, ifindex, "applied");
		vr_state_close(&st);
	}
	vr_compiled_free(&c);
	vr_prepared_names_free(&names);
	vr_policy_free(&p);
	return ret;
}

/* allow, block, unallow, unblock: an edit of the current policy, applied whole. */
static int edit_rules(int argc, char **argv, int list, bool add)
{
	struct vr_rule *rules = calloc((size_t)argc, sizeof(*rules));
	struct vr_prepared_names names = { 0 };
	struct cached_resolver cache = { .prepared = &names };
	struct vr_device_policy dp;
	struct vr_policy p;
	struct vr_state st;
	int ifindex, ret;

	if (!rules)
		return fail(VR_EXIT_SYSTEM, "out of memory");
	if ((ret = device_index(argv[0], &ifindex)))
		goto out;
	for (int i = 1; i < argc; i++) {
		char why[256];

		if (vr_rule_parse(argv[i], &rules[i], why, sizeof(why))) {
			ret = fail(VR_EXIT_USAGE, "\"%s\": %s", argv[i], why);
			goto out;
		}
	}
	if (add && vr_prepared_add(&names, rules + 1, (size_t)argc - 1)) {
		ret = fail(VR_EXIT_SYSTEM, "out of memory");
		goto out;
	}
	vr_prepared_lookup(&names, &opt.resolver);
	if ((ret = open_state(&st, VR_OPEN_CHANGE)))
		goto out;
	if ((ret = require_attached(&st, ifindex, argv[0])))
		goto close;
	/* Additions go into the device's overlay without touching its base policy. */
	if (add) {
		ret = vr_edit_add(&st, ifindex, list, rules + 1, (size_t)argc - 1,
				  vr_resolve_prepared, &names, errbuf, sizeof(errbuf));
		if (!ret) {
			print_device(&st, ifindex, "applied");
			goto close;
		}
		if (ret != -EAGAIN) {
			ret = fail(ret == -E2BIG ? VR_EXIT_USAGE : exit_of(ret), "%s: %s", argv[0],
				   ret == -E2BIG ? "too many rules" : errbuf);
			goto close;
		}
		/* the overlay is full: apply everything as a new base policy */
	}
	if ((ret = vr_device_policy_read(&st, ifindex, &dp))) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't read the policy of %s: %s", argv[0],
			   strerror(-ret));
		goto close;
	}
	cache.dp = &dp;
	ret = vr_device_policy_to_policy(&dp, &p);
	for (int i = 1; !ret && i < argc; i++) {
		ret = add ? vr_policy_add(&p, list, &rules[i]) :
			    vr_policy_remove(&p, list, &rules[i]);
		if (ret == -ENOENT)
			ret = fail(VR_EXIT_USAGE, "\"%s\" is not in the %s list of %s", argv[i],
				   list == VRNET_LIST_ALLOW ? "allow" : "block", argv[0]);
		else if (ret == -E2BIG)
			ret = fail(VR_EXIT_USAGE, "more than %d rules (the limit of one policy)",
				   VRNET_MAX_POLICY_RULES);
		else if (ret)
			ret = fail(VR_EXIT_SYSTEM, "out of memory");
	}
	if (!ret)
		ret = apply_policy(&st, ifindex, argv[0], &p, resolve_cached, &cache);
	if (!ret)
		print_device(&st, ifindex, "applied");
	vr_policy_free(&p);
	vr_device_policy_free(&dp);
close:
	vr_state_close(&st);
out:
	vr_prepared_names_free(&names);
	free(rules);
	return ret;
}

static int do_allow(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_ALLOW, true);
}

static int do_block(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_BLOCK, true);
}

static int do_unallow(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_ALLOW, false);
}

static int do_unblock(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_BLOCK, false);
}

static int do_internet(int argc, char **argv)
{
	struct vr_state st;
	int ifindex, ret, setting;

	if (!strcmp(argv[1], "on"))
		setting = VRNET_INTERNET_ON;
	else if (!strcmp(argv[1], "off"))
		setting = VRNET_INTERNET_OFF;
	else if (!strcmp(argv[1], "policy"))
		setting = VRNET_INTERNET_POLICY;
	else
		return fail(VR_EXIT_USAGE, "internet takes on, off or policy, not \"%s\"", argv[1]);
	if ((ret = device_index(argv[0], &ifindex)) || (ret = open_state(&st, VR_OPEN_CHANGE)))
		return ret;
	ret = require_attached(&st, ifindex, argv[0]);
	if (!ret && (ret = vr_set_internet(&st, ifindex, setting)))
		ret = fail(VR_EXIT_SYSTEM, "couldn't update %s: %s", argv[0], strerror(-ret));
	if (!ret)
		print_device(&st, ifindex, "internet");
	vr_state_close(&st);
	return ret;
}

static int do_detach(int argc, char **argv)
{
	char link[4200];
	struct vr_device dev;
	struct vr_state st;
	int ifindex, ret;
	bool has_entry, has_filter;

	if ((ret = device_index(argv[0], &ifindex)) || (ret = open_state(&st, VR_OPEN_CHANGE)))
		return ret;
	has_entry = !vr_device_get(&st, ifindex, &dev);
	has_filter = st.prog_fd >= 0 && vr_hook_is_attached(ifindex, st.prog_id) == 1;
	if (!has_filter && !has_entry) {
		ret = fail(VR_EXIT_USAGE, "%s is not attached", argv[0]);
		goto out;
	}
	/*
	 * Only our own program comes off, and the qdisc only if we created it on
	 * this device: an entry without our filter is state left by an earlier
	 * device with this ifindex, and says nothing about this one's qdisc.
	 */
	if (has_entry && (ret = vr_device_detaching(&st, ifindex))) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't begin to detach %s: %s", argv[0],
			   strerror(-ret));
		goto out;
	}
	if (has_filter) {
		ret = vr_state_link_path(&st, st.netns_cookie, ifindex, link, sizeof(link));
		if (!ret)
			ret = vr_hook_detach(ifindex, link, has_entry && dev.created_qdisc);
		if (ret) {
			ret = fail(VR_EXIT_SYSTEM, "couldn't detach from %s: %s", argv[0],
				   strerror(-ret));
			goto out;
		}
	}
	if (has_entry && (ret = vr_device_forget(&st, ifindex)) && ret != -ENOENT) {
		ret = fail(VR_EXIT_SYSTEM, "couldn't remove the state of %s: %s", argv[0],
			   strerror(-ret));
		goto out;
	}
	ret = 0;
	vr_state_prune_programs(&st);
	if (!has_filter)
		vr_warn("%s was not attached: removed state left by an earlier device", argv[0]);
	if (opt.json)
		vr_json_print(json_pack("{s:s,s:i,s:s}", "device", argv[0], "ifindex", ifindex,
					"result", "detached"),
			      opt.pretty);
	else
		printf("detached %s\n", argv[0]);
out:
	vr_state_close(&st);
	return ret;
}

/*
 * Devices with state that still exist under the name they were attached
 * with, or still carry our filter (renamed, maybe), or whose namespace cannot
 * be entered to tell: for show, list, status, metrics, log and refresh, as
 * slots. Their filter may be gone (someone removed the clsact qdisc): @seen
 * tells, when asked for.
 */
static int live_devices(struct vr_state *st, __u32 **list, size_t *n)
{
	size_t kept = 0;
	int ret = vr_device_slots(st, list, n);

	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't list devices: %s", strerror(-ret));
	for (size_t i = 0; i < *n; i++) {
		struct vr_device dev;
		struct vr_device_seen seen;

		if (vr_device_get_slot(st, (*list)[i], &dev))
			continue;
		vr_device_look(st, &dev, &seen);
		if (!seen.reachable || seen.same_name || seen.filtered)
			(*list)[kept++] = (*list)[i];
	}
	*n = kept;
	return 0;
}

static const char *filter_state(const struct vr_device_seen *seen)
{
	return !seen->reachable ? "unreachable" : seen->filtered ? "attached" : "missing";
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
	if (argc) {
		list = malloc(sizeof(*list));
		n = 1;
		if (!list) {
			ret = fail(VR_EXIT_SYSTEM, "out of memory");
			goto close;
		}
		if ((ret = require_attached(&st, one, argv[0])) ||
		    (ret = vr_device_find(&st, one, &list[0])))
			goto close;
	} else if ((ret = live_devices(&st, &list, &n))) {
		goto close;
	}
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
static int do_status(int argc, char **argv)
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
		missing += vr_filter_missing(&seen);
		if (opt.json)
			json_array_append_new(arr, json_pack("{s:s,s:i,s:s,s:s}", "device",
							     dev.ifname, "ifindex", dev.ifindex,
							     "netns", *netns ? netns : "",
							     "filter", filter_state(&seen)));
		else if (vr_filter_missing(&seen))
			printf("%s%s: FILTER MISSING: nothing filters it (was its clsact qdisc removed?); vrnet-bpf%s%s attach %s restores it, deny-all\n",
			       dev.ifname, where, *netns ? " -n " : "", netns, dev.ifname);
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

static int do_show(int argc, char **argv)
{
	return show_devices(argc, argv, true);
}

static int do_list(int argc, char **argv)
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

static int do_check(int argc, char **argv)
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

		ret = vr_probe_run(st.prog_fd, ifindex, frame, len, &v);
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

/*
 * refresh looks names up with no lock held: it adds the names of the devices'
 * domain rules to @names under the shared lock; the caller looks them up
 * unlocked and applies under the exclusive lock with those answers. A name an
 * edit added in between is looked up there and then.
 */
static int add_refresh_names(const int *one, struct vr_prepared_names *names)
{
	struct vr_state st;
	__u32 *list = NULL;
	size_t n = 0;
	int ret;

	if ((ret = open_state(&st, VR_OPEN_READ)))
		return ret;
	if (one) {
		list = malloc(sizeof(*list));
		n = list && !vr_device_find(&st, *one, list);
	} else {
		ret = live_devices(&st, &list, &n);
	}
	for (size_t i = 0; !ret && i < n; i++) {
		struct vr_device_policy dp;
		struct vr_policy p;

		if (vr_device_policy_read_slot(&st, list[i], &dp))
			continue;
		if (!vr_device_policy_to_policy(&dp, &p)) {
			if (vr_prepared_add_policy(names, &p))
				ret = fail(VR_EXIT_SYSTEM, "out of memory");
			vr_policy_free(&p);
		}
		vr_device_policy_free(&dp);
	}
	free(list);
	vr_state_close(&st);
	return ret;
}

static int resolve_refresh(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			   size_t errlen)
{
	int n = vr_resolve_prepared(ctx, name, out, max, err, errlen);

	return n != -ENOENT ? n : vr_resolve(&opt.resolver, name, out, max, err, errlen);
}

/*
 * Runs a change on @dev from inside its network namespace (where its host
 * addresses are), as if the command had been started there.
 */
static int enter_device_netns(struct vr_state *st, const struct vr_device *dev, int *home)
{
	*home = -1;
	if (dev->netns_cookie == st->netns_cookie)
		return 0;
	if (vr_netns_enter(dev->netns_cookie, dev->netns_inode, home))
		return -ENOENT;
	st->netns_cookie = dev->netns_cookie;
	st->netns_inode = dev->netns_inode;
	return 0;
}

static void leave_device_netns(struct vr_state *st, int home)
{
	if (home < 0)
		return;
	vr_netns_return(home);
	vr_netns_self(&st->netns_cookie, &st->netns_inode);
}

/* Refreshes one device: its domain rules looked up again, its host addresses recorded. */
static int refresh_device(struct vr_state *st, const struct vr_device_policy *dp,
			  struct vr_prepared_names *names, bool *has_domain)
{
	struct vr_policy p;
	int ret = 0;

	*has_domain = false;
	for (uint32_t k = 0; k < dp->count; k++)
		*has_domain |= dp->rules[k].kind == VRNET_RULE_DOMAIN;
	/* an apply records the host's addresses itself */
	if (!*has_domain && vr_host_addrs_sync(st, dp->dev.ifindex))
		vr_warn("couldn't record the host's IPv6 addresses on %s", dp->dev.ifname);
	if (*has_domain && !vr_device_policy_to_policy(dp, &p)) {
		ret = apply_policy(st, dp->dev.ifindex, dp->dev.ifname, &p, resolve_refresh, names);
		vr_policy_free(&p);
	}
	return ret;
}

static int do_refresh(int argc, char **argv)
{
	struct vr_prepared_names names = { 0 };
	json_t *arr = json_array();
	struct vr_state st;
	__u32 *list = NULL;
	int one, ret, worst = 0;
	size_t n = 0;

	if (argc && (ret = device_index(argv[0], &one)))
		goto out;
	if ((ret = add_refresh_names(argc ? &one : NULL, &names)))
		goto out;
	vr_prepared_lookup(&names, &opt.resolver);
	if ((ret = open_state(&st, VR_OPEN_CHANGE)))
		goto out;
	if (argc) {
		list = malloc(sizeof(*list));
		n = 1;
		if (!list) {
			ret = fail(VR_EXIT_SYSTEM, "out of memory");
			goto close;
		}
		if ((ret = require_attached(&st, one, argv[0])) ||
		    (ret = vr_device_find(&st, one, &list[0])))
			goto close;
	} else if ((ret = live_devices(&st, &list, &n))) {
		goto close;
	}
	for (size_t i = 0; i < n; i++) {
		struct vr_device_policy dp;
		bool has_domain = false;
		int home;

		if (vr_device_policy_read_slot(&st, list[i], &dp))
			continue;
		ret = enter_device_netns(&st, &dp.dev, &home);
		if (ret)
			vr_warn("%s: its network namespace is not found", dp.dev.ifname);
		else
			ret = refresh_device(&st, &dp, &names, &has_domain);
		leave_device_netns(&st, home);
		/* a failure keeps the device's current policy: report, go on */
		if (ret > worst || ret < 0)
			worst = ret < 0 ? VR_EXIT_SYSTEM : ret;
		if (opt.json)
			json_array_append_new(arr, json_pack("{s:s,s:s}", "device", dp.dev.ifname,
							     "result",
							     ret	 ? "failed" :
							     !has_domain ? "no domain rules" :
									   "refreshed"));
		else
			printf("%s: %s\n", dp.dev.ifname,
			       ret ? "failed" : !has_domain ? "no domain rules" : "refreshed");
		vr_device_policy_free(&dp);
	}
	ret = worst;
	if (opt.json)
		vr_json_print(json_incref(arr), opt.pretty);
close:
	vr_state_close(&st);
out:
	vr_prepared_names_free(&names);
	free(list);
	json_decref(arr);
	return ret;
}

/* Parses DEV... (of this namespace) into slots; none named: every device of the host. */
static int devices_arg(struct vr_state *st, int argc, char **argv, __u32 **list, size_t *n)
{
	int ret, ifindex;

	if (!argc)
		return live_devices(st, list, n);
	*list = calloc((size_t)argc, sizeof(**list));
	if (!*list)
		return fail(VR_EXIT_SYSTEM, "out of memory");
	*n = (size_t)argc;
	for (int i = 0; i < argc; i++)
		if ((ret = device_index(argv[i], &ifindex)) ||
		    (ret = require_attached(st, ifindex, argv[i])) ||
		    (ret = vr_device_find(st, ifindex, &(*list)[i])))
			return ret;
	return 0;
}

static int parse_count(const char *text, const char *what, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (errno || end == text || *end || *out < 0 || *out > max)
		return fail(VR_EXIT_USAGE, "%s must be a number 0-%ld, not \"%s\"", what, max, text);
	return 0;
}

static int do_log(int argc, char **argv)
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

static int do_metrics(int argc, char **argv)
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

static int do_gc(int argc, char **argv)
{
	struct vr_state st;
	int ret = vr_state_open(&st, opt.pin_dir, VR_OPEN_CHANGE, errbuf, sizeof(errbuf));

	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	size_t swept = 0, unreachable = 0;

	ret = vr_gc(&st, opt.force, &unreachable);
	if (ret >= 0) {
		int sweep = vr_sweep(&st, &swept);

		ret = sweep ? sweep : ret;
	}
	if (ret >= 0)
		vr_state_prune_programs(&st);
	vr_state_close(&st);
	if (ret < 0)
		return fail(VR_EXIT_SYSTEM, "gc: %s", strerror(-ret));
	if (opt.json)
		vr_json_print(json_pack("{s:i,s:I,s:I}", "reclaimed_devices", ret, "removed_entries",
					(json_int_t)swept, "unreachable_devices",
					(json_int_t)unreachable),
			      opt.pretty);
	else
		printf("reclaimed the state of %d deleted device%s, removed %zu entries no policy uses\n",
		       ret, ret == 1 ? "" : "s", swept);
	if (unreachable && !opt.json)
		printf("kept %zu device%s whose network namespace was not found (gc --force forgets %s)\n",
		       unreachable, unreachable == 1 ? "" : "s", unreachable == 1 ? "it" : "them");
	return 0;
}

/*
 * The version, this binary's program build, and the programs running on this
 * host (those an upgrade would replace), when the pin directory can be read.
 */
static int do_version(int argc, char **argv)
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
						      json_pack("{s:s,s:i,s:s,s:b}", "netns", netns,
								"id", (int)info.id, "tag", info.tag,
								"current", info.current));
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
		printf("running in %s: program %lld, tag %s%s\n",
		       json_string_value(json_object_get(r, "netns")),
		       json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "tag")),
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

static int do_upgrade(int argc, char **argv)
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

static int do_features(int argc, char **argv)
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

static int do_help(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "attach", do_attach, 1, 1, OPT_POLICY | OPT_FORCE, "DEV [--policy FILE|-] [--force]",
	  "Load the program (once per host) and attach it to DEV's tc ingress hook, which\n"
	  "sees everything the sandbox sends. Without --policy, DEV is deny-all. Attaching\n"
	  "an attached device keeps its policy unless --policy is given. --force allows a\n"
	  "device that carries the host's default route." },
	{ "apply", do_apply, 0, 1, OPT_POLICY | OPT_CHECK, "DEV --policy FILE|- | --check --policy FILE|-",
	  "Replace DEV's policy atomically: packets see the old policy or the new one,\n"
	  "never a mix; on any error the old policy stays in force. With --check, only\n"
	  "validate the policy (parse, resolve its names, compile) and say what it\n"
	  "would install, touching no kernel state; DEV is not needed." },
	{ "allow", do_allow, 2, -1, 0, "DEV RULE...", "Add RULEs to DEV's allow list (atomically)." },
	{ "block", do_block, 2, -1, 0, "DEV RULE...", "Add RULEs to DEV's block list (atomically)." },
	{ "unallow", do_unallow, 2, -1, 0, "DEV RULE...",
	  "Remove RULEs from DEV's allow list (atomically)." },
	{ "unblock", do_unblock, 2, -1, 0, "DEV RULE...",
	  "Remove RULEs from DEV's block list (atomically)." },
	{ "internet", do_internet, 2, 2, 0, "DEV on|off|policy",
	  "off: drop every IP packet; on: pass every IP packet; policy: the rules decide.\n"
	  "on and off override the rules without changing them." },
	{ "detach", do_detach, 1, 1, 0, "DEV",
	  "Remove the program from DEV and all of DEV's state; DEV is unfiltered again." },
	{ "show", do_show, 0, 1, 0, "[DEV]",
	  "The effective policy of DEV (or of every device): rules, the addresses domain\n"
	  "rules resolved to, and counters of allowed and dropped packets and bytes." },
	{ "list", do_list, 0, 0, 0, "",
	  "One line per attached device; FILTER MISSING marks one whose filter is gone." },
	{ "status", do_status, 0, 0, 0, "",
	  "Check that every device with vrnet-bpf state still has its filter on its hook\n"
	  "(removing the clsact qdisc takes it away, and then nothing filters the\n"
	  "device). Exit 1 if a filter is missing, naming the device." },
	{ "check", do_check, 2, 2, 0, "DEV HOST[:PORT[/PROTO]]",
	  "Run a packet from DEV to HOST through the live program and maps. PORT without\n"
	  "PROTO means tcp; no PORT means an ICMP echo. Prints allow or deny and the rule\n"
	  "that decided. Exit 0 for allow, 1 for deny (every address of a domain must pass)." },
	{ "refresh", do_refresh, 0, 1, 0, "[DEV]",
	  "Resolve the domain rules of DEV (or of every device) again and apply the\n"
	  "result atomically. A name that no longer resolves keeps the old policy." },
	{ "log", do_log, 0, -1, OPT_SINCE | OPT_COUNT | OPT_SUMMARY,
	  "[DEV...] [--since WHEN] [--count N] [--summary-interval SECONDS]",
	  "Stream the events of blocked attempts (and audited or logged allowed ones) of\n"
	  "DEVs (default: all): one line each, or one JSON object per line with -j. The\n"
	  "rate limit's suppressed events are reported in the next event (\"suppressed\")\n"
	  "and every --summary-interval (default 10 s) while none comes. --since shows only\n"
	  "buffered events from then on (30s, 10m, 2h, 1d or YYYY-MM-DDTHH:MM:SS UTC).\n"
	  "--count stops after N events. Runs until SIGINT/SIGTERM. The ring buffer has\n"
	  "one reader: run one log at a time (the systemd unit, or by hand)." },
	{ "metrics", do_metrics, 0, -1, OPT_RULES, "[DEV...] [--rules]",
	  "Counters in the Prometheus text format (node_exporter textfile collector):\n"
	  "packets and bytes per verdict, suppressed and lost events; with --rules, hits\n"
	  "per rule too (one series per rule: a large policy makes many)." },
	{ "gc", do_gc, 0, 0, OPT_FORCE, "[--force]",
	  "Reclaim the state of devices that no longer exist (in any network namespace\n"
	  "it can enter), and remove map entries no policy owns. A device whose namespace\n"
	  "cannot be found is kept (something may hold the namespace open) unless --force." },
	{ "features", do_features, 0, 0, 0, "",
	  "Probe the running kernel for every BPF feature vrnet-bpf uses and say whether\n"
	  "it can run here (Linux " VR_KERNEL_FLOOR " or newer, nothing missing). Exit 0 if so,\n"
	  "3 if not, naming what is missing; attach refuses such a kernel the same way.\n"
	  "Needs root: probing loads programs." },
	{ "upgrade", do_upgrade, 0, 0, OPT_FORCE, "[--force]",
	  "Replace the running program of every network namespace with devices by this\n"
	  "binary's, on the same maps: one step per device (a tcx link update or a cls_bpf\n"
	  "replace), so no packet goes unfiltered and every policy, counter and event\n"
	  "stays. Namespaces already running this build are left alone unless --force." },
	{ "version", do_version, 0, 0, 0, "",
	  "Print the version, this binary's program build, and the programs running on\n"
	  "this host (with their tags; \"another build\" when upgrade would replace one)." },
	{ "help", do_help, 0, 1, 0, "[COMMAND]", "Help on all commands or on one." },
};

#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char global_help[] =
	"Global options:\n"
	"  -j, --json            JSON output (errors as {\"error\": ...})\n"
	"  -p, --pretty          pretty JSON (implies -j)\n"
	"  -v, --verbose         show libbpf's messages and debug output\n"
	"      --pin-dir DIR     bpffs directory of the program and maps (" VR_DEFAULT_PIN_DIR ")\n"
	"      --resolver ADDRS  DNS servers for domain rules, e.g. 192.0.2.53 or\n"
	"                        [2001:db8::53]:5353 (default: /etc/resolv.conf)\n"
	"  -w, --wait SECONDS    wait that long for a lock another command holds\n"
	"                        (default: exit 4 at once)\n"
	"  -n, --netns NS        DEV is in network namespace NS: a name of ip netns, a\n"
	"                        path (/proc/PID/ns/net) or a PID; the state stays in\n"
	"                        the host's pin directory\n"
	"  -h, --help            help; -V, --version: the version\n"
	"\n"
	"RULE is HOST[:PORTS[/PROTO]]: HOST an IPv4/IPv6 address or CIDR (IPv6 in\n"
	"brackets when a port follows) or a domain name; PORTS N, N-M or *; PROTO tcp,\n"
	"udp, icmp or any (default any).\n"
	"Exit codes: 0 success, 1 check said deny or status found a filter missing, 2 invalid usage or input,\n"
	"3 system or kernel failure, 4 another command holds the lock.\n";

static void usage(FILE *f)
{
	fprintf(f, "Usage: vrnet-bpf [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(f, "  %-9s %s\n", cmds[i].name, cmds[i].usage);
	fprintf(f, "\n%s\nvrnet-bpf help COMMAND shows what a command does.\n", global_help);
}

static void cmd_help(const struct cmd *c)
{
	printf("Usage: vrnet-bpf [OPTIONS] %s %s\n\n%s\n\n%s", c->name, c->usage, c->help,
	       global_help);
}

static int do_help(int argc, char **argv)
{
	const struct cmd *c;

	if (!argc) {
		usage(stdout);
		return 0;
	}
	c = find_cmd(argv[0]);
	if (!c)
		return fail(VR_EXIT_USAGE, "unknown command \"%s\"", argv[0]);
	cmd_help(c);
	return 0;
}

/* Exact name, or an unambiguous prefix (as bpftool does). */
static const struct cmd *find_cmd(const char *name)
{
	const struct cmd *found = NULL;

	for (size_t i = 0; i < N_CMDS; i++) {
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
		if (!strncmp(cmds[i].name, name, strlen(name))) {
			if (found)
				return NULL;
			found = &cmds[i];
		}
	}
	return found;
}

enum {
	LONG_PIN_DIR = 256,
	LONG_RESOLVER,
	LONG_POLICY,
	LONG_FORCE,
	LONG_CHECK,
	LONG_SINCE,
	LONG_COUNT,
	LONG_SUMMARY,
	LONG_RULES,
};

static const struct option long_opts[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "wait", required_argument, NULL, 'w' },
	{ "netns", required_argument, NULL, 'n' },
	{ "pin-dir", required_argument, NULL, LONG_PIN_DIR },
	{ "resolver", required_argument, NULL, LONG_RESOLVER },
	{ "policy", required_argument, NULL, LONG_POLICY },
	{ "force", no_argument, NULL, LONG_FORCE },
	{ "check", no_argument, NULL, LONG_CHECK },
	{ "since", required_argument, NULL, LONG_SINCE },
	{ "count", required_argument, NULL, LONG_COUNT },
	{ "summary-interval", required_argument, NULL, LONG_SUMMARY },
	{ "rules", no_argument, NULL, LONG_RULES },
	{ 0 },
};

/*
 * Parses every option wherever it stands and leaves the positional arguments
 * in order at the front of argv. Returns their count, or -1 on a bad option.
 */
static int parse_options(int argc, char **argv, bool *help, bool *version,
			 unsigned int *seen)
{
	int c, n = 0;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));

	if (!pos)
		return -1;
	opterr = 0;
	optind = 1;
	while (optind < argc) {
		c = getopt_long(argc, argv, "+:jpvhVw:n:", long_opts, NULL);
		if (c == -1 && !strcmp(argv[optind - 1], "--")) {
			/* "--" ends the options: all that follows is positional */
			while (optind < argc)
				pos[n++] = argv[optind++];
			break;
		}
		if (c == -1) {
			pos[n++] = argv[optind++];
			continue;
		}
		switch (c) {
		case 'j':
			opt.json = true;
			break;
		case 'p':
			opt.json = opt.pretty = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			*help = true;
			break;
		case 'V':
			*version = true;
			break;
		case 'w':
			opt.wait = optarg;
			break;
		case 'n':
			opt.netns = optarg;
			break;
		case LONG_PIN_DIR:
			opt.pin_dir = optarg;
			break;
		case LONG_RESOLVER:
			opt.resolver.servers = optarg;
			break;
		case LONG_POLICY:
			opt.policy = optarg;
			*seen |= OPT_POLICY;
			break;
		case LONG_FORCE:
			opt.force = true;
			*seen |= OPT_FORCE;
			break;
		case LONG_CHECK:
			opt.check = true;
			*seen |= OPT_CHECK;
			break;
		case LONG_SINCE:
			opt.since = optarg;
			*seen |= OPT_SINCE;
			break;
		case LONG_COUNT:
			opt.count = optarg;
			*seen |= OPT_COUNT;
			break;
		case LONG_SUMMARY:
			opt.summary = optarg;
			*seen |= OPT_SUMMARY;
			break;
		case LONG_RULES:
			opt.rules = true;
			*seen |= OPT_RULES;
			break;
		case ':':
			vr_log_setup(opt.json, opt.verbose);
			vr_err("option %s needs an argument", argv[optind - 1]);
			free(pos);
			return -1;
		default:
			vr_log_setup(opt.json, opt.verbose);
			if (optopt && optopt < 128 && isprint(optopt))
				vr_err("unknown option -%c", optopt);
			else
				vr_err("unknown option %s", argv[optind - 1]);
			free(pos);
			return -1;
		}
	}
	memcpy(argv + 1, pos, (size_t)n * sizeof(*pos));
	free(pos);
	return n;
}

static const char *option_name(unsigned int bits)
{
	return bits & OPT_POLICY  ? "--policy" :
	       bits & OPT_FORCE	  ? "--force" :
	       bits & OPT_CHECK	  ? "--check" :
	       bits & OPT_SINCE	  ? "--since" :
	       bits & OPT_COUNT	  ? "--count" :
	       bits & OPT_RULES	  ? "--rules" :
				    "--summary-interval";
}

int main(int argc, char **argv)
{
	bool help = false, version = false;
	unsigned int seen = 0;
	const struct cmd *c;
	int nargs;

	nargs = parse_options(argc, argv, &help, &version, &seen);
	if (nargs < 0)
		return VR_EXIT_USAGE;
	vr_log_setup(opt.json, opt.verbose);
	if (opt.pin_dir[0] != '/')
		return fail(VR_EXIT_USAGE, "--pin-dir must be an absolute path, not \"%s\"",
			    opt.pin_dir);
	if (opt.wait) {
		long seconds;
		int ret = parse_count(opt.wait, "-w", 3600, &seconds);

		if (ret)
			return ret;
		vr_state_lock_wait((int)seconds * 1000);
	} else {
		vr_state_lock_wait(0);
	}
	if (opt.netns) {
		int ret = vr_netns_join(opt.netns, errbuf, sizeof(errbuf));

		if (ret)
			return fail(exit_of(ret), "%s", errbuf);
	}
	if (version)
		return do_version(0, NULL);
	if (!nargs) {
		if (help) {
			usage(stdout);
			return VR_EXIT_OK;
		}
		usage(stderr);
		return VR_EXIT_USAGE;
	}
	c = find_cmd(argv[1]);
	if (!c)
		return fail(VR_EXIT_USAGE, "unknown or ambiguous command \"%s\" (vrnet-bpf help)",
			    argv[1]);
	if (help) {
		cmd_help(c);
		return VR_EXIT_OK;
	}
	if (seen & ~c->options)
		return fail(VR_EXIT_USAGE, "%s does not take %s (vrnet-bpf help %s)", c->name,
			    option_name(seen & ~c->options), c->name);
	nargs--;
	if (nargs < c->min_args || (c->max_args >= 0 && nargs > c->max_args))
		return fail(VR_EXIT_USAGE, "usage: vrnet-bpf %s %s", c->name, c->usage);
	return c->fn(nargs, argv + 2);
}
