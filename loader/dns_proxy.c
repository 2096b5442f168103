// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "dns_message.h"
#include "dns_names.h"
#include "dns_proxy.h"
#include "store.h"

#define MAX_ADDRS_PER_ANSWER 32

#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

/* A policy's name rules, read once per policy id. */
struct names {
	__u32 policy_id;
	struct vr_name_pattern *p;
	struct vrnet_rule *recs; /* indexed by rule id */
	size_t n;		 /* patterns */
	__u32 rule_count;
};

#define MAX_TCP_CONNS 64	 /* open TCP connections from sandboxes */
#define MAX_TCP_QUERY 4096	 /* bytes of a query over TCP */

/* Where an answer goes: a UDP client, or a TCP connection (closed after it). */
struct client {
	int fd;
	bool tcp;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* A TCP connection from a sandbox, reading its query (length first). */
struct conn {
	int fd;
	size_t have;
	uint8_t buf[2 + MAX_TCP_QUERY];
};

struct proxy {
	struct vr_state *st;
	ares_channel ch;
	int udp[2], tcp[2]; /* IPv4, IPv6 */
	struct conn *conns[MAX_TCP_CONNS];
	struct names cache;
	vr_dns_log_fn log;
	void *log_ctx;
};

/* A query asked upstream, until its answer. */
struct pending {
	struct proxy *px;
	struct client to;
	uint16_t id;
	__u32 slot, policy_id;
	bool opens; /* an allow rule decided: the answer's addresses are opened */
	struct vrnet_port_entry entry;
	ldns_rdf *qname;
	int qtype;
};

static void names_free(struct names *c)
{
	for (size_t i = 0; i < c->n; i++)
		vr_name_pattern_free(&c->p[i]);
	free(c->p);
	free(c->recs);
	memset(c, 0, sizeof(*c));
}

/* The name rules of policy @id (cached: one policy at a time). */
static int names_of(struct proxy *px, __u32 id, struct names **out)
{
	struct names *c = &px->cache;
	struct vrnet_policy_info info;
	char (*names)[VRNET_MAX_NAME_LEN] = NULL;
	int ret;

	*out = c;
	if (c->policy_id == id)
		return 0;
	names_free(c);
	flock(px->st->dir_fd, LOCK_SH); /* never a policy half-way through a change */
	ret = vr_store_info(px->st, id, &info);
	if (!ret)
		ret = vr_store_read_records(px->st, id, info.rule_count, &c->recs);
	if (ret) {
		flock(px->st->dir_fd, LOCK_UN);
		return ret;
	}
	names = calloc(info.rule_count ? info.rule_count : 1, sizeof(*names));
	c->p = calloc(info.rule_count ? info.rule_count : 1, sizeof(*c->p));
	if (!names || !c->p) {
		flock(px->st->dir_fd, LOCK_UN);
		free(names);
		return -ENOMEM;
	}
	ret = vr_store_read_names(px->st, id, c->recs, info.rule_count, names);
	flock(px->st->dir_fd, LOCK_UN);
	for (__u32 i = 0; !ret && i < info.rule_count; i++)
		if (c->recs[i].kind == VRNET_RULE_DOMAIN &&
		    !vr_name_pattern_init(&c->p[c->n], names[i], c->recs[i].list, i))
			c->n++;
	free(names);
	if (ret)
		return ret;
	c->policy_id = id;
	c->rule_count = info.rule_count;
	return 0;
}

/* The slot whose client address @sa is; -1 if none. */
static int slot_of(const struct sockaddr_storage *sa)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	__u32 host;

	if (sa->ss_family == AF_INET) {
		host = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) -
		       VRNET_DNS_CLIENT4(0);
	} else {
		const __u8 *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		__u32 w;

		if (memcmp(a, prefix6, 8) || a[8] | a[9] | a[10] | a[11])
			return -1;
		memcpy(&w, a + 12, 4);
		host = ntohl(w) - 2;
	}
	return host < VRNET_MAX_DEVICES ? (int)host : -1;
}

