/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Connections opened into a sandbox (vrnet_conns, vrnet_common.h): the
 * device's tc egress program notes them as the host sends into the
 * sandbox; the sandbox's replies then pass at tc ingress, reason reply,
 * where the policy's default (or the internet switch's off) would drop
 * them. A block rule still drops a reply. Only a peer opens: a TCP SYN, a
 * UDP datagram, an ICMP echo request; the sandbox's SYN-ACK or datagram
 * establishes. An ICMP error the sandbox sends about such a connection
 * (port unreachable, too big, time exceeded) passes too, by the packet it
 * quotes. No sequence numbers are tracked: the entry is the 5-tuple.
 * The sandbox's packets are what keep a connection alive; the peer's count
 * too for UDP and echo, and its FIN or RST closes TCP.
 *
 * A UDP datagram or a TCP SYN the sandbox sends that its policy passes
 * starts a flow of its own (note_outbound()), and so, under an inbound
 * policy, does an echo request: noted in vrnet_ownnotes, a table apart from
 * the connections into the sandbox, so neither side pushes the other's
 * entries out. The peer's answers then open nothing, and the sandbox's
 * packets on it are never replies, so a rule removed, a block or internet
 * off stops the flow though the peer keeps answering. UDP flows and TCP
 * connections are also marked in vrnet_ownflows, which the sandbox cannot
 * push out: a peer's datagram or bare SYN on a marked flow opens nothing (a
 * simultaneous open of the sandbox's connection is still its own). Under an
 * inbound policy (inbound.h) the peers' packets on the sandbox's own flows
 * pass that policy (is_outbound_reply()) while its egress policy passes the
 * flow; a connection opened before the policy had an inbound part is one of
 * them while its note lives: without an inbound part nothing but the
 * sandbox's SYN refreshes a TCP note (the peer's segments are not looked
 * up). A note is refreshed by the sandbox's SYNs, datagrams and echo
 * requests, by the peer's datagrams and echo requests, and under an inbound
 * policy by the peer's packets it lets in; no FIN closes it.
 */
#ifndef VRNET_BPF_CONNTRACK_H
#define VRNET_BPF_CONNTRACK_H

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_RST 0x04
#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_DEST_UNREACH 1
#define ICMPV6_PKT_TOOBIG 2
#define ICMPV6_TIME_EXCEED 3
#define ICMPV6_PARAMPROB 4
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129
#define ICMP_ERROR_QUOTE 8 /* where an ICMP error's quoted IP header starts */
/* the longest ICMP error a router sends: 576 bytes in all (RFC 1812), 1280 (RFC 4443) */
#define ICMP_ERROR_MAX (576 - 20)
#define ICMPV6_ERROR_MAX (1280 - 40)

static __always_inline int is_echo_request(const struct packet_info *pkt)
{
	return pkt->family == 4 ? pkt->icmp_type == ICMP_ECHO_REQUEST :
				  pkt->icmp_type == ICMPV6_ECHO_REQUEST;
}

static __always_inline int is_echo_reply(const struct packet_info *pkt)
{
	return pkt->family == 4 ? pkt->icmp_type == ICMP_ECHO_REPLY :
				  pkt->icmp_type == ICMPV6_ECHO_REPLY;
}

static __always_inline int is_icmp_error(const struct packet_info *pkt)
{
	if (pkt->l4_proto != IPPROTO_ICMP && pkt->l4_proto != IPPROTO_ICMPV6)
		return 0;
	if (pkt->family == 4)
		return pkt->icmp_type == ICMP_DEST_UNREACH || pkt->icmp_type == ICMP_TIME_EXCEEDED ||
		       pkt->icmp_type == ICMP_PARAMETERPROB;
	return pkt->icmp_type >= ICMPV6_DEST_UNREACH && pkt->icmp_type <= ICMPV6_PARAMPROB;
}

/* An echo's identifier (@c at its ICMP header), the flow's "port" both ways. */
static __always_inline int echo_id(const struct hdr_cursor *c, __u16 *id)
{
	const __be16 *p = c->pos + 4;

	if ((void *)(p + 1) > c->end)
		return -1;
	*id = bpf_ntohs(*p);
	return 0;
}

