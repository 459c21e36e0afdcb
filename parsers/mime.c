/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/mime.c - the GMime wrapper: parse a message from memory under
 * hard limits and collect the parts a report is made of.
 *
 * GMime has no size, part-count or per-part limits of its own (see
 * LIBRARY-NOTES.md 1.2); they are enforced here. delivery-status and
 * feedback-report parts are plain GMimeParts read through their data
 * wrapper (which decodes the transfer encoding); an encoded message/rfc822
 * is decoded and read again. The walk does not descend into the returned
 * original message: its parts are not part of the report.
 */
#include <gmime/gmime.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/fields.h"
#include "parsers/parse.h"

struct walk {
	const char *src; /* the message as parsed, for structure checks */
	size_t src_len;
	struct rb_report *r;
	const struct rb_parse_opts *o;
	GMimeParserOptions *popts;
	size_t parts;
	struct rb_buf text;  /* text/plain parts */
	struct rb_buf html;  /* text/html parts, tags stripped, if no plain */
	struct rb_buf seen;  /* content types seen */
	char *orig_hdrs;     /* header text of the original */
	size_t orig_len;
	const char *orig_in;
};

/*
 * glibc loads the converter module of a charset on iconv_open and unloads
 * it on the last iconv_close: every non-UTF-8 text part (GMime opens and
 * closes a converter per part) paid a dlopen and dlclose. A descriptor
 * held open for each charset bounces commonly come in keeps its module
 * loaded; conversions themselves are unchanged.
 */
static const char *const pinned_charsets[] = {
	"ISO-8859-1", "ISO-2022-JP",  "SHIFT_JIS",    "EUC-JP",
	"ISO-8859-15", "ISO-8859-2",  "WINDOWS-1252", "WINDOWS-1251",
	"KOI8-R",      "UTF-7",	      "GB2312",	      "BIG5",
	"EUC-KR",
};
static iconv_t pinned[sizeof(pinned_charsets) / sizeof(pinned_charsets[0])];

/* Leak-checker switches for one known library leak (see rb_parse_init). */
#if defined(__SANITIZE_ADDRESS__)
#define RB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RB_ASAN 1
#endif
#endif
#ifdef RB_ASAN
#include <sanitizer/lsan_interface.h>
#define lsan_off() __lsan_disable()
#define lsan_on() __lsan_enable()
#else
#define lsan_off() ((void)0)
#define lsan_on() ((void)0)
#endif

void rb_parse_init(void)
{
	/* GMime 3.2.13's g_mime_object_register_type() drops the entry it
	 * replaces without freeing it (46 bytes, once per process): under
	 * the sanitizers the type registry is not leak-checked */
	lsan_off();
	g_mime_init();
	/* A returned message is read for its header fields only: as a leaf
	 * part GMime does not build (and free) the whole embedded message,
	 * about a sixth of a bounce's parse time, and a returned message
	 * with a broken first line or no blank line after its header no
	 * longer upsets the outer parse. */
	g_mime_object_register_type("message", "rfc822", GMIME_TYPE_PART);
	g_mime_object_register_type("message", "global", GMIME_TYPE_PART);
	lsan_on();
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++)
		pinned[i] = iconv_open("UTF-8", pinned_charsets[i]);
}

void rb_parse_shutdown(void)
{
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		if (pinned[i] != (iconv_t)-1 && pinned[i] != NULL)
			(void)iconv_close(pinned[i]);
		pinned[i] = NULL;
	}
	g_mime_shutdown();
}

/*
 * No warning callback: with one set, GMime 3.2.13 spends about a third
 * more in the parser on checks we do not need; the structure problems
 * that matter (a multipart without its closing boundary, one without
 * parts) are checked in the walk instead.
 */
static GMimeParserOptions *make_opts(void)
{
	static const char *charsets[] = {"utf-8", "windows-1252", NULL};
	GMimeParserOptions *po = g_mime_parser_options_new();

	g_mime_parser_options_set_fallback_charsets(po, charsets);
	g_mime_parser_options_set_allow_addresses_without_domain(po, TRUE);
	return po;
}

/* How many of the characters of UTF-8 @s fall in [@lo, @hi]; *all_r
 * counts the non-ASCII ones. */
static size_t count_range(const char *s, unsigned long lo, unsigned long hi,
			  size_t *all_r)
{
	size_t n = 0;

	*all_r = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned long cp;
		size_t k;

		if (*p < 0x80) {
			p++;
			continue;
		}
		if (*p >= 0xf0) {
			cp = *p & 0x07;
			k = 3;
		} else if (*p >= 0xe0) {
			cp = *p & 0x0f;
			k = 2;
		} else {
			cp = *p & 0x1f;
			k = 1;
		}
		p++;
		while (k-- > 0 && (*p & 0xc0) == 0x80)
			cp = (cp << 6) | (*p++ & 0x3f);
		++*all_r;
		n += cp >= lo && cp <= hi;
	}
	return n;
}

