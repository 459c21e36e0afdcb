/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/decode_list.c - the text decoders that read the failure words
 * naming a recipient: decode:phrase ("could not be delivered to a",
 * "RCPT TO:<a>", localised "Empfänger: a" labels) with the lists of
 * recipients such a phrase starts, each recipient given its own words
 * (its list item, its paragraph or its transcript exchange);
 * decode:subject (the address after the failure words of the Subject);
 * decode:sections (m-FILTER's dashed "server message" / "SMTP command"
 * sections). Shared helpers come from decode.c (decode_int.h).
 */
#include <stddef.h>
#include <string.h>

#include "bounce/decode_int.h"
#include "core/str.h"
#include "parsers/addr.h"

/* Returns (arena) the first plausible, non-ignorable address within @win
 * bytes after @p, and its position in *at_r. */
static char *address_after(struct rb_report *r, const char *p,
			   const char *end, size_t win, const char **at_r)
{
	const char *lim = (size_t)(end - p) > win ? p + win : end;

	while (p < lim) {
		const char *at = memchr(p, '@', (size_t)(lim - p));
		const char *b, *e;
		char *addr;

		if (at == NULL)
			return NULL;
		b = at;
		while (b > p && !strchr(" \t\n<(\"'[:;,", b[-1]))
			b--;
		e = at;
		while (e < end && !strchr(" \t\n>)\"']:;,", *e))
			e++;
		addr = rb_addr_extract(r->arena,
				       rb_arena_strndup(r->arena, b, (size_t)(e - b)));
		if (addr != NULL && !rb_dec_ignorable_addr(r, addr)) {
			*at_r = b;
			return addr;
		}
		p = at + 1;
	}
	return NULL;
}

/* Does the paragraph at @f start with the words that stand before the
 * address at @pos on its line (@b its line start)? Then it is the next
 * recipient's block of a list ("Empfänger: a" ... "Empfänger: b"). */
static bool same_label(const char *b, const char *pos, const char *f,
		       const char *g)
{
	size_t n;

	/* the paragraph at @f starts after its blanks: so does the label */
	while (b < pos && (*b == ' ' || *b == '\t'))
		b++;
	n = (size_t)(pos - b);
	while (n > 0 && (b[n - 1] == '<' || b[n - 1] == '"' || b[n - 1] == ' ' ||
			 b[n - 1] == '\t'))
		n--;
	return n >= 2 && (size_t)(g - f) > n && memcmp(f, b, n) == 0;
}

/* The end of the paragraph that starts at @g (its blank line), keeping
 * the whole from @b within RB_DEC_DIAG_MAX bytes. */
static const char *para_end(const char *g, const char *end, const char *b)
{
	while (g < end) {
		const char *nl = memchr(g, '\n', (size_t)(end - g));

		if (nl == NULL)
			return end;
		g = nl + 1;
		if (g < end && *g == '\n')
			break;
		if ((size_t)(g - b) > RB_DEC_DIAG_MAX)
			break;
	}
	return g;
}

/* [@f, @g) is only an underlined heading: one short line ending in ':'
 * ("Důvod / Reason:") over a line of '-' or '='. */
