#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# /init of a kernel-matrix guest (tests/vm/mkinitramfs.sh builds the image).
# Runs the datapath suites through BPF_PROG_TEST_RUN and the traffic checks
# on this kernel, prints "ok - ..." / "not ok - ..." lines on the console,
# then "vrguest: done", and powers the machine off.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs run /run
mount -t tmpfs tmp /tmp
mount -t bpf bpf /sys/fs/bpf
/usr/sbin/ip link set lo up
echo "vrguest: kernel $(uname -r)"

for m in $(cat /vr/modules); do
	insmod "/lib/modules/$(uname -r)/$m.ko" || echo "not ok - insmod $m"
done

# Below the floor only the refusal is checked: nothing is meant to run there.
release=$(uname -r)
major=${release%%.*}
minor=${release#*.}
minor=${minor%%[!0-9]*}
if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 1 ]; }; then
	/vr/guest-floor.sh
	echo "vrguest: done"
	poweroff -f
fi

if out=$(/vr/vrnet-bpf features 2>&1); then
	echo "ok - features: supported, every feature present"
else
	echo "not ok - features: $out"
fi

# Every cmocka suite as one line; its whole log only when it failed. The
# differential suite runs a quarter of its random policies here, under
# emulation: the host runs them all.
export VRNET_DIFF_DIVISOR=4
for t in /vr/tests/dp_*; do
	name=${t##*/}
	start=$(date +%s)
	"$t" >"/tmp/$name.log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "/tmp/$name.log" | tail -1)
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "/tmp/$name.log" | tail -1)
	if [ "$rc" -eq 0 ] && [ -z "$failed" ] && [ -n "$passed" ]; then
		echo "ok - $name: ${passed} tests passed in $took s"
	else
		echo "not ok - $name: exit $rc, ${failed:-?} tests failed"
		sed 's/^/# /' "/tmp/$name.log" | tail -60
	fi
done

start=$(date +%s)
/vr/guest-traffic.sh
echo "# traffic checks took $(($(date +%s) - start)) s"
echo "vrguest: done"
poweroff -f
