// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <ares.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "dns_cache.h"
#include "dns_listen.h"
#include "dns_message.h"
#include "dns_opened.h"
#include "dns_proxy.h"
#include "dns_report.h"
#include "dns_rules.h"

#define NS_PER_S 1000000000ull
#define SYNC_EVERY_NS NS_PER_S	     /* looks for namespaces gained or lost */
#define SWEEP_EVERY_NS (10 * NS_PER_S) /* deletes expired addresses */
#define UDP_BATCH 64		       /* queries read from one socket in a round */
#define SWEEP_ON_FULL_NS NS_PER_S      /* the soonest a bound hit sweeps again */

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
	int slot;
	__u64 opened_ns;
	size_t have;
	uint8_t buf[2 + VR_DNS_MAX_TCP_QUERY];
};

struct proxy {
	struct vr_state *st;
	const struct vr_dns_proxy_opts *opts;
	ares_channel ch;
	struct vr_dns_listeners ls;
	struct conn *conns[VR_DNS_MAX_TCP_CONNS];
	__u16 *inflight; /* per slot: queries asked upstream, not answered yet */
	__u64 swept_ns;	 /* the last sweep */
	size_t pending;	 /* all of them */
	struct vr_dns_opened opened;
	struct vr_dns_report report;
	struct vr_dns_cache answers;
	struct vr_dns_rules_cache rules;
	vr_dns_log_fn log;
	void *log_ctx;
};

/* A query asked upstream, until its answer. */
struct pending {
	struct proxy *px;
	struct client to;
	struct vr_dns_query q;
	__u32 slot, policy_id;
	__u64 word; /* the device's, when the rules that decided were read: changed, decided again */
	bool opens; /* an allow rule decided: the answer's addresses are opened */
	struct vrnet_port_entry entry;
};

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

