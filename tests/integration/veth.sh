#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Enforcement through the CLI with real traffic: a sandbox namespace behind a
# veth, servers on the fake internet addresses of the host-side device.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
dev=$VR_DEV
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777" \
	"tcp:$VR_WEB4B:8080" "udp:$VR_WEB4B:7777" "udp:$VR_DNS4:53" "udp:$VR_DNS4:7777" \
	"tcp:$VR_WEB6:8080" "tcp:$VR_WEB6:9090" "udp:$VR_WEB6:7777" "tcp:$VR_WEB6B:8080"

# ---- unfiltered, every probe below works: the blocked cases can fail ----
expect_reach "unfiltered" tcp "$VR_WEB4" 8080
expect_reach "unfiltered" tcp "$VR_WEB4" 9090
expect_reach "unfiltered" udp "$VR_WEB4" 7777
expect_reach "unfiltered" udp "$VR_DNS4" 53
expect_reach "unfiltered" udp "$VR_DNS4" 7777
expect_reach "unfiltered" icmp "$VR_WEB4"
expect_reach "unfiltered" tcp "$VR_WEB4B" 8080
expect_reach "unfiltered" tcp "$VR_WEB6" 8080
expect_reach "unfiltered" tcp "$VR_WEB6" 9090
expect_reach "unfiltered" udp "$VR_WEB6" 7777
expect_reach "unfiltered" tcp "$VR_WEB6B" 8080
expect_reach "unfiltered" icmp "$VR_WEB6"

# ---- attach without a policy: deny-all ----
expect "attach $dev without a policy" vr attach "$dev"
if [ "$(vr_show_field "$dev" '[.default, .rule_count, .internet] | join(" ")')" = "deny 0 policy" ]; then
	ok "attach: show -j says default deny, no rules"
else
	not_ok "attach: show -j: $(vr -j show "$dev")"
fi
expect_blocked "deny-all" tcp "$VR_WEB4" 8080
expect_blocked "deny-all" udp "$VR_WEB4" 7777
expect_blocked "deny-all" icmp "$VR_WEB4"
expect_blocked "deny-all" tcp "$VR_WEB6" 8080
expect_blocked "deny-all" udp "$VR_WEB6" 7777
expect_blocked "deny-all" icmp "$VR_WEB6"

# ---- a policy ----
p1=$(vr_policy p1 '{"default": "deny",
	"allow": ["203.0.113.10:8080/tcp", "[2001:db8::10]:8080/tcp"],
	"dns": ["198.51.100.7"]}')
expect "apply a policy" vr apply "$dev" --policy "$p1"
expect_reach "policy: allowed" tcp "$VR_WEB4" 8080
expect_reach "policy: allowed" tcp "$VR_WEB6" 8080
expect_reach "policy: dns resolver" udp "$VR_DNS4" 53
expect_blocked "policy: other port" tcp "$VR_WEB4" 9090
expect_blocked "policy: other port" tcp "$VR_WEB6" 9090
expect_blocked "policy: udp, not the resolver's port" udp "$VR_DNS4" 7777
expect_blocked "policy: udp" udp "$VR_WEB4" 7777
expect_blocked "policy: icmp" icmp "$VR_WEB4"
expect_blocked "policy: ipv6 other host" tcp "$VR_WEB6B" 8080

# The host must be able to resolve the sandbox again once it has forgotten it
# (neighbour entries expire): ARP always passes; IPv6 neighbour discovery
# must too, also when the host solicits from an address of its own device,
# as Linux does for a packet sent from such an address. The sandbox then
# answers to that (non-link-local) address.
ip neigh flush dev "$dev"
ip -6 neigh flush dev "$dev"
expect_reach "policy, host forgot the sandbox: ARP" tcp "$VR_WEB4" 8080
expect_reach "policy, host forgot the sandbox: IPv6 neighbour advertisement" tcp "$VR_WEB6" 8080
vr internet "$dev" on >/dev/null
ip -6 neigh flush dev "$dev"
expect_reach "internet on, host forgot the sandbox: IPv6 (control)" tcp "$VR_WEB6" 8080
vr internet "$dev" policy >/dev/null
# The sandbox re-resolves the gateway with a multicast solicitation that
# teaches the host its address again, so later IPv6 cases are independent.
ip -n "$VR_SBX" -6 neigh flush dev "vrs$VR_ID"
ip -6 neigh flush dev "$dev"
expect_reach "policy, both sides forgot each other" tcp "$VR_WEB6" 8080

