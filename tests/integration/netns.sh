#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A device is its network namespace and its ifindex. Under Firecracker's
# jailer every VM's tap sits in a namespace of its own, and ifindexes repeat
# across them: a device in a "jail" namespace with the host device's ifindex
# must get a policy of its own, enforced on its own traffic, and never touch
# the host device's. -n runs a command on a namespace's devices with the
# state in the host's pin directory; under ip netns exec (whose /sys is its
# own) the CLI stops with a clear error instead of mounting a throw-away bpffs.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck disable=SC2119 # vr_init takes tool names, not our arguments
vr_init nsenter

vr_veth_sandbox
dev=$VR_DEV
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090"

# The jail: vrj (the VM's tap, as the jailer makes it) with the host device's
# ifindex, its peer in the jailed sandbox's namespace. Addresses exist only
# inside these two namespaces.
jail=vrjail$VR_ID jsbx=vrjsbx$VR_ID jdev=vrj$VR_ID
idx=$(cat "/sys/class/net/$dev/ifindex")
vr_add_netns "$jail"
vr_add_netns "$jsbx"
ip -n "$jail" link add "$jdev" index "$idx" type veth peer name "vrk$VR_ID" netns "$jsbx" ||
	vr_fatal "a veth with ifindex $idx in $jail"
ip -n "$jail" addr add 10.232.1.1/24 dev "$jdev" && ip -n "$jail" link set "$jdev" up &&
	ip -n "$jsbx" addr add 10.232.1.2/24 dev "vrk$VR_ID" && ip -n "$jsbx" link set "vrk$VR_ID" up ||
	vr_fatal "addresses in $jail and $jsbx"
jail_ping() { ip netns exec "$jsbx" ping -n -q -c1 -W 1 10.232.1.1 >/dev/null 2>&1; }
expect_jail() { # NAME reach|blocked
	local i
	for i in 1 2 3; do
		if jail_ping; then
			[ "$2" = reach ] && { ok "$1: the jailed sandbox reaches the jail"; return; }
			not_ok "$1: the jailed sandbox reached the jail"
			return
		fi
	done
	[ "$2" = blocked ] && ok "$1: the jailed sandbox is blocked" ||
		not_ok "$1: the jailed sandbox does not reach the jail"
}
vjail() { vr -n "$jail" "$@"; }

expect_reach "host device, unfiltered" tcp "$VR_WEB4" 9090
expect_jail "jail device, unfiltered" reach
host_policy=$(vr_policy host '{"default": "deny", "allow": ["203.0.113.10:8080/tcp"]}')
allow_all=$(vr_policy all '{"default": "allow"}')
deny_all=$(vr_policy none '{"default": "deny"}')

expect "attach the host device" vr attach "$dev" --policy "$host_policy"
expect_blocked "host device, deny but 8080" tcp "$VR_WEB4" 9090
expect "attach the jail's device with -n NAME, default allow" vjail attach "$jdev" \
	--policy "$allow_all"
expect_jail "jail device, default allow" reach
expect_blocked "the host device kept its own policy" tcp "$VR_WEB4" 9090
expect_reach "the host device's allowed port" tcp "$VR_WEB4" 8080
if [ "$(vr_show_field "$dev" .default)" = deny ]; then
	ok "show: the host device's default is still deny"
else
	not_ok "show: $(vr -j show "$dev")"
fi

expect "apply deny-all to the jail's device, -n PATH" vr -n "/run/netns/$jail" apply "$jdev" \
	--policy "$deny_all"
expect_jail "jail device, deny-all" blocked
expect_reach "the host device is untouched" tcp "$VR_WEB4" 8080
expect "internet on in the jail" vjail internet "$jdev" on
expect_jail "jail device, internet on" reach
expect_blocked "the host device has no internet switch on" tcp "$VR_WEB4" 9090
expect "internet back to policy in the jail" vjail internet "$jdev" policy
expect_rc "check in the jail: deny" 1 vjail check "$jdev" 10.232.1.1
expect_rc "check on the host: deny" 1 vr check "$dev" "$VR_WEB4:9090"
expect "check on the host: allow" vr check "$dev" "$VR_WEB4:8080"

