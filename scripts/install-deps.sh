#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Installs the Debian packages vrnet-bpf needs to build, test and demo.
# Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=(
	make gcc clang llvm pkg-config
	libbpf-dev libelf-dev zlib1g-dev libxdp-dev bpftool
	libjansson-dev libc-ares-dev libldns-dev libssl-dev libnl-route-3-dev libcmocka-dev
	libclang-rt-14-dev
	iproute2 ethtool nftables iptables socat dnsmasq-base bind9-dnsutils iputils-ping netcat-openbsd
	python3 jq prometheus
	qemu-system-x86 busybox-static cpio binutils xz-utils
	groff-base mandoc man-db dpkg-dev
)
# `install-deps.sh bench`: what make bench needs besides
[ "${1:-}" = bench ] && packages=(gnuplot-nox bc iptables nftables dnsperf python3-dnspython)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} (run as root to install)" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
