/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/parse.h - bytes -> report: the entry point of the parsers layer.
 *
 * rb_parse walks the MIME structure with GMime under hard limits and fills
 * a report with everything the classifiers need: the bounce's own headers,
 * its human-readable text (UTF-8), the decoded delivery-status and
 * feedback-report bodies, and the original message's identity including the
 * resolved sender. It never fails on bad input: limits and malformed MIME
 * set RB_PF_* flags. No I/O, no global configuration.
 *
 * Call rb_parse_init() once from main() before threads start.
 */
#ifndef REBOUND_PARSERS_PARSE_H
#define REBOUND_PARSERS_PARSE_H

#include <stddef.h>

#include <gmime/gmime.h>

#include "core/limits.h"
#include "core/net.h"
#include "parsers/report.h"

struct rb_parse_opts {
	struct rb_limits limits;
	const char *const *tracking_headers; /* relay headers naming the sender */
	size_t n_tracking_headers;
	const char *verp; /* VERP local-part template, "" or NULL = off */
	const struct rb_net *outbound; /* the relay's sending networks */
	size_t n_outbound;		 /* (0: not configured) */
};

void rb_parse_init(void);
void rb_parse_shutdown(void);

/* Parses @len bytes at @buf. Returns (owned) a report; never NULL. */
struct rb_report *rb_parse(const char *buf, size_t len,
			   const struct rb_parse_opts *opts);

/* Fills @r->orig from a block of header text (used for every form the
 * original comes back in). @found_in is a static label. */
void rb_original_from_headers(struct rb_report *r, const char *text,
			      size_t len, const char *found_in,
			      const struct rb_parse_opts *opts);

/* Reads the original from an Amazon SES notification mailed as JSON: its
 * "mail" object's "headers" (when the sender asked SES to include them),
 * else "commonHeaders"; "source" is the envelope sender. found_in is
 * "json". Nothing when the text is no such notification. */
void rb_original_from_ses(struct rb_report *r,
			  const struct rb_parse_opts *opts);

/* Looks for original headers quoted inline in @r->text. */
void rb_original_from_text(struct rb_report *r,
			   const struct rb_parse_opts *opts);

/* Length of the explanation part of @text: up to the line where the
 * returned original message starts ("Below this line is a copy of the
 * message", "----- Original message -----", ...). */
size_t rb_text_explanation_len(const char *text, size_t len);

/* Decodes the RFC 2047 encoded words of header value @v to UTF-8 (with
 * GMime; adjacent base64 words in one charset are decoded as one). Returns
 * (owned, g_free) the text. @popts may be NULL. */
char *rb_header_decode(GMimeParserOptions *popts, const char *v);

/* Resolves the sender identity of the original message in the DESIGN.md
 * order: tracking headers, VERP, ARF Original-Mail-From, Return-Path,
 * Sender, From. Call again after the ARF fields are known. */
void rb_original_resolve_sender(struct rb_report *r,
				const struct rb_parse_opts *opts);

#endif
