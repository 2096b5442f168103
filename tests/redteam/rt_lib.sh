# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=bash
# Red-team helpers for the DNS proxy: sourced after `set -u`. Reuses the
# integration helpers (every resource vr-prefixed, removed by their EXIT trap).
RT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$RT_DIR/../integration/lib.sh"
# shellcheck source=tests/integration/dns_lib.sh
. "$RT_DIR/../integration/dns_lib.sh"

vj() { vr -n "$jail" "$@"; }

# rt_jail ADDR...: the jail and its first sandbox; ADDRs added to the jail's vrj
rt_jail() {
	vr_jail_sandbox
	jail=$VR_JAIL sbx=$VR_SBX
	local a
	for a in "$@"; do
		case $a in
		*:*) ip -n "$jail" -6 addr add "$a/128" dev vrj nodad ;;
		*) ip -n "$jail" addr add "$a/32" dev vrj ;;
		esac || vr_fatal "address $a in the jail"
	done
}

# rt_proxy [ARGS...]: the proxy in the jail, asking 10.233.1.1:5353, a -j line per query
# (--log-answers: the attacks read answers too) in $VR_TMP/proxy.log
rt_proxy() {
	vj --resolver 10.233.1.1:5353 -j dns --log-answers "$@" >"$VR_TMP/proxy.log" 2>&1 &
	vr_pids+=($!)
	sleep 0.7
}

# rt_result NAME LEAKS|HOLDS|DoS DETAIL: one summary line
rt_result() {
	echo "RESULT $1: $2 - $3"
}

# rt_closed NAME ADDR PORT LEAKS-DETAIL HOLDS-DETAIL: the attack's verdict on
# ADDR:PORT, which must stay closed. Three tries, as expect_connect's: the
# first may wait for neighbours.
rt_closed() {
	for _ in 1 2 3; do
		if connects "$2" "$3"; then
			rt_result "$1" LEAKS "$4"
			return
		fi
	done
	rt_result "$1" HOLDS "$5"
}