/* A packet a flow can be told by: its transport header here, of a tracked protocol. */
static __always_inline int is_trackable(const struct packet_info *pkt)
{
	__u8 proto = pkt->l4_proto;

	return pkt->has_l4 && pkt->fragment != VRNET_LATER_FRAGMENT &&
	       (proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_ICMP ||
		proto == IPPROTO_ICMPV6);
}

/*
 * The key of a connection as the sandbox's replies carry it, from a packet
 * of the sandbox (@reply: its own source first) or of the peer (swapped).
 */
static __always_inline void conn_key(__u32 slot, const struct packet_info *pkt, __u16 sport,
				     __u16 dport, int reply, struct vrnet_flow_key *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->slot = slot;
	k->family = pkt->family;
	k->proto = pkt->l4_proto;
	if (reply) {
		k->sport = sport;
		k->dport = dport;
		__builtin_memcpy(k->saddr, pkt->saddr, 16);
		__builtin_memcpy(k->daddr, pkt->daddr, 16);
	} else {
		k->sport = dport;
		k->dport = sport;
		__builtin_memcpy(k->saddr, pkt->daddr, 16);
		__builtin_memcpy(k->daddr, pkt->saddr, 16);
	}
}

static __always_inline __u64 conn_timeout(__u8 proto, __u8 state)
{
	if (state == VRNET_CONN_CLOSING)
		return VRNET_CONN_CLOSING_NS;
	if (state != VRNET_CONN_ESTABLISHED || proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return VRNET_CONN_OPENING_NS;
	return proto == IPPROTO_TCP ? VRNET_CONN_TCP_IDLE_NS : VRNET_CONN_UDP_IDLE_NS;
}

/*
 * A note of the sandbox's own flow: outlives a NAT's UDP mappings on the host
 * at Linux's defaults (30 s, 120 s streams); TCP's as an established
 * connection's; an echo's as an unanswered one's.
 */
static __always_inline __u64 own_note_timeout(__u8 proto)
{
	if (proto == IPPROTO_TCP)
		return VRNET_CONN_TCP_IDLE_NS;
	return proto == IPPROTO_UDP ? VRNET_CONN_UDP_IDLE_NS : VRNET_CONN_OPENING_NS;
}

/*
 * The clock of the table: coarse (a tick, 4 ms at most, against timeouts of
 * seconds), read from memory where bpf_ktime_get_ns() reads the clock
 * source, on every packet of a flow the sandbox opens.
 */
static __always_inline __u64 conn_now(void)
{
	return bpf_ktime_get_coarse_ns();
}

/*
 * Whether @e, idle since seen_ns, has outlived its state's timeout at @now.
 * Signed: another CPU may have stored a later time since @now was read.
 */
static __always_inline int conn_expired(const struct vrnet_conn *e, __u8 proto, __u64 now)
{
	return (__s64)(now - e->seen_ns) > (__s64)conn_timeout(proto, e->state);
}

/*
 * The live entry of @k, or NULL (none, or idle past its timeout); @now gets
 * the clock, read only for an entry found: a miss is what a blocked flood
 * costs.
 */
static __always_inline struct vrnet_conn *live_conn(void *conns, const struct vrnet_flow_key *k,
						    __u64 *now)
{
	struct vrnet_conn *e = bpf_map_lookup_elem(conns, k);

	if (!e)
		return NULL;
	*now = conn_now();
	return conn_expired(e, k->proto, *now) ? NULL : e;
}

/* The device's table of its sandbox's own flows (vrnet_ownnotes), or NULL: none noted. */
static __always_inline void *own_notes(__u32 slot)
{
	return bpf_map_lookup_elem(&vrnet_ownnotes, &slot);
}

/* Whether the sandbox's note @n, idle since seen_ns, has outlived its timeout at @now. */
static __always_inline int own_note_expired(const struct vrnet_own_note *n, __u8 proto, __u64 now)
{
	return (__s64)(now - n->seen_ns) > (__s64)own_note_timeout(proto);
}

/* The live note at @now of the sandbox's flow @k in table @notes (NULL: none), or NULL. */
static __always_inline struct vrnet_own_note *own_note_at(void *notes,
							  const struct vrnet_flow_key *k,
							  __u64 now)
{
	struct vrnet_own_note *n = notes ? bpf_map_lookup_elem(notes, k) : NULL;

	return n && !own_note_expired(n, k->proto, now) ? n : NULL;
}

/* The live note of the sandbox's flow @k, or NULL; @now gets the clock, read on a hit only. */
static __always_inline struct vrnet_own_note *live_own_note(void *notes,
							    const struct vrnet_flow_key *k,
							    __u64 *now)
{
	struct vrnet_own_note *n = bpf_map_lookup_elem(notes, k);

	if (!n)
		return NULL;
	*now = conn_now();
	return own_note_expired(n, k->proto, *now) ? NULL : n;
}

/*
 * Starts entry @k in @state at @now where @e, its lookup, found none or one
 * that expired: an expired one gives way, one another CPU made since does not.
 */
static __always_inline void start_conn(void *conns, const struct vrnet_flow_key *k,
				       const struct vrnet_conn *e, __u8 state, __u64 now)
{
	struct vrnet_conn fresh = { .seen_ns = now, .state = state };

	bpf_map_update_elem(conns, k, &fresh, e ? BPF_EXIST : BPF_NOEXIST);
}

/* Flow @e was judged at @now under record @dev: @pass, its egress policy passed it. */
static __always_inline void note_judged(struct vrnet_own_note *e, const struct vrnet_record *dev,
					__u64 now, __u8 pass)
{
	e->judged = VRNET_JUDGED(dev->change, now >> VRNET_CONN_JUDGED_SHIFT, pass);
}

/* Whether the sandbox's flow @e was judged under record @dev, within the tick of @now. */
static __always_inline int judged_lately(const struct vrnet_own_note *e,
					 const struct vrnet_record *dev, __u64 now)
{
	return VRNET_JUDGED_WHEN(e->judged) ==
	       VRNET_JUDGED_WHEN(VRNET_JUDGED(dev->change, now >> VRNET_CONN_JUDGED_SHIFT, 0));
}

/* The device's vrnet_ownflows table's one element, or NULL (no table: nothing is noted). */
static __always_inline struct vrnet_ownflows *own_flows(__u32 slot)
{
	void *table = bpf_map_lookup_elem(&vrnet_ownflows, &slot);
	__u32 zero = 0;

	return table ? bpf_map_lookup_elem(table, &zero) : NULL;
}

/* vrnet_ownflows's tick of @now: 16 bits, never 0 (never marked). */
static __always_inline __u16 own_flow_tick(__u64 now)
{
	__u16 tick = (__u16)(now >> VRNET_OWNFLOW_TICK_SHIFT);

	return tick ? tick : 1;
}

/* Whether a bucket last marked at @seen is fresh at @tick (a mark a little ahead is). */
static __always_inline int own_flow_fresh(__u16 seen, __u16 tick)
{
	return seen && (__u16)(tick - seen + VRNET_OWNFLOW_SKEW_TICKS) <=
			       VRNET_OWNFLOW_LIFE_TICKS + VRNET_OWNFLOW_SKEW_TICKS;
}

static __always_inline __u32 own_flow_hash(const struct vrnet_flow_key *k)
{
	return vrnet_own_flow_hash((const __u32 *)k, sizeof(*k) / 4);
}

/* Stores @tick in buckets @h of @o; a bucket that holds it already is left alone. */
static __always_inline void mark_buckets(struct vrnet_ownflows *o, __u32 h, __u16 tick)
{
	__u32 first = VRNET_OWNFLOW_FIRST(h), second = VRNET_OWNFLOW_SECOND(h);

	if (o->seen[first] != tick)
		o->seen[first] = tick;
	if (o->seen[second] != tick)
		o->seen[second] = tick;
}

/* Marks flow @k's two buckets with @now's tick. */
static __always_inline void own_flow_mark(__u32 slot, const struct vrnet_flow_key *k, __u64 now)
{
	struct vrnet_ownflows *o = own_flows(slot);

	if (o)
		mark_buckets(o, own_flow_hash(k), own_flow_tick(now));
}

/*
 * Whether the sandbox started flow @k lately (vrnet_common.h, vrnet_ownflows);
 * if so, marks it again: the peer's packet keeps it.
 */
static __always_inline int own_flow_seen(__u32 slot, const struct vrnet_flow_key *k, __u64 now)
{
	struct vrnet_ownflows *o = own_flows(slot);
	__u32 h = own_flow_hash(k);
	__u16 tick = own_flow_tick(now);

	if (!o || !own_flow_fresh(o->seen[VRNET_OWNFLOW_FIRST(h)], tick) ||
	    !own_flow_fresh(o->seen[VRNET_OWNFLOW_SECOND(h)], tick))
		return 0;
	mark_buckets(o, h, tick);
	return 1;
}

static __always_inline int is_unicast(const struct packet_info *pkt)
{
	if (pkt->family == 6)
		return pkt->daddr[0] != 0xff;
	return (pkt->daddr[0] & 0xf0) != 0xe0 && !(pkt->daddr[0] == 0xff && pkt->daddr[1] == 0xff &&
						  pkt->daddr[2] == 0xff && pkt->daddr[3] == 0xff);
}

/*
 * tc egress: a packet the host sends into the sandbox (parsed into @pkt, @c
 * at its transport). Multicast and broadcast open nothing; nor do the DNS
 * proxy's answers (@dns_proxy: the device's DNS goes to it): they answer
 * what the sandbox asked, and would let it choose the peer.
 */
static __always_inline void track_inbound(__u32 slot, int dns_proxy,
					  const struct hdr_cursor *c,
					  const struct packet_info *pkt)
{
	struct vrnet_conn fresh = { .state = VRNET_CONN_OPENING };
	struct vrnet_own_note *n;
	struct vrnet_flow_key k;
	struct vrnet_conn *e;
	void *conns;
	__u64 now;
	__u16 id;

	if (!is_trackable(pkt) || !is_unicast(pkt))
		return;
	conns = bpf_map_lookup_elem(&vrnet_conns, &slot);
	if (!conns)
		return; /* no table: no reply passes */
	if (dns_proxy && pkt->l4_proto == IPPROTO_UDP && pkt->sport == VRNET_DNS_PORT)
		return;
	if (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6) {
		if (!is_echo_request(pkt) || echo_id(c, &id))
			return;
		conn_key(slot, pkt, id, id, 0, &k);
	} else {
		conn_key(slot, pkt, pkt->sport, pkt->dport, 0, &k);
	}
	/*
	 * TCP is read only at a SYN, a FIN or a RST: the sandbox's packets keep a
	 * connection alive (is_reply()), so the peer's data costs no lookup.
	 */
	if (pkt->l4_proto == IPPROTO_TCP &&
	    !(pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)))
		return;
	now = conn_now();
	if (pkt->l4_proto == IPPROTO_TCP &&
	    (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN) {
		/*
		 * A SYN starts anew, but not on a connection the sandbox started
		 * lately: that is a simultaneous open of its own connection.
		 */
		if (own_note_at(own_notes(slot), &k, now) || own_flow_seen(slot, &k, now))
			return;
		fresh.seen_ns = now;
		bpf_map_update_elem(conns, &k, &fresh, BPF_ANY);
		return;
	}
	/*
	 * The peer keeps the sandbox's UDP flow or echo alive (a UDP flow its
	 * own in vrnet_ownflows too), and opens nothing on it.
	 */
	n = pkt->l4_proto != IPPROTO_TCP ? own_note_at(own_notes(slot), &k, now) : NULL;
	if (n) {
		n->seen_ns = now;
		if (k.proto == IPPROTO_UDP)
			own_flow_mark(slot, &k, now);
		return;
	}
	e = bpf_map_lookup_elem(conns, &k);
	if (!e || conn_expired(e, k.proto, now)) {
		/*
		 * Only a SYN opens TCP; UDP and echo open with any packet, but
		 * never a UDP flow the sandbox started lately, its note pushed out.
		 */
		if (pkt->l4_proto == IPPROTO_UDP && own_flow_seen(slot, &k, now))
			return;
		if (pkt->l4_proto != IPPROTO_TCP)
			start_conn(conns, &k, e, VRNET_CONN_OPENING, now);
		return;
	}
	e->seen_ns = now;
	if (pkt->l4_proto == IPPROTO_TCP && (pkt->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)))
		e->state = VRNET_CONN_CLOSING;
}

