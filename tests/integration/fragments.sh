#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Fragmented datagrams from a sandbox through a filtered veth: a 4 KB UDP
# datagram (three fragments at MTU 1500) to an allowed port arrives whole,
# IPv4 and IPv6; to a port no rule allows, none of it arrives (the control:
# its later fragments alone would match no port rule either way, so the
# first fragment's verdict is what keeps it out). Before fragments were
# followed, the allowed datagram lost its later fragments and never arrived.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_jail_sandbox
jail=$VR_JAIL sbx=$VR_SBX
vj() { vr -n "$jail" "$@"; }

# the receiver, in the jail: the size of each datagram it gets, a line per port
cat >"$VR_TMP/recv.py" <<'PY'
import select, socket, sys, time
socks = {}
for fam, host in ((socket.AF_INET, "10.233.1.1"), (socket.AF_INET6, "fd00:233:1::1")):
    for port in (9999, 9998):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host, port))
        socks[s] = "%s %d" % ("v4" if fam == socket.AF_INET else "v6", port)
open(sys.argv[1], "w").close()
out = open(sys.argv[2], "w", buffering=1)
end = time.time() + 60
while time.time() < end:
    for s in select.select(list(socks), [], [], 0.5)[0]:
        out.write("%s %d\n" % (socks[s], len(s.recv(65536))))
PY
ip netns exec "$jail" "$VR_PY" "$VR_TMP/recv.py" "$VR_TMP/recv.ready" "$VR_TMP/got" \
	2>"$VR_TMP/recv.err" &
vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/recv.ready" || vr_fatal "receiver: $(cat "$VR_TMP/recv.err")"

expect "attach with port rules only" vj attach vrj --policy "$(vr_policy p '{"default": "deny",
	"allow": ["10.233.1.1:9999/udp", "[fd00:233:1::1]:9999/udp"]}')"

send() { # ADDR PORT: one 4000-byte datagram from the sandbox
	ip netns exec "$sbx" "$VR_PY" -c 'import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
socket.socket(fam, socket.SOCK_DGRAM).sendto(b"v" * 4000, (sys.argv[1], int(sys.argv[2])))' "$1" "$2"
}
arrived() { grep -c "^$1 $2 4000$" "$VR_TMP/got"; } # FAMILY PORT

for fam in v4 v6; do
	addr=10.233.1.1
	[ "$fam" = v6 ] && addr=fd00:233:1::1
	send "$addr" 9999
	send "$addr" 9998
	sleep 0.5
	expect_eq "$fam: a 4000-byte datagram to the allowed port arrives whole" "$(arrived $fam 9999)" 1
	expect_eq "$fam: one to a port no rule allows does not arrive" "$(arrived $fam 9998)" 0
done
# the blocked datagrams' later fragments are logged with their reason
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -n "$jail" -j log vrj >"$VR_TMP/log.json" 2>&1
if grep -q '"reason":"fragment"' "$VR_TMP/log.json"; then
	ok "log: later fragments dropped with reason fragment"
else
	not_ok "log: no reason fragment: $(head -c 400 "$VR_TMP/log.json")"
fi
drops=$(vj -j show vrj | "$VR_PY" -c 'import json, sys; print(json.load(sys.stdin)["counters"]["dropped_packets"])')
# the blocked datagrams: 2 first fragments (their verdict) and 4 later ones (reason fragment)
if [ "$drops" -ge 6 ]; then
	ok "the blocked datagrams' fragments were dropped and counted ($drops)"
else
	not_ok "dropped packets: $drops, want at least 6"
fi
