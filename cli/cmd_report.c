/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_report.c - `rebound reputation`, `rebound report` and
 * `rebound volume import`: options and printing; the SQL is in
 * db/report.c and db/volume.c.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cmd_out.h"
#include "cli/cmd_suppression.h"
#include "db/db.h"
#include "db/report.h"
#include "db/volume.h"

/* ---- rebound reputation ---- */

static void rep_usage(FILE *fp)
{
	fputs("usage: rebound reputation [--sender S] [--ip IP] "
	      "[--state ok|warn|throttle|block|unknown] [--window 1|7|30]\n"
	      "                          [--format table|csv|json|ndjson] "
	      "[-c FILE]\n",
	      fp);
}

int rb_cmd_reputation(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"sender", required_argument, NULL, 'S'},
		{"ip", required_argument, NULL, 'i'},
		{"state", required_argument, NULL, 's'},
		{"window", required_argument, NULL, 'w'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static const char *const states[] = {"ok", "warn", "throttle", "block",
					     "unknown"};
	struct rb_rep_filter f;
	struct rb_cmd_ctx ctx;
	struct rb_error err;
	enum rb_out_fmt fmt = RB_OUT_TABLE;
	const char *conf = NULL;
	PGresult *r;
	bool ok;
	int c, ret;

	memset(&f, 0, sizeof(f));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:S:i:s:w:f:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'S':
			f.sender = optarg;
			break;
		case 'i':
			f.ip = optarg;
			break;
		case 's':
			ok = false;
			for (size_t i = 0; i < 5; i++)
				ok = ok || strcmp(optarg, states[i]) == 0;
			if (!ok) {
				rep_usage(stderr);
				return 2;
			}
			f.state = optarg;
			break;
		case 'w':
			if (strcmp(optarg, "1") != 0 && strcmp(optarg, "7") != 0 &&
			    strcmp(optarg, "30") != 0) {
				rep_usage(stderr);
				return 2;
			}
			f.window = optarg;
			break;
		case 'f':
			if (rb_out_format(optarg, &fmt) < 0) {
				rep_usage(stderr);
				return 2;
			}
			break;
		case 'h':
			rep_usage(stdout);
			return 0;
		default:
			rep_usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		rep_usage(stderr);
		return 2;
	}
	if ((ret = rb_cmd_open(&ctx, conf, "reputation")) != 0)
		return ret;
	f.now = rb_cmd_now();
	rb_error_clear(&err);
	r = rb_db_reputation(ctx.db, &ctx.cfg->reputation, &f, &err);
	if (r == NULL) {
		fprintf(stderr, "rebound: reputation: %s\n", err.msg);
		ret = rb_cmd_exit(&err);
	} else {
		rb_out_result(stdout, r, fmt);
		PQclear(r);
	}
	rb_cmd_close(&ctx);
	return ret;
}

/* ---- rebound report ---- */

static void report_usage(FILE *fp)
{
	fprintf(fp,
		"usage: rebound report NAME [--since YYYY-MM-DD] "
		"[--format table|csv|json|ndjson] [-c FILE]\n"
		"       NAME: %s\n",
		rb_db_report_names);
}

int rb_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"since", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct rb_cmd_ctx ctx;
	struct rb_error err;
	enum rb_out_fmt fmt = RB_OUT_TABLE;
	const char *conf = NULL, *since = NULL, *name;
	PGresult *r;
	int c, ret;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 's':
			if (!rb_db_valid_date(optarg)) {
				fprintf(stderr, "rebound: report: --since "
						"wants YYYY-MM-DD\n");
				return 2;
			}
			since = optarg;
			break;
		case 'f':
			if (rb_out_format(optarg, &fmt) < 0) {
				report_usage(stderr);
				return 2;
			}
			break;
		case 'h':
			report_usage(stdout);
			return 0;
		default:
			report_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		report_usage(stderr);
		return 2;
	}
	name = argv[optind];
	if (strstr(rb_db_report_names, name) == NULL || strchr(name, '|')) {
		fprintf(stderr, "rebound: report: unknown report '%s'\n", name);
		report_usage(stderr);
		return 2;
	}
	if ((ret = rb_cmd_open(&ctx, conf, "report")) != 0)
		return ret;
	rb_error_clear(&err);
	r = rb_db_report(ctx.db, name, since, &ctx.cfg->reputation,
			 rb_cmd_now(), &err);
	if (r == NULL) {
		fprintf(stderr, "rebound: report: %s\n", err.msg);
		ret = rb_cmd_exit(&err);
	} else {
		rb_out_result(stdout, r, fmt);
		PQclear(r);
	}
	rb_cmd_close(&ctx);
	return ret;
}

/* ---- rebound volume import ---- */

static void volume_usage(FILE *fp)
{
	fputs("usage: rebound volume import [--by sender|ip] [-c FILE] "
	      "FILE.csv | -\n"
	      "       lines: sender,day,recipient_domain,count "
	      "(recipient_domain empty = the day's total)\n",
	      fp);
}

int rb_cmd_volume(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"by", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct rb_volume_stats st;
	struct rb_cmd_ctx ctx;
	struct rb_error err;
	const char *conf = NULL, *path;
	bool by_ip = false;
	FILE *in;
	int c, ret;

	if (argc < 2 || strcmp(argv[1], "import") != 0) {
		volume_usage(stderr);
		return 2;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "c:b:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "ip") == 0)
				by_ip = true;
			else if (strcmp(optarg, "sender") != 0) {
				volume_usage(stderr);
				return 2;
			}
			break;
		case 'h':
			volume_usage(stdout);
			return 0;
		default:
			volume_usage(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc - 1) {
		volume_usage(stderr);
		return 2;
	}
	path = argv[optind + 1];
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (in == NULL) {
		fprintf(stderr, "rebound: volume: %s: cannot open\n", path);
		return 1;
	}
	if ((ret = rb_cmd_open(&ctx, conf, "volume")) != 0) {
		if (in != stdin)
			fclose(in);
		return ret;
	}
	rb_error_clear(&err);
	if (rb_db_volume_import(ctx.db, in, strcmp(path, "-") == 0 ? "stdin"
								   : path,
				by_ip, stderr, &st, &err) < 0) {
		fprintf(stderr, "rebound: volume: %s; nothing stored\n",
			err.msg);
		ret = err.code == RB_E_IO ? 1 : rb_cmd_exit(&err);
	} else {
		fprintf(stderr,
			"rebound: volume: %lu rows stored (%lu inserted or "
			"updated), %lu bad lines\n",
			st.rows, st.upserted, st.bad);
		ret = st.bad > 0 ? 1 : 0;
	}
	if (in != stdin)
		fclose(in);
	rb_cmd_close(&ctx);
	return ret;
}
