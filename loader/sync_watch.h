/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What wakes `sync --watch`: a change in the desired state's directory
 * (inotify; config management and ConfigMap mounts write by renaming), a
 * device of this network namespace appearing, changing or going (rtnetlink),
 * SIGINT or SIGTERM, or the time of a periodic pass.
 */
#ifndef VR_SYNC_WATCH_H
#define VR_SYNC_WATCH_H

#include <stdbool.h>

struct vr_sync_watch {
	int inotify_fd, netlink_fd, signal_fd;
	char dir[4096];	   /* the directory watched */
	char parent[4096]; /* PATH's parent: PATH replaced shows there */
};

enum vr_sync_wake {
	VR_WAKE_CHANGE,	 /* files or devices changed */
	VR_WAKE_TIMEOUT, /* nothing happened in the time given */
	VR_WAKE_STOP,	 /* SIGINT or SIGTERM */
	VR_WAKE_ERROR,	 /* -errno in vr_sync_watch_error */
};

/* Watches @path (a directory, or the directory of one file); -errno, said in @err. */
int vr_sync_watch_open(struct vr_sync_watch *w, const char *path, char *err, size_t errlen);
/* Watches the directory again: one removed and made anew is another inode. */
int vr_sync_watch_rearm(struct vr_sync_watch *w);
/*
 * Waits up to @timeout_ms for a wake; a change is followed by @quiet_ms
 * without one before it returns, so that a burst (a ConfigMap's update, a
 * script creating devices) costs one pass.
 */
enum vr_sync_wake vr_sync_watch_wait(struct vr_sync_watch *w, int timeout_ms, int quiet_ms);
void vr_sync_watch_close(struct vr_sync_watch *w);

#endif
