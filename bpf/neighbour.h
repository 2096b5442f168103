/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Neighbour discovery to the host's own addresses on the sandbox's device.
 * When the host solicits the sandbox from one of its global addresses on that
 * device, the sandbox's advertisement goes back to that address: it stays on
 * the link, yet is neither link-local nor ff02::/16. Exempting ND to any
 * address would let it carry data through a forwarding host, so only the
 * addresses the loader recorded for this device are exempt.
 */
#ifndef VRNET_BPF_NEIGHBOUR_H
#define VRNET_BPF_NEIGHBOUR_H

static __always_inline int is_host_address(__u32 slot, const __u8 *addr)
{
	struct vrnet_hostaddr_key key = { .slot = slot };

	__builtin_memcpy(key.addr, addr, 16);
	return bpf_map_lookup_elem(&vrnet_hostaddrs, &key) != NULL;
}

#endif
