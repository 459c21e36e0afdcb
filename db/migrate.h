/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/migrate.h - numbered schema migrations (db/migrations/NNN_name.sql,
 * embedded at build time) and the rebound.schema_version table.
 *
 * Each migration runs in its own transaction together with its
 * schema_version row, under a session advisory lock, so concurrent
 * migrators and reruns are safe. A migration that has been applied is never
 * changed: its SHA-256 is recorded and checked on every run.
 */
#ifndef REBOUND_DB_MIGRATE_H
#define REBOUND_DB_MIGRATE_H

#include <stddef.h>

#include "core/error.h"

struct rb_db;

struct rb_migration {
	unsigned version; /* 1, 2, 3, ... */
	const char *name; /* from the file name */
	const char *sql;  /* the file's text */
	size_t len;
};

/* The embedded migrations, in version order (generated). */
extern const struct rb_migration rb_migrations[];
extern const size_t rb_n_migrations;

/* Stores in @version_r the highest applied version, 0 when the schema is
 * not installed. Returns 0 or -1. */
int rb_db_schema_version(struct rb_db *db, unsigned *version_r,
			 struct rb_error *err);

/* Applies the pending migrations up to @target (0 = the latest). @from_r
 * and @to_r (may be NULL) receive the version before and after. Fails
 * (RB_E_DB) when an applied migration's checksum differs from the
 * embedded one, or when the database is newer than this binary and
 * @target is 0. Returns 0 or -1. */
int rb_db_migrate(struct rb_db *db, unsigned target, unsigned *from_r,
		  unsigned *to_r, struct rb_error *err);

#endif