/*
 * track_inbound() for the host's packet whose transport header is @l4_off
 * bytes in. A global function, verified once: the tc egress program calls
 * it with and without an inbound part.
 */
__noinline int vrnet_track_inbound(vr_ctx *ctx, const struct vrnet_record *dev,
				   const struct packet_info *pkt, __u32 l4_off)
{
	struct hdr_cursor c;

	if (!dev || !pkt || cursor_at(ctx, l4_off, &c))
		return 0;
	track_inbound(dev->slot, dev->dns_proxy, &c, pkt);
	return 0;
}

static __always_inline int same_addr(const __u8 *a, const __u8 *b, __u8 family)
{
	__u64 a1, a2, b1, b2;

	if (family == 4)
		return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3];
	__builtin_memcpy(&a1, a, 8);
	__builtin_memcpy(&a2, a + 8, 8);
	__builtin_memcpy(&b1, b, 8);
	__builtin_memcpy(&b2, b + 8, 8);
	return a1 == b1 && a2 == b2;
}

/*
 * The quoted packet of an ICMP error (@c at the error): the connection it is
 * about. The quote is read within the error's datagram only and must be the
 * first fragment of its datagram if one. The sandbox's error (@into_sandbox
 * 0) quotes the peer's packet to the sandbox and must go back to that peer
 * from that address of the sandbox: an error about one connection is no way
 * to reach anyone else. An error into the sandbox (1) quotes the sandbox's
 * own packet and goes to its source; any router on the path may send it.
 */
