#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - parse-and-classify throughput against the GMime floor, in
# one run on the same files. Prints both rates and the ratio.
#   bench/run.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
rounds=${2:-20}
corpus=$top/../shared/corpus/sisimai
floor_src=$top/../shared/tools/gmime-floor.c
if [ ! -d "$corpus" ] || [ ! -f "$floor_src" ]; then
	echo "bench: ../shared corpus or gmime-floor.c not found: skipped"
	exit 0
fi
list=$(mktemp)
floor=$(mktemp)
trap 'rm -f "$list" "$floor"' EXIT
find "$corpus"/bsd "$corpus"/dos "$corpus"/err "$corpus"/not -type f | sort >"$list"
cc -O2 -o "$floor" "$floor_src" $(pkg-config --cflags --libs gmime-3.0)
f=$("$floor" "$rounds" <"$list" | tee /dev/stderr | grep -oE 'msgs_per_s [0-9.]+' | cut -d' ' -f2)
r=$("$build"/bench/bench_parse "$rounds" <"$list" | tee /dev/stderr | grep -oE '= [0-9.]+ msg/s' | cut -d' ' -f2)
awk -v r="$r" -v f="$f" 'BEGIN { if (f > 0) printf "ratio rebound/gmime-floor: %.2f (%.0f vs %.0f msg/s)\n", r / f, r, f }'
