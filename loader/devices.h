/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The steps of a change on a device, for the transactions in apply.c. */
#ifndef VR_DEVICES_H
#define VR_DEVICES_H

#include "state.h"

/* The MAC of @ifindex (of this network namespace): where a sandbox's unicast ARP may go. */
int vr_device_read_mac(int ifindex, __u8 *mac);

/*
 * A rate of @rate per second in bursts of @burst as a GCRA takes it
 * (bpf/limiter.h): the time between two, and how far ahead of now the next
 * may be. A rate of 0 gives 0 and 0.
 */
void vr_rate_gcra(__u32 rate, __u32 burst, __u64 *interval_ns, __u64 *tolerance_ns);

/* The record @dev describes (its policy ids and settings). */
void vr_record_of(const struct vr_device *dev, struct vrnet_record *rec);

/*
 * Makes @next the record of the device in @slot: written in the bank no word
 * names, then the slot's word stored in one atomic write. Returns after a
 * grace period: no packet holds the record it replaced, or its policies.
 */
int vr_device_switch(struct vr_state *st, __u32 slot, const struct vrnet_record *next);

/*
 * Counts a change in @slot's word without naming another record: the DNS
 * proxy, which keeps what it read of a device until its word changes, reads
 * it again (after a change to the addresses its answers opened).
 */
void vr_device_touch(struct vr_state *st, __u32 slot);

/*
 * Gives @ifindex of this network namespace a slot and a record of @dev's
 * settings (fills @dev's slot and identity), then its key: packets find it
 * from then on.
 */
int vr_device_create(struct vr_state *st, int ifindex, const char *ifname,
		     struct vr_device *dev, char *err, size_t errlen);

#endif
