// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Devices: a device (network namespace, ifindex) has a slot from attach to
 * detach; the slot's word in vrnet_switch names its record. Records are
 * written only in the bank no word names, and a switch returns only after a
 * grace period, so the bank it left is free for the next change.
 */
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "mapio.h"
#include "netns.h"
#include "state.h"
#include "store.h"
#include "tc.h"
#include "xdp.h"
#include "devices.h"
#include "dns_opened.h"
#include "binding.h"
#include "slot_tables.h"

int vr_device_find(struct vr_state *st, int ifindex, __u32 *slot)
{
	struct vrnet_device_key key = { .netns_cookie = st->netns_cookie,
					.ifindex = (__u32)ifindex };

	return bpf_map_lookup_elem(st->devices_fd, &key, slot) ? -errno : 0;
}

static __u32 word_of(struct vr_state *st, __u32 slot)
{
	return (__u32)__atomic_load_n(&st->switch_words[slot], __ATOMIC_ACQUIRE);
}

/* The change count @slot's word gets at its next store (vrnet_common.h). */
static __u32 next_change(const struct vr_state *st, __u32 slot)
{
	return (__u32)(st->switch_words[slot] >> 32) + 1;
}

/* Names @record_id (0: none) in @slot's word, one more change counted. */
static void store_word(struct vr_state *st, __u32 slot, __u32 record_id)
{
	__u64 changes = next_change(st, slot);

	__atomic_store_n(&st->switch_words[slot], changes << 32 | record_id, __ATOMIC_RELEASE);
}

void vr_device_touch(struct vr_state *st, __u32 slot)
{
	store_word(st, slot, word_of(st, slot));
}

int vr_device_get_slot(struct vr_state *st, __u32 slot, struct vr_device *dev)
{
	struct vrnet_policy_info info;
	struct vrnet_devinfo di;
	struct vrnet_record rec = { 0 };
	__u32 record_id;

	if (slot >= VRNET_MAX_DEVICES)
		return -ENOENT;
	di = st->devinfo[slot];
	if (!di.in_use)
		return -ENOENT;
	memset(dev, 0, sizeof(*dev));
	dev->slot = slot;
	dev->netns_cookie = di.netns_cookie;
	dev->netns_inode = di.netns_inode;
	dev->ifindex = (int)di.ifindex;
	memcpy(dev->ifname, di.ifname, sizeof(dev->ifname));
	dev->ifname[sizeof(dev->ifname) - 1] = '\0';
	dev->created_qdisc = di.created_qdisc;
	dev->tcx = di.tcx;
	dev->xdp = di.xdp;
	record_id = word_of(st, slot);
	dev->record_id = record_id;
	if (record_id && bpf_map_lookup_elem(st->records_fd, &record_id, &rec))
		return -errno;
	dev->policy_id = rec.policy_id;
	dev->overlay_id = rec.overlay_id;
	dev->overlay_removes = rec.overlay_removes;
	dev->inbound = rec.inbound;
	dev->default_action = rec.default_action;
	dev->internet = rec.internet;
	dev->mode = rec.mode;
	dev->log_allowed = rec.log_allowed;
	dev->dns_proxy = rec.dns_proxy;
	dev->event_rate = rec.event_rate;
	dev->event_burst = rec.event_burst;
	dev->dns_rate = rec.dns_rate;
	dev->dns_burst = rec.dns_burst;
	memcpy(dev->host_mac, rec.host_mac, sizeof(dev->host_mac));
	dev->binding = rec.binding;
	memcpy(dev->bound_mac, rec.bound_mac, sizeof(dev->bound_mac));
	if (rec.policy_id && !vr_store_info(st, rec.policy_id, &info)) {
		dev->rule_count = info.rule_count;
		dev->portset_count = info.portset_count;
		dev->dns_count = info.dns_count;
		dev->source_rules = info.source_rules;
		dev->applied_ns = info.applied_ns;
	}
	if (rec.overlay_id && !vr_store_info(st, rec.overlay_id, &info)) {
		dev->overlay_rule_count = info.rule_count;
		dev->overlay_portset_count = info.portset_count;
		dev->overlay_source_rules = info.source_rules;
		dev->overlay_removed_rules = info.removed_rules;
		dev->overlay_applied_ns = info.applied_ns;
	}
	return 0;
}

