// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/magic.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel.h"
#include "layout.h"
#include "log.h"
#include "netns.h"
#include "state.h"
#include "program.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static bool is_bpffs(const char *path)
{
	struct statfs s;

	return !statfs(path, &s) && s.f_type == BPF_FS_MAGIC;
}

/* The pin directory must sit on bpffs; /sys/fs/bpf is mounted if it is not. */
static int ensure_bpffs(const char *pin_dir, char *err, size_t errlen)
{
	char parent[4096], netns[256];
	char *slash;

	snprintf(parent, sizeof(parent), "%s", pin_dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent) {
		snprintf(err, errlen, "pin directory %s must be inside a bpf filesystem", pin_dir);
		return -EINVAL;
	}
	*slash = '\0';
	if (is_bpffs(parent))
		return 0;
	/* ip netns exec gives /sys a mount of its own: a bpffs mounted there is thrown away */
	if (vr_netns_named(netns, sizeof(netns))) {
		snprintf(err, errlen,
			 "%s is not the host's bpf filesystem here: this runs in network namespace %s under ip netns exec, whose /sys is its own; run vrnet-bpf -n %s ... from the host instead",
			 parent, netns, netns);
		return -EXDEV;
	}
	if (!strcmp(parent, BPFFS_ROOT) && !mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
		return 0;
	snprintf(err, errlen, "%s is not a bpf filesystem (mount -t bpf bpf %s)", parent, parent);
	return -ENOTDIR;
}

int vr_state_pin_path(const struct vr_state *st, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", st->pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* What each pinned map must look like for this build to use it. */
static const struct map_layout {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size, value_size;
	size_t fd_offset;
} map_layouts[] = {
#define LAYOUT(n, t, k, v, fd) { n, t, sizeof(k), sizeof(v), offsetof(struct vr_state, fd) }
	LAYOUT(VRNET_MAP_CONFIG, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_config, config_fd),
	LAYOUT(VRNET_MAP_DEVICES, BPF_MAP_TYPE_HASH, struct vrnet_device_key, __u32, devices_fd),
	LAYOUT(VRNET_MAP_SWITCH, BPF_MAP_TYPE_ARRAY, __u32, __u64, switch_fd),
	LAYOUT(VRNET_MAP_RECORDS, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_record, records_fd),
	LAYOUT(VRNET_MAP_DEVINFO, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_devinfo, devinfo_fd),
	LAYOUT(VRNET_MAP_POLICIES, BPF_MAP_TYPE_HASH, __u32, struct vrnet_policy_info,
	       policies_fd),
	LAYOUT(VRNET_MAP_PROGRAMS, BPF_MAP_TYPE_HASH, __u64, struct vrnet_program, programs_fd),
	LAYOUT(VRNET_MAP_LPM4, BPF_MAP_TYPE_LPM_TRIE, struct vrnet_lpm4_key,
	       struct vrnet_prefix_value, lpm4_fd),
	LAYOUT(VRNET_MAP_LPM6, BPF_MAP_TYPE_LPM_TRIE, struct vrnet_lpm6_key,
	       struct vrnet_prefix_value, lpm6_fd),
	LAYOUT(VRNET_MAP_HOST4, BPF_MAP_TYPE_HASH, struct vrnet_host4_key,
	       struct vrnet_prefix_value, host4_fd),
	LAYOUT(VRNET_MAP_HOST6, BPF_MAP_TYPE_HASH, struct vrnet_host6_key,
	       struct vrnet_prefix_value, host6_fd),
	LAYOUT(VRNET_MAP_PORTSETS, BPF_MAP_TYPE_HASH, struct vrnet_portset_key,
	       struct vrnet_portset, portsets_fd),
	LAYOUT(VRNET_MAP_RULES, BPF_MAP_TYPE_HASH, struct vrnet_chunk_key,
	       struct vrnet_rule_chunk, rules_fd),
	LAYOUT(VRNET_MAP_NAMES, BPF_MAP_TYPE_HASH, struct vrnet_rule_key, struct vrnet_name,
	       names_fd),
	LAYOUT(VRNET_MAP_REMOVED, BPF_MAP_TYPE_HASH, struct vrnet_rule_key, __u8, removed_fd),
	LAYOUT(VRNET_MAP_HOSTADDRS, BPF_MAP_TYPE_HASH, struct vrnet_hostaddr_key, __u8,
	       hostaddrs_fd),
	LAYOUT(VRNET_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct vrnet_stats, stats_fd),
	LAYOUT(VRNET_MAP_LIMITS, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_limiter, limits_fd),
	LAYOUT(VRNET_MAP_QUIET, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct vrnet_quiet, quiet_fd),
	LAYOUT(VRNET_MAP_FLOWS, BPF_MAP_TYPE_LRU_HASH, struct vrnet_flow_key, __u64, flows_fd),
	LAYOUT(VRNET_MAP_RULEHITS, BPF_MAP_TYPE_PERCPU_HASH, struct vrnet_rulehit_key, __u64,
	       rulehits_fd),
	LAYOUT(VRNET_MAP_DNSNETNS, BPF_MAP_TYPE_HASH, __u64, struct vrnet_dnsnetns, dnsnetns_fd),
	/* arrays of each device's own tables (slot_tables.h) */
	LAYOUT(VRNET_MAP_FRAGS, BPF_MAP_TYPE_ARRAY_OF_MAPS, __u32, __u32, frags_fd),
	LAYOUT(VRNET_MAP_CONNS, BPF_MAP_TYPE_ARRAY_OF_MAPS, __u32, __u32, conns_fd),
	LAYOUT(VRNET_MAP_OWNFLOWS, BPF_MAP_TYPE_ARRAY_OF_MAPS, __u32, __u32, ownflows_fd),
	LAYOUT(VRNET_MAP_OWNNOTES, BPF_MAP_TYPE_ARRAY_OF_MAPS, __u32, __u32, ownnotes_fd),
	LAYOUT(VRNET_MAP_BOUND4, BPF_MAP_TYPE_LPM_TRIE, struct vrnet_bound4_key, __u8, bound4_fd),
	LAYOUT(VRNET_MAP_BOUND6, BPF_MAP_TYPE_LPM_TRIE, struct vrnet_bound6_key, __u8, bound6_fd),
	LAYOUT(VRNET_MAP_BINDINGS, BPF_MAP_TYPE_HASH, __u32, struct vrnet_binding_note,
	       bindings_fd),
	LAYOUT(VRNET_MAP_DNSFLOWS, BPF_MAP_TYPE_LRU_HASH, struct vrnet_dnsflow_key,
	       struct vrnet_dnsflow, dnsflows_fd),
	LAYOUT(VRNET_MAP_DNSADDRS, BPF_MAP_TYPE_HASH, struct vrnet_dnsaddr_key,
	       struct vrnet_dnsaddr, dnsaddrs_fd),
	LAYOUT(VRNET_MAP_DNSSTATS, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_dnsstats, dnsstats_fd),
	LAYOUT(VRNET_MAP_DNSRATE, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_limiter, dnsrate_fd),
#undef LAYOUT
	/* a ring buffer has neither key nor value, a queue no key */
	{ VRNET_MAP_EVENTS, BPF_MAP_TYPE_RINGBUF, 0, 0, offsetof(struct vr_state, events_fd) },
	{ VRNET_MAP_DNSLOG, BPF_MAP_TYPE_QUEUE, 0, sizeof(struct vrnet_dns_event),
	  offsetof(struct vr_state, dnslog_fd) },
};

static int open_pinned_path(const char *path, int *fd, char *err, size_t errlen)
{
	int ret;

	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "couldn't open %s: %s", path, strerror(errno));
		return ret;
	}
	return 0;
}