static __always_inline int quoted_conn_key(__u32 slot, const struct hdr_cursor *c,
					   const struct packet_info *pkt, int into_sandbox,
					   struct vrnet_flow_key *k)
{
	struct packet_info q = { .family = pkt->family };
	const __u8 *ip = c->pos + ICMP_ERROR_QUOTE;
	const __be16 *ports;
	__u32 hdr_len;

	if (pkt->family == 4) {
		if ((void *)(ip + 20) > c->end || (ip[0] >> 4) != 4)
			return -1;
		if ((ip[6] & 0x1f) || ip[7]) /* a later fragment: no ports to read */
			return -1;
		hdr_len = (ip[0] & 0x0f) * 4;
		q.l4_proto = ip[9];
		__builtin_memcpy(q.saddr, ip + 12, 4);
		__builtin_memcpy(q.daddr, ip + 16, 4);
	} else {
		if ((void *)(ip + 40) > c->end || (ip[0] >> 4) != 6)
			return -1;
		hdr_len = 40;
		q.l4_proto = ip[6];
		__builtin_memcpy(q.saddr, ip + 8, 16);
		__builtin_memcpy(q.daddr, ip + 24, 16);
	}
	if (hdr_len < 20 || hdr_len > 60 || ICMP_ERROR_QUOTE + hdr_len + 8 > pkt->l4_len)
		return -1;
	if (!same_addr(q.saddr, pkt->daddr, pkt->family) ||
	    (!into_sandbox && !same_addr(q.daddr, pkt->saddr, pkt->family)))
		return -1;
	ports = (const void *)(ip + hdr_len);
	if ((void *)(ports + 4) > c->end)
		return -1;
	if (q.l4_proto == IPPROTO_TCP || q.l4_proto == IPPROTO_UDP) {
		/* the quoted packet's source: the peer's (0) or the sandbox's (1) */
		conn_key(slot, &q, bpf_ntohs(ports[0]), bpf_ntohs(ports[1]), into_sandbox, k);
		return 0;
	}
	if (q.l4_proto == IPPROTO_ICMP || q.l4_proto == IPPROTO_ICMPV6) {
		const __u8 *type = (const void *)ports;

		if (*type != (pkt->family == 4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST))
			return -1;
		conn_key(slot, &q, bpf_ntohs(ports[2]), bpf_ntohs(ports[2]), into_sandbox, k);
		return 0;
	}
	return -1;
}

