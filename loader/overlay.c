// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Edits through the device's overlay: a second, small policy beside its base
 * (vrnet_record.overlay_id). An addition compiles the overlay again with the
 * new rules; a removal takes a rule out of the overlay or, for a rule of the
 * base, adds a REMOVED record naming it (vrnet_removed), whose entries the
 * datapath then skips. Either way the new overlay is written under a fresh id
 * and switched in with the device's record, as an apply switches: the base,
 * at any size, is not touched, and a command killed anywhere leaves the old
 * overlay or the new one in force. An edit the overlay cannot take is applied
 * whole (vr_edit_reapply()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devices.h"
#include "dns_opened.h"
#include "log.h"
#include "mapio.h"
#include "state.h"
#include "store.h"

/* The device's overlay as read back: its records and names, and the base rules it removes. */
struct overlay {
	struct vr_device_policy ov; /* .dev: the device; rule ids from 0 */
	__u32 *removed;
	size_t removed_count;
};

static void overlay_free(struct overlay *o)
{
	free(o->ov.rules);
	free(o->ov.names);
	free(o->removed);
	memset(o, 0, sizeof(*o));
}

/* Room for @extra more removals in @o->removed. */
static int overlay_read(struct vr_state *st, const struct vr_device *dev, size_t extra,
			struct overlay *o, char *err, size_t errlen)
{
	__u32 m = dev->overlay_id ? dev->overlay_rule_count : 0;
	int ret;

	memset(o, 0, sizeof(*o));
	o->ov.dev = *dev; /* its settings: names under the DNS proxy are not resolved */
	o->removed = calloc(m + extra + 1, sizeof(*o->removed));
	o->ov.names = calloc(m + 1, sizeof(*o->ov.names));
	if (!o->removed || !o->ov.names) {
		overlay_free(o);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (!m)
		return 0;
	ret = vr_store_read_records(st, dev->overlay_id, m, &o->ov.rules);
	if (!ret) {
		o->ov.count = m;
		ret = vr_store_read_names(st, dev->overlay_id, o->ov.rules, m, o->ov.names);
	}
	if (ret) {
		overlay_free(o);
		snprintf(err, errlen, "couldn't read the device's edits: %s", strerror(-ret));
		return ret;
	}
	for (__u32 k = 0; k < m; k++)
		if (o->ov.rules[k].kind == VRNET_RULE_REMOVED)
			o->removed[o->removed_count++] = o->ov.rules[k].parent;
	return 0;
}

/* The device of @ifindex, its overlay, and the overlay's additions as a policy (@p). */
static int overlay_open(struct vr_state *st, int ifindex, size_t extra, struct vr_device *dev,
			struct overlay *o, struct vr_policy *p, char *err, size_t errlen)
{
	int ret = vr_device_get(st, ifindex, dev);

	if (ret) {
		snprintf(err, errlen, "couldn't read the device: %s", strerror(-ret));
		return ret;
	}
	ret = overlay_read(st, dev, extra, o, err, errlen);
	if (ret)
		return ret;
	ret = vr_device_policy_to_policy(&o->ov, p);
	if (ret) {
		snprintf(err, errlen, "out of memory");
		overlay_free(o);
	}
	return ret;
}

/* Names the policy (or overlay) has keep their addresses; new ones go to @next. */
struct overlay_resolver {
	const struct vr_device_policy *overlay;
	vr_resolve_fn next;
	void *next_ctx;
};

static int resolve_overlay(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			   size_t errlen)
{
	const struct overlay_resolver *r = ctx;
	int n = vr_device_policy_addresses(r->overlay, name, out, max);

	if (n != -ENOENT)
		return n;
	if (!r->next) {
		snprintf(err, errlen, "domain rules need a resolver");
		return -EINVAL;
	}
	return r->next(r->next_ctx, name, out, max, err, errlen);
}

/*
 * Writes @additions (rule ids after the base's) and @o's removals as the
 * device's new overlay and switches @dev to it; none when both are empty.
 * @t0: when the edit began (vr_now_ms()), for the timings -v reports.
 * The old overlay is left to the caller (vr_store_retire). -EAGAIN when the
 * overlay would hold more than VRNET_MAX_OVERLAY_RULES, or vrnet_removed is
 * full: a full re-apply then folds everything into a new base.
 */
static int overlay_switch(struct vr_state *st, struct vr_device *dev, const struct overlay *o,
			  const struct vr_policy *additions, vr_resolve_fn resolve,
			  void *resolve_ctx, double t0, char *err, size_t errlen)
{
	struct overlay_resolver r = { .overlay = &o->ov, .next = resolve, .next_ctx = resolve_ctx };
	struct vr_compiled c = { 0 };
	struct vrnet_record next;
	int ret = 0;

	if (vr_policy_rule_count(additions) + o->removed_count > VRNET_MAX_OVERLAY_RULES)
		return -EAGAIN;
	dev->overlay_id = 0;
	dev->overlay_removes = o->removed_count > 0;
	if (vr_policy_rule_count(additions) || o->removed_count) {
		ret = vr_compile_from(additions, dev->rule_count, resolve_overlay, &r, &c, err,
				      errlen);
		for (size_t i = 0; !ret && i < o->removed_count; i++)
			ret = vr_compiled_remove(&c, o->removed[i]);
		if (!ret)
			ret = vr_store_write(st, &c, &dev->overlay_id, err, errlen);
		if ((ret == -E2BIG || ret == -ENOSPC) && o->removed_count)
			ret = -EAGAIN;
	}
	if (ret)
		goto out;
	vr_record_of(dev, &next);
	ret = vr_device_switch(st, dev->slot, &next);
	if (ret) {
		snprintf(err, errlen, "couldn't switch the device to the new rules: %s",
			 strerror(-ret));
		vr_store_delete(st, dev->overlay_id, false, 0);
		goto out;
	}
	vr_debug("apply: visible_ms=%.3f done_ms=%.3f (overlay of %zu records, %zu removing base rules)",
		 st->switched_ms - t0, vr_now_ms() - t0, c.rule_count, o->removed_count);
out:
	vr_compiled_free(&c);
	return ret;
}

int vr_edit_add(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		size_t n, vr_resolve_fn resolve, void *resolve_ctx, char *err, size_t errlen)
{
	struct vr_device dev;
	struct overlay o;
	struct vr_policy p;
	__u32 old_overlay;
	double t0 = vr_now_ms();
	int ret = overlay_open(st, ifindex, 0, &dev, &o, &p, err, errlen);

	if (ret)
		return ret;
	old_overlay = dev.overlay_id;
	for (size_t i = 0; !ret && i < n; i++)
		ret = vr_policy_add(&p, list, &rules[i]);
	if (ret)
		snprintf(err, errlen, "%s", ret == -E2BIG ? "too many rules" : "out of memory");
	else
		ret = overlay_switch(st, &dev, &o, &p, resolve, resolve_ctx, t0, err, errlen);
	vr_policy_free(&p);
	if (ret)
		goto out;
	/*
	 * A name blocked now may have opened addresses under an allow rule
	 * before (a wildcard's): they close, and the sandbox's lookups open
	 * again what its rules still allow.
	 */
	if (dev.dns_proxy && list == VRNET_LIST_BLOCK && vr_rules_have_name(rules, n) &&
	    vr_dns_opened_forget(st, dev.slot))
		vr_warn("couldn't close the DNS proxy's addresses of the device: they expire");
	/* the rules keep their ids in the new overlay, and so their hits */
	vr_store_retire(st, old_overlay, false, 0);
out:
	overlay_free(&o);
	return ret;
}

/* The index of the first rule of @o's overlay equal to @rule in @list, or @o->ov.count. */
static __u32 first_in_overlay(const struct overlay *o, int list, const struct vr_rule *rule)
{
	for (__u32 k = 0; k < o->ov.count; k++) {
		struct vr_rule r;

		if (!vr_record_is_rule(&o->ov.rules[k]) || o->ov.rules[k].list != list)
			continue;
		vr_device_policy_rule(&o->ov, k, &r);
		if (vr_rule_equal(&r, rule))
			return k;
	}
	return o->ov.count;
}

static bool removes(const struct overlay *o, __u32 base_rule_id)
{
	for (size_t i = 0; i < o->removed_count; i++)
		if (o->removed[i] == base_rule_id)
			return true;
	return false;
}

/* The base rules equal to @rule in @list that @o does not remove yet join its removals. */
static int remove_from_base(struct vr_state *st, const struct vr_device *dev, int list,
			    const struct vr_rule *rule, struct overlay *o, size_t *added, char *err,
			    size_t errlen)
{
	__u32 ids[VRNET_MAX_PORTSET_ENTRIES];
	struct vrnet_rule want;
	size_t n;
	int ret;

	vr_record_of_rule(rule, list, &want);
	ret = vr_store_find_rule(st, dev->policy_id, &want, ids, VRNET_MAX_PORTSET_ENTRIES, &n);
	*added = 0;
	for (size_t i = 0; !ret && i < n; i++) {
		if (removes(o, ids[i]))
			continue;
		o->removed[o->removed_count++] = ids[i];
		(*added)++;
	}
	if (ret)
		snprintf(err, errlen, "couldn't look the rule up in the policy: %s", strerror(-ret));
	return ret;
}

/*
 * Overlay rules after the first one removed take new ids: their hit counters
 * (under the base's id, from @from on) start again rather than count for
 * another rule.
 */
static void reset_hits(struct vr_state *st, const struct vr_device *dev, __u32 from, __u32 to)
{
	struct vrnet_rulehit_key *keys = calloc(to - from + 1, sizeof(*keys));

	for (__u32 id = from; keys && id < to; id++)
		keys[id - from] = (struct vrnet_rulehit_key){ .policy_id = dev->policy_id,
							      .rule_id = id };
	if (!keys || vr_batch_delete(st->rulehits_fd, keys, sizeof(*keys), to - from))
		vr_warn("couldn't reset the hit counters of the rules added by edits");
	free(keys);
}

int vr_edit_remove(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		   size_t n, size_t *missing, char *err, size_t errlen)
{
	__u32 first_moved = UINT32_MAX, old_overlay;
	double t0 = vr_now_ms();
	struct vr_device dev;
	struct overlay o;
	struct vr_policy p;
	int ret;

	if (vr_rules_have_name(rules, n))
		return -EAGAIN;
	/* each rule removes at most one portset's worth of base rules */
	ret = overlay_open(st, ifindex, n * VRNET_MAX_PORTSET_ENTRIES, &dev, &o, &p, err, errlen);
	if (ret)
		return ret;
	old_overlay = dev.overlay_id;
	for (size_t i = 0; !ret && i < n; i++) {
		__u32 k = first_in_overlay(&o, list, &rules[i]);
		size_t from_base;

		if (k < first_moved)
			first_moved = k;
		ret = remove_from_base(st, &dev, list, &rules[i], &o, &from_base, err, errlen);
		if (!ret && vr_policy_remove(&p, list, &rules[i]) == -ENOENT && !from_base) {
			*missing = i;
			ret = -ENOENT;
		}
	}
	/* the DNS proxy's openings name overlay rules by id: those must not move */
	for (__u32 k = first_moved; !ret && dev.dns_proxy && k < o.ov.count; k++)
		if (o.ov.rules[k].kind == VRNET_RULE_DOMAIN)
			ret = -EAGAIN;
	if (!ret)
		ret = overlay_switch(st, &dev, &o, &p, NULL, NULL, t0, err, errlen);
	vr_policy_free(&p);
	if (ret)
		goto out;
	if (first_moved < o.ov.count)
		reset_hits(st, &dev, dev.rule_count + first_moved, dev.rule_count + o.ov.count);
	vr_store_retire(st, old_overlay, false, 0);
out:
	overlay_free(&o);
	return ret;
}

int vr_edit_reapply(struct vr_state *st, int ifindex, int list, bool add,
		    const struct vr_rule *rules, size_t n, vr_resolve_fn resolve, void *resolve_ctx,
		    size_t *missing, char *err, size_t errlen)
{
	struct vr_device_policy dp;
	struct overlay_resolver r = { .overlay = &dp, .next = resolve, .next_ctx = resolve_ctx };
	struct vr_policy p;
	int ret = vr_device_policy_read(st, ifindex, &dp);

	if (ret) {
		snprintf(err, errlen, "couldn't read the policy: %s", strerror(-ret));
		return ret;
	}
	ret = vr_device_policy_to_policy(&dp, &p);
	for (size_t i = 0; !ret && i < n; i++) {
		ret = add ? vr_policy_add(&p, list, &rules[i]) : vr_policy_remove(&p, list, &rules[i]);
		if (ret == -ENOENT)
			*missing = i;
	}
	if (!ret)
		ret = vr_apply(st, ifindex, dp.dev.ifname, &p, resolve_overlay, &r, err, errlen);
	else if (ret == -E2BIG)
		snprintf(err, errlen, "more than %d rules (the limit of one policy)",
			 VRNET_MAX_POLICY_RULES);
	else if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	vr_policy_free(&p); /* freed already, and emptied, if it could not be made */
	vr_device_policy_free(&dp);
	return ret;
}
