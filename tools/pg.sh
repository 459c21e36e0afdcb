#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tools/pg.sh - a private PostgreSQL 15 cluster for rebound when no database
# is configured: initdb under build/pgdata (or DIR), listening only on a
# unix socket in that directory (no TCP), trust auth for the invoking user,
# database "rebound".
#
#   tools/pg.sh start [DIR]   initdb if needed, start, create the database
#   tools/pg.sh stop [DIR]    stop it (fast shutdown)
#   tools/pg.sh env [DIR]     print REBOUND_DATABASE=host=<socket dir> dbname=rebound
#   tools/pg.sh status [DIR]
#
# `start` without DIR does nothing when REBOUND_DATABASE is set. As root,
# initdb and pg_ctl run as the postgres system user (runuser); the
# directory is handed to it. When that user cannot reach DIR (e.g. under
# /root) or the socket path would be too long, the cluster lives in
# /tmp/rebound-pg-<hash> and DIR/location points there.
# REBOUND_PG_FAST=1 turns fsync off (throwaway test clusters).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
explicit=${2:+yes}
dir=${2:-${REBOUND_PGDIR:-$top/build/pgdata}}
case "$dir" in /*) ;; *) dir=$(pwd)/$dir ;; esac
me=$(id -un)

die() { echo "pg.sh: $*" >&2; exit 1; }
[ -x "$PG_BIN/initdb" ] || die "no $PG_BIN/initdb (install postgresql-15: tools/deps.sh)"

if [ "$(id -u)" -eq 0 ]; then
	owner=postgres
	as() { runuser -u postgres -- "$@"; }
else
	owner=$me
	as() { "$@"; }
fi

# Where the cluster really is (the socket directory; data is in ./data).
locate() {
	if [ -f "$dir/location" ]; then
		loc=$(cat "$dir/location")
		return
	fi
	loc=$dir
	mkdir -p "$dir"
	if [ ${#dir} -gt 80 ] || { [ "$owner" != "$me" ] &&
		! { chown "$owner" "$dir" && chmod 700 "$dir" &&
		    as test -w "$dir"; }; }; then
		loc=/tmp/rebound-pg-$(id -u)-$(printf %s "$dir" | cksum | cut -d' ' -f1)
		echo "$loc" >"$dir/location"
	fi
}

running() {
	[ -f "$loc/data/PG_VERSION" ] && as "$PG_BIN/pg_ctl" -D "$loc/data" status >/dev/null 2>&1
}

psql_as_me() {
	"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$loc" -U "$me" "$@"
}

case "$cmd" in
start)
	if [ -n "${REBOUND_DATABASE:-}" ] && [ -z "$explicit" ] && [ -z "${REBOUND_PGDIR:-}" ]; then
		echo "pg.sh: REBOUND_DATABASE is set; using it" >&2
		exit 0
	fi
	locate
	mkdir -p "$loc"
	if [ "$owner" != "$me" ]; then
		chown "$owner" "$loc"
	fi
	chmod 700 "$loc"
	if [ ! -f "$loc/data/PG_VERSION" ]; then
		as "$PG_BIN/initdb" -D "$loc/data" -U "$me" --auth=trust \
			--encoding=UTF8 --locale=C --no-instructions >"$loc/initdb.log" 2>&1 ||
			{ cat "$loc/initdb.log" >&2; die "initdb failed"; }
		{
			echo "listen_addresses = ''"
			echo "unix_socket_directories = '$loc'"
			echo "unix_socket_permissions = 0700"
			if [ "${REBOUND_PG_FAST:-0}" = 1 ]; then
				echo "fsync = off"
				echo "synchronous_commit = off"
				echo "full_page_writes = off"
			fi
		} | as tee -a "$loc/data/postgresql.conf" >/dev/null
	fi
	if ! running; then
		as "$PG_BIN/pg_ctl" -D "$loc/data" -l "$loc/postgres.log" -w -t 60 start >/dev/null ||
			{ tail -n 20 "$loc/postgres.log" >&2; die "pg_ctl start failed"; }
	fi
	if [ -z "$(psql_as_me -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'rebound'")" ]; then
		psql_as_me -d postgres -c "CREATE DATABASE rebound"
	fi
	echo "pg.sh: running; socket in $loc" >&2
	;;
stop)
	[ -d "$dir" ] || exit 0
	locate
	if running; then
		as "$PG_BIN/pg_ctl" -D "$loc/data" -m fast -w -t 60 stop >/dev/null
	fi
	;;
env)
	locate
	echo "REBOUND_DATABASE=host=$loc dbname=rebound"
	;;
status)
	locate
	if running; then echo "running: $loc"; else echo "stopped: $loc"; exit 3; fi
	;;
*)
	echo "usage: tools/pg.sh start|stop|env|status [DIR]" >&2
	exit 2
	;;
esac
