// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "tc.h"

int vr_tc_attach(int ifindex, int prog_fd, bool *created_qdisc)
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

int vr_tc_is_attached(int ifindex, unsigned int prog_id)
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

int vr_tc_detach(int ifindex, bool destroy_qdisc)
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
