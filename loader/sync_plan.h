/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `sync` does to one device, decided from its file, the record of what
 * sync last applied to it, and what is on the device now. Decisions only:
 * cmd_sync.c carries them out.
 */
#ifndef VR_SYNC_PLAN_H
#define VR_SYNC_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include "sync_records.h"

enum vr_sync_action {
	VR_SYNC_UNCHANGED, /* as its file says: not touched */
	VR_SYNC_ATTACH,	   /* no filter on it: attach with its file */
	VR_SYNC_APPLY,	   /* filtered, not as its file says: apply its file */
	VR_SYNC_DETACH,	   /* its file is gone and sync attached it: detach */
	VR_SYNC_RELEASE,   /* its file is gone, attached by hand before: left as it is */
	VR_SYNC_FORGET,	   /* its file and the device are gone: the record goes */
	VR_SYNC_WAIT,	   /* a file for a device that does not exist (yet) */
	VR_SYNC_INVALID,   /* its file cannot be used: the device is left as it is */
	VR_SYNC_DENY,	   /* its file cannot be used, no filter on it: attach deny-all */
};

/* A device as it is now. */
struct vr_sync_seen {
	int ifindex;	       /* 0: no such device */
	bool filtered;	       /* our filter is on it, with its state */
	__u32 policy_id, overlay_id;
	__u8 xdp;	       /* the XDP mode its state notes */
};

struct vr_sync_step {
	enum vr_sync_action action;
	const char *reason; /* why, for the plan: "new", "file changed", ... */
};

/*
 * The step for one device: @has_file (@file_ok: readable, a device's name;
 * @digest its bytes'), @rec its record or NULL (@foreign: another
 * directory's), @seen the device now.
 */
struct vr_sync_step vr_sync_decide(bool has_file, bool file_ok, const uint8_t *digest,
				   const struct vr_sync_record *rec, bool foreign,
				   const struct vr_sync_seen *seen);

const char *vr_sync_action_name(enum vr_sync_action a);

#endif
