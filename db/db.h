/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/db.h - one PostgreSQL connection with reconnect and backoff.
 *
 * struct rb_db owns its PGconn. Server-side state (prepared statements,
 * TEMP tables) dies with a connection, so users compare
 * rb_db_generation() with the value they prepared under and prepare again
 * when it changed. One rb_db per thread; never shared.
 */
#ifndef REBOUND_DB_DB_H
#define REBOUND_DB_DB_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

/* Environment variable that overrides database.conninfo. */
#define RB_DB_ENV "REBOUND_DATABASE"

struct rb_db;

/* Returns (owned) an unconnected handle for @cfg (conninfo, retries and
 * backoff from the database group; REBOUND_DATABASE wins over the file). */
struct rb_db *rb_db_new(const struct rb_database_config *cfg);
void rb_db_free(struct rb_db **dbp);

/* Connects, retrying with exponential backoff (database.retries attempts,
 * starting at database.retry_delay_ms and doubling). Sets the session to
 * UTC and ISO dates. Returns 0, or -1 with RB_E_TEMP in @err when the
 * server stayed unreachable. */
int rb_db_connect(struct rb_db *db, struct rb_error *err);

/* Drops the connection and connects again as rb_db_connect does. */
int rb_db_reconnect(struct rb_db *db, struct rb_error *err);

/* Returns (borrowed) the live connection, NULL before rb_db_connect. */
PGconn *rb_db_conn(struct rb_db *db);

/* Bumped by every successful (re)connect. */
unsigned rb_db_generation(const struct rb_db *db);

/* Sleeps the backoff for retry number @attempt (0-based). */
void rb_db_backoff(const struct rb_db *db, unsigned attempt);

/* Number of retries configured. */
unsigned rb_db_retries(const struct rb_db *db);

/* Checks @r (which is PQclear'd here, NULL allowed) against @want and fills
 * @err when it does not match: RB_E_TEMP when the connection is gone or
 * the failure is retryable (SQLSTATE class 08, 57P01-03, 40001, 40P01,
 * 26000), RB_E_DB otherwise. @what names the statement. Returns 0 or -1. */
int rb_db_check(struct rb_db *db, PGresult *r, ExecStatusType want,
		const char *what, struct rb_error *err);

/* Runs @sql (no parameters) expecting PGRES_COMMAND_OK or TUPLES_OK. */
int rb_db_exec(struct rb_db *db, const char *sql, struct rb_error *err);

/* Runs @sql with text parameters and returns (owned, PQclear it) the
 * result when its status is PGRES_TUPLES_OK or COMMAND_OK, else NULL with
 * @err set as rb_db_check does. */
PGresult *rb_db_query(struct rb_db *db, const char *sql, int n,
		      const char *const *values, struct rb_error *err);

/* Sends ROLLBACK when a transaction is open and the connection is alive. */
void rb_db_rollback(struct rb_db *db);

/* Is the connection gone (never made, or CONNECTION_BAD)? */
bool rb_db_lost(struct rb_db *db);

#endif
