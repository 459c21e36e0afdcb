/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/main.c - the single rebound binary and its subcommands.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/examples.h"
#include "cli/cmd_db.h"
#include "cli/cmd_run.h"
#include "cli/cmd_suppression.h"
#include "cli/input.h"
#include "cli/output.h"
#include "cli/pipeline.h"
#include "core/log.h"
#include "core/mem.h"

#ifndef REBOUND_VERSION
#define REBOUND_VERSION "0.1.0"
#endif

enum fmt { FMT_NDJSON, FMT_TEXT, FMT_EXPLAIN };

struct stat_entry {
	char *rule;
	unsigned long n;
};

struct run {
	struct rb_pipeline pl;
	enum fmt fmt;
	bool stats;
	struct stat_entry *st;
	size_t nst;
	unsigned long messages;
};

static void count_rule(struct run *run, const char *rule)
{
	if (rule == NULL)
		rule = "(none)";
	for (size_t i = 0; i < run->nst; i++) {
		if (strcmp(run->st[i].rule, rule) == 0) {
			run->st[i].n++;
			return;
		}
	}
	run->st = rb_xrealloc(run->st, (run->nst + 1) * sizeof(*run->st));
	run->st[run->nst].rule = rb_xstrdup(rule);
	run->st[run->nst].n = 1;
	run->nst++;
}

static void on_message(const char *source, const char *buf, size_t len,
		       void *ud)
{
	struct run *run = ud;
	struct rb_report *r = rb_pipeline_run(&run->pl, buf, len);

	run->messages++;
	switch (run->fmt) {
	case FMT_NDJSON:
		rb_output_ndjson(stdout, source, r);
		break;
	case FMT_TEXT:
		rb_output_text(stdout, source, r);
		break;
	case FMT_EXPLAIN:
		rb_output_explain(stdout, source, r);
		break;
	}
	if (run->stats) {
		if (r->n_rcpts == 0)
			count_rule(run, r->rule);
		for (size_t i = 0; i < r->n_rcpts; i++)
			count_rule(run, r->rcpts[i].rule);
	}
	rb_report_free(&r);
}

static int cmp_stat(const void *a, const void *b)
{
	const struct stat_entry *x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->rule, y->rule);
}

static void print_stats(struct run *run)
{
	qsort(run->st, run->nst, sizeof(*run->st), cmp_stat);
	fprintf(stderr, "rule hits over %lu messages:\n", run->messages);
	for (size_t i = 0; i < run->nst; i++)
		fprintf(stderr, "%8lu  %s\n", run->st[i].n, run->st[i].rule);
	fprintf(stderr, "rules that never fired:\n");
	for (size_t i = 0; i < run->pl.rules->n; i++) {
		if (run->pl.rules->rules[i].hits == 0)
			fprintf(stderr, "          rule:%s (%s:%u)\n",
				run->pl.rules->rules[i].id,
				run->pl.rules->rules[i].file,
				run->pl.rules->rules[i].line);
	}
}

static void usage(FILE *fp)
{
	fputs("usage: rebound COMMAND [OPTIONS] [ARGS]\n"
	      "\n"
	      "commands:\n"
	      "  parse [--format ndjson|text] [--mbox] [--stats] [-c FILE] PATH... | -\n"
	      "        classify bounces and complaints; one result per recipient\n"
	      "  explain [--mbox] [-c FILE] PATH... | -\n"
	      "        show which parts were read and what decided each field\n"
	      "  ingest [--mbox] [-c FILE] PATH... | -\n"
	      "        classify and store in PostgreSQL (exit 75: database unreachable)\n"
	      "  run -c FILE [--once]\n"
	      "        the daemon: consume the IMAP and maildir sources of FILE\n"
	      "  db migrate [-c FILE] [--to N] | db status [-c FILE]\n"
	      "        install or upgrade the database schema, or show its version\n"
	      "  suppression list|check ADDRESS|add ADDRESS|remove ADDRESS|export [OPTIONS]\n"
	      "        the suppression list (check exits 1 when ADDRESS is suppressed)\n"
	      "  reputation [--sender S] [--ip IP] [--state S] [--window 1|7|30] [--format F]\n"
	      "        complaint, hard-bounce and block rates and states per sender and IP\n"
	      "  report NAME [--since DATE] [--format table|csv|json|ndjson]\n"
	      "        bounce-reasons, failures-by-domain, complaints, at-risk, blocklists,\n"
	      "        deferrals, quarantine, feedback-loops\n"
	      "  volume import [--by sender|ip] FILE.csv | -\n"
	      "        load sent counts (sender,day,recipient_domain,count)\n"
	      "  check-config [-c FILE]\n"
	      "        validate the configuration and the rule files\n"
	      "  rules check [-c FILE]\n"
	      "        decide every rule's example lines; list the ones that fail\n"
	      "  version\n",
	      fp);
}

