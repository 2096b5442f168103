#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack (race with policy edits): the sandbox asks for a name its wildcard
# allows, whose upstream answer is slow; while the query is upstream, the
# operator blocks the name (`block DEV NAME`, an edit: same base policy).
# The late answer must open nothing: the proxy once opened it under the
# decision it made before asking, the wildcard's, which the block overrode.
# Control: the same late answer with no edit in between opens its address.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.83 203.0.113.84
# the slow part of the upstream: answers every A query with 203.0.113.8N
# (N from the name: late3 -> .83) after 1.5 s
cat >"$VR_TMP/late.py" <<'PY'
import socket, struct, sys, threading, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.233.1.1", 5399))
def answer(q, peer):
    time.sleep(1.5)
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    addr = bytes([203, 0, 113, 80 + int(chr(q[17]))])  # "\x05late3..." -> 83
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 3600, 4) + addr
    s.sendto(q[:2] + b"\x81\x80" + struct.pack(">HHHH", 1, 1, 0, 0) + question + rr, peer)
open(sys.argv[1], "w").close()
while True:
    q, peer = s.recvfrom(4096)
    threading.Thread(target=answer, args=(q, peer), daemon=True).start()
PY
ip netns exec "$jail" timeout 120 "$VR_PY" "$VR_TMP/late.py" "$VR_TMP/late.ready" &
vr_pids+=($!)
vr_wait_for 3 test -e "$VR_TMP/late.ready" || vr_fatal "the slow upstream did not start"
vr_dns_upstream "$jail" 10.233.1.1 --server=/late.example.test/10.233.1.1#5399
vr_dns_services "$jail"
expect "attach" vj attach vrj --policy "$(vr_policy p '{"default": "deny",
	"allow": ["*.late.example.test:443/tcp"]}')"
rt_proxy

# control: a late answer with no edit in between opens its address
expect_lookup "control: a late answer" 203.0.113.84 192.0.2.53 late4.late.example.test A
expect_connect "control: its address opened" reach 203.0.113.84 443

# the attack: the edit lands while the query is upstream
in_sbx_dig() { # NAME: the answer's status and addresses
	ip netns exec "$sbx" dig +time=4 +tries=1 +noall +comments +answer @192.0.2.53 "$1" A |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p; s/.*[[:space:]]A[[:space:]]\+\([0-9.]*\)$/\1/p'
}
in_sbx_dig late3.late.example.test >"$VR_TMP/late3.out" 2>&1 &
dig_pid=$!
sleep 0.5
expect "operator: block late3.late.example.test while its query is upstream" \
	vj block vrj late3.late.example.test
wait "$dig_pid"
echo "# the sandbox's late answer: \"$(tr '\n' ' ' <"$VR_TMP/late3.out")\""
# the edit landed while the query was upstream: asked there, then refused
expect_eq "the query reached the upstream before the edit" "$(upstream_saw late3.late.example.test)" 1
expect_eq "the late answer is refused" "$(tr -d ' \n' <"$VR_TMP/late3.out")" NXDOMAIN
rt_closed late_answer_after_block 203.0.113.83 443 \
	"the late answer opened 203.0.113.83:443 after 'block vrj late3.late.example.test'" \
	"the late answer opened nothing (answer: $(tr '\n' ' ' <"$VR_TMP/late3.out"))"
echo "$vr_passed passed, $vr_failed failed"
