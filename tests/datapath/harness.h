/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Datapath test harness: loads the real program into a private pin directory
 * (/sys/fs/bpf/vrdp<pid>), fills the real maps through the loader for
 * ifindex 1 and runs frames built here through BPF_PROG_TEST_RUN.
 *
 * Ifindex 1 is the loopback device of the test's network namespace: with
 * ctx.ifindex 1 the kernel runs the program on a skb of that device. Nothing
 * is attached to it; the device entry only lives in our own maps.
 *
 * The pin directory is removed on every exit path: the suite's teardown,
 * an atexit handler and fatal signals.
 */
#ifndef VR_TEST_DP_HARNESS_H
#define VR_TEST_DP_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "compile.h"
#include "policy.h"
#include "probe.h"
#include "program.h"
#include "slot_tables.h"
#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define DP_IFINDEX 1
#define DP_BPFFS "/sys/fs/bpf"

/* vr_probe_run() copies the frame back into 256 bytes: longer ones fail. */
#define DP_FRAME_MAX 1600

#define DP_ETH_LEN 14
#define DP_IP4_LEN 20
#define DP_IP6_LEN 40

struct dp_env {
	char pin_dir[64];
	char second[IFNAMSIZ]; /* a veth of ours, when a test made one */
	int frags_table;       /* ifindex 1's fragment table, while frags_table_open */
	int xdp_fd;	       /* the XDP mode's program, once loaded (> 0) */
	bool frags_table_open;
	struct vr_state st;
	bool open;	/* st holds descriptors */
	bool created;	/* pin_dir may exist and must go */
	bool skip;	/* not root: every test skips */
};

static struct dp_env dp;

/* ---- pin directory ---- */

/* Unlinks every pin in @path, then the directory itself. */
static inline void dp_remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (d) {
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (unlinkat(dirfd(d), e->d_name, 0))
				fprintf(stderr, "harness: couldn't unlink %s/%s: %s\n", path,
					e->d_name, strerror(errno));
		}
		closedir(d);
	}
	if (rmdir(path) && errno != ENOENT)
		fprintf(stderr, "harness: couldn't remove %s: %s\n", path, strerror(errno));
}

static inline void dp_remove_pin_dir(void)
{
	if (!dp.created)
		return;
	dp_remove_dir(dp.pin_dir);
	dp.created = false;
}

/*
 * A run killed with SIGKILL cannot clean up: pin directories of this harness
 * (vrdp<pid>) whose process is gone are removed before a new one is made.
 */
static inline void dp_reap_stale(void)
{
	DIR *d = opendir(DP_BPFFS);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char path[sizeof(DP_BPFFS) + 256 + 1];
		char *end;
		long pid;

		if (strncmp(e->d_name, "vrdp", 4) || !e->d_name[4])
			continue;
		pid = strtol(e->d_name + 4, &end, 10);
		if (*end || pid <= 0 || pid == getpid() || !kill((pid_t)pid, 0) || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", DP_BPFFS, e->d_name);
		fprintf(stderr, "harness: removing %s, left by a killed run\n", path);
		dp_remove_dir(path);
		snprintf(path, sizeof(path), "ip link del vrdp%ldb 2>/dev/null", pid);
		if (system(path) == 0)
			fprintf(stderr, "harness: removed vrdp%ldb, left by a killed run\n", pid);
	}
	closedir(d);
}

/* A test that replaced ifindex 1's tables (vr_slot_tables_*(), vr_device_forget()) says so. */
static inline void dp_tables_replaced(void)
{
	if (dp.frags_table_open)
		close(dp.frags_table);
	dp.frags_table_open = false;
}

/**
 * dp_cleanup() - close the state and remove the private pin directory
 *
 * Safe to call more than once and from any exit path.
 */
static inline void dp_cleanup(void)
{
	char cmd[64];

	dp_tables_replaced();
	if (dp.xdp_fd > 0)
		close(dp.xdp_fd);
	dp.xdp_fd = 0;
	if (dp.open) {
		vr_state_close(&dp.st);
		dp.open = false;
	}
	dp_remove_pin_dir();
	if (dp.second[0]) {
		snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", dp.second);
		if (system(cmd) == 0)
			dp.second[0] = 0;
	}
}

