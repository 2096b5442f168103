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
 */
__noinline int vrnet_ipv4_source_route(struct __sk_buff *skb, __u64 off, __u64 len)
{
	__u8 opts[IPV4_MAX_OPTIONS_LEN];
	__u64 i = 0;
	int n;

	/* 64-bit arguments: the checks bound the very register passed on */
	if (!skb || len == 0 || len > IPV4_MAX_OPTIONS_LEN)
		return len ? -1 : 0;
	if (bpf_skb_load_bytes(skb, off, opts, len))
		return -1;
	for (n = 0; n < IPV4_MAX_OPTIONS_LEN && i < len; n++) {
		__u8 type;

		if (i >= IPV4_MAX_OPTIONS_LEN)
			return -1;
		type = opts[i];
		if (type == IPOPT_END)
			return 0;
		if (type == IPOPT_NOOP) {
			i++;
			continue;
		}
		if (type == IPOPT_LSRR || type == IPOPT_SSRR)
			return 1;
		if (i + 1 >= len || i + 1 >= IPV4_MAX_OPTIONS_LEN || opts[i + 1] < 2)
			return -1;
		i += opts[i + 1];
	}
	return 0;
}

/*
 * The source-route check for a parsed IPv4 packet whose options end at @cur:
 * 0 to go on, -2 for a source route, -1 for malformed options.
 */
static __always_inline int check_ipv4_options(struct __sk_buff *skb,
					      const struct hdr_cursor *cur,
					      const struct packet_info *pkt)
{
	__u32 off;
	int ret;

	if (!pkt->ip_options_len)
		return 0;
	off = (__u32)(cur->pos - (void *)(long)skb->data) - pkt->ip_options_len;
	ret = vrnet_ipv4_source_route(skb, off, pkt->ip_options_len);
	return ret > 0 ? -2 : ret;
}

#endif
