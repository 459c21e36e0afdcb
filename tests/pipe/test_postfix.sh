#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/pipe/test_postfix.sh - bounces through a real Postfix into
# `rebound ingest -` and a real PostgreSQL, configured the way
# docs/mta-pipe.md tells an operator to (no mocks):
#
#   a. a DSN sent by SMTP to bounces+customer-7=example.org@bounces.test is
#      stored once, with its recipient, reason and the VERP sender taken
#      from the envelope recipient (pipe flag D -> Delivered-To);
#   b. with the database down, rebound exits 75 and the bounce stays
#      deferred in the Postfix queue; once the database is back and the
#      queue is flushed it is stored exactly once and the queue is empty;
#   c. a plain mail to the bounce address is quarantined, not lost;
#   d. the instance accepts only bounce addresses and relays nothing;
#   e. with the guard of docs/mta-pipe.md (`|| exit 75`), a broken
#      rebound.conf keeps the bounce deferred instead of losing it.
#
# Postfix runs from a private config directory under REBOUND_TEST_TMP (in
# /tmp/rebound-pipe.XXXXXX when the build tree is closed to other users)
# with `postfix -c DIR start`, its own queue and data directories, smtpd on
# 127.0.0.1:REBOUND_TEST_SMTP_PORT only, no DNS, no local delivery, no
# relaying, logging to DIR/../maillog. The pipe runs as `nobody`.
# PostgreSQL is a private cluster (tools/pg.sh, its own, as it is stopped
# in case b) whose socket the test opens to that user while it runs.
# Nothing outside those directories is changed (no user is created).
#
# Needs root (Postfix's master runs as root) and the postfix package: it
# skips (exit 77) without them, except in CI (CI=true), where it fails.
set -euo pipefail
: "${REBOUND:?}" "${REBOUND_SOURCE_DIR:?}" "${REBOUND_TEST_TMP:?}"
here=$(cd "$(dirname "$0")" && pwd)
PORT=${REBOUND_TEST_SMTP_PORT:-10025}
PIPE_USER=${REBOUND_TEST_PIPE_USER:-nobody}
WAIT=${REBOUND_TEST_WAIT:-30} # seconds, for every poll below
PF_SBIN=/usr/sbin

unavailable() {
	if [ "${CI:-}" = true ]; then
		echo "not ok - $*"
		exit 1
	fi
	echo "skipped: $*"
	exit 77
}
[ "$(id -u)" -eq 0 ] || unavailable "Postfix needs root (its master process runs as root)"
[ -x "$PF_SBIN/postfix" ] && [ -x /usr/lib/postfix/sbin/pipe ] ||
	unavailable "no Postfix (Debian package postfix; see tools/deps.sh)"
getent passwd postfix >/dev/null && getent group postdrop >/dev/null ||
	unavailable "no postfix user or postdrop group (reinstall the postfix package)"
getent passwd "$PIPE_USER" >/dev/null || unavailable "no user $PIPE_USER for the pipe"
command -v python3 >/dev/null || unavailable "no python3"

# A previous run killed half-way may have left its Postfix running in the
# folder that lib.sh is about to remove (or in /tmp, see "where" below).
if [ -f "$REBOUND_TEST_TMP/instance" ]; then
	old=$(cat "$REBOUND_TEST_TMP/instance")
	if [ -f "$old/postfix/etc/main.cf" ]; then
		"$PF_SBIN/postfix" -c "$old/postfix/etc" stop >/dev/null 2>&1 || true
	fi
	case "$old" in /tmp/rebound-pipe.*) rm -rf "$old" ;; esac
fi
export REBOUND_PGDIR=$REBOUND_TEST_TMP/pg
"$REBOUND_SOURCE_DIR/tools/pg.sh" stop "$REBOUND_PGDIR" >/dev/null 2>&1 || true

# check/ok/not_ok/q/done_testing; removes and recreates $TMP; $SERVER is
# the socket directory of the cluster in $REBOUND_PGDIR.
. "$REBOUND_SOURCE_DIR/tests/db/lib.sh"
t0=$(date +%s)

