#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Commands killed with SIGKILL at random moments, under traffic: applies of
# large policies, edits, internet switches, detaches. After each, the next
# command finishes or rolls back what the killed one left: no packet to a
# blocked destination gets past the filter at any time, no map entry is left
# that no policy owns (limits stay intact), and the device keeps working.
# Switches to and from XDP mode, and detaches in it, killed too: the device's
# note and its XDP hook agree after the next command, and no XDP program of
# ours outlives a detach.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init nft

vr_veth_sandbox
dev=$VR_DEV
vr_start_servers "udp:$VR_WEB4:7777" "udp:$VR_WEB4B:7777"

# Two large policies: 20,000 host addresses each (a benchmarking range, never
# reached), the control destination allowed, the blocked one denied by default.
hosts=20000
big() { # NAME SECOND-OCTET
	"$VR_PY" - "$hosts" "$2" "$VR_WEB4B" >"$VR_TMP/$1.json" <<'EOF'
import json, sys
n, b, control = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
allow = ["198.%d.%d.%d" % (b, i // 250, 1 + i % 250) for i in range(n - 1)]
print(json.dumps({"default": "deny", "allow": allow + [control + ":7777/udp"]}))
EOF
	echo "$VR_TMP/$1.json"
}
pa=$(big a 18) pb=$(big b 19)

host4_count() { bpftool -j map dump pinned "$VR_PIN/vrnet_host4" | jq length; }
policies_count() { bpftool -j map dump pinned "$VR_PIN/vrnet_policies" | jq length; }
rules_shown() { vr -j show "$dev" | jq '(.allow | length) + (.block | length)'; }

# After a killed command, the next one (gc, which also sweeps): nothing
# orphaned, the device's entries exactly its rules, one base and at most one overlay.
check_after() { # WHAT
	local out removed h r p
	out=$(vr -j gc 2>&1)
	removed=$(jq -r .removed_entries <<<"$out" 2>/dev/null)
	h=$(host4_count) r=$(rules_shown) p=$(policies_count)
	if [ "$removed" = 0 ] && [ "$h" = "$r" ] && [ "$p" -ge 1 ] && [ "$p" -le 2 ]; then
		return 0
	fi
	not_ok "$1: after the next command: gc $out; $h host entries for $r rules; $p policies"
	return 1
}

# kill_at MS COMMAND...: runs it, SIGKILLs it after a random 0..MS ms;
# counts in $interrupted the kills that landed before it finished.
# The delay and the timing below fork nothing: a command takes a few ms, about
# what starting a `sleep` or `date` process takes, which would push the kills
# past its end. `read -t` on a pipe nobody writes to is bash's own sleep.
interrupted=0
exec {never}<> <(:)
usec() { printf -v "$1" '%s' "${EPOCHREALTIME//[.,]/}"; }
kill_at() {
	local ms=$((RANDOM % $1)) pid frac
	shift
	"$VRNET_BIN" --pin-dir "$VR_PIN" -w 30 "$@" >/dev/null 2>&1 &
	pid=$!
	printf -v frac '%03d' $((ms % 1000))
	read -r -t "$((ms / 1000)).$frac" -u "$never"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? = 137 ] && interrupted=$((interrupted + 1))
}
# how long COMMAND... takes, in ms
took_ms() {
	local start end
	usec start
	vr "$@" >/dev/null 2>&1
	usec end
	echo $(((end - start) / 1000 + 1))
}

expect "attach with a large policy" vr attach "$dev" --policy "$pa"
apply_ms=$(took_ms apply "$dev" --policy "$pb")
edit_ms=$(took_ms allow "$dev" 198.20.9.9)
switch_ms=$(took_ms internet "$dev" policy)
echo "# an apply of $hosts rules takes $apply_ms ms, an edit $edit_ms ms, a switch $switch_ms ms"

vr_nft_counter leak iifname "$dev" ip daddr "$VR_WEB4" udp dport 7777
blocked0=$(vr_count udp "$VR_WEB4" 7777)
vr_start_udp_traffic 120

bad=0 rounds=0
for i in $(seq 1 16); do
	if [ $((i % 2)) = 1 ]; then p=$pa; else p=$pb; fi
	kill_at "$apply_ms" apply "$dev" --policy "$p"
	rounds=$((rounds + 1))
	check_after "apply killed (round $i)" || bad=$((bad + 1))
done
applies_interrupted=$interrupted
for i in $(seq 1 8); do
	kill_at "$edit_ms" allow "$dev" "198.20.0.$i" "198.20.1.$i"
	rounds=$((rounds + 1))
	check_after "allow killed (round $i)" || bad=$((bad + 1))
done
for i in $(seq 1 6); do
	if [ $((i % 2)) = 1 ]; then s=off; else s=policy; fi
	kill_at "$switch_ms" internet "$dev" "$s"
	rounds=$((rounds + 1))
	check_after "internet killed (round $i)" || bad=$((bad + 1))
done
[ "$bad" = 0 ] && ok "$rounds commands killed at random moments: each time the next command left no orphan"
# most kills of applies (a quarter of a second of steps) must land mid-way, or this proves
# little; an edit or a switch is a few ms, most of it the process's start, so some of those
if [ "$applies_interrupted" -ge 8 ] && [ "$interrupted" -gt "$applies_interrupted" ]; then
	ok "$interrupted of $rounds kills landed before the command finished ($applies_interrupted of 16 applies)"
else
	not_ok "only $interrupted of $rounds kills landed before the command finished ($applies_interrupted of 16 applies)"
fi
expect "internet back to policy" vr internet "$dev" policy
expect "a last apply after the kills" vr apply "$dev" --policy "$pa"
control1=$(vr_count udp "$VR_WEB4B" 7777)
# shellcheck disable=SC2317 # called by vr_wait_for
flowing_again() { [ "$(vr_count udp "$VR_WEB4B" 7777)" -gt "$control1" ]; }
vr_wait_for 3 flowing_again
touch "$VR_TMP/stop"
vr_wait_for 5 vr_gone "$VR_SENDER_PID"
vr_stop_pid "$VR_SENDER_PID"
sleep 0.3
read -r sent_blocked sent_control <"$VR_TMP/sent" 2>/dev/null || sent_blocked=0 sent_control=0
leaked=$(vr_nft_packets leak) blocked=$(($(vr_count udp "$VR_WEB4" 7777) - blocked0))
if [ "$sent_blocked" -gt 0 ] && [ "$leaked" = 0 ] && [ "$blocked" = 0 ]; then
	ok "0 of $sent_blocked packets to the blocked destination passed the filter"
else
	not_ok "of $sent_blocked packets to the blocked destination, $leaked passed the filter, $blocked reached the server"
fi
if [ "$(vr_count udp "$VR_WEB4B" 7777)" -gt "$control1" ]; then
	ok "the allowed flow still passes after the kills ($sent_control sent)"
else
	not_ok "the allowed flow stopped"
fi
if [ "$(host4_count)" = "$hosts" ] && [ "$(policies_count)" = 1 ]; then
	ok "the maps hold exactly the last policy: $hosts host entries, 1 policy"
else
	not_ok "the maps hold $(host4_count) host entries, $(policies_count) policies"
fi

# Detach killed half-way: the next command finishes it (the sandbox was to
# be unfiltered); attach again works.
detach_ms=$(took_ms detach "$dev")
expect "attach for the detach kills" vr attach "$dev" --policy "$pa"
echo "# a detach takes $detach_ms ms"
for i in 1 2 3 4; do
	kill_at "$detach_ms" detach "$dev"
	vr -j gc >/dev/null 2>&1
	if [ "$(vr -j list | jq length)" = 0 ] && [ "$(host4_count)" = 0 ] &&
		[ "$(policies_count)" = 0 ]; then
		ok "detach killed (round $i): the next command finished it"
	elif [ "$(vr -j list | jq length)" = 1 ] && [ "$(host4_count)" = "$hosts" ]; then
		ok "detach killed (round $i) before it began: the device is as it was"
	else
		not_ok "detach killed (round $i): list $(vr -j list | jq -c 'map(.device)'), $(host4_count) host entries, $(policies_count) policies"
	fi
	vr detach "$dev" >/dev/null 2>&1
	tc filter del dev "$dev" ingress 2>/dev/null # a filter left with no state: ours
	expect "attach again (round $i)" vr attach "$dev" --policy "$pa"
done

# XDP mode switched and detached at random moments: whatever a kill left,
# the next command leaves the device's note and its XDP hook agreeing, and a
# detach (or the next command after a killed one) takes our XDP program off.
xdp_on_link() { # xdp, or none: what the kernel has on the device's XDP hook
	if ip -d link show dev "$dev" | grep -qE '\bxdp(drv|generic)?\b'; then echo xdp; else echo none; fi
}
agree() { # WHAT: the note and the hook say the same
	local noted on
	noted=$(vr_show_field "$dev" .xdp) on=$(xdp_on_link)
	if { [ "$noted" = native ] && [ "$on" = xdp ]; } || { [ "$noted" = null ] && [ "$on" = none ]; }; then
		return 0
	fi
	not_ok "$1: the note says $noted, the hook has $on"
	return 1
}
xdp_ms=$(took_ms attach "$dev" --mode xdp)
tc_ms=$(took_ms attach "$dev" --mode tc)
echo "# an attach in XDP mode takes $xdp_ms ms, back to tc mode $tc_ms ms"
bad=0 interrupted=0
for i in 1 2 3 4; do
	kill_at "$xdp_ms" attach "$dev" --mode xdp
	vr attach "$dev" >/dev/null 2>&1 # the next command: the mode noted, its program on
	agree "--mode xdp killed (round $i)" || bad=$((bad + 1))
	kill_at "$tc_ms" attach "$dev" --mode tc
	vr attach "$dev" >/dev/null 2>&1
	agree "--mode tc killed (round $i)" || bad=$((bad + 1))
done
[ "$bad" = 0 ] && ok "8 mode switches killed at random moments ($interrupted mid-way): note and hook agree after the next command"
expect "XDP mode for the detach kills" vr attach "$dev" --mode xdp
detach_ms=$(took_ms detach "$dev")
for i in 1 2 3; do
	expect "attach in XDP mode (round $i)" vr attach "$dev" --policy "$pa" --mode xdp
	kill_at "$detach_ms" detach "$dev"
	vr -j gc >/dev/null 2>&1
	vr detach "$dev" >/dev/null 2>&1
	if [ "$(xdp_on_link)" = none ] && [ "$(vr -j list | jq length)" = 0 ]; then
		ok "detach in XDP mode killed (round $i): no XDP program of ours left"
	else
		not_ok "detach in XDP mode killed (round $i): the hook has $(xdp_on_link), list $(vr -j list | jq -c 'map(.device)')"
	fi
	tc filter del dev "$dev" ingress 2>/dev/null || true # a filter left with no state: ours
done
