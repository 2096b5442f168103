// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include <arpa/nameser.h>
#include "dns_qtype.h"
#include "events.h"
#include "output.h"

/*
 * What `log` remembers per device: its policy (for rule text) and totals.
 * Policies can be large (a million rules): at most LOG_CACHED_POLICIES are
 * kept, the least recently used one goes first.
 */
#define LOG_CACHED_POLICIES 32

struct log_device {
	__u32 slot;
	struct vr_device_policy dp; /* dp.rules NULL: not read, or evicted */
	uint64_t suppressed_seen;   /* the running total last reported */
	uint64_t last_used;	    /* log_ctx.clock when its policy last explained an event */
	char ifname[16];	    /* its name when its policy was last read */
	__u64 word;		    /* its vrnet_switch word then: a change since moves it */
};

struct log_ctx {
	struct vr_state *st;
	const struct vr_log_opts *o;
	struct log_device *devs;
	size_t dev_count, dev_cap;
	int64_t mono_to_real_ns;
	uint64_t events;
	uint64_t clock;	      /* counts policy uses, for the eviction */
	size_t cached;	      /* devices whose policy is in memory */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec t;

	clock_gettime(id, &t);
	return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

int vr_parse_since(const char *text, int64_t *realtime_ns)
{
	struct tm tm = { 0 };
	const char *end;
	char *unit;
	long long n;

	errno = 0;
	n = strtoll(text, &unit, 10);
	if (unit != text && isdigit((unsigned char)text[0]) && unit[0] && !unit[1]) {
		static const struct { char unit; int64_t ns; } units[] = {
			{ 's', 1000000000ll }, { 'm', 60000000000ll },
			{ 'h', 3600000000000ll }, { 'd', 86400000000000ll },
		};
		int64_t now = clock_ns(CLOCK_REALTIME);

		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (unit[0] == units[i].unit) {
				/* no further back than 1970: no overflow either */
				if (errno || n > now / units[i].ns)
					return -ERANGE;
				*realtime_ns = now - n * units[i].ns;
				return 0;
			}
		return -EINVAL;
	}
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || (*end && strcmp(end, "Z")))
		return -EINVAL;
	*realtime_ns = (int64_t)timegm(&tm) * 1000000000ll;
	return 0;
}

static struct log_device *device_of(struct log_ctx *c, __u32 slot)
{
	struct log_device *d;

	for (size_t i = 0; i < c->dev_count; i++)
		if (c->devs[i].slot == slot)
			return &c->devs[i];
	if (c->dev_count == c->dev_cap) {
		size_t cap = c->dev_cap ? c->dev_cap * 2 : 16;

		d = realloc(c->devs, cap * sizeof(*d));
		if (!d)
			return NULL;
		c->devs = d;
		c->dev_cap = cap;
	}
	d = &c->devs[c->dev_count++];
	memset(d, 0, sizeof(*d));
	d->slot = slot;
	return d;
}

static void forget_policy(struct log_ctx *c, struct log_device *d)
{
	if (d->dp.rules)
		c->cached--;
	vr_device_policy_free(&d->dp);
	memset(&d->dp, 0, sizeof(d->dp));
}

/* Makes room for one more policy: the least recently used one goes. */
static void evict_policy(struct log_ctx *c)
{
	struct log_device *oldest = NULL;

	for (size_t i = 0; i < c->dev_count; i++)
		if (c->devs[i].dp.rules &&
		    (!oldest || c->devs[i].last_used < oldest->last_used))
			oldest = &c->devs[i];
	if (oldest)
		forget_policy(c, oldest);
}

/*
 * Reads the device's current policy unless the cached one is still in force:
 * the same base, and no switch since (an edit may have moved the overlay's
 * rule ids).
 */
