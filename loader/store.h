/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The policy store: compiled policies in the maps, each under a policy id
 * with a vrnet_policies entry that is written before its first map entry and
 * deleted after its last. No packet sees a policy until a record names it.
 */
#ifndef VR_STORE_H
#define VR_STORE_H

#include <stdbool.h>
#include "state.h"

/*
 * Writes @c under a fresh id (@id): its vrnet_policies entry first, then its
 * entries. On error removes what it wrote (the message in @err).
 */
int vr_store_write(struct vr_state *st, const struct vr_compiled *c, __u32 *id, char *err,
		   size_t errlen);

int vr_store_info(struct vr_state *st, __u32 id, struct vrnet_policy_info *info);

/* The @n rule records of policy @id; a chunk never written reads as zeros. */
int vr_store_read_records(struct vr_state *st, __u32 id, __u32 n, struct vrnet_rule **out);
/* The names of the DOMAIN records among @recs into @names. */
int vr_store_read_names(struct vr_state *st, __u32 id, const struct vrnet_rule *recs, __u32 n,
			char (*names)[VRNET_MAX_NAME_LEN]);

/*
 * Deletes policy @id: its entries, then its vrnet_policies entry. With
 * @hits, the hit counters of rule ids 0 .. count + @more_hits - 1 go too (a
 * base policy's, with its overlay's rules after them).
 */
int vr_store_delete(struct vr_state *st, __u32 id, bool hits, __u32 more_hits);

/*
 * The ids of the CIDR records of policy @id equal to @want (a record as
 * compile.c writes it: kind, list, prefix, protocol, ports) into @ids, at most
 * @max (-E2BIG beyond); @n says how many. A handful of lookups, at any size:
 * through the prefix and its portset, not the records. -EAGAIN when an entry
 * that may be the rule's stands for other rules too (a full re-apply decides).
 */
int vr_store_find_rule(struct vr_state *st, __u32 id, const struct vrnet_rule *want,
		       __u32 *ids, size_t max, size_t *n);

/*
 * Deletes policy @id (0: none) that a switch replaced, as vr_store_delete;
 * on failure only warns: the new state is in force, the next change finishes it.
 */
void vr_store_retire(struct vr_state *st, __u32 id, bool hits, __u32 more_hits);

/*
 * Deletes every policy no device's record names (left by a command that
 * died; only a change holding the lock may call it): after one wait for
 * readers, as one may still have been switched in. @removed counts them.
 */
int vr_store_reclaim(struct vr_state *st, size_t *removed);

/* Deletes map entries under ids that have no vrnet_policies entry (`gc`). */
int vr_store_sweep(struct vr_state *st, size_t *swept);

/* qsort()/bsearch() order of policy ids (__u32). */
int vr_cmp_policy_id(const void *a, const void *b);

#endif