/* Strictly converts @len bytes from @cs; (g_malloc) UTF-8 or NULL. */
static char *strict_convert(const char *cs, const char *p, size_t len)
{
	gsize wr = 0;

	return g_convert(p, (gssize)len, "UTF-8", cs, NULL, &wr, NULL);
}

/*
 * The charset of 8-bit text that came without one (no charset= label, raw
 * bytes in a header or field), when its bytes say it is not Western:
 * Japanese, Korean or Chinese text converts without error from its
 * double-byte charset and then holds kana, Hangul or ideographs; Russian
 * text is words made only of high bytes (a Western accent stands alone
 * between ASCII letters) and, read in the right one of windows-1251 and
 * KOI8-R, mostly lowercase. Returns (g_malloc) the text as UTF-8, or NULL
 * to leave it to GMime's fallback charsets (utf-8, windows-1252).
 */
static char *sniff_8bit(const char *p, size_t len)
{
	static const struct {
		const char *cs;
		unsigned long lo, hi; /* the script it must show */
		size_t tenths;	      /* in this share of its characters */
	} cjk[] = {
		/* Japanese mixes kana into its kanji; Korean is nearly all
		 * Hangul (Chinese read as EUC-KR is not); Chinese all
		 * ideographs */
		{"SHIFT_JIS", 0x3040, 0x30ff, 1},
		{"EUC-JP", 0x3040, 0x30ff, 1},
		{"EUC-KR", 0xac00, 0xd7a3, 8},
		{"GB18030", 0x4e00, 0x9fff, 6},
	};
	const unsigned char *u = (const unsigned char *)p;
	size_t high = 0, paired = 0, all, hit;
	char *out;

	for (size_t i = 0; i < len; i++) {
		if (u[i] < 0x80)
			continue;
		high++;
		paired += (i > 0 && u[i - 1] >= 0x80) ||
			  (i + 1 < len && u[i + 1] >= 0x80);
	}
	/* few high bytes, or mostly alone: Western text */
	if (high < 8 || paired * 10 < high * 8)
		return NULL;
	for (size_t i = 0; i < sizeof(cjk) / sizeof(cjk[0]); i++) {
		out = strict_convert(cjk[i].cs, p, len);
		if (out == NULL)
			continue;
		hit = count_range(out, cjk[i].lo, cjk[i].hi, &all);
		if (all > 0 && hit * 10 >= all * cjk[i].tenths)
			return out;
		g_free(out);
	}
	{
		char *a = strict_convert("WINDOWS-1251", p, len);
		char *b = strict_convert("KOI8-R", p, len);
		size_t la = a ? count_range(a, 0x430, 0x44f, &all) : 0;
		size_t lb = b ? count_range(b, 0x430, 0x44f, &all) : 0;

		/* lowercase Cyrillic in most of the high bytes */
		if (la >= lb && la * 10 >= high * 6) {
			g_free(b);
			return a;
		}
		if (lb > la && lb * 10 >= high * 6) {
			g_free(a);
			return b;
		}
		g_free(a);
		g_free(b);
	}
	return NULL;
}

/* Copies @len bytes as valid UTF-8 into the arena (converting 8-bit text
 * through the fallback charsets when it is not UTF-8 already). */
static char *to_utf8(struct walk *w, const char *p, size_t len)
{
	char *out;

	/* 7-bit ISO-2022-JP is "valid UTF-8" byte-wise: look for its escape
	 * sequences (Japanese bounces put it raw in DSN fields) */
	if (memchr(p, 0x1b, len) != NULL &&
	    (rb_memcasemem(p, len, "\x1b$B") || rb_memcasemem(p, len, "\x1b$@"))) {
		gsize wr = 0;
		char *conv = g_convert(p, (gssize)len, "UTF-8", "ISO-2022-JP",
				       NULL, &wr, NULL);

		if (conv != NULL) {
			out = rb_arena_strndup(w->r->arena, conv, wr);
			g_free(conv);
			return out;
		}
		w->r->flags |= RB_PF_BAD_CHARSET;
	}

	if (rb_utf8_valid(p, len) && memchr(p, '\0', len) == NULL)
		return rb_arena_strndup(w->r->arena, p, len);
	{
		char *conv = sniff_8bit(p, len);

		if (conv == NULL)
			conv = g_mime_utils_decode_8bit(w->popts, p, len);

		out = rb_arena_strdup(w->r->arena, conv ? conv : "");
		g_free(conv);
	}
	w->r->flags |= RB_PF_BAD_CHARSET;
	return out;
}

/* Decodes the content of a leaf part into a memory stream. Returns (owned)
 * the stream, or NULL when there is none or it is over the limit; *bytes_r
 * (borrowed from the stream) is the content, capped to *len_r bytes, and
 * always has a writable byte after those. */
/* Returns (g_malloc) @len bytes in charset @cs as UTF-8 and its length,
 * or NULL when the charset is unknown or the bytes are not in it. */
static char *convert_charset(const char *cs, const char *p, size_t len,
			     size_t *len_r)
{
	GIConv cd = g_mime_iconv_open("UTF-8", cs);
	char *out;

	if (cd == (GIConv)-1)
		return NULL;
	out = g_mime_iconv_strndup(cd, p, len);
	g_mime_iconv_close(cd);
	if (out != NULL)
		*len_r = strlen(out);
	return out;
}

