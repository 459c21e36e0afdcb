/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_out.h - what the suppression, reputation, report and volume
 * commands share: opening the configured database (schema 4 or later
 * required), exit statuses, and printing a result as a table, CSV, JSON
 * or NDJSON.
 */
#ifndef REBOUND_CLI_CMD_OUT_H
#define REBOUND_CLI_CMD_OUT_H

#include <stdio.h>

#include <libpq-fe.h>

#include "core/config.h"
#include "core/error.h"

struct rb_db;

enum rb_out_fmt { RB_OUT_TABLE, RB_OUT_CSV, RB_OUT_JSON, RB_OUT_NDJSON };

struct rb_cmd_ctx {
	struct rb_config *cfg;
	struct rb_db *db;
};

/* Maps table|csv|json|ndjson to @fmt_r. Returns 0 or -1. */
int rb_out_format(const char *name, enum rb_out_fmt *fmt_r);

/* Prints every row of @r (borrowed): a table (NULL as '-'), RFC 4180 CSV
 * with a header, a JSON array of objects, or one object per line. */
void rb_out_result(FILE *fp, PGresult *r, enum rb_out_fmt fmt);

/* Loads @conf (NULL = defaults), connects and checks that the schema has
 * migration 4. Returns 0, or the exit status (1 config, 75 database) after
 * printing why as "rebound: @cmd: ...". */
int rb_cmd_open(struct rb_cmd_ctx *ctx, const char *conf, const char *cmd);
void rb_cmd_close(struct rb_cmd_ctx *ctx);

/* The exit status for a failure: 75 transient/database, 2 usage, else 1. */
int rb_cmd_exit(const struct rb_error *err);

/* "As of" time for expiry and windows: REBOUND_NOW (timestamptz text, for
 * tests and what-if runs) or NULL for the server's now(). */
const char *rb_cmd_now(void);

/* Who runs the command (for the suppression log): $USER or the uid. */
const char *rb_cmd_actor(void);

#endif
