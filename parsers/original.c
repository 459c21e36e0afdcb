/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/original.c - the original message's identity, from whichever form
 * it came back in (message/rfc822, text/rfc822-headers, headers quoted in
 * the text), and sender resolution in the DESIGN.md order.
 */
#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/fields.h"
#include "parsers/json.h"
#include "parsers/parse.h"

/* Where the encoded word at @p ("=?cs?X?text?=") ends, and its charset,
 * encoding and text; NULL when @p starts none. */
static const char *encoded_word(const char *p, const char **cs_r, size_t *csl_r,
				char *enc_r, const char **txt_r, size_t *txtl_r)
{
	const char *cs, *q, *t, *e;

	if (p[0] != '=' || p[1] != '?')
		return NULL;
	cs = p + 2;
	q = strchr(cs, '?');
	if (q == NULL || q == cs || q[1] == '\0' || q[2] != '?')
		return NULL;
	t = q + 3;
	e = strstr(t, "?=");
	if (e == NULL || memchr(cs, ' ', (size_t)(e - cs)) != NULL)
		return NULL;
	*cs_r = cs;
	*csl_r = (size_t)(q - cs);
	*enc_r = (char)(q[1] | 0x20);
	*txt_r = t;
	*txtl_r = (size_t)(e - t);
	return e + 2;
}

char *rb_header_decode(GMimeParserOptions *popts, const char *v)
{
	/*
	 * Adjacent base64 words in one charset are joined into one word
	 * before GMime decodes them: GMime (3.2) joins their text itself
	 * and stops at the first word's "=" padding, so "=?UTF-8?B?w4k=?=
	 * =?UTF-8?B?w6k=?=" lost every word after the first. Their bytes
	 * are joined, not their text, so a character split between two
	 * words still decodes.
	 */
	GString *out = g_string_sized_new(strlen(v));
	char *res;

	for (const char *p = v; *p;) {
		const char *cs, *txt, *e, *n;
		size_t csl, txtl, k = 0;
		char enc;
		GByteArray *bytes;

		e = encoded_word(p, &cs, &csl, &enc, &txt, &txtl);
		if (e == NULL || enc != 'b') {
			g_string_append_c(out, *p++);
			continue;
		}
		bytes = g_byte_array_new();
		for (;;) {
			const char *cs2, *txt2, *e2;
			size_t csl2, txtl2;
			char enc2;
			gchar *chunk = g_strndup(txt, txtl);
			gsize bl = 0;
			guchar *b;

			b = g_base64_decode(chunk, &bl);
			g_byte_array_append(bytes, b, (guint)bl);
			g_free(b);
			g_free(chunk);
			k++;
			n = e + strspn(e, " \t\r\n");
			e2 = encoded_word(n, &cs2, &csl2, &enc2, &txt2, &txtl2);
			if (e2 == NULL || enc2 != 'b' || csl2 != csl ||
			    g_ascii_strncasecmp(cs2, cs, csl) != 0)
				break;
			txt = txt2;
			txtl = txtl2;
			e = e2;
		}
		if (k == 1) {
			g_string_append_len(out, p, e - p);
		} else {
			gchar *b64 = g_base64_encode(bytes->data, bytes->len);

			g_string_append(out, "=?");
			g_string_append_len(out, cs, (gssize)csl);
			g_string_append(out, "?B?");
			g_string_append(out, b64);
			g_string_append(out, "?=");
			g_free(b64);
		}
		g_byte_array_free(bytes, TRUE);
		p = e;
	}
	res = g_mime_utils_header_decode_text(popts, out->str);
	g_string_free(out, TRUE);
	return res;
}

static char *decode_words(struct rb_arena *a, const char *v)
{
	char *d, *out;

	if (v == NULL)
		return NULL;
	if (strstr(v, "=?") == NULL) {
		out = rb_arena_strdup(a, v);
	} else {
		d = rb_header_decode(NULL, v);
		out = rb_arena_strdup(a, d ? d : v);
		g_free(d);
	}
	if (!rb_utf8_valid(out, strlen(out))) {
		char *c = g_mime_utils_decode_8bit(NULL, out, strlen(out));

		out = rb_arena_strdup(a, c ? c : "");
		g_free(c);
	}
	rb_str_squeeze(out);
	return out;
}

