#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# A real MicroVM behind a tap: QEMU (microvm machine, TCG) boots Debian 12's
# kernel with a busybox initramfs (tests/vm/mkinitramfs.sh ... sandbox) on a
# virtio-net device over the tap, filtered from before the guest's first frame.
# The guest probes TCP, UDP and ICMP over both families, phase by phase, while
# the host edits the policy, switches the internet off and back on; the last
# phase, internet on, is the control: every probe reaches, so a blocked one
# could have leaked. The blocked attempts are in `log`.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
vr_init qemu-system-x86_64 cpio /bin/busybox socat gzip xz strings mkfifo

started=$(vr_now)
build=$(dirname "$VRNET_BIN")
kernels=$("$VR_TOP/tests/vm/kernels.sh" "$build/vm/kernels" 2>"$VR_TMP/fetch.err") ||
	vr_fatal "fetch the kernels: $(tail -3 "$VR_TMP/fetch.err")"
kdir=$(printf '%s\n' "$kernels" | tr ' ' '\n' | grep '/6\.1\.' | head -1)
[ -n "$kdir" ] || vr_fatal "no Debian 12 kernel among: $kernels"
release=$(basename "$kdir")
"$VR_TOP/tests/vm/mkinitramfs.sh" "$kdir" "$build" "$VR_TMP/sandbox.cpio.gz" sandbox \
	2>"$VR_TMP/initrd.err" || vr_fatal "initramfs: $(tail -3 "$VR_TMP/initrd.err")"

vr_pick_net
TAP=vrmv$VR_ID MAC=52:54:00:23:1f:02
ip tuntap add "$TAP" mode tap || vr_fatal "ip tuntap add $TAP"
vr_links+=("$TAP")
vr_host_addresses "$TAP"
vr_start_servers "tcp:$VR_WEB4:8080" "tcp:$VR_WEB4:9090" "udp:$VR_WEB4:7777" \
	"tcp:$VR_WEB6:8080" "tcp:$VR_WEB6:9090" "udp:$VR_WEB6:7777"

# A: TCP 8080 and UDP and ICMP over IPv4; B, its edit: TCP 9090 and UDP and
# ICMP over IPv6. What a probe should see in each phase, in the guest's order.
probes="tcp4/203.0.113.10/8080 tcp4/203.0.113.10/9090 udp4/203.0.113.10/7777 icmp4/203.0.113.10
tcp6/2001:db8::10/8080 tcp6/2001:db8::10/9090 udp6/2001:db8::10/7777 icmp6/2001:db8::10"
policy_a=$(vr_policy a '{"default": "deny", "allow": ["203.0.113.10:8080/tcp",
	"203.0.113.10:7777/udp", "203.0.113.10:*/icmp", "[2001:db8::10]:8080/tcp"]}')
policy_b=$(vr_policy b '{"default": "deny", "allow": ["203.0.113.10:9090/tcp",
	"[2001:db8::10]:9090/tcp", "[2001:db8::10]:7777/udp", "[2001:db8::10]:*/icmp"]}')
want_a="reached blocked reached reached reached blocked blocked blocked"
want_b="blocked reached blocked blocked blocked reached reached reached"
want_off="blocked blocked blocked blocked blocked blocked blocked blocked"
want_on="reached reached reached reached reached reached reached reached"

# The filter is on the tap, with the guest's MAC bound, before QEMU opens it.
expect "attach $TAP before the guest boots" vr attach "$TAP" --policy "$policy_a" \
	--address "10.231.$VR_NET.2,fd00:231:$VR_NET::2" --mac "$MAC"

tsc_khz=$(awk -F': ' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)
mkfifo "$VR_TMP/console.in"
booted=$(vr_now)
# no cmpxchg16b: QEMU 7.2's TCG double-faults in the kernel's SLUB with it (kernels.sh)
timeout 120 qemu-system-x86_64 -M microvm,acpi=on -accel tcg -cpu qemu64,-cx16 -m 256 -smp 1 \
	-nodefaults -nographic -no-reboot -serial stdio \
	-kernel "$kdir/boot/vmlinuz-$release" -initrd "$VR_TMP/sandbox.cpio.gz" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1 tsc_early_khz=$tsc_khz vr.net=$VR_NET" \
	-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
	-device "virtio-net-device,netdev=n0,mac=$MAC" \
	<"$VR_TMP/console.in" >"$VR_TMP/console.log" 2>&1 &
qemu=$!
vr_pids+=("$qemu")
exec 3>"$VR_TMP/console.in"

console() { tr -d '\r' <"$VR_TMP/console.log"; }
if vr_wait_for 60 sh -c "tr -d '\r' <'$VR_TMP/console.log' | grep -q '^vrguest: ready'"; then
	ok "the guest booted behind the filtered tap in $(vr_elapsed "$booted") s"
else
	vr_fatal "the guest did not come up; its console: $(console | tail -20)"
fi

# phase NAME WANT: the guest probes everything; each probe as WANT says
phase() {
	local name=$1 want=$2 p got i=0
	echo "probe $name" >&3
	vr_wait_for 40 sh -c "tr -d '\r' <'$VR_TMP/console.log' | grep -q '^vrdone $name\$'" ||
		{ not_ok "$name: the guest did not finish its probes"; return 1; }
	read -r -a wants <<<"$want"
	for p in $probes; do
		got=$(console | sed -n "s|^vrprobe $name $p ||p" | head -1)
		expect_eq "$name: $p" "${got:-missing}" "${wants[$i]}"
		i=$((i + 1))
	done
}

phase policy-a "$want_a"
expect "apply the edited policy while the guest runs" vr apply "$TAP" --policy "$policy_b"
phase policy-b "$want_b"
expect "internet off" vr internet "$TAP" off
phase internet-off "$want_off"
expect "internet back to the policy" vr internet "$TAP" policy
phase policy-back "$want_b"
expect "internet on (the control)" vr internet "$TAP" on
phase internet-on "$want_on"

# the blocked attempts, from the guest's bound address, are in the log
vr -j log "$TAP" --since 10m --count 50 >"$VR_TMP/log.json" 2>&1 &
logger=$!
vr_wait_for 5 vr_gone "$logger" || kill "$logger" 2>/dev/null
wait "$logger" 2>/dev/null
for dest in "203.0.113.10 9090" "2001:db8::10 8080"; do
	# shellcheck disable=SC2086 # an address and a port
	set -- $dest
	n=$(jq -s --arg a "$1" --argjson p "$2" --arg s "10.231.$VR_NET.2" --arg s6 "fd00:231:$VR_NET::2" \
		'[.[] | select(.type == "event" and .action == "dropped" and .destination == $a and
			.destination_port == $p and (.source == $s or .source == $s6))] | length' \
		"$VR_TMP/log.json" 2>/dev/null)
	if [ "${n:-0}" -gt 0 ]; then ok "log: the guest's blocked $1 port $2 ($n events)"; else
		not_ok "log: no event for $1 port $2: $(head -c 300 "$VR_TMP/log.json")"
	fi
done

echo poweroff >&3
vr_wait_for 20 vr_gone "$qemu" || not_ok "the guest did not power off"
exec 3>&-
echo "# the MicroVM test took $(vr_elapsed "$started") s"
