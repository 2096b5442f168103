#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# XDP mode behind a veth (or a tap: xdp_tap.sh): `attach --mode xdp` puts
# the decision on the host-side device's XDP hook too, before the tc
# program. What the policy allows still arrives (through both programs);
# a flood to a port it does not allow arrives nowhere and is dropped on the
# XDP hook (a veth counts its XDP drops; a tap counts none), counted and
# logged as in tc mode.
# `--mode tc` takes the XDP program off again, the tc program still filters;
# `--xdp-generic` runs it on the skb; detach leaves the device unfiltered.
# The control: the same flood arrives unfiltered.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

mode=${1:-veth}
vr_sandbox "$mode"
dev=$VR_DEV
vr_start_servers "tcp:$VR_WEB4:8080" "udp:$VR_WEB4:7777" "udp:$VR_WEB4:9999" \
	"tcp:$VR_WEB6:8080"
FLOOD=300

flood() { # PORT: $FLOOD UDP datagrams from the sandbox to VR_WEB4:PORT
	ip netns exec "$VR_SBX" "$VR_PY" -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"vrflood", (sys.argv[1], int(sys.argv[2])))
    if i % 50 == 49:
        time.sleep(0.01)  # the tap relay keeps up' "$VR_WEB4" "$1" "$FLOOD"
	sleep 0.3
}
xdp_drops() { # a veth's XDP drops (a tap keeps no count of them: 0)
	ethtool -S "$dev" 2>/dev/null | awk '/xdp_drops/ { n += $2 } END { print n + 0 }'
}
link_mode() { # xdp, xdpgeneric or none: what the kernel says is on the device's XDP hook
	ip -d link show dev "$dev" | grep -oE '\b(xdpgeneric|xdpoffload|xdpdrv|xdp)\b' | head -1 |
		sed 's/^$/none/' | grep . || echo none
}

# the control: unfiltered, the flood arrives
before=$(vr_count udp "$VR_WEB4" 9999)
flood 9999
after=$(vr_count udp "$VR_WEB4" 9999)
expect_eq "unfiltered: the flood arrives" "$((after - ${before/none/0} >= FLOOD / 2))" 1

expect_rc "--xdp-generic without --mode xdp is refused" 2 vr attach "$dev" --xdp-generic
expect_rc "--mode takes tc or xdp" 2 vr attach "$dev" --mode xdpx
policy=$(vr_policy xdp '{"default": "deny",
	"allow": ["203.0.113.10:8080/tcp", "203.0.113.10:7777/udp", "[2001:db8::10]:8080/tcp"]}')
expect "attach $dev in XDP mode" vr attach "$dev" --policy "$policy" --mode xdp
expect_eq "the kernel has our XDP program on $dev" "$(link_mode)" xdp
expect_eq "show says XDP mode, native" "$(vr_show_field "$dev" .xdp)" native
if vr list | grep "^$dev " | grep -q "  xdp native"; then
	ok "list says XDP mode, native"
else
	not_ok "list: $(vr list | grep "^$dev ")"
fi
expect_reach "xdp mode: allowed" tcp "$VR_WEB4" 8080
expect_reach "xdp mode: allowed" udp "$VR_WEB4" 7777
expect_reach "xdp mode: allowed" tcp "$VR_WEB6" 8080
expect_blocked "xdp mode" udp "$VR_WEB4" 9999
expect_blocked "xdp mode" icmp "$VR_WEB4"

drops0=$(vr_counter "$dev" dropped_packets) xdp0=$(xdp_drops) before=$(vr_count udp "$VR_WEB4" 9999)
flood 9999
expect_eq "xdp mode: none of the flood arrives" "$(vr_count udp "$VR_WEB4" 9999)" "$before"
drops=$(($(vr_counter "$dev" dropped_packets) - drops0))
expect_eq "xdp mode: the flood is counted as dropped ($drops)" "$((drops >= FLOOD))" 1
if [ "$mode" = veth ]; then
	xdp=$(($(xdp_drops) - xdp0))
	expect_eq "xdp mode: the veth dropped the flood on its XDP hook ($xdp)" "$((xdp >= FLOOD))" 1
