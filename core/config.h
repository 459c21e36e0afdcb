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
#include "core/net.h"
#include "core/limits.h"
#include "core/sources.h"

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

/* The suppression policy (db/policy.c applies it inside every ingest
 * transaction; see README "Suppression"). Scopes are "global", "sender"
 * (the event's sender) or "none" (the rule is off). A TTL of 0 days means
 * permanent. */
#define RB_DEF_SOFT_REASONS "mailboxfull", "suspend", "systemfull", "mailererror"
#define RB_DEF_COMPLAINT_TYPES "abuse", "fraud", "virus", "other", "opt-out"
#define RB_DEF_SOFT_COUNT     3
#define RB_DEF_SOFT_DAYS      7
#define RB_DEF_SOFT_TTL_DAYS  30

struct rb_suppression_config {
	char *hard_scope;	   /* "global" */
	size_t hard_ttl_days;	   /* 0 = permanent */
	char *complaint_scope;	   /* "sender" */
	char **complaint_types;	   /* ARF feedback types that suppress */
	size_t n_complaint_types;
	size_t complaint_ttl_days; /* 0 = permanent */
	char *soft_scope;	   /* "global" */
	char **soft_reasons;	   /* recipient-fault reasons counted */
	size_t n_soft_reasons;
	size_t soft_count;	   /* suppress after this many ... */
	size_t soft_days;	   /* ... within this many days */
	size_t soft_ttl_days;	   /* expiry after the last one; 0 = permanent */
};

/* Reputation thresholds in percent: warn, throttle, block. */
#define RB_DEF_FBL_DOMAINS                                                   \
	"yahoo.com", "ymail.com", "rocketmail.com", "aol.com", "aim.com",    \
		"verizon.net", "yahoo.co.uk", "yahoo.fr", "yahoo.de",        \
		"outlook.com", "hotmail.com", "live.com", "msn.com",         \
		"hotmail.co.uk", "hotmail.fr", "live.co.uk", "comcast.net",  \
		"cox.net", "fastmail.com", "fastmail.fm", "yandex.ru",       \
		"yandex.com", "laposte.net", "sfr.fr", "libero.it",          \
		"virgilio.it", "virginmedia.com", "xs4all.nl", "ziggo.nl",   \
		"bluewin.ch", "telenet.be", "uol.com.br", "terra.com.br",    \
		"zoho.com", "zohomail.com", "mail.ru", "inbox.ru", "list.ru", \
		"bk.ru"

struct rb_reputation_config {
	double complaint[3]; /* 0.1, 0.3, 0.5 */
	double hard[3];	     /* 2, 5, 10 */
	double block[3];     /* 1, 3, 5 */
	char **fbl_domains;  /* complaint-rate denominator domains */
	size_t n_fbl_domains;
};

struct rb_config {
	char *path; /* "" when built from defaults */
	struct rb_limits limits;
	char **tracking_headers; /* tried in order */
	size_t n_tracking_headers;
	char *verp; /* "" disables VERP decoding */
	struct rb_net *outbound; /* the relay's own sending addresses */
	size_t n_outbound;
	char **rule_files; /* user rule files loaded after the built-in ones */
	size_t n_rule_files;
	char *rules_dir; /* built-in rules directory; "" = compiled-in default */
	struct rb_database_config database;
	struct rb_suppression_config suppression;
	struct rb_reputation_config reputation;
	struct rb_run_config run; /* `rebound run`: sources and logging */
};

/* Returns (owned) the built-in defaults. */
struct rb_config *rb_config_default(void);
/* Loads @path. Returns (owned) config, or NULL with "file:line: why" in
 * @err. */
struct rb_config *rb_config_load(const char *path, struct rb_error *err);
void rb_config_free(struct rb_config **cp);

#endif
