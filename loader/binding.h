/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Source binding of a device (`attach DEV --address ... --mac ... --dhcp`):
 * the prefixes a sandbox may send from go into vrnet_bound4/6 under its slot,
 * its MAC and the DHCP switch into its record (bpf/source.h decides).
 */
#ifndef VR_BINDING_H
#define VR_BINDING_H

#include <stdbool.h>
#include <stddef.h>
#include "state.h"

struct vr_binding {
	size_t count;
	struct vrnet_bound_prefix prefixes[VRNET_MAX_BOUND_ADDRS];
	bool has_mac, dhcp;
	__u8 mac[6];
};

/* Adds ADDR or ADDR/LEN (IPv4 or IPv6) to @b; -EINVAL with the reason in @err. */
int vr_binding_add_address(struct vr_binding *b, const char *text, char *err, size_t errlen);
/* Parses a MAC (xx:xx:xx:xx:xx:xx) into @b; -EINVAL unless a unicast MAC. */
int vr_binding_set_mac(struct vr_binding *b, const char *text, char *err, size_t errlen);

/* The link-local address the MAC @mac gives (fe80::/64, modified EUI-64). */
void vr_binding_link_local(const __u8 *mac, __u8 *addr);

/*
 * Binds the device in @slot to @b, in place of what it was bound to: new
 * prefixes are in the maps before its record says so, dropped ones go after.
 */
int vr_device_bind(struct vr_state *st, __u32 slot, const struct vr_binding *b, char *err,
		   size_t errlen);

/*
 * Finishes a bind a killed command left (its devinfo says rebinding): the
 * prefixes it was replacing go, whether or not its record was switched.
 */
int vr_binding_recover(struct vr_state *st, __u32 slot);

/* What the device in @slot is bound to (count 0: nothing). */
int vr_binding_read(struct vr_state *st, __u32 slot, struct vrnet_binding_note *note);

/* Removes the device in @slot's prefixes and note (no packet may read them any more). */
int vr_binding_forget(struct vr_state *st, __u32 slot);

#endif
