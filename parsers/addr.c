/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/addr.c - address helpers.
 */
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "parsers/addr.h"

bool rb_addr_atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL) ||
	       c >= 0x80;
}

static int dtext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c >= 0x80;
}

bool rb_addr_plausible(const char *s)
{
	const char *at = strrchr(s, '@');
	const char *p;
	const char *dot;

	if (at == NULL || at == s || at[1] == '\0')
		return false;
	for (p = s; p < at; p++) {
		if (!rb_addr_atext((unsigned char)*p) && *p != '"' && *p != ' ')
			return false;
	}
	for (p = at + 1; *p; p++) {
		if (!dtext((unsigned char)*p) && *p != '[' && *p != ']' &&
		    *p != ':')
			return false;
	}
	dot = strchr(at + 1, '.');
	return dot != NULL && dot[1] != '\0' && at[1] != '.';
}

/* "u.kim"@example.net is u.kim@example.net: quotes around a local part
 * that is a dot-atom add nothing (RFC 5321 4.1.2: the simplest form), and
 * an address must have one spelling to be suppressed and looked up. */
static void unquote_local(char *s)
{
	char *at = strrchr(s, '@');
	size_t n;

	if (s[0] != '"' || at == NULL || at - s < 3 || at[-1] != '"')
		return;
	n = (size_t)(at - s) - 2;
	if (s[1] == '.' || s[n] == '.')
		return;
	for (size_t i = 1; i <= n; i++) {
		if (!rb_addr_atext((unsigned char)s[i]) ||
		    (s[i] == '.' && s[i + 1] == '.'))
			return;
	}
	memmove(s, s + 1, n);
	memmove(s + n, at, strlen(at) + 1);
}

/* @addr up to and including its '@' (@at), then @domain, in @a. */
static char *with_domain(struct rb_arena *a, const char *addr, const char *at,
			 const char *domain)
{
	size_t lp = (size_t)(at - addr) + 1, dl = strlen(domain);
	char *out = rb_arena_alloc(a, lp + dl + 1);

	memcpy(out, addr, lp);
	memcpy(out + lp, domain, dl + 1);
	return out;
}