/*
 * dp_second_device() - a second device for frames: a veth pair of ours
 * (vrdp<pid>b, vrdp<pid>c), removed by dp_cleanup(). Return: vrdp<pid>b's
 * ifindex.
 */
static inline int dp_second_device(void)
{
	char cmd[96];

	if (!dp.second[0]) {
		snprintf(dp.second, sizeof(dp.second), "vrdp%db", (int)getpid());
		snprintf(cmd, sizeof(cmd), "ip link add %s type veth peer name vrdp%dc", dp.second,
			 (int)getpid());
		assert_int_equal(system(cmd), 0);
	}
	return (int)if_nametoindex(dp.second);
}

static inline void dp_on_signal(int sig)
{
	dp_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* bpffs at /sys/fs/bpf; mounted if it is not (and left mounted: others may use it). */
static inline int dp_ensure_bpffs(void)
{
	struct statfs s;

	if (!statfs(DP_BPFFS, &s) && s.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", DP_BPFFS, "bpf", 0, "mode=0700")) {
		int ret = -errno;

		fprintf(stderr, "harness: couldn't mount bpffs at %s: %s\n", DP_BPFFS,
			strerror(-ret));
		return ret;
	}
	return 0;
}

/**
 * dp_setup() - load the program into a private pin directory
 *
 * Without root every test is to skip: dp.skip is set and 0 returned.
 * Return: 0 or a negative errno (the pin directory is removed again).
 */
static inline int dp_setup(void)
{
	static bool handlers;
	char err[512] = "";
	int ret;

	if (geteuid() != 0) {
		dp.skip = true;
		return 0;
	}
	if (!handlers) {
		static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT };

		atexit(dp_cleanup);
		/* cmocka installs its own while a test runs and restores these */
		for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
			signal(sigs[i], dp_on_signal);
		handlers = true;
	}
	ret = dp_ensure_bpffs();
	if (ret)
		return ret;
	dp_reap_stale();
	snprintf(dp.pin_dir, sizeof(dp.pin_dir), DP_BPFFS "/vrdp%d", (int)getpid());
	dp.created = true; /* from here on, whatever exists of it is ours */
	ret = vr_state_open(&dp.st, dp.pin_dir, VR_OPEN_CHANGE, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "harness: %s\n", err);
		dp_cleanup();
		return ret;
	}
	dp.open = true;
	return 0;
}

static inline int dp_group_setup(void **state)
{
	return dp_setup() ? -1 : 0;
}

static inline int dp_group_teardown(void **state)
{
	dp_cleanup();
	return 0;
}

#define dp_skip_unless_root()                                     \
	do {                                                      \
		if (dp.skip) {                                    \
			print_message("skip: needs root (BPF)\n"); \
			skip();                                   \
		}                                                 \
	} while (0)

/* ---- policies ---- */

struct dp_fake_name {
	const char *name;
	const char *addrs[4];
};

/* Documentation addresses only. */
static const struct dp_fake_name dp_fake_names[] = {
	{ "svc.example", { "198.51.100.10", "198.51.100.11", "2001:db8:5::10" } },
	{ "other.example", { "203.0.113.200" } },
};

/* A vr_resolve_fn over dp_fake_names: never asks DNS. */
static inline int dp_resolve(void *ctx, const char *name, struct vr_addr *out, int max,
			     char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(dp_fake_names); i++) {
		int n;

		if (strcmp(dp_fake_names[i].name, name))
			continue;
		for (n = 0; n < 4 && n < max && dp_fake_names[i].addrs[n]; n++) {
			const char *a = dp_fake_names[i].addrs[n];

			memset(&out[n], 0, sizeof(out[n]));
			out[n].family = strchr(a, ':') ? 6 : 4;
			if (inet_pton(out[n].family == 4 ? AF_INET : AF_INET6, a,
				      out[n].addr) != 1)
				return -EINVAL;
		}
		return n;
	}
	snprintf(err, errlen, "no such name (fake resolver)");
	return -ENOENT;
}

