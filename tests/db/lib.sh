# SPDX-License-Identifier: BSD-2-Clause
# tests/db/lib.sh - helpers for the PostgreSQL tests. Sourced by each
# test_*.sh; ctest sets REBOUND, REBOUND_PGDIR, REBOUND_SOURCE_DIR and
# REBOUND_TEST_TMP.
set -euo pipefail
: "${REBOUND:?}" "${REBOUND_PGDIR:?}" "${REBOUND_SOURCE_DIR:?}" "${REBOUND_TEST_TMP:?}"
unset REBOUND_DATABASE REBOUND_DB_TEST_KILL
SRC=$REBOUND_SOURCE_DIR
PGSH=$SRC/tools/pg.sh
PSQL=/usr/lib/postgresql/15/bin/psql
TMP=$REBOUND_TEST_TMP
rm -rf "$TMP"
mkdir -p "$TMP"
SERVER=$("$PGSH" env "$REBOUND_PGDIR" | sed -n 's/^REBOUND_DATABASE=host=\([^ ]*\) .*/\1/p')
fails=0

# newdb NAME: a fresh database t_NAME on the test server; REBOUND_DATABASE
# points at it.
newdb() {
	"$PSQL" -X -q -h "$SERVER" -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS t_$1" \
		-c "CREATE DATABASE t_$1" >/dev/null
	export REBOUND_DATABASE="host=$SERVER dbname=t_$1"
}

# q SQL...: one value (or rows separated by newlines), unaligned.
q() {
	"$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$REBOUND_DATABASE" -c "$*"
}

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; fails=$((fails + 1)); }

# check WHAT GOT WANT
check() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

# check_rc WHAT WANT CMD...: runs CMD, compares its exit status.
check_rc() {
	local what=$1 want=$2 rc=0
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" = "$want" ]; then
		ok "$what (exit $rc)"
	else
		not_ok "$what: exit $rc, want $want"
		sed 's/^/  | /' "$TMP/err" >&2
	fi
}

# counts: "messages events complaints quarantine" of the current database.
counts() {
	q "SELECT (SELECT count(*) FROM rebound.message) || ' ' ||
		  (SELECT count(*) FROM rebound.event) || ' ' ||
		  (SELECT count(*) FROM rebound.complaint) || ' ' ||
		  (SELECT count(*) FROM rebound.quarantine)"
}

# conf FILE LINES...: writes a rebound.conf
conf() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

done_testing() {
	if [ "$fails" -gt 0 ]; then
		echo "$fails check(s) failed"
		exit 1
	fi
	echo "all checks passed"
}

# gen DIR < specs: writes generated messages (tests/db/gen.py).
gen() {
	python3 "$SRC/tests/db/gen.py" "$1"
}
