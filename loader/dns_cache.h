/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The DNS proxy's cache of upstream answers. It comes after the policy:
 * every query is decided by its own device's rules first, and a hit opens
 * the answer's addresses for that device as an upstream answer would. An
 * answer is reused for at most VR_DNS_CACHE_NS (its smallest TTL if
 * shorter), its TTLs as received: a client may hold a record that much
 * longer than the upstream said, which the opened address's grace covers.
 * Only NOERROR answers with one question, the question first and
 * uncompressed, are kept.
 */
#ifndef VR_DNS_CACHE_H
#define VR_DNS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dns_message.h"
#include "dns_proxy.h"

#define VR_DNS_CACHE_NS 5000000000ull /* the longest an answer is reused */
#define VR_DNS_CACHE_ENTRIES 4096     /* direct-mapped: a newer answer takes the place */

struct vr_dns_cached {
	uint8_t key[264]; /* the question, lowercased, and the flags that shape an answer */
	size_t key_len;
	uint64_t expires_ns;
	uint8_t *wire; /* the answer as the upstream sent it */
	size_t len;
	struct vr_dns_addr addrs[VR_DNS_MAX_ADDRS_PER_ANSWER + 1];
	int n_addrs; /* of the answer's name and its CNAME chain; > max: too many */
	bool chained; /* through a CNAME: each asker's rules judge the chain's names again */
};

struct vr_dns_cache {
	struct vr_dns_cached *e; /* VR_DNS_CACHE_ENTRIES */
};

int vr_dns_cache_init(struct vr_dns_cache *c);
void vr_dns_cache_free(struct vr_dns_cache *c);

/* The answer to @q in the cache, unexpired at @now_ns, or NULL. */
const struct vr_dns_cached *vr_dns_cache_get(struct vr_dns_cache *c, const struct vr_dns_query *q,
					     uint64_t now_ns);

/*
 * Keeps @wire (@len, the upstream's answer to @q) with its @n addresses
 * (@addrs), if it may be: see above. @min_ttl_s: the smallest TTL of its
 * records; 0 keeps nothing.
 */
void vr_dns_cache_put(struct vr_dns_cache *c, const struct vr_dns_query *q, const uint8_t *wire,
		      size_t len, const struct vr_dns_addr *addrs, int n, bool chained,
		      uint32_t min_ttl_s, uint64_t now_ns);

/*
 * @e's answer for @q, into @out (@e->len bytes): @q's id, and @q's question
 * as @q spelled it (case included).
 */
void vr_dns_cached_answer(const struct vr_dns_cached *e, const struct vr_dns_query *q,
			  uint8_t *out);

#endif