/**
 * dp_apply() - parse a JSON policy and make it ifindex 1's policy
 * @json: the policy as a policy file would hold it
 *
 * Return: 0, or the error of vr_policy_parse()/vr_apply() (printed).
 */
static inline int dp_apply_to(int ifindex, const char *ifname, const char *json)
{
	struct vr_policy p;
	char err[512] = "";
	int ret;

	ret = vr_policy_parse(json, strlen(json), "test-policy", &p, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "harness: policy: %s\n%s\n", err, json);
		return ret;
	}
	ret = vr_apply(&dp.st, ifindex, ifname, &p, dp_resolve, NULL, err, sizeof(err));
	if (ret)
		fprintf(stderr, "harness: apply: %s\n%s\n", err, json);
	vr_policy_free(&p);
	return ret;
}

static inline int dp_apply(const char *json)
{
	return dp_apply_to(DP_IFINDEX, "lo", json);
}

/* ---- frames ---- */

struct dp_frame {
	uint8_t data[DP_FRAME_MAX];
	size_t len;
};

/* Appends @n zeroed bytes and returns them. */
static inline uint8_t *dp_put(struct dp_frame *f, size_t n)
{
	uint8_t *p;

	assert_true(f->len + n <= sizeof(f->data));
	p = f->data + f->len;
	memset(p, 0, n);
	f->len += n;
	return p;
}

static inline void dp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void dp_eth(struct dp_frame *f, uint16_t ethertype)
{
	uint8_t *p = dp_put(f, DP_ETH_LEN);

	memcpy(p, "\x02\x00\x00\x00\x00\x01", 6);
	memcpy(p + 6, "\x02\x00\x00\x00\x00\x02", 6);
	dp_put16(p + 12, ethertype);
}

/* An 802.1Q/802.1ad tag: TCI, then the ethertype of what follows. */
static inline void dp_vlan(struct dp_frame *f, uint16_t vid, uint16_t next)
{
	uint8_t *p = dp_put(f, 4);

	dp_put16(p, vid & 0x0fff);
	dp_put16(p + 2, next);
}

/* PPPoE session header and the PPP protocol (0x0021: IPv4). */
static inline void dp_pppoe(struct dp_frame *f, uint16_t payload_len)
{
	uint8_t *p = dp_put(f, 8);

	p[0] = 0x11; /* version 1, type 1 */
	dp_put16(p + 2, 0x1234); /* session */
	dp_put16(p + 4, (uint16_t)(payload_len + 2));
	dp_put16(p + 6, 0x0021);
}

static inline void dp_arp(struct dp_frame *f, const char *target, uint16_t htype,
			  uint8_t hlen, uint8_t plen, uint16_t op)
{
	uint8_t *p = dp_put(f, 28);

	dp_put16(p, htype ? htype : 1); /* Ethernet */
	dp_put16(p + 2, 0x0800);	 /* IPv4 */
	p[4] = hlen ? hlen : 6;
	p[5] = plen ? plen : 4;
	dp_put16(p + 6, op ? op : 1); /* request */
	memcpy(p + 8, "\x02\x00\x00\x00\x00\x02", 6);
	inet_pton(AF_INET, "192.0.2.1", p + 14);
	assert_int_equal(inet_pton(AF_INET, target, p + 24), 1);
}

/*
 * IPv4 header with @ihl words (options are NOPs; an @ihl below 5 still takes
 * 20 bytes). @frag is the fragment offset in 8-byte units.
 */
static inline size_t dp_ipv4(struct dp_frame *f, const char *dst, uint8_t proto, uint8_t ttl,
			     uint8_t ihl, uint16_t frag, bool more_frags)
{
	size_t off = f->len;
	uint8_t *p = dp_put(f, ihl > 5 ? ihl * 4u : DP_IP4_LEN);

	p[0] = (uint8_t)(0x40 | (ihl & 0x0f));
	dp_put16(p + 6, (uint16_t)((more_frags ? 0x2000 : 0) | (frag & 0x1fff)));
	p[8] = ttl;
	p[9] = proto;
	inet_pton(AF_INET, "192.0.2.1", p + 12);
	assert_int_equal(inet_pton(AF_INET, dst, p + 16), 1);
	for (size_t i = DP_IP4_LEN; i < (size_t)ihl * 4; i++)
		p[i] = 1; /* NOP */
	return off;
}

