/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/writer.c - batches of reports into PostgreSQL: binary COPY into a TEMP
 * staging table, then one set-based INSERT ... ON CONFLICT DO NOTHING per
 * target table, one transaction per batch (see db/README.md for why).
 * With opts.overlap a full batch is committed by a worker thread while the
 * caller encodes the next one (one batch in flight at most).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "db/db.h"
#include "db/policy.h"
#include "db/sanitize.h"
#include "db/sha256.h"
#include "db/writer.h"
#include "parsers/fields.h"

/* Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01. */
#define PG_EPOCH_US	 (INT64_C(946684800) * 1000000)
#define DAY_US		 (INT64_C(86400) * 1000000)
#define COPY_CHUNK	 (1024u * 1024u)
#define STAGE_NCOLS	 45

static const char stage_sql[] =
	"CREATE TEMP TABLE IF NOT EXISTS rb_stage ("
	" q boolean, content_key bytea, source text, source_id text,"
	" kind text, size int8, received_at timestamptz,"
	" parsed_at timestamptz, flags text, msg_rule text, raw bytea,"
	" raw_expires_at timestamptz, idx int4, date_text text,"
	" ev_kind text, recipient text, original_recipient text,"
	" action text, status text, reply_code text, diagnostic text,"
	" remote_mta text, reporting_mta text, reason text, hard boolean,"
	" fault text, blocklist text, rule text, sender text,"
	" sender_source text, sender_id text, envelope_from text,"
	" from_addr text, message_id text, subject text, sending_ip text,"
	" complaint boolean, feedback_type text, user_agent text,"
	" provider text, source_ip text, arrival_date text,"
	" reported_domain text, original_rcpt_to text,"
	" original_mail_from text, event_time timestamptz)"
	" ON COMMIT DELETE ROWS";

/* Every column but event_time, in the order rows are encoded. */
static const char copy_sql[] =
	"COPY rb_stage (q, content_key, source, source_id, kind, size,"
	" received_at, parsed_at, flags, msg_rule, raw, raw_expires_at, idx,"
	" date_text, ev_kind, recipient, original_recipient, action, status,"
	" reply_code, diagnostic, remote_mta, reporting_mta, reason, hard,"
	" fault, blocklist, rule, sender, sender_source, sender_id,"
	" envelope_from, from_addr, message_id, subject, sending_ip,"
	" complaint, feedback_type, user_agent, provider, source_ip,"
	" arrival_date, reported_domain, original_rcpt_to,"
	" original_mail_from) FROM STDIN (FORMAT binary)";

static const char time_sql[] =
	"UPDATE rb_stage SET event_time ="
	" rebound.event_time(date_text, received_at) WHERE NOT q";

static const char part_sql[] =
	"SELECT rebound.ensure_event_partition(min(event_time))"
	" FROM rb_stage WHERE NOT q"
	" GROUP BY date_trunc('month', event_time AT TIME ZONE 'UTC')";

static const char quar_sql[] =
	"INSERT INTO rebound.quarantine (content_key, raw, size, reason,"
	" flags, source, source_id, received_at)"
	" SELECT DISTINCT ON (content_key) content_key, raw, size,"
	" coalesce(msg_rule, 'unknown'),"
	" coalesce(string_to_array(nullif(flags, ''), ','), '{}'),"
	" source, source_id, received_at"
	" FROM rb_stage WHERE q ORDER BY content_key"
	" ON CONFLICT (content_key) DO NOTHING";

