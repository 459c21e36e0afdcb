/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/decode_int.h - private to the text decoders (decode.c,
 * decode_list.c, decode_ses.c): the helpers they share and the decoders
 * that decode.c's table calls from the other files. Not for use outside
 * bounce/decode*.c; the public interface is decode.h.
 */
#ifndef REBOUND_BOUNCE_DECODE_INT_H
#define REBOUND_BOUNCE_DECODE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "bounce/classify.h"
#include "bounce/decode.h"
#include "core/mem.h"
#include "parsers/report.h"

/* The longest diagnostic a text decoder takes from the explanation. */
#define RB_DEC_DIAG_MAX 2048

/* decode.c: shared helpers */

/* Is the line at @b a header or DSN field ("Final-Recipient: rfc822; a",
 * "To: a")? Such a line names the address but says nothing about the
 * failure. */
bool rb_dec_field_line(const char *b, const char *end);
/* The first place in @h (length @n) that names @addr as a whole address,
 * not inside a longer one ("ann@x" in "joann@x", "a@x.com" in
 * "a@x.com.au"), or NULL. */
const char *rb_dec_find_addr(const char *h, size_t n, const char *addr);

/* Is @a, found loose in the text, more likely the sender's or the
 * bounce's own address (the daemon, the envelope recipient, the
 * original sender) than the failed recipient? */
bool rb_dec_ignorable_addr(const struct rb_report *r, const char *a);

/* Returns the recipient of @r for @addr (compared case-insensitively),
 * adding it when it is new; NULL once the recipient limit is reached.
 * @addr must live as long as @r (arena). */
struct rb_rcpt *rb_dec_add(struct rb_report *r, struct rb_classifier *c,
			   char *addr);

/* Returns (arena @a) the address when the line at @p (len @n) consists of
 * one address and punctuation only, else NULL. */
char *rb_dec_lone_address(struct rb_arena *a, const char *p, size_t n);

/* The leading blanks of the line at @p (ending at @le). */
size_t rb_dec_indent_of(const char *p, const char *le);

/* Is the address at @at (in text starting at @t) offered as somewhere to
 * write to ("please contact <a>", "mailto:a")? A contact address is not
 * a failed recipient. */
bool rb_dec_contact_address(const char *t, const char *at);

/* Does the line (len @n) introduce a list of recipients that did not
 * fail ("sent to the following recipients as well:")? */
bool rb_dec_others_list_intro(const char *p, size_t n);

/* decode_list.c: decoders (rb_decoder_fn) */

/* Phrases that name the failed recipient ("could not be delivered to a",
 * "RCPT TO:<a>", "Empfänger: a") and the lists of recipients they start,
 * each recipient with its own words. */
size_t rb_dec_phrase(struct rb_report *r, struct rb_classifier *c,
		     const char *expl, size_t len);

/* The failed address named only in the Subject ("Delivery failure to
 * a@example.net"). */
size_t rb_dec_subject(struct rb_report *r, struct rb_classifier *c,
		      const char *expl, size_t len);

/* Reports in dashed sections ("-------server message", "-------SMTP
 * command"). */
size_t rb_dec_sections(struct rb_report *r, struct rb_classifier *c,
		       const char *expl, size_t len);

/* decode_ses.c */

/* Is the text of @r an Amazon SES notification (the JSON object itself,
 * perhaps in SNS's envelope)? */
bool rb_dec_ses_notification(const struct rb_report *r);

/* The recipients of an Amazon SES Bounce or Delivery notification mailed
 * by SNS (a decoder, rb_decoder_fn). */
size_t rb_dec_ses_json(struct rb_report *r, struct rb_classifier *c,
		       const char *expl, size_t len);

#endif
