#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_ingest.sh - `rebound ingest`: what is stored is what
# `rebound parse` prints (field by field), ingesting twice adds nothing,
# the same files named another way add nothing, batches of any size give
# the same rows, mbox messages are keyed path#N.
. "$(dirname "$0")/lib.sh"
newdb ingest
"$REBOUND" db migrate >/dev/null

check_rc "ingest samples/" 0 "$REBOUND" ingest --feedback-loop any "$SRC/samples/"
first=$(counts)
msgs=$(find "$SRC/samples" -type f ! -name '.*' | wc -l)
check "summary counts every file" "$(grep -o '^rebound: ingest: [0-9]* messages' "$TMP/err")" \
	"rebound: ingest: $msgs messages"
check "each file is a message or quarantined" \
	"$(q "SELECT (SELECT count(*) FROM rebound.message) + (SELECT count(*) FROM rebound.quarantine)")" "$msgs"

# field by field: every NDJSON line of a stored message is one event
(cd "$SRC/samples" && "$REBOUND" parse .) >"$TMP/parse.ndjson"
q "SELECT json_build_object('source', m.source_id, 'idx', e.idx,
	'kind', e.kind, 'recipient', e.recipient,
	'original_recipient', e.original_recipient, 'action', e.action,
	'status', e.status, 'reply_code', e.reply_code,
	'diagnostic', e.diagnostic, 'remote_mta', e.remote_mta,
	'reporting_mta', e.reporting_mta, 'reason', e.reason, 'hard', e.hard,
	'fault', e.fault, 'blocklist', e.blocklist, 'rule', e.rule,
	'sender', e.sender, 'sender_source', e.sender_source,
	'sender_id', e.sender_id, 'envelope_from', e.envelope_from,
	'from', e.from_addr, 'message_id', e.message_id, 'subject', e.subject,
	'feedback_type', c.feedback_type, 'user_agent', c.user_agent,
	'provider', c.provider, 'source_ip', c.source_ip,
	'arrival_date', c.arrival_date, 'reported_domain', c.reported_domain,
	'flags', m.flags, 'complaint', c.event_id IS NOT NULL)
	FROM rebound.event e JOIN rebound.message m ON m.id = e.message_fk
	LEFT JOIN rebound.complaint c ON c.event_id = e.id" >"$TMP/db.ndjson"
rc=0
python3 "$(dirname "$0")/compare_ndjson.py" "$SRC/samples" "$TMP/parse.ndjson" "$TMP/db.ndjson" >"$TMP/cmp" 2>&1 || rc=$?
check "every stored event equals its NDJSON line" "$rc $(tail -n1 "$TMP/cmp")" \
	"0 $(q "SELECT count(*) FROM rebound.event") events compared"
[ "$rc" = 0 ] || sed 's/^/  | /' "$TMP/cmp" | head -20 >&2

# idempotent
check_rc "ingest samples/ again" 0 "$REBOUND" ingest --feedback-loop any "$SRC/samples/"
check "second ingest adds nothing" "$(counts)" "$first"
check "second ingest reports duplicates" "$(grep -o '0 stored, 0 events, 0 quarantined, [0-9]* duplicates' "$TMP/err")" \
	"0 stored, 0 events, 0 quarantined, $msgs duplicates"
check_rc "the same files by a relative path" 0 sh -c "cd '$SRC' && '$REBOUND' ingest samples/dsn/../dsn"
check "a relative path adds nothing" "$(counts)" "$first"
check "no duplicate keys" "$(q "SELECT count(*) FROM (SELECT 1 FROM rebound.event GROUP BY message_fk, idx HAVING count(*) > 1) d")" 0

# batch size does not change the result
newdb ingest_b3
"$REBOUND" db migrate >/dev/null
conf "$TMP/b3.conf" 'database = { batch_size = 3; };'
check_rc "ingest in batches of 3" 0 "$REBOUND" ingest --feedback-loop any -c "$TMP/b3.conf" "$SRC/samples/"
check "batches of 3 store the same rows" "$(counts)" "$first"
check "batches of 3 were used" "$(grep -o '[0-9]* batches' "$TMP/err")" "$(( (msgs + 2) / 3 )) batches"

# mbox: one message per From_ line, keyed path#N
newdb ingest_mbox
"$REBOUND" db migrate >/dev/null
for f in postfix-userunknown gmail-overquota; do
	echo "From MAILER-DAEMON Mon Jun  3 10:00:00 2024"
	cat "$SRC/samples/dsn/$f.eml"
	echo
done >"$TMP/two.mbox"
check_rc "ingest --mbox" 0 "$REBOUND" ingest --feedback-loop any --mbox "$TMP/two.mbox"
check "mbox messages keyed path#N" "$(q "SELECT string_agg(source || ' ' || regexp_replace(source_id, '.*/', ''), ',' ORDER BY source_id) FROM rebound.message")" \
	"mbox two.mbox#1,mbox two.mbox#2"

# an unreadable path: exit 1, the rest stored
newdb ingest_missing
"$REBOUND" db migrate >/dev/null
check_rc "a missing path" 1 "$REBOUND" ingest --feedback-loop any "$TMP/nope.eml" "$SRC/samples/dsn/postfix-userunknown.eml"
check "the readable one is stored" "$(q "SELECT count(*) FROM rebound.message")" 1
done_testing