static int cmd_parse(int argc, char **argv, bool explain)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"mbox", no_argument, NULL, 'm'},
		{"stats", no_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct run run;
	struct rb_error err;
	const char *conf = NULL;
	bool mbox = false;
	int c, ret = 0;

	memset(&run, 0, sizeof(run));
	run.fmt = explain ? FMT_EXPLAIN : FMT_NDJSON;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:msc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "ndjson") == 0 ||
			    strcmp(optarg, "json") == 0)
				run.fmt = FMT_NDJSON;
			else if (strcmp(optarg, "text") == 0)
				run.fmt = FMT_TEXT;
			else {
				fprintf(stderr,
					"rebound: unknown format '%s' (ndjson, text)\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			mbox = true;
			break;
		case 's':
			run.stats = true;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rebound: %s: no input (give paths or -)\n",
			argv[0]);
		return 2;
	}
	if (rb_pipeline_init(&run.pl, conf, &err) < 0) {
		fprintf(stderr, "rebound: %s\n", err.msg);
		return 1;
	}
	if (run.fmt == FMT_TEXT)
		rb_output_text_header(stdout);
	for (int i = optind; i < argc; i++) {
		if (rb_input_read(argv[i], mbox,
				  run.pl.cfg->limits.max_message_size,
				  on_message, &run) < 0)
			ret = 1;
	}
	if (run.stats)
		print_stats(&run);
	for (size_t i = 0; i < run.nst; i++)
		free(run.st[i].rule);
	free(run.st);
	rb_pipeline_deinit(&run.pl);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "rebound: write error on standard output\n");
		ret = 1;
	}
	return ret;
}

/* "[-c FILE]" from argv[@first..]: loads the pipeline into @pl. Returns 0,
 * or the exit status (2 usage, 1 configuration error). */
static int load_config_only(int argc, char **argv, int first,
			    struct rb_pipeline *pl, const char **conf_r)
{
	struct rb_error err;
	const char *conf = NULL;

	for (int i = first; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 ||
		     strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			conf = argv[++i];
		else {
			usage(stderr);
			return 2;
		}
	}
	if (rb_pipeline_init(pl, conf, &err) < 0) {
		fprintf(stderr, "rebound: %s\n", err.msg);
		return 1;
	}
	*conf_r = conf;
	return 0;
}

static int cmd_check_config(int argc, char **argv)
{
	struct rb_pipeline pl;
	const char *conf;
	int ret = load_config_only(argc, argv, 1, &pl, &conf);

	if (ret != 0)
		return ret;
	printf("%s: ok (%zu rules)\n", conf ? conf : "(defaults)",
	       pl.rules->n);
	rb_pipeline_deinit(&pl);
	return 0;
}

static int cmd_rules(int argc, char **argv)
{
	struct rb_pipeline pl;
	struct rb_example_stats st;
	const char *conf;
	size_t failed;
	int ret;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		usage(stderr);
		return 2;
	}
	if ((ret = load_config_only(argc, argv, 2, &pl, &conf)) != 0)
		return ret;
	failed = rb_rules_check_examples(pl.rules, &pl.cls, &st, stderr);
	printf("rules: %zu, with examples: %zu, examples checked: %zu, "
	       "skipped (if-from/if-host): %zu, failed: %zu\n",
	       st.rules, st.with_examples, st.examples, st.skipped, failed);
	rb_pipeline_deinit(&pl);
	return failed > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	rb_parse_init();
	if (strcmp(argv[1], "parse") == 0)
		ret = cmd_parse(argc - 1, argv + 1, false);
	else if (strcmp(argv[1], "explain") == 0)
		ret = cmd_parse(argc - 1, argv + 1, true);
	else if (strcmp(argv[1], "ingest") == 0)
		ret = rb_cmd_ingest(argc - 1, argv + 1);
	else if (strcmp(argv[1], "run") == 0)
		ret = rb_cmd_run(argc - 1, argv + 1);
	else if (strcmp(argv[1], "db") == 0)
		ret = rb_cmd_db(argc - 1, argv + 1);
	else if (strcmp(argv[1], "suppression") == 0)
		ret = rb_cmd_suppression(argc - 1, argv + 1);
	else if (strcmp(argv[1], "reputation") == 0)
		ret = rb_cmd_reputation(argc - 1, argv + 1);
	else if (strcmp(argv[1], "report") == 0)
		ret = rb_cmd_report(argc - 1, argv + 1);
	else if (strcmp(argv[1], "volume") == 0)
		ret = rb_cmd_volume(argc - 1, argv + 1);
	else if (strcmp(argv[1], "rules") == 0)
		ret = cmd_rules(argc - 1, argv + 1);
	else if (strcmp(argv[1], "check-config") == 0)
		ret = cmd_check_config(argc - 1, argv + 1);
	else if (strcmp(argv[1], "version") == 0 ||
		 strcmp(argv[1], "--version") == 0) {
		printf("rebound %s\n", REBOUND_VERSION);
		ret = 0;
	} else if (strcmp(argv[1], "help") == 0 ||
		   strcmp(argv[1], "--help") == 0 ||
		   strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		ret = 0;
	} else {
		fprintf(stderr, "rebound: unknown command '%s'\n", argv[1]);
		usage(stderr);
		ret = 2;
	}
	rb_parse_shutdown();
	return ret;
}
