/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* `log`: the events of blocked attempts, streamed from the ring buffer. */
#ifndef VR_EVENTS_H
#define VR_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include "state.h"

struct vr_log_opts {
	const __u32 *slots;	 /* devices to show; NULL: all */
	size_t slot_count;
	int64_t since_ns;	 /* CLOCK_REALTIME; 0: every buffered event */
	uint64_t max_events;	 /* stop after this many; 0: run until signalled */
	int summary_interval_ms; /* how often suppressed totals are reported */
	bool json;
};

/*
 * Streams events until SIGINT/SIGTERM or max_events. Memory stays bounded: a
 * policy cache per device, replaced when the policy changes.
 */
int vr_log_run(struct vr_state *st, const struct vr_log_opts *o);

/* Parses "30s", "10m", "2h", "1d" (ago) or "YYYY-MM-DDTHH:MM:SS[Z]" (UTC). */
int vr_parse_since(const char *text, int64_t *realtime_ns);

#endif
