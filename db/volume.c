/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/volume.c - sent-volume import: CSV parsed and checked here (bad lines
 * reported with their numbers), good rows sent with one text COPY into a
 * TEMP table, then one INSERT ... ON CONFLICT DO UPDATE, in one
 * transaction.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "db/db.h"
#include "db/sanitize.h"
#include "db/volume.h"

#define MAX_LINE  4096
#define MAX_FIELD 1024

static const char stage_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rb_vol (k text, day date, dom text,"
	" n int8, line int8) ON COMMIT DELETE ROWS";

static const char upsert_sender_sql[] =
	"INSERT INTO rebound.sent_volume (sender, day, recipient_domain, count)"
	" SELECT DISTINCT ON (k, day, dom) k, day, dom, n FROM rb_vol"
	" ORDER BY k, day, dom, line DESC"
	" ON CONFLICT ON CONSTRAINT sent_volume_key"
	" DO UPDATE SET count = EXCLUDED.count";

static const char upsert_ip_sql[] =
	"INSERT INTO rebound.sent_volume_ip (sending_ip, day,"
	" recipient_domain, count)"
	" SELECT DISTINCT ON (k, day, dom) k, day, dom, n FROM rb_vol"
	" ORDER BY k, day, dom, line DESC"
	" ON CONFLICT ON CONSTRAINT sent_volume_ip_key"
	" DO UPDATE SET count = EXCLUDED.count";

bool rb_db_valid_date(const char *s)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30,
					 31, 31, 30, 31, 30, 31};
	unsigned y = 0, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	for (int i = 0; i < 4; i++)
		y = y * 10 + (unsigned)(s[i] - '0');
	m = (unsigned)(s[5] - '0') * 10 + (unsigned)(s[6] - '0');
	d = (unsigned)(s[8] - '0') * 10 + (unsigned)(s[9] - '0');
	if (y < 1900 || m < 1 || m > 12 || d < 1)
		return false;
	if (m == 2 && d == 29)
		return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= mdays[m - 1];
}

/* Splits one CSV line (RFC 4180 quoting) into at most @max fields of at
 * most MAX_FIELD bytes. Returns the number of fields, or -1. */
static int split_csv(const char *line, char fields[][MAX_FIELD], int max)
{
	int n = 0;
	const char *p = line;

	for (;;) {
		size_t at = 0;
		char *f;

		if (n == max)
			return -1;
		f = fields[n++];
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			for (p++;; p++) {
				if (*p == '\0')
					return -1; /* unterminated quote */
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"') {
					p++;
					break;
				}
				if (at + 1 >= MAX_FIELD)
					return -1;
				f[at++] = *p;
			}
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != ',' && *p != '\0')
				return -1;
		} else {
			while (*p != ',' && *p != '\0') {
				if (at + 1 >= MAX_FIELD)
					return -1;
				f[at++] = *p++;
			}
		}
		f[at] = '\0';
		rb_str_trim(f);
		if (*p == '\0')
			return n;
		p++; /* the comma */
	}
}

static bool has_ctl(const char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	}
	return false;
}

static bool valid_ip(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 ||
	       inet_pton(AF_INET6, s, buf) == 1;
}

/* Appends @s to a COPY text row, escaped. */
static void copy_text(struct rb_buf *b, const char *s)
{
	struct rb_buf clean;

	rb_buf_init(&clean, 0);
	(void)rb_db_sanitize(&clean, s, strlen(s), MAX_FIELD);
	for (size_t i = 0; i < clean.len; i++) {
		if (clean.data[i] == '\\')
			rb_buf_adds(b, "\\\\");
		else
			rb_buf_addc(b, clean.data[i]);
	}
	rb_buf_free(&clean);
}

/* Checks one data line; appends its COPY row to @b or returns why not. */
static const char *check_line(char *line, bool by_ip, unsigned long lineno,
			      struct rb_buf *b)
{
	static char f[5][MAX_FIELD];
	uint64_t count;
	int n = split_csv(line, f, 5);

