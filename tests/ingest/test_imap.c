/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/ingest/test_imap.c - the IMAP source against a real Dovecot on
 * 127.0.0.1 (tests/ingest/dovecot.sh, ctest fixture ingest_dovecot). No
 * mocks. Each test logs in as its own user, so the tests run in parallel.
 * Run one test: test_ingest_imap NAME.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "ingest/source.h"
#include "tests/ingest/imap_helper.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* Implicit TLS to "localhost" with the test CA: what a correct setup looks
 * like. Tests change what they are about. */
static struct rb_imap_config tls_cfg(const char *user)
{
	struct rb_imap_config c;

	memset(&c, 0, sizeof(c));
	c.host = "localhost";
	c.port = th_port("IMAPS");
	c.tls = "implicit";
	c.ca_file = th_path("ca.pem");
	c.user = user;
	c.password_file = th_path("password");
	c.batch = 100;
	c.idle = true;
	c.poll_interval = 1;
	c.timeout = 10;
	return c;
}

/* The plaintext instance: no STARTTLS, no IDLE, no MOVE. */
static struct rb_imap_config plain_cfg(const char *user)
{
	struct rb_imap_config c = tls_cfg(user);

	c.host = "127.0.0.1";
	c.port = th_port("PLAIN");
	c.tls = "none-for-tests-only";
	c.ca_file = NULL;
	return c;
}

static struct rb_source *open_ok(const struct rb_imap_config *c)
{
	struct rb_source *s = rb_source_imap_new(c);
	struct rb_error err;

	assert_non_null(s);
	if (rb_source_open(s, &err) < 0)
		fail_msg("open as %s: %s", c->user, err.msg);
	return s;
}

/* open() must fail with @code, with @why in the message, and the server
 * must never have seen a login attempt from @c->user. */
static void expect_refused(const struct rb_imap_config *c, enum rb_errcode code,
			   const char *why)
{
	struct rb_source *s = rb_source_imap_new(c);
	struct rb_error err;
	int r;

	assert_non_null(s);
	r = rb_source_open(s, &err);
	if (r == 0)
		fail_msg("open as %s succeeded; it must be refused (%s)",
			 c->user, why);
	if (err.code != code)
		fail_msg("error code: got %d want %d (%s)", err.code, code,
			 err.msg);
	if (strstr(err.msg, why) == NULL)
		fail_msg("error message: got \"%s\", want it to mention \"%s\"",
			 err.msg, why);
	/* nothing more can be done with it */
	r = rb_source_fetch(s, 0, &(struct rb_source_msg *){NULL}, &(size_t){0},
			    &err);
	assert_int_equal(r, -1);
	rb_source_free(&s);
	assert_null(s);
	if (th_log_mentions_user(c->user))
		fail_msg(
		    "Dovecot saw a login attempt from %s: credentials were sent before the server was trusted",
		    c->user);
}

static void test_tls_with_ca_accepted(void **state)
{
	struct rb_imap_config c = tls_cfg("login");
	struct rb_source_msg *m = NULL;
	struct rb_source *s;
	struct rb_error err;
	char path[1024], line[4096];
	int saved, fd;
	size_t n;
	FILE *f;

	(void)state;
	/* everything the source logs, at the most verbose level, goes to a
	 * file that must not hold the password */
	snprintf(path, sizeof(path), "%s.log", th_path("tls_with_ca"));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	rb_log_set_level(RB_LOG_DEBUG);
	s = open_ok(&c);
	assert_int_equal(rb_source_fetch(s, 0, &m, &n, &err), 0);
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rb_log_set_level(RB_LOG_NOTICE);

	assert_true(th_log_mentions_user("login"));
	f = fopen(path, "r");
	assert_non_null(f);
	n = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		n++;
		if (strstr(line, "rebound-test-secret") != NULL)
			fail_msg("the password was logged: %s", line);
	}
	fclose(f);
	assert_true(n > 0); /* the capture worked */
}

