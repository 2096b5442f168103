// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target of policy files (sync's device files too: a "device" key
 * is let through): a policy that parses is written out as JSON
 * (vr_policy_to_json), which must parse again to as many rules, and compiled,
 * its names resolving to fixed addresses (or failing, as a resolver may).
 * Under AddressSanitizer and UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "compile.h"
#include "policy.h"

/* A name stands for one address of each family, or (its length odd) for none. */
static int resolve_fixed(void *ctx, const char *name, struct vr_addr *out, int max, char *err,
			 size_t errlen)
{
	if (strlen(name) % 2)
		return -2;
	out[0] = (struct vr_addr){ .family = 4, .addr = { 192, 0, 2, 7 } };
	if (max > 1)
		out[1] = (struct vr_addr){ .family = 6, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 } };
	return max > 1 ? 2 : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_compiled c = { 0 };
	struct vr_policy p, again;
	char err[1024], *text;
	json_t *root;

	if (vr_policy_parse_with((const char *)data, size, "fuzz", "device", &p, err, sizeof(err)))
		return 0;
	root = vr_policy_to_json(&p);
	text = json_dumps(root, 0);
	if (!text || vr_policy_parse(text, strlen(text), "again", &again, err, sizeof(err)) ||
	    vr_policy_rule_count(&again) != vr_policy_rule_count(&p))
		abort(); /* what a policy writes of itself reads back */
	vr_policy_free(&again);
	free(text);
	json_decref(root);
	vr_compile(&p, resolve_fixed, NULL, &c, err, sizeof(err));
	vr_compiled_free(&c);
	vr_policy_free(&p);
	return 0;
}
