/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_suppression.c - `rebound suppression list|check|add|remove|
 * export`: argument handling and printing only; the SQL is in
 * db/suppress.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_out.h"
#include "cli/cmd_suppression.h"
#include "db/db.h"
#include "db/suppress.h"
#include "parsers/addr.h"

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: rebound suppression list [--scope S] [--sender S] "
		"[--reason R] [--all] [--format table|csv|json|ndjson] [-c FILE]\n"
		"       rebound suppression check ADDRESS [--sender S] [-c FILE]\n"
		"       rebound suppression add ADDRESS [--scope S] [--reason R] "
		"[--note N] [-c FILE]\n"
		"       rebound suppression remove ADDRESS [--scope S] --note N "
		"[-c FILE]\n"
		"       rebound suppression export --format %s [--scope S] "
		"[--sender S] [-c FILE]\n",
		rb_db_export_names);
}

struct args {
	const char *conf, *scope, *sender, *reason, *note, *format;
	bool all;
	const char *addr;
};

/* Parses options after the subcommand; at most one ADDRESS operand. */
static int parse(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"scope", required_argument, NULL, 's'},
		{"sender", required_argument, NULL, 'S'},
		{"reason", required_argument, NULL, 'r'},
		{"note", required_argument, NULL, 'n'},
		{"format", required_argument, NULL, 'f'},
		{"all", no_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:S:r:n:f:ah", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			a->conf = optarg;
			break;
		case 's':
			a->scope = optarg;
			break;
		case 'S':
			a->sender = optarg;
			break;
		case 'r':
			a->reason = optarg;
			break;
		case 'n':
			a->note = optarg;
			break;
		case 'f':
			a->format = optarg;
			break;
		case 'a':
			a->all = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		a->addr = argv[optind++];
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	return 0;
}

static bool address_ok(const char *a)
{
	const char *at = a ? strrchr(a, '@') : NULL;

	return at != NULL && at != a && at[1] != '\0' &&
	       strpbrk(a, " \t\r\n") == NULL && strlen(a) <= 1024;
}

static int cmd_list(struct rb_cmd_ctx *ctx, const struct args *a,
		    enum rb_out_fmt fmt)
{
	struct rb_supp_filter f = {a->scope, a->sender, a->reason, a->all,
				   rb_cmd_now()};
	struct rb_error err;
	PGresult *r;

	rb_error_clear(&err);
	if ((r = rb_db_supp_list(ctx->db, &f, &err)) == NULL) {
		fprintf(stderr, "rebound: suppression: %s\n", err.msg);
		return rb_cmd_exit(&err);
	}
	rb_out_result(stdout, r, fmt);
	PQclear(r);
	return 0;
}

/* Exit 0: may be mailed; 1: suppressed (why on standard output). */
static int cmd_check(struct rb_cmd_ctx *ctx, const struct args *a)
{
	struct rb_error err;
	PGresult *r;
	int n;

	rb_error_clear(&err);
	r = rb_db_supp_check(ctx->db, a->addr, a->sender, rb_cmd_now(), &err);
	if (r == NULL) {
		fprintf(stderr, "rebound: suppression: %s\n", err.msg);
		return rb_cmd_exit(&err);
	}
	n = PQntuples(r);
	if (n == 0)
		printf("%s: ok, may be mailed\n", a->addr);
	for (int i = 0; i < n; i++) {
		printf("%s: suppressed scope=%s reason=%s category=%s "
		       "since=%s expires=%s hits=%s%s%s\n",
		       a->addr, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetvalue(r, i, 2), PQgetvalue(r, i, 3),
		       PQgetisnull(r, i, 4) ? "never" : PQgetvalue(r, i, 4),
		       PQgetvalue(r, i, 5), PQgetisnull(r, i, 7) ? "" : " note=",
		       PQgetisnull(r, i, 7) ? "" : PQgetvalue(r, i, 7));
	}
	PQclear(r);
	return n == 0 ? 0 : 1;
}

static int cmd_add(struct rb_cmd_ctx *ctx, const struct args *a)
{
	struct rb_error err;
	char action[16];
	const char *scope = a->scope ? a->scope : "global";

	rb_error_clear(&err);
	if (rb_db_supp_add(ctx->db, a->addr, scope,
			   a->reason ? a->reason : "manual", rb_cmd_actor(),
			   a->note, action, &err) < 0) {
		fprintf(stderr, "rebound: suppression: %s\n", err.msg);
		return rb_cmd_exit(&err);
	}
	printf("%s: %s (scope %s)\n", a->addr,
	       strcmp(action, "add") == 0 ? "suppressed"
					  : "already suppressed, now permanent",
	       scope);
	return 0;
}

