#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Policy change cost: the time to install N rules and to add and remove one
# rule in a large policy, for vrnet-bpf (apply, allow, unallow), nftables
# (nft -f of a set, add element, delete element) and iptables
# (iptables-restore of a linear chain, -I and -D one rule). vrnet-bpf also
# reports when the change became visible to packets (the device-entry switch)
# apart from when the command returned, and its floor: `internet DEV policy`,
# a change that switches the device's record and writes no rule, beside the
# start of the process (`--help`) and of any process (/bin/true) from the
# same shell. Times are taken with bash's own clock: nothing else runs
# between the two stamps.
# Everything is created here with the vr prefix and removed on exit.
# Output: one JSON document on stdout; progress on stderr.
# BENCH=quick (default): 10, 100, 1,000 and 100,000 rules (most sandboxes have
# small policies); BENCH=full adds 1,000,000.
# ONLY=vrnet-bpf measures vrnet-bpf alone (nftables and iptables take minutes
# at a million rules).
set -u
cd "$(dirname "$0")/.."
BIN=${VRNET_BIN:-$PWD/build/vrnet-bpf}
MODE=${BENCH:-quick}
ONLY=${ONLY:-}
RUNS=${RUNS:-$([ "$MODE" = full ] && echo 5 || echo 3)}
id=$$
DEV=vrbp$id PEER=vrbq$id NS=vrbpn$id PIN=/sys/fs/bpf/vrbenchp$id TABLE=vrbenchp$id
WORK=$(mktemp -d /tmp/vrbench.XXXXXX)

