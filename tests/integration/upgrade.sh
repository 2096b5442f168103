#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# upgrade under traffic: another build's program runs on the device, and
# `upgrade` of this build replaces it on the same maps, then back, several
# times, while the sandbox sends to an allowed and a blocked destination.
# Zero packets to the blocked one may pass the filter, and every packet to the
# allowed one must (none lost in a replacement). The other build is this
# tree compiled for another BPF instruction set (-mcpu=v2): a different
# program, with a different tag, on maps of the same layout.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init nft make

other=$VR_TMP/other
make -s -C "$(dirname "$0")/../.." OUTPUT="$other" BPF_EXTRA_CFLAGS=-mcpu=v2 \
	"$other/vrnet-bpf" >"$VR_TMP/build.log" 2>&1 || vr_fatal "build the other program: $(tail -5 "$VR_TMP/build.log")"
vo() { "$other/vrnet-bpf" --pin-dir "$VR_PIN" "$@" >"$VR_TMP/out" 2>"$VR_TMP/err"; }
build_of() { "$1" -j version | jq -r .build; }
if [ "$(build_of "$other/vrnet-bpf")" != "$(build_of "$VRNET_BIN")" ]; then
	ok "the other build's program differs: $(build_of "$other/vrnet-bpf") vs $(build_of "$VRNET_BIN")"
else
	vr_fatal "the other build is the same program"
fi

vr_veth_sandbox
dev=$VR_DEV
vr_start_servers "udp:$VR_WEB4:7777" "udp:$VR_WEB4B:7777"
expect_reach "unfiltered: the blocked destination answers" udp "$VR_WEB4" 7777
policy=$(vr_policy p "{\"default\": \"deny\", \"allow\": [\"$VR_WEB4B:7777/udp\"]}")
if vo attach "$dev" --policy "$policy"; then
	ok "the other build attaches"
else
	not_ok "the other build's attach: $(cat "$VR_TMP/err")"
fi
tag_old=$(vr -j show "$dev" | jq -r .program.tag)
expect "show under this build warns of another build's program" vr show "$dev"
if grep -q "another build" "$VR_TMP/err"; then
	ok "the warning names upgrade"
else
	not_ok "no warning: $(cat "$VR_TMP/err")"
fi
expect "version lists the running program" vr -j version
if jq -e '.programs | length == 1 and (.[0].current | not)' "$VR_TMP/out" >/dev/null; then
	ok "version: one program running, of another build"
else
	not_ok "version: $(cat "$VR_TMP/out")"
fi

vr_nft_counter leak iifname "$dev" ip daddr "$VR_WEB4" udp dport 7777
vr_nft_counter control iifname "$dev" ip daddr "$VR_WEB4B" udp dport 7777
vr_start_udp_traffic 60

bad=0
for i in 1 2 3 4; do
	vr -j upgrade >"$VR_TMP/up" 2>"$VR_TMP/err"
	if ! jq -e --arg t "$tag_old" '.[0].replaced == 1 and .[0].old_tag == $t and .[0].new_tag != $t' \
		"$VR_TMP/up" >/dev/null; then
		not_ok "upgrade $i: $(cat "$VR_TMP/up" "$VR_TMP/err")"
		bad=1
	fi
	tag_new=$(jq -r '.[0].new_tag' "$VR_TMP/up")
	sleep 0.3
	"$other/vrnet-bpf" --pin-dir "$VR_PIN" -j upgrade >"$VR_TMP/up" 2>"$VR_TMP/err"
	if ! jq -e --arg t "$tag_new" '.[0].replaced == 1 and .[0].old_tag == $t' "$VR_TMP/up" >/dev/null; then
		not_ok "back to the other build $i: $(cat "$VR_TMP/up" "$VR_TMP/err")"
		bad=1
	fi
	sleep 0.3
done
[ "$bad" = 0 ] && ok "8 upgrades under traffic, each replacing the program on the device"
expect "upgrade to this build" vr -j upgrade
expect "upgrade again: this build already runs" vr -j upgrade
if jq -e '.[0].loaded == false and .[0].replaced == 1' "$VR_TMP/out" >/dev/null; then
	ok "a second upgrade loads nothing"
else
	not_ok "second upgrade: $(cat "$VR_TMP/out")"
