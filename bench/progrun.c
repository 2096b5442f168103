// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * progrun: a program's own cost per packet on real traffic (bench/wire.sh).
 *
 *   progrun pass DEV LINK_PIN
 *	Puts the floor on DEV's tc ingress: a program of two instructions
 *	that passes every packet (r0 = TC_ACT_OK; exit), first on the hook as
 *	vrnet-bpf's would be: a tcx link pinned at LINK_PIN where the kernel
 *	has tcx (Linux 6.6), else a cls_bpf filter under a clsact qdisc, which
 *	`tc qdisc del dev DEV clsact` removes. Prints the program's id.
 *
 *   progrun xdp-drop DEV
 *	The floor of a drop on DEV's XDP hook: a program of two instructions
 *	that drops every frame (r0 = XDP_DROP; exit), attached in native mode
 *	(`ip link set dev DEV xdpdrv off` removes it). Prints the program's id.
 *
 *   progrun stats ID...
 *	Turns the kernel's run-time statistics on (BPF_ENABLE_STATS: on for as
 *	long as this process holds the descriptor, off again when it exits, the
 *	sysctl untouched), prints "ready" on stderr, and at SIGTERM or SIGINT
 *	prints each program's runs and run time since then, one JSON line.
 *
 * Exit status 0, or 1 on an error.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

#define MAX_PROGS 8
#define TCX_INGRESS 46 /* not in Debian 12's UAPI headers; the value is ABI */
#define F_BEFORE (1U << 3)

static int usage(void)
{
	fprintf(stderr,
		"usage: progrun pass DEV LINK_PIN | progrun xdp-drop DEV | progrun stats ID...\n");
	return 1;
}

static int load_pass(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vrbench_pass", "GPL", insns, 2, NULL);
}

static int attach_pass(const char *dev, const char *pin)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = F_BEFORE);
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ifindex = (int)if_nametoindex(dev), prog, link;

	if (!ifindex) {
		fprintf(stderr, "progrun: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	prog = load_pass();
	if (prog < 0 || bpf_obj_get_info_by_fd(prog, &info, &len)) {
		fprintf(stderr, "progrun: load: %s\n", strerror(errno));
		return 1;
	}
	link = bpf_link_create(prog, ifindex, (enum bpf_attach_type)TCX_INGRESS, &opts);
	if (link >= 0) {
		if (bpf_obj_pin(link, pin)) {
			fprintf(stderr, "progrun: pin %s: %s\n", pin, strerror(errno));
			return 1;
		}
	} else {
		hook.ifindex = ifindex;
		tc.prog_fd = prog;
		if (bpf_tc_hook_create(&hook) && errno != EEXIST) {
			fprintf(stderr, "progrun: clsact on %s: %s\n", dev, strerror(errno));
			return 1;
		}
		if (bpf_tc_attach(&hook, &tc)) {
			fprintf(stderr, "progrun: attach to %s: %s\n", dev, strerror(errno));
			return 1;
		}
	}
	printf("%u\n", info.id);
	return 0;
}

static int attach_xdp_drop(const char *dev)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int ifindex = (int)if_nametoindex(dev), prog;

	if (!ifindex) {
		fprintf(stderr, "progrun: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	prog = bpf_prog_load(BPF_PROG_TYPE_XDP, "vrbench_drop", "GPL", insns, 2, NULL);
	if (prog < 0 || bpf_obj_get_info_by_fd(prog, &info, &len)) {
		fprintf(stderr, "progrun: load: %s\n", strerror(errno));
		return 1;
	}
	if (bpf_xdp_attach(ifindex, prog, XDP_FLAGS_DRV_MODE, NULL)) {
		fprintf(stderr, "progrun: XDP on %s: %s\n", dev, strerror(errno));
		return 1;
	}
	printf("%u\n", info.id);
	return 0;
}

static int snapshot(int n, const __u32 *ids, __u64 *cnt, __u64 *ns)
{
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			fprintf(stderr, "progrun: program %u: %s\n", ids[i], strerror(errno));
			return -1;
		}
		close(fd);
		cnt[i] = info.run_cnt;
		ns[i] = info.run_time_ns;
	}
	return 0;
}

static int stats(int argc, char **argv)
{
	__u64 cnt0[MAX_PROGS], ns0[MAX_PROGS], cnt[MAX_PROGS], ns[MAX_PROGS];
	union bpf_attr attr = { .enable_stats.type = BPF_STATS_RUN_TIME };
	__u32 ids[MAX_PROGS];
	int n = argc, sig, fd;
	sigset_t set;

	if (n < 1 || n > MAX_PROGS)
		return usage();
	for (int i = 0; i < n; i++)
		ids[i] = (__u32)strtoul(argv[i], NULL, 10);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = (int)syscall(__NR_bpf, BPF_ENABLE_STATS, &attr, sizeof(attr));
	if (fd < 0) {
		fprintf(stderr, "progrun: BPF_ENABLE_STATS: %s\n", strerror(errno));
		return 1;
	}
	if (snapshot(n, ids, cnt0, ns0))
		return 1;
	fprintf(stderr, "ready\n");
	sigwait(&set, &sig);
	if (snapshot(n, ids, cnt, ns))
		return 1;
	printf("{\"programs\": [");
	for (int i = 0; i < n; i++) {
		__u64 runs = cnt[i] - cnt0[i], t = ns[i] - ns0[i];

		printf("%s{\"id\": %u, \"run_cnt\": %llu, \"run_time_ns\": %llu, \"ns_per_run\": %.1f}",
		       i ? ", " : "", ids[i], (unsigned long long)runs, (unsigned long long)t,
		       runs ? (double)t / runs : 0.0);
	}
	printf("]}\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "pass"))
		return attach_pass(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "xdp-drop"))
		return attach_xdp_drop(argv[2]);
	if (argc >= 3 && !strcmp(argv[1], "stats"))
		return stats(argc - 2, argv + 2);
	return usage();
}
