// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target of the rule grammar HOST[:PORTS[/PROTO]] (and a resolver
 * address of a policy's "dns" list): a rule that parses is formatted, and
 * its canonical text must parse again to the same rule. Under
 * AddressSanitizer and UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "rule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_rule rule, again;
	char text[512], canon[512], err[256];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!vr_rule_parse(text, &rule, err, sizeof(err))) {
		vr_rule_format(&rule, canon, sizeof(canon));
		if (vr_rule_parse(canon, &again, err, sizeof(err)) || !vr_rule_equal(&rule, &again))
			abort(); /* the canonical text of a rule is that rule */
	}
	if (!vr_dns_rule_parse(text, &rule, err, sizeof(err)))
		vr_rule_format(&rule, canon, sizeof(canon));
	return 0;
}
