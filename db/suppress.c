/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/suppress.c - list, check, manual add/remove and exports of
 * rebound.suppression. All SQL is parameterised; every PGresult made here
 * is cleared here unless it is returned.
 */
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/suppress.h"

const char rb_db_export_names[] =
	"csv|ndjson|postfix|ses-csv|ses-json|sparkpost|mailgun|"
	"mailgun-complaints|postmark";

static const struct {
	const char *name;
	enum rb_export_fmt fmt;
} formats[] = {
	{"csv", RB_EXPORT_CSV},
	{"ndjson", RB_EXPORT_NDJSON},
	{"postfix", RB_EXPORT_POSTFIX},
	{"ses-csv", RB_EXPORT_SES_CSV},
	{"ses-json", RB_EXPORT_SES_JSON},
	{"sparkpost", RB_EXPORT_SPARKPOST},
	{"mailgun", RB_EXPORT_MAILGUN},
	{"mailgun-complaints", RB_EXPORT_MAILGUN_COMPLAINTS},
	{"postmark", RB_EXPORT_POSTMARK},
};

int rb_db_export_format(const char *name, enum rb_export_fmt *fmt_r)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (strcmp(formats[i].name, name) == 0) {
			*fmt_r = formats[i].fmt;
			return 0;
		}
	}
	return -1;
}

#define NOW "coalesce($1::timestamptz, now())"

/* $1 now, $2 scope, $3 sender, $4 reason, $5 all */
static const char list_sql[] =
	"SELECT s.scope, s.recipient, s.reason, s.category,"
	" rebound.suppression_class(s.category, s.reason) AS class,"
	" CASE WHEN s.removed_at IS NOT NULL THEN 'removed'"
	" WHEN s.expires_at <= " NOW " THEN 'expired' ELSE 'active' END"
	" AS status, s.hits, s.first_seen, s.last_seen, s.expires_at,"
	" s.source_event, s.added_by, s.note, s.removed_at, s.removed_by,"
	" s.removal_note"
	" FROM rebound.suppression s"
	" WHERE ($2::text IS NULL OR s.scope = $2)"
	" AND ($3::text IS NULL OR s.scope IN ('global', $3))"
	" AND ($4::text IS NULL OR s.reason = $4 OR s.category = $4)"
	" AND ($5::boolean OR rebound.suppression_active(s.removed_at,"
	" s.expires_at, " NOW "))"
	" ORDER BY s.recipient, s.scope <> 'global', s.scope";

static const char check_sql[] =
	"SELECT s.scope, s.reason, s.category, s.first_seen AS since,"
	" s.expires_at, s.hits, s.source_event, s.note"
	" FROM rebound.suppression s"
	" WHERE s.recipient = lower($2)"
	" AND (s.scope = 'global' OR s.scope = $3)"
	" AND rebound.suppression_active(s.removed_at, s.expires_at, " NOW ")"
	" ORDER BY s.scope <> 'global', s.first_seen";

/* $1 scope, $2 address, $3 reason, $4 actor, $5 note. An active entry
 * stays (made permanent, hit); a removed or expired one comes back. */
