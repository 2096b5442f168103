// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netns.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static int cookie_here(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		ret = -errno;
	close(fd);
	return ret;
}

int vr_netns_self(__u64 *cookie, __u64 *inode)
{
	struct stat s;

	if (stat("/proc/self/ns/net", &s))
		return -errno;
	*inode = s.st_ino;
	return cookie_here(cookie);
}

bool vr_netns_named(char *name, size_t len)
{
	struct stat self, other;
	struct dirent *e;
	bool found = false;
	DIR *d;

	if (stat("/proc/self/ns/net", &self) || !(d = opendir("/run/netns")))
		return false;
	while (!found && (e = readdir(d))) {
		char path[300];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		found = !stat(path, &other) && other.st_dev == self.st_dev &&
			other.st_ino == self.st_ino;
		if (found)
			snprintf(name, len, "%s", e->d_name);
	}
	closedir(d);
	return found;
}

int vr_netns_join(const char *spec, char *err, size_t errlen)
{
	char path[4200];
	const char *p = spec;
	int fd, ret = 0;

	while (isdigit((unsigned char)*p))
		p++;
	if (!*spec || strlen(spec) > 4000) {
		snprintf(err, errlen, "no such network namespace: \"%s\"", spec);
		return -EINVAL;
	}
	if (strchr(spec, '/'))
		snprintf(path, sizeof(path), "%s", spec);
	else if (!*p)
		snprintf(path, sizeof(path), "/proc/%s/ns/net", spec);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", spec);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "network namespace %s: %s: %s", spec, path, strerror(errno));
		return ret == -ENOENT ? -EINVAL : ret;
	}
	if (setns(fd, CLONE_NEWNET)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't enter network namespace %s (%s): %s", spec, path,
			 errno == EINVAL ? "not a network namespace" : strerror(errno));
		if (ret == -EINVAL)
			ret = -EINVAL;
	}
	close(fd);
	return ret;
}

/* Enters @path if it is the namespace of @inode and @cookie; 1 entered, 0 not it. */
static int try_enter(const char *path, __u64 cookie, __u64 inode)
{
	struct stat s;
	__u64 c;
	int fd;

	if (stat(path, &s) || s.st_ino != inode)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (setns(fd, CLONE_NEWNET)) {
		close(fd);
		return 0;
	}
	close(fd);
	/* inodes are reused; cookies are not */
	return !cookie_here(&c) && c == cookie;
}

/*
 * Where namespaces were found before, in this process: a command that looks
 * at many devices of a few namespaces walks /proc once per namespace.
 */
static struct {
	__u64 cookie;
	char path[300];
} found[64];
static unsigned int n_found;

static void remember(__u64 cookie, const char *path)
{
	unsigned int i = n_found++ % (sizeof(found) / sizeof(found[0]));

	found[i].cookie = cookie;
	snprintf(found[i].path, sizeof(found[i].path), "%s", path);
}

/* Walks what was found before, /run/netns, then every process; 1 when entered. */
static int find_and_enter(__u64 cookie, __u64 inode, int home)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };

	for (unsigned int i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		if (found[i].cookie != cookie || !found[i].path[0])
			continue;
		if (try_enter(found[i].path, cookie, inode))
			return 1;
		setns(home, CLONE_NEWNET);
	}

	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;

		if (!d)
			continue;
		while ((e = readdir(d))) {
			char path[300];

			if (e->d_name[0] == '.' || (i == 1 && !isdigit((unsigned char)e->d_name[0])))
				continue;
			snprintf(path, sizeof(path), i ? "/proc/%s/ns/net" : "/run/netns/%s",
				 e->d_name);
			if (try_enter(path, cookie, inode)) {
				closedir(d);
				remember(cookie, path);
				return 1;
			}
			setns(home, CLONE_NEWNET); /* a wrong one was entered: back */
		}
		closedir(d);
	}
	return 0;
}

int vr_netns_enter(__u64 cookie, __u64 inode, int *home)
{
	*home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*home < 0)
		return -errno;
	if (find_and_enter(cookie, inode, *home))
		return 0;
	setns(*home, CLONE_NEWNET);
	close(*home);
	*home = -1;
	return -ENOENT;
}

void vr_netns_return(int home)
{
	if (home < 0)
		return;
	setns(home, CLONE_NEWNET);
	close(home);
}

void vr_netns_describe(__u64 inode, char *buf, size_t len)
{
	struct dirent *e;
	DIR *d = opendir("/run/netns");

	snprintf(buf, len, "netns:%llu", (unsigned long long)inode);
	while (d && (e = readdir(d))) {
		char path[300];
		struct stat s;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (!stat(path, &s) && s.st_ino == inode) {
			snprintf(buf, len, "%s", e->d_name);
			break;
		}
	}
	if (d)
		closedir(d);
}
