// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Per-packet verdict cost of the real program, through BPF_PROG_TEST_RUN.
 *
 * The program is loaded into a private pin directory (/sys/fs/bpf/vrbench<pid>)
 * and given, for ifindex 1, policies of 0 to 1,000,000 prefixes: IPv4 /32s
 * spread over 10.0.0.0/8 and IPv6 /128s over 2001:db8::/32, half each, all
 * allowed on 443/tcp under default deny, with no events (log rate 0). Nothing
 * is attached to ifindex 1 (loopback): the policy lives in our own maps only.
 *
 * Per size, family and verdict, two modes:
 *   hot:  one frame run HOT_REPEAT times in the kernel; its average duration.
 *   cold: many frames to distinct destinations, each run once; the mean of
 *         their durations, each of which includes the kernel's timer overhead
 *         (measured on its own with the empty policy: timer_overhead_ns).
 * Every figure is the median, minimum and maximum of several runs. The frames
 * carry no probe mark, so they are counted as real packets would be.
 *
 * Then what connection tracking costs (bpf/conntrack.h), hot, beside the
 * same program's figures without it and an empty program on tc egress.
 *
 * Output: one JSON document on stdout; progress on stderr.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <jansson.h>
#include <linux/bpf.h>
#include "policy.h"
#include "probe.h"
#include "program.h"
#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BENCH_BPFFS "/sys/fs/bpf"
#define BENCH_PREFIX "vrbench"
#define BENCH_IFINDEX 1
#define BENCH_PORT 443
#define HOT_REPEAT 1000000
#define MAX_RUNS 5
#define FRAME_MAX 80

#define TC_ACT_OK 0
#define TC_ACT_SHOT 2

/* Host bits the sets spread over: 10.0.0.0/8, and 2001:db8:XXXX:XXXX:: */
#define SPACE_BITS4 24
#define SPACE_BITS6 32

struct frame {
	uint8_t data[FRAME_MAX];
	uint32_t len;
};

struct config {
	const size_t *sizes;
	size_t nsizes;
	int runs;
	size_t cold_frames;
};

struct stat3 {
	double median, min, max;
};

static const size_t full_sizes[] = { 0, 10, 1000, 100000, 1000000 };

static const struct config full_config = {
	.sizes = full_sizes, .nsizes = 5, .runs = 5, .cold_frames = 100000,
};

static const struct config quick_config = {
	.sizes = full_sizes, .nsizes = 4, .runs = 3, .cold_frames = 20000,
};

static char pin_dir[64];
static bool pin_created;
static struct vr_state st;
static bool st_open;

/* ---- pin directory ---- */

/*
 * Unlinks every pin in @path, then the directory itself. Async-signal-safe
 * (no stdio, no allocation): signal handlers call it. Returns 0 or -errno.
 */
static int remove_dir(const char *path)
{
	char buf[4096] __attribute__((aligned(8)));
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;
	bool unlinked = true;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* from the start again after every change: entries move under a cursor */
	while (unlinked && !ret) {
		ssize_t n;

		unlinked = false;
		if (lseek(fd, 0, SEEK_SET) < 0 || (n = getdents64(fd, buf, sizeof(buf))) < 0) {
			ret = -errno;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);

			off += e->d_reclen;
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (unlinkat(fd, e->d_name, 0)) {
				ret = -errno;
				break;
			}
			unlinked = true;
		}
	}
	close(fd);
	if (!ret && rmdir(path) && errno != ENOENT)
		ret = -errno;
	return ret;
}

/* Safe to call more than once and from any exit path but signal handlers. */
static void cleanup(void)
{
	int ret;

	if (st_open) {
		vr_state_close(&st);
		st_open = false;
	}
	if (!pin_created)
		return;
	ret = remove_dir(pin_dir);
	if (ret)
		fprintf(stderr, "verdict: couldn't remove %s: %s\n", pin_dir, strerror(-ret));
	pin_created = false;
}

