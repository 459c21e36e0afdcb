/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/imap.c - the IMAP source (libetpan 1.9.4 + GnuTLS).
 *
 * One mailimap session per source object, used by one thread at a time.
 * The server certificate is verified by ingest/tls.c before LOGIN (libetpan
 * does not verify it). Messages are read with BODY.PEEK[] so nothing is
 * marked \Seen; they leave the mailbox only through ack(), after the caller
 * committed them. The password is read from its file or variable at every
 * login, wiped after use, and never logged; the IMAP user name is not
 * logged either.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "ingest/source.h"
#include "ingest/tls.h"

/* Defaults and limits. IDLE is re-issued before the 30 minutes after
 * which RFC 2177 lets servers drop it; a session that stayed up for
 * IMAP_HEALTHY_S seconds resets the reconnect backoff; a batch downloads at
 * most IMAP_BATCH_BYTES of bodies; MOVE/COPY name at most IMAP_SET_CHUNK
 * UIDs per command. */
#define IMAP_DEF_BATCH    100u
#define IMAP_DEF_POLL     60u
#define IMAP_DEF_TIMEOUT  30u
#define IMAP_IDLE_REISSUE (25 * 60)
#define IMAP_BACKOFF_MAX  300u
#define IMAP_HEALTHY_S    60.0
#define IMAP_BATCH_BYTES  ((size_t)64 * 1024 * 1024)
#define IMAP_SET_CHUNK    500u
#define IMAP_PASSWORD_MAX 1024u

enum tls_mode { TLS_IMPLICIT, TLS_STARTTLS, TLS_NONE };
enum { FOLDER_PROCESSED, FOLDER_QUARANTINE, FOLDER_NOTREPORT, FOLDER_N };

struct imap_source {
	struct rb_source base;
	/* configuration (owned copies) */
	char *host;
	char *ca_file;
	char *user;
	char *password_file;
	char *password_env;
	char *mailbox;
	char *folders[FOLDER_N];
	const char *tls_name;
	enum tls_mode tls;
	bool tls_valid;
	uint16_t port;
	unsigned batch;
	size_t max_size;
	bool idle;
	unsigned poll_interval;
	unsigned timeout;
	char *id_prefix; /* "imap://user@host/INBOX" */
	/* session */
	mailimap *imap; /* NULL while disconnected */
	bool opened;
	bool idling;
	bool idle_failed;
	bool warned_no_uidplus;
	bool folder_ok[FOLDER_N];
	uint32_t uidvalidity; /* of the selected mailbox */
	unsigned backoff;     /* seconds; 0 after a healthy session */
	double next_attempt;  /* monotonic seconds */
	double connected_at;
};

static void *need(void *p)
{
	if (p == NULL) {
		rb_log(RB_LOG_ERR, "src=imap event=out-of-memory");
		abort();
	}
	return p;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until monotonic time @until or until *stop is set. */
static void sleep_until(double until, const volatile int *stop)
{
	for (;;) {
		double left = until - now_s();
		struct timespec ts;

		if (left <= 0 || *stop)
			return;
		if (left > 0.2)
			left = 0.2;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(left * 1e9);
		nanosleep(&ts, NULL);
	}
}

static void wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static bool is_ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

static const char *response_text(const struct imap_source *is)
{
	if (is->imap == NULL || is->imap->imap_response == NULL)
		return "(no response text)";
	return is->imap->imap_response;
}

/* Releases the session without talking to the server. */
static void drop(struct imap_source *is)
{
	int i;

	if (is->imap == NULL)
		return;
	if (is->imap->imap_stream != NULL) {
		if (is->idling)
			mailstream_unsetup_idle(is->imap->imap_stream);
		mailstream_close(is->imap->imap_stream);
		is->imap->imap_stream = NULL;
	}
	mailimap_free(is->imap);
	is->imap = NULL;
	is->idling = false;
	is->uidvalidity = 0;
	for (i = 0; i < FOLDER_N; i++)
		is->folder_ok[i] = false;
}

/* A failed connection attempt: wait longer before the next one. */
static void backoff_more(struct imap_source *is)
{
	is->backoff = is->backoff == 0 ? 1 : is->backoff * 2;
	if (is->backoff > IMAP_BACKOFF_MAX)
		is->backoff = IMAP_BACKOFF_MAX;
	is->next_attempt = now_s() + is->backoff;
}

/* The connection went away: reconnect at once after a healthy session,
 * else keep backing off (a server that accepts and then drops us). */
static void lost_connection(struct imap_source *is)
{
	drop(is);
	if (now_s() - is->connected_at >= IMAP_HEALTHY_S) {
		is->backoff = 0;
		is->next_attempt = now_s();
	} else {
		backoff_more(is);
	}
}

static bool connection_gone(int r)
{
	switch (r) {
	case MAILIMAP_ERROR_STREAM:
	case MAILIMAP_ERROR_PARSE:
	case MAILIMAP_ERROR_CONNECTION_REFUSED:
	case MAILIMAP_ERROR_BAD_STATE:
	case MAILIMAP_ERROR_FATAL:
	case MAILIMAP_ERROR_SSL:
	case MAILIMAP_ERROR_DONT_ACCEPT_CONNECTION:
		return true;
	default:
		return false;
	}
}

/* Maps libetpan's @r for command @what into @err. The connection errors
 * drop the session; a NO or BAD keeps it. Both are transient: the caller
 * retries later, and nothing is lost. Returns -1. */
static int imap_error(struct imap_source *is, int r, const char *what,
		      struct rb_error *err)
{
	if (connection_gone(r)) {
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s mailbox=%s event=connection-lost op=%s code=%d",
		    is->host, is->mailbox, what, r);
		lost_connection(is);
		return rb_error_set(
		    err, RB_E_TEMP,
		    "imap: %s: connection to %s lost (libetpan error %d)", what,
		    is->host, r);
	}
	return rb_error_set(err, RB_E_TEMP, "imap: %s refused by %s: %s", what,
			    is->host, response_text(is));
}

