#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The bash completion, scripts/vrnet-bpf.bash-completion, sourced here and
# called as bash calls it (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT), in
# front of a stub vrnet-bpf first on PATH: its `list` prints devices of the
# test's own and notes its arguments, its --help is the real binary's with
# sync (if the binary has none yet) and a made-up command added, anything else
# goes to the real binary. Commands, global and command options, option
# values, policy files, paths, attached devices (with the --pin-dir and -n
# typed) and the host's interfaces when list says nothing.
# No root, no network; creates no device. VR_COMPLETION: another script.
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
comp=${VR_COMPLETION:-$VR_TOP/scripts/vrnet-bpf.bash-completion}

if [ ! -x "$VRNET_BIN" ]; then
	echo "skip - all (no $VRNET_BIN: make builds it)"
	exit 77
fi
[ -r "$comp" ] || vr_fatal "no completion script $comp"
tmp=$(mktemp -d /tmp/vrcomp.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/pol/sub"
touch "$tmp/pol/a.json" "$tmp/pol/b.json" "$tmp/pol/c.txt"
cat >"$tmp/bin/vrnet-bpf" <<'EOF'
#!/bin/sh
# list: $VR_STUB_LIST's lines (exit 3 without it), its arguments noted in
# $VR_STUB_LOG; --help: $VR_STUB_HELP; anything else: the real binary.
# Printed with builtins: an exec more per completion is slow on a busy host.
out() {
	while IFS= read -r l; do printf '%s\n' "$l"; done <"$1"
}
for a; do
	if [ "$a" = list ]; then
		echo "$*" >>"$VR_STUB_LOG"
		[ -f "$VR_STUB_LIST" ] || exit 3
		out "$VR_STUB_LIST"
		exit
	fi
done
if [ "$#" -eq 1 ] && [ "$1" = --help ]; then
	out "$VR_STUB_HELP"
	exit
fi
exec "$VR_STUB_REAL" "$@"
EOF
chmod +x "$tmp/bin/vrnet-bpf"
# the real binary's --help, with sync (until it has its own) and a made-up zap
"$VRNET_BIN" --help | awk '
	/^  sync / { sync = 1 }
	/^Commands:/ { inc = 1 }
	inc && /^$/ {
		if (!sync) print "  sync      PATH [--dry-run] [--watch]"
		print "  zap       DEV [--level low|high] [--all]"
		inc = 0
	}
	{ print }' >"$tmp/help" || vr_fatal "$VRNET_BIN --help"
export VR_STUB_REAL=$VRNET_BIN VR_STUB_LOG=$tmp/list.log VR_STUB_LIST=$tmp/list \
	VR_STUB_HELP=$tmp/help
PATH=$tmp/bin:$PATH
export LC_ALL=C

# the text list prints: two devices here, one in another namespace
cat >"$tmp/list.txt" <<'EOF'
tapA             ifindex 5      internet policy default deny  enforce      3 rules  allowed 0  dropped 0  program 1a2b3c4d5e6f7a8b
tapB             ifindex 6      internet off    default deny  enforce      0 rules  allowed 0  dropped 9  program 1a2b3c4d5e6f7a8b  FILTER MISSING: unfiltered
tapC             ifindex 7      internet on     default allow enforce      0 rules  allowed 0  dropped 0  program 1a2b3c4d5e6f7a8b  netns jail1
EOF
cp "$tmp/list.txt" "$tmp/list"

# shellcheck source=scripts/vrnet-bpf.bash-completion
. "$comp"

# c LINE: got, what the completion offers at the end of LINE, sorted, on one
# line. LINE is split as bash splits it: at blanks, and "=" and ":" are words
# of their own (COMP_WORDBREAKS).
got=''
c() {
	local line=$1 w i j
	local -a parts
	COMP_LINE=$line COMP_POINT=${#line} COMP_WORDS=()
	read -r -a parts <<<"$line"
	for w in "${parts[@]}"; do
		while [[ $w =~ ^([^=:]*)([=:])(.*)$ ]]; do
			[ -n "${BASH_REMATCH[1]}" ] && COMP_WORDS+=("${BASH_REMATCH[1]}")
			COMP_WORDS+=("${BASH_REMATCH[2]}")
			w=${BASH_REMATCH[3]}
		done
		[ -n "$w" ] && COMP_WORDS+=("$w")
	done
	[[ $line == *[[:space:]] ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vrnet_bpf
	parts=("${COMPREPLY[@]}") # sorted here: a sort process per case is slow
	for ((i = 1; i < ${#parts[@]}; i++)); do
		w=${parts[i]}
		for ((j = i - 1; j >= 0; j--)); do
			[[ ${parts[j]} > $w ]] || break
			parts[j + 1]=${parts[j]}
		done
		parts[j + 1]=$w
	done
	got="${parts[*]}"
}

# e NAME LINE WANT: LINE completes to WANT (sorted, one line)
e() {
	c "$2"
	if [ "$got" = "$3" ]; then
		ok "$1: $got"
	else
		# the host's interfaces can be many: the start is enough
		[ ${#got} -gt 200 ] && got="${got:0:200} ..."
		not_ok "$1: \"$got\", want \"$3\""
	fi
}

# has NAME LINE WORD...: every WORD is among what LINE completes to
has() {
	local name=$1 line=$2 w absent=''
	shift 2
	c "$line"
	for w; do
		[[ " $got " == *" $w "* ]] || absent+=" $w"
	done
	if [ -z "$absent" ]; then
		ok "$name"
	else
		not_ok "$name: \"$line\" misses$absent (got: ${got:0:200})"
	fi
}

start=$(vr_now)

# ---- commands ----
e "a command's prefix" 'vrnet-bpf at' attach
want=$(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$tmp/help" |
	sort | paste -sd' ' -)
e "every command of --help" 'vrnet-bpf ' "$want"
e "after a global option and its argument" 'vrnet-bpf -w 5 --pin-dir /x sh' show
e "help COMMAND" 'vrnet-bpf help a' "allow apply attach"
e "no command: nothing" 'vrnet-bpf frobnicate ' ""

# ---- options ----
has "global options" "vrnet-bpf -" -j --json -p --pretty -v --verbose --pin-dir --resolver \
	-w --wait -n --netns -h --help -V --version
e "a global option's prefix" 'vrnet-bpf --p' "--pin-dir --pretty"
e "a command's option" 'vrnet-bpf attach x --mo' --mode
has "a command's options and the global ones" "vrnet-bpf attach x --" --policy --address \
	--mac --dhcp --mode --xdp-generic --force --pin-dir --json
e "an option of another command is not offered" 'vrnet-bpf show --f' ""
e "--mode TAB" 'vrnet-bpf attach x --mode ' "tc xdp"
e "--mode=TAB" 'vrnet-bpf attach x --mode=' "tc xdp"
e "--refuse r" 'vrnet-bpf dns --refuse r' refused
e "--since takes a time: nothing" 'vrnet-bpf log tapA --since ' ""
e "internet DEV TAB" 'vrnet-bpf internet tapA ' "off on policy"
e "internet DEV after global options" 'vrnet-bpf -j -n jail1 internet tapA p' policy

# ---- files ----
p=$tmp/pol
e "--policy: json files and directories" "vrnet-bpf apply tapA --policy $p/" \
	"$p/a.json $p/b.json $p/sub"
e "--policy=: the part after =" "vrnet-bpf apply tapA --policy=$p/a" "$p/a.json"
e "apply --check --policy" "vrnet-bpf apply --check --policy $p/b" "$p/b.json"
e "--policy before the command" "vrnet-bpf --policy $p/a" "$p/a.json"
e "sync PATH: files and directories" "vrnet-bpf sync $p/" \
	"$p/a.json $p/b.json $p/c.txt $p/sub"
has "sync's options" "vrnet-bpf sync $p --" --dry-run --watch
e "--pin-dir: directories" "vrnet-bpf --pin-dir $p/" "$p/sub"

# ---- devices ----
: >"$tmp/list.log"
e "show: the attached devices of this namespace" 'vrnet-bpf show ' "tapA tapB"
e "detach ta" 'vrnet-bpf detach ta' "tapA tapB"
e "log DEV...: more devices" 'vrnet-bpf log tapA ' "tapA tapB"
e "check DEV HOST: nothing for HOST" 'vrnet-bpf check tapA ' ""
e "allow DEV RULE: nothing for RULE" 'vrnet-bpf allow tapA ' ""
expect_eq "list was asked with no option" "$(head -1 "$tmp/list.log")" list

: >"$tmp/list.log"
c 'vrnet-bpf --pin-dir /p/x -n jail1 detach '
c 'vrnet-bpf --pin-dir=/p/y --netns=jail2 apply '
c 'vrnet-bpf -jn jail3 show '
expect_eq "--pin-dir and -n typed are given to list" "$(paste -sd'|' "$tmp/list.log")" \
	"--pin-dir /p/x -n jail1 list|--pin-dir /p/y -n jail2 list|-n jail3 list"

: >"$tmp/list.log"
c 'vrnet-bpf attach lo'
if [[ " $got " == *" lo "* && $got != *tap* ]] && [ ! -s "$tmp/list.log" ]; then
	ok "attach: the host's interfaces, list not asked"
else
	not_ok "attach: \"$got\", list asked: $(cat "$tmp/list.log")"
fi
rm -f "$tmp/list"
c 'vrnet-bpf show lo'
if [[ " $got " == *" lo "* && $got != *tap* ]]; then
	ok "show when list fails: the host's interfaces (/sys/class/net)"
else
	not_ok "show when list fails: \"$got\""
fi
e "-n PATH when list fails: not the host's interfaces" \
	'vrnet-bpf -n /proc/1/ns/net show lo' ""
: >"$tmp/list"
c 'vrnet-bpf detach lo'
if [[ " $got " == *" lo "* ]]; then
	ok "list with no device: the host's interfaces"
else
	not_ok "list with no device: \"$got\""
fi
cp "$tmp/list.txt" "$tmp/list"

# ---- a command the script has never heard of ----
e "a new command of --help" 'vrnet-bpf za' zap
e "... its DEV" 'vrnet-bpf zap ' "tapA tapB"
e "... its option's values" 'vrnet-bpf zap tapA --level ' "high low"
has "... its options" "vrnet-bpf zap tapA --" --level --all

# each completion runs the binary once or twice, as at a prompt: noted, not judged
echo "# the completions took $(vr_elapsed "$start") s"
[ "$vr_failed" -eq 0 ]
