// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/magic.h>
#include <linux/membarrier.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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
#include "verifier_log.h"
#include "vrnet_egress.skel.h"

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
			 "%s is not the host's bpf filesystem here: this runs in network namespace %s (ip netns exec?), whose /sys is its own; run vrnet-bpf where the devices' host sides are",
			 parent, netns);
		return -EXDEV;
	}
	if (!strcmp(parent, BPFFS_ROOT) && !mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700"))
		return 0;
	snprintf(err, errlen, "%s is not a bpf filesystem (mount -t bpf bpf %s)", parent, parent);
	return -ENOTDIR;
}

static int pin_path(const struct vr_state *st, const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/%s", st->pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * A load failure names the kernel, the function the verifier rejected and its
 * last word; -v shows the whole log (libbpf prints it).
 */
static void load_error(const char *log, int ret, char *err, size_t errlen)
{
	char summary[512];
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	if (log && log[0])
		vr_log_text(VR_LOG_DEBUG, "the verifier's log", log);
	if (ret == -ENOSPC)
		snprintf(err, errlen,
			 "the verifier of Linux %s rejected the BPF program with more log than %u MiB",
			 u.release, VR_VERIFIER_LOG_SIZE >> 20);
	else if (log && !vr_verifier_summary(log, "vrnet_egress", summary, sizeof(summary)))
		snprintf(err, errlen,
			 "the verifier of Linux %s rejected the BPF program: %s (-v shows its log)",
			 u.release, summary);
	else
		snprintf(err, errlen, "couldn't load the BPF program on Linux %s: %s (run with -v)",
			 u.release, strerror(-ret));
}

static int load_program(struct vr_state *st, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = st->pin_dir);
	struct vrnet_egress *skel;
	bool present[VR_KERNEL_MAX_FEATURES];
	char path[4200], *log;
	int ret;

	ret = vr_kernel_supported(present, err, errlen);
	if (ret)
		return ret;
	skel = vrnet_egress__open_opts(&opts);
	if (!skel) {
		snprintf(err, errlen, "couldn't open the BPF object: %s", strerror(errno));
		return -errno;
	}
	/* libbpf asks for the log only when a load fails, then into this buffer */
	log = calloc(1, VR_VERIFIER_LOG_SIZE);
	if (log)
		bpf_program__set_log_buf(skel->progs.vrnet_egress, log, VR_VERIFIER_LOG_SIZE);
	ret = vrnet_egress__load(skel);
	if (ret) {
		load_error(log, ret, err, errlen);
		goto out;
	}
	ret = pin_path(st, VRNET_PROG_PIN, path, sizeof(path));
	if (!ret)
		ret = bpf_program__pin(skel->progs.vrnet_egress, path);
	/*
	 * vrnet_config is left as it is: maps that outlived the program keep
	 * their policies, and a new id must never collide with one in use.
	 */
	if (ret)
		snprintf(err, errlen, "couldn't pin the program at %s: %s", path, strerror(-ret));
out:
	vrnet_egress__destroy(skel);
	free(log);
	return ret;
}

/* What each pinned map must look like for this build to use it. */
static const struct map_layout {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size, value_size;
	size_t fd_offset;
} map_layouts[] = {
#define LAYOUT(n, t, k, v, fd) { n, t, sizeof(k), sizeof(v), offsetof(struct vr_state, fd) }
	LAYOUT(VRNET_MAP_DEVICES, BPF_MAP_TYPE_HASH, __u32, struct vrnet_device, devices_fd),
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
	LAYOUT(VRNET_MAP_HOSTADDRS, BPF_MAP_TYPE_HASH, struct vrnet_hostaddr_key, __u8,
	       hostaddrs_fd),
	LAYOUT(VRNET_MAP_STATS, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct vrnet_stats, stats_fd),
	LAYOUT(VRNET_MAP_CONFIG, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_config, config_fd),
	LAYOUT(VRNET_MAP_LIMITS, BPF_MAP_TYPE_ARRAY, __u32, struct vrnet_limiter, limits_fd),
	LAYOUT(VRNET_MAP_FLOWS, BPF_MAP_TYPE_LRU_HASH, struct vrnet_flow_key, __u64, flows_fd),
	LAYOUT(VRNET_MAP_RULEHITS, BPF_MAP_TYPE_PERCPU_HASH, struct vrnet_rulehit_key, __u64,
	       rulehits_fd),
#undef LAYOUT
	/* a ring buffer has neither key nor value */
	{ VRNET_MAP_EVENTS, BPF_MAP_TYPE_RINGBUF, 0, 0, offsetof(struct vr_state, events_fd) },
};

static int open_pinned(struct vr_state *st, const char *name, int *fd, char *err,
		       size_t errlen)
{
	char path[4200];
	int ret = pin_path(st, name, path, sizeof(path));

	if (ret)
		return ret;
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "couldn't open %s: %s", path, strerror(errno));
		return ret;
	}
	return 0;
}

/*
 * Maps pinned by another build of vrnet-bpf may hold other structures: using
 * them would misread every entry, so they are refused.
 */
static int open_maps(struct vr_state *st, char *err, size_t errlen)
{
	struct vr_layout_check *check = vr_layout_check_open();
	char why[512];
	int ret = check ? 0 : -ENOMEM;

	if (ret)
		snprintf(err, errlen, "couldn't open this build's BPF object");
	for (size_t i = 0; !ret && i < sizeof(map_layouts) / sizeof(map_layouts[0]); i++) {
		const struct map_layout *l = &map_layouts[i];
		int *fd = (int *)((char *)st + l->fd_offset);
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		ret = open_pinned(st, l->name, fd, err, errlen);
		if (ret)
			break;
		if (bpf_obj_get_info_by_fd(*fd, &info, &len)) {
			ret = -errno;
			snprintf(err, errlen, "couldn't query %s: %s", l->name, strerror(errno));
			break;
		}
		if (info.type != l->type || info.key_size != l->key_size ||
		    info.value_size != l->value_size)
			snprintf(why, sizeof(why), "its type or sizes differ");
		else if (!vr_layout_check_map(check, *fd, l->name, why, sizeof(why)))
			continue;
		snprintf(err, errlen,
			 "%s/%s was made by another build of vrnet-bpf: %s (detach every device and remove %s)",
			 st->pin_dir, l->name, why, st->pin_dir);
		ret = -EPROTO;
	}
	vr_layout_check_close(check);
	return ret;
}

/*
 * Ifindexes mean something only in the network namespace they come from: the
 * first change records its namespace, and a command from any other (ip netns
 * exec, nsenter) is refused before it can read or overwrite a device's state.
 */
