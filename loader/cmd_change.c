// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Commands that change a device: attach, apply, edits, internet, detach, refresh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binding.h"
#include "cli.h"
#include "dns_device.h"
#include "dns_listen.h"
#include "log.h"
#include "netns.h"
#include "output.h"
#include "program.h"
#include "tc.h"
#include "xdp.h"

/* Names are looked up before the lock: a slow resolver holds no one else up. */
static int prepare_policy_names(struct vr_prepared_names *names, const struct vr_policy *p)
{
	if (p->dns_proxy)
		return 0; /* the proxy opens names' addresses as sandboxes look them up */
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
int prepare_policy(struct vr_prepared_names *names, const struct vr_policy *p,
		   const char *source, struct vr_compiled *c)
{
	int ret = prepare_policy_names(names, p);

	if (!ret && (ret = vr_compile(p, vr_resolve_prepared, names, c, errbuf, sizeof(errbuf))))
		ret = fail(ret == -ENOMEM ? VR_EXIT_SYSTEM : VR_EXIT_USAGE, "%s: %s", source,
			   errbuf);
	return ret;
}

/*
 * A policy that sends DNS to the proxy needs this namespace's end of it
 * before, and the proxy running: without it, the device gets no answers.
 */
static int ensure_dns(struct vr_state *st, bool dns_proxy, const char *name)
{
	if (!dns_proxy)
		return 0;
	if (vr_dns_device_ensure(st, errbuf, sizeof(errbuf)))
		return fail(VR_EXIT_SYSTEM, "%s: %s", name, errbuf);
	if (!vr_dns_proxy_running(st))
		vr_warn("%s: its policy sends DNS to the proxy, and no `vrnet-bpf dns` serves %s: "
			"its lookups go unanswered until one does",
			name, st->pin_dir);
	return 0;
}

static int apply_compiled(struct vr_state *st, int ifindex, const char *name,
			  const struct vr_policy *p, const struct vr_compiled *c)
{
	int ret = ensure_dns(st, p->dns_proxy, name);

	if (ret)
		return ret;
	ret = vr_apply_compiled(st, ifindex, name, p, c, errbuf, sizeof(errbuf));

	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	return 0;
}

static int apply_policy(struct vr_state *st, int ifindex, const char *name,
			const struct vr_policy *p, vr_resolve_fn resolve, void *ctx)
{
	int ret = ensure_dns(st, p->dns_proxy, name);

	if (ret)
		return ret;
	ret = vr_apply(st, ifindex, name, p, resolve, ctx, errbuf, sizeof(errbuf));

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
		       dp.dev.source_rules + (dp.dev.overlay_id ? dp.dev.overlay_source_rules -
								 dp.dev.overlay_removed_rules :
							    0),
		       dp.dev.policy_id);
	}
}

/* Puts the filter of @ifindex ahead of the programs someone placed before it. */
static int move_first(struct vr_state *st, int ifindex, const char *name)
{
	char link[4200];
	int spare = -1, ret = vr_state_link_path(st, st->netns_cookie, ifindex, link, sizeof(link));

	if (!ret)
		ret = vr_program_load(st, st->netns_cookie, &spare, errbuf, sizeof(errbuf));
	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	ret = vr_hook_move_first(ifindex, st->prog_fd, spare, link);
	close(spare);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't put the filter first on %s: %s", name,
			    strerror(-ret));
	return 0;
}

