#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Measure how well `rebound` agrees with Sisimai on the Sisimai reference corpus.

Runs `rebound parse --format ndjson` over the corpus folders bsd/ dos/ err/ not/
(and mac/, which must give the same answers as dos/), matches each result with
the Sisimai labels in expected.jsonl by file + recipient, and prints agreement
tables for two sets of files: "subset" (files with a DSN / ARF part, or an
RFC 3834 auto-reply) and "all".  With --min-subset / --min-all the script is a
gate: it exits 1 when a metric is below its minimum percentage.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys

FOLDERS = ("bsd", "dos", "err", "not")
METRICS = ("recipient", "status", "reason", "hard", "kind", "feedback")
UNDECIDED = ("undefined", "onhold")
NO_RESULT = "(no result)"
SUBSET_RE = re.compile(
    rb'content-type:\s*"?message/(?:global-)?(?:delivery-status|feedback-report)', re.I)


def parse_minimums(text):
    """'recipient=97,status=95' -> {'recipient': 97.0, 'status': 95.0}.
    'undefined=1' is a maximum for the undefined-rate."""
    out = {}
    for item in filter(None, (s.strip() for s in (text or "").split(","))):
        key, sep, value = item.partition("=")
        if not sep or key not in METRICS + ("undefined",):
            raise argparse.ArgumentTypeError(
                "bad minimum %r (want METRIC=PERCENT, METRIC one of %s, undefined)" % (
                    item, ", ".join(METRICS)))
        try:
            out[key] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError("bad percentage in %r" % item)
    return out


