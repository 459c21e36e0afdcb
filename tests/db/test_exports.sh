#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_exports.sh - every `rebound suppression export` format is
# parsed back (tests/db/check_export.py) and compared with the active
# entries; list filters; removed and expired entries are never exported.
. "$(dirname "$0")/lib.sh"
newdb exports
"$REBOUND" db migrate >/dev/null
G=$TMP/g
gen "$G" <<EOF2
h1|dsn|dead@example.com|5.1.1|alice|198.51.100.1|now-2d|550 5.1.1 <dead@example.com>: user unknown, "quoted", with commas
h2|dsn|gone@example.org|5.1.2|alice|198.51.100.1|now-2d|550 5.1.2 domain not found
h3|dsn|both@yahoo.com|5.1.1|bob|198.51.100.2|now-2d|550 5.1.1 no such user
c1|arf|both@yahoo.com|abuse|bob|198.51.100.2|now-1d
c2|arf|c2@yahoo.com|abuse|carol|198.51.100.3|now-1d
f1|dsn|full@example.net|5.2.2|alice|198.51.100.1|now-3d|552 5.2.2 mailbox full
f2|dsn|full@example.net|5.2.2|alice|198.51.100.1|now-2d|552 5.2.2 mailbox full
f3|dsn|full@example.net|5.2.2|alice|198.51.100.1|now-1d|552 5.2.2 mailbox full
o1|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-62d|552 5.2.2 mailbox full
o2|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-61d|552 5.2.2 mailbox full
o3|dsn|old@example.net|5.2.2|alice|198.51.100.1|now-60d|552 5.2.2 mailbox full
EOF2
check_rc "ingest" 0 "$REBOUND" ingest --feedback-loop any "$G"
"$REBOUND" suppression add manual@example.com --reason unsubscribe --note "by phone" >/dev/null
"$REBOUND" suppression add removed@example.com >/dev/null
"$REBOUND" suppression remove removed@example.com --note test >/dev/null
check "active entries" "$(q "SELECT count(*) FROM rebound.v_suppression")" 7

# filters of list
check "list --scope" "$("$REBOUND" suppression list --scope bob --format csv | tail -n +2 | cut -d, -f1,2 | tr -d '\r')" "bob,both@yahoo.com"
check "list --sender: global plus the sender" \
	"$("$REBOUND" suppression list --sender carol --format csv | tail -n +2 | cut -d, -f1 | sort -u | tr -d '\r' | paste -sd' ')" "carol global"
check "list --reason" "$("$REBOUND" suppression list --reason mailboxfull --format csv | tail -n +2 | cut -d, -f2 | tr -d '\r')" "full@example.net"
check "list --all shows removed and expired" \
	"$("$REBOUND" suppression list --all --format csv | tail -n +2 | cut -d, -f6 | sort | uniq -c | awk '{print $2 "=" $1}' | paste -sd' ')" \
	"active=7 expired=1 removed=1"

for scope in all bob; do
	if [ "$scope" = all ]; then sel=(); else sel=(--sender "$scope"); fi
	"$REBOUND" suppression list "${sel[@]}" --format json >"$TMP/list.json"
	for f in csv ndjson postfix ses-csv ses-json sparkpost mailgun mailgun-complaints postmark; do
		check_rc "export $f ($scope)" 0 "$REBOUND" suppression export --format "$f" "${sel[@]}"
		cp "$TMP/out" "$TMP/export.$f"
		r=$(python3 "$SRC/tests/db/check_export.py" "$f" "$TMP/export.$f" "$TMP/list.json" 2>&1 || true)
		case "$r" in ok*) ok "export $f ($scope) parses back: $r" ;; *) not_ok "$r" ;; esac
	done
done
check "nothing removed or expired is exported" \
	"$(cat "$TMP"/export.* | grep -c -e removed@ -e old@ || true)" 0
check "SES: the address with a bounce and a complaint is a COMPLAINT" \
	"$("$REBOUND" suppression export --format ses-csv | grep '^both@' | tr -d '\r')" "both@yahoo.com,COMPLAINT"
check "postfix map: global entries only, one line each" \
	"$("$REBOUND" suppression export --format postfix | grep -v '^#' | cut -d' ' -f1 | paste -sd' ')" \
	"both@yahoo.com dead@example.com full@example.net gone@example.org manual@example.com"
check_rc "export without a format" 2 "$REBOUND" suppression export
check_rc "export with an unknown format" 2 "$REBOUND" suppression export --format xml
if command -v postmap >/dev/null; then
	"$REBOUND" suppression export --format postfix >"$TMP/access"
	mkdir -p "$TMP/pf" && : >"$TMP/pf/main.cf"
	check_rc "postmap accepts the map" 0 postmap -c "$TMP/pf" "hash:$TMP/access"
	check "postmap finds an entry" "$(postmap -c "$TMP/pf" -q dead@example.com "hash:$TMP/access" | cut -d' ' -f1,2)" "REJECT 5.7.1"
fi
done_testing