static void test_tls_without_ca_refused(void **state)
{
	struct rb_imap_config c = tls_cfg("notls");

	(void)state;
	/* the system trust store does not know the test CA: as good as a
	 * self-signed server */
	c.ca_file = NULL;
	expect_refused(&c, RB_E_CONFIG, "issuer is unknown");
	/* a configured CA that did not sign the server's certificate */
	c.ca_file = th_path("other-ca.pem");
	expect_refused(&c, RB_E_CONFIG, "issuer is unknown");
}

static void test_tls_wrong_host_refused(void **state)
{
	struct rb_imap_config c = tls_cfg("wronghost");

	(void)state;
	/* the certificate names localhost only */
	c.host = "127.0.0.1";
	expect_refused(&c, RB_E_CONFIG, "does not match");
}

static void test_starttls_accepted(void **state)
{
	struct rb_imap_config c = tls_cfg("starttls");
	struct rb_source *s;

	(void)state;
	c.tls = "starttls";
	c.port = th_port("IMAP");
	s = open_ok(&c);
	rb_source_free(&s);
	/* and the same listener without the CA is refused after STARTTLS */
	c.ca_file = th_path("other-ca.pem");
	c.user = "notls";
	expect_refused(&c, RB_E_CONFIG, "issuer is unknown");
}

static void test_starttls_missing_refused(void **state)
{
	struct rb_imap_config c = tls_cfg("nostarttls");

	(void)state;
	c.tls = "starttls";
	c.host = "localhost";
	c.port = th_port("PLAIN");
	expect_refused(&c, RB_E_CONFIG, "STARTTLS");
}

static void test_login_refused(void **state)
{
	struct rb_imap_config c = tls_cfg("login");
	struct rb_source *s;
	struct rb_error err;

	(void)state;
	c.password_file = NULL;
	c.password_env = "REBOUND_TEST_WRONG_PASSWORD";
	setenv("REBOUND_TEST_WRONG_PASSWORD", "not-the-password", 1);
	s = rb_source_imap_new(&c);
	assert_int_equal(rb_source_open(s, &err), -1);
	/* permanent: retrying will not help */
	assert_int_equal(err.code, RB_E_CONFIG);
	assert_non_null(strstr(err.msg, "login"));
	assert_null(strstr(err.msg, "not-the-password"));
	rb_source_free(&s);
	/* a missing variable is a configuration error too */
	c.password_env = "REBOUND_TEST_NO_SUCH_VARIABLE";
	s = rb_source_imap_new(&c);
	assert_int_equal(rb_source_open(s, &err), -1);
	assert_int_equal(err.code, RB_E_CONFIG);
	rb_source_free(&s);
}

static void fetch_n(struct rb_source *s, size_t max, struct rb_source_msg **m,
		    size_t *n)
{
	struct rb_error err;

	if (rb_source_fetch(s, max, m, n, &err) < 0)
		fail_msg("fetch: %s", err.msg);
}

