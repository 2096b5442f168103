// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `dns` in vrnet-bpf: runs vrnet-bpf-dns, installed beside it, with the same
 * arguments. The DNS proxy parses DNS with ldns, which brings libcrypto:
 * linked into this binary it made every other command start about 3 ms
 * slower (README, Performance: changing one rule). vrnet-bpf-dns is built
 * from the same sources with the proxy (cmd_dns.c) in this file's place.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "log.h"

#define DNS_EXECUTABLE "vrnet-bpf-dns"

/*
 * Whether @fd (of @path) is a file no one but its owner, root or this user,
 * may write: a root command runs nothing another user could have put there.
 */
static int trusted(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return fail(VR_EXIT_SYSTEM, "dns: %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)))
		return fail(VR_EXIT_SYSTEM,
			    "dns: %s is not a file only root or its owner can write: not run", path);
	return 0;
}

int do_dns(int argc, char **argv)
{
	char path[PATH_MAX];
	size_t room = sizeof(path) - sizeof(DNS_EXECUTABLE);
	ssize_t n = readlink("/proc/self/exe", path, room);
	char *slash;
	int fd, ret;

	if (n < 0)
		return fail(VR_EXIT_SYSTEM, "dns: /proc/self/exe: %s", strerror(errno));
	if ((size_t)n >= room) /* cut short: its last '/' may be a parent's */
		return fail(VR_EXIT_SYSTEM, "dns: the path of this binary is too long");
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return fail(VR_EXIT_SYSTEM, "dns: no directory in /proc/self/exe: %s", path);
	strcpy(slash + 1, DNS_EXECUTABLE);
	/* the file checked is the file run: no name is looked up twice */
	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return fail(VR_EXIT_SYSTEM, "dns: couldn't run %s: %s", path, strerror(errno));
	ret = trusted(fd, path);
	if (!ret) {
		fexecve(fd, cli_argv, environ);
		ret = fail(VR_EXIT_SYSTEM, "dns: couldn't run %s: %s", path, strerror(errno));
	}
	close(fd);
	return ret;
}