static void log_event(struct proxy *px, const char *action, __u32 slot,
		      const struct vr_dns_query *q, int addrs, int blocked, __u64 open_ns)
{
	struct vr_dns_event e = { .action = action, .slot = slot, .qtype = q->qtype,
				  .addrs = addrs, .blocked = blocked, .open_ns = open_ns };
	char *name;

	/* an answer is news only when asked for, or when a block rule keeps part of it closed */
	if (!px->log || (!px->opts->log_answers && !blocked && !strcmp(action, "answered")))
		return;
	name = ldns_rdf2str(q->qname);
	e.name = name ? name : "?";
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

static void refuse(const struct client *to, const struct vr_dns_query *q, int rcode)
{
	uint8_t *wire = NULL;
	size_t len = 0;

	if (vr_dns_refusal(q, (ldns_pkt_rcode)rcode, &wire, &len))
		wire = NULL;
	reply(to, wire, len);
	free(wire);
}

/* Deletes what expired (dns_opened.h), and notes when. */
static int sweep(struct proxy *px, __u64 now)
{
	px->swept_ns = now;
	return vr_dns_opened_sweep(px->st, &px->opened, now);
}

/*
 * Opens the addresses @a (@n of them) for the device in @slot until their
 * TTL, and the grace, run out. Return: 0, or why not all of them are open:
 * -ENOSPC (the device's bound, after a sweep, or the address's: open under
 * VRNET_DNSADDR_RULES other rules) or -E2BIG (the map is full).
 */
static int open_addresses(struct proxy *px, __u32 slot, __u32 policy_id,
			  const struct vrnet_port_entry *entry, const struct vr_dns_addr *a, int n)
{
	const struct vr_dns_proxy_opts *o = px->opts;
	__u64 now = vr_ktime_ns();
	bool swept = false;
	int ret = 0;

	for (int i = 0; !ret && i < n; i++) {
		struct vrnet_dnsaddr_key key = { .slot = slot, .family = (__u8)a[i].family };
		uint32_t ttl = a[i].ttl < o->min_ttl_s	  ? o->min_ttl_s :
			       a[i].ttl > VR_DNS_MAX_TTL_S ? VR_DNS_MAX_TTL_S :
							     a[i].ttl;
		struct vrnet_dnsaddr_opening op = {
			.expires_ns = now + ((__u64)ttl + o->grace_s) * NS_PER_S,
			.entry = *entry,
		};

		memcpy(key.addr, a[i].addr, a[i].family == 4 ? 4 : 16);
		ret = vr_dns_opened_add(px->st, &px->opened, &key, policy_id, &op);
		/*
		 * Room may be taken by what expired since the last sweep. A sweep
		 * walks the whole map: once a second at most, or a sandbox at its
		 * bound could make the proxy walk it for every query.
		 */
		if (ret && !swept && now - px->swept_ns >= SWEEP_ON_FULL_NS) {
			swept = true;
			sweep(px, now);
			ret = vr_dns_opened_add(px->st, &px->opened, &key, policy_id, &op);
		}
	}
	return ret;
}

/* What an answer's @action counts as. */
static enum vr_dns_outcome outcome_of(const char *action)
{
	return !strcmp(action, "answered")	  ? VR_DNS_ANSWERED :
	       !strcmp(action, "refused_cname") ? VR_DNS_REFUSED :
						  VR_DNS_FAILED;
}

/*
 * Decides @p's query again by the device's @rules: what a late answer
 * opens, if anything, is what they say now. Return: whether they allow it.
 */
static bool decided_again(struct pending *p, const struct vr_dns_rules *rules)
{
	bool allowed = false;
	int rule = vr_dns_rules_decide(rules, p->q.qname, &allowed);

	if (rule == -ENOENT || !allowed)
		return false;
	p->policy_id = rules->dev.policy_id;
	p->word = rules->word;
	p->opens = rule >= 0;
	if (p->opens)
		p->entry = rules->opens[rule];
	return true;
}

static void on_answer(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct pending *p = arg;
	struct proxy *px = p->px;
	struct vr_dns_addr addrs[VR_DNS_MAX_ADDRS_PER_ANSWER + 1];
	const char *action = "answered";
	__u64 start = vr_ktime_ns();
	const struct vr_dns_rules *rules;
	bool chained = false;
	int n = 0, blocked = 0, ret, reuse;

	px->pending--;
	px->inflight[p->slot]--;
	if (status != ARES_SUCCESS || alen < 12) {
		/* every upstream failed, refused or timed out: say so rather than make it wait */
		refuse(&p->to, &p->q, LDNS_RCODE_SERVFAIL);
		action = "failed";
		goto out;
	}
	/* the names the answer's CNAMEs lead to are judged by the asker's rules too */
	if (vr_dns_rules_get(px->st, &px->rules, p->slot, &rules)) {
		refuse(&p->to, &p->q, LDNS_RCODE_SERVFAIL);
		action = "failed";
		goto out;
	}
	if (rules->word != p->word && !decided_again(p, rules)) {
		/* the device changed while its query was upstream: its rules now refuse it */
		refuse(&p->to, &p->q, rules->dev.policy_id ? px->opts->refusal : LDNS_RCODE_REFUSED);
		action = "refused";
		goto out;
	}
	n = vr_dns_answer_chain_addrs(abuf, (size_t)alen, p->q.qname, addrs,
				      VR_DNS_MAX_ADDRS_PER_ANSWER + 1, vr_dns_rules_block,
				      (void *)rules, &chained);
	if (n == -EPERM) { /* a CNAME into a blocked name: as if the name were asked */
		refuse(&p->to, &p->q, px->opts->refusal);
		action = "refused_cname";
		n = 0;
		goto out;
	}
	reuse = p->to.tcp ? 0 : vr_dns_answer_reusable_ttl(abuf, (size_t)alen);
	if (reuse > 0) /* for the next asker, whose own rules decide first */
		vr_dns_cache_put(&px->answers, &p->q, abuf, (size_t)alen, addrs, n, chained,
				 (uint32_t)reuse, start);
	if (p->opens) {
		ret = n > VR_DNS_MAX_ADDRS_PER_ANSWER ? -EMSGSIZE :
		      n > 0 ? open_addresses(px, p->slot, p->policy_id, &p->entry, addrs, n) :
			      0;
		if (ret) { /* an answer whose addresses would not all pass is not released */
			refuse(&p->to, &p->q, LDNS_RCODE_SERVFAIL);
			action = ret == -EMSGSIZE ? "too_many" : "full";
			n = 0;
			goto out;
		}
	}
	blocked = p->opens && n > 0 ? vr_dns_rules_blocked(rules, addrs, n) : 0;
	/* released only now: the sandbox's first packet finds its addresses open */
	abuf[0] = (uint8_t)(ldns_pkt_id(p->q.pkt) >> 8);
	abuf[1] = (uint8_t)ldns_pkt_id(p->q.pkt);
	reply(&p->to, abuf, (size_t)alen);
out:
	log_event(px, action, p->slot, &p->q, n < 0 ? 0 : n, blocked, vr_ktime_ns() - start);
	vr_dns_count(&px->report, p->slot, outcome_of(action));
	vr_dns_query_free(&p->q);
	free(p);
}

/*
 * Answers @q from the cache, as an upstream answer is: opened for the
 * device in @slot first (by the allow rule @rule of @rules; -1: no name
 * rule decided, nothing opens).
 */
static void answer_cached(struct proxy *px, const struct client *to, const struct vr_dns_query *q,
			  __u32 slot, const struct vr_dns_rules *rules, int rule,
			  const struct vr_dns_cached *hit)
{
	struct vr_dns_addr chain_addrs[VR_DNS_MAX_ADDRS_PER_ANSWER + 1];
	const struct vr_dns_addr *addrs = hit->addrs;
	__u64 start = vr_ktime_ns();
	const char *action = "answered";
	int n = hit->n_addrs, ret = 0;
	uint8_t out[4096];

	if (hit->chained) { /* this asker's rules judge the chain's names */
		n = vr_dns_answer_chain_addrs(hit->wire, hit->len, q->qname, chain_addrs,
					      VR_DNS_MAX_ADDRS_PER_ANSWER + 1, vr_dns_rules_block,
					      (void *)rules, NULL);
		addrs = chain_addrs;
	}
	if (n == -EPERM) {
		refuse(to, q, px->opts->refusal);
		log_event(px, "refused_cname", slot, q, 0, 0, 0);
		vr_dns_count(&px->report, slot, VR_DNS_REFUSED);
		return;
	}
	n = rule >= 0 ? n : 0;
	if (n > VR_DNS_MAX_ADDRS_PER_ANSWER)
		ret = -EMSGSIZE;
	else if (n > 0)
		ret = open_addresses(px, slot, rules->dev.policy_id, &rules->opens[rule], addrs,
				     n);
	if (ret || hit->len > sizeof(out)) {
		refuse(to, q, LDNS_RCODE_SERVFAIL);
		action = ret == -EMSGSIZE ? "too_many" : "full";
		n = 0;
	} else {
		vr_dns_cached_answer(hit, q, out);
		reply(to, out, hit->len);
	}
	log_event(px, action, slot, q, n, n > 0 ? vr_dns_rules_blocked(rules, addrs, n) : 0,
		  vr_ktime_ns() - start);
	vr_dns_count(&px->report, slot, outcome_of(action));
}

/* The refusal of @q by @rule of @rules (an index of the patterns; -1: the default), for `log`. */
static void report_refusal(struct proxy *px, const struct vr_dns_rules *rules,
			   const struct vr_dns_query *q, int rule, int rcode)
{
	struct vrnet_dns_event e = {
		.policy_id = rules->dev.policy_id,
		.rule_id = rule >= 0 ? rules->p[rule].rule_id : VRNET_DNS_NO_RULE,
		.qtype = (__u16)q->qtype,
		.rcode = (__u8)rcode,
	};
	char *name = ldns_rdf2str(q->qname);

	snprintf(e.name, sizeof(e.name), "%s", name ? name : "?");
	free(name);
	vr_dns_report_refusal(&px->report, &rules->dev, &e);
}

/* The query @buf from @to: refused, answered from the cache, dropped, or asked upstream. */
static void on_query(struct proxy *px, const struct client *to, const uint8_t *buf, size_t len)
{
	int slot = slot_of(&to->addr), rule = -ENOENT;
	const struct vr_dns_rules *rules = NULL;
	const struct vr_dns_cached *hit;
	struct vr_dns_query q;
	struct pending *p;
	uint8_t *wire = NULL;
	size_t wire_len = 0;
	bool allowed = false;

	if (slot < 0 || vr_dns_query_parse(buf, len, &q)) {
		reply(to, NULL, 0); /* not one of ours, or no query: nothing is answered */
		return;
	}
	if (!vr_dns_rules_get(px->st, &px->rules, (__u32)slot, &rules))
		rule = vr_dns_rules_decide(rules, q.qname, &allowed);
	if (rule == -ENOENT || !allowed) {
		int rcode = rule == -ENOENT ? LDNS_RCODE_REFUSED : px->opts->refusal;

		refuse(to, &q, rcode);
		log_event(px, "refused", (__u32)slot, &q, 0, 0, 0);
		vr_dns_count(&px->report, (__u32)slot, VR_DNS_REFUSED);
		if (rule != -ENOENT)
			report_refusal(px, rules, &q, rule, rcode);
		vr_dns_query_free(&q);
		return;
	}
	if (!to->tcp && (hit = vr_dns_cache_get(&px->answers, &q, vr_ktime_ns()))) {
		answer_cached(px, to, &q, (__u32)slot, rules, rule, hit);
		vr_dns_query_free(&q);
		return;
	}
	if (px->inflight[slot] >= VR_DNS_MAX_INFLIGHT || px->pending >= VR_DNS_MAX_PENDING ||
	    !(p = calloc(1, sizeof(*p)))) {
		reply(to, NULL, 0); /* over its bound: dropped, as a busy server does */
		vr_dns_count(&px->report, (__u32)slot, VR_DNS_DROPPED);
		vr_dns_query_free(&q);
		return;
	}
	p->px = px;
	p->to = *to;
	p->q = q;
	p->slot = (__u32)slot;
	p->policy_id = rules->dev.policy_id; /* that of the rules that decided */
	p->word = rules->word;
	p->opens = rule >= 0; /* a name rule allows it: the answer opens its addresses */
	if (p->opens)
		p->entry = rules->opens[rule];
	if (vr_dns_upstream_query(&q, &wire, &wire_len)) {
		reply(to, NULL, 0);
		vr_dns_query_free(&p->q);
		free(p);
		return;
	}
	px->pending++;
	px->inflight[slot]++;
	ares_send(px->ch, wire, (int)wire_len, on_answer, p);
	free(wire);
}

/* Reads what @fd holds, at most UDP_BATCH queries (the other sockets get their turn). */
static void on_udp(struct proxy *px, int fd)
{
	uint8_t buf[4096];

	for (int i = 0; i < UDP_BATCH; i++) {
		struct client to = { .fd = fd, .addr_len = sizeof(to.addr) };
		ssize_t len = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&to.addr,
				       &to.addr_len);

		if (len < 0)
			return; /* EAGAIN: all read */
		if (len > 0)
			on_query(px, &to, buf, (size_t)len);
	}
}