static void test_fetch_batch_checkpoint(void **state)
{
	struct rb_imap_config c = tls_cfg("fetch");
	struct rb_source_checkpoint cp, cp2;
	struct rb_source_msg *m = NULL;
	struct th_msg inbox[16];
	char msgs[5][512], buf[512];
	uint32_t uids[5];
	mailimap *h = th_login("fetch");
	struct rb_source *s;
	size_t n, i;

	(void)state;
	for (i = 0; i < 5; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "fetch-%zu", i);
		th_make_msg(msgs[i], sizeof(msgs[i]), tag, 0);
		uids[i] = th_append(h, "INBOX", msgs[i], false);
	}
	c.batch = 3;
	s = open_ok(&c);
	rb_source_get_checkpoint(s, &cp);
	assert_int_not_equal(cp.uidvalidity, 0);
	assert_int_equal(cp.last_uid, 0);

	/* a batch of 3, in UID order, with the exact bytes */
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(m[i].uid, uids[i]);
		assert_int_equal(m[i].uidvalidity, cp.uidvalidity);
		assert_false(m[i].too_big);
		assert_int_equal(m[i].len, strlen(msgs[i]));
		assert_memory_equal(m[i].data, msgs[i], m[i].len);
		snprintf(
		    buf, sizeof(buf),
		    "imap://fetch@localhost:%u/INBOX;UIDVALIDITY=%u;UID=%u",
		    (unsigned)c.port, cp.uidvalidity, uids[i]);
		assert_string_equal(m[i].id, buf);
	}
	rb_source_msgs_free(&m, n);
	assert_null(m);
	rb_source_get_checkpoint(s, &cp);
	assert_int_equal(cp.last_uid, uids[2]);

	/* the caller's max beats the configured batch */
	fetch_n(s, 1, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, uids[3]);
	rb_source_msgs_free(&m, n);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, uids[4]);
	rb_source_msgs_free(&m, n);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	assert_null(m);
	rb_source_get_checkpoint(s, &cp);
	assert_int_equal(cp.last_uid, uids[4]);

	/* reading marked nothing \Seen */
	assert_int_equal(th_list(h, "INBOX", inbox, 16), 5);
	for (i = 0; i < 5; i++)
		assert_false(inbox[i].seen);

	/* a restart with the persisted checkpoint reads nothing again */
	rb_source_free(&s);
	s = rb_source_imap_new(&c);
	rb_source_set_checkpoint(s, &cp);
	rb_source_close(s);
	{
		struct rb_error err;

		if (rb_source_open(s, &err) < 0)
			fail_msg("reopen: %s", err.msg);
	}
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	assert_false(rb_source_checkpoint_reset(s));

	/* and new mail is new */
	th_make_msg(buf, sizeof(buf), "fetch-late", 0);
	i = th_append(h, "INBOX", buf, false);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, i);
	rb_source_msgs_free(&m, n);
	rb_source_get_checkpoint(s, &cp2);
	assert_int_equal(cp2.uidvalidity, cp.uidvalidity);
	assert_int_equal(cp2.last_uid, i);
	rb_source_free(&s);
	th_logout(&h);
}

static void test_reconnect_after_kick(void **state)
{
	struct rb_imap_config c = tls_cfg("reconnect");
	struct rb_source_msg *m = NULL;
	struct rb_source *s;
	struct rb_error err;
	mailimap *h = th_login("reconnect");
	char buf[512], cmd[2048];
	uint32_t late;
	size_t n;
	int r;

	(void)state;
	th_make_msg(buf, sizeof(buf), "reconnect-1", 0);
	th_append(h, "INBOX", buf, false);
	th_make_msg(buf, sizeof(buf), "reconnect-2", 0);
	th_append(h, "INBOX", buf, false);
	s = open_ok(&c);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 2);
	rb_source_msgs_free(&m, n);

	/* the server drops the connection */
	snprintf(cmd, sizeof(cmd), "doveadm -c %s kick reconnect >/dev/null",
		 th_path("tls.conf"));
	r = system(cmd);
	assert_true(WIFEXITED(r) && WEXITSTATUS(r) == 0);
	sleep_s(0.5);

	/* the loss is transient */
	r = rb_source_fetch(s, 0, &m, &n, &err);
	assert_int_equal(r, -1);
	assert_int_equal(err.code, RB_E_TEMP);

	/* wait() reconnects after the backoff; nothing new is there */
	r = rb_source_wait(s, 4, NULL, &err);
	if (r < 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(r, 0);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);

	/* only what arrived since is handed out */
	th_make_msg(buf, sizeof(buf), "reconnect-3", 0);
	late = th_append(h, "INBOX", buf, false);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, late);
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
	th_logout(&h);
}

