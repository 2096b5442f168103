#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# mkdeb.sh OUTPUT: the Debian package of what `make install` put in
# OUTPUT/deb/root (DESTDIR, PREFIX=/usr; `make deb` runs both), for Debian 12,
# as OUTPUT/vrnet-bpf_VERSION_ARCH.deb, whose name it prints as make prints
# what it builds. Only dpkg-deb; no debhelper.
#
# What it adds to `make install`'s tree is what Debian wants otherwise: the
# units in /lib/systemd/system (bookworm's place for them; lintian's
# systemd-service-file-outside-lib), the man page gzipped, the binaries
# stripped, copyright and changelog.Debian.gz, every mode set here whatever
# the umask was, owner root:root (dpkg-deb --root-owner-group), and DEBIAN/
# with control and md5sums. No maintainer scripts: nothing is enabled or
# started on install; a firewall that starts with no configuration is wrong
# (README, Set-up: systemctl enable --now vrnet-bpf-sync).
#
# Version: the CLI's (VRNET_VERSION, loader/cli.h) and the Debian revision of
# the top entry of scripts/deb/changelog, which must be for that version.
# Depends: the packages of the shared libraries the binaries need (libc alone:
# the others are linked statically, Makefile) by dpkg-shlibdeps, or where
# dpkg-dev is missing by dpkg -S and the library package's shlibs file; and
# iproute2 for the provisioning scripts' ip. What else they call (bash,
# nsenter, stat, id, getent, sh) is in Essential packages, never listed.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: mkdeb.sh OUTPUT" >&2; exit 2; }
out=$(cd "$1" && pwd)
shown=$1 # the name to print
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/scripts/deb
root=$out/deb/root
pkg=vrnet-bpf
bins=(usr/sbin/vrnet-bpf usr/sbin/vrnet-bpf-dns)

die() {
	printf 'mkdeb: %s\n' "$*" >&2
	exit 1
}

[ -x "$root/${bins[0]}" ] || die "no $root/${bins[0]}: make deb installs into $root first"

# ---- version ----
upstream=$(sed -n 's/^#define VRNET_VERSION "\(.*\)"$/\1/p' "$top/loader/cli.h")
[ -n "$upstream" ] || die "no VRNET_VERSION in loader/cli.h"
top_entry=$(sed -n '1s/^vrnet-bpf (\([^)]*\)).*/\1/p' "$here/changelog")
case $top_entry in
"$upstream"-[0-9]*) version=$top_entry ;;
*) die "scripts/deb/changelog's top entry is \"$top_entry\", not $upstream-N: add an entry for $upstream" ;;
esac
arch=$(dpkg --print-architecture)
# reproducible: every date in the package is the changelog entry's
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	stamp=$(sed -n 's/^ -- .*>  \(.*\)$/\1/p' "$here/changelog" | head -1)
	SOURCE_DATE_EPOCH=$(date -d "$stamp" +%s) || die "bad date in scripts/deb/changelog: $stamp"
	export SOURCE_DATE_EPOCH
fi

# ---- the tree: where Debian wants it ----
if [ -d "$root/usr/lib/systemd/system" ]; then
	mkdir -p "$root/lib/systemd"
	mv "$root/usr/lib/systemd/system" "$root/lib/systemd/system"
	rmdir "$root/usr/lib/systemd" "$root/usr/lib" 2>/dev/null || true
fi
gzip -9nf "$root/usr/share/man/man8/vrnet-bpf.8"
# vrnet-bpf(8) documents the DNS proxy's executable too (FILES)
ln -sf vrnet-bpf.8.gz "$root/usr/share/man/man8/vrnet-bpf-dns.8.gz"
for b in "${bins[@]}"; do
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/$b"
done
doc=$root/usr/share/doc/$pkg
mkdir -p "$doc"
cp "$here/copyright" "$doc/copyright"
gzip -9nc "$here/changelog" >"$doc/changelog.Debian.gz"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
chmod 0755 "$root"/usr/sbin/*

# ---- Depends ----
# shlib_depends FILE...: the packages of the shared libraries FILEs need
shlib_depends() {
	local work line
	if command -v dpkg-shlibdeps >/dev/null 2>&1; then
		# it reads the package's names from a debian/control: a minimal one
		work=$out/deb/shlibdeps
		mkdir -p "$work/debian"
		printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/debian/control"
		line=$(cd "$work" && dpkg-shlibdeps -O "$@" 2>"$work/err") ||
			die "dpkg-shlibdeps: $(cat "$work/err")"
		printf '%s\n' "${line#shlibs:Depends=}"
		return
	fi
	objdump -p "$@" | sed -n 's/^ *NEEDED *//p' | sort -u | while read -r soname; do
		local path p name ver dep=''
		path=$(realpath "$(${CC:-gcc} -print-file-name="$soname")")
		# merged /usr: dpkg knows /lib/... where the path says /usr/lib/...
		for p in "$path" "${path#/usr}" "/usr$path"; do
			dep=$(dpkg-query -S "$p" 2>/dev/null | sed -n '1s/:.*//p') && [ -n "$dep" ] && break
		done
		[ -n "$dep" ] || die "no package ships $soname ($path)"
		# libc.so.6: "libc 6 libc6 (>= 2.36)" in libc6's shlibs
		name=${soname%%.so*} ver=${soname#*.so.}
		dpkg-query --control-show "$dep" shlibs 2>/dev/null |
			awk -v n="$name" -v v="$ver" -v d="$dep" '
				$1 == n && $2 == v { $1 = $2 = ""; sub(/^ +/, ""); print; found = 1; exit }
				END { if (!found) print d }'
	done | paste -sd, | sed 's/,/, /g'
}
depends="$(shlib_depends "${bins[@]/#/$root/}"), iproute2"
case $depends in libc6*) ;; *) die "Depends \"$depends\": no libc6?" ;; esac

# ---- DEBIAN ----
mkdir -p "$root/DEBIAN"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: vrnet-bpf developers <dev@vrnet-bpf.invalid>
Installed-Size: $size
Depends: $depends
Suggests: prometheus-node-exporter
Section: net
Priority: optional
Description: host-side eBPF firewall for code-execution sandboxes
 vrnet-bpf decides, with an eBPF program on the host-side device of a
 sandbox (a MicroVM's tap, a container's veth), what the sandbox may send:
 nothing, a few API endpoints, package registries by name, one network, or
 everything but a blocklist. The policy lives in the host kernel, out of the
 sandbox's reach.
 .
 This package holds the vrnet-bpf command, its DNS proxy for name rules,
 systemd units for the proxy, the audit log, metrics and declarative sync
 (none enabled), example policies, bash completion and the provisioning
 scripts vrnet-tap and vrnet-veth. Needs Linux 6.1 or later.
EOF
chmod 0644 "$root/DEBIAN/control"

deb=${pkg}_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$out/$deb" >/dev/null
printf '  %-8s %s\n' DEB "$shown/$deb"
