#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The CLI as a user meets it, without traffic: help, errors, JSON, check's exit
# codes, idempotent attach, policies from stdin, a large policy, domain rules
# through a resolver of our own.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
vr_init dnsmasq

vr_veth_sandbox
dev=$VR_DEV
vr_add_link "vrx$VR_ID" type veth peer name "vry$VR_ID" netns "$VR_SBX" # never attached

# ---- help and usage ----
expect "--help" vr --help
expect "help" vr help
bad_help=
for c in attach apply allow block unallow unblock internet detach show list status check refresh gc features version help; do
	vr help "$c" >/dev/null 2>&1 || bad_help="$bad_help $c"
	vr "$c" --help >/dev/null 2>&1 || bad_help="$bad_help $c--help"
done
if [ -z "$bad_help" ]; then
	ok "help COMMAND and COMMAND --help exit 0 for every command"
else
	not_ok "help failed for:$bad_help"
fi
expect_rc "help of an unknown command" 2 vr help frobnicate
expect_rc "no command" 2 vr
expect_rc "unknown command" 2 vr frobnicate
expect_rc "unknown option" 2 vr --frobnicate list
expect_rc "an option the command does not take" 2 vr show --force
expect_rc "too few arguments" 2 vr attach
expect_rc "too many arguments" 2 vr detach "$dev" "$dev"
expect_rc "ambiguous prefix" 2 vr a "$dev"
# "--" ends the options; one at the end left a NULL argument (a segfault)
for c in "show --" "detach --" "internet $dev --" "check $dev --" "list --"; do
	# shellcheck disable=SC2086 # the command is several words
	vr $c >/dev/null 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 2 ]; then ok "trailing --: $c exits $rc"; else not_ok "trailing --: $c exits $rc"; fi
done
expect_rc "-- before a device name" 2 vr detach -- --nosuchdev
expect_rc "an option's argument missing" 2 vr apply "$dev" --policy
if grep -qx "Error: option --policy needs an argument" "$VR_TMP/err"; then
	ok "an option's argument missing: says which option"
else
	not_ok "an option's argument missing: $(od -c "$VR_TMP/err" | head -3)"
fi
expect_rc "relative --pin-dir" 2 "$VRNET_BIN" --pin-dir "vrpin$VR_ID" list
# bounded: a log that wrongly took these would stream
expect_rc "log --since before 1970" 2 timeout 5 "$VRNET_BIN" --pin-dir "$VR_PIN" log --since 99999999999999d
expect_rc "log --since overflowing" 2 timeout 5 "$VRNET_BIN" --pin-dir "$VR_PIN" log \
	--since 999999999999999999999999d
expect_rc "log --count empty" 2 timeout 5 "$VRNET_BIN" --pin-dir "$VR_PIN" log --count ''

# ---- the kernel: this one has every feature, and features -j says so ----
if vr -j features >"$VR_TMP/features.json" &&
	jq -e --arg r "$(uname -r)" '.kernel == $r and .floor == "6.1" and .supported == true
		and (.features | length >= 8) and (.features | all(.present == true))' \
		"$VR_TMP/features.json" >/dev/null; then
	ok "features -j: $(uname -r) supported, every feature present"
else
	not_ok "features -j: $(cat "$VR_TMP/features.json")"
fi
expect "features (text)" vr features
if grep -q "^Linux $(uname -r): supported$" "$VR_TMP/out"; then
	ok "features (text) names the kernel"
else
	not_ok "features (text): $(head -1 "$VR_TMP/out")"
fi

# A layer-3 device (tun) has no Ethernet header to parse: refused.
ip tuntap add "vru$VR_ID" mode tun || vr_fatal "ip tuntap add vru$VR_ID"
vr_links+=("vru$VR_ID")
expect_rc "attach to a tun device: exit 2" 2 vr attach "vru$VR_ID"
if tc qdisc show dev "vru$VR_ID" | grep -q clsact; then
	not_ok "attach to a tun device left a clsact qdisc"
else
	ok "attach to a tun device left no qdisc"
fi