/*
 * The key of the flow @pkt (@c at its transport header) answers: the
 * sandbox's packet (@from_sandbox) a connection opened into it, the host's
 * packet a flow the sandbox opened. An ICMP error's by the packet it quotes
 * (@is_error set), an echo reply's by its identifier, TCP's and UDP's by
 * ports. Returns 0, or -1: it answers nothing that is tracked.
 */
static __always_inline int answered_key(__u32 slot, const struct hdr_cursor *c,
					const struct packet_info *pkt, int from_sandbox,
					struct vrnet_flow_key *k, int *is_error)
{
	__u16 id;

	*is_error = 0;
	if (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6) {
		if (is_icmp_error(pkt)) {
			*is_error = 1;
			return quoted_conn_key(slot, c, pkt, !from_sandbox, k);
		}
		if (!is_echo_reply(pkt) || echo_id(c, &id))
			return -1;
		conn_key(slot, pkt, id, id, from_sandbox, k);
		return 0;
	}
	conn_key(slot, pkt, pkt->sport, pkt->dport, from_sandbox, k);
	return 0;
}

/*
 * tc ingress: whether the sandbox's packet (@c at its transport header)
 * answers a live connection opened into it; moves the connection on, unless
 * it is `check`'s probe (@probe), which moves nothing.
 */
