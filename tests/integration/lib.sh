# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Helpers of the integration suites, sourced after `set -u`.
#
# Everything a suite creates carries the "vr" prefix and the suite's PID and is
# registered here the moment it exists, so the EXIT trap removes it on every
# path: servers (by PID), the CLI's state (devices detached first, then the pin
# directory), namespaces, devices, routes, nftables tables and temporary files.
#
# Topology (tests/../TESTING.md): a sandbox namespace whose traffic arrives on a
# host-side veth or tap in the root namespace. The fake internet hosts are
# extra addresses on that host-side device, so what the sandbox sends crosses
# the filter and is delivered locally; nothing is forwarded and nothing leaves
# the machine.

VR_ID=$$
VR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VRNET_BIN=${VRNET_BIN:-$VR_TOP/build/vrnet-bpf}
VRNET_TOOLS=${VRNET_TOOLS:-$VR_TOP/build/tests}
VR_PIN=/sys/fs/bpf/vrpin$VR_ID
# libxdp's pins (XDP mode) go beside ours, never to its default /sys/fs/bpf/xdp
export LIBXDP_BPFFS=$VR_PIN-xdp
VR_TIMEOUT=${VR_TIMEOUT:-0.5} # seconds a probe waits for an answer
VR_PY=/usr/bin/python3
[ -x "$VR_PY" ] || VR_PY=python3

# The fake internet: 203.0.113.0/24, 198.51.100.0/24 and 2001:db8::/32 only.
VR_WEB4=203.0.113.10
VR_WEB4B=203.0.113.20
VR_DNS4=198.51.100.7
VR_WEB6=2001:db8::10
VR_WEB6B=2001:db8::20

VR_TMP=''
VR_SBX='' VR_DEV='' VR_NET='' VR_JAIL=''
VR_SERVER_PID=''
vr_pids=() vr_netns=() vr_links=() vr_routes=() vr_nft_tables=()
vr_passed=0 vr_failed=0

ok() {
	echo "ok - $*"
	vr_passed=$((vr_passed + 1))
}

not_ok() {
	echo "not ok - $*"
	vr_failed=$((vr_failed + 1))
}

skip() {
	echo "skip - $*"
}

# vr ARGS...: the CLI with this suite's own pin directory.
vr() {
	"$VRNET_BIN" --pin-dir "$VR_PIN" "$@"
}

# Seconds since the epoch with nanoseconds, for durations.
vr_now() {
	date +%s.%N
}

vr_elapsed() { # START
	awk -v s="$1" -v e="$(vr_now)" 'BEGIN { printf "%.2f", e - s }'
}

# expect_rc NAME RC CMD...: CMD must exit with RC. Its output stays in
# $VR_TMP/out and $VR_TMP/err for further checks.
expect_rc() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >"$VR_TMP/out" 2>"$VR_TMP/err" </dev/null
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name"
		return 0
	fi
	not_ok "$name (exit $rc, want $want: $(head -c 200 "$VR_TMP/err" | tr '\n' ' '))"
	return 1
}

# expect NAME CMD...: CMD must succeed.
expect() {
	local name=$1
	shift
	expect_rc "$name" 0 "$@"
}

# expect_eq NAME GOT WANT: GOT must be WANT.
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1: $2"; else not_ok "$1: \"$2\", want \"$3\""; fi
}

vr_require_root() {
	local t missing=()

	if [ "$(id -u)" -ne 0 ]; then
		echo "skip - all (needs root)"
		exit 77
	fi
	for t in ip tc nft jq bpftool timeout ping "$VR_PY" "$VRNET_BIN" "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	if [ ${#missing[@]} -ne 0 ]; then
		echo "skip - all (missing: ${missing[*]})"
		exit 77
	fi
}

# Waits up to SECONDS (tenths allowed) for CMD to succeed.
vr_wait_for() { # SECONDS CMD...
	local tries
	tries=$(awk -v s="$1" 'BEGIN { printf "%d", s * 10 }')
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}

# vr_stop_pid PID: TERM, KILL after two seconds; reaped and unregistered, so
# the trap never signals a PID the system may have given to someone else.
vr_stop_pid() {
	local pid=$1 p kept=()
	if kill "$pid" 2>/dev/null; then
		vr_wait_for 2 vr_gone "$pid" || kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	for p in "${vr_pids[@]}"; do
		[ "$p" != "$pid" ] && kept+=("$p")
	done
	vr_pids=("${kept[@]}")
	return 0
}

