/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the kernel says about a device with state: does it still exist, under
 * the name it was attached as, and is our program on its hook? Devices of
 * other network namespaces are looked at from inside theirs.
 */
#ifndef VR_FILTER_H
#define VR_FILTER_H

#include <stdbool.h>
#include "state.h"

struct vr_device_seen {
	bool reachable;	 /* its network namespace was found */
	bool exists;	 /* a device with its ifindex exists there */
	bool same_name;	 /* ... under the name it was attached as */
	bool filtered;	 /* our filter, running its namespace's program, is on its hook */
	int ahead;	 /* tcx programs that run before ours: each may pass a packet past it */
};

void vr_device_look(struct vr_state *st, const struct vr_device *dev, struct vr_device_seen *seen);

/* Whether the device's filter is gone while its namespace is there: nothing filters it. */
static inline bool vr_filter_missing(const struct vr_device_seen *seen)
{
	return seen->reachable && !seen->filtered;
}

/* Whether another program runs before ours and may pass packets without it. */
static inline bool vr_filter_behind(const struct vr_device_seen *seen)
{
	return seen->filtered && seen->ahead > 0;
}

#endif
