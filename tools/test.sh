#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/test.sh - the whole test suite: install what is missing, build with
# warnings as errors, run every ctest (unit, golden, fuzz seeds, accuracy).
# With ASAN=1 it builds and runs under AddressSanitizer + UBSan instead.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
if [ "${ASAN:-0}" = 1 ]; then
	dir=build-asan
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Asan -DREBOUND_WERROR=ON >/dev/null
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
else
	dir=build
	cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DREBOUND_WERROR=ON >/dev/null
fi
cmake --build "$dir" -j"$(nproc)"
cd "$dir"
ctest --output-on-failure -j"$(nproc)" "$@"
