// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "tc.h"

/* Not in Debian 12's UAPI headers (Linux 6.1): the values are ABI. */
#define VR_BPF_TCX_INGRESS 46
#define VR_BPF_TCX_EGRESS 47
#define VR_BPF_F_BEFORE (1U << 3) /* with no program named: before every other */

static int tc_attach(int ifindex, int prog_fd, bool *created_qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int ret;

	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	*created_qdisc = !ret;
	ret = bpf_tc_attach(&hook, &opts);
	if (ret && *created_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	return ret;
}

static int tc_is_attached(int ifindex, unsigned int prog_id)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY);
	int ret = bpf_tc_query(&hook, &opts);

	if (ret == -ENOENT || ret == -EINVAL)
		return 0; /* no clsact qdisc, or no such filter */
	if (ret)
		return ret;
	return opts.prog_id == prog_id;
}

static int tc_detach(int ifindex, bool destroy_qdisc)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY);
	int ret = bpf_tc_detach(&hook, &opts);

	if (ret && ret != -ENOENT && ret != -EINVAL)
		return ret;
	if (destroy_qdisc) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		ret = bpf_tc_hook_destroy(&hook);
		if (ret && ret != -ENOENT && ret != -EINVAL)
			return ret;
	}
	return 0;
}

/* The programs on @ifindex's tcx ingress: how many (up to @max) into @ids. */
static int tcx_query(int ifindex, __u32 *ids, __u32 max)
{
	__u32 count = max;

	if (bpf_prog_query(ifindex, VR_BPF_TCX_INGRESS, 0, NULL, ids, &count))
		return -errno;
	return (int)(count < max ? count : max);
}

bool vr_tcx_supported(void)
{
	__u32 ids[1];

	/* the loopback device of this namespace is only asked, never attached to */
	return tcx_query(1, ids, 1) >= 0;
}

/* A new link, first on the hook (@type: ingress or egress), pinned at @pin. */
static int tcx_link_first_at(int ifindex, int prog_fd, const char *pin, int type)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = VR_BPF_F_BEFORE);
	int fd = bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)type, &opts), ret = 0;

	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, pin))
		ret = -errno;
	close(fd); /* pinned, the link holds; unpinned (an error), it goes */
	return ret;
}

static int tcx_link_first(int ifindex, int prog_fd, const char *pin)
{
	return tcx_link_first_at(ifindex, prog_fd, pin, VR_BPF_TCX_INGRESS);
}

int vr_hook_ahead(int ifindex, unsigned int prog_id)
{
	__u32 ids[64];
	int n = vr_tcx_supported() ? tcx_query(ifindex, ids, 64) : 0;

	for (int i = 0; i < n; i++)
		if (ids[i] == prog_id)
			return i;
	return 0;
}

/*
 * Ours goes first on the hook: a tcx program ahead of it that says "pass"
 * would let a packet skip it. An existing link of ours keeps its place and
 * takes the new program in one step (an upgrade); vr_hook_move_first()
 * moves it.
 */
static int tcx_attach(int ifindex, int prog_fd, const char *link_pin, int type)
{
	int fd = bpf_obj_get(link_pin), ret;

	if (fd < 0)
		return tcx_link_first_at(ifindex, prog_fd, link_pin, type);
	ret = bpf_link_update(fd, prog_fd, NULL) ? -errno : 0;
	close(fd);
	return ret;
}

/*
 * A hook runs a program once: the old link (behind another program) first
 * takes @spare_fd, a copy of the program, so that @prog_fd can have a new
 * link ahead of everything; then the old link goes. At every moment one of
 * ours is on the hook.
 */
/* Where vr_hook_move_first() pins the new link until it replaces the old one's pin. */
static void move_pin(const char *link_pin, char *buf, size_t len)
{
	snprintf(buf, len, "%s_new", link_pin);
}

int vr_hook_move_first(int ifindex, int prog_fd, int spare_fd, const char *link_pin)
{
	char fresh[4200];
	int fd = bpf_obj_get(link_pin), ret;

	if (fd < 0)
		return -errno;
	move_pin(link_pin, fresh, sizeof(fresh));
	unlink(fresh);
	ret = bpf_link_update(fd, spare_fd, NULL) ? -errno : 0;
	if (!ret)
		ret = tcx_link_first(ifindex, prog_fd, fresh);
	/*
	 * The new link takes the pin first: from then on the old one is held
	 * only by this fd, and goes when it is detached or this process ends.
	 */
	if (!ret && rename(fresh, link_pin))
		ret = -errno;
	if (ret) {
		unlink(fresh);				/* the new link, if any, goes */
		bpf_link_update(fd, prog_fd, NULL);	/* the old one as it was */
	} else {
		/* were this to fail, the unpinned link still goes with this fd */
		bpf_link_detach(fd);
	}
	close(fd);
	return ret;
}

