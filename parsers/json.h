/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/json.h - just enough JSON to read notifications that arrive as
 * mail (Amazon SES through SNS): find a key, read a string, walk the
 * objects of an array. Tolerant of line breaks inserted by mail transport.
 * Pure functions over (p, end); results borrowed from the arena.
 */
#ifndef REBOUND_PARSERS_JSON_H
#define REBOUND_PARSERS_JSON_H

#include <stddef.h>

#include "core/mem.h"

/* Returns a pointer to the value of the first "key": at or after @p
 * (before @end), or NULL. */
const char *rb_json_value(const char *p, const char *end, const char *key);

/* Reads the JSON string at @p (a value pointer), unescaping \" \\ \/ \n
 * \t \uXXXX (BMP, as UTF-8). Returns (arena) the string or NULL. */
char *rb_json_get_string(struct rb_arena *a, const char *p, const char *end);

/* Returns the end (one past the closing bracket) of the object or array
 * starting at @p, or NULL when unbalanced. */
const char *rb_json_skip(const char *p, const char *end);

/* Iterates the elements of the array at @p: set *it_r = NULL first; each
 * call returns the next element's start (and sets *it_r past it), or NULL
 * at the end. */
const char *rb_json_next(const char *p, const char *end, const char **it_r);

/* Finds "@key" in @text; when the JSON came wrapped as an escaped string
 * (an SNS envelope's "Message"), unwraps it first. Returns the position
 * of the key's quote and sets *end_r to the end of the JSON text that
 * holds it, or NULL. */
const char *rb_json_locate(struct rb_arena *a, const char *text, size_t len,
			   const char *key, const char **end_r);

#endif