static const char add_sql[] =
	"WITH cur AS (SELECT rebound.suppression_active(removed_at,"
	" expires_at, now()) AS active FROM rebound.suppression"
	" WHERE scope = $1 AND recipient = lower($2)),"
	" up AS (INSERT INTO rebound.suppression AS s (scope, recipient,"
	" reason, category, first_seen, last_seen, hits, added_by, note)"
	" VALUES ($1, lower($2), $3, 'manual', now(), now(), 1, $4, $5)"
	" ON CONFLICT ON CONSTRAINT suppression_key DO UPDATE SET"
	" reason = EXCLUDED.reason, category = 'manual',"
	" first_seen = CASE WHEN rebound.suppression_active(s.removed_at,"
	" s.expires_at, now()) THEN s.first_seen ELSE now() END,"
	" hits = CASE WHEN rebound.suppression_active(s.removed_at,"
	" s.expires_at, now()) THEN s.hits + 1 ELSE 1 END,"
	" last_seen = now(), expires_at = NULL, added_by = EXCLUDED.added_by,"
	" note = EXCLUDED.note, source_event = NULL, removed_at = NULL,"
	" removed_by = NULL, removal_note = NULL RETURNING 1),"
	" a AS (SELECT CASE WHEN coalesce((SELECT active FROM cur), false)"
	" THEN 'update' ELSE 'add' END AS action),"
	" lg AS (INSERT INTO rebound.suppression_log (action, scope,"
	" recipient, reason, actor, note)"
	" SELECT a.action, $1, lower($2), $3, $4, $5 FROM a RETURNING 1)"
	" SELECT action, (SELECT count(*) FROM up), (SELECT count(*) FROM lg)"
	" FROM a";

/* $1 scope (NULL = every scope), $2 address, $3 actor, $4 note */
static const char remove_sql[] =
	"WITH r AS (UPDATE rebound.suppression SET removed_at = now(),"
	" removed_by = $3, removal_note = $4"
	" WHERE recipient = lower($2) AND ($1::text IS NULL OR scope = $1)"
	" AND removed_at IS NULL"
	" RETURNING scope, recipient, reason, source_event),"
	" lg AS (INSERT INTO rebound.suppression_log (action, scope,"
	" recipient, reason, actor, note, source_event)"
	" SELECT 'remove', scope, recipient, reason, $3, $4, source_event"
	" FROM r RETURNING 1)"
	" SELECT count(*), (SELECT count(*) FROM lg) FROM r";

/* The export rows, complaint-class first per recipient (the ESP formats
 * keep one line per address). $1 now, $2 scope, $3 sender. */
static const char export_sql[] =
	"SELECT s.scope, s.recipient, s.reason, s.category,"
	" rebound.suppression_class(s.category, s.reason) AS class,"
	" s.source_event,"
	" to_char(s.first_seen, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	" to_char(s.last_seen, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), s.hits,"
	" to_char(s.expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
	" s.added_by, s.note, ev.reply_code, ev.status, ev.diagnostic,"
	" to_char(s.first_seen, 'Dy, DD Mon YYYY HH24:MI:SS \"UTC\"')"
	" FROM rebound.suppression s"
	" LEFT JOIN LATERAL (SELECT e.reply_code, e.status, e.diagnostic"
	" FROM rebound.event e WHERE e.id = s.source_event LIMIT 1) ev ON true"
	" WHERE rebound.suppression_active(s.removed_at, s.expires_at, " NOW ")"
	" AND ($2::text IS NULL OR s.scope = $2)"
	" AND ($3::text IS NULL OR s.scope IN ('global', $3))"
	" ORDER BY s.recipient,"
	" rebound.suppression_class(s.category, s.reason) = 'complaint' DESC,"
	" s.scope <> 'global', s.scope";

enum {
	X_SCOPE, X_RCPT, X_REASON, X_CATEGORY, X_CLASS, X_EVENT, X_FIRST,
	X_LAST, X_HITS, X_EXPIRES, X_ADDED_BY, X_NOTE, X_CODE, X_STATUS,
	X_DIAG, X_FIRST_RFC
};

PGresult *rb_db_supp_list(struct rb_db *db, const struct rb_supp_filter *f,
			  struct rb_error *err)
{
	const char *v[5] = {f->now, f->scope, f->sender, f->reason,
			    f->all ? "true" : "false"};

	return rb_db_query(db, list_sql, 5, v, err);
}

PGresult *rb_db_supp_check(struct rb_db *db, const char *addr,
			   const char *sender, const char *now,
			   struct rb_error *err)
{
	const char *v[3] = {now, addr, sender};

	return rb_db_query(db, check_sql, 3, v, err);
}

