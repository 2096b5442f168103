# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Helpers of the DNS proxy suites (dns_proxy.sh, dns_service.sh), sourced
# after lib.sh: dnsmasq as the upstream with its query log, services to
# connect to in a jail, and the sandbox's side (dig and a TCP connect). The
# sandbox is $in when set, else $VR_SBX.

# vr_dns_upstream JAIL ADDR ARGS...: dnsmasq in JAIL on ADDR:5353, serving
# only what ARGS say, every query logged in $VR_TMP/dnsmasq.log.
vr_dns_upstream() {
	local jail=$1 addr=$2
	shift 2
	ip netns exec "$jail" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
		--listen-address="$addr" --port=5353 --log-queries \
		--log-facility="$VR_TMP/dnsmasq.log" --pid-file="$VR_TMP/dnsmasq.pid" \
		"$@" 2>"$VR_TMP/dnsmasq.err" &
	vr_pids+=($!)
	vr_wait_for 3 test -s "$VR_TMP/dnsmasq.pid" || vr_fatal "dnsmasq: $(cat "$VR_TMP/dnsmasq.err")"
}

# vr_dns_services JAIL: TCP 443 and 8080 on every address of JAIL, answering "vr".
vr_dns_services() {
	cat >"$VR_TMP/svc.py" <<'PY'
import socket, sys, threading, time
def serve(fam, port):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port)); s.listen(16)
    while True:
        c, _ = s.accept(); c.sendall(b"vr"); c.close()
for port in (443, 8080):
    for fam in (socket.AF_INET, socket.AF_INET6):
        threading.Thread(target=serve, args=(fam, port), daemon=True).start()
time.sleep(0.3); open(sys.argv[1], "w").close(); time.sleep(300)
PY
	ip netns exec "$1" "$VR_PY" "$VR_TMP/svc.py" "$VR_TMP/svc.$1.ready" 2>>"$VR_TMP/svc.log" &
	vr_pids+=($!)
	vr_wait_for 3 test -e "$VR_TMP/svc.$1.ready" || vr_fatal "services in $1: $(cat "$VR_TMP/svc.log")"
}

# lookup SERVER NAME TYPE [+tcp]: the answer's addresses, or its status when it
# has none; nothing when no answer came within 2 s.
lookup() {
	local out
	out=$(ip netns exec "${in:-$VR_SBX}" dig +time=2 +tries=1 +noall +answer +comments \
		${4:+"$4"} "@$1" "$2" "$3")
	if grep -q "status: NOERROR" <<<"$out"; then
		awk '$4 == "A" || $4 == "AAAA" { print $5 }' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//'
	else
		sed -n 's/.*status: \([A-Z]*\).*/\1/p' <<<"$out" | head -1
	fi
}

expect_lookup() { # NAME WANT SERVER QNAME TYPE [+tcp]
	local got
	got=$(lookup "$3" "$4" "$5" "${6:-}")
	if [ "$got" = "$2" ]; then
		ok "$1: $4 $5 -> $got"
	else
		not_ok "$1: $4 $5 -> \"$got\", want \"$2\""
	fi
}

connects() { # ADDR PORT: a TCP connection that hears "vr" within 1 s
	ip netns exec "${in:-$VR_SBX}" "$VR_PY" -c 'import socket, sys
try:
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1)
    sys.exit(0 if s.recv(2) == b"vr" else 1)
except OSError:
    sys.exit(1)' "$1" "$2"
}

expect_connect() { # NAME reach|blocked ADDR PORT: three tries (the first may wait for neighbours)
	local got=blocked
	for _ in 1 2 3; do
		connects "$3" "$4" && got=reach && break
	done
	if [ "$got" = "$2" ]; then
		ok "$1: $3:$4 $got"
	else
		not_ok "$1: $3:$4 $got, want $2"
	fi
}

upstream_saw() { # NAME: how many queries for NAME the upstream logged
	grep -c "query\[.*\] $1 from" "$VR_TMP/dnsmasq.log" 2>/dev/null
}
