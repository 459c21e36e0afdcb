/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/literal.c - required-literal extraction (see literal.h).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#include "bounce/literal.h"

/* Extended mode, quoting and verbs would change what characters mean:
 * such patterns get no literal. */
static bool plain_syntax(const char *pattern)
{
	return strstr(pattern, "(?x") == NULL && strstr(pattern, "\\Q") == NULL &&
	       strstr(pattern, "(*") == NULL;
}

struct run {
	char cur[256];
	size_t n;
	char *best;
	size_t best_n;
	size_t size;
	char **all; /* when set: every run of RB_LITERAL_MIN bytes, owned */
	size_t nall;
	size_t maxall;
};

static void flush(struct run *r)
{
	if (r->n >= RB_LITERAL_MIN && r->n > r->best_n && r->n < r->size) {
		memcpy(r->best, r->cur, r->n);
		r->best[r->n] = '\0';
		r->best_n = r->n;
	}
	if (r->all != NULL && r->n >= RB_LITERAL_MIN && r->nall < r->maxall)
		r->all[r->nall++] = rb_xstrndup(r->cur, r->n);
	r->n = 0;
}

static void add(struct run *r, char c)
{
	if (r->n + 1 >= sizeof(r->cur)) {
		flush(r);
		return;
	}
	if (c >= 'A' && c <= 'Z')
		c = (char)(c + 32);
	r->cur[r->n++] = c;
}

/* Skips a character class starting at @p ('['); returns past its ']'. */
static const char *skip_class(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p && *p != ']') {
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '[' && p[1] == ':') {
			const char *e = strstr(p + 2, ":]");

			if (e != NULL)
				p = e + 1;
		}
		p++;
	}
	return *p ? p + 1 : p;
}

