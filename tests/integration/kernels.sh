#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel matrix: Debian 12's own kernel (6.1, the floor) and its
# bookworm-backports kernel (6.12), each booted in a QEMU guest (TCG: no KVM
# needed) from its Debian package, unpacked here and never installed. Each
# guest runs the datapath suites through BPF_PROG_TEST_RUN and real traffic
# through a filtered veth, both families (tests/vm/guest-*.sh). The host's own
# kernel runs every other suite. Guests run side by side, one per core.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(dirname "${VRNET_BIN:-$top/build/vrnet-bpf}")
vmdir=$build/vm
guest_timeout=${VR_GUEST_TIMEOUT:-240}

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - all (needs root)"
	exit 77
fi
for t in qemu-system-x86_64 cpio apt-get dpkg-deb /bin/busybox socat; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "skip - all (missing: $t; make deps installs it)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/vrkernels.XXXXXX)
pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! kernels=$("$top/tests/vm/kernels.sh" "$vmdir/kernels" 2>"$tmp/fetch.err"); then
	echo "not ok - fetch the matrix kernels: $(cat "$tmp/fetch.err")"
	exit 1
fi

# TCG reads the host's TSC: the guest must be told its rate, or its clock
# runs wild (tsc_early_khz) and poweroff and timeouts misbehave.
tsc_khz=$(awk -F': ' '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo)

for kdir in $kernels; do
	release=$(basename "$kdir")
	if ! "$top/tests/vm/mkinitramfs.sh" "$kdir" "$build" "$vmdir/initrd-$release.cpio.gz" \
		2>"$tmp/$release.err"; then
		echo "not ok - $release: initramfs: $(tail -3 "$tmp/$release.err")"
		continue
	fi
	timeout "$guest_timeout" qemu-system-x86_64 -M microvm,acpi=on -accel tcg -m 768 -smp 1 \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$kdir/boot/vmlinuz-$release" -initrd "$vmdir/initrd-$release.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1 tsc_early_khz=$tsc_khz" \
		</dev/null >"$tmp/$release.log" 2>&1 &
	pids+=($!)
	echo "$release" >>"$tmp/releases"
done
start=$(date +%s)
wait "${pids[@]}" 2>/dev/null
pids=()
echo "# guests ran for $(($(date +%s) - start)) s"

for release in $(cat "$tmp/releases" 2>/dev/null); do
	log=$tmp/$release.log
	tr -d '\r' <"$log" | sed -n "s/^\(not ok\|ok\) - /\1 - $release: /p; s/^# /# $release: /p"
	if ! grep -q '^vrguest: done' "$log"; then
		echo "not ok - $release: the guest did not finish (timeout ${guest_timeout} s); its console:"
		tr -d '\r' <"$log" | tail -30 | sed 's/^/#   /'
	fi
done
