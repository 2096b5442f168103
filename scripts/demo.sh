#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A self-contained demo of vrnet-bpf: a sandbox namespace behind a host-side
# veth, fake "internet" hosts on documentation addresses of that veth, a DNS
# server of its own, and real clients in the sandbox. Everything it creates is
# named vrdemo* and removed on exit. Exits non-zero if any result differs from
# what the policy says.
set -u
cd "$(dirname "$0")/.."
BIN=${VRNET_BIN:-$PWD/build/vrnet-bpf}
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates namespaces and devices)" >&2; exit 1; }

id=$$
SBX=vrdemo-sbx$id
HOST=vrdemo$id          # host-side device: where the sandbox's packets arrive
PEER=vrdemo-g$id
PIN=/sys/fs/bpf/vrdemo$id
WORK=$(mktemp -d /tmp/vrdemo.XXXXXX)
pids=()
failures=0
made_etc_netns=""
[ -d /etc/netns ] || made_etc_netns=1

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$BIN" --pin-dir "$PIN" detach "$HOST" >/dev/null 2>&1
	ip link del "$HOST" 2>/dev/null
	ip netns del "$SBX" 2>/dev/null
	rm -rf "$PIN" "/etc/netns/$SBX" "$WORK"
	[ -n "$made_etc_netns" ] && rmdir /etc/netns 2>/dev/null
}
trap cleanup EXIT INT TERM

vr() { "$BIN" --pin-dir "$PIN" --resolver 198.51.100.53 "$@"; }
in_sbx() { ip netns exec "$SBX" "$@"; }
title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

v6() { [[ "$1" == \[* ]] && echo 6; } # socat wants TCP6/UDP6 for IPv6

# try KIND TARGET: 0 if the sandbox reached it. Every attempt is bounded.
try() {
	case "$1" in
	tcp) in_sbx timeout 3 socat -u OPEN:/dev/null "TCP$(v6 "$2"):$2,connect-timeout=1" 2>/dev/null ;;
	udp) in_sbx timeout 3 python3 - "$2" <<'PY' 2>/dev/null ;;
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
host = host.strip("[]")
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(b"ping", (host, int(port)))
sys.exit(0 if s.recv(64) == b"ping" else 1)
PY
	icmp) in_sbx ping -c1 -W1 "$2" >/dev/null 2>&1 ;;
	dns) in_sbx timeout 3 python3 - "$2" <<'PY' 2>/dev/null ;;
import socket, sys
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03api\x07example\x04test\x00\x00\x01\x00\x01"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(q, (sys.argv[1], 53))
sys.exit(0 if s.recv(512)[:2] == b"\x12\x34" else 1)
PY
	esac
}

# expect reached|blocked KIND TARGET DESCRIPTION
expect() {
	local want=$1 got=blocked
	try "$2" "$3" && got=reached
	if [ "$got" = "$want" ]; then
		printf '  %-8s %-5s %-24s %s\n' "$got" "$2" "$3" "$4"
	else
		printf '  %-8s %-5s %-24s %s   <-- expected %s\n' "$got" "$2" "$3" "$4" "$want"
		failures=$((failures + 1))
	fi
}

title "Setting up: sandbox namespace $SBX behind host-side veth $HOST"
ip netns add "$SBX"
ip link add "$HOST" type veth peer name "$PEER"
ip link set "$PEER" netns "$SBX"
ip addr add 10.231.0.1/24 dev "$HOST"
ip addr add fd00:231::1/64 dev "$HOST" nodad
# the fake internet: documentation addresses on the host-side device itself
for a in 203.0.113.10/32 203.0.113.20/32 198.51.100.53/32 198.51.100.54/32; do
	ip addr add "$a" dev "$HOST"
done
for a in 2001:db8::10/128 2001:db8::20/128; do ip addr add "$a" dev "$HOST" nodad; done
ip link set "$HOST" up
in_sbx ip link set lo up
in_sbx ip link set "$PEER" name eth0
in_sbx ip addr add 10.231.0.2/24 dev eth0
in_sbx ip addr add fd00:231::2/64 dev eth0 nodad
in_sbx ip link set eth0 up
in_sbx ip route add default via 10.231.0.1
in_sbx ip -6 route add default via fd00:231::1
mkdir -p "/etc/netns/$SBX" && echo "nameserver 198.51.100.53" >"/etc/netns/$SBX/resolv.conf"

