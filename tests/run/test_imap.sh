#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_imap.sh - `rebound run --once` over IMAP (implicit TLS,
# certificate checked against the test CA) into a real PostgreSQL, with a
# bounce mailbox and a feedback-loop mailbox (feedback_loop = "yahoo"):
#   - reports are stored once and moved to rebound/processed; broken mail,
#     mail over max_message_size and untrusted complaints to
#     rebound/quarantine with their reason; non-reports stay in INBOX,
#     unseen, unchanged; nothing else is left in INBOX;
#   - the checkpoint (UIDVALIDITY, last UID) is in rebound.source_state;
#   - in the feedback-loop mailbox a Yahoo ARF is a complaint and creates a
#     sender-scoped suppression, so does one from a provider listed in
#     trusted_providers; a forged complaint (Microsoft JMRP, Mail.ru, an
#     unknown reporter) is quarantined with its reason and suppresses
#     nothing; a Yahoo complaint in the bounce mailbox is not trusted;
#   - a second run fetches nothing and adds nothing;
#   - --once gives up (exit 1) when the server cannot be reached.
. "$(dirname "$0")/lib.sh"
use_dovecot "$REBOUND_TEST_DOVECOT_DIR" "$REBOUND_TEST_IMAPS_PORT"
newdb run_imap
"$REBOUND" db migrate >/dev/null
BNC=runimap FBL=runfbl
imap reset $BNC
imap reset $FBL

# broken and special messages
printf '%s\n' 'From: MAILER-DAEMON@mx.relay.test' 'To: bounces@relay.test' \
	'Subject: Undelivered Mail Returned to Sender' 'MIME-Version: 1.0' \
	'Content-Type: multipart/report; report-type=delivery-status; boundary="B"' \
	'' '--B' 'Content-Type: message/delivery-status' '' \
	'Reporting-MTA: dns; mx.relay.test' '' '--B--' >"$TMP/norcpt.eml"
grep -v '^From:' "$SAMPLES/autoreply/vacation.eml" >"$TMP/nofrom.eml"
{ cat "$SAMPLES/dsn/postfix-userunknown.eml"; head -c 150000 /dev/zero | tr '\0' 'x' | fold -w 76; } >"$TMP/big.eml"
echo 'yahoo1|arf|victim@yahoo.example|abuse|acme-newsletters|203.0.113.9|now|' | gen "$TMP/gen"

