/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/policy.h - the suppression policy and blocklist-incident upkeep, run
 * by the writer inside each ingest transaction, set-based over the events
 * that transaction inserted (TEMP table rb_new, filled by the writer's main
 * statement). Events already stored are never in rb_new, so re-ingesting a
 * message changes nothing.
 *
 * Rules (README "Suppression"): hard bounces (recipient's fault) -> scope
 * hard_scope, permanent unless hard_ttl_days; complaints of the configured
 * feedback types -> the event's sender (complaint_scope); soft bounces with
 * a reason of soft_reasons and fault recipient -> suppressed once
 * soft_count distinct messages fell within soft_days, until the last one +
 * soft_ttl_days; not-spam, auth-failure and every sender/message/network
 * fault never suppress. An entry removed by hand comes back only through an
 * event newer than its removal.
 */
#ifndef REBOUND_DB_POLICY_H
#define REBOUND_DB_POLICY_H

#include "core/config.h"
#include "core/error.h"

struct rb_db;

/* What one application of the policy changed. */
struct rb_policy_stats {
	unsigned long added;	 /* entries added or brought back */
	unsigned long updated;	 /* entries hit again or escalated */
	unsigned long incidents; /* blocklist incidents opened or hit */
};

/* SQL of the TEMP table the writer fills with the events it inserted. */
extern const char rb_db_policy_new_sql[];

/* Prepares the policy statements on the current connection (again after
 * each reconnect). Returns 0 or -1. */
int rb_db_policy_prepare(struct rb_db *db, struct rb_error *err);

/* Applies @cfg (borrowed) to the events in rb_new, inside the caller's
 * transaction; adds to @st_r. Returns 0 or -1 (RB_E_TEMP/RB_E_DB). */
int rb_db_policy_apply(struct rb_db *db, const struct rb_suppression_config *cfg,
		       struct rb_policy_stats *st_r, struct rb_error *err);

/* Writes @v (@n strings) as a PostgreSQL array literal into @out (size
 * @size). Returns 0, or -1 when it does not fit. */
int rb_db_text_array(const char *const *v, size_t n, char *out, size_t size);

#endif
