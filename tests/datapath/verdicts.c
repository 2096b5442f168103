// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Verdicts of the real program on crafted frames, one row per case: the
 * policy is applied through the loader, the frame is run with
 * BPF_PROG_TEST_RUN and allow/deny, the reason and the deciding rule id are
 * checked. Each row is its own cmocka test.
 */
#include <stddef.h>
#include "datapath/harness.h"
#include "output.h"

struct verdict_case {
	const char *desc;
	const char *policy;
	struct dp_pkt pkt;
	bool allow;
	uint32_t reason;  /* enum vrnet_reason */
	int64_t rule_id;  /* -1: not checked */
	uint8_t internet; /* != 0: vr_set_internet() before the run */
	bool forget;	  /* the device entry is deleted before the run */
	int run_err;	  /* != 0: the kernel refuses the frame with this */
	bool may_refuse;  /* the kernel may refuse it (-EINVAL) before the program */
	uint16_t gso_size; /* != 0: run as a GSO packet (of no GSO type: a test run sets none) */
};

#define ALLOW true
#define DENY false
#define R_BLOCK VRNET_REASON_BLOCK_RULE
#define R_ALLOW VRNET_REASON_ALLOW_RULE
#define R_DEFAULT VRNET_REASON_DEFAULT
#define R_INET VRNET_REASON_INTERNET
#define R_LL VRNET_REASON_LINK_LOCAL
#define R_NOPOL VRNET_REASON_NO_POLICY
#define R_ETH VRNET_REASON_ETHERTYPE
#define R_MAL VRNET_REASON_MALFORMED
#define R_SRC VRNET_REASON_SOURCE_ROUTE
#define R_OFFLOAD VRNET_REASON_OFFLOAD
#define R_FRAG VRNET_REASON_FRAGMENT

#define P_TCP 6
#define P_UDP 17
#define P_ICMP 1
#define P_ICMP6 58
#define P_GRE 47

#define PKT(fam, d, pr, port, ...) \
	{ .family = (fam), .dst = (d), .proto = (pr), .dport = (port), __VA_ARGS__ }
#define TCP4(d, port, ...) PKT(4, d, P_TCP, port, __VA_ARGS__)
#define UDP4(d, port, ...) PKT(4, d, P_UDP, port, __VA_ARGS__)
#define ICMP4(d, ...) PKT(4, d, P_ICMP, 0, __VA_ARGS__)
#define TCP6(d, port, ...) PKT(6, d, P_TCP, port, __VA_ARGS__)
#define UDP6(d, port, ...) PKT(6, d, P_UDP, port, __VA_ARGS__)
#define ICMP6(d, ...) PKT(6, d, P_ICMP6, 0, __VA_ARGS__)
/* ICMPv6 neighbour discovery of @type to @d with hop limit @hl */
#define ND6(type, d, hl, ...) \
	PKT(6, d, P_ICMP6, 0, .icmp_type = (type), .ttl = (hl), __VA_ARGS__)
#define ARP() { .arp = true }
/* the MAC of the loopback device the harness runs frames on */
#define LO_MAC "\x00\x00\x00\x00\x00\x00"
#define ETHERTYPE(t) { .ethertype = (t) }

/* Several extension headers: hop-by-hop, then destination options. */
#define EXT7 { 0, 60, 60, 60, 60, 60, 60 }
#define EXT8 { 0, 60, 60, 60, 60, 60, 60, 60 }
#define EXT9 { 0, 60, 60, 60, 60, 60, 60, 60, 60 }

#define L4 (DP_ETH_LEN + DP_IP4_LEN) /* offset of an IPv4 transport header */
#define L6 (DP_ETH_LEN + DP_IP6_LEN)

/* ---- policies ---- */

#define POL_DENY "{\"default\": \"deny\"}"
#define POL_ALLOW "{\"default\": \"allow\"}"

/* ids 0..5 */
#define POL_WEB                                                                   \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.10:443/tcp\", "          \
	"\"203.0.113.10:53/udp\", \"203.0.113.10:*/icmp\", \"[2001:db8::10]:443/tcp\", " \
	"\"[2001:db8::10]:53/udp\", \"[2001:db8::10]:*/icmp\"]}"

/* ports with any protocol (0, 3), any port with a protocol (1, 2) */
#define POL_PORTPROTO                                                             \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.10:8080\", "             \
	"\"203.0.113.11:*/tcp\", \"[2001:db8::11]:*/udp\", \"203.0.113.12:0-1024\"]}"

#define POL_RANGE                                                                 \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.10:1000-2000/tcp\", "    \
	"\"[2001:db8::10]:1000-2000/udp\", \"203.0.113.20:0/udp\", "              \
	"\"203.0.113.20:65535/udp\"]}"

/* block on a shorter prefix than the allow */
#define POL_BLOCK_SHORT                                                           \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.7:443/tcp\"], "           \
	"\"block\": [\"203.0.113.0/24\"]}"
#define POL_BLOCK_SHORT_PORT                                                      \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.7\"], "                  \
	"\"block\": [\"203.0.113.0/24:443/tcp\"]}"
/* block on a longer prefix than the allow */
#define POL_BLOCK_LONG                                                            \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.0/24:443/tcp\", "        \
	"\"2001:db8::/32\"], \"block\": [\"203.0.113.66:443/tcp\", "              \
	"\"[2001:db8:bad::/48]:*/tcp\"]}"
#define POL_BLOCK_SAME                                                            \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.5\"], "                  \
	"\"block\": [\"203.0.113.5:25/tcp\"]}"

/* default allow with a blocklist: ids 0..2 */
#define POL_BLOCKLIST                                                             \
	"{\"default\": \"allow\", \"block\": [\"198.51.100.0/24\", "              \
	"\"2001:db8:bad::/48\", \"203.0.113.9:25/tcp\"]}"

#define POL_DNS "{\"default\": \"deny\", \"dns\": [\"192.0.2.53\", \"2001:db8::53\"]}"

/* ids: 0 .10:443, 1 [::10]:443, 2 .20, 3 ::20, 4 .30 udp, 5 ::30 udp */
#define POL_FRAG                                                                  \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.10:443/tcp\", "          \
	"\"[2001:db8::10]:443/tcp\", \"203.0.113.20\", \"2001:db8::20\", "        \
	"\"203.0.113.30:*/udp\", \"[2001:db8::30]:*/udp\"]}"

/*
 * ids: 0 /24:443, 1 .7:80, 2 svc.example, 3 198.51.100.10, 4 198.51.100.11,
 * 5 2001:db8:5::10 (its resolved addresses), 6 [2001:db8::/32]:*\/udp,
 * 7 block .66, 8 block [2001:db8:bad::1]:53/udp, 9 dns 192.0.2.53
 */
#define POL_IDS                                                                   \
	"{\"default\": \"deny\", \"dns_proxy\": false, "                            \
	"\"allow\": [\"203.0.113.0/24:443/tcp\", "                                     \
	"\"203.0.113.7:80/tcp\", \"svc.example:8443/tcp\", \"[2001:db8::/32]:*/udp\"], " \
	"\"block\": [\"203.0.113.66\", \"[2001:db8:bad::1]:53/udp\"], "           \
	"\"dns\": [\"192.0.2.53\"]}"

