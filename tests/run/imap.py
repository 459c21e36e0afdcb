#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/imap.py - what the `rebound run` tests do to a real Dovecot
# (tests/ingest/dovecot.sh): append mail, and look at a folder without
# changing it (BODY.PEEK, EXAMINE). Implicit TLS checked against the test
# CA, python3 standard library only.
#
#   imap.py append USER FOLDER FILE...   one message per file, no flags
#   imap.py list USER FOLDER             one JSON line per message:
#                                        {"uid", "flags", "sha256", "tag", "size"}
#   imap.py rows USER FOLDER             "TAG SHA256 FLAGS" per message, sorted
#                                        (FLAGS: "-" when none)
#   imap.py uids USER FOLDER             "TAG UID" per message
#   imap.py reset USER                   empty INBOX, delete every other folder
#   imap.py count USER FOLDER            number of messages (0: no folder)
#   imap.py wait USER FOLDER N SECONDS   until FOLDER holds N messages
#   imap.py status USER FOLDER           "UIDVALIDITY UIDNEXT MESSAGES"
#
# Environment: IMAP_PORT (implicit TLS), IMAP_CA (PEM), IMAP_PASSWORD_FILE.
# The server certificate names "localhost". "tag" is the value of the
# X-Rebound-Test header the tests add to make messages distinct.
import hashlib
import imaplib
import json
import os
import re
import ssl
import sys
import time

TAG = re.compile(rb"^X-Rebound-Test: *([^\r\n]*)", re.M | re.I)


def connect(user):
    ctx = ssl.create_default_context(cafile=os.environ["IMAP_CA"])
    with open(os.environ["IMAP_PASSWORD_FILE"]) as fp:
        pw = fp.readline().strip()
    for attempt in range(50):
        try:
            c = imaplib.IMAP4_SSL("localhost", int(os.environ["IMAP_PORT"]),
                                  ssl_context=ctx, timeout=30)
            c.login(user, pw)
            return c
        except (OSError, imaplib.IMAP4.error):
            # the server may be restarting (the chaos test)
            if attempt == 49:
                raise
            time.sleep(0.2)


def quote(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ensure(c, folder):
    typ, data = c.list('""', quote(folder))
    if not [d for d in data if d]:
        c.create(quote(folder))


def append(user, folder, files):
    """In order, 50 messages per APPEND (MULTIAPPEND, RFC 3502, with
    LITERAL+): one server transaction, one fsync, for each 50."""
    c = connect(user)
    ensure(c, folder)
    typ, data = c.capability()  # after LOGIN: the full list
    caps = set(data[0].decode().upper().split())
    multi = "MULTIAPPEND" in caps and "LITERAL+" in caps
    for i in range(0, len(files), 50 if multi else 1):
        chunk = []
        for f in files[i:i + (50 if multi else 1)]:
            with open(f, "rb") as fp:
                chunk.append(fp.read())
        if not multi:
            typ, data = c.append(quote(folder), "", None, chunk[0])
        else:
            tag = c._new_tag()
            cmd = tag + b" APPEND " + quote(folder).encode()
            for raw in chunk:
                cmd += b" {%d+}\r\n" % len(raw) + raw
            c.send(cmd + b"\r\n")
            typ, data = c._command_complete("APPEND", tag)
        if typ != "OK":
            sys.exit("APPEND %s: %s %s" % (files[i], typ, data))
    c.logout()


def examine(c, folder):
    typ, data = c.select(quote(folder), readonly=True)
    if typ != "OK":
        return None
    return int(data[0])


def listing(user, folder):
    c = connect(user)
    n = examine(c, folder)
    out = []
    if n:
        typ, data = c.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE BODY.PEEK[])")
        for item in data:
            if not isinstance(item, tuple):
                continue
            meta, body = item
            uid = int(re.search(rb"UID (\d+)", meta).group(1))
            flags = re.search(rb"FLAGS \(([^)]*)\)", meta)
            m = TAG.search(body)
            out.append({
                "uid": uid,
                # \Recent belongs to the session, not to the message
                "flags": " ".join(f for f in (flags.group(1).decode() if flags else "").split()
                                  if f != "\\Recent"),
                "sha256": hashlib.sha256(body).hexdigest(),
                "tag": m.group(1).decode("ascii", "replace").strip() if m else None,
                "size": len(body),
            })
    c.logout()
    return out


def count(user, folder):
    c = connect(user)
    n = examine(c, folder)
    c.logout()
    return n or 0


def reset(user):
    c = connect(user)
    typ, data = c.list()
    names = []
    for d in data:
        if not d:
            continue
        m = re.match(rb'\(([^)]*)\) (?:"[^"]*"|NIL) (.*)$', d)
        name = m.group(2).decode()
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        if name.upper() != "INBOX":
            names.append(name)
    for name in sorted(names, key=len, reverse=True):
        c.delete(quote(name))
    typ, data = c.select("INBOX")
    if int(data[0]) > 0:
        c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
    c.logout()


def main():
    cmd, user = sys.argv[1], sys.argv[2]
    folder = sys.argv[3] if len(sys.argv) > 3 else None
    if cmd == "reset":
        reset(user)
    elif cmd == "append":
        append(user, folder, sys.argv[4:])
    elif cmd == "list":
        for m in listing(user, folder):
            print(json.dumps(m, sort_keys=True))
    elif cmd == "rows":
        rows = ["%s %s %s" % (m["tag"], m["sha256"], m["flags"].replace(" ", ",") or "-")
                for m in listing(user, folder)]
        for r in sorted(rows):
            print(r)
    elif cmd == "uids":
        for m in listing(user, folder):
            print(m["tag"], m["uid"])
    elif cmd == "count":
        print(count(user, folder))
    elif cmd == "status":
        c = connect(user)
        typ, data = c.status(quote(folder), "(UIDVALIDITY UIDNEXT MESSAGES)")
        c.logout()
        v = dict(re.findall(rb"(UIDVALIDITY|UIDNEXT|MESSAGES) (\d+)", data[0]))
        print(int(v[b"UIDVALIDITY"]), int(v[b"UIDNEXT"]), int(v[b"MESSAGES"]))
    elif cmd == "wait":
        want, end = int(sys.argv[4]), time.time() + float(sys.argv[5])
        while True:
            n = count(user, folder)
            if n == want or time.time() > end:
                print(n)
                sys.exit(0 if n == want else 1)
            time.sleep(0.2)
    else:
        sys.exit("usage: imap.py append|list|count|wait USER FOLDER ...")


main()
