#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_chaos.sh - nothing lost, nothing twice. 2,000 mixed
# messages (reports, Yahoo complaints, non-reports, broken and untrusted
# mail; each distinct) split between an IMAP feedback-loop mailbox and a
# maildir bounce mailbox, consumed by `rebound run` while:
#   - the daemon is SIGKILLed at random points several times and restarted;
#   - PostgreSQL is restarted (fast shutdown) in the middle of a batch;
#   - Dovecot is restarted while the IMAP source is fetching;
# At the end every report is stored exactly once (by content key), every
# processed message is in the processed folder / maildir once, every
# quarantined one in the quarantine, every non-report untouched where it
# was (unseen on IMAP), and nothing else anywhere (tests/run/chaos.py).
#
# It runs its own PostgreSQL cluster (REBOUND_PGDIR) and its own Dovecot
# (REBOUND_TEST_DOVECOT_DIR, ports REBOUND_TEST_CHAOS_PORTS..+2), since it
# restarts both. REBOUND_TEST_CHAOS_SEED replays the random delays (the
# corpus is always the same).
. "$(dirname "$0")/lib.sh"
: "${REBOUND_TEST_DOVECOT_DIR:?}" "${REBOUND_TEST_CHAOS_PORTS:?}"
SEED=${REBOUND_TEST_CHAOS_SEED:-$$}
RANDOM=$SEED
N_IMAP=${REBOUND_TEST_CHAOS_IMAP:-1000}
N_MD=${REBOUND_TEST_CHAOS_MAILDIR:-1000}
DRAIN=${REBOUND_TEST_CHAOS_DRAIN_S:-120}
BATCH=${REBOUND_TEST_CHAOS_BATCH:-5}
DC=$REBOUND_TEST_DOVECOT_DIR
P=$REBOUND_TEST_CHAOS_PORTS
DOVECOT=${DOVECOT:-$(command -v dovecot || echo /usr/sbin/dovecot)}
U=runchaos
note "seed $SEED (REBOUND_TEST_CHAOS_SEED=$SEED replays the delays)"

# ---- our own servers ----
AT_EXIT+=("'$PGSH' stop '$REBOUND_PGDIR'")
"$PGSH" start "$REBOUND_PGDIR" 2>/dev/null
AT_EXIT+=("bash '$RUNDIR/../ingest/dovecot.sh' stop '$DC'")
bash "$RUNDIR/../ingest/dovecot.sh" start "$DC" "$P" $((P + 1)) $((P + 2))
use_dovecot "$DC" "$P"
newdb chaos
"$REBOUND" db migrate >/dev/null
note "servers up"

# A Dovecot restart that cuts the IMAP connections at once: its imap
# processes (children of its master: ours) get SIGTERM, so they drop their
# client in the middle of whatever it was doing (a SIGKILL could leave
# Dovecot's uidlist lock behind, and the next SELECT would wait minutes for
# it to go stale); then the rest stops (`dovecot stop` alone takes seconds
# to cut clients, and the source would just finish meanwhile) and it
# starts again without wiping its mail (dovecot.sh start would).
dovecot_restart_stop() {
	local master pids
	master=$(cat "$DC/run-tls/master.pid")
	pids=$(ps -o pid=,args= --ppid "$master" | awk '$2 ~ /\/imap(-login)?$/ { print $1 }')
	echo "### Dovecot stopping (imap processes: $(echo $pids))" >>"$LOG"
	# (one may be gone already)
	[ -z "$pids" ] || kill -TERM $pids 2>/dev/null || true
	bash "$RUNDIR/../ingest/dovecot.sh" stop "$DC"
}
dovecot_start() {
	"$DOVECOT" -c "$DC/tls.conf" </dev/null >>"$DC/startup.log" 2>&1
	wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P"
}

