/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Packets of flows both ways, for the suites of connection tracking and the
 * inbound policy: a struct pkt names a TCP segment, UDP datagram or ICMP
 * message (an error quoting another pkt) between two addresses; flow_run()
 * runs its frame through a program as a real packet (no probe mark).
 */
#ifndef VR_TESTS_DATAPATH_FLOWS_H
#define VR_TESTS_DATAPATH_FLOWS_H

#include "datapath/harness.h"

#define SYN 0x02
#define ACK 0x10
#define FIN 0x01
#define RST 0x04

struct pkt {
	int family;
	const char *src, *dst;
	uint8_t proto;	       /* 6, 17, 1, 58 */
	uint16_t sport, dport; /* TCP/UDP; ICMP echo: dport is the id */
	uint8_t flags;	       /* TCP flags; ICMP: the type */
	const struct pkt *quote; /* ICMP errors: the packet they quote */
};

static inline void put_addr(uint8_t *p, int family, const char *text)
{
	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, text, p), 1);
}

/* The IP datagram of @p (no Ethernet header) into @out; returns its length. */
static inline size_t datagram(const struct pkt *p, uint8_t *out)
{
	size_t ip = p->family == 4 ? DP_IP4_LEN : DP_IP6_LEN, l4 = 8;
	uint8_t *t = out + ip;

	memset(out, 0, 128);
	switch (p->proto) {
	case 6:
		l4 = 20;
		dp_put16(t, p->sport);
		dp_put16(t + 2, p->dport);
		t[12] = 5 << 4;
		t[13] = p->flags;
		break;
	case 17:
		dp_put16(t, p->sport);
		dp_put16(t + 2, p->dport);
		dp_put16(t + 4, 8);
		break;
	default: /* ICMP: echo with id dport, or an error quoting p->quote */
		t[0] = p->flags;
		dp_put16(t + 4, p->dport);
		if (p->quote)
			l4 = 8 + datagram(p->quote, t + 8);
		break;
	}
	if (p->family == 4) {
		out[0] = 0x45;
		dp_put16(out + 2, (uint16_t)(ip + l4));
		out[8] = 64;
		out[9] = p->proto;
		put_addr(out + 12, 4, p->src);
		put_addr(out + 16, 4, p->dst);
	} else {
		out[0] = 0x60;
		dp_put16(out + 4, (uint16_t)l4);
		out[6] = p->proto;
		out[7] = 64;
		put_addr(out + 8, 6, p->src);
		put_addr(out + 24, 6, p->dst);
	}
	return ip + l4;
}

/*
 * Runs the frame of @p through @prog_fd as received on (or, for the tc egress
 * program, sent by) @ifindex, @patch (if any) applied to its datagram first.
 */
/* The frame of @p into @f, @patch (if any) applied to its datagram. */
static inline void flow_frame(const struct pkt *p, void (*patch)(uint8_t *dgram),
			      struct dp_frame *f)
{
	uint8_t *d;

	memset(f, 0, sizeof(*f));
	dp_eth(f, p->family == 4 ? 0x0800 : 0x86dd);
	d = dp_put(f, 0);
	f->len += datagram(p, d);
	if (patch)
		patch(d);
}

static inline struct vr_verdict flow_run(int prog_fd, int ifindex, const struct pkt *p,
					 void (*patch)(uint8_t *dgram))
{
	struct dp_frame f;
	struct vr_verdict v;

	flow_frame(p, patch, &f);
	assert_int_equal(vr_frame_run(prog_fd, ifindex, f.data, f.len, 0, 0, &v), 0);
	return v;
}

#endif
