/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/cmd_run.c - `rebound run`: the daemon that consumes every configured
 * live source (IMAP mailboxes, maildirs) and loses nothing.
 *
 * One worker thread per source, each with its own pipeline, database
 * connections and source session. A batch is: fetch (never marks anything
 * read) -> parse and classify -> store in one transaction -> only then
 * acknowledge to the source (move processed reports, quarantined messages
 * and non-reports to their folders) -> record the checkpoint. A crash at
 * any point is safe: the store is idempotent, and what was not
 * acknowledged is fetched again. A PostgreSQL advisory lock per source
 * (held on a connection of its own) keeps two processes off one mailbox;
 * when the holder dies the next one takes over.
 *
 * Signals: SIGTERM/SIGINT finish the batch in flight and exit; SIGHUP
 * finishes it and restarts every worker from a freshly loaded
 * configuration (a broken file keeps the old one running).
 *
 * --once drains every source and exits: 1 when the database or its schema
 * cannot be used, a source fails for good, or a source's server stays
 * unreachable (ONCE_TEMP_TRIES transient faults in a row), so a cron job
 * never hangs. The daemon retries those instead.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_run.h"
#include "bounce/classify.h"
#include "cli/pipeline.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sources.h"
#include "db/db.h"
#include "db/migrate.h"
#include "db/sources.h"
#include "db/writer.h"
#include "fbl/trust.h"
#include "ingest/source.h"

#define LOCK_RETRY_S 5	/* how often a waiting instance tries the lock */
#define ERROR_PAUSE_S 30 /* pause after a permanent source error */
/* --once: transient source faults in a row before giving up */
#define ONCE_TEMP_TRIES 3

