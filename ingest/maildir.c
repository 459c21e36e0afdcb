/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/maildir.c - the maildir source: one message per file in new/ and
 * cur/ (never tmp/), acknowledged by moving the file into another maildir's
 * cur/ (link, fsync the directory, unlink, so a crash leaves two names of
 * one file and never none). Only processed mail gets the S (seen) flag.
 * inotify on new/ and cur/ wakes wait(); a periodic rescan covers what
 * inotify misses. One source object per thread.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/log.h"
#include "core/mem.h"
#include "ingest/source.h"

#define MD_DEF_BATCH         100u
#define MD_DEF_RESCAN        30u /* seconds, with inotify */
#define MD_RESCAN_NO_INOTIFY 2u  /* seconds, without */
#define MD_SEEN_BUCKETS      1024u

/* The unique part of a maildir name (before ":2,") of every message handed
 * out and not yet moved away, so a batch is not handed out twice and mail
 * left in place is not read again by this process. */
struct seen_entry {
	struct seen_entry *next;
	char name[];
};

struct maildir_source {
	struct rb_source base;
	char *path;
	char *dest[3]; /* processed, quarantine, not-report (NULL: leave) */
	size_t max_size;
	unsigned batch;
	unsigned rescan_interval;
	bool opened;
	int ino_fd; /* -1 without inotify */
	struct seen_entry *seen[MD_SEEN_BUCKETS];
};

static const char *const subdirs[2] = {"new", "cur"};

static size_t base_len(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon != NULL ? (size_t)(colon - name) : strlen(name);
}

static unsigned hash_name(const char *name, size_t len)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return h % MD_SEEN_BUCKETS;
}