static bool connect_ok(int r)
{
	return r == MAILIMAP_NO_ERROR || r == MAILIMAP_NO_ERROR_AUTHENTICATED ||
	       r == MAILIMAP_NO_ERROR_NON_AUTHENTICATED;
}

static void sni_cb(struct mailstream_ssl_context *ctx, void *data)
{
	struct imap_source *is = data;

	/* RFC 6066: no IP literals in SNI */
	if (!is_ip_literal(is->host))
		mailstream_ssl_set_server_name(ctx, is->host);
}

/* Checks the server's certificate chain and name; -1 refuses the server. */
static int verify_peer(struct imap_source *is, struct rb_error *err)
{
	struct rb_tls_der der[RB_TLS_MAX_CHAIN];
	carray *chain;
	unsigned i, n;
	int r;

	chain = mailstream_get_certificate_chain(is->imap->imap_stream);
	if (chain == NULL)
		return rb_error_set(err, RB_E_CONFIG,
				    "imap: %s sent no certificate", is->host);
	n = carray_count(chain);
	if (n > RB_TLS_MAX_CHAIN)
		n = RB_TLS_MAX_CHAIN;
	for (i = 0; i < n; i++) {
		MMAPString *s = carray_get(chain, i);

		der[i].data = (const unsigned char *)s->str;
		der[i].len = s->len;
	}
	r = rb_tls_verify(der, n, is->host, is->ca_file, err);
	mailstream_certificate_chain_free(chain);
	if (r < 0)
		rb_log(RB_LOG_ERR,
		       "src=imap host=%s event=certificate-refused why=\"%s\"",
		       is->host, err != NULL ? err->msg : "");
	return r;
}

/* Asks for CAPABILITY (libetpan keeps the answer for has_extension).
 * Used while connecting only: a failure fails the connection attempt. */
static int refresh_capability(struct imap_source *is, struct rb_error *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r;

	r = mailimap_capability(is->imap, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return rb_error_set(
		    err, RB_E_TEMP,
		    "imap: CAPABILITY on %s failed: %s (libetpan error %d)",
		    is->host, response_text(is), r);
	mailimap_capability_data_free(cap);
	return 0;
}

/* Reads the password into @buf (the caller wipes it). */
static int read_password(const struct imap_source *is, char *buf, size_t size,
			 struct rb_error *err)
{
	struct stat st;
	size_t len = 0;
	int fd;

	if (is->password_env != NULL) {
		const char *v = getenv(is->password_env);

		if (v == NULL || *v == '\0')
			return rb_error_set(
			    err, RB_E_CONFIG,
			    "imap: password_env: variable %s is not set",
			    is->password_env);
		if (rb_strlcpy(buf, v, size) >= size)
			return rb_error_set(
			    err, RB_E_CONFIG,
			    "imap: password_env: variable %s is too long",
			    is->password_env);
		return 0;
	}
	fd = open(is->password_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rb_error_set(err, RB_E_CONFIG,
				    "imap: password_file %s: %s",
				    is->password_file, strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & (S_IROTH | S_IWOTH)) != 0)
		rb_log(
		    RB_LOG_WARN,
		    "src=imap password_file=%s event=password-file-world-readable",
		    is->password_file);
	while (len + 1 < size) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return rb_error_set(err, RB_E_CONFIG,
					    "imap: password_file %s: %s",
					    is->password_file, strerror(e));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0')
		return rb_error_set(err, RB_E_CONFIG,
				    "imap: password_file %s is empty",
				    is->password_file);
	return 0;
}

/* A changed UIDVALIDITY means every UID we know is meaningless: restart
 * the checkpoint and say so. */
static void check_uidvalidity(struct imap_source *is)
{
	struct rb_source_checkpoint *cp = &is->base.cp;

	if (cp->uidvalidity != 0 && cp->uidvalidity != is->uidvalidity) {
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s mailbox=%s event=uidvalidity-changed old=%u new=%u last_uid=%u action=checkpoint-reset",
		    is->host, is->mailbox, cp->uidvalidity, is->uidvalidity,
		    cp->last_uid);
		cp->last_uid = 0;
		is->base.cp_reset = true;
	}
	cp->uidvalidity = is->uidvalidity;
}

/* Connects, verifies the server, logs in and selects the mailbox. On
 * failure the session is dropped; RB_E_TEMP says a retry may work. */
