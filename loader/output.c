// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "binding.h"
#include "dns_opened.h"
#include "netns.h"
#include "output.h"
#include "program.h"

static const char *const list_names[] = {
	[VRNET_LIST_ALLOW] = "allow",
	[VRNET_LIST_BLOCK] = "block",
	[VRNET_LIST_DNS] = "dns",
	[VRNET_LIST_INBOUND_ALLOW] = "allow",
	[VRNET_LIST_INBOUND_BLOCK] = "block",
};

void vr_mac_format(const __u8 *mac, char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

const char *vr_xdp_mode_name(int xdp)
{
	return xdp == VRNET_XDP_GENERIC ? "generic" : xdp == VRNET_XDP_NATIVE ? "native" : "none";
}

const char *vr_internet_name(int internet)
{
	return internet == VRNET_INTERNET_OFF ? "off" :
	       internet == VRNET_INTERNET_ON  ? "on" :
						"policy";
}

const char *vr_reason_key(uint32_t reason)
{
	static const char *const keys[] = {
		[VRNET_REASON_NONE] = "none",
		[VRNET_REASON_BLOCK_RULE] = "block_rule",
		[VRNET_REASON_ALLOW_RULE] = "allow_rule",
		[VRNET_REASON_DEFAULT] = "default",
		[VRNET_REASON_INTERNET] = "internet",
		[VRNET_REASON_LINK_LOCAL] = "link_local",
		[VRNET_REASON_NO_POLICY] = "no_policy",
		[VRNET_REASON_ETHERTYPE] = "ethertype",
		[VRNET_REASON_MALFORMED] = "malformed",
		[VRNET_REASON_SOURCE_ROUTE] = "source_route",
		[VRNET_REASON_UNKNOWN_DEVICE_STATE] = "inconsistent_state",
		[VRNET_REASON_OFFLOAD] = "offload",
		[VRNET_REASON_DNS] = "dns",
		[VRNET_REASON_DNS_RATE] = "dns_rate",
		[VRNET_REASON_FRAGMENT] = "fragment",
		[VRNET_REASON_SPOOFED] = "spoofed",
		[VRNET_REASON_REPLY] = "reply",
	};

	return reason < sizeof(keys) / sizeof(keys[0]) ? keys[reason] : "unknown";
}

/* The rule as written in the policy (DNS resolvers as plain addresses). */
static void record_rule_text(const struct vr_device_policy *dp, uint32_t id, char *buf,
			     size_t len)
{
	const struct vrnet_rule *rec = &dp->rules[id];
	struct vr_rule r = { .kind = rec->kind == VRNET_RULE_DOMAIN ? VRNET_RULE_DOMAIN :
								       VRNET_RULE_CIDR,
			     .family = rec->family,
			     .prefixlen = rec->prefixlen,
			     .proto = rec->proto,
			     .any_port = rec->any_port,
			     .port_lo = rec->port_lo,
			     .port_hi = rec->port_hi };

	memcpy(r.addr, rec->addr, 16);
	if (rec->kind == VRNET_RULE_DOMAIN)
		memcpy(r.name, dp->names[id], sizeof(r.name));
	if (rec->list == VRNET_LIST_DNS) {
		r.any_port = true;
		r.proto = VRNET_PROTO_ANY;
	}
	vr_rule_format(&r, buf, len);
}

void vr_rule_record_text(const struct vr_device_policy *dp, uint32_t id, char *buf,
			 size_t len)
{
	const struct vrnet_rule *rec;
	char rule[VR_RULE_TEXT_MAX], addr[64];

	if (id >= dp->count) {
		snprintf(buf, len, "#%u (unknown)", id);
		return;
	}
	rec = &dp->rules[id];
	if (rec->kind != VRNET_RULE_RESOLVED || rec->parent >= dp->count) {
		record_rule_text(dp, id, buf, len);
		return;
	}
	record_rule_text(dp, rec->parent, rule, sizeof(rule));
	vr_addr_format(rec->family, rec->addr, rec->prefixlen, addr, sizeof(addr));
	snprintf(buf, len, "%s (%s)", rule, addr);
}

static json_t *stats_json(struct vr_state *st, uint32_t slot)
{
	struct vrnet_stats s;

	vr_stats_read(st, slot, &s);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", "allowed_packets",
			 (json_int_t)s.allowed_packets, "allowed_bytes",
			 (json_int_t)s.allowed_bytes, "dropped_packets",
			 (json_int_t)s.dropped_packets, "dropped_bytes",
			 (json_int_t)s.dropped_bytes, "audited_packets",
			 (json_int_t)s.audited_packets, "audited_bytes",
			 (json_int_t)s.audited_bytes, "events_suppressed",
			 (json_int_t)vr_suppressed_read(st, slot), "events_lost",
			 (json_int_t)s.events_lost, "inbound", "allowed_packets",
			 (json_int_t)s.inbound_allowed_packets, "allowed_bytes",
			 (json_int_t)s.inbound_allowed_bytes, "dropped_packets",
			 (json_int_t)s.inbound_dropped_packets, "dropped_bytes",
			 (json_int_t)s.inbound_dropped_bytes);
}

