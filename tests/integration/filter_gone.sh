#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A filter that vanishes. Attached by clsact (kernels before 6.6), whoever
# removes the device's clsact qdisc (a VMM restart, a CNI, an operator) takes
# the filter with it; attached by a pinned tcx link (6.6+), removing the
# qdisc changes nothing, and only a detach of the link itself (bpftool link
# detach) takes it away. Either way a missing filter must not go unnoticed:
# status exits 1 naming the device, list and show mark it, the metric says
# 0, and attach restores filtering.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
dev=$VR_DEV

expect_list_filter() { # STATE: what list -j says of $dev's filter
	if [ "$(vr -j list | jq -r --arg d "$dev" '.[] | select(.device == $d) | .filter')" = "$1" ]; then
		ok "list -j: filter $1"
	else
		not_ok "list -j: $(vr -j list)"
	fi
}
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "tcp:$VR_WEB6:9090"

expect_reach "unfiltered" tcp "$VR_WEB4" 9090
policy=$(vr_policy p '{"default": "deny", "allow": ["203.0.113.10:8080/tcp"]}')
expect "attach with a policy" vr attach "$dev" --policy "$policy"
expect_blocked "attached" tcp "$VR_WEB4" 9090
expect "status with every filter there: exit 0" vr status
expect "status -j" vr -j status
if jq -e --arg d "$dev" '.missing == 0 and (.devices | length == 1) and .devices[0].device == $d
	and .devices[0].filter == "attached"' "$VR_TMP/out" >/dev/null; then
	ok "status -j: $dev attached, none missing"
else
	not_ok "status -j: $(cat "$VR_TMP/out")"
fi

hook=$(vr_show_field "$dev" .hook)
if [ "$hook" = tcx ]; then
	# ---- the qdisc goes: a tcx link does not go with it ----
	tc qdisc del dev "$dev" clsact 2>/dev/null
	expect_blocked "qdisc removed: the tcx link stays" tcp "$VR_WEB4" 9090
	expect "status after the qdisc went: exit 0" vr status
	# ---- the link itself is detached: the sandbox is unfiltered (the attack works) ----
	link=$(ls "$VR_PIN" | grep "^link_.*_$(cat "/sys/class/net/$dev/ifindex")$")
	bpftool link detach pinned "$VR_PIN/$link" || vr_fatal "bpftool link detach $link"
	expect_reach "link detached: the filter is gone" tcp "$VR_WEB4" 9090
else
	# ---- the qdisc goes: the sandbox is unfiltered (the attack works) ----
	tc qdisc del dev "$dev" clsact || vr_fatal "tc qdisc del dev $dev clsact"
	expect_reach "qdisc removed: the filter is gone" tcp "$VR_WEB4" 9090
fi
expect_rc "status: exit 1" 1 vr status
if grep -q "^$dev: FILTER MISSING" "$VR_TMP/out"; then
	ok "status names $dev as unfiltered"
else
	not_ok "status: $(cat "$VR_TMP/out")"
fi
expect_rc "status -j: exit 1" 1 vr -j status
if jq -e --arg d "$dev" '.missing == 1 and .devices[0].device == $d and .devices[0].filter == "missing"' \
	"$VR_TMP/out" >/dev/null; then
	ok "status -j: $dev missing"
else
	not_ok "status -j: $(cat "$VR_TMP/out")"
fi
expect_list_filter missing
vr list >"$VR_TMP/list" 2>&1
if grep "^$dev " "$VR_TMP/list" | grep -q "FILTER MISSING"; then
	ok "list marks it"
else
	not_ok "list: $(cat "$VR_TMP/list")"
fi
expect_rc "show DEV: exit 2" 2 vr show "$dev"
if grep -q "state but no filter" "$VR_TMP/err"; then
	ok "show DEV says the filter is gone, not just \"not attached\""
else
	not_ok "show DEV: $(cat "$VR_TMP/err")"
fi
vr metrics >"$VR_TMP/metrics" 2>&1
if grep -qx "vrnet_filter_attached{device=\"$dev\"} 0" "$VR_TMP/metrics"; then
	ok "metrics: vrnet_filter_attached 0"
else
	not_ok "metrics: $(grep vrnet_filter_attached "$VR_TMP/metrics")"
fi

# ---- attach restores filtering (deny-all until a policy is applied) ----
expect "attach again" vr attach "$dev"
expect_blocked "re-attached" tcp "$VR_WEB4" 9090
expect_blocked "re-attached, deny-all" tcp "$VR_WEB4" 8080
expect "status after attach: exit 0" vr status
vr metrics >"$VR_TMP/metrics" 2>&1
if grep -qx "vrnet_filter_attached{device=\"$dev\"} 1" "$VR_TMP/metrics"; then
	ok "metrics: vrnet_filter_attached 1"
else
	not_ok "metrics: $(grep vrnet_filter_attached "$VR_TMP/metrics")"
fi

# ---- tcx: another program placed ahead of ours, which passes everything ----
if [ "$hook" = tcx ]; then
	ahead=$VR_PIN-ahead
	"$VRNET_TOOLS/tcxahead" "$dev" "$ahead" || vr_fatal "tcxahead on $dev"
	expect_reach "a pass-all program ahead: the filter is skipped" tcp "$VR_WEB4" 9090
	expect_rc "status: exit 1" 1 vr status
	if grep -q "^$dev: PROGRAM AHEAD: 1 other program runs before vrnet-bpf" "$VR_TMP/out"; then
		ok "status names the program ahead"
	else
		not_ok "status: $(cat "$VR_TMP/out")"
	fi
	expect_list_filter behind
	expect "attach puts ours first again" vr attach "$dev"
	expect_blocked "ours first again" tcp "$VR_WEB4" 9090
	expect "status: exit 0" vr status
	rm -f "$ahead"
	expect_blocked "the other program gone: still filtered" tcp "$VR_WEB4" 9090
else
	skip "a program ahead: no tcx on $(uname -r)"
fi
