// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <string.h>
#include "dns_names.h"
#include "vrnet_common.h"

int vr_name_pattern_init(struct vr_name_pattern *p, const char *text, uint8_t list,
			 uint32_t rule_id)
{
	bool wildcard = !strncmp(text, "*.", 2);
	const char *name = wildcard ? text + 2 : text;

	memset(p, 0, sizeof(*p));
	/* "*" anywhere else is no pattern of ours (nor "*." alone, nor ".") */
	if (!*name || !strcmp(name, ".") || strchr(name, '*'))
		return -EINVAL;
	p->name = ldns_dname_new_frm_str(name);
	if (!p->name)
		return -EINVAL;
	p->wildcard = wildcard;
	p->list = list;
	p->rule_id = rule_id;
	return 0;
}

void vr_name_pattern_free(struct vr_name_pattern *p)
{
	ldns_rdf_deep_free(p->name);
	p->name = NULL;
}

/*
 * How specific @p is for @qname: 0 when it does not match; a wildcard the
 * number of labels of its suffix (at most 127); an exact name more than any.
 */
static int specificity(const struct vr_name_pattern *p, const ldns_rdf *qname)
{
	if (!p->wildcard)
		return ldns_dname_compare(qname, p->name) ? 0 : 256;
	return ldns_dname_is_subdomain(qname, p->name) ? ldns_dname_label_count(p->name) + 1 : 0;
}

int vr_name_decide(const struct vr_name_pattern *p, size_t n, const ldns_rdf *qname)
{
	int best = -1, best_score = 0;

	for (size_t i = 0; i < n; i++) {
		int score = specificity(&p[i], qname);

		if (!score || score < best_score)
			continue;
		if (score == best_score && p[i].list != VRNET_LIST_BLOCK)
			continue;
		best = (int)i;
		best_score = score;
	}
	return best;
}