static int open_pinned(struct vr_state *st, const char *name, int *fd, char *err,
		       size_t errlen)
{
	char path[4200];
	int ret = vr_state_pin_path(st, name, path, sizeof(path));

	return ret ? ret : open_pinned_path(path, fd, err, errlen);
}

int vr_state_link_path(const struct vr_state *st, __u64 netns_cookie, int ifindex, char *buf,
		       size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "link_%llu_%d", (unsigned long long)netns_cookie, ifindex);
	return vr_state_pin_path(st, name, buf, len);
}

int vr_state_inbound_link_path(const struct vr_state *st, __u64 netns_cookie, int ifindex,
			       char *buf, size_t len)
{
	char name[64];

	snprintf(name, sizeof(name), "link_%llu_%d_in", (unsigned long long)netns_cookie,
		 ifindex);
	return vr_state_pin_path(st, name, buf, len);
}

/*
 * The namespace cookie a program pin names, "PREFIX_<cookie>" (the devices'
 * XDP program's "PREFIX_<build>_<cookie>"), or one a command cut short
 * left behind with "_new" after it; 0 if @name is none.
 */
static unsigned long long pin_cookie(const char *name)
{
	static const char *const prefixes[] = { VRNET_PROG_PIN "_", VRNET_DNS_PROG_PIN "_",
						VRNET_INBOUND_PROG_PIN "_", VRNET_XDP_PROG_PIN "_",
						VRNET_XDP_DEVICE_PIN "_" };
	unsigned long long cookie;
	char rest[128], *end;
	size_t n, skip;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t plen = strlen(prefixes[i]);

		if (strncmp(name, prefixes[i], plen) ||
		    snprintf(rest, sizeof(rest), "%s", name + plen) >= (int)sizeof(rest))
			continue;
		n = strlen(rest);
		if (n > 4 && !strcmp(rest + n - 4, "_new"))
			rest[n -= 4] = '\0';
		/* the build: 16 hex digits and "_" */
		skip = !strcmp(prefixes[i], VRNET_XDP_DEVICE_PIN "_") ? 17 : 0;
		if (n <= skip || (skip && rest[skip - 1] != '_'))
			return 0;
		errno = 0;
		cookie = strtoull(rest + skip, &end, 10);
		return errno || *end ? 0 : cookie;
	}
	return 0;
}

