#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A spoofing sandbox behind a veth (or a tap: source_tap.sh), bound to its own addresses and MAC
# (attach --address --mac): its real traffic (TCP and UDP, IPv4 and IPv6,
# the kernel's own ARP and neighbour discovery) still gets through, while
# frames it forges never reach the host device: other IPv4/IPv6 sources,
# another MAC, ARP and neighbour advertisements claiming addresses that are
# not its own, DHCP for other MACs in the later segments of one GSO packet.
# Every forged frame is sent unfiltered first and must arrive
# (the control), and the ARP/NS poisoning must create a neighbour entry on
# the host then, and none once bound.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_sandbox "${1:-veth}" # source_tap.sh: behind a tap
peer=$VR_PEER
vr_write_helpers
VR_CAPTURE_SECONDS=1 # the frames go at once, and there are many rounds
dev=$VR_DEV net=$VR_NET
host_mac=$(cat "/sys/class/net/$dev/address")
sbx_mac=$(ip netns exec "$VR_SBX" cat "/sys/class/net/$peer/address")
vr_start_servers "tcp:$VR_WEB4:8080" "udp:$VR_WEB4:5353" "tcp:$VR_WEB6:8080"

# frames the sandbox writes itself, each with its marker vrsrc-N
cat >"$VR_TMP/forge.py" <<'EOF'
import ipaddress, socket, struct, sys
ifc, host_mac, net = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
own = s.getsockname()[4][:6]
other = bytes.fromhex("020000000077")
def a4(x): return socket.inet_pton(socket.AF_INET, x)
def a6(x): return socket.inet_pton(socket.AF_INET6, x)
def udp4(src, mark, smac=own):
    payload = mark.encode()
    u = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, a4(src),
                     a4("203.0.113.10"))
    return host_mac + smac + b"\x08\x00" + ip + u
def udp6(src, mark):
    payload = mark.encode()
    u = struct.pack("!HHHH", 40000, 9, 8 + len(payload), 0) + payload
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(u), 17, 64, a6(src), a6("2001:db8::10"))
    return host_mac + own + b"\x86\xdd" + ip + u
def arp(sender_ip, sha, mark):
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + sha + a4(sender_ip) + host_mac
    body += a4("10.231.%s.1" % net)
    return host_mac + own + b"\x08\x06" + body + mark.encode()
def na(src, target, mark):
    icmp = struct.pack("!BBHI16s", 136, 0, 0, 0x20000000, a6(target))
    icmp += struct.pack("!BB6s", 2, 1, own)
    # the marker after the datagram (Ethernet padding): an NA has no room for data
    ip = struct.pack("!IHBB16s16s", 0x60000000, len(icmp), 58, 255, a6(src), a6("ff02::1"))
    return b"\x33\x33\x00\x00\x00\x01" + own + b"\x86\xdd" + ip + icmp + mark.encode()
def dhcp(chaddrs, mark_from):
    # BOOTP discovers back to back, the ones from index mark_from on marked
    msgs = b""
    for i, ch in enumerate(chaddrs):
        m = bytearray(300)
        m[0], m[1], m[2] = 1, 1, 6
        m[28:34] = ch
        if i >= mark_from:
            m[240:247] = b"vrsrc-b" if len(chaddrs) > 1 else b"vrsrc-c"
        msgs += bytes(m)
    u = struct.pack("!HHHH", 68, 67, 8 + len(msgs), 0) + msgs
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0, a4("0.0.0.0"),
                     a4("255.255.255.255"))
    return b"\xff" * 6 + own + b"\x08\x00" + ip + u
def send_gso(frame):
    # UDP_L4 segmentation into 300-byte datagrams: each a DHCP message of its own
    g = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    g.setsockopt(263, 15, 1)  # SOL_PACKET, PACKET_VNET_HDR
    g.bind((ifc, 0))
    g.send(struct.pack("<BBHHHH", 1, 5, 42, 300, 34, 6) + frame)
lladdr = "fe80::" + str(ipaddress.IPv6Address(bytes(8) + bytes([own[0] ^ 2]) + own[1:3]
                                                + b"\xff\xfe" + own[3:6]))[2:]