# list shows both, each with its namespace; the same ifindex twice
list=$(vr -j list)
if [ "$(jq --argjson i "$idx" '[.[] | select(.ifindex == $i)] | length' <<<"$list")" = 2 ] &&
	[ "$(jq -r --arg d "$jdev" '.[] | select(.device == $d) | .netns' <<<"$list")" = "$jail" ]; then
	ok "list -j: both devices with ifindex $idx, the jail's named $jail"
else
	not_ok "list -j: $list"
fi
vr list >"$VR_TMP/list" 2>&1
if grep "^$jdev " "$VR_TMP/list" | grep -q "netns $jail"; then
	ok "list names the jail's namespace"
else
	not_ok "list: $(cat "$VR_TMP/list")"
fi
expect "status sees both filtered" vr status
expect_rc "show of the jail's device without -n: not here (exit 2)" 2 vr show "$jdev"

# gc anywhere reclaims nothing that exists, in any namespace
expect "gc from the host" vr -j gc
if [ "$(jq -r .reclaimed_devices "$VR_TMP/out")" = 0 ]; then
	ok "gc from the host reclaimed nothing"
else
	not_ok "gc: $(cat "$VR_TMP/out")"
fi
expect "gc from inside the jail (nsenter: same mounts)" \
	nsenter --net="/run/netns/$jail" "$VRNET_BIN" --pin-dir "$VR_PIN" gc
expect_jail "the jail's device is still filtered" blocked
expect_blocked "the host device is still filtered" tcp "$VR_WEB4" 9090

# Under ip netns exec, /sys/fs/bpf is not the host's bpffs: no throw-away one.
expect_rc "attach under ip netns exec: exit 2" 2 \
	ip netns exec "$jail" "$VRNET_BIN" --pin-dir "$VR_PIN" apply "$jdev" --policy "$allow_all"
if grep -q "ip netns exec" "$VR_TMP/err" && grep -q -- "-n $jail" "$VR_TMP/err"; then
	ok "the refusal names ip netns exec and -n $jail"
else
	not_ok "refusal: $(cat "$VR_TMP/err")"
fi
expect_jail "the refused command changed nothing" blocked
expect_rc "-n with no such namespace: exit 2" 2 vr -n "vrnosuch$VR_ID" list

# The jail's device goes: gc from the host enters the jail and reclaims it.
ip -n "$jail" link del "$jdev"
expect "gc after the jail's device is deleted" vr -j gc
if [ "$(jq -r .reclaimed_devices "$VR_TMP/out")" = 1 ] &&
	[ "$(vr -j list | jq --argjson i "$idx" '[.[] | select(.ifindex == $i)] | length')" = 1 ]; then
	ok "gc reclaimed the jail's device only"
else
	not_ok "gc: $(cat "$VR_TMP/out"); list: $(vr -j list)"
fi
expect_blocked "the host device is still filtered" tcp "$VR_WEB4" 9090
if ! ls "$VR_PIN" | grep -q "^vrnet_egress_" || [ "$(ls "$VR_PIN" | grep -c "^vrnet_egress_")" = 1 ]; then
	ok "the jail's program pin went with its last device"
else
	not_ok "program pins: $(ls "$VR_PIN" | grep vrnet_egress)"
fi

# A namespace that vanishes with a device attached: kept until gc --force.
ip -n "$jail" link add "$jdev" index "$idx" type veth peer name "vrk$VR_ID" netns "$jsbx" ||
	vr_fatal "the jail's device again"
expect "attach in the jail again" vjail attach "$jdev"
ip netns del "$jail"
expect "gc keeps a device whose namespace is not found" vr -j gc
if [ "$(jq -r .unreachable_devices "$VR_TMP/out")" = 1 ]; then
	ok "gc counted it unreachable"
else
	not_ok "gc: $(cat "$VR_TMP/out")"
fi
expect "status does not fail for it" vr status
expect "gc --force forgets it" vr -j gc --force
if [ "$(jq -r .reclaimed_devices "$VR_TMP/out")" = 1 ] &&
	[ "$(vr -j list | jq 'length')" = 1 ]; then
	ok "gc --force reclaimed it; the host device stays"
else
	not_ok "gc --force: $(cat "$VR_TMP/out"); list: $(vr -j list)"
fi
expect_blocked "the host device is still filtered" tcp "$VR_WEB4" 9090
