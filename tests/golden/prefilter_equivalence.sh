#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# prefilter_equivalence.sh REBOUND SAMPLES [CORPUS] - rebound parse gives
# byte-identical output with and without the rule prefilter.
set -euo pipefail
bin=$1
shift
pass=0
fail=0
for dir in "$@"; do
	[ -d "$dir" ] || continue
	a=$("$bin" parse "$dir" 2>/dev/null || true)
	b=$(REBOUND_NO_PREFILTER=1 "$bin" parse "$dir" 2>/dev/null || true)
	if [ "$a" = "$b" ] && [ -n "$a" ]; then
		echo "PASS $dir"
		pass=$((pass + 1))
	else
		echo "FAIL $dir: output differs without the prefilter"
		diff <(echo "$a") <(echo "$b") | head -20
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
