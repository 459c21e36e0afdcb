/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/buf.c - bounded growable buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

void rb_buf_init(struct rb_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void rb_buf_free(struct rb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->truncated = false;
}

void rb_buf_reset(struct rb_buf *b)
{
	b->len = 0;
	b->truncated = false;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int rb_buf_add(struct rb_buf *b, const void *data, size_t len)
{
	int ret = 0;

	if (b->max != 0 && len > b->max - b->len) {
		len = b->max - b->len;
		b->truncated = true;
		ret = -1;
	}
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->cap ? b->cap : 64;

		while (ncap < b->len + len + 1)
			ncap *= 2;
		b->data = rb_xrealloc(b->data, ncap);
		b->cap = ncap;
	}
	if (len > 0)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return ret;
}

int rb_buf_adds(struct rb_buf *b, const char *s)
{
	return rb_buf_add(b, s, strlen(s));
}

int rb_buf_addc(struct rb_buf *b, char c)
{
	/* room for the byte and the NUL, under the maximum */
	if (b->len + 2 <= b->cap && (b->max == 0 || b->len < b->max)) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return rb_buf_add(b, &c, 1);
}

int rb_buf_printf(struct rb_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return rb_buf_add(b, small, (size_t)n);
	{
		char *big = rb_xmalloc((size_t)n + 1);
		int ret;

		va_start(ap, fmt);
		n = vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
		ret = n < 0 ? -1 : rb_buf_add(b, big, (size_t)n);
		free(big);
		return ret;
	}
}

char *rb_buf_steal(struct rb_buf *b)
{
	char *p = b->data;

	if (p == NULL)
		p = rb_xstrdup("");
	b->data = NULL;
	b->len = b->cap = 0;
	b->truncated = false;
	return p;
}

const char *rb_buf_str(const struct rb_buf *b)
{
	return b->data != NULL ? b->data : "";
}
