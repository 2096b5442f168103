#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# DNS proxy benchmark (issue 10): what `vrnet-bpf dns` costs a sandbox's
# lookups, in one run, side by side with the same lookups asked of the
# upstream directly.
#
#  1. dnsperf from the sandbox: queries/s at full load, and the latency of
#     every query (dnsperf -v) at a fixed rate well below either maximum;
#     the proxy's added latency is the difference of the two.
#  2. The proxy's own open_ns (its -j lines): from the upstream's answer to
#     the answer's release, the opened addresses written to the map between.
#  3. A connect test: N lookups of distinct names through the proxy, each
#     followed at once by a TCP connect to the address it answered, an
#     address nothing has opened before. Failures, and the SYNs the filter
#     dropped (its drop counter and the sandbox's SYN retransmits), which
#     must be zero: the address is open before the answer is released.
#
#   BENCH=quick bench/dns.sh   # default: 5 s dnsperf runs, 1 round, ~35 s
#   BENCH=full  bench/dns.sh   # 10 s runs, 3 rounds (median, min, max), ~2.5 min
#
# Needs root, dig, dnsmasq, dnsperf, nstat, python3 with dnspython
# (python3-dnspython), $VRNET_BIN (build/vrnet-bpf) and what the integration
# suites need (tests/integration/lib.sh). One JSON document on stdout,
# progress on stderr.
#
# Topology: that of tests/integration/dns_proxy.sh (vr_jail_sandbox), as
# under Firecracker's jailer. Namespace vrjail$$ holds the host side vrj of
# a veth, 10.233.1.1/24, with the filter on it, the upstream (dnsmasq on
# 10.233.1.1:5353), the proxy (`vrnet-bpf -n JAIL dns -j`, which makes the
# vrdns0/vrdns1 pair there) and the connect test's listener; namespace
# vrsbx$$ (the sandbox) holds vrk, 10.233.1.2, and the clients. The connect
# test's addresses are 10.234.0.0/16, a local route of the jail. Nothing is
# forwarded, nothing leaves the two namespaces.

set -u

# The integration suites' helpers: the jail topology, and the registries
# whose EXIT trap removes what is made here (its namespaces, servers, pin
# directory /sys/fs/bpf/vrpin$$ and temporary directory) on every path.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/integration/lib.sh"
BENCH=${BENCH:-quick}
[ "$BENCH" = quick ] || [ "$BENCH" = full ] || {
	echo "dns.sh: BENCH must be quick or full" >&2
	exit 2
}
D=5 R=1 # seconds a dnsperf run, rounds
[ "$BENCH" = full ] && D=10 R=3

UP=10.233.1.1 # the upstream, on the jail's side of the veth
UP_PORT=5353  # not 53: the datapath steers only port 53, so the direct run is not steered
SERVER=192.0.2.53 # the server the sandbox asks through the proxy (any would do)
NAMES=1000        # distinct names in dnsperf's query file
RATE=1000         # queries/s of the latency runs
LOOKUPS=${LOOKUPS:-10000} # lookups of the connect test
CONN_PORT=8080
PY=$VR_PY
DNSECHO=${DNSECHO:-$VR_TOP/build/bench/dnsecho} # the floor: make bench-wire-bins

log() {
	printf '[dns %s] %s\n' "$(date +%T)" "$*" >&2
}

die() {
	log "error: $*"
	exit 1
}

vr() {
	"$VRNET_BIN" --pin-dir "$VR_PIN" -n "$JAIL" "$@"
}

in_sbx() {
	ip netns exec "$SBX" "$@"
}

# Runs CMD in the background and waits for it, so that Ctrl-C or TERM
# cleans up at once: bash runs a trap only once a foreground command has
# exited, and ignores SIGINT altogether when that command did not die of it
# (timeout puts its command in a process group of its own, out of Ctrl-C's reach).
bg_wait() { # CMD...
	local rc
	"$@" &
	vr_pids+=($!)
	wait $!
	rc=$?
	unset 'vr_pids[-1]'
	return $rc
}

# ---- preconditions ----

[ "$(id -u)" -eq 0 ] || die "needs root"
for t in ip dig dnsmasq dnsperf nstat "$PY" timeout "$VRNET_BIN" "$DNSECHO"; do
	command -v "$t" >/dev/null 2>&1 || die "missing: $t"
done
"$PY" -c 'import dns.query' 2>/dev/null || die "missing: python3-dnspython"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init # traps, $VR_TMP
TMP=$VR_TMP

