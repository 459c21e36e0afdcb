#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""tests/pipe/smtp_send.py - send one message over SMTP, the way a remote
MTA hands a bounce to ours.

    smtp_send.py PORT FROM TO FILE   send FILE (FROM "" is the null sender
                                     of a bounce); prints the queue id
    smtp_send.py --rcpt PORT TO      only try RCPT TO; prints the reply

Exit status: 0 when the message was queued (or RCPT accepted), 1 when the
server refused it (the reply is printed), 2 on any other error."""
import re
import smtplib
import sys


def main(argv):
    try:
        if argv[1:2] == ["--rcpt"]:
            port, rcpt = int(argv[2]), argv[3]
            with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
                s.ehlo("client.test")
                s.mail("")
                code, resp = s.rcpt(rcpt)
                print(code, resp.decode("utf-8", "replace"))
                s.rset()
                return 0 if code < 300 else 1
        port, sender, rcpt, path = int(argv[1]), argv[2], argv[3], argv[4]
        with open(path, "rb") as f:
            data = f.read()
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.ehlo("client.test")
            code, resp = s.mail(sender)
            if code >= 300:
                print(code, resp.decode("utf-8", "replace"))
                return 1
            code, resp = s.rcpt(rcpt)
            if code >= 300:
                print(code, resp.decode("utf-8", "replace"))
                return 1
            code, resp = s.data(data)
            text = resp.decode("utf-8", "replace")
            if code >= 300:
                print(code, text)
                return 1
            m = re.search(r"queued as (\S+)", text)
            print(m.group(1) if m else text)
            return 0
    except (OSError, smtplib.SMTPException, IndexError, ValueError) as e:
        print("smtp_send: %s" % e, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
