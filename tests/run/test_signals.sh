#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_signals.sh - signals to the daemon:
#   a. SIGTERM in the middle of draining a maildir: the batch in flight is
#      finished (stored AND moved), exit 0 within seconds; whatever is
#      stored has been moved, whatever is not is still in place, and the
#      checkpoint counts exactly what was stored; a later run finishes;
#   b. SIGHUP: event=reloading, every worker restarts from the new file (a
#      source added to it starts working) and mail appended after the
#      reload is stored; a broken file is refused (event=reload-failed)
#      and the old configuration keeps running; then SIGTERM, exit 0.
. "$(dirname "$0")/lib.sh"
use_dovecot "$REBOUND_TEST_DOVECOT_DIR" "$REBOUND_TEST_IMAPS_PORT"
newdb run_signals
"$REBOUND" db migrate >/dev/null
U=runsig
imap reset $U

# ---- a. SIGTERM after the batch ----
N=${REBOUND_TEST_SIGTERM_N:-1500}
B=25
MD=$TMP/md
mkmaildir "$MD/in"
for i in $(seq -w 1 "$N"); do
	echo "t$i|dsn|user$i@example.net|5.1.1|sender-$((10#$i % 7))|192.0.2.$((10#$i % 250 + 1))|now|"
done | gen "$MD/in/tmp"
mv "$MD/in/tmp/"*.eml "$MD/in/new/"
run_conf "$TMP/a.conf" "$(maildir_source term "$MD" "batch = $B;")"
start_daemon "$TMP/a.log" "$TMP/a.conf"
if ! wait_for 30 logged "$TMP/a.log" 'src=term event=batch'; then
	not_ok "the daemon stores a first batch"
	show_log "$TMP/a.log"
fi
kill -TERM "$PID"
t0=$(date +%s%N)
wait_exit "$PID" 30
check "SIGTERM while draining: exit 0" "$RC" 0
note "exited $((($(date +%s%N) - t0) / 1000000)) ms after SIGTERM"
check "it logged stopping and stopped" \
	"$(grep -c -E 'event=stopping signal=15|src=term event=stopped|notice: event=stopped' "$TMP/a.log")" 3
rows=$(q "SELECT count(*) FROM rebound.message")
moved=$(find "$MD/processed/cur" -type f | wc -l)
left=$(find "$MD/in/new" "$MD/in/cur" -type f | wc -l)
note "stored $rows of $N before stopping"
check "it stopped before the end (else nothing was tested)" "$([ "$rows" -lt "$N" ] && echo yes)" yes
check "what was stored was moved, in whole batches" "$moved $((rows % B))" "$rows 0"
check "what was not stored is still in place" "$left" $((N - rows))
check "the batch in flight was logged and counted in the checkpoint" \
	"$(grep -c 'src=term event=batch' "$TMP/a.log") $(q "SELECT messages FROM rebound.source_state WHERE name = 'term'")" \
	"$((rows / B)) $rows"
check "no row without its processed file" \
	"$(comm -3 <(q "SELECT substr(source_id, 5) FROM rebound.message ORDER BY 1") <(ls "$MD/processed/cur" | sed 's/:2,S$//' | sort) | wc -l)" 0
run_once "after SIGTERM" "$TMP/a.conf"
check "a later run stores the rest, once" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT content_key) FROM rebound.message")" "$N $N"

# ---- b. SIGHUP ----
stored() { q "SELECT count(*) FROM rebound.message WHERE source_id LIKE '$1'"; }
tagged hup-1 dsn/postfix-userunknown.eml >/dev/null
tagged hup-2 dsn/gmail-overquota.eml >/dev/null
tagged hup-3 text/qmail.eml >/dev/null
tagged hup-md dsn/exim-dsn.eml >/dev/null
delivered
mkmaildir "$TMP/md2/in"
run_conf "$TMP/b.conf" "$(imap_source hup $U 'poll_interval = 60;')"
start_daemon "$TMP/b.log" "$TMP/b.conf"
D=$PID
wait_for 30 logged "$TMP/b.log" 'src=hup event=open' || { not_ok "the source opens"; show_log "$TMP/b.log"; }
imap append $U INBOX "$TMP/msg/hup-1.eml"
wait_for 10 sql_is "SELECT count(*) FROM rebound.message WHERE source_id LIKE 'imap://%'" 1 ||
	not_ok "stored before the reload"