static GMimeStream *decode_part(struct walk *w, GMimePart *part,
				char **bytes_r, size_t *len_r)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(part);
	GMimeStream *mem, *src;
	GByteArray *arr;
	gint64 raw;

	*bytes_r = NULL;
	*len_r = 0;
	if (dw == NULL)
		return NULL;
	src = g_mime_data_wrapper_get_stream(dw);
	raw = src != NULL ? g_mime_stream_length(src) : -1;
	if (raw > 0 && (size_t)raw > w->o->limits.max_part_bytes * 2) {
		w->r->flags |= RB_PF_LIMIT_HIT | RB_PF_TRUNCATED;
		return NULL;
	}
	mem = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(dw, mem);
	arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	if (arr->data == NULL) {
		/* nothing was written: no content, as for a missing one */
		g_object_unref(mem);
		return NULL;
	}
	if (arr->len > w->o->limits.max_part_bytes) {
		w->r->flags |= RB_PF_TRUNCATED;
		*len_r = w->o->limits.max_part_bytes;
	} else {
		*len_r = arr->len;
	}
	/* room for a NUL after the (capped) content */
	g_byte_array_append(arr, (const guint8 *)"", 1);
	*bytes_r = (char *)arr->data;
	return mem;
}

/* Returns (arena) the decoded content of a leaf part, capped. */
static char *part_bytes(struct walk *w, GMimePart *part, size_t *len_r)
{
	char *bytes;
	GMimeStream *mem = decode_part(w, part, &bytes, len_r);
	char *out;

	if (mem == NULL)
		return NULL;
	out = rb_arena_strndup(w->r->arena, bytes, *len_r);
	g_object_unref(mem);
	return out;
}

/* Rewrites bare CR and CRLF to LF so every later step sees one form, and
 * NUL bytes to spaces. */
static void normalize_eol(char *s, size_t *len)
{
	size_t r, w, n = *len;
	const char *cr = memchr(s, '\r', n), *nul = memchr(s, '\0', n);

	/* nothing to rewrite before the first CR or NUL */
	if (cr == NULL && nul == NULL) {
		s[n] = '\0';
		return;
	}
	if (cr == NULL || (nul != NULL && nul < cr))
		cr = nul;
	r = w = (size_t)(cr - s);
	while (r < n) {
		if (s[r] == '\0') {
			/* a NUL would end every C string early */
			s[w++] = ' ';
			r++;
		} else if (s[r] == '\r') {
			s[w++] = '\n';
			r += (r + 1 < n && s[r + 1] == '\n') ? 2 : 1;
		} else {
			s[w++] = s[r++];
		}
	}
	s[w] = '\0';
	*len = w;
}

static void strip_html(struct rb_buf *out, const char *s)
{
	int in_tag = 0;
	int in_skip = 0; /* inside <style> or <script> */
	int broke = 0;	 /* the tag being read made a line break */

	for (const char *p = s; *p; p++) {
		/* runs of bytes that are copied or skipped alike */
		if (!in_tag && !in_skip) {
			size_t n = strcspn(p, "<&");

			rb_buf_add(out, p, n);
			p += n;
		} else {
			p += strcspn(p, in_tag ? "<>" : "<");
		}
		if (*p == '\0')
			break;
		if (*p == '<') {
			in_tag = 1;
			if (rb_startswith_ci(p, "<style") ||
			    rb_startswith_ci(p, "<script"))
				in_skip = 1;
			else if (rb_startswith_ci(p, "</style") ||
				 rb_startswith_ci(p, "</script"))
				in_skip = 0;
			if (rb_startswith_ci(p, "<br") ||
			    rb_startswith_ci(p, "<p") ||
			    rb_startswith_ci(p, "</p") ||
			    rb_startswith_ci(p, "<tr") ||
			    rb_startswith_ci(p, "<div") ||
			    rb_startswith_ci(p, "</div")) {
				rb_buf_addc(out, '\n');
				broke = 1;
			}
			continue;
		}
		if (*p == '>' && in_tag) {
			in_tag = 0;
			/* "<br>" and the source's line end after it are one
			 * line break, not a blank line between two lines */
			if (broke && p[1] == '\r' && p[2] == '\n')
				p += 2;
			else if (broke && p[1] == '\n')
				p++;
			broke = 0;
			continue;
		}
		if (in_tag || in_skip)
			continue;
		if (*p == '&') {
			static const struct {
				const char *ent;
				char c;
			} ents[] = {{"&lt;", '<'},  {"&gt;", '>'},
				    {"&amp;", '&'}, {"&nbsp;", ' '},
				    {"&quot;", '"'}, {"&#39;", '\''}};
			size_t k;

			for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
				size_t el = strlen(ents[k].ent);

				if (rb_strncasecmp(p, ents[k].ent, el) == 0) {
					rb_buf_addc(out, ents[k].c);
					p += el - 1;
					break;
				}
			}
			if (k < sizeof(ents) / sizeof(ents[0]))
				continue;
		}
		rb_buf_addc(out, *p);
	}
	rb_buf_addc(out, '\n');
}

