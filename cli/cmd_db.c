/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_db.c - `rebound db migrate|status` and `rebound ingest`: the
 * glue between input walking, the pipeline and the db/ writer. No SQL and
 * no business logic here.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_db.h"
#include "cli/input.h"
#include "cli/pipeline.h"
#include "core/mem.h"
#include "core/str.h"
#include "db/db.h"
#include "db/migrate.h"
#include "db/writer.h"

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* `rebound db`: 75 when the server could not be reached or the failure is
 * transient, 2 for a usage error, 1 for anything else (a changed
 * migration, a newer schema, a failed migration). */
static int exit_for(const struct rb_error *err)
{
	if (err->code == RB_E_TEMP)
		return RB_EXIT_TEMPFAIL;
	return err->code == RB_E_USAGE ? 2 : 1;
}

/* ---- rebound db ---- */

static void db_usage(FILE *fp)
{
	fputs("usage: rebound db migrate [-c FILE] [--to N]\n"
	      "       rebound db status [-c FILE]\n",
	      fp);
}

int rb_cmd_db(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"to", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct rb_config *cfg;
	struct rb_db *db = NULL;
	struct rb_error err;
	const char *conf = NULL, *cmd;
	uint32_t target = 0;
	unsigned from = 0, to = 0;
	int c, ret;

	if (argc < 2 || argv[1][0] == '-') {
		db_usage(stderr);
		return 2;
	}
	cmd = argv[1];
	if (strcmp(cmd, "migrate") != 0 && strcmp(cmd, "status") != 0) {
		fprintf(stderr, "rebound: db: unknown command '%s'\n", cmd);
		db_usage(stderr);
		return 2;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:t:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 't':
			if (rb_parse_u32(optarg, &target) < 0 || target == 0) {
				fprintf(stderr, "rebound: db: bad --to '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'h':
			db_usage(stdout);
			return 0;
		default:
			db_usage(stderr);
			return 2;
		}
	}
	if (optind < argc - 1) {
		db_usage(stderr);
		return 2;
	}
	rb_error_clear(&err);
	cfg = conf ? rb_config_load(conf, &err) : rb_config_default();
	if (cfg == NULL) {
		fprintf(stderr, "rebound: %s\n", err.msg);
		return 1;
	}
	db = rb_db_new(&cfg->database);
	if (rb_db_connect(db, &err) < 0) {
		ret = exit_for(&err);
		goto out;
	}
	if (strcmp(cmd, "status") == 0) {
		if (rb_db_schema_version(db, &from, &err) < 0) {
			ret = exit_for(&err);
			goto out;
		}
		printf("schema version %u, this rebound knows %zu%s\n", from,
		       rb_n_migrations,
		       from < rb_n_migrations ? " (run rebound db migrate)"
					       : "");
		ret = 0;
		goto out;
	}
	if (rb_db_migrate(db, target, &from, &to, &err) < 0) {
		ret = exit_for(&err);
		goto out;
	}
	if (from == to)
		printf("schema version %u, up to date\n", to);
	else
		printf("schema version %u -> %u\n", from, to);
	ret = 0;
out:
	if (ret != 0 && err.msg[0] != '\0')
		fprintf(stderr, "rebound: db: %s\n", err.msg);
	rb_db_free(&db);
	rb_config_free(&cfg);
	return ret;
}

/* ---- rebound ingest ---- */

struct ingest {
	struct rb_pipeline pl;
	struct rb_db *db;
	struct rb_db_writer *w;
	bool mbox;
	bool failed; /* the database gave up: stop storing */
	struct rb_fbl_origin origin; /* --feedback-loop / --trust */
	const char **trusted;
	struct rb_error err;
};

/* The stable id of a source: "stdin", or the real path (plus "#N" of an
 * mbox message) so that the same file named two ways is one message.
 * Returns (owned) the id. */
static char *source_id(const char *source, bool mbox)
{
	char *path = rb_xstrdup(source);
	const char *suffix = "";
	char *hash = mbox ? strrchr(path, '#') : NULL;
	char *real, *id;
	size_t n;

	if (strcmp(source, "-") == 0) {
		free(path);
		return rb_xstrdup("stdin");
	}
	if (hash != NULL) {
		*hash = '\0';
		suffix = source + (hash - path);
	}
	real = realpath(path, NULL);
	n = strlen(real ? real : path) + strlen(suffix) + 1;
	id = rb_xmalloc(n);
	(void)snprintf(id, n, "%s%s", real ? real : path, suffix);
	free(real);
	free(path);
	return id;
}

static void on_message(const char *source, const char *buf, size_t len,
		       void *ud)
{
	struct ingest *in = ud;
	struct rb_db_item item;
	struct rb_report *r;
	char *id;

	if (in->failed)
		return;
	memset(&item, 0, sizeof(item));
	item.received_us = now_us();
	r = rb_pipeline_run(&in->pl, buf, len);
	(void)rb_pipeline_trust(r, &in->origin);
	id = source_id(source, in->mbox);
	item.source = strcmp(source, "-") == 0 ? "stdin"
		      : in->mbox		  ? "mbox"
						  : "file";
	item.source_id = id;
	item.raw = buf;
	item.len = len;
	item.parsed_us = now_us();
	if (rb_db_writer_add(in->w, &item, r, &in->err) < 0)
		in->failed = true;
	free(id);
	rb_report_free(&r);
}

static void ingest_usage(FILE *fp)
{
	fputs("usage: rebound ingest [-c FILE] [--mbox] [--feedback-loop PROVIDER|any]\n"
	      "                      [--trust PROVIDER]... PATH... | -\n"
	      "  complaints are stored only with --feedback-loop (the input is a\n"
	      "  feedback-loop mailbox of PROVIDER); otherwise they are quarantined\n",
	      fp);
}

int rb_cmd_ingest(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"mbox", no_argument, NULL, 'm'},
		{"feedback-loop", required_argument, NULL, 'F'},
		{"trust", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ingest in;
	struct rb_db_writer_opts wo;
	const struct rb_db_stats *st;
	const char *conf = NULL;
	unsigned version = 0;
	int c, ret = 0;

	memset(&in, 0, sizeof(in));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:mh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'm':
			in.mbox = true;
			break;
		case 'F':
			in.origin.provider = optarg;
			break;
		case 'T':
			in.trusted = rb_xrealloc(in.trusted, (in.origin.n_trusted + 1) *
								    sizeof(*in.trusted));
			in.trusted[in.origin.n_trusted++] = optarg;
			in.origin.trusted = in.trusted;
			break;
		case 'h':
			ingest_usage(stdout);
			free(in.trusted);
			return 0;
		default:
			ingest_usage(stderr);
			free(in.trusted);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rebound: ingest: no input (give paths or -)\n");
		free(in.trusted);
		return 2;
	}
	if (rb_pipeline_init(&in.pl, conf, &in.err) < 0) {
		/* the configuration, not the mail, is at fault: an MTA must
		 * keep the message (a bounce has no sender to return it to) */
		fprintf(stderr, "rebound: %s\n", in.err.msg);
		free(in.trusted);
		return RB_EXIT_TEMPFAIL;
	}
	in.db = rb_db_new(&in.pl.cfg->database);
	if (rb_db_connect(in.db, &in.err) < 0 ||
	    rb_db_schema_version(in.db, &version, &in.err) < 0) {
		fprintf(stderr, "rebound: ingest: %s\n", in.err.msg);
		ret = RB_EXIT_TEMPFAIL;
		goto out;
	}
	if (version == 0) {
		fprintf(stderr, "rebound: ingest: the database has no rebound "
				"schema; run 'rebound db migrate'\n");
		ret = RB_EXIT_TEMPFAIL;
		goto out;
	}
	memset(&wo, 0, sizeof(wo));
	wo.batch_size = in.pl.cfg->database.batch_size;
	wo.keep_raw_days = in.pl.cfg->database.keep_raw_days;
	/* The policy needs migration 4 (an older schema still ingests). */
	if (version >= 4)
		wo.policy = &in.pl.cfg->suppression;
	/* parse the next batch while the last one commits: nothing is
	 * acknowledged before the final flush */
	wo.overlap = true;
	in.w = rb_db_writer_new(in.db, &wo);
	for (int i = optind; i < argc && !in.failed; i++) {
		if (rb_input_read(argv[i], in.mbox,
				  in.pl.cfg->limits.max_message_size,
				  on_message, &in) < 0)
			ret = 1;
	}
	if (!in.failed && rb_db_writer_flush(in.w, &in.err) < 0)
		in.failed = true;
	if (in.failed) {
		fprintf(stderr, "rebound: ingest: %s; %zu messages not stored\n",
			in.err.msg, rb_db_writer_pending(in.w));
		ret = RB_EXIT_TEMPFAIL;
	} else {
		PGresult *r = rb_db_query(in.db, "SELECT rebound.purge_raw()",
					  0, NULL, &in.err);

		if (r == NULL)
			fprintf(stderr, "rebound: ingest: purge: %s\n",
				in.err.msg);
		PQclear(r);
	}
	st = rb_db_writer_stats(in.w);
	fprintf(stderr,
		"rebound: ingest: %lu messages, %lu stored, %lu events, "
		"%lu quarantined, %lu duplicates skipped, %lu batches\n",
		st->messages, st->stored, st->events, st->quarantined,
		st->duplicates, st->batches);
	if (wo.policy != NULL)
		fprintf(stderr,
			"rebound: ingest: suppression: %lu added, %lu hit again;"
			" %lu blocklist incident updates\n",
			st->suppressed, st->suppression_hits, st->incidents);
out:
	rb_db_writer_free(&in.w);
	rb_db_free(&in.db);
	rb_pipeline_deinit(&in.pl);
	free(in.trusted);
	return ret;
}
