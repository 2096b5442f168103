#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The provisioning scripts, scripts/vrnet-tap and scripts/vrnet-veth, as a
# host's provisioning runs them: the device is made with the filter attached
# before it comes up, real traffic through it is judged by the policy (and the
# same probes get through once the filter is taken off: they could leak), a
# failure at any step, or a signal, leaves no device and no state, and `down`
# removes both.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
vr_init nsenter setsid

[ -x "$VRNET_TOOLS/taprelay" ] || vr_fatal "$VRNET_TOOLS/taprelay is not built (make test-bins)"
# the scripts of this tree, or others (an installed package's) under test
TAPUP=${VRNET_TAP:-$VR_TOP/scripts/vrnet-tap}
VETHUP=${VRNET_VETH:-$VR_TOP/scripts/vrnet-veth}
T=vrt$VR_ID        # the MicroVM's tap
H=vrh$VR_ID        # the container's veth, host end
P=vrs$VR_ID        # ... and its peer in the container's namespace
NS=vrc$VR_ID       # the container's namespace
# Registered before the scripts make them: removed on every exit path, even
# when a script under test fails midway.
vr_links+=("$T" "$H")
vr_add_netns "$NS"
vr_pick_net
started=$(vr_now)

# check_filter LABEL DEV [v6]: the policy's allowed probes answered (over IPv6 too), its blocked ones
# dropped and counted; then, the filter taken off, the same probes get through
# (they could leak), and it is attached again for `down`.
check_filter() {
	local label=$1 dev=$2 d0 d1
	d0=$(vr_counter "$dev" dropped_packets)
	expect_reach "$label, the script's filter: allowed" tcp "$VR_WEB4" 8080
	[ "${3:-}" = v6 ] && expect_reach "$label, the script's filter: allowed" tcp "$VR_WEB6" 8080
	expect_blocked "$label, the script's filter" tcp "$VR_WEB4" 9090
	expect_blocked "$label, the script's filter" udp "$VR_WEB4" 7777
	d1=$(vr_counter "$dev" dropped_packets)
	if [ "$d1" -gt "$d0" ]; then ok "$label: the filter counted drops ($d0 -> $d1)"; else
		not_ok "$label: dropped $d0 -> $d1"
	fi
	expect "control: detach $dev" vr detach "$dev"
	expect_reach "$label, control without the filter" tcp "$VR_WEB4" 9090
	expect_reach "$label, control without the filter" udp "$VR_WEB4" 7777
	expect "attach $dev again for down" vr attach "$dev" --policy "$good"
}

# A vrnet-bpf in front of the real one. For each attach it notes whether the
# device (and with VR_WRAP_PEER="NETNS PEER", the peer) was up at that moment;
# VR_WRAP=fail fails after the real attach, VR_WRAP=kill sends SIGTERM to its
# whole process group (the script under test with it), as a stop would.
cat >"$VR_TMP/vrnet-bpf" <<EOF
#!/usr/bin/env bash
real='$VRNET_BIN'
log='$VR_TMP/attach.log'
EOF
cat >>"$VR_TMP/vrnet-bpf" <<'EOF'
is_up() { case $("$@" 2>/dev/null) in *"<UP"* | *",UP"*) echo 1 ;; *) echo 0 ;; esac; }
dev='' prev=''
for a in "$@"; do
	[ "$prev" = attach ] && dev=$a
	prev=$a
done
[ -n "$dev" ] || exec "$real" "$@"
line="$dev up=$(is_up ip -o link show dev "$dev")"
if [ -n "${VR_WRAP_PEER:-}" ]; then
	read -r ns peer <<<"$VR_WRAP_PEER"
	line="$line peer_up=$(is_up ip -n "$ns" -o link show dev "$peer")"
fi
echo "$line" >>"$log"
"$real" "$@"
rc=$?
case ${VR_WRAP:-} in
fail) exit 3 ;;
kill) kill -TERM 0; sleep 5 ;;
esac
exit "$rc"
EOF
chmod +x "$VR_TMP/vrnet-bpf"
export VRNET_BPF=$VR_TMP/vrnet-bpf

