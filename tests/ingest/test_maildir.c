/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/ingest/test_maildir.c - the maildir source on real directories
 * under $REBOUND_TEST_TMP (one folder per test, wiped first).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ingest/source.h"

struct md_test {
	char root[512];
	char inbox[600];
	char processed[600];
	char quarantine[600];
	char notreport[600];
	struct rb_maildir_config cfg;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Removes @path and everything under it (test folders only). */
static void rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char p[1024];
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		d = opendir(path);
		if (d != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (strcmp(de->d_name, ".") == 0 ||
				    strcmp(de->d_name, "..") == 0)
					continue;
				snprintf(p, sizeof(p), "%s/%s", path,
					 de->d_name);
				rm_rf(p);
			}
			closedir(d);
		}
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void mkdirs(const char *maildir)
{
	static const char *const sub[3] = {"new", "cur", "tmp"};
	char p[700];
	int i;

	assert_int_equal(mkdir(maildir, 0700), 0);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", maildir, sub[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
}

static void setup_dirs(struct md_test *t, const char *name)
{
	const char *tmp = getenv("REBOUND_TEST_TMP");

	if (tmp == NULL)
		tmp = "/tmp/rebound-test-maildir";
	mkdir(tmp, 0700);
	snprintf(t->root, sizeof(t->root), "%s/%s", tmp, name);
	rm_rf(t->root);
	assert_int_equal(mkdir(t->root, 0700), 0);
	snprintf(t->inbox, sizeof(t->inbox), "%s/inbox", t->root);
	snprintf(t->processed, sizeof(t->processed), "%s/processed", t->root);
	snprintf(t->quarantine, sizeof(t->quarantine), "%s/quarantine",
		 t->root);
	snprintf(t->notreport, sizeof(t->notreport), "%s/notreport", t->root);
	mkdirs(t->inbox);
	memset(&t->cfg, 0, sizeof(t->cfg));
	t->cfg.path = t->inbox;
	t->cfg.processed_path = t->processed;
	t->cfg.quarantine_path = t->quarantine;
	t->cfg.notreport_path = NULL;
}

static void put(const char *dir, const char *sub, const char *name,
		const char *content)
{
	char p[1024];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s/%s", dir, sub, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static bool exists(const char *dir, const char *rel)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0;
}

static size_t count(const char *dir, const char *sub)
{
	char p[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	d = opendir(p);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static struct rb_source *open_ok(const struct rb_maildir_config *c)
{
	struct rb_source *s = rb_source_maildir_new(c);
	struct rb_error err;

	assert_non_null(s);
	if (rb_source_open(s, &err) < 0)
		fail_msg("open: %s", err.msg);
	return s;
}

static void fetch_n(struct rb_source *s, size_t max, struct rb_source_msg **m,
		    size_t *n)
{
	struct rb_error err;

	if (rb_source_fetch(s, max, m, n, &err) < 0)
		fail_msg("fetch: %s", err.msg);
}

static void test_fetch_new_and_cur_not_tmp(void **state)
{
	struct rb_source_msg *m = NULL;
	struct md_test t;
	struct rb_source *s;
	size_t n;

	(void)state;
	setup_dirs(&t, "fetch");
	put(t.inbox, "new", "1700000001.M1P1.host", "Subject: one\n\nbody1\n");
	put(t.inbox, "cur", "1700000002.M2P1.host:2,F",
	    "Subject: two\n\nbody2\n");
	/* being delivered: never read */
	put(t.inbox, "tmp", "1700000000.M0P1.host", "Subject: partial\n");
	put(t.inbox, "new", ".hidden", "not a message\n");
	t.cfg.max_size = 30;
	put(t.inbox, "new", "1700000003.M3P1.host",
	    "Subject: three\n\nthis body makes it too big\n");
	s = open_ok(&t.cfg);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 3);
	/* in name (delivery time) order, ids relative to the maildir */
	assert_string_equal(m[0].id, "new/1700000001.M1P1.host");
	assert_string_equal(m[0].data, "Subject: one\n\nbody1\n");
	assert_int_equal(m[0].len, strlen("Subject: one\n\nbody1\n"));
	assert_int_equal(m[0].uid, 0);
	assert_string_equal(m[1].id, "cur/1700000002.M2P1.host:2,F");
	assert_string_equal(m[1].data, "Subject: two\n\nbody2\n");
	assert_string_equal(m[2].id, "new/1700000003.M3P1.host");
	assert_true(m[2].too_big);
	assert_null(m[2].data);
	assert_int_equal(
	    m[2].size,
	    strlen("Subject: three\n\nthis body makes it too big\n"));
	rb_source_msgs_free(&m, n);
	/* handed out once */
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	/* nothing was touched */
	assert_int_equal(count(t.inbox, "new"), 2);
	assert_int_equal(count(t.inbox, "cur"), 1);
	assert_int_equal(count(t.inbox, "tmp"), 1);
	rb_source_free(&s);
	assert_null(s);
}

static void test_batches(void **state)
{
	struct rb_source_msg *m = NULL;
	struct md_test t;
	struct rb_source *s;
	char name[64];
	size_t n, i;

	(void)state;
	setup_dirs(&t, "batches");
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "17000000%02zu.M%zuP1.host", i, i);
		put(t.inbox, "new", name, "Subject: x\n\nx\n");
	}
	t.cfg.batch = 2;
	s = open_ok(&t.cfg);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0].id, "new/1700000000.M0P1.host");
	rb_source_msgs_free(&m, n);
	fetch_n(s, 1, &m, &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].id, "new/1700000002.M2P1.host");
	rb_source_msgs_free(&m, n);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 2);
	rb_source_msgs_free(&m, n);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	rb_source_free(&s);
}

