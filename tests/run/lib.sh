# SPDX-License-Identifier: BSD-2-Clause
# tests/run/lib.sh - helpers for the `rebound run` tests: the daemon in the
# background, bounded waits, maildirs, the IMAP helper. Sourced by each
# test_*.sh after it set what tests/db/lib.sh needs (ctest sets REBOUND,
# REBOUND_PGDIR, REBOUND_SOURCE_DIR, REBOUND_TEST_TMP; the IMAP tests also
# REBOUND_TEST_DOVECOT_DIR and REBOUND_TEST_IMAPS_PORT).
#
# Every process and server a test starts is registered here and stopped by
# the EXIT trap, whatever happens. Daemons of an earlier run of the same
# test that was killed before its trap could run (a ctest timeout) are
# stopped first: only those listed in its pid file whose command line is
# still `rebound run -c <this test's folder>/...`.
PIDFILE=${REBOUND_TEST_TMP:?}.pids
if [ -f "$PIDFILE" ]; then
	while read -r pid; do
		if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null |
			grep -q -F -- "run -c $REBOUND_TEST_TMP/"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$PIDFILE"
	rm -f "$PIDFILE"
fi
. "$REBOUND_SOURCE_DIR/tests/db/lib.sh"
RUNDIR=$SRC/tests/run
SAMPLES=$SRC/samples
IMAPPY=(python3 "$RUNDIR/imap.py")
DAEMONS=()     # pids of every rebound started
AT_EXIT=()     # commands (strings) run by the EXIT trap, last first
T0=$(date +%s%N)