/* The descriptors go with the process; the pins would stay. */
static void on_signal(int sig)
{
	if (pin_created)
		remove_dir(pin_dir);
	signal(sig, SIG_DFL);
	raise(sig);
}

static int setup(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGABRT };
	char err[512] = "";
	int ret;

	atexit(cleanup);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], on_signal);
	snprintf(pin_dir, sizeof(pin_dir), BENCH_BPFFS "/" BENCH_PREFIX "%d", (int)getpid());
	pin_created = true; /* from here on, whatever exists of it is ours */
	ret = vr_state_open(&st, pin_dir, VR_OPEN_CHANGE, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "verdict: %s\n", err);
		return ret;
	}
	st_open = true;
	return 0;
}

/* ---- addresses and frames ---- */

static unsigned int space_bits(int family)
{
	return family == 4 ? SPACE_BITS4 : SPACE_BITS6;
}

/* Rules of @family in a policy of @prefixes: half, the odd one to IPv6. */
static size_t family_count(size_t prefixes, int family)
{
	return family == 4 ? prefixes / 2 : prefixes - prefixes / 2;
}

/* Spacing of a set of @n members: even, so every member's offset is even. */
static uint64_t set_stride(int family, size_t n)
{
	return n ? ((1ull << space_bits(family)) / n) & ~1ull : 0;
}

static uint64_t member_offset(int family, size_t n, size_t i)
{
	return i * set_stride(family, n);
}

/* The @j-th of distinct odd offsets scattered over the space: never a member. */
static uint64_t outside_offset(int family, size_t j)
{
	uint64_t half = 1ull << (space_bits(family) - 1);

	return 2 * ((j * 0x9e3779b1ull) & (half - 1)) + 1;
}

static void addr_of(int family, uint64_t offset, struct vr_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == 4) {
		a->addr[0] = 10;
		a->addr[1] = (uint8_t)(offset >> 16);
		a->addr[2] = (uint8_t)(offset >> 8);
		a->addr[3] = (uint8_t)offset;
	} else {
		memcpy(a->addr, "\x20\x01\x0d\xb8", 4);
		a->addr[4] = (uint8_t)(offset >> 24);
		a->addr[5] = (uint8_t)(offset >> 16);
		a->addr[6] = (uint8_t)(offset >> 8);
		a->addr[7] = (uint8_t)offset;
	}
}

/* A TCP SYN to @offset's address, port 443. */
static void frame_to(int family, uint64_t offset, struct frame *f)
{
	struct vr_probe probe = { .proto = VRNET_PROTO_TCP, .port = BENCH_PORT };

	addr_of(family, offset, &probe.dst);
	f->len = (uint32_t)vr_probe_frame(&probe, f->data, sizeof(f->data));
}

/*
 * The @j-th of @count frames: allowed ones go to members of the @n-member set
 * (evenly spread when there are more members than frames, else cycling
 * through all), dropped ones to distinct addresses outside it.
 */
static uint64_t case_offset(int family, size_t n, bool allowed, size_t j, size_t count)
{
	if (!allowed)
		return outside_offset(family, j);
	return member_offset(family, n, n >= count ? j * n / count : j % n);
}

static uint64_t xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Frames in a fixed random order: consecutive runs touch unrelated trie paths. */
static void shuffle(struct frame *f, size_t n)
{
	uint64_t seed = 0x76726e7462656e63ull;

	for (size_t i = n; i > 1; i--) {
		size_t k = (size_t)(xorshift64(&seed) % i);
		struct frame t = f[i - 1];

		f[i - 1] = f[k];
		f[k] = t;
	}
}

/* ---- policies ---- */

