#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every red-team attack on the DNS proxy (as root, after `make`); prints
# each script's RESULT lines. A "not ok" in a script is an attack that worked.
cd "$(dirname "$0")" || exit 1
for t in wildcard_apex_case cname_into_blocked block_edit_keeps_open spoof_client_address \
	steer_bypass cache_cross_sandbox starve_proxy raw_query_smuggle; do
	echo "== $t"
	timeout 200 "./$t.sh" 2>&1 | grep -E "^(RESULT|not ok)"
done
