// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* What a pass of sync did or would do: a line per device touched, or JSON (sync_pass.h). */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "output.h"
#include "sync_pass.h"

static const char *result_of(const struct vr_sync_item *it, bool dry_run)
{
	if (!vr_sync_changes(it->step.action))
		return it->step.action == VR_SYNC_INVALID ? "failed" : "none";
	return dry_run ? "planned" : it->result ? "failed" : "done";
}

static json_t *pass_json(const struct vr_sync_pass *p, const char *path, bool dry_run, double ms)
{
	json_t *devices = json_array(), *counts = json_object();

	for (size_t i = 0; i < p->n; i++) {
		const struct vr_sync_item *it = &p->items[i];
		const char *action = vr_sync_action_name(it->step.action);
		json_t *one = json_pack("{s:s?,s:s?,s:s,s:s,s:s}", "device",
					it->file && it->file->no_device ? NULL : it->name, "file",
					it->file ? it->file->path : NULL, "action", action,
					"reason", it->step.reason, "result",
					result_of(it, dry_run));

		if (it->error)
			json_object_set_new(one, "error", json_string(it->error));
		if (it->denied)
			json_object_set_new(one, "denied", json_true());
		json_array_append_new(devices, one);
		json_object_set_new(counts, action,
				    json_integer(json_integer_value(json_object_get(counts, action)) +
						 1));
	}
	return json_pack("{s:s,s:b,s:o,s:o,s:f}", "path", path, "dry_run", dry_run, "devices",
			 devices, "counts", counts, "duration_ms", ms);
}

static void pass_text(const struct vr_sync_pass *p, bool dry_run, double ms)
{
	size_t count[VR_SYNC_DENY + 1] = { 0 };

	for (size_t i = 0; i < p->n; i++) {
		const struct vr_sync_item *it = &p->items[i];

		count[it->step.action]++;
		if (it->step.action == VR_SYNC_UNCHANGED)
			continue;
		printf("%-9s %s: ", vr_sync_action_name(it->step.action),
		       it->file && it->file->no_device ? it->file->path : it->name);
		/* an unusable file's error names the file and what is wrong in it */
		if (it->step.action == VR_SYNC_INVALID)
			printf("%s\n", it->error);
		else if (it->error)
			printf("%s: %s%s%s\n", it->step.reason, it->result ? "FAILED: " : "", it->error,
			       it->denied ? " (attached deny-all instead)" : "");
		else
			printf("%s\n", it->step.reason);
	}
	printf("sync%s: %zu devices: %zu attach, %zu apply, %zu detach, %zu unchanged, %zu wait, %zu invalid (%.1f ms)\n",
	       dry_run ? " --dry-run (nothing changed)" : "", p->n,
	       count[VR_SYNC_ATTACH] + count[VR_SYNC_DENY], count[VR_SYNC_APPLY],
	       count[VR_SYNC_DETACH], count[VR_SYNC_UNCHANGED], count[VR_SYNC_WAIT],
	       count[VR_SYNC_INVALID] + count[VR_SYNC_DENY], ms);
}

void vr_sync_report(const struct vr_sync_pass *p, const char *path, bool dry_run, double ms)
{
	if (opt.json)
		vr_json_print(pass_json(p, path, dry_run, ms), opt.pretty);
	else
		pass_text(p, dry_run, ms);
	fflush(stdout); /* --watch: each pass as it ends, into a pipe or the journal too */
}

static bool same_error(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

bool vr_sync_worth_report(const struct vr_sync_pass *p, const struct vr_sync_item *last,
			  size_t n_last)
{
	if (p->n != n_last)
		return true;
	for (size_t i = 0; i < p->n; i++) {
		const struct vr_sync_item *it = &p->items[i];

		/* something done; or a wait, a bad file or a failure other than the last pass's */
		if ((vr_sync_changes(it->step.action) && !it->result) ||
		    it->step.action != last[i].step.action || it->result != last[i].result ||
		    strcmp(it->name, last[i].name) || !same_error(it->error, last[i].error))
			return true;
	}
	return false;
}