vr_gone() { # PID: exited (a zombie until waited for counts as gone)
	[ ! -e "/proc/$1/stat" ] || [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)" = Z ]
}

vr_cleanup() {
	local rc=$? pid dev ns r t
	trap - EXIT INT TERM
	for pid in "${vr_pids[@]}"; do
		vr_stop_pid "$pid"
	done
	if [ -d "$VR_PIN" ]; then
		for dev in "${vr_links[@]}"; do
			ip link show dev "$dev" >/dev/null 2>&1 &&
				vr detach "$dev" >/dev/null 2>&1
		done
	fi
	for ns in "${vr_netns[@]}"; do
		# whatever still runs in our own namespace is ours
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for dev in "${vr_links[@]}"; do
		ip link del dev "$dev" 2>/dev/null
	done
	for r in "${vr_routes[@]}"; do
		# shellcheck disable=SC2086 # a route is several words
		ip route del $r 2>/dev/null
	done
	for t in "${vr_nft_tables[@]}"; do
		nft delete table inet "$t" 2>/dev/null
	done
	case $VR_PIN in /sys/fs/bpf/vrpin[0-9]*) rm -rf "$VR_PIN" "$VR_PIN"-* ;; esac
	[ -n "$VR_TMP" ] && rm -rf "$VR_TMP"
	[ "$rc" -eq 0 ] && [ "$vr_failed" -ne 0 ] && rc=1
	exit "$rc"
}

# vr_init TOOL...: root and tools or skip; temporary directory; the trap.
vr_init() {
	vr_require_root "$@"
	trap vr_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	VR_TMP=$(mktemp -d /tmp/vrtest.XXXXXX) || exit 1
	mkdir -p "$LIBXDP_BPFFS" || exit 1
	vr_write_helpers
}

vr_fatal() { # MESSAGE: a setup step failed; the rest of the suite cannot run
	not_ok "setup: $*"
	exit 1
}

# ---- namespaces, devices, addresses ----

vr_add_netns() { # NAME
	ip netns add "$1" || vr_fatal "ip netns add $1"
	vr_netns+=("$1")
	ip -n "$1" link set lo up
	# No router solicitations: the sandbox sends only what a test makes it send.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.router_solicitations=0
}

vr_add_link() { # NAME ARGS...: ip link add NAME ARGS..., then registered
	ip link add "$@" || vr_fatal "ip link add $*"
	vr_links+=("$1")
}

# A free 10.231.X.0/24 (and fd00:231:X::/64) for this suite.
vr_pick_net() {
	local i x
	for i in $(seq 0 199); do
		x=$(((VR_ID + i) % 200 + 20))
		if [ -z "$(ip -4 route show 10.231.$x.0/24; ip -6 route show fd00:231:$x::/64)" ]; then
			VR_NET=$x
			return 0
		fi
	done
	vr_fatal "no free 10.231.X.0/24"
}