int vr_state_prune_programs(struct vr_state *st)
{
	struct dirent *e;
	DIR *d;
	int ret = 0;

	d = opendir(st->pin_dir);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long long cookie = pin_cookie(e->d_name);

		if (!cookie || vr_netns_has_devices(st, cookie))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			ret = -errno;
	}
	closedir(d);
	return ret;
}

/* Whether vrnet_config (opened, its sizes checked) says this build checked the maps. */
static bool checked_by_this_build(const struct vr_state *st)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	return !bpf_map_lookup_elem(st->config_fd, &zero, &cfg) &&
	       cfg.checked_build == vr_program_build();
}

/* Notes in vrnet_config that this build found the maps laid out as its own. */
static void note_checked(const struct vr_state *st)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
		return;
	cfg.checked_build = vr_program_build();
	if (bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY))
		vr_debug("couldn't note the maps' layout check: the next command checks again");
}

/*
 * Maps pinned by another build of vrnet-bpf may hold other structures: using
 * them would misread every entry, so they are refused. Their sizes are
 * compared always; their layouts (BTF: this build's object parsed, the pinned
 * maps' BTF loaded, a few milliseconds) unless vrnet_config says this build
 * compared them already, which a change (@note) records after comparing.
 */
static int open_maps(struct vr_state *st, bool note, char *err, size_t errlen)
{
	struct vr_layout_check *check = NULL;
	bool checked = false;
	char why[512];
	int ret = 0;

	for (size_t i = 0; !ret && i < sizeof(map_layouts) / sizeof(map_layouts[0]); i++) {
		const struct map_layout *l = &map_layouts[i];
		int *fd = (int *)((char *)st + l->fd_offset);
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		ret = open_pinned(st, l->name, fd, err, errlen);
		if (ret == -ENOENT) {
			snprintf(err, errlen,
				 "%s/%s is missing: the directory was made by another build of vrnet-bpf, or damaged (detach every device and remove %s)",
				 st->pin_dir, l->name, st->pin_dir);
			ret = -EPROTO;
		}
		if (ret)
			break;
		if (bpf_obj_get_info_by_fd(*fd, &info, &len)) {
			ret = -errno;
			snprintf(err, errlen, "couldn't query %s: %s", l->name, strerror(errno));
			break;
		}
		if (info.type != l->type || info.key_size != l->key_size ||
		    info.value_size != l->value_size) {
			snprintf(why, sizeof(why), "its type or sizes differ");
		} else {
			/* vrnet_config comes first: its note decides for every map */
			if (i == 0)
				checked = checked_by_this_build(st);
			if (checked)
				continue;
			if (!check && !(check = vr_layout_check_open())) {
				snprintf(err, errlen, "couldn't open this build's BPF object");
				ret = -ENOMEM;
				break;
			}
			if (!vr_layout_check_map(check, *fd, l->name, why, sizeof(why)))
				continue;
		}
		snprintf(err, errlen,
			 "%s/%s was made by another build of vrnet-bpf: %s (detach every device and remove %s)",
			 st->pin_dir, l->name, why, st->pin_dir);
		ret = -EPROTO;
	}
	vr_layout_check_close(check);
	if (!ret)
		vr_debug("maps: %s", checked ? "laid out as this build noted, not compared" :
					       "layouts compared with this build's");
	if (!ret && !checked && note) {
		st->new_build = true;
		note_checked(st);
	}
	return ret;
}

