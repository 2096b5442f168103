// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>
#include "log.h"
#include "program.h"
#include "xdp.h"
#include "vrnet_xdp.skel.h"

/* The kernel keeps 15 characters of "vrnet_egress_xdp": ours, of any build. */
static bool is_ours(const struct xdp_program *prog)
{
	const char *name = xdp_program__name(prog);

	return name && !strncmp(name, "vrnet_egress_xdp", 15);
}

/* Ours on @mp, or NULL. */
static struct xdp_program *find_ours(struct xdp_multiprog *mp)
{
	struct xdp_program *prog;

	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		return prog && is_ours(prog) ? prog : NULL;
	}
	for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
	     prog = xdp_multiprog__next_prog(prog, mp))
		if (is_ours(prog))
			return prog;
	return NULL;
}

/* @ifindex's XDP programs; NULL with 0 in *@ret if it has none. */
static struct xdp_multiprog *programs_of(int ifindex, int *ret)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	long err = libxdp_get_error(mp);

	*ret = 0;
	if (!err && mp && xdp_multiprog__main_prog(mp))
		return mp;
	if (err && err != -ENOENT)
		*ret = (int)err;
	if (!err)
		xdp_multiprog__close(mp);
	return NULL;
}

int vr_xdp_attached(int ifindex)
{
	int ret;
	struct xdp_multiprog *mp = programs_of(ifindex, &ret);

	if (!mp)
		return ret;
	if (find_ours(mp))
		ret = xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ? VRNET_XDP_GENERIC :
									   VRNET_XDP_NATIVE;
	xdp_multiprog__close(mp);
	return ret;
}

bool vr_xdp_runs_current(struct vr_state *st, __u64 netns_cookie, int ifindex, __u8 xdp)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct xdp_program *prog;
	struct xdp_multiprog *mp;
	bool current = false;
	int fd, ret;

	if (vr_xdp_attached(ifindex) != xdp || vr_program_xdp_device_fd(st, netns_cookie, &fd))
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && (mp = programs_of(ifindex, &ret))) {
		prog = find_ours(mp);
		current = prog && xdp_program__id(prog) == info.id;
		xdp_multiprog__close(mp);
	}
	close(fd);
	return current;
}

int vr_xdp_detach(int ifindex)
{
	/* more than one of ours only after commands that died mid-attach */
	for (int round = 0; round < 4; round++) {
		struct xdp_program *prog;
		struct xdp_multiprog *mp;
		int ret;

		mp = programs_of(ifindex, &ret);
		if (!mp)
			return ret;
		prog = find_ours(mp);
		if (prog)
			ret = xdp_program__detach(prog, ifindex, xdp_multiprog__attach_mode(mp), 0);
		xdp_multiprog__close(mp);
		if (!prog || ret)
			return ret;
	}
	return -EBUSY;
}

/* libxdp puts @prog on @ifindex in @mode; a failure explained in @err. */
static int put_on(struct xdp_program *prog, int ifindex, enum xdp_attach_mode mode, char *err,
		  size_t errlen)
{
	int ret = xdp_program__attach(prog, ifindex, mode, 0);

	if (ret == -EOPNOTSUPP && mode == XDP_MODE_NATIVE)
		snprintf(err, errlen,
			 "its driver has no native XDP (--xdp-generic runs XDP on the skb, after the kernel built it)");
	else if (ret == -EEXIST)
		snprintf(err, errlen,
			 "its XDP hook holds programs in %s mode, or one not put there through libxdp",
			 mode == XDP_MODE_SKB ? "native" : "generic");
	else if (ret)
		snprintf(err, errlen, "couldn't put the XDP program on it: %s", strerror(-ret));
	return ret;
}

/*
 * The namespace's devices' program, loaded for a device before and pinned,
 * linked to @ifindex's dispatcher (libxdp links loaded programs to a new
 * dispatcher as it does those already on the device); 0, or <0 to load one.
 */
static int put_on_shared(struct vr_state *st, __u64 netns_cookie, int ifindex,
			 enum xdp_attach_mode mode)
{
	struct xdp_program *prog;
	int fd, ret = vr_program_xdp_device_fd(st, netns_cookie, &fd);

	if (ret)
		return ret;
	prog = xdp_program__from_fd(fd); /* a copy of the fd of its own */
	close(fd);
	ret = (int)libxdp_get_error(prog);
	if (!ret) /* a failure is explained by the load that follows it */
		ret = xdp_program__attach(prog, ifindex, mode, 0);
	if (!libxdp_get_error(prog))
		xdp_program__close(prog);
	return ret;
}

int vr_xdp_attach(struct vr_state *st, __u64 netns_cookie, int ifindex, __u8 xdp, char *err,
		  size_t errlen)
{
	enum xdp_attach_mode mode = xdp == VRNET_XDP_GENERIC ? XDP_MODE_SKB : XDP_MODE_NATIVE;
	struct xdp_program *prog = NULL;
	struct vrnet_xdp *skel;
	int ret = vr_xdp_detach(ifindex);

	if (ret) {
		snprintf(err, errlen, "couldn't take the XDP program of ours off: %s",
			 strerror(-ret));
		return ret;
	}
	/*
	 * Verifying the program takes ~150 ms, linking it a few: each device
	 * after the namespace's first links the one this build loaded for it.
	 * One that will not go on (of the other kind than the kernel takes
	 * now, or for a reason of the device's, which the load says again) is
	 * loaded again below, and pinned in its place.
	 */
	if (!put_on_shared(st, netns_cookie, ifindex, mode))
		return 0;
	/* the device's: it takes no frame for a probe */
	skel = vr_program_open_xdp(st, netns_cookie, false, err, errlen);
	if (!skel)
		return -errno;
	/* libxdp loads it, as an extension of its dispatcher, on the pinned maps */
	prog = xdp_program__from_bpf_obj(skel->obj, "xdp");
	ret = (int)libxdp_get_error(prog);
	if (!ret)
		ret = put_on(prog, ifindex, mode, err, errlen);
	if (!ret && vr_program_pin_xdp_device(st, netns_cookie, xdp_program__fd(prog)))
		vr_debug("couldn't pin the devices' XDP program: the next device loads its own");
	if (!libxdp_get_error(prog))
		xdp_program__close(prog);
	vrnet_xdp__destroy(skel);
	return ret;
}
