// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel.h"
#include "log.h"
#include "vrnet_egress.build.h"
#include "program.h"
#include "skb_btf.h"
#include "verifier_log.h"
#include "vrnet_egress.skel.h"
#include "vrnet_xdp.skel.h"

/*
 * A load failure names the kernel, the function the verifier rejected and its
 * last word; -v shows the whole log (libbpf prints it).
 */
static void load_error(const char *log, const char *name, int ret, char *err, size_t errlen)
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
	else if (log && !vr_verifier_summary(log, name, summary, sizeof(summary)))
		snprintf(err, errlen,
			 "the verifier of Linux %s rejected the BPF program: %s (-v shows its log)",
			 u.release, summary);
	else
		snprintf(err, errlen, "couldn't load the BPF program on Linux %s: %s (run with -v)",
			 u.release, strerror(-ret));
}

/*
 * Loads @obj; libbpf asks for @prog's verifier log only when the load fails,
 * then into a buffer of ours, which names the failure in @err.
 */
static int load_logged(struct bpf_object *obj, struct bpf_program *prog, char *err,
		       size_t errlen)
{
	char *log = calloc(1, VR_VERIFIER_LOG_SIZE);
	int ret;

	if (log)
		bpf_program__set_log_buf(prog, log, VR_VERIFIER_LOG_SIZE);
	ret = bpf_object__load(obj);
	if (ret)
		load_error(log, bpf_program__name(prog), ret, err, errlen);
	free(log);
	return ret;
}

/* A network namespace's program: "vrnet_egress_<cookie>" (bpffs takes no dots). */
static int pin_path_of(const struct vr_state *st, const char *prefix, __u64 cookie, char *buf,
		       size_t len)
{
	char name[128];

	snprintf(name, sizeof(name), "%s_%llu", prefix, (unsigned long long)cookie);
	return vr_state_pin_path(st, name, buf, len);
}

static int prog_pin_path(const struct vr_state *st, __u64 cookie, char *buf, size_t len)
{
	return pin_path_of(st, VRNET_PROG_PIN, cookie, buf, len);
}

/* Pins @prog for namespace @cookie as "@prefix_<cookie>" (replacing one pinned before). */
static int pin_side_program(struct vr_state *st, const char *prefix, __u64 cookie,
			    struct bpf_program *prog)
{
	char path[4200];
	int ret = pin_path_of(st, prefix, cookie, path, sizeof(path));

	if (!ret && unlink(path) && errno != ENOENT)
		ret = -errno;
	if (!ret && bpf_obj_pin(bpf_program__fd(prog), path))
		ret = -errno;
	return ret;
}

/* Pins @fd at @path over any pin there, by a rename: the pin never goes missing. */
static int pin_by_rename(int fd, const char *path)
{
	char fresh[4300];
	int ret = 0;

	snprintf(fresh, sizeof(fresh), "%s_new", path);
	unlink(fresh);
	if (bpf_obj_pin(fd, fresh) || rename(fresh, path)) {
		ret = -errno;
		unlink(fresh);
	}
	return ret;
}

/* An fd of the program pinned as "@prefix_<cookie>". */
static int pinned_fd(struct vr_state *st, const char *prefix, __u64 cookie, int *fd)
{
	char path[4200];
	int ret = pin_path_of(st, prefix, cookie, path, sizeof(path));

	if (!ret && (*fd = bpf_obj_get(path)) < 0)
		ret = -errno;
	return ret;
}

int vr_program_dns_fd(struct vr_state *st, __u64 netns_cookie, int *fd)
{
	return pinned_fd(st, VRNET_DNS_PROG_PIN, netns_cookie, fd);
}

int vr_program_inbound_fd(struct vr_state *st, __u64 netns_cookie, int *fd)
{
	return pinned_fd(st, VRNET_INBOUND_PROG_PIN, netns_cookie, fd);
}

int vr_program_xdp_fd(struct vr_state *st, __u64 netns_cookie, int *fd)
{
	return pinned_fd(st, VRNET_XDP_PROG_PIN, netns_cookie, fd);
}

/*
 * The devices' XDP program's pin, "vrnet_xdpdev_<build>_<cookie>": a build
 * finds only its own, so no device links another build's program, however
 * a command before was cut short.
 */
static int xdp_device_pin_path(const struct vr_state *st, __u64 cookie, char *buf, size_t len)
{
	char prefix[64];

	snprintf(prefix, sizeof(prefix), "%s_%016llx", VRNET_XDP_DEVICE_PIN,
		 (unsigned long long)vr_program_build());
	return pin_path_of(st, prefix, cookie, buf, len);
}

int vr_program_xdp_device_fd(struct vr_state *st, __u64 netns_cookie, int *fd)
{
	char path[4200];
	int ret = xdp_device_pin_path(st, netns_cookie, path, sizeof(path));

	if (!ret && (*fd = bpf_obj_get(path)) < 0)
		ret = -errno;
	return ret;
}