# ---- JSON errors: {"error": ...} on standard output ----
# expect_json_error NAME CMD...: exit 2 and one JSON object with an error text.
expect_json_error() {
	local name=$1 rc
	shift
	"$@" >"$VR_TMP/out" 2>/dev/null </dev/null
	rc=$?
	if [ "$rc" -eq 2 ] && jq -e '(keys == ["error"]) and (.error | type == "string" and length > 0)' \
		"$VR_TMP/out" >/dev/null 2>&1; then
		ok "-j error: $name"
	else
		not_ok "-j error: $name (exit $rc, stdout: $(head -c 200 "$VR_TMP/out"))"
	fi
}
expect_json_error "unknown command" vr -j frobnicate
expect_json_error "unknown option" vr -j --frobnicate list
expect_json_error "no such device" vr -j attach "vrnone$VR_ID"
expect_json_error "invalid rule" vr -j check "$dev" 203.0.113.0/33
expect_json_error "not attached" vr -j show "$dev"

# ---- attach, show, list, prefixes ----
policy=$(vr_policy p1 '{"default": "deny", "allow": ["203.0.113.10:443/tcp", "[2001:db8::10]:443/tcp"],
	"block": ["203.0.113.10:8443/tcp"], "dns": ["198.51.100.7"]}')
expect "attach with a policy" vr attach "$dev" --policy "$policy"
ifindex=$(cat "/sys/class/net/$dev/ifindex")
if vr -j list | jq -e --arg d "$dev" --argjson i "$ifindex" \
	'type == "array" and ([.[] | select(.device == $d and .ifindex == $i and .default == "deny")] | length == 1)' >/dev/null; then
	ok "list -j has $dev with its ifindex"
else
	not_ok "list -j: $(vr -j list)"
fi
if vr -j show "$dev" | jq -e --arg d "$dev" '.device == $d and
	([.allow[].rule] == ["203.0.113.10:443/tcp", "[2001:db8::10]:443/tcp"]) and
	([.block[].rule] == ["203.0.113.10:8443/tcp"]) and ([.dns[].rule] == ["198.51.100.7"]) and
	(.counters | has("allowed_packets") and has("dropped_packets"))' >/dev/null; then
	ok "show -j $dev has the policy as written"
else
	not_ok "show -j $dev: $(vr -j show "$dev")"
fi
if vr -j show | jq -e --arg d "$dev" 'type == "array" and any(.[]; .device == $d)' >/dev/null; then
	ok "show -j of every device is an array with $dev"
else
	not_ok "show -j: $(vr -j show)"
fi
# (the counters may move: the sandbox's kernel sends neighbour discovery and MLD)
vr show "$dev" 2>&1 | sed '/counters:/d' >"$VR_TMP/show"
if vr sh "$dev" 2>&1 | sed '/counters:/d' | cmp -s - "$VR_TMP/show"; then
	ok "prefix: sh is show"
else
	not_ok "prefix: sh differs from show"
fi
if [ "$(vr -j li | jq -c 'map(del(.counters))')" = "$(vr -j list | jq -c 'map(del(.counters))')" ]; then
	ok "prefix: li is list"
else
	not_ok "prefix: li differs from list"
fi

# ---- check ----
expect_rc "check an allowed destination: exit 0" 0 vr check "$dev" 203.0.113.10:443
expect_rc "check an IPv6 allowed destination: exit 0" 0 vr check "$dev" "[2001:db8::10]:443/tcp"
expect_rc "check another port: exit 1" 1 vr check "$dev" 203.0.113.10:80
expect_rc "check udp on an allowed tcp port: exit 1" 1 vr check "$dev" 203.0.113.10:443/udp
expect_rc "check a blocked port: exit 1" 1 vr check "$dev" 203.0.113.10:8443
expect_rc "check the resolver: exit 0" 0 vr check "$dev" 198.51.100.7:53/udp
expect_rc "check icmp: exit 1" 1 vr check "$dev" 203.0.113.10
expect_rc "check a port range: exit 2" 2 vr check "$dev" 203.0.113.10:1-2
expect_rc "check a device not attached: exit 2" 2 vr check "vrx$VR_ID" 203.0.113.10:443
# An IPv4-mapped block rule is the IPv4 rule it names: it blocks IPv4 packets.
expect "block an IPv4-mapped address" vr block "$dev" "[::ffff:203.0.113.10]:443/tcp"
expect_rc "check the IPv4 address it maps: exit 1" 1 vr check "$dev" 203.0.113.10:443
expect "unblock it by its IPv4 form" vr unblock "$dev" 203.0.113.10:443/tcp
expect_rc "check it again: exit 0" 0 vr check "$dev" 203.0.113.10:443
expect_rc "an address that reads as one with a port: exit 2" 2 vr allow "$dev" 2001:db8::1:443
vr -j check "$dev" 203.0.113.10:443 >"$VR_TMP/out"
if jq -e '.verdict == "allow" and .results[0].reason == "allow_rule" and
	.results[0].rule == "203.0.113.10:443/tcp" and .results[0].port == 443' "$VR_TMP/out" >/dev/null; then
	ok "check -j names the allow rule"