# ---- edits: allow, block (overrides any allow), unblock, unallow ----
expect "allow 203.0.113.0/24" vr allow "$dev" 203.0.113.0/24
expect_reach "allowed /24" tcp "$VR_WEB4" 9090
expect_reach "allowed /24" tcp "$VR_WEB4B" 8080
expect_reach "allowed /24" icmp "$VR_WEB4"
expect "block 203.0.113.10:8080/tcp" vr block "$dev" 203.0.113.10:8080/tcp
expect_blocked "block overrides allow" tcp "$VR_WEB4" 8080
expect_reach "block is per port" tcp "$VR_WEB4" 9090
expect "block 2001:db8::/32" vr block "$dev" 2001:db8::/32
expect_blocked "a wider block overrides a narrower allow" tcp "$VR_WEB6" 8080
expect "unblock both" vr unblock "$dev" 203.0.113.10:8080/tcp 2001:db8::/32
expect_reach "unblocked" tcp "$VR_WEB4" 8080
expect_reach "unblocked" tcp "$VR_WEB6" 8080
expect "unallow 203.0.113.0/24" vr unallow "$dev" 203.0.113.0/24
expect_blocked "unallowed" tcp "$VR_WEB4" 9090
expect_blocked "unallowed" tcp "$VR_WEB4B" 8080
expect_reach "the exact allow stays" tcp "$VR_WEB4" 8080

# ---- the internet switch ----
expect "internet off" vr internet "$dev" off
expect_blocked "internet off" tcp "$VR_WEB4" 8080
expect_blocked "internet off" udp "$VR_DNS4" 53
expect_blocked "internet off" tcp "$VR_WEB6" 8080
expect "internet on" vr internet "$dev" on
expect_reach "internet on" tcp "$VR_WEB4" 9090
expect_reach "internet on" udp "$VR_WEB4" 7777
expect_reach "internet on" icmp "$VR_WEB4"
expect_reach "internet on" tcp "$VR_WEB6B" 8080
expect "internet policy" vr internet "$dev" policy
expect_reach "internet policy" tcp "$VR_WEB4" 8080
expect_blocked "internet policy" tcp "$VR_WEB4" 9090

# ---- the sandbox cannot switch the filter off ----
ip netns exec "$VR_SBX" nft flush ruleset 2>/dev/null
command -v iptables >/dev/null && ip netns exec "$VR_SBX" iptables -F 2>/dev/null
command -v ip6tables >/dev/null && ip netns exec "$VR_SBX" ip6tables -F 2>/dev/null
expect_blocked "sandbox flushed its firewall" tcp "$VR_WEB4" 9090
expect_blocked "sandbox flushed its firewall" icmp "$VR_WEB6"
expect_reach "sandbox flushed its firewall" tcp "$VR_WEB4" 8080

# ---- check agrees with real traffic ----
# vr_agree PROTO ADDR [PORT]: check's exit code and JSON verdict against a probe.
vr_agree() {
	local proto=$1 addr=$2 port=${3:-} dest rc verdict reached=no
	if [ -z "$port" ]; then
		dest=$addr
	elif [ "${addr#*:}" != "$addr" ]; then
		dest="[$addr]:$port/$proto"
	else
		dest="$addr:$port/$proto"
	fi
	vr check "$dev" "$dest" >/dev/null 2>&1
	rc=$?
	verdict=$(vr -j check "$dev" "$dest" 2>/dev/null | jq -r .verdict)
	vr_probe "$@" && reached=yes
	case "$rc $verdict $reached" in
	"0 allow yes" | "1 deny no") ok "check $dest agrees with traffic ($verdict)" ;;
	*) not_ok "check $dest: exit $rc, verdict $verdict, traffic reached: $reached" ;;
	esac
}
vr_agree tcp "$VR_WEB4" 8080
vr_agree tcp "$VR_WEB4" 9090
vr_agree tcp "$VR_WEB6" 8080
vr_agree tcp "$VR_WEB6B" 8080
vr_agree udp "$VR_DNS4" 53
vr_agree udp "$VR_DNS4" 7777
vr_agree icmp "$VR_WEB4"