void vr_hook_forget_move(const char *link_pin)
{
	char fresh[4200];

	move_pin(link_pin, fresh, sizeof(fresh));
	unlink(fresh);
}

int vr_hook_attach(int ifindex, int prog_fd, const char *link_pin, bool *tcx,
		   bool *created_qdisc)
{
	int ret;

	*created_qdisc = false;
	*tcx = vr_tcx_supported();
	if (!*tcx)
		return tc_attach(ifindex, prog_fd, created_qdisc);
	ret = tcx_attach(ifindex, prog_fd, link_pin, VR_BPF_TCX_INGRESS);
	/* tcx runs before cls_bpf: a filter of ours from a clsact attach can go now */
	if (!ret)
		ret = tc_detach(ifindex, false);
	return ret;
}

bool vr_hook_present(int ifindex, const char *link_pin)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY);
	int fd = bpf_obj_get(link_pin);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	return !bpf_tc_query(&hook, &opts);
}

int vr_hook_is_attached(int ifindex, unsigned int prog_id)
{
	__u32 ids[64];
	int n = vr_tcx_supported() ? tcx_query(ifindex, ids, 64) : 0;

	for (int i = 0; i < n; i++)
		if (ids[i] == prog_id)
			return 1;
	return tc_is_attached(ifindex, prog_id);
}

/* Detaches the tcx link pinned at @link_pin now (not when its last reference goes) and unpins it. */
static int tcx_unlink(const char *link_pin)
{
	int fd = bpf_obj_get(link_pin), ret = 0;

	if (fd < 0)
		return 0; /* none: a clsact attach */
	if (bpf_link_detach(fd) && errno != ENOLINK)
		ret = -errno;
	close(fd);
	if (!ret && unlink(link_pin) && errno != ENOENT)
		ret = -errno;
	return ret;
}

int vr_hook_detach(int ifindex, const char *link_pin, bool destroy_qdisc)
{
	int ret;

	vr_hook_forget_move(link_pin); /* a new link a killed move left pinned aside */
	ret = tcx_unlink(link_pin);
	return ret ? ret : tc_detach(ifindex, destroy_qdisc);
}

int vr_hook_attach_inbound(int ifindex, int prog_fd, const char *link_pin, bool tcx)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY,
		    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	int ret;

	if (tcx)
		return tcx_attach(ifindex, prog_fd, link_pin, VR_BPF_TCX_EGRESS);
	/* the clsact qdisc of the ingress filter has the egress hook too */
	ret = bpf_tc_hook_create(&hook);
	if (ret && ret != -EEXIST)
		return ret;
	return bpf_tc_attach(&hook, &opts);
}

int vr_hook_detach_inbound(int ifindex, const char *link_pin)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = VR_TC_HANDLE, .priority = VR_TC_PRIORITY);
	int ret = tcx_unlink(link_pin);

	if (!ret)
		ret = bpf_tc_detach(&hook, &opts);
	return ret && ret != -ENOENT && ret != -EINVAL ? ret : 0;
}

static bool route_file_has_default(const char *path, bool ipv6, const char *ifname)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char dev[IF_NAMESIZE + 1], dst[64], mask[64], plen[8];

		if (!ipv6) { /* Iface Destination Gateway Flags RefCnt Use Metric Mask */
			if (sscanf(line, "%16s %63s %*s %*s %*s %*s %*s %63s", dev, dst, mask) == 3)
				found = !strcmp(dev, ifname) && !strcmp(dst, "00000000") &&
					!strcmp(mask, "00000000");
		} else { /* dst plen src splen nexthop metric refcnt use flags dev */
			if (sscanf(line, "%63s %7s %*s %*s %*s %*s %*s %*s %*s %16s", dst, plen,
				   dev) == 3)
				found = !strcmp(dev, ifname) && !strcmp(plen, "00") &&
					strspn(dst, "0") == strlen(dst);
		}
	}
	fclose(f);
	return found;
}

bool vr_is_default_route_dev(int ifindex)
{
	char ifname[IF_NAMESIZE];

	if (!if_indextoname((unsigned int)ifindex, ifname))
		return false;
	return route_file_has_default("/proc/net/route", false, ifname) ||
	       route_file_has_default("/proc/net/ipv6_route", true, ifname);
}
