#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_tempfail.sh - the MTA pipe: `rebound ingest -` exits 75
# (EX_TEMPFAIL, "try again later") while the database is down or has no
# schema, and 0 once it is back; nothing is stored twice. Uses its own
# cluster, so stopping it does not disturb the other tests.
. "$(dirname "$0")/lib.sh"
own=$TMP/pg
cleanup() { "$PGSH" stop "$own" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$PGSH" start "$own" 2>/dev/null
export "$("$PGSH" env "$own")"
conf "$TMP/fast.conf" 'database = { retries = 3; retry_delay_ms = 20; };'
msg=$SRC/samples/dsn/postfix-userunknown.eml

check_rc "no schema yet: tempfail" 75 sh -c "'$REBOUND' ingest -c '$TMP/fast.conf' - <'$msg'"
check "says what to do" "$(grep -c 'rebound db migrate' "$TMP/err")" 1
"$REBOUND" db migrate >/dev/null 2>&1

"$PGSH" stop "$own"
check_rc "database down: tempfail" 75 sh -c "'$REBOUND' ingest -c '$TMP/fast.conf' - <'$msg'"
check "says it is unreachable" "$(grep -c '^rebound: ingest: database unreachable' "$TMP/err")" 1
check "retried before giving up" "$(grep -c 'connect attempt' "$TMP/err")" 2
check_rc "db migrate with the database down" 75 "$REBOUND" db migrate -c "$TMP/fast.conf"

"$PGSH" start "$own" 2>/dev/null
check_rc "database back: success" 0 sh -c "'$REBOUND' ingest -c '$TMP/fast.conf' - <'$msg'"
check "the message is stored" "$(q "SELECT count(*) || ' ' || min(source) FROM rebound.message")" "1 stdin"
check_rc "the MTA retries the same message" 0 sh -c "'$REBOUND' ingest -c '$TMP/fast.conf' - <'$msg'"
check "stored once" "$(q "SELECT count(*) FROM rebound.event")" 1
done_testing
