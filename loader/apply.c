// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Changes, each one transaction: write the new policy under a fresh id (its
 * vrnet_policies entry first), switch the device's record, then remove what
 * the switch replaced. A command killed anywhere leaves either the old state
 * or the new one in force, and what it wrote or replaced is removed by the
 * next change (vr_recover).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "devices.h"
#include "dns_opened.h"
#include "log.h"
#include "state.h"
#include "store.h"

int vr_apply(struct vr_state *st, int ifindex, const char *ifname,
	     const struct vr_policy *p, vr_resolve_fn resolve, void *resolve_ctx,
	     char *err, size_t errlen)
{
	struct vr_compiled c;
	double t0 = vr_now_ms();
	int ret = vr_compile(p, resolve, resolve_ctx, &c, err, errlen);

	if (ret)
		return ret;
	vr_debug("apply: compile %.1f ms", vr_now_ms() - t0);
	ret = vr_apply_compiled(st, ifindex, ifname, p, &c, err, errlen);
	vr_compiled_free(&c);
	return ret;
}

/*
 * The addresses the DNS proxy opened for @old stay open under the policy
 * @new_id where it has the same name rules (dns_opened.h). Return: 0 when
 * something may need settling after the switch.
 */
static int carry_dns(struct vr_state *st, const struct vr_device *old, __u32 new_id,
		     const struct vr_compiled *c)
{
	struct vr_device_policy dp;
	int ret = vr_device_policy_read_slot(st, old->slot, &dp);

	if (!ret) {
		ret = vr_dns_opened_carry(st, &dp, new_id, c);
		vr_device_policy_free(&dp);
	}
	if (ret)
		vr_warn("couldn't carry the DNS proxy's addresses over to the new policy: %s; "
			"they open again at the next lookup", strerror(-ret));
	return ret;
}

int vr_apply_compiled(struct vr_state *st, int ifindex, const char *ifname,
		      const struct vr_policy *p, const struct vr_compiled *c, char *err,
		      size_t errlen)
{
	struct vr_device dev = { .internet = VRNET_INTERNET_POLICY }, old = { 0 };
	struct vrnet_record next;
	double t1 = vr_now_ms(), t2, t_switch;
	bool existed, carried;
	int ret;

	existed = !vr_device_get(st, ifindex, &old);
	if (existed) {
		dev = old;
		ret = vr_host_addrs_sync(st, ifindex);
		if (ret)
			vr_warn("couldn't record the host's IPv6 addresses on %s: %s", ifname,
				strerror(-ret));
		/* its MAC may have changed since: unicast ARP goes to the one it has now */
		vr_device_read_mac(ifindex, dev.host_mac);
	}
	ret = vr_store_write(st, c, &dev.policy_id, err, errlen);
	t2 = vr_now_ms();
	if (ret)
		goto out;
	dev.default_action = p->default_action;
	dev.mode = p->mode;
	dev.log_allowed = p->log_allowed;
	dev.dns_proxy = p->dns_proxy;
	dev.inbound = p->inbound;
	dev.event_rate = p->event_rate;
	dev.event_burst = p->event_burst;
	dev.dns_rate = p->dns_rate;
	dev.dns_burst = p->dns_burst;
	dev.overlay_id = 0; /* the new base has every rule, and none it removed */
	dev.overlay_removes = 0;
	if (existed) {
		carried = old.dns_proxy && p->dns_proxy && !carry_dns(st, &old, dev.policy_id, c);
		vr_record_of(&dev, &next);
		ret = vr_device_switch(st, dev.slot, &next);
		if (ret)
			snprintf(err, errlen, "couldn't switch the device to the new policy: %s",
				 strerror(-ret));
		if (carried && vr_dns_opened_settle(st, dev.slot, old.policy_id, dev.policy_id, !ret))
			vr_warn("couldn't settle the DNS proxy's addresses of %s: the next sweep does",
				ifname);
	} else {
		ret = vr_device_create(st, ifindex, ifname, &dev, err, errlen);
	}
	t_switch = vr_now_ms();
	if (ret) {
		/* not in force (or, for a new device, not reachable): the next change removes it */
		vr_store_delete(st, dev.policy_id, false, 0);
		goto out;
	}
	if (existed) {
		vr_store_retire(st, old.overlay_id, false, 0);
		vr_store_retire(st, old.policy_id, true, old.overlay_rule_count);
	}
	vr_debug("apply: write %.1f ms, switch %.1f ms, remove old %.1f ms (%zu records, %zu prefixes, %zu portsets)",
		 t2 - t1, t_switch - t2, vr_now_ms() - t_switch, c->rule_count, c->prefix_count,
		 c->portset_count);
	/* for benchmarks: when packets saw the new policy, when the change was done */
	vr_debug("apply: visible_ms=%.3f done_ms=%.3f", (existed ? st->switched_ms : t_switch) - t1,
		 vr_now_ms() - t1);
out:
	return ret;
}

int vr_set_internet(struct vr_state *st, int ifindex, int internet)
{
	struct vrnet_record next;
	struct vr_device dev;
	int ret = vr_device_get(st, ifindex, &dev);

	if (ret)
		return ret;
	dev.internet = (__u8)internet;
	vr_record_of(&dev, &next);
	return vr_device_switch(st, dev.slot, &next);
}