declare -A REASON
B_REPORTS=() B_QUAR=() B_NON=() F_REPORTS=() F_QUAR=() F_NON=()
i=0
for f in "$SAMPLES"/dsn/*.eml "$SAMPLES"/text/*.eml "$SAMPLES"/autoreply/*.eml; do
	i=$((i + 1))
	B_REPORTS+=("$(tagged "b-r$i" "$f")")
done
B_QUAR+=("$(tagged b-norcpt "$TMP/norcpt.eml")") && REASON[b-norcpt]=dsn:no-recipient
B_QUAR+=("$(tagged b-big "$TMP/big.eml")")
B_QUAR+=("$(tagged b-nofrom "$TMP/nofrom.eml")") && REASON[b-nofrom]=rfc3834:auto-submitted
B_QUAR+=("$(tagged b-yahoo arf/yahoo-cfl.eml)") &&
	REASON[b-yahoo]="untrusted-complaint: not a feedback-loop mailbox"
B_NON+=("$(tagged b-human non-report/human-reply.eml)" "$(tagged b-news non-report/newsletter.eml)")
F_REPORTS+=("$(tagged f-yahoo "$TMP/gen/yahoo1.eml")" "$(tagged f-cfl arf/yahoo-cfl.eml)" \
	"$(tagged f-dsn dsn/gmail-overquota.eml)" "$(tagged f-validity arf/validity-two-rcpts.eml)")
F_QUAR+=("$(tagged f-jmrp jmrp/arf-form.eml)") &&
	REASON[f-jmrp]="untrusted-complaint: reporter microsoft in a mailbox registered with yahoo"
F_QUAR+=("$(tagged f-legacy jmrp/legacy.eml)") && REASON[f-legacy]=${REASON[f-jmrp]}
F_QUAR+=("$(tagged f-mailru arf/mailru.eml)") &&
	REASON[f-mailru]="untrusted-complaint: reporter mailru in a mailbox registered with yahoo"
F_QUAR+=("$(tagged f-anon arf/base64-feedback-report.eml)") &&
	REASON[f-anon]="untrusted-complaint: reporter not recognised (mailbox is registered with yahoo)"
F_NON+=("$(tagged f-human non-report/human-reply.eml)")

delivered
tags() { local f; for f in "$@"; do basename "$f" .eml; done | sort; }
imap append $BNC INBOX "${B_REPORTS[@]}" "${B_QUAR[@]}" "${B_NON[@]}"
imap append $FBL INBOX "${F_REPORTS[@]}" "${F_QUAR[@]}" "${F_NON[@]}"
# what the server holds is what the daemon reads: keys from there
imap rows $BNC INBOX >"$TMP/b.inbox.before"
imap rows $FBL INBOX >"$TMP/f.inbox.before"
imap uids $BNC INBOX >"$TMP/b.uids"
read -r b_uv b_next _ <<<"$(imap status $BNC INBOX)"
read -r f_uv f_next _ <<<"$(imap status $FBL INBOX)"
check "appended as unseen" "$(cut -d' ' -f3 "$TMP/b.inbox.before" "$TMP/f.inbox.before" | sort -u)" "-"

run_conf "$TMP/rebound.conf" \
	"$(imap_source bounces-imap $BNC 'batch = 10;'),
$(imap_source fbl-yahoo $FBL 'feedback_loop = "yahoo";' 'trusted_providers = ["validity"];')" \
	'limits = { max_message_size = 100000; };'
run_once "first run" "$TMP/rebound.conf"

# keys_of TAG...: the content keys of those messages, as the server has them
keys_of() {
	local t
	for t in "$@"; do grep -h "^$t " "$TMP/b.inbox.before" "$TMP/f.inbox.before" | cut -d' ' -f2; done | sort
}
for box in b f; do
	user=$BNC uv=$b_uv
	[ $box = b ] || user=$FBL uv=$f_uv
	if [ $box = b ]; then R=("${B_REPORTS[@]}") Q=("${B_QUAR[@]}") N=("${B_NON[@]}"); else
		R=("${F_REPORTS[@]}") Q=("${F_QUAR[@]}") N=("${F_NON[@]}"); fi
	imap rows $user INBOX >"$TMP/$box.inbox"
	imap rows $user rebound/processed >"$TMP/$box.processed"
	imap rows $user rebound/quarantine >"$TMP/$box.quarantine"
	check "$user: INBOX holds the non-reports only, unchanged and unseen" \
		"$(cat "$TMP/$box.inbox")" "$(grep -F -f <(tags "${N[@]}" | sed 's/$/ /') "$TMP/$box.inbox.before")"
	check "$user: rebound/processed holds the reports, once each" \
		"$(cut -d' ' -f1 "$TMP/$box.processed")" "$(tags "${R[@]}")"
	check "$user: rebound/quarantine holds the quarantined, once each, not seen" \
		"$(cut -d' ' -f1,3 "$TMP/$box.quarantine")" "$(tags "${Q[@]}" | sed 's/$/ -/')"
	check "$user: moved mail is byte for byte what was appended" \
		"$(sort -k2 "$TMP/$box.processed" "$TMP/$box.quarantine" | cut -d' ' -f1,2 | sort)" \
		"$(grep -v -F -f <(tags "${N[@]}" | sed 's/$/ /') "$TMP/$box.inbox.before" | cut -d' ' -f1,2 | sort)"
	check "$user: the reports are stored once, keyed by their UID" \
		"$(q "SELECT encode(content_key, 'hex') FROM rebound.message WHERE source = 'imap' AND source_id LIKE 'imap://$user@localhost:$IMAP_PORT/INBOX;UIDVALIDITY=$uv;UID=%' ORDER BY 1")" \
		"$(keys_of $(tags "${R[@]}"))"
done
check "no other message rows" "$(q "SELECT count(*) FROM rebound.message")" \
	$((${#B_REPORTS[@]} + ${#F_REPORTS[@]}))

bad=""
for t in "${!REASON[@]}"; do
	k=$(keys_of "$t")
	got=$(q "SELECT reason FROM rebound.quarantine WHERE content_key = '\\x$k'")
	[ "$got" = "${REASON[$t]}" ] || bad+=" $t:'$got'"
done
check "each quarantined message has its reason" "$bad" ""
check "the message over max_message_size is quarantined by reference" \
	"$(q "SELECT source_id || ' ' || (raw IS NULL) FROM rebound.quarantine WHERE reason = 'limit:max_message_size'")" \
	"imap://$BNC@localhost:$IMAP_PORT/INBOX;UIDVALIDITY=$b_uv;UID=$(sed -n 's/^b-big //p' "$TMP/b.uids") true"
check "non-reports recorded as not-a-report" \
	"$(q "SELECT count(*) FROM rebound.quarantine WHERE reason = 'not-a-report'")" \
	$((${#B_NON[@]} + ${#F_NON[@]}))
check "nothing else quarantined" "$(q "SELECT count(*) FROM rebound.quarantine")" \
	$((${#B_QUAR[@]} + ${#F_QUAR[@]} + ${#B_NON[@]} + ${#F_NON[@]}))

# checkpoints
check "checkpoint of the bounce mailbox" \
	"$(q "SELECT kind, coalesce(feedback_loop, '-'), uidvalidity, last_uid, messages FROM rebound.source_state WHERE name = 'bounces-imap'" | tr '|' ' ')" \
	"imap - $b_uv $((b_next - 1)) $((${#B_REPORTS[@]} + ${#B_QUAR[@]} + ${#B_NON[@]}))"
check "checkpoint of the feedback loop" \
	"$(q "SELECT kind, feedback_loop, uidvalidity, last_uid, messages FROM rebound.source_state WHERE name = 'fbl-yahoo'" | tr '|' ' ')" \
	"imap yahoo $f_uv $((f_next - 1)) $((${#F_REPORTS[@]} + ${#F_QUAR[@]} + ${#F_NON[@]}))"
check "the feedback loop is listed with its last report" \
	"$(q "SELECT name || ' ' || provider || ' ' || (last_report_at IS NOT NULL) FROM rebound.v_feedback_loops")" \
	"fbl-yahoo yahoo true"

# complaints and suppressions
check "the Yahoo complaints (and those of trusted_providers) are stored as complaints" \
	"$(q "SELECT string_agg(e.recipient || '/' || c.provider || '/' || c.feedback_type, ' ' ORDER BY e.recipient) FROM rebound.complaint c JOIN rebound.event e ON e.id = c.event_id")" \
	"lena.h@yahoo.example/yahoo/abuse pat.q.family@comcast.example/validity/abuse pat.q@comcast.example/validity/abuse victim@yahoo.example/yahoo/abuse"
check "the Yahoo complaint suppresses its recipient for its sender only" \
	"$(q "SELECT scope || ' ' || reason FROM rebound.suppression WHERE recipient = 'victim@yahoo.example'")" \
	"acme-newsletters abuse"
check "forged and untrusted complaints suppress nothing" \
	"$(q "SELECT count(*) FROM rebound.suppression WHERE recipient IN ('kim.n@outlook.example', 'chris.w@hotmail.example', 'victor.l@mail.example.net', 'dmitry.v@mail.example.ru.test')")" 0
check "the Yahoo complaint in the bounce mailbox is not a complaint" \
	"$(q "SELECT count(*) FROM rebound.complaint c JOIN rebound.message m ON m.id = c.message_fk WHERE m.source_id LIKE 'imap://$BNC@%'")" 0

# again: nothing is fetched (the checkpoint is past the non-reports)
before=$(counts)
: >"$TMP/once.log"
run_once "second run" "$TMP/rebound.conf"
check "a second run adds nothing" "$(counts)" "$before"
check "a second run fetches nothing" "$(grep -c 'event=batch' "$TMP/once.log")" 0
check "the non-reports are still in INBOX, unseen" \
	"$(imap rows $BNC INBOX; imap rows $FBL INBOX)" "$(cat "$TMP/b.inbox" "$TMP/f.inbox")"

# --once against a server that is not there: gives up (exit 1), and does
# not retry forever (a cron job would pile up)
run_conf "$TMP/down.conf" "$(imap_source down $BNC | sed "s/port = $IMAP_PORT;/port = 1;/")"
: >"$TMP/down.log"
start_daemon "$TMP/down.log" "$TMP/down.conf" --once
wait_exit "$PID" 45
check "--once with the server unreachable: exit 1" "$RC" 1
check "--once with the server unreachable: event=gave-up" "$(grep -c 'src=down event=gave-up' "$TMP/down.log")" 1
done_testing
