/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A policy as written: a default action and lists of allow, block and DNS
 * resolver rules, and optionally an inbound part. Policy files are JSON:
 *   { "default": "deny", "allow": [RULE...], "block": [RULE...],
 *     "dns": [ADDRESS...], "mode": "enforce"|"audit",
 *     "inbound": { "default": "allow"|"deny", "allow": [RULE...], "block": [RULE...] },
 *     "log": { "rate": N, "burst": N, "allowed": false }, "comment": "..." }
 * An inbound rule's HOST is the source of what the host sends into the
 * sandbox and its PORTS the sandbox's port; it takes addresses and prefixes,
 * not names.
 */
#ifndef VR_POLICY_H
#define VR_POLICY_H

#include <stddef.h>
#include <jansson.h>
#include "rule.h"

#define VR_POLICY_FILE_MAX (64u << 20)

struct vr_rule_list {
	struct vr_rule *rules;
	size_t count;
	size_t cap;
};

struct vr_policy {
	uint8_t default_action; /* enum vrnet_action */
	uint8_t mode;		/* enum vrnet_mode */
	bool log_allowed;	/* allowed flows produce events too */
	bool dns_proxy;		/* DNS goes to the proxy (docs/dns-proxy.md): by default when
				 * the policy has name rules; false: they resolve at apply */
	uint32_t event_rate;	/* events per second and device; 0: none */
	uint32_t event_burst;
	uint32_t dns_rate;	/* DNS queries per second the device may send the proxy */
	uint32_t dns_burst;
	struct vr_rule_list allow;
	struct vr_rule_list block;
	struct vr_rule_list dns;
	uint8_t inbound;	/* enum vrnet_inbound: none, or the inbound part's default */
	struct vr_rule_list inbound_allow;
	struct vr_rule_list inbound_block;
	uint32_t next_seq; /* the next rule's vr_rule.seq */
};

void vr_policy_init(struct vr_policy *p);
void vr_policy_free(struct vr_policy *p);
size_t vr_policy_rule_count(const struct vr_policy *p);
struct vr_rule_list *vr_policy_list(struct vr_policy *p, int list);

/*
 * Appends @rule to @list (enum vrnet_rule_list); -E2BIG past the limit. Rules
 * are numbered in the order they are added, whatever their list: a rule
 * added later never moves one added before (its id, and so its hits, stay).
 */
int vr_policy_add(struct vr_policy *p, int list, const struct vr_rule *rule);
/* Removes every rule equal to @rule from @list; -ENOENT if there was none. */
int vr_policy_remove(struct vr_policy *p, int list, const struct vr_rule *rule);

/* A resolver address for the "dns" list: an IPv4 or IPv6 address, no port. */
int vr_dns_rule_parse(const char *text, struct vr_rule *rule, char *err, size_t errlen);

/*
 * Parses a JSON policy of @len bytes. Errors are -EINVAL with a message
 * "SOURCE:LINE:COL: ..." in @err.
 */
int vr_policy_parse(const char *text, size_t len, const char *source,
		    struct vr_policy *p, char *err, size_t errlen);
/* The same, where the object may also hold the key @extra, which the caller reads. */
int vr_policy_parse_with(const char *text, size_t len, const char *source, const char *extra,
			 struct vr_policy *p, char *err, size_t errlen);
/*
 * Reads open @fd whole, up to VR_POLICY_FILE_MAX (@size, if known, sizes the
 * buffer); @source names it in errors.
 */
int vr_policy_read_fd(int fd, const char *source, size_t size, char **text, size_t *len,
		      char *err, size_t errlen);
/* Reads a policy file whole, up to VR_POLICY_FILE_MAX; "-" reads standard input. */
int vr_policy_read_text(const char *path, char **text, size_t *len, char *err, size_t errlen);
/* Reads and parses a policy file; "-" reads standard input. */
int vr_policy_read_file(const char *path, struct vr_policy *p, char *err, size_t errlen);

json_t *vr_policy_to_json(const struct vr_policy *p);

#endif