# --- where -------------------------------------------------------------------
# Postfix's own processes (user postfix) and the pipe (user $PIPE_USER) must
# reach their directories, and the pipe must read the binary, the rules and
# rebound.conf. When the build or source tree is closed to them (say, a
# checkout under /root) the instance lives in /tmp/rebound-pipe.XXXXXX and
# the binary and rules are copied there.
reaches() { runuser -u "$1" -- test -x "$2/."; }
stage=""
base=$TMP
if ! reaches postfix "$TMP" || ! reaches "$PIPE_USER" "$TMP"; then
	stage=$(mktemp -d /tmp/rebound-pipe.XXXXXX)
	chmod 0755 "$stage"
	base=$stage
	echo "# $TMP is closed to user postfix or $PIPE_USER: the instance is in $stage"
fi
echo "$base" >"$TMP/instance"
PF=$base/postfix
PFC=$PF/etc
home=$base/pipe
mkdir -p "$PFC" "$PF/queue" "$PF/data" "$home"
chmod 0755 "$PF" "$home"

pf() { "$PF_SBIN/postfix" -c "$PFC" "$@"; }
pf_running() { pf status >/dev/null 2>&1; }

cleanup() {
	local rc=$?
	set +e
	if pf_running; then
		pf stop >/dev/null 2>&1
		for _ in $(seq 1 50); do pf_running || break; sleep 0.2; done
		if pf_running && [ -f "$PF/queue/pid/master.pid" ]; then
			kill "$(tr -d ' ' <"$PF/queue/pid/master.pid")" 2>/dev/null
		fi
	fi
	"$PGSH" stop "$REBOUND_PGDIR" >/dev/null 2>&1
	if [ "$rc" -ne 0 ] && [ -f "$PF/maillog" ]; then
		echo "--- Postfix log ($PF/maillog), last lines:" >&2
		tail -n 40 "$PF/maillog" >&2
	fi
	if [ -n "$stage" ]; then
		cp "$PF/maillog" "$TMP/maillog" 2>/dev/null
		rm -rf "$stage"
	fi
	echo "# $(($(date +%s) - t0)) s"
	exit "$rc"
}
trap cleanup EXIT

# wait_for WHAT CMD...: runs CMD until it succeeds, for at most $WAIT s.
wait_for() {
	local what=$1 i
	shift
	for i in $(seq 1 $((WAIT * 5))); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	not_ok "$what: still not so after ${WAIT} s"
	return 1
}

as_pipe() { runuser -u "$PIPE_USER" -- "$@"; }

# --- PostgreSQL ------------------------------------------------------------
# pg.sh makes the socket directory 0700 and the socket 0700 (the cluster
# is trust-authenticated); the pipe user needs to reach the socket. The
# cluster is throwaway and lives for this test only.
pg_up() {
	"$PGSH" start "$REBOUND_PGDIR" 2>/dev/null
	chmod 0711 "$SERVER"
	chmod 0777 "$SERVER/.s.PGSQL.5432"
}
pg_up
as_pipe test -w "$SERVER/.s.PGSQL.5432" || {
	not_ok "user $PIPE_USER cannot reach the PostgreSQL socket in $SERVER (a parent directory without o+x?)"
	exit 1
}
# The pipe connects as the role that owns the schema (what `rebound db
# migrate` created), not as a superuser.
"$PSQL" -X -q -h "$SERVER" -d postgres -v ON_ERROR_STOP=1 \
	-c "SET client_min_messages = warning" \
	-c "DROP DATABASE IF EXISTS t_pipe" -c "DROP ROLE IF EXISTS rebound_pipe" \
	-c "CREATE ROLE rebound_pipe LOGIN" -c "CREATE DATABASE t_pipe OWNER rebound_pipe" >/dev/null
export REBOUND_DATABASE="host=$SERVER dbname=t_pipe user=rebound_pipe"
"$REBOUND" db migrate >/dev/null 2>&1 || { not_ok "rebound db migrate"; exit 1; }

# --- what the pipe runs ----------------------------------------------------
RULES=${REBOUND_RULES_DIR:-$SRC/bounce/rules}
bin=$REBOUND
if ! as_pipe test -x "$bin"; then
	cp "$REBOUND" "$home/rebound"
	chmod 0755 "$home/rebound"
	bin=$home/rebound
	echo "# $REBOUND is closed to user $PIPE_USER: the pipe runs a copy, $bin"