/* ids: 0 block the metadata address, 1 block .10:443/tcp, 2 block .66 icmp */
#define POL_META                                                                  \
	"{\"default\": \"allow\", \"block\": [\"169.254.169.254\", "             \
	"\"203.0.113.10:443/tcp\", \"203.0.113.66:*/icmp\"]}"

/* id 0: allow one IPv4 address (which no IPv6 form may open) */
#define POL_V4ONLY "{\"default\": \"deny\", \"allow\": [\"203.0.113.10\"]}"

#define ON VRNET_INTERNET_ON
#define OFF VRNET_INTERNET_OFF

/* Rows name what they need positionally and the rare fields by name. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct verdict_case cases[] = {
	/* protocols and ports, IPv4 */
	{ "v4 tcp 443 allowed", POL_WEB, TCP4("203.0.113.10", 443), ALLOW, R_ALLOW, 0 },
	{ "v4 tcp 80 denied", POL_WEB, TCP4("203.0.113.10", 80), DENY, R_DEFAULT, -1 },
	{ "v4 udp 443 denied (tcp rule)", POL_WEB, UDP4("203.0.113.10", 443), DENY, R_DEFAULT, -1 },
	{ "v4 udp 53 allowed", POL_WEB, UDP4("203.0.113.10", 53), ALLOW, R_ALLOW, 1 },
	{ "v4 tcp 53 denied (udp rule)", POL_WEB, TCP4("203.0.113.10", 53), DENY, R_DEFAULT, -1 },
	{ "v4 icmp allowed", POL_WEB, ICMP4("203.0.113.10"), ALLOW, R_ALLOW, 2 },
	{ "v4 icmp to another host denied", POL_WEB, ICMP4("203.0.113.11"), DENY, R_DEFAULT, -1 },
	{ "v4 tcp 443 to another host denied", POL_WEB, TCP4("203.0.113.11", 443), DENY,
	  R_DEFAULT, -1 },
	{ "v4 gre denied", POL_WEB, PKT(4, "203.0.113.10", P_GRE, 0), DENY, R_DEFAULT, -1 },
	{ "v4 packet with the ICMPv6 number is not icmp", POL_WEB,
	  PKT(4, "203.0.113.10", P_ICMP6, 0), DENY, R_DEFAULT, -1 },
	/* protocols and ports, IPv6 */
	{ "v6 tcp 443 allowed", POL_WEB, TCP6("2001:db8::10", 443), ALLOW, R_ALLOW, 3 },
	{ "v6 tcp 80 denied", POL_WEB, TCP6("2001:db8::10", 80), DENY, R_DEFAULT, -1 },
	{ "v6 udp 53 allowed", POL_WEB, UDP6("2001:db8::10", 53), ALLOW, R_ALLOW, 4 },
	{ "v6 udp 443 denied (tcp rule)", POL_WEB, UDP6("2001:db8::10", 443), DENY, R_DEFAULT,
	  -1 },
	{ "v6 icmpv6 allowed", POL_WEB, ICMP6("2001:db8::10"), ALLOW, R_ALLOW, 5 },
	{ "v6 icmpv6 to another host denied", POL_WEB, ICMP6("2001:db8::11"), DENY, R_DEFAULT,
	  -1 },
	{ "v6 packet with the IPv4 ICMP number is not icmp", POL_WEB,
	  PKT(6, "2001:db8::10", P_ICMP, 0), DENY, R_DEFAULT, -1 },
	{ "v6 gre denied", POL_WEB, PKT(6, "2001:db8::10", P_GRE, 0), DENY, R_DEFAULT, -1 },
	/* a port with any protocol means tcp or udp; a protocol with any port */
	{ "port rule: tcp 8080", POL_PORTPROTO, TCP4("203.0.113.10", 8080), ALLOW, R_ALLOW, 0 },
	{ "port rule: udp 8080", POL_PORTPROTO, UDP4("203.0.113.10", 8080), ALLOW, R_ALLOW, 0 },
	{ "port rule: tcp 8081", POL_PORTPROTO, TCP4("203.0.113.10", 8081), DENY, R_DEFAULT, -1 },
	{ "port rule: icmp", POL_PORTPROTO, ICMP4("203.0.113.10"), DENY, R_DEFAULT, -1 },
	{ "port rule: gre", POL_PORTPROTO, PKT(4, "203.0.113.10", P_GRE, 8080), DENY, R_DEFAULT,
	  -1 },
	{ "ports 0-1024: tcp 0", POL_PORTPROTO, TCP4("203.0.113.12", 0), ALLOW, R_ALLOW, 3 },
	{ "ports 0-1024: icmp (no port, not port 0)", POL_PORTPROTO, ICMP4("203.0.113.12"), DENY,
	  R_DEFAULT, -1 },
	{ "ports 0-1024: gre (no port, not port 0)", POL_PORTPROTO,
	  PKT(4, "203.0.113.12", P_GRE, 0), DENY, R_DEFAULT, -1 },
	{ "*/tcp: tcp port 0", POL_PORTPROTO, TCP4("203.0.113.11", 0), ALLOW, R_ALLOW, 1 },
	{ "*/tcp: udp", POL_PORTPROTO, UDP4("203.0.113.11", 80), DENY, R_DEFAULT, -1 },
	{ "*/udp v6: udp 65535", POL_PORTPROTO, UDP6("2001:db8::11", 65535), ALLOW, R_ALLOW, 2 },
	{ "*/udp v6: icmpv6", POL_PORTPROTO, ICMP6("2001:db8::11"), DENY, R_DEFAULT, -1 },
	/* range edges */
	{ "range: lo-1", POL_RANGE, TCP4("203.0.113.10", 999), DENY, R_DEFAULT, -1 },
	{ "range: lo", POL_RANGE, TCP4("203.0.113.10", 1000), ALLOW, R_ALLOW, 0 },
	{ "range: hi", POL_RANGE, TCP4("203.0.113.10", 2000), ALLOW, R_ALLOW, 0 },
	{ "range: hi+1", POL_RANGE, TCP4("203.0.113.10", 2001), DENY, R_DEFAULT, -1 },
	{ "range v6: lo-1", POL_RANGE, UDP6("2001:db8::10", 999), DENY, R_DEFAULT, -1 },
	{ "range v6: lo", POL_RANGE, UDP6("2001:db8::10", 1000), ALLOW, R_ALLOW, 1 },
	{ "range v6: hi", POL_RANGE, UDP6("2001:db8::10", 2000), ALLOW, R_ALLOW, 1 },
	{ "range v6: hi+1", POL_RANGE, UDP6("2001:db8::10", 2001), DENY, R_DEFAULT, -1 },
	{ "port 0 exactly", POL_RANGE, UDP4("203.0.113.20", 0), ALLOW, R_ALLOW, 2 },
	{ "port 1 next to 0", POL_RANGE, UDP4("203.0.113.20", 1), DENY, R_DEFAULT, -1 },
	{ "port 65535 exactly", POL_RANGE, UDP4("203.0.113.20", 65535), ALLOW, R_ALLOW, 3 },
	{ "port 65534 next to 65535", POL_RANGE, UDP4("203.0.113.20", 65534), DENY, R_DEFAULT,
	  -1 },
	/* block overrides allow */
	{ "block /24 over allow /32:443", POL_BLOCK_SHORT, TCP4("203.0.113.7", 443), DENY,
	  R_BLOCK, 1 },
	{ "block /24:443 over allow /32", POL_BLOCK_SHORT_PORT, TCP4("203.0.113.7", 443), DENY,
	  R_BLOCK, 1 },
	{ "block /24:443 leaves /32:80", POL_BLOCK_SHORT_PORT, TCP4("203.0.113.7", 80), ALLOW,
	  R_ALLOW, 0 },
	{ "block /24:443 elsewhere in /24", POL_BLOCK_SHORT_PORT, TCP4("203.0.113.8", 443), DENY,
	  R_BLOCK, 1 },
	{ "block /24:443: other port default", POL_BLOCK_SHORT_PORT, TCP4("203.0.113.8", 80),
	  DENY, R_DEFAULT, -1 },
	{ "block /32:443 inside allow /24:443", POL_BLOCK_LONG, TCP4("203.0.113.66", 443), DENY,
	  R_BLOCK, 2 },
	{ "allow /24:443 next to the block", POL_BLOCK_LONG, TCP4("203.0.113.67", 443), ALLOW,
	  R_ALLOW, 0 },
	{ "block /32:443 other port: default", POL_BLOCK_LONG, TCP4("203.0.113.66", 80), DENY,
	  R_DEFAULT, -1 },
	{ "v6 block /48 tcp inside allow /32", POL_BLOCK_LONG, TCP6("2001:db8:bad::1", 22), DENY,
	  R_BLOCK, 3 },
	{ "v6 block /48 tcp leaves udp", POL_BLOCK_LONG, UDP6("2001:db8:bad::1", 53), ALLOW,
	  R_ALLOW, 1 },
	{ "v6 allow /32 outside the block", POL_BLOCK_LONG, TCP6("2001:db8:1::1", 22), ALLOW,
	  R_ALLOW, 1 },
	{ "block and allow on one address: blocked port", POL_BLOCK_SAME,
	  TCP4("203.0.113.5", 25), DENY, R_BLOCK, 1 },
	{ "block and allow on one address: other port", POL_BLOCK_SAME,
	  TCP4("203.0.113.5", 26), ALLOW, R_ALLOW, 0 },
	/* default allow with a blocklist */
	{ "blocklist: blocked /24", POL_BLOCKLIST, TCP4("198.51.100.3", 443), DENY, R_BLOCK, 0 },
	{ "blocklist: unlisted", POL_BLOCKLIST, TCP4("203.0.113.1", 443), ALLOW, R_DEFAULT, -1 },
	{ "blocklist: blocked port", POL_BLOCKLIST, TCP4("203.0.113.9", 25), DENY, R_BLOCK, 2 },
	{ "blocklist: next port", POL_BLOCKLIST, TCP4("203.0.113.9", 26), ALLOW, R_DEFAULT, -1 },
	{ "blocklist: v6 blocked /48", POL_BLOCKLIST, ICMP6("2001:db8:bad::1"), DENY, R_BLOCK,
	  1 },
	{ "blocklist: v6 unlisted", POL_BLOCKLIST, ICMP6("2001:db8::1"), ALLOW, R_DEFAULT, -1 },
	/* dns */
	{ "dns: udp 53", POL_DNS, UDP4("192.0.2.53", 53), ALLOW, R_ALLOW, 0 },
	{ "dns: tcp 53", POL_DNS, TCP4("192.0.2.53", 53), ALLOW, R_ALLOW, 0 },
	{ "dns: udp 54", POL_DNS, UDP4("192.0.2.53", 54), DENY, R_DEFAULT, -1 },
	{ "dns: icmp", POL_DNS, ICMP4("192.0.2.53"), DENY, R_DEFAULT, -1 },
	{ "dns: gre", POL_DNS, PKT(4, "192.0.2.53", P_GRE, 53), DENY, R_DEFAULT, -1 },
	{ "dns: other host", POL_DNS, UDP4("192.0.2.54", 53), DENY, R_DEFAULT, -1 },
	{ "dns v6: udp 53", POL_DNS, UDP6("2001:db8::53", 53), ALLOW, R_ALLOW, 1 },
	{ "dns v6: tcp 53", POL_DNS, TCP6("2001:db8::53", 53), ALLOW, R_ALLOW, 1 },
	{ "dns v6: tcp 54", POL_DNS, TCP6("2001:db8::53", 54), DENY, R_DEFAULT, -1 },
	{ "dns v6: icmpv6", POL_DNS, ICMP6("2001:db8::53"), DENY, R_DEFAULT, -1 },
	/* IPv6 extension headers and fragments */
	{ "v6 hop-by-hop + dest-opts, tcp 443", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = { 0, 60 }, .n_ext = 2), ALLOW, R_ALLOW, 1 },
	{ "v6 hop-by-hop + dest-opts, tcp 80", POL_FRAG,
	  TCP6("2001:db8::10", 80, .ext = { 0, 60 }, .n_ext = 2), DENY, R_DEFAULT, -1 },
	/* the Mobility Header is an upper-layer protocol (Linux, nftables), not an extension header */
	{ "v6 dest-opts + mobility carrying a fake tcp 443", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = { 60, 135 }, .n_ext = 2), DENY, R_DEFAULT, -1 },
	{ "v6 mobility carrying a fake udp 53", POL_WEB,
	  UDP6("2001:db8::10", 53, .ext = { 135 }, .n_ext = 1), DENY, R_DEFAULT, -1 },
	{ "v6 mobility to an any-protocol rule", POL_ALLOW,
	  UDP6("2001:db8::10", 53, .ext = { 135 }, .n_ext = 1), ALLOW, R_DEFAULT, -1 },
	{ "v6 first fragment has ports: 443", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = { 44 }, .n_ext = 1, .more_frags = true), ALLOW,
	  R_ALLOW, 1 },
	{ "v6 first fragment has ports: 80", POL_FRAG,
	  TCP6("2001:db8::10", 80, .ext = { 44 }, .n_ext = 1, .more_frags = true), DENY,
	  R_DEFAULT, -1 },
	/* a later fragment alone: no first fragment passed (fragments.c follows datagrams) */
	{ "v6 later fragment alone: a port rule's address", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = { 44 }, .n_ext = 1, .frag = 185), DENY, R_FRAG, -1 },
	{ "v6 later fragment alone: an address rule's address", POL_FRAG,
	  TCP6("2001:db8::20", 443, .ext = { 44 }, .n_ext = 1, .frag = 185), DENY, R_FRAG, -1 },
	{ "v6 later fragment alone: a protocol rule's address", POL_FRAG,
	  UDP6("2001:db8::30", 53, .ext = { 44 }, .n_ext = 1, .frag = 185), DENY, R_FRAG, -1 },
	{ "v6 hop-by-hop + later fragment alone", POL_FRAG,
	  UDP6("2001:db8::20", 53, .ext = { 0, 44 }, .n_ext = 2, .frag = 1), DENY, R_FRAG, -1 },
	{ "v6 later fragment alone under internet on", POL_FRAG,
	  UDP6("2001:db8::20", 53, .ext = { 44 }, .n_ext = 1, .frag = 1), ALLOW, R_INET, -1,
	  .internet = ON },
	{ "v6 routing, segments left 1", POL_FRAG,
	  TCP6("2001:db8::20", 443, .ext = { 43 }, .n_ext = 1, .segs_left = 1), DENY, R_SRC,
	  -1 },
	{ "v6 routing, segments left 0: 443", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = { 43 }, .n_ext = 1), ALLOW, R_ALLOW, 1 },
	{ "v6 routing, segments left 0: 80", POL_FRAG,
	  TCP6("2001:db8::10", 80, .ext = { 43 }, .n_ext = 1), DENY, R_DEFAULT, -1 },
	{ "v6 7 extension headers walked", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = EXT7, .n_ext = 7), ALLOW, R_ALLOW, 1 },
	{ "v6 8 extension headers walked", POL_FRAG,
	  TCP6("2001:db8::10", 443, .ext = EXT8, .n_ext = 8), ALLOW, R_ALLOW, 1 },
	{ "v6 9 extension headers dropped", POL_FRAG,
	  TCP6("2001:db8::20", 443, .ext = EXT9, .n_ext = 9), DENY, R_MAL, -1 },
	{ "v6 truncated extension header", POL_ALLOW,
	  TCP6("2001:db8::20", 443, .ext = { 0 }, .n_ext = 1, .cut = L6 + 1), DENY, R_MAL, -1 },
	/* IPv4 fragments */
	{ "v4 first fragment has ports: 443", POL_FRAG,
	  TCP4("203.0.113.10", 443, .more_frags = true), ALLOW, R_ALLOW, 0 },
	{ "v4 later fragment alone: a port rule's address", POL_FRAG,
	  TCP4("203.0.113.10", 443, .frag = 185), DENY, R_FRAG, -1 },
	{ "v4 later fragment alone: an address rule's address", POL_FRAG,
	  TCP4("203.0.113.20", 443, .frag = 185), DENY, R_FRAG, -1 },
	{ "v4 later fragment alone: a protocol rule's address", POL_FRAG,
	  UDP4("203.0.113.30", 53, .frag = 1), DENY, R_FRAG, -1 },
	{ "v4 first fragment too short for ports", POL_FRAG,
	  TCP4("203.0.113.20", 443, .more_frags = true, .cut = L4 + 3), DENY, R_MAL, -1 },
	/* link-local exemptions */
	{ "arp under deny-all", POL_DENY, ARP(), ALLOW, R_LL, -1 },
	/* only Ethernet/IPv4 ARP requests and replies, broadcast or to the host device's MAC */
	{ "arp reply to the host device's MAC", POL_DENY,
	  { .arp = true, .arp_op = 2, .eth_dst = LO_MAC }, ALLOW, R_LL, -1 },
	{ "arp padded to 60 bytes", POL_DENY, { .arp = true, .trailer = 18 }, ALLOW, R_LL, -1 },
	{ "arp to another unicast MAC", POL_DENY,
	  { .arp = true, .arp_op = 2, .eth_dst = "\x02\x00\x00\x00\x00\x09" }, DENY, R_MAL,
	  -1 },
	{ "arp with htype 0xffff and hlen 200", POL_DENY,
	  { .arp = true, .arp_htype = 0xffff, .arp_hlen = 200 }, DENY, R_MAL, -1 },
	{ "arp with 16-byte protocol addresses", POL_DENY, { .arp = true, .arp_plen = 16 },
	  DENY, R_MAL, -1 },
	{ "arp operation 3 (rarp)", POL_DENY, { .arp = true, .arp_op = 3 }, DENY, R_MAL, -1 },
	{ "arp carrying 100 bytes after its body", POL_DENY, { .arp = true, .trailer = 100 },
	  DENY, R_MAL, -1 },
	{ "arp under internet off", POL_DENY, ARP(), ALLOW, R_LL, -1, .internet = OFF },
	{ "NS to solicited-node, hop limit 255", POL_DENY, ND6(135, "ff02::1:ff00:1", 255),
	  ALLOW, R_LL, -1 },
	{ "NS to fe80::1, hop limit 255", POL_DENY, ND6(135, "fe80::1", 255), ALLOW, R_LL, -1 },
	/* never in fragments (RFC 6980), atomic or not: the policy decides them */
	{ "NS in an atomic fragment", POL_DENY,
	  ND6(135, "ff02::1:ff00:1", 255, .ext = { 44 }, .n_ext = 1), DENY, R_DEFAULT, -1 },
	{ "NS in a first fragment", POL_DENY,
	  ND6(135, "ff02::1:ff00:1", 255, .ext = { 44 }, .n_ext = 1, .more_frags = true), DENY,
	  R_DEFAULT, -1 },
	{ "NA to fe80::1, hop limit 255", POL_DENY, ND6(136, "fe80::1", 255), ALLOW, R_LL, -1 },
	{ "RS to ff02::2, hop limit 255", POL_DENY, ND6(133, "ff02::2", 255), ALLOW, R_LL, -1 },
	{ "NS under internet off", POL_DENY, ND6(135, "ff02::1:ff00:1", 255), ALLOW, R_LL, -1,
	  .internet = OFF },
	{ "NS with hop limit 64", POL_DENY, ND6(135, "ff02::1:ff00:1", 64), DENY, R_DEFAULT,
	  -1 },
	{ "NS to a global address", POL_DENY, ND6(135, "2001:db8::1", 255), DENY, R_DEFAULT,
	  -1 },
	/* the harness's device is lo: the loader records its address ::1 as the host's */
	{ "NA to the host's own address on the device", POL_DENY, ND6(136, "::1", 255), ALLOW,
	  R_LL, -1 },
	{ "NA to the host's own address, hop limit 64", POL_DENY, ND6(136, "::1", 64), DENY,
	  R_DEFAULT, -1 },
	{ "RA to the host's own address", POL_DENY, ND6(134, "::1", 255), DENY, R_DEFAULT, -1 },
	{ "MLDv2 report to ff02::16, hop limit 1", POL_DENY, ND6(143, "ff02::16", 1), ALLOW, R_LL,
	  -1 },
	{ "MLDv2 report to ff02::16, hop limit 2", POL_DENY, ND6(143, "ff02::16", 2), DENY,
	  R_DEFAULT, -1 },
	{ "MLD report to a global multicast group", POL_DENY, ND6(131, "ff0e::1", 1), DENY,
	  R_DEFAULT, -1 },
	{ "NS to ff12:: (not ff02::/16)", POL_DENY, ND6(135, "ff12::1:ff00:1", 255), DENY,
	  R_DEFAULT, -1 },
	{ "RA to ff02::1", POL_DENY, ND6(134, "ff02::1", 255), DENY, R_DEFAULT, -1 },
	{ "redirect to fe80::1", POL_DENY, ND6(137, "fe80::1", 255), DENY, R_DEFAULT, -1 },
	{ "echo request to ff02::1", POL_DENY, ND6(128, "ff02::1", 255), DENY, R_DEFAULT, -1 },
	/* neighbour discovery and MLD pass only in their own shapes; the rest meets the policy */
	{ "NS with a source link-layer address", POL_DENY,
	  ND6(135, "ff02::1:ff00:1", 255, .icmp_len = 32, .icmp_opt = 1), ALLOW, R_LL, -1 },
	{ "DAD NS with a nonce", POL_DENY,
	  ND6(135, "ff02::1:ff00:1", 255, .icmp_len = 32, .icmp_opt = 14), ALLOW, R_LL, -1 },
	{ "NA with a target link-layer address", POL_DENY,
	  ND6(136, "fe80::1", 255, .icmp_len = 32, .icmp_opt = 2), ALLOW, R_LL, -1 },
	{ "unsolicited NA to ff02::1", POL_DENY, ND6(136, "ff02::1", 255), ALLOW, R_LL, -1 },
	{ "RS with a source link-layer address", POL_DENY,
	  ND6(133, "ff02::2", 255, .icmp_len = 16, .icmp_opt = 1), ALLOW, R_LL, -1 },
	{ "NS carrying 100 more bytes", POL_DENY, ND6(135, "ff02::1:ff00:1", 255, .icmp_len = 124),
	  DENY, R_DEFAULT, -1 },
	{ "NS with a foreign option", POL_DENY,
	  ND6(135, "ff02::1:ff00:1", 255, .icmp_len = 32, .icmp_opt = 31), DENY, R_DEFAULT, -1 },
	{ "NS to ff02::1 (not a solicited-node group)", POL_DENY, ND6(135, "ff02::1", 255), DENY,
	  R_DEFAULT, -1 },
	{ "NS to fe80::1 carrying 100 more bytes", POL_DENY,
	  ND6(135, "fe80::1", 255, .icmp_len = 124), DENY, R_DEFAULT, -1 },
	{ "NS to the host's own address carrying 100 more bytes", POL_DENY,
	  ND6(135, "::1", 255, .icmp_len = 124), DENY, R_DEFAULT, -1 },
	{ "RS to ff02::1", POL_DENY, ND6(133, "ff02::1", 255), DENY, R_DEFAULT, -1 },
	{ "RS carrying 100 more bytes", POL_DENY, ND6(133, "ff02::2", 255, .icmp_len = 108), DENY,
	  R_DEFAULT, -1 },
	{ "MLD query from the sandbox", POL_DENY, ND6(130, "ff02::1", 1), DENY, R_DEFAULT, -1 },
	{ "MLDv1 report to its group", POL_DENY, ND6(131, "ff02::1:3", 1), ALLOW, R_LL, -1 },
	{ "MLD done to ff02::2", POL_DENY, ND6(132, "ff02::2", 1), ALLOW, R_LL, -1 },
	{ "MLDv1 report carrying 100 more bytes", POL_DENY,
	  ND6(131, "ff02::1:3", 1, .icmp_len = 124), DENY, R_DEFAULT, -1 },
	{ "MLDv2 report with two records", POL_DENY,
	  ND6(143, "ff02::16", 1, .icmp_len = 48, .mld_records = 2), ALLOW, R_LL, -1 },
	{ "MLDv2 report carrying 160 more bytes", POL_DENY,
	  ND6(143, "ff02::16", 1, .icmp_len = 188, .mld_records = 1), DENY, R_DEFAULT, -1 },
	{ "MLDv2 report to ff02::1", POL_DENY, ND6(143, "ff02::1", 1), DENY, R_DEFAULT, -1 },
	/* ethertypes, even under default allow */
	{ "802.1Q tagged ipv4", POL_ALLOW, TCP4("203.0.113.10", 443, .tags = { 0x8100 }), DENY,
	  R_ETH, -1 },
	{ "QinQ tagged ipv4", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .tags = { 0x88a8, 0x8100 }), DENY, R_ETH, -1 },
	{ "802.1Q tagged ipv6 under internet on", POL_ALLOW,
	  TCP6("2001:db8::10", 443, .tags = { 0x8100 }), DENY, R_ETH, -1, .internet = ON },
	{ "PPPoE session with ipv4", POL_ALLOW, TCP4("203.0.113.10", 443, .pppoe = true), DENY,
	  R_ETH, -1 },
	{ "PPPoE discovery", POL_ALLOW, ETHERTYPE(0x8863), DENY, R_ETH, -1 },
	{ "LLDP", POL_ALLOW, ETHERTYPE(0x88cc), DENY, R_ETH, -1 },
	{ "unknown ethertype 0x1234", POL_ALLOW, ETHERTYPE(0x1234), DENY, R_ETH, -1 },
	{ "ethertype 0x9000", POL_ALLOW, ETHERTYPE(0x9000), DENY, R_ETH, -1 },
	{ "RARP", POL_ALLOW, ETHERTYPE(0x8035), DENY, R_ETH, -1 },
	/* truncated and invalid headers, even under default allow */
	{ "ethernet header cut short (the kernel refuses it)", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .cut = DP_ETH_LEN - 1), DENY, 0, -1, .run_err = -EINVAL },
	{ "ethernet header only", POL_ALLOW, TCP4("203.0.113.10", 443, .cut = DP_ETH_LEN), DENY,
	  R_MAL, -1, .may_refuse = true },
	{ "ipv4 header cut short", POL_ALLOW, TCP4("203.0.113.10", 443, .cut = L4 - 1), DENY,
	  R_MAL, -1, .may_refuse = true },
	{ "ipv4 header without transport header", POL_ALLOW, TCP4("203.0.113.10", 443, .cut = L4),
	  DENY, R_MAL, -1 },
	{ "ipv4 ethertype, version 6", POL_ALLOW, TCP4("203.0.113.10", 443, .version = 6), DENY,
	  R_MAL, -1 },
	{ "ipv4 ihl 4", POL_ALLOW, TCP4("203.0.113.10", 443, .ihl = 4), DENY, R_MAL, -1 },
	/* lengths: the datagram, not the frame, holds the headers the verdict reads */
	{ "ipv4 total length shorter than its header", POL_WEB,
	  TCP4("203.0.113.10", 443, .ihl = 6, .ip_len_set = true, .ip_len = 20), DENY, R_MAL,
	  -1 },
	{ "ipv4 total length 0 (BIG TCP's) on a small packet", POL_WEB,
	  TCP4("203.0.113.10", 443, .ip_len_set = true, .ip_len = 0), DENY, R_MAL, -1 },
	{ "ipv4 total length 0 on a small gso packet", POL_WEB,
	  TCP4("203.0.113.10", 443, .ip_len_set = true, .ip_len = 0), DENY, R_MAL, -1,
	  .gso_size = 1000 },
	{ "ipv4 total length beyond the frame", POL_WEB,
	  TCP4("203.0.113.10", 443, .ip_len_set = true, .ip_len = 1000), DENY, R_MAL, -1 },
	{ "ipv4 total length 20: tcp ports only in trailing bytes", POL_WEB,
	  TCP4("203.0.113.10", 443, .ip_len_set = true, .ip_len = 20), DENY, R_MAL, -1 },
	{ "ipv4 udp header cut by the total length", POL_WEB,
	  UDP4("203.0.113.10", 53, .ip_len_set = true, .ip_len = 24), DENY, R_MAL, -1 },
	{ "ipv4 tcp header cut by the total length", POL_WEB,
	  TCP4("203.0.113.10", 443, .ip_len_set = true, .ip_len = 30), DENY, R_MAL, -1 },
	{ "ipv4 with ethernet padding after the datagram", POL_WEB,
	  TCP4("203.0.113.10", 443, .trailer = 24), ALLOW, R_ALLOW, 0 },
	{ "ipv4 icmp with padding to 60 bytes", POL_WEB,
	  ICMP4("203.0.113.10", .trailer = 18), ALLOW, R_ALLOW, 2 },
	{ "ipv6 payload length beyond the frame", POL_WEB,
	  TCP6("2001:db8::10", 443, .ip_len_set = true, .ip_len = 1000), DENY, R_MAL, -1 },
	{ "ipv6 payload length 0, no jumbogram", POL_WEB,
	  TCP6("2001:db8::10", 443, .ip_len_set = true, .ip_len = 0), DENY, R_MAL, -1 },
	{ "ipv6 payload length 4: tcp ports only in trailing bytes", POL_WEB,
	  TCP6("2001:db8::10", 443, .ip_len_set = true, .ip_len = 4), DENY, R_MAL, -1 },
	{ "ipv6 extension header beyond the payload length", POL_WEB,
	  TCP6("2001:db8::10", 443, .ext = { 60 }, .n_ext = 1, .ip_len_set = true, .ip_len = 8),
	  DENY, R_MAL, -1 },
	{ "ipv6 udp with trailing bytes after the datagram", POL_WEB,
	  UDP6("2001:db8::10", 53, .trailer = 16), ALLOW, R_ALLOW, 4 },
	{ "ipv4 ihl 15 beyond the frame", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 15, .cut = L4 + 20), DENY, R_MAL, -1 },
	{ "ipv4 loose source route dropped", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 7,
	       .ip_opts = { 0x83, 7, 4, 203, 0, 113, 66, 0 }),
	  DENY, R_SRC, -1 },
	{ "ipv4 strict source route after a NOP dropped", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 7,
	       .ip_opts = { 1, 0x89, 7, 4, 203, 0, 113, 66 }),
	  DENY, R_SRC, -1 },
	{ "ipv4 record-route option evaluated", POL_WEB,
	  TCP4("203.0.113.10", 443, .ihl = 7,
	       .ip_opts = { 0x07, 7, 4, 0, 0, 0, 0, 0 }),
	  ALLOW, R_ALLOW, 0 },
	{ "ipv4 option with length 1 is malformed", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 7, .ip_opts = { 0x07, 1, 4, 0, 0, 0, 0, 0 }),
	  DENY, R_MAL, -1 },
	{ "ipv4 options end before a source route byte", POL_WEB,
	  TCP4("203.0.113.10", 443, .ihl = 7, .ip_opts = { 0x44, 4, 5, 0, 0, 0x83, 0, 0 }),
	  ALLOW, R_ALLOW, 0 },
	{ "ipv4 strict source route after a record-route option dropped", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 7,
	       .ip_opts = { 0x07, 7, 4, 0, 0, 0, 0, 0x89 }),
	  DENY, R_SRC, -1 },
	{ "ipv4 source route in the last of 40 option bytes dropped", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 15,
	       .ip_opts = { [0 ... 38] = 1, [39] = 0x83 }), DENY, R_SRC, -1 },
	{ "ipv4 40 option bytes of NOPs evaluated", POL_WEB,
	  TCP4("203.0.113.10", 443, .ihl = 15, .ip_opts = { [0 ... 39] = 1 }), ALLOW, R_ALLOW,
	  0 },
	{ "ipv4 option running past the options is malformed", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 7, .ip_opts = { 0x07, 9, 4, 0, 0, 0, 0, 0 }),
	  DENY, R_MAL, -1 },
	{ "ipv4 option length byte missing is malformed", POL_ALLOW,
	  TCP4("203.0.113.10", 443, .ihl = 6, .ip_opts = { 1, 1, 1, 0x07 }), DENY, R_MAL, -1 },
	{ "ipv4 options skipped (ihl 6)", POL_WEB, TCP4("203.0.113.10", 443, .ihl = 6), ALLOW,
	  R_ALLOW, 0 },
	{ "tcp header cut short", POL_ALLOW, TCP4("203.0.113.10", 443, .cut = L4 + 3), DENY,
	  R_MAL, -1 },
	{ "ipv6 header cut short", POL_ALLOW, TCP6("2001:db8::10", 443, .cut = L6 - 1), DENY,
	  R_MAL, -1, .may_refuse = true },
	{ "ipv6 header without transport header", POL_ALLOW,
	  TCP6("2001:db8::10", 443, .cut = L6), DENY, R_MAL, -1 },
	{ "udp over ipv6 cut short", POL_ALLOW, UDP6("2001:db8::10", 53, .cut = L6 + 3), DENY,
	  R_MAL, -1 },
	{ "icmpv6 cut short", POL_ALLOW, ICMP6("2001:db8::10", .cut = L6 + 3), DENY, R_MAL, -1 },
	/*
	 * GSO: segments only of the TCP or UDP header judged. A test run can set
	 * gso_size but no GSO type; the checksum-offload fields and real GSO
	 * types are tried through taps and veths (tests/integration/offload.sh).
	 */
	{ "gso of no type, allowed tcp", POL_WEB, TCP4("203.0.113.10", 443), DENY, R_OFFLOAD, -1,
	  .gso_size = 1000 },
	{ "gso of no type, allowed udp", POL_WEB, UDP6("2001:db8::10", 53), DENY, R_OFFLOAD, -1,
	  .gso_size = 1000 },
	{ "gso of no type, arp", POL_ALLOW, ARP(), DENY, R_OFFLOAD, -1, .gso_size = 1000 },
	{ "gso of no type, even under internet on", POL_ALLOW, TCP4("203.0.113.10", 443), DENY,
	  R_OFFLOAD, -1, .internet = ON, .gso_size = 1000 },
	/* the internet switch wins over rules */
	{ "internet on, deny-all", POL_DENY, TCP4("203.0.113.10", 443), ALLOW, R_INET, -1,
	  .internet = ON },
	{ "internet on, block rule", POL_BLOCK_SHORT, TCP4("203.0.113.7", 443), ALLOW, R_INET,
	  -1, .internet = ON },
	{ "internet on, v6 later fragment", POL_DENY,
	  UDP6("2001:db8::10", 53, .ext = { 44 }, .n_ext = 1, .frag = 3), ALLOW, R_INET, -1,
	  .internet = ON },
	{ "internet off, default allow", POL_ALLOW, TCP4("203.0.113.10", 443), DENY, R_INET, -1,
	  .internet = OFF },
	{ "internet off, allow rule", POL_WEB, TCP4("203.0.113.10", 443), DENY, R_INET, -1,
	  .internet = OFF },
	{ "internet off, v6 allow rule", POL_WEB, ICMP6("2001:db8::10"), DENY, R_INET, -1,
	  .internet = OFF },
	/* a device without an entry drops everything */
	{ "no device entry: allowed tcp", POL_WEB, TCP4("203.0.113.10", 443), DENY, R_NOPOL, -1,
	  .forget = true },
	{ "no device entry: arp", POL_ALLOW, ARP(), DENY, R_NOPOL, -1, .forget = true },
	/* rule ids */
	{ "id: inherited from /24", POL_IDS, TCP4("203.0.113.7", 443), ALLOW, R_ALLOW, 0 },
	{ "id: own /32 rule", POL_IDS, TCP4("203.0.113.7", 80), ALLOW, R_ALLOW, 1 },
	{ "id: /24 rule", POL_IDS, TCP4("203.0.113.8", 443), ALLOW, R_ALLOW, 0 },
	{ "id: domain, first address", POL_IDS, TCP4("198.51.100.10", 8443), ALLOW, R_ALLOW, 3 },
	{ "id: domain, second address", POL_IDS, TCP4("198.51.100.11", 8443), ALLOW, R_ALLOW,
	  4 },
	{ "id: domain, other port", POL_IDS, TCP4("198.51.100.11", 443), DENY, R_DEFAULT, -1 },
	{ "id: domain, v6 address", POL_IDS, TCP6("2001:db8:5::10", 8443), ALLOW, R_ALLOW, 5 },
	{ "id: domain v6 address inherits /32 udp", POL_IDS, UDP6("2001:db8:5::10", 53), ALLOW,
	  R_ALLOW, 6 },
	{ "id: block inside allow /24", POL_IDS, TCP4("203.0.113.66", 443), DENY, R_BLOCK, 7 },
	{ "id: v6 block over inherited allow", POL_IDS, UDP6("2001:db8:bad::1", 53), DENY,
	  R_BLOCK, 8 },
	{ "id: v6 inherited allow next to block", POL_IDS, UDP6("2001:db8:bad::1", 54), ALLOW,
	  R_ALLOW, 6 },
	{ "id: dns resolver", POL_IDS, UDP4("192.0.2.53", 53), ALLOW, R_ALLOW, 9 },
	/* IPv6 forms of a blocked IPv4 address reach it through NAT64, 464XLAT or a 6to4 relay */
	{ "v4-mapped form of a blocked address", POL_META, TCP6("::ffff:169.254.169.254", 80),
	  DENY, R_BLOCK, 0 },
	{ "v4-compatible form of a blocked address", POL_META, TCP6("::169.254.169.254", 80),
	  DENY, R_BLOCK, 0 },
	{ "NAT64 (64:ff9b::/96) form of a blocked address", POL_META,
	  UDP6("64:ff9b::169.254.169.254", 53), DENY, R_BLOCK, 0 },
	{ "local NAT64 (64:ff9b:1::/48) form of a blocked address", POL_META,
	  TCP6("64:ff9b:1:a9fe:a9:fe00::", 80), DENY, R_BLOCK, 0 },
	{ "6to4 (2002::/16) form of a blocked address", POL_META,
	  TCP6("2002:a9fe:a9fe::1", 80), DENY, R_BLOCK, 0 },
	{ "NAT64 form of a blocked port", POL_META, TCP6("64:ff9b::203.0.113.10", 443), DENY,
	  R_BLOCK, 1 },
	{ "NAT64 form, another port", POL_META, TCP6("64:ff9b::203.0.113.10", 80), ALLOW,
	  R_DEFAULT, -1 },
	{ "NAT64 form, icmpv6 to a blocked icmp address", POL_META,
	  ICMP6("64:ff9b::203.0.113.66"), DENY, R_BLOCK, 2 },
	{ "NAT64 prefix, another address", POL_META, TCP6("64:ff9b::203.0.113.11", 443), ALLOW,
	  R_DEFAULT, -1 },
	{ "an address near, not in, 64:ff9b::/96", POL_META,
	  TCP6("64:ff9b:0:1::169.254.169.254", 80), ALLOW, R_DEFAULT, -1 },
	{ "allow rules do not open an IPv6 form", POL_V4ONLY, TCP6("::ffff:203.0.113.10", 80),
	  DENY, R_DEFAULT, -1 },
	{ "allow rules do not open a NAT64 form", POL_V4ONLY, TCP6("64:ff9b::203.0.113.10", 80),
	  DENY, R_DEFAULT, -1 },
	{ "the IPv4 address itself", POL_V4ONLY, TCP4("203.0.113.10", 80), ALLOW, R_ALLOW, 0 },
};
#pragma GCC diagnostic pop

