#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The red team's attacks on the DNS proxy (tests/redteam/*.sh), as a suite:
# each script runs an attack and its control (the same probe where it can
# leak) and sums up in RESULT lines; every one must say HOLDS. What they
# found is closed; they stay so that it stays closed.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init dig dnsmasq

for t in wildcard_apex_case cname_into_blocked block_edit_keeps_open spoof_client_address \
	steer_bypass cache_cross_sandbox starve_proxy raw_query_smuggle late_answer_after_block; do
	out=$(VRNET_BIN=$VRNET_BIN timeout 200 "$VR_TOP/tests/redteam/$t.sh" 2>&1)
	rc=$?
	# the attacks' controls: a control that failed proves nothing of the attack
	while read -r line; do
		[ -n "$line" ] && not_ok "$t: ${line#not ok - }"
	done <<<"$(grep '^not ok - ' <<<"$out")"
	[ "$rc" = 0 ] || not_ok "$t: exit $rc: $(tail -2 <<<"$out")"
	results=$(grep '^RESULT ' <<<"$out")
	if [ -z "$results" ]; then
		not_ok "$t: no result: $(tail -3 <<<"$out")"
		continue
	fi
	while read -r line; do
		case $line in
		"RESULT "*": HOLDS"*) ok "${line#RESULT }" ;;
		*) not_ok "${line#RESULT }" ;;
		esac
	done <<<"$results"
done
