#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The kernel matrix: Debian 12's own kernel (6.1, the floor), its
# bookworm-backports kernel (6.12) and Debian 11's (5.10, below the floor),
# each booted in a QEMU guest (TCG: no KVM needed) from its Debian package,
# unpacked here and never installed. On 6.1 and 6.12 the guest runs the
# datapath suites through BPF_PROG_TEST_RUN and real traffic through a
# filtered veth, both families; on 5.10 it checks that attach refuses
# (tests/vm/guest-*.sh). The host's own kernel runs every other suite.
# Guests run side by side.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$(dirname "${VRNET_BIN:-$top/build/vrnet-bpf}")
vmdir=$build/vm
# run.sh runs this suite beside the others, niced, with 400 s a guest and 840 s in
# all; a first run also fetches the kernels (~30 s)
guest_timeout=${VR_GUEST_TIMEOUT:-180}

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - all (needs root)"
	exit 77
fi
if [ "$(uname -m)" != x86_64 ]; then
	echo "skip - all (the matrix boots x86_64 Debian kernels with this host's binaries)"
	exit 77
fi
for t in qemu-system-x86_64 cpio apt-get dpkg-deb /bin/busybox socat gzip xz strings; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "skip - all (missing: $t; make deps installs it)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/vrkernels.XXXXXX)
pids=() releases=() rc=()
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
	# no cmpxchg16b: with it, QEMU 7.2's TCG double-faulted in 6.12's SLUB in 5 of 7
	# boots here; without it, none of 6
	timeout "$guest_timeout" qemu-system-x86_64 -M microvm,acpi=on -accel tcg \
		-cpu qemu64,-cx16 -m 768 -smp 1 \
		-nodefaults -nographic -no-reboot -serial stdio \
		-kernel "$kdir/boot/vmlinuz-$release" -initrd "$vmdir/initrd-$release.cpio.gz" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1 tsc_early_khz=$tsc_khz" \
		</dev/null >"$tmp/$release.log" 2>&1 &
	pids+=($!)
	releases+=("$release")
done
start=$(date +%s)
for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	rc[$i]=$?
done
pids=()
echo "# guests ran for $(($(date +%s) - start)) s"

below_floor() { # RELEASE
	local major=${1%%.*} minor=${1#*.}
	minor=${minor%%[!0-9]*}
	[ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 1 ]; }
}

# reported LOG PATTERN WHAT: a guest that stopped early cannot pass by silence
reported() {
	grep -q "$2" "$1" || echo "not ok - $release: $3 never reported"
}

for i in "${!releases[@]}"; do
	release=${releases[$i]}
	tr -d '\r' <"$tmp/$release.log" >"$tmp/$release.txt"
	log=$tmp/$release.txt
	sed -n "s/^\(not ok\|ok\) - /\1 - $release: /p; s/^# /# $release: /p" "$log"
	if below_floor "$release"; then
		reported "$log" '^\(ok\|not ok\) - floor: attach' "the refused attach"
	else
		for t in "$build"/tests/dp_*; do
			reported "$log" "^\(ok\|not ok\) - ${t##*/}:" "${t##*/}"
		done
		reported "$log" '^# traffic checks took' "the end of the traffic checks"
	fi
	if ! grep -q '^vrguest: done' "$log"; then
		echo "not ok - $release: the guest did not finish (qemu exit ${rc[$i]}, 124 is the ${guest_timeout} s timeout); its console:"
		tail -30 "$log" | sed 's/^/#   /'
	fi
done
