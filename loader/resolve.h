/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Domain resolution for domain rules: every A and AAAA record, through c-ares. */
#ifndef VR_RESOLVE_H
#define VR_RESOLVE_H

#include <ares.h>
#include <stdbool.h>

#include "compile.h"

struct vr_resolver {
	const char *servers; /* "ADDR[,ADDR...]" or NULL for /etc/resolv.conf */
	int timeout_ms;
};

/* A vr_resolve_fn; @ctx is a struct vr_resolver. */
int vr_resolve(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
	       size_t errlen);

/*
 * Answers looked up before a change takes the lock, so that a slow or dead
 * resolver never holds other commands up: each domain rule's name with what
 * vr_resolve() said of it, addresses or an error, served as it was under the
 * lock by vr_resolve_prepared().
 */
struct vr_prepared_names {
	struct vr_prepared_name {
		char name[VRNET_MAX_NAME_LEN];
		bool looked_up;
		int ret; /* vr_resolve()'s return */
		char why[256];
		struct vr_addr addrs[VR_MAX_ADDRS_PER_NAME];
	} *names;
	size_t count;
};

/* Adds the name of each domain rule of @rules (@n of them) not in @set yet; -ENOMEM. */
int vr_prepared_add(struct vr_prepared_names *set, const struct vr_rule *rules, size_t n);
/* The same for the allow and block lists of @p. */
int vr_prepared_add_policy(struct vr_prepared_names *set, const struct vr_policy *p);
/* Looks up every name added and not looked up yet: the slow part, run with no lock held. */
void vr_prepared_lookup(struct vr_prepared_names *set, const struct vr_resolver *r);
/* A vr_resolve_fn over a struct vr_prepared_names; -ENOENT for a name not in it. */
int vr_resolve_prepared(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			size_t errlen);
void vr_prepared_names_free(struct vr_prepared_names *set);

/*
 * What ares_getsock()'s @bits say of socket @i. Its own macros shift an int
 * by 31 for the last socket's "writable": undefined.
 */
static inline bool vr_ares_readable(int bits, int i)
{
	return (unsigned int)bits & 1u << i;
}

static inline bool vr_ares_writable(int bits, int i)
{
	return (unsigned int)bits & 1u << (i + ARES_GETSOCK_MAXNUM);
}

#endif
