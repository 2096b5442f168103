// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "devices.h"
#include "dns_opened.h"
#include "dns_report.h"

#define FLUSH_EVERY_NS 100000000ull

int vr_dns_report_init(struct vr_dns_report *r, struct vr_state *st)
{
	*r = (struct vr_dns_report){ .st = st };
	r->tat = calloc(VRNET_MAX_DEVICES, sizeof(*r->tat));
	r->counts = calloc(VRNET_MAX_DEVICES, sizeof(*r->counts));
	r->counted_for = calloc(VRNET_MAX_DEVICES, sizeof(*r->counted_for));
	r->dirty = calloc(VRNET_MAX_DEVICES, sizeof(*r->dirty));
	return r->tat && r->counts && r->counted_for && r->dirty ? 0 : -ENOMEM;
}

void vr_dns_report_free(struct vr_dns_report *r)
{
	free(r->tat);
	free(r->counts);
	free(r->counted_for);
	free(r->dirty);
	*r = (struct vr_dns_report){ 0 };
}

/* @what's counter in @s. */
static __u64 *counter(struct vrnet_dnsstats *s, enum vr_dns_outcome what)
{
	__u64 *const of[VR_DNS_OUTCOMES] = {
		[VR_DNS_ANSWERED] = &s->answered, [VR_DNS_REFUSED] = &s->refused,
		[VR_DNS_FAILED] = &s->failed,	  [VR_DNS_DROPPED] = &s->dropped,
		[VR_DNS_SUPPRESSED] = &s->events_suppressed,
	};

	return of[what];
}

/* The device in @slot now, as its note (mapped) says; zero if none. */
static struct vr_dns_counted_for device_in(const struct vr_state *st, __u32 slot)
{
	const struct vrnet_devinfo *di = &st->devinfo[slot];

	return di->in_use ? (struct vr_dns_counted_for){ .netns_cookie = di->netns_cookie,
							 .ifindex = di->ifindex } :
			    (struct vr_dns_counted_for){ 0 };
}

/* In memory: a query costs no system call. */
void vr_dns_count(struct vr_dns_report *r, __u32 slot, enum vr_dns_outcome what)
{
	struct vrnet_dnsstats *c = &r->counts[slot];
	static const struct vrnet_dnsstats zero;

	if (!memcmp(c, &zero, sizeof(zero))) {
		r->dirty[r->n_dirty++] = slot;
		r->counted_for[slot] = device_in(r->st, slot);
	}
	(*counter(c, what))++;
}

/* The proxy is vrnet_dnsstats's only writer: a read, then a write, per device counted. */
void vr_dns_report_flush(struct vr_dns_report *r, bool now)
{
	__u64 t = vr_ktime_ns();

	if (!r->counts || (!now && t - r->flushed_ns < FLUSH_EVERY_NS))
		return;
	r->flushed_ns = t;
	for (size_t i = 0; i < r->n_dirty; i++) {
		__u32 slot = r->dirty[i];
		struct vrnet_dnsstats *c = &r->counts[slot], s;
		struct vr_dns_counted_for now_in = device_in(r->st, slot);

		if (now_in.netns_cookie && now_in.netns_cookie == r->counted_for[slot].netns_cookie &&
		    now_in.ifindex == r->counted_for[slot].ifindex &&
		    !bpf_map_lookup_elem(r->st->dnsstats_fd, &slot, &s)) {
			for (int w = 0; w < VR_DNS_OUTCOMES; w++)
				*counter(&s, w) += *counter(c, w);
			bpf_map_update_elem(r->st->dnsstats_fd, &slot, &s, BPF_ANY);
		}
		memset(c, 0, sizeof(*c));
	}
	r->n_dirty = 0;
}

void vr_dns_report_refusal(struct vr_dns_report *r, const struct vr_device *dev,
			   struct vrnet_dns_event *e)
{
	__u64 now = vr_ktime_ns(), *tat = &r->tat[dev->slot];
	__u64 at = *tat > now ? *tat : now, interval, tolerance;

	if (!dev->event_rate)
		return; /* the device logs nothing */
	vr_rate_gcra(dev->event_rate, dev->event_burst, &interval, &tolerance);
	if (at - now > tolerance) {
		vr_dns_count(r, dev->slot, VR_DNS_SUPPRESSED);
		return;
	}
	*tat = at + interval;
	e->timestamp_ns = now;
	e->slot = dev->slot;
	bpf_map_update_elem(r->st->dnslog_fd, NULL, e, BPF_ANY);
}
