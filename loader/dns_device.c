// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include "devices.h"
#include "dns_device.h"
#include "program.h"

/* ADDR/PREFIX on @ifindex, without duplicate address detection. */
static int add_address(struct nl_sock *sk, int ifindex, int family, const void *addr,
		       int prefixlen)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(family, addr, family == AF_INET ? 4 : 16);
	int ret = -ENOMEM;

	if (a && local) {
		nl_addr_set_prefixlen(local, prefixlen);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_local(a, local);
		if (family == AF_INET6)
			rtnl_addr_set_flags(a, IFA_F_NODAD);
		ret = rtnl_addr_add(sk, a, 0);
		ret = ret == -NLE_EXIST ? 0 : ret ? -EINVAL : 0;
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	return ret;
}

/* Sets @name up, NOARP (the proxy's answers to a client address wait on no neighbour). */
static int link_up_noarp(struct nl_sock *sk, const char *name)
{
	struct rtnl_link *cur = NULL, *change = rtnl_link_alloc();
	int ret = -ENOMEM;

	if (change && !rtnl_link_get_kernel(sk, 0, name, &cur)) {
		rtnl_link_set_flags(change, IFF_UP | IFF_NOARP);
		ret = rtnl_link_change(sk, cur, change, 0) ? -EINVAL : 0;
	}
	rtnl_link_put(cur);
	rtnl_link_put(change);
	return ret;
}

int vr_dns_device_ensure(struct vr_state *st, char *err, size_t errlen)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	struct vrnet_dnsnetns entry = { 0 };
	struct nl_sock *sk = nl_socket_alloc();
	__u8 proxy6[16] = { 0 };
	__u32 proxy4 = htonl(VRNET_DNS_PROXY4);
	int ret, ifindex, fd = -1;

	if (!sk || nl_connect(sk, NETLINK_ROUTE)) {
		snprintf(err, errlen, "couldn't open a netlink socket");
		ret = -ENOMEM;
		goto out;
	}
	if (!if_nametoindex(VRNET_DNS_DEV)) {
		ret = rtnl_link_veth_add(sk, VRNET_DNS_DEV, VRNET_DNS_PEER, getpid());
		if (ret && ret != -NLE_EXIST) {
			snprintf(err, errlen, "couldn't create %s: %s", VRNET_DNS_DEV,
				 nl_geterror(ret));
			ret = -EIO;
			goto out;
		}
	}
	memcpy(proxy6, prefix6, 8);
	proxy6[15] = 1;
	ifindex = (int)if_nametoindex(VRNET_DNS_DEV);
	ret = ifindex ? 0 : -ENODEV;
	if (ret || (ret = link_up_noarp(sk, VRNET_DNS_PEER)) ||
	    (ret = link_up_noarp(sk, VRNET_DNS_DEV)) ||
	    (ret = add_address(sk, ifindex, AF_INET, &proxy4, 15)) ||
	    (ret = add_address(sk, ifindex, AF_INET6, proxy6, 64)) ||
	    (ret = vr_device_read_mac(ifindex, entry.mac))) {
		snprintf(err, errlen, "couldn't set up %s: %s", VRNET_DNS_DEV, strerror(-ret));
		goto out;
	}
	ret = vr_program_dns_fd(st, st->netns_cookie, &fd);
	if (!ret) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fd, .handle = 1, .priority = 1,
			    .flags = BPF_TC_F_REPLACE);

		ret = bpf_tc_hook_create(&hook);
		if (ret == -EEXIST)
			ret = 0;
		if (!ret)
			ret = bpf_tc_attach(&hook, &opts);
	}
	if (ret) {
		snprintf(err, errlen, "couldn't attach the DNS return program to %s: %s",
			 VRNET_DNS_DEV, strerror(-ret));
		goto out;
	}
	entry.ifindex = (__u32)ifindex;
	if (bpf_map_update_elem(st->dnsnetns_fd, &st->netns_cookie, &entry, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't record %s: %s", VRNET_DNS_DEV, strerror(errno));
	}
out:
	if (fd >= 0)
		close(fd);
	nl_socket_free(sk);
	return ret;
}

int vr_dns_device_remove(struct vr_state *st)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_link *link = NULL;
	int ret = 0;

	if (bpf_map_delete_elem(st->dnsnetns_fd, &st->netns_cookie) && errno != ENOENT)
		ret = -errno;
	if (sk && !nl_connect(sk, NETLINK_ROUTE) &&
	    !rtnl_link_get_kernel(sk, 0, VRNET_DNS_DEV, &link) && rtnl_link_delete(sk, link))
		ret = -EIO;
	rtnl_link_put(link);
	nl_socket_free(sk);
	return ret;
}
