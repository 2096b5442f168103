#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# IPv4 options on real packets: a sandbox sends UDP to an address and port
# its policy allows, with a loose or strict source route (which would send the
# packet on to another host), a source route after other options, and options
# that run past the header. Each must stop at the filter; the same packets
# without the filter, and the same packet without options, must get past it.
# An nftables counter at prerouting -500 (before the IP stack judges options)
# counts what got past.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init nft

vr_veth_sandbox
dev=$VR_DEV

# send.py DST PORT OPTIONS-HEX: one UDP packet with those IPv4 options (padded
# to whole words with END), through a raw socket that writes the IP header.
cat >"$VR_TMP/send.py" <<'PY'
import socket, struct, sys

dst, port, opts = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
opts += b"\0" * (-len(opts) % 4)
src = socket.inet_aton(sys.argv[4])
payload = b"vrprobe"
udp = struct.pack("!HHHH", 40000, port, 8 + len(payload), 0) + payload
ihl = 5 + len(opts) // 4
hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(udp), 1, 0, 64, 17, 0,
                  src, socket.inet_aton(dst)) + opts
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(hdr + udp, (dst, 0))
PY

src=10.231.$VR_NET.2
# name|options (hex)|dport: the counter rule matches dport, so each case has its own
cases=(
	"loose source route|8307040a0a0a0a|7001"
	"strict source route|8907040a0a0a0a|7002"
	"source route after a NOP and a record route|010707040000000089030400|7003"
	"option running past the header|0709040000000000|7004"
	"option of length 1|07010000|7005"
)
control_port=7000

for c in "${cases[@]}" "no options||$control_port"; do
	IFS='|' read -r _ _ port <<<"$c"
	vr_nft_counter "p$port" iifname "$dev" ip daddr "$VR_WEB4" udp dport "$port"
done
allow='"203.0.113.10:7000-7005/udp"'
policy=$(vr_policy p "{\"default\": \"deny\", \"allow\": [$allow]}")

# send_all: every case once, then what each counter says
send_all() {
	local c opts port
	for c in "${cases[@]}" "no options||$control_port"; do
		IFS='|' read -r _ opts port <<<"$c"
		ip netns exec "$VR_SBX" "$VR_PY" "$VR_TMP/send.py" "$VR_WEB4" "$port" "$opts" "$src" ||
			vr_fatal "send.py failed"
	done
	sleep 0.2
}

# ---- unfiltered: every probe gets past (the attack could leak) ----
send_all
for c in "${cases[@]}" "no options||$control_port"; do
	IFS='|' read -r name _ port <<<"$c"
	n=$(vr_nft_packets "p$port")
	if [ "$n" = 1 ]; then ok "unfiltered: $name got past"; else not_ok "unfiltered: $name: $n"; fi
done

# ---- filtered: the allowed address and port, options dropped ----
expect "attach with a policy allowing the ports" vr attach "$dev" --policy "$policy"
send_all
for c in "${cases[@]}"; do
	IFS='|' read -r name _ port <<<"$c"
	n=$(vr_nft_packets "p$port")
	if [ "$n" = 1 ]; then ok "filtered: $name dropped"; else not_ok "filtered: $name got past ($n)"; fi
done
n=$(vr_nft_packets "p$control_port")
if [ "$n" = 2 ]; then ok "filtered: no options passed (control)"; else not_ok "filtered: control $n"; fi
malformed=$(vr_show_field "$dev" '.counters.dropped_packets')
if [ "$malformed" -ge ${#cases[@]} ]; then
	ok "filtered: the drops are counted ($malformed)"
else
	not_ok "filtered: dropped_packets $malformed"
fi