else
	not_ok "check -j: $(cat "$VR_TMP/out")"
fi
vr -j check "$dev" 203.0.113.10:8443 >"$VR_TMP/out"
if jq -e '.verdict == "deny" and .results[0].reason == "block_rule"' "$VR_TMP/out" >/dev/null; then
	ok "check -j names the block rule"
else
	not_ok "check -j: $(cat "$VR_TMP/out")"
fi

# ---- attach is idempotent ----
vr_state() { # the device's policy as show -j reports it, without counters
	vr -j show "$dev" | jq -S 'del(.counters)'
}
vr_filters() { # our filters on the device's ingress: cls_bpf filters and pinned tcx links
	local tc links
	tc=$(tc -j filter show dev "$dev" ingress | jq '[.[] | select(.kind == "bpf" and .options != null)] | length')
	links=$(find "$VR_PIN" -maxdepth 1 -name "link_*_$(cat "/sys/class/net/$dev/ifindex")" | wc -l)
	echo $((tc + links))
}
vr_state >"$VR_TMP/before"
expect "attach again without a policy" vr attach "$dev"
expect "attach a third time" vr attach "$dev"
vr_state >"$VR_TMP/after"
if cmp -s "$VR_TMP/before" "$VR_TMP/after"; then
	ok "attach twice keeps the policy"
else
	not_ok "attach twice changed the policy: $(diff "$VR_TMP/before" "$VR_TMP/after" | tr '\n' ' ')"
fi
if [ "$(vr_filters)" = 1 ]; then
	ok "attach twice: one filter on $dev ingress"
else
	not_ok "attach twice: $(vr_filters) filters on $dev ingress"
fi

# ---- a policy from standard input ----
expect "detach" vr detach "$dev"
if [ "$(vr_filters)" = 0 ]; then
	ok "detach: no filter left on $dev ingress"
else
	not_ok "detach: $(vr_filters) filters left on $dev ingress"
fi
echo '{"default": "allow", "block": ["198.51.100.0/24"]}' |
	vr attach "$dev" --policy - >"$VR_TMP/out" 2>"$VR_TMP/err"
rc=$?
if [ "$rc" -eq 0 ] && vr -j show "$dev" |
	jq -e '.default == "allow" and ([.block[].rule] == ["198.51.100.0/24"])' >/dev/null; then
	ok "attach --policy - reads standard input"
else
	not_ok "attach --policy -: exit $rc: $(cat "$VR_TMP/err")"
fi
echo '{"default": "deny"' | vr apply "$dev" --policy - >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 2 ] && [ "$(vr_show_field "$dev" .default)" = allow ]; then
	ok "apply --policy - with invalid JSON: exit 2, policy kept"
else
	not_ok "apply --policy - with invalid JSON: exit $rc, default $(vr_show_field "$dev" .default)"
fi

# ---- a large policy ----
"$VR_PY" -c '
import json, sys
rules = ["100.%d.%d.%d:443/tcp" % (64 + (i >> 16), (i >> 8) & 255, i & 255) for i in range(100000)]
json.dump({"default": "deny", "allow": rules}, open(sys.argv[1], "w"))
' "$VR_TMP/big.json"
start=$(vr_now)
vr apply "$dev" --policy "$VR_TMP/big.json" >/dev/null 2>"$VR_TMP/err"
rc=$? took=$(vr_elapsed "$start")
if [ "$rc" -eq 0 ] && awk -v t="$took" 'BEGIN { exit !(t < 5) }'; then
	ok "apply 100000 rules ($took s)"
else
	not_ok "apply 100000 rules: exit $rc in $took s, want 0 in < 5 s: $(head -c 200 "$VR_TMP/err")"
