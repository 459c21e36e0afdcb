#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/ingest/dovecot.sh - a throwaway Dovecot on 127.0.0.1 for the ingest
# tests. No mocks: the IMAP source talks to a real server.
#
#   dovecot.sh start DIR IMAPS_PORT IMAP_PORT PLAIN_PORT
#   dovecot.sh stop  DIR
#
# start writes everything under DIR (wiped first): a test CA and a server
# certificate for "localhost" made with openssl (a hard dependency of
# dovecot-core), a passwd-file with plain passwords, and two configurations:
#   DIR/tls.conf    implicit TLS on IMAPS_PORT, STARTTLS offered on IMAP_PORT
#   DIR/plain.conf  no TLS at all on PLAIN_PORT, and a capability list
#                   without IDLE and MOVE (for the fallback paths)
# Both serve the same maildirs (DIR/mail/USER/Maildir). Only 127.0.0.1 is
# listened on. As root, Dovecot drops to its packaged users (dovecot,
# dovenull) and mail is owned by nobody; otherwise every process runs as the
# current user. Files the tests read: DIR/ca.pem, DIR/other-ca.pem,
# DIR/password, DIR/dovecot.log.
set -euo pipefail

usage() {
	echo "usage: $0 start DIR IMAPS_PORT IMAP_PORT PLAIN_PORT | stop DIR" >&2
	exit 2
}
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
DOVECOT=${DOVECOT:-$(command -v dovecot || echo /usr/sbin/dovecot)}
USERS=(fetch ack notls wronghost starttls nostarttls idle poll plainidle
	plainack reconnect uidvalidity toobig login
	runimap runfbl runidle runpoll runlock runsig runchaos bench)
PASSWORD=rebound-test-secret

stop_one() { # conf
	local conf=$1 pidfile
	[ -f "$conf" ] || return 0
	pidfile=$(sed -n 's/^base_dir = //p' "$conf")/master.pid
	if [ -f "$pidfile" ]; then
		"$DOVECOT" -c "$conf" stop >/dev/null 2>&1 || true
		for _ in $(seq 50); do
			[ -f "$pidfile" ] || break
			kill -0 "$(cat "$pidfile")" 2>/dev/null || break
			sleep 0.1
		done
	fi
}

stop_all() {
	stop_one "$dir/tls.conf" &
	stop_one "$dir/plain.conf" &
	wait
}

wait_port() { # port
	for _ in $(seq 100); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "dovecot.sh: nothing listens on 127.0.0.1:$1" >&2
	cat "$dir/dovecot.log" >&2 || true
	return 1
}

make_certs() {
	local ssl=$dir/ssl
	mkdir -p "$ssl"
	# the test CA, and a second CA that signed nothing the server uses
	for ca in ca other-ca; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
			-subj "/CN=rebound test $ca" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign \
			-keyout "$ssl/$ca.key" -out "$dir/$ca.pem" 2>/dev/null
	done
	# the server: DNS:localhost only, so 127.0.0.1 is a wrong host
	openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
		-keyout "$ssl/server.key" -out "$ssl/server.csr" 2>/dev/null
	printf '%s\n' "subjectAltName=DNS:localhost" \
		"basicConstraints=critical,CA:FALSE" \
		"keyUsage=critical,digitalSignature,keyEncipherment" \
		"extendedKeyUsage=serverAuth" >"$ssl/server.ext"
	openssl x509 -req -in "$ssl/server.csr" -CA "$dir/ca.pem" \
		-CAkey "$ssl/ca.key" -CAcreateserial -days 30 \
		-extfile "$ssl/server.ext" -out "$ssl/server.crt" 2>/dev/null
	chmod 600 "$ssl"/*.key
}

common_conf() { # base_dir
	cat <<CONF
base_dir = $1
state_dir = $1/state
instance_name = rebound-test-$(basename "$1")-$$
listen = 127.0.0.1
protocols = imap
log_path = $dir/dovecot.log
info_log_path = $dir/dovecot.log
default_internal_user = $internal_user
default_internal_group = $internal_group
default_login_user = $login_user
first_valid_uid = 1
first_valid_gid = 1
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $dir/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $dir/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
# no penalty for the wrong-password test: it would slow every other login
# from 127.0.0.1 while the tests run in parallel
auth_failure_delay = 0
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  chroot =
}
CONF
}

start() {
	[ $# -eq 3 ] || usage
	local imaps=$1 imap=$2 plain=$3 uid gid u
	stop_all
	rm -rf "$dir"
	mkdir -p "$dir/mail" "$dir/run-tls" "$dir/run-plain"
	if [ "$(id -u)" -eq 0 ]; then
		# Dovecot refuses to serve mail as root; its package created
		# the users "dovecot" and "dovenull".
		internal_user=dovecot internal_group=dovecot login_user=dovenull
		uid=$(id -u nobody) gid=$(getent group nogroup | cut -d: -f3)
	else
		internal_user=$(id -un) internal_group=$(id -gn)
		login_user=$internal_user
		uid=$(id -u) gid=$(id -g)
	fi
	make_certs
	: >"$dir/users"
	for u in "${USERS[@]}"; do
		echo "$u:{PLAIN}$PASSWORD:$uid:$gid::$dir/mail/$u::" >>"$dir/users"
		mkdir -p "$dir/mail/$u"
	done
	printf '%s\n' "$PASSWORD" >"$dir/password"
	chmod 600 "$dir/password"
	chmod 644 "$dir/users"
	chmod 755 "$dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown -R "$uid:$gid" "$dir/mail"
	fi
	{
		common_conf "$dir/run-tls"
		cat <<CONF
ssl = yes
ssl_cert = <$dir/ssl/server.crt
ssl_key = <$dir/ssl/server.key
ssl_min_protocol = TLSv1.2
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $imap
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps
    ssl = yes
  }
}
CONF
	} >"$dir/tls.conf"
	{
		common_conf "$dir/run-plain"
		cat <<CONF
ssl = no
disable_plaintext_auth = no
imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $plain
  }
  inet_listener imaps {
    port = 0
  }
}
CONF
	} >"$dir/plain.conf"
	# The daemons must not inherit our stdout/stderr: ctest waits for
	# them to close. Startup errors go to a file, shown on failure.
	for conf in tls plain; do
		if ! "$DOVECOT" -c "$dir/$conf.conf" </dev/null \
			>>"$dir/startup.log" 2>&1; then
			cat "$dir/startup.log" >&2
			exit 1
		fi
	done
	wait_port "$imaps"
	wait_port "$imap"
	wait_port "$plain"
}

case $cmd in
start)
	shift 2
	start "$@"
	;;
stop)
	stop_all
	;;
*)
	usage
	;;
esac