static int connect_session(struct imap_source *is, struct rb_error *err)
{
	char pw[IMAP_PASSWORD_MAX];
	int r;

	drop(is);
	is->imap = need(mailimap_new(0, NULL));
	mailimap_set_timeout(is->imap, is->timeout);

	switch (is->tls) {
	case TLS_IMPLICIT:
		r = mailimap_ssl_connect_with_callback(is->imap, is->host,
						       is->port, sni_cb, is);
		if (!connect_ok(r))
			goto unreachable;
		if (verify_peer(is, err) < 0)
			goto refused;
		break;
	case TLS_STARTTLS:
		r = mailimap_socket_connect(is->imap, is->host, is->port);
		if (!connect_ok(r))
			goto unreachable;
		if (refresh_capability(is, err) < 0)
			goto refused;
		if (!mailimap_has_extension(is->imap, "STARTTLS")) {
			rb_error_set(
			    err, RB_E_CONFIG,
			    "imap: %s:%u does not offer STARTTLS; refusing to log in without TLS",
			    is->host, is->port);
			rb_log(
			    RB_LOG_ERR,
			    "src=imap host=%s port=%u event=starttls-missing action=refused",
			    is->host, is->port);
			goto refused;
		}
		r = mailimap_socket_starttls_with_callback(is->imap, sni_cb,
							   is);
		if (r != MAILIMAP_NO_ERROR) {
			/* no fallback to plain text: a failed or stripped
			 * STARTTLS never leads to LOGIN */
			rb_error_set(
			    err, RB_E_TEMP,
			    "imap: STARTTLS with %s failed (libetpan error %d)",
			    is->host, r);
			goto refused;
		}
		if (verify_peer(is, err) < 0)
			goto refused;
		break;
	case TLS_NONE:
		r = mailimap_socket_connect(is->imap, is->host, is->port);
		if (!connect_ok(r))
			goto unreachable;
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s tls=none-for-tests-only event=plaintext-login",
		    is->host);
		break;
	}
	/* capabilities after TLS: what was said before it is not trusted */
	if (refresh_capability(is, err) < 0)
		goto refused;

	if (read_password(is, pw, sizeof(pw), err) < 0) {
		wipe(pw, sizeof(pw));
		goto refused;
	}
	r = mailimap_login(is->imap, is->user, pw);
	wipe(pw, sizeof(pw));
	if (r != MAILIMAP_NO_ERROR) {
		if (connection_gone(r)) {
			rb_error_set(
			    err, RB_E_TEMP,
			    "imap: connection to %s lost during LOGIN (libetpan error %d)",
			    is->host, r);
			goto refused;
		}
		rb_error_set(err, RB_E_CONFIG, "imap: login to %s refused: %s",
			     is->host, response_text(is));
		rb_log(RB_LOG_ERR, "src=imap host=%s event=login-refused",
		       is->host);
		goto refused;
	}
	if (refresh_capability(is, err) < 0)
		goto refused;
	r = mailimap_select(is->imap, is->mailbox);
	if (r != MAILIMAP_NO_ERROR) {
		if (connection_gone(r)) {
			rb_error_set(
			    err, RB_E_TEMP,
			    "imap: connection to %s lost during SELECT (libetpan error %d)",
			    is->host, r);
			goto refused;
		}
		rb_error_set(err, RB_E_CONFIG,
			     "imap: cannot select mailbox %s on %s: %s",
			     is->mailbox, is->host, response_text(is));
		goto refused;
	}
	if (is->imap->imap_selection_info == NULL ||
	    is->imap->imap_selection_info->sel_uidvalidity == 0) {
		rb_error_set(err, RB_E_CONFIG,
			     "imap: %s gave no UIDVALIDITY for %s", is->host,
			     is->mailbox);
		goto refused;
	}
	is->uidvalidity = is->imap->imap_selection_info->sel_uidvalidity;
	check_uidvalidity(is);
	is->connected_at = now_s();
	rb_log(
	    RB_LOG_NOTICE,
	    "src=imap host=%s mailbox=%s event=connected uidvalidity=%u last_uid=%u move=%s idle=%s",
	    is->host, is->mailbox, is->uidvalidity, is->base.cp.last_uid,
	    mailimap_has_extension(is->imap, "MOVE") ? "yes" : "no",
	    mailimap_has_idle(is->imap) ? "yes" : "no");
	return 0;

unreachable:
	drop(is);
	return rb_error_set(err, RB_E_TEMP,
			    "imap: cannot connect to %s:%u (libetpan error %d)",
			    is->host, is->port, r);
refused:
	drop(is);
	return -1;
}

/* connect_session() with the backoff bookkeeping. */
static int reconnect(struct imap_source *is, struct rb_error *err)
{
	if (connect_session(is, err) == 0)
		return 0;
	if (err == NULL || err->code == RB_E_TEMP) {
		backoff_more(is);
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s event=reconnect-failed retry_in=%u why=\"%s\"",
		    is->host, is->backoff, err != NULL ? err->msg : "");
	}
	return -1;
}

