#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/check_export.py FORMAT EXPORT_FILE LIST_JSON - parses an export
# of `rebound suppression export` back and compares it with the active
# entries (`rebound suppression list --format json` of the same filter).
# Prints "ok N" or the first difference, exits 1 on a difference.
import csv
import email.utils
import io
import json
import sys

fmt, path, listing = sys.argv[1], sys.argv[2], sys.argv[3]
rows = json.load(open(listing))
data = open(path, encoding="utf-8").read()
keys = {(r["scope"], r["recipient"]) for r in rows}
rcpts = {r["recipient"] for r in rows}
compl = {r["recipient"] for r in rows if r["class"] == "complaint"}
bounce = {r["recipient"] for r in rows if r["class"] == "bounce"}


def fail(why):
    print("not ok: %s: %s" % (fmt, why))
    sys.exit(1)


def same(what, got, want):
    if got != want:
        fail("%s: got %s, want %s" % (what, sorted(got), sorted(want)))


def csv_rows(text, header):
    r = list(csv.reader(io.StringIO(text, newline="")))
    if header is not None:
        if r[0] != header:
            fail("header %s" % r[0])
        r = r[1:]
    return r


n = 0
if fmt == "csv":
    got = list(csv.DictReader(io.StringIO(data, newline="")))
    same("(scope, recipient)", {(g["scope"], g["recipient"]) for g in got}, keys)
    for g in got:
        w = [r for r in rows if (r["scope"], r["recipient"]) == (g["scope"], g["recipient"])][0]
        for f in ("reason", "category", "class"):
            if g[f] != w[f]:
                fail("%s of %s" % (f, g["recipient"]))
        if int(g["hits"]) != w["hits"]:
            fail("hits of %s" % g["recipient"])
    n = len(got)
elif fmt == "ndjson":
    got = [json.loads(l) for l in data.splitlines()]
    same("(scope, recipient)", {(g["scope"], g["recipient"]) for g in got}, keys)
    if any(not isinstance(g["hits"], int) for g in got):
        fail("hits not a number")
    n = len(got)
elif fmt == "postfix":
    got = {}
    for l in data.splitlines():
        if not l or l.startswith("#"):
            continue
        k, action, text = l.split(None, 2)
        if action != "REJECT" or not text.startswith("5.7.1 "):
            fail("line %r" % l)
        if k in got:
            fail("duplicate key %s" % k)
        got[k] = text
    same("keys", set(got), {r for (s, r) in keys if s == "global"})
    n = len(got)
elif fmt == "ses-csv":
    got = {}
    for r in csv_rows(data, None):
        if len(r) != 2 or r[1] not in ("BOUNCE", "COMPLAINT"):
            fail("row %r" % r)
        got[r[0]] = r[1]
    same("addresses", set(got), rcpts)
    same("COMPLAINT", {a for a, v in got.items() if v == "COMPLAINT"}, compl)
    n = len(got)
elif fmt == "ses-json":
    got = {}
    for l in data.splitlines():
        o = json.loads(l)
        if set(o) != {"emailAddress", "reason"} or o["reason"] not in ("BOUNCE", "COMPLAINT"):
            fail("object %r" % o)
        got[o["emailAddress"]] = o["reason"]
    same("addresses", set(got), rcpts)
    same("COMPLAINT", {a for a, v in got.items() if v == "COMPLAINT"}, compl)
    n = len(got)
elif fmt == "sparkpost":
    got = {}
    for r in csv_rows(data, ["recipient", "type", "description"]):
        if r[1] not in ("transactional", "non_transactional") or not r[2]:
            fail("row %r" % r)
        got.setdefault(r[0], set()).add(r[1])
    same("addresses", set(got), rcpts)
    for a, t in got.items():
        want = {"non_transactional"} if a in compl else {"transactional", "non_transactional"}
        same("types of " + a, t, want)
    n = len(got)
elif fmt == "mailgun":
    got = set()
    for r in csv_rows(data, ["address", "code", "error", "created_at"]):
        if not r[1].isdigit() or not r[2] or email.utils.parsedate_to_datetime(r[3]) is None:
            fail("row %r" % r)
        got.add(r[0])
    same("addresses", got, bounce)
    n = len(got)
elif fmt == "mailgun-complaints":
    got = set()
    for r in csv_rows(data, ["address", "created_at"]):
        email.utils.parsedate_to_datetime(r[1])
        got.add(r[0])
    same("addresses", got, compl)
    n = len(got)
elif fmt == "postmark":
    o = json.loads(data)
    got = [s["EmailAddress"] for s in o["Suppressions"]]
    if len(got) != len(set(got)):
        fail("duplicates")
    same("addresses", set(got), rcpts)
    n = len(got)
else:
    fail("unknown format")
print("ok %d" % n)
