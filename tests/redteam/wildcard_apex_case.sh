#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: "*.corp.example.test" must match one or more labels in front of
# corp.example.test, never the suffix itself (README, docs/dns-proxy.md), in
# any case. ldns_dname_is_subdomain() tells a name from itself with a
# comparison that minds case, so "CORP.example.test" once passed; the proxy now
# refuses the suffix itself first (dns_names.c specificity). Control: the apex
# in the rule's own case is refused and never asked upstream.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.61 203.0.113.62
vr_dns_upstream "$jail" 10.233.1.1 --host-record=corp.example.test,203.0.113.61 \
	--host-record=a.corp.example.test,203.0.113.62
vr_dns_services "$jail"
expect "attach" vj attach vrj --policy "$(vr_policy p '{"default": "deny",
	"allow": ["*.corp.example.test:443/tcp"]}')"
rt_proxy

expect_lookup "control: a subdomain (allowed)" 203.0.113.62 192.0.2.53 a.corp.example.test A
expect_lookup "control: the apex, rule's case (refused)" NXDOMAIN 192.0.2.53 corp.example.test A
expect_connect "control: the apex's address before" blocked 203.0.113.61 443
ctl=$(grep -ci "query\[A\] corp.example.test from" "$VR_TMP/dnsmasq.log")
got=$(lookup 192.0.2.53 CORP.example.test A)
att=$(grep -ci "query\[A\] corp.example.test from" "$VR_TMP/dnsmasq.log")
expect_eq "attack: the apex in upper case (want NXDOMAIN)" "$got" NXDOMAIN
expect_eq "attack: upstream asked for the apex (want 0)" "$att" 0
expect_connect "attack: the apex's address after" blocked 203.0.113.61 443
if [ "$got" = 203.0.113.61 ]; then
	rt_result wildcard_apex_case LEAKS "CORP.example.test answered $got, upstream saw it $att time(s) (control: $ctl), its address opened"
else
	rt_result wildcard_apex_case HOLDS "CORP.example.test -> $got"
fi
echo "$vr_passed passed, $vr_failed failed"
