/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/conn.c - connection, reconnect with exponential backoff, and result
 * checking that tells transient failures (retry) from permanent ones.
 * Every PGresult that enters this file is PQclear'd here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "db/db.h"

/* The longest single backoff step. */
#define RB_DB_MAX_BACKOFF_MS 30000u

struct rb_db {
	PGconn *conn;
	char *conninfo;
	unsigned retries;
	unsigned delay_ms;
	unsigned generation;
};

static void notice(void *arg, const char *message)
{
	(void)arg;
	rb_log(RB_LOG_DEBUG, "db notice: %s", message);
}

struct rb_db *rb_db_new(const struct rb_database_config *cfg)
{
	struct rb_db *db = rb_xcalloc(1, sizeof(*db));
	const char *env = getenv(RB_DB_ENV);

	db->conninfo = rb_xstrdup(env != NULL && *env != '\0'
					  ? env
					  : cfg->conninfo);
	db->retries = cfg->retries > 0 && cfg->retries < 1000
			      ? (unsigned)cfg->retries
			      : 1;
	db->delay_ms = cfg->retry_delay_ms < RB_DB_MAX_BACKOFF_MS
			       ? (unsigned)cfg->retry_delay_ms
			       : RB_DB_MAX_BACKOFF_MS;
	return db;
}

void rb_db_free(struct rb_db **dbp)
{
	struct rb_db *db;

	if (dbp == NULL || *dbp == NULL)
		return;
	db = *dbp;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
	*dbp = NULL;
}

void rb_db_backoff(const struct rb_db *db, unsigned attempt)
{
	unsigned long ms = db->delay_ms;
	struct timespec ts;

	for (unsigned i = 0; i < attempt && ms < RB_DB_MAX_BACKOFF_MS; i++)
		ms *= 2;
	if (ms > RB_DB_MAX_BACKOFF_MS)
		ms = RB_DB_MAX_BACKOFF_MS;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

unsigned rb_db_retries(const struct rb_db *db)
{
	return db->retries;
}

/* One attempt. The caller's conninfo comes last so it can override our
 * defaults (PQconnectdbParams with expand_dbname). */
static PGconn *connect_once(const struct rb_db *db)
{
	static const char *const keys[] = {
		"fallback_application_name", "connect_timeout", "keepalives",
		"options", "dbname", NULL};
	const char *vals[] = {"rebound", "5", "1",
			      "-c TimeZone=UTC -c DateStyle=ISO,MDY",
			      db->conninfo, NULL};

	return PQconnectdbParams(keys, vals, 1);
}

static void oneline(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	rb_str_trim(s);
}

int rb_db_connect(struct rb_db *db, struct rb_error *err)
{
	for (unsigned attempt = 0;; attempt++) {
		if (db->conn != NULL) {
			PQfinish(db->conn);
			db->conn = NULL;
		}
		db->conn = connect_once(db);
		if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK) {
			PQsetNoticeProcessor(db->conn, notice, NULL);
			db->generation++;
			return 0;
		}
		rb_error_set(err, RB_E_TEMP, "database unreachable: %s",
			     db->conn ? PQerrorMessage(db->conn)
				      : "out of memory");
		oneline(err->msg);
		if (attempt + 1 >= db->retries)
			return -1;
		rb_log(RB_LOG_WARN, "db: connect attempt %u failed: %s",
		       attempt + 1, err->msg);
		rb_db_backoff(db, attempt);
	}
}

int rb_db_reconnect(struct rb_db *db, struct rb_error *err)
{
	return rb_db_connect(db, err);
}

PGconn *rb_db_conn(struct rb_db *db)
{
	return db->conn;
}

unsigned rb_db_generation(const struct rb_db *db)
{
	return db->generation;
}

bool rb_db_lost(struct rb_db *db)
{
	return db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK;
}

static bool retryable(const char *state)
{
	if (state == NULL)
		return false;
	return strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
	       strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 ||
	       strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	       strcmp(state, "26000") == 0;
}

int rb_db_check(struct rb_db *db, PGresult *r, ExecStatusType want,
		const char *what, struct rb_error *err)
{
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	const char *state;
	const char *msg;

	if (st == want ||
	    (want == PGRES_COMMAND_OK && st == PGRES_TUPLES_OK)) {
		PQclear(r);
		return 0;
	}
	state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	msg = r ? PQresultErrorMessage(r) : "";
	if (msg == NULL || *msg == '\0')
		msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
	rb_error_set(err,
		     rb_db_lost(db) || retryable(state) ? RB_E_TEMP : RB_E_DB,
		     "%s: %s%s%s", what, state ? state : "",
		     state ? " " : "", msg);
	oneline(err->msg);
	PQclear(r);
	return -1;
}

int rb_db_exec(struct rb_db *db, const char *sql, struct rb_error *err)
{
	char what[32];

	if (db->conn == NULL)
		return rb_error_set(err, RB_E_TEMP, "not connected");
	/* the statement's first words name it in the error */
	rb_strlcpy(what, sql, sizeof(what));
	return rb_db_check(db, PQexec(db->conn, sql), PGRES_COMMAND_OK, what,
			   err);
}

PGresult *rb_db_query(struct rb_db *db, const char *sql, int n,
		      const char *const *values, struct rb_error *err)
{
	PGresult *r;
	ExecStatusType st;

	if (db->conn == NULL) {
		rb_error_set(err, RB_E_TEMP, "not connected");
		return NULL;
	}
	r = PQexecParams(db->conn, sql, n, NULL, values, NULL, NULL, 0);
	st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	(void)rb_db_check(db, r, PGRES_TUPLES_OK, "query", err);
	return NULL;
}

void rb_db_rollback(struct rb_db *db)
{
	if (rb_db_lost(db))
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_INTRANS ||
	    PQtransactionStatus(db->conn) == PQTRANS_INERROR)
		PQclear(PQexec(db->conn, "ROLLBACK"));
}