static __u64 now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t); /* bpf_ktime_get_ns()'s clock */
	return (__u64)t.tv_sec * 1000000000ull + (__u64)t.tv_nsec;
}

static void log_event(struct proxy *px, const char *action, __u32 slot, const ldns_rdf *qname,
		      int qtype, int addrs, __u64 open_ns)
{
	char *name = qname ? ldns_rdf2str(qname) : NULL;
	struct vr_dns_event e = { .action = action, .slot = slot, .name = name ? name : "?",
				  .qtype = qtype, .addrs = addrs, .open_ns = open_ns };

	if (px->log)
		px->log(&e, px->log_ctx);
	free(name);
}

/* Sends @msg to @to (over TCP with its length first, then closes); NULL: just closes. */
static void reply(const struct client *to, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };
	struct iovec iov[2] = { { hdr, 2 }, { (void *)msg, len } };

	if (!to->tcp) {
		if (msg)
			sendto(to->fd, msg, len, 0, (const struct sockaddr *)&to->addr, to->addr_len);
		return;
	}
	if (msg)
		writev(to->fd, iov, 2);
	close(to->fd);
}

static void refuse(const struct client *to, const struct vr_dns_query *q, ldns_pkt_rcode rcode)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	if (vr_dns_refusal(q, rcode, &wire, &len))
		wire = NULL;
	reply(to, wire, len);
	free(wire);
}

/* Opens @a for the device of @p until its TTL (and the grace) runs out. */
static void open_address(struct proxy *px, const struct pending *p, const struct vr_dns_addr *a)
{
	struct vrnet_dnsaddr_key key = { .slot = p->slot, .family = (__u8)a->family };
	uint32_t ttl = a->ttl < VR_DNS_MIN_TTL_S ? VR_DNS_MIN_TTL_S : a->ttl;
	struct vrnet_dnsaddr val = {
		.expires_ns = now_ns() + ((__u64)ttl + VR_DNS_GRACE_S) * 1000000000ull,
		.policy_id = p->policy_id,
		.entry = p->entry,
	};

	memcpy(key.addr, a->addr, a->family == 4 ? 4 : 16);
	bpf_map_update_elem(px->st->dnsaddrs_fd, &key, &val, BPF_ANY);
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *p = arg;
	struct vr_dns_addr addrs[MAX_ADDRS_PER_ANSWER];
	bool ok = status == ARES_SUCCESS && alen >= 12;
	__u64 start = now_ns();
	int n = 0;

	if (ok && p->opens) {
		n = vr_dns_answer_addrs(abuf, (size_t)alen, p->qname, addrs, MAX_ADDRS_PER_ANSWER);
		for (int i = 0; i < n; i++)
			open_address(p->px, p, &addrs[i]);
	}
	if (ok) { /* released only now: the sandbox's first packet finds its address open */
		abuf[0] = (uint8_t)(p->id >> 8);
		abuf[1] = (uint8_t)p->id;
	}
	reply(&p->to, ok ? abuf : NULL, ok ? (size_t)alen : 0);
	log_event(p->px, ok ? "answered" : "failed", p->slot, p->qname, p->qtype, n < 0 ? 0 : n,
		  now_ns() - start);
	ldns_rdf_deep_free(p->qname);
	free(p);
}

