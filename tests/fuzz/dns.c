// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target of the DNS proxy's handling of what a sandbox sends and
 * an upstream answers: the input is parsed as a query (then decided against
 * name rules and refused) and as an answer (its addresses for the query's
 * name, or for a fixed name), and as a name's text as `check` reads it.
 * Under AddressSanitizer and UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dns_message.h"
#include "dns_names.h"
#include "vrnet_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vr_name_pattern rules[3];
	static ldns_rdf *fixed;
	struct vr_dns_addr addrs[32];
	struct vr_dns_query q;
	struct vr_dname name;
	char text[512];
	uint8_t *refusal;
	size_t len;

	if (!fixed) {
		if (vr_name_pattern_init(&rules[0], "*.example.com", VRNET_LIST_ALLOW, 0) ||
		    vr_name_pattern_init(&rules[1], "api.example.com", VRNET_LIST_BLOCK, 1) ||
		    vr_name_pattern_init(&rules[2], "*.a.example.com", VRNET_LIST_BLOCK, 2))
			abort();
		fixed = ldns_dname_new_frm_str("api.example.com");
	}
	if (!vr_dns_query_parse(data, size, &q)) {
		vr_name_decide(rules, 3, ldns_rdf_data(q.qname), ldns_rdf_size(q.qname));
		if (!vr_dns_refusal(&q, LDNS_RCODE_NXDOMAIN, &refusal, &len))
			free(refusal);
		vr_dns_answer_addrs(data, size, q.qname, addrs, 32);
		vr_dns_query_free(&q);
	}
	vr_dns_answer_addrs(data, size, fixed, addrs, 32);
	memcpy(text, data, size < sizeof(text) ? size : sizeof(text) - 1);
	text[size < sizeof(text) ? size : sizeof(text) - 1] = '\0';
	if (!vr_dname_from_text(&name, text))
		vr_name_decide(rules, 3, name.wire, name.len);
	return 0;
}
