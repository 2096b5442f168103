#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Fetches the Debian cloud kernels of the kernel matrix into DIR, one folder
# each (boot/vmlinuz-*, lib/modules/*), and prints those folders:
#   bookworm             Debian 12's own kernel (6.1), the floor
#   bookworm-backports   the newer kernel Debian 12 users can pick (6.12)
#   bullseye             Debian 11's kernel (5.10), below the floor
# apt runs on a state of its own under DIR (sources, lists, cache), built from
# the Debian mirror this host's apt already uses: the host's apt configuration
# is never changed, and the packages are unpacked with dpkg-deb -x, never
# installed.
# Usage: tests/vm/kernels.sh DIR
set -euo pipefail
dir=$(realpath -m "$1")
state=$dir/apt
mkdir -p "$state/lists/partial" "$state/cache/archives/partial"
# one fetch at a time: the matrix and the MicroVM suite may ask at once
exec 9>"$dir/.lock"
flock 9
apt_opts=(-o "Dir::Etc::SourceList=$state/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$state/lists" -o "Dir::Cache=$state/cache"
	-o APT::Sandbox::User=root)

repo_of() { # SUITE: the URI this host's apt fetches SUITE from
	# shellcheck disable=SC2016 # apt's own $(...) fields
	apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
		awk -v s="$1" '$2 == s { print $1; exit }'
}
mirror=$(repo_of bookworm)
security=$(repo_of bookworm-security)
if [ -z "$mirror" ]; then
	echo "kernels: this host's apt has no bookworm source to take a Debian mirror from" >&2
	exit 1
fi
key=/usr/share/keyrings/debian-archive-keyring.gpg
{
	echo "deb [signed-by=$key] $mirror bookworm main"
	[ -z "$security" ] || echo "deb [signed-by=$key] $security bookworm-security main"
	echo "deb [signed-by=$key] $mirror bookworm-backports main"
	echo "deb [signed-by=$key] $mirror bullseye main"
} >"$state/sources.list.new"
# Package lists younger than a day are reused, unless the sources changed.
if ! cmp -s "$state/sources.list.new" "$state/sources.list" ||
	[ -z "$(find "$state/lists" -name '*_Packages*' -mmin -1440 | head -1)" ]; then
	mv "$state/sources.list.new" "$state/sources.list"
	apt-get "${apt_opts[@]}" -qq update
fi
rm -f "$state/sources.list.new"

# The versioned image package the cloud metapackage of SUITE depends on; ""
# is the default candidate (bookworm with its security updates).
image_package() { # SUITE
	apt-cache "${apt_opts[@]}" depends "linux-image-cloud-amd64${1:+/$1}" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | head -1
}

tmp=''
trap '[ -z "$tmp" ] || rm -rf "$tmp"' EXIT
for suite in "" bookworm-backports bullseye; do
	pkg=$(image_package "$suite")
	if [ -z "$pkg" ]; then
		echo "kernels: no linux-image-cloud-amd64 in ${suite:-bookworm}" >&2
		exit 1
	fi
	release=${pkg#linux-image-}
	if [ ! -e "$dir/$release/boot/vmlinuz-$release" ]; then
		tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
		(cd "$tmp" && apt-get "${apt_opts[@]}" download -q "$pkg" >/dev/null)
		dpkg-deb -x "$tmp"/*.deb "$tmp/root"
		rm -rf "${dir:?}/$release"
		mv "$tmp/root" "$dir/$release"
		rm -rf "$tmp"
		tmp=''
	fi
	echo "$dir/$release"
done