static void run_case(void **state)
{
	const struct verdict_case *c = *state;
	struct vr_verdict v;
	struct dp_frame f;
	char pkt[256];
	int ret;

	dp_skip_unless_root();
	assert_int_equal(dp_apply(c->policy), 0);
	if (c->internet)
		assert_int_equal(vr_set_internet(&dp.st, DP_IFINDEX, c->internet), 0);
	if (c->forget) {
		assert_int_equal(vr_device_forget(&dp.st, DP_IFINDEX), 0);
		dp_tables_replaced(); /* the next apply makes the device anew */
	}

	dp_build(&c->pkt, &f);
	dp_forget_fragments(); /* each row is a packet alone */
	ret = dp_run_gso(&f, c->gso_size, &v);
	dp_pkt_format(&c->pkt, pkt, sizeof(pkt));
	if (c->run_err) {
		if (ret != c->run_err)
			fail_msg("%s: test run returned %d, expected %d", c->desc, ret,
				 c->run_err);
		return;
	}
	if (ret == -EINVAL && c->may_refuse) {
		/* Newer kernels check the IP header before running the program. */
		print_message("note: %s: the kernel refused the frame\n", c->desc);
		return;
	}
	if (ret)
		fail_msg("%s: test run failed: %s", c->desc, strerror(-ret));
	if (v.allow != c->allow || v.reason != c->reason ||
	    (c->rule_id >= 0 && v.rule_id != (uint32_t)c->rule_id))
		fail_msg("%s\n  packet: %s (%zu bytes)\n  policy: %s\n"
			 "  expected %s reason %s rule %lld\n  got      %s reason %s rule %u",
			 c->desc, pkt, f.len, c->policy, c->allow ? "allow" : "deny",
			 vr_reason_key(c->reason), (long long)c->rule_id,
			 v.allow ? "allow" : "deny", vr_reason_key(v.reason), v.rule_id);
}

