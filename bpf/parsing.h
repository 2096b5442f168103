/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing with a cursor: each parse_*() checks the bounds of the header
 * it reads right next to the access and advances the cursor past it.
 */
#ifndef VRNET_BPF_PARSING_H
#define VRNET_BPF_PARSING_H

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_ARP 0x0806

#define IPPROTO_HOPOPTS 0
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60
#define IPPROTO_ICMPV6 58
#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF


struct hdr_cursor {
	void *pos;
	void *end;
};

/* What the policy needs to know about a packet. */
struct packet_info {
	__u8 family;	   /* 4 or 6 */
	__u8 l4_proto;	   /* IP protocol of the transport header */
	__u8 has_l4;	   /* the transport header is in this packet */
	__u8 has_port;	   /* TCP or UDP with its destination port */
	__u16 dport;	   /* host byte order */
	__u16 sport;
	__u8 tcp_flags;	   /* of a TCP header long enough to hold them, else 0 */
	__u8 icmp_type;
	__u8 hop_limit;	   /* IPv6 */
	__u8 ip_options_len; /* IPv4 options after the 20-byte header */
	__u32 l4_len;	   /* bytes of the datagram from the transport header on */
	__u8 fragment;	   /* enum vrnet_fragment */
	__u8 frag_id_set;  /* an IPv6 fragment header was read */
	__u8 arp;	   /* an ARP frame: the addresses are its sender's and target's */
	__u32 frag_id;	   /* of a fragment: IPv4 identification, IPv6 fragment header's */
	__u8 daddr[16];
	__u8 saddr[16];
};

/* Where a packet stands in its datagram. */
enum vrnet_fragment {
	VRNET_NOT_FRAGMENT = 0,
	VRNET_FIRST_FRAGMENT = 1, /* offset 0, more to come: its verdict decides the rest */
	VRNET_LATER_FRAGMENT = 2, /* offset > 0: no transport header */
};

#define TCP_FLAGS_OFFSET 13
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

/*
 * A cursor @off bytes into the packet, for a global function: those get the
 * offset of a header, never a packet pointer. Headers parse_ipv6() accepts
 * (VRNET_MAX_IPV6_EXT_HDRS of at most 2 KiB) end within
 * VRNET_MAX_HEADERS_OFF; the bound leaves the verifier room for the fixed
 * offsets read after it. -1 past it.
 */
#define VRNET_MAX_HEADERS_OFF 0x7fff
static __always_inline int cursor_at(const vr_ctx *ctx, __u32 off, struct hdr_cursor *c)
{
	if (off > VRNET_MAX_HEADERS_OFF)
		return -1;
	/* the mask stays: clang may not rebuild the pointer from the unchecked offset */
	barrier_var(off);
	c->pos = (void *)(long)ctx->data + (off & VRNET_MAX_HEADERS_OFF);
	c->end = (void *)(long)ctx->data_end;
	return 0;
}

/* Returns the ethertype in network byte order, or -1 if truncated. */
static __always_inline int parse_ethhdr(struct hdr_cursor *c)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	return eth->h_proto;
}

/* TCP and UDP both start with the source and destination port. */
static __always_inline int parse_ports(struct hdr_cursor *c,
				       struct packet_info *pkt)
{
	__be16 *ports = c->pos;

	if ((void *)(ports + 2) > c->end)
		return -1;
	pkt->sport = bpf_ntohs(ports[0]);
	pkt->dport = bpf_ntohs(ports[1]);
	pkt->has_port = 1;
	return 0;
}

/* The smallest transport header of @proto the verdict may read; 0: not read. */
static __always_inline __u32 l4_header_min(__u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	default:
		return 0;
	}
}

/*
 * Reads what follows the IP header(s). A transport header that should be there
 * but is cut short, by the frame or by the datagram's own length, makes the
 * packet malformed: the policy never guesses a port, nor reads one from bytes
 * after the datagram.
 */
static __always_inline int parse_l4(struct hdr_cursor *c, struct packet_info *pkt)
{
	pkt->has_l4 = 1;
	if (pkt->l4_len < l4_header_min(pkt->l4_proto))
		return -1;
	switch (pkt->l4_proto) {
	case IPPROTO_TCP: {
		__u8 *flags = c->pos + TCP_FLAGS_OFFSET;

		if ((void *)(flags + 1) <= c->end)
			pkt->tcp_flags = *flags;
		return parse_ports(c, pkt);
	}
	case IPPROTO_UDP:
		return parse_ports(c, pkt);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		struct icmp6hdr *icmp6 = c->pos; /* the type comes first in both */

		if ((void *)(icmp6 + 1) > c->end)
			return -1;
		pkt->icmp_type = icmp6->icmp6_type;
		return icmp6->icmp6_type;
	}
	default:
		return 0;
	}
}

/*
 * @ip_len: the bytes of the packet from the IP header on (skb->len less the
 * Ethernet header): the total length must fit in them and hold the header.
 * 0 is a BIG TCP packet, as Linux writes it past 64 KiB (and reads it,
 * iph_totlen()): only for TCP of a GSO packet (@gso) too large for the field.
 */
