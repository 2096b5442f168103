/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* SHA-256: `sync` tells a changed file by its digest. */
#ifndef VR_DIGEST_H
#define VR_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#define VR_DIGEST_LEN 32

/* The SHA-256 of @len bytes at @data into @out. */
void vr_digest(const void *data, size_t len, uint8_t out[VR_DIGEST_LEN]);

#endif