static void test_ack_renames(void **state)
{
	static const enum rb_ack acks[5] = {
	    RB_ACK_PROCESSED, RB_ACK_QUARANTINED, RB_ACK_NOT_REPORT,
	    RB_ACK_LEAVE, RB_ACK_PROCESSED};
	struct rb_source_msg *m = NULL;
	struct md_test t;
	struct rb_source *s;
	struct rb_error err;
	size_t n;

	(void)state;
	setup_dirs(&t, "ack");
	put(t.inbox, "new", "1.A.host", "Subject: processed\n\n");
	put(t.inbox, "new", "2.B.host", "Subject: quarantined\n\n");
	put(t.inbox, "new", "3.C.host", "Subject: not a report\n\n");
	put(t.inbox, "new", "4.D.host", "Subject: leave\n\n");
	put(t.inbox, "cur", "5.E.host:2,RF", "Subject: flagged, processed\n\n");
	s = open_ok(&t.cfg);
	/* the destinations exist after open */
	assert_true(exists(t.processed, "cur"));
	assert_true(exists(t.quarantine, "new"));
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 5);
	assert_string_equal(m[4].id, "cur/5.E.host:2,RF");
	if (rb_source_ack(s, m, acks, n, &err) < 0)
		fail_msg("ack: %s", err.msg);
	/* processed: seen; quarantined: not seen; flags kept in order */
	assert_true(exists(t.processed, "cur/1.A.host:2,S"));
	assert_true(exists(t.processed, "cur/5.E.host:2,FRS"));
	assert_true(exists(t.quarantine, "cur/2.B.host:2,"));
	/* no not-report maildir: left in place, as is; leave: left */
	assert_true(exists(t.inbox, "new/3.C.host"));
	assert_true(exists(t.inbox, "new/4.D.host"));
	assert_false(exists(t.inbox, "new/1.A.host"));
	assert_false(exists(t.inbox, "new/2.B.host"));
	assert_false(exists(t.inbox, "cur/5.E.host:2,RF"));
	assert_int_equal(count(t.processed, "cur"), 2);
	assert_int_equal(count(t.quarantine, "cur"), 1);
	/* acknowledging again (a replay) is harmless */
	if (rb_source_ack(s, m, acks, n, &err) < 0)
		fail_msg("ack again: %s", err.msg);
	assert_int_equal(count(t.processed, "cur"), 2);
	rb_source_msgs_free(&m, n);
	/* what was left is not handed out again by this process */
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	rb_source_free(&s);

	/* after a restart it is (the caller's keys make that harmless) */
	t.cfg.notreport_path = t.notreport;
	s = open_ok(&t.cfg);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 2);
	{
		enum rb_ack a2[2] = {RB_ACK_NOT_REPORT, RB_ACK_LEAVE};

		if (rb_source_ack(s, m, a2, n, &err) < 0)
			fail_msg("ack: %s", err.msg);
	}
	/* a not-report maildir: moved, never marked seen */
	assert_true(exists(t.notreport, "cur/3.C.host:2,"));
	assert_true(exists(t.inbox, "new/4.D.host"));
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
}

