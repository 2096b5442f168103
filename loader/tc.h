/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The program on a device's tc ingress hook: clsact + cls_bpf direct action. */
#ifndef VR_TC_H
#define VR_TC_H

#include <stdbool.h>

/* Our filter's handle and priority: first on the hook, found again by both. */
#define VR_TC_HANDLE 0x7672 /* "vr" */
#define VR_TC_PRIORITY 1

/* Attaches (or replaces) our filter; @created_qdisc tells if clsact was new. */
int vr_tc_attach(int ifindex, int prog_fd, bool *created_qdisc);
/* 1 if our filter runs the program @prog_id on @ifindex, 0 if not, <0 error. */
int vr_tc_is_attached(int ifindex, unsigned int prog_id);
/* Removes our filter, and the clsact qdisc if we created it. */
int vr_tc_detach(int ifindex, bool destroy_qdisc);

/* Whether @ifindex carries a default route (IPv4 or IPv6) of the host. */
bool vr_is_default_route_dev(int ifindex);

#endif