fi
expect_rc "check: allowed through both programs" 0 vr check "$dev" 203.0.113.10:8080
expect_rc "check: the XDP program's drop" 1 vr check "$dev" 203.0.113.10:9999/udp
reason=$(vr -j check "$dev" 203.0.113.10:9999/udp | "$VR_PY" -c \
	'import json, sys; print(json.load(sys.stdin)["results"][0]["reason"])')
expect_eq "check: the reason is the default's" "$reason" default
# check runs the XDP program's copy first: without the copy it cannot, and says so
rm -f "$VR_PIN"/vrnet_xdp_[0-9]*
expect_rc "check: without the XDP program's copy, an error" 3 vr check "$dev" 203.0.113.10:8080
expect "attach again puts the copy back" vr attach "$dev"
expect_rc "check: through both programs again" 0 vr check "$dev" 203.0.113.10:8080
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -j log "$dev" >"$VR_TMP/log.json" 2>&1
if grep -q '"destination_port":9999' "$VR_TMP/log.json"; then
	ok "log: the flood's attempt is logged"
else
	not_ok "log: no attempt to port 9999: $(head -c 400 "$VR_TMP/log.json")"
fi

# the namespace's later devices link the program loaded for its first: one verification
ours_id() { # DEV: the id of our XDP program on DEV's hook, as libxdp lists it
	"$VRNET_TOOLS/xdpload" ids "$1" | awk '$1 == "vrnet_egress_xdp" { print $2 }'
}
first_id=$(ours_id "$dev")
second=vrq$VR_ID
vr_add_link "$second" type veth peer name "vrr$VR_ID"
ip link set "$second" up && ip link set "vrr$VR_ID" up
expect "attach a second device in XDP mode" vr attach "$second" --policy "$policy" --mode xdp
expect_eq "it runs the first device's XDP program (id $first_id)" "$(ours_id "$second")" \
	"${first_id:-none}"
expect "detach the second device" vr detach "$second"
expect_eq "the first keeps it" "$(ours_id "$dev")" "${first_id:-none}"

expect "--mode tc takes the XDP program off" vr attach "$dev" --mode tc
expect_eq "no XDP program on $dev" "$(link_mode)" none
expect_eq "show says tc mode" "$(vr_show_field "$dev" .xdp)" null
xdp0=$(xdp_drops) before=$(vr_count udp "$VR_WEB4" 9999)
flood 9999
expect_eq "tc mode: none of the flood arrives" "$(vr_count udp "$VR_WEB4" 9999)" "$before"
expect_eq "tc mode: no XDP drops" "$(($(xdp_drops) - xdp0))" 0
expect_reach "tc mode: allowed" tcp "$VR_WEB4" 8080

expect "attach in generic XDP mode" vr attach "$dev" --mode xdp --xdp-generic
expect_eq "the same program again, in generic mode" "$(ours_id "$dev")" "${first_id:-none}"
expect_eq "the kernel has it as generic XDP" "$(link_mode)" xdpgeneric
expect_eq "show says XDP mode, generic" "$(vr_show_field "$dev" .xdp)" generic
expect_blocked "generic xdp mode" udp "$VR_WEB4" 9999
expect_reach "generic xdp mode: allowed" tcp "$VR_WEB4" 8080
expect "attach again without --mode keeps it" vr attach "$dev"
expect_eq "still generic XDP" "$(link_mode)" xdpgeneric

expect "detach" vr detach "$dev"
expect_eq "detach took the XDP program off" "$(link_mode)" none
expect_eq "the namespace's last device gone, its XDP programs are unpinned" \
	"$(find "$VR_PIN" -name 'vrnet_xdp*' | wc -l)" 0
before=$(vr_count udp "$VR_WEB4" 9999)
flood 9999
after=$(vr_count udp "$VR_WEB4" 9999)
expect_eq "detached: the flood arrives again" "$((after - before >= FLOOD / 2))" 1