int vr_device_get(struct vr_state *st, int ifindex, struct vr_device *dev)
{
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	return ret ? ret : vr_device_get_slot(st, slot, dev);
}

/* What a device of @st's namespace sorts by: its own namespace first, then ifindex. */
struct slot_order {
	__u64 other_netns; /* 0 for this namespace, else its cookie */
	__u32 ifindex, slot;
};

static int cmp_slot_order(const void *a, const void *b)
{
	const struct slot_order *x = a, *y = b;

	if (x->other_netns != y->other_netns)
		return x->other_netns < y->other_netns ? -1 : 1;
	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

/* Every device entry, ordered. */
static int collect_devices(struct vr_state *st, struct slot_order **out, size_t *count)
{
	struct vrnet_device_key key, next, *prev = NULL;
	size_t n = 0, cap = 64;
	struct slot_order *list = malloc(cap * sizeof(*list));

	if (!list)
		return -ENOMEM;
	while (!bpf_map_get_next_key(st->devices_fd, prev, &next)) {
		__u32 slot;

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st->devices_fd, &next, &slot))
			continue;
		if (n == cap) {
			struct slot_order *l = realloc(list, (cap *= 2) * sizeof(*list));

			if (!l) {
				free(list);
				return -ENOMEM;
			}
			list = l;
		}
		list[n++] = (struct slot_order){
			.other_netns = next.netns_cookie == st->netns_cookie ? 0 : next.netns_cookie,
			.ifindex = next.ifindex,
			.slot = slot,
		};
	}
	if (n)
		qsort(list, n, sizeof(*list), cmp_slot_order);
	*out = list;
	*count = n;
	return 0;
}

int vr_device_slots(struct vr_state *st, __u32 **slots, size_t *count)
{
	struct slot_order *list;
	size_t n;
	int ret = collect_devices(st, &list, &n);

	if (ret)
		return ret;
	*slots = malloc((n + 1) * sizeof(**slots));
	if (!*slots) {
		free(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		(*slots)[i] = list[i].slot;
	*count = n;
	free(list);
	return 0;
}

/* A slot starts afresh: counters and event rate limiter at zero. */
static int reset_slot(struct vr_state *st, __u32 slot)
{
	int ncpu = libbpf_num_possible_cpus();
	struct vrnet_stats *zero = calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*zero));
	struct vrnet_limiter lim = { 0 };
	struct vrnet_dnsstats dns = { 0 };
	int ret;

	if (!zero)
		return -ENOMEM;
	/* per CPU: vrnet_stats is the larger value, zeros for both */
	_Static_assert(sizeof(struct vrnet_stats) >= sizeof(struct vrnet_quiet), "zeros");
	ret = bpf_map_update_elem(st->stats_fd, &slot, zero, BPF_ANY) ? -errno : 0;
	if (!ret && bpf_map_update_elem(st->quiet_fd, &slot, zero, BPF_ANY))
		ret = -errno;
	if (!ret && bpf_map_update_elem(st->limits_fd, &slot, &lim, BPF_ANY))
		ret = -errno;
	if (!ret && bpf_map_update_elem(st->dnsrate_fd, &slot, &lim, BPF_ANY))
		ret = -errno;
	if (!ret && bpf_map_update_elem(st->dnsstats_fd, &slot, &dns, BPF_ANY))
		ret = -errno;
	free(zero);
	return ret;
}

/* vrnet_config's high-water mark of slots: none at or above it is in use. */
static __u32 slots_used(const struct vr_state *st)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg) || cfg.slots_used > VRNET_MAX_DEVICES)
		return VRNET_MAX_DEVICES; /* no telling: every slot */
	return cfg.slots_used;
}

static int devinfo_write(struct vr_state *st, __u32 slot, const struct vrnet_devinfo *di)
{
	return bpf_map_update_elem(st->devinfo_fd, &slot, di, BPF_EXIST) ? -errno : 0;
}