/* The query @buf from @to: refused, or asked upstream. */
static void on_query(struct proxy *px, const struct client *to, const uint8_t *buf, size_t len)
{
	int slot = slot_of(&to->addr), rule;
	struct vr_dns_query q;
	struct vr_device dev;
	struct names *names;
	struct pending *p;

	if (slot < 0 || vr_dns_query_parse(buf, len, &q)) {
		reply(to, NULL, 0); /* not one of ours, or no query: nothing is answered */
		return;
	}
	if (vr_device_get_slot(px->st, (__u32)slot, &dev) || !dev.policy_id || !dev.dns_proxy ||
	    names_of(px, dev.policy_id, &names)) {
		refuse(to, &q, LDNS_RCODE_REFUSED);
		log_event(px, "refused", (__u32)slot, q.qname, q.qtype, 0, 0);
		goto out;
	}
	rule = vr_name_decide(names->p, names->n, q.qname);
	if (rule >= 0 ? names->p[rule].list == VRNET_LIST_BLOCK :
			dev.default_action != VRNET_ACTION_ALLOW) {
		refuse(to, &q, LDNS_RCODE_NXDOMAIN);
		log_event(px, "refused", (__u32)slot, q.qname, q.qtype, 0, 0);
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		reply(to, NULL, 0);
		goto out;
	}
	p->px = px;
	p->to = *to;
	p->id = ldns_pkt_id(q.pkt);
	p->slot = (__u32)slot;
	p->policy_id = dev.policy_id;
	p->qtype = q.qtype;
	p->qname = ldns_rdf_clone(q.qname);
	if (rule >= 0) {
		const struct vrnet_rule *r = &names->recs[names->p[rule].rule_id];

		p->opens = true;
		p->entry = (struct vrnet_port_entry){ .port_lo = r->port_lo, .port_hi = r->port_hi,
						      .proto = r->proto,
						      .action = VRNET_ACTION_ALLOW,
						      .any_port = r->any_port,
						      .rule_id = names->p[rule].rule_id };
	}
	ares_send(px->ch, buf, (int)len, on_answer, p);
out:
	vr_dns_query_free(&q);
}

static void on_udp(struct proxy *px, int fd)
{
	struct client to = { .fd = fd, .addr_len = sizeof(to.addr) };
	uint8_t buf[4096];
	ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to.addr, &to.addr_len);

	if (len > 0)
		on_query(px, &to, buf, (size_t)len);
}

static void on_accept(struct proxy *px, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_TCP_CONNS; i++)
		if (!px->conns[i] && (px->conns[i] = calloc(1, sizeof(struct conn)))) {
			px->conns[i]->fd = fd;
			return;
		}
	close(fd); /* full: the sandbox tries again */
}

/* Reads conns[@i]; a whole query goes on, and the connection with it. */
static void on_conn(struct proxy *px, int i)
{
	struct conn *c = px->conns[i];
	struct client to = { .fd = c->fd, .tcp = true, .addr_len = sizeof(to.addr) };
	ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
	size_t want;

	if (n <= 0) {
		close(c->fd);
		goto drop;
	}
	c->have += (size_t)n;
	want = c->have >= 2 ? 2 + ((size_t)c->buf[0] << 8 | c->buf[1]) : 0;
	if (!want || c->have < want)
		return;
	if (want > sizeof(c->buf) || getpeername(c->fd, (struct sockaddr *)&to.addr, &to.addr_len)) {
		close(c->fd);
		goto drop;
	}
	on_query(px, &to, c->buf + 2, want - 2); /* the connection is the answer's now */
drop:
	free(c);
	px->conns[i] = NULL;
}