	if (n < 0)
		return "malformed CSV (quote or field too long)";
	if (n != 4)
		return "want 4 fields: sender,day,recipient_domain,count";
	if (f[0][0] == '\0')
		return by_ip ? "empty sending_ip" : "empty sender";
	if (has_ctl(f[0]) || has_ctl(f[2]))
		return "control characters";
	if (by_ip && !valid_ip(f[0]))
		return "not an IP address";
	if (!rb_db_valid_date(f[1]))
		return "day is not a valid YYYY-MM-DD date";
	if (strchr(f[2], '@') != NULL || strpbrk(f[2], " \t") != NULL)
		return "recipient_domain is not a domain";
	if (rb_parse_u64(f[3], &count) < 0 || count > INT64_MAX)
		return "count is not a non-negative integer";
	rb_str_lower(f[2]);
	copy_text(b, f[0]);
	rb_buf_printf(b, "\t%s\t", f[1]);
	copy_text(b, f[2]);
	rb_buf_printf(b, "\t%llu\t%lu\n", (unsigned long long)count, lineno);
	return NULL;
}

static bool is_header(const char *line)
{
	return rb_strncasecmp(line, "sender,", 7) == 0 ||
	       rb_strncasecmp(line, "sending_ip,", 11) == 0 ||
	       rb_strncasecmp(line, "\"sender\"", 8) == 0;
}

static int send_rows(struct rb_db *db, const struct rb_buf *b, bool by_ip,
		     unsigned long *upserted_r, struct rb_error *err)
{
	PGconn *c = rb_db_conn(db);
	PGresult *r;
	int ok;

	if (rb_db_exec(db, "BEGIN", err) < 0 ||
	    rb_db_exec(db, stage_sql, err) < 0 ||
	    rb_db_check(db, PQexec(c, "COPY rb_vol FROM STDIN"), PGRES_COPY_IN,
			"COPY", err) < 0)
		goto fail;
	ok = b->len == 0 || PQputCopyData(c, b->data, (int)b->len) == 1;
	if (PQputCopyEnd(c, ok ? NULL : "rebound: copy aborted") != 1)
		ok = 0;
	while ((r = PQgetResult(c)) != NULL) {
		if (rb_db_check(db, r, PGRES_COMMAND_OK, "COPY", err) < 0)
			ok = 0;
	}
	if (!ok)
		goto fail;
	r = PQexec(c, by_ip ? upsert_ip_sql : upsert_sender_sql);
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK)
		*upserted_r = strtoul(PQcmdTuples(r), NULL, 10);
	if (rb_db_check(db, r, PGRES_COMMAND_OK, "volume upsert", err) < 0 ||
	    rb_db_exec(db, "COMMIT", err) < 0)
		goto fail;
	return 0;
fail:
	if (err->code == RB_E_OK)
		rb_error_set(err, RB_E_DB, "COPY: %s", PQerrorMessage(c));
	rb_db_rollback(db);
	return -1;
}

int rb_db_volume_import(struct rb_db *db, FILE *in, const char *name,
			bool by_ip, FILE *errs, struct rb_volume_stats *st_r,
			struct rb_error *err)
{
	struct rb_buf rows;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	memset(st_r, 0, sizeof(*st_r));
	rb_buf_init(&rows, 0);
	while ((len = getline(&line, &cap, in)) >= 0) {
		const char *why;

		st_r->lines++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if ((size_t)len != strlen(line)) {
			why = "NUL byte";
		} else if ((size_t)len > MAX_LINE) {
			why = "line too long";
		} else {
			char *t = rb_str_trim(line);

			if (*t == '\0' || *t == '#' ||
			    (st_r->rows + st_r->bad == 0 && is_header(t)))
				continue;
			why = check_line(t, by_ip, st_r->lines, &rows);
		}
		if (why != NULL) {
			fprintf(errs, "%s:%lu: %s\n", name, st_r->lines, why);
			st_r->bad++;
		} else {
			st_r->rows++;
		}
	}
	if (ferror(in)) {
		ret = rb_error_set(err, RB_E_IO, "%s: read error", name);
		goto out;
	}
	if (st_r->rows > 0)
		ret = send_rows(db, &rows, by_ip, &st_r->upserted, err);
out:
	free(line);
	rb_buf_free(&rows);
	return ret;
}
