/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/codes.h - RFC 3463 enhanced status codes and RFC 5321 reply codes:
 * validation and extraction from free text. Pure functions, thread-safe.
 */
#ifndef REBOUND_PARSERS_CODES_H
#define REBOUND_PARSERS_CODES_H

#include <stdbool.h>
#include <stddef.h>

#define RB_STATUS_MAX 12 /* "5.123.123" + NUL, rounded */

/* Is @s exactly a valid RFC 3463 code: [245].d{1,3}.d{1,3}? */
bool rb_status_valid(const char *s);

/* Validates and normalises @s (trims, drops leading zeros in subject and
 * detail, drops a trailing comment such as "5.1.1 (bad)") into @out_r.
 * Returns 0 or -1 when @s does not start with a valid code. */
int rb_status_normalize(const char *s, char out_r[RB_STATUS_MAX]);

/* Finds the first enhanced status code that stands as a word in @text
 * (not part of an IP address or version number). Returns 0 and fills @out_r
 * (and the offset in @off_r, may be NULL) or -1. */
int rb_status_find(const char *text, char out_r[RB_STATUS_MAX], size_t *off_r);

/* Where the first plausible three-digit reply code of @text starts
 * (2xx/4xx/5xx after a separator or at the start, followed by a
 * separator or the end), or NULL. */
const char *rb_reply_at(const char *text);

/* Finds an SMTP reply code ([245]dd) at the start of @text or after a
 * separator, followed by space, '-' or end. Returns 0 and fills @out_r or -1. */
int rb_reply_find(const char *text, char out_r[4]);

/* Returns the SMTP command a failure happened after, as said in @text
 * ("in reply to end of DATA command", "after RCPT TO", ">>> DATA"):
 * "CONN", "HELO", "MAIL", "RCPT", "DATA", or NULL when it says none. */
/* The SMTP command that the text @s starts with ("DATA", "RCPT TO:<..>",
 * "ehlo x"), as "DATA", "RCPT", "MAIL" or "HELO"; NULL if none. */
const char *rb_smtp_command_word(const char *s);
const char *rb_smtp_command_find(const char *text, size_t len);

/* Removes, in place, the continuation prefixes of a multi-line SMTP reply
 * joined into one line: "550-5.7.1 a 550-5.7.1 b 550 5.7.1 c" becomes
 * "550-5.7.1 a b c". Only repeats of the first reply code (and its
 * enhanced code) after a space are removed. */
void rb_reply_join(char *s);

/* Class digit of a status or reply code: 2, 4, 5, or 0 when absent. */
int rb_code_class(const char *code);

/* True for codes whose subject/detail says nothing specific: X.0.0 and the
 * catch-alls that mail systems use for everything (X.7.1, X.7.0, X.5.0,
 * X.1.0, X.2.0, X.3.0, X.4.0) -- the text decides those. */
bool rb_status_generic(const char *status);

#endif
