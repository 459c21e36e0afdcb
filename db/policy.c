/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/policy.c - the suppression policy and blocklist incidents, as two
 * set-based statements over the events the current ingest transaction
 * inserted (rb_new). See db/policy.h for the rules and README
 * "Suppression" for the table users read.
 */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "db/db.h"
#include "db/policy.h"

const char rb_db_policy_new_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rb_new (id int8, event_time"
	" timestamptz, kind text, recipient text, original_recipient text,"
	" reason text, hard boolean,"
	" fault text, blocklist text, sender text, sending_ip text,"
	" feedback_type text) ON COMMIT DELETE ROWS";

/* The soft-bounce predicate over rebound.event e for the recipient(s)
 * @rc, with $6 the scope and $7 the reasons, within the window of sn
 * (w.lo exclusive, sn.t1 inclusive). The partial index event_soft of
 * migration 006 serves it: (recipient, event_time, id), ordered. */
#define SOFT_EV(rc)                                                           \
	" e.recipient = " rc " AND e.kind = 'bounce' AND NOT e.hard"          \
	" AND e.fault = 'recipient' AND e.reason = ANY ($7::text[])"          \
	" AND ($6 = 'global' OR e.sender = sn.scope)"                         \
	" AND e.event_time > w.lo AND e.event_time <= sn.t1"

/*
 * $1 hard_scope, $2 hard_ttl_days, $3 complaint_scope, $4 complaint_types,
 * $5 complaint_ttl_days, $6 soft_scope, $7 soft_reasons, $8 soft_count,
 * $9 soft_days, $10 soft_ttl_days.
 *
 * c0: one candidate per qualifying new event (hard, complaint) or per
 * soft recipient whose window (soft_days ending with its latest new soft
 * bounce, after a manual removal; w.lo) holds soft_count distinct
 * messages. The window is read with short ordered index scans, not
 * aggregated: k holds its first soft_count events (t0 is the first),
 * l its latest (reason, ev). Fewer events than soft_count: not enough;
 * as many distinct messages (content keys) among the first ones: enough;
 * else (the same content stored under two source ids) the whole window
 * is counted. That is the same as counting the whole window every time,
 * which cost one message lookup per stored soft bounce of the recipient
 * (thousands a batch on the bench data);
 * a: one per (scope, recipient), the permanent candidate winning;
 * act: what happens to the current row: 'add' (new, or back after a
 * removal or expiry older than the events), 'update' (escalated to
 * permanent), 'hit', or nothing (the row was removed after the events).
 */
static const char suppress_sql[] =
	"WITH n AS (SELECT * FROM rb_new WHERE recipient LIKE '%_@_%'),"
	" c0 AS ("
	" SELECT CASE WHEN $1 = 'global' THEN 'global' ELSE n.sender END"
	" AS scope, lower(ad.addr) AS rcpt, 'hard'::text AS category,"
	" coalesce(n.reason, 'undefined') AS reason, n.id AS ev,"
	" n.event_time AS t0, n.event_time AS t1, 1::int8 AS hits,"
	" CASE WHEN $2::int > 0 THEN n.event_time"
	" + make_interval(days => $2::int) END AS exp"
	" FROM n CROSS JOIN LATERAL (SELECT n.recipient UNION"
	" SELECT n.original_recipient WHERE n.original_recipient LIKE '%_@_%'"
	" AND lower(n.original_recipient) <> lower(n.recipient)) ad (addr)"
	" WHERE $1 <> 'none'"
	" AND rebound.is_hard_failure(n.kind, n.hard, n.fault)"
	" UNION ALL"
	" SELECT CASE WHEN $3 = 'global' THEN 'global' ELSE n.sender END,"
	" lower(n.recipient), 'complaint', coalesce(n.feedback_type, 'abuse'),"
	" n.id, n.event_time, n.event_time, 1,"
	" CASE WHEN $5::int > 0 THEN n.event_time"
	" + make_interval(days => $5::int) END"
	" FROM n WHERE $3 <> 'none' AND n.kind = 'complaint'"
	" AND coalesce(n.feedback_type, 'abuse') = ANY ($4::text[])"
	" UNION ALL"
	" SELECT sn.scope, sn.rcpt, 'soft', l.reason, l.ev, k.t0, sn.t1,"
	" sn.hits, CASE WHEN $10::int > 0 THEN sn.t1"
	" + make_interval(days => $10::int) END"
	" FROM (SELECT CASE WHEN $6 = 'global' THEN 'global' ELSE n.sender"
	" END AS scope, lower(n.recipient) AS rcpt,"
	" array_agg(DISTINCT n.recipient) AS raws, count(*) AS hits,"
	" max(n.event_time) AS t1"
	" FROM n WHERE $6 <> 'none' AND n.kind = 'bounce' AND NOT n.hard"
	" AND n.fault = 'recipient' AND n.reason = ANY ($7::text[])"
	" GROUP BY 1, 2) sn"
	" LEFT JOIN rebound.suppression cur"
	" ON cur.scope = sn.scope AND cur.recipient = sn.rcpt"
	" CROSS JOIN LATERAL (SELECT greatest(cur.removed_at,"
	" sn.t1 - make_interval(days => $9::int)) AS lo) w"
	" CROSS JOIN LATERAL (SELECT min(f.event_time) AS t0,"
	" array_agg(f.message_fk) AS fks FROM (SELECT x.* FROM unnest(sn.raws)"
	" r (raw) CROSS JOIN LATERAL (SELECT e.event_time, e.id, e.message_fk"
	" FROM rebound.event e WHERE" SOFT_EV("r.raw")
	" ORDER BY e.event_time, e.id LIMIT greatest($8::int, 1)) x"
	" ORDER BY x.event_time, x.id LIMIT greatest($8::int, 1)) f) k"
	" LEFT JOIN LATERAL (SELECT x.reason, x.id AS ev FROM unnest(sn.raws)"
	" r (raw) CROSS JOIN LATERAL (SELECT e.reason, e.event_time, e.id"
	" FROM rebound.event e WHERE" SOFT_EV("r.raw")
	" ORDER BY e.event_time DESC, e.id DESC LIMIT 1) x"
	" ORDER BY x.event_time DESC, x.id DESC LIMIT 1) l ON true"
	" WHERE sn.scope IS NOT NULL AND CASE WHEN $8::int <= 0 THEN true"
	" WHEN coalesce(cardinality(k.fks), 0) < $8::int THEN false"
	" WHEN (SELECT count(DISTINCT m.content_key) FROM rebound.message m"
	" WHERE m.id = ANY (k.fks)) >= $8::int THEN true"
	" ELSE (SELECT count(DISTINCT m.content_key) FROM rebound.event e"
	" JOIN rebound.message m ON m.id = e.message_fk"
	" WHERE" SOFT_EV("ANY (sn.raws)") ") >= $8::int END),"
	" a AS ("
	" SELECT scope, rcpt,"
	" (array_agg(category ORDER BY exp IS NULL DESC, t1 DESC))[1]"
	" AS category,"
	" (array_agg(reason ORDER BY exp IS NULL DESC, t1 DESC))[1] AS reason,"
	" (array_agg(ev ORDER BY exp IS NULL DESC, t1 DESC))[1] AS ev,"
	" min(t0) AS t0, max(t1) AS t1, sum(hits)::int AS hits,"
	" CASE WHEN bool_or(exp IS NULL) THEN NULL ELSE max(exp) END AS exp"
	" FROM c0 WHERE scope IS NOT NULL GROUP BY scope, rcpt),"
	" act AS ("
	" SELECT a.*, CASE"
	" WHEN s.id IS NULL THEN 'add'"
	" WHEN s.removed_at IS NOT NULL THEN"
	" CASE WHEN s.removed_at < a.t1 THEN 'add' END"
	" WHEN s.expires_at < a.t0 THEN 'add'"
	" WHEN s.expires_at IS NOT NULL AND a.exp IS NULL THEN 'update'"
	" ELSE 'hit' END AS action"
	" FROM a LEFT JOIN rebound.suppression s"
	" ON s.scope = a.scope AND s.recipient = a.rcpt),"
	" up AS ("
	" INSERT INTO rebound.suppression AS s (scope, recipient, reason,"
	" category, source_event, first_seen, last_seen, hits, expires_at,"
	" added_by)"
	" SELECT scope, rcpt, reason, category, ev, t0, t1, hits, exp,"
	" 'policy:' || category FROM act WHERE action IS NOT NULL"
	" ON CONFLICT ON CONSTRAINT suppression_key DO UPDATE SET"
	" reason = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen OR (s.expires_at IS NOT NULL"
	" AND EXCLUDED.expires_at IS NULL) THEN EXCLUDED.reason"
	" ELSE s.reason END,"
	" category = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen OR (s.expires_at IS NOT NULL"
	" AND EXCLUDED.expires_at IS NULL) THEN EXCLUDED.category"
	" ELSE s.category END,"
	" source_event = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen OR (s.expires_at IS NOT NULL"
	" AND EXCLUDED.expires_at IS NULL) THEN EXCLUDED.source_event"
	" ELSE s.source_event END,"
	" added_by = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen OR (s.expires_at IS NOT NULL"
	" AND EXCLUDED.expires_at IS NULL) THEN EXCLUDED.added_by"
	" ELSE s.added_by END,"
	" first_seen = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen THEN EXCLUDED.first_seen"
	" ELSE least(s.first_seen, EXCLUDED.first_seen) END,"
	" last_seen = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen THEN EXCLUDED.last_seen"
	" ELSE greatest(s.last_seen, EXCLUDED.last_seen) END,"
	" hits = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen THEN EXCLUDED.hits"
	" ELSE s.hits + EXCLUDED.hits END,"
	" expires_at = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen THEN EXCLUDED.expires_at"
	" WHEN s.expires_at IS NULL OR EXCLUDED.expires_at IS NULL THEN NULL"
	" ELSE greatest(s.expires_at, EXCLUDED.expires_at) END,"
	" note = CASE WHEN s.removed_at IS NOT NULL"
	" OR s.expires_at < EXCLUDED.first_seen THEN NULL ELSE s.note END,"
	" removed_at = NULL, removed_by = NULL, removal_note = NULL"
	" WHERE s.removed_at IS NULL OR s.removed_at < EXCLUDED.last_seen"
	" RETURNING 1),"
	" lg AS ("
	" INSERT INTO rebound.suppression_log (action, scope, recipient,"
	" reason, actor, note, source_event)"
	" SELECT CASE WHEN action = 'add' THEN 'add' ELSE 'update' END,"
	" scope, rcpt, reason, 'policy:' || category,"
	" CASE WHEN action = 'update' THEN 'escalated to permanent' END, ev"
	" FROM act WHERE action IN ('add', 'update') RETURNING 1)"
	" SELECT (SELECT count(*) FROM act WHERE action = 'add'),"
	" (SELECT count(*) FROM act WHERE action IN ('hit', 'update')),"
	" (SELECT count(*) FROM up), (SELECT count(*) FROM lg)";

/* One open incident per (sending IP, blocklist): opened or hit by every
 * new event that names a blocklist, has a sending IP and is the sender's
 * fault: a list of domains found in the message (URIBL, SURBL, Spamhaus
 * DBL; fault "message") says nothing about the IP. */
static const char incident_sql[] =
	"INSERT INTO rebound.blocklist_incident AS b (sending_ip, blocklist,"
	" first_seen, last_seen, hits, sample_event)"
	" SELECT sending_ip, blocklist, min(event_time), max(event_time),"
	" count(*), max(id) FROM rb_new"
	" WHERE blocklist IS NOT NULL AND sending_ip IS NOT NULL"
	" AND fault = 'sender'"
	" GROUP BY sending_ip, blocklist"
	" ON CONFLICT (sending_ip, blocklist) WHERE resolved_at IS NULL"
	" DO UPDATE SET first_seen = least(b.first_seen, EXCLUDED.first_seen),"
	" last_seen = greatest(b.last_seen, EXCLUDED.last_seen),"
	" hits = b.hits + EXCLUDED.hits";

int rb_db_text_array(const char *const *v, size_t n, char *out, size_t size)
{
	size_t at = 0;

	if (size < 3)
		return -1;
	out[at++] = '{';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			out[at++] = ',';
		if (at + 1 >= size)
			return -1;
		out[at++] = '"';
		for (const char *p = v[i]; *p; p++) {
			if (at + 3 >= size)
				return -1;
			if (*p == '"' || *p == '\\')
				out[at++] = '\\';
			out[at++] = *p;
		}
		if (at + 2 >= size)
			return -1;
		out[at++] = '"';
	}
	if (at + 2 > size)
		return -1;
	out[at++] = '}';
	out[at] = '\0';
	return 0;
}

