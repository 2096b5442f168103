/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The program on a device's ingress hook: a tcx link, pinned per device,
 * where the kernel has tcx (6.6+), else clsact + cls_bpf direct action. A
 * tcx link goes only with its device or an explicit detach of the link:
 * removing the clsact qdisc (a CNI, an operator, a VMM's cleanup) no longer
 * takes the filter with it.
 */
#ifndef VR_TC_H
#define VR_TC_H

#include <stdbool.h>

/* Our cls_bpf filter's handle and priority: first on the hook, found again by both. */
#define VR_TC_HANDLE 0x7672 /* "vr" */
#define VR_TC_PRIORITY 1

/* Whether the running kernel has tcx links (asked without attaching anything). */
bool vr_tcx_supported(void);

/*
 * Attaches @prog_fd to @ifindex's ingress, or replaces the program of ours
 * already there (in one step, never a moment without it): a tcx link pinned
 * at @link_pin, first on the hook, where tcx exists, else our cls_bpf filter
 * (@created_qdisc tells if the clsact qdisc was new). @tcx tells which.
 */
int vr_hook_attach(int ifindex, int prog_fd, const char *link_pin, bool *tcx,
		   bool *created_qdisc);
/* Whether a filter of ours (the link at @link_pin, or our cls_bpf filter) is on @ifindex, any program. */
bool vr_hook_present(int ifindex, const char *link_pin);
/*
 * Moves our tcx link (pinned at @link_pin, running @prog_fd) ahead of every
 * other program, with never a moment without one of ours; @spare_fd is a
 * second copy of the program (a hook runs one program once).
 */
int vr_hook_move_first(int ifindex, int prog_fd, int spare_fd, const char *link_pin);
/* Unpins a new link a killed vr_hook_move_first() left beside @link_pin. */
void vr_hook_forget_move(const char *link_pin);
/* How many tcx programs run before @prog_id on @ifindex's ingress (0: first, or clsact). */
int vr_hook_ahead(int ifindex, unsigned int prog_id);
/* 1 if the program @prog_id is on @ifindex's ingress (either way), 0 if not, <0 error. */
int vr_hook_is_attached(int ifindex, unsigned int prog_id);
/*
 * Removes ours: the link pinned at @link_pin, our cls_bpf filter, and the
 * clsact qdisc if we created it.
 */
int vr_hook_detach(int ifindex, const char *link_pin, bool destroy_qdisc);

/*
 * The tc egress hook (host to sandbox) runs the program that notes the
 * connections opened into the sandbox, first on the hook; it decides
 * nothing. @tcx as the ingress filter was attached: a link pinned at
 * @link_pin, else our cls_bpf filter on the clsact qdisc. Replaces a
 * program of ours already there in one step.
 */
int vr_hook_attach_inbound(int ifindex, int prog_fd, const char *link_pin, bool tcx);
/* Removes it (the link at @link_pin, or our egress cls_bpf filter); none there is no error. */
int vr_hook_detach_inbound(int ifindex, const char *link_pin);

/* Whether @ifindex carries a default route (IPv4 or IPv6) of the host. */
bool vr_is_default_route_dev(int ifindex);

#endif