static __always_inline int is_reply(__u32 slot, const struct hdr_cursor *c,
				    const struct packet_info *pkt, int probe)
{
	struct vrnet_flow_key k;
	struct vrnet_conn *e;
	int is_error;
	void *conns;
	__u64 now;
	__u8 flags = pkt->tcp_flags;

	if (!is_trackable(pkt))
		return 0;
	/*
	 * A TCP reply carries an ACK or is a RST: a blocked flood of new
	 * connections (SYNs) costs no lookup.
	 */
	if (pkt->l4_proto == IPPROTO_TCP &&
	    (!(flags & (TCP_FLAG_ACK | TCP_FLAG_RST)) ||
	     (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN))
		return 0;
	conns = bpf_map_lookup_elem(&vrnet_conns, &slot);
	if (!conns || answered_key(slot, c, pkt, 1, &k, &is_error))
		return 0;
	if (is_error) /* passes; moves nothing on */
		return !!live_conn(conns, &k, &now);
	e = live_conn(conns, &k, &now);
	if (!e)
		return 0;
	/* XDP: any live connection's packet is left to tc, which moves it on */
	if (FRAME_PREFILTER)
		return 1;
	/* to a SYN only a SYN-ACK or a RST */
	if (pkt->l4_proto == IPPROTO_TCP && e->state == VRNET_CONN_OPENING &&
	    !(flags & TCP_FLAG_RST) &&
	    (flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) != (TCP_FLAG_SYN | TCP_FLAG_ACK))
		return 0;
	if (probe)
		return 1;
	if (pkt->l4_proto == IPPROTO_TCP) {
		if (flags & (TCP_FLAG_FIN | TCP_FLAG_RST))
			e->state = VRNET_CONN_CLOSING;
		else if (e->state == VRNET_CONN_OPENING)
			e->state = VRNET_CONN_ESTABLISHED;
	} else if (e->state == VRNET_CONN_OPENING) {
		e->state = VRNET_CONN_ESTABLISHED;
	}
	e->seen_ns = now;
	return 1;
}

/*
 * The key of the sandbox's own flow that its packet @pkt (@c at its transport
 * header) starts or goes on with: UDP by ports, an echo request by its id.
 */
static __always_inline int own_flow_key(__u32 slot, const struct hdr_cursor *c,
					const struct packet_info *pkt, struct vrnet_flow_key *k)
{
	__u16 id;

	if (pkt->l4_proto == IPPROTO_ICMP || pkt->l4_proto == IPPROTO_ICMPV6) {
		if (!is_echo_request(pkt) || echo_id(c, &id))
			return -1;
		conn_key(slot, pkt, id, id, 1, k);
		return 0;
	}
	if (!pkt->has_port)
		return -1;
	conn_key(slot, pkt, pkt->sport, pkt->dport, 1, k);
	return 0;
}

/*
 * The sandbox's packet renews its note @n of flow @k at @now: alive, judged
 * passed under @dev, and for UDP and TCP its two buckets marked, a mark the
 * sandbox cannot push out. A note whose word of judgement is now's already
 * (VRNET_JUDGED_MARKED) is not marked or judged again, and only a time that
 * moved is stored: a stream's packets after its first of the tick write
 * nothing that other CPUs must fetch again.
 */
static __always_inline void own_note_renew(struct vrnet_own_note *n,
					   const struct vrnet_record *dev, __u32 slot,
					   const struct vrnet_flow_key *k, __u64 now)
{
	__u64 judged = VRNET_JUDGED(dev->change, now >> VRNET_CONN_JUDGED_SHIFT, 1) |
		       VRNET_JUDGED_MARKED;

	if (n->judged != judged) {
		if (k->proto == IPPROTO_UDP || k->proto == IPPROTO_TCP)
			own_flow_mark(slot, k, now);
		n->judged = judged;
	}
	if (n->seen_ns != now)
		n->seen_ns = now;
}

/*
 * tc ingress: the sandbox's packet @pkt, which its policy passes and the
 * caller chose (a UDP datagram, a TCP SYN; under an inbound policy an echo
 * request), starts or goes on with a flow of its own, unless it answers
 * a connection opened into the sandbox (whose entry it keeps alive then, as
 * a reply would; a UDP one becomes established). A global function,
 * verified once.
 */
__noinline int vrnet_note_outbound(vr_ctx *ctx, const struct vrnet_record *dev,
				   const struct packet_info *pkt, __u32 l4_off)
{
	struct vrnet_own_note fresh = {};
	struct vrnet_own_note *n;
	struct vrnet_flow_key k;
	struct hdr_cursor c;
	struct vrnet_conn *e;
	void *conns, *notes;
	__u32 slot;
	__u64 now;

	if (!dev || !pkt || cursor_at(ctx, l4_off, &c))
		return 0;
	slot = dev->slot;
	if (own_flow_key(slot, &c, pkt, &k))
		return 0;
	notes = own_notes(slot);
	if (!notes)
		return 0;
	now = conn_now();
	n = own_note_at(notes, &k, now);
	if (!n) {
		conns = bpf_map_lookup_elem(&vrnet_conns, &slot);
		e = conns ? bpf_map_lookup_elem(conns, &k) : NULL;
		if (e && !conn_expired(e, k.proto, now)) {
			if (e->state == VRNET_CONN_OPENING && k.proto == IPPROTO_UDP)
				e->state = VRNET_CONN_ESTABLISHED;
			e->seen_ns = now;
			return 0;
		}
	}
	if (!n) {
		own_note_renew(&fresh, dev, slot, &k, now);
		bpf_map_update_elem(notes, &k, &fresh, BPF_ANY);
		return 0;
	}
	own_note_renew(n, dev, slot, &k, now);
	return 0;
}

/*
 * A flow of the sandbox to judge again (is_outbound_reply()), per CPU: its
 * key and the sandbox's packet of it, kept off the stack, where the chain of
 * global functions down to the policy's scan has no room for it. Written and
 * read in one run of the program, which no other tc run on the CPU comes
 * between: tc runs with bottom halves off (on PREEMPT_RT, under the CPU's
 * bottom-half lock). A BPF_PROG_TEST_RUN (`check`'s probes) has them on, so
 * a probe never writes it (is_outbound_reply()).
 */
struct own_flow_scratch {
	struct vrnet_flow_key key;
	struct packet_info flow;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct own_flow_scratch);
} vrnet_own_flow_scratch SEC(".maps");

