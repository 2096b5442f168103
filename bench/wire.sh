#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Wire benchmark: packets per second of 64-byte UDP frames from a sandbox
# namespace through its host-side veth, unfiltered, behind an empty tc
# program (the floor of any tc filter), vrnet-bpf, an nftables netdev-ingress
# set and iptables in the sandbox, at several rule counts. Every figure is
# also a ratio to the unfiltered rate of this run. For the programs, their
# own time per packet in place (the kernel's run-time statistics, on for the
# run only: progrun), for allowed traffic and for a flood of packets the
# policy drops; vrnet-bpf in tc mode and in XDP mode (vrnet-bpf-xdp), beside
# a floor for each hook (an empty tc program; an XDP program that drops
# everything: empty-xdp). "tap": a MicroVM's flood, frames written into a
# tap of its own as a VMM writes them (tapflood), through no filter, both
# floors, vrnet-bpf in both modes and the nftables set at 100,000 rules:
# frames written per second and the writer's CPU time a frame.
#
#   BENCH=quick bench/wire.sh   # default: 3 s a run, 1 round, about 2 min
#   BENCH=full  bench/wire.sh   # 5 s a run, 3 rounds (median, min, max), ~7 min
#   ONLY="empty-tc vrnet-bpf" bench/wire.sh   # only these firewalls (and none):
#	empty-tc empty-xdp vrnet-bpf vrnet-bpf-xdp vrnet-bpf-replies nftables-set
#	iptables tap
#
# Needs root, ip, nft, iptables-restore (in the sandbox namespace only),
# python3, jq, $VRNET_BIN (build/vrnet-bpf), $UDPFLOOD, $PROGRUN and
# $TAPFLOOD (build/bench/, `make bench-wire-bins`).
# One JSON document on stdout, progress on stderr.
#
# Topology (that of tests/integration): namespace vrbs$$ holds the sandbox
# end of a veth whose host end vrbh$$ sits in the root namespace with
# 10.232.0.1/24 and 256 /32s of 198.18.0.0/15 (RFC 2544's benchmarking range)
# as the destinations: the sandbox's packets cross the host device's tc/netdev
# ingress and are delivered locally to the receiver bound to 0.0.0.0:47000.
# Nothing is forwarded, nothing leaves the machine. Everything created carries
# the PID and is removed on every exit path.

set -u

ID=$$
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VRNET_BIN=${VRNET_BIN:-$TOP/build/vrnet-bpf}
UDPFLOOD=${UDPFLOOD:-$TOP/build/bench/udpflood}
PROGRUN=${PROGRUN:-$TOP/build/bench/progrun}
TAPFLOOD=${TAPFLOOD:-$TOP/build/bench/tapflood}
ONLY=${ONLY:-}
BENCH=${BENCH:-quick}

case $BENCH in
quick) D=3 R=1 ;;
full) D=5 R=3 ;;
*)
	echo "wire.sh: BENCH must be quick or full" >&2
	exit 2
	;;
esac

NS=vrbs$ID
HOST=vrbh$ID
PEER=vrbp$ID
PIN=/sys/fs/bpf/vrbench$ID
PASS_PIN=/sys/fs/bpf/vrbenchpass$ID # the empty program's tcx link
TAP=vrbt$ID TAP_NET=10.232.9 TAP_RULES=100000 # the MicroVM's flood: a tap of its own, host side .1
export LIBXDP_BPFFS=$PIN-xdp # libxdp's pins (XDP mode), never its default /sys/fs/bpf/xdp
NFT=vrbench$ID
PORT=47000
NDST=256
PROBE=198.19.255.254 # local, never in an allow set: the filter must drop it
CHECK_S=0.3          # seconds of the quick flow checks
TMP=''
pids=()
have_ns=0 have_link=0 have_pin=0 have_nft=0 have_tap=0

log() {
	printf '[wire %s] %s\n' "$(date +%T)" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

cleanup() {
	local rc=$? pid
	trap - EXIT INT TERM
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null && sleep 0.2 && kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$have_pin" = 1 ] && [ -d "$PIN" ]; then
		ip link show dev "$HOST" >/dev/null 2>&1 &&
			"$VRNET_BIN" --pin-dir "$PIN" detach "$HOST" >/dev/null 2>&1
	fi
	[ "$have_nft" = 1 ] && nft delete table netdev "$NFT" 2>/dev/null
	case $PASS_PIN in /sys/fs/bpf/vrbenchpass[0-9]*) rm -f "$PASS_PIN" ;; esac
	if [ "$have_ns" = 1 ]; then
		# whatever still runs in our own namespace is ours
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$NS" 2>/dev/null
	fi
	[ "$have_link" = 1 ] && ip link del dev "$HOST" 2>/dev/null
	[ "$have_tap" = 1 ] && ip link del dev "$TAP" 2>/dev/null
	case $PIN in /sys/fs/bpf/vrbench[0-9]*) rm -rf "$PIN" "$LIBXDP_BPFFS" ;; esac
	[ -n "$TMP" ] && rm -rf "$TMP"
	exit "$rc"
}