int rb_db_policy_prepare(struct rb_db *db, struct rb_error *err)
{
	PGconn *c = rb_db_conn(db);

	if (rb_db_check(db, PQprepare(c, "rb_suppress", suppress_sql, 0, NULL),
			PGRES_COMMAND_OK, "prepare suppression policy",
			err) < 0)
		return -1;
	return rb_db_check(db,
			   PQprepare(c, "rb_incident", incident_sql, 0, NULL),
			   PGRES_COMMAND_OK, "prepare blocklist incidents",
			   err);
}

static unsigned long ul_of(PGresult *r, int col)
{
	uint64_t v = 0;

	if (PQntuples(r) < 1 || PQnfields(r) <= col)
		return 0;
	return rb_parse_u64(PQgetvalue(r, 0, col), &v) == 0 ? (unsigned long)v
							    : 0;
}

int rb_db_policy_apply(struct rb_db *db, const struct rb_suppression_config *cfg,
		       struct rb_policy_stats *st_r, struct rb_error *err)
{
	char hard_ttl[24], compl_ttl[24], soft_count[24], soft_days[24],
		soft_ttl[24];
	char types[2048], reasons[2048];
	const char *vals[10];
	PGresult *r;

	if (rb_db_text_array((const char *const *)cfg->complaint_types,
			     cfg->n_complaint_types, types,
			     sizeof(types)) < 0 ||
	    rb_db_text_array((const char *const *)cfg->soft_reasons,
			     cfg->n_soft_reasons, reasons,
			     sizeof(reasons)) < 0)
		return rb_error_set(err, RB_E_CONFIG,
				    "suppression lists too long");
	(void)snprintf(hard_ttl, sizeof(hard_ttl), "%zu", cfg->hard_ttl_days);
	(void)snprintf(compl_ttl, sizeof(compl_ttl), "%zu",
		       cfg->complaint_ttl_days);
	(void)snprintf(soft_count, sizeof(soft_count), "%zu", cfg->soft_count);
	(void)snprintf(soft_days, sizeof(soft_days), "%zu", cfg->soft_days);
	(void)snprintf(soft_ttl, sizeof(soft_ttl), "%zu", cfg->soft_ttl_days);
	vals[0] = cfg->hard_scope;
	vals[1] = hard_ttl;
	vals[2] = cfg->complaint_scope;
	vals[3] = types;
	vals[4] = compl_ttl;
	vals[5] = cfg->soft_scope;
	vals[6] = reasons;
	vals[7] = soft_count;
	vals[8] = soft_days;
	vals[9] = soft_ttl;
	/* Per-recipient index lookups: nested loops are right here (the
	 * writer turns them off for its staging joins). One generic plan per
	 * connection: planning the statement (every month partition, three
	 * times) costs more than running it; partitions are still pruned at
	 * run time by each recipient's window. */
	if (rb_db_exec(db, "SET LOCAL enable_nestloop = on", err) < 0 ||
	    rb_db_exec(db, "SET LOCAL plan_cache_mode = force_generic_plan",
		       err) < 0)
		return -1;
	r = PQexecPrepared(rb_db_conn(db), "rb_suppress", 10, vals, NULL, NULL,
			   0);
	if (r != NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
		st_r->added += ul_of(r, 0);
		st_r->updated += ul_of(r, 1);
	}
	if (rb_db_check(db, r, PGRES_TUPLES_OK, "suppression policy", err) < 0)
		return -1;
	r = PQexecPrepared(rb_db_conn(db), "rb_incident", 0, NULL, NULL, NULL,
			   0);
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK) {
		uint64_t v = 0;

		if (rb_parse_u64(PQcmdTuples(r), &v) == 0)
			st_r->incidents += (unsigned long)v;
	}
	return rb_db_check(db, r, PGRES_COMMAND_OK, "blocklist incidents",
			   err);
}