static inline size_t dp_ipv6(struct dp_frame *f, const char *dst, uint8_t nexthdr,
			     uint8_t hop_limit)
{
	size_t off = f->len;
	uint8_t *p = dp_put(f, DP_IP6_LEN);

	p[0] = 0x60;
	p[6] = nexthdr;
	p[7] = hop_limit;
	inet_pton(AF_INET6, "2001:db8::1", p + 8);
	assert_int_equal(inet_pton(AF_INET6, dst, p + 24), 1);
	return off;
}

/*
 * One 8-byte IPv6 extension header of @type followed by @next. Routing
 * headers get @segs_left; fragment headers @frag (8-byte units), M and @id.
 */
static inline void dp_ipv6_ext(struct dp_frame *f, uint8_t type, uint8_t next,
			       uint8_t segs_left, uint16_t frag, bool more_frags, uint16_t id)
{
	uint8_t *p = dp_put(f, 8);

	p[0] = next;
	switch (type) {
	case 43: /* routing: hdrlen 0, type 4 (segment routing) */
		p[2] = 4;
		p[3] = segs_left;
		break;
	case 44: /* fragment */
		dp_put16(p + 2, (uint16_t)((frag << 3) | (more_frags ? 1 : 0)));
		dp_put16(p + 6, id ? id : 0x2a); /* identification */
		break;
	default: /* hop-by-hop, destination options, mobility: PadN */
		p[2] = 1;
		p[3] = 4;
		break;
	}
}

/* A TCP header with @flags (0: a SYN). */
static inline void dp_tcp(struct dp_frame *f, uint16_t dport, uint8_t flags)
{
	uint8_t *p = dp_put(f, 20);

	dp_put16(p, 40000);
	dp_put16(p + 2, dport);
	p[12] = 5 << 4;
	p[13] = flags ? flags : 0x02;
}

static inline void dp_udp(struct dp_frame *f, uint16_t dport)
{
	uint8_t *p = dp_put(f, 8);

	dp_put16(p, 40000);
	dp_put16(p + 2, dport);
	dp_put16(p + 4, 8);
}

/* ICMP or ICMPv6; neighbour solicitations and adverts carry a target. */
/*
 * An ICMP message of @type, @len bytes (0: the type's usual size: 24 for NS,
 * NA and MLDv1, else 8); @opt: an option of that type, one 8-byte unit, in
 * its last 8 bytes; @records: an MLDv2 report's number of records.
 */
static inline void dp_icmp(struct dp_frame *f, uint8_t type, bool v6, uint16_t len, uint8_t opt,
			   uint16_t records)
{
	bool long_form = v6 && (type == 135 || type == 136 || (type >= 130 && type <= 132));
	size_t n = len ? len : long_form ? 24 : 8;
	uint8_t *p = dp_put(f, n);

	p[0] = type;
	if (opt && n >= 16) {
		p[n - 8] = opt;
		p[n - 7] = 1;
	}
	if (records)
		dp_put16(p + 6, records);
}

/*
 * What follows a later fragment's IP header: bytes that read as ports
 * 40000 -> @dport, so a program that took them for a transport header
 * would match port rules.
 */
static inline void dp_fake_ports(struct dp_frame *f, uint16_t dport)
{
	uint8_t *p = dp_put(f, 8);

	dp_put16(p, 40000);
	dp_put16(p + 2, dport);
}

/* ---- declarative packets ---- */

