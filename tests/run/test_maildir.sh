#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_maildir.sh - `rebound run --once` over a maildir (a bounce
# mailbox, no feedback_loop) into a real PostgreSQL:
#   - every report is stored once and moved to the processed maildir (cur/,
#     seen, its other flags kept), bytes unchanged;
#   - what is broken (no recipient, unparseable, over max_message_size, an
#     autoreply without a sender: a known kind without recipient) and
#     complaints (not trusted in a bounce mailbox) are quarantined with their
#     reason and moved to the quarantine maildir; complaints suppress nothing;
#   - non-reports are left exactly where they were (new/ or cur/, same name,
#     same bytes, no flag added) and are recorded in rebound.quarantine;
#   - the checkpoint row counts the messages; a second run adds nothing and
#     moves nothing;
#   - against a schema older than 005 (no rebound.source_state) it refuses
#     to start (exit 1) instead of spinning.
. "$(dirname "$0")/lib.sh"
newdb run_maildir
"$REBOUND" db migrate >/dev/null
MD=$TMP/md
mkmaildir "$MD/in"

# a DSN without any recipient, something that is not MIME at all, and a
# message over max_message_size
printf '%s\n' 'From: MAILER-DAEMON@mx.relay.test' 'To: bounces@relay.test' \
	'Subject: Undelivered Mail Returned to Sender' 'MIME-Version: 1.0' \
	'Content-Type: multipart/report; report-type=delivery-status; boundary="B"' \
	'' '--B' 'Content-Type: message/delivery-status' '' \
	'Reporting-MTA: dns; mx.relay.test' '' '--B--' >"$TMP/norcpt.eml"
printf 'garbage\001\002 without a header\n' >"$TMP/garbage.eml"
# an autoreply whose sender cannot be told: a known kind, no recipient
grep -v '^From:' "$SAMPLES/autoreply/vacation.eml" >"$TMP/nofrom.eml"
{ cat "$SAMPLES/dsn/postfix-userunknown.eml"; head -c 150000 /dev/zero | tr '\0' 'x' | fold -w 76; } >"$TMP/big.eml"

