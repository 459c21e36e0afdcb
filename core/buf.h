/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/buf.h - a growable byte buffer born with a maximum (curl's dynbuf).
 *
 * Appending past the maximum keeps what fits, sets @truncated and returns -1.
 * The content is always NUL-terminated. Owned by its user; not thread-safe.
 */
#ifndef REBOUND_CORE_BUF_H
#define REBOUND_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct rb_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
	bool truncated;
};

/* Initialises @b with a maximum of @max bytes (0 = unbounded). */
void rb_buf_init(struct rb_buf *b, size_t max);
void rb_buf_free(struct rb_buf *b);
void rb_buf_reset(struct rb_buf *b);
int rb_buf_add(struct rb_buf *b, const void *data, size_t len);
int rb_buf_adds(struct rb_buf *b, const char *s);
int rb_buf_addc(struct rb_buf *b, char c);
int rb_buf_printf(struct rb_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Returns (owned) the content and resets @b. */
char *rb_buf_steal(struct rb_buf *b);
/* Returns (borrowed) the content, "" when empty. */
const char *rb_buf_str(const struct rb_buf *b);

#endif
