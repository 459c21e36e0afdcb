#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/ingest.sh - parse-only rate against end-to-end rate (files ->
# committed rows, suppression policy and blocklist incidents included), in
# one run on the same mbox. Prints both and their ratio; the target is
# end-to-end >= 0.5 of parse-only. Compare ratios of one run, not rates of
# different runs (other work on the machine moves both).
#   bench/ingest.sh [BUILD_DIR] [MESSAGES]
# Builds an mbox of MESSAGES (default 100000) from samples/ and, when
# present, ../shared/corpus/sisimai; every copy gets its own
# X-Rebound-Bench header so content keys differ. The database is a private
# cluster started by tools/pg.sh under BUILD_DIR/bench-pg (fsync on, as in
# production; REBOUND_PG_FAST=1 turns it off when the cluster is created),
# database rebound_bench, dropped and created again each run.
# REBOUND_BENCH_CONF=FILE passes -c FILE to both runs (e.g. another
# database.batch_size). Not a test: nothing asserted about speed; it fails
# (exit 1) when something does not work: no build, the cluster does not
# start, a command fails, or not every message was stored.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
n=${2:-100000}
die() { echo "bench: $*" >&2; exit 1; }
[ -d "${1:-$top/build}" ] || die "no build directory ${1:-$top/build} (build first)"
build=$(cd "${1:-$top/build}" && pwd)
rebound=$build/rebound
work=$build/bench-ingest
pgdir=$build/bench-pg
pg=$top/tools/pg.sh
psql=/usr/lib/postgresql/15/bin/psql
[ -x "$rebound" ] || die "no $rebound (build first)"
[ -x "$psql" ] || die "no $psql (install postgresql-15: tools/deps.sh)"
command -v python3 >/dev/null || die "python3 is needed to build the mbox"
case "$n" in '' | *[!0-9]* | 0) die "MESSAGES must be a positive number, not '$n'" ;; esac
conf=()
if [ -n "${REBOUND_BENCH_CONF:-}" ]; then
	[ -r "$REBOUND_BENCH_CONF" ] || die "cannot read REBOUND_BENCH_CONF=$REBOUND_BENCH_CONF"
	conf=(-c "$REBOUND_BENCH_CONF")
fi
mkdir -p "$work"
mbox=$work/bench.mbox

python3 - "$top" "$n" "$mbox" <<'PY'
import os, sys
top, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = []
for root in (os.path.join(top, "samples"),
             os.path.join(top, "..", "shared", "corpus", "sisimai")):
    if not os.path.isdir(root):
        continue
    for d, _, fs in os.walk(root):
        files += [os.path.join(d, f) for f in fs if f.endswith(".eml")]
files.sort()
msgs = []
for f in files:
    b = open(f, "rb").read()
    if len(b) > 1_000_000 or b.startswith(b"From "):
        continue
    b = b.replace(b"\r\n", b"\n")
    lines = [(b">" + l if l.startswith(b"From ") else l) for l in b.split(b"\n")]
    msgs.append(b"\n".join(lines).rstrip(b"\n") + b"\n")
if not msgs:
    sys.exit("bench: no .eml files under samples/ or ../shared/corpus/sisimai")
with open(out, "wb") as fp:
    for i in range(n):
        fp.write(b"From MAILER-DAEMON Mon Jun  3 10:00:00 2024\n")
        fp.write(b"X-Rebound-Bench: %d\n" % i)
        fp.write(msgs[i % len(msgs)])
        fp.write(b"\n")
print("bench: %d messages from %d distinct files, %.1f MB" %
      (n, len(msgs), os.path.getsize(out) / 1e6), file=sys.stderr)
PY

# The cluster: started here (and stopped at the end) unless it runs.
started=no
if ! "$pg" status "$pgdir" >/dev/null 2>&1; then
	if ! "$pg" start "$pgdir" >"$work/pg-start.log" 2>&1; then
		cat "$work/pg-start.log" >&2
		die "the PostgreSQL cluster under $pgdir did not start (log above)"
	fi
	started=yes
fi
stop() { [ "$started" = no ] || "$pg" stop "$pgdir" >/dev/null 2>&1 || true; }
trap stop EXIT
env=$("$pg" env "$pgdir") || die "tools/pg.sh env $pgdir failed"
host=${env#REBOUND_DATABASE=host=}
host=${host%% *}
"$psql" -X -q -h "$host" -d postgres -c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS rebound_bench" -c "CREATE DATABASE rebound_bench" ||
	die "cannot create the database rebound_bench on $host"
export REBOUND_DATABASE="host=$host dbname=rebound_bench"
"$rebound" db migrate "${conf[@]}" >"$work/migrate.log" 2>&1 ||
	{ cat "$work/migrate.log" >&2; die "rebound db migrate failed"; }
sql() { "$psql" -X -q -At -v ON_ERROR_STOP=1 -d "$REBOUND_DATABASE" -c "$1"; }
echo "bench: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
	"server $(sql "SHOW server_version"), fsync $(sql "SHOW fsync")," \
	"synchronous_commit $(sql "SHOW synchronous_commit")" >&2

now() { date +%s.%N; }
t0=$(now)
"$rebound" parse "${conf[@]}" --mbox "$mbox" >/dev/null 2>"$work/parse.err" ||
	{ tail -n 20 "$work/parse.err" >&2; die "rebound parse failed"; }
t1=$(now)
"$rebound" ingest "${conf[@]}" --mbox "$mbox" 2>"$work/ingest.err" ||
	{ tail -n 20 "$work/ingest.err" >&2; die "rebound ingest failed"; }
t2=$(now)
cat "$work/ingest.err" >&2
handed=$(sed -n 's/^rebound: ingest: \([0-9]*\) messages, .*/\1/p' "$work/ingest.err")
rows=$(sql "SELECT (SELECT count(*) FROM rebound.message) + (SELECT count(*) FROM rebound.quarantine)")
sql "SELECT 'bench: rows: ' || (SELECT count(*) FROM rebound.message) || ' messages, ' || (SELECT count(*) FROM rebound.event) || ' events, ' || (SELECT count(*) FROM rebound.quarantine) || ' quarantined, ' || (SELECT count(*) FROM rebound.suppression) || ' suppression entries, ' || (SELECT count(*) FROM rebound.blocklist_incident) || ' blocklist incidents'" >&2
[ "$handed" = "$n" ] || die "ingest read ${handed:-?} messages, not $n"
[ "$rows" = "$n" ] || die "$rows messages stored or quarantined, not $n"
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	p = n / (b - a); e = n / (c - b);
	printf "parse-only:  %d messages in %.2f s = %.0f msg/s\n", n, b - a, p
	printf "end-to-end:  %d messages in %.2f s = %.0f msg/s (committed)\n", n, c - b, e
	printf "ratio end-to-end/parse-only: %.2f (target >= 0.50)\n", e / p
}'