/* The address of an address field's @v (From, To): read before its
 * encoded words are decoded, so a display name that decodes to
 * "<someone@else>" never stands in for the address; decoded only when
 * the address itself was encoded. */
static char *field_addr(struct rb_arena *a, const char *v)
{
	char *plain, *w, *s;

	if (v == NULL)
		return NULL;
	if (strstr(v, "=?") == NULL)
		return rb_addr_extract(a, decode_words(a, v));
	plain = rb_arena_strdup(a, v);
	w = plain;
	for (const char *p = v; *p;) {
		const char *cs, *txt, *e;
		size_t csl, txtl;
		char enc;

		e = encoded_word(p, &cs, &csl, &enc, &txt, &txtl);
		if (e != NULL) {
			*w++ = ' ';
			p = e;
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
	s = rb_addr_extract(a, plain);
	return s != NULL ? s : rb_addr_extract(a, decode_words(a, v));
}

/* The Message-ID of field value @v without its angle brackets: comments
 * go, so does white space a gateway folded into the id ("<a.b\n @c>");
 * an empty "<>", or a bare token without "@" ("unknown"), is none. */
static char *message_id(struct rb_arena *a, const char *v)
{
	char *c, *w, *b, *e;
	int depth = 0;

	if (v == NULL)
		return NULL;
	c = rb_arena_strdup(a, v);
	w = c;
	for (const char *p = v; *p; p++) {
		/* a comment outside the angle brackets */
		if (*p == '(') {
			depth++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			depth--;
			if (depth == 0)
				*w++ = ' ';
			continue;
		}
		if (depth > 0)
			continue;
		if (*p == '<') {
			const char *q = strchr(p, '>');

			if (q == NULL) {
				/* "<id@exa": cut off inside the id; a part
				 * of one would match no message */
				return NULL;
			}
			*w++ = '<';
			for (p++; p < q; p++)
				if (*p != ' ' && *p != '\t' && *p != '\r' &&
				    *p != '\n')
					*w++ = *p;
			*w++ = '>';
			if (w - c > 2)
				break;
			continue;
		}
		*w++ = *p;
	}
	*w = '\0';
	if ((b = strchr(c, '<')) != NULL) {
		e = strchr(b, '>');
		if (e == NULL || e == b + 1)
			return NULL;
		*e = '\0';
		return b + 1;
	}
	/* no brackets: the first word, when it holds an "@" */
	b = c + strspn(c, " \t");
	e = b + strcspn(b, " \t");
	*e = '\0';
	if (*b == '\0' || strchr(b, '@') == NULL)
		return NULL;
	return b;
}

static char *strip_angle(struct rb_arena *a, const char *v)
{
	const char *b, *e;

	if (v == NULL)
		return NULL;
	b = strchr(v, '<');
	if (b != NULL) {
		e = strchr(b, '>');
		if (e != NULL && e > b + 1)
			return rb_arena_strndup(a, b + 1, (size_t)(e - b - 1));
		/* "<id@exa": a returned message cut off inside its
		 * Message-ID; a part of one would match no message */
		if (e == NULL)
			return NULL;
	}
	while (*v == ' ')
		v++;
	if (*v == '\0')
		return NULL;
	b = v;
	e = v + strlen(v);
	while (e > b && (e[-1] == ' ' || e[-1] == '>'))
		e--;
	return rb_arena_strndup(a, b, (size_t)(e - b));
}

/* The first address in [brackets] or (parentheses) of Received value @v
 * that @want accepts: "[192.0.2.1]" (most MTAs), "(192.0.2.1)"
 * (Microsoft), "[IPv6:2001:db8::1]". */
static char *bracketed_ip(struct rb_arena *a, const char *v,
			  bool (*want)(const char *ip, const void *ud),
			  const void *ud)
{
	const char *vend = v + strlen(v);

	for (const char *p = v; (p = strpbrk(p, "[(")) != NULL; p++) {
		char close = *p == '[' ? ']' : ')';
		const char *e = memchr(p + 1, close, (size_t)(vend - p - 1));
		char ip[64];
		size_t n;

		if (e == NULL)
			break;
		n = (size_t)(e - p - 1);
		if (n < 7 || n >= sizeof(ip))
			continue;
		memcpy(ip, p + 1, n);
		ip[n] = '\0';
		if (want(ip, ud))
			return rb_arena_strdup(a, rb_startswith_ci(ip, "ipv6:") ? ip + 5 : ip);
	}
	return NULL;
}

/* A public IPv4 address? */
static bool public_v4(const char *ip, const void *ud)
{
	(void)ud;
	return rb_ipv4_span(ip, ip + strlen(ip)) == strlen(ip) &&
	       !rb_ip_private(ip);
}

/* One of the relay's own sending addresses? */
static bool outbound_ip(const char *ip, const void *ud)
{
	const struct rb_parse_opts *opts = ud;

	return rb_net_contains(opts->outbound, opts->n_outbound, ip);
}

/*
 * The sending IP the returned original shows. With the relay's outbound
 * networks configured: the first of its addresses in any Received field,
 * newest first (the remote MX recorded the relay's hop), else none.
 * Without: the first public IPv4 address of the last (oldest) Received
 * field, where the original was submitted from.
 */
static char *received_ip(struct rb_arena *a, const struct rb_original *o,
			 const struct rb_parse_opts *opts)
{
	const char *last = NULL;

	for (size_t i = 0; i < o->n_headers; i++) {
		if (rb_strcasecmp(o->headers[i].name, "Received") != 0)
			continue;
		if (opts != NULL && opts->n_outbound > 0) {
			char *ip = bracketed_ip(a, o->headers[i].value,
						outbound_ip, opts);

			if (ip != NULL)
				return ip;
		}
		last = o->headers[i].value;
	}
	if (last == NULL || (opts != NULL && opts->n_outbound > 0))
		return NULL;
	return bracketed_ip(a, last, public_v4, NULL);
}

void rb_original_from_headers(struct rb_report *r, const char *text,
			      size_t len, const char *found_in,
			      const struct rb_parse_opts *opts)
{
	struct rb_original *o = &r->orig;
	struct rb_fields f;
	const struct rb_fblock *b;
	const char *v;

	rb_fields_parse(r->arena, text, len, &opts->limits, 1, &f);
	if (f.n == 0)
		return;
	b = &f.blocks[0];
	/* a header block needs at least one real header field */
	if (rb_fblock_get(b, "Message-ID") == NULL &&
	    rb_fblock_get(b, "From") == NULL &&
	    rb_fblock_get(b, "Subject") == NULL &&
	    rb_fblock_get(b, "To") == NULL &&
	    rb_fblock_get(b, "Return-Path") == NULL &&
	    rb_fblock_get(b, "Date") == NULL &&
	    rb_fblock_get(b, "Received") == NULL)
		return;
	o->found_in = found_in;
	o->n_headers = b->n;
	o->headers = rb_arena_alloc(r->arena, (b->n + 1) * sizeof(*o->headers));
	for (size_t i = 0; i < b->n; i++) {
		o->headers[i].name = b->fields[i].name;
		o->headers[i].value = b->fields[i].value;
	}
	if ((v = rb_fblock_get(b, "Message-ID")) != NULL)
		o->message_id = message_id(r->arena, v);
	if ((v = rb_fblock_get(b, "From")) != NULL)
		o->from = field_addr(r->arena, v);
	if ((v = rb_fblock_get(b, "To")) != NULL)
		o->to = field_addr(r->arena, v);
	if ((v = rb_fblock_get(b, "Subject")) != NULL)
		o->subject = decode_words(r->arena, v);
	if ((v = rb_fblock_get(b, "List-Id")) != NULL)
		o->list_id = strip_angle(r->arena, v);
	if ((v = rb_fblock_get(b, "Return-Path")) != NULL)
		o->envelope_from = rb_addr_extract(r->arena, v);
	o->source_ip = received_ip(r->arena, o, opts);
	r->flags |= f.flags & (RB_PF_TRUNCATED | RB_PF_LIMIT_HIT);
}

/* Lines that start the returned original message. */
static const char *const orig_markers[] = {
	"below this line is a copy of the message",
	"this is a copy of the message",
	"this is a copy of your message",
	"original message follows",
	"original message --",
	"original message headers",
	"returned message follows",
	"the header of the original message",
	"headers of the original message",
	"copy of the original message",
	"returned message --",
	"unsent message below",
	"message text follows",
	"content-type: message/rfc822",
	"included is a copy of the message header",
	"message headers follow",
	"headers of your message follow",
	"----- original message -----",
	"the original message headers",
	"original message header",
	"this is the original message",
	"your message reads",
	"unsent message follows",
	"----- message header follows",
	/* localised Exim/qmail templates ("------ This is a copy of the
	 * message, including all the headers. ------") */
	"voici une copie de votre message",
};

/* Lines that start the returned original message with words that hold no
 * "message": matched at the start of a line, after any decoration
 * ("------ ", "*** "), so they cost one look per line, not a search. */
static const char *const orig_line_markers[] = {
	"original mail as follows", /* fml */
	"original mail follows",
	"dies ist eine kopie der nachricht",
	"esta es una copia del mensaje",
	"esta \xc3\xa9 uma c\xc3\xb3pia da mensagem",
	"questa \xc3\xa8 una copia del messaggio",
	"dit is een kopie van het bericht",
	"to jest kopia wiadomo",
	/* Это / это копия сообщения (no case folding beyond ASCII) */
	"\xd0\xad\xd1\x82\xd0\xbe \xd0\xba\xd0\xbe\xd0\xbf\xd0\xb8\xd1\x8f \xd1\x81\xd0\xbe\xd0\xbe\xd0\xb1\xd1\x89\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f",
	"\xd1\x8d\xd1\x82\xd0\xbe \xd0\xba\xd0\xbe\xd0\xbf\xd0\xb8\xd1\x8f \xd1\x81\xd0\xbe\xd0\xbe\xd0\xb1\xd1\x89\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f",
};

/* Every marker holds this word: one pass finds its occurrences and only
 * those are checked against the markers (orig_line_markers have none). */
#define ORIG_ANCHOR "message"

size_t rb_text_explanation_len(const char *text, size_t len)
{
	enum { N = sizeof(orig_markers) / sizeof(orig_markers[0]) };
	const size_t al = sizeof(ORIG_ANCHOR) - 1;
	size_t off[N], mlen[N];
	const char *nl, *p, *end = text + len;
	size_t best = len;

	/* a marker on the very first line is a preamble, not the end; no
	 * marker spans a line end, so the earliest marker after the first
	 * line wins and the explanation ends at the start of its line */
	nl = memchr(text, '\n', len);
	if (nl == NULL)
		return len;
	for (size_t i = 0; i < N; i++) {
		const char *a = strstr(orig_markers[i], ORIG_ANCHOR);

		mlen[i] = strlen(orig_markers[i]);
		off[i] = a != NULL ? (size_t)(a - orig_markers[i]) : SIZE_MAX;
	}
	for (p = nl + 1; p < end &&
			 (p = rb_memcasemem(p, (size_t)(end - p), ORIG_ANCHOR)) != NULL;
	     p++) {
		size_t i;

		for (i = 0; i < N; i++) {
			const char *s = p - off[i];

			if (off[i] == SIZE_MAX || (size_t)(p - text) < off[i] ||
			    (size_t)(end - s) < mlen[i])
				continue;
			if (rb_strncasecmp(s, orig_markers[i], mlen[i]) == 0)
				break;
		}
		if (i < N) {
			while (p > text && p[-1] != '\n')
				p--;
			best = (size_t)(p - text);
			break;
		}
		p += al - 1;
	}
	/* line markers, on the lines before the best so far */
	for (p = nl + 1; p < text + best;) {
		const char *e = memchr(p, '\n', (size_t)(text + best - p));
		const char *w = p;

		if (e == NULL)
			e = text + best;
		while (w < e && strchr("-=*_# \t>", *w) != NULL)
			w++;
		for (size_t i = 0; i < sizeof(orig_line_markers) /
					   sizeof(orig_line_markers[0]);
		     i++) {
			const char *m = orig_line_markers[i];
			size_t ml = strlen(m);

			if ((size_t)(e - w) >= ml && (*w | 0x20) == (m[0] | 0x20) &&
			    rb_strncasecmp(w, m, ml) == 0)
				return (size_t)(p - text);
		}
		p = e + 1;
	}
	return best;
}

/* ASCII lower case of @c. */
static int fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : (unsigned char)c;
}

static int header_line_start(const char *p)
{
	static const char *names[] = {"Return-Path:", "Received:", "From:",
				      "To:", "Subject:", "Message-ID:",
				      "Message-Id:", "Date:", "X-Mailer:",
				      "MIME-Version:", "Content-Type:"};
	int c = fold(*p);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* the first byte before the whole name */
		if (fold(names[i][0]) == c && rb_startswith_ci(p, names[i]))
			return 1;
	}
	return 0;
}

