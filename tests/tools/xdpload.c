// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdpload: another XDP program beside vrnet-bpf's, through libxdp, as an
 * operator's xdp-loader would put it there (the kernel matrix's XDP mode
 * checks: detach and --mode tc take only ours off).
 *
 *   xdpload attach DEV OBJ	OBJ's XDP program on DEV (native), through
 *				libxdp's dispatcher
 *   xdpload list DEV		the names of the programs on DEV's XDP hook,
 *				one a line (none: no line)
 *   xdpload ids DEV		the same, each with its program id: "NAME ID"
 *   xdpload detach DEV NAME	the program called NAME off DEV
 *
 * Exit status 0, or 1 on an error.
 */
#include <errno.h>
#include <stdbool.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

/* One program of the hook's: its name, and with @ids its id. */
static void print_prog(const struct xdp_program *prog, bool ids)
{
	if (ids)
		printf("%s %u\n", xdp_program__name(prog), xdp_program__id(prog));
	else
		printf("%s\n", xdp_program__name(prog));
}

static int list(int ifindex, const char *detach, bool ids)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	struct xdp_program *prog;
	int ret = 0;

	if (libxdp_get_error(mp) || !mp)
		return detach ? 1 : 0;
	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		if (prog && !detach)
			print_prog(prog, ids);
		else if (prog && !strcmp(xdp_program__name(prog), detach))
			ret = xdp_multiprog__detach(mp);
	} else {
		for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
		     prog = xdp_multiprog__next_prog(prog, mp)) {
			if (!detach) {
				print_prog(prog, ids);
			} else if (!strcmp(xdp_program__name(prog), detach)) {
				ret = xdp_program__detach(prog, ifindex,
							  xdp_multiprog__attach_mode(mp), 0);
				break;
			}
		}
	}
	xdp_multiprog__close(mp);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct xdp_program *prog;
	int ifindex;

	if (argc < 3 || !(ifindex = (int)if_nametoindex(argv[2]))) {
		fprintf(stderr, "usage: xdpload attach DEV OBJ | list DEV | ids DEV | detach DEV NAME\n");
		return 1;
	}
	if (!strcmp(argv[1], "list") && argc == 3)
		return list(ifindex, NULL, false);
	if (!strcmp(argv[1], "ids") && argc == 3)
		return list(ifindex, NULL, true);
	if (!strcmp(argv[1], "detach") && argc == 4)
		return list(ifindex, argv[3], false);
	if (strcmp(argv[1], "attach") || argc != 4) {
		fprintf(stderr, "usage: xdpload attach DEV OBJ | list DEV | ids DEV | detach DEV NAME\n");
		return 1;
	}
	prog = xdp_program__open_file(argv[3], "xdp", NULL);
	if (libxdp_get_error(prog)) {
		fprintf(stderr, "xdpload: %s: %s\n", argv[3], strerror(errno));
		return 1;
	}
	if (xdp_program__attach(prog, ifindex, XDP_MODE_NATIVE, 0)) {
		fprintf(stderr, "xdpload: attach to %s failed\n", argv[2]);
		return 1;
	}
	printf("%s\n", xdp_program__name(prog));
	xdp_program__close(prog);
	return 0;
}
