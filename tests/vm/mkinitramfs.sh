#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Builds the initramfs a guest boots, of one of two kinds:
#   matrix   (the default) a kernel-matrix guest: busybox, iproute2's ip, socat,
#            the project's CLI and datapath test binaries with their shared
#            libraries, the guest scripts, and the kernel modules the tests need
#            (veth, clsact, cls_bpf, macvtap)
#   sandbox  a MicroVM sandbox behind a tap (tests/integration/microvm.sh):
#            busybox, ip, socat, its init and virtio-net over virtio-mmio
# with the modules they depend on, taken from the unpacked kernel.
# Usage: tests/vm/mkinitramfs.sh KERNEL-DIR BUILD-DIR OUT.cpio.gz [matrix|sandbox]
set -euo pipefail
kdir=$(realpath "$1") build=$(realpath "$2") out=$(realpath -m "$3") kind=${4:-matrix}
here=$(cd "$(dirname "$0")" && pwd)
release=$(basename "$kdir")
moddir=$kdir/lib/modules/$release
root=$(mktemp -d /tmp/vrinitrd.XXXXXX)
trap 'rm -rf "$root" "$out.tmp"' EXIT

mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,var,vr/tests,lib/modules/"$release"}
ln -s ../run "$root/var/run"
cp /bin/busybox "$root/bin/busybox"

# A binary and every shared library it loads, at the same paths as here.
copy_elf() { # SRC DEST-IN-ROOT
	local lib
	install -D -m 0755 "$1" "$root$2"
	for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
		[ -e "$root$lib" ] || install -D -m 0755 "$lib" "$root$lib"
	done
}
copy_elf "$(command -v ip)" /usr/sbin/ip
copy_elf "$(command -v socat)" /usr/bin/socat
if [ "$kind" = sandbox ]; then
	install -m 0755 "$here/sandbox-init.sh" "$root/init"
	modules="virtio_mmio virtio_net"
else
	copy_elf "$build/vrnet-bpf" /vr/vrnet-bpf
	for t in "$build"/tests/dp_* "$build"/tests/vnetsend "$build"/tests/xdpload; do
		copy_elf "$t" "/vr/tests/$(basename "$t")"
	done
	# libxdp's dispatcher, which XDP mode loads from where libxdp1 installs it, and
	# xdp-filter's allow-all program (libxdp1 too): another XDP program beside ours
	for o in xdp-dispatcher.o xdpfilt_alw_all.o; do
		install -D -m 0644 "/usr/lib/x86_64-linux-gnu/bpf/$o" "$root/usr/lib/x86_64-linux-gnu/bpf/$o"
	done
	install -m 0755 "$here/guest-init.sh" "$root/init"
	install -m 0755 "$here/guest-traffic.sh" "$here/guest-floor.sh" "$root/vr/"
	modules="veth sch_ingress cls_bpf macvtap"
fi

# Modules, uncompressed, dependencies first, in the order /vr/modules lists.
add_module() { # NAME
	local f deps d
	grep -qx "$1" "$root/vr/modules" 2>/dev/null && return 0
	f=$(find "$moddir/kernel" -name "$1.ko" -o -name "$1.ko.xz" | head -1)
	[ -n "$f" ] || return 0 # built into this kernel
	case $f in
	*.xz) xz -dc "$f" >"$root/lib/modules/$release/$1.ko" ;;
	*) cp "$f" "$root/lib/modules/$release/$1.ko" ;;
	esac
	deps=$(strings "$root/lib/modules/$release/$1.ko" | sed -n 's/^depends=//p' | tr ',' ' ')
	for d in $deps; do add_module "$d"; done
	echo "$1" >>"$root/vr/modules"
}
touch "$root/vr/modules"
for m in $modules; do add_module "$m"; done

(cd "$root" && find . | cpio --quiet -o -H newc | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
