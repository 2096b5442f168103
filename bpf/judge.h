/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The decision on what a sandbox sends, one for both program types: the tc
 * ingress program (vrnet_egress.bpf.c) and the XDP program that runs before
 * it in XDP mode (vrnet_xdp.bpf.c). What only a socket buffer carries (a tag
 * the kernel took off, offload metadata) and the DNS steering are the tc
 * program's; everything here reads the frame alone.
 *
 * Each entry point includes, before this header, frame_metadata_ok(): the
 * check of that metadata for the packet parsed so far.
 */
#ifndef VRNET_BPF_JUDGE_H
#define VRNET_BPF_JUDGE_H

/* What decide() leaves to its entry point. */
enum decided {
	DECIDED,   /* the verdict is in */
	DNS_QUERY, /* a query to the device's DNS proxy: the tc program steers it */
};

/* A query to port 53 over UDP or TCP, with its transport header. */
static __always_inline bool is_dns_query(const struct packet_info *pkt)
{
	return pkt->has_port && pkt->dport == VRNET_DNS_PORT &&
	       (pkt->l4_proto == IPPROTO_UDP || pkt->l4_proto == IPPROTO_TCP);
}

/*
 * Under internet off: a reply no block rule drops. The policy is read only
 * for a reply (a dropped flood costs what is_reply() costs); a blocked one
 * has moved its connection on, which lets nothing through.
 */
static __always_inline int reply_unblocked(vr_ctx *ctx, const struct vrnet_record *dev,
					   const struct packet_info *pkt, __u32 l4_off)
{
	struct verdict pv = { .action = VRNET_ACTION_DENY };

	if (!vrnet_is_reply(ctx, dev->slot, pkt, l4_off))
		return 0;
	vrnet_evaluate_policy(dev, pkt, &pv);
	return pv.reason != VRNET_REASON_BLOCK_RULE;
}

/**
 * decide() - the verdict on the frame @ctx from device @dev
 * @probe_read: how the tc program reads offload metadata (offload.h); a constant
 * @pkt, @v: the parsed packet and the verdict, filled in
 * @l4_off: the transport header's offset, where there is one
 * @eth: the Ethernet header, for DNS_QUERY
 *
 * Return: DECIDED, or DNS_QUERY with no verdict.
 */
static __always_inline int decide(vr_ctx *ctx, const struct vrnet_record *dev,
				  const bool probe_read, struct packet_info *pkt, struct verdict *v,
				  __u32 *l4_off, struct ethhdr **eth)
{
	struct hdr_cursor cur;
	int eth_type, ret;
	__u32 ip_len;

	pull_headers(ctx);
	cur.pos = (void *)(long)ctx->data;
	cur.end = (void *)(long)ctx->data_end;
	*eth = cur.pos;
	eth_type = parse_ethhdr(&cur);
	if (eth_type >= 0 && !frame_source_ok(dev, *eth)) {
		v->reason = VRNET_REASON_SPOOFED;
		return DECIDED;
	}
	/* the IP header follows the Ethernet header: what the datagram may span */
	ip_len = frame_len(ctx) - sizeof(struct ethhdr);
	if (eth_type == bpf_htons(ETH_P_ARP)) {
		if (!frame_metadata_ok(ctx, probe_read, pkt, 0)) {
			v->reason = VRNET_REASON_OFFLOAD;
		} else if (!is_plain_arp(*eth, &cur, frame_len(ctx), dev->host_mac)) {
			v->reason = VRNET_REASON_MALFORMED;
		} else if (!arp_sender_ok(dev, *eth, &cur, pkt)) {
			v->reason = VRNET_REASON_SPOOFED;
		} else {
			v->action = VRNET_ACTION_ALLOW;
			v->reason = VRNET_REASON_LINK_LOCAL;
		}
		return DECIDED;
	} else if (eth_type == bpf_htons(ETH_P_IP)) {
		/* XDP sees no GSO metadata: a frame that may be GSO is left to the tc program */
		ret = parse_ipv4(&cur, pkt, ip_len, FRAME_PREFILTER || frame_gso_size(ctx) != 0);
	} else if (eth_type == bpf_htons(ETH_P_IPV6)) {
		ret = parse_ipv6(&cur, pkt, ip_len);
	} else {
		v->reason = eth_type < 0 ? VRNET_REASON_MALFORMED : VRNET_REASON_ETHERTYPE;
		return DECIDED;
	}

	if (ret == 0)
		ret = check_ipv4_options(ctx, &cur, pkt);
	if (ret == -2) {
		v->reason = VRNET_REASON_SOURCE_ROUTE;
		return DECIDED;
	}
	if (ret < 0) {
		v->reason = VRNET_REASON_MALFORMED;
		return DECIDED;
	}
	/* the cursor is at the transport header, if there is one */
	*l4_off = (__u32)(cur.pos - (void *)*eth);
	if (!frame_metadata_ok(ctx, probe_read, pkt, *l4_off)) {
		v->reason = VRNET_REASON_OFFLOAD;
		return DECIDED;
	}
	if (!vrnet_ip_source_ok(ctx, dev, pkt, *l4_off)) {
		v->reason = VRNET_REASON_SPOOFED;
		return DECIDED;
	}
	if (dev->dns_proxy && is_dns_query(pkt))
		return DNS_QUERY;
	if (vrnet_link_exempt(ctx, pkt, dev->slot, *l4_off)) {
		v->action = VRNET_ACTION_ALLOW;
		v->reason = VRNET_REASON_LINK_LOCAL;
		return DECIDED;
	}

	if (dev->internet != VRNET_INTERNET_POLICY) {
		v->action = dev->internet == VRNET_INTERNET_ON ? VRNET_ACTION_ALLOW :
								 VRNET_ACTION_DENY;
		v->reason = VRNET_REASON_INTERNET;
		/* off cuts what the sandbox starts, not its answers to connections into it */
		if (v->action == VRNET_ACTION_DENY && reply_unblocked(ctx, dev, pkt, *l4_off)) {
			v->action = VRNET_ACTION_ALLOW;
			v->reason = VRNET_REASON_REPLY;
		}
		return DECIDED;
	}
	if (pkt->fragment == VRNET_LATER_FRAGMENT) {
		judge_later_fragment(dev, pkt, 0, v);
		/* XDP: a note tc may not have written yet; tc decides */
		if (FRAME_PREFILTER && v->reason == VRNET_REASON_FRAGMENT)
			v->action = VRNET_ACTION_ALLOW;
		return DECIDED;
	}
	vrnet_evaluate_policy(dev, pkt, v);
	if (v->reason == VRNET_REASON_DEFAULT && v->action == VRNET_ACTION_DENY &&
	    vrnet_is_reply(ctx, dev->slot, pkt, *l4_off)) {
		v->action = VRNET_ACTION_ALLOW;
		v->reason = VRNET_REASON_REPLY;
		v->rule_id = 0;
	}
	/* XDP notes none: tc's drop of this one (offload metadata) would leave a note */
	if (pkt->fragment == VRNET_FIRST_FRAGMENT && !FRAME_PREFILTER)
		note_first_fragment(dev, pkt, 0, v);
	return DECIDED;
}

#endif