static void test_uidvalidity_change_resets(void **state)
{
	struct rb_imap_config c = tls_cfg("uidvalidity");
	struct rb_source_checkpoint cp = {12345, 1000};
	struct rb_source_msg *m = NULL;
	struct rb_source *s;
	struct rb_error err;
	mailimap *h = th_login("uidvalidity");
	char buf[512];
	size_t n;

	(void)state;
	th_make_msg(buf, sizeof(buf), "uidvalidity-1", 0);
	th_append(h, "INBOX", buf, false);
	/* a checkpoint from another life of the mailbox */
	s = rb_source_imap_new(&c);
	rb_source_set_checkpoint(s, &cp);
	if (rb_source_open(s, &err) < 0)
		fail_msg("open: %s", err.msg);
	assert_true(rb_source_checkpoint_reset(s));
	assert_false(rb_source_checkpoint_reset(s));
	rb_source_get_checkpoint(s, &cp);
	assert_int_not_equal(cp.uidvalidity, 12345);
	assert_int_equal(cp.last_uid, 0);
	/* so everything is read again */
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, 1);
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
	th_logout(&h);
}

static void test_too_big_by_reference(void **state)
{
	struct rb_imap_config c = tls_cfg("toobig");
	struct rb_source_msg *m = NULL;
	struct rb_source *s;
	mailimap *h = th_login("toobig");
	char big[8192], small[512];
	size_t n;

	(void)state;
	th_make_msg(big, sizeof(big), "toobig-big", 4000);
	th_make_msg(small, sizeof(small), "toobig-small", 0);
	th_append(h, "INBOX", big, false);
	th_append(h, "INBOX", small, false);
	c.max_size = 1000;
	s = open_ok(&c);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 2);
	/* handed out by reference, so it can be quarantined, not dropped */
	assert_true(m[0].too_big);
	assert_null(m[0].data);
	assert_int_equal(m[0].size, strlen(big));
	assert_non_null(m[0].id);
	assert_false(m[1].too_big);
	assert_int_equal(m[1].len, strlen(small));
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
	th_logout(&h);
}

/* Fetches 4 messages, acknowledges them as processed, quarantined,
 * not-report and leave, and checks where they went. */
static void ack_case(struct rb_imap_config *c, const char *user)
{
	static const enum rb_ack acks[4] = {RB_ACK_PROCESSED,
					    RB_ACK_QUARANTINED,
					    RB_ACK_NOT_REPORT, RB_ACK_LEAVE};
	struct rb_source_msg *m = NULL;
	struct th_msg box[16];
	struct rb_source *s;
	struct rb_error err;
	mailimap *h = th_login(user);
	uint32_t uids[4], foreign;
	char buf[512], tag[32];
	size_t n, i, k;

	/* another client's message, flagged \Deleted but not expunged:
	 * acknowledging must not expunge it */
	th_make_msg(buf, sizeof(buf), "foreign", 0);
	foreign = th_append(h, "INBOX", buf, true);
	for (i = 0; i < 4; i++) {
		snprintf(tag, sizeof(tag), "%s-%zu", user, i);
		th_make_msg(buf, sizeof(buf), tag, 0);
		uids[i] = th_append(h, "INBOX", buf, false);
	}
	s = open_ok(c);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 5);
	/* drop the foreign one from what we acknowledge */
	assert_int_equal(m[0].uid, foreign);
	if (rb_source_ack(s, m + 1, acks, 4, &err) < 0)
		fail_msg("ack: %s", err.msg);
	/* acknowledging again (a replay after a crash) changes nothing */
	if (rb_source_ack(s, m + 1, acks, 4, &err) < 0)
		fail_msg("ack again: %s", err.msg);
	rb_source_msgs_free(&m, n);

	assert_int_equal(th_list(h, "Processed", box, 16), 1);
	assert_int_equal(th_list(h, "Quarantine", box, 16), 1);
	assert_false(box[0].seen);
	/* the non-report, the left one and the foreign one stay, unseen */
	k = th_list(h, "INBOX", box, 16);
	assert_int_equal(k, 3);
	assert_int_equal(box[0].uid, foreign);
	assert_true(box[0].deleted);
	assert_int_equal(box[1].uid, uids[2]);
	assert_int_equal(box[2].uid, uids[3]);
	for (i = 0; i < k; i++)
		assert_false(box[i].seen);
	assert_false(box[1].deleted);
	assert_false(box[2].deleted);
	/* and are not handed out again */
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 0);
	rb_source_free(&s);
	th_logout(&h);
}

