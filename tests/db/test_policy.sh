#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_policy.sh - the suppression policy applied by `rebound
# ingest`: hard bounce -> global and permanent; complaint -> the sender's
# scope; not-spam never; soft bounces only after N within D days and
# expiring after T; sender-fault failures never suppress but open a
# blocklist incident; re-ingest adds nothing; manual remove/add are logged
# and a newer event suppresses again; the policy's config keys.
. "$(dirname "$0")/lib.sh"
newdb policy
"$REBOUND" db migrate >/dev/null
G=$TMP/g
S4150='550 5.7.1 Unfortunately, messages from [198.51.100.7] were not sent. Please contact your Internet service provider since part of their network is on our block list (S3150).'
gen "$G" <<EOF2
h1|dsn|Dead@example.com|5.1.1|alice|198.51.100.1|now-2d|550 5.1.1 <Dead@example.com>: user unknown
c1|arf|c1@yahoo.com|abuse|bob|198.51.100.2|now-1d
n1|arf|ns@yahoo.com|not-spam|bob|198.51.100.2|now-1d
b1|dsn|blk@outlook.com|5.7.1|carol|198.51.100.7|now-1d|$S4150
b2|dsn|blk2@outlook.com|5.7.1|carol|198.51.100.7|now-2d|$S4150
f1|dsn|full@example.net|5.2.2|alice|198.51.100.1|now-3d|552 5.2.2 mailbox full
f2|dsn|full@example.net|5.2.2|alice|198.51.100.1|now-2d|552 5.2.2 mailbox full
f3|dsn|full@example.net|5.2.2|bob|198.51.100.1|now-1d|552 5.2.2 mailbox full
t1|dsn|two@example.net|5.2.2|alice|198.51.100.1|now-2d|552 5.2.2 mailbox full
t2|dsn|two@example.net|5.2.2|alice|198.51.100.1|now-1d|552 5.2.2 mailbox full
s1|dsn|spread@example.net|5.2.2|alice|198.51.100.1|now-16d|552 5.2.2 mailbox full
s2|dsn|spread@example.net|5.2.2|alice|198.51.100.1|now-8d|552 5.2.2 mailbox full
s3|dsn|spread@example.net|5.2.2|alice|198.51.100.1|now-1d|552 5.2.2 mailbox full
o1|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-62d|552 5.2.2 mailbox full
o2|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-61d|552 5.2.2 mailbox full
o3|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-60d|552 5.2.2 mailbox full
u1|dsn|uri@example.org|5.7.1|carol|198.51.100.9|now-1d|554 5.7.1 Message rejected because it contains a URL listed at multi.uribl.com
EOF2
check_rc "ingest the generated messages" 0 "$REBOUND" ingest --feedback-loop any "$G"
check "every message is stored" "$(q "SELECT count(*) FROM rebound.message")" 17
check "summary line" "$(grep -o 'suppression: [0-9]* added' "$TMP/err")" "suppression: 4 added"

sup() { "$REBOUND" suppression check "$@" >/dev/null 2>&1; echo $?; }
check "hard bounce: suppressed for everybody" "$(sup dead@example.com)" 1
check "hard bounce: lowercased, global, permanent, from its event" \
	"$(q "SELECT scope || ' ' || reason || ' ' || category || ' ' || hits || ' ' || (expires_at IS NULL) || ' ' || (source_event = (SELECT id FROM rebound.event WHERE recipient = 'Dead@example.com')) FROM rebound.suppression WHERE recipient = 'dead@example.com'")" \
	"global userunknown hard 1 true true"
check "complaint: suppressed for its sender" "$(sup c1@yahoo.com --sender bob)" 1
check "complaint: not for another sender" "$(sup c1@yahoo.com --sender alice)" 0
check "complaint: not globally" "$(sup c1@yahoo.com)" 0
check "complaint entry" "$(q "SELECT scope || ' ' || reason || ' ' || category FROM rebound.suppression WHERE recipient = 'c1@yahoo.com'")" "bob abuse complaint"
check "not-spam never suppresses" "$(sup ns@yahoo.com --sender bob)" 0
check "sender-fault block never suppresses" "$(q "SELECT count(*) FROM rebound.suppression WHERE recipient LIKE 'blk%'")" 0
check "... but opens one incident per IP and list" \
	"$(q "SELECT sending_ip || ' ' || blocklist || ' ' || hits FROM rebound.blocklist_incident")" \
	"198.51.100.7 microsoft-s3150 2"
