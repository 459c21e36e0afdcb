#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# tests/db/gen.py - writes small bounce and complaint messages for the
# policy, reputation and report tests, one file per spec line read from
# standard input:
#   NAME|KIND|RECIPIENT|STATUS|SENDER|IP|WHEN|DIAGNOSTIC[|ORCPT]
# KIND: dsn (failed), delay (delayed), arf (STATUS = feedback type).
# ORCPT (dsn, delay): the Original-Recipient, the address the relay sent
# to when RECIPIENT is where a forward led.
# WHEN: an ISO date-time in UTC ("2024-06-01T12:00:00"), or "now", or
# "now+Nm" / "now-Nd" (minutes, days). SENDER goes into X-AuthUser of the
# original message, IP into its oldest Received line.
#   gen.py OUTDIR < specs
import datetime as dt
import email.utils
import os
import sys


def when(s):
    now = dt.datetime.now(dt.timezone.utc)
    if s == "now":
        return now
    if s.startswith("now"):
        sign = 1 if s[3] == "+" else -1
        n, unit = int(s[4:-1]), s[-1]
        d = dt.timedelta(minutes=n) if unit == "m" else dt.timedelta(days=n)
        return now + sign * d
    return dt.datetime.fromisoformat(s).replace(tzinfo=dt.timezone.utc)


DSN = """From: MAILER-DAEMON@mx.relay.test (Mail Delivery System)
To: bounces@relay.test
Subject: {subject}
Date: {date}
Message-Id: <{name}@mx.relay.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BB"

--BB
Content-Type: text/plain

Delivery to the following recipient {what}: {rcpt}

--BB
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.relay.test
Arrival-Date: {date}

Final-Recipient: rfc822; {rcpt}
{orcpt_line}Action: {action}
Status: {status}
Remote-MTA: dns; mx.{domain}
Diagnostic-Code: smtp; {diag}
Last-Attempt-Date: {date}

--BB
Content-Type: text/rfc822-headers

Received: from app.sender.test (app.sender.test [{ip}])
	by mx.relay.test with ESMTPSA id Q{name}; {date}
X-AuthUser: {sender}
From: news@sender.test
To: {to}
Subject: hello {name}
Message-ID: <orig-{name}@sender.test>
Date: {date}

--BB--
"""

ARF = """From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
To: fbl@relay.test
Subject: FW: hello {name}
Date: {date}
Message-ID: <{name}@arf.mail.yahoo.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="AA"

--AA
Content-Type: text/plain

This is an email abuse report for an email message received from IP {ip}.

--AA
Content-Type: message/feedback-report

Feedback-Type: {status}
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 1
Original-Mail-From: <bounces@relay.test>
Original-Rcpt-To: {rcpt}
Arrival-Date: {date}
Source-IP: {ip}
Reported-Domain: sender.test

--AA
Content-Type: message/rfc822

Received: from {ip} (EHLO mx.relay.test)
	by mta.mail.yahoo.com with SMTPS; {date}
X-AuthUser: {sender}
From: news@sender.test
To: {rcpt}
Subject: hello {name}
Message-ID: <orig-{name}@sender.test>
Date: {date}

hello
--AA--
"""


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for line in sys.stdin:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, kind, rcpt, status, sender, ip, w, diag, orcpt = \
            (line.split("|") + ["", ""])[:9]
        v = dict(name=name, rcpt=rcpt, status=status, sender=sender, ip=ip,
                 date=email.utils.format_datetime(when(w)),
                 domain=rcpt.split("@")[-1], diag=diag or ("550 " + status),
                 action="failed", what="failed",
                 subject="Undelivered Mail Returned to Sender",
                 to=orcpt or rcpt,
                 orcpt_line="Original-Recipient: rfc822; %s\n" % orcpt if orcpt else "")
        if kind == "delay":
            v.update(action="delayed", what="is delayed",
                     subject="Delayed Mail (still being retried)")
        text = (ARF if kind == "arf" else DSN).format(**v)
        with open(os.path.join(out, name + ".eml"), "w") as fp:
            fp.write(text)


main()
