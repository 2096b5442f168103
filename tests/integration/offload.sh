#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Offload metadata a sandbox chooses: checksum offload (CHECKSUM_PARTIAL's
# csum_start and csum_offset) and GSO, from a guest behind a tap with a
# virtio-net header and from a packet socket with PACKET_VNET_HDR on a veth.
#
# In namespace $hub a bridge joins the sandbox's tap, the host side of the
# sandbox's veth, a receiver tap without offloads (so the kernel completes
# checksums and segments in software on the way out, after the verdict)
# and a veth to a receiver namespace with a real stack. The attacks point the
# completed checksum at a port, an IPv6 address, an ARP field: unfiltered,
# each arrives rewritten; filtered, none arrives. A real guest's offloads
# (TSO, UDP segmentation, checksum offload) to allowed services still pass.
# Both entry points of the program run it: the one for kernels with
# bpf_cast_to_kern_ctx() and, with VRNET_PROBE_READ=1, the one for 6.1.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

hub=vrhub$VR_ID sbx=vrsbx$VR_ID rcv=vrrcv$VR_ID
frames=$VR_TOP/tests/integration/offload_frames.py
for ns in "$hub" "$sbx" "$rcv"; do
	vr_add_netns "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
{
	ip -n "$hub" link add vrbr type bridge &&
		ip -n "$hub" tuntap add vrtap mode tap &&
		ip -n "$hub" tuntap add vrrx mode tap &&
		ip -n "$hub" link add vrvh type veth peer name vrvs netns "$sbx" &&
		ip -n "$hub" link add vroa type veth peer name vrob netns "$rcv" &&
		for d in vrtap vrrx vrvh vroa; do
			ip -n "$hub" link set "$d" master vrbr && ip -n "$hub" link set "$d" up
		done &&
		ip -n "$hub" link set vrbr up &&
		ip -n "$sbx" addr add 203.0.113.2/24 dev vrvs && ip -n "$sbx" link set vrvs up &&
		ip -n "$rcv" addr add 203.0.113.10/24 dev vrob && ip -n "$rcv" link set vrob up
} || vr_fatal "the bridge in $hub"
vh() { vr -n "$hub" "$@"; }

# round TOOL-ARGS...: what reaches the receiver tap while TOOL-ARGS runs, in $VR_TMP/got
round() {
	local out=$VR_TMP/got
	rm -f "$out" "$out.ready" "$out.stop"
	ip netns exec "$hub" "$VR_PY" "$frames" receive vrrx "$out" 5 2>>"$VR_TMP/frames.log" &
	local pid=$!
	vr_pids+=("$pid")
	vr_wait_for 3 test -e "$out.ready" || vr_fatal "receiver: $(tail -2 "$VR_TMP/frames.log")"
	"$@" 2>>"$VR_TMP/frames.log" || not_ok "sender: $* ($(tail -1 "$VR_TMP/frames.log"))"
	sleep 0.5
	touch "$out.stop"
	vr_wait_for 3 test -e "$out" ||
		not_ok "receiver: no result ($(tail -1 "$VR_TMP/frames.log"))"
	vr_stop_pid "$pid"
}
from_tap() { ip netns exec "$hub" "$VR_PY" "$frames" tap vrtap "$@"; }
from_veth() { ip netns exec "$sbx" "$VR_PY" "$frames" packet vrvs "$@"; }

# each attack's frame is dropped for its offload metadata, but gso-tcp-blocked's (by policy)
attacks=(udp-port udp-start tcp-port udp6-addr arp-sender nd-type udp-tcpoff gso-tcp-blocked)
legit=(udp-ok icmp6-ok nd-ok gso-tcp gso-tcp-ecn gso-tcp6 gso-tcp-big)
declare -A unfiltered=(
	[udp-port]="udp 203.0.113.10 4444 x1"
	[udp-start]="udp 203.0.113.10 4444 x1"
	[tcp-port]="tcp 203.0.113.10 4444 x1"
	[udp6-addr]="udp 2001:db8:66::10 443 x1"
	[arp-sender]="arp sender 10.0.113.99 x1"
	[nd-type]="icmp6 ff02::1:ff00:10 type 137 x1"
	[nd-ok]="icmp6 ff02::1:ff00:10 type 135 x1"
	[icmp6-ok]="icmp6 2001:db8:10::10 type 128 x1"
	[gso-tcp-ecn]="tcp 203.0.113.10 443 x3"
	[udp-tcpoff]="udp 203.0.113.10 443 x1"
	[gso-tcp-blocked]="tcp 203.0.113.10 9999 x3"
	[udp-ok]="udp 203.0.113.10 443 x1"
	[gso-tcp]="tcp 203.0.113.10 443 x3"
	[gso-tcp6]="tcp 2001:db8:10::10 443 x3"
	[gso-tcp-big]="tcp 203.0.113.10 443 x70"
)
# expect_arrival NAME KIND WANT: what of KIND reached the receiver in the
# last round is WANT ("": nothing)
expect_arrival() {
	local got
	got=$(sed -n "s/^$2 //p" "$VR_TMP/got")
	if [ "$got" = "$3" ] && [ -n "$3" ]; then
		ok "$1: $2 arrives as $3"
	elif [ "$got" = "$3" ]; then
		ok "$1: $2 dropped"
	else
		not_ok "$1: $2 arrived as \"$got\", want \"${3:-nothing}\""
	fi
}

