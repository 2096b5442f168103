#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: a neighbour sandbox X in the same namespace whose policy has no name
# rules (so it is not steered) and allows what it sends (default allow) sends
# queries straight to the proxy's address with the *victim's client address*
# as source (fd76:726e:6574:5353::2+slot, 198.18.0.2+slot). The proxy knows
# the device from the source address alone (dns_proxy.c slot_of), so such
# queries were once taken for V's: decided by V's policy, counted as V's, and
# filling V's 32 queries in flight (DoS). The proxy's sockets are now bound
# to vrdns0 (dns_listen.c), which only the steering redirects into.
# Controls: V's lookup works before; X's queries from its own address get
# nothing (slot -1); V itself is the one rate-limited.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.91
# the slow part of the upstream: a server that reads and never answers
cat >"$VR_TMP/sink.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.233.1.1", 5399)); s.settimeout(1)
open(sys.argv[1], "w").close(); end = time.time() + 120
while time.time() < end:
    try: s.recv(4096)
    except OSError: pass
PY
ip netns exec "$jail" "$VR_PY" "$VR_TMP/sink.py" "$VR_TMP/sink.ready" & vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/sink.ready" || vr_fatal sink
vr_dns_upstream "$jail" 10.233.1.1 --host-record=api.example.test,203.0.113.91 \
	--server=/slow.example.test/10.233.1.1#5399
vr_dns_services "$jail"
expect "attach V" vj attach vrj --policy "$(vr_policy v '{"default": "deny",
	"allow": ["api.example.test:443/tcp", "*.slow.example.test:443/tcp"]}')"
sbx2=vrsbx2$VR_ID
vr_jail_add_sandbox "$jail" "$sbx2" vrj2 vrk2 2
expect "attach X (default allow, no names)" vj attach vrj2 --policy "$(vr_policy x '{"default": "allow"}')"
rt_proxy
expect_lookup "control: V's lookup before" 203.0.113.91 192.0.2.53 api.example.test A
slot=$("$VR_PY" -c 'import json, sys
for l in open(sys.argv[1]):
    try: d = json.loads(l)
    except ValueError: continue
    if d.get("name") == "api.example.test.": print(d["slot"]); break' "$VR_TMP/proxy.log")
[ -n "$slot" ] || vr_fatal "V's slot: $(head -3 "$VR_TMP/proxy.log")"
v6=fd76:726e:6574:5353::$(printf %x $((2 + slot)))
v4=198.18.0.$((2 + slot))
echo "# V is slot $slot: client addresses $v4, $v6"
ip -n "$sbx2" -6 addr add "$v6/128" dev vrk2 nodad
ip -n "$sbx2" addr add "$v4/32" dev vrk2

cat >"$VR_TMP/flood.py" <<'PY'
import socket, struct, sys, random
src, dst, n, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((src, 0))
def q(name):
    h = struct.pack(">HHHHHH", random.randrange(65536), 0x0100, 1, 0, 0, 0)
    return h + b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
for i in range(n):
    s.sendto(q("%s%d.slow.example.test" % (tag, i)), (dst, 53))
PY
# control: X from its own address: no slot, nothing attributed
ip netns exec "$sbx2" "$VR_PY" "$VR_TMP/flood.py" 10.233.2.2 198.18.0.1 5 own
sleep 0.5
own=$(grep -c '"name":"own[0-9]*.slow.example.test."' "$VR_TMP/proxy.log")
expect_eq "control: X's own-address queries attributed to anyone" "$own" 0
# attack: 64 queries as V over IPv6 (no rp_filter there), then V asks
ip netns exec "$sbx2" "$VR_PY" "$VR_TMP/flood.py" "$v6" fd76:726e:6574:5353::1 64 sp
sleep 0.3
got=$(lookup 192.0.2.53 api.example.test A)
expect_eq "attack (IPv6 spoof): V's lookup during X's flood (want the answer)" "$got" 203.0.113.91
seen=$(grep -c '"name":"sp[0-9]*.slow.example.test."' "$VR_TMP/proxy.log")
upstream=$(grep -c "query\[A\] sp[0-9]*.slow.example.test from" "$VR_TMP/dnsmasq.log")
echo "# the proxy logged $seen of X's spoofed queries so far; the upstream saw $upstream"
sleep 7 # c-ares gives up (2 tries of 3 s): V's bound frees
expect_lookup "V after the flood drained" 203.0.113.91 192.0.2.53 api.example.test A
seen=$(grep '"name":"sp[0-9]*.slow.example.test."' "$VR_TMP/proxy.log" | grep -c "\"slot\":$slot,")
echo "# proxy lines for X's spoofed names with V's slot: $seen"
# IPv4 variant (rp_filter $(ip netns exec "$jail" sysctl -n net.ipv4.conf.all.rp_filter) in the jail)
ip netns exec "$sbx2" "$VR_PY" "$VR_TMP/flood.py" "$v4" 198.18.0.1 64 sq
sleep 0.3
got4=$(lookup 192.0.2.53 api.example.test A)
expect_eq "attack (IPv4 spoof): V's lookup during X's flood (want the answer)" "$got4" 203.0.113.91
sleep 0.5
up4=$(grep -c "query\[A\] sq[0-9]*.slow.example.test from" "$VR_TMP/dnsmasq.log")
echo "# IPv4: upstream saw $up4 of X's spoofed queries"
if [ "$got" != 203.0.113.91 ] || [ "$got4" != 203.0.113.91 ]; then
	rt_result spoof_client_address DoS "V's lookup got \"$got\" (v6) / \"$got4\" (v4) while X's queries as slot $slot filled its 32 in flight; upstream saw $upstream (v6) + $up4 (v4) spoofed queries"
elif [ "$upstream" -gt 0 ] || [ "$up4" -gt 0 ]; then
	rt_result spoof_client_address LEAKS "X's queries were taken for V's ($upstream + $up4 asked upstream) but V was not starved"
else
	rt_result spoof_client_address HOLDS "spoofed queries never taken"
fi
echo "$vr_passed passed, $vr_failed failed"
