#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# DNS steering (docs/dns-proxy.md): with "dns_proxy": true, a sandbox's DNS
# query to any server, over UDP and TCP, IPv4 and IPv6, reaches whatever
# listens on this namespace's vrdns0 (here a stand-in for the proxy that
# answers with the client address it saw), and the answer comes back from
# the server the sandbox asked. The host side lives in a namespace of its
# own, so vrdns0 is made there.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init

vr_jail_sandbox
jail=$VR_JAIL sbx=$VR_SBX
vj() { vr -n "$jail" "$@"; }

cat >"$VR_TMP/standin.py" <<'PY'
import os, socket, sys, threading, time
out = sys.argv[1]
def udp(fam, addr):
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((addr, 53))
    while True:
        d, a = s.recvfrom(512); s.sendto(b"proxy:" + a[0].encode(), a)
def tcp(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, 53)); s.listen(8)
    while True:
        c, a = s.accept(); c.recv(512); c.sendall(b"proxy:" + a[0].encode()); c.close()
for f, a in ((socket.AF_INET, "198.18.0.1"), (socket.AF_INET6, "fd76:726e:6574:5353::1")):
    for fn in (udp, tcp):
        threading.Thread(target=fn, args=(f, a), daemon=True).start()
time.sleep(0.3)
open(out, "w").close()
time.sleep(120)
PY
cat >"$VR_TMP/ask.py" <<'PY'
import socket, sys
proto, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
try:
    if proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM); s.settimeout(1)
        s.sendto(b"q", (addr, port)); d, a = s.recvfrom(512)
    else:
        s = socket.create_connection((addr, port), timeout=1); s.sendall(b"q")
        d, a = s.recv(512), s.getpeername()
    print("%s from %s:%d" % (d.decode(), a[0], a[1]))
except OSError:
    print("nothing")
PY
ask() { ip netns exec "$sbx" "$VR_PY" "$VR_TMP/ask.py" "$@"; }
expect_answer() { # NAME WANT PROTO ADDR PORT: the answer (its text and sender) matches WANT
	local got
	got=$(ask "$3" "$4" "$5")
	# shellcheck disable=SC2053 # WANT is a glob
	if [[ $got == $2 ]]; then
		ok "$1: $got"
	else
		not_ok "$1: \"$got\", want \"$2\""
	fi
}

expect_answer "unfiltered: nobody answers at 192.0.2.53" "nothing" udp 192.0.2.53 53
policy=$(vr_policy dns '{"default": "deny", "dns_proxy": true}')
expect "attach with dns_proxy" vj attach vrj --policy "$policy"
if ip -n "$jail" -d link show vrdns0 2>/dev/null | grep -q NOARP &&
	ip -n "$jail" addr show dev vrdns0 | grep -q "198.18.0.1/15"; then
	ok "vrdns0 is in the jail, NOARP, with the proxy's address"
else
	not_ok "vrdns0 in the jail: $(ip -n "$jail" addr show dev vrdns0 2>&1 | head -3)"
fi
ip netns exec "$jail" "$VR_PY" "$VR_TMP/standin.py" "$VR_TMP/standin.ready" &
vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/standin.ready" || vr_fatal "the stand-in proxy"

expect_answer "udp to 192.0.2.53" "proxy:198.18.0.* from 192.0.2.53:53" udp 192.0.2.53 53
expect_answer "tcp to 192.0.2.53" "proxy:198.18.0.* from 192.0.2.53:53" tcp 192.0.2.53 53
expect_answer "udp to another server" "proxy:198.18.0.* from 198.51.100.9:53" udp 198.51.100.9 53
expect_answer "udp to [2001:db8::53]" "proxy:fd76:726e:6574:5353::* from 2001:db8::53:53" \
	udp 2001:db8::53 53
expect_answer "tcp to [2001:db8::53]" "proxy:fd76:726e:6574:5353::* from 2001:db8::53:53" \
	tcp 2001:db8::53 53
expect_answer "not DNS: the policy still decides" "nothing" udp 192.0.2.53 54

expect "apply without dns_proxy" vj apply vrj --policy "$(vr_policy nodns '{"default": "deny"}')"
expect_answer "without dns_proxy nothing is steered" "nothing" udp 192.0.2.53 53
expect "detach" vj detach vrj
if ip -n "$jail" link show vrdns0 >/dev/null 2>&1; then
	not_ok "vrdns0 outlived the jail's last device"
else
	ok "vrdns0 went with the jail's last device"
fi
