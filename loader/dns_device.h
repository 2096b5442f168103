/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The DNS proxy's end of a network namespace (docs/dns-proxy.md): the veth
 * pair vrdns0/vrdns1 of vrnet-bpf's own, NOARP and up, the proxy's address
 * and the client prefix on vrdns0, the return program on vrdns0's tc
 * egress, and the namespace's vrnet_dnsnetns entry. Nothing of the host's
 * routing or firewall is used: the routes are vrdns0's own prefixes.
 */
#ifndef VR_DNS_DEVICE_H
#define VR_DNS_DEVICE_H

#include <stddef.h>
#include "state.h"

/* Makes sure this namespace has it all (idempotent); the namespace's program is loaded. */
int vr_dns_device_ensure(struct vr_state *st, char *err, size_t errlen);

/* Removes it from this namespace (its last device went): idempotent. */
int vr_dns_device_remove(struct vr_state *st);

#endif
