// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ares.h>
#include "resolve.h"

struct query {
	int family;
	int status;
	struct vr_addr *out;
	int max;
	int count;
};

static void on_addrinfo(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	struct query *q = arg;

	q->status = status;
	if (status != ARES_SUCCESS)
		return;
	for (struct ares_addrinfo_node *n = res->nodes; n; n = n->ai_next) {
		struct vr_addr a = { 0 };
		bool seen = false;

		if (n->ai_family == AF_INET) {
			a.family = 4;
			memcpy(a.addr, &((struct sockaddr_in *)n->ai_addr)->sin_addr, 4);
		} else if (n->ai_family == AF_INET6) {
			a.family = 6;
			memcpy(a.addr, &((struct sockaddr_in6 *)n->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (int i = 0; i < q->count; i++)
			seen |= !memcmp(&q->out[i], &a, sizeof(a));
		if (seen)
			continue;
		if (q->count == q->max) {
			q->status = ARES_ENOMEM; /* reported as "too many addresses" */
			break;
		}
		q->out[q->count++] = a;
	}
	ares_freeaddrinfo(res);
}

static void wait_for(ares_channel ch)
{
	for (;;) {
		struct pollfd pfd[ARES_GETSOCK_MAXNUM];
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		struct timeval tv, *tvp;
		int bits = ares_getsock(ch, socks, ARES_GETSOCK_MAXNUM), n = 0;

		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
			if (!vr_ares_readable(bits, i) && !vr_ares_writable(bits, i))
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = (short)((vr_ares_readable(bits, i) ? POLLIN : 0) |
						(vr_ares_writable(bits, i) ? POLLOUT : 0));
			n++;
		}
		if (!n)
			return;
		tvp = ares_timeout(ch, NULL, &tv);
		if (poll(pfd, (nfds_t)n, tvp ? (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000) :
						  1000) == 0) {
			ares_process_fd(ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
			continue;
		}
		for (int i = 0; i < n; i++)
			ares_process_fd(ch, pfd[i].revents & POLLIN ? pfd[i].fd : ARES_SOCKET_BAD,
					pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
	}
}

/*
 * Asks for A and AAAA separately, at once. A family with no records (a name
 * with IPv4 addresses only) is an answer; a family whose query failed (a
 * timeout, SERVFAIL) fails the name, so no rule covers one family silently.
 */
int vr_resolve(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
	       size_t errlen)
{
	const struct vr_resolver *r = ctx;
	struct ares_options opts = { .timeout = r && r->timeout_ms ? r->timeout_ms : 3000,
				     .tries = 2 };
	struct ares_addrinfo_hints hints = { .ai_flags = ARES_AI_NOSORT };
	struct query q4 = { .family = AF_INET }, q6 = { .family = AF_INET6 };
	struct vr_addr a4[VR_MAX_ADDRS_PER_NAME], a6[VR_MAX_ADDRS_PER_NAME];
	const struct query *families[] = { &q4, &q6 };
	ares_channel ch;
	int status;

	if (max > VR_MAX_ADDRS_PER_NAME)
		max = VR_MAX_ADDRS_PER_NAME;

	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status == ARES_SUCCESS)
		status = ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (status != ARES_SUCCESS) {
		snprintf(err, errlen, "resolver: %s", ares_strerror(status));
		return -EIO;
	}
	if (r && r->servers && (status = ares_set_servers_ports_csv(ch, r->servers))) {
		snprintf(err, errlen, "resolver \"%s\": %s", r->servers, ares_strerror(status));
		ares_destroy(ch);
		return -EINVAL;
	}

	/* both families at once: a dead resolver costs one timeout, not two */
	q4.out = a4;
	q4.max = max;
	hints.ai_family = AF_INET;
	ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, &q4);
	q6.out = a6;
	q6.max = max;
	hints.ai_family = AF_INET6;
	ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, &q6);
	wait_for(ch);
	ares_destroy(ch);

	if (q4.status == ARES_ENOMEM || q6.status == ARES_ENOMEM || q4.count + q6.count > max) {
		snprintf(err, errlen, "resolves to more than %d addresses", max);
		return -E2BIG;
	}
	/*
	 * Each family must be answered: a rule on a name whose A query timed out
	 * but whose AAAA query came back would cover one family silently.
	 */
	for (size_t i = 0; i < 2; i++) {
		const struct query *q = families[i];

		if (q->status == ARES_SUCCESS || q->status == ARES_ENODATA ||
		    (q->status == ARES_ENOTFOUND && q4.count + q6.count == 0))
			continue;
		snprintf(err, errlen, "cannot resolve its %s records: %s",
			 q->family == AF_INET ? "A" : "AAAA", ares_strerror(q->status));
		return -EIO;
	}
	if (q4.count + q6.count == 0) {
		int status = q4.status != ARES_ENODATA ? q4.status : q6.status;

		snprintf(err, errlen, "cannot resolve: %s", ares_strerror(status));
		return -ENOENT;
	}
	memcpy(out, a4, (size_t)q4.count * sizeof(*out));
	memcpy(out + q4.count, a6, (size_t)q6.count * sizeof(*out));
	return q4.count + q6.count;
}

static struct vr_prepared_name *prepared_find(const struct vr_prepared_names *set,
					      const char *name)
{
	for (size_t i = 0; i < set->count; i++)
		if (!strcmp(set->names[i].name, name))
			return &set->names[i];
	return NULL;
}

int vr_prepared_add(struct vr_prepared_names *set, const struct vr_rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct vr_prepared_name *grown;

		if (rules[i].kind != VRNET_RULE_DOMAIN || prepared_find(set, rules[i].name))
			continue;
		grown = realloc(set->names, (set->count + 1) * sizeof(*set->names));
		if (!grown)
			return -ENOMEM;
		set->names = grown;
		memset(&set->names[set->count], 0, sizeof(*set->names));
		snprintf(set->names[set->count++].name, VRNET_MAX_NAME_LEN, "%s", rules[i].name);
	}
	return 0;
}

int vr_prepared_add_policy(struct vr_prepared_names *set, const struct vr_policy *p)
{
	int ret = vr_prepared_add(set, p->allow.rules, p->allow.count);

	return ret ? ret : vr_prepared_add(set, p->block.rules, p->block.count);
}

void vr_prepared_lookup(struct vr_prepared_names *set, const struct vr_resolver *r)
{
	for (size_t i = 0; i < set->count; i++) {
		struct vr_prepared_name *e = &set->names[i];

		if (e->looked_up)
			continue;
		e->ret = vr_resolve((void *)r, e->name, e->addrs, VR_MAX_ADDRS_PER_NAME, e->why,
				    sizeof(e->why));
		e->looked_up = true;
	}
}

int vr_resolve_prepared(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			size_t errlen)
{
	const struct vr_prepared_name *e = prepared_find(ctx, name);

	if (!e || !e->looked_up) {
		snprintf(err, errlen, "was not looked up before the change");
		return -ENOENT;
	}
	if (e->ret < 0) {
		snprintf(err, errlen, "%s", e->why);
		return e->ret;
	}
	if (e->ret > max) {
		snprintf(err, errlen, "resolves to more than %d addresses", max);
		return -E2BIG;
	}
	memcpy(out, e->addrs, (size_t)e->ret * sizeof(*out));
	return e->ret;
}

void vr_prepared_names_free(struct vr_prepared_names *set)
{
	free(set->names);
	set->names = NULL;
	set->count = 0;
}
