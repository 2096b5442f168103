/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which network namespace this process runs in. Devices are known by ifindex,
 * which only means something inside one namespace: the state records the
 * namespace it was made from, and commands from any other are refused.
 */
#ifndef VR_NETNS_H
#define VR_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The cookie of this process's network namespace (SO_NETNS_COOKIE); -errno. */
int vr_netns_cookie(__u64 *cookie);

/* Whether this process's network namespace is one of /run/netns (ip netns); its name. */
bool vr_netns_named(char *name, size_t len);

#endif
