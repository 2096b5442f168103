#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The Debian package, as `make deb` builds it from the binaries already built:
# its control fields (Version the CLI's, Depends naming packages that exist and
# covering every shared library the binaries need), every file with its mode
# and owner, then the package unpacked (dpkg-deb -x) into a directory of the
# test's own and run from there: --version, help, features, dns finding its
# proxy beside it, a real attach, show and detach on a veth of our own with
# our own pin directory, vrnet-veth up and down, the man page through man -l,
# the units (systemd-analyze verify) and the bash completion. Nothing is
# installed: no dpkg -i, nothing outside the build directory, the test's
# temporary directory, its devices and its pin directory.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
vr_init dpkg-deb make nsenter objdump

started=$(vr_now)
out=${OUTPUT:-build}
case $out in /*) ;; *) out=$VR_TOP/$out ;; esac
arch=$(dpkg --print-architecture)
build_says=$("$VRNET_BIN" --version)
cli_version=$(sed -n 's/^vrnet-bpf \([^ ]*\) .*/\1/p' <<<"$build_says")
[ -n "$cli_version" ] || vr_fatal "$VRNET_BIN --version: no version"

# ---- make deb: the binaries of the build directory, nothing rebuilt ----
t0=$(vr_now)
# a make of our own, not a job of the make that may run this suite
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$VR_TOP" deb OUTPUT="$out" \
	>"$VR_TMP/make.out" 2>"$VR_TMP/make.err" ||
	vr_fatal "make deb: $(tail -c 400 "$VR_TMP/make.err")"
deb=$(sed -n 's/^  DEB *//p' "$VR_TMP/make.out")
[ -f "$deb" ] || vr_fatal "make deb made no package: $(cat "$VR_TMP/make.out")"
ok "make deb: $(basename "$deb"), $(($(stat -c %s "$deb") / 1024)) KiB, in $(vr_elapsed "$t0") s"
if [ -s "$VR_TMP/make.err" ]; then
	not_ok "make deb wrote to stderr: $(head -c 300 "$VR_TMP/make.err" | tr '\n' ' ')"
fi

# ---- dpkg-deb --info: the control fields ----
field() { dpkg-deb -f "$deb" "$1"; }
expect_eq "Package" "$(field Package)" vrnet-bpf
version=$(field Version)
case $version in
"$cli_version"-[0-9]*) ok "Version $version: the CLI's $cli_version and a Debian revision" ;;
*) not_ok "Version \"$version\", want the CLI's $cli_version-N" ;;
esac
expect_eq "Architecture" "$(field Architecture)" "$arch"
expect_eq "the file's name" "$(basename "$deb")" "vrnet-bpf_${version}_$arch.deb"
for f in Maintainer Description Section Priority; do
	if [ -n "$(field "$f")" ]; then ok "$f is set"; else not_ok "no $f"; fi
done
size=$(field Installed-Size)
case $size in '' | *[!0-9]*) not_ok "Installed-Size \"$size\"" ;; *) ok "Installed-Size $size KiB" ;; esac
depends=$(field Depends)
# each package Depends names exists: known to dpkg here, or else to apt
unknown=''
read -r -a names <<<"$(sed 's/([^)]*)//g; s/[,|]/ /g' <<<"$depends")"
for p in "${names[@]}"; do
	dpkg-query -W "$p" >/dev/null 2>&1 && continue
	apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || unknown="$unknown $p"
done
if [ -z "$unknown" ]; then ok "Depends: $depends: every package exists"; else not_ok "Depends: no package$unknown"; fi
case ", $depends," in
*", iproute2,"*) ok "Depends names iproute2 (the provisioning scripts' ip)" ;;
*) not_ok "Depends \"$depends\" has no iproute2" ;;
esac
dpkg-deb -e "$deb" "$VR_TMP/control" || vr_fatal "dpkg-deb -e"
expect_eq "control files (no maintainer scripts, no conffiles)" \
	"$(cd "$VR_TMP/control" && echo *)" "control md5sums"

