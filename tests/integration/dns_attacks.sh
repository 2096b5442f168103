#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The red team's attacks on the DNS proxy (tests/redteam/*.sh), as a suite:
# each script runs an attack and its control (the same probe where it can
# leak) and sums up in RESULT lines; every one must say HOLDS. What they
# found is closed; they stay so that it stays closed.
# The attacks mostly wait (for timeouts, for c-ares to give up), and each has
# namespaces and pins of its own: they run in two lanes of about the same
# length, and their results are read in one order.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init dig dnsmasq

lanes=("cname_into_blocked spoof_client_address steer_bypass cache_cross_sandbox raw_query_smuggle"
	"block_edit_keeps_open wildcard_apex_case late_answer_after_block starve_proxy")

run_lane() { # ATTACK...: each one's output and exit status under $VR_TMP
	local t
	for t in "$@"; do
		VRNET_BIN=$VRNET_BIN timeout 200 "$VR_TOP/tests/redteam/$t.sh" >"$VR_TMP/$t.out" 2>&1
		echo $? >"$VR_TMP/$t.rc"
	done
}

for lane in "${lanes[@]}"; do
	# shellcheck disable=SC2086 # a lane is a list of words
	run_lane $lane &
	vr_pids+=($!)
done
wait

# shellcheck disable=SC2048 # each lane splits into its attacks
for t in ${lanes[*]}; do
	out=$(cat "$VR_TMP/$t.out")
	rc=$(cat "$VR_TMP/$t.rc" 2>/dev/null || echo none)
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
