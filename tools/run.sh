#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/run.sh - the main job on the shipped samples: install what is
# missing, build, and classify every message under samples/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "== rebound parse --format text samples/"
build/rebound parse --format text samples/
