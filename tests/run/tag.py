#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/tag.py - makes sample messages distinct: copies SRC to DST with
# "X-Rebound-Test: TAG" as a first header line, written with SRC's own
# line ending (LF, CRLF or a bare CR), so the message parses as before but
# has its own content key. One "TAG SRC DST" per line of standard input.
# DST may be a maildir's new/ or cur/ name: it is written under the
# maildir's tmp/ first and renamed into place (maildir delivery).
import os
import sys


def eol(raw):
    i = raw.find(b"\n")
    j = raw.find(b"\r")
    if j >= 0 and (i < 0 or j < i):
        return b"\r\n" if raw[j:j + 2] == b"\r\n" else b"\r"
    return b"\n"


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        tag, src, dst = line.split()
        with open(src, "rb") as fp:
            raw = fp.read()
        out = b"X-Rebound-Test: " + tag.encode() + eol(raw) + raw
        parent = os.path.dirname(dst)
        tmpdir = os.path.join(os.path.dirname(parent), "tmp")
        if os.path.basename(parent) in ("new", "cur") and os.path.isdir(tmpdir):
            tmp = os.path.join(tmpdir, os.path.basename(dst))
        else:
            tmp = dst + ".tmp"
        with open(tmp, "wb") as fp:
            fp.write(out)
        os.rename(tmp, dst)


main()
