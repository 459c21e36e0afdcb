/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/decode.h - decoders for bounces without a delivery-status part:
 * find the recipients, their diagnostic text and codes in the
 * human-readable part. The generic decoder reads the layouts most MTAs
 * share (address line + indented reason; "addr... reason"; "RCPT TO:<addr>
 * ... said:"); family decoders plug in ahead of it through the table in
 * decode.c. The decoders live in decode.c, decode_list.c and decode_ses.c;
 * decode_int.h is private to them.
 */
#ifndef REBOUND_BOUNCE_DECODE_H
#define REBOUND_BOUNCE_DECODE_H

#include "bounce/classify.h"

/* A decoder returns the number of recipients it added (0 = not mine). */
typedef size_t (*rb_decoder_fn)(struct rb_report *r, struct rb_classifier *c,
				const char *expl, size_t len);

/* Runs the decoders over @r->text. Sets @r->rule to the decoder's id. */
void rb_decode_text(struct rb_report *r, struct rb_classifier *c);

/* Sets @rc->diagnostic from the line of the human-readable text that
 * names the recipient (and the lines that continue it). */
void rb_decode_diagnostic_for(struct rb_report *r, struct rb_rcpt *rc);

/* Returns the SMTP command the recipient's failure answered, from the
 * human-readable text around its address ("in reply to end of DATA
 * command", a ">>> DATA" transcript line), or NULL. */
const char *rb_decode_command_for(const struct rb_report *r,
				  const struct rb_rcpt *rc);

/* Does @r look like a delivery failure notice at all? */
bool rb_decode_is_failure_notice(const struct rb_report *r);

#endif
