#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/chaos.py - the corpus and the final accounting of
# test_chaos.sh.
#
#   chaos.py make SAMPLES GEN OUT MAILDIR N_IMAP N_MAILDIR
#       writes N_IMAP messages to OUT/imap/ (to be appended to a
#       feedback-loop mailbox registered with yahoo) and N_MAILDIR
#       messages into MAILDIR (new/ and cur/; a bounce mailbox), each made
#       distinct by an X-Rebound-Test header (or by its bytes), and
#       OUT/manifest: "TAG BOX CATEGORY WHERE SHA256 REASON" per message,
#       where CATEGORY is report, quarantine or nonreport, WHERE the file
#       (imap) or the path in the maildir, and SHA256 the content key
#       ("-" for imap: the server's bytes decide, see verify).
#   chaos.py verify OUT MAILDIR
#       compares what was put in with what is there at the end, from files
#       the test wrote to OUT: imap.before/inbox/processed/quarantine
#       ("TAG SHA FLAGS", imap.py rows), db.messages ("KEY SOURCE_ID"),
#       db.quarantine ("KEY REASON"), db.complaints ("RECIPIENT"),
#       db.suppressed ("SCOPE RECIPIENT"). Prints "ok - ..." or
#       "not ok - ..." lines.
import collections
import glob
import hashlib
import json
import os
import random
import subprocess
import sys

NORCPT = b"""From: MAILER-DAEMON@mx.relay.test
To: bounces@relay.test
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.relay.test

--B--
"""


def eol(raw):
    i, j = raw.find(b"\n"), raw.find(b"\r")
    if j >= 0 and (i < 0 or j < i):
        return b"\r\n" if raw[j:j + 2] == b"\r\n" else b"\r"
    return b"\n"


def tagged(tag, raw):
    return b"X-Rebound-Test: " + tag.encode() + eol(raw) + raw


def read(path):
    with open(path, "rb") as fp:
        return fp.read()


def golden_rule(path):
    """The rule a sample's golden output names (why a non-report is one:
    not-a-report, mdn:disposition-notification, double-bounce,
    embedded-report)."""
    with open(path[:-len(".eml")] + ".expected.ndjson") as fp:
        return json.loads(fp.readline())["rule"]


def make(samples, gen, out, maildir, n_imap, n_md):
    rnd = random.Random(20240601)
    s = lambda *globs: sorted(p for g in globs for p in glob.glob(os.path.join(samples, g)))
    bounces = s("dsn/*.eml", "text/*.eml", "autoreply/*.eml")
    md_reports = bounces + s("broken/*.eml")
    nonreports = s("non-report/*.eml")
    forged = s("jmrp/*.eml")  # Microsoft complaints in a yahoo mailbox
    untrusted = s("arf/*.eml", "jmrp/*.eml", "not-spam/*.eml", "auth-failure/*.eml")
    # Yahoo complaints, each for its own recipient and sender
    n_arf = n_imap // 8
    os.makedirs(os.path.join(out, "gen"), exist_ok=True)
    specs = "".join("yarf%04d|arf|rcpt%04d@yahoo.example|abuse|customer-%d|198.51.100.%d|now|\n"
                    % (i, i, i % 13, i % 250 + 1) for i in range(n_arf))
    subprocess.run([sys.executable, gen, os.path.join(out, "gen")], input=specs.encode(), check=True)
    arfs = sorted(glob.glob(os.path.join(out, "gen", "*.eml")))

    man = []
    os.makedirs(os.path.join(out, "imap"), exist_ok=True)
    for i in range(n_imap):
        tag = "i%04d" % i
        r = rnd.random()
        if i < n_arf:
            cat, raw, why = "report", read(arfs[i]), "-"
        elif r < 0.10:
            p = rnd.choice(nonreports)
            cat, raw, why = "nonreport", read(p), golden_rule(p)
        elif r < 0.13:
            cat, raw, why = "quarantine", NORCPT, "dsn:no-recipient"
        elif r < 0.15:
            cat, raw, why = "quarantine", read(rnd.choice(forged)), \
                "untrusted-complaint: reporter microsoft in a mailbox registered with yahoo"
        else:
            cat, raw, why = "report", read(rnd.choice(bounces)), "-"
        path = os.path.join(out, "imap", tag + ".eml")
        with open(path, "wb") as fp:
            fp.write(tagged(tag, raw))
        man.append((tag, "imap", cat, path, "-", why))
    rnd.shuffle(man)  # appended in this order: kinds interleaved

    for d in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(maildir, d), exist_ok=True)
    for i in range(n_md):
        tag = "m%04d" % i
        r = rnd.random()
        where = "new/%d.T%sP1.chaos" % (1700000000 + i, tag)
        if r < 0.10:
            p = rnd.choice(nonreports)
            cat, raw, why = "nonreport", tagged(tag, read(p)), golden_rule(p)
            # some read by a human already (cur/, seen or not)
            if r < 0.03:
                where = "cur/%d.T%sP1.chaos:2,S" % (1700000000 + i, tag)
            elif r < 0.05:
                where = "cur/%d.T%sP1.chaos:2," % (1700000000 + i, tag)
        elif r < 0.12:
            cat, raw, why = "quarantine", tagged(tag, NORCPT), "dsn:no-recipient"
        elif r < 0.13:
            # no header at all: distinct by its bytes
            cat, raw, why = "quarantine", b"garbage %s \x01\x02\n" % tag.encode(), "mime:unparseable"
        elif r < 0.15:
            cat, raw, why = "quarantine", tagged(tag, read(rnd.choice(untrusted))), \
                "untrusted-complaint: not a feedback-loop mailbox"
        else:
            cat, raw, why = "report", tagged(tag, read(rnd.choice(md_reports))), "-"
        tmp = os.path.join(maildir, "tmp", tag)
        with open(tmp, "wb") as fp:
            fp.write(raw)
        os.rename(tmp, os.path.join(maildir, where))
        man.append((tag, "maildir", cat, where, hashlib.sha256(raw).hexdigest(), why))
    with open(os.path.join(out, "manifest"), "w") as fp:
        for m in man:
            fp.write("\t".join(m) + "\n")