static int check_netns(struct vr_state *st, enum vr_open_mode mode, char *err, size_t errlen)
{
	struct vrnet_config cfg;
	__u64 cookie;
	__u32 zero = 0;
	int ret = vr_netns_cookie(&cookie);

	if (ret) {
		snprintf(err, errlen, "couldn't tell this network namespace: %s", strerror(-ret));
		return ret;
	}
	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg)) {
		snprintf(err, errlen, "couldn't read %s: %s", VRNET_MAP_CONFIG, strerror(errno));
		return -errno;
	}
	if (cfg.netns_cookie == cookie)
		return 0;
	if (!cfg.netns_cookie && mode == VR_OPEN_CHANGE) {
		cfg.netns_cookie = cookie;
		if (!bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY))
			return 0;
		snprintf(err, errlen, "couldn't record the network namespace in %s: %s",
			 VRNET_MAP_CONFIG, strerror(errno));
		return -errno;
	}
	if (!cfg.netns_cookie)
		return 0; /* nothing was ever changed: nothing to mistake */
	snprintf(err, errlen,
		 "%s holds the devices of another network namespace than this command's (ip netns exec, nsenter?): run vrnet-bpf in the namespace they were attached from",
		 st->pin_dir);
	return -EXDEV;
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

int vr_state_open(struct vr_state *st, const char *pin_dir, enum vr_open_mode mode,
		  char *err, size_t errlen)
{
	struct bpf_prog_info info = { 0 };
	__u32 info_len = sizeof(info);
	bool created = false, locked = false;
	char path[4200];
	int ret;

	memset(st, 0, sizeof(*st));
	st->dir_fd = st->prog_fd = st->devices_fd = st->lpm4_fd = st->lpm6_fd = -1;
	st->host4_fd = st->host6_fd = -1;
	st->portsets_fd = st->rules_fd = st->names_fd = st->hostaddrs_fd = -1;
	st->stats_fd = st->config_fd = st->events_fd = st->limits_fd = -1;
	st->flows_fd = st->rulehits_fd = -1;
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

	ret = pin_path(st, VRNET_PROG_PIN, path, sizeof(path));
	if (ret)
		goto fail;
	if (access(path, F_OK)) {
		if (mode != VR_OPEN_CHANGE) {
			snprintf(err, errlen, "%s: nothing attached (program not loaded)", pin_dir);
			ret = -ENOENT;
			goto fail;
		}
		ret = load_program(st, err, errlen);
		if (ret)
			goto fail;
	}
	ret = open_pinned(st, VRNET_PROG_PIN, &st->prog_fd, err, errlen);
	if (!ret)
		ret = open_maps(st, err, errlen);
	if (!ret)
		ret = check_netns(st, mode, err, errlen);
	if (ret)
		goto fail;
	if (bpf_obj_get_info_by_fd(st->prog_fd, &info, &info_len)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't query the program: %s", strerror(errno));
		goto fail;
	}
	st->prog_id = info.id;
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
	int *fds[] = { &st->dir_fd,	 &st->prog_fd,	     &st->devices_fd,
		       &st->lpm4_fd,	 &st->lpm6_fd,	     &st->host4_fd,
		       &st->host6_fd,	 &st->portsets_fd,
		       &st->rules_fd,	 &st->names_fd,	     &st->hostaddrs_fd,
		       &st->stats_fd,	 &st->config_fd,     &st->events_fd,
		       &st->limits_fd,	 &st->flows_fd,	     &st->rulehits_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int vr_device_get(struct vr_state *st, int ifindex, struct vrnet_device *dev)
{
	__u32 key = (__u32)ifindex;

	return bpf_map_lookup_elem(st->devices_fd, &key, dev) ? -errno : 0;
}

/* The kernel's ENOTSUPP (524) and its user-space names: no batch operation. */
static bool no_batch_support(int err)
{
	return err == 524 || err == ENOTSUP || err == EOPNOTSUPP;
}

/*
 * Batched map writes: one syscall for many elements (the kernel takes no
 * BPF_NOEXIST in a batch: fresh policy ids are what keeps writes apart).
 * Where the kernel has no batch operation for the map type, nothing was
 * written and the elements go one by one.
 */
static int batch_update_some(int fd, const void *keys, size_t key_size, const void *values,
			     size_t value_size, size_t n, size_t *written)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	const size_t chunk = 65536;
	size_t done = 0;
	int ret = 0;

	while (done < n) {
		__u32 count = (__u32)(n - done < chunk ? n - done : chunk);
		const char *k = (const char *)keys + done * key_size;
		const char *v = (const char *)values + done * value_size;

		if (!bpf_map_update_batch(fd, k, v, &count, &opts)) {
			done += count;
			continue;
		}
		if (!no_batch_support(errno)) {
			ret = -errno;
			done += count; /* written before the one that failed */
			break;
		}
		if (bpf_map_update_elem(fd, k, v, BPF_ANY)) {
			ret = -errno;
			break;
		}
		done++;
	}
	if (written)
		*written = done;
	return ret;
}

static int batch_update(int fd, const void *keys, size_t key_size, const void *values,
			size_t value_size, size_t n)
{
	return batch_update_some(fd, keys, key_size, values, value_size, n, NULL);
}

/* Deletes the keys that exist; a key already gone is not an error. */
static int batch_delete(int fd, const void *keys, size_t key_size, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	for (size_t done = 0; done < n;) {
		__u32 count = (__u32)(n - done);
		const char *k = (const char *)keys + done * key_size;

		if (!bpf_map_delete_batch(fd, k, &count, &opts)) {
			done += count;
		} else if (errno == ENOENT) {
			done += count + 1; /* count went, the next key is not there */
		} else if (no_batch_support(errno)) {
			if (bpf_map_delete_elem(fd, k) && errno != ENOENT)
				return -errno;
			done++;
		} else {
			return -errno;
		}
	}
	return 0;
}

static size_t chunk_count(size_t records)
{
	return (records + VRNET_RULES_PER_CHUNK - 1) / VRNET_RULES_PER_CHUNK;
}

static void lpm4_key(__u32 id, const __u8 *addr, __u8 plen, struct vrnet_lpm4_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + plen;
	k->policy_id = id;
	memcpy(k->addr, addr, 4);
}

static bool is_host(int family, int prefixlen)
{
	return prefixlen == (family == 4 ? 32 : 128);
}

static void host4_key(__u32 id, const __u8 *addr, struct vrnet_host4_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = id;
	memcpy(k->addr, addr, 4);
}

static void host6_key(__u32 id, const __u8 *addr, struct vrnet_host6_key *k)
{
	memset(k, 0, sizeof(*k));
	k->policy_id = id;
	memcpy(k->addr, addr, 16);
}

static void lpm6_key(__u32 id, const __u8 *addr, __u8 plen, struct vrnet_lpm6_key *k)
{
	memset(k, 0, sizeof(*k));
	k->prefixlen = 32 + plen;
	k->policy_id = id;
	memcpy(k->addr, addr, 16);
}

/*
 * Removes everything stored under policy @id: prefixes (from the address
 * records), portsets 0..@portset_count-1, rule records and names.
 * Rule hits are keyed by the device's base policy: @hits_policy, rule ids
 * from @first_rule_id (0 to keep them, for an overlay that is replaced).
 */
static int delete_policy_hits(struct vr_state *st, __u32 id, const struct vrnet_rule *recs,
			      size_t n, __u32 portset_count, __u32 hits_policy,
			      __u32 first_rule_id)
{
	size_t chunks = chunk_count(n);
	struct vrnet_lpm4_key *k4 = calloc(n + 1, sizeof(*k4));
	struct vrnet_lpm6_key *k6 = calloc(n + 1, sizeof(*k6));
	struct vrnet_host4_key *h4 = calloc(n + 1, sizeof(*h4));
	struct vrnet_host6_key *h6 = calloc(n + 1, sizeof(*h6));
	struct vrnet_chunk_key *ck = calloc(chunks + 1, sizeof(*ck));
	struct vrnet_rule_key *nk = calloc(n + 1, sizeof(*nk));
	struct vrnet_rulehit_key *hk = calloc(n + 1, sizeof(*hk));
	struct vrnet_portset_key *pk = calloc(portset_count + 1, sizeof(*pk));
	size_t n4 = 0, n6 = 0, nh4 = 0, nh6 = 0, nn = 0;
	int ret = -ENOMEM;

	if (!k4 || !k6 || !h4 || !h6 || !ck || !nk || !hk || !pk)
		goto out;
	for (size_t i = 0; i < n; i++)
		hk[i] = (struct vrnet_rulehit_key){ .policy_id = hits_policy,
						    .rule_id = first_rule_id + (__u32)i };
	for (size_t i = 0; i < chunks; i++)
		ck[i] = (struct vrnet_chunk_key){ .policy_id = id, .chunk = (__u32)i };
	for (size_t i = 0; i < n; i++) {
		if (recs[i].kind == VRNET_RULE_DOMAIN) {
			nk[nn++] = (struct vrnet_rule_key){ .policy_id = id, .rule_id = (__u32)i };
			continue;
		}
		/* a host address is in the hash or, if that was full, in the trie */
		if (recs[i].family == 4) {
			lpm4_key(id, recs[i].addr, recs[i].prefixlen, &k4[n4++]);
			if (is_host(4, recs[i].prefixlen))
				host4_key(id, recs[i].addr, &h4[nh4++]);
		} else {
			lpm6_key(id, recs[i].addr, recs[i].prefixlen, &k6[n6++]);
			if (is_host(6, recs[i].prefixlen))
				host6_key(id, recs[i].addr, &h6[nh6++]);
		}
	}
	for (__u32 i = 0; i < portset_count; i++)
		pk[i] = (struct vrnet_portset_key){ .policy_id = id, .portset_id = i };

	/* Prefixes first: nothing may point at a portset that is gone. */
	ret = batch_delete(st->host4_fd, h4, sizeof(*h4), nh4);
	if (!ret)
		ret = batch_delete(st->host6_fd, h6, sizeof(*h6), nh6);
	if (!ret)
		ret = batch_delete(st->lpm4_fd, k4, sizeof(*k4), n4);
	if (!ret)
		ret = batch_delete(st->lpm6_fd, k6, sizeof(*k6), n6);
	if (!ret)
		ret = batch_delete(st->portsets_fd, pk, sizeof(*pk), portset_count);
	if (!ret)
		ret = batch_delete(st->rules_fd, ck, sizeof(*ck), chunks);
	if (!ret)
		ret = batch_delete(st->names_fd, nk, sizeof(*nk), nn);
	if (!ret && hits_policy)
		ret = batch_delete(st->rulehits_fd, hk, sizeof(*hk), n);
out:
	free(k4);
	free(k6);
	free(h4);
	free(h6);
	free(ck);
	free(nk);
	free(hk);
	free(pk);
	return ret;
}

/* A base policy: its rule hits go with it. */
static int delete_policy(struct vr_state *st, __u32 id, const struct vrnet_rule *recs,
			 size_t n, __u32 portset_count)
{
	return delete_policy_hits(st, id, recs, n, portset_count, id, 0);
}

/*
 * Host addresses go to the hash of their family; what does not fit (the hash
 * is full host-wide) goes to the trie, which finds them just as well.
 */
static int write_hosts(int host_fd, int lpm_fd, const void *host_keys, size_t host_key_size,
		       const void *lpm_keys, size_t lpm_key_size,
		       const struct vrnet_prefix_value *values, size_t n)
{
	size_t written = 0;
	int ret = batch_update_some(host_fd, host_keys, host_key_size, values, sizeof(*values), n,
				    &written);

	if (ret != -E2BIG && ret != -ENOSPC)
		return ret;
	vr_debug("the host hash is full: %zu host prefixes go to the trie", n - written);
	return batch_update(lpm_fd, (const char *)lpm_keys + written * lpm_key_size,
			    lpm_key_size, values + written, sizeof(*values), n - written);
}

static int write_policy(struct vr_state *st, __u32 id, const struct vr_compiled *c)
{
	size_t n = c->prefix_count + 1, chunks = chunk_count(c->rule_count);
	struct vrnet_chunk_key *ck = calloc(chunks + 1, sizeof(*ck));
	struct vrnet_rule_chunk *cv = calloc(chunks + 1, sizeof(*cv));
	struct vrnet_rule_key *nk = calloc(c->name_count + 1, sizeof(*nk));
	struct vrnet_name *nv = calloc(c->name_count + 1, sizeof(*nv));
	struct vrnet_portset_key *pk = calloc(c->portset_count + 1, sizeof(*pk));
	/* per family: trie keys and values, then host keys (both forms) and values */
	struct vrnet_lpm4_key *k4 = calloc(n, sizeof(*k4)), *hl4 = calloc(n, sizeof(*hl4));
	struct vrnet_lpm6_key *k6 = calloc(n, sizeof(*k6)), *hl6 = calloc(n, sizeof(*hl6));
	struct vrnet_host4_key *h4 = calloc(n, sizeof(*h4));
	struct vrnet_host6_key *h6 = calloc(n, sizeof(*h6));
	struct vrnet_prefix_value *v4 = calloc(n, sizeof(*v4)), *v6 = calloc(n, sizeof(*v6));
	struct vrnet_prefix_value *hv4 = calloc(n, sizeof(*hv4)), *hv6 = calloc(n, sizeof(*hv6));
	size_t i4 = 0, i6 = 0, ih4 = 0, ih6 = 0;
	int ret = -ENOMEM;

	if (!ck || !cv || !nk || !nv || !pk || !k4 || !hl4 || !k6 || !hl6 || !h4 || !h6 ||
	    !v4 || !v6 || !hv4 || !hv6)
		goto out;
	for (size_t i = 0; i < chunks; i++)
		ck[i] = (struct vrnet_chunk_key){ .policy_id = id, .chunk = (__u32)i };
	for (size_t i = 0; i < c->rule_count; i++)
		cv[i / VRNET_RULES_PER_CHUNK].rules[i % VRNET_RULES_PER_CHUNK] = c->rules[i];
	for (size_t i = 0; i < c->name_count; i++) {
		nk[i] = (struct vrnet_rule_key){ .policy_id = id, .rule_id = c->names[i].rule_id };
		memcpy(nv[i].name, c->names[i].name, sizeof(nv[i].name));
	}
	for (size_t i = 0; i < c->portset_count; i++)
		pk[i] = (struct vrnet_portset_key){ .policy_id = id, .portset_id = (__u32)i };
	for (size_t i = 0; i < c->prefix_count; i++) {
		const struct vr_prefix *p = &c->prefixes[i];
		struct vrnet_prefix_value v = { .portset_id = p->portset_id,
						.rule_id = p->rule_id };

		if (p->family == 4 && is_host(4, p->prefixlen)) {
			host4_key(id, p->addr, &h4[ih4]);
			lpm4_key(id, p->addr, p->prefixlen, &hl4[ih4]);
			hv4[ih4++] = v;
		} else if (p->family == 4) {
			lpm4_key(id, p->addr, p->prefixlen, &k4[i4]);
			v4[i4++] = v;
		} else if (is_host(6, p->prefixlen)) {
			host6_key(id, p->addr, &h6[ih6]);
			lpm6_key(id, p->addr, p->prefixlen, &hl6[ih6]);
			hv6[ih6++] = v;
		} else {
			lpm6_key(id, p->addr, p->prefixlen, &k6[i6]);
			v6[i6++] = v;
		}
	}
	ret = batch_update(st->names_fd, nk, sizeof(*nk), nv, sizeof(*nv), c->name_count);
	if (!ret)
		ret = batch_update(st->rules_fd, ck, sizeof(*ck), cv, sizeof(*cv), chunks);
	if (!ret)
		ret = batch_update(st->portsets_fd, pk, sizeof(*pk), c->portsets,
				   sizeof(*c->portsets), c->portset_count);
	if (!ret)
		ret = batch_update(st->lpm4_fd, k4, sizeof(*k4), v4, sizeof(*v4), i4);
	if (!ret)
		ret = batch_update(st->lpm6_fd, k6, sizeof(*k6), v6, sizeof(*v6), i6);
	if (!ret)
		ret = write_hosts(st->host4_fd, st->lpm4_fd, h4, sizeof(*h4), hl4, sizeof(*hl4),
				  hv4, ih4);
	if (!ret)
		ret = write_hosts(st->host6_fd, st->lpm6_fd, h6, sizeof(*h6), hl6, sizeof(*hl6),
				  hv6, ih6);
out:
	free(ck);
	free(cv);
	free(nk);
	free(nv);
	free(pk);
	free(k4);
	free(hl4);
	free(k6);
	free(hl6);
	free(h4);
	free(h6);
	free(v4);
	free(v6);
	free(hv4);
	free(hv6);
	return ret;
}

static bool policy_in_use(struct vr_state *st, __u32 id)
{
	__u32 key, next, *prev = NULL;
	struct vrnet_device dev;

	while (!bpf_map_get_next_key(st->devices_fd, prev, &next)) {
		if (!bpf_map_lookup_elem(st->devices_fd, &next, &dev) &&
		    (dev.policy_id == id || dev.overlay_id == id))
			return true;
		key = next;
		prev = &key;
	}
	return false;
}

/*
 * A fresh policy id: never 0, never one a device uses. Ids only grow, so a
 * device can hold one only after the counter wrapped: only then are the
 * devices scanned (an O(devices) step every attach would be at 1,000 taps).
 */
static int alloc_policy_id(struct vr_state *st, __u32 *id)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
		return -errno;
	do {
		*id = cfg.next_policy_id ? cfg.next_policy_id : 1;
		cfg.next_policy_id = *id + 1;
		if (!cfg.next_policy_id)
			cfg.wrapped = 1;
	} while (cfg.wrapped && policy_in_use(st, *id));
	return bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int vr_device_list(struct vr_state *st, int **ifindexes, size_t *count)
{
	__u32 key, next, *prev = NULL;
	size_t n = 0, cap = 64;
	int *list = malloc(cap * sizeof(*list));

	if (!list)
		return -ENOMEM;
	while (!bpf_map_get_next_key(st->devices_fd, prev, &next)) {
		if (n == cap) {
			int *l = realloc(list, (cap *= 2) * sizeof(*list));

			if (!l) {
				free(list);
				return -ENOMEM;
			}
			list = l;
		}
		list[n++] = (int)next;
		key = next;
		prev = &key;
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: lists are short */
		for (size_t j = i; j > 0 && list[j - 1] > list[j]; j--) {
			int t = list[j];

			list[j] = list[j - 1];
			list[j - 1] = t;
		}
	*ifindexes = list;
	*count = n;
	return 0;
}

/* A device's slot starts afresh: counters and event rate limiter at zero. */
static int reset_slot(struct vr_state *st, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vrnet_stats *zero = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*zero));
	struct vrnet_limiter lim = { 0 };
	int ret;

	if (!zero)
		return -ENOMEM;
	ret = bpf_map_update_elem(st->stats_fd, &slot, zero, BPF_ANY) ? -errno : 0;
	if (!ret && bpf_map_update_elem(st->limits_fd, &slot, &lim, BPF_ANY))
		ret = -errno;
	free(zero);
	return ret;
}