# The host side: gateway addresses and the fake internet hosts on DEV. While
# DEV exists its connected routes win; should it vanish mid-test, blackhole
# routes keep replies to the sandbox's subnet from falling to the default route.
vr_host_addresses() { # DEV
	local dev=$1 a
	ip addr add "10.231.$VR_NET.1/24" dev "$dev" || vr_fatal "address on $dev"
	ip -6 addr add "fd00:231:$VR_NET::1/64" dev "$dev" nodad || vr_fatal "address on $dev"
	for a in $VR_WEB4 $VR_WEB4B $VR_DNS4; do
		ip addr add "$a/32" dev "$dev" || vr_fatal "address $a on $dev"
	done
	for a in $VR_WEB6 $VR_WEB6B; do
		ip -6 addr add "$a/128" dev "$dev" nodad || vr_fatal "address $a on $dev"
	done
	ip link set "$dev" up || vr_fatal "ip link set $dev up"
	if [ ${#vr_routes[@]} -eq 0 ]; then
		ip route add blackhole "10.231.$VR_NET.0/24" metric 4242 || vr_fatal "blackhole route"
		vr_routes+=("blackhole 10.231.$VR_NET.0/24 metric 4242")
		ip -6 route add blackhole "fd00:231:$VR_NET::/64" metric 4242 ||
			vr_fatal "blackhole route"
		vr_routes+=("blackhole fd00:231:$VR_NET::/64 metric 4242")
	fi
}

vr_sandbox_addresses() { # NETNS IFACE
	local ns=$1 ifc=$2
	ip -n "$ns" addr add "10.231.$VR_NET.2/24" dev "$ifc" || vr_fatal "address in $ns"
	ip -n "$ns" -6 addr add "fd00:231:$VR_NET::2/64" dev "$ifc" nodad ||
		vr_fatal "address in $ns"
	ip -n "$ns" link set "$ifc" up || vr_fatal "ip link set $ifc up in $ns"
	ip -n "$ns" route add default via "10.231.$VR_NET.1" || vr_fatal "route in $ns"
	ip -n "$ns" -6 route add default via "fd00:231:$VR_NET::1" || vr_fatal "route in $ns"
}

# A sandbox behind a veth: VR_SBX (namespace), VR_DEV (host side).
vr_veth_sandbox() {
	VR_SBX=vrsbx$VR_ID VR_DEV=vrh$VR_ID
	vr_pick_net
	vr_add_netns "$VR_SBX"
	vr_add_link "$VR_DEV" type veth peer name "vrs$VR_ID" netns "$VR_SBX"
	vr_host_addresses "$VR_DEV"
	vr_sandbox_addresses "$VR_SBX" "vrs$VR_ID"
}

# A sandbox whose host side is in a namespace of its own, as under
# Firecracker's jailer: VR_JAIL (host side vrj, 10.233.N.1 and fd00:233:N::1)
# and VR_SBX (vrk, .2, routed through the jail). vr_jail_sandbox makes the
# first, vrjail$VR_ID and vrsbx$VR_ID (N=1); vr_jail_sandbox_n N the Nth,
# vrjail$VR_ID-N and vrsbx$VR_ID-N: a jail of its own whose host side is
# again called vrj.
vr_jail_sandbox() {
	vr_jail_sandbox_n 1
}

vr_jail_sandbox_n() { # N
	local n=$1 tag=''
	[ "$n" -eq 1 ] || tag=-$n
	VR_JAIL=vrjail$VR_ID$tag VR_SBX=vrsbx$VR_ID$tag
	vr_add_netns "$VR_JAIL"
	vr_jail_add_sandbox "$VR_JAIL" "$VR_SBX" vrj vrk "$n"
}

# vr_jail_add_sandbox JAIL SBX HOSTDEV SBXDEV N: one more sandbox SBX (a new
# namespace) behind the veth HOSTDEV in JAIL (10.233.N.1, fd00:233:N::1) and
# SBXDEV in SBX (.2), its default routes through the jail.
vr_jail_add_sandbox() {
	local jail=$1 sbx=$2 hdev=$3 sdev=$4 n=$5
	vr_add_netns "$sbx"
	{
		ip -n "$jail" link add "$hdev" type veth peer name "$sdev" netns "$sbx" &&
			ip -n "$jail" addr add "10.233.$n.1/24" dev "$hdev" &&
			ip -n "$jail" -6 addr add "fd00:233:$n::1/64" dev "$hdev" nodad &&
			ip -n "$jail" link set "$hdev" up &&
			ip -n "$sbx" addr add "10.233.$n.2/24" dev "$sdev" &&
			ip -n "$sbx" -6 addr add "fd00:233:$n::2/64" dev "$sdev" nodad &&
			ip -n "$sbx" link set "$sdev" up &&
			ip -n "$sbx" route add default via "10.233.$n.1" &&
			ip -n "$sbx" -6 route add default via "fd00:233:$n::1"
	} || vr_fatal "the sandbox $sbx behind $hdev in $jail"
}

# A sandbox behind a tap, as a MicroVM: VR_DEV is the tap in the root
# namespace; in VR_SBX the guest's stack sits on vrgA, whose veth peer vrgB the
# relay bridges to the tap's file descriptor. vr_start_relay starts the relay.
vr_tap_sandbox() {
	VR_SBX=vrsbx$VR_ID VR_DEV=vrt$VR_ID
	vr_pick_net
	vr_add_netns "$VR_SBX"
	ip tuntap add "$VR_DEV" mode tap || vr_fatal "ip tuntap add $VR_DEV"
	vr_links+=("$VR_DEV")
	vr_host_addresses "$VR_DEV"
	ip -n "$VR_SBX" link add vrgA type veth peer name vrgB || vr_fatal "veth in $VR_SBX"
	ip netns exec "$VR_SBX" sysctl -qw net.ipv6.conf.vrgB.disable_ipv6=1
	ip -n "$VR_SBX" link set vrgB up || vr_fatal "ip link set vrgB up"
	vr_sandbox_addresses "$VR_SBX" vrgA
}

# vr_sandbox veth|tap: a sandbox behind a veth, or behind a tap with the relay
# writing what it sends as a VMM does. VR_PEER: its interface in VR_SBX.
VR_PEER=''
# shellcheck disable=SC2034 # VR_PEER is for the suites
vr_sandbox() {
	if [ "$1" = tap ]; then
		vr_tap_sandbox
		vr_start_relay
		VR_PEER=vrgA
	else
		vr_veth_sandbox
		VR_PEER=vrs$VR_ID
	fi
}

VR_RELAY_PID=''
vr_start_relay() {
	"$VRNET_TOOLS/taprelay" "$VR_DEV" "$VR_SBX" vrgB vrgA 120 2>>"$VR_TMP/relay.log" &
	VR_RELAY_PID=$!
	vr_pids+=("$VR_RELAY_PID")
	# the tap has carrier once the relay holds its file descriptor
	vr_wait_for 3 vr_has_carrier "$VR_DEV" || vr_fatal "taprelay did not start: $(cat "$VR_TMP/relay.log")"
}

vr_stop_relay() {
	vr_stop_pid "$VR_RELAY_PID"
}

vr_has_carrier() { # DEV
	[ "$(cat "/sys/class/net/$1/carrier" 2>/dev/null)" = 1 ]
}

# ---- servers and clients ----

# Python helpers: a server for every "tcp:ADDR:PORT" / "udp:ADDR:PORT" spec
# (TCP answers "vr" and closes, UDP echoes; each counts what it received in
# a file), a one-shot client, and a bounded UDP sender for the churn test.
vr_write_helpers() {
	cat >"$VR_TMP/server.py" <<'EOF'
import os, selectors, socket, sys, time

out, specs = sys.argv[1], sys.argv[2:]
sel = selectors.DefaultSelector()
counts = {}

def save(key):
    tmp = os.path.join(out, key + ".tmp")
    with open(tmp, "w") as f:
        f.write(str(counts[key]))
    os.replace(tmp, os.path.join(out, key))

for spec in specs:
    proto, rest = spec.split(":", 1)
    addr, port = rest.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if proto == "udp":  # room for the churn test's bursts
        s.setsockopt(socket.SOL_SOCKET, 33, 1 << 22)  # SO_RCVBUFFORCE
    s.bind((addr, int(port)))
    if proto == "tcp":
        s.listen(64)
    key = "%s_%s_%s" % (proto, addr.replace(":", "_"), port)
    counts[key] = 0
    save(key)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, (proto, key))
open(os.path.join(out, "ready"), "w").close()

deadline = time.monotonic() + 300
while time.monotonic() < deadline:
    for sk, _ in sel.select(timeout=1):
        proto, key = sk.data
        try:
            if proto == "tcp":
                c, _ = sk.fileobj.accept()
                counts[key] += 1
                save(key)
                c.setblocking(True)
                c.sendall(b"vr\n")
                c.close()
            else:
                data, peer = sk.fileobj.recvfrom(2048)
                counts[key] += 1
                save(key)
                sk.fileobj.sendto(data, peer)
        except OSError:
            pass
EOF
	cat >"$VR_TMP/capture.py" <<'EOF'
import socket, sys, time
dev, ethertype, prefix, out = sys.argv[1], int(sys.argv[2], 16), sys.argv[3].encode(), sys.argv[4]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
s.bind((dev, 0))
s.settimeout(0.2)
open(out + ".ready", "w").close()
seen, end = set(), time.monotonic() + float(sys.argv[5])
while time.monotonic() < end:
    try:
        frame = s.recv(4096)
    except socket.timeout:
        continue
    i = frame.find(prefix)
    if i >= 0:
        seen.add(frame[i:i + len(prefix) + 1].decode(errors="replace"))
with open(out, "w") as f:
    f.write(" ".join(sorted(seen)) + "\n")
EOF
	cat >"$VR_TMP/client.py" <<'EOF'
import socket, sys

proto, addr, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
try:
    if proto == "tcp":
        with socket.create_connection((addr, port), timeout=timeout) as s:
            reached = s.recv(16).startswith(b"vr")
    else:
        with socket.socket(fam, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.sendto(b"vrprobe", (addr, port))
            reached = s.recv(64) == b"vrprobe"
except OSError:
    reached = False
sys.exit(0 if reached else 1)
EOF
	cat >"$VR_TMP/sender.py" <<'EOF'
import os, socket, sys, time

stop, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
dests = [(a, int(p)) for a, p in (d.rsplit(":", 1) for d in sys.argv[4:])]
socks = [socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
         for a, _ in dests]
sent = [0] * len(dests)
deadline = time.monotonic() + seconds
while time.monotonic() < deadline and not os.path.exists(stop) and sent[0] < 100000:
    for i, d in enumerate(dests):
        try:
            socks[i].sendto(b"vrchurn", d)
            sent[i] += 1
        except OSError:
            pass
    time.sleep(0.001)
with open(out, "w") as f:
    f.write(" ".join(map(str, sent)) + "\n")
EOF
}

# vr_start_servers SPEC...: one server process for every spec, in the root
# namespace, bound to addresses of our own device.
vr_start_servers() {
	rm -f "$VR_TMP/ready"
	"$VR_PY" "$VR_TMP/server.py" "$VR_TMP" "$@" 2>>"$VR_TMP/server.log" &
	VR_SERVER_PID=$!
	vr_pids+=("$VR_SERVER_PID")
	vr_wait_for 5 test -e "$VR_TMP/ready" ||
		vr_fatal "servers did not start: $(tail -c 300 "$VR_TMP/server.log")"
}

# vr_markers_through DEV ETHERTYPE PREFIX CMD...: which frames CMD sends that
# reach DEV: a capture (AF_PACKET) runs on DEV for 2 s (VR_CAPTURE_SECONDS)
# while CMD runs, and prints, sorted, every marker seen — PREFIX and the one
# character after it.
vr_markers_through() {
	local dev=$1 ethertype=$2 prefix=$3 out recv
	shift 3
	out=$(mktemp "$VR_TMP/markers.XXXXXX")
	"$VR_PY" "$VR_TMP/capture.py" "$dev" "$ethertype" "$prefix" "$out" \
		"${VR_CAPTURE_SECONDS:-2}" >/dev/null 2>&1 &
	recv=$!
	vr_pids+=("$recv")
	vr_wait_for 3 test -e "$out.ready" || vr_fatal "capture on $dev"
	"$@" || vr_fatal "sender: $*"
	wait "$recv"
	cat "$out"
}

# expect_markers NAME WANT CMD...: the markers CMD prints (vr_markers_through) are WANT.
expect_markers() {
	local name=$1 want=$2 got
	shift 2
	got=$("$@")
	if [ "$got" = "$want" ]; then
		ok "$name"
	else
		not_ok "$name: \"$got\" arrived, want \"$want\""
	fi
}

# vr_start_udp_traffic SECONDS: the sandbox sends UDP to $VR_WEB4:7777 (to be
# blocked) and $VR_WEB4B:7777 (to be allowed) until $VR_TMP/stop exists; returns
# once the allowed flow reaches its server. Totals sent go to $VR_TMP/sent.
vr_start_udp_traffic() {
	local before
	before=$(vr_count udp "$VR_WEB4B" 7777)
	ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/sender.py" "$VR_TMP/stop" "$1" "$VR_TMP/sent" \
		"$VR_WEB4:7777" "$VR_WEB4B:7777" &
	VR_SENDER_PID=$!
	vr_pids+=("$VR_SENDER_PID")
	# shellcheck disable=SC2317 # called by vr_wait_for
	flowing() { [ "$(vr_count udp "$VR_WEB4B" 7777)" != "$before" ]; }
	vr_wait_for 3 flowing || vr_fatal "the allowed flow does not reach its server"
}

# vr_count PROTO ADDR PORT: what the server there has received so far.
vr_count() {
	local f="$VR_TMP/${1}_${2//:/_}_$3"
	if [ -e "$f" ]; then cat "$f"; else echo none; fi
}

# vr_probe PROTO ADDR [PORT]: one attempt from the sandbox; 0 when answered.
vr_probe() {
	local proto=$1 addr=$2 port=${3:-}
	case $proto in
	icmp)
		ip netns exec "$VR_SBX" ping -n -q -c1 -W "$VR_TIMEOUT" "$addr" >/dev/null 2>&1
		;;
	tcp | udp)
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/client.py" "$proto" "$addr" "$port" \
			"$VR_TIMEOUT" 2>/dev/null
		;;
	esac
}

