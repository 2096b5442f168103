#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The audit trail with real traffic: events of blocked attempts per protocol
# and family, logged allowed flows, audit mode, the per-device rate limit under
# a flood (two sandboxes), metrics, and `log`'s options. A sandbox namespace
# behind a veth, servers on the fake internet addresses of the host-side device.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
dev=$VR_DEV
peer=vrs$VR_ID
ifindex=$(cat "/sys/class/net/$dev/ifindex")
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777" \
	"tcp:$VR_WEB4B:8080" "tcp:$VR_WEB6:8080" "tcp:$VR_WEB6:9090" "udp:$VR_WEB6:7777"
suite_start=$(vr_now)

# ---- `log` in the background, stopped by PID ----
# The binary itself (not the vr function) so that $! is the reader's PID.
VR_LOG_PID=''
vr_log_start() { # NAME ARGS...: `-j log ARGS...` into $VR_TMP/NAME.log
	local name=$1
	shift
	"$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$@" >"$VR_TMP/$name.log" 2>"$VR_TMP/$name.err" &
	VR_LOG_PID=$!
	vr_pids+=("$VR_LOG_PID")
	sleep 0.5 # the reader holds the ring buffer before any traffic
	if vr_gone "$VR_LOG_PID"; then
		not_ok "$name: log exited at start: $(head -c 300 "$VR_TMP/$name.err")"
		return 1
	fi
}

vr_log_stop() { # NAME: the last events are read, then SIGTERM
	sleep 0.4
	vr_stop_pid "$VR_LOG_PID"
	if jq -e -s 'all(.[]; type == "object")' "$VR_TMP/$1.log" >/dev/null 2>&1; then
		return 0
	fi
	not_ok "$1: log -j printed lines that are not JSON objects: $(head -c 300 "$VR_TMP/$1.log")"
	return 1
}

# ev NAME JQ: JQ over the array of the log's event objects (no summaries).
ev() {
	jq -s -c "[.[] | select(.type == \"event\")] | $2" "$VR_TMP/$1.log" 2>/dev/null
}

# expect_events NAME WHAT COUNT SELECT: exactly COUNT events match SELECT.
expect_events() {
	local name=$1 what=$2 want=$3 sel=$4 n
	n=$(ev "$name" "[.[] | select($sel)] | length")
	if [ "$n" = "$want" ]; then
		ok "$name: $what: $n event(s)"
	else
		not_ok "$name: $what: ${n:-?} event(s), want $want; events: $(ev "$name" '.' | head -c 1500)"
	fi
}

# ---- unfiltered, every probe below works: the blocked cases can fail ----
expect_reach "unfiltered" tcp "$VR_WEB4" 8080
expect_reach "unfiltered" tcp "$VR_WEB4" 9090
expect_reach "unfiltered" tcp "$VR_WEB4B" 8080
expect_reach "unfiltered" udp "$VR_WEB4" 7777
expect_reach "unfiltered" icmp "$VR_WEB4"
expect_reach "unfiltered" tcp "$VR_WEB6" 8080
expect_reach "unfiltered" tcp "$VR_WEB6" 9090
expect_reach "unfiltered" udp "$VR_WEB6" 7777
expect_reach "unfiltered" icmp "$VR_WEB6"

# ==== a. one event per blocked attempt, per protocol and family ====
pa=$(vr_policy pa '{"default": "deny",
	"allow": ["203.0.113.10:8080/tcp", "[2001:db8::10]:8080/tcp"],
	"block": ["203.0.113.20"]}')
expect "events: attach with a deny policy" vr attach "$dev" --policy "$pa"
policy_id=$(vr_show_field "$dev" .policy_id)
block_id=$(vr_show_field "$dev" '.block[0].id')
block_text=$(vr_show_field "$dev" '.block[0].rule')
# ND and MLD that pass the filter while the log runs must not be events.
vr_nft_counter nd iifname "$dev" icmpv6 type '{ nd-neighbor-solicit, nd-neighbor-advert }'
vr_nft_counter mld iifname "$dev" icmpv6 type '{ mld-listener-report, mld2-listener-report }'