static void drop_conn(struct proxy *px, int i)
{
	close(px->conns[i]->fd);
	free(px->conns[i]);
	px->conns[i] = NULL;
}

/*
 * A new connection takes a free place; a device at its bound, or a full
 * table, gives up its (or the table's) oldest connection for it.
 */
static void on_accept(struct proxy *px, int lfd)
{
	struct sockaddr_storage sa;
	socklen_t sa_len = sizeof(sa);
	int fd = accept4(lfd, (struct sockaddr *)&sa, &sa_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	int slot = fd >= 0 ? slot_of(&sa) : -1, place = -1, oldest = -1, oldest_own = -1, own = 0;

	if (slot < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (int i = 0; i < VR_DNS_MAX_TCP_CONNS; i++) {
		struct conn *c = px->conns[i];

		if (!c) {
			place = place < 0 ? i : place;
			continue;
		}
		if (oldest < 0 || c->opened_ns < px->conns[oldest]->opened_ns)
			oldest = i;
		if (c->slot == slot && (own++, oldest_own < 0 ||
					c->opened_ns < px->conns[oldest_own]->opened_ns))
			oldest_own = i;
	}
	if (own >= VR_DNS_MAX_TCP_PER_DEVICE)
		place = oldest_own;
	else if (place < 0)
		place = oldest;
	if (px->conns[place])
		drop_conn(px, place);
	px->conns[place] = calloc(1, sizeof(struct conn));
	if (!px->conns[place]) {
		close(fd);
		return;
	}
	px->conns[place]->fd = fd;
	px->conns[place]->slot = slot;
	px->conns[place]->opened_ns = vr_ktime_ns();
}

/* Reads conns[@i]; a whole query goes on, and the connection with it. */
static void on_conn(struct proxy *px, int i)
{
	struct conn *c = px->conns[i];
	struct client to = { .fd = c->fd, .tcp = true, .addr_len = sizeof(to.addr) };
	ssize_t n = read(c->fd, c->buf + c->have, sizeof(c->buf) - c->have);
	size_t want;

	if (n <= 0) {
		drop_conn(px, i);
		return;
	}
	c->have += (size_t)n;
	want = c->have >= 2 ? 2 + ((size_t)c->buf[0] << 8 | c->buf[1]) : 0;
	if (!want || c->have < want)
		return;
	if (want > sizeof(c->buf) || getpeername(c->fd, (struct sockaddr *)&to.addr, &to.addr_len)) {
		drop_conn(px, i);
		return;
	}
	on_query(px, &to, c->buf + 2, want - 2); /* the connection is the answer's now */
	free(c);
	px->conns[i] = NULL;
}

/* Connections that did not send their query in time go. */
static void expire_conns(struct proxy *px, __u64 now)
{
	for (int i = 0; i < VR_DNS_MAX_TCP_CONNS; i++)
		if (px->conns[i] && now - px->conns[i]->opened_ns > VR_DNS_TCP_IDLE_NS)
			drop_conn(px, i);
}

static int start(struct proxy *px, int *lock_fd, char *err, size_t errlen)
{
	struct ares_options ao = {
		.timeout = px->opts->upstream->timeout_ms ? px->opts->upstream->timeout_ms : 3000,
		.tries = 2,
	};
	int ret = vr_dns_proxy_claim(px->st, lock_fd), status;

	if (ret == -EBUSY) {
		snprintf(err, errlen, "another vrnet-bpf dns serves %s", px->st->pin_dir);
		return ret;
	}
	if (ret) {
		snprintf(err, errlen, "couldn't claim %s: %s", px->st->pin_dir, strerror(-ret));
		return ret;
	}
	px->inflight = calloc(VRNET_MAX_DEVICES, sizeof(*px->inflight));
	if (!px->inflight ||
	    vr_dns_opened_init(&px->opened, px->opts->max_addresses, px->opts->grace_s > 0) ||
	    vr_dns_report_init(&px->report, px->st) || vr_dns_cache_init(&px->answers) ||
	    vr_dns_rules_init(&px->rules)) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* a restart resumes from the map: what expired while no proxy ran goes now */
	ret = sweep(px, vr_ktime_ns());
	if (ret < 0) {
		snprintf(err, errlen, "couldn't read %s: %s", VRNET_MAP_DNSADDRS, strerror(-ret));
		return ret;
	}
	status = ares_library_init(ARES_LIB_INIT_ALL);
	if (status == ARES_SUCCESS)
		status = ares_init_options(&px->ch, &ao, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (status == ARES_SUCCESS && px->opts->upstream->servers)
		status = ares_set_servers_ports_csv(px->ch, px->opts->upstream->servers);
	if (status != ARES_SUCCESS) {
		snprintf(err, errlen, "upstream resolver: %s", ares_strerror(status));
		return -EINVAL;
	}
	ret = vr_dns_listeners_sync(px->st, &px->ls, err, errlen);
	return ret < 0 ? ret : 0;
}

#define WAIT_UDP (-1) /* a listener's UDP socket */
#define WAIT_TCP (-2) /* a listener's TCP socket */

/* Everything to wait on: the listeners, the TCP connections and c-ares's sockets. */
struct waits {
	struct pollfd *pfd;
	int *conn_of; /* per pfd: the connection's index, or WAIT_UDP/WAIT_TCP */
	size_t n, cap;
};

static int wait_on(struct waits *w, int fd, short events, int conn)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 128;
		struct pollfd *pfd = realloc(w->pfd, cap * sizeof(*pfd));
		int *conn_of = pfd ? realloc(w->conn_of, cap * sizeof(*conn_of)) : NULL;

		if (pfd)
			w->pfd = pfd;
		if (!conn_of)
			return -ENOMEM;
		w->conn_of = conn_of;
		w->cap = cap;
	}
	w->pfd[w->n] = (struct pollfd){ .fd = fd, .events = events };
	w->conn_of[w->n++] = conn;
	return 0;
}

static int gather(struct proxy *px, struct waits *w, size_t *first_ares)
{
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	int bits = ares_getsock(px->ch, socks, ARES_GETSOCK_MAXNUM), ret = 0;

	w->n = 0;
	for (size_t l = 0; l < px->ls.n; l++)
		for (int i = 0; !ret && i < VR_DNS_SOCKETS; i++)
			ret = wait_on(w, px->ls.l[l].fd[i], POLLIN, i & 1 ? WAIT_TCP : WAIT_UDP);
	for (int i = 0; !ret && i < VR_DNS_MAX_TCP_CONNS; i++)
		if (px->conns[i])
			ret = wait_on(w, px->conns[i]->fd, POLLIN, i);
	*first_ares = w->n;
	for (int i = 0; !ret && i < ARES_GETSOCK_MAXNUM; i++) {
		bool readable = vr_ares_readable(bits, i), writable = vr_ares_writable(bits, i);

		if (readable || writable)
			ret = wait_on(w, socks[i],
				      (short)((readable ? POLLIN : 0) | (writable ? POLLOUT : 0)), -1);
	}
	return ret;
}

static void dispatch(struct proxy *px, const struct waits *w, size_t first_ares)
{
	for (size_t i = 0; i < first_ares; i++) {
		const struct pollfd *f = &w->pfd[i];

		if (w->conn_of[i] >= 0) {
			if (f->revents & (POLLIN | POLLHUP | POLLERR))
				on_conn(px, w->conn_of[i]);
		} else if (f->revents & POLLIN) {
			w->conn_of[i] == WAIT_TCP ? on_accept(px, f->fd) : on_udp(px, f->fd);
		}
	}
	for (size_t i = first_ares; i < w->n; i++)
		ares_process_fd(px->ch, w->pfd[i].revents & POLLIN ? w->pfd[i].fd : ARES_SOCKET_BAD,
				w->pfd[i].revents & POLLOUT ? w->pfd[i].fd : ARES_SOCKET_BAD);
	ares_process_fd(px->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD); /* timeouts */
}

int vr_dns_proxy_run(struct vr_state *st, const struct vr_dns_proxy_opts *opts,
		     volatile sig_atomic_t *stop, vr_dns_log_fn log, void *log_ctx, char *err,
		     size_t errlen)
{
	struct proxy px = { .st = st, .opts = opts, .log = log, .log_ctx = log_ctx };
	__u64 next_sync = 0, next_sweep = 0;
	struct waits w = { 0 };
	int lock_fd = -1, ret = start(&px, &lock_fd, err, errlen);

	while (!ret && !*stop) {
		/* counts wait at most a flush period to reach vrnet_dnsstats */
		struct timeval tv, *tvp, maxtv = { .tv_sec = px.report.n_dirty ? 0 : 1,
						   .tv_usec = px.report.n_dirty ? 100000 : 0 };
		__u64 now = vr_ktime_ns();
		size_t first_ares;

		if (now >= next_sync) { /* namespaces gained or lost since */
			vr_dns_listeners_sync(st, &px.ls, NULL, 0);
			vr_dns_rules_prune(st, &px.rules); /* of devices changed or gone */
			expire_conns(&px, now);
			next_sync = now + SYNC_EVERY_NS;
		}
		if (now >= next_sweep) {
			sweep(&px, now);
			next_sweep = now + SWEEP_EVERY_NS;
		}
		ret = gather(&px, &w, &first_ares);
		if (ret)
			break;
		tvp = ares_timeout(px.ch, &maxtv, &tv);
		if (poll(w.pfd, (nfds_t)w.n, (int)(tvp->tv_sec * 1000 + tvp->tv_usec / 1000)) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		dispatch(&px, &w, first_ares);
		if (px.log)
			px.log(NULL, px.log_ctx); /* the round's lines go out together */
		vr_dns_report_flush(&px.report, false);
	}
	vr_dns_report_flush(&px.report, true);
	if (px.ch)
		ares_destroy(px.ch); /* answers nothing left pending: their connections close */
	vr_dns_rules_free(&px.rules);
	for (int i = 0; i < VR_DNS_MAX_TCP_CONNS; i++)
		if (px.conns[i])
			drop_conn(&px, i);
	vr_dns_listeners_close(&px.ls);
	vr_dns_opened_free(&px.opened);
	vr_dns_report_free(&px.report);
	vr_dns_cache_free(&px.answers);
	free(px.inflight);
	free(w.pfd);
	free(w.conn_of);
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}