fi
touch "$VR_TMP/stop"
vr_wait_for 5 vr_gone "$VR_SENDER_PID"
vr_stop_pid "$VR_SENDER_PID"
sleep 0.3
read -r sent_blocked sent_control <"$VR_TMP/sent" 2>/dev/null || sent_blocked=0 sent_control=0
leaked=$(vr_nft_packets leak) passed=$(vr_nft_packets control)
if [ "$sent_blocked" -gt 0 ] && [ "$leaked" = 0 ]; then
	ok "0 of $sent_blocked packets to the blocked destination passed the filter"
else
	not_ok "of $sent_blocked packets to the blocked destination, $leaked passed the filter"
fi
if [ "$sent_control" -gt 0 ] && [ "$passed" = "$sent_control" ]; then
	ok "all $sent_control packets to the allowed destination passed: none lost"
else
	not_ok "of $sent_control packets to the allowed destination, $passed passed the filter"
fi

# the policy, its counters and the device's state came through
if [ "$(vr_show_field "$dev" '[.default, .rule_count, .program.current] | join(" ")')" = "deny 1 true" ] &&
	[ "$(vr_counter "$dev" dropped_packets)" -ge "$sent_blocked" ]; then
	ok "the policy and the counters stayed: $(vr_counter "$dev" dropped_packets) dropped"
else
	not_ok "after the upgrades: $(vr -j show "$dev" | jq -c '{default, rule_count, program, counters}')"
fi
expect "status: filtered" vr status
expect "version: the program is this build's" vr -j version
if jq -e '.programs[0].current' "$VR_TMP/out" >/dev/null; then
	ok "version: current"
else
	not_ok "version: $(cat "$VR_TMP/out")"
fi
expect_blocked "still filtered after the upgrades" udp "$VR_WEB4" 7777
expect_reach "the allowed destination" udp "$VR_WEB4B" 7777

# XDP mode: upgrade puts the new build's XDP program on the device, and the
# namespace's next device in XDP mode links that one, not the old build's
ours_id() { # DEV: the id of our XDP program on DEV's hook
	"$VRNET_TOOLS/xdpload" ids "$1" | awk '$1 == "vrnet_egress_xdp" { print $2 }'
}
expect "XDP mode" vr attach "$dev" --mode xdp
id_before=$(ours_id "$dev")
if vo -j upgrade && jq -e '.[0].replaced == 1' "$VR_TMP/out" >/dev/null; then
	ok "the other build's upgrade in XDP mode"
else
	not_ok "the other build's upgrade in XDP mode: $(cat "$VR_TMP/out" "$VR_TMP/err")"
fi
id_after=$(ours_id "$dev")
if [ -n "$id_after" ] && [ "$id_after" != "$id_before" ]; then
	ok "the upgrade replaced the XDP program ($id_before, now $id_after)"
else
	not_ok "the XDP program after the upgrade: $id_after, before $id_before"
fi
second=vrq$VR_ID
vr_add_link "$second" type veth peer name "vrr$VR_ID"
ip link set "$second" up && ip link set "vrr$VR_ID" up
if vo attach "$second" --policy "$policy" --mode xdp; then
	expect_eq "a device attached after the upgrade links the new build's XDP program" \
		"$(ours_id "$second")" "${id_after:-none}"
else
	not_ok "the other build's attach in XDP mode: $(cat "$VR_TMP/err")"
fi
expect_blocked "XDP mode, after the upgrade" udp "$VR_WEB4" 7777
expect_reach "XDP mode, after the upgrade: the allowed destination" udp "$VR_WEB4B" 7777
# a device left running another build's XDP program (as by a command cut short) is put right
expect "upgrade back to this build, in XDP mode" vr -j upgrade
"$VRNET_TOOLS/xdpload" detach "$second" vrnet_egress_xdp || not_ok "xdpload detach"
if vo attach "$second" && [ -n "$(ours_id "$second")" ]; then
	ok "the other build puts its XDP program back on the second device"
else
	not_ok "the other build's attach: $(cat "$VR_TMP/err")"
fi
stray=$(ours_id "$second")
expect "upgrade, this build already running" vr -j upgrade
if [ -n "$(ours_id "$second")" ] && [ "$(ours_id "$second")" != "$stray" ] &&
	[ "$(ours_id "$second")" = "$(ours_id "$dev")" ]; then
	ok "upgrade put this build's XDP program back on it ($(ours_id "$dev"))"
else
	not_ok "after the upgrade: the second device runs $(ours_id "$second") (the other build's: $stray), the first $(ours_id "$dev")"
fi
