// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `check`: the verdict DEV's policy gives a destination, explained. For a
 * name on a device whose DNS goes to the proxy: what the proxy does with
 * the name, then the verdict on each address it opened for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "binding.h"
#include "cli.h"
#include "dns_names.h"
#include "dns_opened.h"
#include "log.h"
#include "output.h"
#include "probe.h"
#include "program.h"

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

/* The addresses the proxy opened for the device of @dp under rule @rule_id, in force now. */
struct opened {
	const struct vr_device_policy *dp;
	__u32 rule_id;
	__u64 now_ns;
	struct vr_addr *addrs;
	int n, max;
};

static void collect_opened(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
			   void *ctx)
{
	struct opened *o = ctx;

	for (int i = 0; val->policy_id == o->dp->dev.policy_id && i < VRNET_DNSADDR_RULES; i++)
		if (val->by_rule[i].entry.rule_id == o->rule_id &&
		    val->by_rule[i].expires_ns > o->now_ns && o->n < o->max) {
			o->addrs[o->n].family = key->family;
			memcpy(o->addrs[o->n].addr, key->addr, 16);
			o->n++;
			return;
		}
}

/* Whether the ports and protocol of @rec cover those of @dest. */
static bool rule_covers(const struct vrnet_rule *rec, const struct vr_rule *dest)
{
	if (rec->proto != VRNET_PROTO_ANY && rec->proto != dest->proto)
		return false;
	return rec->any_port || (!dest->any_port && dest->port_lo >= rec->port_lo &&
				 dest->port_lo <= rec->port_hi);
}

/*
 * A name (@dest), for a device whose DNS goes to the proxy: the name rule
 * that decides it (-1: the default) in @name_rule, whether it allows @dest's
 * port and protocol, and the addresses the proxy opened under that rule (at
 * most @max). Return: how many, or -errno.
 */
static int name_verdict(struct vr_state *st, const struct vr_device_policy *dp,
			const struct vr_rule *dest, int *name_rule, bool *allowed,
			struct vr_addr *addrs, int max)
{
	struct opened o = { .dp = dp, .now_ns = vr_ktime_ns(), .addrs = addrs, .max = max };
	struct vr_name_pattern *p;
	struct vr_dname qname;
	size_t n;
	int ret;

	if (vr_dname_from_text(&qname, dest->name))
		return -EINVAL;
	ret = vr_name_patterns_of(dp->rules, (const char(*)[VRNET_MAX_NAME_LEN])dp->names,
				  dp->count, &p, &n);
	if (!ret) {
		int i = vr_name_decide(p, n, qname.wire, qname.len);

		*name_rule = i >= 0 ? (int)p[i].rule_id : -1;
		*allowed = i >= 0 ? p[i].list == VRNET_LIST_ALLOW :
				    dp->dev.default_action == VRNET_ACTION_ALLOW;
		free(p);
	}
	if (ret || *name_rule < 0 || !*allowed)
		return ret; /* only a name rule's answers open anything */
	*allowed = rule_covers(&dp->rules[*name_rule], dest);
	o.rule_id = (__u32)*name_rule;
	ret = vr_dns_opened_each(st, dp->dev.slot, collect_opened, &o);
	return ret ? ret : o.n;
}

/* What the proxy does with @name: the first half of a name's check. */
static void print_name_verdict(const struct vr_device_policy *dp, const char *name, int rule,
			       bool allowed, int opened, json_t *out)
{
	bool name_allowed = rule >= 0 ? dp->rules[rule].list == VRNET_LIST_ALLOW : allowed;

	char text[VR_RULE_TEXT_MAX + 80] = "";

	if (rule >= 0)
		vr_rule_record_text(dp, (uint32_t)rule, text, sizeof(text));
	json_object_set_new(out, "name", json_string(name));
	json_object_set_new(out, "name_verdict", json_string(name_allowed ? "allow" : "deny"));
	if (rule >= 0) {
		json_object_set_new(out, "name_rule_id", json_integer(rule));
		json_object_set_new(out, "name_rule", json_string(text));
	}
	if (opt.json)
		return;
	if (!name_allowed)
		printf("deny  %s: %s; the proxy answers it NXDOMAIN (or as `dns --refuse` says)\n",
		       name, rule >= 0 ? text : "no name rule matches, and the default is deny");
	else if (!allowed)
		printf("deny  %s: %s, which does not cover this port and protocol\n", name, text);
	else if (rule < 0)
		printf("allow %s: no name rule matches, and the default is allow; its answer "
		       "opens nothing\n", name);
	else
		printf("allow %s: %s; its answers open their addresses%s\n", name, text,
		       opened ? ", open now:" : " (none open now: a lookup opens them)");
}