frames = {
    "1": udp4("10.231.%s.2" % net, "vrsrc-1"),
    "2": udp4("10.231.%s.77" % net, "vrsrc-2"),
    "3": udp4("10.231.%s.2" % net, "vrsrc-3", smac=other),
    "4": udp6("fd00:231:%s::2" % net, "vrsrc-4"),
    "5": udp6("fd00:231:%s::77" % net, "vrsrc-5"),
    "6": arp("10.231.%s.2" % net, own, "vrsrc-6"),
    "7": arp("10.231.%s.77" % net, own, "vrsrc-7"),
    "8": arp("10.231.%s.2" % net, other, "vrsrc-8"),
    "9": na(lladdr, "fd00:231:%s::2" % net, "vrsrc-9"),
    "a": na(lladdr, "fd00:231:%s::77" % net, "vrsrc-a"),
}
frames["c"] = dhcp([own], 0)
for k in sys.argv[4:]:
    if k == "b":  # the first message for its own MAC, the marked two for others
        send_gso(dhcp([own, other, bytes.fromhex("02000000000a")], 1))
    else:
        s.send(frames[k])
EOF

forge_ip() { # the markers of the IP frames (ethertype 0800, then 86dd) that reach the host
	local v4 v6
	v4=$(vr_markers_through "$dev" 0800 vrsrc- \
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/forge.py" "$peer" "$host_mac" "$net" 1 2 3 \
		b c)
	v6=$(vr_markers_through "$dev" 86dd vrsrc- \
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/forge.py" "$peer" "$host_mac" "$net" 4 5 9 a)
	echo "$v4 / $v6"
}
forge_arp() {
	vr_markers_through "$dev" 0806 vrsrc- \
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/forge.py" "$peer" "$host_mac" "$net" 6 7 8
}

# The host learns a neighbour from an ARP request or NS addressed to it: the
# sandbox claims .66 and ::66 that way (the kernel's own arping/ndisc paths).
poison() {
	ip neigh flush dev "$dev" >/dev/null 2>&1
	ip netns exec "$VR_SBX" "$VR_PY" - "$peer" "$host_mac" "$net" <<'EOF'
import socket, struct, sys
ifc, host_mac, net = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
own = s.getsockname()[4][:6]
a4 = lambda x: socket.inet_pton(socket.AF_INET, x)
a6 = lambda x: socket.inet_pton(socket.AF_INET6, x)
body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + own + a4("10.231.%s.66" % net)
body += bytes(6) + a4("10.231.%s.1" % net)
s.send(b"\xff" * 6 + own + b"\x08\x06" + body)
target = a6("fd00:231:%s::1" % net)
icmp = struct.pack("!BBHI16s", 135, 0, 0, 0, target) + struct.pack("!BB6s", 1, 1, own)
src, dst = a6("fd00:231:%s::66" % net), a6("ff02::1:ff00:1")
pseudo = src + dst + struct.pack("!I3xB", len(icmp), 58)
data = pseudo + icmp
csum = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while csum >> 16:
    csum = (csum & 0xffff) + (csum >> 16)
icmp = icmp[:2] + struct.pack("!H", ~csum & 0xffff) + icmp[4:]
ip = struct.pack("!IHBB16s16s", 0x60000000, len(icmp), 58, 255, src, dst)
s.send(b"\x33\x33\xff\x00\x00\x01" + own + b"\x86\xdd" + ip + icmp)
EOF
	sleep 0.3
	for a in "10.231.$net.66" "fd00:231:$net::66"; do
		ip neigh show dev "$dev" to "$a" | grep -q . && printf '%s ' "$a"
	done
	echo
}

# ---- unfiltered: the controls ----
expect_markers "unfiltered: every forged IP frame reaches the host (the probe can leak)" \
	"vrsrc-1 vrsrc-2 vrsrc-3 vrsrc-b vrsrc-c / vrsrc-4 vrsrc-5 vrsrc-9 vrsrc-a" forge_ip
expect_markers "unfiltered: every forged ARP reply reaches the host" \
	"vrsrc-6 vrsrc-7 vrsrc-8" forge_arp
expect_eq "unfiltered: ARP and NS claiming .66 and ::66 poison the host's neighbour table" \
	"$(poison)" "10.231.$net.66 fd00:231:$net::66 "

# ---- unbound: show says so ----
policy=$(vr_policy p '{"default": "allow"}')
expect "attach with a default-allow policy, unbound" vr attach "$dev" --policy "$policy"
if vr show "$dev" | grep -q "source: NOT BOUND"; then
	ok "show: the source is not bound"
else
	not_ok "show does not say the source is not bound: $(vr show "$dev")"
fi
expect_eq "show -j: bound false" "$(vr -j show "$dev" | "$VR_PY" -c \
	'import json, sys; print(json.load(sys.stdin)["source"]["bound"])')" False

# ---- bound ----
expect_rc "a prefix that holds the host's address is refused" 2 vr attach "$dev" \
	--address "10.231.$net.0/24"
expect "bind the sandbox to its addresses and MAC" vr attach "$dev" \
	--address "10.231.$net.2,fd00:231:$net::2" --mac "$sbx_mac" --dhcp
# b: one GSO packet of three DHCP messages, two for other MACs, split after the filter
expect_markers "bound: only its own IP frames arrive (its DHCP, not the GSO one)" \
	"vrsrc-1 vrsrc-c / vrsrc-4 vrsrc-9" forge_ip
expect_markers "bound: only its own ARP reply arrives" "vrsrc-6" forge_arp
expect_eq "bound: the poisoning ARP and NS leave no neighbour entry" "$(poison)" ""

# The kernel's own traffic, with its own ARP and ND from scratch.
ip neigh flush dev "$dev" >/dev/null 2>&1
ip -n "$VR_SBX" neigh flush dev "$peer" >/dev/null 2>&1
expect_reach "bound: TCP over IPv4" tcp "$VR_WEB4" 8080
expect_reach "bound: UDP over IPv4" udp "$VR_WEB4" 5353
expect_reach "bound: TCP over IPv6" tcp "$VR_WEB6" 8080
# the same client from a second address of the sandbox's own: a real forged source
ip -n "$VR_SBX" addr add "10.231.$net.77/24" dev "$peer"
before=$(vr_count tcp "$VR_WEB4" 8080)
ip netns exec "$VR_SBX" "$VR_PY" -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(0.5)
try:
    s.connect((sys.argv[2], 8080))
except OSError:
    pass' "10.231.$net.77" "$VR_WEB4"
expect_eq "bound: a connection from an address not bound never reaches the server" \
	"$(vr_count tcp "$VR_WEB4" 8080)" "$before"

# check runs from the bound source; show and log name the binding and the forged source
expect "check: allowed from the bound source" vr check "$dev" "$VR_WEB4:8080"
src=$(vr -j show "$dev" | "$VR_PY" -c 'import json, sys
s = json.load(sys.stdin)["source"]
print(s["bound"], ",".join(s["addresses"]), s["mac"], s["link_local"].startswith("fe80::"))')
expect_eq "show -j: the binding" "$src" "True 10.231.$net.2,fd00:231:$net::2 $sbx_mac True"
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" >"$VR_TMP/log.json" 2>&1
for forged in "\"source\":\"10.231.$net.77\"" '"protocol":"arp","source":"10.231.'"$net"'.77"' \
	'"source_mac":"02:00:00:00:00:77"'; do
	if grep '"reason":"spoofed"' "$VR_TMP/log.json" | grep -qF "$forged"; then
		ok "log: a spoofed event with $forged"
	else
		not_ok "log: no spoofed event with $forged: $(head -c 600 "$VR_TMP/log.json")"
	fi
done

# bad options fail as usage errors, changing nothing
expect_rc "--mac without --address" 2 vr attach "$dev" --mac "$sbx_mac"
expect_rc "--address with a port" 2 vr attach "$dev" --address "10.231.$net.2:80"
expect_rc "--mac of a multicast group" 2 vr attach "$dev" --address "10.231.$net.2" \
	--mac 01:00:5e:00:00:01
expect_markers "still bound after the refused changes" "vrsrc-1 vrsrc-c / vrsrc-4 vrsrc-9" \
	forge_ip

expect "detach" vr detach "$dev"