int vr_device_policy_ids(struct vr_state *st, __u32 **ids, size_t *n)
{
	__u32 end = slots_used(st), *out = calloc(2 * (size_t)end + 1, sizeof(*out));
	size_t k = 0;

	if (!out)
		return -ENOMEM;
	for (__u32 s = 0; s < end; s++) {
		struct vrnet_record rec;
		__u32 record_id = word_of(st, s);

		if (!st->devinfo[s].in_use || !record_id ||
		    bpf_map_lookup_elem(st->records_fd, &record_id, &rec))
			continue;
		if (rec.policy_id)
			out[k++] = rec.policy_id;
		if (rec.overlay_id)
			out[k++] = rec.overlay_id;
	}
	if (k)
		qsort(out, k, sizeof(*out), vr_cmp_policy_id);
	*ids = out;
	*n = k;
	return 0;
}

/* Whether @dev's ifindex in this namespace still names the device it noted. */
static bool same_device(const struct vr_device *dev)
{
	char name[IF_NAMESIZE];

	return if_indextoname((unsigned int)dev->ifindex, name) && !strcmp(name, dev->ifname);
}

/*
 * Takes our XDP program off the device @dev noted as in XDP mode, if it is
 * still that device: a detach that died left it there.
 */
static int xdp_off(struct vr_state *st, const struct vr_device *dev)
{
	int home = -1, ret = 0;

	if (!dev->xdp)
		return 0;
	if (dev->netns_cookie != st->netns_cookie &&
	    vr_netns_enter(dev->netns_cookie, dev->netns_inode, &home))
		return 0; /* its namespace is gone, and the device with it */
	if (same_device(dev))
		ret = vr_xdp_detach(dev->ifindex);
	vr_netns_return(home);
	return ret;
}

/*
 * The lowest slot no device holds (its vrnet_devinfo entry is not in use),
 * the high-water mark raised above it first: a command killed after taking
 * it leaves a slot the recovery's scan reaches.
 */
static int alloc_slot(struct vr_state *st, __u32 *slot, char *err, size_t errlen)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	for (__u32 s = 0; s < VRNET_MAX_DEVICES; s++) {
		if (st->devinfo[s].in_use)
			continue;
		*slot = s;
		if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
			return -errno;
		if (cfg.slots_used > s)
			return 0;
		cfg.slots_used = s + 1;
		return bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
	}
	snprintf(err, errlen, "too many devices: the limit is %d per host", VRNET_MAX_DEVICES);
	return -ENOSPC;
}