/*
 * A bound device sends from its own addresses and MAC: the probe too (its first
 * bound prefix of the destination's family; none, and the verdict is spoofed).
 */
static void bound_source(struct vr_state *st, const struct vr_device *d, struct vr_probe *probe)
{
	struct vrnet_binding_note note;

	if (!d->binding || vr_binding_read(st, d->slot, &note))
		return;
	probe->has_src = true;
	memset(&probe->src, 0, sizeof(probe->src)); /* :: or 0.0.0.0: no address of the family */
	probe->src.family = probe->dst.family;
	for (__u32 i = 0; i < note.count; i++) {
		if (note.prefixes[i].family == probe->dst.family && !note.prefixes[i].leaving &&
		    !note.prefixes[i].from_mac) {
			memcpy(probe->src.addr, note.prefixes[i].addr, 16);
			break;
		}
	}
	probe->has_smac = d->binding & VRNET_BIND_MAC;
	memcpy(probe->smac, d->bound_mac, 6);
}

/*
 * `check --inbound`: the host's packet from @peer (a TCP SYN, a UDP datagram
 * or an echo request to the sandbox's port) through the device's tc egress
 * program, the inbound part of its policy. The sandbox's address is its
 * bound one of the family, else a documentation address.
 */
static int check_inbound(struct vr_state *st, const struct vr_device_policy *dp,
			 const struct vr_rule *peer, int ifindex, const char *device,
			 const char *text)
{
	struct vr_probe probe = { .has_src = true, .proto = peer->proto, .port = peer->port_lo };
	struct vr_probe sandbox = { .dst = { .family = peer->family } };
	char addr[64], rule[VR_RULE_TEXT_MAX + 80] = "";
	bool none = dp->dev.inbound == VRNET_INBOUND_NONE;
	struct vr_verdict v;
	uint8_t frame[128];
	int fd, ret;
	size_t len;

	if (peer->kind != VRNET_RULE_CIDR)
		return fail(VR_EXIT_USAGE, "\"%s\": --inbound takes an address: inbound rules match sources, not names",
			    text);
	probe.src.family = peer->family;
	memcpy(probe.src.addr, peer->addr, 16);
	bound_source(st, &dp->dev, &sandbox);
	probe.dst = sandbox.src;
	probe.dst.family = peer->family;
	if (!sandbox.has_src)
		memcpy(probe.dst.addr, peer->family == 4 ? (const uint8_t[16]){ 192, 0, 2, 1 } :
			(const uint8_t[16]){ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 16);
	ret = vr_program_inbound_fd(st, st->netns_cookie, &fd);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't open the inbound program: %s", strerror(-ret));
	len = vr_probe_frame(&probe, frame, sizeof(frame));
	ret = vr_probe_run(fd, ifindex, frame, len, 0, &v);
	close(fd);
	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't run the program: %s", strerror(-ret));
	vr_addr_format(peer->family, peer->addr, peer->family == 4 ? 32 : 128, addr, sizeof(addr));
	if (v.reason == VRNET_REASON_ALLOW_RULE || v.reason == VRNET_REASON_BLOCK_RULE)
		vr_rule_record_text(dp, v.rule_id, rule, sizeof(rule));
	if (opt.json) {
		json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "device", device,
					"direction", "in", "source", addr, "protocol",
					vr_proto_name(probe.proto), "verdict",
					none || v.enforce_allow ? "allow" : "deny", "reason",
					none ? "no_inbound_policy" : vr_reason_key(v.reason),
					"audit_passes", v.allow != v.enforce_allow);

		if (probe.proto != VRNET_PROTO_ICMP)
			json_object_set_new(out, "port", json_integer(probe.port));
		if (*rule) {
			json_object_set_new(out, "rule_id", json_integer(v.rule_id));
			json_object_set_new(out, "rule", json_string(rule));
		}
		vr_json_print(out, opt.pretty);
	} else if (none) {
		printf("allow from %s: the policy has no inbound part; everything the host sends passes\n",
		       addr);
	} else {
		printf("%-5s from %s%s%s", v.enforce_allow ? "allow" : "deny",
		       peer->family == 6 ? "[" : "", addr, peer->family == 6 ? "]" : "");
		if (probe.proto == VRNET_PROTO_ICMP)
			printf(" icmp");
		else
			printf(" to port %u/%s", probe.port, vr_proto_name(probe.proto));
		printf(": inbound %s%s%s%s\n", vr_reason_text(v.reason), *rule ? " " : "", rule,
		       v.allow != v.enforce_allow ? " (audit mode: passed and logged)" : "");
	}
	return none || v.enforce_allow ? VR_EXIT_OK : VR_EXIT_DENY;
}

