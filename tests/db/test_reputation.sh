#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/test_reputation.sh - `rebound volume import` (bad lines with
# their numbers, idempotent upsert), reputation per sender and per IP over
# 1/7/30-day windows against figures computed by hand, rates unknown
# without volume, and every report on the same known data set. All dates
# are fixed relative to day D (two days ago, UTC); REBOUND_NOW is D 18:00.
. "$(dirname "$0")/lib.sh"
newdb reputation
"$REBOUND" db migrate >/dev/null
D=$(date -u -d '2 days ago' +%F)
D8=$(date -u -d "$D - 8 days" +%F)
D1=$(date -u -d "$D + 1 day" +%F)
export REBOUND_NOW="$D 18:00:00+00"
S3150='550 5.7.1 Unfortunately, messages from [198.51.100.10] were not sent. Please contact your Internet service provider since part of their network is on our block list (S3150).'
{
	echo "ac1|arf|a1@yahoo.com|abuse|alice|198.51.100.10|${D}T12:00:00"
	echo "ao1|arf|a2@yahoo.com|opt-out|alice|198.51.100.10|${D}T12:00:00"
	for i in 1 2 3 4 5 6; do echo "ah$i|dsn|h$i@gmail.com|5.1.1|alice|198.51.100.10|${D}T12:0$i:00|550 5.1.1 no such user"; done
	for i in 1 2 3; do echo "ab$i|dsn|b$i@outlook.com|5.7.1|alice|198.51.100.10|${D}T13:0$i:00|$S3150"; done
	echo "aold|dsn|old@yahoo.com|5.1.1|alice|198.51.100.10|${D8}T12:00:00|550 5.1.1 no such user"
	echo "bc1|arf|b1@yahoo.com|abuse|bob|198.51.100.20|${D}T12:00:00"
	# the original was submitted from an app server (203.0.113.50); the
	# block names the relay address the remote refused (198.51.100.20)
	echo "bb1|dsn|bb@outlook.com|5.7.1|bob|203.0.113.50|${D}T12:00:00|${S3150/100.10/100.20}"
	echo "ch1|dsn|c1@example.org|5.1.1|carol|198.51.100.30|${D}T12:00:00|550 5.1.1 no such user"
	echo "ch2|dsn|c2@example.org|5.1.1|carol|198.51.100.30|${D}T12:00:00|550 5.1.1 no such user"
	echo "dd1|delay|slow@example.net|4.4.1|dave|198.51.100.40|${D}T12:00:00|421 4.4.1 connection timed out"
} | gen "$TMP/g"
check_rc "ingest the data set" 0 "$REBOUND" ingest --feedback-loop any "$TMP/g" "$SRC/samples/non-report/human-reply.eml"

# ---- volume import ----
cat >"$TMP/vol.csv" <<EOF2
sender,day,recipient_domain,count
alice,$D,yahoo.com,200
alice,$D,Gmail.com,50
alice,$D8,yahoo.com,1000
alice,2024-02-30,yahoo.com,5
bob,$D,,1000
bob,$D,yahoo.com,-3
only,three,fields
"bob",$D,example.net,"7"
EOF2
check_rc "volume import with bad lines" 1 "$REBOUND" volume import "$TMP/vol.csv"
check "bad lines reported with their numbers" "$(grep -o 'vol.csv:[0-9]*' "$TMP/err" | paste -sd' ')" \
	"vol.csv:5 vol.csv:7 vol.csv:8"
check "the reason is given" "$(grep 'vol.csv:5' "$TMP/err" | sed 's/.*: //')" "day is not a valid YYYY-MM-DD date"
check "good lines stored, domains lowercased" \
	"$(q "SELECT string_agg(sender || '/' || recipient_domain || '/' || count, ' ' ORDER BY sender, day, recipient_domain) FROM rebound.sent_volume")" \
	"alice/yahoo.com/1000 alice/gmail.com/50 alice/yahoo.com/200 bob//1000 bob/example.net/7"
check_rc "import again" 1 "$REBOUND" volume import "$TMP/vol.csv"
check "re-import is idempotent (no sums)" "$(q "SELECT sum(count) FROM rebound.sent_volume")" 2257
printf 'bob,%s,example.net,0\n' "$D" >"$TMP/vol2.csv"
check_rc "a corrected count" 0 "$REBOUND" volume import "$TMP/vol2.csv"
check "replaces the stored one" "$(q "SELECT count FROM rebound.sent_volume WHERE sender = 'bob' AND recipient_domain = 'example.net'")" 0
printf 'sending_ip,day,recipient_domain,count\n198.51.100.10,%s,,250\n300.1.1.1,%s,,5\n' "$D" "$D" >"$TMP/ip.csv"
check_rc "volume import --by ip" 1 "$REBOUND" volume import --by ip "$TMP/ip.csv"
check "a bad IP is reported" "$(grep -c 'ip.csv:3: not an IP address' "$TMP/err")" 1
check_rc "volume import of a missing file" 1 "$REBOUND" volume import "$TMP/nope.csv"

# ---- reputation, against hand-computed figures ----
rep() { "$REBOUND" reputation --format csv "$@" | tr -d '\r' | tail -n +2 |
	cut -d, -f1-3,6-17; }