static int alloc_slot(struct vr_state *st, __u32 *slot, char *err, size_t errlen)
{
	static bool used[VRNET_MAX_DEVICES];
	int *list;
	size_t n;
	int ret = vr_device_list(st, &list, &n);

	if (ret)
		return ret;
	memset(used, 0, sizeof(used));
	for (size_t i = 0; i < n; i++) {
		struct vrnet_device d;

		if (!vr_device_get(st, list[i], &d) && d.slot < VRNET_MAX_DEVICES)
			used[d.slot] = true;
	}
	free(list);
	for (__u32 s = 0; s < VRNET_MAX_DEVICES; s++) {
		if (!used[s]) {
			*slot = s;
			return reset_slot(st, s);
		}
	}
	snprintf(err, errlen, "too many devices: the limit is %d per host", VRNET_MAX_DEVICES);
	return -ENOSPC;
}

/*
 * Waits until no program still runs with a device entry read before our
 * update. tc programs run inside RCU read-side sections, and an update of a
 * map-in-map returns only after synchronize_rcu() (the kernel's
 * maybe_wait_bpf_programs()), so one update of a throwaway array-of-maps is a
 * grace period. Without map-in-map, MEMBARRIER_CMD_GLOBAL is the same wait
 * where more than one CPU is online.
 */
