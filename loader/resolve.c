// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
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
			if (!ARES_GETSOCK_READABLE(bits, i) && !ARES_GETSOCK_WRITABLE(bits, i))
				continue;
			pfd[n].fd = socks[i];
			pfd[n].events = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
						(ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0));
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
 * Asks for A and AAAA separately so one family's failure (a name with only
 * IPv4 addresses) does not hide the other's answer.
 */
int vr_resolve(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
	       size_t errlen)
{
	const struct vr_resolver *r = ctx;
	struct ares_options opts = { .timeout = r && r->timeout_ms ? r->timeout_ms : 3000,
				     .tries = 2 };
	struct ares_addrinfo_hints hints = { .ai_flags = ARES_AI_NOSORT };
	struct query q4 = { .family = AF_INET }, q6 = { .family = AF_INET6 };
	ares_channel ch;
	int status;

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

	q4.out = out;
	q4.max = max;
	hints.ai_family = AF_INET;
	ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, &q4);
	wait_for(ch);

	q6.out = out + q4.count;
	q6.max = max - q4.count;
	hints.ai_family = AF_INET6;
	ares_getaddrinfo(ch, name, NULL, &hints, on_addrinfo, &q6);
	wait_for(ch);
	ares_destroy(ch);

	if (q4.status == ARES_ENOMEM || q6.status == ARES_ENOMEM) {
		snprintf(err, errlen, "resolves to more than %d addresses", max);
		return -E2BIG;
	}
	if (q4.count + q6.count == 0) {
		int status = q4.status != ARES_ENODATA ? q4.status : q6.status;

		snprintf(err, errlen, "cannot resolve: %s", ares_strerror(status));
		return -ENOENT;
	}
	return q4.count + q6.count;
}
