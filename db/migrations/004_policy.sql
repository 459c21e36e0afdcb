-- SPDX-License-Identifier: BSD-2-Clause
-- 004_policy: what the suppression policy, reputation and reports need.
-- The policy itself runs in every ingest transaction (db/policy.c, with the
-- rules of rebound.conf); reputation and reports are SQL functions with a
-- view each, so any SQL client can use them (README "Reputation",
-- "Reports").

-- Which rule made an entry: hard, complaint, soft or manual; who added it
-- ('policy:hard', a user name) and the note given with a manual add.
ALTER TABLE rebound.suppression
	ADD COLUMN category text NOT NULL DEFAULT 'manual'
		CHECK (category IN ('hard', 'complaint', 'soft', 'manual')),
	ADD COLUMN added_by text,
	ADD COLUMN note text;

-- Sent counts per sending IP (the denominator of per-IP rates), as
-- rebound.sent_volume is per sender. recipient_domain '' is the day's total.
CREATE TABLE rebound.sent_volume_ip (
	sending_ip text NOT NULL,
	day date NOT NULL,
	recipient_domain text NOT NULL DEFAULT '',
	count bigint NOT NULL CHECK (count >= 0),
	CONSTRAINT sent_volume_ip_key UNIQUE (sending_ip, day, recipient_domain)
);
CREATE INDEX sent_volume_ip_day ON rebound.sent_volume_ip (day);
CREATE INDEX blocklist_incident_ip ON rebound.blocklist_incident (sending_ip, blocklist);

-- ---- predicates shared by the policy, reputation and reports ----