static void test_ack_moves(void **state)
{
	struct rb_imap_config c = tls_cfg("ack");

	(void)state;
	ack_case(&c, "ack");
}

static void test_ack_without_move(void **state)
{
	/* no MOVE: COPY, \Deleted and UID EXPUNGE of our UIDs only */
	struct rb_imap_config c = plain_cfg("plainack");

	(void)state;
	ack_case(&c, "plainack");
}

struct late_append {
	const char *user;
	double delay;
	uint32_t uid;
};

static void *append_later(void *arg)
{
	struct late_append *la = arg;
	mailimap *h = th_login(la->user);
	char buf[512];

	sleep_s(la->delay);
	th_make_msg(buf, sizeof(buf), "late", 0);
	la->uid = th_append(h, "INBOX", buf, false);
	th_logout(&h);
	return NULL;
}

/* wait() times out when nothing comes, then wakes within a few seconds
 * when a message is appended meanwhile. */
static void wake_case(struct rb_imap_config *c, double max_wake)
{
	struct late_append la = {c->user, 1.0, 0};
	struct rb_source_msg *m = NULL;
	volatile int stop = 0;
	struct rb_source *s;
	struct rb_error err;
	pthread_t t;
	double t0, el;
	size_t n;
	int r;

	s = open_ok(c);
	t0 = now_s();
	r = rb_source_wait(s, 2, &stop, &err);
	el = now_s() - t0;
	assert_int_equal(r, 0);
	assert_true(el >= 1.5 && el < 5);

	/* a stop request ends the wait at once */
	stop = 1;
	t0 = now_s();
	assert_int_equal(rb_source_wait(s, 30, &stop, &err), 0);
	assert_true(now_s() - t0 < 1.5);
	stop = 0;

	assert_int_equal(pthread_create(&t, NULL, append_later, &la), 0);
	t0 = now_s();
	r = rb_source_wait(s, 30, &stop, &err);
	el = now_s() - t0;
	pthread_join(t, NULL);
	if (r < 0)
		fail_msg("wait: %s", err.msg);
	assert_int_equal(r, 1);
	if (el > max_wake)
		fail_msg("woke after %.1f s; want under %.1f s", el, max_wake);
	fetch_n(s, 0, &m, &n);
	assert_int_equal(n, 1);
	assert_int_equal(m[0].uid, la.uid);
	rb_source_msgs_free(&m, n);
	rb_source_free(&s);
}

static void test_idle_wakes(void **state)
{
	struct rb_imap_config c = tls_cfg("idle");

	(void)state;
	c.poll_interval = 600; /* only IDLE can wake it in time */
	wake_case(&c, 6);
}

static void test_poll_wakes(void **state)
{
	struct rb_imap_config c = tls_cfg("poll");

	(void)state;
	c.idle = false;
	c.poll_interval = 1;
	wake_case(&c, 6);
}

static void test_idle_not_offered_polls(void **state)
{
	struct rb_imap_config c = plain_cfg("plainidle");

	(void)state;
	c.idle = true;
	c.poll_interval = 1;
	wake_case(&c, 6);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tls_with_ca_accepted),
	    cmocka_unit_test(test_tls_without_ca_refused),
	    cmocka_unit_test(test_tls_wrong_host_refused),
	    cmocka_unit_test(test_starttls_accepted),
	    cmocka_unit_test(test_starttls_missing_refused),
	    cmocka_unit_test(test_login_refused),
	    cmocka_unit_test(test_fetch_batch_checkpoint),
	    cmocka_unit_test(test_reconnect_after_kick),
	    cmocka_unit_test(test_uidvalidity_change_resets),
	    cmocka_unit_test(test_too_big_by_reference),
	    cmocka_unit_test(test_ack_moves),
	    cmocka_unit_test(test_ack_without_move),
	    cmocka_unit_test(test_idle_wakes),
	    cmocka_unit_test(test_poll_wakes),
	    cmocka_unit_test(test_idle_not_offered_polls),
	};

	signal(SIGPIPE, SIG_IGN);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