check "a list of domains in the message opens no incident on the IP" \
	"$(q "SELECT fault || ' ' || blocklist || ' ' || (sending_ip IS NOT NULL) FROM rebound.event WHERE recipient = 'uri@example.org'")" \
	"message uribl true"
check "... and counts against the sender" \
	"$(q "SELECT blocks FROM rebound.reputation() WHERE entity_type = 'sender' AND entity = 'carol' AND window_days = 7")" 2
check "soft: 3 within 7 days suppress (any sender, global)" "$(sup full@example.net --sender zed)" 1
check "soft entry expires 30 days after the last one" \
	"$(q "SELECT scope || ' ' || category || ' ' || hits || ' ' || (expires_at = last_seen + interval '30 days') || ' ' || (last_seen = (SELECT max(event_time) FROM rebound.event WHERE recipient = 'full@example.net')) FROM rebound.suppression WHERE recipient = 'full@example.net'")" \
	"global soft 3 true true"
check "soft: 2 are not enough" "$(sup two@example.net)" 0
check "soft: 3 over 15 days are not within 7" "$(sup spread@example.net)" 0
check "soft: 3 within 7 days, 60 days ago: expired" "$(sup old@example.net)" 0
check "the expired entry is kept and listed with --all" \
	"$("$REBOUND" suppression list --all --format csv | grep -c '^global,old@example.net,mailboxfull,soft,bounce,expired,')" 1
check "the soft entry is gone 31 days later (REBOUND_NOW)" \
	"$(REBOUND_NOW=$(q "SELECT to_char(now() + interval '31 days', 'YYYY-MM-DD HH24:MI:SSOF')") sup full@example.net)" 0
check "the hard entry is not" \
	"$(REBOUND_NOW=$(q "SELECT to_char(now() + interval '3650 days', 'YYYY-MM-DD')") sup dead@example.com)" 1
check "check prints why" "$("$REBOUND" suppression check dead@example.com | sed 's/since=.*//')" \
	"dead@example.com: suppressed scope=global reason=userunknown category=hard "

# idempotent: the same messages again change nothing
before=$(q "SELECT string_agg(scope || recipient || hits || coalesce(expires_at::text, '-'), ',' ORDER BY scope, recipient) FROM rebound.suppression")
logn=$(q "SELECT count(*) FROM rebound.suppression_log")
check_rc "ingest again" 0 "$REBOUND" ingest --feedback-loop any "$G"
check "re-ingest changes no entry" "$(q "SELECT string_agg(scope || recipient || hits || coalesce(expires_at::text, '-'), ',' ORDER BY scope, recipient) FROM rebound.suppression")" "$before"
check "re-ingest logs nothing" "$(q "SELECT count(*) FROM rebound.suppression_log")" "$logn"
check "re-ingest: no second incident hit" "$(q "SELECT hits FROM rebound.blocklist_incident")" 2
check "policy adds are logged" "$(q "SELECT count(*) FROM rebound.suppression_log WHERE action = 'add' AND actor LIKE 'policy:%'")" 4

# manual removal: kept and logged; an older event does not bring it back,
# a newer one does
check_rc "remove needs a note" 2 "$REBOUND" suppression remove dead@example.com
check_rc "remove with a note" 0 env USER=tester "$REBOUND" suppression remove dead@example.com --note "mailbox re-created"
check "removed: may be mailed" "$(sup dead@example.com)" 0
check "the row is kept with who and why" \
	"$(q "SELECT removed_by || ' ' || removal_note || ' ' || (removed_at IS NOT NULL) FROM rebound.suppression WHERE recipient = 'dead@example.com'")" \
	"tester mailbox re-created true"
check "the removal is in the log" \
	"$(q "SELECT action || ' ' || actor || ' ' || note FROM rebound.suppression_log WHERE recipient = 'dead@example.com' ORDER BY id DESC LIMIT 1")" \
	"remove tester mailbox re-created"