char *rb_addr_canon(struct rb_arena *a, char *addr)
{
	char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	char *idn = NULL;
	char *out;
	bool ascii = true;

	if (at == NULL)
		return addr;
	rb_str_lower(at);
	for (const char *p = at + 1; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	if (ascii || at[1] == '[')
		return addr;
	if (idn2_to_ascii_8z(at + 1, &idn,
			     IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK &&
	    idn2_to_ascii_8z(at + 1, &idn,
			     IDN2_NFC_INPUT | IDN2_TRANSITIONAL) != IDN2_OK) {
		idn2_free(idn);
		return addr;
	}
	out = with_domain(a, addr, at, idn);
	idn2_free(idn);
	rb_str_lower(strrchr(out, '@'));
	return out;
}

char *rb_addr_unicode(struct rb_arena *a, const char *addr)
{
	const char *at = addr != NULL ? strrchr(addr, '@') : NULL;
	char *u = NULL, *out;

	if (at == NULL || rb_memcasemem(at, strlen(at), "xn--") == NULL)
		return NULL;
	if (idn2_to_unicode_8z8z(rb_str_lower(rb_arena_strdup(a, at + 1)), &u,
				 0) != IDN2_OK || u == NULL ||
	    rb_strcasecmp(u, at + 1) == 0) {
		idn2_free(u);
		return NULL;
	}
	out = with_domain(a, addr, at, u);
	idn2_free(u);
	return out;
}

void rb_addr_field_clean(char *s)
{
	char *r = s, *w = s;
	int depth = 0, angle = 0;
	bool quoted = false;

	while (*r) {
		char c = *r;

		if (quoted) {
			*w++ = *r++;
			if (c == '\\' && *r)
				*w++ = *r++;
			else if (c == '"')
				quoted = false;
			continue;
		}
		if (depth > 0) {
			if (c == '\\' && r[1])
				r++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			r++;
			continue;
		}
		if (c == '(') {
			depth = 1;
			r++;
			continue;
		}
		if (c == '"')
			quoted = true;
		else if (c == '<')
			angle++;
		else if (c == '>' && angle > 0)
			angle--;
		/* white space inside <...> or next to '@' is folding */
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			const char *n = r + strspn(r, " \t\r\n");

			if (angle > 0 || *n == '@' || (w > s && w[-1] == '@')) {
				r = (char *)n;
				continue;
			}
		}
		if (rb_startswith_ci(r, "mailto:") &&
		    (w == s || w[-1] == '<' || w[-1] == ' ' || w[-1] == ';' ||
		     w[-1] == '\t')) {
			r += 7;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

char *rb_addr_extract(struct rb_arena *a, const char *s)
{
	const char *semi, *lt, *at, *b, *e;
	char *out;

	if (s == NULL)
		return NULL;
	/* "rfc822; addr" -- only when the part before ';' is an addr-type */
	semi = strchr(s, ';');
	if (semi != NULL && semi - s < 16 && memchr(s, '@', (size_t)(semi - s)) == NULL)
		s = semi + 1;
	lt = strchr(s, '<');
	if (lt != NULL && strchr(lt, '>') != NULL && memchr(lt, '@', (size_t)(strchr(lt, '>') - lt)) != NULL) {
		b = lt + 1;
		e = strchr(b, '>');
	} else {
		at = strchr(s, '@');
		if (at == NULL)
			return NULL;
		b = at;
		/* a quoted local part holds what atext does not: "jane doe"@ */
		if (at - s >= 3 && at[-1] == '"') {
			const char *q = at - 2;

			while (q > s && *q != '"' && *q != '<' && *q != '>')
				q--;
			if (*q == '"' && q < at - 2)
				b = q;
		}
		while (b > s && (rb_addr_atext((unsigned char)b[-1]) || b[-1] == '"')) {
			/* a sentence in Arabic, CJK, ... glued to the address:
			 * stop at a character whose UTF-8 lead byte is >= 0xd8
			 * (Latin accents, 0xc3-0xc5, stay part of the name) */
			if ((unsigned char)b[-1] >= 0x80) {
				const char *lead = b - 1;

				while (lead > s && ((unsigned char)*lead & 0xc0) == 0x80)
					lead--;
				if ((unsigned char)*lead >= 0xd8)
					break;
			}
			b--;
		}
		e = at + 1;
		/* loose text: the domain ends at the first non-ASCII byte
		 * ("user@example.jp," in a CJK or Arabic sentence) */
		/* loose text: the domain ends at a character whose UTF-8
		 * lead byte is >= 0xd8 (the comma of an Arabic or CJK
		 * sentence glued to the address); Latin IDN stays */
		while (*e && (unsigned char)*e < 0xd8 &&
		       (dtext((unsigned char)*e) || *e == '[' || *e == ']')) {
			e++;
			while (((unsigned char)*e & 0xc0) == 0x80)
				e++;
		}
	}
	while (b < e && (*b == ' ' || *b == '\'' || *b == '<'))
		b++;
	/* a quoted local part ("a..b"@example.com) keeps its quotes; a
	 * quote around the whole address goes */
	if (b < e && *b == '"') {
		const char *at2 = memchr(b, '@', (size_t)(e - b));

		if (at2 == NULL || at2 - b < 2 || at2[-1] != '"')
			b++;
	}
	while (e > b && (e[-1] == ' ' || e[-1] == '.' || e[-1] == '\'' ||
			 e[-1] == '"' || e[-1] == '>'))
		e--;
	if (e <= b)
		return NULL;
	/* "user@example.com]" in running text: a bracket without its mate */
	if (e[-1] == ']' && memchr(b, '[', (size_t)(e - b)) == NULL)
		e--;
	out = rb_arena_strndup(a, b, (size_t)(e - b));
	if (!rb_addr_plausible(out))
		return NULL;
	unquote_local(out);
	rb_str_lower(strrchr(out, '@'));
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void rb_xtext_decode(char *s)
{
	char *r = s, *w = s;

	while (*r) {
		if (r[0] == '+' && hexval((unsigned char)r[1]) >= 0 &&
		    hexval((unsigned char)r[2]) >= 0) {
			int v = hexval((unsigned char)r[1]) * 16 +
				hexval((unsigned char)r[2]);

			*w++ = v == 0 ? '?' : (char)v;
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Writes code point @cp as UTF-8 at @w; returns the bytes written. */
static size_t put_utf8(char *w, unsigned long cp)
{
	if (cp < 0x80) {
		w[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		w[0] = (char)(0xc0 | (cp >> 6));
		w[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		w[0] = (char)(0xe0 | (cp >> 12));
		w[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		w[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	w[0] = (char)(0xf0 | (cp >> 18));
	w[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	w[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	w[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

bool rb_unitext_decode(char *s)
{
	char *r = s, *w = s;
	bool ok = true;

	while (*r) {
		unsigned long cp = 0;
		size_t nd = 0;

		if (r[0] != '\\' || r[1] != 'x' || r[2] != '{') {
			*w++ = *r++;
			continue;
		}
		while (nd < 7 && hexval((unsigned char)r[3 + nd]) >= 0) {
			cp = cp * 16 + (unsigned long)hexval((unsigned char)r[3 + nd]);
			nd++;
		}
		if (nd == 0 || nd > 6 || r[3 + nd] != '}' || cp == 0 ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
			ok = false;
			*w++ = *r++;
			continue;
		}
		/* "\x{H}" is 5 bytes or more, its UTF-8 at most 4: in place */
		w += put_utf8(w, cp);
		r += 4 + nd;
	}
	*w = '\0';
	return ok;
}

char *rb_verp_decode(struct rb_arena *a, const char *fmt, const char *addr)
{
	const char *ts = strstr(fmt, "{sender}");
	const char *td = strstr(fmt, "{domain}");
	const char *at = strrchr(addr, '@');
	size_t pre_len, lp_len, mid_len = 0, suf_len;
	const char *suf, *mid = NULL;
	const char *lp = addr;
	char *out;

	if (ts == NULL || at == NULL || *fmt == '\0')
		return NULL;
	lp_len = (size_t)(at - addr);
	pre_len = (size_t)(ts - fmt);
	if (lp_len < pre_len || rb_strncasecmp(lp, fmt, pre_len) != 0)
		return NULL;
	if (td != NULL && td > ts) {
		mid = ts + 8;
		mid_len = (size_t)(td - mid);
		suf = td + 8;
	} else {
		suf = ts + 8;
	}
	suf_len = strlen(suf);
	if (lp_len < pre_len + suf_len + 1 ||
	    rb_strncasecmp(lp + lp_len - suf_len, suf, suf_len) != 0)
		return NULL;
	{
		const char *tb = lp + pre_len;
		const char *te = lp + lp_len - suf_len;

		if (mid != NULL) {
			/* the last occurrence of the separator splits
			 * sender from domain: "a=b=example.com" */
			const char *sep = NULL;

			for (const char *p = tb; p + mid_len <= te; p++) {
				if (mid_len > 0 &&
				    strncmp(p, mid, mid_len) == 0)
					sep = p;
			}
			if (sep == NULL || sep == tb || sep + mid_len >= te)
				return NULL;
			out = rb_arena_alloc(a, (size_t)(te - tb) + 2);
			memcpy(out, tb, (size_t)(sep - tb));
			out[sep - tb] = '@';
			memcpy(out + (sep - tb) + 1, sep + mid_len,
			       (size_t)(te - sep - (ptrdiff_t)mid_len));
			out[(te - tb) - (ptrdiff_t)mid_len + 1] = '\0';
			rb_str_lower(strrchr(out, '@'));
			return out;
		}
		if (te <= tb)
			return NULL;
		return rb_arena_strndup(a, tb, (size_t)(te - tb));
	}
}

bool rb_ip_private(const char *ip)
{
	return rb_startswith_ci(ip, "10.") || rb_startswith_ci(ip, "127.") ||
	       rb_startswith_ci(ip, "192.168.") ||
	       (rb_startswith_ci(ip, "172.") && ip[4] >= '1' && ip[4] <= '3' &&
		ip[5] != '.' &&
		((ip[4] == '1' && ip[5] >= '6') || ip[4] == '2' ||
		 (ip[4] == '3' && ip[5] <= '1')));
}

size_t rb_ipv4_span(const char *p, const char *end)
{
	size_t n = 0;
	int dots = 0, digits = 0;

	while (p + n < end && ((p[n] >= '0' && p[n] <= '9') || p[n] == '.')) {
		if (p[n] == '.') {
			if (digits == 0)
				return 0;
			dots++;
			digits = 0;
		} else if (++digits > 3) {
			return 0;
		}
		n++;
	}
	if (dots != 3 || digits == 0 ||
	    (p + n < end && ((p[n] | 0x20) >= 'a' && (p[n] | 0x20) <= 'z')))
		return 0;
	return n;
}