static void wait_for_readers(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer = -1;
	__u32 zero = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "vrnet_rcu_in", 4, 4, 1, NULL);
	if (inner >= 0) {
		opts.inner_map_fd = (__u32)inner;
		outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "vrnet_rcu", 4, 4, 1, &opts);
	}
	if (outer < 0 || bpf_map_update_elem(outer, &zero, &inner, BPF_ANY)) {
		if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
			usleep(100000);
	}
	if (outer >= 0)
		close(outer);
	if (inner >= 0)
		close(inner);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int read_records(struct vr_state *st, __u32 id, __u32 n, struct vrnet_rule **out)
{
	struct vrnet_rule *recs = calloc(n + 1, sizeof(*recs));
	struct vrnet_rule_chunk chunk;

	if (!recs)
		return -ENOMEM;
	for (__u32 c = 0; c < chunk_count(n); c++) {
		struct vrnet_chunk_key k = { .policy_id = id, .chunk = c };
		__u32 first = c * VRNET_RULES_PER_CHUNK;
		__u32 count = n - first < VRNET_RULES_PER_CHUNK ? n - first : VRNET_RULES_PER_CHUNK;

		if (bpf_map_lookup_elem(st->rules_fd, &k, &chunk)) {
			int ret = -errno;

			free(recs);
			return ret;
		}
		memcpy(&recs[first], chunk.rules, count * sizeof(chunk.rules[0]));
	}
	*out = recs;
	return 0;
}

