#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/compare_ndjson.py ROOT PARSE.ndjson DB.ndjson - every event in
# the database must equal the NDJSON line `rebound parse` printed for it
# (matched by real path and position); quarantined lines are skipped.
import json
import os
import sys

COMPLAINT_ONLY = ("feedback_type", "user_agent", "provider", "source_ip",
                  "arrival_date", "reported_domain")
root = os.path.realpath(sys.argv[1])
want, seen = {}, {}
for line in open(sys.argv[2], encoding="utf-8"):
    o = json.loads(line)
    if o["kind"] == "unknown" and o["recipient"] is None:
        continue  # quarantined
    src = os.path.normpath(os.path.join(root, o.pop("source")))
    seen[src] = seen.get(src, -1) + 1
    want[(src, seen[src])] = o
got = {}
for line in open(sys.argv[3], encoding="utf-8"):
    o = json.loads(line)
    got[(o.pop("source"), o.pop("idx"))] = o
bad = 0
if set(got) != set(want):
    print("rows differ:", sorted(set(got) ^ set(want))[:5])
    bad += 1
for k in sorted(set(got) & set(want)):
    g, w = got[k], want[k]
    compl = g.pop("complaint")
    for f, wv in w.items():
        if f in COMPLAINT_ONLY and not compl:
            continue
        gv = g.get(f)
        if gv != wv and not (wv == "" and gv is None):
            print(f"{k[0]}#{k[1]} {f}: db {gv!r} != parse {wv!r}")
            bad += 1
print(f"{len(got)} events compared")
sys.exit(1 if bad else 0)
