#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Real traffic through the filter on a matrix guest's kernel: a sandbox
# namespace behind a veth, socat servers on fake internet addresses of the
# host-side device (tests/integration/lib.sh's topology). Every probe is run
# unfiltered first, so a "blocked" result shows the filter, not the probe.
# Prints "ok - ..." / "not ok - ..." lines. Runs as the guest's /init child.
# busybox's shell prefers its own applets; the real ip has "netns" and "-n".
ip() { /usr/sbin/ip "$@"; }
vr() { /vr/vrnet-bpf --pin-dir /sys/fs/bpf/vrvm "$@"; }
ok() { echo "ok - traffic: $*"; }
not_ok() { echo "not ok - traffic: $*"; }
SBX=vrsbx DEV=vrh
WEB4=203.0.113.10 WEB6=2001:db8::10

setup() {
	ip netns add $SBX &&
		ip -n $SBX link set lo up &&
		ip link add $DEV type veth peer name vrs netns $SBX &&
		ip addr add 10.231.1.1/24 dev $DEV &&
		ip addr add $WEB4/32 dev $DEV &&
		ip -6 addr add fd00:231:1::1/64 dev $DEV nodad &&
		ip -6 addr add $WEB6/128 dev $DEV nodad &&
		ip link set $DEV up &&
		ip -n $SBX addr add 10.231.1.2/24 dev vrs &&
		ip -n $SBX -6 addr add fd00:231:1::2/64 dev vrs nodad &&
		ip -n $SBX link set vrs up &&
		ip -n $SBX route add default via 10.231.1.1 &&
		ip -n $SBX -6 route add default via fd00:231:1::1
}

# TCP servers answer "vr", UDP servers echo.
serve() {
	for port in 8080 9090; do
		socat TCP4-LISTEN:$port,bind=$WEB4,reuseaddr,fork SYSTEM:'echo vr' &
		socat TCP6-LISTEN:$port,bind=[$WEB6],reuseaddr,fork SYSTEM:'echo vr' &
	done
	socat UDP4-RECVFROM:7777,bind=$WEB4,fork SYSTEM:'echo vr' &
	socat UDP6-RECVFROM:7777,bind=[$WEB6],fork SYSTEM:'echo vr' &
	sleep 1
}

probe() { # tcp4|tcp6|udp4|udp6 ADDR PORT, or icmp ADDR: 0 when answered
	case $1 in
	icmp) ip netns exec $SBX ping -c1 -W2 "$2" >/dev/null 2>&1 ;;
	tcp4 | tcp6)
		echo | ip netns exec $SBX timeout 5 socat -T2 - "TCP:$2:$3,connect-timeout=2" 2>/dev/null |
			grep -q vr ;;
	udp4 | udp6)
		echo x | ip netns exec $SBX timeout 5 socat -T2 - "UDP:$2:$3" 2>/dev/null | grep -q vr ;;
	esac
}

expect_reach() { # LABEL PROBE-ARGS...: three tries, the first may wait for neighbours
	label=$1
	shift
	for i in 1 2 3; do
		probe "$@" && { ok "$label: $* reached"; return 0; }
	done
	not_ok "$label: $* not reached"
}

expect_blocked() { # LABEL PROBE-ARGS...
	label=$1
	shift
	if probe "$@"; then not_ok "$label: $* answered"; else ok "$label: $* blocked"; fi
}

expect_cmd() { # LABEL CMD...
	label=$1
	shift
	if out=$("$@" 2>&1); then ok "$label"; else not_ok "$label: $out"; fi
}

setup || { not_ok "setup failed"; exit 0; }
serve

probes="tcp4 $WEB4 8080|tcp4 $WEB4 9090|udp4 $WEB4 7777|icmp $WEB4|tcp6 [$WEB6] 8080|tcp6 [$WEB6] 9090|udp6 [$WEB6] 7777|icmp $WEB6"
IFS='|'
for p in $probes; do
	IFS=' '
	# shellcheck disable=SC2086 # a probe is several words
	expect_reach unfiltered $p
	IFS='|'
