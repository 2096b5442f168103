// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sync: brings this network namespace's devices to a directory of files,
 * one per device (sync_files.h), in passes (sync_pass.h); with --watch,
 * again whenever the files or the devices change.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "sync_pass.h"
#include "sync_watch.h"

#define SYNC_PERIOD_MS 30000 /* --watch passes this often with no change seen too */
#define SYNC_QUIET_MS 200    /* a burst of changes ends after this long without one */

static int watch(const char *path)
{
	struct vr_sync_pass p = { 0 };
	struct vr_sync_item *last = NULL;
	size_t n_last = 0;
	struct vr_sync_watch w;
	int ret = vr_sync_watch_open(&w, path, errbuf, sizeof(errbuf));

	if (ret)
		return fail(VR_EXIT_SYSTEM, "%s", errbuf);
	if (!opt.wait)
		vr_state_lock_wait(SYNC_PERIOD_MS); /* a pass waits for other commands */
	for (bool first = true;; first = false) {
		double t0 = vr_now_ms();
		enum vr_sync_wake wake;

		vr_sync_pass_run(path, false, &p);
		if (p.planned && (first || vr_sync_worth_report(&p, last, n_last)))
			vr_sync_report(&p, path, false, vr_now_ms() - t0);
		/* the pass's steps, kept for the next one's comparison (its files are not) */
		if (p.planned) {
			vr_sync_items_free(last, n_last);
			last = p.items;
			n_last = p.n;
			p.items = NULL;
			p.n = 0;
		}
		vr_sync_watch_rearm(&w);
		wake = vr_sync_watch_wait(&w, SYNC_PERIOD_MS, SYNC_QUIET_MS);
		if (wake == VR_WAKE_STOP)
			break;
		if (wake == VR_WAKE_ERROR) {
			ret = fail(VR_EXIT_SYSTEM, "waiting for changes: %s", strerror(errno));
			break;
		}
	}
	vr_sync_pass_free(&p);
	vr_sync_items_free(last, n_last);
	vr_sync_watch_close(&w);
	return ret;
}

int do_sync(int argc, char **argv)
{
	struct vr_sync_pass p = { 0 };
	double t0 = vr_now_ms();
	int ret;

	if (opt.dry_run && opt.watch)
		return fail(VR_EXIT_USAGE, "--dry-run and --watch do not go together");
	if (opt.watch)
		return watch(argv[0]);
	ret = vr_sync_pass_run(argv[0], opt.dry_run, &p);
	if (p.planned)
		vr_sync_report(&p, argv[0], opt.dry_run, vr_now_ms() - t0);
	vr_sync_pass_free(&p);
	return ret;
}
