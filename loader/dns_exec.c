// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `dns` in vrnet-bpf: runs vrnet-bpf-dns, installed beside it, with the same
 * arguments. The DNS proxy parses DNS with ldns, which brings libcrypto:
 * linked into this binary it made every other command start about 3 ms
 * slower (README, Performance: changing one rule). vrnet-bpf-dns is built
 * from the same sources with the proxy (cmd_dns.c) in this file's place.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "log.h"

#define DNS_EXECUTABLE "vrnet-bpf-dns"

int do_dns(int argc, char **argv)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - sizeof(DNS_EXECUTABLE));
	char *slash;

	if (n < 0)
		return fail(VR_EXIT_SYSTEM, "dns: /proc/self/exe: %s", strerror(errno));
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return fail(VR_EXIT_SYSTEM, "dns: no directory in /proc/self/exe: %s", path);
	strcpy(slash + 1, DNS_EXECUTABLE);
	execv(path, cli_argv);
	return fail(VR_EXIT_SYSTEM, "dns: couldn't run %s: %s", path, strerror(errno));
}