/* Does the line at @p start a header field of any name ("X-AuthUser:",
 * "ARC-Seal:")? Its name is printable ASCII without blanks. */
static int field_line(const char *p)
{
	size_t i = 0;

	while (i < 77 && p[i] > ' ' && p[i] < 0x7f && p[i] != ':')
		i++;
	return i > 0 && i < 77 && p[i] == ':';
}

/* The line after the one at @q of a block whose lines start with the
 * @plen bytes at @prefix, past the continuation lines of @q's field;
 * NULL when the block ends. */
static const char *next_field_line(const char *q, const char *prefix,
				   size_t plen)
{
	for (;;) {
		const char *nl = strchr(q, '\n');

		if (nl == NULL || strncmp(nl + 1, prefix, plen) != 0)
			return NULL;
		q = nl + 1 + plen;
		if (*q != ' ' && *q != '\t')
			return q;
	}
}

/* The first line of the header block whose line at @p (prefix @plen
 * bytes long) is a known header: the fields of any name right above it
 * belong to it ("Received:" then "X-AuthUser:" then "Message-ID:";
 * "ARC-Seal:" on top). @t is the start of the text. */
static const char *block_start(const char *t, const char *p, size_t plen)
{
	const char *cur = p;

	while (cur > t) {
		const char *pe = cur - 1, *ps = pe;

		while (ps > t && ps[-1] != '\n')
			ps--;
		if ((size_t)(pe - ps) <= plen || strncmp(ps, p, plen) != 0)
			break;
		if (ps[plen] == ' ' || ps[plen] == '\t') {
			cur = ps; /* a continuation: kept once its field is */
			continue;
		}
		if (!field_line(ps + plen))
			break;
		cur = ps;
		p = ps;
	}
	return p;
}

