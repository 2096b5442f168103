// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "dns_listen.h"
#include "netns.h"

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

#define VR_DNS_RCVBUF (4 << 20) /* bytes of queries a UDP socket holds */

/* The pin directory's entry a running proxy holds locked. */
#define PROXY_LOCK "vrnet_dnsproxy"

/* A socket of @type on the proxy's @family address, port 53, in this namespace. */
static int listen_on(int family, int type, char *err, size_t errlen)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	struct sockaddr_storage sa = { 0 };
	int one = 1, rcvbuf = VR_DNS_RCVBUF, fd, saved;

	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Only what arrives on vrdns0, which only the steering redirects into:
	 * a sandbox that is not steered could otherwise send to the proxy's
	 * address from another's client address, and be taken for it.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, VRNET_DNS_DEV, sizeof(VRNET_DNS_DEV)))
		goto fail;
	/* room for every device's burst of queries (the datapath holds each to its rate) */
	if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		in->sin_family = AF_INET;
		in->sin_port = htons(VRNET_DNS_PORT);
		in->sin_addr.s_addr = htonl(VRNET_DNS_PROXY4);
		setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(VRNET_DNS_PORT);
		memcpy(in6->sin6_addr.s6_addr, prefix6, 8);
		in6->sin6_addr.s6_addr[15] = 1;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	}
	if (!bind(fd, (struct sockaddr *)&sa,
		  family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) &&
	    (type != SOCK_STREAM || !listen(fd, 64)))
		return fd;
fail:
	saved = errno;
	snprintf(err, errlen, "couldn't listen on the proxy's %s address (%s): %s",
		 family == AF_INET ? "IPv4" : "IPv6", type == SOCK_STREAM ? "TCP" : "UDP",
		 strerror(saved));
	if (fd >= 0)
		close(fd);
	return -saved;
}

static void close_listener(struct vr_dns_listener *l)
{
	for (int i = 0; i < VR_DNS_SOCKETS; i++)
		if (l->fd[i] >= 0)
			close(l->fd[i]);
}

/* Opens @l's sockets on vrdns0 (@ifindex) of the namespace @cookie, entered through a device of it. */
static int open_listener(struct vr_state *st, __u64 cookie, __u32 ifindex,
			 struct vr_dns_listener *l, char *err, size_t errlen)
{
	struct vr_device dev = { 0 };
	__u32 *slots;
	size_t n;
	int home = -1, ret = vr_device_slots(st, &slots, &n);

	if (ret)
		return ret;
	ret = -ENOENT;
	for (size_t i = 0; ret && i < n; i++)
		if (!vr_device_get_slot(st, slots[i], &dev) && dev.netns_cookie == cookie)
			ret = 0;
	free(slots);
	if (ret || (cookie != st->netns_cookie &&
		    (ret = vr_netns_enter(cookie, dev.netns_inode, &home)))) {
		snprintf(err, errlen, "no way into network namespace %llu",
			 (unsigned long long)cookie);
		return ret;
	}
	l->netns_cookie = cookie;
	l->ifindex = ifindex;
	for (int i = 0; i < VR_DNS_SOCKETS; i++)
		l->fd[i] = -1;
	for (int i = 0; !ret && i < VR_DNS_SOCKETS; i++) {
		l->fd[i] = listen_on(i < VR_DNS_UDP6 ? AF_INET : AF_INET6,
				     i & 1 ? SOCK_STREAM : SOCK_DGRAM, err, errlen);
		ret = l->fd[i] < 0 ? l->fd[i] : 0;
	}
	if (home >= 0)
		vr_netns_return(home);
	if (ret)
		close_listener(l);
	return ret;
}

/* Whether @l's namespace still has the vrdns0 its sockets are bound to. */
static bool still_served(struct vr_state *st, const struct vr_dns_listener *l)
{
	struct vrnet_dnsnetns v;

	return !bpf_map_lookup_elem(st->dnsnetns_fd, &l->netns_cookie, &v) &&
	       v.ifindex == l->ifindex;
}

int vr_dns_listeners_sync(struct vr_state *st, struct vr_dns_listeners *ls, char *err,
			  size_t errlen)
{
	__u64 key, *prev = NULL;
	int opened = 0, failed = 0;

	for (size_t i = 0; i < ls->n;) /* namespaces whose proxy end went, or was made again */
		if (!still_served(st, &ls->l[i])) {
			close_listener(&ls->l[i]);
			ls->l[i] = ls->l[--ls->n];
		} else {
			i++;
		}
	while (!bpf_map_get_next_key(st->dnsnetns_fd, prev, &key)) {
		struct vr_dns_listener *grown;
		struct vrnet_dnsnetns v;
		bool served = false;

		prev = &key;
		if (bpf_map_lookup_elem(st->dnsnetns_fd, &key, &v))
			continue; /* gone meanwhile */
		for (size_t i = 0; i < ls->n; i++)
			served |= ls->l[i].netns_cookie == key;
		if (served)
			continue;
		grown = realloc(ls->l, (ls->n + 1) * sizeof(*ls->l));
		if (!grown)
			return -ENOMEM;
		ls->l = grown;
		if (open_listener(st, key, v.ifindex, &ls->l[ls->n], failed ? NULL : err,
				  failed ? 0 : errlen))
			failed++;
		else
			ls->n++, opened++;
	}
	return opened;
}

void vr_dns_listeners_close(struct vr_dns_listeners *ls)
{
	for (size_t i = 0; i < ls->n; i++)
		close_listener(&ls->l[i]);
	free(ls->l);
	ls->l = NULL;
	ls->n = 0;
}

static int open_lock(const struct vr_state *st)
{
	if (mkdirat(st->dir_fd, PROXY_LOCK, 0700) && errno != EEXIST)
		return -errno;
	return openat(st->dir_fd, PROXY_LOCK, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

bool vr_dns_proxy_running(const struct vr_state *st)
{
	int fd = openat(st->dir_fd, PROXY_LOCK, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool held;

	if (fd < 0)
		return false;
	held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

int vr_dns_proxy_claim(const struct vr_state *st, int *fd)
{
	*fd = open_lock(st);
	if (*fd < 0)
		return *fd;
	if (!flock(*fd, LOCK_EX | LOCK_NB))
		return 0;
	close(*fd);
	*fd = -1;
	return -EBUSY;
}
