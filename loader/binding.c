// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include "binding.h"
#include "devices.h"
#include "rule.h"

static bool same_prefix(const struct vrnet_bound_prefix *a, const struct vrnet_bound_prefix *b)
{
	return a->family == b->family && a->prefixlen == b->prefixlen &&
	       !memcmp(a->addr, b->addr, 16);
}

int vr_binding_add_address(struct vr_binding *b, const char *text, char *err, size_t errlen)
{
	struct vrnet_bound_prefix p = { 0 };
	struct vr_rule r;

	if (vr_rule_parse(text, &r, err, errlen))
		return -EINVAL;
	if (r.kind != VRNET_RULE_CIDR || !r.any_port || r.proto != VRNET_PROTO_ANY) {
		snprintf(err, errlen, "--address takes an address or a prefix, not \"%s\"", text);
		return -EINVAL;
	}
	if (r.prefixlen == 0) {
		snprintf(err, errlen, "--address %s binds every address: leave the device unbound",
			 text);
		return -EINVAL;
	}
	p.family = r.family;
	p.prefixlen = r.prefixlen;
	memcpy(p.addr, r.addr, 16);
	for (size_t i = 0; i < b->count; i++)
		if (same_prefix(&b->prefixes[i], &p))
			return 0;
	if (b->count == VRNET_MAX_BOUND_ADDRS) {
		snprintf(err, errlen, "at most %d --address per device", VRNET_MAX_BOUND_ADDRS);
		return -EINVAL;
	}
	b->prefixes[b->count++] = p;
	return 0;
}

int vr_binding_set_mac(struct vr_binding *b, const char *text, char *err, size_t errlen)
{
	unsigned int m[6];
	char end;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5],
		   &end) != 6 || strlen(text) != 17) {
		snprintf(err, errlen, "--mac takes xx:xx:xx:xx:xx:xx, not \"%s\"", text);
		return -EINVAL;
	}
	for (int i = 0; i < 6; i++)
		b->mac[i] = (__u8)m[i];
	if ((b->mac[0] & 1) || !(b->mac[0] | b->mac[1] | b->mac[2] | b->mac[3] | b->mac[4] |
				  b->mac[5])) {
		snprintf(err, errlen, "--mac %s is not a unicast MAC", text);
		return -EINVAL;
	}
	b->has_mac = true;
	return 0;
}

void vr_binding_link_local(const __u8 *mac, __u8 *addr)
{
	memset(addr, 0, 16);
	addr[0] = 0xfe;
	addr[1] = 0x80;
	addr[8] = mac[0] ^ 0x02; /* the universal/local bit, inverted (RFC 4291) */
	addr[9] = mac[1];
	addr[10] = mac[2];
	addr[11] = 0xff;
	addr[12] = 0xfe;
	addr[13] = mac[3];
	addr[14] = mac[4];
	addr[15] = mac[5];
}

static bool note_has(const struct vrnet_binding_note *n, const struct vrnet_bound_prefix *p)
{
	for (__u32 i = 0; i < n->count; i++)
		if (same_prefix(&n->prefixes[i], p))
			return true;
	return false;
}

/* What @b puts into the maps: its prefixes, and the link-local address of its MAC. */
static void note_of(const struct vr_binding *b, struct vrnet_binding_note *n)
{
	struct vrnet_bound_prefix ll = { .family = 6, .prefixlen = 128, .from_mac = 1 };

	memset(n, 0, sizeof(*n));
	memcpy(n->prefixes, b->prefixes, b->count * sizeof(b->prefixes[0]));
	n->count = (__u32)b->count;
	if (!b->has_mac)
		return;
	vr_binding_link_local(b->mac, ll.addr);
	if (!note_has(n, &ll))
		n->prefixes[n->count++] = ll;
}

static int prefix_update(struct vr_state *st, __u32 slot, const struct vrnet_bound_prefix *p,
			 bool add)
{
	struct vrnet_bound4_key k4 = { .prefixlen = 32 + p->prefixlen, .slot = slot };
	struct vrnet_bound6_key k6 = { .prefixlen = 32 + p->prefixlen, .slot = slot };
	int fd = p->family == 4 ? st->bound4_fd : st->bound6_fd;
	void *key = p->family == 4 ? (void *)&k4 : (void *)&k6;
	__u8 one = 1;

	memcpy(k4.addr, p->addr, 4);
	memcpy(k6.addr, p->addr, 16);
	if (add)
		return bpf_map_update_elem(fd, key, &one, BPF_ANY) ? -errno : 0;
	return bpf_map_delete_elem(fd, key) && errno != ENOENT ? -errno : 0;
}

int vr_binding_read(struct vr_state *st, __u32 slot, struct vrnet_binding_note *note)
{
	memset(note, 0, sizeof(*note));
	if (bpf_map_lookup_elem(st->bindings_fd, &slot, note))
		return errno == ENOENT ? 0 : -errno;
	if (note->count > VRNET_BINDING_NOTE_MAX)
		note->count = VRNET_BINDING_NOTE_MAX;
	return 0;
}

static int set_rebinding(struct vr_state *st, __u32 slot, __u8 rebinding)
{
	struct vrnet_devinfo di = st->devinfo[slot];

	di.rebinding = rebinding;
	return bpf_map_update_elem(st->devinfo_fd, &slot, &di, BPF_EXIST) ? -errno : 0;
}