/* Skips a group starting at @p ('('); returns past its ')', or NULL. */
static const char *skip_group(const char *p)
{
	int depth = 0;

	while (*p) {
		if (*p == '\\' && p[1]) {
			p += 2;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p);
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* Past one item at @p: an escape pair, a class, a whole group, or one
 * character. NULL for an unbalanced group. */
static const char *skip_item(const char *p)
{
	if (*p == '\\' && p[1])
		return p + 2;
	if (*p == '[')
		return skip_class(p);
	if (*p == '(')
		return skip_group(p);
	return p + 1;
}

/* Is the quantifier at @p one that allows zero repetitions? Sets *len_r to
 * its length (0 = no quantifier), including a lazy/possessive suffix. */
static int quantifier(const char *p, size_t *len_r, int *optional_r)
{
	const char *q = p;

	*optional_r = 0;
	if (*q == '?' || *q == '*') {
		*optional_r = 1;
		q++;
	} else if (*q == '+') {
		q++;
	} else if (*q == '{' && q[1] >= '0' && q[1] <= '9') {
		const char *e = strchr(q, '}');

		if (e == NULL)
			return 0;
		*optional_r = q[1] == '0' && (q[2] == ',' || q[2] == '}');
		q = e + 1;
	} else {
		*len_r = 0;
		return 0;
	}
	if (*q == '?' || *q == '+')
		q++;
	*len_r = (size_t)(q - p);
	return 1;
}

/* Walks the top level of @pattern, feeding its literal runs to @r.
 * False when the pattern has none to give (top-level alternation, an
 * unbalanced group). */
static bool walk_top(const char *pattern, struct run *r);

size_t rb_literal_required(const char *pattern, char *out, size_t size)
{
	struct run r;

	memset(&r, 0, sizeof(r));
	r.best = out;
	r.size = size;
	if (size > 0)
		out[0] = '\0';
	if (!plain_syntax(pattern) || !walk_top(pattern, &r)) {
		if (size > 0)
			out[0] = '\0';
		return 0;
	}
	return r.best_n;
}

static bool walk_top(const char *pattern, struct run *r)
{
	const char *p = pattern;

	while (*p) {
		size_t ql;
		int opt;

		if (*p == '|')
			return false; /* top-level alternation */
		if (*p == '(') {
			const char *e = skip_group(p);

			if (e == NULL)
				return false;
			flush(r);
			p = e;
			if (quantifier(p, &ql, &opt))
				p += ql;
			continue;
		}
		if (*p == '[' || *p == '.' || *p == '^' || *p == '$') {
			flush(r);
			p = *p == '[' ? skip_class(p) : p + 1;
			if (quantifier(p, &ql, &opt))
				p += ql;
			continue;
		}
		if (*p == '\\') {
			char e = p[1];

			if (e == '\0')
				break;
			p += 2;
			if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') ||
			    (e >= '0' && e <= '9')) {
				/* \b \s \d \x.. \p{..} \1 ...: not a literal */
				flush(r);
				if (e == 'x' || e == 'p' || e == 'P' || e == 'g' ||
				    e == 'k' || e == 'N') {
					if (*p == '{') {
						const char *c = strchr(p, '}');

						p = c ? c + 1 : p;
					} else if (e == 'x') {
						p += strspn(p, "0123456789abcdefABCDEF") > 2
							     ? 2
							     : strspn(p, "0123456789abcdefABCDEF");
					}
				}
				if (quantifier(p, &ql, &opt))
					p += ql;
				continue;
			}
			/* escaped punctuation is that character */
			if (quantifier(p, &ql, &opt)) {
				if (!opt)
					add(r, e);
				flush(r);
				p += ql;
			} else {
				add(r, e);
			}
			continue;
		}
		if ((unsigned char)*p >= 0x80 || *p == '\t' || *p == '\n') {
			flush(r);
			p++;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{' ||
		    *p == ')') {
			/* a stray quantifier: be safe */
			flush(r);
			p++;
			continue;
		}
		/* an ordinary character, maybe quantified */
		if (quantifier(p + 1, &ql, &opt)) {
			if (!opt)
				add(r, *p);
			flush(r);
			p += 1 + ql;
			continue;
		}
		add(r, *p);
		p++;
	}
	flush(r);
	return true;
}

/* Splits @inner (a group body) at its top-level '|' and finds each
 * alternative's required literal. Returns the count, 0 if one lacks it. */
static size_t alternatives(const char *inner, size_t len, char **out,
			   size_t max)
{
	char *copy = rb_xstrndup(inner, len);
	char *p = copy, *start = copy;
	size_t n = 0;
	int ok = 1;

	for (;; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == '[') {
			p = (char *)skip_class(p) - 1;
			continue;
		}
		if (*p == '(') {
			const char *e = skip_group(p);

			if (e == NULL) {
				ok = 0;
				break;
			}
			p = (char *)e - 1;
			continue;
		}
		if (*p == '|' || *p == '\0') {
			char lit[256];
			char end = *p;

			*p = '\0';
			if (n >= max || rb_literal_required(start, lit, sizeof(lit)) == 0) {
				ok = 0;
				break;
			}
			out[n++] = rb_xstrdup(lit);
			if (end == '\0')
				break;
			start = p + 1;
		}
	}
	free(copy);
	if (!ok) {
		while (n > 0)
			free(out[--n]);
	}
	return n;
}

/*
 * Appends to @out the literals of the mandatory top-level groups of
 * @pattern whose alternatives each have one (@grp: the group's number,
 * counted on from *@ng_r), the first such group only when @first_only.
 * Returns the number appended; *@ng_r is advanced by the groups taken.
 */
static size_t top_groups(const char *pattern, char **out, unsigned *grp,
			 size_t max, bool first_only, unsigned *ng_r)
{
	const char *p = pattern;
	size_t total = 0;

	while (*p && total < max) {
		if (*p == '\\' && p[1]) {
			p += 2;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p);
			continue;
		}
		if (*p == '|')
			break; /* top-level alternation: never reached */
		if (*p == '(') {
			const char *e = skip_group(p), *body = p + 1;
			size_t ql, n;
			int opt = 0;

			if (e == NULL)
				break;
			if (quantifier(e, &ql, &opt) && opt) {
				p = e + ql;
				continue;
			}
			if (*body == '?') {
				/* (?: (?i: (?<name> are groups; lookarounds and
				 * option settings are not */
				if (body[1] == '=' || body[1] == '!' ||
				    (body[1] == '<' && (body[2] == '=' || body[2] == '!'))) {
					p = e;
					continue;
				}
				if (body[1] == '<' || body[1] == 'P' || body[1] == '\'') {
					const char *gt = strpbrk(body, ">'");

					body = gt ? gt + 1 : e - 1;
				} else {
					const char *colon = body + 1;

					while (colon < e - 1 && *colon != ':' && *colon != ')')
						colon++;
					if (*colon != ':') {
						p = e;
						continue;
					}
					body = colon + 1;
				}
			}
			n = alternatives(body, (size_t)(e - 1 - body), out + total,
					 max - total);
			if (n > 0) {
				for (size_t i = 0; i < n; i++)
					grp[total + i] = *ng_r;
				total += n;
				++*ng_r;
				if (first_only)
					break;
			}
			p = e;
			continue;
		}
		p++;
	}
	return total;
}

/* Has @pattern an alternation at its top level? */
static bool top_alternation(const char *p)
{
	for (; p != NULL && *p; p = skip_item(p)) {
		if (*p == '|')
			return true;
	}
	return p == NULL; /* unbalanced: be safe */
}