fi
if ! as_pipe test -r "$RULES/." -a -x "$RULES/."; then
	cp -r "$RULES" "$home/rules"
	chmod -R a+rX "$home/rules"
	RULES=$home/rules
	echo "# the rules are closed to user $PIPE_USER: the pipe reads a copy, $RULES"
fi
# The database settings live in rebound.conf (docs/mta-pipe.md); fewer,
# faster retries than the default keep case (b) short.
cat >"$home/rebound.conf" <<EOF
database = {
  conninfo = "$REBOUND_DATABASE";
  retries = 2;
  retry_delay_ms = 50;
};
EOF
chmod 0644 "$home/rebound.conf"

# --- Postfix -----------------------------------------------------------------
# postfix check creates what is missing in the queue directory (owned by
# root) but not the data directory, which must belong to mail_owner.
chown postfix: "$PF/data"
chmod 0700 "$PF/data"
# export_environment for the pipe: the rules directory, and the sanitizer
# settings when this is the ASan build.
envlist="TZ LANG=C REBOUND_RULES_DIR=$RULES"
for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
	if [ -n "${!v:-}" ]; then envlist="$envlist { $v=${!v} }"; fi
done
cat >"$PFC/main.cf" <<EOF
# Written by tests/pipe/test_postfix.sh: a private Postfix that accepts
# bounces for bounces.test on 127.0.0.1:$PORT and pipes them into rebound.
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = rebound-test.localdomain
mydomain = localdomain
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8

# nothing but bounces.test: no local delivery, no relaying, no DNS
mydestination =
local_transport = error:5.1.1 no local delivery in this test instance
alias_maps =
alias_database =
default_transport = error:5.7.1 this test instance relays nothing
relay_transport = error:5.7.1 this test instance relays nothing
smtp_dns_support_level = disabled
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_peername_lookup = no
biff = no

# the bounce (return-path) domain: any bounces+TOKEN@bounces.test is a
# valid recipient, anything else at bounces.test is refused at RCPT TO
relay_domains = bounces.test, guarded.test
recipient_delimiter = +
relay_recipient_maps = hash:$PFC/bounce_recipients
transport_maps = hash:$PFC/transport

# one recipient per delivery (required by the pipe's D flag)
rebound_destination_recipient_limit = 1
rebound_destination_concurrency_limit = 4
rebound_environment = $envlist
rebound_safe_destination_recipient_limit = 1

# retry a deferred bounce soon (the test flushes the queue anyway)
queue_run_delay = 10s
minimal_backoff_time = 10s
maximal_backoff_time = 60s

maillog_file = $PF/maillog
maillog_file_prefixes = /var, /dev/stdout, $PF
EOF
# chroot column "n" everywhere: nothing to copy into a jail.
cat >"$PFC/master.cf" <<EOF
# service type  private unpriv chroot wakeup maxproc command + args
127.0.0.1:$PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
# bounces for bounces.test: rebound ingest - (exit 75 = try again later)
# (-o must come before the pipe's own flags=, user=, argv=)
rebound   unix  -       n       n       -       4       pipe
  -o export_environment=\$rebound_environment
  flags=DRq user=$PIPE_USER
  argv=$bin ingest -c $home/rebound.conf -
# the same behind the guard (any failure is temporary), with a config file
# that does not exist (case e)
rebound_safe unix -     n       n       -       4       pipe
  -o export_environment=\$rebound_environment
  flags=DRq user=$PIPE_USER
  argv=/bin/sh -c { $bin ingest -c $home/missing.conf - || exit 75 }
EOF
printf '%s\n' 'bounces.test    rebound:' 'guarded.test    rebound_safe:' >"$PFC/transport"
printf '%s\n' 'bounces@bounces.test    OK' 'bounces@guarded.test    OK' >"$PFC/bounce_recipients"
"$PF_SBIN/postmap" -c "$PFC" "hash:$PFC/transport" "hash:$PFC/bounce_recipients"
if ! pf start >"$TMP/pf-start" 2>&1; then
	not_ok "postfix start"
	sed 's/^/  | /' "$TMP/pf-start" >&2
	exit 1
