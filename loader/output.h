/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* How devices, policies and verdicts are shown: text, and JSON for -j. */
#ifndef VR_OUTPUT_H
#define VR_OUTPUT_H

#include <jansson.h>
#include "probe.h"
#include "state.h"

/* Text of rule record @id of @dp: "api.example.com:443/tcp (192.0.2.7)". */
void vr_rule_record_text(const struct vr_device_policy *dp, uint32_t id, char *buf,
			 size_t len);

/* A device as JSON; with @hits (vr_hits_load), its rules (and their addresses) too. */
json_t *vr_device_json(struct vr_state *st, const struct vr_device_policy *dp,
		       const struct vr_hits *hits);
void vr_device_print(struct vr_state *st, const struct vr_device_policy *dp,
		     const struct vr_hits *hits);
/* Where @d is, for text: "" in this command's network namespace, else its name. */
void vr_device_netns_text(const struct vr_state *st, const struct vr_device *d, char *buf,
			  size_t len);

const char *vr_internet_name(int internet);
/* An XDP mode (enum vrnet_xdp_mode) by name: "native", "generic" or "none". */
const char *vr_xdp_mode_name(int xdp);
/* @mac as xx:xx:xx:xx:xx:xx (@len at least 18). */
void vr_mac_format(const __u8 *mac, char *buf, size_t len);
const char *vr_reason_key(uint32_t reason);

/* Prints @obj on stdout (pretty with -p) and releases it. */
void vr_json_print(json_t *obj, bool pretty);

#endif
