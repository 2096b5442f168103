/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The loader's side of vrnet_conns, the connections opened into sandboxes (bpf/conntrack.h). */
#ifndef VR_CONNTRACK_H
#define VR_CONNTRACK_H

#include "state.h"

/* Deletes the connections of the device in @slot: the next device there starts with none. */
int vr_conns_forget(struct vr_state *st, __u32 slot);

#endif