cleanup() {
	local rc=$? pid i
	set +e
	for pid in "${DAEMONS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for pid in "${DAEMONS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	rm -f "$PIDFILE"
	for ((i = ${#AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${AT_EXIT[$i]}" >/dev/null 2>&1
	done
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

elapsed() {
	local t=$((($(date +%s%N) - T0) / 100000000))
	echo "$((t / 10)).$((t % 10))"
}
note() { echo "# [$(elapsed)s] $*"; }

# use_dovecot DIR PORT: the IMAP helper and the configurations use the
# Dovecot in DIR (dovecot.sh) with implicit TLS on PORT.
use_dovecot() {
	export IMAP_CA=$1/ca.pem IMAP_PASSWORD_FILE=$1/password IMAP_PORT=$2
	[ -f "$IMAP_CA" ] || { echo "not ok - no Dovecot in $1 (fixture ingest_dovecot)"; exit 1; }
}

# imap_source NAME USER [SETTINGS...]: the lines of one IMAP source of
# rebound.conf (implicit TLS with the test CA; folders rebound/processed
# and rebound/quarantine), more settings appended as given.
imap_source() {
	local name=$1 user=$2
	shift 2
	printf '%s\n' "{ name = \"$name\"; type = \"imap\"; host = \"localhost\";" \
		"  port = $IMAP_PORT; tls = \"implicit\"; ca_file = \"$IMAP_CA\";" \
		"  user = \"$user\"; password_file = \"$IMAP_PASSWORD_FILE\";" \
		"  processed_folder = \"rebound/processed\";" \
		"  quarantine_folder = \"rebound/quarantine\"; timeout = 10;"
	[ $# -eq 0 ] || printf '  %s\n' "$@"
	echo "}"
}

# maildir_source NAME DIR [SETTINGS...]: DIR/in is read, DIR/processed and
# DIR/quarantine receive.
maildir_source() {
	local name=$1 dir=$2
	shift 2
	printf '%s\n' "{ name = \"$name\"; type = \"maildir\"; path = \"$dir/in\";" \
		"  processed_path = \"$dir/processed\"; quarantine_path = \"$dir/quarantine\";"
	[ $# -eq 0 ] || printf '  %s\n' "$@"
	echo "}"
}

# run_conf FILE SOURCE-TEXT [MORE-LINES...]: a rebound.conf with
# sources = ( SOURCE-TEXT ); (several sources: separate them with ",").
run_conf() {
	local f=$1 srcs=$2
	shift 2
	{
		echo 'run = { log_level = "info"; };'
		[ $# -eq 0 ] || printf '%s\n' "$@"
		echo "sources = ("
		echo "$srcs"
		echo ");"
	} >"$f"
}

mkmaildir() {
	mkdir -p "$1/new" "$1/cur" "$1/tmp"
}

# deliver TAG SAMPLE MAILDIR [new|cur:2,FLAGS]: queues SAMPLE (a path
# under samples/ or absolute) made distinct by TAG for delivery to MAILDIR
# under a name made of TAG (unique per test); sets REL to its path relative
# to MAILDIR. delivered writes what was queued (one python3 for all).
deliver() {
	local tag=$1 src=$2 md=$3 sub=${4:-new} name
	case "$src" in /*) ;; *) src=$SAMPLES/$src ;; esac
	name=1700000000.T${tag}P$$.rebound-test
	case "$sub" in
	new) REL=new/$name ;;
	cur*) REL=cur/$name${sub#cur} ;;
	esac
	echo "$tag $src $md/$REL" >>"$TMP/deliveries"
}
delivered() {
	[ -f "$TMP/deliveries" ] || return 0
	python3 "$RUNDIR/tag.py" <"$TMP/deliveries"
	rm -f "$TMP/deliveries"
}

# tagged TAG SAMPLE: queues $TMP/msg/TAG.eml (SAMPLE made distinct) for
# delivered, and prints that path.
tagged() {
	local src=$2
	case "$src" in /*) ;; *) src=$SAMPLES/$src ;; esac
	mkdir -p "$TMP/msg"
	echo "$1 $src $TMP/msg/$1.eml" >>"$TMP/deliveries"
	echo "$TMP/msg/$1.eml"
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

# imap CMD USER FOLDER ARGS...: tests/run/imap.py
imap() { "${IMAPPY[@]}" "$@"; }

# start_daemon LOG CONF [ARGS...]: `rebound run -c CONF ARGS` in the
# background, stderr appended to LOG; sets PID.
start_daemon() {
	local log=$1 conf=$2
	shift 2
	"$REBOUND" run -c "$conf" "$@" </dev/null >>"$log" 2>&1 &
	PID=$!
	DAEMONS+=("$PID")
	echo "$PID" >>"$PIDFILE"
}

# wait_exit PID SECONDS: waits for PID (a child of this shell) to end and
# sets RC to its exit status, or to "timeout" (and kills it) when it still
# runs after SECONDS. Not in $(...): only this shell can wait for it.
wait_exit() {
	local pid=$1 end
	end=$(($(date +%s) + $2))
	RC=0
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$end" ]; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null || true
			RC=timeout
			return 0
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null || RC=$?
}

# run_once WHAT CONF: `rebound run --once`, checked to exit 0 within 60 s.
run_once() {
	start_daemon "$TMP/once.log" "$2" --once
	wait_exit "$PID" 60
	check "$1: run --once exits 0" "$RC" 0
	[ "$RC" = 0 ] || show_log "$TMP/once.log"
}

# wait_for SECONDS CMD...: polls CMD (every 0.1 s) until it succeeds;
# returns 1 after SECONDS.
wait_for() {
	local end
	end=$(($(date +%s%N) / 1000000 + $1 * 1000))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.1
	done
}

# logged FILE PATTERN [N]: FILE has at least N (1) lines matching PATTERN.
logged() {
	[ "$(grep -c -E -- "$2" "$1" 2>/dev/null)" -ge "${3:-1}" ]
}

# sql_is SQL WANT: the query's value is WANT (for wait_for).
sql_is() {
	[ "$(q "$1" 2>/dev/null)" = "$2" ]
}

# show_log FILE: the end of a daemon log, on failure.
show_log() {
	tail -n "${2:-30}" "$1" | sed 's/^/  | /' >&2
}

# the content keys (hex) stored as messages / in quarantine
message_keys() { q "SELECT encode(content_key, 'hex') FROM rebound.message ORDER BY 1"; }
quarantine_keys() { q "SELECT encode(content_key, 'hex') FROM rebound.quarantine ORDER BY 1"; }

# done_testing, after a look for sanitizer reports (ASan/UBSan builds) in
# every daemon log of the test
eval "tests_db_$(declare -f done_testing)"
done_testing() {
	check "no sanitizer report in the daemon logs" \
		"$(grep -l -E 'Sanitizer|runtime error:' "$TMP"/*.log 2>/dev/null)" ""
	tests_db_done_testing
}
