// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "dns_opened.h"
#include "metrics.h"
#include "output.h"
#include "filter.h"

/* One metric family: its samples are added while walking the devices. */
struct family {
	const char *name, *type, *help;
	json_t *samples; /* [{"labels": {...}, "value": N}] */
};

enum {
	M_PACKETS, M_BYTES, M_RULE_HITS, M_SUPPRESSED, M_LOST, M_RULES, M_AUDIT, M_INTERNET,
	M_FILTER, M_DNS_QUERIES, M_DNS_OPEN, M_COUNT
};

static void init_families(struct family *f)
{
	static const struct family defs[M_COUNT] = {
		[M_PACKETS] = { "vrnet_packets_total", "counter",
				"Packets the sandbox sent, by verdict (audited: passed, would be dropped)." },
		[M_BYTES] = { "vrnet_bytes_total", "counter",
			      "Bytes the sandbox sent, by verdict (audited: passed, would be dropped)." },
		[M_RULE_HITS] = { "vrnet_rule_hits_total", "counter",
				  "Packets each rule of the current policy decided (metrics --rules)." },
		[M_SUPPRESSED] = { "vrnet_events_suppressed_total", "counter",
				   "Events of blocked attempts held back by the rate limit." },
		[M_LOST] = { "vrnet_events_lost_total", "counter",
			     "Events lost because the ring buffer was full." },
		[M_RULES] = { "vrnet_policy_rules", "gauge", "Rules in the device's policy." },
		[M_AUDIT] = { "vrnet_audit_mode", "gauge",
			      "1 if the policy is in audit mode (drops are passed and logged)." },
		[M_INTERNET] = { "vrnet_internet_override", "gauge",
				 "The internet switch: 0 policy, 1 off (drop all), 2 on (pass all)." },
		[M_FILTER] = { "vrnet_filter_attached", "gauge",
			       "1 if the device's filter is on its hook, first; 0: it is gone, or another program runs before it." },
		[M_DNS_QUERIES] = { "vrnet_dns_queries_total", "counter",
				    "DNS queries of a device whose DNS goes to the proxy, by result: answered, refused (no rule allows the name), failed (upstream, or over an address bound), dropped (over the bound of queries in flight)." },
		[M_DNS_OPEN] = { "vrnet_dns_addresses_open", "gauge",
				 "Addresses the DNS proxy's answers opened for the device, in force now." },
	};

	for (int i = 0; i < M_COUNT; i++) {
		f[i] = defs[i];
		f[i].samples = json_array();
	}
}

/* A device of another network namespace than the scraper's is told apart by its name. */
static void add(struct family *f, json_t *labels, const char *netns, json_int_t value)
{
	if (*netns)
		json_object_set_new(labels, "netns", json_string(netns));
	json_array_append_new(f->samples, json_pack("{s:o,s:I}", "labels", labels, "value", value));
}

/* What the DNS proxy did for a device whose DNS goes to it. */
static void collect_dns(struct vr_state *st, const struct vr_device *d, const __u32 *open,
			const char *netns, struct family *f)
{
	struct vrnet_dnsstats s = { 0 };
	__u32 slot = d->slot;

	bpf_map_lookup_elem(st->dnsstats_fd, &slot, &s);
	const struct {
		const char *result;
		__u64 n;
	} by_result[] = {
		{ "answered", s.answered },
		{ "refused", s.refused },
		{ "failed", s.failed },
		{ "dropped", s.dropped },
	};

	for (size_t i = 0; i < sizeof(by_result) / sizeof(by_result[0]); i++)
		add(&f[M_DNS_QUERIES],
		    json_pack("{s:s,s:s}", "device", d->ifname, "result", by_result[i].result), netns,
		    (json_int_t)by_result[i].n);
	if (open) /* NULL: the map could not be read, and the gauge is left out */
		add(&f[M_DNS_OPEN], json_pack("{s:s}", "device", d->ifname), netns,
		    (json_int_t)open[slot]);
}

