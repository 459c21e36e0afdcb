/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/dsn.c - delivery-status fields to recipient results.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/decode.h"
#include "bounce/decode_int.h"
#include "bounce/dsn.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/codes.h"
#include "parsers/fields.h"

static char *after_type(struct rb_arena *a, const char *v, char **type_r)
{
	const char *semi = strchr(v, ';');

	*type_r = NULL;
	if (semi != NULL && semi - v < 24) {
		char *t = rb_arena_strndup(a, v, (size_t)(semi - v));

		*type_r = rb_str_lower(rb_str_trim(t));
		v = semi + 1;
	}
	{
		char *out = rb_arena_strdup(a, v);

		rb_str_squeeze(out);
		return out;
	}
}

static enum rb_kind kind_of_action(const char *action, const char *status)
{
	if (action != NULL) {
		if (rb_startswith_ci(action, "failed"))
			return RB_KIND_BOUNCE;
		if (rb_startswith_ci(action, "delayed"))
			return RB_KIND_DELAY;
		if (rb_startswith_ci(action, "delivered") ||
		    rb_startswith_ci(action, "relayed") ||
		    rb_startswith_ci(action, "expanded"))
			return RB_KIND_DELIVERED;
	}
	switch (rb_code_class(status)) {
	case 2:
		return RB_KIND_DELIVERED;
	case 4:
		return RB_KIND_DELAY;
	default:
		return RB_KIND_BOUNCE;
	}
}

/* The first reply code in @text that is a failure (4xx/5xx) when @fail,
 * else the first one: a transcript often shows "250 2.1.5 Ok" before the
 * reply that failed. */
static int reply_in(const char *text, bool fail, char out[4])
{
	const char *at;

	for (const char *p = text; (at = rb_reply_at(p)) != NULL; p = at + 3) {
		memcpy(out, at, 3);
		out[3] = '\0';
		if (!fail || out[0] != '2')
			return 0;
	}
	out[0] = '\0'; /* only success codes: none that failed */
	return -1;
}

/* Same for enhanced status codes. */
static int status_in(const char *text, bool fail, char out[RB_STATUS_MAX],
		     size_t *off_r)
{
	size_t base = 0, off;

	while (rb_status_find(text + base, out, &off) == 0) {
		if (!fail || out[0] != '2') {
			*off_r = base + off;
			return 0;
		}
		base += off + 1;
	}
	return -1;
}

void rb_dsn_codes_from_diagnostic(struct rb_rcpt *rc)
{
	char st[RB_STATUS_MAX];
	size_t off;
	bool fail = rc->kind != RB_KIND_DELIVERED &&
		    (rc->action == NULL ||
		     (strcmp(rc->action, "delivered") != 0 &&
		      strcmp(rc->action, "relayed") != 0 &&
		      strcmp(rc->action, "expanded") != 0));

	if (rc->diagnostic == NULL)
		return;
	if (rc->reply_code[0] == '\0')
		(void)reply_in(rc->diagnostic, fail, rc->reply_code);
	if (status_in(rc->diagnostic, fail, st, &off) == 0) {
		int dclass = rb_code_class(st);
		int sclass = rb_code_class(rc->status);
		/* the remote server's own code, right after its reply code */
		bool remote = off >= 4 && rc->reply_code[0] != '\0' &&
			      rc->reply_code[0] == st[0];

		/* a final failure whose Status says 4.x.x while the remote
		 * server answered 5xx with its own 5.x.x: the server's code
		 * is the one consistent with the failure */
		bool final5 = sclass == 4 && dclass == 5 && remote &&
			      rc->action != NULL &&
			      strcmp(rc->action, "failed") == 0;

		if (rc->status[0] == '\0' || final5 ||
		    (dclass == sclass && strcmp(st + 1, ".0.0") != 0 &&
		     (strcmp(rc->status + 1, ".0.0") == 0 ||
		      (remote && strcmp(st, rc->status) != 0)))) {
			memcpy(rc->status, st, sizeof(rc->status));
			rc->status_from = "diagnostic";
		}
	}
}

/* Does the text found for @rc give a code of another kind of failure
 * than the block's own specific Status ("5.1.1" in the block, "552 5.2.2
 * Mailbox full" next to the address in the text)? The delivery-status
 * part speaks for each recipient; the words of a text that contradicts
 * it are another recipient's or wrong, and would decide the reason. */