# ---- dpkg-deb --contents: every file, its mode and owner ----
dpkg-deb --contents "$deb" >"$VR_TMP/contents" || vr_fatal "dpkg-deb --contents"
# "MODE OWNER PATH" for every entry, ./ taken off the path
awk '{ p = $6; sub(/^\.\//, "", p); print $1, $2, p }' "$VR_TMP/contents" >"$VR_TMP/entries"
want=(
	"-rwxr-xr-x usr/sbin/vrnet-bpf" "-rwxr-xr-x usr/sbin/vrnet-bpf-dns"
	"-rwxr-xr-x usr/sbin/vrnet-tap" "-rwxr-xr-x usr/sbin/vrnet-veth"
	"-rw-r--r-- usr/share/man/man8/vrnet-bpf.8.gz"
	"-rw-r--r-- usr/share/bash-completion/completions/vrnet-bpf"
	"-rw-r--r-- usr/share/doc/vrnet-bpf/copyright"
	"-rw-r--r-- usr/share/doc/vrnet-bpf/changelog.Debian.gz"
)
for u in "$VR_TOP"/scripts/systemd/*; do want+=("-rw-r--r-- lib/systemd/system/${u##*/}"); done
for p in "$VR_TOP"/policies/*.json; do want+=("-rw-r--r-- usr/share/vrnet-bpf/policies/${p##*/}"); done
bad=''
for w in "${want[@]}"; do
	grep -qxF -- "${w%% *} root/root ${w#* }" "$VR_TMP/entries" || bad="$bad ${w#* }"
done
if [ -z "$bad" ]; then
	ok "contents: all ${#want[@]} files, root:root with their modes"
else
	not_ok "contents: missing, or another mode or owner:$bad"
fi
# nothing else that is odd: owners, writable by others, set-id, /etc, /usr/local
odd=$(awk '$2 != "root/root" || ($1 !~ /^l/ && $1 ~ /^.....w|^........w|[sS]/) ||
	$3 ~ /^(etc|usr\/local)(\/|$)/ { print $3 }' "$VR_TMP/entries" | tr '\n' ' ')
if [ -z "$odd" ]; then
	ok "contents: every entry root:root, none group- or world-writable or set-id, none in /etc or /usr/local"
else
	not_ok "contents: odd entries: $odd"
fi
dirs=$(awk '$1 ~ /^d/ && $1 != "drwxr-xr-x" { print $3 }' "$VR_TMP/entries" | tr '\n' ' ')
if [ -z "$dirs" ]; then ok "contents: directories 0755"; else not_ok "contents: directories not 0755: $dirs"; fi

# ---- unpacked into a directory of our own ----
U=$VR_TMP/unpacked
{ mkdir "$U" && dpkg-deb -x "$deb" "$U"; } || vr_fatal "dpkg-deb -x"
if (cd "$U" && md5sum --quiet -c "$VR_TMP/control/md5sums" >"$VR_TMP/md5.out" 2>&1); then
	ok "md5sums: every file as listed"
else
	not_ok "md5sums: $(head -c 300 "$VR_TMP/md5.out")"
fi
# every shared library the binaries need comes from a package Depends names
bad=''
for soname in $(objdump -p "$U/usr/sbin/vrnet-bpf" "$U/usr/sbin/vrnet-bpf-dns" |
	awk '$1 == "NEEDED" { print $2 }' | sort -u); do
	lib=$(realpath "$(${CC:-gcc} -print-file-name="$soname" 2>/dev/null)" 2>/dev/null)
	owner=''
	for p in "$lib" "${lib#/usr}" "/usr$lib"; do
		owner=$(dpkg-query -S "$p" 2>/dev/null | sed -n '1s/:.*//p')
		[ -n "$owner" ] && break
	done
	case ", $depends," in
	*", $owner "* | *", $owner,"*) [ -n "$owner" ] || bad="$bad $soname(no package)" ;;
	*) bad="$bad $soname($owner)" ;;
	esac
	needed="${needed:-}$soname "
