#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The man page as a person reads it, held against the CLI's own help: groff
# (and mandoc, where installed) warn about nothing; each command of --help has
# an entry whose tag is the synopsis `help COMMAND` prints, on the tag's one
# line, and every entry has a description; every option of the help is in the
# page, the global ones in OPTIONS; rendered at 80 columns no line is longer
# and no option, path or map name is broken across lines.
# No root, no network. VR_MAN_PAGE checks another page (e.g. an old one).
set -u
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
page=${VR_MAN_PAGE:-$VR_TOP/docs/vrnet-bpf.8}

for t in groff awk; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "skip - all (missing: $t)"
		exit 77
	fi
done
if [ ! -x "$VRNET_BIN" ]; then
	echo "skip - all (no $VRNET_BIN: make builds it)"
	exit 77
fi
[ -r "$page" ] || vr_fatal "no man page $page"
tmp=$(mktemp -d /tmp/vrdocs.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# ---- the formatters' own warnings ----
# -Tascii warns of characters -Tutf8 passes silently (a stray control byte)
groff -man -Tascii -ww -rLL=80n -P-cbou "$page" >"$tmp/page.txt" 2>"$tmp/groff.err"
if [ -s "$tmp/groff.err" ]; then
	not_ok "groff -ww: $(head -c 300 "$tmp/groff.err" | tr '\n' ' ')"
else
	ok "groff -ww: no warning"
fi
if command -v mandoc >/dev/null 2>&1; then
	# warnings and errors; its style notes (input lines over 80 bytes) are not
	out=$(mandoc -Tlint -Wwarning "$page" 2>&1)
	if [ -n "$out" ]; then
		not_ok "mandoc -Tlint: $(head -c 300 <<<"$out" | tr '\n' ' ')"
	else
		ok "mandoc -Tlint -Wwarning: nothing"
	fi
else
	skip "mandoc -Tlint (no mandoc)"
fi

# ---- the page's entries: SECTION <tab> TAG TEXT <tab> DESCRIPTION LINES ----
# The tag is the one line after .TP, its macro arguments joined as man(7)
# joins them (.B/.I with spaces, .BI/.BR/... alternating without), with the
# font changes and escapes taken out.
awk '
function deroff(s) {
	gsub(/\\f[BIRP]/, "", s)
	gsub(/\\f\(../, "", s)
	gsub(/\\f\[[A-Za-z]*\]/, "", s)
	gsub(/\\-/, "-", s)
	gsub(/\\[%&|^]/, "", s)
	gsub(/\\ /, " ", s)
	gsub(/\\e/, "\\", s)
	gsub(/[ \t]+/, " ", s)
	sub(/^ /, "", s)
	sub(/ $/, "", s)
	return s
}
function text(line,    m, rest, n, i, c, cur, inq, have, out, sep, a) {
	if (line !~ /^[.\047]/)
		return deroff(line)
	m = substr(line, 2)
	sub(/[ \t].*/, "", m)
	rest = substr(line, length(m) + 2)
	n = 0; cur = ""; inq = 0; have = 0
	for (i = 1; i <= length(rest); i++) {
		c = substr(rest, i, 1)
		if (inq) {
			if (c == "\"" && substr(rest, i + 1, 1) == "\"") { cur = cur c; i++ }
			else if (c == "\"") inq = 0
			else cur = cur c
		} else if (c == " " || c == "\t") {
			if (have) { a[++n] = cur; cur = ""; have = 0 }
		} else if (c == "\"" && !have) {
			inq = 1; have = 1
		} else if (c == "\\") {
			cur = cur c substr(rest, i + 1, 1); i++; have = 1
		} else {
			cur = cur c; have = 1
		}
	}
	if (have)
		a[++n] = cur
	if (m ~ /^(B|I|SM|SB|SH|SS)$/) sep = " "
	else if (m ~ /^[BIR][BIR]$/) sep = ""
	else return ""
	out = ""
	for (i = 1; i <= n; i++)
		out = out (i > 1 ? sep : "") a[i]
	return deroff(out)
}
function flush() {
	if (intp)
		print sec "\t" tag "\t" body
	intp = 0
}
{
	while ($0 ~ /\\$/ && (getline more) > 0)
		$0 = substr($0, 1, length($0) - 1) more
}
/^\.\\"/ { next }
/^\.SH/ { flush(); sec = text($0); next }
/^\.TP/ { flush(); intp = 1; needtag = 1; tag = ""; body = 0; next }
needtag { tag = text($0); needtag = 0; next }
/^\.(PP|LP|P|SS|IP)([ \t]|$)/ { flush(); next }
intp { body++ }
END { flush() }
' "$page" >"$tmp/entries"

missing_body=0
while IFS=$'\t' read -r sec tag body; do
	if [ "$body" -eq 0 ]; then
		not_ok "$sec: the entry \"$tag\" has no description"
		missing_body=$((missing_body + 1))
	fi
done <"$tmp/entries"
[ "$missing_body" -eq 0 ] && ok "every .TP entry has a description"

# ---- commands: each has an entry, its tag the synopsis help gives ----
"$VRNET_BIN" --help >"$tmp/help" 2>&1 || vr_fatal "$VRNET_BIN --help failed"
mapfile -t cmds < <(sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$tmp/help")
[ ${#cmds[@]} -gt 0 ] || vr_fatal "no command in --help"

# the page's synopses by command; "allow DEV RULE..., block DEV RULE..." is two,
# two entries of one command (apply) are its alternatives, joined by " | "
declare -A man_syn=()
while IFS=$'\t' read -r sec tag body; do
	[ "$sec" = COMMANDS ] || continue
	rest=$tag
	while [ -n "$rest" ]; do
		one=${rest%%, *}
		[ "$one" = "$rest" ] && rest='' || rest=${rest#*, }
		c=${one%% *} args=''
		[ "$c" != "$one" ] && args=${one#* }
		man_syn[$c]=${man_syn[$c]+${man_syn[$c]} | }$args
	done
done <"$tmp/entries"

bad=0
for c in "${cmds[@]}"; do
	if ! "$VRNET_BIN" help "$c" >"$tmp/help.$c" 2>&1; then
		not_ok "help $c failed: $(head -c 200 "$tmp/help.$c")"
		bad=$((bad + 1))
		unset 'man_syn[$c]'
		continue
	fi
	# "Usage: vrnet-bpf [OPTIONS] CMD ARGS" and its indented continuation lines
	usage=''
	while IFS= read -r l; do
		[ -n "$usage" ] && [[ $l != [[:space:]]* ]] && break
		usage+=" $l"
	done <"$tmp/help.$c"
	usage=${usage#*"[OPTIONS] $c"}
	read -r -a w <<<"$usage"
	want="${w[*]}"
	if [ -z "${man_syn[$c]+set}" ]; then
		not_ok "$c: no entry in the page's COMMANDS"
		bad=$((bad + 1))
	elif [ "${man_syn[$c]}" != "$want" ]; then
		not_ok "$c: the page's synopsis \"$c ${man_syn[$c]}\", help's \"$c $want\""
		bad=$((bad + 1))
	fi
	unset 'man_syn[$c]'
done
for c in "${!man_syn[@]}"; do
	not_ok "the page has an entry for \"$c\", which --help does not list"
	bad=$((bad + 1))
done
[ "$bad" -eq 0 ] &&
	ok "every command of --help (${#cmds[@]}) has an entry with help's synopsis, and no other"

# ---- options: the global ones are entries of OPTIONS, every long one is in the page ----
mapfile -t globals < <(sed -n '/^Global options:/,/^$/p' "$tmp/help" | grep '^  *-' |
	grep -oE '(^|[ ,;(])--?[a-zA-Z][a-zA-Z0-9-]*' | sed 's/^[ ,;(]*//' | sort -u)
declare -A opt_tags=()
while IFS=$'\t' read -r sec tag body; do
	[ "$sec" = OPTIONS ] || continue
	for t in ${tag//,/ }; do opt_tags[$t]=1; done
done <"$tmp/entries"
bad=0
for o in "${globals[@]}"; do
	if [ -z "${opt_tags[$o]+set}" ]; then
		not_ok "global option $o: no entry in the page's OPTIONS"
		bad=$((bad + 1))
	fi
done
[ "$bad" -eq 0 ] && ok "every global option of --help (${#globals[@]}) has an entry in OPTIONS"

mapfile -t longs < <(cat "$tmp"/help* | grep -oE -- '(^|[^a-zA-Z0-9-])--[a-z][a-z0-9-]*' |
	sed 's/^[^-]*//' | sort -u)
# missing_options FILE WHERE: a line for each long option FILE does not name; the count
missing_options() {
	local o n=0
	for o in "${longs[@]}"; do
		if ! grep -qE -- "(^|[^a-zA-Z0-9-])$o([^a-zA-Z0-9-]|\$)" "$1"; then
			not_ok "$o (in --help or help COMMAND) is not in the $2"
			n=$((n + 1))
		fi
	done
	return "$n"
}
missing_options "$tmp/page.txt" page &&
	ok "every long option of --help and help COMMAND (${#longs[@]}) is in the page"

# ---- the README: a row of its table for each command, each long option named ----
readme=${VR_README:-$VR_TOP/README.md}
bt='`' # a row starts "| `CMD ..." or "| `allow`/`block ..."
bad=0
for c in "${cmds[@]}"; do
	if ! grep -qE "^\\| $bt([a-z]+$bt/$bt)?${c}[ $bt]" "$readme"; then
		not_ok "$c: no row in the README's table of commands"
		bad=$((bad + 1))
	fi
done
missing_options "$readme" README || bad=$((bad + 1))
[ "$bad" -eq 0 ] && ok "the README has a row for every command and names every long option"

# ---- rendered at 80 columns ----
long=$(awk 'length > 80 { printf "line %d (%d columns); ", NR, length }' "$tmp/page.txt")
if [ -n "$long" ]; then
	not_ok "rendered at 80 columns, lines run over: $long"
else
	ok "rendered at 80 columns, no line is longer"
fi
# A line ending in a hyphen that cuts an option (--max-ad-/dresses), a path
# (/etc/re-/solv.conf) or a name with an underscore (vr-/net_frags).
broken=$(awk '
function ident(s) {
	sub(/^[([{"\047]+/, "", s)
	return s ~ /^-+[a-zA-Z]/ || s ~ /^\// || s ~ /_/
}
NR > 1 && last ~ /[^ -]-$/ {
	first = $1
	cut = substr(last, 1, length(last) - 1)
	if (ident(last) || ident(cut first))
		printf "lines %d-%d: \"%s\" \"%s\"; ", NR - 1, NR, last, first
}
{ last = NF ? $NF : "" }
' "$tmp/page.txt")
if [ -n "$broken" ]; then
	not_ok "rendered at 80 columns, broken across lines: $broken"
else
	ok "rendered at 80 columns, no option, path or map name is broken across lines"
fi

[ "$vr_failed" -eq 0 ]
