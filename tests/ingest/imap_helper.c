/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/ingest/imap_helper.c - see imap_helper.h. Single-threaded per
 * session; one session may run in a helper thread while the test waits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/str.h"
#include "tests/ingest/imap_helper.h"

#define TH_PASSWORD "rebound-test-secret"

const char *th_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0')
		fail_msg("environment variable %s is not set (run under ctest)",
			 name);
	return v;
}

uint16_t th_port(const char *what)
{
	char name[64];
	uint32_t port = 0;

	snprintf(name, sizeof(name), "REBOUND_TEST_%s_PORT", what);
	if (rb_parse_u32(th_env(name), &port) < 0 || port == 0 || port > 65535)
		fail_msg("%s is not a port", name);
	return (uint16_t)port;
}

const char *th_path(const char *file)
{
	static char buf[8][1024];
	static unsigned next;
	char *b = buf[next++ % 8];

	snprintf(b, sizeof(buf[0]), "%s/%s", th_env("REBOUND_TEST_DOVECOT_DIR"),
		 file);
	return b;
}

mailimap *th_login(const char *user)
{
	mailimap *imap = mailimap_new(0, NULL);
	int r;

	assert_non_null(imap);
	mailimap_set_timeout(imap, 10);
	r = mailimap_socket_connect(imap, "127.0.0.1", th_port("PLAIN"));
	if (r != MAILIMAP_NO_ERROR && r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED)
		fail_msg("helper: connect: %d", r);
	r = mailimap_login(imap, user, TH_PASSWORD);
	if (r != MAILIMAP_NO_ERROR)
		fail_msg("helper: login %s: %d", user, r);
	return imap;
}

void th_logout(mailimap **imap)
{
	if (*imap == NULL)
		return;
	mailimap_logout(*imap);
	mailimap_free(*imap);
	*imap = NULL;
}

uint32_t th_append(mailimap *imap, const char *mailbox, const char *data,
		   bool deleted)
{
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	uint32_t uidvalidity = 0, uid = 0;
	int r;

	if (deleted)
		mailimap_flag_list_add(fl, mailimap_flag_new_deleted());
	r = mailimap_uidplus_append(imap, mailbox, fl, NULL, data, strlen(data),
				    &uidvalidity, &uid);
	mailimap_flag_list_free(fl);
	if (r != MAILIMAP_NO_ERROR)
		fail_msg("helper: append to %s: %d", mailbox, r);
	return uid;
}

static void flags_of(struct mailimap_msg_att *ma, struct th_msg *m)
{
	clistiter *c, *f;

	for (c = clist_begin(ma->att_list); c != NULL; c = clist_next(c)) {
		struct mailimap_msg_att_item *it = clist_content(c);

		if (it->att_type == MAILIMAP_MSG_ATT_ITEM_STATIC &&
		    it->att_data.att_static->att_type == MAILIMAP_MSG_ATT_UID)
			m->uid = it->att_data.att_static->att_data.att_uid;
		if (it->att_type != MAILIMAP_MSG_ATT_ITEM_DYNAMIC ||
		    it->att_data.att_dyn->att_list == NULL)
			continue;
		for (f = clist_begin(it->att_data.att_dyn->att_list); f != NULL;
		     f = clist_next(f)) {
			struct mailimap_flag_fetch *ff = clist_content(f);

			if (ff->fl_type != MAILIMAP_FLAG_FETCH_OTHER ||
			    ff->fl_flag == NULL)
				continue;
			if (ff->fl_flag->fl_type == MAILIMAP_FLAG_SEEN)
				m->seen = true;
			if (ff->fl_flag->fl_type == MAILIMAP_FLAG_DELETED)
				m->deleted = true;
		}
	}
}

size_t th_list(mailimap *imap, const char *mailbox, struct th_msg *out,
	       size_t max)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *c;
	size_t n = 0;
	uint32_t exists;
	int r;

	r = mailimap_examine(imap, mailbox);
	if (r != MAILIMAP_NO_ERROR)
		return 0;
	exists = imap->imap_selection_info->sel_exists;
	if (exists == 0)
		return 0;
	ft = mailimap_fetch_type_new_fetch_att_list_empty();
	mailimap_fetch_type_new_fetch_att_list_add(
	    ft, mailimap_fetch_att_new_uid());
	mailimap_fetch_type_new_fetch_att_list_add(
	    ft, mailimap_fetch_att_new_flags());
	set = mailimap_set_new_interval(1, 0);
	r = mailimap_fetch(imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		fail_msg("helper: fetch flags in %s: %d", mailbox, r);
	for (c = clist_begin(res); c != NULL; c = clist_next(c)) {
		if (n < max) {
			memset(&out[n], 0, sizeof(out[n]));
			flags_of(clist_content(c), &out[n]);
		}
		n++;
	}
	mailimap_fetch_list_free(res);
	return n;
}

void th_make_msg(char *buf, size_t size, const char *tag, size_t pad)
{
	size_t len;
	int n;

	n = snprintf(
	    buf, size,
	    "From: Mail Delivery System <mailer-daemon@example.net>\r\n"
	    "To: bounces@relay.example\r\n"
	    "Subject: Undelivered Mail %s\r\n"
	    "Message-ID: <%s@rebound.test>\r\n"
	    "\r\n"
	    "body of %s\r\n",
	    tag, tag, tag);
	assert_true(n > 0 && (size_t)n < size);
	len = (size_t)n;
	while (len < pad && len + 67 < size) {
		memset(buf + len, 'x', 64);
		memcpy(buf + len + 64, "\r\n", 3);
		len += 66;
	}
}

bool th_log_mentions_user(const char *user)
{
	struct timespec ts = {0, 500 * 1000 * 1000};
	char needle[128], line[4096];
	bool found = false;
	FILE *f;

	nanosleep(&ts, NULL); /* the log process writes asynchronously */
	snprintf(needle, sizeof(needle), "user=<%s>", user);
	f = fopen(th_path("dovecot.log"), "r");
	if (f == NULL)
		fail_msg("helper: cannot read %s", th_path("dovecot.log"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			found = true;
	fclose(f);
	return found;
}
