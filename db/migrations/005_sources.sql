-- SPDX-License-Identifier: BSD-2-Clause
-- 005_sources: where each live source stands (rebound run), and when each
-- feedback-loop mailbox last delivered a report.

CREATE TABLE rebound.source_state (
    name            text PRIMARY KEY,          -- sources[].name in rebound.conf
    kind            text NOT NULL,             -- imap | maildir
    feedback_loop   text,                      -- provider programme, NULL = bounce mailbox
    uidvalidity     bigint NOT NULL DEFAULT 0, -- IMAP checkpoint
    last_uid        bigint NOT NULL DEFAULT 0,
    messages        bigint NOT NULL DEFAULT 0, -- messages committed from this source
    last_message_at timestamptz,               -- last message committed
    last_report_at  timestamptz,               -- last complaint-type report committed
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Registered feedback-loop mailboxes and how long since their last report:
-- a mailbox that falls silent usually means a lapsed FBL registration.
CREATE VIEW rebound.v_feedback_loops AS
SELECT name, feedback_loop AS provider, kind, messages, last_message_at,
       last_report_at, now() - last_report_at AS silent_for
  FROM rebound.source_state
 WHERE feedback_loop IS NOT NULL;
