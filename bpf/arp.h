/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ARP passes only in the shape address resolution needs: Ethernet/IPv4, a
 * request or a reply, no more than the ARP body and Ethernet padding, sent
 * to everyone or to the host device. Anything else would be a channel on the
 * link (a bridged tap forwards it to every port) and is dropped as malformed.
 */
#ifndef VRNET_BPF_ARP_H
#define VRNET_BPF_ARP_H

#define ARP_FRAME_MAX 60 /* the smallest Ethernet frame: the 42-byte request, padded */

struct arp_eth_ipv4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 op;
	__u8 sha[6];
	__u8 spa[4];
	__u8 tha[6];
	__u8 tpa[4];
};

static __always_inline int mac_equal(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

static __always_inline int mac_broadcast(const __u8 *a)
{
	return (a[0] & a[1] & a[2] & a[3] & a[4] & a[5]) == 0xff;
}

/* @eth: the frame's Ethernet header, @c: the cursor past it, @len: skb->len. */
static __always_inline int is_plain_arp(const struct ethhdr *eth, struct hdr_cursor *c,
					__u32 len, const __u8 *host_mac)
{
	struct arp_eth_ipv4 *a = c->pos;

	if ((void *)(a + 1) > c->end || len > ARP_FRAME_MAX)
		return 0;
	if (a->htype != bpf_htons(1) || a->ptype != bpf_htons(ETH_P_IP) || a->hlen != 6 ||
	    a->plen != 4 || (a->op != bpf_htons(1) && a->op != bpf_htons(2)))
		return 0;
	return mac_broadcast(eth->h_dest) || mac_equal(eth->h_dest, host_mac);
}

#endif