fi
if [ "$(vr_show_field "$dev" .rule_count)" = 100000 ]; then
	ok "100000 rules: show -j counts them"
else
	not_ok "100000 rules: rule_count $(vr_show_field "$dev" .rule_count)"
fi
expect_rc "100000 rules: the last one allows" 0 vr check "$dev" 100.65.134.159:443
expect_rc "100000 rules: one past the last denies" 1 vr check "$dev" 100.65.134.160:443
expect_rc "100000 rules: another port denies" 1 vr check "$dev" 100.64.0.0:80
start=$(vr_now)
vr apply "$dev" --policy "$policy" >/dev/null 2>&1
rc=$? took=$(vr_elapsed "$start")
n4=$(bpftool -j map dump pinned "$VR_PIN/vrnet_lpm4" 2>/dev/null | jq length)
if [ "$rc" -eq 0 ] && [ "${n4:-x}" -lt 10 ] 2>/dev/null; then
	ok "replacing 100000 rules ($took s) frees their prefixes ($n4 left)"
else
	not_ok "replacing 100000 rules: exit $rc, $n4 IPv4 prefixes left"
fi

# ---- domain rules through a resolver of our own ----
dns_addr=10.231.$VR_NET.1
VR_DNSMASQ_PID=
vr_dnsmasq() { # ADDRESS-OPTIONS...: (re)start dnsmasq on our device's address
	[ -n "$VR_DNSMASQ_PID" ] && vr_stop_pid "$VR_DNSMASQ_PID"
	dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --port 53 \
		--listen-address="$dns_addr" --bind-interfaces --pid-file="$VR_TMP/dnsmasq.pid" \
		"$@" 2>>"$VR_TMP/dnsmasq.log" &
	VR_DNSMASQ_PID=$!
	vr_pids+=("$VR_DNSMASQ_PID")
	vr_wait_for 3 vr_dns_answers || vr_fatal "dnsmasq: $(tail -c 300 "$VR_TMP/dnsmasq.log")"
}
vr_dns_answers() { # dnsmasq answers (anything) on its address
	"$VR_PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
s.sendto(bytes.fromhex("abcd01000001000000000000") + b"\x02vr\x00\x00\x01\x00\x01", (sys.argv[1], 53))
s.recv(512)
' "$dns_addr" 2>/dev/null
}
vr_domain_addrs() { # the addresses show -j lists for api.vrtest:443/tcp, sorted
	vr -j show "$dev" | jq -r '[.allow[] | select(.rule == "api.vrtest:443/tcp") | .addresses[]] | sort | join(" ")'
}
resolver=(--resolver "$dns_addr")

vr_dnsmasq --address=/api.vrtest/"$VR_WEB4B" --address=/api.vrtest/"$VR_WEB6B"
expect "allow a domain" vr "${resolver[@]}" allow "$dev" api.vrtest:443/tcp
if [ "$(vr_domain_addrs)" = "$VR_WEB6B $VR_WEB4B" ]; then
	ok "show -j: the domain resolved to both addresses"
else
	not_ok "show -j: the domain resolved to \"$(vr_domain_addrs)\""
fi
vr show "$dev" >"$VR_TMP/out" 2>&1
if grep -F "api.vrtest:443/tcp" "$VR_TMP/out" | grep -qF "$VR_WEB4B" &&
	grep -F "api.vrtest:443/tcp" "$VR_TMP/out" | grep -qF "$VR_WEB6B"; then
	ok "show: the domain rule with both addresses"
else
	not_ok "show: $(grep -F api.vrtest "$VR_TMP/out")"
fi
expect_rc "check the domain: exit 0" 0 vr "${resolver[@]}" check "$dev" api.vrtest:443
expect_rc "check its IPv6 address: exit 0" 0 vr check "$dev" "[$VR_WEB6B]:443"

vr_dnsmasq --address=/api.vrtest/"$VR_WEB4" --address=/api.vrtest/"$VR_WEB6"
expect "refresh" vr "${resolver[@]}" refresh "$dev"
if [ "$(vr_domain_addrs)" = "$VR_WEB6 $VR_WEB4" ]; then
	ok "refresh picked up the changed answer"