static void refresh_policy(struct log_ctx *c, struct log_device *d, uint32_t policy_id,
			   uint32_t rule_id)
{
	__u64 word = __atomic_load_n(&c->st->switch_words[d->slot], __ATOMIC_ACQUIRE);

	d->last_used = ++c->clock;
	if (d->dp.dev.policy_id == policy_id && d->dp.rules && rule_id < d->dp.count &&
	    d->word == word)
		return;
	forget_policy(c, d);
	while (c->cached >= LOG_CACHED_POLICIES)
		evict_policy(c);
	flock(c->st->dir_fd, LOCK_SH); /* never a policy half-way through a change */
	d->word = __atomic_load_n(&c->st->switch_words[d->slot], __ATOMIC_ACQUIRE);
	if (vr_device_policy_read_slot(c->st, d->slot, &d->dp))
		memset(&d->dp, 0, sizeof(d->dp));
	flock(c->st->dir_fd, LOCK_UN);
	if (d->dp.rules) {
		c->cached++;
		memcpy(d->ifname, d->dp.dev.ifname, sizeof(d->ifname));
	}
}

static bool selected(const struct vr_log_opts *o, __u32 slot)
{
	if (!o->slots)
		return true;
	for (size_t i = 0; i < o->slot_count; i++)
		if (o->slots[i] == slot)
			return true;
	return false;
}

static const char *proto_text(int family, int proto, char *buf, size_t len)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return family == 4 ? "icmp" : "1";
	case 58:
		return family == 6 ? "icmpv6" : "58";
	default:
		snprintf(buf, len, "%d", proto);
		return buf;
	}
}

static void tcp_flags_text(uint8_t f, char *buf, size_t len)
{
	static const char *const names[] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
	size_t n = 0;

	buf[0] = '\0';
	for (int i = 0; i < 8; i++)
		if (f & (1 << i))
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "|" : "",
					      names[i]);
}

static void time_text(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000ll);
	struct tm tm;
	char s[32];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", s, (int)(ns % 1000000000ll / 1000000));
}

static void print_json_line(json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);

	if (text)
		printf("%s\n", text);
	free(text);
	json_decref(obj);
	fflush(stdout);
}