# ---- topology ----

vr_jail_sandbox >&2 # stdout is the document's
JAIL=$VR_JAIL SBX=$VR_SBX
log "mode $BENCH: $D s dnsperf runs, $R round(s), $LOOKUPS lookups; jail $JAIL, sandbox $SBX"
ip -n "$JAIL" route add local 10.234.0.0/16 dev lo || die "10.234.0.0/16 in the jail"

# ---- names, upstream, listener ----

# dnsperf's names: one wildcard answer (203.0.113.7) for them all, from
# dnsmasq's configuration, so the upstream itself never waits on anything.
# Their TTL is 60 s (dnsmasq's own answers have 0 unless told), as real
# records have one: the proxy's cache answers the names asked again.
for i in $(seq 0 $((NAMES - 1))); do
	printf 'n%04d.perf.bench.example.test A\n' "$i"
done >"$TMP/queries"
# The connect test's names: c00000.conn.bench.example.test -> 10.234.1.1,
# and on, 250 a /24: every name an address of its own.
awk -v n="$LOOKUPS" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "10.234.%d.%d c%05d.conn.bench.example.test\n", 1 + int(i / 250), 1 + i % 250, i
}' >"$TMP/hosts"
chmod go+rx "$TMP" # dnsmasq reads its hosts file as nobody

ip netns exec "$JAIL" dnsmasq --keep-in-foreground --no-resolv --no-hosts --bind-interfaces \
	--listen-address="$UP" --port="$UP_PORT" --pid-file="$TMP/dnsmasq.pid" --local-ttl=60 \
	--addn-hosts="$TMP/hosts" --address=/perf.bench.example.test/203.0.113.7 \
	--log-facility=- 2>"$TMP/dnsmasq.err" &
dnsmasq_pid=$!
vr_pids+=("$dnsmasq_pid")

cat >"$TMP/listener.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(1024)
open(sys.argv[2], "w").close()
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"vr")
    except OSError:
        pass
    c.close()
PY
ip netns exec "$JAIL" timeout 900 "$PY" "$TMP/listener.py" "$CONN_PORT" "$TMP/listener.ready" \
	2>"$TMP/listener.err" &
vr_pids+=($!)
vr_wait_for 5 test -s "$TMP/dnsmasq.pid" || die "dnsmasq: $(cat "$TMP/dnsmasq.err")"
vr_wait_for 5 test -e "$TMP/listener.ready" || die "listener: $(cat "$TMP/listener.err")"

# ---- filter and proxy ----

# One policy serves both runs of dnsperf: the direct run's queries to
# $UP:$UP_PORT pass the filter by an allow rule, the proxy run's to
# $SERVER:53 are steered. Same sandbox, same device, same verdict path:
# what differs is the proxy's hop (two redirects and its upstream query).
# The device's rate of queries (1,000/s by default) is raised past what the
# proxy can do: this measures the proxy, not the per-device limit.
cat >"$TMP/policy.json" <<EOF
{"default": "deny", "dns_proxy": true, "dns_rate": {"rate": 1000000, "burst": 100000},
 "allow": ["$UP:$UP_PORT/udp", "*.perf.bench.example.test:80/tcp",
	   "*.conn.bench.example.test:$CONN_PORT/tcp"]}
EOF
vr attach vrj --policy "$TMP/policy.json" >/dev/null || die "vrnet-bpf attach"
# The proxy, started anew for each kind of run: as its systemd unit runs it
# (a line per refused or failed query), or with --log-answers (a line per
# query: open_ns is in them). Not through vr(): $proxy_pid must be the
# proxy's own PID, for its CPU time. The trap ends it with everything else
# in the jail (a Ctrl-C ends it at once: a `wait` on it then, from
# vr_stop_pid, was seen to block on another child). --max-addresses: the
# connect test opens 10,000 addresses at once on one device. A restart
# resumes from the pinned map: what was opened stays open.
proxy_pid=''
start_proxy() { # [--log-answers]
	if [ -n "$proxy_pid" ]; then
		kill "$proxy_pid" && wait "$proxy_pid"
	fi
	"$VRNET_BIN" --pin-dir "$VR_PIN" -n "$JAIL" --resolver "$UP:$UP_PORT" -j dns \
		--max-addresses 20000 "$@" >>"$TMP/proxy.jsonl" 2>>"$TMP/proxy.err" &
	proxy_pid=$!
	vr_wait_for 5 proxy_answers || die "no answer through the proxy: $(cat "$TMP/proxy.err")"
}