done
IFS=' '

policy=/tmp/vrpolicy.json
cat >$policy <<JSON
{"default": "deny", "allow": ["$WEB4:8080/tcp", "[$WEB6]:8080/tcp"]}
JSON
expect_cmd "attach with a policy" vr attach $DEV --policy $policy
expect_reach "policy" tcp4 $WEB4 8080
expect_reach "policy" tcp6 "[$WEB6]" 8080
expect_blocked "policy" tcp4 $WEB4 9090
expect_blocked "policy" tcp6 "[$WEB6]" 9090
expect_blocked "policy" udp4 $WEB4 7777
expect_blocked "policy" udp6 "[$WEB6]" 7777
expect_blocked "policy" icmp $WEB4
expect_blocked "policy" icmp $WEB6
expect_cmd "check says allow" vr check $DEV $WEB4:8080/tcp
if vr check $DEV "[$WEB6]:9090/tcp" >/dev/null 2>&1; then
	not_ok "check says deny: [$WEB6]:9090/tcp allowed"
else
	ok "check says deny"
fi
expect_cmd "show" vr -j show $DEV
# the hook: a tcx link from 6.6 on, clsact + cls_bpf before
case $(uname -r) in
6.[0-5].* | [0-5].*) want=clsact ;;
*) want=tcx ;;
esac
if vr -j show $DEV | grep -q "\"hook\":\"$want\""; then
	ok "attached by $want on $(uname -r)"
else
	not_ok "hook on $(uname -r), want $want: $(vr -j show $DEV)"
fi
# the entry point: offload metadata through bpf_cast_to_kern_ctx() from 6.2 on
case $(uname -r) in
6.[0-1].* | [0-5].*) want=probe_read ;;
*) want=kfunc ;;
esac
if vr -j version | grep -q "\"offload_read\":\"$want\""; then
	ok "offload metadata read by $want on $(uname -r)"
else
	not_ok "entry point on $(uname -r), want $want: $(vr -j version)"
fi
# ...and reads it right on this kernel: a SYN whose offloaded checksum would land on
# its port is dropped for it, the same SYN with the checksum in place is not
offload_events() { # the events of reason offload in the log, read now
	timeout -s INT 1 /vr/vrnet-bpf --pin-dir /sys/fs/bpf/vrvm -j log --since 1m 2>/dev/null |
		grep -o '"reason":"offload"' | wc -l
}
offload_events >/dev/null
mac=$(cat /sys/class/net/$DEV/address)
for offset in 16 2; do
	ip netns exec $SBX /vr/tests/vnetsend vrs "$mac" 10.231.1.2 $WEB4 8080 $offset ||
		not_ok "vnetsend failed"
	sleep 0.3
	n=$(offload_events)
	want=0
	[ $offset = 2 ] && want=1
	if [ "$n" -eq $want ]; then
		ok "checksum offset $offset on an allowed SYN: $n offload drops"
	else
		not_ok "checksum offset $offset on an allowed SYN: $n offload drops, want $want"
	fi
done

expect_cmd "internet off" vr internet $DEV off
expect_blocked "internet off" tcp4 $WEB4 8080
expect_blocked "internet off" tcp6 "[$WEB6]" 8080
expect_cmd "internet policy" vr internet $DEV policy

# XDP mode on this kernel: through libxdp's dispatcher, its pins in a directory of ours
export LIBXDP_BPFFS=/sys/fs/bpf/vrvmxdp
mkdir -p $LIBXDP_BPFFS
expect_cmd "attach in XDP mode" vr attach $DEV --mode xdp
if ip link show dev $DEV | grep -q " xdp "; then
	ok "XDP mode: the XDP program is on $DEV on $(uname -r)"
else
	not_ok "XDP mode: no XDP program on $DEV: $(ip link show dev $DEV)"