# entity_type,entity,window,sent,sent_fbl,complaints,hard,blocks,c%,h%,b%,cs,hs,bs,state
check "alice, 1 day: 1/200 complaints, 6/250 hard, 3/250 blocks" "$(rep --sender alice --window 1)" \
	"sender,alice,1,250,200,1,6,3,0.5000,2.4000,1.2000,block,warn,warn,block"
check "alice, 7 days: the same (day D-8 is outside)" "$(rep --sender alice --window 7)" \
	"sender,alice,7,250,200,1,6,3,0.5000,2.4000,1.2000,block,warn,warn,block"
check "alice, 30 days: 1/1200, 7/1250, 3/1250" "$(rep --sender alice --window 30)" \
	"sender,alice,30,1250,1200,1,7,3,0.0833,0.5600,0.2400,ok,ok,ok,ok"
check "bob: a total and no mail to FBL domains, so no complaint rate" "$(rep --sender bob --window 1)" \
	"sender,bob,1,1000,0,1,0,1,,0.0000,0.1000,,ok,ok,ok"
check "carol: no volume, counts shown, rates unknown" "$(rep --sender carol --window 1)" \
	"sender,carol,1,,,0,2,0,,,,,,,unknown"
check "IP 198.51.100.10 with its own volume" "$(rep --ip 198.51.100.10 --window 1)" \
	"ip,198.51.100.10,1,250,,1,6,3,,2.4000,1.2000,,warn,warn,warn"
check "--state block" "$("$REBOUND" reputation --state block --format csv | tail -n +2 | cut -d, -f2,3 | tr -d '\r' | paste -sd' ')" \
	"alice,1 alice,7"
conf "$TMP/th.conf" 'reputation = {' '  complaints = [1.0, 2.0, 20.0];' '  hard_bounces = [0.5, 1.0, 3.0];' '};'
check "configured thresholds" "$("$REBOUND" reputation -c "$TMP/th.conf" --sender alice --window 1 --format csv | tail -n +2 | cut -d, -f14-17 | tr -d '\r')" \
	"ok,throttle,warn,throttle"
conf "$TMP/fbl.conf" 'reputation = { fbl_domains = ["gmail.com"]; };'
check "configured FBL domains" "$("$REBOUND" reputation -c "$TMP/fbl.conf" --sender alice --window 1 --format csv | tail -n +2 | cut -d, -f7,11 | tr -d '\r')" \
	"50,2.0000"
check "the view uses the defaults" "$(q "SELECT state FROM rebound.v_reputation WHERE entity = 'carol' LIMIT 1")" unknown
check_rc "--window 2 is refused" 2 "$REBOUND" reputation --window 2

# ---- reports ----
report() { "$REBOUND" report "$@" --format csv | tr -d '\r' | tail -n +2; }
check "bounce-reasons" "$(report bounce-reasons --since "$D" | paste -sd' ')" \
	"$D,userunknown,recipient,8,8,8 $D,blocked,sender,4,0,4"
check "bounce-reasons --since the next day is empty" "$(report bounce-reasons --since "$D1")" ""
check "failures-by-domain with providers" "$(report failures-by-domain | cut -d, -f1-9 | paste -sd' ')" \
	"gmail.com,google,6,6,6,0,0,0,6 outlook.com,microsoft,4,0,0,4,0,0,4 example.org,other,2,2,2,0,0,0,2 yahoo.com,yahoo,1,1,1,0,0,0,1 example.net,other,0,0,0,0,0,1,1"
check "complaints by provider and sender" "$(report complaints | cut -d, -f1-7 | paste -sd' ')" \
	"yahoo,alice,1,1,0,0,2 yahoo,bob,1,0,0,0,1"
check "at-risk: nearest first" "$(report at-risk | head -n 2 | cut -d, -f1-5,9,10 | paste -sd' ')" \
	"sender,alice,1,complaints,0.5000,block,5.000 sender,alice,7,complaints,0.5000,block,5.000"
check "blocklists by the IP the block names" "$(report blocklists | cut -d, -f1,2,5-7 | sort | paste -sd' ')" \
	"198.51.100.10,microsoft-s3150,3,t,1 198.51.100.20,microsoft-s3150,1,t,1"
check "deferrals and expiries" "$(report deferrals | cut -d, -f1-5)" "$D,example.net,1,0,1"
check "quarantine" "$(report quarantine | cut -d, -f1,2)" "not-a-report,1"
"$REBOUND" report complaints --format json >"$TMP/c.json"
check "json output parses, numbers are numbers" \
	"$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), d[0]["complaints"] + 0, d[0]["provider"])' "$TMP/c.json")" "2 1 yahoo"
check "each report is a view too" \
	"$(q "SELECT (SELECT count(*) FROM rebound.v_bounce_reasons) || ' ' || (SELECT count(*) FROM rebound.v_failures_by_domain) || ' ' || (SELECT count(*) FROM rebound.v_complaints) || ' ' || (SELECT count(*) FROM rebound.v_blocklists) || ' ' || (SELECT count(*) FROM rebound.v_deferrals) || ' ' || (SELECT count(*) FROM rebound.v_quarantine)")" \
	"3 5 2 2 1 1"
check_rc "an unknown report" 2 "$REBOUND" report nope
check_rc "a bad --since" 2 "$REBOUND" report bounce-reasons --since yesterday
done_testing
