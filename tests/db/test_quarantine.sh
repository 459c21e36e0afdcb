#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_quarantine.sh - what is not a report (kind unknown, no
# recipient) is never dropped: it is in rebound.quarantine with its raw
# bytes and the reason; over the size limit it is recorded with its size.
. "$(dirname "$0")/lib.sh"
newdb quarantine
"$REBOUND" db migrate >/dev/null
human=$SRC/samples/non-report/human-reply.eml

check_rc "ingest a human reply" 0 "$REBOUND" ingest "$human"
check "it is quarantined, not stored as a report" \
	"$(q "SELECT (SELECT count(*) FROM rebound.quarantine) || ' ' || (SELECT count(*) FROM rebound.message)")" "1 0"
check "with the reason" "$(q "SELECT reason FROM rebound.quarantine")" "not-a-report"
check "with its raw bytes, exactly" \
	"$(q "SELECT encode(sha256(raw), 'hex') || ' ' || size FROM rebound.quarantine")" \
	"$(sha256sum <"$human" | cut -d' ' -f1) $(stat -c %s "$human")"
check "with where it came from" "$(q "SELECT source || ' ' || source_id FROM rebound.quarantine")" \
	"file $(realpath "$human")"
check "the summary counts it" "$(grep -o '1 quarantined' "$TMP/err")" "1 quarantined"
check_rc "again" 0 "$REBOUND" ingest "$human"
check "quarantined once" "$(q "SELECT count(*) FROM rebound.quarantine")" 1

# over max_message_size: not read, recorded with its size
conf "$TMP/small.conf" 'limits = { max_message_size = 1000; };'
big=$SRC/samples/dsn/multi-recipient.eml
check_rc "ingest a message over max_message_size" 0 "$REBOUND" ingest -c "$TMP/small.conf" "$big"
check "recorded with the limit as reason and its size" \
	"$(q "SELECT reason || ' ' || size || ' ' || (raw IS NULL) FROM rebound.quarantine WHERE source_id = '$(realpath "$big")'")" \
	"limit:max_message_size $(stat -c %s "$big") true"

# from standard input (the MTA pipe)
check_rc "a non-report from stdin" 0 sh -c "'$REBOUND' ingest - <'$SRC/samples/non-report/newsletter.eml'"
check "stdin message quarantined with source stdin" \
	"$(q "SELECT count(*) FROM rebound.quarantine WHERE source = 'stdin' AND raw IS NOT NULL")" 1
# complaints are believed only from a declared feedback-loop mailbox
newdb quarantine_trust
"$REBOUND" db migrate >/dev/null 2>&1
yahoo=$SRC/samples/arf/yahoo-cfl.eml
jmrp=$SRC/samples/jmrp/legacy.eml
check_rc "a complaint through the bounce pipe (no --feedback-loop)" 0 \
	sh -c "'$REBOUND' ingest - <'$yahoo'"
check "it is quarantined as untrusted" \
	"$(q "SELECT reason FROM rebound.quarantine WHERE source = 'stdin'")" \
	"untrusted-complaint: not a feedback-loop mailbox"
check "and suppresses nothing" "$(q "SELECT count(*) FROM rebound.suppression")" 0
check_rc "the same complaint from Yahoo's feedback-loop mailbox" 0 \
	"$REBOUND" ingest --feedback-loop yahoo "$yahoo"
check "stored as a complaint" "$(q "SELECT count(*) FROM rebound.complaint")" 1
check "and suppresses for its sender" \
	"$(q "SELECT count(*) FROM rebound.suppression WHERE scope <> 'global'")" 1
check_rc "Microsoft's report in Yahoo's mailbox" 0 \
	"$REBOUND" ingest --feedback-loop yahoo "$jmrp"
check "quarantined: wrong provider" \
	"$(q "SELECT reason FROM rebound.quarantine WHERE source_id = '$(realpath "$jmrp")'")" \
	"untrusted-complaint: reporter microsoft in a mailbox registered with yahoo"
check_rc "unless Microsoft is trusted there too" 0 \
	"$REBOUND" ingest --feedback-loop yahoo --trust microsoft "$SRC/samples/jmrp/arf-form.eml"
check "then it is stored" "$(q "SELECT count(*) FROM rebound.complaint")" 2
done_testing