static int ensure_connected(struct imap_source *is, struct rb_error *err)
{
	double now;

	if (is->imap != NULL)
		return 0;
	if (!is->opened)
		return rb_error_set(err, RB_E_CONFIG,
				    "imap: the source is not open");
	now = now_s();
	if (now < is->next_attempt)
		return rb_error_set(
		    err, RB_E_TEMP,
		    "imap: not connected to %s; next attempt in %.0f s",
		    is->host, is->next_attempt - now);
	return reconnect(is, err);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @uids and removes duplicates; returns the new count. */
static size_t sort_unique(uint32_t *uids, size_t n)
{
	size_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(uids, n, sizeof(*uids), cmp_u32);
	for (i = 1; i < n; i++)
		if (uids[i] != uids[k])
			uids[++k] = uids[i];
	return k + 1;
}

/* Returns (owned) a set of the ascending @uids, runs merged into ranges so
 * the command stays short. */
static struct mailimap_set *make_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = need(mailimap_set_new_empty());
	size_t i = 0;

	while (i < n) {
		size_t j = i;
		int r;

		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (j == i)
			r = mailimap_set_add_single(set, uids[i]);
		else
			r = mailimap_set_add_interval(set, uids[i], uids[j]);
		if (r != MAILIMAP_NO_ERROR)
			need(NULL);
		i = j + 1;
	}
	return set;
}

/* Returns (owned, ascending) the UIDs above @last. */
static int search_above(struct imap_source *is, uint32_t last,
			uint32_t **uids_r, size_t *n_r, struct rb_error *err)
{
	struct mailimap_search_key *key;
	clist *result = NULL;
	clistiter *cur;
	uint32_t *uids;
	size_t n = 0;
	int r;

	*uids_r = NULL;
	*n_r = 0;
	if (last == UINT32_MAX)
		return 0;
	key = need(mailimap_search_key_new_uid(
	    need(mailimap_set_new_interval(last + 1, 0))));
	r = mailimap_uid_search(is->imap, NULL, key, &result);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "UID SEARCH", err);
	uids = rb_xcalloc((size_t)clist_count(result) + 1, sizeof(*uids));
	for (cur = clist_begin(result); cur != NULL; cur = clist_next(cur)) {
		const uint32_t *u = clist_content(cur);

		/* "UID n:*" always matches the highest message, also when
		 * its UID is below n: keep only what is really new */
		if (u != NULL && *u > last)
			uids[n++] = *u;
	}
	mailimap_search_result_free(result);
	*uids_r = uids;
	*n_r = sort_unique(uids, n);
	return 0;
}

struct fetched {
	uint32_t uid;
	bool has_uid;
	uint32_t size;
	bool has_size;
	const char *body;
	size_t body_len;
	bool has_body;
};

static void parse_msg_att(const struct mailimap_msg_att *ma, struct fetched *f)
{
	clistiter *cur;

	memset(f, 0, sizeof(*f));
	if (ma == NULL || ma->att_list == NULL)
		return;
	for (cur = clist_begin(ma->att_list); cur != NULL;
	     cur = clist_next(cur)) {
		const struct mailimap_msg_att_item *item = clist_content(cur);
		const struct mailimap_msg_att_static *st;

		if (item == NULL ||
		    item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC ||
		    item->att_data.att_static == NULL)
			continue;
		st = item->att_data.att_static;
		switch (st->att_type) {
		case MAILIMAP_MSG_ATT_UID:
			f->uid = st->att_data.att_uid;
			f->has_uid = true;
			break;
		case MAILIMAP_MSG_ATT_RFC822_SIZE:
			f->size = st->att_data.att_rfc822_size;
			f->has_size = true;
			break;
		case MAILIMAP_MSG_ATT_BODY_SECTION:
			if (st->att_data.att_body_section != NULL) {
				f->body = st->att_data.att_body_section
					      ->sec_body_part;
				f->body_len =
				    st->att_data.att_body_section->sec_length;
				f->has_body = true;
			}
			break;
		default:
			break;
		}
	}
}

/* A message of the batch being fetched. */
struct slot {
	struct rb_source_msg m;
	bool has_size;
	bool has_body;
};

static int cmp_slot_uid(const void *key, const void *elem)
{
	uint32_t k = *(const uint32_t *)key;
	uint32_t u = ((const struct slot *)elem)->m.uid;

	return k < u ? -1 : k > u;
}

/* UID FETCH of @uids with @with_body (BODY.PEEK[]) or without (sizes);
 * fills the matching slots. */
static int fetch_into(struct imap_source *is, const uint32_t *uids, size_t n,
		      bool with_body, struct slot *slots, size_t nslots,
		      struct rb_error *err)
{
	struct mailimap_fetch_type *ft;
	struct mailimap_set *set;
	clist *res = NULL;
	clistiter *cur;
	int r;

