/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * IPv4 options: a loose or strict source route makes a router that honours it
 * send the packet on to an address other than the one the policy checks.
 */
#ifndef VRNET_BPF_IPV4_OPTIONS_H
#define VRNET_BPF_IPV4_OPTIONS_H

#define IPOPT_END 0
#define IPOPT_NOOP 1
#define IPOPT_LSRR 0x83
#define IPOPT_SSRR 0x89
#define IPV4_MAX_OPTIONS_LEN 40

/*
 * A global function, so the verifier checks its loop once on its own rather
 * than once per path of the caller. Reads the @len bytes of options at @off.
 * Returns 1 for a source route, -1 for malformed options, 0 otherwise.
 *
 * Written for the oldest verifier supported (Linux 6.1) as much as the newest:
 * - clang turns "len == 0 || len > 40" into one range test of len - 41, and
 *   6.1 does not carry a range learned on len - 41 back to len (newer
 *   verifiers track such linked registers). So the size is tested as
 *   @last = len - 1 and passed on as last + 1, and barrier_var() keeps clang
 *   from folding last + 1 back into len. A test of "len != 0" would not give
 *   the size a lower bound on 6.1 either.
 * - The loop walks every position @pos and decodes only where the next option
 *   starts (@next). Indexing by the loop counter keeps each iteration's state
 *   exact; indexing by an offset that the options' own lengths move made the
 *   6.12 verifier explore every sum of lengths, past its 1M-instruction limit.
 */
__noinline int vrnet_ipv4_source_route(vr_ctx *ctx, __u64 off, __u64 len)
{
	/* one byte past the longest options: the loop may read opts[pos + 1] */
	__u8 opts[IPV4_MAX_OPTIONS_LEN + 1] = {};
	__u64 last = len - 1, next = 0;
	int pos;

	if (last >= IPV4_MAX_OPTIONS_LEN)
		return len ? -1 : 0;
	barrier_var(last);
	if (frame_load_bytes(ctx, off, opts, last + 1))
		return -1;
	for (pos = 0; pos < IPV4_MAX_OPTIONS_LEN && pos < len; pos++) {
		__u8 type = opts[pos], optlen;

		if (pos != next)
			continue;
		if (type == IPOPT_END)
			return 0;
		if (type == IPOPT_NOOP) {
			next = pos + 1;
			continue;
		}
		if (type == IPOPT_LSRR || type == IPOPT_SSRR)
			return 1;
		if (pos + 1 >= len)
			return -1;
		optlen = opts[pos + 1];
		next = pos + optlen;
		if (optlen < 2 || next > len)
			return -1; /* as the kernel's own option parser has it */
	}
	return 0;
}

/*
 * The source-route check for a parsed IPv4 packet whose options end at @cur:
 * 0 to go on, -2 for a source route, -1 for malformed options.
 */
static __always_inline int check_ipv4_options(vr_ctx *ctx,
					      const struct hdr_cursor *cur,
					      const struct packet_info *pkt)
{
	__u32 off;
	int ret;

	if (!pkt->ip_options_len)
		return 0;
	off = (__u32)(cur->pos - (void *)(long)ctx->data) - pkt->ip_options_len;
	ret = vrnet_ipv4_source_route(ctx, off, pkt->ip_options_len);
	return ret > 0 ? -2 : ret;
}

#endif