static void note_type(struct walk *w, const char *type)
{
	if (w->seen.len > 0)
		rb_buf_addc(&w->seen, ',');
	rb_buf_adds(&w->seen, type);
}

static void take_original_headers(struct walk *w, char *hdrs, size_t len,
				  const char *in)
{
	if (w->orig_hdrs != NULL || hdrs == NULL || len == 0)
		return;
	w->orig_hdrs = hdrs;
	w->orig_len = len;
	w->orig_in = in;
}

static void take_message_headers(struct walk *w, GMimeMessage *m,
				 const char *in)
{
	GMimeHeaderList *hl;
	struct rb_buf b;
	int n;

	if (m == NULL || w->orig_hdrs != NULL)
		return;
	/* the raw (still folded) fields, as the field-block parser reads
	 * every other form of the original */
	hl = g_mime_object_get_header_list(GMIME_OBJECT(m));
	n = hl ? g_mime_header_list_get_count(hl) : 0;
	rb_buf_init(&b, w->o->limits.max_part_bytes);
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);

		if (name == NULL)
			continue;
		rb_buf_adds(&b, name);
		rb_buf_adds(&b, ": ");
		rb_buf_adds(&b, raw ? raw : "");
		if (b.len > 0 && b.data[b.len - 1] != '\n')
			rb_buf_addc(&b, '\n');
	}
	if (b.len > 0)
		take_original_headers(w, rb_arena_strndup(w->r->arena, b.data, b.len),
				      b.len, in);
	rb_buf_free(&b);
}

static void walk_object(struct walk *w, GMimeObject *obj, size_t depth);
static bool starts_ci(const char *p, size_t n, const char *prefix);

/* Does the message hold "--BOUNDARY--", the end of a multipart? */
static bool has_closing_boundary(const struct walk *w, const char *bnd)
{
	size_t bl = strlen(bnd), k = 0;
	const char *p = w->src, *end = w->src + w->src_len;

	/* jump between copies of the first byte of BND that is not a dash
	 * (bodies are full of dashes), at offset k of "--BND--" */
	if (w->src_len < bl + 4)
		return false;
	while (k < bl && bnd[k] == '-')
		k++;
	if (k < bl) {
		int c = (unsigned char)bnd[k];

		k += 2;
		for (p += k; p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL;
		     p++) {
			const char *q = p - k;

			if ((size_t)(end - q) >= bl + 4 && q[0] == '-' &&
			    q[1] == '-' && memcmp(q + 2, bnd, bl) == 0 &&
			    q[bl + 2] == '-' && q[bl + 3] == '-')
				return true;
		}
		return false;
	}
	while (p < end && (p = memchr(p, '-', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) >= bl + 4 && p[1] == '-' &&
		    memcmp(p + 2, bnd, bl) == 0 && p[bl + 2] == '-' &&
		    p[bl + 3] == '-')
			return true;
		p++;
	}
	return false;
}

/* Some gateways send one delivery-status part per recipient: every part's
 * blocks are read, the later ones after a blank line (a new block). The
 * per-message fields of a later part add nothing (the first one wins in
 * rb_dsn_read); past max_part_bytes in all, the rest is left out. */
static void add_delivery_status(struct walk *w, const char *ds)
{
	struct rb_report *r = w->r;
	size_t n = strlen(ds);
	char *all;

	if (r->ds_raw == NULL) {
		r->ds_raw = (char *)ds;
		r->ds_len = n;
		return;
	}
	if (r->ds_len + n + 2 > w->o->limits.max_part_bytes) {
		r->flags |= RB_PF_LIMIT_HIT;
		return;
	}
	all = rb_arena_alloc(r->arena, r->ds_len + n + 3);
	memcpy(all, r->ds_raw, r->ds_len);
	memcpy(all + r->ds_len, "\n\n", 2);
	memcpy(all + r->ds_len + 2, ds, n + 1);
	r->ds_raw = all;
	r->ds_len += n + 2;
}

/* The charset of text that is UTF-16 but not labelled so (no charset, or
 * us-ascii/utf-8 by mistake; Exchange and some Windows gateways): a byte
 * order mark, or NUL bytes in every other place of mostly-ASCII text.
 * Returns the charset name for iconv, or NULL. */
static const char *utf16_unlabelled(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t pairs, odd = 0, even = 0;

	if (len < 4)
		return NULL;
	if ((u[0] == 0xff && u[1] == 0xfe) || (u[0] == 0xfe && u[1] == 0xff))
		return "UTF-16";
	pairs = len / 2 < 256 ? len / 2 : 256;
	if (pairs < 8)
		return NULL;
	for (size_t i = 0; i < pairs; i++) {
		even += u[2 * i] == 0;
		odd += u[2 * i + 1] == 0;
	}
	if (odd * 10 >= pairs * 7 && even * 20 <= pairs)
		return "UTF-16LE";
	if (even * 10 >= pairs * 7 && odd * 20 <= pairs)
		return "UTF-16BE";
	return NULL;
}

