/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The frame a decision reads, for both program types: the tc programs get a
 * socket buffer (struct __sk_buff), the XDP program (vrnet_xdp.bpf.c, built
 * with VRNET_XDP) the frame as XDP shows it (struct xdp_md), in native mode
 * before the kernel builds a socket buffer.
 * Both contexts have data and data_end; what else a decision needs of the
 * frame is read here, and only here.
 *
 * vr_ctx is a macro, not a typedef: the verifier takes a global function's
 * argument as the program's context by the name of its struct.
 */
#ifndef VRNET_BPF_FRAME_H
#define VRNET_BPF_FRAME_H

#ifdef VRNET_XDP

#define vr_ctx struct xdp_md

/*
 * What this program passes, the tc program judges again, maybe later (a
 * veth's XDP runs in its NAPI poll, and GRO holds the passed frames back
 * for a batch): it writes no state of a packet it passes, and a state tc
 * may not have written yet (a fragment's note, a connection's next state)
 * leaves the packet to tc.
 */
#define FRAME_PREFILTER 1

/*
 * Set by the loader only in the copy `check` runs (vr_program_load_xdp()):
 * the program on a device never takes a frame for a probe. XDP metadata can
 * come with a frame (a veth passes on what the peer's XDP program left), so
 * the mark alone would let the sandbox's frames go uncounted.
 */
const volatile bool vrnet_probes = false;

/* The device the frame came in on. */
static __always_inline __u32 frame_ifindex(const vr_ctx *ctx)
{
	return ctx->ingress_ifindex;
}

/* The frame's length: the program is loaded without XDP fragments, so all of it is linear. */
static __always_inline __u32 frame_len(const vr_ctx *ctx)
{
	return ctx->data_end - ctx->data;
}

/* XDP shows no GSO metadata, even where a socket buffer has it (generic XDP). */
static __always_inline __u32 frame_gso_size(const vr_ctx *ctx)
{
	return 0;
}

/* A probe's metadata (vrnet_common.h), or NULL for a frame from a device. */
static __always_inline struct vrnet_xdp_probe *frame_probe_of(const vr_ctx *ctx)
{
	struct vrnet_xdp_probe *p = (void *)(long)ctx->data_meta;

	if (!vrnet_probes || (void *)(p + 1) > (void *)(long)ctx->data ||
	    p->mark != VRNET_PROBE_MARK)
		return NULL;
	return p;
}

static __always_inline bool frame_is_probe(const vr_ctx *ctx)
{
	return frame_probe_of(ctx) != NULL;
}

static __always_inline long frame_load_bytes(const vr_ctx *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_xdp_load_bytes((vr_ctx *)ctx, off, to, len);
}

/* Nothing to pull: the whole frame is linear. */
static __always_inline void pull_headers(vr_ctx *ctx)
{
}

#else /* the tc programs */

#define vr_ctx struct __sk_buff

#define FRAME_PREFILTER 0 /* the tc program's verdict is the last */

static __always_inline __u32 frame_ifindex(const vr_ctx *ctx)
{
	return ctx->ifindex;
}

static __always_inline __u32 frame_len(const vr_ctx *ctx)
{
	return ctx->len;
}

static __always_inline __u32 frame_gso_size(const vr_ctx *ctx)
{
	return ctx->gso_size;
}

/* `check`'s probes carry this mark: a packet from a sandbox cannot (netns crossing clears it). */
static __always_inline bool frame_is_probe(const vr_ctx *ctx)
{
	return ctx->mark == VRNET_PROBE_MARK;
}

static __always_inline long frame_load_bytes(const vr_ctx *ctx, __u32 off, void *to, __u32 len)
{
	return bpf_skb_load_bytes(ctx, off, to, len);
}

/* Headers the verdict may read: Ethernet, IPv6, extension headers, transport. */
#define VRNET_PULL_LEN 512

/*
 * A frame whose headers the kernel left outside the linear area (a tap
 * frame whose virtio-net header says a small hdr_len, a GSO frame) would be
 * read short and dropped as malformed: the first VRNET_PULL_LEN bytes are
 * made linear before anything is read. Only such frames pay for it. Packet
 * pointers taken before are invalid after. Not inlined: clang would share
 * the context offsets with the caller's reads, and the verifier refuses a
 * context pointer that was added to.
 */
static __noinline void pull_headers(vr_ctx *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 len = ctx->len;
	long linear = data_end - data;

	if (linear < len && linear < VRNET_PULL_LEN)
		bpf_skb_pull_data(ctx, len < VRNET_PULL_LEN ? len : VRNET_PULL_LEN);
}

#endif

#endif
