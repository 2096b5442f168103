// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/nameser.h>
#include "dns_names.h"
#include "vrnet_common.h"

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

int vr_dname_from_text(struct vr_dname *n, const char *text)
{
	size_t at = 0;

	if (ns_name_pton(text, n->wire, sizeof(n->wire)) < 0)
		return -EINVAL;
	for (n->labels = 0; n->wire[at]; n->labels++)
		at += (size_t)n->wire[at] + 1;
	n->len = (uint16_t)(at + 1);
	/* lengths stay: they are below 64, and capitals are 65 to 90 */
	for (size_t i = 0; i < at; i++)
		n->wire[i] = lower(n->wire[i]);
	return 0;
}

int vr_name_pattern_init(struct vr_name_pattern *p, const char *text, uint8_t list,
			 uint32_t rule_id)
{
	bool wildcard = !strncmp(text, "*.", 2);
	const char *name = wildcard ? text + 2 : text;

	memset(p, 0, sizeof(*p));
	/* "*" anywhere else is no pattern of ours (nor "*." alone, nor ".") */
	if (!*name || !strcmp(name, ".") || strchr(name, '*'))
		return -EINVAL;
	if (vr_dname_from_text(&p->name, name))
		return -EINVAL;
	p->wildcard = wildcard;
	p->list = list;
	p->rule_id = rule_id;
	return 0;
}

/*
 * Whether the wire form @a (@n bytes) is @lowercase's, case aside: equal
 * names, as their length bytes (below 64) have no case.
 */
static bool same_name(const uint8_t *a, const uint8_t *lowercase, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lower(a[i]) != lowercase[i])
			return false;
	return true;
}

/*
 * How specific @p is for @qname: 0 when it does not match; a wildcard the
 * number of labels of its suffix (at most 127) plus one; an exact name more
 * than any. Compares wire forms, without allocating: this runs per query.
 */
static int specificity(const struct vr_name_pattern *p, const uint8_t *q, size_t qn)
{
	const uint8_t *suffix = p->name.wire;
	size_t sn = p->name.len;

	if (!p->wildcard)
		return qn == sn && same_name(q, suffix, sn) ? 256 : 0;
	/* one or more whole labels in front of the suffix, never the suffix itself */
	for (size_t at = 0; at < qn && q[at] && qn - at > sn; at += (size_t)q[at] + 1)
		if (qn - (at + q[at] + 1) == sn)
			return same_name(q + at + q[at] + 1, suffix, sn) ? p->name.labels + 1 : 0;
	return 0;
}

int vr_name_decide(const struct vr_name_pattern *p, size_t n, const uint8_t *qname, size_t len)
{
	int best = -1, best_score = 0;

	for (size_t i = 0; i < n; i++) {
		int score = specificity(&p[i], qname, len);

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
	size_t domains = 0;

	for (uint32_t i = 0; i < count; i++)
		domains += recs[i].kind == VRNET_RULE_DOMAIN;
	*n = 0;
	*out = calloc(domains ? domains : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		if (recs[i].kind == VRNET_RULE_DOMAIN &&
		    !vr_name_pattern_init(&(*out)[*n], names[i], recs[i].list, i))
			(*n)++;
	return 0;
}