static int cmd_remove(struct rb_cmd_ctx *ctx, const struct args *a)
{
	struct rb_error err;
	unsigned long n = 0;

	rb_error_clear(&err);
	if (rb_db_supp_remove(ctx->db, a->addr, a->scope, rb_cmd_actor(),
			      a->note, &n, &err) < 0) {
		fprintf(stderr, "rebound: suppression: %s\n", err.msg);
		return rb_cmd_exit(&err);
	}
	if (n == 0) {
		fprintf(stderr, "rebound: suppression: %s is not suppressed%s%s\n",
			a->addr, a->scope ? " in scope " : "",
			a->scope ? a->scope : "");
		return 1;
	}
	printf("%s: removed from %lu scope(s); recorded in the suppression log\n",
	       a->addr, n);
	return 0;
}

static int cmd_export(struct rb_cmd_ctx *ctx, const struct args *a,
		      enum rb_export_fmt fmt)
{
	struct rb_supp_filter f = {a->scope, a->sender, NULL, false,
				   rb_cmd_now()};
	struct rb_error err;
	unsigned long n = 0;

	rb_error_clear(&err);
	if (rb_db_supp_export(ctx->db, fmt, &f, stdout, &n, &err) < 0) {
		fprintf(stderr, "rebound: suppression: export: %s\n", err.msg);
		return rb_cmd_exit(&err);
	}
	fprintf(stderr, "rebound: suppression: exported %lu entries\n", n);
	return 0;
}

int rb_cmd_suppression(int argc, char **argv)
{
	struct rb_cmd_ctx ctx;
	struct args a;
	struct rb_arena *ar = NULL;
	enum rb_out_fmt ofmt = RB_OUT_TABLE;
	enum rb_export_fmt xfmt = RB_EXPORT_CSV;
	const char *cmd;
	int ret;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout
								   : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	cmd = argv[1];
	if ((ret = parse(argc - 1, argv + 1, &a)) != 0)
		return ret == 1 ? 0 : ret;
	if (strcmp(cmd, "list") == 0) {
		if (a.addr != NULL ||
		    (a.format && rb_out_format(a.format, &ofmt) < 0)) {
			usage(stderr);
			return 2;
		}
	} else if (strcmp(cmd, "check") == 0 || strcmp(cmd, "add") == 0 ||
		   strcmp(cmd, "remove") == 0) {
		if (!address_ok(a.addr)) {
			fprintf(stderr, "rebound: suppression: %s: give one "
					"address (local@domain)\n",
				cmd);
			return 2;
		}
		if (strcmp(cmd, "remove") == 0 &&
		    (a.note == NULL || *a.note == '\0')) {
			fprintf(stderr, "rebound: suppression: remove needs "
					"--note (why; it is kept in the log)\n");
			return 2;
		}
		/* the spelling rebound stores: an internationalised
		 * domain as A-labels, so bücher.example finds
		 * xn--bcher-kva.example */
		ar = rb_arena_new();
		a.addr = rb_addr_canon(ar, rb_arena_strdup(ar, a.addr));
	} else if (strcmp(cmd, "export") == 0) {
		if (a.addr != NULL || a.format == NULL ||
		    rb_db_export_format(a.format, &xfmt) < 0) {
			fprintf(stderr, "rebound: suppression: export needs "
					"--format %s\n",
				rb_db_export_names);
			return 2;
		}
	} else {
		fprintf(stderr, "rebound: suppression: unknown command '%s'\n",
			cmd);
		usage(stderr);
		return 2;
	}
	if ((ret = rb_cmd_open(&ctx, a.conf, "suppression")) != 0) {
		rb_arena_free(&ar);
		return ret;
	}
	if (strcmp(cmd, "list") == 0)
		ret = cmd_list(&ctx, &a, ofmt);
	else if (strcmp(cmd, "check") == 0)
		ret = cmd_check(&ctx, &a);
	else if (strcmp(cmd, "add") == 0)
		ret = cmd_add(&ctx, &a);
	else if (strcmp(cmd, "remove") == 0)
		ret = cmd_remove(&ctx, &a);
	else
		ret = cmd_export(&ctx, &a, xfmt);
	rb_cmd_close(&ctx);
	rb_arena_free(&ar);
	if (fflush(stdout) != 0 && ret == 0) {
		fprintf(stderr, "rebound: write error on standard output\n");
		ret = 1;
	}
	return ret;
}