else
	not_ok "refresh: the domain resolves to \"$(vr_domain_addrs)\""
fi
expect_rc "refresh: the new address allows" 0 vr check "$dev" "$VR_WEB4:443"
expect_rc "refresh: the old address denies" 1 vr check "$dev" "$VR_WEB4B:443"

vr_dnsmasq --address=/other.vrtest/"$VR_WEB4"
vr "${resolver[@]}" refresh "$dev" >/dev/null 2>&1
rc=$?
if [ "$rc" -ne 0 ] && [ "$(vr_domain_addrs)" = "$VR_WEB6 $VR_WEB4" ]; then
	ok "refresh of a name that no longer resolves: exit $rc, old addresses kept"
else
	not_ok "refresh of a name that no longer resolves: exit $rc, addresses \"$(vr_domain_addrs)\""
fi
vr_stop_pid "$VR_DNSMASQ_PID"

# A resolver that answers AAAA queries and never A ones: a block rule on the
# name would cover IPv6 only, so the name must fail to resolve.
cat >"$VR_TMP/aaaa_only.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5353))
s.settimeout(1)
addr = socket.inet_pton(socket.AF_INET6, sys.argv[2])
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    try:
        q, peer = s.recvfrom(512)
    except socket.timeout:
        continue
    end = q.index(b"\0", 12) + 5
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    if qtype != 28:
        continue  # A (and anything else) is never answered
    head = q[:2] + b"\x81\x80" + struct.pack("!HHHH", 1, 1, 0, 0)
    s.sendto(head + q[12:end] + b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 60, 16) + addr, peer)
PY
"$VR_PY" "$VR_TMP/aaaa_only.py" "$dns_addr" "$VR_WEB6B" 2>>"$VR_TMP/aaaa_only.log" &
aaaa_pid=$!
vr_pids+=("$aaaa_pid")
sleep 0.3
before=$(vr -j show "$dev" | jq -c '[.block[]?.rule]')
expect_rc "block a name whose A query times out: exit 2" 2 vr --resolver "$dns_addr:5353" \
	block "$dev" half.vrtest:443/tcp
if grep -q "cannot resolve its A records" "$VR_TMP/err" &&
	[ "$(vr -j show "$dev" | jq -c '[.block[]?.rule]')" = "$before" ]; then
	ok "the A query's failure named, nothing changed"
else
	not_ok "A query failure: $(cat "$VR_TMP/err")"
fi

# The same resolver is slow too (its A queries time out): looking a name up for
# an edit must not hold the lock, so a change made meanwhile goes through.
vr --resolver "$dns_addr:5353" allow "$dev" slow.vrtest:443/tcp >"$VR_TMP/slow.out" 2>&1 &
slow_pid=$!
vr_pids+=("$slow_pid")
sleep 0.5
# took_between NAME START MIN MAX: seconds since START within [MIN, MAX)
took_between() {
	local took
	took=$(vr_elapsed "$2")
	if awk -v t="$took" -v lo="$3" -v hi="$4" 'BEGIN { exit !(t >= lo && t < hi) }'; then
		ok "$1 (${took} s)"
	else
		not_ok "$1: took ${took} s, not $3-$4 s"
	fi
}
start=$(vr_now)
expect "a change while another command waits for a resolver" vr internet "$dev" policy
took_between "that change did not wait for the resolver's lookup" "$start" 0 1.5
wait "$slow_pid"
slow_rc=$?
if [ "$slow_rc" -eq 2 ] && grep -q "slow.vrtest" "$VR_TMP/slow.out"; then
	ok "the edit itself failed on its name: exit 2"
else
	not_ok "the slow edit: exit $slow_rc: $(cat "$VR_TMP/slow.out")"
fi
# refresh too: its lookups happen with no lock held
addrs_before=$(vr_domain_addrs)
vr --resolver "$dns_addr:5353" refresh "$dev" >"$VR_TMP/slow.out" 2>&1 &
slow_pid=$!
vr_pids+=("$slow_pid")
sleep 0.5
start=$(vr_now)
expect "a change while a refresh waits for a resolver" vr internet "$dev" policy
took_between "that change did not wait for the refresh's lookups" "$start" 0 1.5
wait "$slow_pid"
slow_rc=$?
if [ "$slow_rc" -ne 0 ] && [ "$(vr_domain_addrs)" = "$addrs_before" ] && [ -n "$addrs_before" ]; then
	ok "the refresh itself failed (exit $slow_rc) and kept the addresses"