/* The source binding the options give: --address (comma-separated too), --mac, --dhcp. */
static int binding_arg(struct vr_binding *b)
{
	char list[1024], *save = NULL, *one;

	memset(b, 0, sizeof(*b));
	if ((opt.mac || opt.dhcp) && !opt.n_addresses)
		return fail(VR_EXIT_USAGE, "%s binds nothing without --address",
			    opt.mac ? "--mac" : "--dhcp");
	for (size_t i = 0; i < opt.n_addresses; i++) {
		if (snprintf(list, sizeof(list), "%s", opt.addresses[i]) >= (int)sizeof(list))
			return fail(VR_EXIT_USAGE, "--address %.40s...: too long", opt.addresses[i]);
		for (one = strtok_r(list, ",", &save); one; one = strtok_r(NULL, ",", &save))
			if (vr_binding_add_address(b, one, errbuf, sizeof(errbuf)))
				return fail(VR_EXIT_USAGE, "%s", errbuf);
	}
	if (opt.n_addresses && !b->count)
		return fail(VR_EXIT_USAGE, "--address names no address");
	if (opt.mac && vr_binding_set_mac(b, opt.mac, errbuf, sizeof(errbuf)))
		return fail(VR_EXIT_USAGE, "%s", errbuf);
	b->dhcp = opt.dhcp;
	return 0;
}

static int bind_device(struct vr_state *st, int ifindex, const char *name,
		       const struct vr_binding *b)
{
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	if (!ret)
		ret = vr_device_bind(st, slot, b, errbuf, sizeof(errbuf));
	else
		snprintf(errbuf, sizeof(errbuf), "no device entry: %s", strerror(-ret));
	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	return 0;
}

/*
 * Beside the filter, the tc egress program that notes connections opened
 * into the sandbox, so that its replies pass (@tcx: as the filter went on).
 */
static int attach_inbound(struct vr_state *st, int ifindex, const char *name, bool tcx)
{
	char link[4200];
	int fd = -1, ret = vr_program_inbound_fd(st, st->netns_cookie, &fd);

	if (ret == -ENOENT) {
		vr_warn("the program of this network namespace is of a build without connection tracking: `vrnet-bpf upgrade` adds it");
		return 0;
	}
	if (!ret)
		ret = vr_state_inbound_link_path(st, st->netns_cookie, ifindex, link, sizeof(link));
	if (!ret)
		ret = vr_hook_attach_inbound(ifindex, fd, link, tcx);
	if (fd >= 0)
		close(fd);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't attach the connection tracking to %s: %s", name,
			    strerror(-ret));
	return 0;
}

/* --mode and --xdp-generic: the XDP mode asked for (enum vrnet_xdp_mode), or -1: none asked. */
static int xdp_mode_arg(int *xdp)
{
	*xdp = -1;
	if (opt.xdp_generic && !(opt.mode && !strcmp(opt.mode, "xdp")))
		return fail(VR_EXIT_USAGE, "--xdp-generic goes with --mode xdp");
	if (!opt.mode)
		return 0;
	if (!strcmp(opt.mode, "tc"))
		*xdp = VRNET_XDP_NONE;
	else if (!strcmp(opt.mode, "xdp"))
		*xdp = opt.xdp_generic ? VRNET_XDP_GENERIC : VRNET_XDP_NATIVE;
	else
		return fail(VR_EXIT_USAGE, "--mode takes tc or xdp, not \"%s\"", opt.mode);
	return 0;
}

/* The copy of the XDP program `check` runs, pinned once per namespace. */
static int xdp_check_copy(struct vr_state *st)
{
	int fd;

	if (!vr_program_xdp_fd(st, st->netns_cookie, &fd)) {
		close(fd);
		return 0;
	}
	return vr_program_pin_xdp(st, st->netns_cookie, errbuf, sizeof(errbuf));
}

/*
 * Puts the XDP program on @ifindex in @xdp mode, or (VRNET_XDP_NONE) takes
 * ours off. The device's note says XDP before the program goes on and after
 * it came off: a detach, even after a command that died here, takes it off.
 */
