/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * XDP mode: the XDP program (bpf/vrnet_xdp.bpf.c) on a device's XDP hook,
 * before the tc program, through libxdp's dispatcher, so that other XDP
 * programs keep running on the same device. libxdp pins the dispatcher
 * under $LIBXDP_BPFFS/xdp (default /sys/fs/bpf/xdp), where xdp-loader finds
 * it too.
 */
#ifndef VR_XDP_H
#define VR_XDP_H

#include "state.h"

/*
 * Puts this build's XDP program on @ifindex in @xdp mode (VRNET_XDP_NATIVE
 * or _GENERIC) of namespace @netns_cookie (the one entered), first among
 * the dispatcher's programs, in place of one of ours already there (of any
 * build).
 */
int vr_xdp_attach(struct vr_state *st, __u64 netns_cookie, int ifindex, __u8 xdp, char *err,
		  size_t errlen);

/* Takes ours off @ifindex, leaving every other XDP program; none there is no error. */
int vr_xdp_detach(int ifindex);

/* The mode our XDP program runs in on @ifindex (enum vrnet_xdp_mode; NONE: not there), or <0. */
int vr_xdp_attached(int ifindex);

/*
 * Whether @ifindex runs ours in @xdp mode, and the one this build pinned for
 * namespace @netns_cookie's devices (not another build's, left by a command
 * cut short).
 */
bool vr_xdp_runs_current(struct vr_state *st, __u64 netns_cookie, int ifindex, __u8 xdp);

#endif
