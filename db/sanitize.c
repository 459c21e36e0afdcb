/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sanitize.c - strict UTF-8 repair (the same rules as PostgreSQL's
 * pg_utf8_islegal), replacing what is not valid with U+FFFD.
 */
#include "db/sanitize.h"

#define REPLACEMENT "\xef\xbf\xbd"

/* Length of the well-formed sequence at @p (at most @left bytes), 0 when
 * it is not one (Unicode 15, table 3-7). */
static size_t seq_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0x01 && c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else
		return 0; /* NUL, continuation byte, c0/c1, f5..ff */
	if (n > left)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return n;
}

size_t rb_db_sanitize(struct rb_buf *out, const char *s, size_t len,
		      size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, written = 0, bad = 0;

	while (i < len) {
		size_t n = seq_len(p + i, len - i);
		size_t add = n ? n : sizeof(REPLACEMENT) - 1;

		if (max != 0 && written + add > max)
			break;
		if (n == 0) {
			rb_buf_add(out, REPLACEMENT, sizeof(REPLACEMENT) - 1);
			bad++;
			i++;
		} else {
			rb_buf_add(out, p + i, n);
			i += n;
		}
		written += add;
	}
	return bad;
}

char *rb_db_sanitize_dup(const char *s, size_t len)
{
	struct rb_buf b;

	rb_buf_init(&b, 0);
	(void)rb_db_sanitize(&b, s, len, 0);
	return rb_buf_steal(&b);
}