/* Is @len bytes of @s an RFC 5965 report block sent with the wrong
 * Content-Type (text/plain)? Its first line must be a field and its first
 * block hold Feedback-Type with one more field only reports have. */
static bool feedback_fields(const char *s, size_t len)
{
	static const char *const others[] = {
		"\nversion:", "\nuser-agent:", "\noriginal-mail-from:",
		"\noriginal-rcpt-to:", "\nreported-domain:"};
	const char *end = s + len, *blk;
	size_t bl;

	while (s < end && (*s == '\n' || *s == ' ' || *s == '\t'))
		s++;
	len = (size_t)(end - s);
	blk = rb_memcasemem(s, len, "\n\n");
	bl = blk ? (size_t)(blk - s) : len;
	if (!starts_ci(s, bl, "feedback-type:") &&
	    rb_memcasemem(s, bl, "\nfeedback-type:") == NULL)
		return false;
	{
		size_t nl = strcspn(s, "\n:");

		if (nl >= bl || s[nl] != ':' || memchr(s, ' ', nl) != NULL)
			return false;
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		if (rb_memcasemem(s, bl, others[i]) != NULL)
			return true;
	}
	return false;
}

/* Is @part the returned message sent as a file, "original.eml" as
 * application/octet-stream (Exchange, gateways, mail clients), whose
 * decoded bytes start with a header field? */
static bool eml_attachment(GMimePart *part, const char *type,
			   const char *bytes, size_t len)
{
	const char *fn = g_mime_part_get_filename(part);
	size_t fl = fn ? strlen(fn) : 0, nl;

	if (fl < 5 || rb_strcasecmp(fn + fl - 4, ".eml") != 0 ||
	    (rb_strcasecmp(type, "application/octet-stream") != 0 &&
	     rb_strcasecmp(type, "application/x-eml") != 0 &&
	     rb_strcasecmp(type, "message/x-eml") != 0))
		return false;
	if (bytes == NULL)
		return true;
	nl = strcspn(bytes, ":\n");
	return nl > 0 && nl < len && bytes[nl] == ':' &&
	       memchr(bytes, ' ', nl) == NULL;
}

