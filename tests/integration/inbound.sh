#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A policy's inbound part behind a veth (or a tap: inbound_tap.sh): servers
# in the sandbox, clients on the host. Under "inbound" default deny only the
# allowed source and port reach the sandbox; a block rule keeps the host out
# under default allow; the sandbox's own connections out (TCP, UDP) get
# their answers either way; internet off leaves connections into the
# sandbox alone; audit mode passes and logs. Every case that expects a drop
# is run first without the inbound part, where it gets through.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_sandbox "${1:-veth}"
vr_write_helpers
dev=$VR_DEV net=$VR_NET
sbx4=10.231.$net.2 sbx6=fd00:231:$net::2 host4=10.231.$net.1 host6=fd00:231:$net::1

mkdir -p "$VR_TMP/sbx"
ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/server.py" "$VR_TMP/sbx" "tcp:$sbx4:8022" \
	"tcp:$sbx4:8023" "udp:$sbx4:5353" "tcp:$sbx6:8022" 2>>"$VR_TMP/sbx.log" &
vr_pids+=($!)
vr_wait_for 5 test -e "$VR_TMP/sbx/ready" || vr_fatal "servers in the sandbox: $(cat "$VR_TMP/sbx.log")"
vr_start_servers "tcp:$host4:9090" "udp:$host4:9091"


egress='"default": "deny", "allow": ["'$host4':9090/tcp", "'$host4':9091/udp"]'
deny_in=$(vr_policy deny_in '{'"$egress"', "inbound": {"default": "deny",
  "allow": ["'$host4':8022/tcp", "['$host6']:8022/tcp"]}}')
block_in=$(vr_policy block_in '{'"$egress"', "inbound": {"default": "allow", "block": ["'$host4'"]}}')
audit_in=$(vr_policy audit_in '{'"$egress"', "mode": "audit", "inbound": {"default": "deny"}}')
no_in=$(vr_policy no_in '{'"$egress"'}')

# ---- the control: no inbound part, everything the host sends gets in ----
expect "attach without an inbound part" vr attach "$dev" --policy "$no_in"
expect_from_host "no inbound part" tcp "$sbx4" 8022
expect_from_host "no inbound part" tcp "$sbx4" 8023
expect_from_host "no inbound part" udp "$sbx4" 5353
expect_from_host "no inbound part" tcp "$sbx6" 8022
expect_eq "show: no inbound part" "$(vr_show_field "$dev" .inbound)" null
expect "check --inbound without an inbound part" vr check "$dev" "$host4:8023" --inbound

# ---- inbound default deny: only the allowed source and port ----
expect "apply inbound default deny" vr apply "$dev" --policy "$deny_in"
expect_from_host "inbound allow rule" tcp "$sbx4" 8022
expect_from_host "inbound allow rule (IPv6)" tcp "$sbx6" 8022
expect_not_from_host "inbound default deny" tcp "$sbx4" 8023
expect_not_from_host "inbound default deny" udp "$sbx4" 5353
expect_reach "inbound default deny: the sandbox's own connection" tcp "$host4" 9090
expect_reach "inbound default deny: the sandbox's own datagram" udp "$host4" 9091
expect "check --inbound: the allowed port" vr check "$dev" "$host4:8022" --inbound
expect_rc "check --inbound: another port" 1 vr check "$dev" "$host4:8023" --inbound
expect_eq "check --inbound -j: the reason" \
	"$(vr -j check "$dev" "$host4:8023" --inbound | jq -r '.direction + " " + .reason')" \
	"in default"
expect_eq "show: the inbound part" \
	"$(vr_show_field "$dev" '.inbound.default + " " + (.inbound.allow | length | tostring)')" \
	"deny 2"
dropped=$(vr_show_field "$dev" .counters.inbound.dropped_packets)
if [ "${dropped:-0}" -gt 0 ]; then ok "show: inbound drops counted ($dropped)"; else
	not_ok "show: no inbound drop counted"; fi
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" >"$VR_TMP/log.json" 2>&1
if grep '"direction":"in"' "$VR_TMP/log.json" | grep '"destination_port":8023' |
	grep -q '"action":"dropped"'; then
	ok "log: the dropped connection into the sandbox"
else
	not_ok "log: no inbound event for port 8023: $(head -c 400 "$VR_TMP/log.json")"
fi

# ---- internet off cuts what the sandbox starts, not what its inbound part lets in ----
expect "internet off" vr internet "$dev" off
expect_from_host "internet off" tcp "$sbx4" 8022
expect_not_from_host "internet off" tcp "$sbx4" 8023
expect_blocked "internet off: the sandbox's own connection" tcp "$host4" 9090
expect "internet back to policy" vr internet "$dev" policy

# ---- inbound default allow, the host's address blocked ----
expect "apply an inbound block" vr apply "$dev" --policy "$block_in"
expect_not_from_host "inbound block rule" tcp "$sbx4" 8022
expect_not_from_host "inbound block rule" udp "$sbx4" 5353
expect_from_host "inbound block rule, IPv6 not blocked" tcp "$sbx6" 8022
expect_reach "inbound block rule: the sandbox's own connection" tcp "$host4" 9090
expect_reach "inbound block rule: the sandbox's own datagram" udp "$host4" 9091
expect_rc "check --inbound: the blocked host" 1 vr check "$dev" "$host4:8022" --inbound

# ---- audit mode: passed and logged ----
expect "apply inbound deny in audit mode" vr apply "$dev" --policy "$audit_in"
expect_from_host "audit mode" tcp "$sbx4" 8023
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" >"$VR_TMP/log2.json" 2>&1
if grep '"direction":"in"' "$VR_TMP/log2.json" | grep -q '"action":"audited"'; then
	ok "log: the audited connection into the sandbox"
else
	not_ok "log: no audited inbound event: $(head -c 400 "$VR_TMP/log2.json")"
fi

expect "apply without the inbound part again" vr apply "$dev" --policy "$no_in"
expect_from_host "inbound part gone" tcp "$sbx4" 8023
expect "detach" vr detach "$dev"