good=$(vr_policy good '{"default": "deny",
	"allow": ["203.0.113.10:8080/tcp", "[2001:db8::10]:8080/tcp"]}')
bad=$(vr_policy bad '{"default": "deny", "allow": ["203.0.113.10:99999/tcp"]}')

# expect_error NAME: the last expect_rc's stderr says "Error: ...".
expect_error() {
	if grep -q '^Error: ' "$VR_TMP/err"; then
		ok "$1: $(grep -m1 '^Error: ' "$VR_TMP/err")"
	else
		not_ok "$1: no \"Error: \" line: $(head -c 200 "$VR_TMP/err")"
	fi
}

# expect_gone NAME DEV [NETNS PEER]: no DEV (nor PEER in NETNS), no state of
# DEV in the pin directory and no tcx link pinned there.
expect_gone() {
	local name=$1 dev=$2 ns=${3:-} peer=${4:-} left=''
	ip link show dev "$dev" >/dev/null 2>&1 && left="$left $dev"
	[ -n "$ns" ] && ip -n "$ns" link show dev "$peer" >/dev/null 2>&1 && left="$left $peer in $ns"
	[ "$(vr -j list | jq --arg d "$dev" '[.[] | select(.device == $d)] | length')" = 0 ] ||
		left="$left state"
	compgen -G "$VR_PIN/link_*" >/dev/null && left="$left $(cd "$VR_PIN" && echo link_*)"
	if [ -z "$left" ]; then
		ok "$name: nothing left"
	else
		not_ok "$name: left behind:$left"
	fi
}

# expect_attached NAME DEV: `show -j` lists DEV attached with the good policy.
expect_attached() {
	local got
	got=$(vr -j show "$2" | jq -c '[.filter, .default, [.allow[].rule]]')
	expect_eq "$1: show -j DEV: filter, default, allow" "$got" \
		'["attached","deny",["203.0.113.10:8080/tcp","[2001:db8::10]:8080/tcp"]]'
}

# fresh DEV...: removes what a failing case before left, so that each case
# starts clean and one failure does not hide the checks after it.
fresh() {
	local d
	for d; do
		ip link show dev "$d" >/dev/null 2>&1 || continue
		vr detach "$d" >/dev/null 2>&1
		ip link del dev "$d"
	done
}

is_up() { # DEV [NETNS]: IFF_UP set
	local flags
	if [ -n "${2:-}" ]; then
		flags=$(ip netns exec "$2" cat "/sys/class/net/$1/flags")
	else
		flags=$(cat "/sys/class/net/$1/flags")
	fi
	[ $((flags & 1)) -eq 1 ]
}

# ---------------- vrnet-tap ----------------

expect "vrnet-tap --help" "$TAPUP" --help
expect_rc "vrnet-tap up without --policy: usage" 2 "$TAPUP" up "$T"
expect_error "vrnet-tap up without --policy"
expect_rc "vrnet-tap up --mtu 12: usage" 2 "$TAPUP" up "$T" --policy "$good" --mtu 12
expect_gone "vrnet-tap usage errors" "$T"

# fail closed: the policy is refused after the tap is made
: >"$VR_TMP/attach.log"
expect_rc "vrnet-tap up with a bad policy fails" 2 \
	"$TAPUP" up "$T" --policy "$bad" --user nobody --pin-dir "$VR_PIN"
expect_error "vrnet-tap up with a bad policy"
expect_eq "the bad policy's attach ran on the tap, down" "$(cat "$VR_TMP/attach.log")" "$T up=0"
expect_gone "vrnet-tap up with a bad policy" "$T"
# ... the attach fails after it attached
fresh "$T"
: >"$VR_TMP/attach.log"
expect_rc "vrnet-tap up, vrnet-bpf failing after its attach" 3 env VR_WRAP=fail \
	"$TAPUP" up "$T" --policy "$good" --user nobody --pin-dir "$VR_PIN"
