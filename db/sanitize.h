/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sanitize.h - text on its way to PostgreSQL: valid UTF-8, no NUL.
 *
 * PostgreSQL rejects a whole COPY for one invalid byte (SQLSTATE 22021)
 * and cannot store NUL in text, while bounce diagnostics, subjects and file
 * names regularly carry Latin-1 and junk. Every text value is passed
 * through rb_db_sanitize before it reaches libpq. Pure; thread-safe.
 */
#ifndef REBOUND_DB_SANITIZE_H
#define REBOUND_DB_SANITIZE_H

#include <stddef.h>

#include "core/buf.h"

/* Appends @len bytes at @s to @out as valid UTF-8 without NUL: every NUL
 * byte and every byte that does not start a well-formed sequence (bad
 * lead or continuation bytes, overlong forms, surrogates, code points above
 * U+10FFFF, a sequence cut at the end) becomes U+FFFD. At most @max bytes
 * are appended (0 = no cap), cut at a character boundary. Returns the
 * number of replacements made. */
size_t rb_db_sanitize(struct rb_buf *out, const char *s, size_t len,
		      size_t max);

/* Returns (owned) the sanitised copy of @len bytes at @s. */
char *rb_db_sanitize_dup(const char *s, size_t len);

#endif
