// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "sync_watch.h"

#define WATCH_EVENTS                                                                      \
	(IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_ATTRIB | \
	 IN_DELETE_SELF | IN_MOVE_SELF)

static void parent_of(const char *path, char *out, size_t len)
{
	char copy[4096];

	snprintf(copy, sizeof(copy), "%s", path);
	snprintf(out, len, "%s", dirname(copy));
}

int vr_sync_watch_open(struct vr_sync_watch *w, const char *path, char *err, size_t errlen)
{
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct stat sb;
	sigset_t stop;
	int ret;

	w->inotify_fd = w->netlink_fd = w->signal_fd = -1;
	parent_of(path, w->parent, sizeof(w->parent));
	if (!stat(path, &sb) && !S_ISDIR(sb.st_mode))
		parent_of(path, w->dir, sizeof(w->dir));
	else
		snprintf(w->dir, sizeof(w->dir), "%s", path);
	w->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (w->inotify_fd < 0 || vr_sync_watch_rearm(w)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't watch %s: %s", w->dir, strerror(errno));
		goto fail;
	}
	w->netlink_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->netlink_fd < 0 || bind(w->netlink_fd, (struct sockaddr *)&nl, sizeof(nl))) {
		ret = -errno;
		snprintf(err, errlen, "couldn't watch the devices (rtnetlink): %s", strerror(errno));
		goto fail;
	}
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	w->signal_fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (w->signal_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "signalfd: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	vr_sync_watch_close(w);
	return ret;
}

int vr_sync_watch_rearm(struct vr_sync_watch *w)
{
	/* PATH itself replaced (a symlink swapped, a folder renamed over) shows in its parent */
	inotify_add_watch(w->inotify_fd, w->parent, IN_CREATE | IN_MOVED_TO | IN_MASK_ADD);
	return inotify_add_watch(w->inotify_fd, w->dir, WATCH_EVENTS) < 0 ? -errno : 0;
}

/* Reads what is queued on @fd: the wake is the event, not its content. */
static void drain(int fd)
{
	char buf[8192];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

enum vr_sync_wake vr_sync_watch_wait(struct vr_sync_watch *w, int timeout_ms, int quiet_ms)
{
	struct pollfd fds[] = { { .fd = w->signal_fd, .events = POLLIN },
				{ .fd = w->inotify_fd, .events = POLLIN },
				{ .fd = w->netlink_fd, .events = POLLIN } };
	bool changed = false;

	for (;;) {
		int n = poll(fds, 3, changed ? quiet_ms : timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return VR_WAKE_ERROR;
		if (n == 0)
			return changed ? VR_WAKE_CHANGE : VR_WAKE_TIMEOUT;
		if (fds[0].revents)
			return VR_WAKE_STOP;
		for (int i = 1; i < 3; i++)
			if (fds[i].revents) {
				drain(fds[i].fd);
				changed = true;
			}
	}
}

void vr_sync_watch_close(struct vr_sync_watch *w)
{
	int *fds[] = { &w->inotify_fd, &w->netlink_fd, &w->signal_fd };

	for (size_t i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}
