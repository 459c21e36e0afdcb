/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/report.c - `rebound reputation` and `rebound report`: thin,
 * parameterised calls of the SQL functions of migration 004, so the
 * command and any SQL client see the same figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "db/db.h"
#include "db/policy.h"
#include "db/report.h"

const char rb_db_report_names[] =
	"bounce-reasons|failures-by-domain|complaints|at-risk|blocklists|"
	"deferrals|quarantine|feedback-loops";

static const struct {
	const char *name;
	const char *sql; /* $1 since */
} reports[] = {
	{"bounce-reasons", "SELECT * FROM rebound.report_bounce_reasons("
			   "coalesce($1::timestamptz, '-infinity'))"},
	{"failures-by-domain",
	 "SELECT * FROM rebound.report_failures_by_domain("
	 "coalesce($1::timestamptz, '-infinity'))"},
	{"complaints", "SELECT * FROM rebound.report_complaints("
		       "coalesce($1::timestamptz, '-infinity'))"},
	{"blocklists", "SELECT * FROM rebound.report_blocklists("
		       "coalesce($1::timestamptz, '-infinity'))"},
	{"deferrals", "SELECT * FROM rebound.report_deferrals("
		      "coalesce($1::timestamptz, '-infinity'))"},
	{"quarantine", "SELECT * FROM rebound.report_quarantine("
		       "coalesce($1::timestamptz, '-infinity'))"},
	/* per registered feedback-loop mailbox: when its last report came
	 * (--since is not used: a silent mailbox must show) */
	{"feedback-loops", "SELECT name, provider, kind, messages,"
			   " last_message_at, last_report_at, silent_for"
			   " FROM rebound.v_feedback_loops"
			   " WHERE $1::timestamptz IS NULL OR true"
			   " ORDER BY last_report_at NULLS FIRST, name"},
};

static const char reputation_sql[] =
	"SELECT * FROM rebound.reputation(coalesce($1::timestamptz, now()),"
	" $2::numeric[], $3::numeric[], $4::numeric[], $5::text[])"
	" WHERE (($6::text IS NULL AND $7::text IS NULL)"
	" OR (entity_type = 'sender' AND entity = $6)"
	" OR (entity_type = 'ip' AND entity = $7))"
	" AND ($8::text IS NULL OR state = $8)"
	" AND ($9::int IS NULL OR window_days = $9)";

/* at-risk takes the thresholds, not a start time. */
static const char at_risk_sql[] =
	"SELECT * FROM rebound.report_at_risk(coalesce($1::timestamptz, now()),"
	" $2::numeric[], $3::numeric[], $4::numeric[], $5::text[])";

static void triple(const double v[3], char out[64])
{
	(void)snprintf(out, 64, "{%.6g,%.6g,%.6g}", v[0], v[1], v[2]);
}

int rb_db_rep_params(const struct rb_reputation_config *rc, char c[64],
		     char h[64], char b[64], char *fbl, size_t fbl_size)
{
	triple(rc->complaint, c);
	triple(rc->hard, h);
	triple(rc->block, b);
	return rb_db_text_array((const char *const *)rc->fbl_domains,
				rc->n_fbl_domains, fbl, fbl_size);
}

PGresult *rb_db_reputation(struct rb_db *db,
			   const struct rb_reputation_config *rc,
			   const struct rb_rep_filter *f, struct rb_error *err)
{
	char c[64], h[64], b[64];
	size_t fbl_size = 64 + rc->n_fbl_domains * 520;
	char *fbl = rb_xmalloc(fbl_size);
	const char *v[9];
	PGresult *r = NULL;

	if (rb_db_rep_params(rc, c, h, b, fbl, fbl_size) < 0) {
		rb_error_set(err, RB_E_CONFIG, "reputation.fbl_domains too long");
		goto out;
	}
	v[0] = f->now;
	v[1] = c;
	v[2] = h;
	v[3] = b;
	v[4] = fbl;
	v[5] = f->sender;
	v[6] = f->ip;
	v[7] = f->state;
	v[8] = f->window;
	r = rb_db_query(db, reputation_sql, 9, v, err);
out:
	free(fbl);
	return r;
}

PGresult *rb_db_report(struct rb_db *db, const char *name, const char *since,
		       const struct rb_reputation_config *rc, const char *now,
		       struct rb_error *err)
{
	if (strcmp(name, "at-risk") == 0) {
		char c[64], h[64], b[64];
		size_t fbl_size = 64 + rc->n_fbl_domains * 520;
		char *fbl = rb_xmalloc(fbl_size);
		const char *v[5] = {now, c, h, b, fbl};
		PGresult *r = NULL;

		if (rb_db_rep_params(rc, c, h, b, fbl, fbl_size) == 0)
			r = rb_db_query(db, at_risk_sql, 5, v, err);
		else
			rb_error_set(err, RB_E_CONFIG,
				     "reputation.fbl_domains too long");
		free(fbl);
		return r;
	}
	for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
		if (strcmp(reports[i].name, name) == 0)
			return rb_db_query(db, reports[i].sql, 1, &since, err);
	}
	rb_error_set(err, RB_E_USAGE, "unknown report '%s' (%s)", name,
		     rb_db_report_names);
	return NULL;
}
