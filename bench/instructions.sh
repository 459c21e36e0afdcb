#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/instructions.sh - the same comparison as bench/run.sh, counted in
# instructions under valgrind (callgrind) instead of seconds: immune to the
# machine's noise, blind to cache misses. Per-message cost is the count for
# ROUNDS rounds minus the count for 0 rounds (reading the files, GMime and
# rule set-up), for both programs.
#   bench/instructions.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
rounds=${2:-2}
if ! command -v valgrind >/dev/null; then
	echo "bench: valgrind not found: skipped"
	exit 0
fi
. "$(dirname "$0")/lib.sh"
count() { # PROGRAM ROUNDS
	valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" <"$list" 2>&1 |
		grep -oE 'Collected : [0-9]+' | grep -oE '[0-9]+$'
}
f0=$(count "$floor" 0) fn=$(count "$floor" "$rounds")
r0=$(count "$build"/bench/bench_parse 0) rn=$(count "$build"/bench/bench_parse "$rounds")
n=$(wc -l <"$list")
awk -v f0="$f0" -v fn="$fn" -v r0="$r0" -v rn="$rn" -v k="$rounds" -v n="$n" 'BEGIN {
	f = (fn - f0) / (k * n); r = (rn - r0) / (k * n)
	printf "instructions per message: gmime-floor %.0f, rebound %.0f\n", f, r
	printf "ratio rebound/gmime-floor by instructions: %.2f\n", f / r }'
