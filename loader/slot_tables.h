/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A device's own tables (bpf/maps.h): its fragment notes (vrnet_frags), the
 * connections opened into it (vrnet_conns) and the flows it opened
 * (vrnet_ownnotes), each an LRU map of its own in an array of maps by slot,
 * so that no other device's traffic pushes its entries out, and the marks of
 * its own UDP flows and TCP connections (vrnet_ownflows), made with the slot
 * so that a slot never used pays nothing.
 */
#ifndef VR_SLOT_TABLES_H
#define VR_SLOT_TABLES_H

#include "state.h"

/*
 * Readies @slot's tables for a device, before any packet can reach it: the
 * ones a detach left there (emptied: vr_slot_tables_empty()) are taken
 * again, any that holds something or is missing is replaced by a fresh one.
 * Making a table costs an attach far more than finding one (an LRU map's
 * lists are built when it is made), so a slot keeps its tables when its
 * device goes. The device there starts with none of its predecessor's.
 */
int vr_slot_tables_ready(struct vr_state *st, __u32 slot);

/*
 * Empties @slot's tables, once no packet can hold the slot (its device's key
 * is gone and readers were waited for); a table it cannot empty goes, and
 * the next device gets a fresh one.
 */
int vr_slot_tables_empty(struct vr_state *st, __u32 slot);

/*
 * Takes @slot's tables out, for a slot no device holds (`gc`: a freed slot
 * keeps ~330 KiB of tables for its next device, which a host past its peak
 * gets back so); their memory goes with the last packet that holds them.
 * Returns 1 if there were any, 0 if none, or -errno.
 */
int vr_slot_tables_drop(struct vr_state *st, __u32 slot);

/*
 * A descriptor of @slot's table in @outer_fd (st->frags_fd, conns_fd,
 * ownflows_fd, ownnotes_fd), or -errno.
 */
int vr_slot_table_fd(int outer_fd, __u32 slot);

#endif