fi
if ls $LIBXDP_BPFFS/xdp 2>/dev/null | grep -q '^dispatch-'; then
	ok "XDP mode: through libxdp's dispatcher on $(uname -r)"
else
	not_ok "XDP mode: no dispatcher on $(uname -r)"
fi
expect_reach "xdp mode" tcp4 $WEB4 8080
expect_blocked "xdp mode" tcp4 $WEB4 9090
expect_blocked "xdp mode" tcp6 "[$WEB6]" 9090
first_id=$(/vr/tests/xdpload ids $DEV | awk '$1 == "vrnet_egress_xdp" { print $2 }')
# another XDP program beside ours, as an operator's xdp-loader would put it there
xdp_programs() { /vr/tests/xdpload list $DEV | sort | tr '\n' ' '; }
/vr/tests/xdpload attach $DEV /usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o >/dev/null
if [ "$(xdp_programs)" = "vrnet_egress_xdp xdpfilt_alw_all " ]; then
	ok "XDP mode: another program runs beside ours"
else
	not_ok "XDP mode: the device's XDP programs: $(xdp_programs)"
fi
first=$(/vr/tests/xdpload list $DEV | head -n1)
if [ "$first" = vrnet_egress_xdp ]; then
	ok "XDP mode: ours runs first"
else
	not_ok "XDP mode: $first runs first"
fi
expect_reach "xdp mode, beside another" tcp4 $WEB4 8080
expect_blocked "xdp mode, beside another" tcp4 $WEB4 9090
expect_cmd "back to tc mode" vr attach $DEV --mode tc
if [ "$(xdp_programs)" = "xdpfilt_alw_all " ]; then
	ok "--mode tc took only ours off"
else
	not_ok "--mode tc: the device's XDP programs: $(xdp_programs)"
fi
expect_cmd "XDP mode again, beside it" vr attach $DEV --mode xdp
# the program loaded for the namespace's first attach, linked into a new dispatcher beside the other
ours_id() { /vr/tests/xdpload ids $DEV | awk '$1 == "vrnet_egress_xdp" { print $2 }'; }
if [ -n "$(ours_id)" ] && [ "$(ours_id)" = "$first_id" ]; then
	ok "XDP mode again: the program loaded the first time, linked again ($first_id)"
else
	not_ok "XDP mode again: ours is $(ours_id), the first was $first_id"
fi
if [ "$(xdp_programs)" = "vrnet_egress_xdp xdpfilt_alw_all " ]; then
	ok "XDP mode again: beside the other"
else
	not_ok "XDP mode again: the device's XDP programs: $(xdp_programs)"
fi
expect_reach "xdp mode again" tcp4 $WEB4 8080
expect_blocked "xdp mode again" tcp4 $WEB4 9090

expect_cmd "detach" vr detach $DEV
if [ "$(xdp_programs)" = "xdpfilt_alw_all " ]; then
	ok "detach took only ours off"
else
	not_ok "detach: the device's XDP programs: $(xdp_programs)"
fi
/vr/tests/xdpload detach $DEV xdpfilt_alw_all || not_ok "xdpload detach"
expect_reach "detached" tcp4 $WEB4 9090
expect_reach "detached" tcp6 "[$WEB6]" 9090

# Devices whose sandbox traffic never crosses the ingress hook are refused:
# a macvtap (a VM's frames leave through its transmit path) and a macvlan
# (the sandbox's end is the device itself).
for kind in macvtap macvlan; do
	if ! ip link add vr$kind link $DEV type $kind mode bridge 2>/dev/null; then
		not_ok "ip link add a $kind on $DEV"
		continue
	fi
	out=$(vr attach vr$kind 2>&1)
	rc=$?
	case $out in *"macvtap/ipvtap or macvlan/ipvlan"*) said=1 ;; *) said= ;; esac
	if [ "$rc" -eq 2 ] && [ -n "$said" ]; then
		ok "attach to a $kind refused, exit 2"
	else
		not_ok "attach to a $kind: exit $rc: $out"
	fi
	ip link del vr$kind
done