/* A frame as test tables describe it; dp_build() turns it into bytes. */
struct dp_pkt {
	int family;		/* 4 or 6; 0: no IP header */
	const char *dst;
	uint8_t proto;		/* IP protocol of the transport header */
	uint16_t dport;		/* TCP/UDP */
	uint8_t tcp_flags;	/* 0: SYN */
	uint8_t icmp_type;
	uint8_t ttl;		/* IPv4 TTL / IPv6 hop limit; 0: 64 */
	uint8_t ihl;		/* IPv4 header words; 0: 5 */
	uint8_t ip_opts[40];	/* IPv4 options at the start of the option space (rest NOPs) */
	uint8_t version;	/* != 0: the IP header claims this version */
	uint16_t frag;		/* fragment offset (8-byte units): IPv4 header or IPv6 fragment header */
	bool more_frags;
	uint16_t frag_id;	/* the datagram's id (IPv4 header, IPv6 fragment header); 0: 0x2a */
	uint8_t ext[12];	/* IPv6 extension headers before the transport header */
	int n_ext;
	uint8_t segs_left;	/* of routing headers in ext */
	uint16_t tags[2];	/* TPIDs of VLAN tags before the IP header (0x8100, 0x88a8) */
	bool pppoe;		/* a PPPoE session header before the IP header */
	bool arp;		/* an ARP request (family 0) */
	uint16_t ethertype;	/* family 0 and not ARP: a frame of this ethertype */
	size_t cut;		/* > 0: the frame ends after this many bytes */
	const char *eth_dst;	/* destination MAC, 6 bytes; NULL: broadcast for ARP, else 02:..:01 */
	uint16_t arp_htype;	/* != 0: the ARP header's hardware type (else Ethernet) */
	uint8_t arp_hlen, arp_plen; /* != 0: its address lengths (else 6 and 4) */
	uint16_t arp_op;	/* != 0: its operation (else a request) */
	uint16_t icmp_len;	/* != 0: the ICMP message's length (dp_icmp) */
	uint8_t icmp_opt;	/* != 0: an option of this type ends the message */
	uint16_t mld_records;	/* an MLDv2 report's number of records */
	bool ip_len_set;	/* the IP header claims ip_len (IPv4 total, IPv6 payload length) */
	uint16_t ip_len;
	size_t trailer;		/* bytes after the datagram (Ethernet padding, or smuggled data) */
};

static inline bool dp_is_later_fragment(const struct dp_pkt *p)
{
	if (p->family == 4)
		return p->frag != 0;
	for (int i = 0; i < p->n_ext; i++)
		if (p->ext[i] == 44 && p->frag)
			return true;
	return false;
}

static inline void dp_transport(struct dp_frame *f, const struct dp_pkt *p)
{
	if (dp_is_later_fragment(p)) {
		dp_fake_ports(f, p->dport);
		return;
	}
	switch (p->proto) {
	case 6:
		dp_tcp(f, p->dport, p->tcp_flags);
		break;
	case 17:
		dp_udp(f, p->dport);
		break;
	case 1:
	case 58: /* echo request unless told otherwise */
		dp_icmp(f, p->icmp_type ? p->icmp_type : p->proto == 58 ? 128 : 8,
			p->proto == 58, p->icmp_len, p->icmp_opt,
			p->mld_records);
		break;
	default:
		dp_put(f, 8); /* GRE, SCTP, ...: a payload the program never reads */
		break;
	}
}

/**
 * dp_build() - build the frame @p describes into @f
 */