struct worker {
	const char *conf_path;
	const struct rb_source_config *sc; /* borrowed from the run config */
	bool once;			   /* drain once, then exit */
	volatile int stop;
	pthread_t th;
	bool started;
	volatile int finished; /* set by the worker as it returns */
	int status; /* 0 ok, 1 failed for good */
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Sleeps up to @s seconds, waking early when *stop is set. */
static void pause_for(volatile int *stop, unsigned s)
{
	for (unsigned i = 0; i < s * 10 && !*stop; i++) {
		struct timespec ts = {0, 100000000};

		nanosleep(&ts, NULL);
	}
}

static struct rb_source *make_source(const struct rb_source_config *sc,
				     const struct rb_limits *lim)
{
	if (strcmp(sc->type, "imap") == 0) {
		struct rb_imap_config ic;

		memset(&ic, 0, sizeof(ic));
		ic.host = sc->host;
		ic.port = (uint16_t)sc->port;
		ic.tls = sc->tls;
		ic.ca_file = sc->ca_file;
		ic.user = sc->user;
		ic.password_file = sc->password_file;
		ic.password_env = sc->password_env;
		ic.mailbox = sc->mailbox;
		ic.processed_folder = sc->processed_folder;
		ic.quarantine_folder = sc->quarantine_folder;
		ic.notreport_folder = sc->notreport_folder;
		ic.batch = sc->batch;
		ic.max_size = lim->max_message_size;
		ic.idle = sc->idle;
		ic.poll_interval = sc->poll_interval;
		ic.timeout = sc->timeout;
		return rb_source_imap_new(&ic);
	} else {
		struct rb_maildir_config mc;

		memset(&mc, 0, sizeof(mc));
		mc.path = sc->path;
		mc.processed_path = sc->processed_path;
		mc.quarantine_path = sc->quarantine_path;
		mc.notreport_path = sc->notreport_path;
		mc.max_size = lim->max_message_size;
		mc.batch = sc->batch;
		return rb_source_maildir_new(&mc);
	}
}

/* What becomes of one message: stored report, quarantined, or not a
 * report. An untrusted complaint is turned into a quarantine entry here,
 * so it suppresses nothing. */
static enum rb_ack decide(struct rb_report *r, const struct rb_source_config *sc,
			  bool *complaint_r)
{
	struct rb_fbl_origin o = {sc->feedback_loop,
				  (const char *const *)sc->trusted_providers,
				  sc->n_trusted_providers};
	bool complaint = rb_fbl_is_complaint(r);

	/* an untrusted complaint comes back as a quarantine entry */
	*complaint_r = rb_pipeline_trust(r, &o);
	if (complaint && !*complaint_r)
		return RB_ACK_QUARANTINED;
	if (r->n_rcpts > 0)
		return RB_ACK_PROCESSED;
	if (rb_rule_is_not_report(r->rule))
		return RB_ACK_NOT_REPORT;
	/* No recipient. The writer quarantines only kind "unknown"; a report
	 * of a known kind without a recipient (an autoreply whose sender
	 * cannot be told) would be stored as a message with no event while
	 * its mail goes to the quarantine folder. Quarantine it in the
	 * database too, its rule as the reason. */
	r->kind = RB_KIND_UNKNOWN;
	return RB_ACK_QUARANTINED;
}

struct ctx {
	struct worker *w;
	struct rb_pipeline pl;
	struct rb_db *db;     /* the writer's connection */
	struct rb_db *lockdb; /* holds the source's advisory lock */
	struct rb_db_writer *wr;
	struct rb_db_writer_opts wo;
	struct rb_source *src;
	bool open;
	struct rb_source_checkpoint saved; /* what the database has */
	unsigned temp_faults; /* transient source faults in a row */
	struct rb_error err;
};

static bool connect_db(struct ctx *c, struct rb_db *db)
{
	while (!c->w->stop) {
		if (!rb_db_lost(db) || rb_db_reconnect(db, &c->err) == 0)
			return true;
		rb_log(RB_LOG_WARN, "src=%s event=db-unreachable error=\"%s\"",
		       c->w->sc->name, c->err.msg);
		if (c->w->once) {
			c->w->status = 1;
			return false;
		}
		pause_for(&c->w->stop, LOCK_RETRY_S);
	}
	return false;
}

/* Makes sure we hold the source's lock; waits while another instance
 * does. Returns false when asked to stop. */
static bool hold_lock(struct ctx *c)
{
	bool held = false, said = false;

	while (!c->w->stop) {
		if (!connect_db(c, c->lockdb))
			return false;
		if (rb_db_source_lock(c->lockdb, c->w->sc->name, &held, &c->err) < 0) {
			if (c->err.code == RB_E_TEMP) {
				rb_db_reconnect(c->lockdb, &c->err);
				continue;
			}
			/* not the connection: reconnecting would spin */
			rb_log(RB_LOG_WARN,
			       "src=%s event=lock-failed error=\"%s\"",
			       c->w->sc->name, c->err.msg);
			if (c->w->once) {
				c->w->status = 1;
				return false;
			}
			pause_for(&c->w->stop, LOCK_RETRY_S);
			continue;
		}
		if (held)
			return true;
		if (!said) {
			rb_log(RB_LOG_NOTICE,
			       "src=%s event=locked-elsewhere action=waiting",
			       c->w->sc->name);
			said = true;
		}
		if (c->w->once)
			return false;
		pause_for(&c->w->stop, LOCK_RETRY_S);
	}
	return false;
}

/* Commits the queued batch, retrying while the database is away. */
static bool commit(struct ctx *c)
{
	unsigned attempt = 0;

	while (rb_db_writer_flush(c->wr, &c->err) < 0) {
		if (c->err.code != RB_E_TEMP) {
			rb_log(RB_LOG_ERR, "src=%s event=store-failed error=\"%s\"",
			       c->w->sc->name, c->err.msg);
			return false;
		}
		rb_log(RB_LOG_WARN, "src=%s event=store-retry attempt=%u error=\"%s\"",
		       c->w->sc->name, attempt, c->err.msg);
		if (c->w->stop)
			return false; /* nothing acknowledged: fetched again */
		pause_for(&c->w->stop, attempt < 6 ? 1u << attempt : 60);
		attempt++;
	}
	return true;
}

/* One batch. Returns the number of messages handled, 0 when there was
 * nothing new, -1 on a transient source error, -2 on a permanent one. */
static int one_batch(struct ctx *c)
{
	const struct rb_source_config *sc = c->w->sc;
	struct rb_source_msg *msgs = NULL;
	enum rb_ack *acks;
	size_t n = 0;
	unsigned long reports = 0, stored, dups;
	const struct rb_db_stats *st;
	struct rb_source_checkpoint cp;

	if (rb_source_fetch(c->src, 0, &msgs, &n, &c->err) < 0)
		return c->err.code == RB_E_TEMP ? -1 : -2;
	if (n == 0)
		return 0;
	acks = rb_xcalloc(n, sizeof(*acks));
	st = rb_db_writer_stats(c->wr);
	stored = st->stored + st->quarantined;
	dups = st->duplicates;
	for (size_t i = 0; i < n; i++) {
		struct rb_source_msg *m = &msgs[i];
		struct rb_db_item item;
		struct rb_report *r;
		bool complaint;

		item.source = sc->type;
		item.source_id = m->id;
		item.raw = m->too_big ? NULL : m->data;
		item.len = m->too_big ? m->size : m->len;
		item.received_us = now_us();
		r = rb_pipeline_run(&c->pl, item.raw, item.len);
		item.parsed_us = now_us();
		acks[i] = decide(r, sc, &complaint);
		reports += complaint;
		if (rb_db_writer_add(c->wr, &item, r, &c->err) < 0 &&
		    c->err.code != RB_E_TEMP) {
			rb_log(RB_LOG_ERR, "src=%s event=store-failed error=\"%s\"",
			       sc->name, c->err.msg);
		}
		rb_report_free(&r);
	}
	if (!commit(c)) {
		/* not stored: drop what the writer still holds (it keeps a
		 * failed batch, which would be sent again with every later
		 * one), and forget the in-memory checkpoint so the same
		 * messages come again (a maildir forgets the names it handed
		 * out when the source error below reopens it) */
		rb_db_writer_free(&c->wr);
		c->wr = rb_db_writer_new(c->db, &c->wo);
		rb_source_set_checkpoint(c->src, &c->saved);
		rb_source_msgs_free(&msgs, n);
		free(acks);
		return c->w->stop ? 0 : -2;
	}
	if (rb_source_ack(c->src, msgs, acks, n, &c->err) < 0) {
		/* stored but not moved: fetch them again (the store skips
		 * them) and move them then */
		rb_log(RB_LOG_WARN, "src=%s event=ack-failed error=\"%s\"", sc->name,
		       c->err.msg);
		rb_source_set_checkpoint(c->src, &c->saved);
		rb_source_msgs_free(&msgs, n);
		free(acks);
		/* a local file error (maildir) is not cured by waiting: the
		 * source error path reopens the source, so a maildir hands
		 * the messages out again instead of keeping them as seen */
		return c->err.code == RB_E_TEMP ? -1 : -2;
	}
	rb_source_get_checkpoint(c->src, &cp);
	if (rb_db_source_save(c->db, sc->name, sc->type, sc->feedback_loop,
			      cp.uidvalidity, cp.last_uid, n, reports,
			      &c->err) == 0)
		c->saved = cp;
	else
		rb_log(RB_LOG_WARN, "src=%s event=checkpoint-not-saved error=\"%s\"",
		       sc->name, c->err.msg);
	/* stored: new rows (messages and quarantine entries); duplicates:
	 * stored before (a replay after a crash, non-reports read again) */
	st = rb_db_writer_stats(c->wr);
	rb_log(RB_LOG_INFO,
	       "src=%s event=batch messages=%zu stored=%lu duplicates=%lu complaints=%lu uid=%u",
	       sc->name, n, st->stored + st->quarantined - stored,
	       st->duplicates - dups, reports, cp.last_uid);
	rb_source_msgs_free(&msgs, n);
	free(acks);
	return (int)n;
}

/* --once must end: true (status 1) when this transient source fault (the
 * server unreachable, the connection lost) is one too many in a row. The
 * daemon keeps retrying instead, with the source's backoff. */
static bool once_gives_up(struct ctx *c)
{
	if (!c->w->once || ++c->temp_faults < ONCE_TEMP_TRIES)
		return false;
	rb_log(RB_LOG_ERR, "src=%s event=gave-up faults=%u error=\"%s\"",
	       c->w->sc->name, c->temp_faults, c->err.msg);
	c->w->status = 1;
	return true;
}

/* A permanent source error: logged; with --once the worker ends (returns
 * true), otherwise the source is closed and reopened after a pause. */
static bool source_failed(struct ctx *c, const char *event)
{
	rb_log(RB_LOG_ERR, "src=%s event=%s error=\"%s\"", c->w->sc->name,
	       event, c->err.msg);
	if (c->w->once) {
		c->w->status = 1;
		return true;
	}
	rb_source_close(c->src);
	c->open = false;
	pause_for(&c->w->stop, ERROR_PAUSE_S);
	return false;
}

static void worker_loop(struct ctx *c)
{
	const struct rb_source_config *sc = c->w->sc;

	while (!c->w->stop) {
		int got;

		if (!hold_lock(c))
			break;
		if (!connect_db(c, c->db))
			break;
		if (!c->open) {
			if (rb_db_source_load(c->db, sc->name, &c->saved.uidvalidity,
					      &c->saved.last_uid, &c->err) < 0) {
				/* a lost connection is found by connect_db();
				 * anything else would spin: say it, and wait */
				rb_log(RB_LOG_WARN,
				       "src=%s event=checkpoint-not-loaded error=\"%s\"",
				       sc->name, c->err.msg);
				if (c->w->once) {
					c->w->status = 1;
					break;
				}
				if (!rb_db_lost(c->db))
					pause_for(&c->w->stop, LOCK_RETRY_S);
				continue;
			}
			rb_source_set_checkpoint(c->src, &c->saved);
			if (rb_source_open(c->src, &c->err) < 0) {
				rb_log(c->err.code == RB_E_TEMP ? RB_LOG_WARN : RB_LOG_ERR,
				       "src=%s event=open-failed error=\"%s\"", sc->name,
				       c->err.msg);
				if (c->w->once &&
				    (c->err.code != RB_E_TEMP || once_gives_up(c))) {
					c->w->status = 1;
					break;
				}
				pause_for(&c->w->stop,
					  c->err.code == RB_E_TEMP ? LOCK_RETRY_S : ERROR_PAUSE_S);
				continue;
			}
			c->open = true;
			rb_log(RB_LOG_INFO, "src=%s event=open type=%s uid=%u", sc->name,
			       sc->type, c->saved.last_uid);
		}
		got = one_batch(c);
		if (rb_source_checkpoint_reset(c->src))
			rb_log(RB_LOG_WARN,
			       "src=%s event=uidvalidity-changed action=refetch-all",
			       sc->name);
		if (got >= 0)
			c->temp_faults = 0;
		if (got > 0)
			continue;
		if (got == -2) {
			if (source_failed(c, "source-error"))
				break;
			continue;
		}
		if (got == 0 && c->w->once)
			break;
		if (got < 0 && once_gives_up(c))
			break;
		/* nothing new, or a transient fault: wait (IDLE, inotify,
		 * polling; the reconnect backoff on faults) */
		if (rb_source_wait(c->src, 60, &c->w->stop, &c->err) < 0 &&
		    source_failed(c, "wait-failed"))
			break;
	}
}

/* The schema version, asked until the database answers: a failed query
 * must not pass for "no policy". false: stopping, or --once gave up. */
static bool schema_version(struct ctx *c, unsigned *version_r)
{
	while (connect_db(c, c->db)) {
		if (rb_db_schema_version(c->db, version_r, &c->err) == 0)
			return true;
		rb_log(RB_LOG_WARN, "src=%s event=db-error error=\"%s\"",
		       c->w->sc->name, c->err.msg);
		if (c->w->once) {
			c->w->status = 1;
			return false;
		}
		if (!rb_db_lost(c->db))
			pause_for(&c->w->stop, LOCK_RETRY_S);
	}
	return false;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctx c;
	unsigned version = 0;

	memset(&c, 0, sizeof(c));
	c.w = w;
	if (rb_pipeline_init(&c.pl, w->conf_path, &c.err) < 0) {
		rb_log(RB_LOG_ERR, "src=%s event=config-error error=\"%s\"",
		       w->sc->name, c.err.msg);
		w->status = 1;
		w->finished = 1;
		return NULL;
	}
	c.db = rb_db_new(&c.pl.cfg->database);
	c.lockdb = rb_db_new(&c.pl.cfg->database);
	c.src = make_source(w->sc, &c.pl.cfg->limits);
	if (!schema_version(&c, &version))
		goto out;
	/* rebound.source_state (checkpoints) came with 005 */
	if (version < 5) {
		rb_log(RB_LOG_ERR,
		       "src=%s event=no-schema version=%u action=\"run rebound db migrate\"",
		       w->sc->name, version);
		w->status = 1;
		goto out;
	}
	c.wo.batch_size = c.pl.cfg->database.batch_size;
	c.wo.keep_raw_days = c.pl.cfg->database.keep_raw_days;
	c.wo.policy = &c.pl.cfg->suppression;
	c.wr = rb_db_writer_new(c.db, &c.wo);
	worker_loop(&c);
	rb_db_writer_free(&c.wr);
out:
	rb_source_free(&c.src);
	rb_db_free(&c.lockdb);
	rb_db_free(&c.db);
	rb_pipeline_deinit(&c.pl);
	rb_log(RB_LOG_INFO, "src=%s event=stopped", w->sc->name);
	w->finished = 1;
	return NULL;
}

static enum rb_log_level level_of(const char *s)
{
	if (s == NULL)
		return RB_LOG_INFO;
	if (strcmp(s, "error") == 0)
		return RB_LOG_ERR;
	if (strcmp(s, "warning") == 0)
		return RB_LOG_WARN;
	if (strcmp(s, "notice") == 0)
		return RB_LOG_NOTICE;
	if (strcmp(s, "debug") == 0)
		return RB_LOG_DEBUG;
	return RB_LOG_INFO;
}

static void start_workers(struct worker *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ws[i].started = pthread_create(&ws[i].th, NULL, worker_main, &ws[i]) == 0;
		if (!ws[i].started)
			rb_log(RB_LOG_ERR, "src=%s event=thread-failed", ws[i].sc->name);
	}
}

