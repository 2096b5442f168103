// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
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
	/*
	 * Never the suffix itself, in any case: ldns_dname_is_subdomain() tells
	 * a name from itself by a comparison that minds case.
	 */
	if (!ldns_dname_compare(qname, p->name))
		return 0;
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

int vr_name_patterns_of(const struct vrnet_rule *recs, const char (*names)[VRNET_MAX_NAME_LEN],
			uint32_t count, struct vr_name_pattern **out, size_t *n)
{
	*n = 0;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		if (recs[i].kind == VRNET_RULE_DOMAIN &&
		    !vr_name_pattern_init(&(*out)[*n], names[i], recs[i].list, i))
			(*n)++;
	return 0;
}

void vr_name_patterns_free(struct vr_name_pattern *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++)
		vr_name_pattern_free(&p[i]);
	free(p);
}
