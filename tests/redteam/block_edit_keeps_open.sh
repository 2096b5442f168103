#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack (race with policy edits): the sandbox looks up a name its wildcard
# allows, with a long TTL; the operator then blocks that name with an edit
# (`block DEV NAME`, the overlay). The address the earlier answer opened must
# close. It once stayed open (edits never touched vrnet_dnsaddrs, and an apply
# carried the entry on); a block edit of a name now closes the device's opened
# addresses (apply.c vr_edit_add), and an entry lives at most an hour.
# Control: a name blocked by an apply alone is closed at once.
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.81 203.0.113.82
vr_dns_upstream "$jail" 10.233.1.1 --host-record=evil.example.test,203.0.113.81,2000000000 \
	--host-record=evil2.example.test,203.0.113.82,3600
vr_dns_services "$jail"
expect "attach" vj attach vrj --policy "$(vr_policy p '{"default": "deny",
	"allow": ["*.example.test:443/tcp"]}')"
rt_proxy

expect_lookup "lookup while allowed" 203.0.113.81 192.0.2.53 evil.example.test A
expect_connect "reach while allowed" reach 203.0.113.81 443
expect "operator: block evil.example.test (edit)" vj block vrj evil.example.test
expect_lookup "control: the name is refused after the edit" NXDOMAIN 192.0.2.53 evil.example.test A
expires=$(vj show vrj -j | "$VR_PY" -c 'import json, sys
d = json.load(sys.stdin)
print(max([o["expires_in_s"] for r in d.get("allow", []) for o in r.get("opened", [])] or [0]))')
echo "# the opened entry expires in ${expires}s"
rt_closed block_edit_keeps_open 203.0.113.81 443 \
	"203.0.113.81:443 still reachable after 'block vrj evil.example.test'; entry expires in ${expires}s" \
	"closed by the edit"
# the same block then made part of the base policy by a full apply: the old
# policy (base + overlay) already had it, so the carry keeps the entry
expect "operator: apply with the block in the base" vj apply vrj --policy "$(vr_policy p2 '{"default": "deny",
	"allow": ["*.example.test:443/tcp"], "block": ["evil.example.test"]}')"
rt_closed block_apply_after_edit 203.0.113.81 443 \
	"203.0.113.81:443 still reachable after apply with block evil.example.test (carried from the overlay)" \
	"closed by the apply"
# control: a name blocked by an apply alone (no edit before) is closed at once
expect_lookup "control: evil2 while allowed" 203.0.113.82 192.0.2.53 evil2.example.test A
expect_connect "control: evil2 reach while allowed" reach 203.0.113.82 443
expect "control: apply with evil2 blocked" vj apply vrj --policy "$(vr_policy p3 '{"default": "deny",
	"allow": ["*.example.test:443/tcp"], "block": ["evil.example.test", "evil2.example.test"]}')"
expect_connect "control: evil2 after the apply" blocked 203.0.113.82 443
echo "$vr_passed passed, $vr_failed failed"
