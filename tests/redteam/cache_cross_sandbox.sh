#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Attack: the answer cache is shared by every device. Sandbox A (allows
# *.example.test) gets answers cached, in odd spellings; sandbox B (allows only
# ok.example.test) then asks the same questions: it must get NXDOMAIN for what
# its policy refuses, and nothing A's answers opened. Also a question spelled
# with a different case and with EDNS must not receive another's bytes.
# Control: B's allowed name is served from the cache (the cache works).
set -u
. "$(dirname "$0")/rt_lib.sh"
vr_init dig dnsmasq
rt_jail 203.0.113.101 203.0.113.102
vr_dns_upstream "$jail" 10.233.1.1 --host-record=secret.example.test,203.0.113.101,300 \
	--host-record=ok.example.test,203.0.113.102,300
vr_dns_services "$jail"
expect "attach A" vj attach vrj --policy "$(vr_policy a '{"default": "deny", "allow": ["*.example.test:443/tcp"]}')"
sbx2=vrsbx2$VR_ID
vr_jail_add_sandbox "$jail" "$sbx2" vrj2 vrk2 2
expect "attach B" vj attach vrj2 --policy "$(vr_policy b '{"default": "deny", "allow": ["ok.example.test:443/tcp"]}')"
rt_proxy
expect_lookup "A: secret (cached now)" 203.0.113.101 192.0.2.53 SeCrEt.example.test A
expect_lookup "A: ok (cached now)" 203.0.113.102 192.0.2.53 ok.example.test A
for q in secret.example.test SECRET.EXAMPLE.TEST sEcReT.example.test; do
	in=$sbx2 expect_lookup "attack: B asks $q" NXDOMAIN 192.0.2.53 "$q" A
done
in=$sbx2 expect_connect "attack: B to A's opened address" blocked 203.0.113.101 443
# upstream queries for the name so far: A's, a retry included when the machine is busy
asked() { grep -ci "query\[A\] ok.example.test from" "$VR_TMP/dnsmasq.log"; }
up=$(asked)
expect "control: A's lookup went upstream ($up)" test "$up" -ge 1
in=$sbx2 expect_lookup "control: B's allowed name (from the cache)" 203.0.113.102 192.0.2.53 OK.example.test A
expect_eq "control: B's lookup asked upstream nothing ($up before)" "$(asked)" "$up"
spell=$(ip netns exec "$sbx2" dig +time=2 +tries=1 +noall +question @192.0.2.53 oK.ExAmPlE.tEsT A | tr -d ';' | awk '{print $1}')
expect_eq "B's own spelling in the cached answer" "$spell" "oK.ExAmPlE.tEsT."
if [ "$vr_failed" -eq 0 ]; then
	rt_result cache_cross_sandbox HOLDS "B refused A's names from the cache; control hit works"
else
	rt_result cache_cross_sandbox LEAKS "see not ok lines"
fi
echo "$vr_passed passed, $vr_failed failed"