static const char main_sql[] =
	"WITH s AS ("
	" SELECT DISTINCT ON (content_key, source_id, idx) * FROM rb_stage"
	" WHERE NOT q ORDER BY content_key, source_id, idx),"
	" m AS ("
	" INSERT INTO rebound.message (content_key, source, source_id, kind,"
	" size, received_at, parsed_at, flags, rule, raw, raw_expires_at)"
	" SELECT content_key, source, source_id, kind, size, received_at,"
	" parsed_at, coalesce(string_to_array(nullif(flags, ''), ','), '{}'),"
	" msg_rule, raw, raw_expires_at FROM s WHERE idx = 0"
	" ON CONFLICT ON CONSTRAINT message_key DO NOTHING"
	" RETURNING id, content_key, source_id),"
	" e AS ("
	" INSERT INTO rebound.event (message_fk, idx, event_time, kind,"
	" recipient, original_recipient, action, status, reply_code,"
	" diagnostic, remote_mta, reporting_mta, reason, hard, fault,"
	" blocklist, rule, sender, sender_source, sender_id, envelope_from,"
	" from_addr, message_id, subject, sending_ip)"
	" SELECT m.id, s.idx, s.event_time, s.ev_kind, s.recipient,"
	" s.original_recipient, s.action, s.status, s.reply_code,"
	" s.diagnostic, s.remote_mta, s.reporting_mta, s.reason, s.hard,"
	" s.fault, s.blocklist, s.rule, s.sender, s.sender_source,"
	" s.sender_id, s.envelope_from, s.from_addr, s.message_id,"
	" s.subject, s.sending_ip"
	" FROM s JOIN m USING (content_key, source_id)"
	" ON CONFLICT DO NOTHING"
	" RETURNING id, message_fk, idx, event_time, kind, recipient,"
	" original_recipient, reason, hard, fault, blocklist, sender,"
	" sending_ip),"
	" c AS ("
	" INSERT INTO rebound.complaint (event_id, event_time, message_fk,"
	" feedback_type, user_agent, provider, source_ip, arrival_date,"
	" reported_domain, original_rcpt_to, original_mail_from)"
	" SELECT e.id, e.event_time, e.message_fk, s.feedback_type,"
	" s.user_agent, s.provider, s.source_ip, s.arrival_date,"
	" s.reported_domain, s.original_rcpt_to, s.original_mail_from"
	" FROM e JOIN m ON m.id = e.message_fk"
	" JOIN s ON s.content_key = m.content_key"
	" AND s.source_id = m.source_id AND s.idx = e.idx"
	" WHERE s.complaint"
	" ON CONFLICT DO NOTHING RETURNING event_id, feedback_type),"
	/* the events this statement inserted, for the policy (db/policy.c) */
	" n AS ("
	" INSERT INTO rb_new (id, event_time, kind, recipient,"
	" original_recipient, reason, hard, fault, blocklist, sender,"
	" sending_ip, feedback_type)"
	" SELECT e.id, e.event_time, e.kind, e.recipient,"
	" e.original_recipient, e.reason, e.hard, e.fault, e.blocklist,"
	" e.sender, e.sending_ip, c.feedback_type"
	" FROM e LEFT JOIN c ON c.event_id = e.id RETURNING 1)"
	" SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM e),"
	" (SELECT count(*) FROM c)";

enum kill_at { KILL_NONE, KILL_AFTER_COPY, KILL_AFTER_COMMIT };

/* Encoded rows of one batch and its number of messages. */
struct batch {
	struct rb_buf copy;
	size_t n_msgs;
};

/* The batch handed to the worker thread (opts.overlap). */
enum bg_state {
	BG_IDLE,   /* nothing in flight (bg is empty) */
	BG_BUSY,   /* the worker is committing bg */
	BG_FAILED, /* the worker gave up on bg (kept, error in bg_err) */
};

struct rb_db_writer {
	struct rb_db *db; /* borrowed */
	size_t batch_size;
	size_t keep_raw_days;
	const struct rb_suppression_config *policy; /* borrowed; NULL = off */
	unsigned prepared_gen; /* rb_db_generation the statements belong to */
	struct batch cur;      /* the batch being filled */
	struct rb_db_stats stats;
	enum kill_at kill;
	unsigned long kill_batch;
	/* overlap: whoever flushes owns the connection, the prepared
	 * statements and stats except .messages; the caller takes them back
	 * only when the worker is not BG_BUSY (mu, cv order that) */
	bool overlap;
	bool started; /* the worker thread runs */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	enum bg_state bg_state;
	bool bg_stop;
	struct batch bg;
	size_t bg_msgs; /* messages of bg, for rb_db_writer_pending (mu) */
	struct rb_error bg_err;
};

/* ---- binary COPY encoding (LIBRARY-NOTES 3.3) ---- */