/* Deletes the recorded host addresses of @ifindex. */
static int host_addrs_clear(struct vr_state *st, int ifindex)
{
	struct vrnet_hostaddr_key key, next, *prev = NULL, gone[64];
	int n, ret = 0;

	do { /* collect, then delete: deleting while walking restarts the walk */
		n = 0;
		prev = NULL;
		while (n < 64 && !bpf_map_get_next_key(st->hostaddrs_fd, prev, &next)) {
			if (next.ifindex == (__u32)ifindex)
				gone[n++] = next;
			key = next;
			prev = &key;
		}
		for (int i = 0; i < n; i++)
			if (bpf_map_delete_elem(st->hostaddrs_fd, &gone[i]) && errno != ENOENT)
				ret = -errno;
	} while (n == 64 && !ret);
	return ret;
}

/*
 * /proc/net/if_inet6 lists every IPv6 address with its ifindex, one line
 * each: cheaper than getifaddrs(), which dumps every link of the host as well.
 */
int vr_host_addrs_sync(struct vr_state *st, int ifindex)
{
	char line[256], hex[33];
	unsigned int idx, plen, scope, flags;
	__u8 one = 1;
	FILE *f;
	int ret = host_addrs_clear(st, ifindex);

	if (ret)
		return ret;
	f = fopen("/proc/net/if_inet6", "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 on this host */
	while (!ret && fgets(line, sizeof(line), f)) {
		struct vrnet_hostaddr_key key = { .ifindex = (__u32)ifindex };

		if (sscanf(line, "%32s %x %x %x %x", hex, &idx, &plen, &scope, &flags) != 5 ||
		    (int)idx != ifindex || strlen(hex) != 32)
			continue;
		for (int i = 0; i < 16; i++)
			sscanf(hex + 2 * i, "%2hhx", &key.addr[i]);
		if (key.addr[0] == 0xfe && (key.addr[1] & 0xc0) == 0x80)
			continue; /* link-local: exempt anyway */
		if (bpf_map_update_elem(st->hostaddrs_fd, &key, &one, BPF_ANY))
			ret = -errno;
	}
	fclose(f);
	return ret;
}

/* Reads the names of the DOMAIN records of policy @id into @names. */
static int read_names(struct vr_state *st, __u32 id, const struct vrnet_rule *recs, __u32 n,
		      char (*names)[VRNET_MAX_NAME_LEN])
{
	for (__u32 i = 0; i < n; i++) {
		struct vrnet_rule_key k = { .policy_id = id, .rule_id = i };
		struct vrnet_name name;

		if (recs[i].kind != VRNET_RULE_DOMAIN)
			continue;
		if (bpf_map_lookup_elem(st->names_fd, &k, &name))
			return -errno;
		memcpy(names[i], name.name, sizeof(name.name));
		names[i][VRNET_MAX_NAME_LEN - 1] = '\0';
	}
	return 0;
}

/* The records a device's entry references: its base policy's and its overlay's. */
struct device_records {
	struct vrnet_rule *base, *overlay;
};

static int read_device_records(struct vr_state *st, const struct vrnet_device *dev,
			       struct device_records *r)
{
	int ret = read_records(st, dev->policy_id, dev->rule_count, &r->base);

	r->overlay = NULL;
	if (!ret && dev->overlay_id) {
		ret = read_records(st, dev->overlay_id, dev->overlay_rule_count, &r->overlay);
		if (ret)
			free(r->base);
	}
	return ret;
}

static void free_device_records(struct device_records *r)
{
	free(r->base);
	free(r->overlay);
}

/* Deletes the base policy and the overlay of @dev, with every rule's hits. */
static int delete_device_policies(struct vr_state *st, const struct vrnet_device *dev,
				  const struct device_records *r)
{
	int ret = delete_policy(st, dev->policy_id, r->base, dev->rule_count,
				dev->portset_count);

	if (!ret && dev->overlay_id)
		ret = delete_policy_hits(st, dev->overlay_id, r->overlay, dev->overlay_rule_count,
					 dev->overlay_portset_count, dev->policy_id,
					 dev->rule_count);
	return ret;
}

/* Writes @c under a fresh policy id (@id); on error removes what it wrote. */
static int install_compiled(struct vr_state *st, const struct vr_compiled *c, __u32 *id,
			    char *err, size_t errlen)
{
	int ret = alloc_policy_id(st, id);

	if (ret) {
		snprintf(err, errlen, "couldn't allocate a policy id: %s", strerror(-ret));
		return ret;
	}
	ret = write_policy(st, *id, c);
	if (!ret)
		return 0;
	snprintf(err, errlen, "couldn't write the policy into the maps: %s%s", strerror(-ret),
		 ret == -E2BIG || ret == -ENOSPC ? " (host-wide map limit reached)" : "");
	/* A fresh id holds only what this apply wrote. */
	if (delete_policy(st, *id, c->rules, c->rule_count, (__u32)c->portset_count))
		vr_warn("couldn't remove the partly written policy %u (run gc)", *id);
	return ret == -EINVAL ? -EIO : ret; /* the kernel's refusal, not bad input */
}

int vr_apply(struct vr_state *st, int ifindex, const char *ifname,
	     const struct vr_policy *p, vr_resolve_fn resolve, void *resolve_ctx,
	     char *err, size_t errlen)
{
	struct vrnet_device dev = { 0 }, old;
	struct device_records old_recs = { 0 };
	struct vr_compiled c;
	struct timespec now;
	__u32 key = (__u32)ifindex, id = 0;
	double t0 = now_ms(), t1, t2, t3, t4, t_switch;
	bool existed;
	int ret;

	ret = vr_compile(p, resolve, resolve_ctx, &c, err, errlen);
	if (ret)
		return ret;
	t1 = now_ms();

	ret = vr_host_addrs_sync(st, ifindex);
	if (ret)
		vr_warn("couldn't record the host's IPv6 addresses on %s: %s", ifname,
			strerror(-ret));
	existed = !vr_device_get(st, ifindex, &old);
	if (existed) {
		dev = old;
		ret = read_device_records(st, &old, &old_recs);
		if (ret) {
			snprintf(err, errlen, "couldn't read the current policy: %s", strerror(-ret));
			goto out;
		}
	} else {
		ret = alloc_slot(st, &dev.slot, err, errlen);
		if (ret) {
			if (ret != -ENOSPC)
				snprintf(err, errlen, "couldn't set up counters: %s", strerror(-ret));
			goto out;
		}
		snprintf(dev.ifname, sizeof(dev.ifname), "%s", ifname);
	}

	t2 = now_ms();
	ret = install_compiled(st, &c, &id, err, errlen);
	t3 = now_ms();
	if (ret)
		goto out;

	clock_gettime(CLOCK_REALTIME, &now);
	dev.policy_id = id;
	dev.default_action = p->default_action;
	dev.mode = p->mode;
	dev.log_allowed = p->log_allowed;
	dev.event_rate = p->event_rate;
	dev.event_burst = p->event_burst;
	dev.event_interval_ns = p->event_rate ? 1000000000ull / p->event_rate : 0;
	dev.event_tolerance_ns = dev.event_interval_ns * (p->event_burst - 1);
	dev.rule_count = (__u32)c.rule_count;
	dev.portset_count = (__u32)c.portset_count;
	dev.dns_count = c.dns_count;
	dev.source_rules = (__u32)vr_policy_rule_count(p);
	dev.overlay_source_rules = 0;
	dev.overlay_id = 0; /* the new base has every rule */
	dev.overlay_rule_count = 0;
	dev.overlay_portset_count = 0;
	dev.applied_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;

	/* The switch: one element update, seen whole or not at all. */
	if (bpf_map_update_elem(st->devices_fd, &key, &dev, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't switch the device to the new policy: %s",
			 errno == E2BIG ? "too many devices" : strerror(errno));
		delete_policy(st, id, c.rules, c.rule_count, (__u32)c.portset_count);
		goto out;
	}
	t_switch = now_ms();
	if (existed) {
		wait_for_readers();
		ret = delete_device_policies(st, &old, &old_recs);
		if (ret) /* the new policy is in force; `gc` sweeps what is left */
			vr_warn("couldn't remove the previous policy %u: %s (run gc)",
				old.policy_id, strerror(-ret));
		ret = 0;
	}
	t4 = now_ms();
	vr_debug("apply: compile %.1f ms, read old %.1f ms, write %.1f ms, switch and remove old %.1f ms (%zu records, %zu prefixes, %zu portsets)",
		 t1 - t0, t2 - t1, t3 - t2, t4 - t3, c.rule_count, c.prefix_count,
		 c.portset_count);
	/* for benchmarks: when packets saw the new policy, when the command was done */
	vr_debug("apply: visible_ms=%.3f done_ms=%.3f", t_switch - t0, t4 - t0);
out:
	free_device_records(&old_recs);
	vr_compiled_free(&c);
	return ret;
}

int vr_device_policy_addresses(const struct vr_device_policy *dp, const char *name,
			       struct vr_addr *out, int max)
{
	for (uint32_t i = 0; dp && i < dp->count; i++) {
		int n = 0;

		if (dp->rules[i].kind != VRNET_RULE_DOMAIN || strcmp(dp->names[i], name))
			continue;
		for (uint32_t k = i + 1; k < dp->count && n < max &&
					 dp->rules[k].kind == VRNET_RULE_RESOLVED;
		     k++) {
			out[n].family = dp->rules[k].family;
			memcpy(out[n].addr, dp->rules[k].addr, 16);
			n++;
		}
		return n;
	}
	return -ENOENT;
}

/* Names the overlay has keep their addresses; new ones go to @next. */
struct overlay_resolver {
	const struct vr_device_policy *overlay;
	vr_resolve_fn next;
	void *next_ctx;
};

static int resolve_overlay(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			   size_t errlen)
{
	const struct overlay_resolver *r = ctx;
	int n = vr_device_policy_addresses(r->overlay, name, out, max);

	if (n != -ENOENT)
		return n;
	if (!r->next) {
		snprintf(err, errlen, "domain rules need a resolver");
		return -EINVAL;
	}
	return r->next(r->next_ctx, name, out, max, err, errlen);
}

int vr_edit_add(struct vr_state *st, int ifindex, int list, const struct vr_rule *rules,
		size_t n, vr_resolve_fn resolve, void *resolve_ctx, char *err, size_t errlen)
{
	struct vrnet_rule *old_recs = NULL;
	struct vrnet_device dev, next;
	struct vr_device_policy ov = { 0 };
	struct vr_policy p;
	struct vr_compiled c = { 0 };
	__u32 key = (__u32)ifindex, id;
	double t0 = now_ms();
	int ret;

	ret = vr_device_get(st, ifindex, &dev);
	if (ret)
		return ret;
	next = dev;
	/* the overlay as a policy of its own: its records and names only */
	if (dev.overlay_id) {
		ret = read_records(st, dev.overlay_id, dev.overlay_rule_count, &old_recs);
		if (ret)
			return ret;
		ov.dev = dev;
		ov.count = dev.overlay_rule_count;
		ov.rules = old_recs;
		ov.names = calloc(ov.count + 1, sizeof(*ov.names));
		if (!ov.names) {
			ret = -ENOMEM;
			goto out;
		}
		ret = read_names(st, dev.overlay_id, old_recs, ov.count, ov.names);
		if (ret)
			goto out;
	}
	ret = vr_device_policy_to_policy(&ov, &p);
	if (ret)
		goto out;
	for (size_t i = 0; !ret && i < n; i++)
		ret = vr_policy_add(&p, list, &rules[i]);
	if (!ret && vr_policy_rule_count(&p) > VRNET_MAX_OVERLAY_RULES)
		ret = -EAGAIN;
	next.overlay_source_rules = (__u32)vr_policy_rule_count(&p);
	if (!ret) {
		struct overlay_resolver r = { .overlay = &ov, .next = resolve,
					      .next_ctx = resolve_ctx };

		ret = vr_compile_from(&p, dev.rule_count, resolve_overlay, &r, &c, err, errlen);
	}
	vr_policy_free(&p);
	if (ret)
		goto out;
	ret = install_compiled(st, &c, &id, err, errlen);
	if (ret)
		goto out;

	next.overlay_id = id;
	next.overlay_rule_count = (__u32)c.rule_count;
	next.overlay_portset_count = (__u32)c.portset_count;
	/* The switch: one element update, as for an apply. */
	if (bpf_map_update_elem(st->devices_fd, &key, &next, BPF_EXIST)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't switch the device to the new rules: %s",
			 strerror(errno));
		delete_policy(st, id, c.rules, c.rule_count, (__u32)c.portset_count);
		goto out;
	}
	vr_debug("apply: visible_ms=%.3f (overlay of %zu records)", now_ms() - t0, c.rule_count);
	if (dev.overlay_id) {
		wait_for_readers();
		/* the rules keep their ids in the new overlay, and so their hits */
		if (delete_policy_hits(st, dev.overlay_id, old_recs, dev.overlay_rule_count,
				       dev.overlay_portset_count, 0, 0))
			vr_warn("couldn't remove the previous overlay %u (run gc)", dev.overlay_id);
	}
out:
	vr_compiled_free(&c);
	free(old_recs);
	free(ov.names);
	return ret;
}