static void time_text(uint64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void vr_device_netns_text(const struct vr_state *st, const struct vr_device *d, char *buf,
			  size_t len)
{
	if (d->netns_cookie == st->netns_cookie)
		buf[0] = '\0';
	else
		vr_netns_describe(d->netns_inode, buf, len);
}

struct opened_ctx {
	const struct vr_device *dev;
	json_t *allow; /* the device's allow rules */
	__u64 now_ns;
};

/* An address the DNS proxy opened, under the allow rule whose answer opened it. */
static void add_opened(const struct vrnet_dnsaddr_key *key, const struct vrnet_dnsaddr *val,
		       void *ctx)
{
	struct opened_ctx *c = ctx;
	char addr[64];
	json_t *r;
	size_t i;

	if (val->policy_id != c->dev->policy_id)
		return; /* no packet can use it */
	vr_addr_format(key->family, key->addr, key->family == 4 ? 32 : 128, addr, sizeof(addr));
	for (int k = 0; k < VRNET_DNSADDR_RULES; k++) {
		const struct vrnet_dnsaddr_opening *o = &val->by_rule[k];

		if (o->expires_ns <= c->now_ns)
			continue;
		json_array_foreach(c->allow, i, r)
			if (json_integer_value(json_object_get(r, "id")) == o->entry.rule_id &&
			    json_object_get(r, "opened"))
				json_array_append_new(
					json_object_get(r, "opened"),
					json_pack("{s:s,s:I}", "address", addr, "expires_in_s",
						  (json_int_t)((o->expires_ns - c->now_ns) /
							       1000000000ull)));
	}
}

/* What the device's packets must come from: {"bound": false} unless attach --address. */
static json_t *source_json(struct vr_state *st, const struct vr_device *d)
{
	struct vrnet_binding_note note;
	json_t *obj = json_pack("{s:b}", "bound", d->binding != 0), *addrs;
	char text[64];

	if (!d->binding || vr_binding_read(st, d->slot, &note))
		return obj;
	addrs = json_array();
	for (__u32 i = 0; i < note.count; i++) {
		const struct vrnet_bound_prefix *p = &note.prefixes[i];

		if (p->leaving)
			continue;
		vr_addr_format(p->family, p->addr, p->prefixlen, text, sizeof(text));
		if (p->from_mac)
			json_object_set_new(obj, "link_local", json_string(text));
		else
			json_array_append_new(addrs, json_string(text));
	}
	json_object_set_new(obj, "addresses", addrs);
	if (d->binding & VRNET_BIND_MAC) {
		vr_mac_format(d->bound_mac, text, sizeof(text));
		json_object_set_new(obj, "mac", json_string(text));
	}
	json_object_set_new(obj, "dhcp", json_boolean(d->binding & VRNET_BIND_DHCP));
	return obj;
}

json_t *vr_device_json(struct vr_state *st, const struct vr_device_policy *dp,
		       const struct vr_hits *hits)
{
	const struct vr_device *d = &dp->dev;
	struct vr_program_info prog;
	char when[32], netns[300];
	json_t *obj, *inbound;

	time_text(d->applied_ns, when, sizeof(when));
	vr_netns_describe(d->netns_inode, netns, sizeof(netns));
	obj = json_pack("{s:s,s:i,s:s,s:I,s:s,s:s,s:s,s:i,s:i,s:s,s:{s:i,s:i,s:b},s:o}", "device",
			d->ifname, "ifindex", d->ifindex, "netns", netns, "netns_cookie",
			(json_int_t)d->netns_cookie, "internet", vr_internet_name(d->internet),
			"default", d->default_action == VRNET_ACTION_ALLOW ? "allow" : "deny",
			"mode", d->mode == VRNET_MODE_AUDIT ? "audit" : "enforce", "policy_id",
			(int)d->policy_id, "rule_count", (int)vr_device_policy_records(dp),
			"applied_at", when,
			"log", "rate", (int)d->event_rate, "burst", (int)d->event_burst, "allowed",
			d->log_allowed, "counters", stats_json(st, d->slot));
	json_object_set_new(obj, "hook", json_string(d->tcx ? "tcx" : "clsact"));
	/* null: tc mode, the tc program alone */
	json_object_set_new(obj, "xdp", d->xdp ? json_string(vr_xdp_mode_name(d->xdp)) : json_null());
	json_object_set_new(obj, "source", source_json(st, d));
	json_object_set_new(obj, "dns_proxy", json_boolean(d->dns_proxy));
	json_object_set_new(obj, "dns_rate", json_pack("{s:i,s:i}", "rate", (int)d->dns_rate,
						       "burst", (int)d->dns_burst));
	/* null: no inbound part, everything the host sends passes */
	inbound = d->inbound == VRNET_INBOUND_NONE ?
			  json_null() :
			  json_pack("{s:s}", "default",
				    d->inbound == VRNET_INBOUND_ALLOW ? "allow" : "deny");
	json_object_set_new(obj, "inbound", inbound);
	if (!vr_program_info(st, d->netns_cookie, &prog))
		json_object_set_new(obj, "program",
				    json_pack("{s:i,s:s,s:b}", "id", (int)prog.id, "tag", prog.tag,
					      "current", prog.current));
	if (!hits)
		return obj;

	json_object_set_new(obj, "allow", json_array());
	json_object_set_new(obj, "block", json_array());
	json_object_set_new(obj, "dns", json_array());
	if (d->inbound != VRNET_INBOUND_NONE) {
		json_object_set_new(inbound, "allow", json_array());
		json_object_set_new(inbound, "block", json_array());
	}
	/* A domain's RESOLVED records follow it directly; its hits are theirs. */
	json_t *domain_addrs = NULL, *domain = NULL;

	for (uint32_t i = 0; i < dp->count; i++) {
		const struct vrnet_rule *rec = &dp->rules[i];
		char text[VR_RULE_TEXT_MAX], addr[64];
		json_t *r;

		json_int_t rule_hits = (json_int_t)vr_hits_get(hits, d->policy_id, i);

		if (rec->kind == VRNET_RULE_RESOLVED) {
			vr_addr_format(rec->family, rec->addr, rec->prefixlen, addr, sizeof(addr));
			if (domain_addrs) {
				json_array_append_new(domain_addrs, json_string(addr));
				json_object_set_new(domain, "hits",
						    json_integer(json_integer_value(json_object_get(domain, "hits")) + rule_hits));
			}
			continue;
		}
		if (!vr_record_is_rule(rec))
			continue;
		record_rule_text(dp, i, text, sizeof(text));
		r = json_pack("{s:i,s:s,s:I}", "id", (int)i, "rule", text, "hits", rule_hits);
		domain_addrs = NULL;
		domain = r;
		if (rec->kind == VRNET_RULE_DOMAIN && d->dns_proxy) {
			/* the proxy's answers open an allowed name's addresses, below */
			if (rec->list == VRNET_LIST_ALLOW)
				json_object_set_new(r, "opened", json_array());
		} else if (rec->kind == VRNET_RULE_DOMAIN) {
			domain_addrs = json_array();
			json_object_set_new(r, "addresses", domain_addrs);
		}
		json_array_append_new(json_object_get(vrnet_list_is_inbound(rec->list) ? inbound : obj,
						      list_names[rec->list]),
				      r);
	}
	if (d->dns_proxy) {
		struct opened_ctx c = { .dev = d, .allow = json_object_get(obj, "allow"),
					.now_ns = vr_ktime_ns() };

		vr_dns_opened_each(st, d->slot, add_opened, &c);
	}
	return obj;
}

static void print_source(json_t *src)
{
	json_t *addrs = json_object_get(src, "addresses"), *a;
	json_t *mac = json_object_get(src, "mac"), *ll = json_object_get(src, "link_local");
	size_t i;

	if (!json_is_true(json_object_get(src, "bound"))) {
		printf("  source: NOT BOUND (any address and MAC; attach --address binds it)\n");
		return;
	}
	printf("  source: bound to");
	json_array_foreach(addrs, i, a)
		printf("%s %s", i ? "," : "", json_string_value(a));
	if (mac)
		printf("; MAC %s, link-local %s", json_string_value(mac), json_string_value(ll));
	if (json_is_true(json_object_get(src, "dhcp")))
		printf("; DHCP from 0.0.0.0");
	printf("\n");
}

/* One list of `show`'s rules, each line headed by @label. */
static void print_rules(const char *label, json_t *arr)
{
	json_t *r;
	size_t i;

	json_array_foreach(arr, i, r) {
		json_t *addrs = json_object_get(r, "addresses"), *a;
		json_t *opened = json_object_get(r, "opened");
		size_t k;

		printf("  %-5s #%-4lld %s  [%lld hits]", label,
		       json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "rule")),
		       json_integer_value(json_object_get(r, "hits")));
		if (addrs) {
			printf(" ->");
			json_array_foreach(addrs, k, a)
				printf("%s %s", k ? "," : "", json_string_value(a));
			if (!json_array_size(addrs))
				printf(" (no addresses)");
		}
		if (opened) {
			printf(" -> opened:");
			json_array_foreach(opened, k, a)
				printf("%s %s (%llds)", k ? "," : "",
				       json_string_value(json_object_get(a, "address")),
				       json_integer_value(json_object_get(a, "expires_in_s")));
			if (!json_array_size(opened))
				printf(" nothing now");
		}
		printf("\n");
	}
}

