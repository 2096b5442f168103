#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Scale: attach vrnet-bpf to N tap devices (default 1,000), each with its own
# 100-rule policy; time the attaches and the detaches, and read the kernel
# memory of the program and maps (bpftool's bytes_memlock). The taps and the
# pin directory are created here (vr prefix) and removed on exit.
# Output: one JSON document on stdout; progress on stderr.
set -u
cd "$(dirname "$0")/.."
BIN=${VRNET_BIN:-$PWD/build/vrnet-bpf}
N=${DEVICES:-1000}
RULES=${RULES:-100}
id=$(( $$ % 100000 ))
PIN=/sys/fs/bpf/vrbenchs$$
WORK=$(mktemp -d /tmp/vrbench.XXXXXX)
taps=()

cleanup() {
	for t in "${taps[@]}"; do ip link del "$t" 2>/dev/null; done
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT INT TERM

log() { echo "scale: $*" >&2; }
now() { date +%s%N; }

python3 - "$RULES" "$WORK/policy.json" <<'PY'
import json, sys
n = int(sys.argv[1])
allow = ["198.18.%d.%d:443/tcp" % (i >> 8, i & 255) for i in range(n - 1)]
json.dump({"default": "deny", "allow": allow, "dns": ["192.0.2.53"]}, open(sys.argv[2], "w"))
PY

log "creating $N taps"
for i in $(seq "$N"); do
	t=$(printf 'vrc%d-%d' "$id" "$i")
	ip tuntap add "$t" mode tap || exit 1
	taps+=("$t")
done

memlock() { # the pinned maps, the program and each device's own tables, in bytes
	local total=0 b
	for f in "$PIN"/vrnet_*; do
		b=$(bpftool -j map show pinned "$f" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock", 0))' 2>/dev/null ||
			bpftool -j prog show pinned "$f" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("bytes_memlock", 0))')
		total=$((total + b))
	done
	# the tables in the arrays of maps (each device's own, bpf/maps.h) are pinned nowhere
	b=$( { for m in vrnet_frags vrnet_conns vrnet_ownflows vrnet_ownnotes; do
		bpftool -j map dump pinned "$PIN/$m"; echo; done; bpftool -j map show; } |
		python3 -c '
import json, sys
docs = [json.loads(l) for l in sys.stdin.read().split("\n") if l.strip()]
ids = {e["value"] if isinstance(e["value"], int) else int.from_bytes(bytes(int(x, 16) for x in e["value"]), "little")
       for d in docs[:-1] for e in d}
print(sum(m.get("bytes_memlock", 0) for m in docs[-1] if m["id"] in ids))')
	echo $((total + b))
}

"$BIN" --pin-dir "$PIN" attach "${taps[0]}" --policy "$WORK/policy.json" >/dev/null || exit 1
mem_one=$(memlock)
log "attaching $N taps with $RULES rules each"
t=$(now)
for tap in "${taps[@]:1}"; do
	"$BIN" --pin-dir "$PIN" attach "$tap" --policy "$WORK/policy.json" >/dev/null || exit 1
done
attach_ms=$(( ($(now) - t) / 1000000 ))
attached=$("$BIN" -j --pin-dir "$PIN" list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
mem_all=$(memlock)
log "attached $attached in $attach_ms ms; memlock $mem_one -> $mem_all bytes"

t=$(now)
for tap in "${taps[@]}"; do
	"$BIN" --pin-dir "$PIN" detach "$tap" >/dev/null || exit 1
done
detach_ms=$(( ($(now) - t) / 1000000 ))
log "detached in $detach_ms ms"

# The same taps declared in a directory, one file each, brought on by sync.
mkdir -p "$WORK/devices"
for tap in "${taps[@]}"; do cp "$WORK/policy.json" "$WORK/devices/$tap.json"; done
sync_j() { "$BIN" --pin-dir "$PIN" -j sync "$WORK/devices"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# timed CMD...: the whole command's wall time in ms, with its pass's duration_ms on fd 3
timed() {
	local t0=$(now) out
	out=$("$@") || exit 1
	echo "$(( ($(now) - t0) / 1000 ))" | awk '{ printf "%.1f\n", $1 / 1000 }'
	[ -n "$out" ] && echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duration_ms"])' >&3
}
log "sync: attaching $N taps from their files"
sync_attach_ms=$(timed sync_j 3>/dev/null)
true_ms=$(for i in 1 2 3 4 5; do timed /bin/true 3>/dev/null; done | median)
: >"$WORK/pass"
sync_same_ms=$(for i in 1 2 3 4 5; do timed sync_j 3>>"$WORK/pass"; done | median)
sync_same_pass_ms=$(median <"$WORK/pass")
: >"$WORK/pass"
sync_one_ms=$(for i in 1 2 3 4 5; do
	python3 - "$WORK/devices/${taps[$i]}.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["allow"].append("192.0.2.77:443/tcp")
json.dump(p, open(sys.argv[1], "w"))
PY
	timed sync_j 3>>"$WORK/pass"
done | median)
sync_one_pass_ms=$(median <"$WORK/pass")
rm -f "$WORK"/devices/*.json
log "sync: detaching $N taps whose files are gone"
sync_detach_ms=$(timed sync_j 3>/dev/null)
log "sync: attach ${sync_attach_ms} ms, no change ${sync_same_ms} ms, one changed ${sync_one_ms} ms, detach ${sync_detach_ms} ms (/bin/true ${true_ms} ms)"

cat <<JSON
{"scale": {"devices": $N, "rules_per_device": $RULES, "attached": $attached,
  "attach_total_ms": $attach_ms, "attach_ms_per_device": $(echo "scale=2; $attach_ms / ($N - 1)" | bc),
  "detach_total_ms": $detach_ms, "detach_ms_per_device": $(echo "scale=2; $detach_ms / $N" | bc),
  "memlock_bytes_one_device": $mem_one, "memlock_bytes_all_devices": $mem_all,
  "memlock_bytes_per_device": $(( (mem_all - mem_one) / (N - 1) )),
  "sync": {"attach_all_ms": $sync_attach_ms, "no_change_ms": $sync_same_ms,
    "no_change_pass_ms": $sync_same_pass_ms, "one_changed_ms": $sync_one_ms,
    "one_changed_pass_ms": $sync_one_pass_ms, "detach_all_ms": $sync_detach_ms,
    "true_ms": $true_ms}}}
JSON