vr_dest() { # PROTO ADDR [PORT]: a readable destination
	case $2 in
	*:*) echo "${3:+[}$2${3:+]:$3}/$1" ;;
	*) echo "$2${3:+:$3}/$1" ;;
	esac
}

# expect_reach NAME PROTO ADDR [PORT]: answered within three attempts.
expect_reach() {
	local name=$1 i
	shift
	for i in 1 2 3; do
		if vr_probe "$@"; then
			ok "$name: $(vr_dest "$@") reached"
			return 0
		fi
	done
	not_ok "$name: $(vr_dest "$@") not reached"
	return 1
}

# vr_from_host PROTO ADDR PORT: one attempt of the host's client into the sandbox; 0 when answered.
vr_from_host() {
	"$VR_PY" "$VR_TMP/client.py" "$1" "$2" "$3" "$VR_TIMEOUT" 2>/dev/null
}

# expect_from_host NAME PROTO ADDR PORT: the host's client answered within three attempts.
expect_from_host() {
	local name=$1 i
	shift
	for i in 1 2 3; do
		if vr_from_host "$@"; then
			ok "$name: $1 $2:$3 reached from the host"
			return 0
		fi
	done
	not_ok "$name: $1 $2:$3 not reached from the host"
}

# expect_not_from_host NAME PROTO ADDR PORT: the host's client not answered.
expect_not_from_host() {
	if vr_from_host "$2" "$3" "$4"; then
		not_ok "$1: $2 $3:$4 reached from the host"
	else
		ok "$1: $2 $3:$4 not reached"
	fi
}

