#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# /init of the MicroVM sandbox (tests/integration/microvm.sh; built by
# tests/vm/mkinitramfs.sh ... sandbox). Its network comes up on virtio-net
# behind the host's tap, with the addresses vr.net=N on the kernel command line
# names; then it does what the host writes on the console, a line at a time:
#   probe NAME   every probe at once; a "vrprobe NAME PROTO:ADDR:PORT reached"
#                (or "blocked") line each, then "vrdone NAME"
#   poweroff     the end
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /vr/modules); do
	insmod "/lib/modules/$(uname -r)/$m.ko" || echo "vrguest: insmod $m failed"
done
ip() { /usr/sbin/ip "$@"; }
net=$(sed -n 's/.*vr\.net=\([0-9]*\).*/\1/p' /proc/cmdline)
ip link set lo up
ip link set eth0 up &&
	ip addr add "10.231.$net.2/24" dev eth0 &&
	ip -6 addr add "fd00:231:$net::2/64" dev eth0 nodad &&
	ip route add default via "10.231.$net.1" &&
	ip -6 route add default via "fd00:231:$net::1" ||
	echo "vrguest: no network"
echo "vrguest: ready"

# PROTO ADDR [PORT]: 0 when answered (TCP servers say "vr", UDP ones echo)
probe_one() {
	case $1 in
	icmp4) ping -c1 -W2 "$2" >/dev/null 2>&1 ;;
	icmp6) ping6 -c1 -W2 "$2" >/dev/null 2>&1 ;;
	tcp4) echo | timeout 4 socat -T2 - "TCP4:$2:$3,connect-timeout=2" 2>/dev/null | grep -q vr ;;
	tcp6) echo | timeout 4 socat -T2 - "TCP6:[$2]:$3,connect-timeout=2" 2>/dev/null | grep -q vr ;;
	udp4) echo vr | timeout 4 socat -T2 - "UDP4:$2:$3" 2>/dev/null | grep -q vr ;;
	udp6) echo vr | timeout 4 socat -T2 - "UDP6:[$2]:$3" 2>/dev/null | grep -q vr ;;
	esac
}

while read -r cmd name; do
	case $cmd in
	probe)
		i=0
		for d in "tcp4 203.0.113.10 8080" "tcp4 203.0.113.10 9090" "udp4 203.0.113.10 7777" \
			"icmp4 203.0.113.10" "tcp6 2001:db8::10 8080" "tcp6 2001:db8::10 9090" \
			"udp6 2001:db8::10 7777" "icmp6 2001:db8::10"; do
			i=$((i + 1))
			# shellcheck disable=SC2086 # the probe's words
			(if probe_one $d; then r=reached; else r=blocked; fi
				echo "vrprobe $name $(echo $d | tr ' ' '/') $r" >"/tmp/r$i") &
		done
		wait
		cat /tmp/r*
		rm -f /tmp/r*
		echo "vrdone $name"
		;;
	poweroff) break ;;
	esac
done
poweroff -f