/*
 * A device in XDP mode runs the XDP program first, as its packets do: what
 * that drops is the verdict, what it passes the tc program decides.
 */
static int run_probe(struct vr_state *st, const struct vr_device *dev, int ifindex,
		     const uint8_t *frame, size_t len, struct vr_verdict *v)
{
	int fd, ret;

	if (dev->xdp) {
		ret = vr_program_xdp_fd(st, st->netns_cookie, &fd);
		if (!ret) {
			ret = vr_xdp_probe_run(fd, ifindex, frame, len, v);
			close(fd);
		}
		if (ret || !v->allow)
			return ret;
	}
	return vr_probe_run(st->prog_fd, ifindex, frame, len, 0, v);
}

int do_check(int argc, char **argv)
{
	struct vr_addr addrs[VR_MAX_ADDRS_PER_NAME];
	struct vr_device_policy dp = { 0 };
	json_t *results = json_array(), *out = json_object();
	struct vr_state st;
	struct vr_rule dest;
	bool all_allow = true, by_proxy;
	int ifindex, ret, n = 1;

	if ((ret = device_index(argv[0], &ifindex)) || (ret = parse_destination(argv[1], &dest)))
		goto out;
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
	if (opt.inbound) {
		ret = check_inbound(&st, &dp, &dest, ifindex, argv[0], argv[1]);
		vr_device_policy_free(&dp);
		vr_state_close(&st);
		json_decref(out);
		json_decref(results);
		return ret;
	}
	by_proxy = dest.kind == VRNET_RULE_DOMAIN && dp.dev.dns_proxy;
	if (by_proxy) { /* the name's rule, and what the proxy opened under it */
		int rule = -1;

		n = name_verdict(&st, &dp, &dest, &rule, &all_allow, addrs, VR_MAX_ADDRS_PER_NAME);
		if (n < 0) {
			ret = fail(n == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_SYSTEM, "%s: %s",
				   dest.name, n == -EINVAL ? "not a name" : strerror(-n));
			goto close;
		}
		print_name_verdict(&dp, dest.name, rule, all_allow, n, out);
	} else if (dest.kind == VRNET_RULE_DOMAIN) {
		n = vr_resolve(&opt.resolver, dest.name, addrs, VR_MAX_ADDRS_PER_NAME, errbuf,
			       sizeof(errbuf));
		if (n < 0) {
			ret = fail(VR_EXIT_USAGE, "%s: %s", dest.name, errbuf);
			goto close;
		}
	} else {
		addrs[0].family = dest.family;
		memcpy(addrs[0].addr, dest.addr, 16);
	}
	for (int i = 0; i < n; i++) {
		struct vr_probe probe = { .dst = addrs[i], .proto = dest.proto,
					  .port = dest.port_lo };
		char addr[64], rule[VR_RULE_TEXT_MAX + 80] = "";
		uint8_t frame[128];
		size_t len;
		struct vr_verdict v;
		json_t *r;

		bound_source(&st, &dp.dev, &probe);
		len = vr_probe_frame(&probe, frame, sizeof(frame));
		ret = run_probe(&st, &dp.dev, ifindex, frame, len, &v);
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
		if (by_proxy)
			printf("  ");
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
	if (opt.json) {
		json_object_set_new(out, "device", json_string(argv[0]));
		json_object_set_new(out, "destination", json_string(argv[1]));
		json_object_set_new(out, "verdict", json_string(all_allow ? "allow" : "deny"));
		json_object_set(out, "results", results);
		vr_json_print(json_incref(out), opt.pretty);
	}
close:
	vr_device_policy_free(&dp);
	vr_state_close(&st);
out:
	json_decref(out);
	json_decref(results);
	if (ret)
		return ret;
	return all_allow ? VR_EXIT_OK : VR_EXIT_DENY;
}
