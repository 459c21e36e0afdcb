#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - parse-and-classify throughput against the GMime floor, in
# one run on the same files. Prints both rates and the ratio.
#   bench/run.sh [BUILD_DIR] [ROUNDS] [TRIALS]
set -euo pipefail
build=${1:-$(cd "$(dirname "$0")/.." && pwd)/build}
rounds=${2:-20}
. "$(dirname "$0")/lib.sh"
# The machine is noisy (the floor alone swings by 1.5x from run to run):
# alternate the two TRIALS times and report each trial's ratio, the
# median of those, and the ratio of the best rates.
trials=${3:-5}
fs=() rs=()
for _ in $(seq "$trials"); do
	fs+=("$("$floor" "$rounds" <"$list" | grep -oE 'msgs_per_s [0-9.]+' | cut -d' ' -f2)")
	rs+=("$("$build"/bench/bench_parse "$rounds" <"$list" | grep -oE '= [0-9.]+ msg/s' | cut -d' ' -f2)")
done
printf '%s\n' "${fs[@]}" | paste - <(printf '%s\n' "${rs[@]}") | awk '
	{ f[NR] = $1; r[NR] = $2; q[NR] = $2 / $1
	  printf "trial %d: gmime-floor %.0f msg/s, rebound %.0f msg/s, ratio %.2f\n", NR, $1, $2, q[NR]
	  if ($1 > bf) bf = $1; if ($2 > br) br = $2 }
	END { n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (q[j] < q[i]) { t = q[i]; q[i] = q[j]; q[j] = t }
	      med = n % 2 ? q[(n + 1) / 2] : (q[n / 2] + q[n / 2 + 1]) / 2
	      printf "ratio rebound/gmime-floor: median %.2f over %d trials; best rates %.0f vs %.0f msg/s = %.2f\n", med, n, br, bf, br / bf }'