def run_rebound(binary, corpus, folder, errors):
    """Run rebound on corpus/folder; return its results as (relative file, record)."""
    arg = os.path.join(corpus, folder)
    try:
        proc = subprocess.run([binary, "parse", "--format", "ndjson", arg],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        sys.exit("accuracy: cannot run %s: %s" % (binary, exc))
    if proc.returncode != 0:
        tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        errors.append("%s/: rebound exited with status %d%s" % (
            folder, proc.returncode, "".join("\n    " + t for t in tail)))
    out = []
    for n, line in enumerate(proc.stdout.decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            if not isinstance(rec, dict):
                raise ValueError("not an object")
        except ValueError:
            errors.append("%s/: stdout line %d is not a JSON object: %.80s" % (folder, n, line))
            continue
        # "file#N": the Nth message of a file read as an mbox
        source = os.path.abspath(re.sub(r"#\d+$", "", str(rec.get("source") or "")))
        rel = os.path.relpath(source, corpus).replace(os.sep, "/")
        if rel.startswith("../") or "/" not in rel:
            rel = folder + "/" + os.path.basename(source)
        out.append((rel, rec))
    return out


def expected_kind(fact):
    """Map a Sisimai fact onto rebound's `kind` vocabulary."""
    reason, action = fact["reason"], fact["action"]
    if reason == "feedback":
        return fact["feedbacktype"] if fact["feedbacktype"] in ("auth-failure", "not-spam") else "complaint"
    if reason == "vacation":
        return "autoreply"
    if reason == "delivered" or action in ("delivered", "relayed", "expanded"):
        return "delivered"
    if reason == "expired" and action == "delayed":
        # Sisimai writes action "delayed" for every expired fact, also when
        # the DSN says "failed" (the MTA gave up): its label cannot tell a
        # final expiry from a delay warning, so either of ours agrees.
        return ("bounce", "delay")
    return "delay" if action == "delayed" else "bounce"


def status_agrees(expected, got):
    if not expected:
        return not got
    if not got:
        return False
    parts = expected.split(".")
    if len(parts) == 3 and parts[2].isdigit() and int(parts[2]) >= 900:
        return str(got).split(".")[0] == parts[0]   # Sisimai pseudo code: class only
    return str(got) == expected


def judge(fact, got):
    """Return {metric: (agree, expected, got)} for one expected fact."""
    g = got if got is not None else {}
    hard = g.get("hard")
    kind = expected_kind(fact)
    res = {
        "recipient": (got is not None and (not nobody_expected(fact)
                                           or not g.get("recipient")),
                      fact["recipient"], g.get("recipient")),
        "status": (got is not None and status_agrees(fact["deliverystatus"], g.get("status")),
                   fact["deliverystatus"], g.get("status")),
        "reason": (got is not None and g.get("reason") == fact["reason"], fact["reason"], g.get("reason")),
        "hard": (isinstance(hard, bool) and hard == bool(fact["hardbounce"]), bool(fact["hardbounce"]), hard),
        "kind": (got is not None and (g.get("kind") in kind if isinstance(kind, tuple)
                                      else g.get("kind") == kind),
                 "|".join(kind) if isinstance(kind, tuple) else kind, g.get("kind")),
    }
    if fact["reason"] == "feedback":
        res["feedback"] = (got is not None and (g.get("feedback_type") or "") == fact["feedbacktype"],
                           fact["feedbacktype"], g.get("feedback_type"))
    if got is None:
        res = {m: (False, v[1], NO_RESULT) for m, v in res.items()}
    return res


# Sisimai's placeholder when a report names no recipient at all: it agrees
# with our line that has no recipient (recipient null) for the same file.
PLACEHOLDER = "undisclosed-recipient-in-headers@libsisimai.org.invalid"

# A complaint whose reporter replaced the address with a placeholder
# ("redacted@isp", "xxxxxxxx@isp"): Sisimai reports the placeholder, we
# report no recipient (it is nobody's address, see fbl/arf.c), so it is
# judged like Sisimai's own placeholder.
REDACTED = re.compile(r"^(redacted|anonymi[sz]ed|anonymous|removed|hidden|[x*#]{3,})@", re.I)


def nobody_expected(fact):
    r = fact["recipient"].lower()
    return r == PLACEHOLDER or (fact["reason"] == "feedback" and REDACTED.match(r) is not None)


def match(files, expected, ours):
    """Pair expected facts with our results by file + lowercased recipient, in order.

    Returns (pairs, invented): pairs = [(file, fact, record or None)],
    invented = [(file, record)] for our results with a recipient nobody expected."""
    pairs, invented = [], []
    for name in files:
        mine = collections.defaultdict(list)
        nobody = []
        for rec in ours.get(name, []):
            if rec.get("recipient"):
                mine[str(rec["recipient"]).lower()].append(rec)
            elif rec.get("kind") != "unknown":
                nobody.append(rec)
        later = []
        for fact in expected.get(name, []):
            if nobody_expected(fact):
                later.append(fact)
                continue
            queue = mine.get(fact["recipient"].lower())
            pairs.append((name, fact, queue.pop(0) if queue else None))
        for fact in later:
            # a placeholder pairs with our line without a recipient, else
            # with a line whose recipient no named fact took
            rest = [q for q in mine.values() if q]
            rec = nobody.pop(0) if nobody else (rest[0].pop(0) if rest else None)
            pairs.append((name, fact, rec))
        invented.extend((name, rec) for queue in mine.values() for rec in queue)
    return pairs, invented


def pct(agree, total):
    return 100.0 * agree / total if total else None


def report_set(label, files, pairs, invented, minimums):
    """Print the metric table for one set of files; return a list of failures."""
    fails = []
    print("\n== %s: %d files, %d expected facts ==" % (label, len(files), len(pairs)))
    print("%-16s %6s %6s %8s %8s" % ("metric", "agree", "total", "percent", "min"))
    judged = [judge(fact, got) for _, fact, got in pairs]
    for metric in METRICS:
        rows = [j[metric][0] for j in judged if metric in j]
        p = pct(sum(rows), len(rows))
        line = "%-16s %6d %6d %8s" % (metric, sum(rows), len(rows), "n/a" if p is None else "%.2f%%" % p)
        if metric in minimums:
            ok = p is None or p >= minimums[metric]
            line += " %8.2f %s" % (minimums[metric], "PASS" if ok else "FAIL")
            if not ok:
                fails.append("%s %s %.2f%% < %.2f%%" % (label, metric, p, minimums[metric]))
        print(line)
    decided = [got for _, fact, got in pairs if fact["reason"] not in UNDECIDED]
    undecided = sum(1 for got in decided if got is None or got.get("reason") in UNDECIDED + (None,))
    p = pct(undecided, len(decided))
    line = "%-16s %6d %6d %8s" % (
        "undefined-rate", undecided, len(decided), "n/a" if p is None else "%.2f%%" % p)
    if "undefined" in minimums:
        # a maximum: results left undefined/onhold where Sisimai decided
        ok = p is None or p <= minimums["undefined"]
        line += " %8.2f %s (max)" % (minimums["undefined"], "PASS" if ok else "FAIL")
        if not ok:
            fails.append("%s undefined-rate %.2f%% > %.2f%%" % (label, p, minimums["undefined"]))
    else:
        line += "   (lower is better)"
    print(line)
    print("%-16s %6d" % ("invented", len(invented)))
    return fails


def report_reasons(pairs):
    per = collections.defaultdict(lambda: [0, 0])
    confusion = collections.Counter()
    for _, fact, got in pairs:
        ours = NO_RESULT if got is None else (got.get("reason") or "(null)")
        per[fact["reason"]][0] += 1
        if ours == fact["reason"]:
            per[fact["reason"]][1] += 1
        else:
            confusion[(fact["reason"], ours)] += 1
    print("\n== reasons (all) ==")
    print("%-18s %6s %6s %8s" % ("sisimai reason", "facts", "agree", "percent"))
    for reason, (total, agree) in sorted(per.items(), key=lambda kv: (-kv[1][0], kv[0])):
        print("%-18s %6d %6d %7.2f%%" % (reason, total, agree, pct(agree, total)))
    print("\n== top reason confusions (expected -> ours) ==")
    for (exp, ours), n in confusion.most_common(30):
        print("%5d  %s -> %s" % (n, exp, ours))
    if not confusion:
        print("  none")


def mac_check(outputs, corpus):
    """mac/X must give the same (recipient, status) multiset as dos/X."""
    def bag(name):
        return collections.Counter((str(r["recipient"]).lower() if r.get("recipient") else None,
                                    r.get("status")) for r in outputs.get(name, []))
    names = sorted(os.listdir(os.path.join(corpus, "mac")))
    bad = [n for n in names if bag("mac/" + n) != bag("dos/" + n)]
    print("\n== mac/ vs dos/ ==\n%d/%d files agree" % (len(names) - len(bad), len(names)))
    for n in bad:
        print("  mac/%s: mac %s dos %s" % (n, sorted(bag("mac/" + n).items(), key=str),
                                           sorted(bag("dos/" + n).items(), key=str)))
    return len(bad)


def label_conflicts(expected):
    """Sisimai facts whose diagnostic says the same thing (addresses, IPs,
    a leading "host H said:" and trailing numbers set aside) after the same
    SMTP command (none known counts as one) but carry
    different (reason, hard) labels: no classifier that reads the text can
    agree with all of them (docs/accuracy.md). Diagnostics cut at 300
    characters in expected.jsonl are left out."""
    def norm(text):
        t = text.lower()
        t = re.sub(r"[\w.+%=-]+@[\w.-]+", "<a>", t)
        t = re.sub(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", "<ip>", t)
        t = re.sub(r"^host \S+ said:\s*", "", t)
        t = re.sub(r"[<>\"'()\[\]]", " ", t)
        t = re.sub(r"\s[-\d]+\s*$", "", t)
        return re.sub(r"\s+", " ", t).strip()
    groups = collections.defaultdict(list)
    for name, facts in expected.items():
        if name.split("/")[0] not in FOLDERS:
            continue
        for fact in facts:
            # expected.jsonl cuts diagnostics at 300 characters: a cut
            # text may hide what tells two facts apart
            if fact["diagnosticcode"].strip() and len(fact["diagnosticcode"]) < 300:
                groups[(norm(fact["diagnosticcode"]), fact["smtpcommand"])].append(fact)
    out = []
    for (text, command), facts in sorted(groups.items()):
        labels = collections.Counter((f["reason"], bool(f["hardbounce"])) for f in facts)
        if len(labels) > 1:
            out.append(((text + " [after %s]" % (command or "?")), labels, facts))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rebound", required=True, help="path to the rebound binary")
    ap.add_argument("--corpus", default=os.path.join(root, "..", "shared", "corpus", "sisimai"))
    ap.add_argument("--min-subset", type=parse_minimums, default={}, metavar="M=P,...")
    ap.add_argument("--min-all", type=parse_minimums, default={}, metavar="M=P,...")
    ap.add_argument("--samples", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                      "..", "samples"),
                    help="the project's samples, counted with the corpus for rules that never fire")
    ap.add_argument("--rules-seen", metavar="FILE", help="rule ids (one a line) that should fire")
    ap.add_argument("--verbose", action="store_true", help="list every disagreement")
    args = ap.parse_args()

    corpus = os.path.abspath(args.corpus)
    if not os.path.isfile(os.path.join(corpus, "expected.jsonl")):
        if os.environ.get("CI", "").lower() == "true":
            print("accuracy: error: corpus not found at %s" % corpus, file=sys.stderr)
            return 1
        print("accuracy: corpus not found at %s: skipped" % corpus)
        return 0
    gated = bool(args.min_subset or args.min_all)

    expected = collections.defaultdict(list)
    with open(os.path.join(corpus, "expected.jsonl"), encoding="utf-8") as fh:
        for line in fh:
            fact = json.loads(line)
            if fact.get("kind") == "fact":
                expected[fact["file"]].append(fact)

    errors, outputs, rules = [], collections.defaultdict(list), collections.Counter()
    for folder in FOLDERS + ("mac",):
        if not os.path.isdir(os.path.join(corpus, folder)):
            continue
        for rel, rec in run_rebound(args.rebound, corpus, folder, errors):
            outputs[rel].append(rec)
            rules[rec.get("rule") or "(none)"] += 1

    files_all, files_sub = [], []
    for folder in FOLDERS:
        for name in sorted(os.listdir(os.path.join(corpus, folder))):
            rel = folder + "/" + name
            files_all.append(rel)
            with open(os.path.join(corpus, rel), "rb") as fh:
                raw = fh.read()
            if SUBSET_RE.search(raw) or any(f["smtpagent"] == "RFC3834" for f in expected[rel]):
                files_sub.append(rel)

    fails = []
    pairs, invented = match(files_all, expected, outputs)
    sub = set(files_sub)
    fails += report_set("subset", files_sub, [p for p in pairs if p[0] in sub],
                        [i for i in invented if i[0] in sub], args.min_subset)
    fails += report_set("all", files_all, pairs, invented, args.min_all)
    invented_not = [i for i in invented if i[0].startswith("not/")]
    print("invented in not/ %d (must be 0)" % len(invented_not))
    if invented_not and gated:
        fails.append("%d invented results in not/" % len(invented_not))
    report_reasons(pairs)

    if os.path.isdir(os.path.join(corpus, "mac")):
        mismatches = mac_check(outputs, corpus)
        if mismatches and gated:
            fails.append("%d mac/ files differ from dos/" % mismatches)

    print("\n== rule hits ==")
    for rule, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])):
        print("%6d  %s" % (n, rule))
    # every rule of the rule set that fired on neither the corpus nor the
    # project's samples, as `rebound parse --stats` counts them (override,
    # generic and fallback rules, blocklist-only rules included)
    stats_args = [os.path.join(corpus, f) for f in FOLDERS
                  if os.path.isdir(os.path.join(corpus, f))]
    if args.samples and os.path.isdir(args.samples):
        stats_args.append(args.samples)
    try:
        proc = subprocess.run([args.rebound, "parse", "--stats"] + stats_args,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        text = proc.stderr.decode("utf-8", "replace").splitlines()
    except (OSError, subprocess.TimeoutExpired) as exc:
        text = ["(rebound parse --stats failed: %s)" % exc]
    never, on = [], False
    for line in text:
        if line.startswith("rules that never fired"):
            on = True
            continue
        if on and line.startswith(" "):
            never.append(line.strip())
        elif on:
            on = False
    print("\n== rules that never fired on the corpus%s: %d ==" % (
        " and samples" if len(stats_args) > len(FOLDERS) else "", len(never)))
    for rule in never:
        print("  " + rule)

    if args.rules_seen:
        with open(args.rules_seen, encoding="utf-8") as fh:
            wanted = [l.strip() for l in fh if l.strip() and not l.startswith("#")]
        never = [r for r in wanted if r not in rules]
        print("\n== rules that never fired: %d of %d ==" % (len(never), len(wanted)))
        for rule in never:
            print("  " + rule)

    if args.verbose:
        print("\n== disagreements (all) ==")
        for name, fact, got in pairs:
            for metric, (agree, exp, ours) in judge(fact, got).items():
                if not agree and (got is not None or metric == "recipient"):
                    print("%s\t%s\t%s\texpected=%s\tgot=%s" % (name, fact["recipient"], metric, exp, ours))
        for name, rec in invented:
            print("%s\t%s\tinvented\texpected=%s\tgot=%s" % (name, rec["recipient"], NO_RESULT, rec.get("reason")))
        conflicts = label_conflicts(expected)
        print("\n== the same words, different Sisimai labels: %d texts ==" % len(conflicts))
        for text, labels, facts in conflicts:
            print("  %.100s" % text)
            for (reason, hard), n in sorted(labels.items()):
                names = sorted({f["file"] for f in facts if (f["reason"], bool(f["hardbounce"])) == (reason, hard)})
                print("    %-15s hard=%-5s %d  %s" % (reason, hard, n, " ".join(names)[:160]))

    if errors:
        print("\n== errors: %d ==" % len(errors))
        for err in errors:
            print("  " + err)
        if gated:
            # every corpus file is readable: a non-zero exit is a crash, a
            # sanitizer report or a leak, and bad output breaks the contract
            fails.append("%d errors running rebound" % len(errors))
    if fails:
        print("\naccuracy: FAIL: " + "; ".join(fails))
        return 1
    print("\naccuracy: %s" % ("PASS" if gated else "done (no thresholds given)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