static void test_ack_refuses_foreign_ids(void **state)
{
	static const enum rb_ack acks[3] = {RB_ACK_PROCESSED, RB_ACK_PROCESSED,
					    RB_ACK_PROCESSED};
	struct rb_source_msg m[3];
	struct md_test t;
	struct rb_source *s;
	struct rb_error err;

	(void)state;
	setup_dirs(&t, "foreign");
	put(t.inbox, "new", "1.A.host", "Subject: x\n\n");
	put(t.inbox, "tmp", "2.B.host", "Subject: x\n\n");
	s = open_ok(&t.cfg);
	memset(m, 0, sizeof(m));
	m[0].id = (char *)"new/../../outside";
	m[1].id = (char *)"tmp/2.B.host";
	m[2].id = (char *)"/etc/passwd";
	assert_int_equal(rb_source_ack(s, m, acks, 3, &err), -1);
	assert_int_equal(err.code, RB_E_IO);
	assert_true(exists(t.inbox, "tmp/2.B.host"));
	assert_int_equal(count(t.processed, "cur"), 0);
	rb_source_free(&s);
}

static void test_open_checks(void **state)
{
	struct md_test t;
	struct rb_source *s;
	struct rb_error err;

	(void)state;
	setup_dirs(&t, "open");
	t.cfg.path = t.root; /* no new/ cur/ */
	s = rb_source_maildir_new(&t.cfg);
	assert_int_equal(rb_source_open(s, &err), -1);
	assert_int_equal(err.code, RB_E_CONFIG);
	rb_source_free(&s);
	t.cfg.path = t.inbox;
	t.cfg.quarantine_path = NULL;
	s = rb_source_maildir_new(&t.cfg);
	assert_int_equal(rb_source_open(s, &err), -1);
	assert_int_equal(err.code, RB_E_CONFIG);
	rb_source_free(&s);
}

struct deliver {
	const char *inbox;
	double delay;
};

/* Delivers like an MTA: write in tmp/, then rename into new/. */
static void *deliver_later(void *arg)
{
	struct deliver *d = arg;
	char a[1024], b[1024];
	struct timespec ts;
	FILE *f;

	ts.tv_sec = (time_t)d->delay;
	ts.tv_nsec = (long)((d->delay - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	snprintf(a, sizeof(a), "%s/tmp/1800000000.M9P9.host", d->inbox);
	snprintf(b, sizeof(b), "%s/new/1800000000.M9P9.host", d->inbox);
	f = fopen(a, "w");
	if (f != NULL) {
		fputs("Subject: late\n\nlate\n", f);
		fclose(f);
	}
	rename(a, b);
	return NULL;
}

static void test_inotify_wakes(void **state)
{
	struct rb_source_msg *m = NULL;
	struct deliver d;
	volatile int stop = 0;
	struct md_test t;
	struct rb_source *s;
	struct rb_error err;
	pthread_t th;
	double t0, el;
	size_t n;
	int r;

	(void)state;
	setup_dirs(&t, "inotify");
	t.cfg.rescan_interval = 60; /* only inotify can wake it in time */
	s = open_ok(&t.cfg);
	t0 = now_s();
	assert_int_equal(rb_source_wait(s, 1, &stop, &err), 0);
	el = now_s() - t0;
	assert_true(el >= 0.9 && el < 3);

	d.inbox = t.inbox;
	d.delay = 0.5;
	assert_int_equal(pthread_create(&th, NULL, deliver_later, &d), 0);
	t0 = now_s();
	r = rb_source_wait(s, 30, &stop, &err);
	el = now_s() - t0;
	pthread_join(th, NULL);
	assert_int_equal(r, 1);
	if (el > 3)
		fail_msg("woke after %.1f s", el);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].id, "new/1800000000.M9P9.host");
	rb_source_msgs_free(&m, n);

	/* mail already waiting: wait() returns at once */
	put(t.inbox, "cur", "1800000001.M1P1.host:2,", "Subject: x\n\n");
	t0 = now_s();
	assert_int_equal(rb_source_wait(s, 30, &stop, &err), 1);
	assert_true(now_s() - t0 < 1);
	/* a stop request ends the wait */
	fetch_n(s, 0, &m, &n);
	rb_source_msgs_free(&m, n);
	stop = 1;
	t0 = now_s();
	assert_int_equal(rb_source_wait(s, 30, &stop, &err), 0);
	assert_true(now_s() - t0 < 1);
	rb_source_free(&s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fetch_new_and_cur_not_tmp),
	    cmocka_unit_test(test_batches),
	    cmocka_unit_test(test_ack_renames),
	    cmocka_unit_test(test_ack_refuses_foreign_ids),
	    cmocka_unit_test(test_open_checks),
	    cmocka_unit_test(test_inotify_wakes),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
