/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Offload metadata: what the kernel will still do to a packet after the
 * verdict, as its sender described it. A guest behind a tap with a
 * virtio-net header (or a packet socket with PACKET_VNET_HDR) chooses
 * CHECKSUM_PARTIAL's csum_start and csum_offset and the GSO type; whoever
 * completes the checksum later (skb_checksum_help() on a port without tx
 * checksumming, a NIC) writes 16 bits at csum_start + csum_offset, and
 * segmentation rebuilds headers of the type the GSO metadata names. A packet
 * passes only if both write where the verdict read nothing: the checksum
 * field of the transport header it judged, segments of the TCP or UDP
 * header it judged.
 *
 * The fields live in struct sk_buff, not in __sk_buff. From Linux 6.2 the
 * program reads them directly through bpf_cast_to_kern_ctx(); on 6.1 the
 * same reads go through bpf_probe_read_kernel(). A program holding a kfunc
 * call that its kernel lacks is refused whole, even in dead code, so the
 * object has one entry point of each kind and the loader loads the one its
 * kernel takes (the probe_read flag is a constant in each).
 */
#ifndef VRNET_BPF_OFFLOAD_H
#define VRNET_BPF_OFFLOAD_H

#include <bpf/bpf_core_read.h>

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym __weak;

#define VRNET_CHECKSUM_PARTIAL 3 /* skb->ip_summed */

/*
 * skb_shinfo(skb)->gso_type bits, as the running kernel numbers them (the
 * loader reads them from its BTF: FIXEDID left bit 3 for bit 30 in 6.18,
 * ACCECN is new): the types that segment a TCP or UDP header the verdict
 * read, and the modifiers that only qualify them (DODGY, an untrusted
 * sender; ECN; FIXEDID; ACCECN). Every other bit is a tunnel, SCTP, ESP,
 * FCoE, fraglist or partial segmentation, whose headers the verdict never
 * read. Left 0 (no loader), every GSO packet is dropped.
 */
const volatile __u32 vrnet_gso_tcpv4 = 0;
const volatile __u32 vrnet_gso_tcpv6 = 0;
const volatile __u32 vrnet_gso_udp = 0;	   /* UFO: IP fragments of one datagram */
const volatile __u32 vrnet_gso_udp_l4 = 0; /* UDP segments (UDP_SEGMENT) */
const volatile __u32 vrnet_gso_modifiers = 0;

struct offload {
	__u8 partial;	    /* ip_summed is CHECKSUM_PARTIAL */
	__u8 gso;	    /* gso_size is set: the packet will be segmented */
	__s32 csum_start;   /* from the frame's first byte, when partial */
	__u16 csum_offset;  /* from csum_start, when partial */
	__u32 gso_type;	    /* when gso_size is set */
};

/*
 * @dst = @skb->@field, read directly (@skb from bpf_cast_to_kern_ctx()) or
 * through bpf_probe_read_kernel(); nonzero when a probe read failed.
 */
#define read_skb(probe_read, dst, skb, field)                                     \
	((probe_read) ? bpf_core_read(&(dst), sizeof(dst), &(skb)->field) :       \
			((dst) = (skb)->field, 0))

/*
 * read_offload() - the packet's checksum and GSO metadata
 * @probe_read: a constant; true in the entry point for kernels without
 *	bpf_cast_to_kern_ctx()
 *
 * Reads ip_summed always, the rest only when it matters. Return: 0, or -1
 * when a read failed (the packet is dropped).
 */
static __always_inline int read_offload(struct __sk_buff *ctx, const bool probe_read,
					struct offload *o)
{
	struct skb_shared_info *shinfo;
	unsigned char *head, *data;
	__u16 start, offset;
	struct sk_buff *skb;
	sk_buff_data_t end;
	__u8 summed;

	if (probe_read) {
		skb = (struct sk_buff *)ctx;
		summed = BPF_CORE_READ_BITFIELD_PROBED(skb, ip_summed);
	} else {
		skb = bpf_cast_to_kern_ctx(ctx);
		summed = BPF_CORE_READ_BITFIELD(skb, ip_summed);
	}
	o->partial = summed == VRNET_CHECKSUM_PARTIAL;
	o->gso = ctx->gso_size != 0;
	if (!o->partial && !o->gso)
		return 0;