	if (n == 0)
		return 0;
	ft = need(mailimap_fetch_type_new_fetch_att_list_empty());
	if (mailimap_fetch_type_new_fetch_att_list_add(
		ft, need(mailimap_fetch_att_new_uid())) != 0)
		need(NULL);
	if (with_body) {
		/* BODY.PEEK[]: does not set \Seen */
		if (mailimap_fetch_type_new_fetch_att_list_add(
			ft, need(mailimap_fetch_att_new_body_peek_section(
				need(mailimap_section_new(NULL))))) != 0)
			need(NULL);
	} else {
		if (mailimap_fetch_type_new_fetch_att_list_add(
			ft, need(mailimap_fetch_att_new_rfc822_size())) != 0)
			need(NULL);
	}
	set = make_set(uids, n);
	r = mailimap_uid_fetch(is->imap, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "UID FETCH", err);
	for (cur = clist_begin(res); cur != NULL; cur = clist_next(cur)) {
		struct fetched f;
		struct slot *sl;

		parse_msg_att(clist_content(cur), &f);
		if (!f.has_uid)
			continue;
		/* only the UIDs we asked for (the n:* pitfall, unsolicited
		 * FETCH responses) */
		sl = bsearch(&f.uid, slots, nslots, sizeof(*slots),
			     cmp_slot_uid);
		if (sl == NULL)
			continue;
		if (f.has_size) {
			sl->m.size = f.size;
			sl->has_size = true;
		}
		if (with_body && f.has_body && !sl->has_body) {
			sl->has_body = true;
			if (f.body_len > is->max_size) {
				sl->m.too_big = true;
			} else {
				sl->m.data = rb_xmalloc(f.body_len + 1);
				if (f.body_len > 0)
					memcpy(sl->m.data, f.body, f.body_len);
				sl->m.data[f.body_len] = '\0';
				sl->m.len = f.body_len;
			}
		}
	}
	mailimap_fetch_list_free(res);
	return 0;
}

static void free_slots(struct slot *slots, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(slots[i].m.id);
		free(slots[i].m.data);
	}
	free(slots);
}

static int imap_fetch(struct rb_source *s, size_t max,
		      struct rb_source_msg **msgs_r, size_t *n_r,
		      struct rb_error *err)
{
	struct imap_source *is = (struct imap_source *)s;
	uint32_t *uids = NULL, *want_uids = NULL;
	struct slot *slots = NULL;
	struct rb_source_msg *msgs;
	size_t nuids = 0, want, i, k, used = 0, budget;
	int r;

	*msgs_r = NULL;
	*n_r = 0;
	if (ensure_connected(is, err) < 0)
		return -1;
	if (s->cp.uidvalidity != is->uidvalidity)
		check_uidvalidity(is);
	/* without a sync the server may not show mail that arrived since
	 * the last command (Dovecot does not) */
	r = mailimap_noop(is->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "NOOP", err);
	if (search_above(is, s->cp.last_uid, &uids, &nuids, err) < 0)
		return -1;
	if (nuids == 0) {
		free(uids);
		return 0;
	}
	want = is->batch;
	if (max > 0 && max < want)
		want = max;
	if (want > nuids)
		want = nuids;

	slots = rb_xcalloc(want, sizeof(*slots));
	for (i = 0; i < want; i++) {
		slots[i].m.uid = uids[i];
		slots[i].m.uidvalidity = is->uidvalidity;
	}
	/* sizes first: nothing over the limit is downloaded */
	if (fetch_into(is, uids, want, false, slots, want, err) < 0)
		goto fail;
	budget =
	    is->max_size > IMAP_BATCH_BYTES ? is->max_size : IMAP_BATCH_BYTES;
	want_uids = rb_xcalloc(want, sizeof(*want_uids));
	k = 0;
	for (i = 0; i < want; i++) {
		if (!slots[i].has_size)
			continue; /* expunged meanwhile */
		if (slots[i].m.size > is->max_size) {
			slots[i].m.too_big = true;
			continue;
		}
		if (used > 0 && used + slots[i].m.size > budget)
			break; /* the rest waits for the next batch */
		used += slots[i].m.size;
		want_uids[k++] = slots[i].m.uid;
	}
	want = i;
	if (fetch_into(is, want_uids, k, true, slots, want, err) < 0)
		goto fail;

	msgs = rb_xcalloc(want, sizeof(*msgs));
	k = 0;
	for (i = 0; i < want; i++) {
		struct slot *sl = &slots[i];
		struct rb_buf id;

		if (!sl->has_size || (!sl->m.too_big && !sl->has_body))
			continue; /* expunged by someone else meanwhile */
		if (sl->m.too_big)
			rb_log(
			    RB_LOG_WARN,
			    "src=imap host=%s mailbox=%s uid=%u size=%zu event=too-big max=%zu",
			    is->host, is->mailbox, sl->m.uid, sl->m.size,
			    is->max_size);
		rb_buf_init(&id, 0);
		rb_buf_printf(&id, "%s;UIDVALIDITY=%u;UID=%u", is->id_prefix,
			      sl->m.uidvalidity, sl->m.uid);
		sl->m.id = rb_buf_steal(&id);
		msgs[k++] = sl->m;
		memset(&sl->m, 0, sizeof(sl->m));
	}
	s->cp.last_uid = uids[want - 1];
	free_slots(slots, want);
	free(want_uids);
	free(uids);
	if (k == 0) {
		free(msgs);
		msgs = NULL;
	}
	*msgs_r = msgs;
	*n_r = k;
	rb_log(
	    RB_LOG_INFO,
	    "src=imap host=%s mailbox=%s event=fetched count=%zu last_uid=%u",
	    is->host, is->mailbox, k, s->cp.last_uid);
	return 0;
fail:
	free_slots(slots, want);
	free(want_uids);
	free(uids);
	return -1;
}