/* Deletes the recorded host addresses of the device in @slot but the @n_keep in @keep. */
static int host_addrs_drop(struct vr_state *st, __u32 slot, __u8 (*keep)[16], int n_keep)
{
	struct vrnet_hostaddr_key key, next, *prev = NULL, gone[64];
	int n, ret = 0;

	do { /* collect, then delete: deleting while walking restarts the walk */
		n = 0;
		prev = NULL;
		while (n < 64 && !bpf_map_get_next_key(st->hostaddrs_fd, prev, &next)) {
			bool kept = false;

			for (int i = 0; next.slot == slot && i < n_keep; i++)
				kept |= !memcmp(next.addr, keep[i], 16);
			if (next.slot == slot && !kept)
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
 * The host's IPv6 addresses on @ifindex now (/proc/net/if_inet6), link-local
 * ones too: a bound sandbox must not claim any of them (bpf/source.h).
 */
static int read_host_addrs(int ifindex, __u8 (*out)[16], int max)
{
	char line[256], hex[33];
	unsigned int idx, plen, scope, flags;
	int n = 0;
	FILE *f = fopen("/proc/net/if_inet6", "r");

	if (!f)
		return errno == ENOENT ? 0 : -errno; /* no IPv6 on this host */
	while (n < max && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%32s %x %x %x %x", hex, &idx, &plen, &scope, &flags) != 5 ||
		    (int)idx != ifindex || strlen(hex) != 32)
			continue;
		for (int i = 0; i < 16; i++)
			sscanf(hex + 2 * i, "%2hhx", &out[n][i]);
		n++;
	}
	fclose(f);
	return n;
}

/*
 * Packets read this table: the current addresses go in first, then only
 * those no longer there come out, so an address that stays is never missing
 * (and a command killed in between leaves at most one stale address).
 * /proc/net/if_inet6 is cheaper than getifaddrs(), which dumps every link.
 */
static int host_addrs_sync_slot(struct vr_state *st, __u32 slot, int ifindex)
{
	static __u8 now[256][16];
	__u8 one = 1;
	int n = read_host_addrs(ifindex, now, 256), ret = 0;

	if (n < 0)
		return n;
	for (int i = 0; !ret && i < n; i++) {
		struct vrnet_hostaddr_key add = { .slot = slot };

		memcpy(add.addr, now[i], 16);
		if (bpf_map_update_elem(st->hostaddrs_fd, &add, &one, BPF_ANY))
			ret = -errno;
	}
	return ret ? ret : host_addrs_drop(st, slot, now, n);
}

int vr_host_addrs_sync(struct vr_state *st, int ifindex)
{
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	return ret ? ret : host_addrs_sync_slot(st, slot, ifindex);
}

/* Marks a switch under way in vrnet_config: a command killed in it leaves the mark. */
static int set_unsettled(struct vr_state *st, __u32 unsettled)
{
	struct vrnet_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
		return -errno;
	cfg.unsettled = unsettled;
	return bpf_map_update_elem(st->config_fd, &zero, &cfg, BPF_ANY) ? -errno : 0;
}

int vr_device_switch(struct vr_state *st, __u32 slot, const struct vrnet_record *next)
{
	__u32 current = word_of(st, slot);
	__u32 record_id = vrnet_record_id(slot, current == vrnet_record_id(slot, 0) ? 1 : 0);
	struct vrnet_record rec = *next;
	int ret = set_unsettled(st, 1);

	if (ret)
		return ret;
	rec.change = next_change(st, slot);
	/* the bank no word names: no packet reads it (the last switch waited) */
	if (bpf_map_update_elem(st->records_fd, &record_id, &rec, BPF_ANY))
		return -errno;
	store_word(st, slot, record_id);
	st->switched_ms = vr_now_ms(); /* in force from here: the wait is for what it replaced */
	vr_wait_for_readers();
	vr_debug("switch: wait_ms=%.3f for readers of the record it replaced",
		 vr_now_ms() - st->switched_ms);
	/*
	 * The new record is in force from the store on: a failure to clear the
	 * mark costs the next change one more grace period, nothing else, and
	 * must not make the caller undo what packets already see.
	 */
	if (set_unsettled(st, 0))
		vr_warn("couldn't clear the switch mark in %s: %s", VRNET_MAP_CONFIG,
			strerror(errno));
	return 0;
}

void vr_rate_gcra(__u32 rate, __u32 burst, __u64 *interval_ns, __u64 *tolerance_ns)
{
	*interval_ns = rate ? 1000000000ull / rate : 0;
	*tolerance_ns = *interval_ns * (burst ? burst - 1 : 0);
}

void vr_record_of(const struct vr_device *dev, struct vrnet_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->policy_id = dev->policy_id;
	rec->overlay_id = dev->overlay_id;
	rec->overlay_removes = dev->overlay_removes;
	rec->inbound = dev->inbound;
	rec->slot = dev->slot;
	rec->default_action = dev->default_action;
	rec->internet = dev->internet;
	rec->mode = dev->mode;
	rec->log_allowed = dev->log_allowed;
	rec->dns_proxy = dev->dns_proxy;
	rec->event_rate = dev->event_rate;
	rec->event_burst = dev->event_burst;
	vr_rate_gcra(dev->event_rate, dev->event_burst, &rec->event_interval_ns,
		     &rec->event_tolerance_ns);
	rec->dns_rate = dev->dns_rate;
	rec->dns_burst = dev->dns_burst;
	vr_rate_gcra(dev->dns_rate, dev->dns_burst, &rec->dns_interval_ns, &rec->dns_tolerance_ns);
	memcpy(rec->host_mac, dev->host_mac, sizeof(rec->host_mac));
	rec->binding = dev->binding;
	memcpy(rec->bound_mac, dev->bound_mac, sizeof(rec->bound_mac));
}

int vr_device_read_mac(int ifindex, __u8 *mac)
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	if (!if_indextoname((unsigned int)ifindex, ifr.ifr_name))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		ret = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return ret;
}

int vr_device_create(struct vr_state *st, int ifindex, const char *ifname,
		     struct vr_device *dev, char *err, size_t errlen)
{
	struct vrnet_device_key key = { .netns_cookie = st->netns_cookie,
					.ifindex = (__u32)ifindex };
	struct vrnet_devinfo di = { .netns_cookie = st->netns_cookie,
				    .netns_inode = st->netns_inode,
				    .ifindex = (__u32)ifindex,
				    .in_use = VRNET_SLOT_ATTACHING };
	struct vrnet_record rec;
	__u32 record_id;
	int ret = alloc_slot(st, &dev->slot, err, errlen);

	if (ret) {
		if (ret != -ENOSPC)
			snprintf(err, errlen, "couldn't find a free slot: %s", strerror(-ret));
		return ret;
	}
	snprintf(di.ifname, sizeof(di.ifname), "%s", ifname);
	/* in use first: a command killed from here on leaves a slot the next one frees */
	ret = bpf_map_update_elem(st->devinfo_fd, &dev->slot, &di, BPF_ANY) ? -errno : 0;
	if (!ret)
		ret = reset_slot(st, dev->slot);
	if (!ret)
		ret = vr_slot_tables_ready(st, dev->slot);
	if (!ret)
		ret = host_addrs_sync_slot(st, dev->slot, ifindex);
	if (ret) {
		snprintf(err, errlen, "couldn't set up the device's slot: %s", strerror(-ret));
		return ret;
	}
	/* no packet can reach the slot before its key exists: no switch, no wait */
	if (vr_device_read_mac(ifindex, dev->host_mac))
		vr_warn("couldn't read the MAC of %s: unicast ARP to it is dropped", ifname);
	dev->netns_cookie = st->netns_cookie;
	dev->netns_inode = st->netns_inode;
	dev->ifindex = ifindex;
	snprintf(dev->ifname, sizeof(dev->ifname), "%s", ifname);
	vr_record_of(dev, &rec);
	rec.change = next_change(st, dev->slot);
	record_id = vrnet_record_id(dev->slot, 0);
	if (bpf_map_update_elem(st->records_fd, &record_id, &rec, BPF_ANY))
		ret = -errno;
	if (!ret) {
		store_word(st, dev->slot, record_id);
		if (bpf_map_update_elem(st->devices_fd, &key, &dev->slot, BPF_NOEXIST))
			ret = -errno;
	}
	/* keyed: the recovery need not look (if this fails, it looks and marks it) */
	di.in_use = 1;
	if (!ret && devinfo_write(st, dev->slot, &di))
		vr_debug("couldn't mark slot %u keyed: the next change does", dev->slot);
	if (ret)
		snprintf(err, errlen, "couldn't add the device: %s",
			 ret == -E2BIG ? "too many devices" : strerror(-ret));
	dev->record_id = record_id;
	return ret;
}

/*
 * Frees a slot whose key is gone: once no packet can hold it, its policies,
 * counters and notes go, and its tables are emptied for the next device.
 * Its notes go last: until then the next change finds the slot and finishes
 * the job.
 */
static int free_slot(struct vr_state *st, __u32 slot)
{
	char link[4200];
	struct vrnet_devinfo none = { 0 };
	struct vr_device dev;
	int ret = vr_device_get_slot(st, slot, &dev);

	if (ret)
		return ret;
	/* before its record goes: with none, our XDP program would drop everything */
	ret = xdp_off(st, &dev);
	if (ret)
		return ret;
	vr_wait_for_readers();
	if (dev.overlay_id)
		ret = vr_store_delete(st, dev.overlay_id, false, 0);
	if (!ret && dev.policy_id)
		ret = vr_store_delete(st, dev.policy_id, true, dev.overlay_rule_count);
	if (ret)
		return ret;
	store_word(st, slot, 0);
	/* a tcx link of a device that is gone, or whose detach died: unpinned, it goes */
	if (!vr_state_link_path(st, dev.netns_cookie, dev.ifindex, link, sizeof(link))) {
		if (unlink(link) && errno != ENOENT)
			return -errno;
		vr_hook_forget_move(link);
	}
	if (!vr_state_inbound_link_path(st, dev.netns_cookie, dev.ifindex, link, sizeof(link)) &&
	    unlink(link) && errno != ENOENT)
		return -errno;
	ret = reset_slot(st, slot);
	if (!ret)
		ret = host_addrs_drop(st, slot, NULL, 0);
	if (!ret) /* the next device in this slot must not inherit them */
		ret = vr_dns_opened_forget(st, slot);
	if (!ret)
		ret = vr_binding_forget(st, slot);
	if (!ret)
		ret = vr_slot_tables_empty(st, slot);
	if (!ret && bpf_map_update_elem(st->devinfo_fd, &slot, &none, BPF_ANY))
		ret = -errno;
	return ret;
}

bool vr_netns_has_devices(struct vr_state *st, __u64 cookie)
{
	struct vrnet_device_key key, next, *prev = NULL;

	while (!bpf_map_get_next_key(st->devices_fd, prev, &next)) {
		if (next.netns_cookie == cookie)
			return true;
		key = next;
		prev = &key;
	}
	return false;
}

int vr_device_forget_slot(struct vr_state *st, __u32 slot)
{
	__u32 held;
	struct vr_device dev;
	struct vrnet_device_key key = { 0 };
	int ret = vr_device_get_slot(st, slot, &dev);

	if (ret)
		return ret;
	key.netns_cookie = dev.netns_cookie;
	key.ifindex = (__u32)dev.ifindex;
	/* keyless from here on: the recovery looks at a detaching slot */
	if (!st->devinfo[slot].detaching) {
		struct vrnet_devinfo di = st->devinfo[slot];

		di.detaching = 1;
		if ((ret = devinfo_write(st, slot, &di)))
			return ret;
	}
	/* the key, if it is still this slot's */
	if (!bpf_map_lookup_elem(st->devices_fd, &key, &held) && held == slot &&
	    bpf_map_delete_elem(st->devices_fd, &key) && errno != ENOENT)
		return -errno;
	return free_slot(st, slot);
}

int vr_device_forget(struct vr_state *st, int ifindex)
{
	__u32 slot;
	int ret = vr_device_find(st, ifindex, &slot);

	return ret ? ret : vr_device_forget_slot(st, slot);
}

/* The notes of @ifindex, for a change: -ENOENT if it has none. */
static int devinfo_of(struct vr_state *st, int ifindex, __u32 *slot, struct vrnet_devinfo *di)
{
	int ret = vr_device_find(st, ifindex, slot);

	if (!ret)
		*di = st->devinfo[*slot];
	return ret;
}

int vr_device_set_hook(struct vr_state *st, __u32 slot, bool tcx, bool created_qdisc)
{
	struct vrnet_devinfo di;

	if (slot >= VRNET_MAX_DEVICES || !st->devinfo[slot].in_use)
		return -ENOENT;
	di = st->devinfo[slot];
	di.tcx = tcx;
	di.created_qdisc = created_qdisc;
	return devinfo_write(st, slot, &di);
}

int vr_device_set_xdp(struct vr_state *st, __u32 slot, __u8 xdp)
{
	struct vrnet_devinfo di;

	if (slot >= VRNET_MAX_DEVICES || !st->devinfo[slot].in_use)
		return -ENOENT;
	di = st->devinfo[slot];
	di.xdp = xdp;
	return devinfo_write(st, slot, &di);
}

int vr_device_detaching(struct vr_state *st, int ifindex, bool detaching)
{
	struct vrnet_devinfo di;
	__u32 slot;
	int ret = devinfo_of(st, ifindex, &slot, &di);

	if (ret)
		return ret;
	di.detaching = detaching;
	return devinfo_write(st, slot, &di);
}

/*
 * Whether interface @ifindex exists, asked on socket @sock (its namespace's):
 * 1, 0 when the kernel says there is no such device, -errno when it cannot
 * tell.
 */
static int ifindex_exists(int sock, __u32 ifindex)
{
	struct ifreq ifr = { .ifr_ifindex = (int)ifindex };

	if (!ioctl(sock, SIOCGIFNAME, &ifr))
		return 1;
	return errno == ENODEV ? 0 : -errno;
}

/*
 * Whether the device noted in @di still exists (@sock: a socket of this
 * namespace): -ENOENT if its namespace cannot be found.
 */
static int device_exists(struct vr_state *st, const struct vrnet_devinfo *di, int sock)
{
	int home, ret;

	if (di->netns_cookie == st->netns_cookie)
		return ifindex_exists(sock, di->ifindex);
	ret = vr_netns_enter(di->netns_cookie, di->netns_inode, &home);
	if (ret)
		return ret;
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); /* one of that namespace */
	ret = sock < 0 ? -errno : ifindex_exists(sock, di->ifindex);
	if (sock >= 0)
		close(sock);
	vr_netns_return(home);
	return ret == -ENOENT ? -EIO : ret;
}