# ---- counters ----
a0=$(vr_counter "$dev" allowed_packets) d0=$(vr_counter "$dev" dropped_packets)
vr_probe tcp "$VR_WEB4" 8080
vr_probe tcp "$VR_WEB4" 9090
a1=$(vr_counter "$dev" allowed_packets) d1=$(vr_counter "$dev" dropped_packets)
if [ "$a1" -gt "$a0" ] 2>/dev/null; then
	ok "show -j: allowed packets $a0 -> $a1"
else
	not_ok "show -j: allowed packets $a0 -> $a1"
fi
if [ "$d1" -gt "$d0" ] 2>/dev/null; then
	ok "show -j: dropped packets $d0 -> $d1"
else
	not_ok "show -j: dropped packets $d0 -> $d1"
fi

# ---- policy changes under traffic leak nothing ----
# Four policies that all block 203.0.113.10:7777/udp and all allow
# 203.0.113.20:7777/udp, but differ in default, prefixes and port ranges.
churn=(
	"$(vr_policy ca '{"default": "deny",
		"allow": ["203.0.113.20:7777/udp", "203.0.113.10:8080/tcp"]}')"
	"$(vr_policy cb '{"default": "deny",
		"allow": ["203.0.113.20:7777/udp", "203.0.113.10:1-7776/udp",
			  "203.0.113.10:7778-65535/udp", "[2001:db8::10]:8080/tcp"]}')"
	"$(vr_policy cc '{"default": "allow", "allow": ["203.0.113.20:7777/udp"],
		"block": ["203.0.113.10:7777/udp"]}')"
	"$(vr_policy cd '{"default": "deny", "allow": ["203.0.113.0/24"],
		"block": ["203.0.113.8/29:7000-8000/udp"]}')"
)
vr_nft_counter leak iifname "$dev" ip daddr "$VR_WEB4" udp dport 7777
vr_nft_counter control iifname "$dev" ip daddr "$VR_WEB4B" udp dport 7777
blocked0=$(vr_count udp "$VR_WEB4" 7777) control0=$(vr_count udp "$VR_WEB4B" 7777)
vr apply "$dev" --policy "${churn[0]}" >/dev/null
ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/sender.py" "$VR_TMP/stop" 30 "$VR_TMP/sent" \
	"$VR_WEB4:7777" "$VR_WEB4B:7777" &
sender=$!
vr_pids+=("$sender")
vr_control_flows() {
	[ "$(vr_count udp "$VR_WEB4B" 7777)" -gt "$control0" ]
}
vr_wait_for 3 vr_control_flows
failed_applies=0
start=$(vr_now)
for i in $(seq 0 49); do
	vr apply "$dev" --policy "${churn[$((i % 4))]}" >/dev/null 2>&1 ||
		failed_applies=$((failed_applies + 1))
done
churn_time=$(vr_elapsed "$start")
touch "$VR_TMP/stop"
vr_wait_for 5 vr_gone "$sender"
vr_stop_pid "$sender"
sleep 0.3 # the last packets reach the server
read -r sent_blocked sent_control <"$VR_TMP/sent" 2>/dev/null || sent_blocked=0 sent_control=0
blocked=$(($(vr_count udp "$VR_WEB4" 7777) - blocked0))
control=$(($(vr_count udp "$VR_WEB4B" 7777) - control0))
if [ "$failed_applies" -eq 0 ]; then
	ok "50 applies under traffic (${churn_time} s)"
else
	not_ok "50 applies under traffic: $failed_applies failed"
fi
leaked=$(vr_nft_packets leak) passed=$(vr_nft_packets control)
if [ "$sent_blocked" -gt 0 ] && [ "$blocked" -eq 0 ] && [ "$leaked" = 0 ]; then
	ok "churn: 0 of $sent_blocked packets to the blocked port leaked"
else
	not_ok "churn: of $sent_blocked packets to the blocked port, $leaked passed the filter, $blocked reached the server"
fi
# Every one must pass the filter (the server, busy on two shared CPUs, may
# still lose some in its socket buffer).
if [ "$sent_control" -gt 0 ] && [ "$passed" = "$sent_control" ] && [ "$control" -gt 0 ]; then
	ok "churn: all $sent_control packets to the port every policy allows passed ($control served)"
