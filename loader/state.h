/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The host's vrnet-bpf state in a bpffs pin directory: the program, its maps,
 * and per device the policy in force. Everything here goes through the maps;
 * the CLI keeps no other state.
 */
#ifndef VR_STATE_H
#define VR_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include "compile.h"
#include "policy.h"

#define VR_DEFAULT_PIN_DIR "/sys/fs/bpf/vrnet"

struct vr_state {
	char pin_dir[4096];
	int dir_fd; /* holds the flock of state-changing commands */
	int prog_fd;
	unsigned int prog_id;
	int devices_fd, lpm4_fd, lpm6_fd, host4_fd, host6_fd, portsets_fd, rules_fd, names_fd, hostaddrs_fd,
		stats_fd, config_fd, events_fd, limits_fd, flows_fd, rulehits_fd;
};

enum vr_open_mode {
	VR_OPEN_READ,	/* fails with -ENOENT when nothing was loaded */
	VR_OPEN_CHANGE, /* loads the program if needed; takes the lock */
};

int vr_state_open(struct vr_state *st, const char *pin_dir, enum vr_open_mode mode,
		  char *err, size_t errlen);

/*
 * How long vr_state_open() waits for a lock another process holds: @ms, 0 not
 * at all (-EWOULDBLOCK at once), negative for as long as it takes (the
 * default). The CLI's -w sets it.
 */
void vr_state_lock_wait(int ms);
void vr_state_close(struct vr_state *st);

/* A device's stored policy, with the rule records to explain verdicts. */
struct vr_device_policy {
	struct vrnet_device dev;
	uint32_t count;		  /* records: the base policy's, then the overlay's */
	struct vrnet_rule *rules; /* index = rule id */
	char (*names)[VRNET_MAX_NAME_LEN]; /* per rule id; "" unless DOMAIN */
};

int vr_device_get(struct vr_state *st, int ifindex, struct vrnet_device *dev);
int vr_device_policy_read(struct vr_state *st, int ifindex, struct vr_device_policy *dp);
void vr_device_policy_free(struct vr_device_policy *dp);
/* Turns stored records back into a policy as written (for edits). */
int vr_device_policy_to_policy(const struct vr_device_policy *dp, struct vr_policy *p);

/*
 * Compiles @p and makes it @ifindex's policy in one map update: until then
 * the old policy is in force, untouched, and on any error it stays so. A device
 * without an entry gets one (with @ifname and internet "policy").
 */
int vr_apply(struct vr_state *st, int ifindex, const char *ifname,
	     const struct vr_policy *p, vr_resolve_fn resolve, void *resolve_ctx,
	     char *err, size_t errlen);

/*
 * Records the host's current IPv6 addresses on @ifindex, so neighbour
 * discovery to them passes (bpf/neighbour.h). Every apply does this.
 */
int vr_host_addrs_sync(struct vr_state *st, int ifindex);

/* The addresses domain @name of @dp resolved to; -ENOENT if it has no such rule. */
int vr_device_policy_addresses(const struct vr_device_policy *dp, const char *name,
			       struct vr_addr *out, int max);

/*
 * Adds @rules to @list of @ifindex's policy without touching its base policy:
 * the device's overlay (at most VRNET_MAX_OVERLAY_RULES rules) is rebuilt with
 * them and switched in with one update, as an apply does. -EAGAIN when the
 * overlay would be full: apply the whole policy instead (which folds it in).
 */
int vr_edit_add(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		size_t n, vr_resolve_fn resolve, void *resolve_ctx, char *err, size_t errlen);

int vr_set_internet(struct vr_state *st, int ifindex, int internet);
int vr_set_created_qdisc(struct vr_state *st, int ifindex, bool created);

/* Deletes a device's entry, policy and counters (after it is detached). */
int vr_device_forget(struct vr_state *st, int ifindex);

/* Forgets devices that no longer exist. Returns how many, or <0. */
int vr_gc(struct vr_state *st);

/*
 * Deletes map entries of policies no device uses (left by an apply that was
 * killed or failed half-way); @swept tells how many. Walks every map: for
 * `gc`, not for every command.
 */
int vr_sweep(struct vr_state *st, size_t *swept);

/* Every device entry, ifindex ascending. */
int vr_device_list(struct vr_state *st, int **ifindexes, size_t *count);

int vr_stats_read(struct vr_state *st, uint32_t slot, struct vrnet_stats *sum);
/* Events the rate limit held back on the device of @slot, ever. */
uint64_t vr_suppressed_read(struct vr_state *st, uint32_t slot);
/* Packets rule @rule_id of policy @policy_id decided (summed over CPUs). */
uint64_t vr_rule_hits_read(struct vr_state *st, uint32_t policy_id, uint32_t rule_id);

#endif