#define OWN_FLOW_TO_JUDGE 2

/* Puts flow @k and the sandbox's packet of it in the scratch; returns OWN_FLOW_TO_JUDGE, or 0. */
static __always_inline int flow_to_judge(const struct vrnet_flow_key *k)
{
	__u32 zero = 0;
	struct own_flow_scratch *s = bpf_map_lookup_elem(&vrnet_own_flow_scratch, &zero);
	struct packet_info *q;

	if (!s)
		return 0;
	s->key = *k;
	q = &s->flow;
	__builtin_memset(q, 0, sizeof(*q));
	q->family = k->family;
	q->l4_proto = k->proto;
	q->has_l4 = 1;
	q->sport = k->sport;
	q->dport = k->dport;
	q->has_port = k->proto == IPPROTO_TCP || k->proto == IPPROTO_UDP;
	if (!q->has_port)
		q->icmp_type = k->family == 4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST;
	__builtin_memcpy(q->saddr, k->saddr, 16);
	__builtin_memcpy(q->daddr, k->daddr, 16);
	return OWN_FLOW_TO_JUDGE;
}

/*
 * Whether the egress policy of @dev passes the sandbox's packets of the flow
 * in the scratch now (the internet switch, the rules, an expired DNS opening
 * too, the default, as audit mode passes them); if so, notes the flow judged
 * and alive. A global function: called by the inbound judgement, not below
 * vrnet_outbound_reply(), whose stack it would add to.
 */
