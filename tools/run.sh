#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/run.sh - the main job on the shipped samples: install what is
# missing, build, classify every message under samples/, then store them in
# PostgreSQL and print a summary. Without REBOUND_DATABASE a private
# cluster is started under build/pgdata (tools/pg.sh; stop it with
# `tools/pg.sh stop`).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
# the sample messages (samples/ also holds their expected outputs)
mapfile -t msgs < <(find samples -name '*.eml' | sort)
echo "== rebound parse --format text samples/*/*.eml"
build/rebound parse --format text "${msgs[@]}"

if [ -z "${REBOUND_DATABASE:-}" ]; then
	tools/pg.sh start
	export "$(tools/pg.sh env)"
fi
echo
echo "== rebound db migrate"
build/rebound db migrate
echo "== rebound ingest samples/*/*.eml"
# the samples include complaints from every provider: trust them all here
# (a real pipe or mailbox names its provider, see README)
build/rebound ingest --feedback-loop any "${msgs[@]}"
echo "== stored events by kind and reason; quarantine by reason"
psql=/usr/lib/postgresql/15/bin/psql
"$psql" -X -q -d "$REBOUND_DATABASE" -v ON_ERROR_STOP=1 \
	-c "SELECT kind, reason, events, messages, hard
	    FROM rebound.v_kind_reason ORDER BY kind, events DESC, reason" \
	-c "SELECT reason, messages FROM rebound.v_quarantine_reason ORDER BY reason"
echo "(database: $REBOUND_DATABASE)"