/* A mapped array's elements sit 8 bytes apart at least: these sizes keep index = element. */
_Static_assert(sizeof(struct vrnet_devinfo) % 8 == 0, "vrnet_devinfo is mapped as an array");

/* The word array and the device notes, mapped: a switch is one store to memory. */
static int map_arrays(struct vr_state *st, char *err, size_t errlen)
{
	void *words = mmap(NULL, VRNET_MAX_DEVICES * sizeof(__u64), PROT_READ | PROT_WRITE,
			   MAP_SHARED, st->switch_fd, 0);
	void *info;

	if (words == MAP_FAILED) {
		snprintf(err, errlen, "couldn't map %s: %s", VRNET_MAP_SWITCH, strerror(errno));
		return -errno;
	}
	st->switch_words = words;
	info = mmap(NULL, VRNET_MAX_DEVICES * sizeof(struct vrnet_devinfo), PROT_READ, MAP_SHARED,
		    st->devinfo_fd, 0);
	if (info == MAP_FAILED) {
		snprintf(err, errlen, "couldn't map %s: %s", VRNET_MAP_DEVINFO, strerror(errno));
		return -errno;
	}
	st->devinfo = info;
	return 0;
}

static int lock_wait_ms = -1;

void vr_state_lock_wait(int ms)
{
	lock_wait_ms = ms;
}

/* flock(), waiting lock_wait_ms at most: -EWOULDBLOCK when that ran out. */
static int lock_dir(int fd, int how)
{
	struct timespec start, now, pause = { .tv_nsec = 10 * 1000 * 1000 };

	if (lock_wait_ms < 0)
		return flock(fd, how) ? -errno : 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (!flock(fd, how | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    lock_wait_ms)
			return -EWOULDBLOCK;
		nanosleep(&pause, NULL);
	}
}

/* The maps, pinned by libbpf as it loads this namespace's program: pinned too. */
static int create_maps(struct vr_state *st, char *err, size_t errlen)
{
	int fd, ret = vr_program_load(st, st->netns_cookie, &fd, err, errlen);

	if (ret)
		return ret;
	ret = open_maps(st, true, err, errlen);
	if (!ret)
		ret = vr_program_pin(st, st->netns_cookie, fd, err, errlen);
	close(fd);
	return ret;
}

