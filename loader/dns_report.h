/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the DNS proxy tells the rest of vrnet-bpf: per device, what it did
 * with each query (vrnet_dnsstats, for metrics), and each refused query
 * (vrnet_dnslog, for `log`), held to the device's event rate as the
 * datapath's events are.
 */
#ifndef VR_DNS_REPORT_H
#define VR_DNS_REPORT_H

#include "state.h"

/* What is counted per device: a query's outcome, or a refusal's event the rate held back. */
enum vr_dns_outcome {
	VR_DNS_ANSWERED,
	VR_DNS_REFUSED,
	VR_DNS_FAILED,
	VR_DNS_DROPPED,
	VR_DNS_SUPPRESSED,
	VR_DNS_OUTCOMES
};

/* Which device a slot's counts are of: another in the slot by the flush, they are dropped. */
struct vr_dns_counted_for {
	__u64 netns_cookie;
	__u32 ifindex;
};

struct vr_dns_report {
	struct vr_state *st;
	__u64 *tat; /* per slot: the event rate's theoretical arrival time (GCRA) */
	struct vrnet_dnsstats *counts; /* per slot: not yet in vrnet_dnsstats */
	struct vr_dns_counted_for *counted_for; /* per slot with counts */
	__u32 *dirty;		       /* the slots with counts */
	size_t n_dirty;
	__u64 flushed_ns;
};

int vr_dns_report_init(struct vr_dns_report *r, struct vr_state *st);
void vr_dns_report_free(struct vr_dns_report *r);

/* Counts one @what of the device in @slot (in vrnet_dnsstats at the next flush). */
void vr_dns_count(struct vr_dns_report *r, __u32 slot, enum vr_dns_outcome what);

/*
 * Adds the counts to vrnet_dnsstats: at most every 100 ms, or now if @now.
 * Counts of a device that left its slot since are dropped: the slot's
 * statistics are its next device's.
 */
void vr_dns_report_flush(struct vr_dns_report *r, bool now);

/*
 * Queues @e (a refusal) for `log` if @dev's event rate lets it go now;
 * otherwise counts it suppressed. A full queue (no `log` running) drops it.
 */
void vr_dns_report_refusal(struct vr_dns_report *r, const struct vr_device *dev,
			   struct vrnet_dns_event *e);

#endif