static void walk_leaf(struct walk *w, GMimePart *part, const char *type)
{
	struct rb_report *r = w->r;
	GMimeStream *mem;
	size_t len;
	char *bytes;

	if (rb_strcasecmp(type, "message/delivery-status") == 0 ||
	    rb_strcasecmp(type, "message/global-delivery-status") == 0) {
		mem = decode_part(w, part, &bytes, &len);
		if (mem == NULL)
			return;
		normalize_eol(bytes, &len);
		add_delivery_status(w, to_utf8(w, bytes, len));
		g_object_unref(mem);
		if (rb_strcasecmp(type, "message/delivery-status") != 0)
			r->ds_global = true;
		return;
	}
	if (rb_strcasecmp(type, "message/feedback-report") == 0) {
		if (r->fr_raw != NULL)
			return;
		mem = decode_part(w, part, &bytes, &len);
		if (mem == NULL)
			return;
		normalize_eol(bytes, &len);
		r->fr_raw = to_utf8(w, bytes, len);
		r->fr_len = strlen(r->fr_raw);
		g_object_unref(mem);
		return;
	}
	if (rb_strcasecmp(type, "text/rfc822-headers") == 0 ||
	    rb_strcasecmp(type, "message/global-headers") == 0 ||
	    rb_strcasecmp(type, "message/rfc822-headers") == 0 ||
	    rb_strcasecmp(type, "text/rfc822-header") == 0) {
		bytes = part_bytes(w, part, &len);
		if (bytes != NULL) {
			normalize_eol(bytes, &len);
			take_original_headers(w, bytes, len,
					      "text/rfc822-headers");
		}
		return;
	}
	if (rb_strcasecmp(type, "message/rfc822") == 0 ||
	    rb_strcasecmp(type, "message/global") == 0) {
		/* a leaf part (see rb_parse_init); the first original wins */
		if (w->orig_hdrs != NULL)
			return;
		bytes = part_bytes(w, part, &len);
		if (bytes != NULL) {
			normalize_eol(bytes, &len);
			take_original_headers(w, bytes, len, "message/rfc822");
		}
		return;
	}
	if (w->orig_hdrs == NULL && eml_attachment(part, type, NULL, 0)) {
		bytes = part_bytes(w, part, &len);
		if (bytes != NULL && eml_attachment(part, type, bytes, len)) {
			normalize_eol(bytes, &len);
			take_original_headers(w, bytes, len,
					      "application/octet-stream .eml");
		}
		return;
	}
	if (rb_startswith_ci(type, "text/")) {
		int is_html = rb_strcasecmp(type, "text/html") == 0;
		int is_plain = rb_strcasecmp(type, "text/plain") == 0 ||
			       rb_strcasecmp(type, "text/plain-bounce") == 0;
		char *text, *owned = NULL;

		if (!is_html && !is_plain)
			return;
		if (GMIME_IS_TEXT_PART(part)) {
			GMimeDataWrapper *dw = g_mime_part_get_content(part);
			GMimeStream *src = dw ? g_mime_data_wrapper_get_stream(dw) : NULL;
			gint64 raw = src ? g_mime_stream_length(src) : -1;
			const char *cs = g_mime_object_get_content_type_parameter(
				GMIME_OBJECT(part), "charset");

			if (raw > 0 &&
			    (size_t)raw > w->o->limits.max_part_bytes * 2) {
				r->flags |= RB_PF_LIMIT_HIT | RB_PF_TRUNCATED;
				return;
			}
			/* decode the transfer encoding; a NUL in it (QP "=00")
			 * becomes a space, not the end of the text */
			mem = decode_part(w, part, &text, &len);
			if (mem == NULL)
				return;
			if ((cs == NULL || rb_strcasecmp(cs, "us-ascii") == 0 ||
			     rb_strcasecmp(cs, "utf-8") == 0) &&
			    memchr(text, 0, len) != NULL &&
			    utf16_unlabelled(text, len) != NULL) {
				owned = convert_charset(
					utf16_unlabelled(text, len), text, len,
					&len);
				if (owned != NULL)
					r->flags |= RB_PF_BAD_CHARSET;
			} else if (cs != NULL && (rb_startswith_ci(cs, "utf-16") ||
					   rb_startswith_ci(cs, "utf-32") ||
					   rb_startswith_ci(cs, "ucs-"))) {
				/* NULs are part of every character here */
				owned = convert_charset(cs, text, len, &len);
			} else if (cs != NULL &&
				   rb_strcasecmp(cs, "us-ascii") != 0 &&
				   rb_strcasecmp(cs, "utf-8") != 0 &&
				   rb_strcasecmp(cs, "ascii") != 0) {
				normalize_eol(text, &len);
				/* 7-bit ISO-2022 text is "valid UTF-8" byte by
				 * byte: its escape sequences say otherwise */
				if (!rb_utf8_valid(text, len) ||
				    memchr(text, 0x1b, len) != NULL)
					owned = convert_charset(cs, text, len,
								&len);
			}
			if (owned != NULL)
				text = owned;
			/* junk 8-bit is handled below */
		} else {
			mem = NULL;
			text = NULL;
		}
		if (text == NULL)
			return;
		normalize_eol(text, &len);
		if (!rb_utf8_valid(text, len)) {
			/* 8-bit without a (working) charset label */
			char *conv = sniff_8bit(text, len);

			if (conv == NULL)
				conv = g_mime_utils_decode_8bit(w->popts, text,
								len);

			g_free(owned);
			text = owned = conv;
			len = conv ? strlen(conv) : 0;
			r->flags |= RB_PF_BAD_CHARSET;
		}
		if (text != NULL && is_plain && r->fr_raw == NULL &&
		    feedback_fields(text, len)) {
			/* a complaint report labelled text/plain */
			r->fr_raw = rb_arena_strndup(r->arena, text, len);
			r->fr_len = len;
			r->flags |= RB_PF_INVALID_SYNTAX;
		} else if (text != NULL && is_html) {
			strip_html(&w->html, text);
		} else if (text != NULL) {
			rb_buf_add(&w->text, text, len);
			rb_buf_addc(&w->text, '\n');
		}
		g_free(owned);
		if (mem != NULL)
			g_object_unref(mem);
	}
}

/* "type/subtype" of @ct as g_mime_content_type_get_mime_type() spells it,
 * in @buf when it fits (no allocation); else (owned, *owned_r) allocated. */
static char *mime_type(GMimeContentType *ct, char *buf, size_t size,
		       char **owned_r)
{
	const char *t = g_mime_content_type_get_media_type(ct);
	const char *st = g_mime_content_type_get_media_subtype(ct);
	size_t tl, sl;

	*owned_r = NULL;
	if (t == NULL)
		t = "text";
	if (st == NULL)
		st = "plain";
	tl = strlen(t);
	sl = strlen(st);
	if (tl + sl + 2 > size)
		return *owned_r = g_mime_content_type_get_mime_type(ct);
	memcpy(buf, t, tl);
	buf[tl] = '/';
	memcpy(buf + tl + 1, st, sl + 1);
	return buf;
}