vr_log_start events "$dev"
ip -n "$VR_SBX" -6 neigh flush dev "$peer"
ip -6 neigh flush dev "$dev"
# a new address joins its solicited-node group: an MLD report (deprecated, so
# that it is never the source of the attempts)
ip -n "$VR_SBX" -6 addr add "fd00:231:$VR_NET::99/64" dev "$peer" nodad preferred_lft 0
expect_blocked "events" tcp "$VR_WEB4" 9090
expect_blocked "events" tcp "$VR_WEB6" 9090
expect_blocked "events" udp "$VR_WEB4" 7777
expect_blocked "events" udp "$VR_WEB6" 7777
expect_blocked "events" icmp "$VR_WEB4"
expect_blocked "events" icmp "$VR_WEB6"
expect_blocked "events: block rule" tcp "$VR_WEB4B" 8080
expect_reach "events: allowed" tcp "$VR_WEB4" 8080
expect_reach "events: allowed" tcp "$VR_WEB6" 8080
ip -n "$VR_SBX" -6 addr del "fd00:231:$VR_NET::99/64" dev "$peer"
vr_log_stop events

src4=10.231.$VR_NET.2 src6=fd00:231:$VR_NET::2
common="(.device == \"$dev\" and .ifindex == $ifindex and .policy_id == $policy_id
	and .action == \"dropped\" and .length > 0 and .suppressed == 0)"
expect_events events "tcp v4 SYN, default" 1 "$common and .reason == \"default\"
	and .family == 4 and .protocol == \"tcp\" and .source == \"$src4\"
	and .destination == \"$VR_WEB4\" and .destination_port == 9090
	and .source_port > 0 and .tcp_flags == \"SYN\" and (has(\"rule_id\") | not)"
expect_events events "tcp v6 SYN, default" 1 "$common and .reason == \"default\"
	and .family == 6 and .protocol == \"tcp\" and .source == \"$src6\"
	and .destination == \"$VR_WEB6\" and .destination_port == 9090
	and .source_port > 0 and .tcp_flags == \"SYN\""