# The proxy answers an allowed name; a refused one gets NXDOMAIN; the
# upstream answers directly. Each check proves a path the figures rely on.
dig_short() { # SERVER PORT NAME
	in_sbx dig +time=2 +tries=1 +short -p "$2" "@$1" "$3" A
}
dig_status() { # SERVER PORT NAME
	in_sbx dig +time=2 +tries=1 +noall +comments -p "$2" "@$1" "$3" A |
		sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}
proxy_answers() { [ "$(dig_short "$SERVER" 53 n0000.perf.bench.example.test)" = 203.0.113.7 ]; }
start_proxy
[ "$(dig_short "$UP" "$UP_PORT" n0000.perf.bench.example.test)" = 203.0.113.7 ] ||
	die "no answer from the upstream directly"
[ "$(dig_status "$SERVER" 53 refused.example.test)" = NXDOMAIN ] ||
	die "the proxy did not refuse a name no rule allows"
got=$(dig_short "$SERVER" 53 c00000.conn.bench.example.test)
[ "$got" = 10.234.1.1 ] ||
	die "no connect-test name through the proxy: $got; $(tail -2 "$TMP/proxy.jsonl")"

# ---- 1. and 2.: dnsperf, directly and through the proxy ----

# dnsperf KIND ARGS...: one run from the sandbox; its output in $TMP/perf.out.
perf_run() {
	local kind=$1
	shift
	case $kind in
	direct) set -- -s "$UP" -p "$UP_PORT" "$@" ;;
	proxy | proxy_logged | floor) set -- -s "$SERVER" -p 53 "$@" ;;
	esac
	bg_wait timeout $((D + 30)) ip netns exec "$SBX" dnsperf -d "$TMP/queries" -l "$D" -t 2 "$@" \
		>"$TMP/perf.out" 2>&1 || die "dnsperf $kind: $(tail -3 "$TMP/perf.out")"
	[ "$kind" = floor ] || kill -0 "$proxy_pid" 2>/dev/null ||
		die "the proxy exited: $(cat "$TMP/proxy.err")"
}

perf_field() { # LABEL: the first number after "LABEL:" in dnsperf's statistics
	sed -n "s/^ *$1: *\([0-9.]*\).*/\1/p" "$TMP/perf.out" | head -1
}

# CPU time so far, in clock ticks: of PID, user and system; of the machine
# (no PID), busy and all (/proc/stat's first line: idle and iowait are not busy)
cpu_ticks() { # [PID]
	if [ $# -eq 1 ]; then
		sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'
	else
		awk '$1 == "cpu" { for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6, t; exit }' /proc/stat
	fi
}

# Queries the proxy dropped unanswered, over its bound of queries upstream at once, so far
proxy_dropped() {
	vr metrics | awk 'index($0, "vrnet_dns_queries_total{") == 1 && index($0, "device=\"vrj\"") &&
		index($0, "result=\"dropped\"") { print $NF; found = 1 } END { if (!found) print 0 }'
}

# the proxy's -j lines since line FROM of its log, as KIND PHASE
proxy_lines() { # FROM KIND PHASE
	tail -n +"$1" "$TMP/proxy.jsonl" | sed "s/^/$2 $3 /" >>"$TMP/proxy_events"
}

for f in max lat proxy_events; do
	: >"$TMP/$f"
done
log "warm-up"
perf_run direct -Q "$RATE" -l 1
perf_run proxy -Q "$RATE" -l 1
for round in $(seq "$R"); do
	# Maximum: 4 sockets, 100 queries outstanding, no rate limit (from 200
	# on, dnsperf's first burst overflows the receiver's default socket
	# buffer, ~190 queries, and the excess is lost). The direct run first,
	# then the proxy as its unit runs it, then with a line per query, then
	# the fixed-rate runs, so that each kind sees the machine in the same
	# order in every round.
	for kind in direct proxy proxy_logged; do
		case $kind in
		proxy) [ "$round" = 1 ] || start_proxy ;;
		proxy_logged) start_proxy --log-answers ;;
		esac
		from=$(($(wc -l <"$TMP/proxy.jsonl") + 1))
		drop0=$(proxy_dropped)
		cpu0="$(cpu_ticks "$proxy_pid") $(cpu_ticks "$dnsmasq_pid") $(cpu_ticks)"
		perf_run "$kind" -c 4 -q 100
		cpu1="$(cpu_ticks "$proxy_pid") $(cpu_ticks "$dnsmasq_pid") $(cpu_ticks)"
		sleep 0.3 # the proxy's counts reach its map every 100 ms
		drop1=$(proxy_dropped)
		[ "$kind" = proxy_logged ] && proxy_lines "$from" proxy max
		echo "$kind $(perf_field 'Queries per second') $(perf_field 'Queries completed')" \
			"$(perf_field 'Queries lost') $cpu0 $cpu1 $((drop1 - drop0))" >>"$TMP/max"
		log "round $round/$R: $kind, full load: $(perf_field 'Queries per second') queries/s," \
			"$(perf_field 'Queries lost') lost"
	done
	# Latency at a fixed rate: every query's own time (dnsperf -v), in
	# one-second slices, direct and proxy in turn, so that the shared
	# machine's hiccups fall on both alike.
	for _ in $(seq "$D"); do
		for kind in direct proxy; do
			from=$(($(wc -l <"$TMP/proxy.jsonl") + 1))
			perf_run "$kind" -Q "$RATE" -v -l 1
			[ "$kind" = proxy ] && proxy_lines "$from" proxy rate
			awk -v k="$kind" '$1 == ">" && $2 == "NOERROR" { print k, $NF }' \
				"$TMP/perf.out" >>"$TMP/lat"
			echo "$kind lost $(perf_field 'Queries lost')" >>"$TMP/lat"
		done
	done
	log "round $round/$R: $D s at $RATE queries/s, each way"