static __always_inline int parse_ipv4(struct hdr_cursor *c, struct packet_info *pkt,
				      __u32 ip_len, bool gso)
{
	struct iphdr *ip = c->pos;
	__u32 hdrsize, total;

	if ((void *)(ip + 1) > c->end)
		return -1;
	if (ip->version != 4 || ip->ihl < 5)
		return -1;
	hdrsize = ip->ihl * 4;
	total = bpf_ntohs(ip->tot_len);
	if (!total && gso && ip->protocol == IPPROTO_TCP && ip_len > 0xffff)
		total = ip_len;
	if (total < hdrsize || total > ip_len)
		return -1;
	pkt->l4_len = total - hdrsize;
	if (c->pos + hdrsize > c->end)
		return -1;
	c->pos += hdrsize;
	pkt->ip_options_len = (__u8)(hdrsize - sizeof(*ip));

	pkt->family = 4;
	pkt->l4_proto = ip->protocol;
	__builtin_memcpy(pkt->daddr, &ip->daddr, 4);
	__builtin_memcpy(pkt->saddr, &ip->saddr, 4);

	pkt->frag_id = bpf_ntohs(ip->id);
	/* A later fragment carries no transport header: its first fragment's verdict decides. */
	if (ip->frag_off & bpf_htons(IP_OFFSET)) {
		pkt->fragment = VRNET_LATER_FRAGMENT;
		return 0;
	}
	if (ip->frag_off & bpf_htons(IP_MF))
		pkt->fragment = VRNET_FIRST_FRAGMENT;
	return parse_l4(c, pkt) < 0 ? -1 : 0;
}

struct ipv6_opt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct ipv6_rt_hdr_min {
	__u8 nexthdr;
	__u8 hdrlen;
	__u8 type;
	__u8 segments_left;
};

struct ipv6_frag_hdr_min {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

/*
 * The Mobility Header (135) is not one of them: like AH and ESP it is an
 * upper-layer protocol to Linux and nftables, so a transport header after it
 * is never read (and rules with ports never match it).
 */
static __always_inline int is_ipv6_ext_hdr(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS || next == IPPROTO_ROUTING ||
	       next == IPPROTO_FRAGMENT;
}



/*
 * Walks up to VRNET_MAX_IPV6_EXT_HDRS extension headers to the transport
 * header. Returns 1 at the transport header, 0 for a later fragment (no
 * transport header), -1 when malformed or when there are more extension
 * headers, -2 for a routing header that would send the packet on to an
 * address other than the one the policy checks.
 */
static __always_inline int parse_ipv6_ext(struct hdr_cursor *c,
					  struct packet_info *pkt)
{
	__u8 next = pkt->l4_proto;
	int i;

	for (i = 0; i <= VRNET_MAX_IPV6_EXT_HDRS; i++) {
		if (i == VRNET_MAX_IPV6_EXT_HDRS && is_ipv6_ext_hdr(next))
			return -1;
		switch (next) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_DSTOPTS: {
			struct ipv6_opt_hdr_min *h = c->pos;

			if ((void *)(h + 1) > c->end)
				return -1;
			next = h->nexthdr;
			c->pos += (h->hdrlen + 1) * 8;
			break;
		}
		case IPPROTO_ROUTING: {
			struct ipv6_rt_hdr_min *h = c->pos;

			if ((void *)(h + 1) > c->end)
				return -1;
			if (h->segments_left)
				return -2;
			next = h->nexthdr;
			c->pos += (h->hdrlen + 1) * 8;
			break;
		}
		case IPPROTO_FRAGMENT: {
			struct ipv6_frag_hdr_min *h = c->pos;

			/* one fragment header at most (RFC 8200), its id the datagram's */
			if ((void *)(h + 1) > c->end || pkt->frag_id_set)
				return -1;
			pkt->frag_id_set = 1;
			next = h->nexthdr;
			c->pos = h + 1;
			pkt->l4_proto = next;
			pkt->frag_id = bpf_ntohl(h->identification);
			/* A later fragment carries no transport header. */
			if (h->frag_off & bpf_htons(0xFFF8)) {
				pkt->fragment = VRNET_LATER_FRAGMENT;
				return 0;
			}
			/*
			 * Offset 0 with M set: a first fragment, whose transport
			 * header must follow at once, so that only it holds the
			 * ports (a later fragment starts 8 bytes or more into
			 * them). M clear: an atomic fragment, a whole datagram.
			 */
			if (h->frag_off & bpf_htons(1)) {
				if (is_ipv6_ext_hdr(next))
					return -1;
				pkt->fragment = VRNET_FIRST_FRAGMENT;
			}
			break;
		}
		default:
			pkt->l4_proto = next;
			return 1;
		}
		pkt->l4_proto = next;
	}
	return -1;
}

/*
 * @ip_len: the bytes of the packet from the IPv6 header on. The payload
 * length must fit in them; 0 (a jumbogram, or a BIG TCP packet) only for a
 * packet too large for the field.
 */
static __always_inline int parse_ipv6(struct hdr_cursor *c, struct packet_info *pkt,
				      __u32 ip_len)
{
	struct ipv6hdr *ip6 = c->pos;
	__u32 payload, room, ext_len;
	int ret, type;

	if ((void *)(ip6 + 1) > c->end)
		return -1;
	if (ip6->version != 6 || ip_len < sizeof(*ip6))
		return -1;
	room = ip_len - sizeof(*ip6);
	payload = bpf_ntohs(ip6->payload_len);
	if (payload > room || (!payload && room <= 0xffff))
		return -1;
	if (!payload)
		payload = room;
	c->pos = ip6 + 1;

	pkt->family = 6;
	pkt->hop_limit = ip6->hop_limit;
	pkt->l4_proto = ip6->nexthdr;
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);

	ret = parse_ipv6_ext(c, pkt);
	if (ret < 0)
		return ret; /* error, or a source route */
	/*
	 * The extension headers must lie within the payload. Measured once the
	 * walk is done, from where it stopped: a length carried through the
	 * walk would multiply the verifier's states.
	 */
	ext_len = (__u32)((long)c->pos - (long)(ip6 + 1));
	if (ext_len > payload)
		return -1;
	pkt->l4_len = payload - ext_len;
	if (!ret)
		return 0; /* a later fragment */

	type = parse_l4(c, pkt);
	return type < 0 ? -1 : 0;
}

#endif