/* The next row starts from "policy": the internet switch outlives an apply. */
static int case_teardown(void **state)
{
	struct vr_device dev;

	if (!dp.skip && !vr_device_get(&dp.st, DP_IFINDEX, &dev) &&
	    dev.internet != VRNET_INTERNET_POLICY)
		return vr_set_internet(&dp.st, DP_IFINDEX, VRNET_INTERNET_POLICY) ? -1 : 0;
	return 0;
}

/* Keys of @fd whose policy id (at @id_off in the key) is @id. */
static int count_keys(int fd, size_t key_size, size_t id_off, uint32_t id)
{
	uint8_t key[64], next[64];
	void *prev = NULL;
	int n = 0;

	assert_true(key_size <= sizeof(key));
	while (!bpf_map_get_next_key(fd, prev, next)) {
		uint32_t kid;

		memcpy(&kid, next + id_off, sizeof(kid));
		if (kid == id)
			n++;
		memcpy(key, next, key_size);
		prev = key;
	}
	return n;
}

struct policy_keys {
	int lpm4, lpm6, host4, host6, portsets, rules /* chunks */, names;
};

static struct policy_keys keys_of(uint32_t id)
{
	struct policy_keys k = {
		.lpm4 = count_keys(dp.st.lpm4_fd, sizeof(struct vrnet_lpm4_key),
				   offsetof(struct vrnet_lpm4_key, policy_id), id),
		.lpm6 = count_keys(dp.st.lpm6_fd, sizeof(struct vrnet_lpm6_key),
				   offsetof(struct vrnet_lpm6_key, policy_id), id),
		.host4 = count_keys(dp.st.host4_fd, sizeof(struct vrnet_host4_key),
				    offsetof(struct vrnet_host4_key, policy_id), id),
		.host6 = count_keys(dp.st.host6_fd, sizeof(struct vrnet_host6_key),
				    offsetof(struct vrnet_host6_key, policy_id), id),
		.portsets = count_keys(dp.st.portsets_fd, sizeof(struct vrnet_portset_key),
				       offsetof(struct vrnet_portset_key, policy_id), id),
		.rules = count_keys(dp.st.rules_fd, sizeof(struct vrnet_chunk_key),
				    offsetof(struct vrnet_chunk_key, policy_id), id),
		.names = count_keys(dp.st.names_fd, sizeof(struct vrnet_rule_key),
				    offsetof(struct vrnet_rule_key, policy_id), id),
	};