# ---- the corpus ----
MD=$TMP/md
python3 "$RUNDIR/chaos.py" make "$SAMPLES" "$SRC/tests/db/gen.py" "$TMP" "$MD/in" "$N_IMAP" "$N_MD"
# appended in the manifest's (shuffled) order
awk -F'\t' '$2 == "imap" { print $4 }' "$TMP/manifest" | xargs python3 "$RUNDIR/imap.py" append $U INBOX
imap rows $U INBOX >"$TMP/imap.before"
count() { awk -F'\t' -v b="$1" -v c="$2" '$2 == b && $3 == c' "$TMP/manifest" | wc -l; }
N_REPORTS=$(($(count imap report) + $(count maildir report)))
N_QUAR=$(($(count imap quarantine) + $(count maildir quarantine) + $(count imap nonreport) + $(count maildir nonreport)))
N_IMAP_LEFT=$(count imap nonreport)
N_MD_LEFT=$(count maildir nonreport)
check "the corpus is in place" "$(wc -l <"$TMP/imap.before") $(find "$MD/in/new" "$MD/in/cur" -type f | wc -l)" "$N_IMAP $N_MD"
note "corpus ready: $N_REPORTS reports, $N_QUAR to quarantine or leave"

run_conf "$TMP/rebound.conf" \
	"$(imap_source chaos-imap $U 'feedback_loop = "yahoo";' "batch = $BATCH;"),
$(maildir_source chaos-md "$MD" "batch = $BATCH;")" \
	'database = { retries = 3; retry_delay_ms = 100; };'
LOG=$TMP/daemon.log
: >"$LOG"
start() {
	start_daemon "$LOG" "$TMP/rebound.conf"
	echo "### started pid $PID" >>"$LOG"
}
# on_next PATTERN: returns as soon as the daemon logs one more line
# matching PATTERN (tail -F: within milliseconds), 1 after 15 s
on_next() {
	grep -m1 -q -E "$1" < <(timeout 15 tail -n0 -F "$LOG" 2>/dev/null)
}
rand_ms() { # LO HI: sleeps a random time between LO and HI milliseconds
	local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
	sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
	echo "$ms"
}
stored() { q "SELECT count(*) FROM rebound.message"; }
kills=0 busy_kills=0
sigkill() {
	local ms n
	on_next 'event=batch' || { not_ok "no batch to interrupt (kill $((kills + 1)))"; show_log "$LOG"; }
	ms=$(rand_ms 0 300)
	kill -KILL "$PID" 2>/dev/null
	wait_exit "$PID" 10
	kills=$((kills + 1))
	echo "### SIGKILL $kills" >>"$LOG"
	n=$(stored)
	[ "$n" -ge "$N_REPORTS" ] || busy_kills=$((busy_kills + 1))
	note "SIGKILL $kills, $ms ms after a batch ($n of $N_REPORTS reports stored)"
	start
}

start
# Dovecot restart while the IMAP source works: right after one of its
# batches, when the next fetch begins
on_next 'src=chaos-imap event=batch' || not_ok "an IMAP batch before the Dovecot restart"
dovecot_restart_stop
note "Dovecot stopped ($(stored) reports stored)"
dovecot_start || not_ok "Dovecot restarts"
echo "### Dovecot started" >>"$LOG"
note "Dovecot started"
reconnected() {
	sed -n '/### Dovecot stopping/,$p' "$LOG" >"$TMP/dovecot.log"
	logged "$TMP/dovecot.log" 'event=connected'
}
wait_for 20 reconnected || true
check "the daemon saw Dovecot go away and reconnected" \
	"$(grep -c -E 'event=(connection-lost|reconnect-failed|open-failed|ack-failed)' "$TMP/dovecot.log" | awk '{print ($1 > 0)}') $(grep -c 'event=connected' "$TMP/dovecot.log" | awk '{print ($1 > 0)}')" \
	"1 1"
{ grep -o -E 'event=connection-lost op=[A-Z ]*[A-Z]|event=[a-z-]+-failed' "$TMP/dovecot.log" || true; } |
	sort | uniq -c | sed 's/^ */# Dovecot restart seen as: /'

sigkill

