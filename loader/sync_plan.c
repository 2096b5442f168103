// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "sync_plan.h"

static struct vr_sync_step step(enum vr_sync_action action, const char *reason)
{
	return (struct vr_sync_step){ .action = action, .reason = reason };
}

/* A device sync manages whose file is gone. */
static struct vr_sync_step without_file(const struct vr_sync_record *rec,
					const struct vr_sync_seen *seen)
{
	if (!seen->ifindex || seen->ifindex != rec->ifindex)
		return step(VR_SYNC_FORGET, "file and device gone");
	if (!rec->attached)
		return step(VR_SYNC_RELEASE, "file gone; attached before sync managed it");
	if (!seen->filtered)
		return step(VR_SYNC_FORGET, "file gone; its filter was already off");
	return step(VR_SYNC_DETACH, "file gone");
}

struct vr_sync_step vr_sync_decide(bool has_file, bool file_ok, const uint8_t *digest,
				   const struct vr_sync_record *rec, bool foreign,
				   const struct vr_sync_seen *seen)
{
	/*
	 * Two directories for one device would undo each other at every pass:
	 * the other keeps it. Unfiltered meanwhile, it is attached deny-all.
	 */
	if (rec && foreign && !has_file)
		return step(VR_SYNC_UNCHANGED, "another directory's sync manages it");
	if (rec && foreign && seen->ifindex && !seen->filtered)
		return step(VR_SYNC_DENY, "another directory's sync manages it: deny-all until it attaches it");
	if (rec && foreign)
		return step(VR_SYNC_INVALID, "another directory's sync manages it");
	if (!has_file)
		return rec ? without_file(rec, seen) : step(VR_SYNC_UNCHANGED, "not managed");
	if (!file_ok && seen->ifindex && !seen->filtered)
		return step(VR_SYNC_DENY, "file unusable: deny-all until it is fixed");
	if (!file_ok)
		return step(VR_SYNC_INVALID, seen->filtered ? "file unusable: the device keeps its policy" :
							      "file unusable");
	if (!seen->ifindex)
		return step(VR_SYNC_WAIT, "no such device");
	if (!seen->filtered)
		return step(VR_SYNC_ATTACH, !rec			     ? "new" :
					    rec->ifindex != seen->ifindex ? "device made anew" :
									    "filter missing");
	if (!rec || rec->ifindex != seen->ifindex)
		return step(VR_SYNC_APPLY, "attached before sync managed it");
	if (memcmp(rec->digest, digest, VR_DIGEST_LEN))
		return step(VR_SYNC_APPLY, "file changed");
	if (rec->policy_id != seen->policy_id || rec->overlay_id != seen->overlay_id)
		return step(VR_SYNC_APPLY, "policy changed by another command");
	if (rec->xdp != seen->xdp)
		return step(VR_SYNC_APPLY, "XDP mode changed by another command");
	return step(VR_SYNC_UNCHANGED, "as its file says");
}

const char *vr_sync_action_name(enum vr_sync_action a)
{
	static const char *const names[] = {
		[VR_SYNC_UNCHANGED] = "unchanged", [VR_SYNC_ATTACH] = "attach",
		[VR_SYNC_APPLY] = "apply",	   [VR_SYNC_DETACH] = "detach",
		[VR_SYNC_RELEASE] = "release",	   [VR_SYNC_FORGET] = "forget",
		[VR_SYNC_WAIT] = "wait",	   [VR_SYNC_INVALID] = "invalid",
		[VR_SYNC_DENY] = "deny",
	};

	return names[a];
}
