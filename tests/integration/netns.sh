#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Devices are known by ifindex, which means something only in one network
# namespace. A command run from another namespace (nsenter, ip netns exec)
# must be refused before it reads or overwrites a device's state: a device
# there with the same ifindex as a host device used to take over the host
# device's policy, and gc from there reclaimed live host devices. Under
# ip netns exec, /sys is its own, and a bpffs mounted there is thrown away
# with the filter it managed.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init nsenter

vr_veth_sandbox
dev=$VR_DEV
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090"
in_sbx() { nsenter --net="/run/netns/$VR_SBX" "$@"; } # same mounts, the sandbox's netns

expect_reach "unfiltered" tcp "$VR_WEB4" 9090
deny=$(vr_policy deny '{"default": "deny", "allow": ["203.0.113.10:8080/tcp"]}')
allow_all=$(vr_policy all '{"default": "allow"}')
expect "attach from the host's namespace" vr attach "$dev" --policy "$deny"
expect_blocked "attached" tcp "$VR_WEB4" 9090

# gc from a namespace where the host device's ifindex does not exist used to
# reclaim it as gone: the host device then dropped everything, unlisted.
expect_rc "gc from another namespace: exit 2" 2 in_sbx "$VRNET_BIN" --pin-dir "$VR_PIN" gc
expect_rc "list from another namespace: exit 2" 2 in_sbx "$VRNET_BIN" --pin-dir "$VR_PIN" list
if [ "$(vr -j list | jq -r --arg d "$dev" '[.[] | select(.device == $d)] | length')" = 1 ]; then
	ok "the host device is still listed"
else
	not_ok "the host device is gone from list: $(vr -j list)"
fi
expect_reach "the host device's allowed port still works" tcp "$VR_WEB4" 8080

# A device in the sandbox's namespace with the host device's ifindex.
idx=$(cat "/sys/class/net/$dev/ifindex")
ip -n "$VR_SBX" link add vrc$VR_ID index "$idx" type veth peer name vrd$VR_ID ||
	vr_fatal "a veth with ifindex $idx in $VR_SBX"
ip -n "$VR_SBX" link set vrc$VR_ID up

expect_rc "apply from another namespace to a device with the same ifindex: exit 2" 2 \
	in_sbx "$VRNET_BIN" --pin-dir "$VR_PIN" apply "vrc$VR_ID" --policy "$allow_all"
if grep -q "another network namespace" "$VR_TMP/err"; then
	ok "the refusal names the namespace"
else
	not_ok "refusal: $(cat "$VR_TMP/err")"
fi
expect_rc "attach from another namespace: exit 2" 2 \
	in_sbx "$VRNET_BIN" --pin-dir "$VR_PIN" attach "vrc$VR_ID" --policy "$allow_all" --force
expect_blocked "the host device kept its policy" tcp "$VR_WEB4" 9090
expect "status from the host's namespace: the device is still filtered" vr status

# Under ip netns exec, /sys/fs/bpf is not the host's bpffs: no throw-away one.
expect_rc "attach under ip netns exec: exit 2" 2 \
	ip netns exec "$VR_SBX" "$VRNET_BIN" --pin-dir "$VR_PIN" attach "vrc$VR_ID" --force
if grep -q "ip netns exec" "$VR_TMP/err"; then
	ok "the refusal names ip netns exec"
else
	not_ok "refusal: $(cat "$VR_TMP/err")"
fi
if [ -z "$(tc -n "$VR_SBX" filter show dev "vrc$VR_ID" ingress 2>/dev/null)" ]; then
	ok "no filter left on the sandbox's device"
else
	not_ok "a filter was left on vrc$VR_ID: $(tc -n "$VR_SBX" filter show dev "vrc$VR_ID" ingress)"
fi
