#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# make bench: every benchmark in one run, side by side with iptables and
# nftables, into bench/results/ (results.json, results.md, PNG plots).
# BENCH=quick (default, a few minutes) or BENCH=full. Needs root.
set -u
cd "$(dirname "$0")/.."
MODE=${BENCH:-quick}
OUT=${BENCH_OUT:-bench/results}
build=${OUTPUT:-build}
[ "$(id -u)" -eq 0 ] || { echo "bench: run as root" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/vrbench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

export VRNET_BIN=$PWD/$build/vrnet-bpf UDPFLOOD=$PWD/$build/bench/udpflood BENCH=$MODE
export PROGRUN=$PWD/$build/bench/progrun TAPFLOOD=$PWD/$build/bench/tapflood
export DNSECHO=$PWD/$build/bench/dnsecho
quick=$([ "$MODE" = full ] || echo --quick)

echo "== verdict cost" >&2
"$build/bench/verdict" $quick >"$WORK/verdict.json" || exit 1
echo "== wire throughput" >&2
bench/wire.sh >"$WORK/wire.json" || exit 1
echo "== policy change cost" >&2
bench/policy.sh >"$WORK/policy.json" || exit 1
echo "== scale" >&2
bench/scale.sh >"$WORK/scale.json" || exit 1
echo "== DNS proxy" >&2
bench/dns.sh >"$WORK/dns.json" || exit 1

python3 - "$WORK" "$OUT/results.json" "$MODE" <<'PY'
import json, os, platform, subprocess, sys, time
work, out, mode = sys.argv[1:4]
r = {}
for name in ("verdict", "wire", "policy", "scale", "dns"):
    r.update(json.load(open(os.path.join(work, name + ".json"))))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
r["machine"] = {"cpu": cpu, "nproc": os.cpu_count(), "kernel": platform.release(),
                "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "mode": mode}
json.dump(r, open(out, "w"), indent=1)
PY
bench/report.py "$OUT" || exit 1
echo "bench: results in $OUT/results.md" >&2