__noinline int vrnet_own_flow_judged(const struct vrnet_record *dev)
{
	struct verdict v = { .action = VRNET_ACTION_DENY };
	struct own_flow_scratch *s;
	struct vrnet_own_note *e;
	__u32 zero = 0;
	void *notes;
	__u64 now;

	if (!dev)
		return 0;
	s = bpf_map_lookup_elem(&vrnet_own_flow_scratch, &zero);
	if (!s)
		return 0;
	if (dev->internet == VRNET_INTERNET_POLICY) {
		vrnet_evaluate_policy(dev, &s->flow, &v);
		apply_mode(dev, &v);
	} else if (dev->internet == VRNET_INTERNET_ON) {
		v.action = VRNET_ACTION_ALLOW;
	}
	notes = own_notes(dev->slot);
	if (!notes)
		return 0;
	e = bpf_map_lookup_elem(notes, &s->key);
	if (!e)
		return 0;
	now = conn_now();
	/* a denial is kept too: a peer's flood on a cut flow reads the policy once a tick */
	note_judged(e, dev, now, v.action == VRNET_ACTION_ALLOW);
	if (v.action != VRNET_ACTION_ALLOW)
		return 0;
	e->seen_ns = now;
	return 1;
}

/*
 * tc egress, under an inbound policy: whether the host's packet @pkt (@c at
 * its transport header) belongs to a live flow the sandbox opened: a peer's
 * TCP segment or UDP datagram on it, an echo reply to its request, or an
 * ICMP error about it no longer than a router sends; keeps the flow alive.
 * A flow not judged under @dev lately (after a change, or a tick: what
 * expires without one, a DNS opening) is left in the scratch to be judged
 * again (OWN_FLOW_TO_JUDGE); for a probe (@probe) it is no reply, and a probe
 * keeps no flow alive. An ICMP error is a reply only whole: a router does
 * not fragment its errors.
 */
static __always_inline int is_outbound_reply(const struct vrnet_record *dev,
					     const struct hdr_cursor *c,
					     const struct packet_info *pkt, int probe)
{
	struct vrnet_own_note *e;
	struct vrnet_flow_key k;
	__u32 slot = dev->slot;
	int is_error;
	void *notes;
	__u64 now;

	if (!is_trackable(pkt))
		return 0;
	notes = own_notes(slot);
	if (!notes || answered_key(slot, c, pkt, 0, &k, &is_error))
		return 0;
	/* an error longer than a router sends, or in pieces, carries more than the error */
	if (is_error && (pkt->fragment != VRNET_NOT_FRAGMENT ||
			 pkt->l4_len > (pkt->family == 4 ? ICMP_ERROR_MAX : ICMPV6_ERROR_MAX)))
		return 0;
	e = live_own_note(notes, &k, &now);
	if (!e)
		return 0;
	if (!judged_lately(e, dev, now))
		return probe ? 0 : flow_to_judge(&k);
	if (!VRNET_JUDGED_PASS(e->judged))
		return 0;
	if (!probe)
		e->seen_ns = now;
	return 1;
}

/*
 * is_outbound_reply() for the packet whose transport header is @l4_off bytes
 * in: 1 a reply, 0 not one, or OWN_FLOW_TO_JUDGE: one if the egress policy
 * still passes its flow (vrnet_own_flow_judged()).
 */
__noinline int vrnet_outbound_reply(vr_ctx *ctx, const struct vrnet_record *dev,
				    const struct packet_info *pkt, __u32 l4_off)
{
	struct hdr_cursor c;

	if (!dev || !pkt || cursor_at(ctx, l4_off, &c))
		return 0;
	return is_outbound_reply(dev, &c, pkt, frame_is_probe(ctx));
}

/*
 * is_reply() for the sandbox's packet whose transport header is @l4_off
 * bytes in. A global function, verified once: inlined, the verifier walked
 * it again for every parsing path that reaches it.
 */
__noinline int vrnet_is_reply(vr_ctx *ctx, __u32 slot, const struct packet_info *pkt,
			      __u32 l4_off)
{
	struct hdr_cursor c;

	if (!pkt || cursor_at(ctx, l4_off, &c))
		return 0;
	return is_reply(slot, &c, pkt, frame_is_probe(ctx));
}

#endif
