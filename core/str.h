/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/str.h - small string helpers that replace the banned libc calls.
 *
 * All functions are pure and thread-safe.
 */
#ifndef REBOUND_CORE_STR_H
#define REBOUND_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies @src into @dst of @size bytes, always NUL-terminating. Returns
 * strlen(src); a result >= size means truncation. */
size_t rb_strlcpy(char *dst, const char *src, size_t size);

/* Parses a whole decimal unsigned number. Returns 0 or -1. */
int rb_parse_u32(const char *s, uint32_t *out_r);
int rb_parse_u64(const char *s, uint64_t *out_r);

/* Does any of the @n @needles occur in @len bytes of @hay, ASCII case
 * folded? Needles with non-ASCII letters are not searched in ASCII text. */
bool rb_contains_any(const char *hay, size_t len, const char *const *needles,
		     size_t n);

/* Does @len bytes of @s hold a byte >= 0x80 (non-ASCII text)? */
bool rb_has_high(const char *s, size_t len);

/* ASCII case-insensitive helpers (locale-free). */
int rb_strcasecmp(const char *a, const char *b);
int rb_strncasecmp(const char *a, const char *b, size_t n);
/* Returns a pointer into @hay at the first case-insensitive match of @needle
 * within @len bytes, or NULL. */
const char *rb_memcasemem(const char *hay, size_t len, const char *needle);
bool rb_startswith_ci(const char *s, const char *prefix);
char *rb_str_lower(char *s);

/* Trims ASCII whitespace at both ends, in place; returns @s moved past the
 * leading space. */
char *rb_str_trim(char *s);
/* Collapses runs of whitespace (incl. CR/LF/TAB) into one space, in place. */
void rb_str_squeeze(char *s);
/* As rb_str_squeeze, from the first @len bytes of @src (or up to a NUL)
 * into @dst, which has room for @len + 1 bytes; returns the length
 * written (without the NUL). */
size_t rb_str_squeeze_copy(char *dst, const char *src, size_t len);

/* Is @s (NUL-terminated) valid UTF-8? */
bool rb_utf8_valid(const char *s, size_t len);

#endif