declare -A WHERE SUM REASON
REPORTS=() QUARANTINED=() NONREPORTS=()
add() { # KIND TAG SAMPLE [SUB] [REASON]
	deliver "$2" "$3" "$MD/in" "${4:-new}"
	WHERE[$2]=$REL
	REASON[$2]=${5:-}
	case $1 in
	report) REPORTS+=("$2") ;;
	quarantine) QUARANTINED+=("$2") ;;
	nonreport) NONREPORTS+=("$2") ;;
	esac
}
i=0
for f in "$SAMPLES"/dsn/*.eml "$SAMPLES"/text/*.eml "$SAMPLES"/autoreply/*.eml "$SAMPLES"/broken/*.eml; do
	i=$((i + 1))
	add report "r$i" "$f"
done
add report rflag dsn/gmail-overquota.eml "cur:2,F"
add report rcur dsn/postfix-userunknown.eml "cur:2,"
add quarantine qnorcpt "$TMP/norcpt.eml" new dsn:no-recipient
add quarantine qgarbage "$TMP/garbage.eml" new mime:unparseable
add quarantine qbig "$TMP/big.eml" new limit:max_message_size
add quarantine qnofrom "$TMP/nofrom.eml" new rfc3834:auto-submitted
add quarantine qyahoo arf/yahoo-cfl.eml new "untrusted-complaint: not a feedback-loop mailbox"
add quarantine qjmrp jmrp/legacy.eml new "untrusted-complaint: not a feedback-loop mailbox"
add quarantine qnotspam not-spam/rfc6430-not-spam.eml new "untrusted-complaint: not a feedback-loop mailbox"
add nonreport nnew non-report/human-reply.eml new not-a-report
add nonreport ncur non-report/newsletter.eml "cur:2,S" not-a-report
add nonreport ncur2 non-report/human-reply.eml "cur:2," not-a-report
delivered
# not made distinct: a header line would make it parseable
cp "$TMP/garbage.eml" "$MD/in/${WHERE[qgarbage]}"
for t in "${!WHERE[@]}"; do
	SUM[$t]=$(sha "$MD/in/${WHERE[$t]}")
done
total=$((${#REPORTS[@]} + ${#QUARANTINED[@]} + ${#NONREPORTS[@]}))
touch -d '2024-01-02 03:04:05' "$MD/in/${WHERE[nnew]}" "$MD/in/${WHERE[ncur]}" "$MD/in/${WHERE[ncur2]}"

run_conf "$TMP/rebound.conf" "$(maildir_source bounces "$MD" 'batch = 7;')" \
	'limits = { max_message_size = 100000; };'

run_once "first run" "$TMP/rebound.conf"

# reports: stored once, moved to processed/cur with S added
check "every report stored once" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT content_key) FROM rebound.message WHERE source = 'maildir'")" \
	"${#REPORTS[@]} ${#REPORTS[@]}"
bad=""
for t in "${REPORTS[@]}"; do
	rel=${WHERE[$t]}
	name=${rel#*/}
	base=${name%%:*}
	flags=
	case "$name" in *:2,*) flags=${name#*:2,} ;; esac
	flags=$(printf '%s\n' $(echo "${flags}S" | grep -o .) | sort -u | tr -d '\n')
	dst=$MD/processed/cur/$base:2,$flags
	if [ -e "$MD/in/$rel" ] || [ ! -f "$dst" ] || [ "$(sha "$dst")" != "${SUM[$t]}" ]; then
		bad+=" $t($rel)"
	fi
	[ "$(q "SELECT count(*) FROM rebound.message WHERE content_key = '\\x${SUM[$t]}' AND source_id = '$rel'")" = 1 ] ||
		bad+=" $t:not-stored"
done
check "every report moved to processed/cur, seen, bytes unchanged, keyed by its id" "$bad" ""
check "flags kept on the processed copy" "$(ls "$MD/processed/cur" | grep -c ':2,FS$')" 1

# quarantine: rows with reasons, files in quarantine/cur, not seen
bad=""
for t in "${QUARANTINED[@]}"; do
	rel=${WHERE[$t]}
	base=${rel#*/}
	base=${base%%:*}
	got=$(q "SELECT reason FROM rebound.quarantine WHERE source_id = '$rel'")
	[ "$got" = "${REASON[$t]}" ] || bad+=" $t:reason='$got'"
	if [ -e "$MD/in/$rel" ] || [ ! -f "$MD/quarantine/cur/$base:2," ] ||
		[ "$(sha "$MD/quarantine/cur/$base:2,")" != "${SUM[$t]}" ]; then
		bad+=" $t:file"
	fi
done
check "broken and untrusted mail quarantined with its reason and moved, not marked seen" "$bad" ""
check "the oversized message is recorded by reference" \
	"$(q "SELECT (raw IS NULL) || ' ' || size FROM rebound.quarantine WHERE reason = 'limit:max_message_size'")" \
	"true $(stat -c %s "$TMP/big.eml" | awk '{print $1 + length("X-Rebound-Test: qbig") + 1}')"
check "untrusted complaints stored no complaint and no event" \
	"$(q "SELECT (SELECT count(*) FROM rebound.complaint) || ' ' || (SELECT count(*) FROM rebound.event WHERE kind IN ('complaint', 'not-spam'))")" "0 0"
check "untrusted complaints suppress nothing" \
	"$(q "SELECT count(*) FROM rebound.suppression WHERE recipient IN ('lena.h@yahoo.example', 'chris.w@hotmail.example', 'o.berg@mail.example.com')")" 0
check "hard bounces did create suppressions (the policy is on)" \
	"$(q "SELECT count(*) > 0 FROM rebound.suppression WHERE recipient = 'jane.doe@example.com'")" t

# non-reports: untouched, where they were
bad=""
for t in "${NONREPORTS[@]}"; do
	rel=${WHERE[$t]}
	f=$MD/in/$rel
	if [ ! -f "$f" ] || [ "$(sha "$f")" != "${SUM[$t]}" ] ||
		[ "$(stat -c %Y "$f")" != "$(date -d '2024-01-02 03:04:05' +%s)" ]; then
		bad+=" $t($rel)"
	fi
	[ "$(q "SELECT reason FROM rebound.quarantine WHERE content_key = '\\x${SUM[$t]}'")" = not-a-report ] ||
		bad+=" $t:not-recorded"
done
check "non-reports untouched in place (name, bytes, mtime) and recorded as not-a-report" "$bad" ""
check "nothing else left in the source maildir" \
	"$(find "$MD/in/new" "$MD/in/cur" -type f | wc -l)" "${#NONREPORTS[@]}"
check "no non-report in processed or quarantine" \
	"$(find "$MD/processed" "$MD/quarantine" -type f | wc -l)" $((${#REPORTS[@]} + ${#QUARANTINED[@]}))
check "source_state counts every message handed out" \
	"$(q "SELECT kind || ' ' || coalesce(feedback_loop, '-') || ' ' || messages FROM rebound.source_state WHERE name = 'bounces'")" \
	"maildir - $total"

# again: nothing new is stored, nothing moves
before=$(counts)
ls -R "$MD" >"$TMP/tree.before"
run_once "second run" "$TMP/rebound.conf"
check "a second run adds nothing" "$(counts)" "$before"
ls -R "$MD" >"$TMP/tree.after"
check "a second run moves nothing" "$(diff "$TMP/tree.before" "$TMP/tree.after" >/dev/null && echo same)" same
check "the non-reports are read again, as duplicates" \
	"$(grep 'src=bounces event=batch' "$TMP/once.log" | tail -n1 | grep -o 'messages=[0-9]* stored=[0-9]* duplicates=[0-9]*')" \
	"messages=${#NONREPORTS[@]} stored=0 duplicates=${#NONREPORTS[@]}"

# a database the daemon cannot work with: it says so and --once exits 1,
# at once (no reconnect loop)
for v in 0 4; do
	newdb run_maildir_v$v
	[ "$v" = 0 ] || "$REBOUND" db migrate --to "$v" >/dev/null 2>&1
	: >"$TMP/v.log"
	start_daemon "$TMP/v.log" "$TMP/rebound.conf" --once
	wait_exit "$PID" 20
	check "schema version $v (no rebound.source_state): run --once exits 1" "$RC" 1
	check "schema version $v: event=no-schema, told to migrate" \
		"$(grep -c "event=no-schema version=$v action=\"run rebound db migrate\"" "$TMP/v.log")" 1
done
done_testing
