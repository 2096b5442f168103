/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A device's rules as the DNS proxy applies them: its name rules, what an
 * allow rule's answers open, and its block rules on addresses. Read from the
 * maps once per change of the device and kept per slot until the slot's word
 * in vrnet_switch changes (every change stores a new word, vrnet_common.h):
 * a query reads one word from memory, no system call.
 */
#ifndef VR_DNS_RULES_H
#define VR_DNS_RULES_H

#include "dns_message.h"
#include "dns_names.h"
#include "state.h"

struct vr_dns_rules {
	__u64 word;		 /* the slot's word they were read at */
	struct vr_device dev;	 /* the record and policies in force then */
	struct vr_name_pattern *p; /* the name rules, base and overlay */
	size_t n;
	struct vrnet_port_entry *opens; /* per pattern: what its answers open, if an allow */
	struct vrnet_rule *blocks;	 /* the block rules on addresses, for the log */
	size_t n_blocks;
};

struct vr_dns_rules_cache {
	struct vr_dns_rules **slot; /* VRNET_MAX_DEVICES; NULL: not read */
};

int vr_dns_rules_init(struct vr_dns_rules_cache *c);
void vr_dns_rules_free(struct vr_dns_rules_cache *c);

/*
 * The rules of the device in @slot now, read again if its word changed
 * (under the pin directory's shared lock: never a change half-way). A slot
 * without a device has rules without a policy (vr_dns_rules_decide says
 * -ENOENT). Return: 0 or -errno.
 */
int vr_dns_rules_get(struct vr_state *st, struct vr_dns_rules_cache *c, __u32 slot,
		     const struct vr_dns_rules **out);

/* Frees what is kept of devices that changed or went since it was read. */
void vr_dns_rules_prune(struct vr_state *st, struct vr_dns_rules_cache *c);

/*
 * The decision on @qname: the index in r->p of the rule that decides it
 * (-1: the device's default), and in @allowed what it says.
 */
int vr_dns_rules_decide(const struct vr_dns_rules *r, const ldns_rdf *qname, bool *allowed);

/* A vr_dns_name_veto: whether the rule of @ctx (struct vr_dns_rules) for @name blocks it. */
bool vr_dns_rules_block(const ldns_rdf *name, void *ctx);

/* How many of @addrs (@n) a block rule of @r covers: opened, they stay closed. */
int vr_dns_rules_blocked(const struct vr_dns_rules *r, const struct vr_dns_addr *addrs, int n);

#endif
