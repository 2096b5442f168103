/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Whether pinned maps have this build's layout: not just their sizes, but
 * their key and value types as BTF describes them (member names, offsets and
 * sizes, nested), so maps of a build with two same-size fields swapped are
 * refused rather than misread.
 */
#ifndef VR_LAYOUT_H
#define VR_LAYOUT_H

#include <stddef.h>
#include <linux/types.h>

struct btf;

/* The layout of BTF type @id as text, e.g. "{policy_id@0:4,addr@32:[16]1}". */
void vr_btf_layout(const struct btf *btf, __u32 id, char *buf, size_t len);

struct vr_layout_check;

/* Opens this build's BTF (from the embedded object) for a series of checks. */
struct vr_layout_check *vr_layout_check_open(void);
/*
 * Compares the pinned map @fd, named @name, with this build's map of that
 * name: 0, or -EPROTO with what differs in @err.
 */
int vr_layout_check_map(struct vr_layout_check *c, int fd, const char *name, char *err,
			size_t errlen);
void vr_layout_check_close(struct vr_layout_check *c);

#endif