# ---- preconditions ----

[ "$(id -u)" -eq 0 ] || die "needs root"
for t in ip nft iptables-restore python3 jq timeout "$VRNET_BIN" "$UDPFLOOD" "$PROGRUN" \
	"$TAPFLOOD"; do
	command -v "$t" >/dev/null 2>&1 || die "missing: $t"
done
if [ -n "$(ip -4 addr show to 10.232.0.0/24)$(ip -4 addr show to 198.18.0.0/15)" ] ||
	[ -n "$(ip -4 route show 10.232.0.0/24)" ]; then
	die "10.232.0.0/24 or 198.18.0.0/15 already in use on this host (another run?)"
fi

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP=$(mktemp -d /tmp/vrbench.XXXXXX) || exit 1

# Sender and receiver on CPUs of their own when there are two; the sender's
# CPU also runs the softirq that takes the frame through veth, the filter and
# the local UDP stack, so it is the one the filter's cost shows on.
SEND_CPU='' RECV_CPU=''
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	SEND_CPU="taskset -c 1" RECV_CPU="taskset -c 0"
fi

# ---- addresses ----

# n-th address after BASE (dotted quad), IPv4 arithmetic.
addr_list() { # BASE FIRST COUNT
	awk -v b="$1" -v f="$2" -v n="$3" 'BEGIN {
		split(b, o, "."); base = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4]
		for (i = f; i < f + n; i++) {
			a = base + i
			printf "%d.%d.%d.%d\n", int(a / 16777216), int(a / 65536) % 256,
				int(a / 256) % 256, a % 256
		}
	}'
}

# destinations 198.18.0.1..198.18.1.0; fillers, addresses in rules that no
# packet goes to, from 100.64.0.0 (up to 100.79.66.63 for a million rules)
addr_list 198.18.0.0 1 "$NDST" >"$TMP/dst_all"
addr_list 100.64.0.0 0 1000000 >"$TMP/filler_all"
head -n 10 "$TMP/dst_all" >"$TMP/dst_10"
head -n 100 "$TMP/dst_all" >"$TMP/dst_100"
echo "$PROBE" >"$TMP/dst_probe"
printf '%s\n%s\n' "$PROBE" "$(head -n1 "$TMP/dst_all")" >"$TMP/dst_check"

dst_file() { # RULES: the destinations measured at this size
	if [ "$1" -lt "$NDST" ]; then
		[ -e "$TMP/dst_$1" ] || head -n "$1" "$TMP/dst_all" >"$TMP/dst_$1"
		echo "$TMP/dst_$1"
	else
		echo "$TMP/dst_all"
	fi
}

# The RULES addresses of a filter: its destinations, then fillers.
rule_addrs() { # RULES
	local d
	d=$(dst_file "$1")
	cat "$d"
	head -n $(($1 - $(wc -l <"$d"))) "$TMP/filler_all"
}

# ---- topology ----

log "mode $BENCH: $D s a run, $R round(s); sandbox $NS, host device $HOST"
ip netns add "$NS" || die "ip netns add $NS"
have_ns=1
ip link add "$HOST" type veth peer name "$PEER" netns "$NS" || die "ip link add $HOST"
have_link=1
sysctl -qw "net.ipv6.conf.$HOST.disable_ipv6=1"
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1
{
	echo "addr add 10.232.0.1/24 dev $HOST"
	sed "s|.*|addr add &/32 dev $HOST|" "$TMP/dst_all"
	echo "addr add $PROBE/32 dev $HOST"
	echo "link set $HOST up"
} >"$TMP/host.batch"
ip -batch "$TMP/host.batch" || die "addresses on $HOST"
ip -n "$NS" link set lo up || die "lo in $NS"
ip -n "$NS" addr add 10.232.0.2/24 dev "$PEER" || die "address in $NS"
ip -n "$NS" link set "$PEER" up || die "link up in $NS"
ip -n "$NS" route add default via 10.232.0.1 || die "route in $NS"

# ---- traffic ----