	return k;
}

static void expect(const struct dp_pkt *p, bool allow, uint32_t reason)
{
	struct vr_verdict v;
	struct dp_frame f;
	char text[256];

	dp_build(p, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	dp_pkt_format(p, text, sizeof(text));
	if (v.allow != allow || v.reason != reason)
		fail_msg("%s: expected %s/%s, got %s/%s", text, allow ? "allow" : "deny",
			 vr_reason_key(reason), v.allow ? "allow" : "deny", vr_reason_key(v.reason));
}

/*
 * A second apply replaces the first completely: what the old policy allowed
 * is denied, its default is gone, and nothing stored under its id remains.
 */
static void test_apply_replaces_policy(void **state)
{
	static const char p1[] =
		"{\"default\": \"deny\", \"dns_proxy\": false, \"allow\": [\"203.0.113.10:443/tcp\", "
		"\"[2001:db8::10]:443/tcp\", \"other.example:443/tcp\"]}";
	static const char p2[] =
		"{\"default\": \"allow\", \"block\": [\"203.0.113.10\", \"192.0.2.66:22/tcp\"]}";
	const struct dp_pkt old4 = TCP4("203.0.113.10", 443), old6 = TCP6("2001:db8::10", 443),
			    dom = TCP4("203.0.113.200", 443), other = TCP4("192.0.2.99", 80),
			    blocked = TCP4("192.0.2.66", 22);
	struct vr_device d1, d2;
	struct policy_keys k;

	dp_skip_unless_root();
	assert_int_equal(dp_apply(p1), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &d1), 0);
	expect(&old4, ALLOW, R_ALLOW);
	expect(&old6, ALLOW, R_ALLOW);
	expect(&dom, ALLOW, R_ALLOW);
	expect(&other, DENY, R_DEFAULT);
	expect(&blocked, DENY, R_DEFAULT);
	/* the check below can see the entries it wants gone */
	k = keys_of(d1.policy_id);
	/* host addresses live in the host hashes, not the tries */
	assert_int_equal(k.lpm4, 0);
	assert_int_equal(k.lpm6, 0);
	assert_int_equal(k.host4, 2);
	assert_int_equal(k.host6, 1);
	assert_true(k.portsets >= 1);
	assert_int_equal(k.rules, 1); /* one chunk holds the 4 records */
	assert_int_equal(k.names, 1);

	assert_int_equal(dp_apply(p2), 0);
	assert_int_equal(vr_device_get(&dp.st, DP_IFINDEX, &d2), 0);
	assert_int_not_equal(d2.policy_id, d1.policy_id);
	expect(&old4, DENY, R_BLOCK);
	expect(&old6, ALLOW, R_DEFAULT);
	expect(&dom, ALLOW, R_DEFAULT);
	expect(&other, ALLOW, R_DEFAULT);
	expect(&blocked, DENY, R_BLOCK);

	k = keys_of(d1.policy_id);
	if (k.lpm4 || k.lpm6 || k.host4 || k.host6 || k.portsets || k.rules || k.names)
		fail_msg("policy %u left behind: %d lpm4, %d lpm6, %d host4, %d host6, "
			 "%d portsets, %d rules, %d names",
			 d1.policy_id, k.lpm4, k.lpm6, k.host4, k.host6, k.portsets, k.rules,
			 k.names);
	k = keys_of(d2.policy_id);
	assert_int_equal(k.host4, 2);
	assert_int_equal(k.lpm4 + k.lpm6 + k.host6, 0);
	assert_int_equal(k.rules, 1);
}

int main(void)
{
	size_t n = ARRAY_SIZE(cases);
	struct CMUnitTest *tests = calloc(n + 1, sizeof(*tests));
	int ret;

	if (!tests)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0); /* notes and cmocka's errors in order */
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){
			.name = cases[i].desc,
			.test_func = run_case,
			.teardown_func = case_teardown,
			.initial_state = (void *)&cases[i],
		};
	tests[n] = (struct CMUnitTest){
		.name = "apply replaces the policy and removes the old one",
		.test_func = test_apply_replaces_policy,
		.teardown_func = case_teardown,
	};
	ret = _cmocka_run_group_tests("datapath verdicts", tests, n + 1, dp_group_setup,
				      dp_group_teardown);
	free(tests);
	return ret;
}
