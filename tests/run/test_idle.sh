#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/run/test_idle.sh - the daemon waits for new mail instead of
# exiting, and picks it up within seconds:
#   - IDLE: a message appended while the source idles is stored within a
#     few seconds, although its poll_interval and the daemon's own wait
#     are 60 s (so only IDLE can have woken it);
#   - polling: with idle = false and poll_interval = 1 it is stored too;
#   - a maildir source: a delivery is noticed (inotify) at once.
# Then SIGTERM stops it, exit 0.
. "$(dirname "$0")/lib.sh"
use_dovecot "$REBOUND_TEST_DOVECOT_DIR" "$REBOUND_TEST_IMAPS_PORT"
newdb run_idle
"$REBOUND" db migrate >/dev/null
imap reset runidle
imap reset runpoll
mkmaildir "$TMP/md/in"
LIMIT=${REBOUND_TEST_PICKUP_S:-5} # seconds: "within a few seconds"

run_conf "$TMP/rebound.conf" \
	"$(imap_source idle runidle 'idle = true;' 'poll_interval = 60;'),
$(imap_source poll runpoll 'idle = false;' 'poll_interval = 1;'),
$(maildir_source md "$TMP/md")"
start_daemon "$TMP/daemon.log" "$TMP/rebound.conf"
daemon=$PID
wait_for 30 logged "$TMP/daemon.log" 'event=open' 3 ||
	{ not_ok "the three sources open"; show_log "$TMP/daemon.log"; }
# let every worker find its mailbox empty and start waiting
sleep 2

# pickup NAME USER|maildir TAG SAMPLE: delivers, then measures how long
# until one more message of that source is in rebound.message
pickup() {
	local name=$1 user=$2 tag=$3 f t0 like n ms
	f=$(tagged "$tag" "$4")
	delivered
	like="imap://$user@%"
	[ "$user" != maildir ] || like="new/%"
	n=$(q "SELECT count(*) FROM rebound.message WHERE source_id LIKE '$like'")
	t0=$(date +%s%N)
	if [ "$user" = maildir ]; then
		cp "$f" "$TMP/md/in/tmp/$tag" && mv "$TMP/md/in/tmp/$tag" "$TMP/md/in/new/$tag"
	else
		imap append "$user" INBOX "$f"
	fi
	if wait_for "$((LIMIT + 1))" sql_is "SELECT count(*) FROM rebound.message WHERE source_id LIKE '$like'" $((n + 1)); then
		ms=$((($(date +%s%N) - t0) / 1000000))
		note "$name: stored after $ms ms"
		if [ "$ms" -le $((LIMIT * 1000)) ]; then
			ok "$name: an appended message is stored within $LIMIT s"
		else
			not_ok "$name: stored after $ms ms, more than $LIMIT s"
		fi
	else
		not_ok "$name: an appended message is not stored after $LIMIT s"
		show_log "$TMP/daemon.log"
	fi
}

pickup IDLE runidle idle-1 dsn/postfix-userunknown.eml
pickup polling runpoll poll-1 dsn/gmail-overquota.eml
pickup maildir maildir md-1 dsn/exim-dsn.eml
# and again, now that each has gone back to waiting
sleep 1
pickup "IDLE again" runidle idle-2 text/qmail.eml
pickup "polling again" runpoll poll-2 text/sendmail-old.eml

check "both IMAP messages were moved to rebound/processed" \
	"$(imap rows runidle rebound/processed | cut -d' ' -f1 | tr '\n' ' ')$(imap rows runpoll rebound/processed | cut -d' ' -f1 | tr '\n' ' ')" \
	"idle-1 idle-2 poll-1 poll-2 "
check "the IDLE source never fell back to polling" \
	"$(grep 'host=localhost' "$TMP/daemon.log" | grep -c 'event=idle-failed')" 0
check "the daemon is still running" "$(kill -0 "$daemon" 2>/dev/null && echo yes)" yes

t0=$(date +%s%N)
kill -TERM "$daemon"
wait_exit "$daemon" 20
check "SIGTERM while idling: exit 0" "$RC" 0
note "stopped after $((($(date +%s%N) - t0) / 1000000)) ms"
check "every worker stopped" "$(grep -c 'event=stopped' "$TMP/daemon.log")" 4
[ "$fails" = 0 ] || show_log "$TMP/daemon.log" 40
done_testing