void rb_original_from_text(struct rb_report *r,
			   const struct rb_parse_opts *opts)
{
	const char *t = r->text;
	const char *best = NULL, *prefix = NULL;
	size_t prefix_len = 0;

	if (t == NULL)
		return;
	/* the quoted block is the first run of two or more header lines
	 * after the line that announces the copy (r->expl_len), else the
	 * first run anywhere; try each candidate start. A block
	 * may be quoted ("> ", "| ") or indented: every line of it carries
	 * the prefix its first header line has, and a line whose next
	 * byte after that prefix is a blank continues the header above */
	for (const char *p = t; p != NULL && *p; p = strchr(p, '\n')) {
		const char *line;

		if (*p == '\n')
			p++;
		line = p;
		while (*line == ' ' || *line == '>' || *line == '|')
			line++;
		if (header_line_start(line)) {
			size_t plen = (size_t)(line - p);
			const char *q = line;
			int n = 0;

			/* count the known header lines of the run of
			 * fields that starts here (other fields may lie
			 * between them: "Received:", "X-AuthUser:",
			 * "Message-ID:") */
			while (q != NULL &&
			       (header_line_start(q) || field_line(q))) {
				n += header_line_start(q);
				q = next_field_line(q, p, plen);
			}
			if (n >= 2 && (best == NULL ||
				       (size_t)(p - t) >= r->expl_len)) {
				prefix = block_start(t, p, plen);
				best = prefix + plen;
				prefix_len = plen;
				/* a block after the line that announces the
				 * copy is the copy; one before it may be the
				 * notice's own summary ("To: / Subject: /
				 * Sent:") or a quoted "From: / To:" */
				if ((size_t)(p - t) >= r->expl_len)
					break;
			}
			p = line;
		}
	}
	if (best == NULL)
		return;
	{
		/* strip the block's prefix from each line into a copy; a line
		 * that holds only part of it ("> " block, ">" line) is blank */
		size_t len = r->text_len - (size_t)(best - t);
		char *copy = rb_arena_alloc(r->arena, len + 1);
		size_t w = 0;

		for (size_t i = 0; i < len;) {
			size_t k = 0;

			if (i > 0)
				while (k < prefix_len && i + k < len &&
				       best[i + k] == prefix[k])
					k++;
			i += k;
			while (i < len) {
				char c = best[i++];

				copy[w++] = c;
				if (c == '\n')
					break;
			}
		}
		copy[w] = '\0';
		rb_original_from_headers(r, copy, w, "inline", opts);
	}
}

