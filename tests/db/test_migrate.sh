#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_migrate.sh - `rebound db migrate`: from an empty database,
# rerun is a no-op, upgrade from every earlier version gives the same schema
# and keeps the data, a changed migration is refused.
. "$(dirname "$0")/lib.sh"
PGDUMP=/usr/lib/postgresql/15/bin/pg_dump
latest=$(ls "$SRC"/db/migrations/[0-9][0-9][0-9]_*.sql | wc -l)

# The schema without the month partitions (which depend on the data).
schema() {
	"$PGDUMP" -s -n rebound -T 'rebound.event_2*' -d "$REBOUND_DATABASE" |
		grep -v 'event_2[0-9]' | grep -v -e '^--' -e '^\\restrict' -e '^\\unrestrict' | sed '/^$/d'
}

# from empty
newdb fresh
check_rc "status on an empty database" 0 "$REBOUND" db status
check "status says version 0" "$(cut -d, -f1 "$TMP/out")" "schema version 0"
check_rc "migrate from empty" 0 "$REBOUND" db migrate
check "migrate reports the step" "$(cat "$TMP/out")" "schema version 0 -> $latest"
check "every version recorded" "$(q "SELECT string_agg(version::text, ',' ORDER BY version) FROM rebound.schema_version")" \
	"$(seq -s, 1 "$latest")"
check "tables exist" "$(q "SELECT count(*) FROM pg_tables WHERE schemaname = 'rebound' AND tablename IN ('message','complaint','quarantine','suppression','suppression_log','sent_volume','blocklist_incident','schema_version')")" 8
check "event is partitioned by range" "$(q "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'rebound.event'::regclass")" r
check "this month's partition exists" "$(q "SELECT to_regclass('rebound.event_' || to_char(now() AT TIME ZONE 'UTC', 'YYYYMM')) IS NOT NULL")" t
fresh_schema=$(schema)

# rerun: nothing changes
before=$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'rebound'")
check_rc "rerun migrate" 0 "$REBOUND" db migrate
check "rerun says up to date" "$(cat "$TMP/out")" "schema version $latest, up to date"
check "rerun created nothing" "$(q "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'rebound'")" "$before"
check "rerun recorded nothing" "$(q "SELECT count(*) FROM rebound.schema_version")" "$latest"
check "rerun gives the same schema" "$(schema)" "$fresh_schema"

# upgrade from each earlier version, with data stored at that version
for v in $(seq 1 $((latest - 1))); do
	newdb "up$v"
	check_rc "migrate --to $v" 0 "$REBOUND" db migrate --to "$v"
	check "at version $v" "$(q "SELECT max(version) FROM rebound.schema_version")" "$v"
	check_rc "ingest at version $v" 0 "$REBOUND" ingest --feedback-loop any "$SRC/samples/dsn" "$SRC/samples/arf"
	stored=$(counts)
	check_rc "upgrade $v -> $latest" 0 "$REBOUND" db migrate
	check "upgrade reports the step" "$(cat "$TMP/out")" "schema version $v -> $latest"
	check "upgrade from $v keeps the data" "$(counts)" "$stored"
	check "upgrade from $v gives the fresh schema" "$(schema)" "$fresh_schema"
	check_rc "ingest after the upgrade adds nothing twice" 0 "$REBOUND" ingest --feedback-loop any "$SRC/samples/dsn" "$SRC/samples/arf"
	check "still the same rows" "$(counts)" "$stored"
done

# a migration changed after it was applied is refused, nothing applied
newdb tamper
check_rc "migrate --to 1" 0 "$REBOUND" db migrate --to 1
q "UPDATE rebound.schema_version SET checksum = 'x' WHERE version = 1" >/dev/null
check_rc "changed migration refused" 1 "$REBOUND" db migrate
check "error names the migration" "$(grep -c '001_core was changed' "$TMP/err")" 1
check "nothing applied after it" "$(q "SELECT max(version) FROM rebound.schema_version")" 1

# usage
check_rc "--to past the latest" 2 "$REBOUND" db migrate --to $((latest + 1))
check_rc "unknown db command" 2 "$REBOUND" db frobnicate
done_testing
