/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The DNS proxy (docs/dns-proxy.md): answers the queries the datapath steers
 * to this network namespace's vrdns0 from the policy of the device that
 * asked (its client address names its slot). A name no rule allows gets
 * NXDOMAIN and never leaves the host; an allowed name is asked upstream, and
 * the A/AAAA addresses of the answer are opened for that device, with the
 * rule's ports and protocol, before the answer is released.
 */
#ifndef VR_DNS_PROXY_H
#define VR_DNS_PROXY_H

#include <signal.h>
#include <stddef.h>
#include "resolve.h"
#include "state.h"

/* An opened address lives for its TTL (at least this) plus the grace period. */
#define VR_DNS_MIN_TTL_S 30
#define VR_DNS_GRACE_S 60

/* What the proxy did with one query, for its log. */
struct vr_dns_event {
	const char *action; /* "answered", "refused", "failed" */
	__u32 slot;
	const char *name;   /* the query name, presentation format */
	int qtype;
	int addrs;	    /* addresses opened */
	__u64 open_ns;	    /* from the upstream's answer to its release, addresses opened */
};

typedef void (*vr_dns_log_fn)(const struct vr_dns_event *e, void *ctx);

/*
 * Serves this network namespace until *@stop is set: UDP on the proxy's
 * addresses, upstream through @upstream. Return: 0, or a negative errno with
 * @err saying why it could not start.
 */
int vr_dns_proxy_run(struct vr_state *st, const struct vr_resolver *upstream,
		     volatile sig_atomic_t *stop, vr_dns_log_fn log, void *log_ctx, char *err,
		     size_t errlen);

#endif