	if (read_skb(probe_read, head, skb, head) || read_skb(probe_read, data, skb, data))
		return -1;
	if (o->partial) {
		if (read_skb(probe_read, start, skb, csum_start) ||
		    read_skb(probe_read, offset, skb, csum_offset))
			return -1;
		/* csum_start counts from head; the program's frame starts at data */
		o->csum_start = (__s32)start - (__s32)(data - head);
		o->csum_offset = offset;
	}
	if (o->gso) {
		if (read_skb(probe_read, end, skb, end))
			return -1;
		/* skb_shinfo() is not a field of the skb: always a probe read */
		shinfo = (struct skb_shared_info *)(head + end);
		if (bpf_core_read(&o->gso_type, sizeof(o->gso_type), &shinfo->gso_type))
			return -1;
	}
	return 0;
}

/* Where the checksum of @pkt's transport header is; 0 when none is offloaded. */
static __always_inline __u16 l4_checksum_field(const struct packet_info *pkt)
{
	switch (pkt->l4_proto) {
	case IPPROTO_TCP:
		return 16;
	case IPPROTO_UDP:
		return 6;
	case IPPROTO_ICMPV6:
		return pkt->family == 6 ? 2 : 0;
	default:
		return 0;
	}
}

/* Whether @gso_type segments the TCP or UDP header of @pkt and nothing else. */
static __always_inline bool gso_is_sound(__u32 gso_type, const struct packet_info *pkt)
{
	__u32 types = vrnet_gso_tcpv4 | vrnet_gso_tcpv6 | vrnet_gso_udp | vrnet_gso_udp_l4;
	__u32 type = gso_type & types;

	if (!type || (gso_type & ~(types | vrnet_gso_modifiers)))
		return false;
	if (pkt->l4_proto == IPPROTO_TCP)
		return type == (pkt->family == 4 ? vrnet_gso_tcpv4 : vrnet_gso_tcpv6);
	if (pkt->l4_proto == IPPROTO_UDP)
		return type == vrnet_gso_udp || type == vrnet_gso_udp_l4;
	return false;
}

/*
 * Whether what the kernel does after the verdict leaves what the verdict
 * read alone. @pkt is parsed; @l4_off is its transport header's offset in
 * the frame (ignored without one). A packet without a transport header the
 * verdict read (ARP, a later fragment, ESP, ...) may carry neither.
 */
static __always_inline bool offload_is_sound(const struct offload *o,
					     const struct packet_info *pkt, __u32 l4_off)
{
	bool l4 = pkt->has_l4 && pkt->family;

	if (o->partial && (!l4 || o->csum_start != (__s32)l4_off ||
			   o->csum_offset != l4_checksum_field(pkt) || !o->csum_offset))
		return false;
	if (o->gso && (!l4 || !gso_is_sound(o->gso_type, pkt)))
		return false;
	return true;
}

/*
 * Whether the packet may pass for its offload metadata (@pkt parsed, @l4_off
 * as for offload_is_sound()). Global functions, one per entry point, each
 * verified once: inlined, the metadata's branches multiplied the states the
 * verifier explores on every parsing path before them (78,828 instructions
 * processed became 111,029 on 6.18).
 */
__noinline int vrnet_offload_passes(struct __sk_buff *ctx, const struct packet_info *pkt,
				    __u32 l4_off)
{
	struct offload o = {};

	return pkt && !read_offload(ctx, false, &o) && offload_is_sound(&o, pkt, l4_off);
}

__noinline int vrnet_offload_passes_pr(struct __sk_buff *ctx, const struct packet_info *pkt,
				       __u32 l4_off)
{
	struct offload o = {};

	return pkt && !read_offload(ctx, true, &o) && offload_is_sound(&o, pkt, l4_off);
}

/*
 * Through bpf_cast_to_kern_ctx() the common case (no checksum offload, no
 * GSO) is two loads, without a call; on 6.1 every read is a helper call, so
 * the global function reads it all.
 */
static __always_inline bool offload_passes(struct __sk_buff *ctx, const bool probe_read,
					   const struct packet_info *pkt, __u32 l4_off)
{
	struct sk_buff *skb;

	if (probe_read)
		return vrnet_offload_passes_pr(ctx, pkt, l4_off);
	skb = bpf_cast_to_kern_ctx(ctx);
	if (BPF_CORE_READ_BITFIELD(skb, ip_summed) != VRNET_CHECKSUM_PARTIAL && !ctx->gso_size)
		return true;
	return vrnet_offload_passes(ctx, pkt, l4_off);
}

#endif