static int update_device(struct vr_state *st, int ifindex, const struct vrnet_device *dev)
{
	__u32 key = (__u32)ifindex;

	return bpf_map_update_elem(st->devices_fd, &key, dev, BPF_EXIST) ? -errno : 0;
}

int vr_set_internet(struct vr_state *st, int ifindex, int internet)
{
	struct vrnet_device dev;
	int ret = vr_device_get(st, ifindex, &dev);

	if (ret)
		return ret;
	dev.internet = (__u8)internet;
	return update_device(st, ifindex, &dev);
}

int vr_set_created_qdisc(struct vr_state *st, int ifindex, bool created)
{
	struct vrnet_device dev;
	int ret = vr_device_get(st, ifindex, &dev);

	if (ret)
		return ret;
	dev.created_qdisc = created;
	return update_device(st, ifindex, &dev);
}

int vr_device_forget(struct vr_state *st, int ifindex)
{
	struct vrnet_device dev;
	struct device_records recs = { 0 };
	__u32 key = (__u32)ifindex;
	int ret = vr_device_get(st, ifindex, &dev);

	if (ret)
		return ret;
	ret = read_device_records(st, &dev, &recs);
	if (ret)
		return ret;
	if (bpf_map_delete_elem(st->devices_fd, &key) && errno != ENOENT) {
		ret = -errno;
		goto out;
	}
	/*
	 * No grace period: the device is detached or gone, so a packet still in
	 * the program when its policy goes is one the device would pass anyway
	 * without vrnet-bpf. (An apply waits: there the old policy must hold.)
	 */
	ret = delete_device_policies(st, &dev, &recs);
	if (!ret)
		ret = reset_slot(st, dev.slot);
	if (!ret)
		ret = host_addrs_clear(st, ifindex);
out:
	free_device_records(&recs);
	return ret;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return (x > y) - (x < y);
}