else
	not_ok "churn: of $sent_control packets to the port every policy allows, $passed passed the filter, $control reached the server"
fi
expect "apply the policy again" vr apply "$dev" --policy "$p1"

# ---- removals from a 100,000-rule policy under traffic ----
# The flow to 203.0.113.10:7777/udp passes until its rule is removed, and not
# one packet after; the flow to 203.0.113.20:7777/udp, whose rule stays, loses
# none while 20 other rules and then that one go.
big=$VR_TMP/removals.json
"$VR_PY" - "$big" <<'PY'
import json, sys
fill = ["10.%d.%d.%d:443/tcp" % (i >> 16 & 255, i >> 8 & 255, i & 255) for i in range(99998)]
json.dump({"default": "deny",
           "allow": ["203.0.113.10:7777/udp", "203.0.113.20:7777/udp"] + fill},
          open(sys.argv[1], "w"))
PY
expect "apply 100,000 rules" vr apply "$dev" --policy "$big"
vr_nft_counter rmleak iifname "$dev" ip daddr "$VR_WEB4" udp dport 7777
vr_nft_counter rmctl iifname "$dev" ip daddr "$VR_WEB4B" udp dport 7777
rm -f "$VR_TMP/stop" "$VR_TMP/sent"
ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/sender.py" "$VR_TMP/stop" 30 "$VR_TMP/sent" \
	"$VR_WEB4:7777" "$VR_WEB4B:7777" &
sender=$!
vr_pids+=("$sender")
# shellcheck disable=SC2317 # called by vr_wait_for
vr_both_flow() { [ "$(vr_nft_packets rmleak)" -gt 0 ] && [ "$(vr_nft_packets rmctl)" -gt 0 ]; }
vr_wait_for 3 vr_both_flow || not_ok "removals: the flows do not pass before"
failed=0 start=$(vr_now)
for i in $(seq 1 20); do
	vr unallow "$dev" "10.0.0.$i:443/tcp" >/dev/null 2>&1 || failed=$((failed + 1))
done
fillers_time=$(vr_elapsed "$start")
start=$(vr_now)
expect "unallow the flow's rule under traffic" vr unallow "$dev" 203.0.113.10:7777/udp
flow_time=$(vr_elapsed "$start")
passed_before=$(vr_nft_packets rmleak)
sleep 1
touch "$VR_TMP/stop"
vr_wait_for 5 vr_gone "$sender"
vr_stop_pid "$sender"
read -r sent_flow sent_ctl <"$VR_TMP/sent" 2>/dev/null || sent_flow=0 sent_ctl=0
leaked=$(($(vr_nft_packets rmleak) - passed_before)) passed_ctl=$(vr_nft_packets rmctl)
if [ "$failed" -eq 0 ]; then
	ok "removals: 20 rules out of 100,000 under traffic in $fillers_time s, the flow's in $flow_time s"
else
	not_ok "removals: $failed of 20 removals failed"
fi
if [ "$passed_before" -gt 0 ] && [ "$leaked" -eq 0 ] && [ "$sent_flow" -gt "$passed_before" ]; then
	ok "removals: $passed_before packets of the flow passed before its rule went, 0 of the $((sent_flow - passed_before)) after"
else
	not_ok "removals: $passed_before packets of the flow passed before, $leaked after (of $sent_flow sent)"
fi
if [ "$sent_ctl" -gt 0 ] && [ "$passed_ctl" = "$sent_ctl" ]; then
	ok "removals: all $sent_ctl packets whose rule stays passed"
else
	not_ok "removals: of $sent_ctl packets whose rule stays, $passed_ctl passed"
fi
if [ "$(vr_show_field "$dev" .rule_count)" = 99979 ] &&
	vr check "$dev" 10.0.0.21:443/tcp >/dev/null && ! vr check "$dev" 10.0.0.20:443/tcp >/dev/null; then
	ok "removals: 99,979 rules left, the removed ones deny, the others allow"
else
	not_ok "removals: show -j says $(vr_show_field "$dev" .rule_count) rules"
fi
expect "apply the policy again" vr apply "$dev" --policy "$p1"

