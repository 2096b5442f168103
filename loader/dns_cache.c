// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dns_cache.h"

#define QUESTION_AT 12 /* after the header */

int vr_dns_cache_init(struct vr_dns_cache *c)
{
	memset(c, 0, sizeof(*c));
	c->e = calloc(VR_DNS_CACHE_ENTRIES, sizeof(*c->e));
	return c->e ? 0 : -ENOMEM;
}

void vr_dns_cache_free(struct vr_dns_cache *c)
{
	for (size_t i = 0; c->e && i < VR_DNS_CACHE_ENTRIES; i++)
		free(c->e[i].wire);
	free(c->e);
	memset(c, 0, sizeof(*c));
}

/*
 * What an answer depends on besides the name: the question's type and class,
 * the flags RD and CD, and EDNS (present, its DO bit and UDP size). The name
 * goes in lowercased: names compare without case.
 */
static size_t key_of(const struct vr_dns_query *q, uint8_t *key)
{
	const uint8_t *name = ldns_rdf_data(q->qname);
	size_t n = ldns_rdf_size(q->qname), k = 0;
	uint16_t udp = ldns_pkt_edns(q->pkt) ? ldns_pkt_edns_udp_size(q->pkt) : 0;

	for (size_t i = 0; i < n; i++)
		key[k++] = (uint8_t)tolower(name[i]);
	key[k++] = (uint8_t)(q->qtype >> 8);
	key[k++] = (uint8_t)q->qtype;
	key[k++] = (uint8_t)(q->qclass >> 8);
	key[k++] = (uint8_t)q->qclass;
	key[k++] = (uint8_t)(ldns_pkt_rd(q->pkt) | ldns_pkt_cd(q->pkt) << 1 |
			     ldns_pkt_edns_do(q->pkt) << 2 | (ldns_pkt_edns(q->pkt) ? 8 : 0));
	key[k++] = (uint8_t)(udp >> 8);
	key[k++] = (uint8_t)udp;
	return k;
}

static size_t index_of(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % VR_DNS_CACHE_ENTRIES;
}

const struct vr_dns_cached *vr_dns_cache_get(struct vr_dns_cache *c, const struct vr_dns_query *q,
					     uint64_t now_ns)
{
	uint8_t key[sizeof(c->e->key)];
	size_t len = key_of(q, key);
	const struct vr_dns_cached *e = &c->e[index_of(key, len)];

	return e->wire && e->key_len == len && !memcmp(e->key, key, len) && now_ns < e->expires_ns ?
		       e :
		       NULL;
}

/* Whether @wire's question is @q's name, uncompressed where a query has it. */
static bool question_is(const uint8_t *wire, size_t len, const struct vr_dns_query *q)
{
	size_t n = ldns_rdf_size(q->qname);
	const uint8_t *name = ldns_rdf_data(q->qname);

	if (len < QUESTION_AT + n + 4)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tolower(wire[QUESTION_AT + i]) != tolower(name[i]))
			return false;
	return true;
}

void vr_dns_cache_put(struct vr_dns_cache *c, const struct vr_dns_query *q, const uint8_t *wire,
		      size_t len, const struct vr_dns_addr *addrs, int n, bool chained,
		      uint32_t min_ttl_s, uint64_t now_ns)
{
	uint8_t key[sizeof(c->e->key)];
	size_t key_len = key_of(q, key);
	struct vr_dns_cached *e = &c->e[index_of(key, key_len)];
	uint64_t keep = (uint64_t)min_ttl_s * 1000000000ull;
	uint8_t *copy;

	if (!min_ttl_s || n < 0 || n > VR_DNS_MAX_ADDRS_PER_ANSWER + 1 ||
	    !question_is(wire, len, q) || !(copy = malloc(len)))
		return;
	memcpy(copy, wire, len);
	free(e->wire);
	memcpy(e->key, key, key_len);
	e->key_len = key_len;
	e->expires_ns = now_ns + (keep < VR_DNS_CACHE_NS ? keep : VR_DNS_CACHE_NS);
	e->wire = copy;
	e->len = len;
	memcpy(e->addrs, addrs, (size_t)n * sizeof(*addrs));
	e->n_addrs = n;
	e->chained = chained;
}

void vr_dns_cached_answer(const struct vr_dns_cached *e, const struct vr_dns_query *q,
			  uint8_t *out)
{
	uint16_t id = ldns_pkt_id(q->pkt);

	memcpy(out, e->wire, e->len);
	out[0] = (uint8_t)(id >> 8);
	out[1] = (uint8_t)id;
	/* the asker's spelling: a resolver that randomizes case checks it */
	memcpy(out + QUESTION_AT, ldns_rdf_data(q->qname), ldns_rdf_size(q->qname));
}
