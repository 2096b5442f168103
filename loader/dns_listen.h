/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Where the DNS proxy listens: in every network namespace that has the
 * proxy's end (vrnet_dnsnetns), UDP and TCP on the proxy's IPv4 and IPv6
 * addresses, port 53. A socket stays in the namespace it was made in, so
 * one process serves them all from its own namespace, where the upstream
 * is asked.
 */
#ifndef VR_DNS_LISTEN_H
#define VR_DNS_LISTEN_H

#include <stddef.h>
#include "state.h"

enum { VR_DNS_UDP4, VR_DNS_TCP4, VR_DNS_UDP6, VR_DNS_TCP6, VR_DNS_SOCKETS };

struct vr_dns_listener {
	__u64 netns_cookie;
	__u32 ifindex; /* of the vrdns0 the sockets are bound to */
	int fd[VR_DNS_SOCKETS];
};

struct vr_dns_listeners {
	struct vr_dns_listener *l;
	size_t n;
};

/*
 * Listens in each namespace that gained the proxy's end, and stops in those
 * that lost it. A namespace that cannot be served now is tried again at the
 * next call; the first such failure is in @err. Return: listeners opened, or
 * a negative errno (nothing changed).
 */
int vr_dns_listeners_sync(struct vr_state *st, struct vr_dns_listeners *ls, char *err,
			  size_t errlen);
void vr_dns_listeners_close(struct vr_dns_listeners *ls);

/* Whether a proxy serves the pin directory of @st now. */
bool vr_dns_proxy_running(const struct vr_state *st);

/*
 * Claims the pin directory of @st for this process's proxy, until it exits:
 * -EBUSY if another one serves it.
 */
int vr_dns_proxy_claim(const struct vr_state *st, int *fd);

#endif