static int ensure_folder(struct imap_source *is, int f, struct rb_error *err)
{
	clist *list = NULL;
	bool exists;
	int r;

	if (is->folder_ok[f])
		return 0;
	r = mailimap_list(is->imap, "", is->folders[f], &list);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "LIST", err);
	exists = list != NULL && clist_count(list) > 0;
	if (list != NULL)
		mailimap_list_result_free(list);
	if (!exists) {
		r = mailimap_create(is->imap, is->folders[f]);
		if (r != MAILIMAP_NO_ERROR)
			return imap_error(is, r, "CREATE", err);
		rb_log(RB_LOG_NOTICE,
		       "src=imap host=%s event=folder-created folder=%s",
		       is->host, is->folders[f]);
	}
	is->folder_ok[f] = true;
	return 0;
}

/* Moves @uids (ascending) to @folder: MOVE, else COPY + \Deleted + UID
 * EXPUNGE of exactly these UIDs. Without UIDPLUS nothing is expunged:
 * a plain EXPUNGE would also remove other clients' \Deleted mail. */
static int move_uids(struct imap_source *is, const uint32_t *uids, size_t n,
		     const char *folder, struct rb_error *err)
{
	struct mailimap_set *set = make_set(uids, n);
	struct mailimap_flag_list *fl;
	struct mailimap_store_att_flags *sf;
	int r;

	if (mailimap_has_extension(is->imap, "MOVE")) {
		r = mailimap_uid_move(is->imap, set, folder);
		mailimap_set_free(set);
		return r == MAILIMAP_NO_ERROR
			   ? 0
			   : imap_error(is, r, "UID MOVE", err);
	}
	r = mailimap_uid_copy(is->imap, set, folder);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		return imap_error(is, r, "UID COPY", err);
	}
	fl = need(mailimap_flag_list_new_empty());
	if (mailimap_flag_list_add(fl, need(mailimap_flag_new_deleted())) != 0)
		need(NULL);
	sf = need(mailimap_store_att_flags_new_add_flags_silent(fl));
	r = mailimap_uid_store(is->imap, set, sf);
	mailimap_store_att_flags_free(sf);
	if (r != MAILIMAP_NO_ERROR) {
		mailimap_set_free(set);
		return imap_error(is, r, "UID STORE", err);
	}
	if (mailimap_has_uidplus(is->imap)) {
		r = mailimap_uid_expunge(is->imap, set);
		mailimap_set_free(set);
		return r == MAILIMAP_NO_ERROR
			   ? 0
			   : imap_error(is, r, "UID EXPUNGE", err);
	}
	mailimap_set_free(set);
	if (!is->warned_no_uidplus) {
		rb_log(
		    RB_LOG_NOTICE,
		    "src=imap host=%s event=no-move-no-uidplus action=copied-and-flagged-deleted",
		    is->host);
		is->warned_no_uidplus = true;
	}
	return 0;
}

static int imap_ack(struct rb_source *s, const struct rb_source_msg *msgs,
		    const enum rb_ack *acks, size_t n, struct rb_error *err)
{
	static const enum rb_ack kinds[FOLDER_N] = {
	    RB_ACK_PROCESSED, RB_ACK_QUARANTINED, RB_ACK_NOT_REPORT};
	struct imap_source *is = (struct imap_source *)s;
	uint32_t *uids;
	size_t i, k, off;
	int f;

	if (ensure_connected(is, err) < 0)
		return -1;
	uids = rb_xcalloc(n, sizeof(*uids));
	for (f = 0; f < FOLDER_N; f++) {
		k = 0;
		for (i = 0; i < n; i++) {
			if (acks[i] != kinds[f] || msgs[i].uid == 0)
				continue;
			if (msgs[i].uidvalidity != is->uidvalidity) {
				/* the UID may name another message now */
				rb_log(
				    RB_LOG_WARN,
				    "src=imap host=%s mailbox=%s uid=%u uidvalidity=%u event=ack-skipped why=uidvalidity-changed current=%u",
				    is->host, is->mailbox, msgs[i].uid,
				    msgs[i].uidvalidity, is->uidvalidity);
				continue;
			}
			uids[k++] = msgs[i].uid;
		}
		if (k == 0 || is->folders[f] == NULL)
			continue; /* no folder: leave them in place */
		k = sort_unique(uids, k);
		if (ensure_folder(is, f, err) < 0)
			goto fail;
		for (off = 0; off < k; off += IMAP_SET_CHUNK) {
			size_t c =
			    k - off < IMAP_SET_CHUNK ? k - off : IMAP_SET_CHUNK;

			if (move_uids(is, uids + off, c, is->folders[f], err) <
			    0)
				goto fail;
		}
		rb_log(
		    RB_LOG_INFO,
		    "src=imap host=%s mailbox=%s event=acked folder=%s count=%zu",
		    is->host, is->mailbox, is->folders[f], k);
	}
	free(uids);
	return 0;
fail:
	free(uids);
	return -1;
}

