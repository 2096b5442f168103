#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Neighbour discovery and MLD as a channel: ICMPv6 the sandbox writes itself
# (a raw socket) in the exempt types but not their shapes — a solicitation
# carrying 1,000 bytes, one to ff02::1 (no solicited-node group), an MLD
# query (a sandbox is no router). Without a filter each reaches the host
# device; filtered under deny-all none does, while a plain solicitation to a
# solicited-node group still does. Each message carries a marker the
# receiver looks for (in the target or group address, or the payload).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_veth_sandbox
dev=$VR_DEV peer=vrs$VR_ID

cat >"$VR_TMP/send.py" <<'EOF'
import socket, struct, sys
ifc = sys.argv[1]
idx = socket.if_nametoindex(ifc)
def send(dst, hops, msg):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, hops)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hops)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
    s.sendto(msg, (dst, 0, 0, idx))
def ns(marker, tail=b""):  # type 135, the marker in the target's last 6 bytes
    target = b"\xfe\x80" + b"\0" * 8 + marker
    return struct.pack("!BBHI", 135, 0, 0, 0) + target + tail
def query(marker):  # MLDv1 query, the marker in the group address
    return struct.pack("!BBHHH", 130, 0, 0, 0, 0) + b"\xff\x02" + b"\0" * 8 + marker
which = sys.argv[2:]
if "1" in which: send("ff02::1:ff00:99", 255, ns(b"vrnd-1"))
if "2" in which: send("ff02::1:ff00:99", 255, ns(b"vrnd-2", b"x" * 1000))
if "3" in which: send("ff02::1", 255, ns(b"vrnd-3"))
if "4" in which: send("ff02::1", 1, query(b"vrnd-4"))
EOF

run_round() { # the markers of the four messages that reach the host device
	vr_markers_through "$dev" 86dd vrnd- \
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/send.py" "$peer" 1 2 3 4
}

expect_markers "unfiltered: all four reach the host device (the channel is open)" \
	"vrnd-1 vrnd-2 vrnd-3 vrnd-4" run_round
expect "attach deny-all" vr attach "$dev"
expect_markers "filtered: only the plain solicitation arrives" "vrnd-1" run_round
# the real thing still works: the sandbox resolves the host and pings it
expect "apply: icmp to one host address" vr apply "$dev" \
	--policy "$(vr_policy p "{\"default\": \"deny\", \"allow\": [\"[$VR_WEB6]:*/icmp\"]}")"
ip -n "$VR_SBX" -6 neigh flush dev "$peer"
ip -6 neigh flush dev "$dev"
expect_reach "neighbour discovery from scratch, then ping" icmp "$VR_WEB6"
expect "detach" vr detach "$dev"