done
if [ -z "$bad" ] && [ -n "${needed:-}" ]; then
	ok "Depends covers the binaries' shared libraries: ${needed% }"
else
	not_ok "Depends \"$depends\" lacks the packages of:$bad"
fi

# ---- the CLI out of the package ----
VRNET_BIN=$U/usr/sbin/vrnet-bpf # vr(), and the cleanup's detach, run this one
expect "unpacked: vrnet-bpf --version" "$VRNET_BIN" --version
expect_eq "unpacked: the version and program build of the build's binary" "$(cat "$VR_TMP/out")" "$build_says"
expect "unpacked: vrnet-bpf help" "$VRNET_BIN" help
if grep -q '^  attach ' "$VR_TMP/out"; then ok "unpacked: help lists the commands"; else not_ok "unpacked: help: $(head -c 200 "$VR_TMP/out")"; fi
expect "unpacked: vrnet-bpf features" vr features
# dns runs vrnet-bpf-dns from its own directory: its usage error (2), not 3 (not found)
expect_rc "unpacked: dns runs the vrnet-bpf-dns beside it" 2 "$VRNET_BIN" dns --vr-no-such-option

dev=vrpk$VR_ID
vr_add_link "$dev" type veth peer name "vrpq$VR_ID"
{ ip link set "$dev" up && ip link set "vrpq$VR_ID" up; } || vr_fatal "ip link set $dev up"
policy=$U/usr/share/vrnet-bpf/policies/data.json
expect "unpacked: attach $dev --policy (the package's data.json)" vr attach "$dev" --policy "$policy"
if vr -j show "$dev" >"$VR_TMP/show.json" 2>"$VR_TMP/err" &&
	jq -e --arg d "$dev" '.device == $d and .default == "deny" and .rule_count == 3' \
		"$VR_TMP/show.json" >/dev/null; then
	ok "unpacked: show -j $dev: the package's policy, 3 rules"
else
	not_ok "unpacked: show -j $dev: $(head -c 300 "$VR_TMP/show.json" "$VR_TMP/err")"
fi
expect_rc "unpacked: check $dev 10.20.1.1:5432/tcp allows" 0 vr check "$dev" 10.20.1.1:5432/tcp
expect_rc "unpacked: check $dev 10.20.9.9:5432/tcp denies" 1 vr check "$dev" 10.20.9.9:5432/tcp
expect "unpacked: detach $dev" vr detach "$dev"
expect_rc "unpacked: show $dev after detach: not attached" 2 vr show "$dev"
if [ -z "$(vr list 2>/dev/null)" ]; then ok "unpacked: list: nothing attached"; else not_ok "unpacked: list: $(vr list)"; fi

# vrnet-veth of the package, with the package's vrnet-bpf: the pair made filtered
ns=vrpkn$VR_ID host=vrpv$VR_ID
vr_add_netns "$ns"
vr_links+=("$host")
expect "unpacked: vrnet-veth up $host $ns" env VRNET_BPF="$VRNET_BIN" \
	"$U/usr/sbin/vrnet-veth" up "$host" "$ns" --policy "$U/usr/share/vrnet-bpf/policies/isolated.json" \
	--pin-dir "$VR_PIN"
expect_eq "unpacked: vrnet-veth's $host: attached, deny-all" \
	"$(vr_show_field "$host" '"\(.default) \(.rule_count)"')" "deny 0"
expect "unpacked: vrnet-veth down $host" env VRNET_BPF="$VRNET_BIN" \
	"$U/usr/sbin/vrnet-veth" down "$host" --pin-dir "$VR_PIN"
if ip link show dev "$host" >/dev/null 2>&1; then not_ok "vrnet-veth down left $host"; else ok "unpacked: vrnet-veth down removed $host"; fi

