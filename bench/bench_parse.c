/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench/bench_parse.c - parse-and-classify throughput: loads every file
 * named on standard input into memory, then runs the full pipeline over
 * them for N rounds and prints messages per second. Compare with
 * ../shared/tools/gmime-floor.c in the same run (bench/run.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/input.h"
#include "cli/pipeline.h"
#include "core/buf.h"
#include "core/mem.h"

struct msg {
	char *buf;
	size_t len;
};

struct corpus {
	struct msg *m;
	size_t n;
};

static void keep(const char *source, const char *buf, size_t len, void *ud)
{
	struct corpus *c = ud;

	(void)source;
	if (buf == NULL)
		return;
	c->m = rb_xrealloc(c->m, (c->n + 1) * sizeof(*c->m));
	c->m[c->n].buf = rb_xstrndup(buf, len);
	c->m[c->n].len = len;
	c->n++;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct corpus c = {NULL, 0};
	struct rb_pipeline pl;
	struct rb_error err;
	char line[4096];
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	unsigned long rcpts = 0;
	double t0, dt;

	rb_parse_init();
	if (rb_pipeline_init(&pl, NULL, &err) < 0) {
		fprintf(stderr, "bench_parse: %s\n", err.msg);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (*line)
			(void)rb_input_read(line, false, pl.cfg->limits.max_message_size,
					    keep, &c);
	}
	if (c.n == 0 || rounds < 1) {
		fprintf(stderr, "usage: find DIR -type f | bench_parse [ROUNDS]\n");
		return 2;
	}
	t0 = now();
	for (long r = 0; r < rounds; r++) {
		for (size_t i = 0; i < c.n; i++) {
			struct rb_report *rep =
				rb_pipeline_run(&pl, c.m[i].buf, c.m[i].len);

			rcpts += rep->n_rcpts;
			rb_report_free(&rep);
		}
	}
	dt = now() - t0;
	printf("rebound parse+classify: %zu messages x %ld rounds in %.3f s = %.0f msg/s (%lu results)\n",
	       c.n, rounds, dt, (double)c.n * (double)rounds / dt, rcpts);
	for (size_t i = 0; i < c.n; i++)
		free(c.m[i].buf);
	free(c.m);
	rb_pipeline_deinit(&pl);
	rb_parse_shutdown();
	return 0;
}