static bool heading_only(const char *f, const char *g)
{
	const char *nl = memchr(f, '\n', (size_t)(g - f));
	const char *le = nl ? nl : g, *q;
	bool rule = false;

	while (le > f && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
		le--;
	if (nl == NULL || le == f || le[-1] != ':' || le - f > 60)
		return false;
	for (q = nl + 1; q < g; q++) {
		if (*q == '-' || *q == '=')
			rule = true;
		else if (strchr(" \t\r\n", *q) == NULL)
			return false;
	}
	return rule;
}

/* The paragraph around @pos: from its line start to the next blank line,
 * at most RB_DEC_DIAG_MAX bytes. */
static char *paragraph(struct rb_report *r, const char *text, const char *end,
		       const char *pos)
{
	const char *b = pos, *e = pos;
	char *d;

	while (b > text && b[-1] != '\n')
		b--;
	while (e < end) {
		const char *nl = memchr(e, '\n', (size_t)(end - e));

		if (nl == NULL) {
			e = end;
			break;
		}
		e = nl + 1;
		if (e < end && (*e == '\n' || (e[0] == ' ' && e[1] == '\n')))
			break;
		if ((size_t)(e - b) > RB_DEC_DIAG_MAX)
			break;
	}
	/* "There was an error delivering your mail to <a>." alone: the
	 * reason is the next paragraph ("host said: 550 ...") */
	{
		char code[4];
		char *tmp = rb_arena_strndup(r->arena, b, (size_t)(e - b));

		if (rb_reply_find(tmp, code) != 0 && e < end &&
		    (size_t)(e - b) < 400) {
			const char *f = e;

			while (f < end && (*f == '\n' || *f == ' ' || *f == '\t'))
				f++;
			/* a labelled "Reason: ..." is the reason, not a
			 * field of some report */
			if (f < end &&
			    (!rb_dec_field_line(f, end) || rb_startswith_ci(f, "reason:")) &&
			    *f != '-' && *f != '=' && *f != '>') {
				const char *g = para_end(f, end, b);

				/* not when it is the next recipient's block
				 * ("宛先： b" after "宛先： a") */
				if (!same_label(b, pos, f, g)) {
					e = g;
					/* a heading alone ("Důvod / Reason:" over a
					 * line of dashes): its paragraph follows */
					if (heading_only(f, g)) {
						const char *h = g;

						while (h < end && (*h == '\n' || *h == ' ' || *h == '\t'))
							h++;
						if (h < end && *h != '-' && *h != '=' && *h != '>' &&
						    !rb_dec_field_line(h, end))
							e = para_end(h, end, b);
					}
				}
			}
		}
	}
	d = rb_arena_strndup(r->arena, b, (size_t)(e - b));
	rb_str_squeeze(d);
	return d;
}

/* The address that starts the line at @q (after an optional '<' or
 * '"'), alone as a word: "a@x", "<a@x> (550 ...)", "a@x    (reason)". */
static char *item_address(struct rb_report *r, const char *q, const char *le,
			  const char **at_r)
{
	const char *te;
	char *addr;

	while (q < le && (*q == '<' || *q == '"'))
		q++;
	te = q;
	while (te < le && strchr(" \t<>\"(),;", *te) == NULL)
		te++;
	if (te == q || memchr(q, '@', (size_t)(te - q)) == NULL)
		return NULL;
	if (te > q && te[-1] == ':')
		te--;
	/* Exchange 2003 quotes each item: "'a@x' on 6/5/2024 10:20 AM" */
	if (te - q > 1 && te[-1] == '\'' && q[-1] == '\'')
		te--;
	addr = rb_addr_extract(r->arena, rb_arena_strndup(r->arena, q,
							  (size_t)(te - q)));
	if (addr == NULL || strlen(addr) != (size_t)(te - q) ||
	    rb_strncasecmp(addr, q, (size_t)(te - q)) != 0 ||
	    rb_dec_ignorable_addr(r, addr))
		return NULL;
	*at_r = q;
	return addr;
}

/* A list item's own diagnostic: its line and the more indented lines
 * that continue it, or NULL when that says no more than the address. */
static char *item_diag(struct rb_report *r, const char *b, const char *end,
		       size_t ind, size_t alen)
{
	const char *e = memchr(b, '\n', (size_t)(end - b));
	char *d;

	e = e ? e : end;
	while (e < end && (size_t)(e - b) < RB_DEC_DIAG_MAX) {
		const char *n = e + 1, *nl;

		if (n >= end)
			break;
		nl = memchr(n, '\n', (size_t)(end - n));
		nl = nl ? nl : end;
		if (nl == n || rb_dec_indent_of(n, nl) <= ind ||
		    rb_dec_indent_of(n, nl) == (size_t)(nl - n))
			break;
		e = nl;
	}
	d = rb_arena_strndup(r->arena, b, (size_t)(e - b));
	rb_str_squeeze(d);
	return strlen(d) < alen + 6 ? NULL : d;
}

/*
 * The other recipients of a list whose first item a phrase named (@at,
 * @first): the lines that repeat the first item's line prefix and start
 * with an address. A prefix of blanks and bullets ("    * a", "  a
 * (550 ...)") makes a list of consecutive lines (the items' more
 * indented continuation lines and blank lines may stand between them);
 * each item's diagnostic is its own line and continuation, not the whole
 * list. A label that ends in a colon ("Recipient address: a") is
 * repeated by the next recipients' blocks anywhere below; each block's
 * paragraph is its diagnostic. Any other text before the address (a
 * sentence) makes no list. Returns how many recipients were added.
 */
static size_t phrase_list(struct rb_report *r, struct rb_classifier *c,
			  const char *expl, const char *end, const char *at,
			  struct rb_rcpt *first)
{
	const char *b = at, *p;
	size_t plen, ind, before = r->n_rcpts, items = 0;
	bool label = false, blank = false;

	while (b > expl && b[-1] != '\n')
		b--;
	plen = (size_t)(at - b);
	while (plen > 0 && (b[plen - 1] == '<' || b[plen - 1] == '"'))
		plen--;
	ind = rb_dec_indent_of(b, b + plen);
	for (size_t k = 0; k < plen; k++) {
		unsigned char ch = (unsigned char)b[k];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9'))
			label = true;
	}
	if (label) {
		size_t l = plen;

		while (l > 0 && (b[l - 1] == ' ' || b[l - 1] == '\t'))
			l--;
		if (l == 0 || b[l - 1] != ':')
			return 0;
	}
	p = memchr(at, '\n', (size_t)(end - at));
	while (p != NULL && ++p < end) {
		const char *le = memchr(p, '\n', (size_t)(end - p));
		const char *iat;
		char *addr;

		le = le ? le : end;
		if (rb_dec_indent_of(p, le) == (size_t)(le - p)) {
			blank = true;
			p = le < end ? le : NULL;
			continue;
		}
		addr = (size_t)(le - p) > plen && memcmp(p, b, plen) == 0
			       ? item_address(r, p + plen, le, &iat)
			       : NULL;
		if (addr != NULL && !rb_dec_contact_address(expl, iat)) {
			struct rb_rcpt *rc = rb_dec_add(r, c, addr);

			if (rc != NULL && rc != first && rc->diagnostic == NULL) {
				rc->diagnostic =
					label ? paragraph(r, expl, end, iat)
					      : item_diag(r, p, end, ind,
							  strlen(addr));
				if (rc->diagnostic == NULL)
					rb_decode_diagnostic_for(r, rc);
			}
			items++;
			blank = false;
		} else if (!label &&
			   (blank || rb_dec_indent_of(p, le) <= ind)) {
			break;
		}
		p = le < end ? le : NULL;
	}
	if (!label && items > 0 && first != NULL) {
		first->diagnostic =
			item_diag(r, b, end, ind, strlen(first->recipient));
		if (first->diagnostic == NULL)
			rb_decode_diagnostic_for(r, first);
	}
	return r->n_rcpts - before;
}

/*
 * A transcript's "RCPT TO:<a>" line at @hit and the server's reply on the
 * lines below, up to the next command we sent (MDaemon's "--> RCPT
 * To:<a>" / "<-- 550 ...", ">>> RCPT To:<a>" / "<<< 550 ..."): that
 * recipient's own exchange, not the whole transcript. *@accepted_r is set
 * when the reply was 2xx: the address was taken, it did not fail there.
 * NULL when no reply follows.
 */
static char *rcpt_exchange(struct rb_report *r, const char *expl,
			   const char *end, const char *hit, bool *accepted_r)
{
	const char *b = hit, *e, *n;
	char code[4];
	bool replied = false;
	char *d;

	*accepted_r = false;
	while (b > expl && b[-1] != '\n')
		b--;
	e = memchr(hit, '\n', (size_t)(end - hit));
	for (int k = 0; e != NULL && e + 1 < end && k < 6; k++) {
		const char *nl, *rp;

		n = e + 1;
		nl = memchr(n, '\n', (size_t)(end - n));
		nl = nl ? nl : end;
		if (nl == n || rb_memcasemem(n, (size_t)(nl - n), "-->") ||
		    rb_memcasemem(n, (size_t)(nl - n), ">>>"))
			break;
		rp = rb_memcasemem(n, (size_t)(nl - n), "<-- ");
		if (rp == NULL)
			rp = rb_memcasemem(n, (size_t)(nl - n), "<<< ");
		if (rp == NULL)
			break;
		if (!replied) {
			char *line = rb_arena_strndup(r->arena, rp + 4,
						      (size_t)(nl - rp - 4));

			if (rb_reply_find(line, code) == 0)
				*accepted_r = code[0] == '2';
			replied = true;
		}
		e = nl;
	}
	if (!replied || e == NULL)
		return NULL;
	if (*accepted_r) {
		/* taken at RCPT, refused with the message: "--> DATA" /
		 * "<-- 554 ..." below fails every accepted recipient */
		const char *dt = rb_memcasemem(e, (size_t)(end - e), "> DATA");
		const char *dn, *de;

		if (dt != NULL && (dn = memchr(dt, '\n', (size_t)(end - dt))) &&
		    dn + 1 < end) {
			const char *rp;

			de = memchr(dn + 1, '\n', (size_t)(end - dn - 1));
			de = de ? de : end;
			rp = rb_memcasemem(dn + 1, (size_t)(de - dn - 1), "<-- ");
			if (rp == NULL)
				rp = rb_memcasemem(dn + 1, (size_t)(de - dn - 1),
						   "<<< ");
			if (rp != NULL) {
				char *line = rb_arena_strndup(
					r->arena, rp + 4, (size_t)(de - rp - 4));

				if (rb_reply_find(line, code) == 0 &&
				    (code[0] == '4' || code[0] == '5')) {
					*accepted_r = false;
					while (dt > expl && dt[-1] != '\n')
						dt--;
					b = dt;
					e = de;
				}
			}
		}
	}
	d = rb_arena_strndup(r->arena, b, (size_t)(e - b));
	rb_str_squeeze(d);
	return d;
}

/*
 * Phrases that name the failed recipient, in the words of many MTAs:
 * "There was an error delivering your mail to <a>", "could not be
 * delivered to a", "The following recipients returned permanent errors:
 * a", "RCPT TO:<a>". The paragraph around the phrase is the diagnostic.
 */
size_t rb_dec_phrase(struct rb_report *r, struct rb_classifier *c,
		     const char *expl, size_t len)
{
	static const char *const phrases[] = {
		"delivering your mail to", "delivering your message to",
		"could not be delivered to", "couldn't be delivered to",
		"could not deliver to", "was not delivered to",
		"failed to deliver to", "delivery to the following recipient",
		"following recipients returned", "following recipient",
		"following address", "undeliverable to", "delivery failed to",
		"permanent error for", "delivery to", "your message to",
		"message for", "recipient address:", "recipient:",
		"rcpt to:", "unknown user:", "user unknown:",
		"member of this mailing list",
		/* the labelled field of localised notices ("Empfänger:
		 * a@x", "宛先： a@x", "收件人：a@x"), ASCII or full-width colon */
		"empf\xc3\xa4nger:", "destinataire :", "destinataire:",
		"destinatario:", "destinat\xc3\xa1rio:", "ontvanger:",
		"odbiorca:", "adres\xc3\xa1t:", "p\xc5\x99\xc3\xadjemce:",
		"\xd0\xbf\xd0\xbe\xd0\xbb\xd1\x83\xd1\x87\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c:", /* получатель: */
		"\xd0\x9f\xd0\xbe\xd0\xbb\xd1\x83\xd1\x87\xd0\xb0\xd1\x82\xd0\xb5\xd0\xbb\xd1\x8c:", /* Получатель: */
		"\xe5\xae\x9b\xe5\x85\x88\xef\xbc\x9a", "\xe5\xae\x9b\xe5\x85\x88:", /* 宛先 */
		"\xe3\x82\xa2\xe3\x83\x89\xe3\x83\xac\xe3\x82\xb9\xef\xbc\x9a", "\xe3\x82\xa2\xe3\x83\x89\xe3\x83\xac\xe3\x82\xb9:", /* アドレス */
		"\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba\xef\xbc\x9a", "\xe6\x94\xb6\xe4\xbb\xb6\xe4\xba\xba:", /* 收件人 */
		"\xeb\xb0\x9b\xeb\x8a\x94 \xec\x82\xac\xeb\x9e\x8c:", /* 받는 사람: */
		"\xec\x88\x98\xec\x8b\xa0\xec\x9e\x90:", /* 수신자: */
		"to:",
	};
	const char *end = expl + len;
	size_t before = r->n_rcpts;

	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		const char *p = expl;
		const char *hit;

		while ((hit = rb_memcasemem(p, (size_t)(end - p), phrases[i]))) {
			const char *at, *lb = hit, *le;
			const char *from = hit + strlen(phrases[i]);
			char *addr;

			while (lb > expl && lb[-1] != '\n')
				lb--;
			le = memchr(hit, '\n', (size_t)(end - hit));
			le = le ? le : end;
			/* "sent to the following recipients as well:" */
			if (rb_dec_others_list_intro(lb, (size_t)(le - lb))) {
				p = from;
				continue;
			}
			/* "please resend your message to b": where to write
			 * instead, not who failed */
			if (rb_memcasemem(lb, (size_t)(hit - lb), "resend") != NULL) {
				p = from;
				continue;
			}
			addr = address_after(r, from, end, 160, &at);
			if (addr != NULL && strcmp(phrases[i], "rcpt to:") == 0) {
				bool accepted;
				char *x = rcpt_exchange(r, expl, end, hit,
							&accepted);

				if (x != NULL) {
					struct rb_rcpt *rc;

					if (!accepted &&
					    (rc = rb_dec_add(r, c, addr)) != NULL &&
					    rc->diagnostic == NULL)
						rc->diagnostic = x;
					p = from;
					continue;
				}
			}

			if (addr != NULL) {
				size_t had = r->n_rcpts;
				struct rb_rcpt *rc = rb_dec_add(r, c, addr);

				if (rc != NULL && rc->diagnostic == NULL)
					rc->diagnostic = paragraph(r, expl, end, at);
				/* the first item of a list of recipients */
				if (rc != NULL && r->n_rcpts > had &&
				    strcmp(phrases[i], "to:") != 0)
					phrase_list(r, c, expl, end, at, rc);
			}
			p = from;
		}
		if (r->n_rcpts > before)
			break;
	}
	/* a paragraph that names several of them ("Your message to a, b
	 * couldn't be delivered.") is no one's own: each one's words are
	 * found next to it elsewhere when the notice has them */
	for (size_t k = before; r->n_rcpts - before > 1 && k < r->n_rcpts; k++) {
		struct rb_rcpt *rc = &r->rcpts[k];
		char *old = rc->diagnostic;
		bool shared = false;

		for (size_t o = before; o < r->n_rcpts && old != NULL && !shared;
		     o++)
			shared = o != k &&
				 rb_memcasemem(old, strlen(old),
					       r->rcpts[o].recipient) != NULL;
		if (!shared)
			continue;
		rc->diagnostic = NULL;
		rb_decode_diagnostic_for(r, rc);
		if (rc->diagnostic == NULL)
			rc->diagnostic = old;
	}
	return r->n_rcpts - before;
}