# ---- unfiltered: each attack arrives rewritten (else it proves nothing) ----
round from_tap "${attacks[@]}" "${legit[@]}"
for k in "${attacks[@]}" "${legit[@]}"; do
	expect_arrival "unfiltered tap" "$k" "${unfiltered[$k]}"
done
round from_veth udp-port gso-tcp-blocked udp-ok
for k in udp-port gso-tcp-blocked udp-ok; do
	expect_arrival "unfiltered veth (PACKET_VNET_HDR)" "$k" "${unfiltered[$k]}"
done

# ---- a real stack's offloads, from the sandbox to the receiver namespace ----
cat >"$VR_TMP/peer.py" <<'EOF'
import os, socket, sys, time
mode = sys.argv[1]
if mode == "serve":  # TCP: bytes received per connection; UDP: datagrams
    out = sys.argv[2]
    t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", 443)); t.listen(4); t.settimeout(0.1)  # also through the tunnel
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("203.0.113.10", 443))
    u.setblocking(False)
    open(out + ".ready", "w").close()
    datagrams, end = 0, time.monotonic() + 60
    while time.monotonic() < end and not os.path.exists(out + ".stop"):
        try:
            while True:
                u.recv(65536); datagrams += 1
                open(out + ".udp.tmp", "w").write(str(datagrams))
                os.replace(out + ".udp.tmp", out + ".udp")
        except BlockingIOError:
            pass
        try:
            c, _ = t.accept()
        except socket.timeout:
            continue
        c.settimeout(5); n = 0
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
        c.close()
        open(out + ".tcp.tmp", "w").write(str(n))
        os.replace(out + ".tcp.tmp", out + ".tcp")
elif mode == "tcp":  # 1 MiB in large writes: the stack hands the veth TSO packets
    s = socket.create_connection((sys.argv[2], 443), timeout=3)
    s.sendall(b"v" * (1 << 20)); s.close()
else:  # one send of 3,000 bytes with UDP_SEGMENT 1,000: three datagrams
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_UDP, 103, 1000)
    s.sendto(b"u" * 3000, ("203.0.113.10", 443))
EOF
rm -f "$VR_TMP/peer"*.ready
ip netns exec "$rcv" "$VR_PY" "$VR_TMP/peer.py" serve "$VR_TMP/peer" 2>>"$VR_TMP/peer.log" &
vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/peer.ready" || vr_fatal "peer server: $(cat "$VR_TMP/peer.log")"
tcp_mib() { # ADDR: 1 MiB from the sandbox to ADDR:443 arrives whole
	rm -f "$VR_TMP/peer.tcp"
	ip netns exec "$sbx" "$VR_PY" "$VR_TMP/peer.py" tcp "$1" 2>>"$VR_TMP/peer.log"
	vr_wait_for 3 test -e "$VR_TMP/peer.tcp"
	[ "$(cat "$VR_TMP/peer.tcp" 2>/dev/null)" = 1048576 ]
}
real_traffic() { # NAME
	local before
	before=$(cat "$VR_TMP/peer.udp" 2>/dev/null || echo 0)
	if tcp_mib 203.0.113.10; then
		ok "$1: 1 MiB over TCP with TSO and checksum offload"
	else
		not_ok "$1: TCP delivered $(cat "$VR_TMP/peer.tcp" 2>/dev/null || echo nothing) of 1048576 bytes"
	fi
	ip netns exec "$sbx" "$VR_PY" "$VR_TMP/peer.py" udp 2>>"$VR_TMP/peer.log"
	# shellcheck disable=SC2317 # called by vr_wait_for
	three() { [ "$(cat "$VR_TMP/peer.udp" 2>/dev/null || echo 0)" -ge $((before + 3)) ]; }
	vr_wait_for 3 three
	sleep 0.2
	got=$(($(cat "$VR_TMP/peer.udp" 2>/dev/null || echo 0) - before))
	if [ "$got" = 3 ]; then
		ok "$1: a UDP_SEGMENT send arrives as three datagrams"
	else
		not_ok "$1: UDP segmentation delivered $got of 3 datagrams"
	fi
}
real_traffic "unfiltered"

