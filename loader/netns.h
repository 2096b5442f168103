/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Network namespaces. A device is its namespace and its ifindex there: the
 * namespace is known by its cookie (SO_NETNS_COOKIE, never reused) and found
 * again by its inode (/proc/PID/ns/net, /run/netns/NAME), checked against
 * the cookie.
 */
#ifndef VR_NETNS_H
#define VR_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The cookie and inode of this process's network namespace; -errno. */
int vr_netns_self(__u64 *cookie, __u64 *inode);

/* Whether this process's network namespace is one of /run/netns (ip netns); its name. */
bool vr_netns_named(char *name, size_t len);

/*
 * Moves this process into the namespace @spec names: a name of /run/netns, a
 * path (anything with a '/'), or a process id. -errno, the reason in @err.
 */
int vr_netns_join(const char *spec, char *err, size_t errlen);

/*
 * Enters the namespace of @cookie (inode @inode) for a while; @home returns
 * there (vr_netns_return). -ENOENT when no process or name holds it any more.
 */
int vr_netns_enter(__u64 cookie, __u64 inode, int *home);
void vr_netns_return(int home);

/* A name for the namespace of @inode: its /run/netns name, or "netns:<inode>". */
void vr_netns_describe(__u64 inode, char *buf, size_t len);

#endif
