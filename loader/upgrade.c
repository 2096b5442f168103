// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "netns.h"
#include "program.h"
#include "tc.h"
#include "upgrade.h"
#include "xdp.h"

/* Puts @fd (program @id) on @dev's hook in place of whatever program of ours is there. */
static int replace_on_device(struct vr_state *st, const struct vr_device *dev, int fd,
			     int inbound_fd, unsigned int id, struct vr_upgrade_netns *ns)
{
	struct vr_device now;
	char link[4200];
	bool tcx, created;
	int home = -1, ret;

	if (dev->netns_cookie != st->netns_cookie &&
	    vr_netns_enter(dev->netns_cookie, dev->netns_inode, &home))
		return 0; /* its namespace is gone: nothing to filter */
	ret = vr_state_link_path(st, dev->netns_cookie, dev->ifindex, link, sizeof(link));
	if (!ret && vr_hook_is_attached(dev->ifindex, id) == 1) {
		ns->replaced++; /* already (an upgrade cut short, finished now) */
	} else if (!ret && !vr_hook_present(dev->ifindex, link)) {
		ns->missing++; /* not ours to put back: attach does that */
	} else if (!ret) {
		ret = vr_hook_attach(dev->ifindex, fd, link, &tcx, &created);
		/* the qdisc was there: whether we made it is unchanged */
		if (!ret && tcx != dev->tcx)
			ret = vr_device_set_hook(st, dev->slot, tcx, dev->created_qdisc);
		if (!ret)
			ns->replaced++;
	}
	/* the tc egress program of the same build, wherever the filter is ours */
	if (!ret && inbound_fd >= 0 && vr_hook_is_attached(dev->ifindex, id) == 1 &&
	    !(ret = vr_state_inbound_link_path(st, dev->netns_cookie, dev->ifindex, link,
					       sizeof(link))))
		ret = vr_hook_attach_inbound(dev->ifindex, inbound_fd, link,
					     vr_device_get_slot(st, dev->slot, &now) ? dev->tcx :
										    now.tcx);
	/* XDP mode: this build's XDP program in place of another build's, or of none */
	if (!ret && dev->xdp && vr_hook_is_attached(dev->ifindex, id) == 1 &&
	    (ns->loaded || !vr_xdp_runs_current(st, dev->netns_cookie, dev->ifindex, dev->xdp))) {
		char err[512];

		ret = vr_xdp_attach(st, dev->netns_cookie, dev->ifindex, dev->xdp, err, sizeof(err));
	}
	vr_netns_return(home);
	return ret;
}

/* Upgrades namespace @ns->cookie: the new program pinned first, then every device. */
static int upgrade_netns(struct vr_state *st, bool force, const __u32 *slots, size_t n,
			 struct vr_upgrade_netns *ns, char *err, size_t errlen)
{
	struct vr_program_info before, after;
	int fd = -1, inbound_fd = -1, xdp_fd, ret = vr_program_info(st, ns->cookie, &before);

	if (!ret)
		snprintf(ns->old_tag, sizeof(ns->old_tag), "%s", before.tag);
	if (ret && ret != -ENOENT) {
		snprintf(err, errlen, "couldn't read the program of a namespace: %s", strerror(-ret));
		return ret;
	}
	if (ret || force || !before.current) {
		/* pinned before it is attached: a command cut short here is finished by the next */
		ret = vr_program_load(st, ns->cookie, &fd, err, errlen);
		if (!ret)
			ret = vr_program_pin(st, ns->cookie, fd, err, errlen);
		/* the XDP program `check` runs, where a device is in XDP mode */
		if (!ret && !vr_program_xdp_fd(st, ns->cookie, &xdp_fd)) {
			close(xdp_fd);
			ret = vr_program_pin_xdp(st, ns->cookie, err, errlen);
		}
		if (ret)
			goto out;
		ns->loaded = true;
	}
	ret = vr_program_info(st, ns->cookie, &after);
	if (!ret && fd < 0)
		ret = vr_program_fd(st, ns->cookie, &fd);
	if (ret) {
		snprintf(err, errlen, "couldn't open the new program: %s", strerror(-ret));
		goto out;
	}
	snprintf(ns->new_tag, sizeof(ns->new_tag), "%s", after.tag);
	if (vr_program_inbound_fd(st, ns->cookie, &inbound_fd))
		inbound_fd = -1; /* a build without one: nothing to put on tc egress */
	for (size_t i = 0; !ret && i < n; i++) {
		struct vr_device dev;

		if (vr_device_get_slot(st, slots[i], &dev) || dev.netns_cookie != ns->cookie)
			continue;
		ns->devices++;
		ns->inode = dev.netns_inode;
		ret = replace_on_device(st, &dev, fd, inbound_fd, after.id, ns);
		if (ret)
			snprintf(err, errlen, "couldn't put the new program on %s: %s", dev.ifname,
				 strerror(-ret));
	}
out:
	if (fd >= 0)
		close(fd);
	if (inbound_fd >= 0)
		close(inbound_fd);
	return ret;
}

int vr_upgrade(struct vr_state *st, bool force, vr_upgrade_report_fn report, void *ctx,
	       char *err, size_t errlen)
{
	__u32 *slots;
	__u64 *done;
	size_t n, n_done = 0;
	int ret = vr_device_slots(st, &slots, &n);

	if (ret) {
		snprintf(err, errlen, "couldn't list devices: %s", strerror(-ret));
		return ret;
	}
	done = calloc(n + 1, sizeof(*done));
	if (!done) {
		free(slots);
		return -ENOMEM;
	}
	for (size_t i = 0; !ret && i < n; i++) {
		struct vr_upgrade_netns ns = { 0 };
		struct vr_device dev;
		bool seen = false;

		if (vr_device_get_slot(st, slots[i], &dev))
			continue;
		for (size_t k = 0; k < n_done; k++)
			seen |= done[k] == dev.netns_cookie;
		if (seen)
			continue;
		done[n_done++] = ns.cookie = dev.netns_cookie;
		ret = upgrade_netns(st, force, slots, n, &ns, err, errlen);
		if (!ret)
			report(&ns, ctx);
	}
	free(done);
	free(slots);
	return ret;
}