expect_eq "that attach ran" "$(cat "$VR_TMP/attach.log")" "$T up=0"
expect_gone "vrnet-tap up, vrnet-bpf failing after its attach" "$T"
# ... SIGTERM to the whole provisioning run right after the attach
fresh "$T"
expect_rc "vrnet-tap up stopped by SIGTERM after the attach" 143 env VR_WRAP=kill \
	setsid -w "$TAPUP" up "$T" --policy "$good" --user nobody --pin-dir "$VR_PIN"
expect_gone "vrnet-tap up stopped by SIGTERM" "$T"

# a device that exists is not ours: refused and left alone
fresh "$T"
ip tuntap add dev "$T" mode tap || vr_fatal "ip tuntap add $T"
expect_rc "vrnet-tap up on an existing tap is refused" 3 \
	"$TAPUP" up "$T" --policy "$good" --pin-dir "$VR_PIN"
expect "the existing tap is still there" ip link show dev "$T"
expect_rc "vrnet-veth down on a tap is refused" 2 "$VETHUP" down "$T" --pin-dir "$VR_PIN"
expect "the tap is still there" ip link show dev "$T"
expect "vrnet-tap down on a tap with no filter" "$TAPUP" down "$T" --pin-dir "$VR_PIN"
expect_gone "vrnet-tap down on a tap with no filter" "$T"

# ---- up: a tap for the VMM's user, the filter on before it is up ----
fresh "$T"
: >"$VR_TMP/attach.log"
nogroup=$(getent group nogroup | cut -d: -f3)
expect "vrnet-tap up" "$TAPUP" up "$T" --policy "$good" --user nobody --group nogroup \
	--mtu 1400 --pin-dir "$VR_PIN"
expect_eq "vrnet-tap up prints" "$(cat "$VR_TMP/out")" "$T"
expect_eq "vrnet-tap up attached while the tap was down" "$(cat "$VR_TMP/attach.log")" "$T up=0"
expect_eq "tap owner" "$(cat "/sys/class/net/$T/owner")" "$(id -u nobody)"
expect_eq "tap group" "$(cat "/sys/class/net/$T/group")" "$nogroup"
expect_eq "tap MTU" "$(cat "/sys/class/net/$T/mtu")" 1400
# persistent (0x800), one queue (no 0x100): what Firecracker and QEMU open
expect_eq "tap persistent, single-queue" \
	"$(($(cat "/sys/class/net/$T/tun_flags") & 0x900))" $((0x800))
if is_up "$T"; then ok "tap is UP"; else not_ok "tap is not UP"; fi
expect_attached "vrnet-tap up" "$T"
expect_eq "list: $T attached" \
	"$(vr -j list | jq -r --arg d "$T" '.[] | select(.device == $d) | .filter')" attached

# The VMM's user opens it as Firecracker does (IFF_TAP | IFF_NO_PI |
# IFF_VNET_HDR) without CAP_NET_ADMIN; another user is refused.
cat >"$VR_TMP/vmmopen.py" <<'EOF'
import fcntl, os, struct, sys
tap, uid, gid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open("/dev/net/tun", os.O_RDWR)  # the jailer hands the VMM its /dev/net/tun
os.setgroups([]); os.setgid(gid); os.setuid(uid)  # no capabilities left
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", tap.encode(), 0x0002 | 0x1000 | 0x4000))
EOF
expect "the VMM's user opens the tap as Firecracker does" \
	"$VR_PY" "$VR_TMP/vmmopen.py" "$T" "$(id -u nobody)" "$nogroup"
expect_rc "another user may not open it" 1 "$VR_PY" "$VR_TMP/vmmopen.py" "$T" 65533 65533

# ---- real traffic: a guest's frames written into the tap by the relay ----
VR_SBX=vrsbx$VR_ID VR_DEV=$T
vr_add_netns "$VR_SBX"
ip -n "$VR_SBX" link add vrgA type veth peer name vrgB || vr_fatal "veth in $VR_SBX"
ip netns exec "$VR_SBX" sysctl -qw net.ipv6.conf.vrgB.disable_ipv6=1
ip -n "$VR_SBX" link set vrgB up || vr_fatal "ip link set vrgB up"
vr_sandbox_addresses "$VR_SBX" vrgA
vr_host_addresses "$T"
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777" "tcp:$VR_WEB6:8080"
vr_start_relay