/*
 * Every change runs this, so it reads the slots' notes from their mapping
 * and asks one socket about each device of this namespace: one system call
 * a device, where the devices map's walk, the records and a socket of its
 * own for each were ten (4.3 ms of every change with 300 devices attached).
 */
int vr_gc(struct vr_state *st, enum vr_gc_scope scope, size_t *unreachable)
{
	int forgotten = 0, ret = 0, sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	*unreachable = 0;
	if (sock < 0)
		return -errno;
	for (__u32 s = 0, end = slots_used(st); s < end; s++) {
		struct vrnet_devinfo di = st->devinfo[s];
		int exists;

		if (!di.in_use || (scope == VR_GC_HERE && di.netns_cookie != st->netns_cookie))
			continue;
		exists = device_exists(st, &di, sock);
		if (exists == -ENOENT && scope != VR_GC_FORCE) {
			(*unreachable)++;
			continue;
		}
		if (exists && exists != -ENOENT) /* there, or no telling */
			continue;
		ret = vr_device_forget_slot(st, s);
		if (ret && ret != -ENOENT)
			break;
		di.ifname[sizeof(di.ifname) - 1] = '\0';
		vr_debug("forgot %s (ifindex %u): it no longer exists", di.ifname, di.ifindex);
		forgotten++;
		ret = 0;
	}
	close(sock);
	return ret ? ret : forgotten;
}