/* Is there mail above the checkpoint? 1 yes, 0 no, -1 error. */
static int new_mail(struct imap_source *is, struct rb_error *err)
{
	uint32_t *uids = NULL;
	size_t n = 0;
	int r;

	r = mailimap_noop(is->imap);
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "NOOP", err);
	if (is->base.cp.uidvalidity != is->uidvalidity)
		check_uidvalidity(is);
	if (search_above(is, is->base.cp.last_uid, &uids, &n, err) < 0)
		return -1;
	free(uids);
	return n > 0;
}

/* One IDLE of at most @secs seconds. 1: the server said something; 0:
 * nothing (or stopped, or IDLE failed and polling takes over); -1: error. */
static int idle_once(struct imap_source *is, int secs, const volatile int *stop,
		     struct rb_error *err)
{
	double end = now_s() + secs;
	int r, got = 0;

	if (mailstream_setup_idle(is->imap->imap_stream) < 0) {
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s event=idle-failed why=setup action=polling",
		    is->host);
		is->idle_failed = true;
		return 0;
	}
	is->idling = true;
	r = mailimap_idle(is->imap);
	if (r != MAILIMAP_NO_ERROR) {
		/* libetpan 1.9.4 fails on untagged data before the "+"
		 * (LIBRARY-NOTES 2.6): poll from now on, on a fresh session,
		 * since the stream state is unknown */
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s event=idle-failed code=%d action=polling",
		    is->host, r);
		is->idle_failed = true;
		drop(is);
		is->next_attempt = now_s();
		return 0;
	}
	while (!*stop) {
		int w;

		if (now_s() >= end)
			break;
		w = mailstream_wait_idle(is->imap->imap_stream, 1);
		if (w == MAILSTREAM_IDLE_TIMEOUT)
			continue;
		if (w == MAILSTREAM_IDLE_HASDATA)
			got = 1;
		else if (w != MAILSTREAM_IDLE_INTERRUPTED)
			got = -1;
		break;
	}
	r = mailimap_idle_done(is->imap);
	if (is->imap != NULL && is->imap->imap_stream != NULL && is->idling)
		mailstream_unsetup_idle(is->imap->imap_stream);
	is->idling = false;
	if (r != MAILIMAP_NO_ERROR)
		return imap_error(is, r, "IDLE", err);
	if (got < 0) {
		/* the wait failed but DONE went through: the session is
		 * fine; poll from now on rather than spin on a broken wait */
		rb_log(
		    RB_LOG_WARN,
		    "src=imap host=%s event=idle-failed why=wait action=polling",
		    is->host);
		is->idle_failed = true;
		got = 0;
	}
	return got;
}

static int imap_wait(struct rb_source *s, int timeout_s, volatile int *stop,
		     struct rb_error *err)
{
	struct imap_source *is = (struct imap_source *)s;
	double deadline = now_s() + timeout_s;

	if (!is->opened)
		return rb_error_set(err, RB_E_CONFIG,
				    "imap: the source is not open");
	for (;;) {
		double now, next;
		int r;

		if (*stop)
			return 0;
		if (is->imap == NULL) {
			/* the reconnect backoff is slept here */
			if (is->next_attempt > deadline) {
				sleep_until(deadline, stop);
				return 0;
			}
			sleep_until(is->next_attempt, stop);
			if (*stop)
				return 0;
			if (reconnect(is, err) < 0) {
				if (err != NULL && err->code != RB_E_TEMP)
					return -1;
				continue;
			}
			rb_error_clear(err);
		}
		r = new_mail(is, err);
		if (r > 0)
			return 1;
		if (r < 0) {
			if (err != NULL && err->code != RB_E_TEMP)
				return -1;
			if (is->imap != NULL) {
				/* a NO to NOOP or SEARCH: start afresh, later
				 */
				drop(is);
				backoff_more(is);
			}
			continue;
		}
		now = now_s();
		if (now >= deadline)
			return 0;
		if (is->idle && !is->idle_failed &&
		    mailimap_has_idle(is->imap)) {
			double left = deadline - now;

			r = idle_once(is,
				      left < IMAP_IDLE_REISSUE
					  ? (int)left + 1
					  : IMAP_IDLE_REISSUE,
				      stop, err);
			if (r < 0 && err != NULL && err->code != RB_E_TEMP)
				return -1;
			/* data or not, the loop asks for new UIDs: a
			 * keepalive or a flag change is not new mail */
			continue;
		}
		next = now + is->poll_interval;
		sleep_until(next < deadline ? next : deadline, stop);
	}
}

static int imap_open(struct rb_source *s, struct rb_error *err)
{
	struct imap_source *is = (struct imap_source *)s;

	if (is->host == NULL || *is->host == '\0')
		return rb_error_set(err, RB_E_CONFIG, "imap: host is not set");
	if (is->user == NULL || *is->user == '\0')
		return rb_error_set(err, RB_E_CONFIG, "imap: user is not set");
	if (!is->tls_valid)
		return rb_error_set(
		    err, RB_E_CONFIG,
		    "imap: tls must be \"implicit\", \"starttls\" or \"none-for-tests-only\", not \"%s\"",
		    is->tls_name);
	if ((is->password_file == NULL) == (is->password_env == NULL))
		return rb_error_set(
		    err, RB_E_CONFIG,
		    "imap: set exactly one of password_file and password_env");
	is->opened = true;
	if (reconnect(is, err) == 0)
		return 0;
	if (err != NULL && err->code != RB_E_TEMP)
		is->opened = false;
	return -1;
}

