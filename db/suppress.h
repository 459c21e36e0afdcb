/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/suppress.h - the suppression list for people and relays: list,
 * check, manual add and remove (both recorded in rebound.suppression_log,
 * which is append-only), and exports in the import formats of other
 * systems. "Active" means not removed and not expired at @now (NULL =
 * the server's now()).
 *
 * Every PGresult returned is owned by the caller (PQclear it).
 */
#ifndef REBOUND_DB_SUPPRESS_H
#define REBOUND_DB_SUPPRESS_H

#include <stdbool.h>
#include <stdio.h>

#include <libpq-fe.h>

#include "core/error.h"

struct rb_db;

struct rb_supp_filter {
	const char *scope;  /* exactly this scope; NULL = any */
	const char *sender; /* 'global' plus this sender's scope; NULL = any */
	const char *reason; /* reason or category; NULL = any */
	bool all;	    /* also removed and expired entries */
	const char *now;    /* timestamptz text; NULL = now() */
};

enum rb_export_fmt {
	RB_EXPORT_CSV,
	RB_EXPORT_NDJSON,
	RB_EXPORT_POSTFIX,
	RB_EXPORT_SES_CSV,
	RB_EXPORT_SES_JSON,
	RB_EXPORT_SPARKPOST,
	RB_EXPORT_MAILGUN,
	RB_EXPORT_MAILGUN_COMPLAINTS,
	RB_EXPORT_POSTMARK,
};

/* Maps a --format name to @fmt_r. Returns 0, or -1 when unknown. */
int rb_db_export_format(const char *name, enum rb_export_fmt *fmt_r);
/* The names rb_db_export_format knows, '|'-separated. */
extern const char rb_db_export_names[];

/* Returns (owned) the entries matching @f: scope, recipient, reason,
 * category, class, status, hits, first_seen, last_seen, expires_at,
 * source_event, added_by, note, removed_at, removed_by, removal_note. */
PGresult *rb_db_supp_list(struct rb_db *db, const struct rb_supp_filter *f,
			  struct rb_error *err);

/* Returns (owned) the active entries that stop mail to @addr: scope
 * 'global', and @sender's scope when @sender is not NULL. Columns: scope,
 * reason, category, since, expires_at, hits, source_event, note. No rows:
 * the address may be mailed. */
PGresult *rb_db_supp_check(struct rb_db *db, const char *addr,
			   const char *sender, const char *now,
			   struct rb_error *err);

/* Adds (or makes permanent again) a manual entry and logs it with @actor
 * and @note (may be NULL). @action_r receives "add" (new, or back after a
 * removal or expiry) or "update" (was active). Returns 0 or -1. */
int rb_db_supp_add(struct rb_db *db, const char *addr, const char *scope,
		   const char *reason, const char *actor, const char *note,
		   char action_r[16], struct rb_error *err);

/* Marks the active entries of @addr removed (in @scope, or in every scope
 * when @scope is NULL), keeping the rows, and logs each removal with
 * @actor and @note. @n_r receives how many. Returns 0 or -1. */
int rb_db_supp_remove(struct rb_db *db, const char *addr, const char *scope,
		      const char *actor, const char *note, unsigned long *n_r,
		      struct rb_error *err);

/* Writes the active entries matching @f to @out in @fmt (README
 * "Exports"); @n_r receives the number of entries written. Returns 0 or
 * -1 (database or write error). */
int rb_db_supp_export(struct rb_db *db, enum rb_export_fmt fmt,
		      const struct rb_supp_filter *f, FILE *out,
		      unsigned long *n_r, struct rb_error *err);

#endif