# a second source appears in the file
run_conf "$TMP/b.conf" "$(imap_source hup $U 'poll_interval = 60;'),
$(maildir_source hup-md "$TMP/md2")"
kill -HUP "$D"
if wait_for 20 logged "$TMP/b.log" 'src=hup-md event=open'; then
	ok "SIGHUP: the reloaded configuration runs (its new source opened)"
else
	not_ok "SIGHUP: the reloaded configuration runs (its new source opened)"
	show_log "$TMP/b.log"
fi
check "SIGHUP: event=reloading" "$(grep -c 'notice: event=reloading' "$TMP/b.log")" 1
wait_for 20 logged "$TMP/b.log" 'src=hup event=open' 2 || not_ok "the IMAP source reopened"
sleep 1
imap append $U INBOX "$TMP/msg/hup-2.eml"
cp "$TMP/msg/hup-md.eml" "$TMP/md2/in/tmp/hup-md" && mv "$TMP/md2/in/tmp/hup-md" "$TMP/md2/in/new/hup-md"
if wait_for 10 sql_is "SELECT count(*) FROM rebound.message WHERE source_id LIKE 'imap://%'" 2; then
	ok "SIGHUP: mail appended after the reload is stored"
else
	not_ok "SIGHUP: mail appended after the reload is stored"
	show_log "$TMP/b.log"
fi
wait_for 10 sql_is "SELECT count(*) FROM rebound.message WHERE source_id = 'new/hup-md'" 1 &&
	ok "SIGHUP: the new source stores its mail" || not_ok "SIGHUP: the new source stores its mail"

# broken files: refused (with file:line), the running configuration stays
# (an incomplete source; a port that does not fit in 16 bits; a list with
# a number in it, whose error path must not leak under ASan)
broken=('{ name = "oops"; type = "maildir"; path = "/nonexistent"; }'
	"$(imap_source hup $U 'poll_interval = 60;' | sed "s/port = $IMAP_PORT;/port = $((IMAP_PORT + 65536));/")"
	"$(imap_source hup $U 'trusted_providers = ("yahoo", 1);')")
want=("b.conf:[0-9]*: a maildir source needs path, processed_path and quarantine_path: oops" \
	"b.conf:[0-9]*: out of range: port" \
	"b.conf:[0-9]*: must be a list of strings: trusted_providers")
for i in 0 1 2; do
	run_conf "$TMP/b.conf" "${broken[$i]}"
	kill -HUP "$D"
	if wait_for 10 logged "$TMP/b.log" "event=reload-failed error=\".*${want[$i]}\" action=keep-running" && kill -0 "$D"; then
		ok "SIGHUP with a broken file ($i): refused with its reason, keeps running"
	else
		not_ok "SIGHUP with a broken file ($i): refused with its reason, keeps running"
		show_log "$TMP/b.log"
	fi
done
imap append $U INBOX "$TMP/msg/hup-3.eml"
wait_for 10 sql_is "SELECT count(*) FROM rebound.message WHERE source_id LIKE 'imap://%'" 3 &&
	ok "and still stores what arrives" || { not_ok "and still stores what arrives"; show_log "$TMP/b.log"; }
check "each IMAP message stored and moved once" \
	"$(imap rows $U rebound/processed | cut -d' ' -f1 | tr '\n' ' ')" "hup-1 hup-2 hup-3 "

kill -TERM "$D"
wait_exit "$D" 20
check "SIGTERM after reloads: exit 0" "$RC" 0
done_testing