static int build_policy(size_t prefixes, struct vr_policy *p)
{
	int ret = 0;

	vr_policy_init(p);
	p->default_action = VRNET_ACTION_DENY;
	p->event_rate = 0;
	for (int family = 4; family <= 6 && !ret; family += 2) {
		size_t n = family_count(prefixes, family);
		struct vr_rule r = {
			.kind = VRNET_RULE_CIDR,
			.family = (uint8_t)family,
			.prefixlen = family == 4 ? 32 : 128,
			.proto = VRNET_PROTO_TCP,
			.port_lo = BENCH_PORT,
			.port_hi = BENCH_PORT,
		};

		for (size_t i = 0; i < n && !ret; i++) {
			struct vr_addr a;

			addr_of(family, member_offset(family, n, i), &a);
			memcpy(r.addr, a.addr, sizeof(r.addr));
			ret = vr_policy_add(p, VRNET_LIST_ALLOW, &r);
		}
	}
	if (ret)
		vr_policy_free(p);
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int apply_size(size_t prefixes)
{
	struct vr_policy p;
	char err[512] = "";
	double t0 = now_s();
	int ret;

	ret = build_policy(prefixes, &p);
	if (ret) {
		fprintf(stderr, "verdict: couldn't build a policy of %zu prefixes: %s\n", prefixes,
			strerror(-ret));
		return ret;
	}
	ret = vr_apply(&st, BENCH_IFINDEX, "lo", &p, NULL, NULL, err, sizeof(err));
	vr_policy_free(&p);
	if (ret) {
		fprintf(stderr, "verdict: apply of %zu prefixes: %s\n", prefixes, err);
		return ret;
	}
	fprintf(stderr, "%zu prefixes: built and applied in %.1f s\n", prefixes, now_s() - t0);
	return 0;
}

/* ---- measurements ---- */

/* Runs @f @repeat times through @prog_fd; @duration gets the kernel's average in ns. */
static int run_prog(int prog_fd, const struct frame *f, uint32_t repeat, int expect,
		    uint32_t *duration)
{
	struct __sk_buff ctx = { .ifindex = BENCH_IFINDEX };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		int ret = -errno;

		fprintf(stderr, "verdict: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
		return ret;
	}
	if ((int)opts.retval != expect) {
		fprintf(stderr, "verdict: the program returned %u, expected %d\n", opts.retval,
			expect);
		return -EPROTO;
	}
	*duration = opts.duration;
	return 0;
}

/* Runs @f @repeat times through the filter. */
static int run_frame(const struct frame *f, uint32_t repeat, int expect, uint32_t *duration)
{
	return run_prog(st.prog_fd, f, repeat, expect, duration);
}

/* Mean duration of @count single runs, cycling through the @nframes of @f. */
static int run_cold(const struct frame *f, size_t nframes, size_t count, int expect,
		    double *ns)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < count; i++) {
		uint32_t d;
		int ret = run_frame(&f[i % nframes], 1, expect, &d);

		if (ret)
			return ret;
		sum += d;
	}
	*ns = (double)sum / (double)count;
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static struct stat3 summarize(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return (struct stat3){ .median = v[n / 2], .min = v[0], .max = v[n - 1] };
}

static int add_result(json_t *results, size_t prefixes, int family, bool allowed,
		      const char *mode, size_t destinations, const struct stat3 *s)
{
	json_t *o = json_pack("{s:I, s:i, s:s, s:s, s:I, s:f, s:f, s:f}",
			      "prefixes", (json_int_t)prefixes, "family", family,
			      "verdict", allowed ? "allowed" : "dropped", "mode", mode,
			      "destinations", (json_int_t)destinations,
			      "ns_median", s->median, "ns_min", s->min, "ns_max", s->max);

	fprintf(stderr, "  %7zu IPv%d %-7s %-4s %8.1f ns (%.1f-%.1f)\n", prefixes, family,
		allowed ? "allowed" : "dropped", mode, s->median, s->min, s->max);
	return o && !json_array_append_new(results, o) ? 0 : -ENOMEM;
}

