#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# log keeps the policies of at most 32 devices in memory (a policy can hold
# a million rules). With 40 devices, each making a blocked attempt, twice
# round, every event must still name its own device and its own block rule:
# an evicted policy is read again when its device's next event comes.
# Everything lives in a namespace of ours; the CLI reaches it with -n.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

ns=vrlog$VR_ID devices=40
vr_add_netns "$ns"
vn() { vr -n "$ns" "$@"; }
for i in $(seq 1 $devices); do
	ip -n "$ns" link add "vra$i" type veth peer name "vrb$i" &&
		ip -n "$ns" link set "vra$i" up && ip -n "$ns" link set "vrb$i" up &&
		ip -n "$ns" route add "192.0.2.$i/32" dev "vrb$i" &&
		ip -n "$ns" neigh add "192.0.2.$i" lladdr 02:00:00:00:00:01 dev "vrb$i" ||
		vr_fatal "device $i in $ns"
	# each device blocks its own destination: the event's rule tells them apart
	vr_policy "p$i" "{\"default\": \"allow\", \"block\": [\"192.0.2.$i\"]}" >/dev/null
	vn attach "vra$i" --policy "$VR_TMP/p$i.json" >/dev/null 2>"$VR_TMP/err" ||
		vr_fatal "attach vra$i: $(cat "$VR_TMP/err")"
done
ok "$devices devices attached in $ns"

"$VRNET_BIN" --pin-dir "$VR_PIN" -j log --count $((2 * devices)) >"$VR_TMP/log" 2>"$VR_TMP/log.err" &
log=$!
vr_pids+=("$log")
sleep 0.5
# out of vrb$i (its route), so into vra$i: blocked by vra$i's rule. Round one
# ICMP echoes, round two UDP: each a new attempt, so each an event; by round
# two the first devices' policies were evicted and come back.
for i in $(seq 1 $devices); do
	ip netns exec "$ns" ping -n -q -c1 -W 0.1 "192.0.2.$i" >/dev/null 2>&1
done
for i in $(seq 1 $devices); do
	ip netns exec "$ns" bash -c "echo vr >/dev/udp/192.0.2.$i/9" 2>/dev/null
done
vr_wait_for 5 vr_gone "$log"
vr_stop_pid "$log"
n=$(jq -s 'length' "$VR_TMP/log")
wrong=$(jq -s -c '[.[] | select(.type == "event") | select(.rule != ((.device | ltrimstr("vra")) | "192.0.2." + .))] | length' "$VR_TMP/log")
if [ "$n" = $((2 * devices)) ] && [ "$wrong" = 0 ]; then
	ok "$n events, each with its own device's rule"
else
	not_ok "$n events, $wrong with another rule: $(jq -s -c '.[:3]' "$VR_TMP/log") $(head -c 300 "$VR_TMP/log.err")"
fi
if [ "$(jq -s '[.[] | .device] | unique | length' "$VR_TMP/log")" = "$devices" ]; then
	ok "events from all $devices devices"
else
	not_ok "events from $(jq -s '[.[] | .device] | unique | length' "$VR_TMP/log") devices"
fi
# An edit that moves rule ids: log reads the policy again after any switch.
# Two blocks added (ids 1, 2), an event of the second, the first removed (the
# second is id 1 now), an event of it again: both name it.
ip -n "$ns" route add 198.51.100.0/24 dev vrb1 &&
	ip -n "$ns" neigh add 198.51.100.2 lladdr 02:00:00:00:00:01 dev vrb1 ||
	vr_fatal "route to 198.51.100.0/24 in $ns"
vn block vra1 198.51.100.1 >/dev/null && vn block vra1 198.51.100.2 >/dev/null ||
	vr_fatal "block on vra1"
"$VRNET_BIN" --pin-dir "$VR_PIN" -n "$ns" -j log vra1 --count 2 >"$VR_TMP/log2" 2>"$VR_TMP/log2.err" &
log=$!
vr_pids+=("$log")
sleep 0.5
ip netns exec "$ns" bash -c "echo vr >/dev/udp/198.51.100.2/9" 2>/dev/null
sleep 0.3
vn unblock vra1 198.51.100.1 >/dev/null || vr_fatal "unblock on vra1"
ip netns exec "$ns" bash -c "echo vr >/dev/udp/198.51.100.2/10" 2>/dev/null
vr_wait_for 5 vr_gone "$log"
vr_stop_pid "$log"
rules=$(jq -s -r '[.[] | select(.type == "event") | .rule] | join(" ")' "$VR_TMP/log2")
if [ "$rules" = "198.51.100.2 198.51.100.2" ]; then
	ok "an edit that renumbers: both events name their rule"
else
	not_ok "an edit that renumbers: the events name \"$rules\" $(head -c 300 "$VR_TMP/log2.err")"
fi
for i in $(seq 1 $devices); do vn detach "vra$i" >/dev/null 2>&1; done