static void collect(struct vr_state *st, __u32 slot, const struct vr_hits *hits,
		    const __u32 *dns_open, struct family *f)
{
	struct vr_device_policy dp;
	struct vrnet_stats s;
	const char *dev;
	static const char *const lists[] = { "", "allow", "block", "dns", "inbound_allow",
					     "inbound_block" };
	uint32_t rules = 0;
	struct vr_device_seen seen;
	char netns[300];

	if (vr_device_policy_read_slot(st, slot, &dp))
		return;
	vr_device_netns_text(st, &dp.dev, netns, sizeof(netns));
	dev = dp.dev.ifname;
	vr_stats_read(st, dp.dev.slot, &s);
	const struct {
		const char *verdict;
		__u64 packets, bytes;
	} by_verdict[] = {
		{ "allowed", s.allowed_packets, s.allowed_bytes },
		{ "dropped", s.dropped_packets, s.dropped_bytes },
		{ "audited", s.audited_packets, s.audited_bytes },
	};

	for (size_t i = 0; i < sizeof(by_verdict) / sizeof(by_verdict[0]); i++) {
		add(&f[M_PACKETS],
		    json_pack("{s:s,s:s}", "device", dev, "verdict", by_verdict[i].verdict), netns,
		    (json_int_t)by_verdict[i].packets);
		add(&f[M_BYTES],
		    json_pack("{s:s,s:s}", "device", dev, "verdict", by_verdict[i].verdict), netns,
		    (json_int_t)by_verdict[i].bytes);
	}
	add(&f[M_SUPPRESSED], json_pack("{s:s}", "device", dev), netns,
	    (json_int_t)vr_suppressed_read(st, dp.dev.slot));
	add(&f[M_LOST], json_pack("{s:s}", "device", dev), netns, (json_int_t)s.events_lost);
	add(&f[M_AUDIT], json_pack("{s:s}", "device", dev), netns, dp.dev.mode == VRNET_MODE_AUDIT);
	add(&f[M_INTERNET], json_pack("{s:s}", "device", dev), netns, dp.dev.internet);
	vr_device_look(st, &dp.dev, &seen);
	add(&f[M_FILTER], json_pack("{s:s}", "device", dev), netns,
	    !vr_filter_missing(&seen) && !vr_filter_behind(&seen));
	if (dp.dev.dns_proxy)
		collect_dns(st, &dp.dev, dns_open, netns, f);

	/* a domain rule's hits are those of the addresses it resolved to; series per rule on request */
	for (uint32_t i = 0; hits && i < dp.count;) {
		const struct vrnet_rule *rec = &dp.rules[i];
		json_int_t n = (json_int_t)vr_hits_get(hits, dp.dev.policy_id, i);
		char text[VR_RULE_TEXT_MAX + 80], id[16];
		uint32_t k = i + 1;

		if (!vr_record_is_rule(rec)) {
			i++;
			continue;
		}
		for (; k < dp.count && dp.rules[k].kind == VRNET_RULE_RESOLVED; k++)
			n += (json_int_t)vr_hits_get(hits, dp.dev.policy_id, k);
		vr_rule_record_text(&dp, i, text, sizeof(text));
		snprintf(id, sizeof(id), "%u", i);
		add(&f[M_RULE_HITS],
		    json_pack("{s:s,s:s,s:s,s:s}", "device", dev, "list",
			      rec->list <= VRNET_LIST_INBOUND_BLOCK ? lists[rec->list] : "", "rule_id", id,
			      "rule", text), netns,
		    n);
		i = k;
	}
	for (uint32_t i = 0; i < dp.count; i++)
		rules += vr_record_is_rule(&dp.rules[i]);
	add(&f[M_RULES], json_pack("{s:s}", "device", dev), netns, rules);
	vr_device_policy_free(&dp);
}

static void print_label_value(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(out, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

/* Every family's samples for the devices in @slots. */
static void collect_all(struct vr_state *st, const __u32 *slots, size_t n,
			const struct vr_hits *hits, struct family *f)
{
	__u32 *dns_open = calloc(VRNET_MAX_DEVICES, sizeof(*dns_open));

	if (dns_open && vr_dns_opened_count(st, dns_open)) {
		free(dns_open);
		dns_open = NULL;
	}
	init_families(f);
	for (size_t i = 0; i < n; i++)
		collect(st, slots[i], hits, dns_open, f);
	free(dns_open);
}

int vr_metrics_write(struct vr_state *st, const __u32 *slots, size_t n,
		     const struct vr_hits *hits, FILE *out)
{
	struct family f[M_COUNT];

	collect_all(st, slots, n, hits, f);
	fprintf(out, "# HELP vrnet_devices Devices with vrnet-bpf attached.\n"
		     "# TYPE vrnet_devices gauge\nvrnet_devices %zu\n", n);
	for (int i = 0; i < M_COUNT; i++) {
		json_t *sample;
		size_t k;

		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", f[i].name, f[i].help, f[i].name,
			f[i].type);
		json_array_foreach(f[i].samples, k, sample) {
			json_t *labels = json_object_get(sample, "labels"), *v;
			const char *key;
			bool first = true;

			fprintf(out, "%s{", f[i].name);
			json_object_foreach(labels, key, v) {
				fprintf(out, "%s%s=\"", first ? "" : ",", key);
				print_label_value(out, json_string_value(v));
				fputc('"', out);
				first = false;
			}
			fprintf(out, "} %lld\n", json_integer_value(json_object_get(sample, "value")));
		}
		json_decref(f[i].samples);
	}
	return fflush(out) ? -1 : 0;
}

json_t *vr_metrics_json(struct vr_state *st, const __u32 *slots, size_t n,
			const struct vr_hits *hits)
{
	struct family f[M_COUNT];
	json_t *all = json_array();

	collect_all(st, slots, n, hits, f);
	json_array_append_new(all, json_pack("{s:s,s:{},s:I}", "name", "vrnet_devices", "labels",
					     "value", (json_int_t)n));
	for (int i = 0; i < M_COUNT; i++) {
		json_t *sample;
		size_t k;

		json_array_foreach(f[i].samples, k, sample)
			json_array_append_new(all, json_pack("{s:s,s:O,s:O}", "name", f[i].name,
							     "labels", json_object_get(sample, "labels"),
							     "value", json_object_get(sample, "value")));
		json_decref(f[i].samples);
	}
	return all;
}
