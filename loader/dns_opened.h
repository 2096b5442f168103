/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The addresses the DNS proxy's answers opened (vrnet_dnsaddrs), per device:
 * opened within a bound, swept when they expire or their device's policy is
 * no longer the one they were opened under, forgotten with their device.
 */
#ifndef VR_DNS_OPENED_H
#define VR_DNS_OPENED_H

#include "compile.h"
#include "state.h"

/* Addresses open at once per device, by default; vrnet_dnsaddrs holds VRNET_MAX_DNS_ADDRS in all. */
#define VR_DNS_MAX_ADDRS_PER_DEVICE 1024

/* Now on bpf_ktime_get_ns()'s clock (CLOCK_MONOTONIC), which expiries use. */
__u64 vr_ktime_ns(void);

/* A renewal that would move an expiry by less than this is not written. */
#define VR_DNS_RENEW_NS 1000000000ull
#define VR_DNS_WRITTEN 16384 /* entries of the record of writes, direct-mapped */

/* What this proxy last wrote for a key and rule, under the device's word then. */
struct vr_dns_written {
	struct vrnet_dnsaddr_key key;
	__u32 policy_id;
	struct vrnet_dnsaddr_opening opening;
	__u64 word; /* 0: nothing */
};

struct vr_dns_opened {
	__u32 *count; /* per slot: entries in the map */
	__u32 max_per_device;
	struct vr_dns_written *written; /* VR_DNS_WRITTEN; NULL: every renewal is written */
};

/*
 * @max_per_device: the bound of each device (0: VR_DNS_MAX_ADDRS_PER_DEVICE).
 * @skip_renewals: renewals that would move an expiry by less than
 * VR_DNS_RENEW_NS are not written (with a grace of a second or more, which
 * covers what they would have added).
 */
int vr_dns_opened_init(struct vr_dns_opened *o, __u32 max_per_device, bool skip_renewals);
void vr_dns_opened_free(struct vr_dns_opened *o);

/*
 * Deletes the entries that expired before @now_ns or that no device's
 * current policy can use (the device went, or an apply replaced the policy
 * they were opened under), and counts the rest per device. Return: entries
 * deleted, or a negative errno.
 */
int vr_dns_opened_sweep(struct vr_state *st, struct vr_dns_opened *o, __u64 now_ns);

/* The entries in force now (unexpired, under their device's policy), per slot into @count. */
int vr_dns_opened_count(struct vr_state *st, __u32 *count);

/* When the last of @val's openings expires. */
__u64 vr_dns_opened_expires(const struct vrnet_dnsaddr *val);

/*
 * Opens @key under @policy_id's rule of @op (or renews that opening: the
 * later expiry stays), beside the openings of other rules. With
 * skip_renewals, not written when this proxy wrote @key for the same rule,
 * policy and entry while its device's word (vrnet_switch) was what it is
 * now, unexpired, and @op would move its expiry by less than
 * VR_DNS_RENEW_NS: names asked again and again cost no system call. A
 * change of the device, or a forget or carry of its addresses, changes its
 * word. Return: 0; -ENOSPC when its device has its bound open, or the
 * address is open under VRNET_DNSADDR_RULES other rules; -E2BIG when the
 * map is full.
 */
int vr_dns_opened_add(struct vr_state *st, struct vr_dns_opened *o,
		      const struct vrnet_dnsaddr_key *key, __u32 policy_id,
		      const struct vrnet_dnsaddr_opening *op);

/*
 * Calls @fn for each entry of @slot (all devices: VRNET_MAX_DEVICES). Return:
 * 0, or a negative errno.
 */
int vr_dns_opened_each(struct vr_state *st, __u32 slot,
		       void (*fn)(const struct vrnet_dnsaddr_key *key,
				  const struct vrnet_dnsaddr *val, void *ctx),
		       void *ctx);

/*
 * An apply to the device of @old (its policy, base and overlay) carries the
 * addresses opened under it over to the policy @new_id it wrote (@c), before
 * its switch: an address whose allow rule has the same name in the new
 * policy keeps working, under the new rule's ports, protocol and id, and
 * for both policies until vr_dns_opened_settle(). Carried only when every
 * name rule of the new policy is one of the old's (a new one could decide a
 * name otherwise); what is not carried is deleted.
 */
int vr_dns_opened_carry(struct vr_state *st, const struct vr_device_policy *old, __u32 new_id,
			const struct vr_compiled *c);
/*
 * After the switch (@switched): the carried entries hold only the new
 * policy. After its failure they are deleted: their openings are of the new
 * policy's rules, which never came into force (lookups open them again).
 */
int vr_dns_opened_settle(struct vr_state *st, __u32 slot, __u32 old_id, __u32 new_id,
			 bool switched);

/*
 * Deletes every entry of @slot (its device is being forgotten). This and a
 * carry count a change in the slot's word (vr_device_touch) before and
 * after: the proxy, which reads a device's rules again under the pin
 * directory's shared lock when its word changed, writes nothing for the
 * device meanwhile, and renews an address it opened less than a second ago
 * only after one.
 */
int vr_dns_opened_forget(struct vr_state *st, __u32 slot);

#endif
