#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Enforcement on a tap, as with a MicroVM: the guest's frames are written into
# the tap's file descriptor (by taprelay, or crafted) and arrive as the tap's
# ingress, where the program sits.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

[ -x "$VRNET_TOOLS/taprelay" ] || vr_fatal "$VRNET_TOOLS/taprelay is not built (make test-bins)"
vr_tap_sandbox
dev=$VR_DEV
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777" \
	"tcp:$VR_WEB6:8080" "tcp:$VR_WEB6:9090" "udp:$VR_WEB6:7777"
vr_start_relay

expect_reach "unfiltered tap" tcp "$VR_WEB4" 8080
expect_reach "unfiltered tap" tcp "$VR_WEB4" 9090
expect_reach "unfiltered tap" udp "$VR_WEB4" 7777
expect_reach "unfiltered tap" icmp "$VR_WEB4"
expect_reach "unfiltered tap" tcp "$VR_WEB6" 8080
expect_reach "unfiltered tap" tcp "$VR_WEB6" 9090
expect_reach "unfiltered tap" udp "$VR_WEB6" 7777
expect_reach "unfiltered tap" icmp "$VR_WEB6"

expect "attach $dev without a policy" vr attach "$dev"
expect_blocked "tap deny-all" tcp "$VR_WEB4" 8080
expect_blocked "tap deny-all" udp "$VR_WEB4" 7777
expect_blocked "tap deny-all" icmp "$VR_WEB4"
expect_blocked "tap deny-all" tcp "$VR_WEB6" 8080
expect_blocked "tap deny-all" udp "$VR_WEB6" 7777
expect_blocked "tap deny-all" icmp "$VR_WEB6"

policy=$(vr_policy tap '{"default": "deny",
	"allow": ["203.0.113.10:8080/tcp", "[2001:db8::10]:8080/tcp"]}')
expect "apply a policy to $dev" vr apply "$dev" --policy "$policy"
expect_reach "tap policy: allowed" tcp "$VR_WEB4" 8080
expect_reach "tap policy: allowed" tcp "$VR_WEB6" 8080
expect_blocked "tap policy: other port" tcp "$VR_WEB4" 9090
expect_blocked "tap policy: other port" tcp "$VR_WEB6" 9090
expect_blocked "tap policy: udp" udp "$VR_WEB4" 7777
expect_blocked "tap policy: icmp" icmp "$VR_WEB6"

# ---- crafted frames written into the tap, as a guest could ----
# With the relay stopped nothing else reaches the tap's ingress, so the
# counters move by exactly what is written here. Every frame carries a TCP SYN
# to a service the policy allows; only the wrapping differs.
vr_stop_relay
cat >"$VR_TMP/inject.py" <<'EOF'
import fcntl, os, socket, struct, sys

tap, dst_mac, net, kind = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000

def csum(data):
    data += b"\0" * (len(data) & 1)
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    return ~(s + (s >> 16)) & 0xFFFF

def ipv4_syn(src, dst, port):
    tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + tcp

def ipv6_syn(src, dst, port, segments_left=None):
    tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0)
    payload, nexthdr = tcp, 6
    if segments_left is not None:
        # routing header type 0 with one address to visit on the way
        rh = struct.pack("!BBBBI", 6, 2, 0, segments_left, 0)
        payload, nexthdr = rh + socket.inet_pton(socket.AF_INET6, "2001:db8::99") + tcp, 43
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nexthdr, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + payload

eth = bytes.fromhex(dst_mac.replace(":", "")) + bytes.fromhex("02767274000a")
v4 = ipv4_syn("10.231.%s.2" % net, "203.0.113.10", 8080)
v6 = lambda sl=None: ipv6_syn("fd00:231:%s::2" % net, "2001:db8::10", 8080, sl)
frames = {
    "ipv4": eth + b"\x08\x00" + v4,
    "ipv6": eth + b"\x86\xdd" + v6(),
    "ipv6-rh-done": eth + b"\x86\xdd" + v6(0),
    "vlan": eth + b"\x81\x00\x00\x64\x08\x00" + v4,
    "qinq": eth + b"\x88\xa8\x00\x64\x81\x00\x00\x65\x08\x00" + v4,
    "ipv6-rh": eth + b"\x86\xdd" + v6(1),
}
# A guest with a virtio-net header may leave its headers outside the linear
# area: hdr_len 14 on a frame larger than a page makes the tap put all but
# the Ethernet header into page fragments. A SYN with 4,200 bytes of data.
IFF_VNET_HDR = 0x4000
def syn_data(port):
    tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 0, 5 << 4, 0x02, 64240, 0, 0) + b"v" * 4200
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                      socket.inet_aton("10.231.%s.2" % net), socket.inet_aton("203.0.113.10"))
    return eth + b"\x08\x00" + hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + tcp
vnet = {"nonlinear": syn_data(8080), "nonlinear-blocked": syn_data(9090)}
fd = os.open("/dev/net/tun", os.O_RDWR)
if kind in vnet:
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
    os.write(fd, struct.pack("<BBHHHH", 0, 0, 14, 0, 0, 0) + vnet[kind])
else:
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", tap.encode(), IFF_TAP | IFF_NO_PI))
    os.write(fd, frames[kind])
os.close(fd)
EOF

# vr_inject NAME KIND allowed|dropped: one crafted frame moves one counter.
vr_inject() {
	local name=$1 kind=$2 want=$3 a0 d0 a1 d1 got
	a0=$(vr_counter "$dev" allowed_packets) d0=$(vr_counter "$dev" dropped_packets)
	"$VR_PY" "$VR_TMP/inject.py" "$dev" "$(cat "/sys/class/net/$dev/address")" \
		"$VR_NET" "$kind" 2>>"$VR_TMP/inject.log"
	sleep 0.1
	a1=$(vr_counter "$dev" allowed_packets) d1=$(vr_counter "$dev" dropped_packets)
	got="allowed +$((a1 - a0)), dropped +$((d1 - d0))"
	if { [ "$want" = allowed ] && [ "$got" = "allowed +1, dropped +0" ]; } ||
		{ [ "$want" = dropped ] && [ "$got" = "allowed +0, dropped +1" ]; }; then
		ok "crafted $name: $want"
	else
		not_ok "crafted $name: $got, want $want"
	fi
}
vr_inject "IPv4 SYN to an allowed service" ipv4 allowed
vr_inject "IPv6 SYN to an allowed service" ipv6 allowed
vr_inject "IPv6 routing header, no segments left" ipv6-rh-done allowed
vr_inject "802.1Q-tagged SYN to an allowed service" vlan dropped
vr_inject "802.1ad+802.1Q-tagged SYN to an allowed service" qinq dropped
vr_inject "IPv6 routing header with a segment left" ipv6-rh dropped
vr_inject "SYN with data, headers outside the linear area, to an allowed service" nonlinear allowed
vr_inject "SYN with data, headers outside the linear area, to another port" nonlinear-blocked \
	dropped

# ---- detach restores the tap ----
vr_start_relay
expect "detach $dev" vr detach "$dev"
expect_reach "detached tap" tcp "$VR_WEB4" 9090
expect_reach "detached tap" udp "$VR_WEB4" 7777
expect_reach "detached tap" tcp "$VR_WEB6" 9090
expect_reach "detached tap" icmp "$VR_WEB6"
