/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/config.h - rebound.conf (libconfig syntax) loaded into a typed,
 * immutable struct. Unknown or mistyped keys are rejected with file:line.
 *
 * Ownership: rb_config_load returns an owned struct freed with
 * rb_config_free. After loading it is read-only and may be shared by threads.
 */
#ifndef REBOUND_CORE_CONFIG_H
#define REBOUND_CORE_CONFIG_H

#include <stddef.h>

#include "core/error.h"
#include "core/limits.h"

/* Default tracking headers: the relay's own per-sender headers. */
#define RB_DEF_TRACKING_HEADERS "X-AuthUser", "X-Sender-Id", "X-Rebound-Sender"
/* Default VERP format of the bounce address's local part. */
#define RB_DEF_VERP "bounces+{sender}={domain}"

/* The database group (db/ reads it; core only loads it). */
#define RB_DEF_DB_BATCH_SIZE	 500
#define RB_DEF_DB_RETRIES	 5
#define RB_DEF_DB_RETRY_DELAY_MS 200

struct rb_database_config {
	char *conninfo;	       /* libpq conninfo; "" = libpq defaults */
	size_t batch_size;     /* messages per transaction */
	size_t keep_raw_days;  /* keep raw bytes of stored reports; 0 = never */
	size_t retries;	       /* connection attempts before giving up */
	size_t retry_delay_ms; /* first backoff step, doubled each attempt */
};

struct rb_config {
	char *path; /* "" when built from defaults */
	struct rb_limits limits;
	char **tracking_headers; /* tried in order */
	size_t n_tracking_headers;
	char *verp; /* "" disables VERP decoding */
	char **rule_files; /* user rule files loaded after the built-in ones */
	size_t n_rule_files;
	char *rules_dir; /* built-in rules directory; "" = compiled-in default */
	struct rb_database_config database;
};

/* Returns (owned) the built-in defaults. */
struct rb_config *rb_config_default(void);
/* Loads @path. Returns (owned) config, or NULL with "file:line: why" in
 * @err. */
struct rb_config *rb_config_load(const char *path, struct rb_error *err);
void rb_config_free(struct rb_config **cp);

#endif
