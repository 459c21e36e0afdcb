#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# explain.sh REBOUND_BIN SAMPLES_DIR
#
# `rebound explain` must show, per recipient, which parts were read and
# what decided each field, with the evidence; and its "reason <- RULE"
# must name the same decision as the NDJSON "rule" field.
set -u
bin=$1
dir=$2
fail=0

expect() { # FILE PATTERN (extended regex, one line of the explain output)
	if ! "$bin" explain "$dir/$1" | grep -Eq -- "$2"; then
		echo "FAIL $1: no line matching /$2/"
		"$bin" explain "$dir/$1" | sed 's/^/    /'
		fail=1
	fi
}

expect dsn/postfix-spamhaus-block.eml '^  parts read +multipart/report,.*message/delivery-status'
expect dsn/postfix-spamhaus-block.eml '^  status +5\.7\.1 \(from dsn\)$'
expect dsn/postfix-spamhaus-block.eml '^  reason +blocked  <- rule:spamhaus-zen$'
expect dsn/postfix-spamhaus-block.eml '^  evidence +zen\.spamhaus\.org$'
expect dsn/postfix-spamhaus-block.eml '^  blocklist +spamhaus-zen  <- rule:spamhaus-zen$'
expect dsn/postfix-spamhaus-block.eml '^  fault +sender  <- rule:spamhaus-zen$'
expect text/appliance-sections.eml '^  decided by +decode:sections$'
expect text/appliance-sections.eml '^  smtp command +DATA$'
expect text/appliance-sections.eml '^  reason +filtered  <- smtp-data:userunknown$'
expect text/appliance-sections.eml '^  hard +no  <- reason$'
expect text/inline-dsn-report.eml '^  decided by +decode:inline-dsn$'
expect text/inline-dsn-report.eml '^  status +5\.2\.2 \(from dsn\)$'
expect text/technical-details.eml '^  diagnostic +SMTP:RCPT host 192\.0\.2\.8: 553 5\.3\.0 '
expect text/technical-details.eml '^  smtp command +RCPT$'
expect dsn/ip-block-worded-as-unknown.eml '^  reason +blocked  <- rule:barracuda-brbl$'
expect dsn/ip-block-worded-as-unknown.eml '^  hard +no  <- reason$'
expect text/godaddy-rate-limit-511.eml '^  hard +no  <- rule:godaddy-ib-rate$'
expect dsn/postfix-userunknown.eml '^  hard +yes  <- reason$'
expect dsn/powermta-bad-mailbox.eml '^  mta category +bad-mailbox$'
expect dsn/powermta-bad-mailbox.eml '^  reason +userunknown  <- powermta-category:bad-mailbox$'

# explain and the NDJSON name the same rule, for every sample
while IFS= read -r -d '' eml; do
	# a message without recipients has only a message-level rule
	"$bin" parse --format ndjson "$eml" | grep -q '"recipient":null' &&
		continue
	want=$("$bin" parse --format ndjson "$eml" |
		sed -n 's/.*"rule":\("[^"]*"\|null\).*/\1/p' | tr -d '"')
	got=$("$bin" explain "$eml" | sed -n 's/^  reason .*  <- //p')
	if [ "$(echo "$want" | sed 's/^null$/-/')" != "$got" ]; then
		echo "FAIL $eml: ndjson rule [$want] vs explain [$got]"
		fail=1
	fi
done < <(find "$dir" -name '*.eml' -print0 | sort -z)
[ $fail = 0 ] && echo "explain: ok"
exit $fail
