/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sources.c - source checkpoints and locks (see sources.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/sources.h"

int rb_db_source_lock(struct rb_db *db, const char *name, bool *held_r,
		      struct rb_error *err)
{
	const char *v[1] = {name};
	PGresult *r;

	*held_r = false;
	/* re-entrant: taking it again while we hold it only counts up,
	 * and every count goes with the session */
	r = rb_db_query(db,
			"SELECT pg_try_advisory_lock(hashtext('rebound:source:' || $1))",
			1, v, err);
	if (r == NULL)
		return -1;
	*held_r = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return 0;
}

static uint32_t to_u32(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	return (*end == '\0' && v <= UINT32_MAX) ? (uint32_t)v : 0;
}

int rb_db_source_load(struct rb_db *db, const char *name,
		      uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		      struct rb_error *err)
{
	const char *v[1] = {name};
	PGresult *r;

	*uidvalidity_r = 0;
	*last_uid_r = 0;
	r = rb_db_query(db,
			"SELECT uidvalidity, last_uid FROM rebound.source_state WHERE name = $1",
			1, v, err);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		*uidvalidity_r = to_u32(PQgetvalue(r, 0, 0));
		*last_uid_r = to_u32(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return 0;
}

int rb_db_source_save(struct rb_db *db, const char *name, const char *kind,
		      const char *feedback_loop, uint32_t uidvalidity,
		      uint32_t last_uid, unsigned long messages,
		      unsigned long reports, struct rb_error *err)
{
	char uv[16], lu[16], nm[24], nr[24];
	const char *v[7];
	PGresult *r;

	(void)snprintf(uv, sizeof(uv), "%u", uidvalidity);
	(void)snprintf(lu, sizeof(lu), "%u", last_uid);
	(void)snprintf(nm, sizeof(nm), "%lu", messages);
	(void)snprintf(nr, sizeof(nr), "%lu", reports);
	v[0] = name;
	v[1] = kind;
	v[2] = feedback_loop;
	v[3] = uv;
	v[4] = lu;
	v[5] = nm;
	v[6] = nr;
	r = rb_db_query(db,
			"INSERT INTO rebound.source_state AS s"
			" (name, kind, feedback_loop, uidvalidity, last_uid, messages,"
			"  last_message_at, last_report_at, updated_at)"
			" VALUES ($1, $2, $3, $4, $5, $6,"
			"  CASE WHEN $6::bigint > 0 THEN now() END,"
			"  CASE WHEN $7::bigint > 0 THEN now() END, now())"
			" ON CONFLICT (name) DO UPDATE SET"
			"  kind = EXCLUDED.kind, feedback_loop = EXCLUDED.feedback_loop,"
			"  uidvalidity = EXCLUDED.uidvalidity, last_uid = EXCLUDED.last_uid,"
			"  messages = s.messages + EXCLUDED.messages,"
			"  last_message_at = COALESCE(EXCLUDED.last_message_at, s.last_message_at),"
			"  last_report_at = COALESCE(EXCLUDED.last_report_at, s.last_report_at),"
			"  updated_at = now()",
			7, v, err);
	if (r == NULL)
		return -1;
	PQclear(r);
	return 0;
}