/* One family and verdict at the current size, hot and cold. */
static int bench_case(const struct config *cfg, size_t prefixes, int family, bool allowed,
		      json_t *results)
{
	size_t n = family_count(prefixes, family), count = cfg->cold_frames;
	int expect = allowed ? TC_ACT_OK : TC_ACT_SHOT;
	double v[MAX_RUNS];
	struct frame *frames;
	struct stat3 s;
	uint32_t d;
	int ret;

	frames = calloc(count, sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	for (size_t j = 0; j < count; j++)
		frame_to(family, case_offset(family, n, allowed, j, count), &frames[j]);
	shuffle(frames, count);

	/* warm-up: the first hit of a rule inserts its counter */
	ret = run_frame(&frames[0], HOT_REPEAT / 100, expect, &d);
	for (int r = 0; r < cfg->runs && !ret; r++) {
		ret = run_frame(&frames[0], HOT_REPEAT, expect, &d);
		v[r] = d;
	}
	if (ret)
		goto out;
	s = summarize(v, cfg->runs);
	ret = add_result(results, prefixes, family, allowed, "hot", 1, &s);
	if (ret)
		goto out;

	ret = run_cold(frames, count, count, expect, &v[0]);
	for (int r = 0; r < cfg->runs && !ret; r++)
		ret = run_cold(frames, count, count, expect, &v[r]);
	if (ret)
		goto out;
	s = summarize(v, cfg->runs);
	ret = add_result(results, prefixes, family, allowed, "cold",
			 allowed && n < count ? n : count, &s);
out:
	free(frames);
	return ret;
}

/*
 * What a single run adds to a cold figure: the mean duration of one frame run
 * once, many times, minus its per-packet cost when repeated in the kernel.
 */
static int timer_overhead(const struct config *cfg, struct stat3 *s)
{
	double v[MAX_RUNS];
	struct frame f;
	int ret;

	frame_to(4, outside_offset(4, 0), &f);
	for (int r = 0; r < cfg->runs; r++) {
		uint32_t hot;
		double single;

		ret = run_frame(&f, HOT_REPEAT, TC_ACT_SHOT, &hot);
		if (!ret)
			ret = run_cold(&f, 1, cfg->cold_frames, TC_ACT_SHOT, &single);
		if (ret)
			return ret;
		v[r] = single - hot;
	}
	*s = summarize(v, cfg->runs);
	fprintf(stderr, "  timer overhead of a single run: %.1f ns (%.1f-%.1f)\n", s->median,
		s->min, s->max);
	return 0;
}

static int bench_size(const struct config *cfg, size_t prefixes, json_t *results,
		      struct stat3 *overhead)
{
	int ret = apply_size(prefixes);

	for (int family = 4; family <= 6 && !ret; family += 2) {
		if (family_count(prefixes, family))
			ret = bench_case(cfg, prefixes, family, true, results);
		if (!ret)
			ret = bench_case(cfg, prefixes, family, false, results);
	}
	if (!ret && !prefixes)
		ret = timer_overhead(cfg, overhead);
	if (vr_device_forget(&st, BENCH_IFINDEX) && !ret) {
		fprintf(stderr, "verdict: couldn't forget ifindex %d\n", BENCH_IFINDEX);
		ret = -EIO;
	}
	return ret;
}

/* ---- connection tracking (bpf/conntrack.h) ---- */

#define TC_ACT_UNSPEC (-1)
#define CT_SANDBOX "192.0.2.1"
/* allow .1:443/tcp and /udp, block .2; events off */
#define CT_POLICY                                                                     \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.1:443/tcp\", \"203.0.113.1:443/udp\"], " \
	"\"block\": [\"203.0.113.2\"], \"log\": {\"rate\": 0}}"

/* An IPv4 TCP (with @flags) or UDP (@proto 17) frame @src:@sport -> @dst:@dport. */
static void l4_frame(uint8_t proto, const char *src, const char *dst, uint16_t sport,
		     uint16_t dport, uint8_t flags, struct frame *f)
{
	struct vr_probe probe = { .proto = proto == 17 ? VRNET_PROTO_UDP : VRNET_PROTO_TCP,
				  .port = dport, .has_src = true };
	uint8_t *l4;

	probe.src.family = probe.dst.family = 4;
	inet_pton(AF_INET, src, probe.src.addr);
	inet_pton(AF_INET, dst, probe.dst.addr);
	f->len = (uint32_t)vr_probe_frame(&probe, f->data, sizeof(f->data));
	l4 = f->data + 14 + 20;
	l4[0] = (uint8_t)(sport >> 8);
	l4[1] = (uint8_t)sport;
	if (proto != 17)
		l4[13] = flags;
}

static void tcp_frame(const char *src, const char *dst, uint16_t sport, uint16_t dport,
		      uint8_t flags, struct frame *f)
{
	l4_frame(6, src, dst, sport, dport, flags, f);
}

/* The floor of the tc egress hook: a program that returns "no verdict" at once. */
static int empty_program(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TC_ACT_UNSPEC },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vrbench_empty", "GPL", insns, 2, NULL);
}