static struct seen_entry **seen_find(struct maildir_source *ms,
				     const char *name)
{
	size_t len = base_len(name);
	struct seen_entry **pp = &ms->seen[hash_name(name, len)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (strlen((*pp)->name) == len &&
		    memcmp((*pp)->name, name, len) == 0)
			return pp;
	return pp;
}

static bool seen_has(struct maildir_source *ms, const char *name)
{
	return *seen_find(ms, name) != NULL;
}

static void seen_add(struct maildir_source *ms, const char *name)
{
	struct seen_entry **pp = seen_find(ms, name);
	size_t len = base_len(name);

	if (*pp != NULL)
		return;
	*pp = rb_xmalloc(sizeof(**pp) + len + 1);
	(*pp)->next = NULL;
	memcpy((*pp)->name, name, len);
	(*pp)->name[len] = '\0';
}

static void seen_remove(struct maildir_source *ms, const char *name)
{
	struct seen_entry **pp = seen_find(ms, name);
	struct seen_entry *e = *pp;

	if (e != NULL) {
		*pp = e->next;
		free(e);
	}
}

static void seen_clear(struct maildir_source *ms)
{
	unsigned i;

	for (i = 0; i < MD_SEEN_BUCKETS; i++) {
		while (ms->seen[i] != NULL) {
			struct seen_entry *e = ms->seen[i];

			ms->seen[i] = e->next;
			free(e);
		}
	}
}

/* Returns (owned) "@a/@b" or "@a/@b/@c". */
static char *join(const char *a, const char *b, const char *c)
{
	struct rb_buf buf;

	rb_buf_init(&buf, 0);
	rb_buf_printf(&buf, "%s/%s", a, b);
	if (c != NULL)
		rb_buf_printf(&buf, "/%s", c);
	return rb_buf_steal(&buf);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates the maildir @path (and new/ cur/ tmp/) when missing. */
static int make_maildir(const char *path, struct rb_error *err)
{
	static const char *const dirs[3] = {"new", "cur", "tmp"};
	int i;

	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return rb_error_set(err, RB_E_IO, "maildir: mkdir %s: %s", path,
				    strerror(errno));
	for (i = 0; i < 3; i++) {
		char *p = join(path, dirs[i], NULL);

		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			rb_error_set(err, RB_E_IO, "maildir: mkdir %s: %s", p,
				     strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

static int fsync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* A message file found by a scan: "new/NAME" or "cur/NAME". */
struct entry {
	char *rel;
	const char *name; /* into rel */
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void free_entries(struct entry *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(e[i].rel);
	free(e);
}

/* Lists the messages in new/ and cur/ not handed out yet. With @first_only
 * it stops at the first one (for "is there anything?"). */
static int scan(struct maildir_source *ms, bool first_only,
		struct entry **list_r, size_t *n_r, struct rb_error *err)
{
	struct entry *list = NULL;
	size_t n = 0, cap = 0;
	int d;

	*list_r = NULL;
	*n_r = 0;
	for (d = 0; d < 2; d++) {
		char *dir = join(ms->path, subdirs[d], NULL);
		DIR *dh = opendir(dir);
		struct dirent *de;

		if (dh == NULL) {
			rb_error_set(err, RB_E_IO, "maildir: %s: %s", dir,
				     strerror(errno));
			free(dir);
			free_entries(list, n);
			return -1;
		}
		free(dir);
		while ((de = readdir(dh)) != NULL) {
			size_t dl = strlen(subdirs[d]);

			if (de->d_name[0] == '.')
				continue;
			if (seen_has(ms, de->d_name))
				continue;
			if (n == cap) {
				cap = cap != 0 ? cap * 2 : 64;
				list = rb_xrealloc(list, cap * sizeof(*list));
			}
			list[n].rel = join(subdirs[d], de->d_name, NULL);
			list[n].name = list[n].rel + dl + 1;
			n++;
			if (first_only)
				break;
		}
		closedir(dh);
		if (first_only && n > 0)
			break;
	}
	/* maildir names start with the delivery time */
	if (n > 1)
		qsort(list, n, sizeof(*list), cmp_entry);
	*list_r = list;
	*n_r = n;
	return 0;
}

/* Reads one message. 1: read (or too big); 0: gone or unreadable, skip. */
static int read_message(struct maildir_source *ms, const char *rel,
			struct rb_source_msg *m)
{
	char *path = join(ms->path, rel, NULL);
	struct stat st;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			rb_log_errno(
			    RB_LOG_WARN,
			    "src=maildir path=%s file=%s event=unreadable",
			    ms->path, rel);
		free(path);
		return 0;
	}
	free(path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rb_log(RB_LOG_WARN,
		       "src=maildir path=%s file=%s event=not-a-regular-file",
		       ms->path, rel);
		close(fd);
		return 0;
	}
	memset(m, 0, sizeof(*m));
	m->size = (size_t)st.st_size;
	if (m->size > ms->max_size) {
		m->too_big = true;
		rb_log(
		    RB_LOG_WARN,
		    "src=maildir path=%s file=%s size=%zu event=too-big max=%zu",
		    ms->path, rel, m->size, ms->max_size);
		close(fd);
		m->id = rb_xstrdup(rel);
		return 1;
	}
	m->data = rb_xmalloc(m->size + 1);
	while (len < m->size) {
		ssize_t r = read(fd, m->data + len, m->size - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rb_log_errno(
			    RB_LOG_WARN,
			    "src=maildir path=%s file=%s event=read-failed",
			    ms->path, rel);
			close(fd);
			free(m->data);
			m->data = NULL;
			return 0;
		}
		if (r == 0)
			break; /* shrank: take what is there */
		len += (size_t)r;
	}
	close(fd);
	m->data[len] = '\0';
	m->len = len;
	m->id = rb_xstrdup(rel);
	return 1;
}

static int md_fetch(struct rb_source *s, size_t max,
		    struct rb_source_msg **msgs_r, size_t *n_r,
		    struct rb_error *err)
{
	struct maildir_source *ms = (struct maildir_source *)s;
	struct rb_source_msg *msgs;
	struct entry *list;
	size_t n, i, k = 0, want;

	*msgs_r = NULL;
	*n_r = 0;
	if (!ms->opened)
		return rb_error_set(err, RB_E_CONFIG,
				    "maildir: the source is not open");
	if (scan(ms, false, &list, &n, err) < 0)
		return -1;
	want = ms->batch;
	if (max > 0 && max < want)
		want = max;
	if (want > n)
		want = n;
	msgs = rb_xcalloc(want + 1, sizeof(*msgs));
	for (i = 0; i < n && k < want; i++) {
		/* skipped (unreadable) files are marked too, so they are
		 * logged once and not retried in a loop */
		seen_add(ms, list[i].name);
		if (read_message(ms, list[i].rel, &msgs[k]) == 1)
			k++;
	}
	free_entries(list, n);
	if (k == 0) {
		free(msgs);
		return 0;
	}
	*msgs_r = msgs;
	*n_r = k;
	rb_log(RB_LOG_INFO, "src=maildir path=%s event=fetched count=%zu",
	       ms->path, k);
	return 0;
}

/* Checks that @id is "new/NAME" or "cur/NAME" with a plain NAME. Returns
 * NAME (borrowed from @id) or NULL. */
static const char *id_name(const char *id)
{
	const char *name;

	if (id == NULL ||
	    (strncmp(id, "new/", 4) != 0 && strncmp(id, "cur/", 4) != 0))
		return NULL;
	name = id + 4;
	if (*name == '\0' || *name == '.' || strchr(name, '/') != NULL)
		return NULL;
	return name;
}

/* Returns (owned) the name in the destination's cur/: the unique part,
 * then ":2," and the flags it had, plus S when @seen (flags stay in ASCII
 * order, as the maildir spec asks). */
static char *dest_name(const char *name, bool seen)
{
	const char *info = strstr(name, ":2,");
	char flags[64];
	size_t nf = 0, i, j;
	struct rb_buf b;

	if (info != NULL) {
		for (i = 3; info[i] != '\0' && nf + 2 < sizeof(flags); i++)
			flags[nf++] = info[i];
	}
	if (seen && memchr(flags, 'S', nf) == NULL)
		flags[nf++] = 'S';
	/* insertion sort, duplicates dropped */
	for (i = 1; i < nf; i++) {
		char c = flags[i];

		for (j = i; j > 0 && flags[j - 1] > c; j--)
			flags[j] = flags[j - 1];
		flags[j] = c;
	}
	rb_buf_init(&b, 0);
	rb_buf_add(&b, name, base_len(name));
	rb_buf_adds(&b, ":2,");
	for (i = 0; i < nf; i++)
		if (i == 0 || flags[i] != flags[i - 1])
			rb_buf_addc(&b, flags[i]);
	return rb_buf_steal(&b);
}

/* Moves @src to @dst without ever replacing another file. 0 moved or
 * already there; -1 error. */
static int move_file(const char *src, const char *dst, const char *dst_dir,
		     struct rb_error *err)
{
	struct stat a, b;

	if (link(src, dst) < 0) {
		if (errno == EEXIST && stat(src, &a) == 0 &&
		    stat(dst, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			/* a crash between link and unlink: finish it */
		} else if (errno == ENOENT && stat(src, &a) < 0 &&
			   stat(dst, &b) == 0) {
			return 0; /* acknowledged before */
		} else if (errno == EPERM || errno == ENOTSUP ||
			   errno == EXDEV) {
			/* no hard links here: rename, if it replaces nothing */
			if (lstat(dst, &b) == 0)
				return rb_error_set(
				    err, RB_E_IO,
				    "maildir: %s exists; not replacing it",
				    dst);
			if (rename(src, dst) < 0)
				return rb_error_set(
				    err, RB_E_IO,
				    "maildir: rename %s to %s: %s", src, dst,
				    strerror(errno));
			fsync_dir(dst_dir);
			return 0;
		} else {
			return rb_error_set(err, RB_E_IO,
					    "maildir: link %s to %s: %s", src,
					    dst, strerror(errno));
		}
	}
	if (fsync_dir(dst_dir) < 0)
		return rb_error_set(err, RB_E_IO, "maildir: fsync %s: %s",
				    dst_dir, strerror(errno));
	if (unlink(src) < 0 && errno != ENOENT)
		return rb_error_set(err, RB_E_IO, "maildir: unlink %s: %s", src,
				    strerror(errno));
	return 0;
}

static int md_ack(struct rb_source *s, const struct rb_source_msg *msgs,
		  const enum rb_ack *acks, size_t n, struct rb_error *err)
{
	struct maildir_source *ms = (struct maildir_source *)s;
	size_t i, moved = 0;
	int ret = 0;

	if (!ms->opened)
		return rb_error_set(err, RB_E_CONFIG,
				    "maildir: the source is not open");
	for (i = 0; i < n; i++) {
		const char *name = id_name(msgs[i].id);
		const char *dest;
		char *src, *dst_dir, *dst, *dn;
		int d;

		if (name == NULL) {
			ret = rb_error_set(
			    err, RB_E_IO,
			    "maildir: not a message id of this source: %s",
			    msgs[i].id != NULL ? msgs[i].id : "(null)");
			continue;
		}
		switch (acks[i]) {
		case RB_ACK_PROCESSED:
			d = 0;
			break;
		case RB_ACK_QUARANTINED:
			d = 1;
			break;
		case RB_ACK_NOT_REPORT:
			d = 2;
			break;
		default:
			continue; /* leave: stays marked as handed out */
		}
		dest = ms->dest[d];
		if (dest == NULL)
			continue; /* no not-report maildir: leave it */
		src = join(ms->path, msgs[i].id, NULL);
		dst_dir = join(dest, "cur", NULL);
		dn = dest_name(name, d == 0);
		dst = join(dst_dir, dn, NULL);
		if (move_file(src, dst, dst_dir, err) < 0) {
			ret = -1;
		} else {
			seen_remove(ms, name);
			moved++;
		}
		free(src);
		free(dst_dir);
		free(dn);
		free(dst);
	}
	if (moved > 0) {
		char *nd = join(ms->path, "new", NULL);
		char *cd = join(ms->path, "cur", NULL);

		fsync_dir(nd);
		fsync_dir(cd);
		free(nd);
		free(cd);
		rb_log(RB_LOG_INFO, "src=maildir path=%s event=acked count=%zu",
		       ms->path, moved);
	}
	return ret;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when a message not handed out yet is there, 0 if not, -1 error. */
static int anything_new(struct maildir_source *ms, struct rb_error *err)
{
	struct entry *list;
	size_t n;

	if (scan(ms, true, &list, &n, err) < 0)
		return -1;
	free_entries(list, n);
	return n > 0;
}

static void drain_inotify(struct maildir_source *ms)
{
	_Alignas(struct inotify_event) char buf[4096];

	while (read(ms->ino_fd, buf, sizeof(buf)) > 0)
		;
}

static int md_wait(struct rb_source *s, int timeout_s, volatile int *stop,
		   struct rb_error *err)
{
	struct maildir_source *ms = (struct maildir_source *)s;
	double deadline = now_s() + timeout_s;
	unsigned interval =
	    ms->ino_fd >= 0 ? ms->rescan_interval : MD_RESCAN_NO_INOTIFY;
	double next_scan;
	int r;

	if (!ms->opened)
		return rb_error_set(err, RB_E_CONFIG,
				    "maildir: the source is not open");
	r = anything_new(ms, err);
	if (r != 0)
		return r;
	next_scan = now_s() + interval;
	while (!*stop) {
		double now = now_s();
		struct pollfd pfd;
		int ms_wait;

		if (now >= deadline)
			return 0;
		if (now >= next_scan) {
			/* the fallback: inotify can overflow or be missing */
			r = anything_new(ms, err);
			if (r != 0)
				return r;
			next_scan = now + interval;
		}
		/* wake at least every 200 ms to look at *stop */
		ms_wait = 200;
		if (ms->ino_fd < 0) {
			struct timespec ts = {0, 200000000L};

			nanosleep(&ts, NULL);
			continue;
		}
		pfd.fd = ms->ino_fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, ms_wait);
		if (r > 0 && (pfd.revents & POLLIN) != 0) {
			drain_inotify(ms);
			/* a flag change by a mail reader is not new mail */
			r = anything_new(ms, err);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

static int md_open(struct rb_source *s, struct rb_error *err)
{
	struct maildir_source *ms = (struct maildir_source *)s;
	int d;

	if (ms->path == NULL)
		return rb_error_set(err, RB_E_CONFIG,
				    "maildir: path is not set");
	if (ms->dest[0] == NULL || ms->dest[1] == NULL)
		return rb_error_set(
		    err, RB_E_CONFIG,
		    "maildir: processed_path and quarantine_path must be set");
	for (d = 0; d < 2; d++) {
		char *p = join(ms->path, subdirs[d], NULL);
		int ok = is_dir(p);

		free(p);
		if (!ok)
			return rb_error_set(
			    err, RB_E_CONFIG,
			    "maildir: %s is not a maildir (no %s/)", ms->path,
			    subdirs[d]);
	}
	for (d = 0; d < 3; d++) {
		if (ms->dest[d] == NULL)
			continue;
		if (strcmp(ms->dest[d], ms->path) == 0)
			return rb_error_set(
			    err, RB_E_CONFIG,
			    "maildir: %s is both the source and a destination",
			    ms->path);
		if (make_maildir(ms->dest[d], err) < 0)
			return -1;
	}
	if (ms->ino_fd < 0) {
		ms->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (ms->ino_fd < 0) {
			rb_log_errno(
			    RB_LOG_WARN,
			    "src=maildir path=%s event=no-inotify action=rescan",
			    ms->path);
		} else {
			for (d = 0; d < 2; d++) {
				char *p = join(ms->path, subdirs[d], NULL);

				if (inotify_add_watch(ms->ino_fd, p,
						      IN_CREATE | IN_MOVED_TO |
							  IN_CLOSE_WRITE) < 0)
					rb_log_errno(
					    RB_LOG_WARN,
					    "src=maildir dir=%s event=no-inotify-watch action=rescan",
					    p);
				free(p);
			}
		}
	}
	ms->opened = true;
	return 0;
}

static void md_close(struct rb_source *s)
{
	struct maildir_source *ms = (struct maildir_source *)s;

	if (ms->ino_fd >= 0)
		close(ms->ino_fd);
	ms->ino_fd = -1;
	ms->opened = false;
	seen_clear(ms);
}

static void md_destroy(struct rb_source *s)
{
	struct maildir_source *ms = (struct maildir_source *)s;
	int d;

	seen_clear(ms);
	free(ms->path);
	for (d = 0; d < 3; d++)
		free(ms->dest[d]);
	free(ms);
}

static const struct rb_source_ops maildir_ops = {
    .kind = "maildir",
    .open = md_open,
    .fetch = md_fetch,
    .ack = md_ack,
    .wait = md_wait,
    .close = md_close,
};

/* Returns (owned) @s without trailing slashes, or NULL. */
static char *dup_path(const char *s)
{
	char *p;
	size_t n;

	if (s == NULL || *s == '\0')
		return NULL;
	p = rb_xstrdup(s);
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

struct rb_source *rb_source_maildir_new(const struct rb_maildir_config *cfg)
{
	struct maildir_source *ms;

	if (cfg == NULL)
		return NULL;
	ms = rb_xcalloc(1, sizeof(*ms));
	ms->base.ops = &maildir_ops;
	ms->base.destroy = md_destroy;
	ms->path = dup_path(cfg->path);
	ms->dest[0] = dup_path(cfg->processed_path);
	ms->dest[1] = dup_path(cfg->quarantine_path);
	ms->dest[2] = dup_path(cfg->notreport_path);
	ms->max_size =
	    cfg->max_size != 0 ? cfg->max_size : RB_DEF_MAX_MESSAGE_SIZE;
	ms->batch = cfg->batch != 0 ? cfg->batch : MD_DEF_BATCH;
	ms->rescan_interval =
	    cfg->rescan_interval != 0 ? cfg->rescan_interval : MD_DEF_RESCAN;
	ms->ino_fd = -1;
	return &ms->base;
}