/* Appends "@name: @value\n" to @b, the value's line breaks made spaces;
 * nothing when @name is no field name. */
static void add_field(struct rb_buf *b, const char *name, const char *value)
{
	if (name == NULL || value == NULL || *name == '\0' ||
	    name[strcspn(name, ": \t\r\n")] != '\0')
		return;
	rb_buf_adds(b, name);
	rb_buf_adds(b, ": ");
	for (const char *v = value; *v; v++)
		rb_buf_addc(b, *v == '\r' || *v == '\n' ? ' ' : *v);
	rb_buf_addc(b, '\n');
}

/* Appends the strings of JSON array @arr (or the one string @arr) as one
 * field "@name: a, b". */
static void add_list_field(struct rb_arena *a, struct rb_buf *b,
			   const char *name, const char *arr, const char *end)
{
	struct rb_buf v;
	const char *it = NULL, *el;

	if (arr == NULL)
		return;
	if (*arr == '"') {
		add_field(b, name, rb_json_get_string(a, arr, end));
		return;
	}
	rb_buf_init(&v, 4096);
	while ((el = rb_json_next(arr, end, &it)) != NULL) {
		char *s = rb_json_get_string(a, el, end);

		if (s == NULL)
			continue;
		if (v.len > 0)
			rb_buf_adds(&v, ", ");
		rb_buf_adds(&v, s);
	}
	if (v.len > 0)
		add_field(b, name, rb_buf_str(&v));
	rb_buf_free(&v);
}