static void put_u16(struct rb_buf *b, uint16_t v)
{
	unsigned char p[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	rb_buf_add(b, p, 2);
}

static void put_u32(struct rb_buf *b, uint32_t v)
{
	unsigned char p[4] = {(unsigned char)(v >> 24),
			      (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	rb_buf_add(b, p, 4);
}

static void put_u64(struct rb_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

static void f_null(struct rb_buf *b)
{
	put_u32(b, UINT32_MAX); /* -1 */
}

static void f_text_max(struct rb_buf *b, const char *s, size_t max)
{
	size_t at, n;

	if (s == NULL) {
		f_null(b);
		return;
	}
	at = b->len;
	put_u32(b, 0);
	(void)rb_db_sanitize(b, s, strlen(s), max);
	n = b->len - at - 4;
	b->data[at] = (char)(n >> 24);
	b->data[at + 1] = (char)(n >> 16);
	b->data[at + 2] = (char)(n >> 8);
	b->data[at + 3] = (char)n;
}

static void f_text(struct rb_buf *b, const char *s)
{
	f_text_max(b, s, RB_DB_MAX_TEXT);
}

static void f_key(struct rb_buf *b, const char *s)
{
	f_text_max(b, s, RB_DB_MAX_KEY_TEXT);
}

/* Empty strings are absent values, as in the NDJSON output. */
static void f_nz(struct rb_buf *b, const char *s)
{
	f_text(b, s != NULL && *s != '\0' ? s : NULL);
}

static void f_bytea(struct rb_buf *b, const void *p, size_t n)
{
	if (p == NULL) {
		f_null(b);
		return;
	}
	put_u32(b, (uint32_t)n);
	rb_buf_add(b, p, n);
}

static void f_bool(struct rb_buf *b, bool v)
{
	put_u32(b, 1);
	rb_buf_addc(b, v ? 1 : 0);
}

static void f_i32(struct rb_buf *b, uint32_t v)
{
	put_u32(b, 4);
	put_u32(b, v);
}

static void f_i64(struct rb_buf *b, int64_t v)
{
	put_u32(b, 8);
	put_u64(b, (uint64_t)v);
}

static void f_ts(struct rb_buf *b, int64_t unix_us)
{
	f_i64(b, unix_us - PG_EPOCH_US);
}

/* ---- report -> rows ---- */

static void flags_text(unsigned f, char *out, size_t size)
{
	size_t at = 0;

	out[0] = '\0';
	for (unsigned bit = 1; bit <= RB_PF_LAST; bit <<= 1) {
		const char *name = rb_flag_name(bit);
		int n;

		if (!(f & bit) || name == NULL)
			continue;
		n = snprintf(out + at, size - at, "%s%s", at ? "," : "", name);
		if (n < 0 || (size_t)n >= size - at)
			break;
		at += (size_t)n;
	}
}

static bool complaint_kind(enum rb_kind k)
{
	return k == RB_KIND_COMPLAINT || k == RB_KIND_NOT_SPAM ||
	       k == RB_KIND_AUTH_FAILURE;
}

static const char *first(const char *a, const char *b)
{
	return a != NULL && *a != '\0' ? a : b;
}

/* The date the report speaks of, without an RFC 5322 comment. Written to
 * @out (size @size); PostgreSQL parses it (rebound.event_time). */
static const char *claimed_date(const struct rb_report *r,
				const struct rb_rcpt *rc, char *out,
				size_t size)
{
	const char *d = NULL;
	char *paren;

	if (rc != NULL)
		d = rc->last_attempt;
	d = first(d, r->arrival_date);
	d = first(d, r->fb.arrival_date);
	d = first(d, rb_report_header(r, "Date"));
	if (d == NULL || *d == '\0')
		return NULL;
	rb_strlcpy(out, d, size);
	if ((paren = strchr(out, '(')) != NULL)
		*paren = '\0';
	return rb_str_trim(out);
}

struct msg_common {
	bool q;
	unsigned char key[RB_SHA256_LEN];
	const struct rb_db_item *it;
	const struct rb_report *r;
	char flags[128];
	bool keep_raw;
	int64_t raw_expires_us;
};

static void encode_row(struct rb_buf *b, const struct msg_common *m,
		       uint32_t idx, const struct rb_rcpt *rc)
{
	const struct rb_report *r = m->r;
	const struct rb_original *o = &r->orig;
	enum rb_kind kind = rc ? rc->kind : r->kind;
	bool compl = !m->q && complaint_kind(kind);
	bool raw = idx == 0 && (m->q || m->keep_raw);
	char date[128];

	put_u16(b, STAGE_NCOLS);
	f_bool(b, m->q);
	f_bytea(b, m->key, sizeof(m->key));
	f_key(b, m->it->source);
	f_text_max(b, m->it->source_id, 2 * RB_DB_MAX_KEY_TEXT);
	f_key(b, rb_kind_name(r->kind));
	f_i64(b, (int64_t)m->it->len);
	f_ts(b, m->it->received_us);
	f_ts(b, m->it->parsed_us);
	f_text(b, m->flags);
	f_key(b, r->rule);
	f_bytea(b, raw ? m->it->raw : NULL, m->it->len);
	if (raw && !m->q)
		f_ts(b, m->raw_expires_us);
	else
		f_null(b);
	f_i32(b, idx);
	f_text(b, m->q ? NULL : claimed_date(r, rc, date, sizeof(date)));
	f_key(b, rb_kind_name(kind));
	f_key(b, rc ? rc->recipient : NULL);
	f_key(b, rc ? rc->original_recipient : NULL);
	f_key(b, rc ? rc->action : NULL);
	f_nz(b, rc ? rc->status : NULL);
	f_nz(b, rc ? rc->reply_code : NULL);
	f_text(b, rc ? rc->diagnostic : NULL);
	f_text(b, rc ? rc->remote_mta : NULL);
	f_text(b, r->reporting_mta);
	f_key(b, rc ? rc->reason : NULL);
	f_bool(b, rc != NULL && rc->hard);
	f_key(b, rc ? rb_fault_name(rc->fault) : NULL);
	f_key(b, rc ? rc->blocklist : NULL);
	f_key(b, rc && rc->rule ? rc->rule : r->rule);
	f_key(b, o->sender);
	f_key(b, o->sender_source);
	f_key(b, o->sender_id);
	f_key(b, o->envelope_from);
	f_key(b, o->from);
	f_key(b, o->message_id);
	f_text(b, o->subject);
	/* the relay address a complaint or a block names beats the
	 * original's Received lines */
	f_key(b, compl ? first(r->fb.source_ip, o->source_ip)
		       : first(rc ? rc->sending_ip : NULL, o->source_ip));
	f_bool(b, compl);
	f_key(b, compl ? r->fb.feedback_type : NULL);
	f_text(b, compl ? r->fb.user_agent : NULL);
	f_key(b, compl ? r->fb.provider : NULL);
	f_key(b, compl ? r->fb.source_ip : NULL);
	f_text(b, compl ? r->fb.arrival_date : NULL);
	f_key(b, compl ? r->fb.reported_domain : NULL);
	f_key(b, compl ? r->fb.original_rcpt_to : NULL);
	f_key(b, compl ? r->fb.original_mail_from : NULL);
}

/* The content key of a message that was not read (over the size limit):
 * its source id and size stand in for the bytes. */
static void oversize_key(const struct rb_db_item *it,
			 unsigned char key[RB_SHA256_LEN])
{
	struct rb_sha256 s;
	char size[32];

	(void)snprintf(size, sizeof(size), "\n%zu", it->len);
	rb_sha256_init(&s);
	rb_sha256_update(&s, "rebound:not-read\n", 17);
	rb_sha256_update(&s, it->source_id, strlen(it->source_id));
	rb_sha256_update(&s, size, strlen(size));
	rb_sha256_final(&s, key);
}

/* ---- the writer ---- */

static void parse_kill(struct rb_db_writer *w)
{
	const char *v = getenv(RB_DB_TEST_KILL_ENV);
	const char *num = NULL;
	uint32_t n;

	if (v == NULL)
		return;
	if (strncmp(v, "after-copy:", 11) == 0) {
		w->kill = KILL_AFTER_COPY;
		num = v + 11;
	} else if (strncmp(v, "after-commit:", 13) == 0) {
		w->kill = KILL_AFTER_COMMIT;
		num = v + 13;
	}
	if (num == NULL || rb_parse_u32(num, &n) < 0 || n == 0) {
		w->kill = KILL_NONE;
		return;
	}
	w->kill_batch = n;
}

struct rb_db_writer *rb_db_writer_new(struct rb_db *db,
				      const struct rb_db_writer_opts *opts)
{
	struct rb_db_writer *w = rb_xcalloc(1, sizeof(*w));

	w->db = db;
	w->batch_size = opts->batch_size ? opts->batch_size : 500;
	w->keep_raw_days = opts->keep_raw_days;
	w->policy = opts->policy;
	w->overlap = opts->overlap;
	rb_buf_init(&w->cur.copy, 0);
	rb_buf_init(&w->bg.copy, 0);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	parse_kill(w);
	return w;
}

void rb_db_writer_free(struct rb_db_writer **wp)
{
	struct rb_db_writer *w;

	if (wp == NULL || *wp == NULL)
		return;
	w = *wp;
	if (w->started) {
		/* a batch in flight is finished first */
		pthread_mutex_lock(&w->mu);
		w->bg_stop = true;
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
		pthread_join(w->thread, NULL);
	}
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	rb_buf_free(&w->cur.copy);
	rb_buf_free(&w->bg.copy);
	free(w);
	*wp = NULL;
}

size_t rb_db_writer_pending(const struct rb_db_writer *w)
{
	size_t n = w->cur.n_msgs;

	if (w->started) {
		pthread_mutex_lock((pthread_mutex_t *)&w->mu);
		if (w->bg_state != BG_IDLE)
			n += w->bg_msgs;
		pthread_mutex_unlock((pthread_mutex_t *)&w->mu);
	}
	return n;
}

const struct rb_db_stats *rb_db_writer_stats(const struct rb_db_writer *w)
{
	return &w->stats;
}

static int hand_off(struct rb_db_writer *w, struct rb_error *err);

int rb_db_writer_add(struct rb_db_writer *w, const struct rb_db_item *item,
		     const struct rb_report *r, struct rb_error *err)
{
	struct msg_common m;

	memset(&m, 0, sizeof(m));
	m.it = item;
	m.r = r;
	m.q = item->raw == NULL ||
	      (r->kind == RB_KIND_UNKNOWN && r->n_rcpts == 0);
	if (item->raw != NULL)
		rb_sha256(item->raw, item->len, m.key);
	else
		oversize_key(item, m.key);
	flags_text(r->flags, m.flags, sizeof(m.flags));
	m.keep_raw = w->keep_raw_days > 0;
	m.raw_expires_us = item->received_us +
			   (int64_t)w->keep_raw_days * DAY_US;
	if (m.q || r->n_rcpts == 0)
		encode_row(&w->cur.copy, &m, 0, NULL);
	else {
		for (size_t i = 0; i < r->n_rcpts; i++)
			encode_row(&w->cur.copy, &m, (uint32_t)i, &r->rcpts[i]);
	}
	w->cur.n_msgs++;
	w->stats.messages++;
	if (w->cur.n_msgs >= w->batch_size ||
	    w->cur.copy.len >= RB_DB_BATCH_MAX_BYTES)
		return w->overlap ? hand_off(w, err)
				  : rb_db_writer_flush(w, err);
	return 0;
}

/* Creates the staging table and prepares the statements on this
 * connection (again after every reconnect: both die with it). */
static int setup(struct rb_db_writer *w, struct rb_error *err)
{
	static const struct {
		const char *name;
		const char *sql;
	} stmts[] = {
		{"rb_time", time_sql},
		{"rb_part", part_sql},
		{"rb_quar", quar_sql},
		{"rb_main", main_sql},
	};
	PGconn *c = rb_db_conn(w->db);

	if (w->prepared_gen == rb_db_generation(w->db))
		return 0;
	if (rb_db_exec(w->db, "DEALLOCATE ALL", err) < 0 ||
	    rb_db_exec(w->db, stage_sql, err) < 0 ||
	    rb_db_exec(w->db, rb_db_policy_new_sql, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		if (rb_db_check(w->db, PQprepare(c, stmts[i].name, stmts[i].sql,
						 0, NULL),
				PGRES_COMMAND_OK, stmts[i].name, err) < 0)
			return -1;
	}
	if (w->policy != NULL && rb_db_policy_prepare(w->db, err) < 0)
		return -1;
	w->prepared_gen = rb_db_generation(w->db);
	return 0;
}

static int send_copy(struct rb_db_writer *w, const struct rb_buf *copy,
		     struct rb_error *err)
{
	static const char header[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	static const char trailer[2] = {'\377', '\377'};
	PGconn *c = rb_db_conn(w->db);
	PGresult *r;
	int ok = 1;

	if (rb_db_check(w->db, PQexec(c, copy_sql), PGRES_COPY_IN, "COPY",
			err) < 0)
		return -1;
	ok = PQputCopyData(c, header, sizeof(header)) == 1;
	for (size_t at = 0; ok && at < copy->len; at += COPY_CHUNK) {
		size_t n = copy->len - at;

		if (n > COPY_CHUNK)
			n = COPY_CHUNK;
		ok = PQputCopyData(c, copy->data + at, (int)n) == 1;
	}
	if (ok)
		ok = PQputCopyData(c, trailer, sizeof(trailer)) == 1;
	if (PQputCopyEnd(c, ok ? NULL : "rebound: copy aborted") != 1)
		ok = 0;
	/* Read every result: the COPY's status, then NULL. */
	while ((r = PQgetResult(c)) != NULL) {
		if (rb_db_check(w->db, r, PGRES_COMMAND_OK, "COPY", err) < 0)
			ok = 0;
	}
	if (!ok && err->code == RB_E_OK)
		rb_error_set(err, RB_E_TEMP, "COPY: %s", PQerrorMessage(c));
	return ok ? 0 : -1;
}

static int test_kill(struct rb_db_writer *w, enum kill_at at,
		     struct rb_error *err)
{
	if (w->kill != at || w->stats.batches + 1 != w->kill_batch)
		return 0;
	w->kill = KILL_NONE; /* once */
	PQclear(PQexec(rb_db_conn(w->db),
		       "SELECT pg_terminate_backend(pg_backend_pid())"));
	return rb_error_set(err, RB_E_TEMP, "test hook: connection killed %s",
			    at == KILL_AFTER_COPY ? "after COPY"
						  : "after COMMIT");
}

static int exec_prepared(struct rb_db_writer *w, const char *name,
			 PGresult **res_r, struct rb_error *err)
{
	PGresult *r = PQexecPrepared(rb_db_conn(w->db), name, 0, NULL, NULL,
				     NULL, 0);

	if (res_r != NULL && r != NULL &&
	    PQresultStatus(r) == PGRES_TUPLES_OK) {
		*res_r = r;
		return 0;
	}
	return rb_db_check(w->db, r, PGRES_COMMAND_OK, name, err);
}

static unsigned long count_of(const char *s)
{
	uint64_t v = 0;

	return rb_parse_u64(s, &v) == 0 ? (unsigned long)v : 0;
}

struct counts {
	unsigned long stored, events, complaints, quarantined;
	struct rb_policy_stats policy;
};

static int flush_once(struct rb_db_writer *w, const struct rb_buf *copy,
		      struct counts *n, struct rb_error *err)
{
	PGresult *r = NULL;

	memset(n, 0, sizeof(*n));
	/* The staging table has no statistics and the CTEs none either: the
	 * planner's nested loops over them are quadratic in the batch size
	 * (seconds for 500 messages), hash joins are linear. */
	if (setup(w, err) < 0 || rb_db_exec(w->db, "BEGIN", err) < 0 ||
	    rb_db_exec(w->db, "SET LOCAL enable_nestloop = off", err) < 0 ||
	    send_copy(w, copy, err) < 0 ||
	    test_kill(w, KILL_AFTER_COPY, err) < 0)
		return -1;
	if (exec_prepared(w, "rb_time", NULL, err) < 0 ||
	    exec_prepared(w, "rb_part", NULL, err) < 0)
		return -1;
	r = PQexecPrepared(rb_db_conn(w->db), "rb_quar", 0, NULL, NULL, NULL,
			   0);
	if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK)
		n->quarantined = count_of(PQcmdTuples(r));
	if (rb_db_check(w->db, r, PGRES_COMMAND_OK, "quarantine", err) < 0)
		return -1;
	r = NULL;
	if (exec_prepared(w, "rb_main", &r, err) < 0)
		return -1;
	if (PQntuples(r) == 1 && PQnfields(r) == 3) {
		n->stored = count_of(PQgetvalue(r, 0, 0));
		n->events = count_of(PQgetvalue(r, 0, 1));
		n->complaints = count_of(PQgetvalue(r, 0, 2));
	}
	PQclear(r);
	if (w->policy != NULL &&
	    rb_db_policy_apply(w->db, w->policy, &n->policy, err) < 0)
		return -1;
	if (rb_db_exec(w->db, "COMMIT", err) < 0)
		return -1;
	/* COMMIT of an aborted transaction reports ROLLBACK, not an error. */
	if (PQtransactionStatus(rb_db_conn(w->db)) != PQTRANS_IDLE)
		return rb_error_set(err, RB_E_DB, "COMMIT did not commit");
	return test_kill(w, KILL_AFTER_COMMIT, err);
}

/* Commits @b, replaying it after a transient failure; empties it once
 * committed, keeps it on failure. */
static int flush_batch(struct rb_db_writer *w, struct batch *b,
		       struct rb_error *err)
{
	struct counts n;
	unsigned retries = rb_db_retries(w->db);

	if (b->n_msgs == 0)
		return 0;
	for (unsigned attempt = 0;; attempt++) {
		rb_error_clear(err);
		if (rb_db_lost(w->db) && rb_db_reconnect(w->db, err) < 0)
			return -1;
		if (flush_once(w, &b->copy, &n, err) == 0)
			break;
		rb_db_rollback(w->db);
		w->prepared_gen = 0; /* prepare again, even on this connection */
		if (err->code != RB_E_TEMP || attempt + 1 >= retries)
			return -1;
		rb_log(RB_LOG_WARN,
		       "db: batch of %zu messages failed (%s); replaying",
		       b->n_msgs, err->msg);
		w->stats.replays++;
		rb_db_backoff(w->db, attempt);
	}
	w->stats.batches++;
	w->stats.stored += n.stored;
	w->stats.events += n.events;
	w->stats.complaints += n.complaints;
	w->stats.quarantined += n.quarantined;
	w->stats.suppressed += n.policy.added;
	w->stats.suppression_hits += n.policy.updated;
	w->stats.incidents += n.policy.incidents;
	if (b->n_msgs > n.stored + n.quarantined)
		w->stats.duplicates += b->n_msgs - n.stored - n.quarantined;
	b->n_msgs = 0;
	rb_buf_reset(&b->copy);
	return 0;
}

/* ---- overlap: one batch committed by a worker thread ---- */

static void *worker_main(void *arg)
{
	struct rb_db_writer *w = arg;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		int rc;

		while (w->bg_state != BG_BUSY && !w->bg_stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->bg_state != BG_BUSY)
			break; /* stopped with nothing in flight */
		pthread_mutex_unlock(&w->mu);
		rc = flush_batch(w, &w->bg, &w->bg_err);
		pthread_mutex_lock(&w->mu);
		w->bg_state = rc == 0 ? BG_IDLE : BG_FAILED;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* Waits until no batch is in flight. Returns 0, or -1 with the worker's
 * error when it gave up on its batch (which it keeps). */
static int wait_worker(struct rb_db_writer *w, struct rb_error *err)
{
	enum bg_state st;

	if (!w->started)
		return 0;
	pthread_mutex_lock(&w->mu);
	while (w->bg_state == BG_BUSY)
		pthread_cond_wait(&w->cv, &w->mu);
	st = w->bg_state;
	pthread_mutex_unlock(&w->mu);
	if (st == BG_FAILED) {
		*err = w->bg_err;
		return -1;
	}
	return 0;
}

/* The current batch is full: hands it to the worker (once the previous
 * one is committed) and returns; the caller fills the next one meanwhile.
 * Returns -1 when the previous batch failed (both are kept). */
static int hand_off(struct rb_db_writer *w, struct rb_error *err)
{
	struct batch t;

	if (wait_worker(w, err) < 0)
		return -1;
	if (!w->started) {
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			w->overlap = false; /* no thread: commit here */
			return rb_db_writer_flush(w, err);
		}
		w->started = true;
	}
	t = w->bg; /* empty: its buffer is reused */
	pthread_mutex_lock(&w->mu);
	w->bg = w->cur;
	w->bg_msgs = w->cur.n_msgs;
	w->bg_state = BG_BUSY;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	w->cur = t;
	return 0;
}

int rb_db_writer_flush(struct rb_db_writer *w, struct rb_error *err)
{
	/* the batch in flight first: committed by the worker, or (when it
	 * gave up) replayed here, so that batches commit in order */
	if (wait_worker(w, err) < 0) {
		if (flush_batch(w, &w->bg, err) < 0)
			return -1;
		pthread_mutex_lock(&w->mu);
		w->bg_state = BG_IDLE;
		pthread_mutex_unlock(&w->mu);
	}
	return flush_batch(w, &w->cur, err);
}