# wait_for WORD FILE PID: until process PID says WORD in FILE (1 s at most);
# false if it did not.
wait_for() {
	for _ in $(seq 50); do
		grep -q "$1" "$2" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.02
	done
	grep -q "$1" "$2"
}

# run_pair DSTFILE SECONDS: receiver in the root namespace, sender in the
# sandbox (from port $SEND_SPORT if set); leaves recv.json and send.json in $TMP.
SEND_SPORT=
run_pair() {
	local dsts=$1 secs=$2 rpid spid
	rm -f "$TMP/recv.json" "$TMP/send.json" "$TMP/recv.err"
	# shellcheck disable=SC2086 # RECV_CPU is a command or nothing
	timeout 60 $RECV_CPU "$UDPFLOOD" recv 0.0.0.0 "$PORT" "$secs" \
		>"$TMP/recv.json" 2>"$TMP/recv.err" &
	rpid=$!
	pids+=("$rpid")
	wait_for receiving "$TMP/recv.err" "$rpid" || die "receiver: $(cat "$TMP/recv.err")"
	# shellcheck disable=SC2086 # SEND_SPORT is a port or nothing
	timeout 60 ip netns exec "$NS" $SEND_CPU "$UDPFLOOD" send "$dsts" "$PORT" "$secs" $SEND_SPORT \
		>"$TMP/send.json" 2>"$TMP/send.err" &
	spid=$!
	pids+=("$spid")
	wait "$spid"
	wait "$rpid"
	pids=("${pids[@]:0:${#pids[@]}-2}")
}

json_field() { # FILE FIELD
	sed -n "s/.*\"$2\": \([0-9.]*\).*/\1/p" "$1"
}

# flows DSTFILE: FLOWS, the packets received in a short run.
FLOWS=0
flows() {
	run_pair "$1" "$CHECK_S"
	FLOWS=$(json_field "$TMP/recv.json" packets)
	FLOWS=${FLOWS:-0}
}

# The filter in force must pass the destinations and drop the probe.
verify_filter() { # NAME RULES
	flows "$(dst_file "$2")"
	[ "$FLOWS" -gt 0 ] || die "$1 with $2 rules: benchmark traffic does not pass"
	flows "$TMP/dst_probe"
	[ "$FLOWS" -eq 0 ] || die "$1 with $2 rules: $FLOWS packets to $PROBE passed"
}

# With no filter both the destinations and the probe must get through.
verify_open() { # AFTER
	flows "$TMP/dst_check"
	[ "$FLOWS" -gt 0 ] || die "no traffic after removing $1"
}