expect_events events "udp v4 datagram" 1 "$common and .reason == \"default\"
	and .family == 4 and .protocol == \"udp\" and .source == \"$src4\"
	and .destination == \"$VR_WEB4\" and .destination_port == 7777
	and .source_port > 0 and (has(\"tcp_flags\") | not)"
expect_events events "udp v6 datagram" 1 "$common and .reason == \"default\"
	and .family == 6 and .protocol == \"udp\" and .source == \"$src6\"
	and .destination == \"$VR_WEB6\" and .destination_port == 7777 and .source_port > 0"
expect_events events "icmp echo v4" 1 "$common and .reason == \"default\"
	and .family == 4 and .protocol == \"icmp\" and .source == \"$src4\"
	and .destination == \"$VR_WEB4\" and .icmp_type == 8 and (has(\"destination_port\") | not)"
expect_events events "icmpv6 echo" 1 "$common and .reason == \"default\"
	and .family == 6 and .protocol == \"icmpv6\" and .source == \"$src6\"
	and .destination == \"$VR_WEB6\" and .icmp_type == 128"
expect_events events "block rule $block_text" 1 "$common and .reason == \"block_rule\"
	and .rule_id == $block_id and .rule == \"$block_text\" and .rule == \"203.0.113.20\"
	and .family == 4 and .protocol == \"tcp\" and .destination == \"$VR_WEB4B\"
	and .destination_port == 8080 and .tcp_flags == \"SYN\""
expect_events events "allowed connections" 0 ".destination_port == 8080 and .destination != \"$VR_WEB4B\""
expect_events events "all events (7 attempts)" 7 "true"
expect_events events "ND/MLD (icmpv6 133-136, 143)" 0 \
	".protocol == \"icmpv6\" and ([.icmp_type] | inside([130, 131, 132, 133, 134, 135, 136, 143]))"
nd=$(vr_nft_packets nd) mld=$(vr_nft_packets mld)
if [ "${nd:-0}" -gt 0 ] && [ "${mld:-0}" -gt 0 ]; then
	ok "events: $nd ND and $mld MLD packets passed the filter meanwhile"
else
	not_ok "events: ND ($nd) and MLD ($mld) packets did not pass the filter while logging"
fi

# ==== b. "log": {"allowed": true}: allowed flows are events too ====
pb=$(vr_policy pb '{"default": "deny", "allow": ["203.0.113.10:8080/tcp"],
	"log": {"allowed": true}}')
expect "log allowed: apply" vr apply "$dev" --policy "$pb"
if [ "$(vr_show_field "$dev" '.log.allowed')" = true ]; then
	ok "log allowed: show -j says log.allowed"
else
	not_ok "log allowed: show -j: $(vr -j show "$dev" | jq -c .log)"
fi
vr_log_start allowed "$dev"
expect_reach "log allowed" tcp "$VR_WEB4" 8080
vr_log_stop allowed
n=$(ev allowed '[.[] | select(.action == "passed" and .reason == "allow_rule"
	and .rule == "203.0.113.10:8080/tcp" and .destination == "203.0.113.10"
	and .destination_port == 8080 and .tcp_flags == "SYN")] | length')
others=$(ev allowed '[.[] | select(.action != "passed" or .tcp_flags != "SYN")] | length')
if [ "${n:-0}" -ge 1 ] && [ "$others" = 0 ]; then
	ok "log allowed: $n passed SYN event(s), no event for the rest of the connection"
else
	not_ok "log allowed: $n passed SYN events, $others others: $(ev allowed . | head -c 1000)"
fi

# ==== c. audit mode: what the policy would drop passes, and is logged ====
pc=$(vr_policy pc '{"mode": "audit", "default": "deny", "allow": ["203.0.113.10:8080/tcp"]}')
expect "audit: apply" vr apply "$dev" --policy "$pc"
vr_log_start audit "$dev"
expect_reach "audit: would be dropped, passes" tcp "$VR_WEB4" 9090
expect_reach "audit: allowed" tcp "$VR_WEB4" 8080
vr_log_stop audit
expect_events audit "audited SYN" 1 ".action == \"audited\" and .reason == \"default\"
	and .destination == \"$VR_WEB4\" and .destination_port == 9090 and .tcp_flags == \"SYN\""
expect_events audit "allowed (not logged)" 0 ".destination_port == 8080"
expect_rc "audit: check of the audited destination exits 1" 1 vr -j check "$dev" "$VR_WEB4:9090"
if jq -e '.verdict == "deny" and .results[0].verdict == "deny"
	and .results[0].audit_passes == true' "$VR_TMP/out" >/dev/null 2>&1; then
	ok "audit: check -j says deny, audit_passes"
else
	not_ok "audit: check -j: $(cat "$VR_TMP/out")"
fi
expect_rc "audit: check of the allowed destination exits 0" 0 vr -j check "$dev" "$VR_WEB4:8080"
if jq -e '.results[0].audit_passes == false' "$VR_TMP/out" >/dev/null 2>&1; then
	ok "audit: check -j of the allowed destination: audit_passes false"
else
	not_ok "audit: check -j: $(cat "$VR_TMP/out")"
fi
audited=$(vr_counter "$dev" audited_packets)
if [ "$(vr_show_field "$dev" .mode)" = audit ] && [ "${audited:-0}" -gt 0 ] 2>/dev/null; then
	ok "audit: show -j: mode audit, $audited audited packets"
else
	not_ok "audit: show -j: mode $(vr_show_field "$dev" .mode), audited_packets $audited"
fi
if vr show "$dev" | grep -qi "audit mode"; then
	ok "audit: show says audit mode"
else
	not_ok "audit: show: $(vr show "$dev" | head -3 | tr '\n' ' ')"
fi

# ==== d. flood: the rate limit holds one sandbox, the other's events arrive ====
# A second sandbox floods (IPv4 only: nothing else of it is dropped);
# the first one (B) makes five blocked attempts meanwhile.
fsbx=vrsbx${VR_ID}b fdev=vrh${VR_ID}b fpeer=vrs${VR_ID}b fnet=''
for i in $(seq 1 199); do
	x=$(((VR_NET - 20 + i) % 200 + 20))
	if [ -z "$(ip -4 route show "10.231.$x.0/24")" ]; then
		fnet=$x
		break
	fi
done
[ -n "$fnet" ] || vr_fatal "no second free 10.231.X.0/24"
vr_add_netns "$fsbx"
ip netns exec "$fsbx" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 || vr_fatal "disable IPv6 in $fsbx"
vr_add_link "$fdev" type veth peer name "$fpeer" netns "$fsbx"
ip addr add "10.231.$fnet.1/24" dev "$fdev" || vr_fatal "address on $fdev"
ip link set "$fdev" up || vr_fatal "ip link set $fdev up"
ip route add blackhole "10.231.$fnet.0/24" metric 4242 || vr_fatal "blackhole route"
vr_routes+=("blackhole 10.231.$fnet.0/24 metric 4242")
ip -n "$fsbx" addr add "10.231.$fnet.2/24" dev "$fpeer" || vr_fatal "address in $fsbx"
ip -n "$fsbx" link set "$fpeer" up || vr_fatal "ip link set $fpeer up"
ip -n "$fsbx" route add default via "10.231.$fnet.1" || vr_fatal "route in $fsbx"

cat >"$VR_TMP/flood.py" <<'EOF'
import socket, sys, time

# UDP to distinct (address, port) pairs: every datagram a new flow.
seconds, limit, out = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
i = sent = 0
start = time.monotonic()
deadline = start + seconds
while i < limit and (i & 255 or time.monotonic() < deadline):
    try:
        s.sendto(b"vrflood", ("203.0.113.%d" % (100 + i // 65000), 1 + i % 65000))
        sent += 1
    except OSError:
        pass
    i += 1
with open(out, "w") as f:
    f.write("%d %d %.3f\n" % (sent, i, time.monotonic() - start))
EOF
cat >"$VR_TMP/attempts.py" <<'EOF'
import socket, sys, time

# One SYN to each port, 0.2 s apart; closed before any retransmission.
addr, ports = sys.argv[1], [int(p) for p in sys.argv[2:]]
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex((addr, p))
    time.sleep(0.2)
    s.close()
EOF

rate=50 burst=100
pf=$(vr_policy pf "{\"default\": \"deny\", \"log\": {\"rate\": $rate, \"burst\": $burst}}")
expect "flood: attach the flooding sandbox's device" vr attach "$fdev" --policy "$pf"
expect "flood: deny-all on the other" vr apply "$dev" --policy "$(vr_policy pd '{"default": "deny"}')"
if [ "$(vr_show_field "$fdev" '.log | [.rate, .burst, .allowed] | join(" ")')" = "$rate $burst false" ]; then
	ok "flood: show -j: log rate $rate, burst $burst"
else
	not_ok "flood: show -j log: $(vr -j show "$fdev" | jq -c .log)"
fi
fcounters() { vr -j show "$fdev" | jq -r '.counters | "\(.dropped_packets) \(.events_suppressed) \(.events_lost)"'; }
num() { case $1 in '' | *[!0-9]*) echo 0 ;; *) echo "$1" ;; esac; }
read -r d0 s0 l0 <<<"$(fcounters)"
vr_log_start flood "$dev" "$fdev" --summary-interval 1
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$VR_LOG_PID/status" 2>/dev/null; }
rss0=$(rss)
ip netns exec "$fsbx" "$VR_PY" "$VR_TMP/flood.py" 3 1000000 "$VR_TMP/flood.out" &
flooder=$!
vr_pids+=("$flooder")
ports=(9101 9102 9103 9104 9105)
ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/attempts.py" "$VR_WEB4" "${ports[@]}" &
attempts=$!
vr_pids+=("$attempts")
vr_wait_for 6 vr_gone "$flooder"
rss1=$(rss)
vr_stop_pid "$flooder"
vr_wait_for 3 vr_gone "$attempts"
vr_stop_pid "$attempts"
sleep 2.5 # a summary of what no event reported
vr_log_stop flood
read -r d1 s1 l1 <<<"$(fcounters)"
read -r sent tried secs <"$VR_TMP/flood.out" 2>/dev/null || sent=0 tried=0 secs=0

b_all=$(ev flood "[.[] | select(.device == \"$dev\")] | length")
ports_json=$(IFS=,; echo "[${ports[*]}]")
b_ok=$(ev flood "[.[] | select(.device == \"$dev\" and .protocol == \"tcp\" and .tcp_flags == \"SYN\"
	and .destination == \"$VR_WEB4\" and .action == \"dropped\") | .destination_port] | sort == $ports_json")
if [ "$b_ok" = true ] && [ "$b_all" = 5 ]; then
	ok "flood: all 5 events of the other sandbox arrived"
else
	not_ok "flood: the other sandbox's events ($b_all): $(ev flood "[.[] | select(.device == \"$dev\")]" | head -c 1000)"
fi
a_events=$(ev flood "[.[] | select(.device == \"$fdev\")] | length")
a_udp=$(ev flood "[.[] | select(.device == \"$fdev\" and .protocol == \"udp\" and .reason == \"default\"
	and .action == \"dropped\")] | length")
a_supp=$(jq -s "[.[] | select(.device == \"$fdev\") | .suppressed] | add // 0" "$VR_TMP/flood.log")
a_summaries=$(jq -s "[.[] | select(.type == \"suppressed\" and .device == \"$fdev\")] | length" "$VR_TMP/flood.log")
dropped=$(($(num "$d1") - $(num "$d0"))) lost=$(($(num "$l1") - $(num "$l0")))
suppressed=$(($(num "$s1") - $(num "$s0")))
a_events=$(num "$a_events") a_supp=$(num "$a_supp") sent=$(num "$sent")
max=$(awk -v b="$burst" -v r="$rate" -v t="$secs" 'BEGIN { printf "%d", b + r * t + 5 }')
min=$(awk -v b="$burst" -v r="$rate" -v t="$secs" 'BEGIN { printf "%d", b + r * t * 0.8 - 5 }')
echo "# flood: sent $sent of $tried in $secs s; dropped $dropped; events $a_events;" \
	"suppressed $a_supp (kernel $suppressed); lost $lost; summaries $a_summaries; rss $rss0 -> $rss1 kB"
if [ "$sent" -gt $((burst * 4)) ] && [ "$a_udp" = "$a_events" ]; then
	ok "flood: $sent datagrams to distinct ports in $secs s, $a_events udp events"
else
	not_ok "flood: sent $sent datagrams, $a_events events of which $a_udp udp: $(ev flood "[.[] | select(.device == \"$fdev\" and .protocol != \"udp\")]" | head -c 500)"
fi
if [ "$a_events" -ge "$min" ] && [ "$a_events" -le "$max" ]; then
	ok "flood: $a_events events delivered: burst $burst + $rate/s x $secs s ($min..$max)"
else
	not_ok "flood: $a_events events delivered, want $min..$max (burst $burst + $rate/s x $secs s)"
fi
if [ "$((a_events + a_supp + lost))" -eq "$dropped" ] && [ "$dropped" -gt 0 ]; then
	ok "flood: events $a_events + suppressed $a_supp + lost $lost = dropped $dropped"
else
	not_ok "flood: events $a_events + suppressed $a_supp + lost $lost != dropped $dropped"
fi
if [ "$a_supp" -eq "$suppressed" ] && [ "$a_summaries" -ge 1 ]; then
	ok "flood: the log reported all $suppressed suppressed events ($a_summaries summary lines)"
else
	not_ok "flood: the log reported $a_supp suppressed in events and $a_summaries summaries, counters.events_suppressed grew by $suppressed"
fi
if [ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 2048 ]; then
	ok "flood: log's RSS $rss0 -> $rss1 kB"
else
	not_ok "flood: log's RSS ${rss0:-?} -> ${rss1:-?} kB"
fi
expect "flood: detach the flooding sandbox's device" vr detach "$fdev"

# ==== e. metrics ====
expect "metrics: apply" vr apply "$dev" --policy "$pa"
expect_reach "metrics: allowed" tcp "$VR_WEB4" 8080
expect_reach "metrics: allowed" tcp "$VR_WEB4" 8080
if command -v promtool >/dev/null 2>&1; then
	vr metrics --rules >"$VR_TMP/metrics.txt" 2>"$VR_TMP/err"
	if promtool check metrics <"$VR_TMP/metrics.txt" >"$VR_TMP/promtool.out" 2>&1; then
		ok "metrics: promtool check metrics passes"
	else
		not_ok "metrics: promtool: $(head -c 500 "$VR_TMP/promtool.out")"
	fi
else
	skip "metrics: promtool check metrics (no promtool)"
fi
rule_id=$(vr_show_field "$dev" '.allow[] | select(.rule == "203.0.113.10:8080/tcp") | .id')
hits=$(vr_show_field "$dev" ".allow[] | select(.id == $rule_id) | .hits")
if [ "$(vr -j metrics | jq '[.[] | select(.name == "vrnet_rule_hits_total")] | length')" = 0 ]; then
	ok "metrics without --rules: no series per rule"
else
	not_ok "metrics without --rules has series per rule"
fi
if vr -j metrics --rules >"$VR_TMP/metrics.json" 2>"$VR_TMP/err" && jq -e 'type == "array"' "$VR_TMP/metrics.json" >/dev/null; then
	ok "metrics -j --rules parses"
else
	not_ok "metrics -j: $(head -c 300 "$VR_TMP/metrics.json") $(head -c 300 "$VR_TMP/err")"
fi
m=$(jq -r --arg d "$dev" --arg id "$rule_id" '[.[] | select(.name == "vrnet_rule_hits_total"
	and .labels.device == $d and .labels.rule_id == $id) | .value] | if length == 1 then .[0] else "none" end' \
	"$VR_TMP/metrics.json" 2>/dev/null)
if [ "${hits:-0}" -gt 0 ] 2>/dev/null && [ "$m" = "$hits" ]; then
	ok "metrics -j: vrnet_rule_hits_total of rule $rule_id = show's hits $hits"
else
	not_ok "metrics -j: vrnet_rule_hits_total of rule $rule_id: $m, show -j hits: $hits"
fi

# ==== f. log's options ====
# Events wait in the ring buffer while no reader runs; --since skips the old ones.
vr_udp_once() { # ADDR PORT: one datagram, no waiting
	ip netns exec "$VR_SBX" "$VR_PY" -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b"vr", (sys.argv[1], int(sys.argv[2])))' "$1" "$2"
}
vr_udp_once "$VR_WEB4" 7001
sleep 2.2
vr_udp_once "$VR_WEB4" 7002
timeout --preserve-status -s INT 1 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" --since 1s \
	>"$VR_TMP/since.log" 2>"$VR_TMP/err"
rc=$?
old=$(ev since '[.[] | select(.destination_port == 7001)] | length')
new=$(ev since '[.[] | select(.destination_port == 7002)] | length')
if [ "$rc" -eq 0 ] && [ "$old" = 0 ] && [ "$new" = 1 ]; then
	ok "log --since 1s: the buffered recent event, not the older one"
else
	not_ok "log --since 1s: exit $rc, events to 7001: $old (want 0), to 7002: $new (want 1): $(head -c 300 "$VR_TMP/err")"
fi
expect_rc "log --since junk exits 2" 2 vr log "$dev" --since junk
expect_rc "log --count junk exits 2" 2 vr log "$dev" --count junk
vr_add_link "vrx$VR_ID" type veth peer name "vry$VR_ID"
expect_rc "log on a device not attached exits 2" 2 timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" log "vrx$VR_ID"
expect_rc "log on a nonexistent device exits 2" 2 timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" log "vrnone$VR_ID"

echo "# audit: $(vr_elapsed "$suite_start") s after setup"
