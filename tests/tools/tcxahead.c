// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * tcxahead: another program on a device's tcx ingress, placed before every
 * other, that passes every packet (TCX_PASS ends the chain): what a careless
 * agent or a hostile host process could put ahead of vrnet-bpf.
 *
 * Usage: tcxahead DEV PIN   (the link is pinned at PIN; unlink it to remove)
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>

#define TCX_INGRESS 46
#define F_BEFORE (1U << 3)

int main(int argc, char **argv)
{
	const struct bpf_insn pass[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = F_BEFORE);
	int prog, link, ifindex;

	if (argc != 3) {
		fprintf(stderr, "usage: tcxahead DEV PIN\n");
		return 2;
	}
	ifindex = (int)if_nametoindex(argv[1]);
	prog = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vr_ahead", "GPL", pass, 2, NULL);
	if (!ifindex || prog < 0) {
		fprintf(stderr, "tcxahead: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	link = bpf_link_create(prog, ifindex, TCX_INGRESS, &opts);
	if (link < 0 || bpf_obj_pin(link, argv[2])) {
		fprintf(stderr, "tcxahead: link: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