# A tunnel the sandbox runs itself (VXLAN to the receiver, inside 198.51.100.0/24):
# the kernel leaves the inner checksum to the veth, csum_start on the inner
# header, so it is dropped until the tunnel device does its own checksums.
tunnel=false
if ip -n "$sbx" link add vrvx type vxlan id 5 local 203.0.113.2 remote 203.0.113.10 \
	dstport 4789 2>/dev/null &&
	ip -n "$rcv" link add vrvx type vxlan id 5 local 203.0.113.10 remote 203.0.113.2 \
		dstport 4789 &&
	ip -n "$sbx" addr add 198.51.100.1/24 dev vrvx && ip -n "$sbx" link set vrvx up &&
	ip -n "$rcv" addr add 198.51.100.2/24 dev vrvx && ip -n "$rcv" link set vrvx up; then
	tunnel=true
	if tcp_mib 198.51.100.2; then
		ok "unfiltered: 1 MiB over TCP through VXLAN"
	else
		not_ok "unfiltered: TCP through VXLAN delivered $(cat "$VR_TMP/peer.tcp" 2>/dev/null || echo nothing)"
	fi
else
	skip "TCP through a tunnel (no vxlan in this kernel)"
fi
tunnel_traffic() { # NAME
	$tunnel || return 0
	ip netns exec "$sbx" ethtool -K vrvx tx on >/dev/null 2>&1
	if tcp_mib 198.51.100.2; then
		not_ok "$1: TCP through VXLAN with the inner checksum left to the veth passed"
	else
		ok "$1: TCP through VXLAN with the inner checksum left to the veth is dropped"
	fi
	ip netns exec "$sbx" ethtool -K vrvx tx off >/dev/null
	if tcp_mib 198.51.100.2; then
		ok "$1: 1 MiB over TCP through VXLAN with tx off on the tunnel"
	else
		not_ok "$1: TCP through VXLAN with tx off delivered $(cat "$VR_TMP/peer.tcp" 2>/dev/null || echo nothing)"
	fi
}

# ---- filtered, through each entry point ----
policy=$(vr_policy offload '{"default": "deny", "allow": ["203.0.113.10:443/tcp",
	"203.0.113.10:443/udp", "[2001:db8:10::10]:443/tcp", "[2001:db8:10::10]:443/udp",
	"[2001:db8:10::10]:*/icmp", "203.0.113.10:4789/udp"]}')
# offload_events N DEV WHERE: the log holds N events of reason offload on DEV
# (reading it takes them out)
offload_events() {
	local n
	timeout --preserve-status -s INT 1 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log --since 1m \
		>"$VR_TMP/log.json" 2>"$VR_TMP/log.err"
	n=$(jq -s --arg dev "$2" '[.[] | select(.type == "event" and .reason == "offload" and
		.device == $dev)] | length' "$VR_TMP/log.json" 2>/dev/null)
	if [ "$n" = "$1" ]; then
		ok "$3: $1 events of reason offload"
	else
		not_ok "$3: ${n:-no} events of reason offload, want $1 ($(head -c 200 "$VR_TMP/log.err"))"
	fi
}
variants=(probe_read)
vr_has_kern_ctx() { "$VRNET_BIN" -j features | jq -e '.features[] | select(.key == "kern_ctx") | .present' >/dev/null; }
if vr_has_kern_ctx; then
	variants=(kfunc probe_read)
else
	skip "the kfunc entry point (this kernel has no bpf_cast_to_kern_ctx)"
fi
for variant in "${variants[@]}"; do
	force=0
	[ "$variant" = probe_read ] && force=1
	for d in vrtap vrvh; do
		expect "$variant: attach $d" env VRNET_PROBE_READ=$force \
			"$VRNET_BIN" --pin-dir "$VR_PIN" -n "$hub" attach "$d" --policy "$policy"
	done
	got=$(vr -j version | jq -r '[.programs[].offload_read] | unique | join(" ")')
	if [ "$got" = "$variant" ]; then
		ok "$variant: version names the entry point"
	else
		not_ok "$variant: version says the program reads offload metadata by \"$got\""
	fi
	round from_tap "${attacks[@]}" "${legit[@]}"
	for k in "${attacks[@]}"; do
		expect_arrival "$variant, tap" "$k" ""
	done
	for k in "${legit[@]}"; do
		expect_arrival "$variant, tap" "$k" "${unfiltered[$k]}"
	done
	offload_events $((${#attacks[@]} - 1)) vrtap "$variant, tap"
	round from_veth udp-port gso-tcp-blocked udp-ok
	expect_arrival "$variant, veth (PACKET_VNET_HDR)" udp-port ""
	expect_arrival "$variant, veth (PACKET_VNET_HDR)" gso-tcp-blocked ""
	expect_arrival "$variant, veth (PACKET_VNET_HDR)" udp-ok "${unfiltered[udp-ok]}"
	offload_events 1 vrvh "$variant, veth (PACKET_VNET_HDR)"
	real_traffic "$variant"
	tunnel_traffic "$variant"
	expect "$variant: detach the tap" vh detach vrtap
	expect "$variant: detach the veth" vh detach vrvh
done
touch "$VR_TMP/peer.stop"