# expect_blocked NAME PROTO ADDR [PORT]: no answer, and for TCP and UDP the
# server there received nothing. The same probe must work unfiltered.
expect_blocked() {
	local name=$1 proto=$2 before=none after=none
	shift
	[ "$proto" != icmp ] && before=$(vr_count "$@")
	if vr_probe "$@"; then
		not_ok "$name: $(vr_dest "$@") answered"
		return 1
	fi
	if [ "$proto" != icmp ]; then
		after=$(vr_count "$@")
		if [ "$before" = none ] || [ "$after" != "$before" ]; then
			not_ok "$name: $(vr_dest "$@") server count $before -> $after"
			return 1
		fi
	fi
	ok "$name: $(vr_dest "$@") blocked"
}

# ---- nftables counters behind the filter ----

# vr_nft_counter NAME MATCH...: counts packets matching MATCH in a prerouting
# chain at priority -500 of our own table: what got past the tc filter.
vr_nft_counter() {
	local t=vrtest$VR_ID
	if [ ${#vr_nft_tables[@]} -eq 0 ]; then
		nft create table inet "$t" || vr_fatal "nft create table inet $t"
		vr_nft_tables+=("$t")
		nft add chain inet "$t" pre '{ type filter hook prerouting priority -500; }' ||
			vr_fatal "nft add chain"
	fi
	nft add counter inet "$t" "$1" || vr_fatal "nft add counter $1"
	nft add rule inet "$t" pre "${@:2}" counter name "$1" || vr_fatal "nft add rule ${*:2}"
}

vr_nft_packets() { # NAME
	nft -j list counter inet "vrtest$VR_ID" "$1" | jq '.nftables[] | select(.counter) | .counter.packets'
}

# ---- the CLI's state ----

# A policy file from its JSON text; prints the path.
vr_policy() { # NAME JSON
	printf '%s\n' "$2" >"$VR_TMP/$1.json"
	echo "$VR_TMP/$1.json"
}

# vr_show_field DEV JQ-FILTER: one value of `show -j DEV`.
vr_show_field() {
	vr -j show "$1" 2>/dev/null | jq -r "$2"
}

vr_counter() { # DEV allowed_packets|dropped_packets|...
	vr_show_field "$1" ".counters.$2"
}

# Every pinned map but the counters, one line each: entries and a hash of them.
vr_maps_sum() {
	local m maps=()
	for m in "$VR_PIN"/*; do
		case $(basename "$m") in vrnet_stats | vrnet_egress_*) continue ;; esac
		maps+=("$m")
	done
	"$VRNET_TOOLS/mapsum" "${maps[@]}" 2>&1
}

# Every pinned map but the counters, and the device as `show -j` reports it
# without counters: what a rejected command must leave byte for byte.
vr_snapshot() { # DEV
	vr_maps_sum
	vr -j show "$1" 2>&1 | jq -S 'del(.counters)'
}