done

# ---- 3.: lookups then connects ----

cat >"$TMP/connect.py" <<'PY'
import json, socket, sys, time
import dns.exception, dns.message, dns.query, dns.rdatatype

server, n, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {"lookups": n, "lookup_failures": 0, "wrong_answers": 0, "connect_failures": 0,
       "lookup_s": [], "connect_s": []}
for i in range(n):
    want = "10.234.%d.%d" % (1 + i // 250, 1 + i % 250)
    q = dns.message.make_query("c%05d.conn.bench.example.test" % i, "A")
    t0 = time.monotonic()
    try:
        r = dns.query.udp(q, server, timeout=2)
        got = [rd.address for rr in r.answer if rr.rdtype == dns.rdatatype.A for rd in rr]
    except (dns.exception.DNSException, OSError):
        res["lookup_failures"] += 1
        if res["lookup_failures"] == 50:  # the proxy is gone: bounded, and said
            sys.exit("50 lookups failed, the last: %s" % q.question[0].name)
        continue
    t1 = time.monotonic()
    res["lookup_s"].append(t1 - t0)
    if got != [want]:
        res["wrong_answers"] += 1
        continue
    # at once: the first SYN finds the address open, or the filter drops it
    try:
        with socket.create_connection((want, port), timeout=3) as s:
            res["connect_s"].append(time.monotonic() - t1)
            if s.recv(2) != b"vr":
                res["connect_failures"] += 1
    except OSError:
        res["connect_failures"] += 1
json.dump(res, sys.stdout)
PY

dropped() { vr -j show vrj | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["counters"]["dropped_packets"])'; }
syn_retrans() { # TcpExtTCPSynRetrans TcpRetransSegs of the sandbox, absolute, history untouched
	in_sbx nstat -asz TcpExtTCPSynRetrans TcpRetransSegs |
		awk '$1 == "TcpExtTCPSynRetrans" { s = $2 } $1 == "TcpRetransSegs" { r = $2 }
			END { print s + 0, r + 0 }'
}
# The check must be able to fail: a connect to a connect-test address never
# looked up is dropped by the filter, and counted.
drops0=$(dropped)
in_sbx "$PY" -c 'import socket, sys
try:
    socket.create_connection(("10.234.255.1", int(sys.argv[1])), timeout=0.5)
    sys.exit(1)
except OSError:
    sys.exit(0)' "$CONN_PORT" || die "an address never looked up was reachable"
[ "$(dropped)" -gt "$drops0" ] || die "the filter's drop counter did not count a dropped SYN"

log "connect test: $LOOKUPS lookups through the proxy, each followed by a connect"
from=$(($(wc -l <"$TMP/proxy.jsonl") + 1))
drops0=$(dropped)
read -r synr0 retr0 <<<"$(syn_retrans)"
t=$(date +%s.%N)
bg_wait timeout $((LOOKUPS / 10 + 120)) ip netns exec "$SBX" "$PY" "$TMP/connect.py" "$SERVER" \
	"$LOOKUPS" "$CONN_PORT" >"$TMP/connect.json" 2>"$TMP/connect.err" ||
	die "connect test: $(tail -3 "$TMP/connect.err")"
conn_s=$(awk -v s="$t" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
drops1=$(dropped)
read -r synr1 retr1 <<<"$(syn_retrans)"
# The proxy logs a query after its answer: stopped, it has written every line.
kill "$proxy_pid" && wait "$proxy_pid"
proxy_lines "$from" proxy connect
log "connect test: $conn_s s, filter drops $((drops1 - drops0)), SYN retransmits $((synr1 - synr0))"

# ---- 4.: the floor ----

# In the proxy's place, on its address, a responder that only sends each
# query back as an answer: the steering, the sockets and the return program,
# none of the proxy's work. Full load as above, once a round.
ip netns exec "$JAIL" "$DNSECHO" 198.18.0.1 53 2>"$TMP/echo.err" &
vr_pids+=($!)
echo_answers() { in_sbx dig +time=1 +tries=1 +noall +comments "@$SERVER" n0.floor A | grep -q NOERROR; }
vr_wait_for 3 echo_answers || die "the floor's responder does not answer: $(cat "$TMP/echo.err")"
: >"$TMP/floor"
for round in $(seq "$R"); do
	perf_run floor -c 4 -q 100
	echo "$(perf_field 'Queries per second') $(perf_field 'Queries lost')" >>"$TMP/floor"
	log "round $round/$R: floor, full load: $(perf_field 'Queries per second') queries/s"
done

# ---- the document ----

"$PY" - "$TMP" "$BENCH" "$D" "$R" "$RATE" "$NAMES" "$conn_s" "$((drops1 - drops0))" \
	"$((synr1 - synr0))" "$((retr1 - retr0))" <<'PY'
import json, os, statistics, sys

tmp, mode, dur, rounds, rate, names, conn_s, drops, synr, retr = sys.argv[1:11]


def pct(v, p):
    """p-th percentile, nearest rank."""
    v = sorted(v)
    return v[max(0, min(len(v) - 1, -(-len(v) * p // 100) - 1))] if v else None


def us(x):
    return None if x is None else round(x * 1e6, 1)


def spread(v):
    return {"median": round(statistics.median(v)), "min": round(min(v)), "max": round(max(v))}


KINDS = ("direct", "proxy", "proxy_logged")
maxr = {k: [] for k in KINDS}
lost = dict.fromkeys(KINDS, 0)
done = dict.fromkeys(KINDS, 0)
dropped = dict.fromkeys(KINDS, 0)  # by the proxy, over its bound of queries upstream at once
# ticks over the full-load runs: proxy user, proxy system, upstream, machine
# busy, machine all (every CPU's ticks: wall time times the CPUs)
cpu = {k: [0] * 5 for k in KINDS}
for line in open(os.path.join(tmp, "max")):
    kind, qps, completed, lo, *t = line.split()
    maxr[kind].append(float(qps))
    lost[kind] += int(lo)
    done[kind] += int(completed)
    dropped[kind] += int(t[12])
    d = [b - a for a, b in zip(map(int, t[:6]), map(int, t[6:12]))]
    for i, v in enumerate((d[0], d[1], d[2] + d[3], d[4], d[5])):
        cpu[kind][i] += v


def cpu_of(kind):
    """CPU time over the full-load runs of KIND: share of one CPU (of all of
    them for the machine), and microseconds per completed query."""
    c, n = cpu[kind], done[kind]
    wall = c[4] / ncpu or 1

    def per_query(ticks):
        return round(ticks * 1e6 / tick_hz / n, 1) if n else None

    return {"cpu_share": {"proxy_user": round(c[0] / wall, 2),
                          "proxy_system": round(c[1] / wall, 2),
                          "upstream": round(c[2] / wall, 2),
                          "machine": round(c[3] / (c[4] or 1), 2)},
            "cpu_us_per_query": {"proxy": per_query(c[0] + c[1]), "upstream": per_query(c[2]),
                                 "machine": per_query(c[3])}}


ncpu = os.cpu_count() or 1
tick_hz = os.sysconf("SC_CLK_TCK")
lat = {"direct": [], "proxy": []}
lat_lost = {"direct": 0, "proxy": 0}
for line in open(os.path.join(tmp, "lat")):
    kind, v = line.split(None, 1)
    if v.startswith("lost"):
        lat_lost[kind] += int(v.split()[1])
    else:
        lat[kind].append(float(v))
opens = {"max": [], "rate": [], "connect": []}
answered = {"max": 0, "rate": 0, "connect": 0}
for line in open(os.path.join(tmp, "proxy_events")):
    _, phase, js = line.split(" ", 2)
    e = json.loads(js)
    if e.get("action") == "answered":
        answered[phase] += 1
        opens[phase].append(e["open_ns"])
c = json.load(open(os.path.join(tmp, "connect.json")))

doc = {"dns": {
    "mode": mode, "duration_s": int(dur), "rounds": int(rounds), "names": int(names),
    "qps": {k: spread(v) | {"completed": done[k], "lost": lost[k]}
            | ({"dropped_by_proxy": dropped[k]} if k != "direct" else {}) | cpu_of(k)
            for k, v in maxr.items()}
           | {"floor": spread([float(l.split()[0]) for l in open(os.path.join(tmp, "floor"))])},
    "latency": {"rate_qps": int(rate)} | {
        k: {"queries": len(v), "lost": lat_lost[k], "median_us": us(pct(v, 50)),
            "p99_us": us(pct(v, 99))} for k, v in lat.items()},
    "open_ns": {phase: {"answered": answered[phase], "median": pct(v, 50), "p99": pct(v, 99),
                        "max": max(v) if v else None}
                for phase, v in opens.items()},
    "connect": {"lookups": c["lookups"], "seconds": float(conn_s),
                "lookup_failures": c["lookup_failures"], "wrong_answers": c["wrong_answers"],
                "connect_failures": c["connect_failures"],
                "filter_drops": int(drops), "syn_retransmits": int(synr),
                "tcp_retransmits": int(retr),
                "lookup_median_us": us(pct(c["lookup_s"], 50)),
                "lookup_p99_us": us(pct(c["lookup_s"], 99)),
                "connect_median_us": us(pct(c["connect_s"], 50)),
                "connect_p99_us": us(pct(c["connect_s"], 99)),
                "connect_max_us": us(max(c["connect_s"]) if c["connect_s"] else None)},
}}
d = doc["dns"]
d["latency"]["added_median_us"] = round(d["latency"]["proxy"]["median_us"] -
                                        d["latency"]["direct"]["median_us"], 1)
d["latency"]["added_p99_us"] = round(d["latency"]["proxy"]["p99_us"] -
                                     d["latency"]["direct"]["p99_us"], 1)
d["info"] = {
    "direct": "dnsperf in the sandbox asks the upstream (dnsmasq, 10.233.1.1:5353) through the "
              "filtered veth; an allow rule passes it",
    "proxy": "the same dnsperf asks 192.0.2.53:53; the datapath steers it to the proxy, "
             "which asks the same upstream and opens the answer's address first; run as its "
             "systemd unit runs it (-j, a line per refused or failed query)",
    "proxy_logged": "the same, the proxy with --log-answers (a -j line per query); the "
                    "latency runs and the connect test use this one, for open_ns",
    "floor": "the same dnsperf, steered the same way, to bench/dnsecho in the proxy's place: "
             "it sends each query back as its answer, so this is the steering's, the sockets' "
             "and the return program's cost with none of the proxy's",
    "qps": "full load: 4 sockets, 100 queries outstanding, no rate limit; lost: no answer "
           "within 2 s, as dnsperf counts them; dropped_by_proxy: of them, those the proxy "
           "dropped over its bound of 32 queries upstream at once per device (its metrics); "
           "cpu_share: CPU-seconds per second of the "
           "proxy and the upstream (/proc/PID/stat; a process's system time includes the "
           "packets its sends push through veth and the stack), and the busy share of all "
           "the machine's CPUs (/proc/stat)",
    "latency": "every answered query of the fixed-rate runs, dnsperf -v; percentiles by "
               "nearest rank",
    "open_ns": "the proxy's -j open_ns: from the upstream's answer reaching its callback to "
               "the end of the answer's send to the sandbox, the addresses written to the "
               "map between; per phase of the run: max (full load), rate (fixed rate), "
               "connect (one lookup at a time)",
    "connect": "lookups of distinct names through the proxy (dnspython, one at a time), each "
               "answer a new address, connected to at once; filter_drops is the device's "
               "drop counter over the test, syn_retransmits the sandbox's TCPSynRetrans",
}
print(json.dumps(doc, indent=1))
PY