else
	not_ok "the slow refresh: exit $slow_rc, \"$addrs_before\" -> \"$(vr_domain_addrs)\": $(cat "$VR_TMP/slow.out")"
fi
vr_stop_pid "$aaaa_pid"

# ---- a command starts cheaply: no shared library but libc, no layout compared twice ----
if ldd "$VRNET_BIN" | grep -v -e linux-vdso -e libc.so -e ld-linux | grep -q .; then
	not_ok "the CLI loads shared libraries besides libc: $(ldd "$VRNET_BIN" | tr '\n' ' ')"
else
	ok "the CLI loads no shared library but libc"
fi
want_build=$(cat "$(dirname "$VRNET_BIN")/vrnet_egress.bpf.o" \
	"$(dirname "$VRNET_BIN")/vrnet_xdp.bpf.o" | sha256sum | cut -c1-16)
expect_eq "version: the program build is its objects' SHA-256, 64 bits" \
	"$("$VRNET_BIN" -j version | jq -r .build)" "$want_build"
expect "a reader after a change" vr -v list
if grep -q "maps: laid out as this build noted, not compared" "$VR_TMP/err"; then
	ok "the layouts a change of this build compared are not compared again"
else
	not_ok "layouts compared again: $(grep maps: "$VR_TMP/err")"
fi
# another build's note (the config's bytes 8-15): the next change compares, and notes
cfg=$(bpftool -j map lookup pinned "$VR_PIN/vrnet_config" key 0 0 0 0 |
	jq -r '.value[0:8] | join(" ")')
cfg_tail=$(bpftool -j map lookup pinned "$VR_PIN/vrnet_config" key 0 0 0 0 |
	jq -r '.value[16:] | join(" ")')
expect "the note set to another build" bpftool map update pinned "$VR_PIN/vrnet_config" \
	key 0 0 0 0 value $cfg 1 2 3 4 5 6 7 8 $cfg_tail
expect "a change after another build's note" vr -v gc
if grep -q "maps: layouts compared with this build's" "$VR_TMP/err"; then
	ok "another build's note: the layouts are compared"
else
	not_ok "another build's note: $(grep maps: "$VR_TMP/err")"
fi
expect "a reader after that change" vr -v list
if grep -q "maps: laid out as this build noted" "$VR_TMP/err"; then
	ok "the change noted its comparison"
else
	not_ok "not noted: $(grep maps: "$VR_TMP/err")"
fi

# ---- maps of another build are refused, not misread ----
fake=$VR_PIN-fake
mkdir "$fake" && bpftool map create "$fake/vrnet_config" type array key 4 value 24 entries 1 \
	name vrnet_config || vr_fatal "a map of another build"
expect_rc "a pin directory with a map of another layout: exit 3" 3 "$VRNET_BIN" --pin-dir "$fake" gc
if grep -q "vrnet_config was made by another build of vrnet-bpf: its key is laid out as no BTF" \
	"$VR_TMP/err"; then
	ok "the refusal names the map and what differs"
else
	not_ok "refusal: $(cat "$VR_TMP/err")"
fi
rm -rf "$fake"

# ---- apply --check: validates, installs nothing ----
vr_snapshot "$dev" >"$VR_TMP/before"
good=$(vr_policy good '{"default": "deny", "allow": ["203.0.113.0/24:443/tcp", "198.51.100.7:53/udp"],
	"block": ["203.0.113.66"]}')
expect "apply --check of a valid policy" vr -j apply --check --policy "$good"
if jq -e '.valid == true and .rules == 3 and .prefixes == 3' "$VR_TMP/out" >/dev/null; then
	ok "apply --check -j: valid, 3 rules, 3 prefixes"
else
	not_ok "apply --check -j: $(cat "$VR_TMP/out")"
fi
bad=$(vr_policy bad '{"allow": ["203.0.113.1/24"]}')
expect_rc "apply --check of an invalid policy: exit 2" 2 vr apply --check --policy "$bad"
vr_dnsmasq --address=/api.vrtest/"$VR_WEB4" --address=/api.vrtest/"$VR_WEB6"
expect_rc "apply --check of a name that does not resolve: exit 2" 2 \
	vr --resolver "$dns_addr" apply --check --policy "$(vr_policy nx '{"dns_proxy": false, "allow": ["nx.vrtest"]}')"