/* A socket of @type on the proxy's @family address, port 53. */
static int listen_on(int family, int type, int *fd, char *err, size_t errlen)
{
	static const __u8 prefix6[8] = VRNET_DNS_PREFIX6;
	struct sockaddr_storage sa = { 0 };
	int one = 1;

	*fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fd < 0)
		goto fail;
	setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;

		in->sin_family = AF_INET;
		in->sin_port = htons(VRNET_DNS_PORT);
		in->sin_addr.s_addr = htonl(VRNET_DNS_PROXY4);
		setsockopt(*fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(VRNET_DNS_PORT);
		memcpy(in6->sin6_addr.s6_addr, prefix6, 8);
		in6->sin6_addr.s6_addr[15] = 1;
		setsockopt(*fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		setsockopt(*fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	}
	if (!bind(*fd, (struct sockaddr *)&sa,
		  family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) &&
	    (type != SOCK_STREAM || !listen(*fd, 64)))
		return 0;
fail:
	snprintf(err, errlen, "couldn't listen on the proxy's %s address (%s): %s",
		 family == AF_INET ? "IPv4" : "IPv6", type == SOCK_STREAM ? "TCP" : "UDP",
		 strerror(errno));
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	return -errno;
}

int vr_dns_proxy_run(struct vr_state *st, const struct vr_resolver *upstream,
		     volatile sig_atomic_t *stop, vr_dns_log_fn log, void *log_ctx, char *err,
		     size_t errlen)
{
	struct proxy px = { .st = st, .udp = { -1, -1 }, .tcp = { -1, -1 }, .log = log,
			    .log_ctx = log_ctx };
	struct ares_options opts = { .timeout = upstream->timeout_ms ? upstream->timeout_ms : 3000,
				     .tries = 2 };
	int ret = 0, status;

	for (int i = 0; !ret && i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		ret = listen_on(family, SOCK_DGRAM, &px.udp[i], err, errlen);
		if (!ret)
			ret = listen_on(family, SOCK_STREAM, &px.tcp[i], err, errlen);
	}
	if (ret)
		goto out;
	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status == ARES_SUCCESS)
		status = ares_init_options(&px.ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (status == ARES_SUCCESS && upstream->servers)
		status = ares_set_servers_ports_csv(px.ch, upstream->servers);
	if (status != ARES_SUCCESS) {
		snprintf(err, errlen, "upstream resolver: %s", ares_strerror(status));
		ret = -EINVAL;
		goto out;
	}
	while (!*stop) {
		struct pollfd pfd[4 + MAX_TCP_CONNS + ARES_GETSOCK_MAXNUM];
		int conn_of[4 + MAX_TCP_CONNS + ARES_GETSOCK_MAXNUM];
		ares_socket_t socks[ARES_GETSOCK_MAXNUM];
		int bits = ares_getsock(px.ch, socks, ARES_GETSOCK_MAXNUM), n = 0, first_ares;
		struct timeval tv, *tvp, maxtv = { .tv_sec = 1 };

		for (int i = 0; i < 2; i++) {
			pfd[n++] = (struct pollfd){ .fd = px.udp[i], .events = POLLIN };
			pfd[n++] = (struct pollfd){ .fd = px.tcp[i], .events = POLLIN };
		}
		for (int i = 0; i < MAX_TCP_CONNS; i++)
			if (px.conns[i]) {
				conn_of[n] = i;
				pfd[n++] = (struct pollfd){ .fd = px.conns[i]->fd, .events = POLLIN };
			}
		first_ares = n;
		for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++)
			if (ARES_GETSOCK_READABLE(bits, i) || ARES_GETSOCK_WRITABLE(bits, i))
				pfd[n++] = (struct pollfd){
					.fd = socks[i],
					.events = (short)((ARES_GETSOCK_READABLE(bits, i) ? POLLIN : 0) |
							  (ARES_GETSOCK_WRITABLE(bits, i) ? POLLOUT : 0))
				};
		tvp = ares_timeout(px.ch, &maxtv, &tv);
		if (poll(pfd, (nfds_t)n, (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000)) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (int i = 0; i < 4; i++)
			if (pfd[i].revents & POLLIN)
				(i & 1) ? on_accept(&px, pfd[i].fd) : on_udp(&px, pfd[i].fd);
		for (int i = 4; i < first_ares; i++)
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				on_conn(&px, conn_of[i]);
		for (int i = first_ares; i < n; i++)
			ares_process_fd(px.ch, pfd[i].revents & POLLIN ? pfd[i].fd : ARES_SOCKET_BAD,
					pfd[i].revents & POLLOUT ? pfd[i].fd : ARES_SOCKET_BAD);
		ares_process_fd(px.ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
	}
out:
	if (px.ch)
		ares_destroy(px.ch); /* answers nothing left pending: their connections close */
	names_free(&px.cache);
	for (int i = 0; i < MAX_TCP_CONNS; i++)
		if (px.conns[i]) {
			close(px.conns[i]->fd);
			free(px.conns[i]);
		}
	for (int i = 0; i < 2; i++) {
		if (px.udp[i] >= 0)
			close(px.udp[i]);
		if (px.tcp[i] >= 0)
			close(px.tcp[i]);
	}
	return ret;
}
