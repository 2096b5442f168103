#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# On a guest kernel below the floor (6.1): features and attach must refuse,
# naming the kernel and the floor, exit 3, and load nothing. Prints "ok - ..." / "not ok - ..." lines.
ip() { /usr/sbin/ip "$@"; }
vr() { /vr/vrnet-bpf --pin-dir /sys/fs/bpf/vrvm "$@"; }
release=$(uname -r)
want="Linux $release is older than 6.1, the oldest kernel vrnet-bpf runs on"

out=$(vr features 2>&1)
rc=$?
# the floor, then what of the features this kernel lacks
case $(echo "$out" | head -1) in "$want"*) said=1 ;; *) said= ;; esac
if [ "$rc" -eq 3 ] && [ -n "$said" ]; then
	echo "ok - floor: features says so, exit 3"
else
	echo "not ok - floor: features: exit $rc: $out"
fi

# attach: that one line, no verifier log, before anything is loaded
ip link add vrh type veth peer name vrs
out=$(vr attach vrh 2>&1)
rc=$?
case $out in "Error: $want"*) said=1 ;; *) said= ;; esac
if [ "$rc" -eq 3 ] && [ -n "$said" ] && [ "$(echo "$out" | wc -l)" -eq 1 ]; then
	echo "ok - floor: attach refused in one line, exit 3"
else
	echo "not ok - floor: attach: exit $rc: $out"
fi
if [ -e /sys/fs/bpf/vrvm ]; then
	echo "not ok - floor: the refused attach left $(ls /sys/fs/bpf/vrvm) in /sys/fs/bpf/vrvm"
else
	echo "ok - floor: nothing loaded, no pin directory left"
fi
