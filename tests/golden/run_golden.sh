#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# run_golden.sh REBOUND_BIN SAMPLES_DIR
#
# Golden tests over samples/: for every SAMPLES_DIR/**/X.eml, run
#   rebound parse --format ndjson X.eml
# from inside SAMPLES_DIR (so "source" is the path relative to it) and diff
# the output against X.expected.ndjson next to it. One PASS/FAIL line per
# sample (with the diff for failures), then "N passed, N failed".
# Exit 1 on any failure (or on a missing expected file).
#
# REBOUND_UPDATE_GOLDEN=1 rewrites the expected files from the current
# binary instead of comparing; review the changes before committing them.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 REBOUND_BIN SAMPLES_DIR" >&2
	exit 2
fi
bin=$1
dir=$2
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
if [ ! -x "$bin" ]; then
	echo "$0: $bin: not an executable" >&2
	exit 2
fi
cd "$dir" || exit 2

export LC_ALL=C
update=${REBOUND_UPDATE_GOLDEN:-0}
passed=0
failed=0
tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT

while IFS= read -r -d '' eml; do
	eml=${eml#./}
	expected=${eml%.eml}.expected.ndjson
	"$bin" parse --format ndjson "$eml" >"$tmp" 2>/dev/null
	rc=$?
	if [ "$update" = 1 ]; then
		if [ $rc -ne 0 ]; then
			echo "FAIL $eml (rebound exited $rc; expected file not written)"
			failed=$((failed + 1))
			continue
		fi
		cp "$tmp" "$expected"
		echo "UPDATED $eml"
		passed=$((passed + 1))
		continue
	fi
	if [ ! -f "$expected" ]; then
		echo "FAIL $eml (no $expected; run with REBOUND_UPDATE_GOLDEN=1)"
		failed=$((failed + 1))
	elif [ $rc -ne 0 ]; then
		echo "FAIL $eml (rebound exited $rc)"
		diff -u "$expected" "$tmp" | sed 's/^/    /'
		failed=$((failed + 1))
	elif diff -u --label "$expected" --label "rebound output" \
		"$expected" "$tmp" >"$tmp.diff"; then
		echo "PASS $eml"
		passed=$((passed + 1))
	else
		echo "FAIL $eml"
		sed 's/^/    /' "$tmp.diff"
		failed=$((failed + 1))
	fi
	rm -f "$tmp.diff"
done < <(find . -type f -name '*.eml' -print0 | sort -z)

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
