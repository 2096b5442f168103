// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dns_message.h"

int vr_dns_query_parse(const uint8_t *wire, size_t len, struct vr_dns_query *q)
{
	ldns_rr *question;

	memset(q, 0, sizeof(*q));
	if (ldns_wire2pkt(&q->pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	if (ldns_pkt_qr(q->pkt) || ldns_pkt_get_opcode(q->pkt) != LDNS_PACKET_QUERY ||
	    ldns_pkt_qdcount(q->pkt) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(q->pkt)) != 1) {
		vr_dns_query_free(q);
		return -EINVAL;
	}
	question = ldns_rr_list_rr(ldns_pkt_question(q->pkt), 0);
	q->qname = ldns_rr_owner(question);
	q->qtype = ldns_rr_get_type(question);
	q->qclass = ldns_rr_get_class(question);
	if (!q->qname || ldns_rdf_get_type(q->qname) != LDNS_RDF_TYPE_DNAME) {
		vr_dns_query_free(q);
		return -EINVAL;
	}
	return 0;
}

void vr_dns_query_free(struct vr_dns_query *q)
{
	ldns_pkt_free(q->pkt);
	memset(q, 0, sizeof(*q));
}

int vr_dns_refusal(const struct vr_dns_query *q, ldns_pkt_rcode rcode, uint8_t **out,
		   size_t *outlen)
{
	ldns_rr *question = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q->pkt), 0));
	ldns_pkt *a = ldns_pkt_new();
	int ret = -ENOMEM;

	if (!a || !question)
		goto out;
	ldns_pkt_set_id(a, ldns_pkt_id(q->pkt));
	ldns_pkt_set_qr(a, true);
	ldns_pkt_set_opcode(a, LDNS_PACKET_QUERY);
	ldns_pkt_set_rd(a, ldns_pkt_rd(q->pkt));
	ldns_pkt_set_ra(a, true);
	ldns_pkt_set_rcode(a, (uint8_t)rcode);
	if (!ldns_pkt_push_rr(a, LDNS_SECTION_QUESTION, question))
		goto out;
	question = NULL; /* the packet's now */
	if (ldns_pkt2wire(out, a, outlen) == LDNS_STATUS_OK)
		ret = 0;
out:
	ldns_rr_free(question);
	ldns_pkt_free(a);
	return ret;
}

/* The target of the CNAME owned by @name in @answers; NULL if none. */
static const ldns_rdf *cname_of(const ldns_rr_list *answers, const ldns_rdf *name,
				uint32_t *ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(answers); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(answers, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
		    !ldns_dname_compare(ldns_rr_owner(rr), name)) {
			*ttl = ldns_rr_ttl(rr);
			return ldns_rr_rdf(rr, 0);
		}
	}
	return NULL;
}

/* Appends the A and AAAA records of @name in @answers to @out; returns the new count. */
static size_t addrs_of(const ldns_rr_list *answers, const ldns_rdf *name, uint32_t ttl_cap,
		       struct vr_dns_addr *out, size_t n, size_t max)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(answers) && n < max; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(answers, i);
		ldns_rr_type type = ldns_rr_get_type(rr);
		const ldns_rdf *rd;
		size_t size;

		if ((type != LDNS_RR_TYPE_A && type != LDNS_RR_TYPE_AAAA) ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) != 1 ||
		    ldns_dname_compare(ldns_rr_owner(rr), name))
			continue;
		rd = ldns_rr_rdf(rr, 0);
		size = type == LDNS_RR_TYPE_A ? 4 : 16;
		if (ldns_rdf_size(rd) != size)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].family = type == LDNS_RR_TYPE_A ? 4 : 6;
		memcpy(out[n].addr, ldns_rdf_data(rd), size);
		out[n].ttl = ldns_rr_ttl(rr) < ttl_cap ? ldns_rr_ttl(rr) : ttl_cap;
		n++;
	}
	return n;
}

int vr_dns_answer_addrs(const uint8_t *wire, size_t len, const ldns_rdf *qname,
			struct vr_dns_addr *out, size_t max)
{
	return vr_dns_answer_chain_addrs(wire, len, qname, out, max, NULL, NULL, NULL);
}

int vr_dns_answer_chain_addrs(const uint8_t *wire, size_t len, const ldns_rdf *qname,
			      struct vr_dns_addr *out, size_t max, vr_dns_name_veto veto, void *ctx,
			      bool *chained)
{
	const ldns_rdf *name = qname;
	uint32_t ttl_cap = UINT32_MAX, link_ttl;
	ldns_rr_list *answers;
	ldns_pkt *pkt = NULL;
	size_t n = 0;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	if (!ldns_pkt_qr(pkt)) {
		ldns_pkt_free(pkt);
		return -EINVAL;
	}
	answers = ldns_pkt_answer(pkt);
	if (chained)
		*chained = false;
	for (int link = 0; name && link <= VR_DNS_MAX_CNAMES; link++) {
		n = addrs_of(answers, name, ttl_cap, out, n, max);
		name = cname_of(answers, name, &link_ttl);
		if (name && chained)
			*chained = true;
		if (name && veto && veto(name, ctx)) {
			ldns_pkt_free(pkt);
			return -EPERM;
		}
		if (name && link_ttl < ttl_cap)
			ttl_cap = link_ttl;
	}
	ldns_pkt_free(pkt);
	return (int)n;
}

/* The smallest TTL of @list's records into @ttl. */
static void min_ttl_of(const ldns_rr_list *list, uint32_t *ttl)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		uint32_t t = ldns_rr_ttl(ldns_rr_list_rr(list, i));

		if (t < *ttl)
			*ttl = t;
	}
}

int vr_dns_answer_reusable_ttl(const uint8_t *wire, size_t len)
{
	uint32_t ttl = UINT32_MAX;
	ldns_pkt *pkt = NULL;

	if (ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return -EINVAL;
	if (!ldns_pkt_qr(pkt) || ldns_pkt_tc(pkt) || ldns_pkt_get_rcode(pkt) != LDNS_RCODE_NOERROR ||
	    ldns_pkt_qdcount(pkt) != 1 || !ldns_pkt_ancount(pkt)) {
		ldns_pkt_free(pkt);
		return 0;
	}
	min_ttl_of(ldns_pkt_answer(pkt), &ttl);
	min_ttl_of(ldns_pkt_authority(pkt), &ttl);
	ldns_pkt_free(pkt);
	return ttl > INT32_MAX ? INT32_MAX : (int)ttl;
}

int vr_dns_upstream_query(const struct vr_dns_query *q, uint8_t **out, size_t *outlen)
{
	ldns_pkt *pkt = ldns_pkt_query_new(ldns_rdf_clone(q->qname), q->qtype, q->qclass,
					   ldns_pkt_rd(q->pkt) ? LDNS_RD : 0);
	ldns_status status;

	if (!pkt)
		return -ENOMEM;
	ldns_pkt_set_id(pkt, ldns_pkt_id(q->pkt));
	ldns_pkt_set_cd(pkt, ldns_pkt_cd(q->pkt));
	if (ldns_pkt_edns(q->pkt)) {
		ldns_pkt_set_edns_udp_size(pkt, ldns_pkt_edns_udp_size(q->pkt));
		ldns_pkt_set_edns_do(pkt, ldns_pkt_edns_do(q->pkt));
	}
	status = ldns_pkt2wire(out, pkt, outlen);
	ldns_pkt_free(pkt);
	return status == LDNS_STATUS_OK ? 0 : -ENOMEM;
}