cleanup() {
	"$BIN" --pin-dir "$PIN" detach "$DEV" >/dev/null 2>&1
	nft delete table netdev "$TABLE" 2>/dev/null
	ip link del "$DEV" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT INT TERM

log() { echo "policy: $*" >&2; }
# stamp VAR: microseconds now into VAR, from bash's clock: no fork (a `date`
# process in $(...) cost more than the commands measured here).
stamp() { printf -v "$1" '%s' "${EPOCHREALTIME//[.,]/}"; }
ms_since() {
	local end
	stamp end
	echo "scale=3; ($end - $1) / 1000" | bc
}

ip link add "$DEV" type veth peer name "$PEER" || exit 1
ip link set "$DEV" up
ip netns add "$NS" || exit 1

# N distinct IPv4 /32 addresses from 10.0.0.0/8, one per line
addresses() { python3 -c "
import sys
for i in range($1):
    print('10.%d.%d.%d' % (i >> 16 & 255, i >> 8 & 255, i & 255))"; }

make_inputs() { # N
	local n=$1
	addresses "$n" >"$WORK/addrs.$n"
	python3 - "$WORK/addrs.$n" "$WORK/policy.$n.json" <<'PY'
import json, sys
addrs = [a.strip() for a in open(sys.argv[1])]
json.dump({"default": "deny", "allow": [a + ":443/tcp" for a in addrs]}, open(sys.argv[2], "w"))
PY
	{
		echo "table netdev $TABLE {"
		echo "  set allowed { type ipv4_addr; flags interval; }"
		echo "  chain ingress { type filter hook ingress device \"$DEV\" priority 0; policy drop;"
		echo "    meta protocol arp accept"
		echo "    ip daddr @allowed tcp dport 443 accept"
		echo "  }"
		echo "}"
		echo "add element netdev $TABLE allowed {"
		sed 's/$/,/' "$WORK/addrs.$n"
		echo "}"
	} >"$WORK/nft.$n"
	{
		echo "*filter"
		echo ":OUTPUT ACCEPT [0:0]"
		sed 's/^\(.*\)$/-A OUTPUT -d \1\/32 -p tcp --dport 443 -j ACCEPT/' "$WORK/addrs.$n"
		echo "-A OUTPUT -o lo -j ACCEPT"
		echo "-A OUTPUT -j DROP"
		echo "COMMIT"
	} >"$WORK/ipt.$n"
}

median() { sort -n | awk '{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)]; printf "%s %s %s", m, v[1], v[NR] }'; }

results=()
record() { # tool what rules "median min max" [extra json]
	local m mn mx
	read -r m mn mx <<<"$4"
	results+=("{\"tool\": \"$1\", \"what\": \"$2\", \"rules\": $3, \"ms_median\": $m, \"ms_min\": $mn, \"ms_max\": $mx${5:+, $5}}")
	log "$1 $2 $3 rules: median $m ms (min $mn, max $mx)"
}

sizes="10 100 1000 100000"
[ "$MODE" = full ] && sizes="$sizes 1000000"

for n in $sizes; do
	log "generating $n rules"
	make_inputs "$n"

	# vrnet-bpf: install N rules on a deny-all device, then replace, then one rule
	: >"$WORK/t.install" >"$WORK/t.visible" >"$WORK/t.one" >"$WORK/t.onevis"
	: >"$WORK/t.rm" >"$WORK/t.rmvis" >"$WORK/t.rmwait" >"$WORK/t.floor" >"$WORK/t.start" >"$WORK/t.true"
	for r in $(seq "$RUNS"); do
		"$BIN" --pin-dir "$PIN" detach "$DEV" >/dev/null 2>&1
		"$BIN" --pin-dir "$PIN" attach "$DEV" >/dev/null || exit 1
		stamp t
		"$BIN" -v --pin-dir "$PIN" apply "$DEV" --policy "$WORK/policy.$n.json" \
			>/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
		ms_since "$t" >>"$WORK/t.install"
		sed -n 's/.*visible_ms=\([0-9.]*\).*/\1/p' "$WORK/err" >>"$WORK/t.visible"
		stamp t
		"$BIN" -v --pin-dir "$PIN" allow "$DEV" "192.0.2.$r:443/tcp" >/dev/null 2>"$WORK/err" ||
			{ cat "$WORK/err" >&2; exit 1; }
		ms_since "$t" >>"$WORK/t.one"
		sed -n 's/.*visible_ms=\([0-9.]*\).*/\1/p' "$WORK/err" >>"$WORK/t.onevis"
		gone=$(sed -n "${r}p" "$WORK/addrs.$n") # not timed: a sed process takes milliseconds
		stamp t
		"$BIN" -v --pin-dir "$PIN" unallow "$DEV" "$gone:443/tcp" \
			>/dev/null 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
		ms_since "$t" >>"$WORK/t.rm"
		sed -n 's/.*visible_ms=\([0-9.]*\).*/\1/p' "$WORK/err" >>"$WORK/t.rmvis"
		sed -n 's/.*wait_ms=\([0-9.]*\).*/\1/p' "$WORK/err" >>"$WORK/t.rmwait"
		stamp t
		"$BIN" --pin-dir "$PIN" internet "$DEV" policy >/dev/null || exit 1
		ms_since "$t" >>"$WORK/t.floor"
		stamp t
		"$BIN" --help >/dev/null || exit 1
		ms_since "$t" >>"$WORK/t.start"
		stamp t
		/bin/true
		ms_since "$t" >>"$WORK/t.true"
	done
	record vrnet-bpf install "$n" "$(median <"$WORK/t.install")" \
		"\"visible_ms_median\": $(median <"$WORK/t.visible" | cut -d' ' -f1)"
	record vrnet-bpf change_one "$n" "$(median <"$WORK/t.one")" \
		"\"visible_ms_median\": $(median <"$WORK/t.onevis" | cut -d' ' -f1)"
	record vrnet-bpf remove_one "$n" "$(median <"$WORK/t.rm")" \
		"\"visible_ms_median\": $(median <"$WORK/t.rmvis" | cut -d' ' -f1), \"wait_ms_median\": $(median <"$WORK/t.rmwait" | cut -d' ' -f1)"
	record vrnet-bpf switch_only "$n" "$(median <"$WORK/t.floor")"
	record vrnet-bpf process_start "$n" "$(median <"$WORK/t.start")"
	record shell true "$n" "$(median <"$WORK/t.true")"
	"$BIN" --pin-dir "$PIN" detach "$DEV" >/dev/null

	[ "$ONLY" = vrnet-bpf ] && continue

	# nftables: a netdev table with a set on the same device
	: >"$WORK/t.install" >"$WORK/t.one" >"$WORK/t.rm"
	for r in $(seq "$RUNS"); do
		nft delete table netdev "$TABLE" 2>/dev/null
		stamp t
		nft -f "$WORK/nft.$n" || exit 1
		ms_since "$t" >>"$WORK/t.install"
		stamp t
		nft add element netdev "$TABLE" allowed "{ 192.0.2.$r }" || exit 1
		ms_since "$t" >>"$WORK/t.one"
		gone=$(sed -n "${r}p" "$WORK/addrs.$n")
		stamp t
		nft delete element netdev "$TABLE" allowed "{ $gone }" || exit 1
		ms_since "$t" >>"$WORK/t.rm"
	done
	nft delete table netdev "$TABLE"
	record nftables-set install "$n" "$(median <"$WORK/t.install")"
	record nftables-set change_one "$n" "$(median <"$WORK/t.one")"
	record nftables-set remove_one "$n" "$(median <"$WORK/t.rm")"

	# iptables: the seed recipe's linear chain, inside a namespace of our own
	[ "$n" -gt 100000 ] && continue
	: >"$WORK/t.install" >"$WORK/t.one" >"$WORK/t.rm"
	for r in $(seq "$RUNS"); do
		ip netns exec "$NS" iptables -F OUTPUT
		stamp t
		timeout 300 ip netns exec "$NS" iptables-restore <"$WORK/ipt.$n" || exit 1
		ms_since "$t" >>"$WORK/t.install"
		stamp t
		ip netns exec "$NS" iptables -I OUTPUT -d "192.0.2.$r/32" -p tcp --dport 443 -j ACCEPT ||
			exit 1
		ms_since "$t" >>"$WORK/t.one"
		gone=$(sed -n "${r}p" "$WORK/addrs.$n")
		stamp t
		ip netns exec "$NS" iptables -D OUTPUT -d "$gone/32" -p tcp --dport 443 -j ACCEPT ||
			exit 1
		ms_since "$t" >>"$WORK/t.rm"
	done
	record iptables install "$n" "$(median <"$WORK/t.install")"
	record iptables change_one "$n" "$(median <"$WORK/t.one")"
	record iptables remove_one "$n" "$(median <"$WORK/t.rm")"
done

printf '{"policy": [%s], "runs": %d}\n' "$(IFS=,; echo "${results[*]}")" "$RUNS"
