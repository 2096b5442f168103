/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which record decides a packet: the device (this program's network
 * namespace and the packet's ifindex) gives its slot, the slot's word names
 * the record. The word is read once; everything after comes from the one
 * record it named, which the loader never writes while a word names it.
 */
#ifndef VRNET_BPF_DEVICE_H
#define VRNET_BPF_DEVICE_H

/* Set by the loader before load: each network namespace has its own program. */
const volatile __u64 vrnet_netns_cookie = 0;

static __always_inline const struct vrnet_record *device_record(__u32 ifindex)
{
	struct vrnet_device_key key = { .netns_cookie = vrnet_netns_cookie, .ifindex = ifindex };
	__u32 *slot, record_id;
	__u64 *word;

	slot = bpf_map_lookup_elem(&vrnet_devices, &key);
	if (!slot)
		return NULL;
	word = bpf_map_lookup_elem(&vrnet_switch, slot);
	if (!word)
		return NULL;
	record_id = (__u32)*(volatile __u64 *)word;
	if (!record_id)
		return NULL;
	return bpf_map_lookup_elem(&vrnet_records, &record_id);
}

#endif
