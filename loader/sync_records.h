/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What `sync` applied to each device it manages, in a hash map pinned beside
 * the others (vrnet_sync; the program never reads it): the digest of the
 * device's file, and the policy ids that were in force after, so that the
 * next sync touches only what changed. Kept per network namespace and
 * device name, as the files name devices, with the directory the file was
 * in: a sync of another directory leaves the device alone.
 */
#ifndef VR_SYNC_RECORDS_H
#define VR_SYNC_RECORDS_H

#include <stdbool.h>
#include <linux/types.h>
#include "digest.h"
#include "state.h"

#define VR_MAP_SYNC "vrnet_sync"

struct vr_sync_key {
	__u64 netns_cookie;
	char ifname[16];
};

#define VR_SYNC_DIR_MAX 240

struct vr_sync_record {
	char dir[VR_SYNC_DIR_MAX];  /* the directory of its file (real path): the sync managing it */
	__u8 digest[VR_DIGEST_LEN]; /* of the file applied */
	__s32 ifindex;		    /* the device it went to */
	__u32 policy_id, overlay_id; /* in force after it: another id is another command's */
	__u8 xdp;		    /* enum vrnet_xdp_mode the file asked for */
	__u8 attached;		    /* sync attached it (else it was attached before, by hand) */
	__u8 pad[2];
};

/*
 * The pinned map; with @create (the state open for a change) made if
 * missing. -ENOENT if not; -EPROTO if it has another layout (another build).
 */
int vr_sync_records_open(const struct vr_state *st, bool create, int *fd);
/*
 * The records of network namespace @cookie, sorted by name; *@n of them.
 * @fd < 0 (no map yet): none.
 */
int vr_sync_records_list(int fd, __u64 cookie, struct vr_sync_key **keys,
			 struct vr_sync_record **recs, size_t *n);

#endif