/* Unpins the devices' XDP programs of namespace @cookie that other builds pinned. */
static void unpin_other_builds(struct vr_state *st, __u64 cookie, const char *ours)
{
	char suffix[32];
	struct dirent *e;
	size_t n, slen;
	DIR *d = opendir(st->pin_dir);

	if (!d)
		return;
	slen = (size_t)snprintf(suffix, sizeof(suffix), "_%llu", (unsigned long long)cookie);
	while ((e = readdir(d))) {
		n = strlen(e->d_name);
		if (!strncmp(e->d_name, VRNET_XDP_DEVICE_PIN "_", strlen(VRNET_XDP_DEVICE_PIN) + 1) &&
		    n > slen && !strcmp(e->d_name + n - slen, suffix) && strcmp(e->d_name, ours))
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int vr_program_pin_xdp_device(struct vr_state *st, __u64 netns_cookie, int fd)
{
	char path[4200];
	int ret = xdp_device_pin_path(st, netns_cookie, path, sizeof(path));

	if (!ret)
		ret = pin_by_rename(fd, path);
	if (!ret)
		unpin_other_builds(st, netns_cookie, strrchr(path, '/') + 1);
	return ret;
}

/*
 * The object's two entry points differ only in how they read offload
 * metadata (bpf/offload.h); only the one for this kernel is loaded.
 * VRNET_PROBE_READ=1 takes the 6.1 one on any kernel, so that tests and
 * benchmarks can run the floor's datapath here.
 */
static struct bpf_program *entry_point(struct vrnet_egress *skel)
{
	const char *force = getenv("VRNET_PROBE_READ");
	bool kfunc = vr_skb_btf()->kern_ctx && !(force && !strcmp(force, "1"));

	bpf_program__set_autoload(kfunc ? skel->progs.vrnet_egress_probe_read :
					  skel->progs.vrnet_egress,
				  false);
	return kfunc ? skel->progs.vrnet_egress : skel->progs.vrnet_egress_probe_read;
}

/* The running kernel's SKB_GSO_* values (probed by vr_kernel_supported()). */
static void set_gso_bits(struct vrnet_egress *skel)
{
	const struct vr_skb_btf *b = vr_skb_btf();

	skel->rodata->vrnet_gso_tcpv4 = b->gso_tcpv4;
	skel->rodata->vrnet_gso_tcpv6 = b->gso_tcpv6;
	skel->rodata->vrnet_gso_udp = b->gso_udp;
	skel->rodata->vrnet_gso_udp_l4 = b->gso_udp_l4;
	skel->rodata->vrnet_gso_modifiers = b->gso_modifiers;
}

__u64 vr_program_build(void)
{
	return VRNET_PROGRAM_BUILD;
}

int vr_program_load(struct vr_state *st, __u64 netns_cookie, int *fd, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = st->pin_dir);
	struct vrnet_egress *skel;
	struct bpf_program *prog;
	bool present[VR_KERNEL_MAX_FEATURES];
	int ret;

	*fd = -1;
	ret = vr_kernel_supported(present, err, errlen);
	if (ret)
		return ret;
	skel = vrnet_egress__open_opts(&opts);
	if (!skel) {
		snprintf(err, errlen, "couldn't open the BPF object: %s", strerror(errno));
		return -errno;
	}
	skel->rodata->vrnet_netns_cookie = netns_cookie;
	skel->rodata->vrnet_nr_cpus = (__u32)libbpf_num_possible_cpus();
	set_gso_bits(skel);
	prog = entry_point(skel);
	ret = load_logged(skel->obj, prog, err, errlen);
	if (!ret && (ret = pin_side_program(st, VRNET_DNS_PROG_PIN, netns_cookie,
					    skel->progs.vrnet_dns_return)))
		snprintf(err, errlen, "couldn't pin the DNS return program: %s", strerror(-ret));
	else if (!ret && (ret = pin_side_program(st, VRNET_INBOUND_PROG_PIN, netns_cookie,
						 skel->progs.vrnet_inbound)))
		snprintf(err, errlen, "couldn't pin the connection tracking program: %s",
			 strerror(-ret));
	else if (!ret && (*fd = dup(bpf_program__fd(prog))) < 0)
		ret = -errno;
	/*
	 * vrnet_config is left as it is: maps that outlived the program keep
	 * their policies, and a new id must never collide with one in use.
	 */
	vrnet_egress__destroy(skel);
	return ret;
}

struct vrnet_xdp *vr_program_open_xdp(struct vr_state *st, __u64 netns_cookie, bool probes,
				     char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = st->pin_dir);
	struct vrnet_xdp *skel = vrnet_xdp__open_opts(&opts);

	if (!skel) {
		int e = errno;

		snprintf(err, errlen, "couldn't open the XDP BPF object: %s", strerror(e));
		errno = e;
		return NULL;
	}
	skel->rodata->vrnet_netns_cookie = netns_cookie;
	skel->rodata->vrnet_nr_cpus = (__u32)libbpf_num_possible_cpus();
	skel->rodata->vrnet_probes = probes;
	return skel;
}