# ---- bad input: exit 2, a message, the maps untouched (no traffic here) ----
vr_add_link "vrx$VR_ID" type veth peer name "vry$VR_ID" netns "$VR_SBX"
printf '{"default": "deny", "allow": [' >"$VR_TMP/bad-json.json"
vr_policy bad-key '{"default": "deny", "allwo": ["203.0.113.10"]}' >/dev/null
vr_policy bad-prefix '{"allow": ["203.0.113.0/33"]}' >/dev/null
vr_policy bad-wildcard '{"dns_proxy": false, "allow": ["*.example.com:443/tcp"]}' >/dev/null
vr_policy bad-port '{"allow": ["203.0.113.10:65536/tcp"]}' >/dev/null
vr_policy bad-dns '{"dns": ["198.51.100.0/24"]}' >/dev/null
vr_policy bad-default '{"default": "maybe"}' >/dev/null
vr_policy good '{"default": "allow"}' >/dev/null

# expect_rejected NAME CMD...: exit 2, a message on stderr, maps unchanged.
expect_rejected() {
	local name=$1 rc
	shift
	vr_snapshot "$dev" >"$VR_TMP/before"
	"$@" >"$VR_TMP/out" 2>"$VR_TMP/err" </dev/null
	rc=$?
	vr_snapshot "$dev" >"$VR_TMP/after"
	if [ "$rc" -ne 2 ]; then
		not_ok "rejects $name (exit $rc, want 2)"
	elif [ ! -s "$VR_TMP/err" ]; then
		not_ok "rejects $name (no message)"
	elif ! cmp -s "$VR_TMP/before" "$VR_TMP/after"; then
		not_ok "rejects $name (the maps changed: $(diff "$VR_TMP/before" "$VR_TMP/after" | head -c 300 | tr '\n' ' '))"
	else
		ok "rejects $name: exit 2, maps unchanged ($(head -1 "$VR_TMP/err" | head -c 100))"
	fi
}
expect_rejected "invalid JSON" vr apply "$dev" --policy "$VR_TMP/bad-json.json"
expect_rejected "an unknown key" vr apply "$dev" --policy "$VR_TMP/bad-key.json"
expect_rejected "a /33 prefix" vr apply "$dev" --policy "$VR_TMP/bad-prefix.json"
expect_rejected "a wildcard without the DNS proxy" vr apply "$dev" --policy "$VR_TMP/bad-wildcard.json"
expect_rejected "port 65536" vr apply "$dev" --policy "$VR_TMP/bad-port.json"
expect_rejected "a prefix as resolver" vr apply "$dev" --policy "$VR_TMP/bad-dns.json"
expect_rejected "default maybe" vr apply "$dev" --policy "$VR_TMP/bad-default.json"
expect_rejected "a missing policy file" vr apply "$dev" --policy "$VR_TMP/nonexistent.json"
expect_rejected "a nonexistent device" vr apply "vrnone$VR_ID" --policy "$VR_TMP/good.json"
expect_rejected "an unknown command" vr frobnicate "$dev"
expect_rejected "apply on a device not attached" vr apply "vrx$VR_ID" --policy "$VR_TMP/good.json"
expect_rejected "attach with an invalid policy" vr attach "vrx$VR_ID" --policy "$VR_TMP/bad-prefix.json"
expect_rejected "unallow of a rule not there" vr unallow "$dev" 203.0.113.99:8080/tcp
expect_rejected "unblock of a rule not there" vr unblock "$dev" 203.0.113.10:8080/tcp
expect_rejected "allow of a /33" vr allow "$dev" 203.0.113.0/33
expect_rejected "allow of a valid and an invalid rule" vr allow "$dev" 203.0.113.99 "[2001:db8::1]:x"
expect_rejected "internet maybe" vr internet "$dev" maybe
expect_rejected "check of a prefix" vr check "$dev" 203.0.113.0/24:80
# the control: a change the maps' part of the snapshot must see
vr_maps_sum >"$VR_TMP/before"
vr allow "$dev" 203.0.113.99:1234/tcp >/dev/null 2>&1
vr_maps_sum >"$VR_TMP/after"
vr unallow "$dev" 203.0.113.99:1234/tcp >/dev/null 2>&1
if cmp -s "$VR_TMP/before" "$VR_TMP/after" || ! grep -q '^vrnet_rules [1-9]' "$VR_TMP/after"; then
	not_ok "the map sums miss an allow: $(tr '\n' ' ' <"$VR_TMP/after" | head -c 300)"
