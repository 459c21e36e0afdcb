/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/fields.c - field-block parser. A small push-down of lines into
 * fields; every buffer is capped by the limits.
 */
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "parsers/fields.h"

/* Returns the length of the line at @p (without its end) and sets *next_r
 * past the line end (LF, CRLF or CR). */
static size_t line_at(const char *p, const char *end, const char **next_r)
{
	const char *q = p;

	while (q < end && *q != '\n' && *q != '\r')
		q++;
	*next_r = q;
	if (q < end) {
		if (*q == '\r' && q + 1 < end && q[1] == '\n')
			*next_r = q + 2;
		else
			*next_r = q + 1;
	}
	return (size_t)(q - p);
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t')
			return 0;
	}
	return 1;
}

struct state {
	struct rb_arena *a;
	const struct rb_limits *lim;
	struct rb_fields *out;
	struct rb_field *cur_fields;
	size_t cur_n, cur_cap;
	struct rb_buf val;
	const char *name;
	size_t name_len;
};

static void end_field(struct state *s)
{
	struct rb_field *f;

	if (s->name == NULL)
		return;
	if (s->val.truncated)
		s->out->flags |= RB_PF_TRUNCATED;
	if (s->cur_n >= s->lim->max_fields) {
		s->out->flags |= RB_PF_LIMIT_HIT;
	} else {
		if (s->cur_n == s->cur_cap) {
			size_t ncap = s->cur_cap ? s->cur_cap * 2 : 16;
			struct rb_field *nf =
				rb_arena_alloc(s->a, ncap * sizeof(*nf));

			if (s->cur_n)
				memcpy(nf, s->cur_fields,
				       s->cur_n * sizeof(*nf));
			s->cur_fields = nf;
			s->cur_cap = ncap;
		}
		f = &s->cur_fields[s->cur_n++];
		f->name = rb_arena_strndup(s->a, s->name, s->name_len);
		f->value = rb_arena_strdup(s->a, rb_buf_str(&s->val));
		f->value = rb_str_trim(f->value);
	}
	s->name = NULL;
	rb_buf_reset(&s->val);
}

static void end_block(struct state *s)
{
	struct rb_fields *o = s->out;

	end_field(s);
	if (s->cur_n == 0)
		return;
	if (o->n >= s->lim->max_blocks) {
		o->flags |= RB_PF_LIMIT_HIT;
	} else {
		struct rb_fblock *nb =
			rb_arena_alloc(s->a, (o->n + 1) * sizeof(*nb));

		if (o->n)
			memcpy(nb, o->blocks, o->n * sizeof(*nb));
		nb[o->n].fields = s->cur_fields;
		nb[o->n].n = s->cur_n;
		o->blocks = nb;
		o->n++;
	}
	s->cur_fields = NULL;
	s->cur_n = s->cur_cap = 0;
}

static int field_name_len(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ':')
			break;
		if (c <= ' ' || c >= 0x7f)
			return -1;
	}
	if (i == 0 || i == n || i > 128)
		return -1;
	return (int)i;
}

size_t rb_fields_parse(struct rb_arena *a, const char *buf, size_t len,
		       const struct rb_limits *lim, int one_block,
		       struct rb_fields *out)
{
	struct state s;
	const char *p = buf, *end = buf + len, *next;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.a = a;
	s.lim = lim;
	s.out = out;
	rb_buf_init(&s.val, lim->max_header_line);

	while (p < end) {
		size_t n = line_at(p, end, &next);
		int nl;

		if (n == 0 || blank(p, n)) {
			if (s.name != NULL || s.cur_n > 0) {
				end_block(&s);
				if (one_block) {
					p = next;
					break;
				}
			}
			p = next;
			continue;
		}
		if ((p[0] == ' ' || p[0] == '\t') && s.name != NULL) {
			/* continuation: unfold with one space */
			size_t ws = strspn(p, " \t");

			if (ws > n)
				ws = n;
			rb_buf_addc(&s.val, ' ');
			rb_buf_add(&s.val, p + ws, n - ws);
			p = next;
			continue;
		}
		nl = field_name_len(p, n);
		if (nl < 0 && s.name != NULL && !one_block) {
			/* folded without the leading white space (a long
			 * Diagnostic-Code cut by a gateway): the open field
			 * goes on. Not in a header block (one_block): there
			 * a stray line must not join a To or From field */
			out->flags |= RB_PF_INVALID_SYNTAX;
			rb_buf_addc(&s.val, ' ');
			rb_buf_add(&s.val, p, n);
			p = next;
			continue;
		}
		if (nl < 0) {
			/* not a field: keep going, but say so */
			out->flags |= RB_PF_INVALID_SYNTAX;
			if (one_block && s.cur_n == 0 && s.name == NULL) {
				p = next;
				break;
			}
			p = next;
			continue;
		}
		end_field(&s);
		s.name = p;
		s.name_len = (size_t)nl;
		{
			const char *v = p + nl + 1;

			rb_buf_add(&s.val, v, n - (size_t)nl - 1);
		}
		p = next;
	}
	end_block(&s);
	rb_buf_free(&s.val);
	return (size_t)(p - buf);
}

const char *rb_flag_name(unsigned bit)
{
	switch (bit) {
	case RB_PF_TRUNCATED:
		return "truncated";
	case RB_PF_INVALID_SYNTAX:
		return "invalid-syntax";
	case RB_PF_LIMIT_HIT:
		return "limit-hit";
	case RB_PF_BAD_CHARSET:
		return "bad-charset";
	case RB_PF_TOO_BIG:
		return "too-big";
	default:
		return NULL;
	}
}

/* ASCII lower case of @c, for a first-byte check before a full compare. */
static int fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : (unsigned char)c;
}

const char *rb_fblock_get(const struct rb_fblock *b, const char *name)
{
	int c0 = fold(name[0]);

	for (size_t i = 0; i < b->n; i++) {
		if (fold(b->fields[i].name[0]) == c0 &&
		    rb_strcasecmp(b->fields[i].name, name) == 0)
			return b->fields[i].value;
	}
	return NULL;
}