-- A hard bounce that is the recipient's: the address is dead. A failure
-- that is the sender's, the message's or the network's never is.
CREATE FUNCTION rebound.is_hard_failure(kind text, hard boolean, fault text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT kind = 'bounce' AND hard
	       AND coalesce(fault, 'unknown') NOT IN ('sender', 'message', 'network')
$$;

-- A final failure that is the sender's (blocks, reputation, auth, rate
-- limits): counted against the sender and the sending IP, never
-- suppressing the recipient.
CREATE FUNCTION rebound.is_sender_failure(kind text, fault text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT kind = 'bounce' AND fault = 'sender'
$$;

-- A complaint that counts in the complaint rate: kind complaint, not an
-- opt-out (an unsubscribe is not a spam complaint). not-spam and
-- auth-failure are other kinds.
CREATE FUNCTION rebound.is_complaint(kind text, feedback_type text)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT kind = 'complaint' AND coalesce(feedback_type, 'abuse') <> 'opt-out'
$$;

-- The default list of recipient domains whose providers send per-message
-- complaints (DOMAIN.md, "ISP feedback loops"): Yahoo/AOL/Verizon,
-- Microsoft consumer, Comcast, Cox, Validity-hosted ISPs, Zoho, Mail.ru.
-- Gmail and Apple send none. The complaint-rate denominator is the mail
-- sent to these domains (as SES counts it). rebound.conf
-- reputation.fbl_domains replaces it for `rebound reputation`.
CREATE FUNCTION rebound.fbl_domains() RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
	SELECT ARRAY['yahoo.com', 'ymail.com', 'rocketmail.com', 'aol.com',
		'aim.com', 'verizon.net', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de',
		'outlook.com', 'hotmail.com', 'live.com', 'msn.com',
		'hotmail.co.uk', 'hotmail.fr', 'live.co.uk', 'comcast.net',
		'cox.net', 'fastmail.com', 'fastmail.fm', 'yandex.ru',
		'yandex.com', 'laposte.net', 'sfr.fr', 'libero.it', 'virgilio.it',
		'virginmedia.com', 'xs4all.nl', 'ziggo.nl', 'bluewin.ch',
		'telenet.be', 'uol.com.br', 'terra.com.br', 'zoho.com',
		'zohomail.com', 'mail.ru', 'inbox.ru', 'list.ru', 'bk.ru']
$$;

-- The mailbox provider of a recipient domain, for the reports.
CREATE FUNCTION rebound.provider_of(domain text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN domain IS NULL THEN NULL
	WHEN domain IN ('gmail.com', 'googlemail.com') THEN 'google'
	WHEN domain ~ '^(yahoo|ymail|rocketmail)\.' OR domain IN ('aol.com',
		'aim.com', 'verizon.net') THEN 'yahoo'
	WHEN domain ~ '^(outlook|hotmail|live|msn|windowslive)\.'
		THEN 'microsoft'
	WHEN domain IN ('icloud.com', 'me.com', 'mac.com') THEN 'apple'
	WHEN domain = 'comcast.net' THEN 'comcast'
	WHEN domain = 'cox.net' THEN 'cox'
	WHEN domain IN ('mail.ru', 'inbox.ru', 'list.ru', 'bk.ru') THEN 'mailru'
	WHEN domain ~ '^yandex\.' THEN 'yandex'
	WHEN domain ~ '^(zoho|zohomail)\.' THEN 'zoho'
	WHEN domain ~ '^gmx\.' THEN 'gmx'
	WHEN domain = 'web.de' THEN 'webde'
	WHEN domain ~ '^fastmail\.' THEN 'fastmail'
	ELSE 'other' END
$$;

-- ---- suppression ----

-- Is an entry in force at @at? (not removed, not expired)
CREATE FUNCTION rebound.suppression_active(removed_at timestamptz,
	expires_at timestamptz, p_at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT removed_at IS NULL AND (expires_at IS NULL OR expires_at > p_at)
$$;

-- What an entry is for the ESPs' two-valued import formats: 'complaint'
-- (complaints, and manual entries whose reason says so) or 'bounce'.
CREATE FUNCTION rebound.suppression_class(category text, reason text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN category = 'complaint' OR (category = 'manual' AND
		reason IN ('complaint', 'abuse', 'fraud', 'opt-out',
			   'unsubscribe', 'spam')) THEN 'complaint'
	ELSE 'bounce' END
$$;

-- The entries in force now (the relay's view), with their source event's
-- SMTP code and diagnostic.
CREATE VIEW rebound.v_suppression AS
	SELECT s.scope, s.recipient, s.reason, s.category,
	       rebound.suppression_class(s.category, s.reason) AS class,
	       s.source_event, s.first_seen, s.last_seen, s.hits,
	       s.expires_at, s.added_by, s.note
	FROM rebound.suppression s
	WHERE rebound.suppression_active(s.removed_at, s.expires_at, now());

-- ---- reputation ----

-- ok / warn / throttle / block for @pct against thresholds @th (percent:
-- warn, throttle, block); NULL when the rate is unknown.
CREATE FUNCTION rebound.rate_state(pct numeric, th numeric[])
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN pct IS NULL THEN NULL
	WHEN pct >= th[3] THEN 'block'
	WHEN pct >= th[2] THEN 'throttle'
	WHEN pct >= th[1] THEN 'warn'
	ELSE 'ok' END
$$;

-- The worst known state of three; 'unknown' when none is known.
CREATE FUNCTION rebound.worst_state(a text, b text, c text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE
	WHEN 'block' IN (a, b, c) THEN 'block'
	WHEN 'throttle' IN (a, b, c) THEN 'throttle'
	WHEN 'warn' IN (a, b, c) THEN 'warn'
	WHEN 'ok' IN (a, b, c) THEN 'ok'
	ELSE 'unknown' END
$$;

-- Reputation per sender and per sending IP over the day windows
-- @windows ending with the UTC day of @at (window 1 = that day, 7 = it and
-- the six before). Counts come from rebound.event; the denominators from
-- rebound.sent_volume (senders) and rebound.sent_volume_ip (IPs): sent is
-- a day's '' row when present, else the sum of its per-domain rows;
-- sent_fbl is the mail to @fbl domains (NULL when only totals were
-- imported). Rates are percent, NULL when the denominator is missing or 0:
-- never invented. Thresholds are percent (warn, throttle, block).
CREATE FUNCTION rebound.reputation(
	p_at timestamptz DEFAULT now(),
	p_complaint numeric[] DEFAULT '{0.1,0.3,0.5}',
	p_hard numeric[] DEFAULT '{2,5,10}',
	p_block numeric[] DEFAULT '{1,3,5}',
	p_fbl text[] DEFAULT rebound.fbl_domains(),
	p_windows integer[] DEFAULT '{1,7,30}')
RETURNS TABLE (entity_type text, entity text, window_days integer,
	first_day date, last_day date, sent numeric, sent_fbl numeric,
	complaints bigint, hard_bounces bigint, blocks bigint,
	complaint_pct numeric, hard_pct numeric, block_pct numeric,
	complaint_state text, hard_state text, block_state text, state text)
LANGUAGE sql STABLE AS $$
WITH d AS (
	SELECT (p_at AT TIME ZONE 'UTC')::date AS today,
	       (SELECT max(x) FROM unnest(p_windows) x) AS maxw),
w AS (SELECT DISTINCT x AS n FROM unnest(p_windows) x WHERE x > 0),
ev AS (
	SELECT e.sender, e.sending_ip,
	       (e.event_time AT TIME ZONE 'UTC')::date AS day,
	       rebound.is_complaint(e.kind, c.feedback_type) AS is_c,
	       rebound.is_hard_failure(e.kind, e.hard, e.fault) AS is_h,
	       rebound.is_sender_failure(e.kind, e.fault) AS is_b
	FROM d, rebound.event e
	LEFT JOIN rebound.complaint c ON c.event_id = e.id
	WHERE e.event_time >= ((d.today - d.maxw + 1)::timestamp AT TIME ZONE 'UTC')
	  AND e.event_time < ((d.today + 1)::timestamp AT TIME ZONE 'UTC')),
evd AS (
	SELECT 'sender'::text AS t, sender AS k, day,
	       count(*) FILTER (WHERE is_c) AS c, count(*) FILTER (WHERE is_h) AS h,
	       count(*) FILTER (WHERE is_b) AS b
	FROM ev WHERE sender IS NOT NULL GROUP BY sender, day
	UNION ALL
	SELECT 'ip', sending_ip, day, count(*) FILTER (WHERE is_c),
	       count(*) FILTER (WHERE is_h), count(*) FILTER (WHERE is_b)
	FROM ev WHERE sending_ip IS NOT NULL GROUP BY sending_ip, day),
vol AS (
	SELECT 'sender'::text AS t, v.sender AS k, v.day,
	       coalesce(max(v.count) FILTER (WHERE v.recipient_domain = ''),
			sum(v.count) FILTER (WHERE v.recipient_domain <> '')) AS total,
	       sum(v.count) FILTER (WHERE v.recipient_domain = ANY (p_fbl)) AS fbl_sent,
	       bool_or(v.recipient_domain <> '') AS has_dom
	FROM d, rebound.sent_volume v
	WHERE v.day > d.today - d.maxw AND v.day <= d.today
	GROUP BY v.sender, v.day
	UNION ALL
	SELECT 'ip', v.sending_ip, v.day,
	       coalesce(max(v.count) FILTER (WHERE v.recipient_domain = ''),
			sum(v.count) FILTER (WHERE v.recipient_domain <> '')),
	       sum(v.count) FILTER (WHERE v.recipient_domain = ANY (p_fbl)),
	       bool_or(v.recipient_domain <> '')
	FROM d, rebound.sent_volume_ip v
	WHERE v.day > d.today - d.maxw AND v.day <= d.today
	GROUP BY v.sending_ip, v.day),
keys AS (SELECT t, k FROM evd UNION SELECT t, k FROM vol),
ea AS (
	SELECT keys.t, keys.k, w.n, coalesce(sum(evd.c), 0)::bigint AS c,
	       coalesce(sum(evd.h), 0)::bigint AS h,
	       coalesce(sum(evd.b), 0)::bigint AS b
	FROM keys CROSS JOIN w CROSS JOIN d
	LEFT JOIN evd ON evd.t = keys.t AND evd.k = keys.k
		AND evd.day > d.today - w.n
	GROUP BY keys.t, keys.k, w.n),
va AS (
	SELECT keys.t, keys.k, w.n, sum(vol.total) AS sent,
	       CASE WHEN bool_or(vol.has_dom) THEN coalesce(sum(vol.fbl_sent), 0)
	       END AS sent_fbl
	FROM keys CROSS JOIN w CROSS JOIN d
	LEFT JOIN vol ON vol.t = keys.t AND vol.k = keys.k
		AND vol.day > d.today - w.n
	GROUP BY keys.t, keys.k, w.n),
r AS (
	SELECT ea.t, ea.k, ea.n, va.sent, va.sent_fbl, ea.c, ea.h, ea.b,
	       round(100.0 * ea.c / nullif(va.sent_fbl, 0), 4) AS cp,
	       round(100.0 * ea.h / nullif(va.sent, 0), 4) AS hp,
	       round(100.0 * ea.b / nullif(va.sent, 0), 4) AS bp
	FROM ea JOIN va ON va.t = ea.t AND va.k = ea.k AND va.n = ea.n)
SELECT r.t, r.k, r.n, d.today - r.n + 1, d.today, r.sent, r.sent_fbl,
       r.c, r.h, r.b, r.cp, r.hp, r.bp,
       rebound.rate_state(r.cp, p_complaint),
       rebound.rate_state(r.hp, p_hard),
       rebound.rate_state(r.bp, p_block),
       rebound.worst_state(rebound.rate_state(r.cp, p_complaint),
			   rebound.rate_state(r.hp, p_hard),
			   rebound.rate_state(r.bp, p_block))
FROM r, d
ORDER BY r.t DESC, r.k, r.n
$$;

-- Reputation now, with the default thresholds and FBL domains.
CREATE VIEW rebound.v_reputation AS SELECT * FROM rebound.reputation();

-- ---- reports: a function with a start time each, and a view over all
-- time (README "Reports" lists the columns) ----

-- Final failures per UTC day and reason.
CREATE FUNCTION rebound.report_bounce_reasons(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (day date, reason text, fault text, bounces bigint,
	hard bigint, recipients bigint)
LANGUAGE sql STABLE AS $$
	SELECT (e.event_time AT TIME ZONE 'UTC')::date, coalesce(e.reason, '-'),
	       coalesce(e.fault, '-'), count(*), count(*) FILTER (WHERE e.hard),
	       count(DISTINCT lower(e.recipient))
	FROM rebound.event e
	WHERE e.kind = 'bounce' AND e.event_time >= p_since
	GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC, 2, 3
$$;
CREATE VIEW rebound.v_bounce_reasons AS
	SELECT * FROM rebound.report_bounce_reasons();

-- Failures and delays per recipient domain and its provider.
CREATE FUNCTION rebound.report_failures_by_domain(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (recipient_domain text, provider text, failures bigint,
	hard bigint, recipient_fault bigint, sender_fault bigint,
	other_fault bigint, delays bigint, recipients bigint,
	top_reason text, last_seen timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT e.recipient_domain, rebound.provider_of(e.recipient_domain),
	       count(*) FILTER (WHERE e.kind = 'bounce'),
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.hard),
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.fault = 'recipient'),
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.fault = 'sender'),
	       count(*) FILTER (WHERE e.kind = 'bounce' AND
				coalesce(e.fault, '-') NOT IN ('recipient', 'sender')),
	       count(*) FILTER (WHERE e.kind = 'delay'),
	       count(DISTINCT lower(e.recipient)),
	       mode() WITHIN GROUP (ORDER BY e.reason),
	       max(e.event_time)
	FROM rebound.event e
	WHERE e.kind IN ('bounce', 'delay') AND e.recipient_domain IS NOT NULL
	  AND e.event_time >= p_since
	GROUP BY 1 ORDER BY 3 DESC, 8 DESC, 1
$$;
CREATE VIEW rebound.v_failures_by_domain AS
	SELECT * FROM rebound.report_failures_by_domain();

-- Complaint-like reports per reporting provider and sender.
CREATE FUNCTION rebound.report_complaints(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (provider text, sender text, complaints bigint,
	opt_outs bigint, not_spam bigint, auth_failures bigint,
	recipients bigint, first_seen timestamptz, last_seen timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT coalesce(c.provider, '-'), coalesce(e.sender, '-'),
	       count(*) FILTER (WHERE rebound.is_complaint(e.kind, c.feedback_type)),
	       count(*) FILTER (WHERE e.kind = 'complaint' AND c.feedback_type = 'opt-out'),
	       count(*) FILTER (WHERE e.kind = 'not-spam'),
	       count(*) FILTER (WHERE e.kind = 'auth-failure'),
	       count(DISTINCT lower(e.recipient)), min(e.event_time),
	       max(e.event_time)
	FROM rebound.event e JOIN rebound.complaint c ON c.event_id = e.id
	WHERE e.event_time >= p_since
	GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2
$$;
CREATE VIEW rebound.v_complaints AS SELECT * FROM rebound.report_complaints();

-- Senders and IPs nearest to or over a threshold: one row per entity,
-- window and known rate, ratio = rate / warn threshold, highest first.
CREATE FUNCTION rebound.report_at_risk(
	p_at timestamptz DEFAULT now(),
	p_complaint numeric[] DEFAULT '{0.1,0.3,0.5}',
	p_hard numeric[] DEFAULT '{2,5,10}',
	p_block numeric[] DEFAULT '{1,3,5}',
	p_fbl text[] DEFAULT rebound.fbl_domains())
RETURNS TABLE (entity_type text, entity text, window_days integer,
	metric text, pct numeric, warn_pct numeric, throttle_pct numeric,
	block_pct numeric, state text, ratio numeric)
LANGUAGE sql STABLE AS $$
	SELECT r.entity_type, r.entity, r.window_days, m.metric, m.pct,
	       m.th[1], m.th[2], m.th[3], rebound.rate_state(m.pct, m.th),
	       round(m.pct / nullif(m.th[1], 0), 3)
	FROM rebound.reputation(p_at, p_complaint, p_hard, p_block, p_fbl) r
	CROSS JOIN LATERAL (VALUES
		('complaints', r.complaint_pct, p_complaint),
		('hard_bounces', r.hard_pct, p_hard),
		('blocks', r.block_pct, p_block)) AS m(metric, pct, th)
	WHERE m.pct IS NOT NULL
	ORDER BY 10 DESC NULLS LAST, 5 DESC, 1, 2, 3
$$;
CREATE VIEW rebound.v_at_risk AS SELECT * FROM rebound.report_at_risk();

-- Blocklist incidents per sending IP and list, with the senders whose mail
-- was blocked.
CREATE FUNCTION rebound.report_blocklists(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (sending_ip text, blocklist text, first_seen timestamptz,
	last_seen timestamptz, hits integer, open boolean, senders bigint)
LANGUAGE sql STABLE AS $$
	SELECT b.sending_ip, b.blocklist, b.first_seen, b.last_seen, b.hits,
	       b.resolved_at IS NULL,
	       (SELECT count(DISTINCT e.sender) FROM rebound.event e
		WHERE e.sending_ip = b.sending_ip AND e.blocklist = b.blocklist
		  AND e.event_time >= b.first_seen AND e.event_time <= b.last_seen)
	FROM rebound.blocklist_incident b
	WHERE b.last_seen >= p_since
	ORDER BY b.last_seen DESC, 1, 2
$$;
CREATE VIEW rebound.v_blocklists AS SELECT * FROM rebound.report_blocklists();

-- Deferrals (delay DSNs) and expiries (final failures with reason
-- expired) per UTC day and recipient domain.
CREATE FUNCTION rebound.report_deferrals(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (day date, recipient_domain text, delays bigint,
	expired bigint, recipients bigint, top_reason text)
LANGUAGE sql STABLE AS $$
	SELECT (e.event_time AT TIME ZONE 'UTC')::date,
	       coalesce(e.recipient_domain, '-'),
	       count(*) FILTER (WHERE e.kind = 'delay'),
	       count(*) FILTER (WHERE e.kind = 'bounce' AND e.reason = 'expired'),
	       count(DISTINCT lower(e.recipient)),
	       mode() WITHIN GROUP (ORDER BY e.reason)
	FROM rebound.event e
	WHERE (e.kind = 'delay' OR (e.kind = 'bounce' AND e.reason = 'expired'))
	  AND e.event_time >= p_since
	GROUP BY 1, 2 ORDER BY 1, 3 DESC, 2
$$;
CREATE VIEW rebound.v_deferrals AS SELECT * FROM rebound.report_deferrals();

-- The quarantine (not yet released) per reason.
CREATE FUNCTION rebound.report_quarantine(p_since timestamptz DEFAULT '-infinity')
RETURNS TABLE (reason text, messages bigint, bytes numeric,
	first_received timestamptz, last_received timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT q.reason, count(*), sum(q.size), min(q.received_at),
	       max(q.received_at)
	FROM rebound.quarantine q
	WHERE q.released_at IS NULL AND q.received_at >= p_since
	GROUP BY 1 ORDER BY 2 DESC, 1
$$;
CREATE VIEW rebound.v_quarantine AS SELECT * FROM rebound.report_quarantine();