int rb_db_supp_add(struct rb_db *db, const char *addr, const char *scope,
		   const char *reason, const char *actor, const char *note,
		   char action_r[16], struct rb_error *err)
{
	const char *v[5] = {scope, addr, reason, actor, note};
	PGresult *r = rb_db_query(db, add_sql, 5, v, err);

	if (r == NULL)
		return -1;
	action_r[0] = '\0';
	if (PQntuples(r) == 1) {
		const char *a = PQgetvalue(r, 0, 0);

		(void)snprintf(action_r, 16, "%s", a);
	}
	PQclear(r);
	return 0;
}

int rb_db_supp_remove(struct rb_db *db, const char *addr, const char *scope,
		      const char *actor, const char *note, unsigned long *n_r,
		      struct rb_error *err)
{
	const char *v[4] = {scope, addr, actor, note};
	PGresult *r = rb_db_query(db, remove_sql, 4, v, err);

	if (r == NULL)
		return -1;
	*n_r = PQntuples(r) == 1 ? strtoul(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return 0;
}

/* ---- writers ---- */

static const char *val(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* RFC 4180: quoted when it holds a comma, quote, CR or LF. */
static void csv_field(FILE *out, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void csv_row(FILE *out, const char *const *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', out);
		csv_field(out, f[i]);
	}
	fputs("\r\n", out);
}

/* A JSON string (the database holds valid UTF-8); NULL is null. */
static void json_str(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

static void json_num(FILE *out, const char *s)
{
	fputs(s != NULL ? s : "null", out);
}

static const char *const csv_header[] = {
	"scope",      "recipient", "reason",	 "category",
	"class",      "source_event", "first_seen", "last_seen",
	"hits",	      "expires_at", "added_by",	 "note",
};

static void write_csv(FILE *out, PGresult *r, int row)
{
	const char *f[12];

	for (int i = 0; i < 12; i++)
		f[i] = val(r, row, i);
	csv_row(out, f, 12);
}

static void write_ndjson(FILE *out, PGresult *r, int row)
{
	fputc('{', out);
	for (int i = 0; i < 12; i++) {
		if (i > 0)
			fputc(',', out);
		json_str(out, csv_header[i]);
		fputc(':', out);
		if (i == X_EVENT || i == X_HITS)
			json_num(out, val(r, row, i));
		else
			json_str(out, val(r, row, i));
	}
	fputs("}\n", out);
}

/* Postfix access(5) line: "addr REJECT text"; an address with white space
 * or a leading '#' cannot be a key and is skipped. */
static bool write_postfix(FILE *out, PGresult *r, int row)
{
	const char *rcpt = val(r, row, X_RCPT);
	const char *first = val(r, row, X_FIRST);

	if (rcpt == NULL || *rcpt == '#' || strpbrk(rcpt, " \t\r\n") != NULL)
		return false;
	fprintf(out, "%s REJECT 5.7.1 recipient suppressed (%s %s since %.10s)\n",
		rcpt, val(r, row, X_CATEGORY), val(r, row, X_REASON),
		first ? first : "?");
	return true;
}

static bool complaint_class(PGresult *r, int row)
{
	const char *c = val(r, row, X_CLASS);

	return c != NULL && strcmp(c, "complaint") == 0;
}

int rb_db_supp_export(struct rb_db *db, enum rb_export_fmt fmt,
		      const struct rb_supp_filter *f, FILE *out,
		      unsigned long *n_r, struct rb_error *err)
{
	const char *v[3] = {f->now, f->scope, f->sender};
	const char *prev = NULL;
	unsigned long n = 0;
	PGresult *r;
	bool per_address = fmt != RB_EXPORT_CSV && fmt != RB_EXPORT_NDJSON;

	/* A recipient access map cannot tell senders apart: without a scope
	 * it holds the global entries only. */
	if (fmt == RB_EXPORT_POSTFIX && f->scope == NULL && f->sender == NULL)
		v[1] = "global";
	r = rb_db_query(db, export_sql, 3, v, err);
	if (r == NULL)
		return -1;
	switch (fmt) {
	case RB_EXPORT_CSV:
		csv_row(out, csv_header, 12);
		break;
	case RB_EXPORT_POSTFIX:
		fputs("# rebound suppression list (postfix access map; "
		      "postmap hash:FILE)\n",
		      out);
		break;
	case RB_EXPORT_SPARKPOST:
		fputs("recipient,type,description\r\n", out);
		break;
	case RB_EXPORT_MAILGUN:
		fputs("address,code,error,created_at\r\n", out);
		break;
	case RB_EXPORT_MAILGUN_COMPLAINTS:
		fputs("address,created_at\r\n", out);
		break;
	case RB_EXPORT_POSTMARK:
		fputs("{\"Suppressions\":[", out);
		break;
	default:
		break;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *rcpt = val(r, i, X_RCPT);
		bool compl = complaint_class(r, i);
		char desc[512];

		if ((fmt == RB_EXPORT_MAILGUN && compl) ||
		    (fmt == RB_EXPORT_MAILGUN_COMPLAINTS && !compl))
			continue;
		if (per_address && prev != NULL && strcmp(prev, rcpt) == 0)
			continue;
		prev = rcpt;
		switch (fmt) {
		case RB_EXPORT_CSV:
			write_csv(out, r, i);
			break;
		case RB_EXPORT_NDJSON:
			write_ndjson(out, r, i);
			break;
		case RB_EXPORT_POSTFIX:
			if (!write_postfix(out, r, i))
				continue;
			break;
		case RB_EXPORT_SES_CSV: {
			const char *row[2] = {rcpt,
					      compl ? "COMPLAINT" : "BOUNCE"};

			csv_row(out, row, 2);
			break;
		}
		case RB_EXPORT_SES_JSON:
			fputs("{\"emailAddress\":", out);
			json_str(out, rcpt);
			fprintf(out, ",\"reason\":\"%s\"}\n",
				compl ? "COMPLAINT" : "BOUNCE");
			break;
		case RB_EXPORT_SPARKPOST: {
			const char *row[3] = {rcpt, "non_transactional", desc};

			(void)snprintf(desc, sizeof(desc),
				       "rebound %s: %s since %.10s",
				       val(r, i, X_CATEGORY),
				       val(r, i, X_REASON), val(r, i, X_FIRST));
			/* a complaint stops marketing mail; a dead address
			 * every kind of mail */
			csv_row(out, row, 3);
			if (!compl) {
				row[1] = "transactional";
				csv_row(out, row, 3);
			}
			break;
		}
		case RB_EXPORT_MAILGUN: {
			const char *code = val(r, i, X_CODE);
			const char *diag = val(r, i, X_DIAG);
			const char *row[4];

			(void)snprintf(desc, sizeof(desc), "%s",
				       diag ? diag : val(r, i, X_REASON));
			row[0] = rcpt;
			row[1] = code ? code : "550";
			row[2] = desc;
			row[3] = val(r, i, X_FIRST_RFC);
			csv_row(out, row, 4);
			break;
		}
		case RB_EXPORT_MAILGUN_COMPLAINTS: {
			const char *row[2] = {rcpt, val(r, i, X_FIRST_RFC)};

			csv_row(out, row, 2);
			break;
		}
		case RB_EXPORT_POSTMARK:
			fputs(n > 0 ? "," : "", out);
			fputs("{\"EmailAddress\":", out);
			json_str(out, rcpt);
			fputc('}', out);
			break;
		}
		n++;
	}
	if (fmt == RB_EXPORT_POSTMARK)
		fputs("]}\n", out);
	PQclear(r);
	*n_r = n;
	if (fflush(out) != 0 || ferror(out))
		return rb_error_set(err, RB_E_IO, "write error");
	return 0;
}
