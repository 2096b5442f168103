// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "dns_opened.h"
#include "dns_report.h"

int vr_dns_report_init(struct vr_dns_report *r, struct vr_state *st)
{
	r->st = st;
	r->tat = calloc(VRNET_MAX_DEVICES, sizeof(*r->tat));
	return r->tat ? 0 : -ENOMEM;
}

void vr_dns_report_free(struct vr_dns_report *r)
{
	free(r->tat);
	r->tat = NULL;
}

#define SUPPRESSED (VR_DNS_DROPPED + 1) /* a refusal's event, held back */

/* The proxy is vrnet_dnsstats's only writer: a read, then a write. */
static void add(struct vr_dns_report *r, __u32 slot, int what)
{
	struct vrnet_dnsstats s;

	if (bpf_map_lookup_elem(r->st->dnsstats_fd, &slot, &s))
		return;
	switch (what) {
	case VR_DNS_ANSWERED:
		s.answered++;
		break;
	case VR_DNS_REFUSED:
		s.refused++;
		break;
	case VR_DNS_FAILED:
		s.failed++;
		break;
	case VR_DNS_DROPPED:
		s.dropped++;
		break;
	default:
		s.events_suppressed++;
	}
	bpf_map_update_elem(r->st->dnsstats_fd, &slot, &s, BPF_ANY);
}

void vr_dns_count(struct vr_dns_report *r, __u32 slot, enum vr_dns_outcome what)
{
	add(r, slot, what);
}

void vr_dns_report_refusal(struct vr_dns_report *r, const struct vr_device *dev,
			   struct vrnet_dns_event *e)
{
	__u64 interval = dev->event_rate ? 1000000000ull / dev->event_rate : 0;
	__u64 tolerance = interval * (dev->event_burst ? dev->event_burst - 1 : 0);
	__u64 now = vr_ktime_ns(), *tat = &r->tat[dev->slot];
	__u64 at = *tat > now ? *tat : now;

	if (!dev->event_rate)
		return; /* the device logs nothing */
	if (at - now > tolerance) {
		add(r, dev->slot, SUPPRESSED);
		return;
	}
	*tat = at + interval;
	e->timestamp_ns = now;
	e->slot = dev->slot;
	bpf_map_update_elem(r->st->dnslog_fd, NULL, e, BPF_ANY);
}