static void print_event(struct log_ctx *c, const struct vrnet_event *e, struct log_device *d,
			int64_t when, uint64_t suppressed)
{
	char t[40], src[64] = "", dst[64] = "", rule[VR_RULE_TEXT_MAX + 80] = "", pb[8],
		flags[40], smac[18];
	const char *action = e->audit ? "audited" : e->action == VRNET_ACTION_DENY ? "dropped" :
										 "passed";
	const char *proto = e->arp ? "arp" : proto_text(e->family, e->l4_proto, pb, sizeof(pb));
	const char *name = d->dp.rules ? d->dp.dev.ifname : "?";
	char ifname[IF_NAMESIZE];

	if (!d->dp.rules && if_indextoname((unsigned int)e->ifindex, ifname))
		name = ifname;
	time_text(when, t, sizeof(t));
	if (e->family) {
		vr_addr_format(e->family, e->saddr, e->family == 4 ? 32 : 128, src, sizeof(src));
		vr_addr_format(e->family, e->daddr, e->family == 4 ? 32 : 128, dst, sizeof(dst));
	}
	if ((e->reason == VRNET_REASON_ALLOW_RULE || e->reason == VRNET_REASON_BLOCK_RULE) &&
	    d->dp.rules && d->dp.dev.policy_id == e->policy_id)
		vr_rule_record_text(&d->dp, e->rule_id, rule, sizeof(rule));
	tcp_flags_text(e->l4_proto == 6 ? e->tcp_flags : 0, flags, sizeof(flags));
	vr_mac_format(e->smac, smac, sizeof(smac));

	if (c->o->json) {
		json_t *obj = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:i,s:i,s:I}", "type", "event",
					"time", t, "device", name, "ifindex", (int)e->ifindex,
					"action", action, "reason", vr_reason_key(e->reason),
					"policy_id", (int)e->policy_id, "length", (int)e->len,
					"suppressed", (json_int_t)suppressed);

		json_object_set_new(obj, "source_mac", json_string(smac));
		/* in: the host's packet into the sandbox, judged by the inbound policy */
		json_object_set_new(obj, "direction", json_string(e->inbound ? "in" : "out"));

		if (e->reason == VRNET_REASON_ALLOW_RULE || e->reason == VRNET_REASON_BLOCK_RULE) {
			json_object_set_new(obj, "rule_id", json_integer(e->rule_id));
			if (*rule)
				json_object_set_new(obj, "rule", json_string(rule));
		}
		if (e->family) {
			json_object_set_new(obj, "family", json_integer(e->family));
			json_object_set_new(obj, "protocol", json_string(proto));
			json_object_set_new(obj, "source", json_string(src));
			json_object_set_new(obj, "destination", json_string(dst));
		}
		if (e->has_ports) {
			json_object_set_new(obj, "source_port", json_integer(e->sport));
			json_object_set_new(obj, "destination_port", json_integer(e->dport));
		}
		if (e->l4_proto == 6 && e->family)
			json_object_set_new(obj, "tcp_flags", json_string(flags));
		if ((e->l4_proto == 1 || e->l4_proto == 58) && e->family)
			json_object_set_new(obj, "icmp_type", json_integer(e->icmp_type));
		print_json_line(obj);
		return;
	}
	printf("%s %s %s%s %s", t, name, action, e->inbound ? " inbound" : "",
	       e->family ? proto : "non-IP frame");
	if (e->family && e->has_ports)
		printf(" %s%s%s:%u -> %s%s%s:%u", e->family == 6 ? "[" : "", src,
		       e->family == 6 ? "]" : "", e->sport, e->family == 6 ? "[" : "", dst,
		       e->family == 6 ? "]" : "", e->dport);
	else if (e->family)
		printf(" %s -> %s", src, dst);
	if (*flags)
		printf(" %s", flags);
	printf(": %s%s%s", vr_reason_text(e->reason), *rule ? " " : "", rule);
	if (e->reason == VRNET_REASON_SPOOFED)
		printf(" (from MAC %s)", smac);
	if (suppressed)
		printf(" (%llu earlier events suppressed)", (unsigned long long)suppressed);
	printf("\n");
	fflush(stdout);
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct log_ctx *c = ctx;
	const struct vrnet_event *e = data;
	struct log_device *d;
	int64_t when;
	uint64_t suppressed;

	if (size < sizeof(*e) || !selected(c->o, e->slot))
		return 0;
	d = device_of(c, e->slot);
	if (!d)
		return -ENOMEM;
	/* what the limiter held back since the last report, from the running total */
	suppressed = e->suppressed_total > d->suppressed_seen ?
			     e->suppressed_total - d->suppressed_seen :
			     0;
	if (e->suppressed_total > d->suppressed_seen)
		d->suppressed_seen = e->suppressed_total;
	when = (int64_t)e->timestamp_ns + c->mono_to_real_ns;
	if (c->o->since_ns && when < c->o->since_ns)
		return 0;
	refresh_policy(c, d, e->policy_id, e->rule_id);
	print_event(c, e, d, when, suppressed);
	if (c->o->max_events && ++c->events >= c->o->max_events)
		stop = 1;
	return 0;
}

/* A query the DNS proxy refused, from vrnet_dnslog. */
static void print_dns_event(struct log_ctx *c, const struct vrnet_dns_event *e,
			    struct log_device *d, int64_t when)
{
	char t[40], rule[VR_RULE_TEXT_MAX + 80] = "", name[VRNET_DNS_NAME_TEXT];
	char qtype_buf[VR_QTYPE_TEXT];
	const char *qtype = vr_qtype_text(e->qtype, qtype_buf);
	const char *dev = d->dp.rules ? d->dp.dev.ifname : "?";
	const char *rcode = e->rcode == ns_r_refused ? "REFUSED" : "NXDOMAIN";
	int reason = e->rule_id == VRNET_DNS_NO_RULE ? VRNET_REASON_DEFAULT :
						       VRNET_REASON_BLOCK_RULE;