/* Removes the leaving prefixes of @note (what the device in @slot no longer is bound to). */
static int settle(struct vr_state *st, __u32 slot, const struct vrnet_binding_note *note)
{
	struct vrnet_binding_note kept = { 0 };
	int ret = 0;

	for (__u32 i = 0; i < note->count && !ret; i++) {
		if (note->prefixes[i].leaving)
			ret = prefix_update(st, slot, &note->prefixes[i], false);
		else
			kept.prefixes[kept.count++] = note->prefixes[i];
	}
	if (!ret && bpf_map_update_elem(st->bindings_fd, &slot, &kept, BPF_ANY))
		ret = -errno;
	return ret ? ret : set_rebinding(st, slot, 0);
}

int vr_binding_recover(struct vr_state *st, __u32 slot)
{
	struct vrnet_binding_note note;
	int ret = vr_binding_read(st, slot, &note);

	return ret ? ret : settle(st, slot, &note);
}

/*
 * An IPv4 prefix that holds an address of the host on @ifindex would let the
 * sandbox speak as the host (its ARP, on a bridge its packets): refused.
 * (The datapath leaves out the host's IPv6 addresses itself.)
 */
static int check_host_ipv4(const struct vr_binding *b, int ifindex, char *err, size_t errlen)
{
	char ifname[IF_NAMESIZE], host[INET_ADDRSTRLEN], prefix[64];
	struct ifaddrs *all, *a;
	int ret = 0;

	/* getifaddrs() dumps every link of the host: not for a binding of nothing */
	if (!b->count || !if_indextoname((unsigned int)ifindex, ifname) || getifaddrs(&all))
		return 0; /* nothing to compare with: the device is gone */
	for (a = all; a && !ret; a = a->ifa_next) {
		const struct sockaddr_in *sin = (const void *)a->ifa_addr;

		if (!sin || sin->sin_family != AF_INET || strcmp(a->ifa_name, ifname))
			continue;
		for (size_t i = 0; i < b->count && !ret; i++) {
			const struct vrnet_bound_prefix *p = &b->prefixes[i];
			__u32 mask, net, addr;

			if (p->family != 4)
				continue;
			mask = p->prefixlen ? ~0u << (32 - p->prefixlen) : 0;
			memcpy(&net, p->addr, 4);
			addr = sin->sin_addr.s_addr;
			if ((ntohl(net) & mask) != (ntohl(addr) & mask))
				continue;
			inet_ntop(AF_INET, &addr, host, sizeof(host));
			vr_addr_format(4, p->addr, p->prefixlen, prefix, sizeof(prefix));
			snprintf(err, errlen,
				 "--address %s holds %s, the host's address on %s: the sandbox could speak as the host (bind its own addresses)",
				 prefix, host, ifname);
			ret = -EINVAL;
		}
	}
	freeifaddrs(all);
	return ret;
}

int vr_device_bind(struct vr_state *st, __u32 slot, const struct vr_binding *b, char *err,
		   size_t errlen)
{
	struct vrnet_binding_note old, next, all;
	struct vrnet_record rec;
	struct vr_device dev;
	int ret;

	if ((ret = vr_device_get_slot(st, slot, &dev)) || (ret = vr_binding_read(st, slot, &old)))
		goto out;
	if ((ret = check_host_ipv4(b, dev.ifindex, err, errlen)))
		return ret;
	note_of(b, &next);
	all = next;
	for (__u32 i = 0; i < old.count; i++)
		if (!note_has(&next, &old.prefixes[i])) {
			all.prefixes[all.count] = old.prefixes[i];
			all.prefixes[all.count++].leaving = 1;
		}
	/* the note first: it never lists less than the maps hold */
	if ((ret = set_rebinding(st, slot, 1)))
		goto out;
	if (bpf_map_update_elem(st->bindings_fd, &slot, &all, BPF_ANY)) {
		ret = -errno;
		goto out;
	}
	for (__u32 i = 0; i < next.count && !ret; i++)
		ret = prefix_update(st, slot, &next.prefixes[i], true);
	if (ret)
		goto out;
	dev.binding = b->count ? VRNET_BIND_ADDRESS : 0;
	dev.binding |= b->count && b->has_mac ? VRNET_BIND_MAC : 0;
	dev.binding |= b->count && b->dhcp ? VRNET_BIND_DHCP : 0;
	memcpy(dev.bound_mac, b->has_mac ? b->mac : (const __u8[6]){ 0 }, 6);
	vr_record_of(&dev, &rec);
	/* returns after a grace period: no packet reads the leaving prefixes after it */
	if ((ret = vr_device_switch(st, slot, &rec)))
		goto out;
	ret = settle(st, slot, &all);
out:
	if (ret)
		snprintf(err, errlen, "couldn't bind the device's source: %s", strerror(-ret));
	return ret;
}

int vr_binding_forget(struct vr_state *st, __u32 slot)
{
	struct vrnet_binding_note note;
	int ret = vr_binding_read(st, slot, &note);

	for (__u32 i = 0; i < note.count && !ret; i++)
		ret = prefix_update(st, slot, &note.prefixes[i], false);
	if (!ret && bpf_map_delete_elem(st->bindings_fd, &slot) && errno != ENOENT)
		ret = -errno;
	return ret;
}
