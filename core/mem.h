/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/mem.h - allocation that aborts on exhaustion, and per-message arenas.
 *
 * Running out of memory aborts (as in Postfix, Dovecot, GLib). Memory spent
 * on untrusted input is bounded by limits, not by NULL checks.
 *
 * An rb_arena is a bump allocator: everything allocated from it is released
 * at once by rb_arena_free(). Not thread-safe; one arena per message.
 */
#ifndef REBOUND_CORE_MEM_H
#define REBOUND_CORE_MEM_H

#include <stddef.h>

void *rb_xmalloc(size_t n);
void *rb_xcalloc(size_t n, size_t size);
void *rb_xrealloc(void *p, size_t n);
/* Returns (owned) a copy of @s. */
char *rb_xstrdup(const char *s);
/* Returns (owned) a NUL-terminated copy of @len bytes at @s. */
char *rb_xstrndup(const char *s, size_t len);

struct rb_arena;

struct rb_arena *rb_arena_new(void);
void rb_arena_free(struct rb_arena **ap);
/* Returns zeroed memory (borrowed from @a), aligned for any object. */
void *rb_arena_alloc(struct rb_arena *a, size_t n);
/* Copies (borrowed from @a). NULL in gives NULL out. */
char *rb_arena_strdup(struct rb_arena *a, const char *s);
char *rb_arena_strndup(struct rb_arena *a, const char *s, size_t len);
/* Bytes handed out so far (for limits and statistics). */
size_t rb_arena_used(const struct rb_arena *a);

#endif