static void walk_object(struct walk *w, GMimeObject *obj, size_t depth)
{
	GMimeContentType *ct;
	char tbuf[256];
	char *type, *owned = NULL;

	if (obj == NULL)
		return;
	if (++w->parts > w->o->limits.max_parts ||
	    depth > w->o->limits.max_depth) {
		w->r->flags |= RB_PF_LIMIT_HIT;
		return;
	}
	ct = g_mime_object_get_content_type(obj);
	type = ct ? mime_type(ct, tbuf, sizeof(tbuf), &owned) : NULL;
	note_type(w, type ? type : "?");

	if (GMIME_IS_MULTIPART(obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART(obj);
		int n = g_mime_multipart_get_count(mp);
		const char *bnd = g_mime_multipart_get_boundary(mp);

		if (n == 0)
			w->r->flags |= RB_PF_INVALID_SYNTAX;
		if (bnd != NULL && !has_closing_boundary(w, bnd))
			w->r->flags |= RB_PF_TRUNCATED;

		for (int i = 0; i < n; i++)
			walk_object(w, g_mime_multipart_get_part(mp, i),
				    depth + 1);
	} else if (GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *m = g_mime_message_part_get_message(
			GMIME_MESSAGE_PART(obj));

		take_message_headers(w, m, "message/rfc822");
	} else if (GMIME_IS_PART(obj) && type != NULL) {
		walk_leaf(w, GMIME_PART(obj), type);
	}
	g_free(owned);
}

/* Finds a delivery-status field block in raw text where MIME failed to
 * label it (a broken boundary, a missing Content-Type): from the first line
 * that starts a DSN block to the next boundary or part header. Returns the
 * start and sets *len_r, or NULL. */
/* Does the @n bytes at @p start with @prefix (ASCII case-insensitive)?
 * Never reads past @n: the message need not be NUL-terminated. */
static bool starts_ci(const char *p, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && rb_strncasecmp(p, prefix, pl) == 0;
}

/* Does the decoded text hold a Final-Recipient field at a line start? */
static bool text_has_dsn(const struct rb_report *r)
{
	if (r->text == NULL)
		return false;
	return rb_startswith_ci(r->text, "final-recipient:") ||
	       rb_memcasemem(r->text, r->text_len, "\nfinal-recipient:") != NULL;
}

static const char *embedded_dsn(const char *s, size_t len, size_t *len_r)
{
	const char *p = s, *end = s + len, *start = NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		size_t n = (size_t)(end - p);

		if (start == NULL) {
			if (starts_ci(p, n, "Reporting-MTA:") ||
			    starts_ci(p, n, "Final-Recipient:") ||
			    starts_ci(p, n, "Original-Recipient:")) {
				size_t win = n < 2048 ? n : 2048;

				if (rb_memcasemem(p, win, "\nAction:") ||
				    rb_memcasemem(p, win, "\nStatus:"))
					start = p;
			}
		} else if (starts_ci(p, n, "--") || starts_ci(p, n, " --") ||
			   starts_ci(p, n, "Content-Type:") ||
			   starts_ci(p, n, "Return-Path:") ||
			   starts_ci(p, n, "Received:")) {
			*len_r = (size_t)(p - start);
			return start;
		}
		p = next;
	}
	if (start == NULL)
		return NULL;
	*len_r = (size_t)(end - start);
	return start;
}

/* Body of a message whose MIME structure hid its text: everything after the
 * header block. */
static const char *raw_body(const char *s, size_t len, size_t *len_r)
{
	const char *b = NULL;

	for (const char *p = s; p + 1 < s + len; p++) {
		if (p[0] == '\n' && p[1] == '\n') {
			b = p + 2;
			break;
		}
	}
	if (b == NULL)
		return NULL;
	*len_r = (size_t)(s + len - b);
	return b;
}

static void read_top_headers(struct walk *w, GMimeObject *msg)
{
	struct rb_report *r = w->r;
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int n = hl ? g_mime_header_list_get_count(hl) : 0;
	size_t max = w->o->limits.max_fields;

	if ((size_t)n > max) {
		r->flags |= RB_PF_LIMIT_HIT;
		n = (int)max;
	}
	r->headers = rb_arena_alloc(r->arena, ((size_t)n + 1) * sizeof(*r->headers));
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		/* the raw value: GMime's decoded value costs a full RFC 2047
		 * pass per field; only encoded words need one */
		const char *val = g_mime_header_get_raw_value(h);
		char *v, *dec = NULL;
		size_t vl;
		bool raw;

		if (name == NULL)
			continue;
		if (val != NULL && strstr(val, "=?") != NULL) {
			dec = rb_header_decode(w->popts, val);
			val = dec;
		}
		vl = val ? strlen(val) : 0;
		if (vl > w->o->limits.max_header_line) {
			vl = w->o->limits.max_header_line;
			r->flags |= RB_PF_TRUNCATED;
		}
		if (vl > 0 && memchr(val, 0x1b, vl) == NULL &&
		    rb_utf8_valid(val, vl)) {
			/* already UTF-8 (what to_utf8 would copy as is):
			 * copied, squeezed when first read (struct rb_hdr) */
			v = rb_arena_strndup(r->arena, val, vl);
			raw = true;
		} else {
			v = to_utf8(w, val ? val : "", vl);
			rb_str_squeeze(v);
			raw = false;
		}
		g_free(dec);
		r->headers[r->n_headers].name = rb_arena_strdup(r->arena, name);
		r->headers[r->n_headers].value = v;
		r->headers[r->n_headers].raw = raw;
		r->n_headers++;
	}
}

