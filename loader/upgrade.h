/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * upgrade: this binary's program replaces the running one of every network
 * namespace with devices, on the same maps, device by device in one step
 * each (a tcx link update, a cls_bpf replace): no packet goes unfiltered
 * and every policy, counter and event stays.
 */
#ifndef VR_UPGRADE_H
#define VR_UPGRADE_H

#include <stdbool.h>
#include "state.h"

struct vr_upgrade_netns {
	__u64 cookie, inode;
	char old_tag[17], new_tag[17]; /* "" if there was none */
	bool loaded;	 /* a program of this build was loaded for it */
	size_t devices;	 /* with state in this namespace */
	size_t replaced; /* now run the new program */
	size_t missing;	 /* had no filter to replace (status reports them) */
};

typedef void (*vr_upgrade_report_fn)(const struct vr_upgrade_netns *ns, void *ctx);

/*
 * Upgrades every namespace whose program is of another build (all with
 * @force), reporting each to @report. Returns 0 or the first error (in @err);
 * an upgrade cut short is finished by the next one.
 */
int vr_upgrade(struct vr_state *st, bool force, vr_upgrade_report_fn report, void *ctx,
	       char *err, size_t errlen);

#endif
