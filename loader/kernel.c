// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kernel.h"
#include "skb_btf.h"
#include "tc.h"

static int probe_btf(const struct vr_kernel_feature *f)
{
	return !access("/sys/kernel/btf/vmlinux", R_OK);
}

static int probe_prog_type(const struct vr_kernel_feature *f)
{
	return libbpf_probe_bpf_prog_type((enum bpf_prog_type)f->arg, NULL) == 1;
}

static int probe_map_type(const struct vr_kernel_feature *f)
{
	return libbpf_probe_bpf_map_type((enum bpf_map_type)f->arg, NULL) == 1;
}

static int probe_tcx(const struct vr_kernel_feature *f)
{
	return vr_tcx_supported();
}

static int probe_tc_helper(const struct vr_kernel_feature *f)
{
	return libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, (enum bpf_func_id)f->arg, NULL) == 1;
}

static int probe_kern_ctx(const struct vr_kernel_feature *f)
{
	return vr_skb_btf()->kern_ctx;
}

static int probe_gso_types(const struct vr_kernel_feature *f)
{
	return !vr_skb_btf()->err;
}

/*
 * What can be probed without a device. What cannot (bounded loops 5.3, global
 * functions 5.6, BPF_PROG_TEST_RUN naming a device 5.10, clsact 4.5) is below
 * the floor, which the kernel matrix tests; the README lists it all. On a
 * mainline kernel at the floor all of these are there; a kernel built without
 * BTF, or a distribution kernel with a newer number and older BPF, is what
 * the probes catch.
 */
const struct vr_kernel_feature vr_kernel_features[] = {
	{ "kernel_btf", "kernel BTF (/sys/kernel/btf/vmlinux)",
	  "CO-RE: the program's view of kernel structures", 5, 4, probe_btf, 0, false },
	{ "tc_programs", "BPF tc classifier programs", "the filter", 4, 1, probe_prog_type,
	  BPF_PROG_TYPE_SCHED_CLS, false },
	{ "lpm_trie", "LPM trie maps", "prefix rules", 4, 11, probe_map_type,
	  BPF_MAP_TYPE_LPM_TRIE, false },
	{ "lru_hash", "LRU hash maps", "recent flows, for what starts an attempt", 4, 10,
	  probe_map_type, BPF_MAP_TYPE_LRU_HASH, false },
	{ "percpu_hash", "per-CPU hash maps", "per-rule hit counters", 4, 6, probe_map_type,
	  BPF_MAP_TYPE_PERCPU_HASH, false },
	{ "ringbuf", "BPF ring buffer", "the audit trail (log)", 5, 8, probe_map_type,
	  BPF_MAP_TYPE_RINGBUF, false },
	{ "spin_lock", "BPF spin locks", "the per-device event rate limit", 5, 1,
	  probe_tc_helper, BPF_FUNC_spin_lock, false },
	{ "skb_load_bytes", "bpf_skb_load_bytes()", "IPv4 option checks", 4, 5, probe_tc_helper,
	  BPF_FUNC_skb_load_bytes, false },
	{ "bpf_loop", "bpf_loop()", "the suppressed total of every CPU, in an event", 5, 17,
	  probe_tc_helper, BPF_FUNC_loop, false },
	{ "percpu_lookup", "bpf_map_lookup_percpu_elem()",
	  "the suppressed total of every CPU, in an event", 5, 19, probe_tc_helper,
	  BPF_FUNC_map_lookup_percpu_elem, false },
	{ "probe_read_kernel", "bpf_probe_read_kernel()",
	  "offload metadata: all of it on 6.1, the GSO type from 6.2", 5, 5, probe_tc_helper,
	  BPF_FUNC_probe_read_kernel, false },
	{ "gso_types", "SKB_GSO_* values in the kernel BTF",
	  "which GSO packets are segments of the headers judged", 4, 18, probe_gso_types, 0,
	  false },
	{ "kern_ctx", "bpf_cast_to_kern_ctx() (optional)",
	  "offload metadata read without a helper call per packet; without it, bpf_probe_read_kernel()",
	  6, 2, probe_kern_ctx, 0, true },
	{ "tcx_links", "tcx links (optional)",
	  "a filter no qdisc removal takes away; without them, clsact + cls_bpf", 6, 6, probe_tcx, 0, true },
};
const size_t vr_kernel_n_features = sizeof(vr_kernel_features) / sizeof(vr_kernel_features[0]);
_Static_assert(sizeof(vr_kernel_features) / sizeof(vr_kernel_features[0]) <= VR_KERNEL_MAX_FEATURES,
	       "VR_KERNEL_MAX_FEATURES is too small");

int vr_kernel_parse_release(const char *release, int *major, int *minor)
{
	char dot;

	if (sscanf(release, "%d%c%d", major, &dot, minor) != 3 || dot != '.' || *major < 0 ||
	    *minor < 0)
		return -EINVAL;
	return 0;
}

int vr_kernel_check(const char *release, const struct vr_kernel_feature *const *missing,
		    size_t n_missing, char *err, size_t errlen)
{
	int major, minor;
	bool below = vr_kernel_parse_release(release, &major, &minor) ||
		     major < VR_KERNEL_FLOOR_MAJOR ||
		     (major == VR_KERNEL_FLOOR_MAJOR && minor < VR_KERNEL_FLOOR_MINOR);
	size_t used;

	if (!below && !n_missing)
		return 0;
	if (below)
		used = (size_t)snprintf(err, errlen,
					"Linux %s is older than %d.%d, the oldest kernel vrnet-bpf runs on",
					release, VR_KERNEL_FLOOR_MAJOR, VR_KERNEL_FLOOR_MINOR);
	else
		used = (size_t)snprintf(err, errlen, "Linux %s lacks what vrnet-bpf needs", release);
	for (size_t i = 0; i < n_missing && used < errlen; i++)
		used += (size_t)snprintf(err + used, errlen - used, "%s %s (Linux %d.%d+, for %s)",
					 i ? ";" : ":", missing[i]->name, missing[i]->major,
					 missing[i]->minor, missing[i]->used_for);
	return -ENOTSUP;
}

/* "return 0": the smallest program there is. */
static const struct bpf_insn return_zero[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
	{ .code = BPF_JMP | BPF_EXIT },
};

int vr_kernel_supported(bool *present, char *err, size_t errlen)
{
	const struct vr_kernel_feature *missing[VR_KERNEL_MAX_FEATURES];
	struct utsname u;
	size_t n = 0;
	int fd;

	if (uname(&u)) {
		snprintf(err, errlen, "uname: %s", strerror(errno));
		return -errno;
	}
	/*
	 * Without the right to load a tc program every probe would say "absent":
	 * a kernel that refuses one for any other reason has no tc programs.
	 */
	fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "vrnet_probe", "GPL", return_zero,
			   sizeof(return_zero) / sizeof(return_zero[0]), NULL);
	if (fd < 0 && (errno == EPERM || errno == EACCES)) {
		snprintf(err, errlen, "may not load a BPF program to probe Linux %s: %s (run as root)",
			 u.release, strerror(errno));
		return -EPERM;
	}
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < vr_kernel_n_features; i++) {
		present[i] = vr_kernel_features[i].probe(&vr_kernel_features[i]) == 1;
		if (!present[i] && !vr_kernel_features[i].optional)
			missing[n++] = &vr_kernel_features[i];
	}
	return vr_kernel_check(u.release, missing, n, err, errlen);
}
