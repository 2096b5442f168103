/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Name rules, as the DNS proxy applies them to the names sandboxes ask for:
 * exact names and wildcards ("*.example.com": one or more labels in front of
 * example.com, not example.com itself). Names compare as DNS compares them
 * (label by label, case-insensitive, the trailing dot ignored). Between
 * rules that match, the most specific decides: an exact name over any
 * wildcard, a longer wildcard suffix over a shorter one, and a block over an
 * allow that is as specific.
 */
#ifndef VR_DNS_NAMES_H
#define VR_DNS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vrnet_common.h"

/*
 * A name in DNS wire form, lowercase: each label after its length, then the
 * root's 0. This file, the CLI's, parses names with libc's resolver
 * (ns_name_pton), not ldns: ldns would bring libcrypto into every command
 * (README, Performance: changing one rule); the DNS proxy's own binary
 * hands its ldns names over as wire.
 */
struct vr_dname {
	uint16_t len;	/* bytes of wire, root included */
	uint8_t labels; /* but the root */
	uint8_t wire[255];
};

/* @text ("api.example.com", "API.example.com.") as a name; -EINVAL when it is none. */
int vr_dname_from_text(struct vr_dname *n, const char *text);

struct vr_name_pattern {
	struct vr_dname name; /* the exact name, or the part of a wildcard after "*." */
	bool wildcard;
	uint8_t list;	  /* VRNET_LIST_ALLOW or VRNET_LIST_BLOCK */
	uint32_t rule_id; /* of the policy's DOMAIN record */
};

/* Parses @text ("api.example.com", "*.example.com"); -EINVAL when it is neither. */
int vr_name_pattern_init(struct vr_name_pattern *p, const char *text, uint8_t list,
			 uint32_t rule_id);

/*
 * The patterns of a policy's name rules: of its DOMAIN records among @recs
 * (@count, indexed by rule id; @names the name of each). @out is malloc()ed
 * (free()). Return: 0, or -ENOMEM.
 */
int vr_name_patterns_of(const struct vrnet_rule *recs, const char (*names)[VRNET_MAX_NAME_LEN],
			uint32_t count, struct vr_name_pattern **out, size_t *n);

/*
 * The index in @p of the pattern that decides the name @qname (wire form, any
 * case, @len bytes), or -1 when none matches.
 */
int vr_name_decide(const struct vr_name_pattern *p, size_t n, const uint8_t *qname, size_t len);

#endif