# PostgreSQL restart in the middle of a batch: right after a fetch
on_next 'event=fetched' || not_ok "a fetch before the PostgreSQL restart"
"$PGSH" stop "$REBOUND_PGDIR"
echo "### PostgreSQL stopped" >>"$LOG"
note "PostgreSQL stopped"
sleep 2
"$PGSH" start "$REBOUND_PGDIR" 2>/dev/null
echo "### PostgreSQL started" >>"$LOG"
note "PostgreSQL started ($(stored) reports stored)"
on_next 'event=batch' || not_ok "batches after the PostgreSQL restart"
sed -n '/### PostgreSQL stopped/,$p' "$LOG" >"$TMP/pg.log"
check "the daemon saw the database go away (and kept going)" \
	"$(grep -c -E 'event=(store-retry|db-unreachable|checkpoint-not-saved|checkpoint-not-loaded|db-error)|db: batch of' "$TMP/pg.log" | awk '{print ($1 > 0)}') $(kill -0 "$PID" && echo running)" \
	"1 running"
{ grep -o -E 'event=[a-z-]+ .*error="[^:"]*' "$TMP/pg.log" || true; } |
	sed -E 's/ (attempt|src)=[^ ]*//g' | sort | uniq -c | sed 's/^ */# PostgreSQL restart seen as: /'

sigkill
sigkill
sigkill
check "at least 3 SIGKILLs hit with work pending" "$([ "$busy_kills" -ge 3 ] && echo yes)" yes

# let it finish
drained() {
	[ "$(q "SELECT (SELECT count(*) FROM rebound.message) || ' ' || (SELECT count(*) FROM rebound.quarantine)")" = "$N_REPORTS $N_QUAR" ] &&
		[ "$(find "$MD/in/new" "$MD/in/cur" -type f | wc -l)" = "$N_MD_LEFT" ] &&
		[ "$(imap count $U INBOX)" = "$N_IMAP_LEFT" ]
}
if wait_for "$DRAIN" drained; then
	ok "the daemon drained both sources"
else
	not_ok "the daemon drained both sources within $DRAIN s"
	show_log "$LOG" 40
fi
note "drained"
kill -TERM "$PID"
wait_exit "$PID" 30
check "SIGTERM at the end: exit 0" "$RC" 0

# ---- the accounting ----
imap rows $U INBOX >"$TMP/imap.inbox"
imap rows $U rebound/processed >"$TMP/imap.processed"
imap rows $U rebound/quarantine >"$TMP/imap.quarantine"
q "SELECT encode(content_key, 'hex'), source_id FROM rebound.message" >"$TMP/db.messages"
q "SELECT encode(content_key, 'hex'), reason FROM rebound.quarantine" >"$TMP/db.quarantine"
q "SELECT e.recipient FROM rebound.complaint c JOIN rebound.event e ON e.id = c.event_id" >"$TMP/db.complaints"
q "SELECT scope, recipient FROM rebound.suppression WHERE reason = 'abuse'" >"$TMP/db.suppressed"
python3 "$RUNDIR/chaos.py" verify "$TMP" "$MD" >"$TMP/verify" || true
cat "$TMP/verify"
fails=$((fails + $(grep -c '^not ok' "$TMP/verify" || true)))
check "the IMAP checkpoint is the last UID" \
	"$(q "SELECT uidvalidity || ' ' || last_uid FROM rebound.source_state WHERE name = 'chaos-imap'")" \
	"$(imap status $U INBOX | awk '{print $1, $2 - 1}')"
check "no duplicate event" \
	"$(q "SELECT count(*) FROM (SELECT 1 FROM rebound.event GROUP BY message_fk, idx HAVING count(*) > 1) d")" 0
note "replays absorbed: $(grep -o 'duplicates=[0-9]*' "$LOG" | cut -d= -f2 | awk '{s += $1} END {print s + 0}') duplicates in $(grep -c 'event=batch' "$LOG") batches, $kills SIGKILLs"
done_testing