int vr_gc_free_slots(struct vr_state *st, size_t *freed)
{
	*freed = 0;
	for (__u32 s = 0, end = slots_used(st); s < end; s++) {
		int ret = st->devinfo[s].in_use ? 0 : vr_slot_tables_drop(st, s);

		if (ret < 0)
			return ret;
		*freed += (size_t)ret;
	}
	return 0;
}

/*
 * Whether slot @s (noted @di, not detaching) is its device's: its key names
 * it. Asked only of a slot an attach left attaching, and of every slot at a
 * build's first change (another build marked none); one found keyed is
 * marked so.
 */
static bool slot_keyed(struct vr_state *st, __u32 s, struct vrnet_devinfo di)
{
	struct vrnet_device_key key = { .netns_cookie = di.netns_cookie, .ifindex = di.ifindex };
	__u32 slot;

	if (di.in_use != VRNET_SLOT_ATTACHING && !st->new_build)
		return true; /* keyed, and no command took the key away */
	if (bpf_map_lookup_elem(st->devices_fd, &key, &slot) || slot != s)
		return false;
	if (di.in_use == VRNET_SLOT_ATTACHING) { /* an attach killed right after its key */
		di.in_use = 1;
		if (devinfo_write(st, s, &di))
			vr_debug("couldn't mark slot %u keyed: the next change looks again", s);
	}
	return true;
}

