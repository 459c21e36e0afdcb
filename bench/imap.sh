#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/imap.sh - the IMAP ingest rate next to the file ingest rate, in one
# run: N messages built from samples/ (each distinct) are appended to a
# private Dovecot on 127.0.0.1 (TLS, tests/ingest/dovecot.sh), then
#   - `rebound run --once` drains that mailbox into a private PostgreSQL
#     (fetch over TLS, parse, store, move to the processed folder, checkpoint);
#   - `rebound ingest` stores the same messages from files into a fresh
#     database.
# Both end to end into committed rows; prints messages per second and the
# ratio. Not a test: nothing is asserted.
#   bench/imap.sh [BUILD_DIR] [MESSAGES]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-3000}
work=$(mktemp -d /tmp/rebound-bench-imap.XXXXXX)
chmod 755 "$work"
export REBOUND="$build/rebound" REBOUND_SOURCE_DIR=$top
export REBOUND_PGDIR=$work/pg REBOUND_TEST_TMP=$work/tmp
export REBOUND_RULES_DIR=$top/bounce/rules
port=$((24000 + $$ % 2000 * 3))
. "$top/tests/run/lib.sh"
AT_EXIT+=("'$PGSH' stop '$REBOUND_PGDIR'" "rm -rf '$work'")
"$PGSH" start "$REBOUND_PGDIR" >/dev/null 2>&1
AT_EXIT+=("bash '$top/tests/ingest/dovecot.sh' stop '$work/dovecot'")
bash "$top/tests/ingest/dovecot.sh" start "$work/dovecot" "$port" $((port + 1)) $((port + 2)) >/dev/null
use_dovecot "$work/dovecot" "$port"

# the messages: every sample, over and over, each with its own tag
mapfile -t samples < <(find "$top/samples" -name '*.eml' | sort)
for ((i = 0; i < n; i++)); do
	tagged "b$i" "${samples[i % ${#samples[@]}]}" >/dev/null
done
delivered
note "appending $n messages to Dovecot"
imap append bench INBOX "$TMP"/msg/*.eml >/dev/null

cat >"$work/imap.conf" <<CONF
database = { batch_size = 500; };
run = { log_level = "warning"; };
sources = ( $(imap_source bench bench 'batch = 500;' 'feedback_loop = "any";') );
CONF
newdb bench_imap
"$REBOUND" db migrate >/dev/null 2>&1
t0=$(date +%s.%N)
"$REBOUND" run -c "$work/imap.conf" --once
t1=$(date +%s.%N)
stored_imap=$(q "SELECT count(*) FROM rebound.message") 
quar_imap=$(q "SELECT count(*) FROM rebound.quarantine")

newdb bench_files
"$REBOUND" db migrate >/dev/null 2>&1
t2=$(date +%s.%N)
"$REBOUND" ingest --feedback-loop any -c "$work/imap.conf" "$TMP/msg" 2>/dev/null
t3=$(date +%s.%N)
stored_files=$(q "SELECT count(*) FROM rebound.message")

awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" \
	-v si="$stored_imap" -v qi="$quar_imap" -v sf="$stored_files" 'BEGIN {
	ri = n / (b - a); rf = n / (d - c);
	printf "IMAP (TLS, Dovecot on 127.0.0.1) -> PostgreSQL: %d messages in %.2f s = %.0f msg/s (%d stored, %d quarantined)\n", n, b - a, ri, si, qi;
	printf "files -> PostgreSQL:                           %d messages in %.2f s = %.0f msg/s (%d stored)\n", n, d - c, rf, sf;
	printf "ratio IMAP/files: %.2f\n", ri / rf }'
