#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_sanitize.sh - invalid UTF-8 and NUL bytes never fail a
# batch: a diagnostic with Latin-1, junk bytes and NULs, and a file name
# that is not UTF-8, are stored as valid UTF-8 text; the raw bytes are kept
# exactly, and the content key is PostgreSQL's own sha256() of them.
. "$(dirname "$0")/lib.sh"
newdb sanitize
"$REBOUND" db migrate >/dev/null
conf "$TMP/raw.conf" 'database = { keep_raw_days = 1; };'

name=$(printf 'bad-\xff\xfe-name.eml')
python3 - "$TMP/$name" <<'PY'
import sys
diag = b"550 5.1.1 <caf\xe9@example.com>: unknown \xff\xfe\xc0\xaf junk \x00NUL\x00 \xed\xa0\x80 end"
msg = (b"From: MAILER-DAEMON@mx.example.com\r\n"
       b"To: bounces+alice=example.org@relay.example.net\r\n"
       b"Subject: Undelivered Mail Returned to Sender\r\n"
       b"Date: Mon, 03 Jun 2024 10:00:00 +0000\r\n"
       b"MIME-Version: 1.0\r\n"
       b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
       b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
       b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
       b"Reporting-MTA: dns; mx.example.com\r\n\r\n"
       b"Final-Recipient: rfc822; cafe@example.com\r\n"
       b"Action: failed\r\nStatus: 5.1.1\r\n"
       b"Diagnostic-Code: smtp; " + diag + b"\r\n"
       b"--B--\r\n")
open(sys.argv[1], "wb").write(msg)
PY
check_rc "ingest a DSN with junk bytes in a file with a non-UTF-8 name" 0 \
	"$REBOUND" ingest -c "$TMP/raw.conf" "$TMP/$name"
check "one event stored" "$(q "SELECT count(*) FROM rebound.event")" 1
check "the recipient is the DSN's" "$(q "SELECT recipient FROM rebound.event")" "cafe@example.com"
diag=$(q "SELECT diagnostic FROM rebound.event")
check "the diagnostic keeps its readable text" \
	"$(case "$diag" in *'unknown'*'junk'*'end') echo yes ;; *) echo "no: $diag" ;; esac)" yes
check "the diagnostic has no NUL and no control bytes" \
	"$(q "SELECT diagnostic ~ '[\x01-\x08]' FROM rebound.event")" f
check "the diagnostic is the parser's (as NDJSON)" "$diag" \
	"$("$REBOUND" parse "$TMP/$name" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["diagnostic"])')"
check "the non-UTF-8 file name is stored with U+FFFD" \
	"$(q "SELECT regexp_replace(source_id, '.*/', '') FROM rebound.message")" "bad-$(printf '\xef\xbf\xbd\xef\xbf\xbd')-name.eml"
check "the raw bytes are kept exactly" \
	"$(q "SELECT encode(sha256(raw), 'hex') FROM rebound.message")" "$(sha256sum <"$TMP/$name" | cut -d' ' -f1)"
check "the content key is sha256 of the raw bytes" \
	"$(q "SELECT content_key = sha256(raw) FROM rebound.message")" t
check "raw bytes expire after keep_raw_days" \
	"$(q "SELECT raw_expires_at - received_at FROM rebound.message")" "1 day"
done_testing
