/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Domain resolution for domain rules: every A and AAAA record, through c-ares. */
#ifndef VR_RESOLVE_H
#define VR_RESOLVE_H

#include "compile.h"

struct vr_resolver {
	const char *servers; /* "ADDR[,ADDR...]" or NULL for /etc/resolv.conf */
	int timeout_ms;
};

/* A vr_resolve_fn; @ctx is a struct vr_resolver. */
int vr_resolve(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
	       size_t errlen);

#endif
