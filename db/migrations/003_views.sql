-- SPDX-License-Identifier: BSD-2-Clause
-- 003_views: first report views (any SQL client can use them), and the
-- partitions of the current and the next month made ahead of time.

-- Events by kind and reason (what tools/run.sh prints).
CREATE VIEW rebound.v_kind_reason AS
	SELECT e.kind, coalesce(e.reason, '-') AS reason,
	       count(*) AS events, count(DISTINCT e.message_fk) AS messages,
	       count(*) FILTER (WHERE e.hard) AS hard
	FROM rebound.event e
	GROUP BY 1, 2;

-- Quarantined messages by reason.
CREATE VIEW rebound.v_quarantine_reason AS
	SELECT reason, count(*) AS messages, sum(size) AS bytes,
	       max(received_at) AS last_received
	FROM rebound.quarantine
	WHERE released_at IS NULL
	GROUP BY 1;

-- Failures per sender and day, by whose fault (the input of reputation).
CREATE VIEW rebound.v_sender_day AS
	SELECT e.sender, (e.event_time AT TIME ZONE 'UTC')::date AS day,
	       count(*) FILTER (WHERE e.kind = 'bounce') AS bounces,
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.hard) AS hard_bounces,
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.fault = 'sender') AS sender_fault,
	       count(*) FILTER (WHERE e.kind = 'complaint') AS complaints
	FROM rebound.event e
	WHERE e.sender IS NOT NULL
	GROUP BY 1, 2;

SELECT rebound.ensure_event_partition(now());
SELECT rebound.ensure_event_partition(now() + interval '1 month');