int vr_program_load_xdp(struct vr_state *st, __u64 netns_cookie, bool probes, int *fd,
			char *err, size_t errlen)
{
	struct vrnet_xdp *skel = vr_program_open_xdp(st, netns_cookie, probes, err, errlen);
	int ret;

	*fd = -1;
	if (!skel)
		return -errno;
	ret = load_logged(skel->obj, skel->progs.vrnet_egress_xdp, err, errlen);
	if (!ret && (*fd = dup(bpf_program__fd(skel->progs.vrnet_egress_xdp))) < 0)
		ret = -errno;
	vrnet_xdp__destroy(skel);
	return ret;
}

int vr_program_pin_xdp(struct vr_state *st, __u64 netns_cookie, char *err, size_t errlen)
{
	char path[4200];
	int fd, ret = pin_path_of(st, VRNET_XDP_PROG_PIN, netns_cookie, path, sizeof(path));

	if (!ret)
		ret = vr_program_load_xdp(st, netns_cookie, true, &fd, err, errlen);
	if (ret)
		return ret;
	if ((ret = pin_by_rename(fd, path)))
		snprintf(err, errlen, "couldn't pin the XDP program at %s: %s", path,
			 strerror(-ret));
	close(fd);
	return ret;
}

int vr_program_pin(struct vr_state *st, __u64 netns_cookie, int fd, char *err, size_t errlen)
{
	struct vrnet_program rec = { .build = vr_program_build() };
	char path[4200];
	int ret = prog_pin_path(st, netns_cookie, path, sizeof(path));

	if (ret)
		return ret;
	if ((ret = pin_by_rename(fd, path))) {
		snprintf(err, errlen, "couldn't pin the program at %s: %s", path, strerror(-ret));
		return ret;
	}
	if (bpf_map_update_elem(st->programs_fd, &netns_cookie, &rec, BPF_ANY)) {
		ret = -errno;
		snprintf(err, errlen, "couldn't record the program's build: %s", strerror(errno));
	}
	return ret;
}

int vr_program_info(struct vr_state *st, __u64 netns_cookie, struct vr_program_info *info)
{
	struct bpf_prog_info pi = { 0 };
	struct vrnet_program rec = { 0 };
	__u32 len = sizeof(pi);
	char path[4200];
	int fd, ret = prog_pin_path(st, netns_cookie, path, sizeof(path));

	memset(info, 0, sizeof(*info));
	if (ret)
		return ret;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	ret = bpf_obj_get_info_by_fd(fd, &pi, &len) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	info->id = pi.id;
	/* the kernel keeps 15 characters of "vrnet_egress_probe_read" */
	info->probe_read = !strncmp(pi.name, "vrnet_egress_probe_read", sizeof(pi.name) - 1);
	for (int i = 0; i < 8; i++)
		snprintf(info->tag + 2 * i, 3, "%02x", pi.tag[i]);
	if (!bpf_map_lookup_elem(st->programs_fd, &netns_cookie, &rec))
		info->build = rec.build;
	info->current = info->build == vr_program_build();
	return 0;
}

int vr_program_fd(struct vr_state *st, __u64 netns_cookie, int *fd)
{
	return pinned_fd(st, VRNET_PROG_PIN, netns_cookie, fd);
}

int vr_program_open(struct vr_state *st, char *err, size_t errlen)
{
	struct vr_program_info info;
	int ret = vr_program_info(st, st->netns_cookie, &info);

	if (ret == -ENOENT)
		return 0;
	if (!ret)
		ret = vr_program_fd(st, st->netns_cookie, &st->prog_fd);
	if (ret) {
		snprintf(err, errlen, "couldn't open this namespace's program: %s", strerror(-ret));
		return ret;
	}
	st->prog_id = info.id;
	return 0;
}

void vr_program_warn_other_build(struct vr_state *st)
{
	struct vr_program_info info;

	if (st->prog_fd >= 0 && !vr_program_info(st, st->netns_cookie, &info) && !info.current)
		vr_warn("the program running in this network namespace is of another build of vrnet-bpf (tag %s): vrnet-bpf upgrade replaces it",
			info.tag);
}

int vr_state_load_program(struct vr_state *st, char *err, size_t errlen)
{
	int fd, ret = vr_program_load(st, st->netns_cookie, &fd, err, errlen);

	if (ret)
		return ret;
	ret = vr_program_pin(st, st->netns_cookie, fd, err, errlen);
	close(fd);
	return ret ? ret : vr_program_open(st, err, errlen);
}
