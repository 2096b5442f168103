/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One pass of sync (cmd_sync_pass.c): PATH's files read, a step decided per
 * device (sync_plan.h) with no lock held and, if a step changes something,
 * decided again under the lock and carried out. Its report, text or JSON, is
 * cmd_sync_report.c's; the command and --watch, cmd_sync.c's.
 */
#ifndef VR_SYNC_PASS_H
#define VR_SYNC_PASS_H

#include <stdbool.h>
#include <stddef.h>
#include "sync_files.h"
#include "sync_plan.h"
#include "sync_records.h"

struct vr_sync_item {
	char name[16];
	struct vr_sync_file *file;	  /* NULL: none */
	const struct vr_sync_record *rec; /* NULL: none */
	bool foreign;			  /* its record is another directory's */
	struct vr_sync_seen seen;
	struct vr_sync_step step;
	int result;	/* exit code of carrying the step out */
	bool denied;	/* the step failed on an unfiltered device: attached deny-all instead */
	char *error;	/* why its file is unusable or its step failed; NULL: none */
};

struct vr_sync_pass {
	struct vr_sync_file *files;
	size_t n_files;
	bool one_file; /* PATH is one device's file: the other devices are not in it */
	char dir[VR_SYNC_DIR_MAX]; /* PATH's directory, absolute: whose devices these are */
	struct vr_sync_key *keys;
	struct vr_sync_record *recs;
	size_t n_recs;
	struct vr_sync_item *items;
	size_t n;
	bool planned; /* the steps are decided: there is a plan to report */
	int worst;    /* the exit code */
};

/* One pass over @path, carried out unless @dry_run: the pass's exit code. */
int vr_sync_pass_run(const char *path, bool dry_run, struct vr_sync_pass *p);
void vr_sync_pass_free(struct vr_sync_pass *p);
void vr_sync_items_free(struct vr_sync_item *items, size_t n);
/* Whether @a changes a device (and so takes the lock). */
bool vr_sync_changes(enum vr_sync_action a);

void vr_sync_report(const struct vr_sync_pass *p, const char *path, bool dry_run, double ms);
/* Whether a --watch pass is worth a report: it did something, or differs from @last's. */
bool vr_sync_worth_report(const struct vr_sync_pass *p, const struct vr_sync_item *last,
			  size_t n_last);

#endif
