/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/json.c - minimal JSON reading (see json.h).
 */
#include <string.h>

#include "core/buf.h"
#include "parsers/json.h"

static const char *ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Past the string starting at the quote @p. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

const char *rb_json_value(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);

	while (p < end) {
		const char *q = memchr(p, '"', (size_t)(end - p));

		if (q == NULL)
			return NULL;
		if ((size_t)(end - q) > kl + 1 && memcmp(q + 1, key, kl) == 0 &&
		    q[kl + 1] == '"') {
			const char *v = ws(q + kl + 2, end);

			if (v < end && *v == ':')
				return ws(v + 1, end);
		}
		p = skip_string(q, end);
		if (p == NULL)
			return NULL;
	}
	return NULL;
}

static int hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *rb_json_get_string(struct rb_arena *a, const char *p, const char *end)
{
	struct rb_buf b;
	char *out;

	if (p == NULL || p >= end || *p != '"')
		return NULL;
	rb_buf_init(&b, 65536);
	for (p++; p < end && *p != '"'; p++) {
		if (*p == '\n' || *p == '\r')
			continue; /* a line break added by mail */
		if (*p != '\\') {
			rb_buf_addc(&b, *p);
			continue;
		}
		if (++p >= end)
			break;
		switch (*p) {
		case 'n':
			rb_buf_addc(&b, '\n');
			break;
		case 't':
			rb_buf_addc(&b, '\t');
			break;
		case 'r':
		case 'b':
		case 'f':
			rb_buf_addc(&b, ' ');
			break;
		case 'u': {
			unsigned cp = 0;
			int k;

			for (k = 1; k <= 4 && p + k < end && hexv((unsigned char)p[k]) >= 0; k++)
				cp = cp * 16 + (unsigned)hexv((unsigned char)p[k]);
			if (k != 5)
				break;
			p += 4;
			if (cp == 0)
				cp = ' ';
			if (cp < 0x80) {
				rb_buf_addc(&b, (char)cp);
			} else if (cp < 0x800) {
				rb_buf_addc(&b, (char)(0xc0 | (cp >> 6)));
				rb_buf_addc(&b, (char)(0x80 | (cp & 0x3f)));
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				rb_buf_adds(&b, "\xef\xbf\xbd");
			} else {
				rb_buf_addc(&b, (char)(0xe0 | (cp >> 12)));
				rb_buf_addc(&b, (char)(0x80 | ((cp >> 6) & 0x3f)));
				rb_buf_addc(&b, (char)(0x80 | (cp & 0x3f)));
			}
			break;
		}
		default:
			rb_buf_addc(&b, *p);
			break;
		}
	}
	out = rb_arena_strndup(a, rb_buf_str(&b), b.len);
	rb_buf_free(&b);
	return out;
}

const char *rb_json_skip(const char *p, const char *end)
{
	int depth = 0;

	while (p < end) {
		if (*p == '"') {
			p = skip_string(p, end);
			if (p == NULL)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
		p++;
	}
	return NULL;
}

const char *rb_json_next(const char *p, const char *end, const char **it_r)
{
	const char *q, *e;

	if (p == NULL || p >= end || *p != '[')
		return NULL;
	q = ws(*it_r != NULL ? *it_r : p + 1, end);
	if (q < end && *q == ',')
		q = ws(q + 1, end);
	if (q >= end || *q == ']')
		return NULL;
	if (*q == '{' || *q == '[')
		e = rb_json_skip(q, end);
	else if (*q == '"')
		e = skip_string(q, end);
	else
		for (e = q; e < end && *e != ',' && *e != ']'; e++)
			;
	if (e == NULL)
		return NULL;
	*it_r = e;
	return q;
}

static const char *find(const char *hay, size_t n, const char *needle,
			size_t nl)
{
	for (const char *p = hay; p + nl <= hay + n; p++) {
		p = memchr(p, needle[0], (size_t)(hay + n - p));
		if (p == NULL || p + nl > hay + n)
			return NULL;
		if (memcmp(p, needle, nl) == 0)
			return p;
	}
	return NULL;
}

const char *rb_json_locate(struct rb_arena *a, const char *text, size_t len,
			   const char *key, const char **end_r)
{
	char quoted[96];
	const char *hit, *msg;
	char *inner;
	size_t kl = strlen(key);

	if (kl + 3 > sizeof(quoted))
		return NULL;
	quoted[0] = '"';
	memcpy(quoted + 1, key, kl);
	quoted[kl + 1] = '"';
	quoted[kl + 2] = '\0';
	hit = find(text, len, quoted, kl + 2);
	if (hit != NULL && (hit == text || hit[-1] != '\\')) {
		*end_r = text + len;
		return hit;
	}
	/* {"Type":"Notification","Message":"{\"notificationType\":...}"} */
	msg = rb_json_value(text, text + len, "Message");
	inner = rb_json_get_string(a, msg, text + len);
	if (inner == NULL)
		return NULL;
	hit = strstr(inner, quoted);
	if (hit == NULL)
		return NULL;
	*end_r = inner + strlen(inner);
	return hit;
}
