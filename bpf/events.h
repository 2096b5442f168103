/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Events of attempts the policy blocked: one per attempt that starts
 * something (a TCP SYN, the first packet of a UDP/ICMP flow after it was idle
 * VRNET_FLOW_WINDOW_NS, any other dropped packet) and one per packet dropped
 * for its offload metadata, through a ring buffer, held
 * to the device's rate by a token bucket so a flooding sandbox cannot starve
 * the buffer or other sandboxes' events. What the bucket holds back is
 * counted, and every event carries the device's running total.
 */
#ifndef VRNET_BPF_EVENTS_H
#define VRNET_BPF_EVENTS_H

/* Whether a UDP/ICMP flow is new, or was idle for the window; notes it seen. */
static __always_inline int flow_is_new(__u32 slot, const struct packet_info *pkt, __u64 now)
{
	struct vrnet_flow_key key = {
		.slot = slot,
		.family = pkt->family,
		.proto = pkt->l4_proto,
		.sport = pkt->sport,
		.dport = pkt->dport,
	};
	__u64 *last;

	__builtin_memcpy(key.saddr, pkt->saddr, 16);
	__builtin_memcpy(key.daddr, pkt->daddr, 16);
	last = bpf_map_lookup_elem(&vrnet_flows, &key);
	if (last && now - *last < VRNET_FLOW_WINDOW_NS) {
		*last = now;
		return 0;
	}
	bpf_map_update_elem(&vrnet_flows, &key, &now, BPF_ANY);
	return 1;
}

static __always_inline int starts_attempt(__u32 slot, const struct packet_info *pkt,
					  __u64 now)
{
	if (!pkt->family || !pkt->has_l4)
		return 1; /* not IP, malformed, or a later fragment */
	switch (pkt->l4_proto) {
	case IPPROTO_TCP:
		return (pkt->tcp_flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return flow_is_new(slot, pkt, now);
	default:
		return 1;
	}
}

/*
 * GCRA token bucket: an event may go when the theoretical arrival time is at
 * most event_tolerance_ns ahead of now. @suppressed gets the running total of
 * the attempts held back under the lock. When the bucket is empty, @quiet
 * learns until when: this CPU stops asking (and locking) until then.
 */
static __always_inline int take_event_token(const struct vrnet_record *dev, __u64 now,
					    __u64 *suppressed, struct vrnet_quiet *quiet)
{
	__u32 slot = dev->slot;
	struct vrnet_limiter *lim = bpf_map_lookup_elem(&vrnet_limits, &slot);
	__u64 tat;

	if (!lim)
		return 0;
	if (limiter_take(lim, now, dev->event_interval_ns, dev->event_tolerance_ns, &tat,
			 suppressed))
		return 1;
	if (quiet)
		quiet->until_ns = tat - dev->event_tolerance_ns;
	return 0;
}

static __always_inline int wants_event(const struct vrnet_record *dev,
				       const struct verdict *v)
{
	if (!dev->event_rate || v->reason == VRNET_REASON_LINK_LOCAL)
		return 0;
	return v->action == VRNET_ACTION_DENY || v->audit || dev->log_allowed;
}

/* What every CPU's vrnet_quiet held back for @slot: rare (once per event), so a loop. */
struct quiet_sum {
	__u32 slot;
	__u64 total;
};

static long add_quiet(__u32 cpu, void *ctx)
{
	struct quiet_sum *sum = ctx;
	struct vrnet_quiet *q = bpf_map_lookup_percpu_elem(&vrnet_quiet, &sum->slot, cpu);

	if (q)
		sum->total += q->suppressed;
	return 0;
}

/* Set by the loader before load: the CPUs per-CPU maps have. */
const volatile __u32 vrnet_nr_cpus = 1;

static __always_inline __u64 quiet_total(__u32 slot)
{
	struct quiet_sum sum = { .slot = slot };

	bpf_loop(vrnet_nr_cpus, add_quiet, &sum, 0);
	return sum.total;
}

/* @inbound: the host's packet into the sandbox, judged by the inbound policy */
static __always_inline void emit_event(vr_ctx *ctx, const struct vrnet_record *dev,
				       const struct packet_info *pkt, const struct verdict *v,
				       struct vrnet_stats *st, __u8 inbound)
{
	__u64 now, suppressed = 0;
	struct vrnet_quiet *quiet;
	__u32 slot = dev->slot;
	struct vrnet_event *e;

	if (!wants_event(dev, v))
		return; /* before the clock: most packets stop here */
	/*
	 * The flood's clock: the coarse one, which reads no clock source. In
	 * a VM that is a paravirtual clock, ~27 ns of each blocked packet's
	 * ~225 in place here. It moves a tick at a time (1-10 ms), which the
	 * 10 s flow window does not feel, and a quiet lasts at most a tick
	 * longer. The bucket reads the clock source: within a tick the coarse
	 * clock stands still, which would hold a device to its burst a tick.
	 */
	now = bpf_ktime_get_coarse_ns();
	quiet = bpf_map_lookup_elem(&vrnet_quiet, &slot);
	if (quiet && now < quiet->until_ns) {
		/*
		 * A flood: the bucket is empty. Every packet that wants an event
		 * counts as held back, without the flow table (a new entry per
		 * packet when each goes to another port) or the spin lock.
		 */
		quiet->suppressed++;
		return;
	}
	/*
	 * Offload drops are logged whatever the packet (a TSO segment of an
	 * open connection, ARP): they are what breaks a guest that offloads.
	 */
	if (v->reason != VRNET_REASON_OFFLOAD && !starts_attempt(slot, pkt, now))
		return;
	now = bpf_ktime_get_ns(); /* the bucket's and the event's */
	if (!take_event_token(dev, now, &suppressed, quiet))
		return;
	suppressed += quiet_total(slot);
	e = bpf_ringbuf_reserve(&vrnet_events, sizeof(*e), 0);
	if (!e) {
		if (st)
			st->events_lost++;
		return;
	}
	e->timestamp_ns = now;
	e->suppressed_total = suppressed;
	e->ifindex = frame_ifindex(ctx);
	e->slot = dev->slot;
	e->policy_id = dev->policy_id;
	e->rule_id = v->rule_id;
	e->reason = v->reason;
	e->len = frame_len(ctx);
	e->sport = pkt->sport;
	e->dport = pkt->dport;
	e->family = pkt->family;
	e->l4_proto = pkt->l4_proto;
	e->has_ports = pkt->has_port;
	e->tcp_flags = pkt->tcp_flags;
	e->icmp_type = pkt->icmp_type;
	e->action = (__u8)v->action;
	e->audit = v->audit;
	e->inbound = inbound;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	e->arp = pkt->arp;
	e->pad2 = 0;
	if (frame_load_bytes(ctx, 6, e->smac, sizeof(e->smac)))
		__builtin_memset(e->smac, 0, sizeof(e->smac));
	__builtin_memcpy(e->saddr, pkt->saddr, 16);
	__builtin_memcpy(e->daddr, pkt->daddr, 16);
	bpf_ringbuf_submit(e, 0);
}

#endif
