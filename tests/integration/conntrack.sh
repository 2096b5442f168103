#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Connections into a sandbox behind a veth (or a tap: conntrack_tap.sh)
# under a default-deny policy that allows nothing: a TCP and a UDP server in
# the sandbox, and ping, are reached from the host (its replies pass, reason
# reply), with internet off too. What the sandbox starts itself stays
# dropped: the same ports towards the host without a connection in, a new
# connection of its own, its own ping; and a block rule on the host's
# address drops even the replies.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_sandbox "${1:-veth}" # conntrack_tap.sh: behind a tap
vr_write_helpers
dev=$VR_DEV net=$VR_NET
sbx4=10.231.$net.2 sbx6=fd00:231:$net::2 host4=10.231.$net.1

# the servers, in the sandbox
mkdir -p "$VR_TMP/sbx"
ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/server.py" "$VR_TMP/sbx" "tcp:$sbx4:8080" \
	"udp:$sbx4:5353" "tcp:$sbx6:8080" 2>>"$VR_TMP/sbx.log" &
vr_pids+=($!)
vr_wait_for 5 test -e "$VR_TMP/sbx/ready" || vr_fatal "servers in the sandbox: $(cat "$VR_TMP/sbx.log")"
# and one on the host, for what the sandbox starts
vr_start_servers "tcp:$host4:9090" "udp:$host4:9091"

ping_host_to_sbx() { ping -n -q -c1 -W "$VR_TIMEOUT" "$sbx4" >/dev/null 2>&1; }
# UDP from the sandbox's server port to the host's UDP server, no datagram in first
sbx_udp_from_5353() {
	ip netns exec "$VR_SBX" "$VR_PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5354))
s.settimeout(float(sys.argv[3]))
s.sendto(b"vrprobe", (sys.argv[2], 9091))
try:
    sys.exit(0 if s.recv(64) == b"vrprobe" else 1)
except OSError:
    sys.exit(1)' "$sbx4" "$host4" "$VR_TIMEOUT"
}

# ---- unfiltered: everything gets through both ways ----
expect_from_host "unfiltered" tcp "$sbx4" 8080
expect_reach "unfiltered: the sandbox starts its own" tcp "$host4" 9090
if sbx_udp_from_5353; then ok "unfiltered: UDP from the sandbox's own port reaches the host"; else
	not_ok "unfiltered: UDP from the sandbox's own port does not reach the host"; fi

# ---- default deny, nothing allowed ----
expect "attach deny-all" vr attach "$dev" --policy "$(vr_policy deny '{"default": "deny"}')"
expect_from_host "default deny" tcp "$sbx4" 8080
expect_from_host "default deny" udp "$sbx4" 5353
expect_from_host "default deny" tcp "$sbx6" 8080
if ping_host_to_sbx; then ok "default deny: the host's ping is answered"; else
	not_ok "default deny: the host's ping is not answered"; fi
expect_blocked "default deny: the sandbox's own connection" tcp "$host4" 9090
expect_blocked "default deny: the sandbox's own ping" icmp "$host4"
if sbx_udp_from_5353; then not_ok "default deny: UDP the sandbox starts reached the host"; else
	ok "default deny: UDP the sandbox starts is dropped"; fi

timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" >"$VR_TMP/log.json" 2>&1
if grep -q '"reason":"reply"' "$VR_TMP/log.json"; then
	not_ok "log: replies logged as blocked attempts"
else
	ok "log: no event for the replies"
fi
if vr -j check "$dev" "$host4:9090" >/dev/null; then
	not_ok "check: the sandbox's own connection would pass"
else
	ok "check: the sandbox's own connection is denied"
fi

# ---- internet off: what the sandbox starts is cut, connections into it stay ----
expect "internet off" vr internet "$dev" off
expect_from_host "internet off" tcp "$sbx4" 8080
expect_blocked "internet off: the sandbox's own connection" tcp "$host4" 9090
expect "internet back to policy" vr internet "$dev" policy

# ---- a block rule on the host's address drops even the replies ----
expect "block the host's address" vr block "$dev" "$host4"
expect_not_from_host "blocked peer" tcp "$sbx4" 8080
expect "unblock it" vr unblock "$dev" "$host4"
expect_from_host "unblocked" tcp "$sbx4" 8080

# ---- the slot keeps its tables for the next device, emptied ----
conns_tables() { # the ids of the slots' connection tables, one a line
	bpftool -j map dump pinned "$VR_PIN/vrnet_conns" | "$VR_PY" -c 'import json, sys
for e in json.load(sys.stdin):
    print(int.from_bytes(bytes(int(b, 16) for b in e["value"]), "little"))'
}
entries() { # TABLE_ID: how many entries it holds
	bpftool -j map dump id "$1" | "$VR_PY" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
tables=$(conns_tables)
held=0
for t in $tables; do held=$((held + $(entries "$t"))); done
expect "the control: the connections in are in the device's table ($held)" test "$held" -gt 0
expect "detach" vr detach "$dev"
expect_eq "detached: the slot keeps its table" "$(conns_tables)" "$tables"
held=0
for t in $tables; do held=$((held + $(entries "$t"))); done
expect_eq "detached: the table is empty" "$held" 0
expect_from_host "detached" tcp "$sbx4" 8080
expect "attach again" vr attach "$dev" --policy "$(vr_policy deny '{"default": "deny"}')"
expect_eq "the next device takes the same table" "$(conns_tables)" "$tables"
expect_from_host "the next device tracks" tcp "$sbx4" 8080
expect "detach again" vr detach "$dev"
