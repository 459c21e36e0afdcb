/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/input.c - path walking and mbox splitting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/input.h"
#include "core/buf.h"
#include "core/mem.h"

static int read_fd(int fd, size_t max, struct rb_buf *b)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (b->len + (size_t)n > max + 1) {
			/* keep counting: the size is reported */
			b->len += (size_t)n;
			continue;
		}
		rb_buf_add(b, chunk, (size_t)n);
	}
	return n < 0 ? -1 : 0;
}

/* Is the line at @p an mbox "From " envelope line with its date,
 * "From sender Thu Jul  2 12:05:05 2020"? */
static bool is_envelope_line(const char *p, const char *end)
{
	static const char *const days[] = {"Mon ", "Tue ", "Wed ", "Thu ",
					   "Fri ", "Sat ", "Sun "};
	const char *nl, *q;

	if ((size_t)(end - p) < 5 || memcmp(p, "From ", 5) != 0)
		return false;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (nl == NULL)
		nl = end;
	for (q = p + 5; q + 24 <= nl; q++) {
		for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
			if (memcmp(q, days[i], 4) == 0 && q[-1] == ' ' &&
			    q[7] == ' ' && (q[13] == ':' || q[14] == ':'))
				return true;
		}
	}
	return false;
}

/* A file that starts with a "From " envelope line and holds another one
 * is an mbox, whatever its name: read each message. */
static bool mbox_with_several(const char *buf, size_t len)
{
	const char *end = buf + len, *p;

	if (!is_envelope_line(buf, end))
		return false;
	for (p = buf; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
		if (p > buf && is_envelope_line(p + 1, end))
			return true;
	}
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_path(const char *path, bool mbox, size_t max_size,
		     rb_input_fn fn, void *ud, int depth);

static int read_dir(const char *path, bool mbox, size_t max_size,
		    rb_input_fn fn, void *ud, int depth)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int ret = 0;

	if (d == NULL) {
		fprintf(stderr, "rebound: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = rb_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = rb_xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(path) + strlen(names[i]) + 2;
		char *sub = rb_xmalloc(len);

		(void)snprintf(sub, len, "%s%s%s", path,
			       path[strlen(path) - 1] == '/' ? "" : "/",
			       names[i]);
		if (read_path(sub, mbox, max_size, fn, ud, depth + 1) < 0)
			ret = -1;
		free(sub);
		free(names[i]);
	}
	free(names);
	return ret;
}

static int read_path(const char *path, bool mbox, size_t max_size,
		     rb_input_fn fn, void *ud, int depth)
{
	struct stat st;
	struct rb_buf b;
	int fd;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		if (stat(path, &st) < 0) {
			fprintf(stderr, "rebound: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth > 32) {
				fprintf(stderr, "rebound: %s: too deep\n", path);
				return -1;
			}
			return read_dir(path, mbox, max_size, fn, ud, depth);
		}
		if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "rebound: %s: not a regular file\n",
				path);
			return -1;
		}
		if (!mbox && (size_t)st.st_size > max_size) {
			fn(path, NULL, (size_t)st.st_size, ud);
			return 0;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			fprintf(stderr, "rebound: %s: %s\n", path,
				strerror(errno));
			return -1;
		}
	}
	rb_buf_init(&b, 0);
	if (read_fd(fd, mbox ? (size_t)-2 : max_size, &b) < 0) {
		fprintf(stderr, "rebound: %s: %s\n", path, strerror(errno));
		if (fd != STDIN_FILENO)
			close(fd);
		rb_buf_free(&b);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (mbox || mbox_with_several(rb_buf_str(&b), b.len))
		rb_input_split_mbox(path, rb_buf_str(&b), b.len, fn, ud);
	else if (b.len > max_size)
		fn(path, NULL, b.len, ud);
	else
		fn(path, rb_buf_str(&b), b.len, ud);
	rb_buf_free(&b);
	return 0;
}

int rb_input_read(const char *path, bool mbox, size_t max_size,
		  rb_input_fn fn, void *ud)
{
	return read_path(path, mbox, max_size, fn, ud, 0);
}

void rb_input_split_mbox(const char *source, const char *buf, size_t len,
			 rb_input_fn fn, void *ud)
{
	const char *p = buf, *end = buf + len, *start = NULL;
	size_t nmsg = 0;
	size_t slen = strlen(source) + 24;
	char *label = rb_xmalloc(slen);

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		int sep = (size_t)(end - p) >= 5 && memcmp(p, "From ", 5) == 0 &&
			  (p == buf || (p >= buf + 2 && p[-2] == '\n') ||
			   (p >= buf + 3 && p[-2] == '\r' && p[-3] == '\n') ||
			   is_envelope_line(p, end));

		if (sep) {
			if (start != NULL) {
				(void)snprintf(label, slen, "%s#%zu", source,
					       ++nmsg);
				fn(label, start, (size_t)(p - start), ud);
			}
			start = next; /* skip the envelope line */
		} else if (start == NULL) {
			start = p; /* no leading From_ line */
		}
		p = next;
	}
	if (start != NULL && start < end) {
		(void)snprintf(label, slen, "%s#%zu", source, ++nmsg);
		fn(label, start, (size_t)(end - start), ud);
	}
	free(label);
}
