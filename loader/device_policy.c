// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A device's policy read back from the store: to show it, explain it and edit it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "state.h"
#include "store.h"

/*
 * The base policy's records, then the overlay's: the overlay's rule ids
 * continue after the base's, so index = rule id throughout.
 */
int vr_device_policy_read_slot(struct vr_state *st, __u32 slot, struct vr_device_policy *dp)
{
	struct vrnet_rule *overlay = NULL;
	__u32 n, m;
	int ret;

	memset(dp, 0, sizeof(*dp));
	ret = vr_device_get_slot(st, slot, &dp->dev);
	if (ret)
		return ret;
	n = dp->dev.rule_count;
	m = dp->dev.overlay_id ? dp->dev.overlay_rule_count : 0;
	ret = vr_store_read_records(st, dp->dev.policy_id, n, &dp->rules);
	if (!ret && m)
		ret = vr_store_read_records(st, dp->dev.overlay_id, m, &overlay);
	if (ret) {
		free(dp->rules);
		memset(dp, 0, sizeof(*dp));
		return ret;
	}
	dp->count = n + m;
	{
		struct vrnet_rule *all = realloc(dp->rules, (dp->count + 1) * sizeof(*all));

		if (all)
			dp->rules = all;
		dp->names = calloc(dp->count + 1, sizeof(*dp->names));
		if (!all || !dp->names) {
			free(overlay);
			vr_device_policy_free(dp);
			return -ENOMEM;
		}
	}
	for (__u32 k = 0; k < m; k++) {
		dp->rules[n + k] = overlay[k];
		if (overlay[k].kind == VRNET_RULE_RESOLVED)
			dp->rules[n + k].parent += n;
		/* a base rule the overlay removes is no rule of the device any more */
		if (overlay[k].kind == VRNET_RULE_REMOVED && overlay[k].parent < n)
			dp->rules[overlay[k].parent].kind = VRNET_RULE_REMOVED;
	}
	free(overlay);
	ret = vr_store_read_names(st, dp->dev.policy_id, dp->rules, n, dp->names);
	if (!ret && m)
		ret = vr_store_read_names(st, dp->dev.overlay_id, dp->rules + n, m, dp->names + n);
	if (ret)
		vr_device_policy_free(dp);
	return ret;
}

int vr_device_policy_read(struct vr_state *st, int ifindex, struct vr_device_policy *dp)
{
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	if (ret) {
		memset(dp, 0, sizeof(*dp));
		return ret;
	}
	return vr_device_policy_read_slot(st, slot, dp);
}

void vr_device_policy_free(struct vr_device_policy *dp)
{
	free(dp->rules);
	free(dp->names);
	dp->rules = NULL;
	dp->names = NULL;
}

uint32_t vr_device_policy_records(const struct vr_device_policy *dp)
{
	/* each removal is a marker in the overlay and a base record out of force */
	return dp->count - (dp->dev.overlay_id ? 2 * dp->dev.overlay_removed_rules : 0);
}

int vr_device_policy_addresses(const struct vr_device_policy *dp, const char *name,
			       struct vr_addr *out, int max)
{
	for (uint32_t i = 0; dp && i < dp->count; i++) {
		int n = 0;

		if (dp->rules[i].kind != VRNET_RULE_DOMAIN || strcmp(dp->names[i], name))
			continue;
		for (uint32_t k = i + 1; k < dp->count && n < max &&
					 dp->rules[k].kind == VRNET_RULE_RESOLVED;
		     k++) {
			out[n].family = dp->rules[k].family;
			memcpy(out[n].addr, dp->rules[k].addr, 16);
			n++;
		}
		return n;
	}
	return -ENOENT;
}

void vr_device_policy_rule(const struct vr_device_policy *dp, uint32_t id, struct vr_rule *r)
{
	const struct vrnet_rule *rec = &dp->rules[id];

	memset(r, 0, sizeof(*r));
	r->kind = rec->kind;
	r->family = rec->family;
	r->prefixlen = rec->prefixlen;
	r->proto = rec->proto;
	r->any_port = rec->any_port;
	r->port_lo = rec->port_lo;
	r->port_hi = rec->port_hi;
	memcpy(r->addr, rec->addr, 16);
	if (rec->kind == VRNET_RULE_DOMAIN)
		memcpy(r->name, dp->names[id], sizeof(r->name));
}

int vr_device_policy_to_policy(const struct vr_device_policy *dp, struct vr_policy *p)
{
	vr_policy_init(p);
	p->default_action = dp->dev.default_action;
	p->mode = dp->dev.mode;
	p->log_allowed = dp->dev.log_allowed;
	p->dns_proxy = dp->dev.dns_proxy;
	p->inbound = dp->dev.inbound;
	p->event_rate = dp->dev.event_rate;
	p->event_burst = dp->dev.event_burst;
	p->dns_rate = dp->dev.dns_rate;
	p->dns_burst = dp->dev.dns_burst;
	for (__u32 i = 0; i < dp->count; i++) {
		const struct vrnet_rule *rec = &dp->rules[i];
		struct vr_rule r;
		int ret;

		if (!vr_record_is_rule(rec))
			continue;
		vr_device_policy_rule(dp, i, &r);
		ret = vr_policy_add(p, rec->list, &r);
		if (ret) {
			vr_policy_free(p);
			return ret;
		}
	}
	return 0;
}

