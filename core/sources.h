/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/sources.h - the live sources of `rebound run` as configured in
 * rebound.conf:
 *
 *   sources = ( { name = "fbl-yahoo"; type = "imap"; host = ...; ... },
 *               { name = "bounces"; type = "maildir"; path = ...; } );
 *   run = { syslog = false; log_level = "info"; };
 *
 * Every key of a source is checked (unknown or mistyped keys are rejected
 * with file:line). Owned by struct rb_config; read-only after loading.
 */
#ifndef REBOUND_CORE_SOURCES_H
#define REBOUND_CORE_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

struct rb_source_config {
	char *name; /* unique; the key of checkpoints and locks */
	char *type; /* "imap" or "maildir" */
	unsigned line; /* where it is defined */
	/* IMAP */
	char *host;
	unsigned port;
	char *tls; /* "implicit", "starttls" ("none-for-tests-only") */
	char *ca_file;
	char *user;
	char *password_file;
	char *password_env;
	char *mailbox;
	char *processed_folder;
	char *quarantine_folder;
	char *notreport_folder; /* NULL: leave non-reports in place */
	bool idle;
	unsigned poll_interval;
	unsigned timeout;
	/* maildir */
	char *path;
	char *processed_path;
	char *quarantine_path;
	char *notreport_path; /* NULL: leave non-reports in place */
	/* both */
	unsigned batch;
	/* a feedback-loop mailbox: the provider programme it is registered
	 * with ("yahoo", "microsoft", "validity", ..., "any"); NULL = a
	 * bounce mailbox, where complaints are not trusted */
	char *feedback_loop;
	char **trusted_providers;
	size_t n_trusted_providers;
};

struct rb_run_config {
	bool syslog;
	char *log_level; /* "error", "warning", "notice", "info", "debug" */
	struct rb_source_config *sources;
	size_t n_sources;
};


/* Reads the "sources" list and the "run" group of @cfg into @out.
 * Returns 0, or -1 with "file:line: why" in @err. */
int rb_sources_load(void *cfg, const char *path, struct rb_run_config *out,
		    struct rb_error *err);
void rb_run_config_clear(struct rb_run_config *rc);

#endif