struct ct_case {
	const char *name, *program; /* program: "filter", "inbound" or "empty" */
	uint8_t proto;		    /* 6 or 17 */
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t flags;
	int expect;
};

/*
 * What tracking costs per packet, beside the same program's figure without
 * it in the same run: a reply against a packet a rule allows (the reply is
 * looked up only where the default would drop), a drop by the default (one
 * lookup that misses) against a drop by a block rule (none); a UDP datagram
 * or TCP SYN a rule allows (its flow noted as the sandbox's own) against the
 * TCP packet; on tc egress, the tracking program against an empty one, and a
 * peer's SYN (its note and marks looked up, a connection opened).
 */
static const struct ct_case ct_cases[] = {
	{ "allowed by a rule", "filter", 6, CT_SANDBOX, "203.0.113.1", 40000, 443, 0x10,
	  TC_ACT_OK },
	{ "UDP allowed by a rule (its own flow)", "filter", 17, CT_SANDBOX, "203.0.113.1", 40000,
	  443, 0, TC_ACT_OK },
	{ "TCP SYN allowed by a rule (its connection noted and marked)", "filter", 6, CT_SANDBOX,
	  "203.0.113.1", 40000, 443, 0x02, TC_ACT_OK },
	{ "reply", "filter", 6, CT_SANDBOX, "203.0.113.4", 8080, 50000, 0x10, TC_ACT_OK },
	{ "dropped by a block rule", "filter", 6, CT_SANDBOX, "203.0.113.2", 40000, 443, 0x10,
	  TC_ACT_SHOT },
	{ "dropped by the default (no connection)", "filter", 6, CT_SANDBOX, "203.0.113.3", 40000,
	  443, 0x10, TC_ACT_SHOT },
	{ "into the sandbox, empty program", "empty", 6, "203.0.113.4", CT_SANDBOX, 50000, 8080,
	  0x10, TC_ACT_UNSPEC },
	{ "into the sandbox, no connection", "inbound", 6, "203.0.113.5", CT_SANDBOX, 50000, 8080,
	  0x10, TC_ACT_UNSPEC },
	{ "into the sandbox, a connection", "inbound", 6, "203.0.113.4", CT_SANDBOX, 50000, 8080,
	  0x10, TC_ACT_UNSPEC },
	{ "into the sandbox, a SYN (opens a connection)", "inbound", 6, "203.0.113.7", CT_SANDBOX,
	  50000, 8080, 0x02, TC_ACT_UNSPEC },
};