/*
 * The notice names the failed address only in its subject ("Delivery
 * failure to a@example.net", "Undeliverable mail: <a@example.net>",
 * "Mail System Error - Returned Mail: a@example.net"): the address right
 * after the failure words, with the explanation as its diagnostic. The
 * original subject after "Undeliverable: " is the sender's words, not the
 * notice's: an address there is not taken.
 */
size_t rb_dec_subject(struct rb_report *r, struct rb_classifier *c,
		      const char *expl, size_t len)
{
	static const char *const words[] = {
		"delivery failure to", "delivery failed to", "failed delivery to",
		"undeliverable to", "undeliverable mail:", "not delivered to",
		"could not be delivered to", "returned mail:", "delivery to",
		"user unknown", "unknown user", "mailbox unavailable",
	};
	const char *s = r->subject, *end, *at;
	char *addr;

	if (s == NULL)
		return 0;
	end = s + strlen(s);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const char *hit = rb_memcasemem(s, (size_t)(end - s), words[i]);
		const char *p;

		if (hit == NULL)
			continue;
		p = hit + strlen(words[i]);
		while (p < end && strchr(" :<\"'-", *p) != NULL)
			p++;
		/* the address itself, not one further on */
		addr = address_after(r, p, end, strcspn(p, " "), &at);
		if (addr == NULL || at != p)
			continue;
		{
			struct rb_rcpt *rc = rb_dec_add(r, c, addr);

			if (rc != NULL && rc->diagnostic == NULL && len > 0) {
				char *d = rb_arena_strndup(
					r->arena, expl, len < RB_DEC_DIAG_MAX ? len : RB_DEC_DIAG_MAX);

				rb_str_squeeze(d);
				rc->diagnostic = d;
			}
			return rc != NULL ? 1 : 0;
		}
	}
	return 0;
}

