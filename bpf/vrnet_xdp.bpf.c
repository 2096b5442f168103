// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * XDP mode: what a sandbox sends, judged on the XDP hook of its host-side
 * device, before the tc ingress program (vrnet_egress.bpf.c) and, on a tap,
 * before the kernel builds a socket buffer. The same decision (judge.h) on
 * the same maps; it drops what the tc program would drop, counted and
 * logged as the tc program does, and passes the rest on to the tc program,
 * which judges it again with what only a socket buffer shows (offload
 * metadata, a tag the kernel took off) and steers DNS. So a flood of
 * blocked packets costs the host no socket buffer, and a packet passes only
 * if both programs pass it.
 */
#define __VRNET_BPF__
#define VRNET_XDP
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <xdp/xdp_helpers.h>
#include "vrnet_common.h"
#include "maps.h"
#include "frame.h"
#include "device.h"
#include "parsing.h"
#include "arp.h"
#include "ipv4_options.h"
#include "neighbour.h"
#include "source.h"
#include "policy.h"
#include "fragments.h"
#include "conntrack.h"
#include "stats.h"
#include "limiter.h"
#include "events.h"

/* The frame has no socket buffer's metadata yet: the tc program checks it. */
static __always_inline bool frame_metadata_ok(struct xdp_md *ctx, const bool probe_read,
					      const struct packet_info *pkt, __u32 l4_off)
{
	return true;
}

#include "judge.h"

/* A probe's verdict, into its metadata, for `check` to read. */
static __always_inline void report_probe(struct xdp_md *ctx, const struct verdict *v)
{
	struct vrnet_xdp_probe *p = frame_probe_of(ctx);

	if (!p)
		return;
	p->reason = v->reason;
	p->rule_id = v->rule_id;
	p->enforce_action = v->enforce_action;
}

/*
 * Where libxdp's dispatcher runs it (xdp_helpers.h; read from BTF, so also
 * for the program loaded once per namespace and linked to each device's
 * dispatcher): first, by ascending priority (xdp-tools' default is 50), as
 * a program before ours could redirect the sandbox's frames past it; the
 * next program runs after a pass only.
 */
struct {
	__uint(priority, 1);
	__uint(XDP_PASS, 1);
} XDP_RUN_CONFIG(vrnet_egress_xdp);

SEC("xdp")
int vrnet_egress_xdp(struct xdp_md *ctx)
{
	struct verdict v = { .action = VRNET_ACTION_DENY };
	struct packet_info pkt = {};
	const struct vrnet_record *dev;
	struct ethhdr *eth;
	__u32 l4_off = 0;

	dev = device_record(frame_ifindex(ctx));
	if (!dev || !dev->policy_id)
		v.reason = VRNET_REASON_NO_POLICY;
	else if (decide(ctx, dev, false, &pkt, &v, &l4_off, &eth) == DNS_QUERY) {
		v.action = VRNET_ACTION_ALLOW; /* for the tc program to steer */
		v.reason = VRNET_REASON_DNS;
	}

	if (dev)
		apply_mode(dev, &v);
	else
		v.enforce_action = v.action;
	report_probe(ctx, &v);
	if (v.action == VRNET_ACTION_ALLOW)
		return XDP_PASS; /* judged again, counted and noted by the tc program */
	if (dev && !frame_is_probe(ctx)) {
		struct vrnet_stats *st = count_packet(dev, ctx, &v, 0);

		count_rule_hit(dev, &v);
		emit_event(ctx, dev, &pkt, &v, st, 0);
	}
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