/* Whether @path is still the directory @fd has open. */
static bool same_dir(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int vr_state_open(struct vr_state *st, const char *pin_dir, enum vr_open_mode mode,
		  char *err, size_t errlen)
{
	static int reopened;
	bool created = false, locked = false;
	char path[4200];
	int ret;

	memset(st, 0, sizeof(*st));
	st->dir_fd = st->prog_fd = st->devices_fd = st->switch_fd = st->records_fd = -1;
	st->devinfo_fd = st->policies_fd = st->programs_fd = st->lpm4_fd = st->lpm6_fd = -1;
	st->host4_fd = st->host6_fd = -1;
	st->portsets_fd = st->rules_fd = st->names_fd = st->hostaddrs_fd = -1;
	st->stats_fd = st->config_fd = st->events_fd = st->limits_fd = st->quiet_fd = -1;
	st->flows_fd = st->rulehits_fd = st->dnsnetns_fd = st->dnsflows_fd = -1;
	st->dnsaddrs_fd = st->dnsstats_fd = st->dnslog_fd = st->dnsrate_fd = st->frags_fd = -1;
	st->bound4_fd = st->bound6_fd = st->bindings_fd = st->conns_fd = st->removed_fd = -1;
	st->ownflows_fd = st->ownnotes_fd = -1;
	snprintf(st->pin_dir, sizeof(st->pin_dir), "%s", pin_dir);

	if (mode == VR_OPEN_CHANGE) {
		ret = ensure_bpffs(pin_dir, err, errlen);
		if (ret)
			return ret;
		if (!mkdir(pin_dir, 0700)) {
			created = true;
		} else if (errno != EEXIST) {
			ret = -errno;
			snprintf(err, errlen, "couldn't create %s: %s", pin_dir, strerror(errno));
			return ret;
		}
	}
	st->dir_fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dir_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", pin_dir,
			 errno == ENOENT ? "nothing attached (no pin directory)" : strerror(errno));
		return ret;
	}
	/* Changes are serialised; readers wait for a change to finish. */
	ret = lock_dir(st->dir_fd, mode == VR_OPEN_CHANGE ? LOCK_EX : LOCK_SH);
	locked = !ret;
	if (ret == -EWOULDBLOCK) {
		snprintf(err, errlen,
			 "another vrnet-bpf command holds %s%s (-w SECONDS waits for it)", pin_dir,
			 lock_wait_ms > 0 ? " still" : "");
		goto fail;
	}
	if (ret) {
		snprintf(err, errlen, "couldn't lock %s: %s", pin_dir, strerror(-ret));
		goto fail;
	}
	/*
	 * A first attach that failed removes the directory it made, maybe while
	 * this command waited for its lock: a lock on a removed directory
	 * serialises nothing. Open it again.
	 */
	if (!same_dir(st->dir_fd, pin_dir)) {
		vr_state_close(st);
		if (++reopened > 8) {
			snprintf(err, errlen, "%s keeps being removed and made anew", pin_dir);
			return -EAGAIN;
		}
		return vr_state_open(st, pin_dir, mode, err, errlen);
	}
	reopened = 0;

	ret = vr_netns_self(&st->netns_cookie, &st->netns_inode);
	if (ret) {
		bool present[VR_KERNEL_MAX_FEATURES];

		/* SO_NETNS_COOKIE is in the kernel floor: below it, say that */
		if (!vr_kernel_supported(present, err, errlen))
			snprintf(err, errlen, "couldn't tell this network namespace: %s",
				 strerror(-ret));
		goto fail;
	}
	ret = vr_state_pin_path(st, VRNET_MAP_CONFIG, path, sizeof(path));
	if (ret)
		goto fail;
	if (access(path, F_OK) && mode != VR_OPEN_CHANGE) {
		snprintf(err, errlen, "%s: nothing attached (no maps pinned)", pin_dir);
		ret = -ENOENT;
		goto fail;
	}
	/* maps of another build are refused before a program could be loaded on them */
	if (!access(path, F_OK) && (ret = open_maps(st, mode == VR_OPEN_CHANGE, err, errlen)))
		goto fail;
	/* the first change creates the maps: libbpf pins them as it loads a program */
	if (st->devices_fd < 0 && (ret = create_maps(st, err, errlen)))
		goto fail;
	if ((ret = map_arrays(st, err, errlen)) || (ret = vr_program_open(st, err, errlen)))
		goto fail;
	if (mode == VR_OPEN_CHANGE) {
		size_t repaired;

		ret = vr_recover(st, &repaired);
		if (ret) {
			snprintf(err, errlen, "couldn't finish what an earlier command left: %s",
				 strerror(-ret));
			goto fail;
		}
		if (repaired)
			vr_debug("finished %zu changes an earlier command left half done",
				 repaired);
	}
	return 0;
fail:
	/*
	 * A first attach refused before anything was pinned leaves nothing behind,
	 * but only while it holds the lock: otherwise the directory may be another
	 * first attach's, under way.
	 */
	if (created && locked)
		rmdir(pin_dir);
	vr_state_close(st);
	return ret;
}

void vr_state_close(struct vr_state *st)
{
	int *fds[] = { &st->dir_fd,	  &st->prog_fd,	     &st->devices_fd,  &st->switch_fd,
		       &st->records_fd,	  &st->devinfo_fd,   &st->policies_fd, &st->programs_fd,
		       &st->lpm4_fd,
		       &st->lpm6_fd,	  &st->host4_fd,     &st->host6_fd,    &st->portsets_fd,
		       &st->rules_fd,	  &st->names_fd,     &st->hostaddrs_fd, &st->stats_fd,
		       &st->config_fd,	  &st->events_fd,    &st->limits_fd,   &st->quiet_fd,
		       &st->flows_fd,
		       &st->rulehits_fd,  &st->dnsnetns_fd,  &st->dnsflows_fd, &st->dnsaddrs_fd,
		       &st->dnsstats_fd,  &st->dnslog_fd,   &st->dnsrate_fd,  &st->frags_fd,
		       &st->bound4_fd,	  &st->bound6_fd,    &st->bindings_fd, &st->conns_fd,
		       &st->removed_fd,	  &st->ownflows_fd,  &st->ownnotes_fd };

	if (st->switch_words)
		munmap(st->switch_words, VRNET_MAX_DEVICES * sizeof(__u64));
	if (st->devinfo)
		munmap((void *)st->devinfo, VRNET_MAX_DEVICES * sizeof(struct vrnet_devinfo));
	st->switch_words = NULL;
	st->devinfo = NULL;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