fi
smtp_up() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 2).close()"; }
wait_for "Postfix listens on 127.0.0.1:$PORT" smtp_up || exit 1
ok "Postfix runs from $PFC, smtpd on 127.0.0.1:$PORT"

send() { python3 "$here/smtp_send.py" "$PORT" "$@"; }
# queue_state ID: where the message is ("active", "deferred", ...), or
# "gone" when it has left the queue.
queue_state() {
	"$PF_SBIN/postqueue" -c "$PFC" -j | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["queue_id"] == sys.argv[1]:
        print(m["queue_name"])
        sys.exit()
print("gone")' "$1"
}
is_state() { [ "$(queue_state "$1")" = "$2" ]; }
queue_empty() { "$PF_SBIN/postqueue" -c "$PFC" -p | grep -q '^Mail queue is empty'; }
# has VALUE SQL: the query gives VALUE (for wait_for).
has() { [ "$(q "$2")" = "$1" ]; }

# dsn FILE RECIPIENT STATUS DIAGNOSTIC: a DSN whose To: header carries no
# VERP address, so the sender can only come from the envelope recipient.
dsn() {
	cat >"$1" <<EOF
Date: $(date -R)
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: Example Shop <shop@example.org>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="b-rebound-test"
Message-Id: <dsn.$$.$RANDOM@mx.example.com>

--b-rebound-test
Content-Type: text/plain; charset=us-ascii

<$2>: host mx.example.com said: $4

--b-rebound-test
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; $2
Action: failed
Status: $3
Diagnostic-Code: smtp; $4

--b-rebound-test
Content-Type: text/rfc822-headers

From: Example Shop <shop@example.org>
To: $2
Subject: Your order has shipped
Message-ID: <order.$$.$RANDOM@example.org>

--b-rebound-test--
EOF
}

event_of() {
	q "SELECT e.recipient || ' ' || e.reason || ' ' || e.sender || ' ' || e.sender_source || ' ' || m.source
	   FROM rebound.event e JOIN rebound.message m ON m.id = e.message_fk
	   WHERE e.recipient = '$1'"
}

# --- a. a DSN through SMTP ---------------------------------------------------
dsn "$TMP/a.eml" lost.user@example.com 5.1.1 "550 5.1.1 <lost.user@example.com>: User unknown"
if id_a=$(send "" "bounces+customer-7=example.org@bounces.test" "$TMP/a.eml"); then
	ok "a: the DSN is accepted over SMTP (queue id $id_a)"
else
	not_ok "a: SMTP refused the DSN: $id_a"
fi
wait_for "a: the DSN is stored" has 1 "SELECT count(*) FROM rebound.event WHERE recipient = 'lost.user@example.com'" &&
	check "a: recipient, reason, VERP sender, source" "$(event_of lost.user@example.com)" \
		"lost.user@example.com userunknown customer-7@example.org verp stdin"
wait_for "a: it left the queue" is_state "$id_a" gone || :
check "a: stored exactly once" "$(q "SELECT (SELECT count(*) FROM rebound.message) || ' ' || (SELECT count(*) FROM rebound.event)")" "1 1"
check "a: Postfix logged the delivery" \
	"$(grep -c "$id_a: to=<bounces+customer-7=example.org@bounces.test>, relay=rebound, .*status=sent" "$PF/maillog")" 1

# --- b. the database is down: deferred, then delivered once -----------------
"$PGSH" stop "$REBOUND_PGDIR"
chmod 0711 "$SERVER" # pg.sh closed it again: make it a plain "no server"
dsn "$TMP/b.eml" full.box@example.net 5.2.2 "552 5.2.2 <full.box@example.net>: Mailbox full"
if id_b=$(send "" "bounces+customer-9=example.org@bounces.test" "$TMP/b.eml"); then
	ok "b: the DSN is accepted while the database is down (queue id $id_b)"
else
	not_ok "b: SMTP refused the DSN: $id_b"
