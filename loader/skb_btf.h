/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the program needs of the running kernel's socket buffers that CO-RE
 * field relocations cannot give: whether bpf_cast_to_kern_ctx() exists, and
 * the SKB_GSO_* bits (an anonymous enum, renumbered over the years: FIXEDID
 * left bit 3 for bit 30 in 6.18). Read from the kernel's BTF once per process.
 */
#ifndef VR_SKB_BTF_H
#define VR_SKB_BTF_H

#include <stdbool.h>
#include <linux/types.h>

struct vr_skb_btf {
	int err;	     /* 0, or why the rest is unknown (then @missing says what) */
	const char *missing; /* a name the kernel's BTF lacks */
	bool kern_ctx;	     /* the kfunc bpf_cast_to_kern_ctx() (6.2+) */
	/* GSO types whose segments are TCP or UDP headers the verdict read */
	__u32 gso_tcpv4, gso_tcpv6, gso_udp, gso_udp_l4;
	/* bits that only qualify them: DODGY, ECN, FIXEDID, ACCECN, where present */
	__u32 gso_modifiers;
};

/* The facts of the running kernel; never NULL. */
const struct vr_skb_btf *vr_skb_btf(void);

#endif