check_rc "removing again: not suppressed" 1 "$REBOUND" suppression remove dead@example.com --note again
gen "$G/late" <<EOF2
h0|dsn|dead@example.com|5.1.1|alice|198.51.100.1|now-1d|550 5.1.1 user unknown (an old bounce seen late)
EOF2
check_rc "ingest an older bounce" 0 "$REBOUND" ingest --feedback-loop any "$G/late"
check "an event older than the removal does not suppress" "$(sup dead@example.com)" 0
sleep 1
gen "$G/new" <<EOF2
h2|dsn|dead@example.com|5.1.1|alice|198.51.100.1|now|550 5.1.1 user unknown again
EOF2
check_rc "ingest a newer bounce" 0 "$REBOUND" ingest --feedback-loop any "$G/new"
check "a newer event suppresses again" "$(sup dead@example.com)" 1
check "the log keeps the whole story" \
	"$(q "SELECT string_agg(action, ',' ORDER BY id) FROM rebound.suppression_log WHERE recipient = 'dead@example.com'")" "add,remove,add"
check "the log is append-only" \
	"$(q "DELETE FROM rebound.suppression_log" 2>&1 | grep -c 'append-only')" 1

# manual add
check_rc "add by hand" 0 env USER=tester "$REBOUND" suppression add Someone@Example.org --reason complaint --note "asked by phone"
check "added: suppressed" "$(sup someone@example.org)" 1
check "logged with the actor" \
	"$(q "SELECT action || ' ' || actor || ' ' || reason || ' ' || note FROM rebound.suppression_log WHERE recipient = 'someone@example.org'")" \
	"add tester complaint asked by phone"
check_rc "a bad address" 2 "$REBOUND" suppression add not-an-address

# escalation: a hard bounce after soft ones makes the entry permanent
gen "$G/esc" <<EOF2
h3|dsn|full@example.net|5.1.1|alice|198.51.100.1|now|550 5.1.1 user unknown
EOF2
check_rc "ingest a hard bounce for a soft entry" 0 "$REBOUND" ingest --feedback-loop any "$G/esc"
check "escalated to hard, permanent, hits added" \
	"$(q "SELECT category || ' ' || reason || ' ' || (expires_at IS NULL) || ' ' || hits FROM rebound.suppression WHERE recipient = 'full@example.net'")" \
	"hard userunknown true 4"
check "escalation logged" "$(q "SELECT action FROM rebound.suppression_log WHERE recipient = 'full@example.net' ORDER BY id DESC LIMIT 1")" update

# configuration: other scopes and counts, and bad keys with file:line
newdb policy_conf
"$REBOUND" db migrate >/dev/null
conf "$TMP/p.conf" 'suppression = {' '  hard_scope = "sender";' '  complaint_scope = "none";' \
	'  soft_reasons = ["mailboxfull"];' '  soft_count = 2;' '  soft_days = 3;' '  soft_ttl_days = 0;' '};'
check_rc "ingest with another policy" 0 "$REBOUND" ingest --feedback-loop any -c "$TMP/p.conf" "$G"
check "hard_scope sender" "$(q "SELECT scope FROM rebound.suppression WHERE recipient = 'dead@example.com'")" alice
check "complaint_scope none" "$(q "SELECT count(*) FROM rebound.suppression WHERE category = 'complaint'")" 0
check "soft_count 2 in 3 days, permanent" \
	"$(q "SELECT string_agg(recipient || ' ' || (expires_at IS NULL), ',' ORDER BY recipient) FROM rebound.suppression WHERE category = 'soft'")" \
	"full@example.net true,old@example.net true,two@example.net true"