if grep -q "nx.vrtest: cannot resolve" "$VR_TMP/err"; then
	ok "apply --check names the name"
else
	not_ok "apply --check: $(cat "$VR_TMP/err")"
fi
expect "apply --check of a name that resolves" \
	vr --resolver "$dns_addr" apply --check --policy "$(vr_policy api '{"dns_proxy": false, "allow": ["api.vrtest:443"]}')"
vr_stop_pid "$VR_DNSMASQ_PID"
expect_rc "apply without a device or --check: exit 2" 2 vr apply --policy "$good"
vr_snapshot "$dev" >"$VR_TMP/after"
if cmp -s "$VR_TMP/before" "$VR_TMP/after"; then
	ok "apply --check changed nothing in the kernel"
else
	not_ok "apply --check changed the maps: $(diff "$VR_TMP/before" "$VR_TMP/after" | head -5)"
fi

# ---- the lock: busy is exit 4 at once, -w waits ----
flock "$VR_PIN" sleep 3 &
holder=$!
vr_pids+=("$holder")
sleep 0.3
start=$(vr_now)
expect_rc "a change while another holds the lock: exit 4" 4 vr internet "$dev" policy
if grep -q "another vrnet-bpf command holds $VR_PIN (-w SECONDS waits for it)" "$VR_TMP/err" &&
	awk -v t="$(vr_elapsed "$start")" 'BEGIN { exit !(t < 1) }'; then
	ok "busy: said at once, naming -w"
else
	not_ok "busy: $(cat "$VR_TMP/err") after $(vr_elapsed "$start") s"
fi
expect_rc "a read while another holds the lock: exit 4" 4 vr show "$dev"
start=$(vr_now)
expect_rc "-w 1 gives up after a second: exit 4" 4 vr -w 1 internet "$dev" policy
took_between "-w 1 waited a second" "$start" 0.9 2
expect "-w 10 waits for the holder" vr -w 10 internet "$dev" policy
took_between "-w 10 went ahead once the holder let go, not before" "$start" 2.5 10
vr_stop_pid "$holder"
expect_rc "-w takes seconds" 2 vr -w soon list

# `make install` into a staging root: both binaries, and `dns` of the installed one finds its proxy
if make -C "$VR_TOP" --no-print-directory OUTPUT="$(dirname "$VRNET_BIN")" \
	DESTDIR="$VR_TMP/root" PREFIX=/usr/local install >"$VR_TMP/install.log" 2>&1; then
	ok "make install DESTDIR=..."
else
	not_ok "make install: $(tail -3 "$VR_TMP/install.log")"
fi
for f in sbin/vrnet-bpf sbin/vrnet-bpf-dns share/man/man8/vrnet-bpf.8; do
	expect "installed: $f" test -s "$VR_TMP/root/usr/local/$f"
done
expect_rc "the installed vrnet-bpf's dns runs the installed proxy (no pin directory: exit 2)" 2 \
	"$VR_TMP/root/usr/local/sbin/vrnet-bpf" --pin-dir "$VR_TMP/nopin" dns
cp "$VR_TMP/err" "$VR_TMP/install.err"
expect "... the proxy's own error, not the exec's" grep -q "nothing attached" "$VR_TMP/install.err"

# the systemd units as `make install` writes them
if command -v systemd-analyze >/dev/null 2>&1; then
	for unit in "$VR_TOP"/scripts/systemd/*; do
		sed "s|@SBINDIR@|$(dirname "$VRNET_BIN")|" "$unit" >"$VR_TMP/$(basename "$unit")"
	done
	# a value it cannot parse is only a warning: any output fails too
	if out=$(systemd-analyze verify --man=no "$VR_TMP"/vrnet-bpf-*.service \
		"$VR_TMP"/vrnet-bpf-*.timer 2>&1) && [ -z "$out" ]; then
		ok "systemd-analyze verify accepts every unit, without a warning"
	else
		not_ok "systemd-analyze verify: $out"
	fi
else
	skip "systemd-analyze verify (no systemd-analyze)"
fi