class Report:
    def __init__(self):
        self.failed = 0

    def check(self, what, bad, show=5):
        bad = list(bad)
        if not bad:
            print("ok - %s" % what)
        else:
            self.failed += 1
            print("not ok - %s: %d wrong, e.g. %s" % (what, len(bad), bad[:show]))


def rows(path):
    """imap.py rows: {tag: [(sha, flags), ...]}"""
    d = collections.defaultdict(list)
    if os.path.exists(path):
        for line in open(path):
            tag, sha, flags = line.split()
            d[tag].append((sha, flags))
    return d


def pairs(path):
    out = []
    for line in open(path):
        line = line.rstrip("\n")
        if line:
            out.append(tuple(line.split("|", 1)))
    return out


def verify(out, maildir):
    rep = Report()
    man = [l.rstrip("\n").split("\t") for l in open(os.path.join(out, "manifest"))]
    before = rows(os.path.join(out, "imap.before"))
    inbox = rows(os.path.join(out, "imap.inbox"))
    processed = rows(os.path.join(out, "imap.processed"))
    quarantine = rows(os.path.join(out, "imap.quarantine"))
    msgs = collections.Counter(k for k, _ in pairs(os.path.join(out, "db.messages")))
    quar = {}
    quar_n = collections.Counter()
    for k, reason in pairs(os.path.join(out, "db.quarantine")):
        quar[k] = reason
        quar_n[k] += 1

    key = {}
    for tag, box, cat, where, sha, why in man:
        if box == "imap":
            sha = before[tag][0][0] if len(before.get(tag, [])) == 1 else None
        key[tag] = sha
    rep.check("every message was appended once (IMAP)",
              [t for t, b, *_ in man if b == "imap" and key[t] is None])

    want = {c: [m for m in man if m[2] == c] for c in ("report", "quarantine", "nonreport")}
    print("# put in: %s" % ", ".join("%d %s" % (
        sum(1 for m in man if m[2] == c and m[1] == b), c + " " + b)
        for c in want for b in ("imap", "maildir")))

    # the database
    rep.check("every report stored exactly once (by content key)",
              ["%s:%d" % (m[0], msgs[key[m[0]]]) for m in want["report"] if msgs[key[m[0]]] != 1])
    report_keys = {key[m[0]] for m in want["report"]}
    rep.check("nothing else stored as a report", [k for k in msgs if k not in report_keys])
    rep.check("every quarantined message in rebound.quarantine once, with its reason",
              ["%s:%s" % (m[0], quar.get(key[m[0]])) for m in want["quarantine"]
               if quar.get(key[m[0]]) != m[5] or quar_n[key[m[0]]] != 1])
    rep.check("every non-report recorded once with why it is none",
              ["%s:%s" % (m[0], quar.get(key[m[0]])) for m in want["nonreport"]
               if quar.get(key[m[0]]) != m[5] or quar_n[key[m[0]]] != 1])
    q_keys = {key[m[0]] for m in want["quarantine"] + want["nonreport"]}
    rep.check("nothing else in rebound.quarantine", [k for k in quar if k not in q_keys])

    # IMAP folders
    def once_in(folder, m, name):
        got = folder.get(m[0], [])
        return len(got) == 1 and got[0][0] == key[m[0]]
    im = lambda c: [m for m in want[c] if m[1] == "imap"]
    rep.check("IMAP: every report in rebound/processed once, unchanged",
              [m[0] for m in im("report") if not once_in(processed, m, "processed")])
    rep.check("IMAP: every quarantined message in rebound/quarantine once, unchanged, not seen",
              [m[0] for m in im("quarantine") if not once_in(quarantine, m, "quarantine")
               or "\\Seen" in quarantine[m[0]][0][1]])
    rep.check("IMAP: every non-report still in INBOX once, unchanged and unseen",
              [m[0] for m in im("nonreport") if not once_in(inbox, m, "INBOX")
               or "\\Seen" in inbox[m[0]][0][1]])
    wanted = {"processed": {m[0] for m in im("report")},
              "quarantine": {m[0] for m in im("quarantine")},
              "INBOX": {m[0] for m in im("nonreport")}}
    for name, folder in (("processed", processed), ("quarantine", quarantine), ("INBOX", inbox)):
        rep.check("IMAP: nothing else in %s" % name, [t for t in folder if t not in wanted[name]])

    # the maildirs
    def files(d):
        out = collections.defaultdict(list)
        for sub in ("new", "cur"):
            p = os.path.join(d, sub)
            if os.path.isdir(p):
                for n in os.listdir(p):
                    out[n.split(":")[0]].append(sub + "/" + n)
        return out
    src = files(os.path.join(maildir, "in"))
    dst = {"report": files(os.path.join(maildir, "processed")),
           "quarantine": files(os.path.join(maildir, "quarantine"))}
    md = lambda c: [m for m in want[c] if m[1] == "maildir"]
    base = lambda where: os.path.basename(where).split(":")[0]
    sha_of = lambda p: hashlib.sha256(read(p)).hexdigest()
    for c, d, flags in (("report", "processed", "S"), ("quarantine", "quarantine", "")):
        bad = []
        for m in md(c):
            b = base(m[3])
            got = dst[c].get(b, [])
            oldflags = m[3].split(":2,")[1] if ":2," in m[3] else ""
            want_name = "cur/%s:2,%s" % (b, "".join(sorted(set(oldflags + flags))))
            if got != [want_name] or b in src or \
                    sha_of(os.path.join(maildir, d, want_name)) != m[4]:
                bad.append((m[0], got, b in src))
        rep.check("maildir: every %s moved once to %s/cur, unchanged, nowhere else" % (c, d), bad)
        names = {base(m[3]) for m in md(c)}
        rep.check("maildir: nothing else in %s" % d, [n for n in dst[c] if n not in names])
    bad = [m[0] for m in md("nonreport")
           if src.get(base(m[3])) != [m[3]] or sha_of(os.path.join(maildir, "in", m[3])) != m[4]]
    rep.check("maildir: every non-report untouched where it was (name, bytes)", bad)
    names = {base(m[3]) for m in md("nonreport")}
    rep.check("maildir: nothing else left in the source", [n for n in src if n not in names])

    # complaints: the Yahoo ones, trusted, each suppressing its recipient
    complaints = collections.Counter(l.strip() for l in open(os.path.join(out, "db.complaints")))
    n_arf = len(glob.glob(os.path.join(out, "gen", "*.eml")))
    arf_rcpts = {"rcpt%04d@yahoo.example" % i for i in range(n_arf)}
    rep.check("every Yahoo complaint stored once as a complaint",
              [r for r in arf_rcpts if complaints[r] != 1] + [r for r in complaints if r not in arf_rcpts])
    supp = {l.split("|")[1].strip() for l in open(os.path.join(out, "db.suppressed")) if l.strip()}
    rep.check("every Yahoo complaint suppresses its recipient", [r for r in arf_rcpts if r not in supp])
    return rep.failed


def main():
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), int(sys.argv[7]))
    elif sys.argv[1] == "verify":
        sys.exit(1 if verify(sys.argv[2], sys.argv[3]) else 0)
    else:
        sys.exit(__doc__)


main()
