/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/str.c - string helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

size_t rb_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int rb_parse_u64(const char *s, uint64_t *out_r)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out_r = (uint64_t)v;
	return 0;
}

int rb_parse_u32(const char *s, uint32_t *out_r)
{
	uint64_t v;

	if (rb_parse_u64(s, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out_r = (uint32_t)v;
	return 0;
}

static int lc(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + 32 : c;
}

int rb_strcasecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	while (*x && lc(*x) == lc(*y)) {
		x++;
		y++;
	}
	return lc(*x) - lc(*y);
}

int rb_strncasecmp(const char *a, const char *b, size_t n)
{
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;

	for (; n > 0; n--, x++, y++) {
		if (lc(*x) != lc(*y))
			return lc(*x) - lc(*y);
		if (*x == '\0')
			return 0;
	}
	return 0;
}

bool rb_has_high(const char *s, size_t len)
{
	const uint64_t highs = UINT64_C(0x8080808080808080);
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (x & highs)
			return true;
	}
	for (; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

bool rb_contains_any(const char *hay, size_t len, const char *const *needles,
		     size_t n)
{
	bool high = rb_has_high(hay, len);

	for (size_t i = 0; i < n; i++) {
		if (!high && rb_has_high(needles[i], strlen(needles[i])))
			continue;
		if (rb_memcasemem(hay, len, needles[i]) != NULL)
			return true;
	}
	return false;
}

const char *rb_memcasemem(const char *hay, size_t len, const char *needle)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	const uint64_t highs = UINT64_C(0x8080808080808080);
	size_t nl = strlen(needle), last, i = 0;
	unsigned c0, c1, fold0, fold1;
	uint64_t m0, m1, pat0, pat1;

	if (nl == 0)
		return hay;
	if (nl > len)
		return NULL;
	last = len - nl; /* the last possible start */
	/* a byte b matches needle byte c when (b | fold) == c: fold 0x20
	 * takes both cases of a letter, 0 is plain equality */
	c0 = (unsigned)lc((unsigned char)needle[0]);
	fold0 = c0 >= 'a' && c0 <= 'z' ? 0x20 : 0;
	c1 = nl > 1 ? (unsigned)lc((unsigned char)needle[1]) : 0;
	fold1 = c1 >= 'a' && c1 <= 'z' ? 0x20 : 0;
	m0 = ones * fold0;
	pat0 = ones * c0;
	m1 = ones * fold1;
	pat1 = ones * c1;
	while (i <= last) {
		if (last - i >= 7) {
			/* eight candidate starts at a time, no call per hit: a
			 * start must match the needle's first byte and (when it
			 * has one) its second, read from i + 1 (in bounds: the
			 * needle's second byte ends no later than the text) */
			uint64_t x, v;

			memcpy(&x, hay + i, 8);
			v = (x | m0) ^ pat0;
			if (nl > 1) {
				uint64_t y;

				memcpy(&y, hay + i + 1, 8);
				v |= (y | m1) ^ pat1;
			}
			if (((v - ones) & ~v & highs) == 0) {
				i += 8;
				continue;
			}
			while ((((unsigned char)hay[i]) | fold0) != c0)
				i++;
		} else if ((((unsigned char)hay[i]) | fold0) != c0) {
			i++;
			continue;
		}
		if (rb_strncasecmp(hay + i + 1, needle + 1, nl - 1) == 0)
			return hay + i;
		i++;
	}
	return NULL;
}

bool rb_startswith_ci(const char *s, const char *prefix)
{
	const unsigned char *x = (const unsigned char *)s;
	const unsigned char *y = (const unsigned char *)prefix;

	/* one pass, no strlen; a NUL in @s differs from any prefix byte */
	for (; *y; x++, y++) {
		if (lc(*x) != lc(*y))
			return false;
	}
	return true;
}

char *rb_str_lower(char *s)
{
	char *p;

	for (p = s; *p; p++)
		*p = (char)lc((unsigned char)*p);
	return s;
}

static int isws(int c)
{
	/* ' ' or one of \t \n \v \f \r (9-13) */
	return c == ' ' || (unsigned)(c - '\t') <= (unsigned)('\r' - '\t');
}

char *rb_str_trim(char *s)
{
	char *e;

	while (isws((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isws((unsigned char)e[-1]))
		e--;
	*e = '\0';
	return s;
}

/* rb_str_squeeze from @src up to @end (or a NUL before it) into @dst;
 * writing never overtakes reading, so @dst may be @src. */
static size_t squeeze(char *dst, const char *src, const char *end)
{
	const char *r = src;
	char *w = dst;

	while (r != end && isws((unsigned char)*r))
		r++;
	for (;;) {
		/* a word, copied: eight bytes at a time while none is below
		 * 0x21 (no white space, no NUL), then byte by byte */
		while (end - r >= 8) {
			uint64_t v;

			memcpy(&v, r, 8);
			if ((v - UINT64_C(0x2121212121212121)) & ~v &
			    UINT64_C(0x8080808080808080))
				break;
			memcpy(w, &v, 8);
			w += 8;
			r += 8;
		}
		while (r != end && *r != '\0' && !isws((unsigned char)*r))
			*w++ = *r++;
		if (r == end || *r == '\0')
			break;
		/* a run of white space: one space, none at the end */
		while (r != end && isws((unsigned char)*r))
			r++;
		if (r == end || *r == '\0')
			break;
		*w++ = ' ';
	}
	*w = '\0';
	return (size_t)(w - dst);
}

void rb_str_squeeze(char *s)
{
	(void)squeeze(s, s, s + strlen(s));
}

size_t rb_str_squeeze_copy(char *dst, const char *src, size_t len)
{
	return squeeze(dst, src, src + len);
}

bool rb_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c;
		size_t n;
		uint32_t cp;

		/* ASCII runs a word at a time */
		while (len - i >= 8) {
			uint64_t w;

			memcpy(&w, p + i, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			i += 8;
		}
		if (i >= len)
			break;
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (i + n >= len)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}
