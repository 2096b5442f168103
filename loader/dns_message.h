/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * DNS messages as the proxy meets them, in ldns's wire format code (no
 * parser of our own): a query a sandbox sent, the refusal it gets for a name
 * its policy does not allow, and the addresses an upstream's answer gives.
 * Every input is hostile; every function bounds what it reads and returns.
 */
#ifndef VR_DNS_MESSAGE_H
#define VR_DNS_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ldns/ldns.h>

#define VR_DNS_MAX_CNAMES 16 /* links of a CNAME chain followed */

struct vr_dns_query {
	ldns_pkt *pkt;
	const ldns_rdf *qname; /* in pkt */
	ldns_rr_type qtype;
	ldns_rr_class qclass;
};

/*
 * Parses @wire as a sandbox's query: QR clear, opcode QUERY, exactly one
 * question. Return: 0, or -EINVAL for anything else (the proxy answers
 * nothing to it).
 */
int vr_dns_query_parse(const uint8_t *wire, size_t len, struct vr_dns_query *q);
void vr_dns_query_free(struct vr_dns_query *q);

/*
 * The query the upstream gets for @q: built anew from @q's question, its id,
 * its RD and CD flags and its EDNS size and DO bit, and nothing else. What
 * else a sandbox put in its query (records, EDNS options) never leaves the
 * host. @out is malloc()ed. Return: 0 or -ENOMEM.
 */
int vr_dns_upstream_query(const struct vr_dns_query *q, uint8_t **out, size_t *outlen);

/*
 * The answer that refuses @q: its id, flags and question, @rcode
 * (LDNS_RCODE_NXDOMAIN or LDNS_RCODE_REFUSED), no records. @out is
 * malloc()ed. Return: 0 or -ENOMEM.
 */
int vr_dns_refusal(const struct vr_dns_query *q, ldns_pkt_rcode rcode, uint8_t **out,
		   size_t *outlen);

struct vr_dns_addr {
	int family; /* 4 or 6 */
	uint8_t addr[16];
	uint32_t ttl;
};

/*
 * The A and AAAA addresses @wire (an upstream's answer) gives @qname: the
 * records of the answer section owned by @qname or by a name its CNAME
 * chain there leads to (at most VR_DNS_MAX_CNAMES links), at most @max of
 * them into @out. The smallest TTL along the chain bounds each address's.
 * Return: the number of addresses, or -EINVAL when @wire is no answer.
 */
int vr_dns_answer_addrs(const uint8_t *wire, size_t len, const ldns_rdf *qname,
			struct vr_dns_addr *out, size_t max);

/* Whether a name of a CNAME chain must not be followed (a rule blocks it). */
typedef bool (*vr_dns_name_veto)(const ldns_rdf *name, void *ctx);

/*
 * The same, asking @veto (if any) of every name the chain leads to:
 * -EPERM when it says no, whatever came before. @chained (if not NULL):
 * whether the answer led on through a CNAME.
 */
int vr_dns_answer_chain_addrs(const uint8_t *wire, size_t len, const ldns_rdf *qname,
			      struct vr_dns_addr *out, size_t max, vr_dns_name_veto veto, void *ctx,
			      bool *chained);

/*
 * Whether @wire (an upstream's answer) may be reused for other askers: a
 * NOERROR answer, not truncated, with one question. Return: the smallest
 * TTL of its records (0: none may be kept), or -EINVAL.
 */
int vr_dns_answer_reusable_ttl(const uint8_t *wire, size_t len);

#endif