static void summarise_bounce(struct rb_report *r)
{
	const char *v;
	static const char *to_hdrs[] = {"Delivered-To", "X-Original-To",
					"Envelope-To", "X-Envelope-To", "To"};

	v = rb_report_header(r, "Subject");
	if (v != NULL)
		r->subject = (char *)v;
	v = rb_report_header(r, "From");
	if (v != NULL)
		r->from = rb_addr_extract(r->arena, v);
	for (size_t i = 0; i < sizeof(to_hdrs) / sizeof(to_hdrs[0]); i++) {
		v = rb_report_header(r, to_hdrs[i]);
		if (v != NULL && (r->envelope_to = rb_addr_extract(r->arena, v)))
			break;
	}
}

struct rb_report *rb_parse(const char *buf, size_t len,
			   const struct rb_parse_opts *opts)
{
	struct rb_report *r = rb_report_new();
	struct walk w;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeObject *msg;
	GByteArray *arr;
	const char *src;
	char *copy;

	if (len > opts->limits.max_message_size) {
		r->flags |= RB_PF_TOO_BIG | RB_PF_LIMIT_HIT;
		r->rule = "limit:max_message_size";
		return r;
	}
	memset(&w, 0, sizeof(w));
	w.r = r;
	w.o = opts;
	rb_buf_init(&w.text, opts->limits.max_text_bytes);
	rb_buf_init(&w.html, opts->limits.max_text_bytes);
	rb_buf_init(&w.seen, 512);

	/* one line-end form for every later step; copy only when needed */
	copy = NULL;
	src = buf;
	if (memchr(buf, '\r', len) != NULL || memchr(buf, '\0', len) != NULL) {
		copy = rb_xstrndup(buf, len);
		normalize_eol(copy, &len);
		src = copy;
	}
	if (len > 5 && memcmp(src, "From ", 5) == 0) {
		/* an mbox envelope line, not a header */
		const char *nl = memchr(src, '\n', len);
		size_t skip = nl ? (size_t)(nl - src) + 1 : len;

		src += skip;
		len -= skip;
	}
	w.src = src;
	w.src_len = len;
	w.popts = make_opts();
	/* GMime reads the message where it is: a byte array over @src that
	 * neither the stream nor the array frees (both go at out:) */
	arr = g_byte_array_new_take((guint8 *)(uintptr_t)src, len);
	stream = g_mime_stream_mem_new_with_byte_array(arr);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	/* the bounce as a MIME part, not a GMimeMessage: read_top_headers()
	 * reads its header block, and a message object would parse every
	 * address list and the Date on the way (a seventh of all the
	 * instructions a bounce costs) for nothing */
	msg = g_mime_parser_construct_part(parser, w.popts);
	g_object_unref(parser);
	if (msg == NULL) {
		r->flags |= RB_PF_INVALID_SYNTAX;
		r->rule = "mime:unparseable";
		goto out;
	}
	read_top_headers(&w, msg);
	summarise_bounce(r);
	walk_object(&w, msg, 0);

	if (w.text.len == 0 && w.html.len > 0) {
		r->text = rb_arena_strndup(r->arena, w.html.data, w.html.len);
		r->text_len = w.html.len;
	} else {
		r->text = rb_arena_strndup(r->arena, rb_buf_str(&w.text), w.text.len);
		r->text_len = w.text.len;
	}
	if (r->ds_raw == NULL && r->fr_raw == NULL) {
		size_t dl, bl;
		/* fields the decoded text already holds are read from there
		 * (bounce/decode.c, decode:inline-dsn): the raw source still
		 * has the part's transfer encoding (QP "=\n" inside fields) */
		const char *d = text_has_dsn(r) ? NULL : embedded_dsn(src, len, &dl);
		const char *b;

		if (d != NULL) {
			r->ds_raw = to_utf8(&w, d, dl);
			r->ds_len = strlen(r->ds_raw);
			r->flags |= RB_PF_INVALID_SYNTAX;
		}
		if (r->text_len == 0 && (b = raw_body(src, len, &bl)) != NULL) {
			if (bl > opts->limits.max_text_bytes) {
				bl = opts->limits.max_text_bytes;
				r->flags |= RB_PF_TRUNCATED;
			}
			r->text = to_utf8(&w, b, bl);
			r->text_len = strlen(r->text);
			r->flags |= RB_PF_INVALID_SYNTAX;
		}
	}
	if (w.text.truncated || w.html.truncated)
		r->flags |= RB_PF_TRUNCATED;
	r->expl_len = r->text ? rb_text_explanation_len(r->text, r->text_len) : 0;
	r->parts_seen = rb_arena_strdup(r->arena, rb_buf_str(&w.seen));

	if (w.orig_hdrs != NULL)
		rb_original_from_headers(r, w.orig_hdrs, w.orig_len, w.orig_in,
					 opts);
	else
		rb_original_from_text(r, opts);
	if (r->orig.found_in == NULL)
		rb_original_from_ses(r, opts);
	rb_original_resolve_sender(r, opts);
	g_object_unref(msg);
out:
	g_object_unref(stream);
	(void)g_byte_array_free(arr, FALSE);
	free(copy);
	g_mime_parser_options_free(w.popts);
	rb_buf_free(&w.text);
	rb_buf_free(&w.html);
	rb_buf_free(&w.seen);
	return r;
}
