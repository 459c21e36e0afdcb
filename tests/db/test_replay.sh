#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_replay.sh - the connection is killed in the middle of a
# batch (after its COPY, before COMMIT) and right after a COMMIT whose
# outcome the writer never sees (pg_terminate_backend of its own backend,
# REBOUND_DB_TEST_KILL). The batch is replayed on a new connection and the
# database ends with exactly one copy of everything.
. "$(dirname "$0")/lib.sh"
conf "$TMP/b5.conf" 'database = { batch_size = 5; retry_delay_ms = 10; };'

newdb replay_ref
"$REBOUND" db migrate >/dev/null
"$REBOUND" ingest --feedback-loop any -c "$TMP/b5.conf" "$SRC/samples/" 2>/dev/null
want=$(counts)

for at in after-copy:1 after-copy:4 after-commit:1 after-commit:3; do
	name=replay_${at//[:-]/_}
	newdb "$name"
	"$REBOUND" db migrate >/dev/null
	check_rc "ingest with the connection killed $at" 0 \
		env REBOUND_DB_TEST_KILL="$at" "$REBOUND" ingest --feedback-loop any -c "$TMP/b5.conf" "$SRC/samples/"
	check "$at: the kill happened and the batch was replayed" \
		"$(grep -c 'connection killed.*replaying' "$TMP/err")" 1
	check "$at: exactly one copy of everything" "$(counts)" "$want"
	check "$at: no message twice" \
		"$(q "SELECT count(*) FROM (SELECT 1 FROM rebound.message GROUP BY content_key, source_id HAVING count(*) > 1) d")" 0
done

# a whole run replayed after a crash (nothing acknowledged): adds nothing
check_rc "the same input again" 0 "$REBOUND" ingest --feedback-loop any -c "$TMP/b5.conf" "$SRC/samples/"
check "rerun adds nothing" "$(counts)" "$want"

# a batch that fails for good (no retries left): rebound ingest commits
# a batch while it reads the next, so the failure may surface one batch
# later; exit 75, what was committed stays, every message read and not
# committed is reported, and a rerun stores everything once
newdb replay_giveup
"$REBOUND" db migrate >/dev/null
conf "$TMP/b5r1.conf" 'database = { batch_size = 5; retries = 1; retry_delay_ms = 10; };'
check_rc "a batch fails with no retries left: tempfail" 75 \
	env REBOUND_DB_TEST_KILL=after-copy:2 "$REBOUND" ingest --feedback-loop any -c "$TMP/b5r1.conf" "$SRC/samples/"
check "only the first batch is committed" "$(q "SELECT (SELECT count(*) FROM rebound.message) + (SELECT count(*) FROM rebound.quarantine)")" 5
read_n=$(sed -n 's/^rebound: ingest: \([0-9]*\) messages, .*/\1/p' "$TMP/err")
not_stored=$(sed -n 's/.*; \([0-9]*\) messages not stored$/\1/p' "$TMP/err")
check "every message read and not committed is reported" "$not_stored" "$((read_n - 5))"
check_rc "rerun after the failure" 0 "$REBOUND" ingest --feedback-loop any -c "$TMP/b5.conf" "$SRC/samples/"
check "rerun: exactly one copy of everything" "$(counts)" "$want"

# a second connection terminates the writer's backend while it works
newdb replay_external
"$REBOUND" db migrate >/dev/null
for i in $(seq 1 40); do
	for f in "$SRC"/samples/dsn/*.eml; do
		echo "From MAILER-DAEMON Mon Jun  3 10:00:00 2024"
		sed "s/^Subject: .*/Subject: copy $i/" "$f"
		echo
	done
done >"$TMP/big.mbox"
conf "$TMP/b20.conf" 'database = { batch_size = 20; retry_delay_ms = 50; retries = 10; };'
"$REBOUND" ingest --feedback-loop any --mbox -c "$TMP/b20.conf" "$TMP/big.mbox" 2>"$TMP/ext.err" &
pid=$!
killed=0
for _ in $(seq 1 200); do
	n=$(q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'rebound' AND datname = 't_replay_external' AND state <> 'idle'")
	killed=$((killed + n))
	[ "$killed" -ge 2 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.02
done
rc=0
wait "$pid" || rc=$?
check "ingest survives terminated backends" "$rc" 0
total=$(grep -c '^From ' "$TMP/big.mbox")
check "every mbox message stored once (killed $killed times)" \
	"$(q "SELECT count(*) FROM rebound.message")" "$total"
check "no message twice" \
	"$(q "SELECT count(*) FROM (SELECT 1 FROM rebound.message GROUP BY content_key, source_id HAVING count(*) > 1) d")" 0
done_testing