static bool text_disagrees(const struct rb_rcpt *rc)
{
	char st[RB_STATUS_MAX];
	size_t off;

	if (rc->diagnostic == NULL || rc->status[0] == '\0' ||
	    strcmp(rc->status + 1, ".0.0") == 0 ||
	    status_in(rc->diagnostic, true, st, &off) != 0)
		return false;
	return st[0] == rc->status[0] && strcmp(st + 1, ".0.0") != 0 &&
	       strchr(st, '.') != NULL && strchr(rc->status, '.') != NULL &&
	       strtol(strchr(st, '.') + 1, NULL, 10) !=
		       strtol(strchr(rc->status, '.') + 1, NULL, 10);
}

/* Sendmail delivers to a program ("|procmail ...") and reports it in
 * X-Actual-Recipient with "@host" appended, while its transcript quotes
 * the program as written ("554 "|procmail ... #user"... Service
 * unavailable"): look for the program text in the notice. */
static void program_diagnostic(struct rb_report *r, struct rb_rcpt *rc,
			       const char *v)
{
	struct rb_rcpt tmp;
	char *prog, *at;

	v = strchr(v, ';') ? strchr(v, ';') + 1 : v;
	while (*v == ' ' || *v == '\t' || *v == '"')
		v++;
	if (*v != '|')
		return;
	prog = rb_arena_strdup(r->arena, v);
	at = strrchr(prog, '@');
	if (at != NULL && strchr(at, ' ') == NULL)
		*at = '\0';
	if (strlen(prog) < 8)
		return;
	memset(&tmp, 0, sizeof(tmp));
	tmp.recipient = prog;
	rb_decode_diagnostic_for(r, &tmp);
	if (tmp.diagnostic != NULL) {
		rc->diagnostic = tmp.diagnostic;
		rc->diagnostic_type = tmp.diagnostic_type;
	}
}

/* rb_addr_extract() stops a local part at CJK or Arabic text, which in
 * running text is a sentence glued to an address; in a recipient field
 * the value is the address, whatever its script (RFC 6531/6533). */
static char *utf8_address(struct rb_arena *a, const char *v)
{
	char *out = rb_addr_extract(a, v);
	const char *semi = strchr(v, ';');
	size_t n;
	bool ascii = true;

	for (const char *p = v; *p && ascii; p++)
		ascii = (unsigned char)*p < 0x80;
	if (ascii || semi == NULL || semi - v > 16 ||
	    (out != NULL && strstr(semi, out) != NULL))
		return out;
	v = semi + 1;
	v += strspn(v, " \t<");
	n = strcspn(v, " \t>(");
	while (n > 0 && v[n - 1] == '.')
		n--;
	{
		char *t = rb_arena_strndup(a, v, n);
		char *at = strrchr(t, '@');

		if (at == NULL || !rb_addr_plausible(t))
			return out;
		rb_str_lower(at);
		return t;
	}
}

/* The address of a recipient field ("rfc822; a@b", "utf-8; \x{..}@b"):
 * xtext (+HH, Original-Recipient) and RFC 6533 escapes decoded. An escape
 * that does not decode leaves no address rather than part of one. */
static char *rcpt_address(struct rb_arena *a, const char *v, bool xtext)
{
	char *x = rb_arena_strdup(a, v);

	/* comments, folding and "mailto:" are no part of the address */
	rb_addr_field_clean(x);
	v = x;
	if (strchr(v, '\\') == NULL && (!xtext || strchr(v, '+') == NULL))
		return utf8_address(a, v);
	if (xtext)
		rb_xtext_decode(x);
	if (!rb_unitext_decode(x))
		return NULL;
	return utf8_address(a, x);
}

/* The Status field; some MTAs write the reply there too ("Status: 550
 * 5.1.1"): the enhanced code that stands in it as a word is the status. */
static void status_field(struct rb_rcpt *rc, const char *v)
{
	if (rb_status_normalize(v, rc->status) == 0 ||
	    rb_status_find(v, rc->status, NULL) == 0)
		rc->status_from = "dsn";
	else
		rc->status[0] = '\0';
}

static int is_rcpt_block(const struct rb_fblock *b)
{
	return rb_fblock_get(b, "Final-Recipient") != NULL ||
	       rb_fblock_get(b, "Original-Recipient") != NULL ||
	       rb_fblock_get(b, "X-Actual-Recipient") != NULL;
}

/* Some MTAs run recipient blocks together without the blank line: a second
 * Final-Recipient in one block starts the next recipient. Returns the
 * number of fields of the sub-block starting at field @from. */
static size_t sub_block(const struct rb_fblock *b, size_t from)
{
	int seen = 0;

	for (size_t i = from; i < b->n; i++) {
		if (rb_strcasecmp(b->fields[i].name, "Final-Recipient") == 0) {
			if (seen)
				return i - from;
			seen = 1;
		}
	}
	return b->n - from;
}