# servers: HTTPS-like and SSH-like TCP ports, a UDP (QUIC-like) echo, two DNS servers
for addr in 203.0.113.10 203.0.113.20 '[2001:db8::10]' '[2001:db8::20]'; do
	for port in 443 22; do
		socat "TCP$(v6 "$addr")-LISTEN:$port,bind=$addr,reuseaddr,fork" SYSTEM:'echo hello' \
			2>/dev/null &
		pids+=($!)
	done
	socat "UDP$(v6 "$addr")-RECVFROM:443,bind=$addr,reuseaddr,fork" SYSTEM:cat 2>/dev/null &
	pids+=($!)
done
for a in 198.51.100.53 198.51.100.54; do
	dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$a" --port 53 --pid-file="$WORK/dnsmasq-$a.pid" \
		--address=/api.example.test/203.0.113.10 --address=/api.example.test/2001:db8::10 \
		--address=/other.example.test/203.0.113.20 2>/dev/null &
	pids+=($!)
done
sleep 1

# resolved at apply: the DNS proxy's device pair would go into this (the root) namespace
cat >"$WORK/policy.json" <<'JSON'
{
  "default": "deny",
  "dns_proxy": false,
  "allow": ["api.example.test:443/tcp"],
  "block": ["203.0.113.0/24:22/tcp"],
  "dns": ["198.51.100.53"]
}
JSON

title "Before vrnet-bpf: the sandbox reaches everything"
expect reached tcp 203.0.113.20:22 "SSH to any host"
expect reached udp 203.0.113.20:443 "QUIC to any host"
expect reached icmp 203.0.113.20 "ping"
expect reached tcp '[2001:db8::20]:443' "IPv6"

title "attach with no policy: the sandbox is deny-all"
run vr attach "$HOST"
expect blocked tcp 203.0.113.10:443 "HTTPS"
expect blocked dns 198.51.100.53 "DNS"
expect blocked icmp 203.0.113.10 "ping"
expect blocked tcp '[2001:db8::10]:443' "IPv6"

title "apply a policy: one API by name, one resolver"
cat "$WORK/policy.json"
run vr apply "$HOST" --policy "$WORK/policy.json"
expect reached tcp 203.0.113.10:443 "api.example.test:443 (allowed by name)"
expect reached tcp '[2001:db8::10]:443' "its AAAA address too"
expect reached dns 198.51.100.53 "the allowed resolver"
expect blocked dns 198.51.100.54 "any other resolver"
expect blocked tcp 203.0.113.10:22 "another port on the allowed host"
expect blocked udp 203.0.113.10:443 "QUIC to the allowed host (rule says tcp)"
expect blocked tcp 203.0.113.20:443 "another host"
expect blocked icmp 203.0.113.10 "ping"
expect blocked tcp '[2001:db8::20]:443' "another IPv6 host"

title "the sandbox's root flushes its own firewall: nothing changes"
in_sbx nft flush ruleset 2>/dev/null; in_sbx iptables -F 2>/dev/null
expect blocked tcp 203.0.113.20:443 "another host, still"

title "edit: allow SSH to 203.0.113.10 — the block rule on 203.0.113.0/24:22 wins"
run vr allow "$HOST" 203.0.113.10:22/tcp
expect blocked tcp 203.0.113.10:22 "blocked: block rules beat allow rules"
run vr unblock "$HOST" 203.0.113.0/24:22/tcp
expect reached tcp 203.0.113.10:22 "reached once the block rule is gone"

title "show: the policy as applied, with addresses and counters"
run vr show "$HOST"

title "check: what the live program would do, and why"
run vr check "$HOST" api.example.test:443
run vr check "$HOST" 203.0.113.20:443/udp
run vr check "$HOST" '[2001:db8::20]:443'

title "internet off: every IP packet dropped, rules kept"
run vr internet "$HOST" off
expect blocked tcp 203.0.113.10:443 "even the allowed API"
run vr internet "$HOST" policy
expect reached tcp 203.0.113.10:443 "back under the policy"

title "detach: the device is unfiltered again"
run vr detach "$HOST"
expect reached tcp 203.0.113.20:22 "SSH to any host"

echo
if [ "$failures" -eq 0 ]; then
	echo "demo: every result matched the policy"
else
	echo "demo: $failures result(s) differed from the policy" >&2
	exit 1
fi
