#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/banned.sh - fails when C code calls a function STYLE.md bans
# (unbounded copies and formats, strtok, atoi, alloca). Run by ctest
# (test_style_banned) and so by tools/test.sh and CI.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|strncpy|strtok|gets|atoi|atol|alloca)\s*\(' \
	--include='*.c' --include='*.h' -r core parsers bounce fbl cli db ingest bench tests; then
	echo "banned function used (STYLE.md): use snprintf, memcpy with a length, strtol" >&2
	exit 1
fi