static void imap_close(struct rb_source *s)
{
	struct imap_source *is = (struct imap_source *)s;

	if (is->imap != NULL && !is->idling)
		(void)mailimap_logout(is->imap);
	drop(is);
	is->opened = false;
	is->backoff = 0;
	is->next_attempt = 0;
}

static void imap_destroy(struct rb_source *s)
{
	struct imap_source *is = (struct imap_source *)s;
	int i;

	free(is->host);
	free(is->ca_file);
	free(is->user);
	free(is->password_file);
	free(is->password_env);
	free(is->mailbox);
	for (i = 0; i < FOLDER_N; i++)
		free(is->folders[i]);
	free(is->id_prefix);
	free(is);
}

static const struct rb_source_ops imap_ops = {
    .kind = "imap",
    .open = imap_open,
    .fetch = imap_fetch,
    .ack = imap_ack,
    .wait = imap_wait,
    .close = imap_close,
};

static char *dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? rb_xstrdup(s) : NULL;
}

/* Appends @s percent-encoded as in an RFC 5092 IMAP URL; @keep is one more
 * character left as it is. */
static void add_pct(struct rb_buf *b, const char *s, char keep)
{
	static const char safe[] = "-._~!$&'()*+,=:";

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr(safe, c) != NULL ||
		    (keep != '\0' && c == (unsigned char)keep))
			rb_buf_addc(b, (char)c);
		else
			rb_buf_printf(b, "%%%02X", c);
	}
}

struct rb_source *rb_source_imap_new(const struct rb_imap_config *cfg)
{
	struct imap_source *is;
	struct rb_buf b;

	if (cfg == NULL)
		return NULL;
	is = rb_xcalloc(1, sizeof(*is));
	is->base.ops = &imap_ops;
	is->base.destroy = imap_destroy;
	is->host = dup_or_null(cfg->host);
	is->ca_file = dup_or_null(cfg->ca_file);
	is->user = dup_or_null(cfg->user);
	is->password_file = dup_or_null(cfg->password_file);
	is->password_env = dup_or_null(cfg->password_env);
	is->mailbox = rb_xstrdup(cfg->mailbox != NULL && *cfg->mailbox != '\0'
				     ? cfg->mailbox
				     : "INBOX");
	is->folders[FOLDER_PROCESSED] = rb_xstrdup(
	    cfg->processed_folder != NULL && *cfg->processed_folder != '\0'
		? cfg->processed_folder
		: "Processed");
	is->folders[FOLDER_QUARANTINE] = rb_xstrdup(
	    cfg->quarantine_folder != NULL && *cfg->quarantine_folder != '\0'
		? cfg->quarantine_folder
		: "Quarantine");
	is->folders[FOLDER_NOTREPORT] = dup_or_null(cfg->notreport_folder);

	is->tls_name = cfg->tls != NULL ? cfg->tls : "implicit";
	is->tls_valid = true;
	if (strcmp(is->tls_name, "implicit") == 0) {
		is->tls = TLS_IMPLICIT;
		is->tls_name = "implicit";
	} else if (strcmp(is->tls_name, "starttls") == 0) {
		is->tls = TLS_STARTTLS;
		is->tls_name = "starttls";
	} else if (strcmp(is->tls_name, "none-for-tests-only") == 0) {
		is->tls = TLS_NONE;
		is->tls_name = "none-for-tests-only";
	} else {
		is->tls_valid = false;
		is->tls_name = "(invalid)";
	}
	is->port = cfg->port != 0            ? cfg->port
		   : is->tls == TLS_IMPLICIT ? 993
					     : 143;
	is->batch = cfg->batch != 0 ? cfg->batch : IMAP_DEF_BATCH;
	is->max_size =
	    cfg->max_size != 0 ? cfg->max_size : RB_DEF_MAX_MESSAGE_SIZE;
	is->idle = cfg->idle;
	is->poll_interval =
	    cfg->poll_interval != 0 ? cfg->poll_interval : IMAP_DEF_POLL;
	is->timeout = cfg->timeout != 0 ? cfg->timeout : IMAP_DEF_TIMEOUT;

	rb_buf_init(&b, 0);
	rb_buf_adds(&b, "imap://");
	add_pct(&b, is->user != NULL ? is->user : "", '\0');
	rb_buf_addc(&b, '@');
	add_pct(&b, is->host != NULL ? is->host : "", '\0');
	if (is->port != (is->tls == TLS_IMPLICIT ? 993 : 143))
		rb_buf_printf(&b, ":%u", is->port);
	rb_buf_addc(&b, '/');
	add_pct(&b, is->mailbox, '/');
	is->id_prefix = rb_buf_steal(&b);
	return &is->base;
}
