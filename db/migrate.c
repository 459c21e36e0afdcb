/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/migrate.c - applies db/migrations in order, one transaction each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/str.h"
#include "db/db.h"
#include "db/migrate.h"
#include "db/sha256.h"

/* pg_advisory_lock key of `rebound db migrate` ("rbmigr"). */
#define RB_MIGRATE_LOCK "7233616779"

static const char bootstrap_sql[] =
	"CREATE SCHEMA IF NOT EXISTS rebound;"
	"CREATE TABLE IF NOT EXISTS rebound.schema_version ("
	" version integer PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static void hex_digest(const struct rb_migration *m, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char d[RB_SHA256_LEN];

	rb_sha256(m->sql, m->len, d);
	for (size_t i = 0; i < RB_SHA256_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[64] = '\0';
}

int rb_db_schema_version(struct rb_db *db, unsigned *version_r,
			 struct rb_error *err)
{
	PGresult *r;
	uint32_t v = 0;

	r = rb_db_query(db,
			"SELECT CASE WHEN to_regclass('rebound.schema_version')"
			" IS NULL THEN NULL ELSE 1 END",
			0, NULL, err);
	if (r == NULL)
		return -1;
	if (PQgetisnull(r, 0, 0)) {
		PQclear(r);
		*version_r = 0;
		return 0;
	}
	PQclear(r);
	r = rb_db_query(db,
			"SELECT coalesce(max(version), 0) "
			"FROM rebound.schema_version",
			0, NULL, err);
	if (r == NULL)
		return -1;
	if (rb_parse_u32(PQgetvalue(r, 0, 0), &v) < 0) {
		PQclear(r);
		return rb_error_set(err, RB_E_DB, "bad schema version");
	}
	PQclear(r);
	*version_r = v;
	return 0;
}

/* Compares the recorded checksums with the embedded migrations. */
static int verify_applied(struct rb_db *db, unsigned *current_r,
			  struct rb_error *err)
{
	PGresult *r = rb_db_query(db,
				  "SELECT version, checksum "
				  "FROM rebound.schema_version ORDER BY version",
				  0, NULL, err);
	unsigned current = 0;

	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		uint32_t v;
		char want[65];

		if (rb_parse_u32(PQgetvalue(r, i, 0), &v) < 0 || v == 0) {
			PQclear(r);
			return rb_error_set(err, RB_E_DB,
					    "bad row in schema_version");
		}
		if (v > current)
			current = v;
		if (v > rb_n_migrations)
			continue; /* newer than this binary: checked below */
		hex_digest(&rb_migrations[v - 1], want);
		if (strcmp(want, PQgetvalue(r, i, 1)) != 0) {
			rb_error_set(err, RB_E_DB,
				     "migration %03u_%s was changed after it "
				     "was applied (checksum mismatch)",
				     v, rb_migrations[v - 1].name);
			PQclear(r);
			return -1;
		}
	}
	PQclear(r);
	*current_r = current;
	return 0;
}

static int apply_one(struct rb_db *db, const struct rb_migration *m,
		     struct rb_error *err)
{
	char ver[16], sum[65], what[96];
	const char *params[3];

	(void)snprintf(ver, sizeof(ver), "%u", m->version);
	(void)snprintf(what, sizeof(what), "migration %03u_%s", m->version,
		       m->name);
	hex_digest(m, sum);
	params[0] = ver;
	params[1] = m->name;
	params[2] = sum;
	if (rb_db_exec(db, "BEGIN", err) < 0)
		return -1;
	if (rb_db_check(db, PQexec(rb_db_conn(db), m->sql), PGRES_COMMAND_OK,
			what, err) < 0)
		goto fail;
	if (rb_db_check(db,
			PQexecParams(rb_db_conn(db),
				     "INSERT INTO rebound.schema_version "
				     "(version, name, checksum) "
				     "VALUES ($1, $2, $3)",
				     3, NULL, params, NULL, NULL, 0),
			PGRES_COMMAND_OK, what, err) < 0)
		goto fail;
	if (rb_db_exec(db, "COMMIT", err) < 0)
		goto fail;
	rb_log(RB_LOG_NOTICE, "db: applied %s", what);
	return 0;
fail:
	rb_db_rollback(db);
	return -1;
}

int rb_db_migrate(struct rb_db *db, unsigned target, unsigned *from_r,
		  unsigned *to_r, struct rb_error *err)
{
	unsigned current = 0;
	int ret = -1;

	if (target == 0)
		target = (unsigned)rb_n_migrations;
	if (target > rb_n_migrations)
		return rb_error_set(err, RB_E_USAGE,
				    "no migration %u (latest is %zu)", target,
				    rb_n_migrations);
	if (rb_db_exec(db, "SELECT pg_advisory_lock(" RB_MIGRATE_LOCK ")",
		       err) < 0)
		return -1;
	if (rb_db_exec(db, "BEGIN", err) < 0 ||
	    rb_db_exec(db, bootstrap_sql, err) < 0 ||
	    rb_db_exec(db, "COMMIT", err) < 0) {
		rb_db_rollback(db);
		goto out;
	}
	if (verify_applied(db, &current, err) < 0)
		goto out;
	if (from_r != NULL)
		*from_r = current;
	if (current > rb_n_migrations) {
		rb_error_set(err, RB_E_DB,
			     "database schema version %u is newer than this "
			     "rebound (%zu)",
			     current, rb_n_migrations);
		goto out;
	}
	while (current < target) {
		if (apply_one(db, &rb_migrations[current], err) < 0)
			goto out;
		current++;
	}
	if (to_r != NULL)
		*to_r = current;
	ret = 0;
out:
	if (!rb_db_lost(db))
		PQclear(PQexec(rb_db_conn(db),
			       "SELECT pg_advisory_unlock(" RB_MIGRATE_LOCK ")"));
	return ret;
}