static int stop_workers(struct worker *ws, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		ws[i].stop = 1;
	for (size_t i = 0; i < n; i++) {
		if (ws[i].started)
			pthread_join(ws[i].th, NULL);
		ws[i].started = false;
		failed |= ws[i].status;
	}
	return failed;
}

static struct worker *make_workers(const struct rb_config *cfg,
				   const char *conf, bool once, size_t *n_r)
{
	struct worker *ws = rb_xcalloc(cfg->run.n_sources + 1, sizeof(*ws));

	for (size_t i = 0; i < cfg->run.n_sources; i++) {
		ws[i].conf_path = conf;
		ws[i].sc = &cfg->run.sources[i];
		ws[i].once = once;
	}
	*n_r = cfg->run.n_sources;
	return ws;
}

static void run_usage(FILE *fp)
{
	fputs("usage: rebound run -c rebound.conf [--once]\n"
	      "  consume every source of rebound.conf until SIGTERM;\n"
	      "  --once: drain each source once, then exit\n",
	      fp);
}

int rb_cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"once", no_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *conf = NULL;
	bool once = false;
	struct rb_config *cfg;
	struct rb_error err;
	struct worker *ws;
	size_t n;
	sigset_t set;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:oh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (conf == NULL || optind != argc) {
		run_usage(stderr);
		return 2;
	}
	cfg = rb_config_load(conf, &err);
	if (cfg == NULL) {
		fprintf(stderr, "rebound: %s\n", err.msg);
		return 1;
	}
	if (cfg->run.n_sources == 0) {
		fprintf(stderr, "rebound: %s: no sources configured\n", conf);
		rb_config_free(&cfg);
		return 1;
	}
	if (cfg->run.syslog)
		rb_log_use_syslog("rebound");
	rb_log_set_level(level_of(cfg->run.log_level));

	/* a server that goes away while we write must not kill us */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	ws = make_workers(cfg, conf, once, &n);
	rb_log(RB_LOG_NOTICE, "event=start sources=%zu config=%s", n, conf);
	start_workers(ws, n);
	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			rb_log(RB_LOG_NOTICE, "event=stopping signal=%d", sig);
			ret = stop_workers(ws, n);
			break;
		}
		if (sig == SIGHUP) {
			struct rb_config *ncfg = rb_config_load(conf, &err);

			if (ncfg == NULL) {
				rb_log(RB_LOG_ERR,
				       "event=reload-failed error=\"%s\" action=keep-running",
				       err.msg);
				continue;
			}
			rb_log(RB_LOG_NOTICE, "event=reloading");
			stop_workers(ws, n);
			free(ws);
			rb_config_free(&cfg);
			cfg = ncfg;
			rb_log_set_level(level_of(cfg->run.log_level));
			ws = make_workers(cfg, conf, once, &n);
			start_workers(ws, n);
			continue;
		}
		if (once) {
			bool all_done = true;

			for (size_t i = 0; i < n; i++)
				all_done &= !ws[i].started || ws[i].finished;
			if (all_done) {
				ret = stop_workers(ws, n);
				break;
			}
		}
	}
	free(ws);
	rb_config_free(&cfg);
	rb_log(RB_LOG_NOTICE, "event=stopped");
	return ret;
}
