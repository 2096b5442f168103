/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The desired state `sync` reads: a directory of files, one per device,
 * named DEVICE.json (or one such file). A file is a policy (policy.h) that
 * may also hold the device's settings, the options of attach:
 *   { "device": { "mode": "tc"|"xdp", "xdp_generic": false,
 *                 "addresses": ["10.0.0.2", ...], "mac": "02:..", "dhcp": false },
 *     "default": "deny", "allow": [...], ... }
 * Names starting with a dot are not read: a ConfigMap's mount keeps its
 * versions in such folders, and editors their swap files.
 */
#ifndef VR_SYNC_FILES_H
#define VR_SYNC_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "binding.h"
#include "digest.h"
#include "policy.h"

#define VR_SYNC_SUFFIX ".json"

struct vr_sync_file {
	char name[16];	   /* the device: the file's name without .json */
	bool no_device;	   /* that is no device name: no device is looked at */
	bool checked;	   /* parsed by vr_sync_file_check() */
	char *path;
	int error;	   /* 0, or -errno: the file cannot be used, @why says why */
	char why[512];
	uint8_t digest[VR_DIGEST_LEN]; /* of its bytes, when read */
};

/* What a file asks for: the device's settings and its policy. */
struct vr_sync_device {
	struct vr_policy policy;
	struct vr_binding binding; /* count 0: not bound */
	int xdp;		   /* enum vrnet_xdp_mode */
	uint8_t digest[VR_DIGEST_LEN]; /* of the bytes parsed */
};

/*
 * The files of @path, a directory or one file, sorted by name, each read
 * and digested; @one_file says @path is a file. A file that cannot be read
 * or whose name is no device name is listed with its error. -errno (said in
 * @err) only when @path itself cannot be read.
 */
int vr_sync_files_read(const char *path, struct vr_sync_file **files, size_t *n,
		       bool *one_file, char *err, size_t errlen);
void vr_sync_files_free(struct vr_sync_file *files, size_t n);

/* Whether @f's file parses (policy and settings): its error is noted in it if not. */
void vr_sync_file_check(struct vr_sync_file *f);
/* Reads and parses @f's file again (it may have changed), into @d. -EINVAL: said in @err. */
int vr_sync_device_load(const struct vr_sync_file *f, struct vr_sync_device *d,
			char *err, size_t errlen);
/* The settings of a "device" object alone (@source names it in errors). */
int vr_sync_device_parse(json_t *obj, const char *source, struct vr_sync_device *d, char *err,
			 size_t errlen);
void vr_sync_device_free(struct vr_sync_device *d);

#endif