# In-place cost: the kernel's run-time statistics of program $STATS_ID (a
# tc program on the host device; empty: none) while COMMAND runs, into
# $NS_PER_RUN ("-" without a program).
STATS_ID='' NS_PER_RUN=-
with_stats() { # COMMAND...
	local spid
	NS_PER_RUN=-
	if [ -z "$STATS_ID" ]; then
		"$@"
		return
	fi
	rm -f "$TMP/stats.json" "$TMP/stats.err"
	# shellcheck disable=SC2086 # one id, or the XDP and the tc program's
	"$PROGRUN" stats $STATS_ID >"$TMP/stats.json" 2>"$TMP/stats.err" &
	spid=$!
	pids+=("$spid")
	wait_for ready "$TMP/stats.err" "$spid" || die "progrun stats: $(cat "$TMP/stats.err")"
	"$@"
	kill -TERM "$spid"
	wait "$spid" || die "progrun stats: $(cat "$TMP/stats.err")"
	pids=("${pids[@]:0:${#pids[@]}-1}")
	# every packet crosses the first program; the run time is all the programs'
	NS_PER_RUN=$(jq -r '.programs as $p | if $p[0].run_cnt > 0 then
		(([$p[].run_time_ns] | add) / $p[0].run_cnt * 10 | round / 10) else "-" end' \
		"$TMP/stats.json")
}

# measure FIREWALL RULES DSTFILE ROUND: one run, one result line.
measure() {
	local fw=$1 rules=$2 dsts=$3 round=$4 rx tx
	with_stats run_pair "$dsts" "$D"
	rx=$(json_field "$TMP/recv.json" pps)
	tx=$(json_field "$TMP/send.json" pps)
	if [ -z "$rx" ] || [ -z "$tx" ]; then
		die "$fw $rules: no result ($(cat "$TMP/send.err" "$TMP/recv.err"))"
	fi
	log "round $round/$R: $fw, $rules rules, $(wc -l <"$dsts") destinations: received $rx pps, sent $tx pps, $NS_PER_RUN ns a packet in place"
	echo "$fw $rules $(wc -l <"$dsts") $rx $tx $NS_PER_RUN" >>"$TMP/results"
}

# A flood the filter drops: the sender alone, to the probe address, which
# no policy allows (verify_filter saw it dropped). One result line, received 0.
send_only() { # SECONDS
	timeout 60 ip netns exec "$NS" $SEND_CPU "$UDPFLOOD" send "$TMP/dst_probe" "$PORT" "$1" \
		>"$TMP/send.json" 2>"$TMP/send.err"
}
measure_drop() { # FIREWALL RULES ROUND
	local fw=$1 rules=$2 round=$3 tx
	with_stats send_only "$D"
	tx=$(json_field "$TMP/send.json" pps)
	[ -n "$tx" ] || die "$fw $rules: no result ($(cat "$TMP/send.err"))"
	log "round $round/$R: $fw, $rules rules, dropped flood: sent $tx pps, $NS_PER_RUN ns a packet in place"
	echo "$fw $rules 1 0 $tx $NS_PER_RUN" >>"$TMP/results"
}

# A MicroVM's flood: 60-byte frames written into the tap by tapflood as a VMM
# writes them (its XDP hook runs before the kernel builds an skb), to the
# tap's own address, which no policy allows, on a port nothing listens on.
tap_write() { # SECONDS [DST]
	# shellcheck disable=SC2086 # SEND_CPU is a command or nothing
	timeout 60 $SEND_CPU "$TAPFLOOD" "$TAP" "$1" 02:00:00:00:09:02 \
		"$(cat "/sys/class/net/$TAP/address")" "$TAP_NET.2" "${2:-$TAP_NET.1}" "$PORT" \
		>"$TMP/tap.json" 2>"$TMP/tap.err"
}
measure_tap() { # FIREWALL RULES ROUND
	local fw=$1 rules=$2 round=$3 pps cpu
	with_stats tap_write "$D"
	pps=$(json_field "$TMP/tap.json" pps)
	cpu=$(json_field "$TMP/tap.json" cpu_ns_per_frame)
	[ -n "$pps" ] || die "$fw: no result ($(cat "$TMP/tap.err"))"
	log "round $round/$R: $fw, $rules rules, a tap's flood: $pps frames/s written, $cpu ns of CPU a frame, $NS_PER_RUN ns a frame in place"
	echo "$fw $rules 1 0 $pps $NS_PER_RUN $cpu" >>"$TMP/results"
}
# Allowed frames from the tap, to a destination every filter passes, as
# received by udpflood on the host (the tap's receive path runs in the write).
tap_pair() {
	local rpid
	rm -f "$TMP/recv.json" "$TMP/recv.err"
	# shellcheck disable=SC2086 # RECV_CPU is a command or nothing
	timeout 60 $RECV_CPU "$UDPFLOOD" recv 0.0.0.0 "$PORT" "$D" >"$TMP/recv.json" \
		2>"$TMP/recv.err" &
	rpid=$!
	pids+=("$rpid")
	wait_for receiving "$TMP/recv.err" "$rpid" || die "receiver: $(cat "$TMP/recv.err")"
	tap_write "$D" "$(head -n1 "$(dst_file 10)")"
	wait "$rpid"
	pids=("${pids[@]:0:${#pids[@]}-1}")
}
measure_tap_allowed() { # FIREWALL RULES ROUND
	local fw=$1 rules=$2 round=$3 rx tx cpu
	with_stats tap_pair
	rx=$(json_field "$TMP/recv.json" pps)
	tx=$(json_field "$TMP/tap.json" pps)
	cpu=$(json_field "$TMP/tap.json" cpu_ns_per_frame)
	[ -n "$rx" ] && [ -n "$tx" ] || die "$fw: no result ($(cat "$TMP/tap.err" "$TMP/recv.err"))"
	log "round $round/$R: $fw, $rules rules, a tap's allowed frames: $tx frames/s written, $rx received, $cpu ns of CPU a frame, $NS_PER_RUN ns a frame in place"
	echo "$fw $rules 1 $rx $tx $NS_PER_RUN $cpu" >>"$TMP/results"
}
tap_on() {
	ip tuntap add "$TAP" mode tap vnet_hdr || die "ip tuntap add $TAP"
	have_tap=1
	ip addr add "$TAP_NET.1/24" dev "$TAP" && ip link set "$TAP" up || die "$TAP up"
}
tap_runs() { # ROUND: each filter on the tap, allowed frames and the flood, at $TAP_RULES rules
	local round=$1 tc_id
	measure_tap_allowed tap-none 0 "$round"
	measure_tap tap-none-flood 0 "$round"
	STATS_ID=$("$PROGRUN" pass "$TAP" "$PASS_PIN") || die "progrun pass on $TAP"
	measure_tap_allowed tap-empty-tc 0 "$round"
	measure_tap tap-empty-tc-flood 0 "$round"
	empty_off "$TAP"
	STATS_ID=$("$PROGRUN" xdp-drop "$TAP") || die "progrun xdp-drop on $TAP"
	measure_tap tap-empty-xdp-flood 0 "$round"
	ip link set dev "$TAP" xdpdrv off || die "the empty XDP program stays on $TAP"
	policy_file "$TAP_RULES"
	have_pin=1
	vr attach "$TAP" --policy "$TMP/policy.json" >/dev/null || die "vrnet-bpf attach $TAP"
	tc_id=$(vr -j show "$TAP" | jq -r '.. | objects | .program? | objects | .id' | head -n1)
	STATS_ID=$tc_id
	measure_tap_allowed tap-vrnet-bpf "$TAP_RULES" "$round"
	measure_tap tap-vrnet-bpf-flood "$TAP_RULES" "$round"
	mkdir -p "$LIBXDP_BPFFS"
	vr attach "$TAP" --mode xdp >/dev/null || die "vrnet-bpf attach $TAP --mode xdp"
	STATS_ID="$(ip -j -d link show dev "$TAP" | jq -r '.[0].xdp.prog.id // empty') $tc_id"
	measure_tap_allowed tap-vrnet-bpf-xdp "$TAP_RULES" "$round"
	measure_tap tap-vrnet-bpf-xdp-flood "$TAP_RULES" "$round"
	vr detach "$TAP" >/dev/null || die "vrnet-bpf detach $TAP"
	STATS_ID=
	nft_on "$TAP_RULES" "$TAP"
	measure_tap_allowed tap-nftables-set "$TAP_RULES" "$round"
	measure_tap tap-nftables-set-flood "$TAP_RULES" "$round"
	nft_off
}

# ---- filters ----

vr() {
	"$VRNET_BIN" --pin-dir "$PIN" "$@"
}

vrnet_on() { # RULES
	local t
	policy_file "$1"
	t=$(date +%s.%N)
	have_pin=1
	vr attach "$HOST" --policy "$TMP/policy.json" >/dev/null || die "vrnet-bpf attach"
	vrnet_program
	log "vrnet-bpf: attached with $1 rules in $(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"
}

policy_file() { # RULES: $TMP/policy.json, the allow rules of the fillers and destinations
	rule_addrs "$1" | python3 -c '
import json, sys
rules = [l.strip() + ":'"$PORT"'/udp" for l in sys.stdin if l.strip()]
json.dump({"default": "deny", "allow": rules}, sys.stdout)' >"$TMP/policy.json"
}

# The sandbox's packets as replies: a default-deny policy with no rule for
# the destinations, whose peers (the host's addresses, from $PORT) first
# send a datagram each to the sandbox's port $REPLY_PORT, so that the
# device's tc egress program notes a connection for each (10 destinations,
# well within a device's 1,024). Checked both ways: no traffic before the
# openings, traffic after.
REPLY_PORT=47001
vrnet_replies_on() {
	echo '{"default": "deny", "allow": ["192.0.2.1:9/udp"]}' >"$TMP/replies.json"
	vr attach "$HOST" --policy "$TMP/replies.json" >/dev/null || die "vrnet-bpf attach"
	vrnet_program
	SEND_SPORT=$REPLY_PORT
	flows "$(dst_file 10)"
	[ "$FLOWS" -eq 0 ] || die "vrnet-bpf replies: $FLOWS packets passed before any connection was opened"
	python3 - "$(dst_file 10)" "$PORT" "$REPLY_PORT" <<'PY' || die "open the connections"
import socket, sys
path, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for addr in open(path).read().split():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((addr, port))
        s.sendto(b"open", ("10.232.0.2", sport))
PY
	flows "$(dst_file 10)"
	[ "$FLOWS" -gt 0 ] || die "vrnet-bpf replies: no traffic after the connections were opened"
}

vrnet_replies_off() {
	SEND_SPORT=
	vrnet_off
}

vrnet_off() {
	STATS_ID=
	vr detach "$HOST" >/dev/null || die "vrnet-bpf detach"
}

# XDP mode on the same device and policy: the XDP program (libxdp's
# dispatcher, where the kernel takes it) and the tc program, measured together.
vrnet_xdp_on() {
	local tc_id=$STATS_ID xdp_id
	mkdir -p "$LIBXDP_BPFFS"
	vr attach "$HOST" --mode xdp >/dev/null || die "vrnet-bpf attach --mode xdp"
	xdp_id=$(ip -j -d link show dev "$HOST" | jq -r '.[0].xdp.prog.id // empty')
	[ -n "$xdp_id" ] || die "no XDP program on $HOST"
	STATS_ID="$xdp_id $tc_id"
}
vrnet_xdp_off() {
	vr attach "$HOST" --mode tc >/dev/null || die "vrnet-bpf attach --mode tc"
	vrnet_program
}

# The program vrnet-bpf runs on the host device: the one measured in place.
vrnet_program() {
	STATS_ID=$(vr -j show "$HOST" | jq -r '.. | objects | .program? | objects | .id' | head -n1)
	[ -n "$STATS_ID" ] || die "vrnet-bpf show: no program id"
}

# The floor of every tc filter: a program that passes everything, first on
# the same hook vrnet-bpf's goes on (progrun pass).
empty_on() {
	STATS_ID=$("$PROGRUN" pass "$HOST" "$PASS_PIN") || die "progrun pass"
	flows "$TMP/dst_probe"
	[ "$FLOWS" -gt 0 ] || die "the empty program drops traffic"
}

empty_off() { # [DEV]
	STATS_ID=
	if [ -e "$PASS_PIN" ]; then
		rm -f "$PASS_PIN"
	else
		tc qdisc del dev "${1:-$HOST}" clsact || die "tc qdisc del"
	fi
}

nft_on() { # RULES [DEV]
	local t dev=${2:-$HOST}
	{
		echo "table netdev $NFT {"
		echo "	set allowed {"
		echo "		type ipv4_addr"
		printf '\t\telements = { '
		rule_addrs "$1" | paste -sd, -
		echo "		}"
		echo "	}"
		echo "	chain ingress {"
		echo "		type filter hook ingress device \"$dev\" priority 0; policy drop;"
		echo "		meta protocol arp accept"
		echo "		ip daddr @allowed udp dport $PORT accept"
		echo "	}"
		echo "}"
	} >"$TMP/ruleset.nft"
	t=$(date +%s.%N)
	have_nft=1
	nft -f "$TMP/ruleset.nft" || die "nft -f"
	log "nftables: table with a $1-element set in $(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"
}

nft_off() {
	nft delete table netdev "$NFT" || die "nft delete table"
	have_nft=0
}

# iptables in the sandbox, as the usual recipe has it: loopback, then RULES
# accept rules (the destinations spread evenly among fillers), then DROP.
ipt_on() { # RULES
	local t
	rule_addrs "$1" | awk -v n="$1" -v k="$(wc -l <"$(dst_file "$1")")" -v port="$PORT" '
		{ a[NR - 1] = $1 }
		END {
			print "*filter"
			print ":INPUT ACCEPT [0:0]"
			print ":FORWARD ACCEPT [0:0]"
			print ":OUTPUT ACCEPT [0:0]"
			print "-A OUTPUT -o lo -j ACCEPT"
			# slot of destination j: (j + 0.5) * n / k
			for (j = 0; j < k; j++)
				slot[int((j + 0.5) * n / k)] = j
			f = k
			for (i = 0; i < n; i++) {
				addr = (i in slot) ? a[slot[i]] : a[f++]
				printf "-A OUTPUT -d %s/32 -p udp -m udp --dport %d -j ACCEPT\n", addr, port
			}
			print "-A OUTPUT -j DROP"
			print "COMMIT"
		}' >"$TMP/iptables.rules"
	t=$(date +%s.%N)
	ip netns exec "$NS" iptables-restore <"$TMP/iptables.rules" || die "iptables-restore"
	log "iptables: $1 rules in the sandbox in $(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN { printf "%.2f", e - s }') s"
}

ipt_off() {
	ip netns exec "$NS" iptables -F OUTPUT || die "iptables -F"
	# iptables-nft leaves its (now empty) table hooked in: remove it, so
	# that the next configuration is measured without it
	ip netns exec "$NS" nft delete table ip filter 2>/dev/null
}

# ---- the benchmark ----

# R rounds, each the unfiltered baseline for every destination list in use
# (10, 100, 256), then every filter, applied afresh: drift of the shared
# machine spreads over all configurations instead of biasing the last ones.
# A filter is compared with the baseline of its own destination list.
: >"$TMP/results"
flows "$TMP/dst_probe" # unfiltered the probe must pass, or its check proves nothing
[ "$FLOWS" -gt 0 ] || die "no traffic to $PROBE without a filter"
verify_open "nothing"
log "warm-up"
run_pair "$TMP/dst_all" 1

# Whether firewall $1 is measured (ONLY names some, or all are).
wanted() {
	[ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]
}

VRNET_SIZES=${SIZES:-10 1000 100000 1000000}
for round in $(seq "$R"); do
	for n in 10 100 "$NDST"; do
		measure none 0 "$(dst_file "$n")" "$round"
	done
	if wanted empty-tc; then
		empty_on
		for n in 10 100 "$NDST"; do
			measure empty-tc 0 "$(dst_file "$n")" "$round"
		done
		measure_drop empty-tc-flood 0 "$round"
		empty_off
		verify_open "the empty program"
	fi
	if wanted empty-xdp; then
		STATS_ID=$("$PROGRUN" xdp-drop "$HOST") || die "progrun xdp-drop"
		measure_drop empty-xdp-flood 0 "$round"
		ip link set dev "$HOST" xdpdrv off || die "the empty XDP program stays on $HOST"
		STATS_ID=
		verify_open "the empty XDP program"
	fi
	for n in $VRNET_SIZES; do
		wanted vrnet-bpf || wanted vrnet-bpf-xdp || break
		vrnet_on "$n"
		verify_filter vrnet-bpf "$n"
		if wanted vrnet-bpf; then
			measure vrnet-bpf "$n" "$(dst_file "$n")" "$round"
			measure_drop vrnet-bpf-flood "$n" "$round"
		fi
		if wanted vrnet-bpf-xdp; then
			vrnet_xdp_on
			verify_filter vrnet-bpf-xdp "$n"
			measure vrnet-bpf-xdp "$n" "$(dst_file "$n")" "$round"
			measure_drop vrnet-bpf-xdp-flood "$n" "$round"
			vrnet_xdp_off
		fi
		vrnet_off
		verify_open "vrnet-bpf"
	done
	if wanted vrnet-bpf-replies; then
		vrnet_replies_on
		measure vrnet-bpf-replies 1 "$(dst_file 10)" "$round"
		vrnet_replies_off
		verify_open "vrnet-bpf"
	fi
	for n in 10 1000 100000; do
		wanted nftables-set || break
		nft_on "$n"
		verify_filter nftables-set "$n"
		measure nftables-set "$n" "$(dst_file "$n")" "$round"
		nft_off
		verify_open "the nftables table"
	done
	for n in 100 1000 10000; do
		wanted iptables || break
		ipt_on "$n"
		verify_filter iptables "$n"
		measure iptables "$n" "$(dst_file "$n")" "$round"
		ipt_off
		verify_open "the iptables rules"
	done
	if wanted tap; then
		[ "$have_tap" = 1 ] || tap_on
		tap_runs "$round"
	fi
done

# the unfiltered rate once more: how far the machine drifted during the run
run_pair "$TMP/dst_all" "$D"
END_PPS=$(json_field "$TMP/recv.json" pps)
log "none again at the end: $END_PPS pps"

python3 - "$TMP/results" "$D" "$R" "${END_PPS:-0}" "$BENCH" <<'EOF'
import json, statistics, sys

path, dur, runs, end_pps, mode = sys.argv[1:6]
rows, order = {}, []
for line in open(path):
    fw, rules, ndst, rx, tx, ns, *cpu = line.split()
    key = (fw, int(rules), int(ndst))
    if key not in rows:
        rows[key] = {"rx": [], "tx": [], "ns": [], "cpu": []}
        order.append(key)
    rows[key]["rx"].append(float(rx))
    rows[key]["tx"].append(float(tx))
    if ns != "-":
        rows[key]["ns"].append(float(ns))
    if cpu:  # the tap's flood: the writer's CPU time a frame
        rows[key]["cpu"].append(float(cpu[0]))


def median_of(fw):
    """{destinations: median received pps} of firewall FW"""
    return {k[2]: statistics.median(v["rx"]) for k, v in rows.items() if k[0] == fw}


none, empty = median_of("none"), median_of("empty-tc")
tap_none, tap_empty = median_of("tap-none"), median_of("tap-empty-tc")
layout = {
    "none": "no filter",
    "empty-tc": "a program of two instructions that passes everything, first on the tc "
                "ingress hook of the host device (tcx where the kernel has it): the floor "
                "of every tc filter",
    "empty-tc-flood": "the empty program under the flood the others drop (it passes it)",
    "empty-xdp-flood": "a program of two instructions that drops everything, on the host "
                       "device's XDP hook (native): the floor of an XDP drop",
    "vrnet-bpf": "tc ingress on the host device: ADDR/32:47000/udp allow rules, default deny",
    "vrnet-bpf-flood": "the same policy, every packet to an address it does not allow: "
                       "dropped by the default (sent rate; nothing is received)",
    "vrnet-bpf-xdp": "the same policy in XDP mode: the XDP program on the host device (native "
                     "XDP of the veth), then the tc program; in place, both programs' time",
    "vrnet-bpf-xdp-flood": "XDP mode under the flood: dropped on the XDP hook "
                           "(sent rate; nothing is received)",
    "tap-none": "a tap, no filter: allowed frames written as a VMM writes them (tapflood) "
                "to a local address, received by udpflood",
    "tap-empty-tc": "the tap, the empty tc program, allowed frames",
    "tap-vrnet-bpf": "the tap, vrnet-bpf in tc mode at 100,000 rules, allowed frames",
    "tap-vrnet-bpf-xdp": "the tap, vrnet-bpf in XDP mode, allowed frames (both programs)",
    "tap-nftables-set": "the tap, the nftables set at 100,000 elements, allowed frames",
    "tap-none-flood": "a tap, no filter: frames written as a VMM writes them (tapflood), "
                      "to the tap's address on a closed port (written rate)",
    "tap-empty-tc-flood": "the tap, the empty tc program (it passes the flood)",
    "tap-empty-xdp-flood": "the tap, a two-instruction XDP program that drops everything "
                           "(native): the floor of an XDP drop there",
    "tap-vrnet-bpf-flood": "the tap, vrnet-bpf in tc mode at 100,000 rules: the flood "
                           "dropped by the default",
    "tap-vrnet-bpf-xdp-flood": "the tap, vrnet-bpf in XDP mode: the flood dropped on the "
                               "XDP hook, before the kernel builds an skb",
    "tap-nftables-set-flood": "the tap, the nftables netdev ingress set at 100,000 elements: "
                              "the flood dropped by its policy",
    "vrnet-bpf-replies": "tc ingress on the host device, default deny, one rule elsewhere: "
                         "every packet passes as a reply to a connection the peer opened "
                         "(reason reply; the tc egress program on the same device)",
    "nftables-set": "netdev ingress chain on the host device, policy drop: "
                    "arp accept, ip daddr @allowed udp dport 47000 accept (hash set)",
    "iptables": "OUTPUT in the sandbox: -o lo ACCEPT, then one -d ADDR/32 udp dport 47000 "
                "ACCEPT rule per address with the destinations spread evenly among "
                "the fillers, then DROP",
}
out = []
for key in order:
    fw, rules, ndst = key
    r = rows[key]
    flood = fw.endswith("-flood")
    rate = r["tx"] if flood else r["rx"]
    med = statistics.median(rate)
    row = {"firewall": fw, "rules": rules,
           "pps_median": round(med), "pps_min": round(min(rate)),
           "pps_max": round(max(rate)), "destinations": ndst,
           "sent_pps_median": round(statistics.median(r["tx"])),
           "layout": layout[fw]}
    if not flood and fw.startswith("tap-"):  # beside the tap's own baselines
        if tap_none:
            row["ratio_to_none"] = round(med / tap_none[1], 3)
        if tap_empty:
            row["ratio_to_empty_tc"] = round(med / tap_empty[1], 3)
    elif not flood:
        row["ratio_to_none"] = round(med / none[ndst], 3)
        if ndst in empty:
            row["ratio_to_empty_tc"] = round(med / empty[ndst], 3)
    if r["cpu"]:
        row["cpu_ns_per_frame_median"] = round(statistics.median(r["cpu"]), 1)
    if r["ns"]:
        row["ns_in_place_median"] = round(statistics.median(r["ns"]), 1)
        row["ns_in_place_min"] = round(min(r["ns"]), 1)
        row["ns_in_place_max"] = round(max(r["ns"]), 1)
    out.append(row)
doc = {"wire": out, "duration_s": int(dur), "runs": int(runs),
       "wire_info": {"mode": mode, "frame_bytes": 64, "udp_payload_bytes": 18,
                     "ratio_to_none": "pps_median over the median unfiltered rate of "
                                      "this run with the same destination list (on the "
                                      "tap: the tap's own, tap-none and tap-empty-tc)",
                     "ns_in_place": "the program's run_time_ns / run_cnt over the run, "
                                    "the kernel's statistics on for that run only "
                                    "(BPF_ENABLE_STATS); they include the statistics' "
                                    "own clock reads, as the empty program's do",
                     "none_at_end_pps": round(float(end_pps))}}
print(json.dumps(doc, indent=1))
EOF