conf "$TMP/bad1.conf" 'suppression = {' '  hard_scop = "global";' '};'
check_rc "unknown key rejected" 1 "$REBOUND" check-config -c "$TMP/bad1.conf"
check "... with file:line" "$(grep -c "bad1.conf:2: unknown setting 'suppression.hard_scop'" "$TMP/err")" 1
conf "$TMP/bad2.conf" 'suppression = { soft_count = "3"; };'
check_rc "mistyped value rejected" 1 "$REBOUND" check-config -c "$TMP/bad2.conf"
check "... with file:line" "$(grep -c "bad2.conf:1: setting 'suppression.soft_count' must be an integer" "$TMP/err")" 1
conf "$TMP/bad3.conf" 'suppression = {' '  complaint_scope = "globl";' '};'
check_rc "unknown scope rejected" 1 "$REBOUND" check-config -c "$TMP/bad3.conf"
check "... with the choices" "$(grep -c "bad3.conf:2: setting 'suppression.complaint_scope' must be one of global|sender|none" "$TMP/err")" 1
conf "$TMP/bad4.conf" 'reputation = {' '  complaints = [0.5, 0.3, 0.1];' '};'
check_rc "thresholds out of order rejected" 1 "$REBOUND" check-config -c "$TMP/bad4.conf"
check "... with file:line" "$(grep -c "bad4.conf:2: setting 'reputation.complaints' must be a list of three percentages" "$TMP/err")" 1
# soft window: distinct messages are distinct content keys; the same bytes
# stored under two paths count once (the window's first events are those
# two copies, so the whole window is counted)
newdb policy_window
"$REBOUND" db migrate >/dev/null
W=$TMP/w
gen "$W" <<EOF2
d1|dsn|dup@example.net|5.2.2|alice|198.51.100.1|now-2d|552 5.2.2 mailbox full
d2|dsn|dup@example.net|5.2.2|alice|198.51.100.1|now-1d|552 5.2.2 mailbox full
EOF2
mkdir -p "$W/copy"
cp "$W/d1.eml" "$W/copy/d1.eml"
conf "$TMP/w2.conf" 'suppression = { soft_count = 2; };'
conf "$TMP/w3.conf" 'suppression = { soft_count = 3; };'
check_rc "ingest two copies of one soft bounce and another" 0 "$REBOUND" ingest -c "$TMP/w3.conf" "$W/d1.eml" "$W/copy/d1.eml" "$W/d2.eml"
check "three events stored" "$(q "SELECT count(*) FROM rebound.event WHERE recipient = 'dup@example.net'")" 3
check "two copies are one message: 2 of 3 are not enough" "$(q "SELECT count(*) FROM rebound.suppression")" 0
newdb policy_window2
"$REBOUND" db migrate >/dev/null
check_rc "the same with soft_count 2" 0 "$REBOUND" ingest -c "$TMP/w2.conf" "$W/d1.eml" "$W/copy/d1.eml" "$W/d2.eml"
check "2 of 2: suppressed, from the first to the latest, the latest's event" \
	"$(q "SELECT category || ' ' || hits || ' ' || (first_seen = (SELECT min(event_time) FROM rebound.event)) || ' ' || (source_event = (SELECT max(id) FROM rebound.event WHERE event_time = (SELECT max(event_time) FROM rebound.event))) FROM rebound.suppression WHERE recipient = 'dup@example.net'")" \
	"soft 3 true true"
newdb policy_window3
"$REBOUND" db migrate >/dev/null
check_rc "only the two copies, soft_count 2" 0 "$REBOUND" ingest -c "$TMP/w2.conf" "$W/d1.eml" "$W/copy/d1.eml"
check "one message twice is not two" "$(q "SELECT count(*) FROM rebound.suppression")" 0
# a forward: the relay sent to the Original-Recipient (ORCPT), the address
# it led to failed. The relay checks the address it sends to, so a hard
# failure suppresses both; a soft one or a block only the final address
# as before (soft) or nothing (sender fault).
newdb policy_orcpt
"$REBOUND" db migrate >/dev/null
O=$TMP/o
gen "$O" <<EOF2
a1|dsn|Gone@forward.example|5.1.1|alice|198.51.100.1|now-1d|550 5.1.1 user unknown|Alias@relay-customer.example
a2|dsn|same@example.org|5.1.1|alice|198.51.100.1|now-1d|550 5.1.1 user unknown|Same@Example.org
a3|dsn|blk@forward.example|5.7.1|alice|198.51.100.7|now-1d|$S4150|blkalias@relay-customer.example
EOF2
check_rc "ingest bounces of forwarded mail" 0 "$REBOUND" ingest "$O"
check "the Original-Recipient is stored" "$(q "SELECT original_recipient FROM rebound.event WHERE recipient = 'Gone@forward.example'")" "Alias@relay-customer.example"
check "hard: the address sent to is suppressed, from the same event" \
	"$(q "SELECT recipient || ' ' || category || ' ' || (source_event = (SELECT id FROM rebound.event WHERE recipient = 'Gone@forward.example')) FROM rebound.suppression WHERE recipient LIKE '%relay-customer%'")" \
	"alias@relay-customer.example hard true"
check "hard: and the final address" "$(sup gone@forward.example)" 1
check "the same address in both fields: one entry" "$(q "SELECT count(*) FROM rebound.suppression WHERE recipient = 'same@example.org'")" 1
check "a block through a forward suppresses neither" "$(q "SELECT count(*) FROM rebound.suppression WHERE recipient LIKE 'blk%'")" 0
done_testing
