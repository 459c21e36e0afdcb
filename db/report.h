/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/report.h - reputation and the report views, read through their SQL
 * functions (migration 004) with the thresholds and FBL domains of
 * rebound.conf. Every PGresult returned is owned by the caller.
 */
#ifndef REBOUND_DB_REPORT_H
#define REBOUND_DB_REPORT_H

#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

struct rb_db;

struct rb_rep_filter {
	const char *sender; /* entity_type sender, this entity */
	const char *ip;	    /* entity_type ip, this entity */
	const char *state;  /* ok, warn, throttle, block, unknown */
	const char *window; /* "1", "7", "30"; NULL = all */
	const char *now;    /* timestamptz text; NULL = now() */
};

/* Returns (owned) rebound.reputation() rows with @rc's thresholds. */
PGresult *rb_db_reputation(struct rb_db *db,
			   const struct rb_reputation_config *rc,
			   const struct rb_rep_filter *f, struct rb_error *err);

/* The report names, '|'-separated. */
extern const char rb_db_report_names[];

/* Returns (owned) report @name since @since (a date or timestamptz text;
 * NULL = all time). Fails with RB_E_USAGE for an unknown name. */
PGresult *rb_db_report(struct rb_db *db, const char *name, const char *since,
		       const struct rb_reputation_config *rc, const char *now,
		       struct rb_error *err);

/* Writes @rc's thresholds and domains as PostgreSQL array literals. */
int rb_db_rep_params(const struct rb_reputation_config *rc, char c[64],
		     char h[64], char b[64], char *fbl, size_t fbl_size);

#endif
