#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# ARP as a channel: frames the sandbox writes itself (AF_PACKET) with an ARP
# ethertype but not the shape address resolution needs — another hardware
# type with 200-byte addresses, a request carrying data after its body, a
# reply to a unicast MAC that is not the host's, a RARP operation. Without a
# filter each reaches the host device (a bridge would forward it to every
# port); filtered, none does, while the plain request and the reply to the
# host's MAC still do.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
dev=$VR_DEV peer=vrs$VR_ID
host_mac=$(cat "/sys/class/net/$dev/address")

# sender in the sandbox: each frame carries its marker vrarp-N
cat >"$VR_TMP/send.py" <<'EOF'
import socket, struct, sys
ifc, host_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifc, 0))
src = s.getsockname()[4]
bcast = b"\xff" * 6
def arp(dst, htype=1, ptype=0x0800, hlen=6, plen=4, op=1, tail=b""):
    body = struct.pack("!HHBBH", htype, ptype, hlen, plen, op)
    body += src[:hlen].ljust(hlen, b"\0") + b"\xc0\x00\x02\x02"[:plen].ljust(plen, b"\0")
    body += b"\0" * hlen + b"\xc0\x00\x02\x01"[:plen].ljust(plen, b"\0")
    return dst + src + b"\x08\x06" + body + tail
frames = {
    # a plain request and a reply to the host's MAC; the marker sits in the padding
    "1": arp(bcast, tail=b"vrarp-1"),
    "2": arp(host_mac, op=2, tail=b"vrarp-2"),
    # the channel: what must not get through
    "3": arp(bcast, htype=0xffff, hlen=200, tail=b"vrarp-3"),
    "4": arp(bcast, tail=b"vrarp-4" + b"x" * 1000),
    "5": arp(b"\x02\x00\x00\x00\x00\x99", op=2, tail=b"vrarp-5"),
    "6": arp(bcast, op=3, tail=b"vrarp-6"),
}
for k in sys.argv[3:]:
    s.send(frames[k])
EOF

run_round() { # the markers of the six frames that reach the host device
	vr_markers_through "$dev" 0806 vrarp- \
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/send.py" "$peer" "$host_mac" 1 2 3 4 5 6
}

expect_markers "unfiltered: all six ARP frames reach the host device (the channel is open)" \
	"vrarp-1 vrarp-2 vrarp-3 vrarp-4 vrarp-5 vrarp-6" run_round
expect "attach deny-all" vr attach "$dev"
expect_markers "filtered: only the plain request and the reply to the host's MAC arrive" \
	"vrarp-1 vrarp-2" run_round
if [ "$(vr_counter "$dev" dropped_packets)" -ge 4 ]; then
	ok "the four are counted as dropped"
else
	not_ok "dropped: $(vr_counter "$dev" dropped_packets)"
fi
expect "detach" vr detach "$dev"
