/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_out.c - shared plumbing of the database commands: open and
 * close, exit statuses, and a generic printer of query results.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_db.h"
#include "cli/cmd_out.h"
#include "cli/output.h"
#include "core/mem.h"
#include "db/db.h"
#include "db/migrate.h"

int rb_out_format(const char *name, enum rb_out_fmt *fmt_r)
{
	if (strcmp(name, "table") == 0)
		*fmt_r = RB_OUT_TABLE;
	else if (strcmp(name, "csv") == 0)
		*fmt_r = RB_OUT_CSV;
	else if (strcmp(name, "json") == 0)
		*fmt_r = RB_OUT_JSON;
	else if (strcmp(name, "ndjson") == 0)
		*fmt_r = RB_OUT_NDJSON;
	else
		return -1;
	return 0;
}

/* Display width: UTF-8 characters, not bytes. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void print_table(FILE *fp, PGresult *r)
{
	int nf = PQnfields(r), nt = PQntuples(r);
	size_t *w = rb_xcalloc((size_t)nf + 1, sizeof(*w));

	for (int j = 0; j < nf; j++) {
		w[j] = width(PQfname(r, j));
		for (int i = 0; i < nt; i++) {
			size_t x = PQgetisnull(r, i, j)
					   ? 1
					   : width(PQgetvalue(r, i, j));

			if (x > w[j])
				w[j] = x;
		}
	}
	for (int j = 0; j < nf; j++)
		fprintf(fp, "%s%-*s", j ? "  " : "", (int)w[j], PQfname(r, j));
	fputc('\n', fp);
	for (int i = 0; i < nt; i++) {
		for (int j = 0; j < nf; j++) {
			const char *v = PQgetisnull(r, i, j)
						? "-"
						: PQgetvalue(r, i, j);
			size_t pad = w[j] - width(v);

			fprintf(fp, "%s%s", j ? "  " : "", v);
			if (j + 1 < nf)
				fprintf(fp, "%*s", (int)pad, "");
		}
		fputc('\n', fp);
	}
	free(w);
}

static void csv_field(FILE *fp, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

static void print_csv(FILE *fp, PGresult *r)
{
	int nf = PQnfields(r);

	for (int j = 0; j < nf; j++) {
		fputs(j ? "," : "", fp);
		csv_field(fp, PQfname(r, j));
	}
	fputs("\r\n", fp);
	for (int i = 0; i < PQntuples(r); i++) {
		for (int j = 0; j < nf; j++) {
			fputs(j ? "," : "", fp);
			if (!PQgetisnull(r, i, j))
				csv_field(fp, PQgetvalue(r, i, j));
		}
		fputs("\r\n", fp);
	}
}

/* PostgreSQL type OIDs printed as JSON numbers or booleans. */
#define OID_BOOL    16
#define OID_INT8    20
#define OID_INT2    21
#define OID_INT4    23
#define OID_FLOAT4  700
#define OID_FLOAT8  701
#define OID_NUMERIC 1700

static void json_value(FILE *fp, PGresult *r, int i, int j)
{
	const char *v = PQgetvalue(r, i, j);

	if (PQgetisnull(r, i, j)) {
		fputs("null", fp);
		return;
	}
	switch (PQftype(r, j)) {
	case OID_BOOL:
		fputs(*v == 't' ? "true" : "false", fp);
		break;
	case OID_INT8:
	case OID_INT2:
	case OID_INT4:
	case OID_FLOAT4:
	case OID_FLOAT8:
	case OID_NUMERIC:
		/* NaN and infinities are not JSON numbers */
		if (strspn(v, "0123456789.-+eE") == strlen(v))
			fputs(v, fp);
		else
			rb_json_string(fp, v);
		break;
	default:
		rb_json_string(fp, v);
	}
}

static void print_json(FILE *fp, PGresult *r, bool lines)
{
	int nf = PQnfields(r);

	if (!lines)
		fputc('[', fp);
	for (int i = 0; i < PQntuples(r); i++) {
		if (!lines && i > 0)
			fputc(',', fp);
		if (!lines)
			fputc('\n', fp);
		fputc('{', fp);
		for (int j = 0; j < nf; j++) {
			fputs(j ? "," : "", fp);
			rb_json_string(fp, PQfname(r, j));
			fputc(':', fp);
			json_value(fp, r, i, j);
		}
		fputc('}', fp);
		if (lines)
			fputc('\n', fp);
	}
	if (!lines)
		fputs("\n]\n", fp);
}

void rb_out_result(FILE *fp, PGresult *r, enum rb_out_fmt fmt)
{
	switch (fmt) {
	case RB_OUT_TABLE:
		print_table(fp, r);
		break;
	case RB_OUT_CSV:
		print_csv(fp, r);
		break;
	case RB_OUT_JSON:
		print_json(fp, r, false);
		break;
	case RB_OUT_NDJSON:
		print_json(fp, r, true);
		break;
	}
}

int rb_cmd_exit(const struct rb_error *err)
{
	switch (err->code) {
	case RB_E_TEMP:
	case RB_E_DB:
		return RB_EXIT_TEMPFAIL;
	case RB_E_USAGE:
		return 2;
	default:
		return 1;
	}
}

int rb_cmd_open(struct rb_cmd_ctx *ctx, const char *conf, const char *cmd)
{
	struct rb_error err;
	unsigned version = 0;

	memset(ctx, 0, sizeof(*ctx));
	rb_error_clear(&err);
	ctx->cfg = conf ? rb_config_load(conf, &err) : rb_config_default();
	if (ctx->cfg == NULL) {
		fprintf(stderr, "rebound: %s\n", err.msg);
		return 1;
	}
	ctx->db = rb_db_new(&ctx->cfg->database);
	if (rb_db_connect(ctx->db, &err) < 0 ||
	    rb_db_schema_version(ctx->db, &version, &err) < 0) {
		fprintf(stderr, "rebound: %s: %s\n", cmd, err.msg);
		rb_cmd_close(ctx);
		return RB_EXIT_TEMPFAIL;
	}
	if (version < 4) {
		fprintf(stderr,
			"rebound: %s: the database schema is version %u; run "
			"'rebound db migrate'\n",
			cmd, version);
		rb_cmd_close(ctx);
		return RB_EXIT_TEMPFAIL;
	}
	return 0;
}

void rb_cmd_close(struct rb_cmd_ctx *ctx)
{
	rb_db_free(&ctx->db);
	rb_config_free(&ctx->cfg);
}

const char *rb_cmd_now(void)
{
	const char *v = getenv("REBOUND_NOW");

	return v != NULL && *v != '\0' ? v : NULL;
}

const char *rb_cmd_actor(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : "unknown";
}