void rb_original_from_ses(struct rb_report *r, const struct rb_parse_opts *opts)
{
	const char *t = r->text, *end, *m, *mend, *arr, *it = NULL, *el;
	struct rb_buf b;

	if (t == NULL || r->orig.found_in != NULL)
		return;
	t += strspn(t, " \t\r\n");
	if ((size_t)(t - r->text) >= r->text_len || *t != '{')
		return;
	m = rb_json_locate(r->arena, t, r->text_len - (size_t)(t - r->text),
			   "mail", &end);
	if (m == NULL || (m = rb_json_value(m, end, "mail")) == NULL ||
	    *m != '{' || (mend = rb_json_skip(m, end)) == NULL)
		return;
	rb_buf_init(&b, 1 << 20);
	arr = rb_json_value(m, mend, "headers");
	while (arr != NULL && *arr == '[' &&
	       (el = rb_json_next(arr, mend, &it)) != NULL) {
		const char *ee = rb_json_skip(el, mend);

		if (ee == NULL)
			break;
		add_field(&b, rb_json_get_string(r->arena, rb_json_value(el, ee, "name"), ee),
			  rb_json_get_string(r->arena, rb_json_value(el, ee, "value"), ee));
	}
	if (b.len == 0) {
		const char *ch = rb_json_value(m, mend, "commonHeaders");
		const char *che = ch != NULL && *ch == '{' ? rb_json_skip(ch, mend)
							 : NULL;

		if (che != NULL) {
			add_list_field(r->arena, &b, "From",
				       rb_json_value(ch, che, "from"), che);
			add_list_field(r->arena, &b, "To",
				       rb_json_value(ch, che, "to"), che);
			add_list_field(r->arena, &b, "Message-ID",
				       rb_json_value(ch, che, "messageId"), che);
			add_list_field(r->arena, &b, "Subject",
				       rb_json_value(ch, che, "subject"), che);
		}
	}
	if (b.len > 0) {
		char *copy = rb_arena_strndup(r->arena, rb_buf_str(&b), b.len);

		rb_original_from_headers(r, copy, b.len, "json", opts);
	}
	rb_buf_free(&b);
	/* the envelope sender SES used, when the headers had none */
	if (r->orig.envelope_from == NULL)
		r->orig.envelope_from = rb_addr_extract(
			r->arena, rb_json_get_string(r->arena,
						 rb_json_value(m, mend, "source"), mend));
}

/* The first of the relay's tracking headers the original carries. Only
 * the original's: on the bounce itself such a header names whoever
 * relayed the bounce (a customer's own mail server that bounced another
 * customer's message through the relay), never the original's sender. */
