#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_lock.sh - two daemons on one source (the same name, so the
# same PostgreSQL advisory lock):
#   - only the first consumes; the second logs event=locked-elsewhere and
#     neither opens the source nor stores anything;
#   - after SIGKILL of the first (its session, and so its lock, dies with
#     it) the second takes over and stores a message appended afterwards;
#   - every message is stored and moved once.
. "$(dirname "$0")/lib.sh"
use_dovecot "$REBOUND_TEST_DOVECOT_DIR" "$REBOUND_TEST_IMAPS_PORT"
newdb run_lock
"$REBOUND" db migrate >/dev/null
U=runlock
imap reset $U
TAKEOVER=${REBOUND_TEST_TAKEOVER_S:-20} # the waiting one retries every 5 s

run_conf "$TMP/rebound.conf" "$(imap_source shared $U 'poll_interval = 1;')"
stored() { q "SELECT count(*) FROM rebound.message"; }

start_daemon "$TMP/a.log" "$TMP/rebound.conf"
A=$PID
wait_for 30 logged "$TMP/a.log" 'src=shared event=open' ||
	{ not_ok "the first instance opens the source"; show_log "$TMP/a.log"; }
start_daemon "$TMP/b.log" "$TMP/rebound.conf"
B=$PID
if wait_for 30 logged "$TMP/b.log" 'src=shared event=locked-elsewhere action=waiting'; then
	ok "the second instance logs event=locked-elsewhere"
else
	not_ok "the second instance logs event=locked-elsewhere"
	show_log "$TMP/b.log"
fi

tagged lock-1 dsn/postfix-userunknown.eml >/dev/null
tagged lock-2 dsn/gmail-overquota.eml >/dev/null
tagged lock-3 non-report/human-reply.eml >/dev/null
tagged lock-4 dsn/exim-dsn.eml >/dev/null
delivered
imap append $U INBOX "$TMP/msg/lock-1.eml" "$TMP/msg/lock-2.eml" "$TMP/msg/lock-3.eml"
wait_for 20 sql_is "SELECT count(*) FROM rebound.message" 2 || not_ok "the holder stores what arrives"
sleep 1 # a chance for a wrong second consumer to show
check "only the holder consumed" \
	"$(grep -c 'src=shared event=batch' "$TMP/a.log") $(grep -c -E 'src=shared event=(open|batch)' "$TMP/b.log")" "1 0"
check "both still run" "$(kill -0 $A && kill -0 $B && echo yes)" yes

kill -KILL "$A"
wait_exit "$A" 10
note "holder killed"
t0=$(date +%s%N)
imap append $U INBOX "$TMP/msg/lock-4.eml"
if wait_for "$TAKEOVER" sql_is "SELECT count(*) FROM rebound.message" 3; then
	ok "after SIGKILL of the holder the other takes over and stores new mail"
	note "taken over and stored after $((($(date +%s%N) - t0) / 1000000)) ms"
else
	not_ok "after SIGKILL of the holder the other takes over and stores new mail"
	show_log "$TMP/b.log"
fi
check "the second instance opened the source" "$(grep -c 'src=shared event=open' "$TMP/b.log")" 1
check "each report stored once" \
	"$(q "SELECT count(*) || ' ' || count(DISTINCT content_key) FROM rebound.message")" "3 3"
check "each report moved once" "$(imap rows $U rebound/processed | cut -d' ' -f1 | tr '\n' ' ')" \
	"lock-1 lock-2 lock-4 "
check "the non-report stays in INBOX, unseen" "$(imap rows $U INBOX | cut -d' ' -f1,3)" "lock-3 -"
check "the checkpoint is past every message" \
	"$(q "SELECT last_uid FROM rebound.source_state WHERE name = 'shared'")" \
	"$(($(imap status $U INBOX | cut -d' ' -f2) - 1))"

kill -TERM "$B"
wait_exit "$B" 20
check "SIGTERM: exit 0" "$RC" 0
done_testing
