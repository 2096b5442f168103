/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Compilation of a policy into the map entries the datapath reads:
 * rule records (for show/explain), prefixes per family and portsets.
 * Pure computation: no maps, no root, so it is unit-tested directly.
 */
#ifndef VR_COMPILE_H
#define VR_COMPILE_H

#include <stddef.h>
#include "policy.h"

#define VR_MAX_ADDRS_PER_NAME 64

struct vr_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
};

/*
 * Gives the addresses a domain name stands for: fills at most @max into @out,
 * returns how many, or a negative errno (the message in @err).
 */
typedef int (*vr_resolve_fn)(void *ctx, const char *name, struct vr_addr *out, int max,
			     char *err, size_t errlen);

struct vr_prefix {
	bool inbound; /* of the inbound rules: keyed under VRNET_INBOUND_SPACE */
	uint8_t family;
	uint8_t prefixlen;
	uint8_t addr[16];
	uint32_t portset_id;
	uint32_t rule_id;
};

struct vr_compiled {
	struct vrnet_rule *rules; /* index = rule id */
	size_t rule_count;
	struct vr_name_record {
		uint32_t rule_id;
		char name[VRNET_MAX_NAME_LEN];
	} *names;
	size_t name_count;
	struct vr_prefix *prefixes; /* both families, both directions */
	size_t prefix_count;
	size_t prefix_count4;
	struct vrnet_portset *portsets; /* index = portset id */
	size_t portset_count;
	uint32_t dns_count;
	uint32_t source_rules; /* rules as written: records less resolved addresses */
};

/*
 * Compiles @p. Rule ids follow the order the rules were added to the policy
 * (from a policy file: allow rules, then block rules, then DNS resolvers,
 * then the inbound part's allow and block rules);
 * each domain rule is followed by one record per address it resolved to. Returns 0, -EINVAL (limit exceeded or name unresolvable,
 * message in @err) or -ENOMEM.
 */
int vr_compile(const struct vr_policy *p, vr_resolve_fn resolve, void *ctx,
	       struct vr_compiled *out, char *err, size_t errlen);
/*
 * The same, with the datapath's rule ids starting at @first_rule_id (an
 * overlay's rules continue after its base policy's). Records keep their own
 * indices: rule id = @first_rule_id + index.
 */
int vr_compile_from(const struct vr_policy *p, uint32_t first_rule_id, vr_resolve_fn resolve,
		    void *ctx, struct vr_compiled *out, char *err, size_t errlen);
/* The record a rule of @list compiles to (before its id and any resolved addresses). */
void vr_record_of_rule(const struct vr_rule *r, int list, struct vrnet_rule *rec);

/*
 * Appends to the overlay @c a REMOVED record for rule @base_rule_id of its
 * base: the datapath then skips that rule's entries. 0 or -ENOMEM.
 */
int vr_compiled_remove(struct vr_compiled *c, uint32_t base_rule_id);
void vr_compiled_free(struct vr_compiled *c);

#endif
