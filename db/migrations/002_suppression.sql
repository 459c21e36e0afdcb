-- SPDX-License-Identifier: BSD-2-Clause
-- 002_suppression: the tables the suppression, reputation and blocklist
-- work reads and writes (policy and commands come in a later change).

-- One row per (scope, recipient): scope is 'global' or a sender identity.
-- Recipients are stored lowercased. expires_at NULL = permanent. A removal
-- keeps the row (removed_at/by/note) so the history stays explainable.
CREATE TABLE rebound.suppression (
	id bigserial PRIMARY KEY,
	scope text NOT NULL,
	recipient text NOT NULL,
	reason text NOT NULL,
	source_event bigint,           -- rebound.event id (no FK: partitions age out)
	first_seen timestamptz NOT NULL DEFAULT now(),
	last_seen timestamptz NOT NULL DEFAULT now(),
	hits integer NOT NULL DEFAULT 1 CHECK (hits > 0),
	expires_at timestamptz,
	removed_at timestamptz,
	removed_by text,
	removal_note text,
	CONSTRAINT suppression_key UNIQUE (scope, recipient)
);
-- The relay's lookup: is this recipient suppressed globally or for sender?
CREATE INDEX suppression_recipient_active ON rebound.suppression (recipient)
	WHERE removed_at IS NULL;
CREATE INDEX suppression_expiry ON rebound.suppression (expires_at)
	WHERE expires_at IS NOT NULL AND removed_at IS NULL;

-- Every manual (and policy) add/remove, append-only: never updated, never
-- erased (enforced by the trigger below).
CREATE TABLE rebound.suppression_log (
	id bigserial PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT now(),
	action text NOT NULL CHECK (action IN ('add', 'remove', 'expire', 'update')),
	scope text NOT NULL,
	recipient text NOT NULL,
	reason text,
	actor text NOT NULL,           -- user name, or 'policy:<rule>'
	note text,
	source_event bigint
);
CREATE INDEX suppression_log_recipient ON rebound.suppression_log (recipient, at);

CREATE FUNCTION rebound.suppression_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'rebound.suppression_log is append-only'
		USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER suppression_log_no_update BEFORE UPDATE OR DELETE
	ON rebound.suppression_log
	FOR EACH ROW EXECUTE FUNCTION rebound.suppression_log_append_only();
CREATE TRIGGER suppression_log_no_truncate BEFORE TRUNCATE
	ON rebound.suppression_log
	FOR EACH STATEMENT EXECUTE FUNCTION rebound.suppression_log_append_only();

-- The relay's sent counts: the denominator of every rate. recipient_domain
-- '' is the sender's total for the day.
CREATE TABLE rebound.sent_volume (
	sender text NOT NULL,
	day date NOT NULL,
	recipient_domain text NOT NULL DEFAULT '',
	count bigint NOT NULL CHECK (count >= 0),
	CONSTRAINT sent_volume_key UNIQUE (sender, day, recipient_domain)
);
CREATE INDEX sent_volume_day ON rebound.sent_volume (day);

-- A sending IP named by a blocklist: one open incident per (ip, list).
CREATE TABLE rebound.blocklist_incident (
	id bigserial PRIMARY KEY,
	sending_ip text NOT NULL,
	blocklist text NOT NULL,
	first_seen timestamptz NOT NULL,
	last_seen timestamptz NOT NULL,
	hits integer NOT NULL DEFAULT 1 CHECK (hits > 0),
	sample_event bigint,           -- rebound.event id
	resolved_at timestamptz
);
CREATE UNIQUE INDEX blocklist_incident_open
	ON rebound.blocklist_incident (sending_ip, blocklist)
	WHERE resolved_at IS NULL;
CREATE INDEX blocklist_incident_time ON rebound.blocklist_incident (last_seen);