else
	ok "the map sums see an allow: $(diff "$VR_TMP/before" "$VR_TMP/after" | grep -c '^>') maps differ"
fi

# The device of a default route is refused without --force. The host's own
# uplink is never used for this: a namespace of ours gets a default route
# through a veth of ours, and the CLI runs there (ip netns exec gives it a
# private /sys; the test mounts a bpffs there on purpose, and it vanishes with
# the command: vrnet-bpf itself refuses to mount one there).
up=vrup$VR_ID
vr_add_netns "$up"
ip netns exec "$up" ip link add vruplink type veth peer name vruppeer &&
	ip netns exec "$up" ip addr add 192.0.2.2/24 dev vruplink &&
	ip netns exec "$up" ip link set vruplink up &&
	ip netns exec "$up" ip link set vruppeer up &&
	ip netns exec "$up" ip route add default via 192.0.2.1 ||
	vr_fatal "uplink namespace"
ns_vr() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$up" sh -c 'mount -t bpf bpf /sys/fs/bpf && exec "$0" --pin-dir /sys/fs/bpf/vrpin "$@"' \
		"$VRNET_BIN" "$@"
}
ns_vr attach vruplink >/dev/null 2>"$VR_TMP/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "default route" "$VR_TMP/err" &&
	[ "$(ns_vr -j list | jq length)" = 0 ]; then
	ok "attach to the default-route device refused, nothing attached"
else
	not_ok "attach to the default-route device: exit $rc, want 2: $(cat "$VR_TMP/err")"
