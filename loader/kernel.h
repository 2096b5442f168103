/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What vrnet-bpf needs of the running kernel: the oldest release supported
 * (the floor), and each BPF feature the program and the loader use with the
 * release it arrived in, probed at run time.
 */
#ifndef VR_KERNEL_H
#define VR_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

/* The oldest kernel the whole suite runs on (Debian 12's). */
#define VR_KERNEL_FLOOR_MAJOR 6
#define VR_KERNEL_FLOOR_MINOR 1
#define VR_KERNEL_FLOOR "6.1"

/* Room for every feature's probe result. */
#define VR_KERNEL_MAX_FEATURES 32

struct vr_kernel_feature {
	const char *key;      /* JSON key, snake_case */
	const char *name;     /* what an error names */
	const char *used_for; /* what breaks without it */
	int major, minor;     /* the first release that has it */
	int (*probe)(const struct vr_kernel_feature *f); /* 1 present, 0 absent */
	int arg;              /* the probe's map type or helper */
	bool optional;        /* without it vrnet-bpf falls back; not a reason to refuse */
};

extern const struct vr_kernel_feature vr_kernel_features[];
extern const size_t vr_kernel_n_features;

/* Parses "6.1.0-57-cloud-amd64" into 6 and 1; -EINVAL when it is not a release. */
int vr_kernel_parse_release(const char *release, int *major, int *minor);

/*
 * vr_kernel_check() - whether the program can be loaded on this kernel
 * @release: the running kernel's release (uname -r)
 * @missing: features whose probe said absent, @n_missing of them
 *
 * Return: 0, or -ENOTSUP with @err naming the kernel, the floor and each
 * missing feature with the release that brought it.
 */
int vr_kernel_check(const char *release, const struct vr_kernel_feature *const *missing,
		    size_t n_missing, char *err, size_t errlen);

/**
 * vr_kernel_supported() - probe the running kernel, then vr_kernel_check()
 * @present: receives each feature's probe result (VR_KERNEL_MAX_FEATURES)
 *
 * Return: 0; -ENOTSUP as vr_kernel_check(); -EPERM when this process may not
 * load a tc program, so that nothing can be probed (@err says so).
 */
int vr_kernel_supported(bool *present, char *err, size_t errlen);

#endif
