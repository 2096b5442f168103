/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `metrics`: counters in the Prometheus text exposition format, for the
 * node_exporter textfile collector (or any scraper that reads a file).
 */
#ifndef VR_METRICS_H
#define VR_METRICS_H

#include <jansson.h>
#include <stdio.h>
#include "state.h"

/*
 * Writes the metrics of the devices in @slots to @f; with @hits, a series per
 * rule too (a million rules are a million series: on request only).
 */
int vr_metrics_write(struct vr_state *st, const __u32 *slots, size_t n,
		     const struct vr_hits *hits, FILE *f);
/* The same samples as JSON: [{"name", "labels": {...}, "value"}]. */
json_t *vr_metrics_json(struct vr_state *st, const __u32 *slots, size_t n,
			const struct vr_hits *hits);

#endif