fi
if wait_for "b: the DSN is deferred" is_state "$id_b" deferred; then
	ok "b: the DSN is in the deferred queue"
	"$PF_SBIN/postqueue" -c "$PFC" -p >"$TMP/queue-b"
	check "b: postqueue -p lists it" "$(grep -c "^$id_b " "$TMP/queue-b")" 1
	check "b: with rebound's reason" \
		"$(grep -c 'rebound: ingest: database unreachable' "$TMP/queue-b")" 1
	check "b: Postfix logged a temporary failure" \
		"$(grep -c "$id_b: to=<bounces+customer-9=example.org@bounces.test>, relay=rebound, .*status=deferred" "$PF/maillog")" 1
fi
check "b: Postfix bounced nothing" "$(grep -c 'status=bounced' "$PF/maillog" || true)" 0
pg_up
check "b: nothing was stored while the database was down" "$(q "SELECT count(*) FROM rebound.message")" 1
"$PF_SBIN/postqueue" -c "$PFC" -f
wait_for "b: the DSN is stored after postqueue -f" has 1 \
	"SELECT count(*) FROM rebound.event WHERE recipient = 'full.box@example.net'" &&
	check "b: recipient, reason, VERP sender" "$(event_of full.box@example.net)" \
		"full.box@example.net mailboxfull customer-9@example.org verp stdin"
wait_for "b: the queue is empty" queue_empty && ok "b: the queue is empty" || :
check "b: stored exactly once" "$(q "SELECT (SELECT count(*) FROM rebound.message) || ' ' || (SELECT count(*) FROM rebound.event)")" "2 2"

# --- c. not a report: quarantined, not lost -----------------------------------
token=plain-$$-$RANDOM
cat >"$TMP/c.eml" <<EOF
From: Rita Silva <rita@example.net>
To: Example Shop <shop@example.org>
Subject: Re: your order ($token)
Date: $(date -R)
Message-ID: <$token@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Thanks, could you send it to my office instead?
EOF
if id_c=$(send "rita@example.net" "bounces+customer-7=example.org@bounces.test" "$TMP/c.eml"); then
	ok "c: a plain mail to the bounce address is accepted (queue id $id_c)"
else
	not_ok "c: SMTP refused it: $id_c"
fi
wait_for "c: it is quarantined" has 1 "SELECT count(*) FROM rebound.quarantine" &&
	check "c: with its reason and raw bytes" \
		"$(q "SELECT reason || ' ' || source || ' ' || (position('$token' in convert_from(raw, 'UTF8')) > 0) FROM rebound.quarantine")" \
		"not-a-report stdin true"
wait_for "c: it left the queue" is_state "$id_c" gone || :
check "c: not stored as a report" "$(q "SELECT count(*) FROM rebound.message")" 2

# --- d. only bounce addresses, no relaying ----------------------------------
check_rc "d: RCPT TO another address at bounces.test is refused" 1 \
	python3 "$here/smtp_send.py" --rcpt "$PORT" someone@bounces.test
check_rc "d: RCPT TO another domain is refused (no relaying)" 1 \
	python3 "$here/smtp_send.py" --rcpt "$PORT" jane@example.com
# --- e. a broken configuration behind the guard: deferred, not lost ------------
dsn "$TMP/e.eml" gone.user@example.com 5.1.1 "550 5.1.1 <gone.user@example.com>: User unknown"
if id_e=$(send "" "bounces+customer-7=example.org@guarded.test" "$TMP/e.eml"); then
	ok "e: the DSN is accepted (queue id $id_e)"
else
	not_ok "e: SMTP refused the DSN: $id_e"
fi
if wait_for "e: the DSN is deferred" is_state "$id_e" deferred; then
	ok "e: rebound failed (exit 1), the guard made it a temporary failure"
	check "e: with rebound's complaint as the reason" \
		"$("$PF_SBIN/postqueue" -c "$PFC" -p | grep -c 'missing.conf')" 1
fi
"$PF_SBIN/postsuper" -c "$PFC" -d "$id_e" >/dev/null 2>&1 || :

check "the queue is empty at the end" "$("$PF_SBIN/postqueue" -c "$PFC" -p)" "Mail queue is empty"
check "Postfix logged no bounce and no panic" \
	"$(grep -cE 'status=bounced|fatal:|panic:' "$PF/maillog" || true)" 0
done_testing