size_t rb_dsn_read(struct rb_report *r, const struct rb_limits *lim)
{
	struct rb_fields f;
	size_t added = 0;
	const char *v;

	if (r->ds_raw == NULL)
		return 0;
	rb_fields_parse(r->arena, r->ds_raw, r->ds_len, lim, 0, &f);
	r->flags |= f.flags & (RB_PF_TRUNCATED | RB_PF_LIMIT_HIT);
	for (size_t i = 0, from = 0; i < f.n;) {
		struct rb_fblock sb, *b = &sb;
		struct rb_rcpt *rc;
		char *rcpt = NULL, *orcpt = NULL, *type;

		sb.fields = f.blocks[i].fields + from;
		sb.n = sub_block(&f.blocks[i], from);
		from += sb.n;
		if (from >= f.blocks[i].n) {
			i++;
			from = 0;
		}
		if ((v = rb_fblock_get(b, "Reporting-MTA")) != NULL &&
		    r->reporting_mta == NULL)
			r->reporting_mta = after_type(r->arena, v, &type);
		if ((v = rb_fblock_get(b, "Arrival-Date")) != NULL &&
		    r->arrival_date == NULL)
			r->arrival_date = rb_arena_strdup(r->arena, v);
		if (!is_rcpt_block(b))
			continue;
		if ((v = rb_fblock_get(b, "Final-Recipient")) != NULL)
			rcpt = rcpt_address(r->arena, v, false);
		if ((v = rb_fblock_get(b, "Original-Recipient")) != NULL)
			orcpt = rcpt_address(r->arena, v, true);
		if (rcpt == NULL &&
		    (v = rb_fblock_get(b, "X-Actual-Recipient")) != NULL)
			rcpt = rcpt_address(r->arena, v, false);
		if (rcpt == NULL)
			rcpt = orcpt;
		if (rcpt == NULL)
			continue;
		/* Final-Recipient in A-labels, the notice in UTF-8: its
		 * spelling finds the reply under it (the key is made one
		 * spelling again after decoding, rb_report_canon_rcpts) */
		if (r->text != NULL && strstr(rcpt, "xn--") != NULL &&
		    rb_dec_find_addr(r->text, r->expl_len, rcpt) == NULL) {
			char *u = rb_addr_unicode(r->arena, rcpt);

			if (u != NULL &&
			    rb_dec_find_addr(r->text, r->expl_len, u) != NULL)
				rcpt = u;
		}
		/* the same recipient twice in one DSN is one result: the
		 * first, unless it was still being retried (delayed) and a
		 * later block says the delivery finally failed */
		{
			size_t k;

			for (k = 0; k < r->n_rcpts; k++) {
				if (rb_strcasecmp(r->rcpts[k].recipient, rcpt) == 0)
					break;
			}
			if (k < r->n_rcpts) {
				if (r->rcpts[k].kind != RB_KIND_DELAY ||
				    (v = rb_fblock_get(b, "Action")) == NULL ||
				    !rb_startswith_ci(v, "failed"))
					continue;
				rc = &r->rcpts[k];
				memset(rc, 0, sizeof(*rc));
			} else {
				rc = rb_report_add_rcpt(r, lim->max_recipients);
				if (rc == NULL)
					break;
				added++;
			}
		}
		rc->recipient = rcpt;
		rc->original_recipient = orcpt;
		if ((v = rb_fblock_get(b, "Action")) != NULL) {
			char *a = rb_arena_strdup(r->arena, v);

			a[strcspn(a, " \t;(")] = '\0';
			rc->action = rb_str_lower(a);
		}
		if ((v = rb_fblock_get(b, "Status")) != NULL)
			status_field(rc, v);
		if ((v = rb_fblock_get(b, "Diagnostic-Code")) != NULL)
			rc->diagnostic = after_type(r->arena, v,
						    &rc->diagnostic_type);
		if ((v = rb_fblock_get(b, "Remote-MTA")) != NULL)
			rc->remote_mta = after_type(r->arena, v, &type);
		if ((v = rb_fblock_get(b, "X-PowerMTA-BounceCategory")) != NULL)
			rc->category = rb_str_lower(rb_arena_strdup(r->arena, v));
		if ((v = rb_fblock_get(b, "Last-Attempt-Date")) != NULL)
			rc->last_attempt = rb_arena_strdup(r->arena, v);
		if (rc->diagnostic == NULL) {
			rb_decode_diagnostic_for(r, rc);
			if (text_disagrees(rc))
				rc->diagnostic = NULL;
		}
		if (rc->diagnostic == NULL &&
		    (v = rb_fblock_get(b, "X-Actual-Recipient")) != NULL)
			program_diagnostic(r, rc, v);
		rb_dsn_codes_from_diagnostic(rc);
		rc->kind = kind_of_action(rc->action, rc->status);
	}
	return added;
}