/* Is the line @b .. @e a dashed section label ("-------server message",
 * "---- SMTP command ----") reading @label (case-blind)? */
static bool section_label(const char *b, const char *e, const char *label)
{
	size_t ll = strlen(label);
	const char *p = b;

	while (p < e && *p == '-')
		p++;
	if (p - b < 3)
		return false;
	while (p < e && *p == ' ')
		p++;
	if ((size_t)(e - p) < ll || rb_strncasecmp(p, label, ll) != 0)
		return false;
	for (p += ll; p < e; p++) {
		if (*p != ' ' && *p != '-' && *p != ':' && *p != '\r')
			return false;
	}
	return true;
}

/* The lines of the section after the label line ending at @from, up to the
 * next label or blank-line-then-label; squeezed, in the arena. */
static char *section_body(struct rb_report *r, const char *from,
			  const char *end)
{
	const char *p = from, *stop = end;
	char *s;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (e - p >= 3 && memcmp(p, "---", 3) == 0) {
			stop = p;
			break;
		}
		p = nl ? nl + 1 : end;
	}
	if (stop - from > RB_DEC_DIAG_MAX)
		stop = from + RB_DEC_DIAG_MAX;
	s = rb_arena_strndup(r->arena, from, (size_t)(stop - from));
	rb_str_squeeze(s);
	return *s ? s : NULL;
}