int vr_recover(struct vr_state *st, size_t *repaired)
{
	struct vrnet_config cfg;
	size_t reclaimed = 0;
	__u32 zero = 0;
	int ret = 0;

	*repaired = 0;
	if (bpf_map_lookup_elem(st->config_fd, &zero, &cfg))
		return -errno;
	if (cfg.unsettled) { /* a switch whose wait never ended: wait now */
		vr_wait_for_readers();
		ret = set_unsettled(st, 0);
		(*repaired)++;
	}
	for (__u32 s = 0, end = slots_used(st); !ret && s < end; s++) {
		struct vrnet_devinfo di = st->devinfo[s];

		if (!di.in_use)
			continue;
		if (di.rebinding) {
			ret = vr_binding_recover(st, s);
			(*repaired)++;
		}
		if (!di.detaching && slot_keyed(st, s, di))
			continue;
		/* an attach killed before its key, or a detach once it began */
		ret = vr_device_forget_slot(st, s);
		if (ret == -ENOENT)
			ret = 0;
		(*repaired)++;
	}
	if (!ret)
		ret = vr_store_reclaim(st, &reclaimed);
	*repaired += reclaimed;
	return ret;
}

int vr_sweep(struct vr_state *st, size_t *swept)
{
	return vr_store_sweep(st, swept);
}
