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
#include <linux/types.h>
#include "compile.h"
#include "policy.h"

#define VR_DEFAULT_PIN_DIR "/sys/fs/bpf/vrnet"

struct vr_state {
	char pin_dir[4096];
	int dir_fd; /* holds the flock of state-changing commands */
	int prog_fd; /* this network namespace's program; -1 if it has none (read-only) */
	unsigned int prog_id;
	__u64 netns_cookie, netns_inode; /* of this process's network namespace */
	__u64 *switch_words; /* vrnet_switch, mapped: one word per slot */
	double switched_ms; /* vr_now_ms() when this process's last switch stored its word */
	const struct vrnet_devinfo *devinfo; /* vrnet_devinfo, mapped read-only */
	/*
	 * This build had not checked these maps before: another build's
	 * commands may have left slots it did not mark attaching, so the
	 * recovery looks up every slot's key once.
	 */
	bool new_build;
	int devices_fd, switch_fd, records_fd, devinfo_fd, policies_fd, programs_fd, lpm4_fd, lpm6_fd, host4_fd,
		host6_fd, portsets_fd, rules_fd, names_fd, hostaddrs_fd, stats_fd, config_fd,
		events_fd, limits_fd, quiet_fd, flows_fd, rulehits_fd, dnsnetns_fd, dnsflows_fd,
		dnsaddrs_fd, dnsstats_fd, dnslog_fd, dnsrate_fd, frags_fd, bound4_fd,
		bound6_fd, bindings_fd, conns_fd, removed_fd, ownflows_fd, ownnotes_fd;
};