check_filter tap "$T" v6

# ---- down: the VMM has exited ----
vr_stop_relay
expect "vrnet-tap down" "$TAPUP" down "$T" --pin-dir "$VR_PIN"
expect_eq "vrnet-tap down prints" "$(cat "$VR_TMP/out")" "$T"
expect_gone "vrnet-tap down" "$T"
expect "vrnet-tap down again: nothing to do" "$TAPUP" down "$T" --pin-dir "$VR_PIN"
ip netns del "$VR_SBX" # the guest is gone; its addresses return with the container

# ---------------- vrnet-veth ----------------

expect "vrnet-veth --help" "$VETHUP" --help
expect_rc "vrnet-veth up into this namespace (a PID of it) is refused" 2 \
	"$VETHUP" up "$H" "$$" --peer "$P" --policy "$good" --pin-dir "$VR_PIN"
expect_error "vrnet-veth up into this namespace"
expect_gone "vrnet-veth up into this namespace" "$H"

: >"$VR_TMP/attach.log"
expect_rc "vrnet-veth up with a bad policy fails" 2 \
	"$VETHUP" up "$H" "$NS" --peer "$P" --policy "$bad" --pin-dir "$VR_PIN"
expect_error "vrnet-veth up with a bad policy"
expect_gone "vrnet-veth up with a bad policy" "$H" "$NS" "$P"
fresh "$H"
expect_rc "vrnet-veth up (a path), vrnet-bpf failing after its attach" 3 env VR_WRAP=fail \
	"$VETHUP" up "$H" "/run/netns/$NS" --peer "$P" --policy "$good" --pin-dir "$VR_PIN"
expect_eq "both attaches ran on the host end, down" "$(paste -sd ';' "$VR_TMP/attach.log")" \
	"$H up=0;$H up=0"
expect_gone "vrnet-veth up, vrnet-bpf failing after its attach" "$H" "$NS" "$P"

# ---- up ----
fresh "$H"
: >"$VR_TMP/attach.log"
expect "vrnet-veth up" env VR_WRAP_PEER="$NS $P" "$VETHUP" up "$H" "$NS" --peer "$P" \
	--policy "$good" --address "10.231.$VR_NET.2" --mode xdp --pin-dir "$VR_PIN"
expect_eq "vrnet-veth up prints" "$(cat "$VR_TMP/out")" "$H"
expect_eq "vrnet-veth up attached while both ends were down" "$(cat "$VR_TMP/attach.log")" \
	"$H up=0 peer_up=0"
if is_up "$H" && is_up "$P" "$NS"; then ok "both ends UP"; else not_ok "both ends not UP"; fi
expect_attached "vrnet-veth up" "$H"
expect_eq "vrnet-veth up: xdp, source" \
	"$(vr -j show "$H" | jq -c '[.xdp, .source.addresses]')" "[\"native\",[\"10.231.$VR_NET.2\"]]"

VR_SBX=$NS VR_DEV=$H
vr_host_addresses "$H"
vr_sandbox_addresses "$NS" "$P"
vr_stop_pid "$VR_SERVER_PID" # bound to the tap's addresses, gone with it
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777"
check_filter veth "$H"

# ---- down ----
expect_rc "vrnet-tap down on a veth is refused" 2 "$TAPUP" down "$H" --pin-dir "$VR_PIN"
expect "the veth is still there" ip link show dev "$H"
expect "vrnet-veth down" "$VETHUP" down "$H" --pin-dir "$VR_PIN"
expect_eq "vrnet-veth down prints" "$(cat "$VR_TMP/out")" "$H"
expect_gone "vrnet-veth down" "$H" "$NS" "$P"

echo "# provision.sh: $(vr_elapsed "$started") s"