/* CT_POLICY with an inbound part: in, allow .4:8080/tcp, block .6, default deny */
#define IB_POLICY                                                                     \
	"{\"default\": \"deny\", \"allow\": [\"203.0.113.1:443/tcp\", \"203.0.113.1:443/udp\"], " \
	"\"block\": [\"203.0.113.2\"], \"log\": {\"rate\": 0}, \"inbound\": {\"default\": " \
	"\"deny\", \"allow\": [\"203.0.113.4:8080/tcp\"], \"block\": [\"203.0.113.6\"]}}"

/*
 * What an inbound part costs on tc egress, beside the same program without
 * one ("into the sandbox, no connection") and the empty program in the same
 * run: a packet its rule lets in, a reply to the sandbox's own connection
 * (looked up before the rules), drops by a block rule and by the default.
 */
static const struct ct_case ib_cases[] = {
	{ "inbound part: allowed by a rule", "inbound", 6, "203.0.113.4", CT_SANDBOX, 50000, 8080,
	  0x10, TC_ACT_UNSPEC },
	{ "inbound part: reply to the sandbox's connection", "inbound", 6, "203.0.113.1",
	  CT_SANDBOX, 443, 40001, 0x10, TC_ACT_UNSPEC },
	{ "inbound part: dropped by a block rule", "inbound", 6, "203.0.113.6", CT_SANDBOX, 50000,
	  8080, 0x10, TC_ACT_SHOT },
	{ "inbound part: dropped by the default", "inbound", 6, "203.0.113.5", CT_SANDBOX, 50000,
	  8080, 0x10, TC_ACT_SHOT },
};

/* Runs @cases hot through their programs (@inbound, @empty or the filter) into @results. */
static int run_ct_cases(const struct config *cfg, const struct ct_case *cases, size_t n,
			int inbound, int empty, json_t *results)
{
	struct frame f;
	uint32_t d;
	int ret = 0;

	for (size_t i = 0; !ret && i < n; i++) {
		const struct ct_case *c = &cases[i];
		int fd = !strcmp(c->program, "filter") ? st.prog_fd :
			 !strcmp(c->program, "inbound") ? inbound : empty;
		double v[MAX_RUNS];
		struct stat3 s;
		json_t *o;

		l4_frame(c->proto, c->src, c->dst, c->sport, c->dport, c->flags, &f);
		ret = run_prog(fd, &f, HOT_REPEAT / 100, c->expect, &d);
		for (int r = 0; r < cfg->runs && !ret; r++) {
			ret = run_prog(fd, &f, HOT_REPEAT, c->expect, &d);
			v[r] = d;
		}
		if (ret)
			break;
		s = summarize(v, cfg->runs);
		fprintf(stderr, "  %-48s %-7s %6.1f ns (%.1f-%.1f)\n", c->name, c->program,
			s.median, s.min, s.max);
		o = json_pack("{s:s, s:s, s:f, s:f, s:f}", "case", c->name, "program", c->program,
			      "ns_median", s.median, "ns_min", s.min, "ns_max", s.max);
		if (!o || json_array_append_new(results, o))
			ret = -ENOMEM;
	}
	return ret;
}

static int apply_json(const char *json, char *err, size_t errlen)
{
	struct vr_policy p;
	int ret = vr_policy_parse(json, strlen(json), "bench", &p, err, errlen);

	if (!ret) {
		ret = vr_apply(&st, BENCH_IFINDEX, "lo", &p, NULL, NULL, err, errlen);
		vr_policy_free(&p);
	}
	return ret;
}