/*
 * Deletes every key of @fd whose policy id (at @id_offset in the key) no
 * device uses. Keys are collected first: deleting while walking a hash map
 * restarts the walk.
 */
static int sweep_map(int fd, size_t key_size, size_t id_offset, const __u32 *used,
		     size_t n_used, size_t *swept)
{
	size_t n = 0, cap = 0;
	char *orphans = NULL, key[64], next[64];
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		__u32 id;

		memcpy(&id, next + id_offset, sizeof(id));
		if (!bsearch(&id, used, n_used, sizeof(*used), cmp_u32)) {
			if (n == cap) {
				char *o = realloc(orphans, (cap = cap ? cap * 2 : 1024) * key_size);

				if (!o) {
					free(orphans);
					return -ENOMEM;
				}
				orphans = o;
			}
			memcpy(orphans + n++ * key_size, next, key_size);
		}
		memcpy(key, next, key_size);
		prev = key;
	}
	ret = batch_delete(fd, orphans, key_size, n);
	free(orphans);
	*swept += n;
	return ret;
}

int vr_sweep(struct vr_state *st, size_t *swept)
{
	__u32 *used;
	size_t n_used = 0;
	int *list, ret;
	size_t n;

	*swept = 0;
	ret = vr_device_list(st, &list, &n);
	if (ret)
		return ret;
	used = calloc(2 * n + 1, sizeof(*used));
	if (!used) {
		free(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct vrnet_device dev;

		if (vr_device_get(st, list[i], &dev))
			continue;
		used[n_used++] = dev.policy_id;
		if (dev.overlay_id)
			used[n_used++] = dev.overlay_id;
	}
	free(list);
	if (n_used)
		qsort(used, n_used, sizeof(*used), cmp_u32);

	ret = sweep_map(st->host4_fd, sizeof(struct vrnet_host4_key),
			offsetof(struct vrnet_host4_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->host6_fd, sizeof(struct vrnet_host6_key),
				offsetof(struct vrnet_host6_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->lpm4_fd, sizeof(struct vrnet_lpm4_key),
			offsetof(struct vrnet_lpm4_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->lpm6_fd, sizeof(struct vrnet_lpm6_key),
				offsetof(struct vrnet_lpm6_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->portsets_fd, sizeof(struct vrnet_portset_key),
				offsetof(struct vrnet_portset_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->rules_fd, sizeof(struct vrnet_chunk_key),
				offsetof(struct vrnet_chunk_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->names_fd, sizeof(struct vrnet_rule_key),
				offsetof(struct vrnet_rule_key, policy_id), used, n_used, swept);
	if (!ret)
		ret = sweep_map(st->rulehits_fd, sizeof(struct vrnet_rulehit_key),
				offsetof(struct vrnet_rulehit_key, policy_id), used, n_used, swept);
	free(used);
	return ret;
}

int vr_gc(struct vr_state *st)
{
	int *list, forgotten = 0;
	size_t n;
	int ret = vr_device_list(st, &list, &n);

	if (ret)
		return ret;
	for (size_t i = 0; i < n; i++) {
		char name[IF_NAMESIZE];

		if (if_indextoname((unsigned int)list[i], name))
			continue;
		ret = vr_device_forget(st, list[i]);
		if (ret && ret != -ENOENT)
			break;
		vr_debug("forgot device with ifindex %d: it no longer exists", list[i]);
		forgotten++;
		ret = 0;
	}
	free(list);
	return ret ? ret : forgotten;
}

/*
 * The base policy's records, then the overlay's: the overlay's rule ids
 * continue after the base's, so index = rule id throughout.
 */
int vr_device_policy_read(struct vr_state *st, int ifindex, struct vr_device_policy *dp)
{
	struct device_records r;
	__u32 n, m;
	int ret;

	memset(dp, 0, sizeof(*dp));
	ret = vr_device_get(st, ifindex, &dp->dev);
	if (ret)
		return ret;
	ret = read_device_records(st, &dp->dev, &r);
	if (ret)
		return ret;
	n = dp->dev.rule_count;
	m = dp->dev.overlay_id ? dp->dev.overlay_rule_count : 0;
	dp->count = n + m;
	dp->rules = realloc(r.base, (dp->count + 1) * sizeof(*dp->rules));
	dp->names = calloc(dp->count + 1, sizeof(*dp->names));
	if (!dp->rules || !dp->names) {
		free(dp->rules ? dp->rules : r.base);
		free(r.overlay);
		free(dp->names);
		memset(dp, 0, sizeof(*dp));
		return -ENOMEM;
	}
	for (__u32 k = 0; k < m; k++) {
		dp->rules[n + k] = r.overlay[k];
		if (r.overlay[k].kind == VRNET_RULE_RESOLVED)
			dp->rules[n + k].parent += n;
	}
	free(r.overlay);
	ret = read_names(st, dp->dev.policy_id, dp->rules, n, dp->names);
	if (!ret && m)
		ret = read_names(st, dp->dev.overlay_id, dp->rules + n, m, dp->names + n);
	if (ret)
		vr_device_policy_free(dp);
	return ret;
}

void vr_device_policy_free(struct vr_device_policy *dp)
{
	free(dp->rules);
	free(dp->names);
	dp->rules = NULL;
	dp->names = NULL;
}

int vr_device_policy_to_policy(const struct vr_device_policy *dp, struct vr_policy *p)
{
	vr_policy_init(p);
	p->default_action = dp->dev.default_action;
	p->mode = dp->dev.mode;
	p->log_allowed = dp->dev.log_allowed;
	p->event_rate = dp->dev.event_rate;
	p->event_burst = dp->dev.event_burst;
	for (__u32 i = 0; i < dp->count; i++) {
		const struct vrnet_rule *rec = &dp->rules[i];
		struct vr_rule r = { 0 };
		int ret;

		if (rec->kind == VRNET_RULE_RESOLVED)
			continue;
		r.kind = rec->kind;
		r.family = rec->family;
		r.prefixlen = rec->prefixlen;
		r.proto = rec->proto;
		r.any_port = rec->any_port;
		r.port_lo = rec->port_lo;
		r.port_hi = rec->port_hi;
		memcpy(r.addr, rec->addr, 16);
		if (rec->kind == VRNET_RULE_DOMAIN)
			memcpy(r.name, dp->names[i], sizeof(r.name));
		ret = vr_policy_add(p, rec->list, &r);
		if (ret) {
			vr_policy_free(p);
			return ret;
		}
	}
	return 0;
}

int vr_stats_read(struct vr_state *st, uint32_t slot, struct vrnet_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vrnet_stats *per_cpu;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return -EINVAL;
	per_cpu = calloc((size_t)ncpu, sizeof(*per_cpu));
	if (!per_cpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(st->stats_fd, &slot, per_cpu)) {
		int ret = -errno;

		free(per_cpu);
		return ret;
	}
	for (int i = 0; i < ncpu; i++) {
		sum->allowed_packets += per_cpu[i].allowed_packets;
		sum->allowed_bytes += per_cpu[i].allowed_bytes;
		sum->dropped_packets += per_cpu[i].dropped_packets;
		sum->dropped_bytes += per_cpu[i].dropped_bytes;
		sum->audited_packets += per_cpu[i].audited_packets;
		sum->audited_bytes += per_cpu[i].audited_bytes;
		sum->events_lost += per_cpu[i].events_lost;
	}
	free(per_cpu);
	return 0;
}

uint64_t vr_suppressed_read(struct vr_state *st, uint32_t slot)
{
	struct vrnet_limiter lim;

	if (bpf_map_lookup_elem_flags(st->limits_fd, &slot, &lim, BPF_F_LOCK))
		return 0;
	return lim.suppressed;
}

uint64_t vr_rule_hits_read(struct vr_state *st, uint32_t policy_id, uint32_t rule_id)
{
	struct vrnet_rulehit_key key = { .policy_id = policy_id, .rule_id = rule_id };
	int ncpu = libbpf_num_possible_cpus();
	__u64 per_cpu[ncpu > 0 ? ncpu : 1], sum = 0;

	if (ncpu <= 0 || bpf_map_lookup_elem(st->rulehits_fd, &key, per_cpu))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += per_cpu[i];
	return sum;
}