void vr_device_print(struct vr_state *st, const struct vr_device_policy *dp,
		     const struct vr_hits *hits)
{
	json_t *obj = vr_device_json(st, dp, hits);
	json_t *c = json_object_get(obj, "counters");
	const char *lists[] = { "block", "allow", "dns" };
	json_t *inbound = json_object_get(obj, "inbound");
	char netns[300];

	vr_device_netns_text(st, &dp->dev, netns, sizeof(netns));
	printf("%s (ifindex %d%s%s): internet %s, default %s, %s mode, %zu rules, policy %u applied %s\n",
	       dp->dev.ifname, dp->dev.ifindex, *netns ? " in " : "", netns,
	       vr_internet_name(dp->dev.internet),
	       json_string_value(json_object_get(obj, "default")),
	       json_string_value(json_object_get(obj, "mode")),
	       json_array_size(json_object_get(obj, "allow")) +
		       json_array_size(json_object_get(obj, "block")) +
		       json_array_size(json_object_get(obj, "dns")),
	       dp->dev.policy_id, json_string_value(json_object_get(obj, "applied_at")));
	if (dp->dev.xdp)
		printf("  XDP mode (%s): judged on the XDP hook first, then by the tc program\n",
		       vr_xdp_mode_name(dp->dev.xdp));
	if (dp->dev.mode == VRNET_MODE_AUDIT)
		printf("  AUDIT MODE: packets the policy would drop are passed and logged\n");
	if (dp->dev.internet != VRNET_INTERNET_POLICY)
		printf("  (the internet switch overrides the rules below until `internet %s policy`)\n",
		       dp->dev.ifname);
	print_source(json_object_get(obj, "source"));
	for (size_t l = 0; l < 3; l++)
		print_rules(lists[l], json_object_get(obj, lists[l]));
	if (json_is_object(inbound)) {
		printf("  inbound (what reaches the sandbox): default %s\n",
		       json_string_value(json_object_get(inbound, "default")));
		print_rules("in-block", json_object_get(inbound, "block"));
		print_rules("in-allow", json_object_get(inbound, "allow"));
	}
	printf("  counters: allowed %lld packets %lld bytes, dropped %lld packets %lld bytes\n",
	       json_integer_value(json_object_get(c, "allowed_packets")),
	       json_integer_value(json_object_get(c, "allowed_bytes")),
	       json_integer_value(json_object_get(c, "dropped_packets")),
	       json_integer_value(json_object_get(c, "dropped_bytes")));
	if (json_is_object(inbound)) {
		json_t *in = json_object_get(c, "inbound");

		printf("  inbound counters: allowed %lld packets %lld bytes, dropped %lld packets %lld bytes\n",
		       json_integer_value(json_object_get(in, "allowed_packets")),
		       json_integer_value(json_object_get(in, "allowed_bytes")),
		       json_integer_value(json_object_get(in, "dropped_packets")),
		       json_integer_value(json_object_get(in, "dropped_bytes")));
	}
	if (dp->dev.mode == VRNET_MODE_AUDIT || json_integer_value(json_object_get(c, "audited_packets")))
		printf("  audited (would be dropped): %lld packets %lld bytes\n",
		       json_integer_value(json_object_get(c, "audited_packets")),
		       json_integer_value(json_object_get(c, "audited_bytes")));
	if (dp->dev.dns_proxy)
		printf("  dns: to the proxy, %d queries/s, burst %d\n", (int)dp->dev.dns_rate,
		       (int)dp->dev.dns_burst);
	printf("  events: %d/s, burst %d%s; suppressed %lld, lost %lld\n", (int)dp->dev.event_rate,
	       (int)dp->dev.event_burst, dp->dev.log_allowed ? ", allowed flows too" : "",
	       json_integer_value(json_object_get(c, "events_suppressed")),
	       json_integer_value(json_object_get(c, "events_lost")));
	json_decref(obj);
}

void vr_json_print(json_t *obj, bool pretty)
{
	char *text = json_dumps(obj, pretty ? JSON_INDENT(2) : JSON_COMPACT);

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(obj);
}