static const char *tracking_value(struct rb_report *r,
				  const struct rb_parse_opts *opts,
				  const char **name_r)
{
	for (size_t i = 0; i < opts->n_tracking_headers; i++) {
		const char *n = opts->tracking_headers[i];
		const char *v = rb_original_header(&r->orig, n);

		if (v != NULL && *v != '\0') {
			*name_r = n;
			return v;
		}
	}
	return NULL;
}

/* The sender a VERP address among the addresses of @v encodes, or NULL:
 * each address of a list ("postmaster@relay, bounces+...") is tried. */
static char *verp_in_value(struct rb_arena *a, const char *verp, const char *v)
{
	const char *p = v;

	while (*p != '\0') {
		const char *e = p;
		int quoted = 0, angle = 0;
		char *addr, *s;

		for (; *e != '\0'; e++) {
			if (*e == '"')
				quoted = !quoted;
			else if (!quoted && *e == '<')
				angle = 1;
			else if (!quoted && *e == '>')
				angle = 0;
			else if (!quoted && !angle && *e == ',')
				break;
		}
		addr = rb_addr_extract(a, rb_arena_strndup(a, p, (size_t)(e - p)));
		if (addr != NULL && (s = rb_verp_decode(a, verp, addr)) != NULL)
			return s;
		p = *e != '\0' ? e + 1 : e;
	}
	return NULL;
}

/* A VERP token in the bounce's envelope recipient: every Delivered-To
 * (a bounce mailbox reached through an alias has its own on top), then
 * X-Original-To, Envelope-To and X-Envelope-To (Exim, qmail and others),
 * then To. */
static char *verp_sender(struct rb_report *r, const char *verp)
{
	static const char *const to_hdrs[] = {"Delivered-To", "X-Original-To",
					      "Envelope-To", "X-Envelope-To",
					      "To"};

	for (size_t i = 0; i < sizeof(to_hdrs) / sizeof(to_hdrs[0]); i++) {
		for (size_t k = 0; k < r->n_headers; k++) {
			char *s;

			if (rb_strcasecmp(r->headers[k].name, to_hdrs[i]) != 0)
				continue;
			s = verp_in_value(r->arena, verp,
					  rb_hdr_value(&r->headers[k]));
			if (s != NULL)
				return s;
		}
	}
	return NULL;
}

void rb_original_resolve_sender(struct rb_report *r,
				const struct rb_parse_opts *opts)
{
	struct rb_original *o = &r->orig;
	const char *name = NULL;
	const char *v;
	char *s;

	const char *verp = opts->verp != NULL && *opts->verp != '\0'
				   ? opts->verp
				   : NULL;

	if (o->envelope_from == NULL && r->fb.original_mail_from != NULL)
		o->envelope_from =
			rb_addr_extract(r->arena, r->fb.original_mail_from);
	v = tracking_value(r, opts, &name);
	if (v != NULL) {
		char label[96];

		/* an unstructured field: encoded words are decoded */
		o->sender_id = decode_words(r->arena, v);
		o->sender = o->sender_id;
		(void)snprintf(label, sizeof(label), "header:%s", name);
		o->sender_source = rb_arena_strdup(r->arena, label);
		return;
	}
	if (verp != NULL && (s = verp_sender(r, verp)) != NULL) {
		o->sender = s;
		o->sender_source = "verp";
		return;
	}
	if (r->fb.original_mail_from != NULL &&
	    (s = rb_addr_extract(r->arena, r->fb.original_mail_from))) {
		/* the original envelope sender may itself be the VERP
		 * address (complaints reach the feedback-loop mailbox, not
		 * the bounce address) */
		char *dv = verp != NULL ? rb_verp_decode(r->arena, verp, s) : NULL;

		o->sender = dv ? dv : s;
		o->sender_source = dv ? "verp" : "arf:original-mail-from";
		return;
	}
	if (o->envelope_from != NULL) {
		char *dv = verp != NULL
				   ? rb_verp_decode(r->arena, verp, o->envelope_from)
				   : NULL;

		o->sender = dv ? dv : o->envelope_from;
		o->sender_source = dv ? "verp" : "return-path";
		return;
	}
	if ((v = rb_original_header(o, "Sender")) != NULL &&
	    (s = rb_addr_extract(r->arena, v))) {
		o->sender = s;
		o->sender_source = "sender";
		return;
	}
	if (o->from != NULL) {
		o->sender = o->from;
		o->sender_source = "from";
		return;
	}
	o->sender = NULL;
	o->sender_source = NULL;
}
