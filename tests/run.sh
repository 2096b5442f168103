#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Runs every suite and ends with one line: "N passed, N failed, N skipped".
# cmocka suites report through their summary lines, shell suites print
# "ok - NAME", "not ok - NAME" or "skip - NAME" per case.
# Usage: tests/run.sh [SUITE-NAME-SUBSTRING...]
set -u
cd "$(dirname "$0")/.."
build=${OUTPUT:-build}
passed=0 failed=0 skipped=0
failed_suites=()

selected() {
	[ -z "$filters" ] && return 0
	for f in $filters; do [[ "$1" == *"$f"* ]] && return 0; done
	return 1
}
filters="$*"

count_cmocka() { # suite-name, log
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$2" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$2" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi # crashed before its summary
	passed=$((passed + p)) failed=$((failed + f))
	[ "$f" -ne 0 ] && failed_suites+=("$1")
}

count_shell() { # suite-name, log, rc
	local p f s
	p=$(grep -c '^ok - ' "$2") f=$(grep -c '^not ok - ' "$2") s=$(grep -c '^skip - ' "$2")
	if [ "$3" -ne 0 ] && [ "$3" -ne 77 ] && [ "$f" -eq 0 ]; then f=1; fi
	if [ "$3" -eq 77 ] && [ "$s" -eq 0 ]; then s=1; fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	[ "$f" -ne 0 ] && failed_suites+=("$1")
}

# "# NAME: N s" after each suite, where the time of make test goes
suite_start() {
	echo "=== $1"
	suite_began=$(date +%s)
}
suite_took() {
	echo "# $1: $(($(date +%s) - suite_began)) s"
}

logdir=$(mktemp -d /tmp/vrnet-test.XXXXXX)
trap 'rm -rf "$logdir"' EXIT

# cmocka suites, then the same under ASan and UBSan (make test-sanitize-bins)
for bin in "$build"/tests/unit_* "$build"/tests/dp_* \
	"$build"/sanitize/tests/unit_* "$build"/sanitize/tests/dp_*; do
	[ -x "$bin" ] || continue
	name=${bin#"$build"/}
	name=${name/tests\//}
	selected "$name" || continue
	suite_start "$name"
	log=$logdir/${name//\//_}.log
	"$bin" >"$log" 2>&1
	rc=$?
	cat "$log"
	suite_took "$name"
	count_cmocka "$name" "$log" "$rc"
done

# fuzz targets: FUZZ_SECONDS (default 5) each over a copy of its corpus
for bin in "$build"/tests/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/}
	selected "$name" || continue
	suite_start "$name"
	corpus=$(mktemp -d "$logdir/corpus.XXXXXX")
	cp tests/fuzz/corpus/"${name#fuzz_}"/* "$corpus"/
	"$bin" -max_total_time="${FUZZ_SECONDS:-5}" -rss_limit_mb=1024 \
		-artifact_prefix="$build/$name-" "$corpus" \
		>"$logdir/$name.log" 2>&1
	rc=$?
	tail -3 "$logdir/$name.log"
	if [ "$rc" -eq 0 ]; then
		echo "ok - $name: $(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$logdir/$name.log") runs, no finding"
		passed=$((passed + 1))
	else
		echo "not ok - $name: exit $rc (the input: $build/$name-*)"
		failed=$((failed + 1))
		failed_suites+=("$name")
	fi
	suite_took "$name"
done

# The kernel matrix's guests (QEMU, TCG) want the CPUs the other suites leave
# idle while they wait on their probes: it runs beside them, niced, and is
# counted at the end (about 150 s off make test on two CPUs).
background=kernels
if [ -x tests/integration/$background.sh ] && selected "$background"; then
	background_began=$(date +%s)
	(
		VRNET_BIN="$PWD/$build/vrnet-bpf" VRNET_TOOLS="$PWD/$build/tests" VR_GUEST_TIMEOUT=400 \
			nice -n 19 timeout 840 tests/integration/$background.sh \
			>"$logdir/$background.log" 2>&1
		echo "$? $(date +%s)" >"$logdir/$background.end"
	) &
	background_pid=$!
fi

for script in tests/integration/*.sh; do
	[ -x "$script" ] || continue
	name=$(basename "$script" .sh)
	selected "$name" || continue
	[ "$name" = "$background" ] && continue
	suite_start "$name"
	VRNET_BIN="$PWD/$build/vrnet-bpf" VRNET_TOOLS="$PWD/$build/tests" \
		timeout 300 "$script" >"$logdir/$name.log" 2>&1
	rc=$?
	cat "$logdir/$name.log"
	suite_took "$name"
	count_shell "$name" "$logdir/$name.log" "$rc"
done

if [ -n "${background_pid:-}" ]; then
	echo "=== $background (beside the others)"
	wait "$background_pid"
	read -r rc background_ended <"$logdir/$background.end" || rc=1 background_ended=$(date +%s)
	cat "$logdir/$background.log"
	echo "# $background: $((background_ended - background_began)) s, beside the others"
	count_shell "$background" "$logdir/$background.log" "$rc"
fi

[ ${#failed_suites[@]} -ne 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
