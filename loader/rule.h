/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The rule grammar shared by the CLI and policy files:
 *   HOST[:PORTS[/PROTO]]
 * HOST: IPv4 address or CIDR, IPv6 address or CIDR (in brackets when a port
 * follows), or a domain name. PORTS: N, N-M or *. PROTO: tcp, udp, icmp, any.
 */
#ifndef VR_RULE_H
#define VR_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vrnet_common.h"

#define VR_RULE_TEXT_MAX 300

struct vr_rule {
	uint8_t kind;	   /* VRNET_RULE_CIDR or VRNET_RULE_DOMAIN */
	uint8_t family;	   /* 4 or 6 (CIDR only) */
	uint8_t prefixlen; /* CIDR only */
	uint8_t proto;	   /* enum vrnet_proto */
	bool any_port;	   /* no port given, or "*" */
	uint16_t port_lo;
	uint16_t port_hi;
	uint8_t addr[16];  /* network byte order, host bits cleared */
	char name[VRNET_MAX_NAME_LEN]; /* DOMAIN only, lower case */
	uint32_t seq;	   /* when it was added to its policy, across lists: rule ids follow it */
};

/*
 * Parses @text into @rule. On error returns -EINVAL and writes a message that
 * names the problem (without the rule text itself) into @err.
 */
int vr_rule_parse(const char *text, struct vr_rule *rule, char *err, size_t errlen);

/* Canonical text of @rule: "10.0.0.0/8:443/tcp", "[2001:db8::/32]:53", ... */
void vr_rule_format(const struct vr_rule *rule, char *buf, size_t len);

/* Address (with /len unless a full-length host address) of a CIDR rule. */
void vr_addr_format(int family, const uint8_t *addr, int prefixlen, char *buf,
		    size_t len);

bool vr_rule_equal(const struct vr_rule *a, const struct vr_rule *b);
/* Whether any of @rules (@n) is by name. */
bool vr_rules_have_name(const struct vr_rule *rules, size_t n);

const char *vr_proto_name(uint8_t proto);

#endif
