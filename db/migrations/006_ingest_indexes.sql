-- SPDX-License-Identifier: BSD-2-Clause
-- 006_ingest_indexes: the indexes of the event table for the suppression
-- policy that runs in every ingest transaction (db/policy.c, db/README.md
-- "Policy in the batch"), and one index less to maintain.

-- The soft-bounce window of a recipient: the policy reads the first
-- soft_count and the latest soft bounce of each soft recipient of a batch
-- within soft_days (ordered index scans, month partitions pruned by the
-- window). Partial: only soft candidates (a final bounce, not hard, the
-- recipient's fault) are indexed, so the other events cost nothing more
-- to insert. Without it the window was found through event_recipient and
-- event_reason_time and every soft bounce of the recipient was read.
CREATE INDEX event_soft_window ON rebound.event (recipient, event_time, id)
	WHERE kind = 'bounce' AND NOT hard AND fault = 'recipient';

-- event_message (message_fk) duplicates the leading column of the unique
-- key event_key (message_fk, recipient, idx, event_time), which serves
-- the same lookups (ON DELETE CASCADE from message); one index less to
-- update for every stored event.
DROP INDEX rebound.event_message;