# ---- the man page ----
page=$U/usr/share/man/man8/vrnet-bpf.8.gz
if command -v man >/dev/null 2>&1; then
	if MANWIDTH=80 man --warnings -l "$page" >"$VR_TMP/man.txt" 2>"$VR_TMP/man.err" &&
		[ ! -s "$VR_TMP/man.err" ] && grep -q 'vrnet-bpf' "$VR_TMP/man.txt"; then
		ok "man --warnings -l: renders, no warning"
	else
		not_ok "man -l: $(head -c 300 "$VR_TMP/man.err")"
	fi
	if grep -q '/usr/sbin/vrnet-bpf-dns' "$VR_TMP/man.txt" && ! grep -q '/usr/local' "$VR_TMP/man.txt"; then
		ok "man page: the package's paths (/usr/sbin), none in /usr/local"
	else
		not_ok "man page: $(grep -n '/usr/' "$VR_TMP/man.txt" | head -3 | tr '\n' ' ')"
	fi
else
	skip "man -l (no man)"
fi
if [ "$(readlink -f "$U/usr/share/man/man8/vrnet-bpf-dns.8.gz")" = "$(readlink -f "$page")" ]; then
	ok "man page of vrnet-bpf-dns: vrnet-bpf(8)"
else
	not_ok "man page of vrnet-bpf-dns: $(ls -l "$U/usr/share/man/man8/")"
fi

# ---- the units ----
units=("$U"/lib/systemd/system/*)
left=$(grep -l '@SBINDIR@' "${units[@]}")
if [ -z "$left" ]; then ok "units: no @SBINDIR@ left"; else not_ok "units: @SBINDIR@ in $left"; fi
bad=''
for u in "$VR_TOP"/scripts/systemd/*; do
	sed 's|@SBINDIR@|/usr/sbin|g' "$u" | cmp -s - "$U/lib/systemd/system/${u##*/}" || bad="$bad ${u##*/}"
done
if [ -z "$bad" ]; then ok "units: the tree's, with /usr/sbin"; else not_ok "units: differ from the tree's:$bad"; fi
# what they run: in the package (vrnet-bpf) or in the base system (sh)
bad=''
while read -r exe; do
	[ -x "$U$exe" ] || [ -x "$exe" ] || bad="$bad $exe"
done < <(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "${units[@]}" | sort -u)
if [ -z "$bad" ]; then ok "units: every ExecStart's program is in the package or the system"; else not_ok "units: no$bad"; fi
if command -v systemd-analyze >/dev/null 2>&1; then
	# /usr/sbin/vrnet-bpf is the package's, not installed here: the one
	# complaint allowed, checked above against the unpacked tree
	systemd-analyze verify --man=no "${units[@]}" >"$VR_TMP/verify" 2>&1
	grep -v 'Command /usr/sbin/vrnet-bpf is not executable: No such file or directory$' \
		"$VR_TMP/verify" >"$VR_TMP/verify.rest"
	if [ -s "$VR_TMP/verify.rest" ]; then
		not_ok "systemd-analyze verify: $(head -c 400 "$VR_TMP/verify.rest" | tr '\n' ' ')"
	else
		ok "systemd-analyze verify: the ${#units[@]} units, nothing but vrnet-bpf not installed here"
	fi
else
	skip "systemd-analyze verify (no systemd-analyze)"
fi

# ---- the bash completion ----
if cmp -s "$VR_TOP/scripts/vrnet-bpf.bash-completion" "$U/usr/share/bash-completion/completions/vrnet-bpf"; then
	ok "bash completion: the tree's"
else
	not_ok "bash completion: not the tree's scripts/vrnet-bpf.bash-completion"
fi
bad=''
for f in vrnet-tap vrnet-veth; do cmp -s "$VR_TOP/scripts/$f" "$U/usr/sbin/$f" || bad="$bad $f"; done
for p in "$VR_TOP"/policies/*.json; do
	cmp -s "$p" "$U/usr/share/vrnet-bpf/policies/${p##*/}" || bad="$bad ${p##*/}"
done
if [ -z "$bad" ]; then ok "provisioning scripts and policies: the tree's"; else not_ok "not the tree's:$bad"; fi

echo "# package: $(vr_elapsed "$started") s"