size_t rb_literal_set(const char *pattern, char **out, size_t max)
{
	char lit[256];
	unsigned grp[64], ng = 0;

	if (max == 0)
		return 0;
	if (rb_literal_required(pattern, lit, sizeof(lit)) > 0) {
		out[0] = rb_xstrdup(lit);
		return 1;
	}
	if (!plain_syntax(pattern) || top_alternation(pattern))
		return 0;
	return top_groups(pattern, out, grp, max < 64 ? max : 64, true, &ng);
}

size_t rb_literal_cnf(const char *pattern, char **out, unsigned *group,
		      size_t max, unsigned *ngroups_r)
{
	struct run r;
	char best[256];
	size_t n;

	*ngroups_r = 0;
	if (max == 0 || !plain_syntax(pattern) || top_alternation(pattern))
		return 0;
	memset(&r, 0, sizeof(r));
	r.best = best;
	r.size = sizeof(best);
	r.all = out;
	r.maxall = max > RB_LITERAL_GROUPS ? RB_LITERAL_GROUPS : max;
	if (!walk_top(pattern, &r)) {
		while (r.nall > 0)
			free(out[--r.nall]);
		return 0;
	}
	/* every run is a group of its own */
	for (n = 0; n < r.nall; n++)
		group[n] = (unsigned)n;
	*ngroups_r = (unsigned)n;
	if (*ngroups_r < RB_LITERAL_GROUPS) {
		size_t lim = max - n;
		unsigned ng = *ngroups_r;
		size_t k = top_groups(pattern, out + n, group + n, lim, false, &ng);

		/* past RB_LITERAL_GROUPS groups, the rest is left out */
		while (k > 0 && group[n + k - 1] >= RB_LITERAL_GROUPS)
			free(out[n + --k]);
		n += k;
		*ngroups_r = ng < RB_LITERAL_GROUPS ? ng : RB_LITERAL_GROUPS;
	}
	return n;
}

static bool needs_high_in(const char *p, const char *end);

static bool folds_to_ascii(const char *c, size_t n)
{
	return (n == 2 && memcmp(c, "\xc5\xbf", 2) == 0) ||
	       (n == 3 && memcmp(c, "\xe2\x84\xaa", 3) == 0);
}

/* Does every alternative of the group body @p .. @end need a non-ASCII
 * byte? */
static bool alternatives_need_high(const char *p, const char *end)
{
	const char *a = p;

	for (; p != NULL && p < end; p = skip_item(p)) {
		if (*p == '|') {
			if (!needs_high_in(a, p))
				return false;
			a = p + 1;
		}
	}
	return p == end && needs_high_in(a, end);
}

/* Is there a non-ASCII character at the top level of @p .. @end that a
 * match cannot skip, or a mandatory group whose alternatives all need
 * one? (See rb_literal_needs_high; @end bounds an alternative.) */
static bool needs_high_in(const char *p, const char *end)
{
	while (p < end) {
		size_t ql;
		int opt;

		if (*p == '|')
			return false; /* split by alternatives_need_high */
		if (*p == '\\') {
			if (p + 1 >= end)
				return false;
			p += 2; /* an escape: never a required non-ASCII byte */
			continue;
		}
		if (*p == '[') {
			p = skip_class(p);
			continue;
		}
		if (*p == '(') {
			const char *e = skip_group(p), *body = p + 1;

			if (e == NULL || e > end)
				return false;
			if (quantifier(e, &ql, &opt) && opt) {
				p = e + ql;
				continue;
			}
			if (*body == '?') {
				/* only (?: groups are looked into: lookarounds
				 * consume nothing, others are not worth it */
				if (body[1] != ':') {
					p = e;
					continue;
				}
				body += 2;
			}
			if (alternatives_need_high(body, e - 1))
				return true;
			p = e;
			continue;
		}
		if ((unsigned char)*p >= 0x80) {
			/* one UTF-8 character: a quantifier after it applies
			 * to all of it; U+017F and U+212A fold to ASCII s and
			 * k under caseless matching */
			const char *c = p + 1;

			while (c < end && ((unsigned char)*c & 0xc0) == 0x80)
				c++;
			if (!(c < end && quantifier(c, &ql, &opt) && opt) &&
			    !folds_to_ascii(p, (size_t)(c - p)))
				return true;
			p = c;
			continue;
		}
		p++;
	}
	return false;
}

bool rb_literal_needs_high(const char *pattern)
{
	if (!plain_syntax(pattern))
		return false;
	return alternatives_need_high(pattern, pattern + strlen(pattern));
}
