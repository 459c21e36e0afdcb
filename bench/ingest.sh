#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/ingest.sh - parse-only rate against end-to-end rate (files ->
# committed rows, suppression policy included), in one run on the same
# mbox. Prints both and their ratio; the target is end-to-end >= 0.5.
#   bench/ingest.sh [BUILD_DIR] [MESSAGES]
# Builds an mbox of MESSAGES (default 100000) from samples/ and, when
# present, ../shared/corpus/sisimai; every copy gets its own
# X-Rebound-Bench header so content keys differ. The database is a private
# cluster started by tools/pg.sh under BUILD_DIR/bench-pg (fsync on, as in
# production; REBOUND_PG_FAST=1 turns it off). Not a test: nothing asserted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
n=${2:-100000}
rebound=$build/rebound
work=$build/bench-ingest
pgdir=$build/bench-pg
[ -x "$rebound" ] || { echo "bench: no $rebound (build first)" >&2; exit 1; }
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
with open(out, "wb") as fp:
    for i in range(n):
        fp.write(b"From MAILER-DAEMON Mon Jun  3 10:00:00 2024\n")
        fp.write(b"X-Rebound-Bench: %d\n" % i)
        fp.write(msgs[i % len(msgs)])
        fp.write(b"\n")
print("bench: %d messages from %d distinct files, %.1f MB" %
      (n, len(msgs), os.path.getsize(out) / 1e6), file=sys.stderr)
PY

"$top/tools/pg.sh" start "$pgdir" >/dev/null 2>&1
trap '"$top/tools/pg.sh" stop "$pgdir" >/dev/null 2>&1 || true' EXIT
export "$("$top/tools/pg.sh" env "$pgdir")"
psql=/usr/lib/postgresql/15/bin/psql
host=${REBOUND_DATABASE#host=}
host=${host%% *}
"$psql" -X -q -h "$host" -d postgres -c "DROP DATABASE IF EXISTS rebound_bench" -c "CREATE DATABASE rebound_bench"
export REBOUND_DATABASE="host=$host dbname=rebound_bench"
"$rebound" db migrate >/dev/null 2>&1

now() { date +%s.%N; }
t0=$(now)
"$rebound" parse --mbox "$mbox" >/dev/null
t1=$(now)
"$rebound" ingest --mbox "$mbox" 2>"$work/ingest.err" || { cat "$work/ingest.err" >&2; exit 1; }
t2=$(now)
cat "$work/ingest.err" >&2
"$psql" -X -q -At -d "$REBOUND_DATABASE" -c "SELECT 'bench: rows: ' || (SELECT count(*) FROM rebound.message) || ' messages, ' || (SELECT count(*) FROM rebound.event) || ' events, ' || (SELECT count(*) FROM rebound.quarantine) || ' quarantined, ' || (SELECT count(*) FROM rebound.suppression) || ' suppression entries'" >&2
awk -v n="$n" -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {
	p = n / (b - a); e = n / (c - b);
	printf "parse-only:  %d messages in %.2f s = %.0f msg/s\n", n, b - a, p
	printf "end-to-end:  %d messages in %.2f s = %.0f msg/s (committed)\n", n, c - b, e
	printf "ratio end-to-end/parse-only: %.2f (target >= 0.50)\n", e / p
}'