static inline void dp_build(const struct dp_pkt *p, struct dp_frame *f)
{
	uint16_t l3_type = p->family == 4 ? 0x0800 : p->family == 6 ? 0x86dd : p->ethertype;
	uint8_t ttl = p->ttl ? p->ttl : 64;
	size_t ip;
	int ntags = p->tags[0] ? (p->tags[1] ? 2 : 1) : 0;

	memset(f, 0, sizeof(*f));
	if (p->arp) {
		dp_eth(f, 0x0806);
		memcpy(f->data, p->eth_dst ? p->eth_dst : "\xff\xff\xff\xff\xff\xff", 6);
		dp_arp(f, p->dst ? p->dst : "192.0.2.2", p->arp_htype, p->arp_hlen, p->arp_plen,
		       p->arp_op);
		goto trailer;
	}
	if (p->pppoe) {
		dp_eth(f, 0x8864);
		dp_pppoe(f, 0);
	} else if (ntags) {
		dp_eth(f, p->tags[0]);
		if (ntags == 2)
			dp_vlan(f, 100, p->tags[1]);
		dp_vlan(f, 200, l3_type);
	} else {
		dp_eth(f, p->family ? l3_type : p->ethertype);
	}
	if (!p->family) {
		dp_put(f, 46); /* minimum Ethernet payload */
		goto cut;
	}

	if (p->family == 4) {
		ip = dp_ipv4(f, p->dst, p->proto, ttl, p->ihl ? p->ihl : 5, p->frag,
			     p->more_frags);
		for (size_t i = 0; p->ihl > 5 && i < sizeof(p->ip_opts) &&
				   DP_IP4_LEN + i < (size_t)p->ihl * 4; i++)
			if (p->ip_opts[0])
				f->data[ip + DP_IP4_LEN + i] = p->ip_opts[i];
		dp_transport(f, p);
		dp_put16(f->data + ip + 2, p->ip_len_set ? p->ip_len : (uint16_t)(f->len - ip));
		dp_put16(f->data + ip + 4, p->frag_id ? p->frag_id : 0x2a);
		if (p->version)
			f->data[ip] = (uint8_t)((p->version << 4) | (f->data[ip] & 0x0f));
	} else {
		ip = dp_ipv6(f, p->dst, p->n_ext ? p->ext[0] : p->proto, ttl);
		for (int i = 0; i < p->n_ext; i++)
			dp_ipv6_ext(f, p->ext[i], i + 1 < p->n_ext ? p->ext[i + 1] : p->proto,
				    p->segs_left, p->frag, p->more_frags, p->frag_id);
		dp_transport(f, p);
		dp_put16(f->data + ip + 4,
			 p->ip_len_set ? p->ip_len : (uint16_t)(f->len - ip - DP_IP6_LEN));
		if (p->version)
			f->data[ip] = (uint8_t)((p->version << 4) | (f->data[ip] & 0x0f));
	}
	if (p->pppoe)
		dp_put16(f->data + DP_ETH_LEN + 4, (uint16_t)(f->len - DP_ETH_LEN - 6));
	if (p->eth_dst)
		memcpy(f->data, p->eth_dst, 6);
trailer:
	if (p->trailer)
		memset(dp_put(f, p->trailer), 0xab, p->trailer);
cut:
	if (p->cut && p->cut < f->len)
		f->len = p->cut;
}

/*
 * The tc program's verdicts the XDP program leaves to it: DNS it steers (a
 * redirect, which reads as a drop here) or refuses over the device's rate,
 * and a later fragment with no note of its first one, which tc may not have
 * written yet when XDP sees it.
 */
static inline bool dp_xdp_passes_on(uint32_t reason)
{
	return reason == VRNET_REASON_DNS || reason == VRNET_REASON_DNS_RATE ||
	       reason == VRNET_REASON_FRAGMENT;
}

/*
 * The XDP mode's program on @f, loaded at its first frame. Returns whether
 * it ran: Linux 6.1 and 6.12 refuse to run XDP on a frame shorter than an
 * Ethernet header, which no device gives XDP.
 */
static inline bool dp_run_xdp(const struct dp_frame *f, struct vr_verdict *x)
{
	char err[512] = "";
	int ret;

	if (!dp.xdp_fd && vr_program_load_xdp(&dp.st, dp.st.netns_cookie, true, &dp.xdp_fd, err,
					      sizeof(err)))
		fail_msg("the XDP program did not load: %s", err);
	memset(x, 0, sizeof(*x));
	ret = vr_xdp_probe_run(dp.xdp_fd, DP_IFINDEX, f->data, f->len, x);
	if (ret == -EINVAL && f->len < DP_ETH_LEN)
		return false;
	assert_int_equal(ret, 0);
	return true;
}

/*
 * The XDP program's verdict @x beside the tc program's @tc on the same
 * frame: it drops what the tc program drops, for the same reason and rule,
 * and passes on what the tc program passes, or leaves to it
 * (dp_xdp_passes_on()).
 */
