/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The datapath program: one per network namespace with devices, pinned as
 * "vrnet_egress_<netns cookie>" on the shared maps, and which build of
 * vrnet-bpf it came from (vrnet_programs), so a new binary can replace it.
 */
#ifndef VR_PROGRAM_H
#define VR_PROGRAM_H

#include <stdbool.h>
#include "state.h"

/* This binary's build of the program: 64 bits of the SHA-256 of the BPF object it embeds. */
__u64 vr_program_build(void);

/* Loads this build's program for namespace @netns_cookie on @st's maps: @fd, not pinned. */
int vr_program_load(struct vr_state *st, __u64 netns_cookie, int *fd, char *err, size_t errlen);

/*
 * Loads this build's XDP mode program (bpf/vrnet_xdp.bpf.c) for namespace
 * @netns_cookie on @st's maps, after vr_program_load() made them: @fd, not
 * pinned. @probes: it takes frames with the probe mark in their XDP metadata
 * for probes (`check`'s copy; never the one on a device, whose frames could
 * carry the mark).
 */
int vr_program_load_xdp(struct vr_state *st, __u64 netns_cookie, bool probes, int *fd,
			char *err, size_t errlen);

struct vrnet_xdp;
/*
 * The XDP mode's object for namespace @netns_cookie, opened on @st's pinned
 * maps and its settings made (@probes as above), not loaded: for
 * vr_program_load_xdp(), and for libxdp to load on a device (loader/xdp.c).
 * NULL with errno and @err on a failure.
 */
struct vrnet_xdp *vr_program_open_xdp(struct vr_state *st, __u64 netns_cookie, bool probes,
				     char *err, size_t errlen);

/*
 * Loads and pins the XDP program as namespace @netns_cookie's, over one
 * pinned before: the one `check` runs for a device in XDP mode (the one on
 * the device is libxdp's extension of its dispatcher, which cannot be run
 * by itself).
 */
int vr_program_pin_xdp(struct vr_state *st, __u64 netns_cookie, char *err, size_t errlen);

/* An fd of namespace @netns_cookie's pinned XDP program; -ENOENT if it has none. */
int vr_program_xdp_fd(struct vr_state *st, __u64 netns_cookie, int *fd);

/*
 * The devices' XDP program of namespace @netns_cookie: as libxdp loaded it
 * for the namespace's first device in XDP mode under this build (an
 * extension of a dispatcher, or an XDP program where the kernel takes no
 * dispatcher), pinned so that each later device links the same program
 * instead of loading its own (loader/xdp.c). Its fd (-ENOENT: none of this
 * build); pinned over the one before, the other builds' unpinned.
 */
int vr_program_xdp_device_fd(struct vr_state *st, __u64 netns_cookie, int *fd);
int vr_program_pin_xdp_device(struct vr_state *st, __u64 netns_cookie, int fd);

/*
 * Pins @fd as namespace @netns_cookie's program, over any pinned before
 * (a rename: the pin never goes missing), and records its build.
 */
int vr_program_pin(struct vr_state *st, __u64 netns_cookie, int fd, char *err, size_t errlen);

struct vr_program_info {
	unsigned int id;
	char tag[17];  /* the kernel's tag, hex */
	__u64 build;   /* 0: not recorded */
	bool current;  /* of this binary's build */
	bool probe_read; /* the entry point for kernels without kfuncs (bpf/offload.h) */
};

/* An fd of namespace @netns_cookie's DNS return program (docs/dns-proxy.md). */
int vr_program_dns_fd(struct vr_state *st, __u64 netns_cookie, int *fd);

/* An fd of namespace @netns_cookie's tc egress program (bpf/conntrack.h). */
int vr_program_inbound_fd(struct vr_state *st, __u64 netns_cookie, int *fd);

/* The pinned program of namespace @netns_cookie; -ENOENT if it has none. */
int vr_program_info(struct vr_state *st, __u64 netns_cookie, struct vr_program_info *info);

/* An fd of the pinned program of namespace @netns_cookie; -ENOENT if it has none. */
int vr_program_fd(struct vr_state *st, __u64 netns_cookie, int *fd);

/* Opens this namespace's program into st->prog_fd/prog_id, if it has one (else -1, 0). */
int vr_program_open(struct vr_state *st, char *err, size_t errlen);

/* Warns when this namespace's program is of another build than this binary's. */
void vr_program_warn_other_build(struct vr_state *st);

/* Loads, pins and opens this namespace's program (the first attach here). */
int vr_state_load_program(struct vr_state *st, char *err, size_t errlen);

#endif
