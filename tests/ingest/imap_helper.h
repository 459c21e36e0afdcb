/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/ingest/imap_helper.h - a second, independent IMAP client for the
 * ingest tests: it puts mail into the test Dovecot and looks at what the
 * source left behind. It uses libetpan directly on the plaintext instance
 * (same maildirs), so it shares no code with the source under test.
 * Failures fail the running cmocka test.
 */
#ifndef REBOUND_TESTS_INGEST_IMAP_HELPER_H
#define REBOUND_TESTS_INGEST_IMAP_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libetpan/libetpan.h>

struct th_msg {
	uint32_t uid;
	bool seen;
	bool deleted;
};

/* Returns the environment variable @name; fails the test when unset. */
const char *th_env(const char *name);
/* Returns the test Dovecot's port named REBOUND_TEST_<what>_PORT. */
uint16_t th_port(const char *what);
/* Returns (borrowed, static) "$REBOUND_TEST_DOVECOT_DIR/@file". */
const char *th_path(const char *file);

/* Logs in as @user (password from the test setup). */
mailimap *th_login(const char *user);
void th_logout(mailimap **imap);
/* Appends @data to @mailbox, with \Deleted when @deleted; returns its UID. */
uint32_t th_append(mailimap *imap, const char *mailbox, const char *data,
		   bool deleted);
/* Lists @mailbox (read-only): up to @max messages into @out; returns how
 * many there are (0 when the mailbox does not exist). */
size_t th_list(mailimap *imap, const char *mailbox, struct th_msg *out,
	       size_t max);
/* Writes a small message tagged @tag into @buf, padded to about @pad
 * bytes of body. */
void th_make_msg(char *buf, size_t size, const char *tag, size_t pad);
/* Is "user=<@user>" anywhere in Dovecot's log (a login attempt)? */
bool th_log_mentions_user(const char *user);

#endif