static inline void dp_check_xdp(const struct vr_verdict *x, const struct vr_verdict *tc)
{
	/* offload metadata, which XDP cannot see: it passes the frame on, or drops it for another reason */
	if (!tc->allow && tc->reason == VRNET_REASON_OFFLOAD)
		return;
	if (!tc->allow && dp_xdp_passes_on(tc->reason)) {
		if (!x->allow)
			fail_msg("XDP dropped (%s) what it must leave to the tc program (%s)",
				 vr_reason_text(x->reason), vr_reason_text(tc->reason));
		return;
	}
	if (x->allow) {
		if (!tc->allow)
			fail_msg("XDP passed what the tc program drops (%s)",
				 vr_reason_text(tc->reason));
		return;
	}
	if (tc->allow || x->reason != tc->reason || x->rule_id != tc->rule_id ||
	    x->enforce_allow != tc->enforce_allow)
		fail_msg("XDP dropped (%s, rule %u) what the tc program %s (%s, rule %u)",
			 vr_reason_text(x->reason), x->rule_id, tc->allow ? "passes" : "drops",
			 vr_reason_text(tc->reason), tc->rule_id);
}

/**
 * dp_run() - run a frame through the program as received on ifindex 1
 *
 * Every frame runs through the XDP mode's program too (dp_check_xdp()),
 * first, as a device in XDP mode runs it.
 *
 * Return: 0 or the negative errno of BPF_PROG_TEST_RUN.
 */
static inline int dp_run_gso(const struct dp_frame *f, uint16_t gso_size, struct vr_verdict *v)
{
	struct vr_verdict x;
	bool xdp_ran;
	int ret;

	xdp_ran = dp_run_xdp(f, &x);
	memset(v, 0, sizeof(*v));
	ret = vr_probe_run(dp.st.prog_fd, DP_IFINDEX, f->data, f->len, gso_size, v);
	if (!ret && xdp_ran)
		dp_check_xdp(&x, v);
	return ret;
}

/*
 * ifindex 1's own table in @outer_fd (dp.st.frags_fd or dp.st.conns_fd),
 * for the caller to close; -1 while it has no slot.
 */
static inline int dp_table(int outer_fd)
{
	__u32 slot;
	int fd;

	if (vr_device_find(&dp.st, DP_IFINDEX, &slot))
		return -1;
	fd = vr_slot_table_fd(outer_fd, slot);
	assert_true(fd >= 0);
	return fd;
}

/* Waits for a tick of the notes' judgements (VRNET_CONN_JUDGED_SHIFT) to begin: what follows fits in it. */
static inline void dp_at_start_of_tick(void)
{
	const __u64 tick_ns = 1ull << VRNET_CONN_JUDGED_SHIFT;
	struct timespec ts;
	__u64 now;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts), 0);
	now = (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
	usleep((useconds_t)((tick_ns - now % tick_ns) / 1000 + 10000));
}

/* ifindex 1's vrnet_ownflows marks: set to @o (NULL: none), or read into @o. */
static inline void dp_set_own_flows(const struct vrnet_ownflows *o)
{
	static const struct vrnet_ownflows none;
	int fd = dp_table(dp.st.ownflows_fd);
	__u32 zero = 0;

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &zero, o ? o : &none, BPF_ANY), 0);
	close(fd);
}

static inline void dp_own_flows(struct vrnet_ownflows *o)
{
	int fd = dp_table(dp.st.ownflows_fd);
	__u32 zero = 0;

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, o), 0);
	close(fd);
}

/* Deletes every key of map @fd (keys of at most 128 bytes). */
static inline void dp_delete_keys(int fd)
{
	uint8_t key[128];

	while (!bpf_map_get_next_key(fd, NULL, key))
		assert_int_equal(bpf_map_delete_elem(fd, key), 0);
}

/* Empties ifindex 1's table in @outer_fd. */
static inline void dp_table_clear(int outer_fd)
{
	int fd = dp_table(outer_fd);

	if (fd < 0)
		return;
	dp_delete_keys(fd);
	close(fd);
}

/* Keys of map @fd (key @key_size bytes), walked. */
static inline size_t dp_count_keys(int fd, size_t key_size)
{
	char key[64], next[64];
	void *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		n++;
	}
	return n;
}

