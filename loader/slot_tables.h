/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A device's own tables (bpf/maps.h): its fragment notes (vrnet_frags), the
 * connections opened into it (vrnet_conns) and the flows it opened
 * (vrnet_ownnotes), each an LRU map of its own in an array of maps by slot,
 * so that no other device's traffic pushes its entries out, and the marks of
 * its own UDP flows and TCP connections (vrnet_ownflows), made with the slot
 * so that a device that has none pays nothing.
 */
#ifndef VR_SLOT_TABLES_H
#define VR_SLOT_TABLES_H

#include "state.h"

/* Puts fresh, empty tables in @slot: the device there starts with none of its predecessor's. */
int vr_slot_tables_fresh(struct vr_state *st, __u32 slot);

/* Takes @slot's tables out (their memory goes with the last packet that holds them). */
int vr_slot_tables_drop(struct vr_state *st, __u32 slot);

/*
 * A descriptor of @slot's table in @outer_fd (st->frags_fd, conns_fd,
 * ownflows_fd, ownnotes_fd), or -errno.
 */
int vr_slot_table_fd(int outer_fd, __u32 slot);

#endif
