/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The DNS proxy (docs/dns-proxy.md): answers the queries the datapath steers
 * to vrdns0, in every network namespace of the pin directory's devices, from
 * the policy of the device that asked (its client address names its slot). A
 * name no rule allows gets NXDOMAIN (or REFUSED) and never leaves the host; an allowed name is asked upstream, and
 * the A/AAAA addresses of the answer are opened for that device, with the
 * rule's ports and protocol, before the answer is released.
 */
#ifndef VR_DNS_PROXY_H
#define VR_DNS_PROXY_H

#include <signal.h>
#include <stddef.h>
#include "resolve.h"
#include "state.h"

/* An opened address lives for its TTL (at least --min-ttl, by default this) plus the grace. */
#define VR_DNS_MIN_TTL_S 30
#define VR_DNS_MAX_TTL_S 3600 /* and at most this: an upstream's TTL could be years */
#define VR_DNS_GRACE_S 60

/* Bounds: one sandbox's flood must not starve another's lookups. */
#define VR_DNS_MAX_INFLIGHT 32	     /* queries of one device asked upstream at once */
#define VR_DNS_MAX_PENDING 4096	     /* of all devices */
#define VR_DNS_MAX_TCP_CONNS 64	     /* TCP connections from sandboxes, all devices */
#define VR_DNS_MAX_TCP_PER_DEVICE 4  /* of one device */
#define VR_DNS_TCP_IDLE_NS 5000000000ull /* to send its query in */
#define VR_DNS_MAX_TCP_QUERY 4096    /* bytes of a query over TCP */
#define VR_DNS_MAX_ADDRS_PER_ANSWER 32 /* addresses one answer (one name) may open */

struct vr_dns_proxy_opts {
	const struct vr_resolver *upstream;
	int refusal;	      /* the rcode of a name no rule allows: NXDOMAIN or REFUSED */
	unsigned int min_ttl_s, grace_s;
	unsigned int max_addresses; /* open per device; 0: VR_DNS_MAX_ADDRS_PER_DEVICE */
	bool log_answers; /* every query is logged, not only what was refused or failed */
};

/* What the proxy did with one query, for its log. */
struct vr_dns_event {
	const char *action; /* "answered", "refused", "refused_cname", "failed", "full", "too_many" */
	__u32 slot;
	const char *name;   /* the query name, presentation format */
	int qtype;
	int addrs;	    /* addresses opened */
	int blocked;	    /* of them, covered by a block rule: they stay closed */
	__u64 open_ns;	    /* from the upstream's answer to its release, addresses opened */
};

/*
 * Called per query refused or failed, or answered with an address a block
 * rule covers (per query with log_answers), and with @e NULL after each
 * round of them: time to flush.
 */
typedef void (*vr_dns_log_fn)(const struct vr_dns_event *e, void *ctx);

/*
 * Serves every network namespace of @st's devices until *@stop is set
 * (dns_listen.h), asking the upstream from this one. Return: 0, or a
 * negative errno with @err saying why it could not start (-EBUSY: another
 * proxy serves the pin directory).
 */
int vr_dns_proxy_run(struct vr_state *st, const struct vr_dns_proxy_opts *opts,
		     volatile sig_atomic_t *stop, vr_dns_log_fn log, void *log_ctx, char *err,
		     size_t errlen);

#endif
