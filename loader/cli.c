// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Steps the commands share: errors and exit codes, devices, opening the state. */
#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cli.h"
#include "filter.h"
#include "log.h"
#include "program.h"
#include "tc.h"

struct vr_cli_options opt = { .pin_dir = VR_DEFAULT_PIN_DIR };
char errbuf[1024];
char **cli_argv;

int fail(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vr_err("%s", msg);
	return code;
}

/* An errno from the library as an exit code: -EINVAL is bad input, the rest the system's. */
int exit_of(int ret)
{
	return ret == -EINVAL ? VR_EXIT_USAGE : VR_EXIT_SYSTEM;
}

/* Why the state could not be opened: nothing there, busy, or broken. */
int open_exit(int ret)
{
	return ret == -ENOENT || ret == -EXDEV ? VR_EXIT_USAGE :
	       ret == -EWOULDBLOCK		 ? VR_EXIT_BUSY :
						   VR_EXIT_SYSTEM;
}

int device_index(const char *name, int *ifindex)
{
	if (strlen(name) >= IF_NAMESIZE)
		return fail(VR_EXIT_USAGE, "device name \"%s\" is too long", name);
	*ifindex = (int)if_nametoindex(name);
	if (!*ifindex)
		return fail(VR_EXIT_USAGE, "no such device: %s", name);
	return 0;
}

/*
 * The program parses Ethernet frames: on a layer-3 device (tun, wireguard,
 * ip tunnels) the packet starts at its IP header and would be misread.
 */
/* The driver of @name (ETHTOOL_GDRVINFO), "" if it will not say. */
static void driver_of(int fd, const char *name, char *driver, size_t len)
{
	struct ethtool_drvinfo info = { .cmd = ETHTOOL_GDRVINFO };
	struct ifreq ifr = { .ifr_data = (void *)&info };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	driver[0] = '\0';
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		snprintf(driver, len, "%s", info.driver);
}

int require_ethernet(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), type = -1;
	char driver[32] = "";

	/* ioctls, not /sys: /sys shows the namespace it was mounted from, not -n's */
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd >= 0 && !ioctl(fd, SIOCGIFHWADDR, &ifr))
		type = ifr.ifr_hwaddr.sa_family;
	if (fd >= 0)
		driver_of(fd, name, driver, sizeof(driver));
	if (fd >= 0)
		close(fd);
	if (type != ARPHRD_ETHER) /* tap, veth */
		return fail(VR_EXIT_USAGE,
			    "%s is not an Ethernet device (link type %d): vrnet-bpf filters tap and veth devices",
			    name, type);
	/*
	 * A macvtap's (ipvtap's) guest frames leave through the device's
	 * transmit path to its lower device, and a macvlan's (ipvlan's)
	 * sandbox side is the device itself: its ingress hook sees none of
	 * what the sandbox sends.
	 */
	if (!strcmp(driver, "macvlan") || !strcmp(driver, "ipvlan"))
		return fail(VR_EXIT_USAGE,
			    "%s is a %s device (macvtap/ipvtap or macvlan/ipvlan): what its sandbox sends never crosses its ingress hook; give the sandbox a tap or a veth pair and attach to the host's end",
			    name, driver);
	return 0;
}

int open_state(struct vr_state *st, enum vr_open_mode mode)
{
	double t0 = vr_now_ms(), t1;
	int ret = vr_state_open(st, opt.pin_dir, mode, errbuf, sizeof(errbuf));

	if (ret)
		return fail(open_exit(ret), "%s", errbuf);
	t1 = vr_now_ms();
	vr_program_warn_other_build(st);
	if (mode == VR_OPEN_CHANGE) {
		size_t unreachable;

		/* only this namespace's: entering every other one at every change would not scale */
		ret = vr_gc(st, VR_GC_HERE, &unreachable);
		if (ret < 0)
			vr_warn("couldn't reclaim the state of deleted devices: %s", strerror(-ret));
	}
	vr_debug("state: open_ms=%.3f gc_ms=%.3f", t1 - t0, vr_now_ms() - t1);
	return 0;
}

/* The device has our entry and this namespace's program on its hook. */
bool is_attached(struct vr_state *st, int ifindex)
{
	struct vr_device dev;

	return st->prog_fd >= 0 && !vr_device_get(st, ifindex, &dev) &&
	       vr_hook_is_attached(ifindex, st->prog_id) == 1;
}

int require_attached(struct vr_state *st, int ifindex, const char *name)
{
	struct vr_device dev;

	if (is_attached(st, ifindex))
		return 0;
	if (!vr_device_get(st, ifindex, &dev) && !strcmp(dev.ifname, name))
		return fail(VR_EXIT_USAGE,
			    "%s is not attached: it has vrnet-bpf state but no filter (its clsact qdisc removed, or the device made anew?), so nothing filters it; vrnet-bpf attach %s filters it again, deny-all",
			    name, name);
	return fail(VR_EXIT_USAGE, "%s is not attached (vrnet-bpf attach %s)", name, name);
}

/*
 * Devices with state that still exist under the name they were attached
 * with, or still carry our filter (renamed, maybe), or whose namespace cannot
 * be entered to tell: for show, list, status, metrics, log and refresh, as
 * slots. Their filter may be gone (someone removed the clsact qdisc): @seen
 * tells, when asked for.
 */
int live_devices(struct vr_state *st, __u32 **list, size_t *n)
{
	size_t kept = 0;
	int ret = vr_device_slots(st, list, n);

	if (ret)
		return fail(VR_EXIT_SYSTEM, "couldn't list devices: %s", strerror(-ret));
	for (size_t i = 0; i < *n; i++) {
		struct vr_device dev;
		struct vr_device_seen seen;

		if (vr_device_get_slot(st, (*list)[i], &dev))
			continue;
		vr_device_look(st, &dev, &seen);
		if (!seen.reachable || seen.same_name || seen.filtered)
			(*list)[kept++] = (*list)[i];
	}
	*n = kept;
	return 0;
}

/* Parses DEV... (of this namespace) into slots; none named: every device of the host. */
int devices_arg(struct vr_state *st, int argc, char **argv, __u32 **list, size_t *n)
{
	int ret, ifindex;

	if (!argc)
		return live_devices(st, list, n);
	*list = calloc((size_t)argc, sizeof(**list));
	if (!*list)
		return fail(VR_EXIT_SYSTEM, "out of memory");
	*n = (size_t)argc;
	for (int i = 0; i < argc; i++)
		if ((ret = device_index(argv[i], &ifindex)) ||
		    (ret = require_attached(st, ifindex, argv[i])) ||
		    (ret = vr_device_find(st, ifindex, &(*list)[i])))
			return ret;
	return 0;
}

int parse_count(const char *text, const char *what, long max, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(text, &end, 10);
	if (errno || end == text || *end || *out < 0 || *out > max)
		return fail(VR_EXIT_USAGE, "%s must be a number 0-%ld, not \"%s\"", what, max, text);
	return 0;
}
