#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: starve or crash the proxy from sandbox A: 200 TCP connections held
# open without a query (slowloris) and some sending a length of 65535 then
# nothing; malformed UDP (compression loop, a pointer into the header, 4 KiB
# of junk, QR=1, QDCOUNT 0 and 2, a name over 255 bytes); then 5,000 UDP
# queries for allowed names as fast as a socket sends. Meanwhile sandbox B
# (same namespace) must get 10 of 10 UDP answers and 5 of 5 TCP answers, and
# the proxy must still run. Control: B's answers before.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.111
vr_dns_upstream "$jail" 10.233.1.1 --host-record=api.example.test,203.0.113.111 \
	--address=/flood.example.test/203.0.113.111
expect "attach A" vj attach vrj --policy "$(vr_policy a '{"default": "deny",
	"allow": ["api.example.test:443/tcp", "*.flood.example.test:443/tcp"]}')"
sbx2=vrsbx2$VR_ID
vr_jail_add_sandbox "$jail" "$sbx2" vrj2 vrk2 2
expect "attach B" vj attach vrj2 --policy "$(vr_policy b '{"default": "deny", "allow": ["api.example.test:443/tcp"]}')"
rt_proxy
proxy_pid=${vr_pids[-1]}
b_answers() { # N [+tcp]
	local n=0
	for _ in $(seq "$1"); do
		[ "$(in=$sbx2 lookup 192.0.2.53 api.example.test A "${2:-}")" = 203.0.113.111 ] && n=$((n + 1))
	done
	echo "$n"
}
expect_eq "control: B's UDP answers before" "$(b_answers 10)" 10
expect_eq "control: B's TCP answers before" "$(b_answers 5 +tcp)" 5
cat >"$VR_TMP/attack.py" <<'PY'
import socket, struct, sys, time
D = "192.0.2.53"
def q(name, hdr=(0x1111, 0x0100, 1, 0, 0, 0), qt=1):
    return struct.pack(">HHHHHH", *hdr) + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qt, 1)
held = []
for i in range(200):  # slowloris: connections that never finish a query
    try:
        s = socket.socket(); s.setblocking(False); s.connect_ex((D, 53)); held.append(s)
    except OSError: pass
time.sleep(1)
for s in held[:50]:
    try: s.send(b"\xff\xff" + b"x" * 100)
    except OSError: pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad = [struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c" + b"\0\1\0\1",    # pointer to itself
       struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x02" + b"\0\1\0\1",    # into the header
       b"\xaa" * 4096, q("api.example.test", (1, 0x8100, 1, 0, 0, 0)),
       q("api.example.test", (1, 0x0100, 0, 0, 0, 0)), q("api.example.test", (1, 0x0100, 2, 0, 0, 0)),
       struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1"]
for b in bad * 20:
    u.sendto(b, (D, 53))
end = time.time() + 10
for i in range(5000):
    if time.time() > end: break
    u.sendto(q("n%d.flood.example.test" % i), (D, 53))
time.sleep(float(sys.argv[1]))
PY
ip netns exec "$sbx" "$VR_PY" "$VR_TMP/attack.py" 12 & apid=$!
vr_pids+=("$apid")
sleep 2
udp=$(b_answers 10); tcp=$(b_answers 5 +tcp)
expect_eq "attack: B's UDP answers during A's attack" "$udp" 10
expect_eq "attack: B's TCP answers during A's attack" "$tcp" 5
alive=dead; kill -0 "$proxy_pid" 2>/dev/null && alive=alive
expect_eq "the proxy" "$alive" alive
rate=$(grep -c . "$VR_TMP/proxy.log")
echo "# proxy log lines: $rate; A's dns_rate drops: $(vj show vrj -j | grep -o '"dns_rate[^,]*' | head -2 | tr '\n' ' ')"
vr_stop_pid "$apid"
if [ "$alive" = alive ] && [ "$udp" = 10 ] && [ "$tcp" = 5 ]; then
	rt_result starve_proxy HOLDS "B got 10/10 UDP and 5/5 TCP during A's slowloris, malformed and flood; proxy alive"
else
	rt_result starve_proxy DoS "B got $udp/10 UDP, $tcp/5 TCP; proxy $alive"
fi
echo "$vr_passed passed, $vr_failed failed"