fi
# one mount of the bpffs for both: a tcx link pinned there goes when it goes
# shellcheck disable=SC2016 # expanded by the inner shell
status=$(ip netns exec "$up" sh -c 'mount -t bpf bpf /sys/fs/bpf &&
	"$0" --pin-dir /sys/fs/bpf/vrpin attach vruplink --force >/dev/null &&
	"$0" --pin-dir /sys/fs/bpf/vrpin -j status' "$VRNET_BIN" 2>&1)
if [ "$(jq -r '.devices[0].filter' <<<"$status")" = attached ]; then
	ok "attach --force to the default-route device attaches"
else
	not_ok "attach --force to the default-route device: $status"
fi
ip netns del "$up"

# ---- detach ----
expect "detach" vr detach "$dev"
expect_reach "detached" tcp "$VR_WEB4" 9090
expect_reach "detached" udp "$VR_WEB4" 7777
expect_reach "detached" icmp "$VR_WEB4"
expect_reach "detached" tcp "$VR_WEB6B" 8080
expect_rc "show after detach says not attached" 2 vr show "$dev"
if [ "$(vr -j list | jq --arg d "$dev" '[.[] | select(.device == $d)] | length')" = 0 ]; then
	ok "list -j no longer has $dev"
else
	not_ok "list -j still has $dev: $(vr -j list)"
fi

# ---- device deleted and a new one with the same name ----
# vr_devices_has IFINDEX: the devices map has an entry for it (in any namespace).
vr_devices_has() {
	bpftool -j map dump pinned "$VR_PIN/vrnet_devices" |
		jq -e --argjson i "$1" 'any(.[]; .formatted.key.ifindex == $i)' >/dev/null 2>&1
}

vr_recreate_veth() { # [IFINDEX]
	ip link add "$dev" ${1:+index "$1"} type veth peer name "vrs$VR_ID" netns "$VR_SBX" ||
		vr_fatal "recreate $dev"
	vr_host_addresses "$dev"
	vr_sandbox_addresses "$VR_SBX" "vrs$VR_ID"
}

expect "attach with the policy" vr attach "$dev" --policy "$p1"
old=$(cat "/sys/class/net/$dev/ifindex")
ip -n "$VR_SBX" link del "vrs$VR_ID" # takes the host side with it
if vr_devices_has "$old"; then
	ok "deleted device: its entry stays until reclaimed"
else
	not_ok "deleted device: no entry for ifindex $old before gc"
fi
expect "gc" vr -j gc
if [ "$(jq -r .reclaimed_devices "$VR_TMP/out")" -ge 1 ] 2>/dev/null && ! vr_devices_has "$old"; then
	ok "gc reclaimed the deleted device"
else
	not_ok "gc: $(cat "$VR_TMP/out"), entry for $old still there: $(vr_devices_has "$old" && echo yes)"
fi
if [ "$(vr -j show | jq --arg d "$dev" '[.[] | select(.device == $d)] | length')" = 0 ]; then
	ok "show -j no longer lists the deleted device"
else
	not_ok "show -j still lists the deleted device"
fi
vr_recreate_veth
expect_rc "new $dev with the same name: show says not attached" 2 vr show "$dev"
expect_reach "new $dev, not attached: unfiltered" tcp "$VR_WEB4" 9090
expect "new $dev: attach without a policy" vr attach "$dev"
if [ "$(vr_show_field "$dev" '[.default, .rule_count] | join(" ")')" = "deny 0" ]; then
	ok "new $dev: deny-all, not the old policy"
else
	not_ok "new $dev: $(vr -j show "$dev")"
fi
expect_blocked "new $dev: the old policy's service" tcp "$VR_WEB4" 8080
expect_blocked "new $dev: the old policy's resolver" udp "$VR_DNS4" 53

# Any state-changing command reclaims what deleted devices left.
old=$(cat "/sys/class/net/$dev/ifindex")
ip -n "$VR_SBX" link del "vrs$VR_ID"
vr attach "vrx$VR_ID" >/dev/null 2>&1
if vr_devices_has "$old" || ! vr_devices_has "$(cat "/sys/class/net/vrx$VR_ID/ifindex")"; then
	not_ok "attach of another device did not reclaim the deleted device's entry"
else
	ok "attach of another device reclaimed the deleted device's entry"
fi
vr detach "vrx$VR_ID" >/dev/null 2>&1
vr_recreate_veth

# The same name and the same ifindex, with no gc in between.
expect "attach with the policy again" vr attach "$dev" --policy "$p1"
old=$(cat "/sys/class/net/$dev/ifindex")
ip -n "$VR_SBX" link del "vrs$VR_ID"
vr_recreate_veth "$old"
if [ "$(cat "/sys/class/net/$dev/ifindex")" = "$old" ]; then
	expect_rc "same name and ifindex: show says not attached" 2 vr show "$dev"
	expect_rc "same name and ifindex: check says not attached" 2 vr check "$dev" 203.0.113.10:8080
	expect_reach "same name and ifindex, not attached: unfiltered" tcp "$VR_WEB4" 9090
	# a clsact qdisc someone else put on the new device is not ours to remove
	tc qdisc add dev "$dev" clsact || vr_fatal "tc qdisc add dev $dev clsact"
	expect "same name and ifindex: detach removes the old device's state" vr detach "$dev"
	if grep -q "not attached" "$VR_TMP/err" && ! vr_devices_has "$old"; then
		ok "same name and ifindex: detach warned that $dev was not attached"
	else
		not_ok "same name and ifindex: detach: $(cat "$VR_TMP/err"), entry left: $(vr_devices_has "$old" && echo yes)"
	fi
	if tc qdisc show dev "$dev" | grep -q clsact; then
		ok "same name and ifindex: detach left the device's clsact qdisc"
	else
		not_ok "same name and ifindex: detach removed a clsact qdisc it did not create"
	fi
	expect "same name and ifindex: attach without a policy" vr attach "$dev"
	if [ "$(vr_show_field "$dev" '[.default, .rule_count] | join(" ")')" = "deny 0" ]; then
		ok "same name and ifindex: deny-all, not the old policy"
	else
		not_ok "same name and ifindex: $(vr -j show "$dev")"
	fi
	expect_blocked "same name and ifindex: the old policy's service" tcp "$VR_WEB4" 8080
	expect "same name and ifindex: detach" vr detach "$dev"
	if tc qdisc show dev "$dev" | grep -q clsact; then
		ok "detach keeps a clsact qdisc it did not create"
	else
		not_ok "detach removed a clsact qdisc it did not create"
	fi
	expect_reach "same name and ifindex, detached: unfiltered" tcp "$VR_WEB4" 9090
else
	skip "same name and ifindex (the kernel gave another ifindex)"
fi