	snprintf(name, sizeof(name), "%s", e->name); /* NUL-terminated whatever the queue held */
	time_text(when, t, sizeof(t));
	if (e->rule_id != VRNET_DNS_NO_RULE && d->dp.rules && d->dp.dev.policy_id == e->policy_id)
		vr_rule_record_text(&d->dp, e->rule_id, rule, sizeof(rule));
	if (c->o->json) {
		json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i}", "type", "dns",
					"time", t, "device", dev, "action", "refused", "reason",
					vr_reason_key(reason), "name", name, "qtype", qtype, "rcode", rcode,
					"policy_id", (int)e->policy_id);

		if (e->rule_id != VRNET_DNS_NO_RULE) {
			json_object_set_new(obj, "rule_id", json_integer(e->rule_id));
			if (*rule)
				json_object_set_new(obj, "rule", json_string(rule));
		}
		print_json_line(obj);
	} else {
		printf("%s %s refused dns %s %s (%s): %s%s%s\n", t, dev, name, qtype,
		       rcode, vr_reason_text(reason), *rule ? " " : "", rule);
		fflush(stdout);
	}
}

/* Drains the DNS proxy's refusals (a queue, polled with the ring buffer). */
static int drain_dns(struct log_ctx *c)
{
	struct vrnet_dns_event e;

	while (!stop && !bpf_map_lookup_and_delete_elem(c->st->dnslog_fd, NULL, &e)) {
		struct log_device *d;
		int64_t when = (int64_t)e.timestamp_ns + c->mono_to_real_ns;

		if (!selected(c->o, e.slot) || (c->o->since_ns && when < c->o->since_ns))
			continue;
		d = device_of(c, e.slot);
		if (!d)
			return -ENOMEM;
		refresh_policy(c, d, e.policy_id, e.rule_id == VRNET_DNS_NO_RULE ? 0 : e.rule_id);
		print_dns_event(c, &e, d, when);
		if (c->o->max_events && ++c->events >= c->o->max_events)
			stop = 1;
	}
	return 0;
}

/* Suppressions that no later event reported (the flood stopped): a summary. */
static void report_suppressed(struct log_ctx *c)
{
	for (size_t i = 0; i < c->dev_count; i++) {
		struct log_device *d = &c->devs[i];
		uint64_t total;

		if (!d->ifname[0])
			continue; /* never read: no name to report */
		total = vr_suppressed_read(c->st, d->slot);
		if (total <= d->suppressed_seen)
			continue;
		if (c->o->json) {
			char t[40];

			time_text(clock_ns(CLOCK_REALTIME), t, sizeof(t));
			print_json_line(json_pack("{s:s,s:s,s:s,s:I}", "type", "suppressed", "time", t,
						  "device", d->ifname, "suppressed",
						  (json_int_t)(total - d->suppressed_seen)));
		} else {
			printf("%s: %llu events suppressed by the rate limit\n", d->ifname,
			       (unsigned long long)(total - d->suppressed_seen));
			fflush(stdout);
		}
		d->suppressed_seen = total;
	}
}

int vr_log_run(struct vr_state *st, const struct vr_log_opts *o)
{
	struct log_ctx c = { .st = st, .o = o };
	struct sigaction sa = { .sa_handler = on_signal };
	struct ring_buffer *rb;
	int64_t next_summary;
	int ret = 0;

	c.mono_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_MONOTONIC);
	/* devices known now start from their current totals: only new suppressions count */
	__u32 *list;
	size_t n;

	if (!vr_device_slots(st, &list, &n)) {
		for (size_t i = 0; i < n; i++) {
			struct log_device *d;

			if (!selected(o, list[i]) || !(d = device_of(&c, list[i])))
				continue;
			refresh_policy(&c, d, 0, 0);
			if (d->ifname[0])
				d->suppressed_seen = vr_suppressed_read(st, d->slot);
		}
		free(list);
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	rb = ring_buffer__new(st->events_fd, on_event, &c, NULL);
	if (!rb) {
		ret = -errno;
		goto out;
	}
	next_summary = clock_ns(CLOCK_MONOTONIC) + (int64_t)o->summary_interval_ms * 1000000ll;
	while (!stop) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR) {
			ret = n;
			break;
		}
		ret = drain_dns(&c);
		if (ret)
			break;
		if (o->summary_interval_ms && clock_ns(CLOCK_MONOTONIC) >= next_summary) {
			report_suppressed(&c);
			next_summary += (int64_t)o->summary_interval_ms * 1000000ll;
		}
	}
	ring_buffer__free(rb);
out:
	for (size_t i = 0; i < c.dev_count; i++)
		vr_device_policy_free(&c.devs[i].dp);
	free(c.devs);
	return ret;
}