static int bench_conntrack(const struct config *cfg, json_t *results)
{
	struct frame f;
	char err[512] = "";
	int inbound = -1, empty = empty_program(), ret;
	uint32_t d;

	ret = apply_json(CT_POLICY, err, sizeof(err));
	if (!ret)
		ret = vr_program_inbound_fd(&st, st.netns_cookie, &inbound);
	if (!ret && empty < 0)
		ret = -errno;
	/* the connection the reply answers: the peer's SYN in, the sandbox's SYN-ACK out */
	if (!ret) {
		tcp_frame("203.0.113.4", CT_SANDBOX, 50000, 8080, 0x02, &f);
		ret = run_prog(inbound, &f, 1, TC_ACT_UNSPEC, &d);
	}
	if (!ret) {
		tcp_frame(CT_SANDBOX, "203.0.113.4", 8080, 50000, 0x12, &f);
		ret = run_frame(&f, 1, TC_ACT_OK, &d);
	}
	fprintf(stderr, "connection tracking (hot):\n");
	if (!ret)
		ret = run_ct_cases(cfg, ct_cases, ARRAY_SIZE(ct_cases), inbound, empty, results);
	/* the inbound part; the sandbox's own connection its reply case answers */
	if (!ret)
		ret = apply_json(IB_POLICY, err, sizeof(err));
	if (!ret) {
		tcp_frame(CT_SANDBOX, "203.0.113.1", 40001, 443, 0x02, &f);
		ret = run_frame(&f, 1, TC_ACT_OK, &d);
	}
	if (!ret)
		ret = run_ct_cases(cfg, ib_cases, ARRAY_SIZE(ib_cases), inbound, empty, results);
	if (ret && *err)
		fprintf(stderr, "verdict: connection tracking: %s\n", err);
	if (inbound >= 0)
		close(inbound);
	if (empty >= 0)
		close(empty);
	if (vr_device_forget(&st, BENCH_IFINDEX) && !ret)
		ret = -EIO;
	return ret;
}

/* ---- output ---- */

static json_t *machine_json(void)
{
	char model[256] = "unknown", line[512];
	struct utsname u;
	FILE *f;

	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		snprintf(model, sizeof(model), "%s", colon + 2);
		model[strcspn(model, "\n")] = '\0';
		break;
	}
	if (f)
		fclose(f);
	uname(&u);
	return json_pack("{s:I, s:s, s:s, s:s}", "nproc",
			 (json_int_t)sysconf(_SC_NPROCESSORS_ONLN), "kernel", u.release,
			 "arch", u.machine, "cpu", model);
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: verdict [--quick]\n"
		"Measures the verdict cost of the vrnet-bpf program (as root); JSON on stdout.\n"
		"  --quick  up to 100,000 prefixes, 3 runs, 20,000 cold frames\n");
}

int main(int argc, char **argv)
{
	const struct config *cfg = &full_config;
	struct stat3 overhead = { 0 };
	json_t *doc, *results, *conntrack;
	double t0 = now_s();
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			cfg = &quick_config;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (geteuid() != 0) {
		fprintf(stderr, "verdict: needs root (BPF)\n");
		return 1;
	}
	if (setup())
		return 1;

	results = json_array();
	if (!results)
		return 1;
	conntrack = json_array();
	if (!conntrack)
		return 1;
	for (size_t i = 0; i < cfg->nsizes && !ret; i++)
		ret = bench_size(cfg, cfg->sizes[i], results, &overhead);
	if (!ret)
		ret = bench_conntrack(cfg, conntrack);
	cleanup();
	if (ret) {
		json_decref(results);
		json_decref(conntrack);
		return 1;
	}

	doc = json_pack("{s:o, s:o, s:o, s:f, s:i, s:I, s:s}", "machine", machine_json(),
			"verdict", results, "conntrack", conntrack,
			"timer_overhead_ns", overhead.median,
			"hot_repeat", HOT_REPEAT, "runs", (json_int_t)cfg->runs,
			"note", "ns per packet from BPF_PROG_TEST_RUN's duration; hot: one frame "
			"repeated in the kernel; cold: distinct destinations, each run once, so "
			"each includes the kernel timer overhead (timer_overhead_ns, measured "
			"with the empty policy); median, min and max over runs");
	if (!doc || json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(6)) ||
	    putchar('\n') == EOF) {
		json_decref(doc);
		return 1;
	}
	json_decref(doc);
	fprintf(stderr, "done in %.0f s\n", now_s() - t0);
	return 0;
}