static int set_xdp(struct vr_state *st, int ifindex, const char *name, __u8 xdp)
{
	__u8 before = 0;
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	if (!ret)
		before = st->devinfo[slot].xdp;
	if (!ret && xdp) {
		ret = vr_device_set_xdp(st, slot, xdp);
		if (!ret)
			ret = xdp_check_copy(st);
		if (!ret)
			ret = vr_xdp_attach(st, st->netns_cookie, ifindex, xdp, errbuf,
					    sizeof(errbuf));
		if (ret) {
			/* it takes ours off first: the note says what is on the device now */
			int now = vr_xdp_attached(ifindex);

			vr_device_set_xdp(st, slot, now > 0 ? (__u8)now : VRNET_XDP_NONE);
			if (before && now <= 0)
				vr_warn("%s: its XDP program is off: the tc program alone filters it",
					name);
		}
	} else if (!ret) {
		ret = vr_xdp_detach(ifindex);
		if (!ret)
			ret = vr_device_set_xdp(st, slot, VRNET_XDP_NONE);
		if (ret)
			snprintf(errbuf, sizeof(errbuf), "couldn't take the XDP program off: %s",
				 strerror(-ret));
	} else {
		snprintf(errbuf, sizeof(errbuf), "no device entry: %s", strerror(-ret));
	}
	if (ret)
		return fail(exit_of(ret), "%s: %s", name, errbuf);
	return 0;
}

/*
 * An attached device keeps its mode unless --mode says another; its XDP
 * program, and the copy `check` runs, go on again if they are gone (a
 * device in tc mode is not asked).
 */
static int keep_xdp(struct vr_state *st, int ifindex, const char *name, int asked, __u8 noted)
{
	int want = asked >= 0 ? asked : noted;

	if (want == VRNET_XDP_NONE && noted == VRNET_XDP_NONE)
		return 0;
	if (want != VRNET_XDP_NONE && vr_xdp_attached(ifindex) == want) {
		if (xdp_check_copy(st))
			return fail(VR_EXIT_SYSTEM, "%s: %s", name, errbuf);
		return 0;
	}
	return set_xdp(st, ifindex, name, (__u8)want);
}

int attach_device(struct vr_state *st, int ifindex, const char *name,
		  const struct vr_attach_args *a)
{
	struct vr_device dev;
	bool created = false, tcx = false;
	char link[4200];
	int ret = 0;
	__u32 slot;

	if (is_attached(st, ifindex)) {
		/* the binding and the mode first: a device that refuses either keeps all it had */
		if (a->binding)
			ret = bind_device(st, ifindex, name, a->binding);
		if (!ret && !vr_device_get(st, ifindex, &dev))
			ret = keep_xdp(st, ifindex, name, a->xdp, dev.xdp);
		if (!ret && !a->keep_policy)
			ret = apply_compiled(st, ifindex, name, a->policy, a->compiled);
		/* another program put ahead of ours (tcx): ours goes first again */
		if (!ret && vr_hook_ahead(ifindex, st->prog_id) > 0)
			ret = move_first(st, ifindex, name);
		if (!ret && !vr_device_get(st, ifindex, &dev))
			ret = attach_inbound(st, ifindex, name, dev.tcx);
		return ret;
	}
	/* State left by a device that had this ifindex before is never inherited. */
	if (!vr_device_get(st, ifindex, &dev) && (ret = vr_device_forget(st, ifindex)))
		return fail(VR_EXIT_SYSTEM, "couldn't discard stale state under ifindex %d: %s",
			    ifindex, strerror(-ret));

	if (st->prog_fd < 0 && (ret = vr_state_load_program(st, errbuf, sizeof(errbuf))))
		return fail(open_exit(ret), "%s", errbuf);
	/* The policy is in the maps before the program can see a packet. */
	ret = apply_compiled(st, ifindex, name, a->policy, a->compiled);
	if (ret)
		return ret;
	if (a->binding && (ret = bind_device(st, ifindex, name, a->binding))) {
		vr_device_forget(st, ifindex);
		return ret;
	}
	if (!(ret = vr_state_link_path(st, st->netns_cookie, ifindex, link, sizeof(link))))
		ret = vr_hook_attach(ifindex, st->prog_fd, link, &tcx, &created);
	if (ret) {
		vr_device_forget(st, ifindex);
		return fail(VR_EXIT_SYSTEM, "couldn't attach to %s: %s", name, strerror(-ret));
	}
	if (!vr_device_find(st, ifindex, &slot))
		vr_device_set_hook(st, slot, tcx, created);
	if ((ret = attach_inbound(st, ifindex, name, tcx))) {
		vr_hook_detach(ifindex, link, created);
		vr_device_forget(st, ifindex);
		return ret;
	}
	if (a->xdp > 0 && (ret = set_xdp(st, ifindex, name, (__u8)a->xdp))) {
		if (!vr_state_inbound_link_path(st, st->netns_cookie, ifindex, link, sizeof(link)))
			vr_hook_detach_inbound(ifindex, link);
		if (!vr_state_link_path(st, st->netns_cookie, ifindex, link, sizeof(link)))
			vr_hook_detach(ifindex, link, created);
		vr_device_forget(st, ifindex);
		return ret;
	}
	return 0;
}