enum vr_open_mode {
	VR_OPEN_READ,	/* fails with -ENOENT when nothing was loaded */
	VR_OPEN_CHANGE, /* takes the lock; creates the maps the first time */
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

/* @name's path in the pin directory. */
int vr_state_pin_path(const struct vr_state *st, const char *name, char *buf, size_t len);

/* Where the tcx link of device (@netns_cookie, @ifindex) is pinned. */
int vr_state_link_path(const struct vr_state *st, __u64 netns_cookie, int ifindex, char *buf,
		       size_t len);
/* Where its tc egress link (the connections into it, bpf/conntrack.h) is pinned. */
int vr_state_inbound_link_path(const struct vr_state *st, __u64 netns_cookie, int ifindex,
			       char *buf, size_t len);

/*
 * Unpins the programs of network namespaces that have no device any more
 * (detach and gc, after forgetting); a filter still on a hook holds its own.
 */
int vr_state_prune_programs(struct vr_state *st);

/* Whether any device of the network namespace @cookie has state. */
bool vr_netns_has_devices(struct vr_state *st, __u64 cookie);

/*
 * A device as the loader sees it: the record in force, the loader's notes on
 * the device and what its policies hold.
 */
struct vr_device {
	__u32 slot, record_id;
	__u64 netns_cookie, netns_inode;
	int ifindex;
	char ifname[16];
	bool created_qdisc, tcx;
	__u8 xdp; /* enum vrnet_xdp_mode */
	/* the record in force */
	__u32 policy_id, overlay_id;
	__u8 default_action, internet, mode, log_allowed, dns_proxy;
	__u32 event_rate, event_burst;
	__u32 dns_rate, dns_burst;
	__u8 host_mac[6]; /* of the host-side device, read at every apply */
	__u8 binding;	  /* enum vrnet_binding */
	__u8 bound_mac[6];
	__u8 overlay_removes; /* the overlay removes rules of the base */
	__u8 inbound;	      /* enum vrnet_inbound: the base policy's inbound part */
	/* its policies */
	__u32 rule_count, portset_count, dns_count, source_rules;
	__u64 applied_ns, overlay_applied_ns; /* when each was written */
	__u32 overlay_rule_count, overlay_portset_count, overlay_source_rules;
	__u32 overlay_removed_rules; /* base rules the overlay removes */
};

/* A device's stored policy, with the rule records to explain verdicts. */
struct vr_device_policy {
	struct vr_device dev;
	uint32_t count;		  /* records: the base policy's, then the overlay's */
	struct vrnet_rule *rules; /* index = rule id */
	char (*names)[VRNET_MAX_NAME_LEN]; /* per rule id; "" unless DOMAIN */
};

/* A rule as written that is in force: no resolved address, no removed rule or marker of one. */
static inline bool vr_record_is_rule(const struct vrnet_rule *rec)
{
	return rec->kind == VRNET_RULE_CIDR || rec->kind == VRNET_RULE_DOMAIN;
}

/* Records in force (rules and resolved addresses), from @dp->count and the device alone. */
uint32_t vr_device_policy_records(const struct vr_device_policy *dp);

/* Devices of this process's network namespace, by ifindex; -ENOENT if none. */
int vr_device_find(struct vr_state *st, int ifindex, __u32 *slot);
int vr_device_get(struct vr_state *st, int ifindex, struct vr_device *dev);
int vr_device_policy_read(struct vr_state *st, int ifindex, struct vr_device_policy *dp);
/* Any device of the host, by slot. */
int vr_device_get_slot(struct vr_state *st, __u32 slot, struct vr_device *dev);
int vr_device_policy_read_slot(struct vr_state *st, __u32 slot, struct vr_device_policy *dp);
void vr_device_policy_free(struct vr_device_policy *dp);
/* Record @id (a CIDR or DOMAIN one) of @dp as the rule written. */
void vr_device_policy_rule(const struct vr_device_policy *dp, uint32_t id, struct vr_rule *r);
/* Turns stored records back into a policy as written (for edits). */
int vr_device_policy_to_policy(const struct vr_device_policy *dp, struct vr_policy *p);

/*
 * Compiles @p and makes it @ifindex's policy with one switch: until then
 * the old policy is in force, untouched, and on any error it stays so. A device
 * without an entry gets one (with @ifname and internet "policy").
 */
int vr_apply(struct vr_state *st, int ifindex, const char *ifname,
	     const struct vr_policy *p, vr_resolve_fn resolve, void *resolve_ctx,
	     char *err, size_t errlen);
/* The same with @p compiled already (as it can be before the lock): @c is @p's. */
int vr_apply_compiled(struct vr_state *st, int ifindex, const char *ifname,
		      const struct vr_policy *p, const struct vr_compiled *c, char *err,
		      size_t errlen);

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
 * them and switched in, as an apply does. -EAGAIN when the overlay would be
 * full: apply the whole policy instead (which folds it in).
 */
int vr_edit_add(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		size_t n, vr_resolve_fn resolve, void *resolve_ctx, char *err, size_t errlen);

/*
 * Removes @rules from @list of @ifindex's policy (every rule equal to one,
 * as vr_policy_remove does) without touching its base policy: rules the
 * overlay added leave it; a base rule gets a REMOVED record in it, which the
 * datapath skips the rule's entries for. One switch, as an apply. -ENOENT
 * when rule @missing is in neither; -EAGAIN when the edit needs a full
 * re-apply instead: a domain rule (its addresses and the DNS proxy's
 * openings go with it), a full overlay or vrnet_removed.
 */
int vr_edit_remove(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		   size_t n, size_t *missing, char *err, size_t errlen);

/*
 * An edit the overlay cannot take (vr_edit_add() or vr_edit_remove() said
 * -EAGAIN): the device's policy as read back, with @rules added to @list or
 * removed from it, applied whole (vr_apply()). Names the policy has keep the
 * addresses they resolved to; new ones go to @resolve. -ENOENT when rule
 * @missing is not in the list (a removal); -E2BIG past the rules of a policy.
 */
int vr_edit_reapply(struct vr_state *st, int ifindex, int list, bool add,
		    const struct vr_rule *rules, size_t n, vr_resolve_fn resolve, void *resolve_ctx,
		    size_t *missing, char *err, size_t errlen);

int vr_set_internet(struct vr_state *st, int ifindex, int internet);
/* How the device in @slot is attached: by a tcx link, or a cls_bpf filter (on a clsact qdisc we made?). */
int vr_device_set_hook(struct vr_state *st, __u32 slot, bool tcx, bool created_qdisc);
/* Notes the XDP mode's program on the device in @slot (enum vrnet_xdp_mode). */
int vr_device_set_xdp(struct vr_state *st, __u32 slot, __u8 xdp);
/*
 * Notes that a detach of @ifindex began, before its filter comes off: if the
 * command dies, the next change finishes the detach (vr_recover). A detach
 * that fails clears the note (@detaching false).
 */
int vr_device_detaching(struct vr_state *st, int ifindex, bool detaching);

/* Deletes a device's entry, policy and counters (after it is detached). */
int vr_device_forget(struct vr_state *st, int ifindex);
int vr_device_forget_slot(struct vr_state *st, __u32 slot);

enum vr_gc_scope {
	VR_GC_HERE,	/* devices of this network namespace (cheap: every change does it) */
	VR_GC_ALL,	/* and of every other one that can be entered (`gc`) */
	VR_GC_FORCE,	/* and forget those whose namespace cannot be found (`gc --force`) */
};

/*
 * Forgets devices that no longer exist, in the namespaces @scope says. A
 * device whose namespace cannot be found is kept (and counted in
 * @unreachable) unless VR_GC_FORCE. Returns how many were forgotten, or <0.
 */
int vr_gc(struct vr_state *st, enum vr_gc_scope scope, size_t *unreachable);

/* `gc`: takes out the tables free slots kept for their next device; @freed counts the slots. */
int vr_gc_free_slots(struct vr_state *st, size_t *freed);

/*
 * Finishes what a killed command left (only under the lock of a change):
 * devices half attached or half forgotten, policies no record names. Runs at
 * the start of every change; @repaired counts what it found.
 */
int vr_recover(struct vr_state *st, size_t *repaired);

/* Deletes map entries under ids that have no vrnet_policies entry; @swept tells how many. */
int vr_sweep(struct vr_state *st, size_t *swept);

/* Every device of the host, as slots: this namespace's first, each by ifindex. */
int vr_device_slots(struct vr_state *st, __u32 **slots, size_t *count);

/*
 * The policy ids (bases and overlays) that the records of the slots in use
 * name, sorted, into @ids (freed by the caller). From the mapped slot notes
 * and words: one record read a device, for the recovery every change runs.
 */
int vr_device_policy_ids(struct vr_state *st, __u32 **ids, size_t *n);

int vr_stats_read(struct vr_state *st, uint32_t slot, struct vrnet_stats *sum);
/* Events the rate limit held back on the device of @slot, ever. */
uint64_t vr_suppressed_read(struct vr_state *st, uint32_t slot);
/* Packets rule @rule_id of policy @policy_id decided (summed over CPUs). */
uint64_t vr_rule_hits_read(struct vr_state *st, uint32_t policy_id, uint32_t rule_id);

/* Every rule's hits, read in batches: for show and metrics of many rules. */
struct vr_hits {
	struct vr_hit {
		uint32_t policy_id, rule_id;
		uint64_t packets; /* summed over CPUs */
	} *v;
	size_t n;
};

int vr_hits_load(struct vr_state *st, struct vr_hits *h);
/* @h's count for the rule, 0 if it has none (or @h is NULL). */
uint64_t vr_hits_get(const struct vr_hits *h, uint32_t policy_id, uint32_t rule_id);
void vr_hits_free(struct vr_hits *h);

#endif