/* The flows (vrnet_flow_key) in table @fd, which is closed. */
static inline size_t dp_flow_count(int fd)
{
	size_t n;

	assert_true(fd >= 0);
	n = dp_count_keys(fd, sizeof(struct vrnet_flow_key));
	close(fd);
	return n;
}

/* The one entry, with its key, of ifindex 1's table in @outer_fd (dp.st.conns_fd, ownnotes_fd). */
static inline void dp_the_flow(int outer_fd, struct vrnet_flow_key *key, void *value)
{
	int fd = dp_table(outer_fd);

	assert_int_equal(bpf_map_get_next_key(fd, NULL, key), 0);
	assert_int_equal(bpf_map_lookup_elem(fd, key, value), 0);
	close(fd);
}

/* Entries of every policy map: what the store wrote and did not remove. */
static inline size_t dp_policy_entries(void)
{
	return dp_count_keys(dp.st.lpm4_fd, sizeof(struct vrnet_lpm4_key)) +
	       dp_count_keys(dp.st.lpm6_fd, sizeof(struct vrnet_lpm6_key)) +
	       dp_count_keys(dp.st.host4_fd, sizeof(struct vrnet_host4_key)) +
	       dp_count_keys(dp.st.host6_fd, sizeof(struct vrnet_host6_key)) +
	       dp_count_keys(dp.st.portsets_fd, sizeof(struct vrnet_portset_key)) +
	       dp_count_keys(dp.st.rules_fd, sizeof(struct vrnet_chunk_key)) +
	       dp_count_keys(dp.st.names_fd, sizeof(struct vrnet_rule_key)) +
	       dp_count_keys(dp.st.removed_fd, sizeof(struct vrnet_rule_key)) +
	       dp_count_keys(dp.st.policies_fd, sizeof(__u32));
}

/*
 * Forgets every datagram whose first fragment passed (vrnet_frags), as
 * suites that judge each packet alone do before each. The table stays
 * open: on 6.1 each lookup in an array of maps from user space waits for a
 * grace period (12 ms in the kernel matrix's guest).
 */
static inline void dp_forget_fragments(void)
{
	if (!dp.frags_table_open) {
		dp.frags_table = dp_table(dp.st.frags_fd);
		if (dp.frags_table < 0)
			return; /* no device yet: nothing noted */
		dp.frags_table_open = true;
	}
	dp_delete_keys(dp.frags_table);
}

static inline int dp_run(const struct dp_frame *f, struct vr_verdict *v)
{
	return dp_run_gso(f, 0, v);
}

/* The verdict on a TCP SYN to @dst (IPv@family) port @port. */
static inline struct vr_verdict dp_probe_tcp(int family, const char *dst, uint16_t port)
{
	struct dp_pkt p = { .family = family, .dst = dst, .proto = 6, .dport = port };
	struct dp_frame f;
	struct vr_verdict v;

	dp_build(&p, &f);
	assert_int_equal(dp_run(&f, &v), 0);
	return v;
}

static inline const char *dp_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	default:
		return "proto";
	}
}

/* One line describing @p, for failure messages. */
static inline void dp_pkt_format(const struct dp_pkt *p, char *buf, size_t len)
{
	int n;

	if (p->arp) {
		snprintf(buf, len, "arp");
		return;
	}
	if (!p->family) {
		snprintf(buf, len, "ethertype 0x%04x", p->ethertype);
		return;
	}
	n = snprintf(buf, len, "IPv%d dst %s %s(%u)", p->family, p->dst, dp_proto_name(p->proto),
		     p->proto);
	if (n > 0 && (size_t)n < len && (p->proto == 6 || p->proto == 17))
		n += snprintf(buf + n, len - (size_t)n, " dport %u", p->dport);
	for (int i = 0; i < p->n_ext && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, " ext%u", p->ext[i]);
	if (n > 0 && (size_t)n < len && (p->frag || p->more_frags))
		snprintf(buf + n, len - (size_t)n, " frag %u%s", p->frag,
			 p->more_frags ? "+MF" : "");
}

#endif /* VR_TEST_DP_HARNESS_H */