int attachable_device(const char *name, int *ifindex)
{
	int ret = device_index(name, ifindex);

	if (!ret)
		ret = require_ethernet(name);
	if (!ret && vr_is_default_route_dev(*ifindex) && !opt.force)
		ret = fail(VR_EXIT_USAGE,
			   "%s carries the host's default route; attaching would filter the host itself (use --force)",
			   name);
	return ret;
}

int do_attach(int argc, char **argv)
{
	struct vr_binding binding;
	struct vr_prepared_names names = { 0 };
	struct vr_compiled c = { 0 };
	struct vr_policy p;
	struct vr_state st;
	struct vr_attach_args a = { .policy = &p, .compiled = &c, .keep_policy = !opt.policy };
	int ifindex, ret;

	if ((ret = xdp_mode_arg(&a.xdp)) || (ret = attachable_device(argv[0], &ifindex)) ||
	    (ret = binding_arg(&binding)))
		return ret;
	if (opt.n_addresses)
		a.binding = &binding;
	vr_policy_init(&p); /* no policy: deny-all */
	if (opt.policy && (ret = read_policy_arg(&p)))
		return ret;
	if ((ret = prepare_policy(&names, &p, opt.policy ? opt.policy : "policy", &c)) ||
	    (ret = open_state(&st, VR_OPEN_CHANGE)))
		goto out;
	ret = attach_device(&st, ifindex, argv[0], &a);
	if (!ret)
		print_device(&st, ifindex, "attached");
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
	int ret = prepare_policy(&names, p, opt.policy, &c);

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

int do_apply(int argc, char **argv)
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
	if (!(ret = prepare_policy(&names, &p, opt.policy, &c)) &&
	    !(ret = open_state(&st, VR_OPEN_CHANGE))) {
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
	struct vr_state st;
	size_t missing = 0;
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
	/* Edits go into the device's overlay without touching its base policy. */
	ret = add ? vr_edit_add(&st, ifindex, list, rules + 1, (size_t)argc - 1,
				vr_resolve_prepared, &names, errbuf, sizeof(errbuf)) :
		    vr_edit_remove(&st, ifindex, list, rules + 1, (size_t)argc - 1, &missing,
				   errbuf, sizeof(errbuf));
	/* the overlay is full, or the edit names a domain: apply everything as a new base */
	if (ret == -EAGAIN) {
		struct vr_device dev = { 0 };

		vr_device_get(&st, ifindex, &dev); /* attached: required above */
		if ((ret = ensure_dns(&st, dev.dns_proxy, argv[0])))
			goto close;
		ret = vr_edit_reapply(&st, ifindex, list, add, rules + 1, (size_t)argc - 1,
				      vr_resolve_prepared, &names, &missing, errbuf,
				      sizeof(errbuf));
	}
	if (!ret)
		print_device(&st, ifindex, "applied");
	else if (ret == -ENOENT && !add)
		ret = fail(VR_EXIT_USAGE, "\"%s\" is not in the %s list of %s", argv[missing + 1],
			   list == VRNET_LIST_ALLOW ? "allow" : "block", argv[0]);
	else
		ret = fail(ret == -E2BIG ? VR_EXIT_USAGE : exit_of(ret), "%s: %s", argv[0], errbuf);
close:
	vr_state_close(&st);
out:
	vr_prepared_names_free(&names);
	free(rules);
	return ret;
}

int do_allow(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_ALLOW, true);
}

