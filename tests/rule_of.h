/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* For cmocka suites: a rule from its text, or the test fails. */
#ifndef VR_TEST_RULE_OF_H
#define VR_TEST_RULE_OF_H

#include "rule.h"

static inline struct vr_rule rule_of(const char *text)
{
	struct vr_rule r;
	char err[256];

	if (vr_rule_parse(text, &r, err, sizeof(err)))
		fail_msg("%s: %s", text, err);
	return r;
}

#endif