/*
 * Reports written in dashed sections (m-FILTER and similar appliances):
 *
 *   <preamble naming the failed address on a line of its own>
 *   -------server message
 *   550 unknown user <a@example.com>
 *   -------SMTP command
 *   DATA
 *   -------original message
 *
 * The server's reply and the command it answered are fields here, not
 * words to guess from.
 */
size_t rb_dec_sections(struct rb_report *r, struct rb_classifier *c,
		       const char *expl, size_t len)
{
	const char *end = r->text + r->text_len, *p, *msg = NULL;
	char *diag = NULL;
	const char *cmd = NULL;
	size_t before = r->n_rcpts;

	(void)len;
	for (p = expl; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;

		if (*p == '-') {
			if (section_label(p, e, "server message")) {
				msg = p;
				diag = section_body(r, next, end);
			} else if (msg != NULL &&
				   section_label(p, e, "smtp command")) {
				char *v = section_body(r, next, end);

				cmd = v ? rb_smtp_command_find(v, strlen(v))
					: NULL;
				if (cmd == NULL && v != NULL)
					cmd = rb_smtp_command_word(v);
			} else if (msg != NULL &&
				   section_label(p, e, "original")) {
				break;
			}
		}
		p = next;
	}
	if (msg == NULL || diag == NULL)
		return 0;
	for (p = expl; p < msg;) {
		const char *nl = memchr(p, '\n', (size_t)(msg - p));
		const char *e = nl ? nl : msg;
		char *addr = rb_dec_lone_address(r->arena, p, (size_t)(e - p));

		if (addr != NULL && !rb_dec_ignorable_addr(r, addr)) {
			struct rb_rcpt *rc = rb_dec_add(r, c, addr);

			if (rc != NULL) {
				rc->diagnostic = diag;
				rc->command = (char *)cmd;
			}
		}
		p = nl ? nl + 1 : msg;
	}
	return r->n_rcpts - before;
}
