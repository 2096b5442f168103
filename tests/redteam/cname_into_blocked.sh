#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: an allowed name whose answer is a CNAME into a name the policy
# blocks by name. The blocked name's address must not open. It once did (the
# chain's names went undecided); the proxy now judges every name of the chain
# by the asker's rules and refuses such an answer (dns_proxy.c blocked_name). Also: a chain into
# the metadata address, blocked by address (v4, and the NAT64 / IPv4-mapped
# forms of it in AAAA records): must stay blocked.
# Controls: the blocked name asked directly is NXDOMAIN and its address is
# closed; a second, unfiltered probe (the jail itself) reaches every target.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.71 169.254.169.254 64:ff9b::a9fe:a9fe
vr_dns_upstream "$jail" 10.233.1.1 \
	--cname=alias.example.test,evil.example.test --host-record=evil.example.test,203.0.113.71 \
	--cname=meta.example.test,md.internal.test --host-record=md.internal.test,169.254.169.254 \
	--host-record=md6.example.test,64:ff9b::a9fe:a9fe
vr_dns_services "$jail"
expect "attach" vj attach vrj --policy "$(vr_policy p '{"default": "deny",
	"allow": ["alias.example.test:443/tcp", "meta.example.test:443/tcp", "md6.example.test:443/tcp"],
	"block": ["evil.example.test", "*.evil.example.test", "169.254.169.254"]}')"
rt_proxy

# controls
in=$jail expect_connect "control: unfiltered (the jail) reaches the blocked name's address" reach 203.0.113.71 443
in=$jail expect_connect "control: unfiltered reaches the metadata address" reach 169.254.169.254 443
expect_lookup "control: the blocked name directly" NXDOMAIN 192.0.2.53 evil.example.test A
expect_connect "control: the blocked name's address before" blocked 203.0.113.71 443

# attack 1: CNAME into a name-blocked name
# the chain's address, before the fix, came back; now the answer is refused as evil's is
got=$(lookup 192.0.2.53 alias.example.test A)
expect_eq "attack: alias -> evil is refused" "$got" NXDOMAIN
rt_closed cname_into_blocked 203.0.113.71 443 \
	"alias.example.test CNAME evil.example.test (blocked by name) opened 203.0.113.71:443" \
	"evil.example.test's address stays closed"

# attack 2: chain into the metadata address, and its IPv6 disguises
expect_lookup "attack: meta -> md.internal.test" 169.254.169.254 192.0.2.53 meta.example.test A
expect_connect "attack: metadata address after the chain" blocked 169.254.169.254 443
expect_lookup "attack: NAT64 form of the metadata address" 64:ff9b::a9fe:a9fe 192.0.2.53 md6.example.test AAAA
expect_connect "attack: NAT64 form after its lookup" blocked 64:ff9b::a9fe:a9fe 443
if connects 169.254.169.254 443 || connects 64:ff9b::a9fe:a9fe 443; then
	rt_result cname_metadata LEAKS "metadata reached"
else
	rt_result cname_metadata HOLDS "169.254.169.254 and 64:ff9b::a9fe:a9fe stay blocked"
fi
echo "$vr_passed passed, $vr_failed failed"