int do_block(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_BLOCK, true);
}

int do_unallow(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_ALLOW, false);
}

int do_unblock(int argc, char **argv)
{
	return edit_rules(argc, argv, VRNET_LIST_BLOCK, false);
}

int do_internet(int argc, char **argv)
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

int detach_device(struct vr_state *st, int ifindex, const char *name)
{
	char link[4200];
	struct vr_device dev;
	bool has_entry, has_filter;
	int ret;

	has_entry = !vr_device_get(st, ifindex, &dev);
	has_filter = st->prog_fd >= 0 && vr_hook_is_attached(ifindex, st->prog_id) == 1;
	if (!has_filter && !has_entry)
		return fail(VR_EXIT_USAGE, "%s is not attached", name);
	/*
	 * Only our own program comes off, and the qdisc only if we created it on
	 * this device: an entry without our filter is state left by an earlier
	 * device with this ifindex, and says nothing about this one's qdisc.
	 */
	if (has_entry && (ret = vr_device_detaching(st, ifindex, true)))
		return fail(VR_EXIT_SYSTEM, "couldn't begin to detach %s: %s", name,
			    strerror(-ret));
	/* ours, whatever the note says: a command that died may have left it */
	if ((ret = vr_xdp_detach(ifindex))) {
		if (has_entry)
			vr_device_detaching(st, ifindex, false);
		return fail(VR_EXIT_SYSTEM, "couldn't take the XDP program off %s: %s", name,
			    strerror(-ret));
	}
	if (has_filter) {
		ret = vr_state_inbound_link_path(st, st->netns_cookie, ifindex, link, sizeof(link));
		if (!ret)
			ret = vr_hook_detach_inbound(ifindex, link);
		if (!ret)
			ret = vr_state_link_path(st, st->netns_cookie, ifindex, link, sizeof(link));
		if (!ret)
			ret = vr_hook_detach(ifindex, link, has_entry && dev.created_qdisc);
		if (ret) {
			/* nothing came off: the device stays as it was, not half detached */
			if (has_entry)
				vr_device_detaching(st, ifindex, false);
			return fail(VR_EXIT_SYSTEM, "couldn't detach from %s: %s", name,
				    strerror(-ret));
		}
	}
	if (has_entry && (ret = vr_device_forget(st, ifindex)) && ret != -ENOENT)
		return fail(VR_EXIT_SYSTEM, "couldn't remove the state of %s: %s", name,
			    strerror(-ret));
	vr_state_prune_programs(st);
	if (!vr_netns_has_devices(st, st->netns_cookie))
		vr_dns_device_remove(st);
	if (!has_filter)
		vr_warn("%s was not attached: removed state left by an earlier device", name);
	return 0;
}

int do_detach(int argc, char **argv)
{
	struct vr_state st;
	int ifindex, ret;

	if ((ret = device_index(argv[0], &ifindex)) || (ret = open_state(&st, VR_OPEN_CHANGE)))
		return ret;
	ret = detach_device(&st, ifindex, argv[0]);
	if (!ret && opt.json)
		vr_json_print(json_pack("{s:s,s:i,s:s}", "device", argv[0], "ifindex", ifindex,
					"result", "detached"),
			      opt.pretty);
	else if (!ret)
		printf("detached %s\n", argv[0]);
	vr_state_close(&st);
	return ret;
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

int do_refresh(int argc, char **argv)
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
	if ((ret = devices_arg(&st, argc, argv, &list, &n)))
		goto close;
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
