/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/mem.c - aborting allocators and the bump arena.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "core/mem.h"

static void oom(size_t n)
{
	fprintf(stderr, "rebound: fatal: out of memory (%zu bytes)\n", n);
	abort();
}

void *rb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		oom(n);
	return p;
}

void *rb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		oom(n * size);
	return p;
}

void *rb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		oom(n);
	return q;
}

char *rb_xstrdup(const char *s)
{
	return rb_xstrndup(s, strlen(s));
}

char *rb_xstrndup(const char *s, size_t len)
{
	char *p = rb_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

#define ARENA_CHUNK 8192
#define ARENA_ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size;
	size_t used;
	/* data follows, aligned */
};

struct rb_arena {
	struct chunk *head;
	size_t total;
};

static size_t hdr_size(void)
{
	return (sizeof(struct chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
}

struct rb_arena *rb_arena_new(void)
{
	return rb_xcalloc(1, sizeof(struct rb_arena));
}

void rb_arena_free(struct rb_arena **ap)
{
	struct chunk *c, *next;

	if (ap == NULL || *ap == NULL)
		return;
	for (c = (*ap)->head; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(*ap);
	*ap = NULL;
}

void *rb_arena_alloc(struct rb_arena *a, size_t n)
{
	struct chunk *c = a->head;
	size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	char *p;

	if (need < n)
		oom(n);
	if (c == NULL || c->size - c->used < need) {
		size_t size = need > ARENA_CHUNK ? need : ARENA_CHUNK;

		c = rb_xmalloc(hdr_size() + size);
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c + hdr_size() + c->used;
	c->used += need;
	a->total += need;
	memset(p, 0, n);
	return p;
}

char *rb_arena_strdup(struct rb_arena *a, const char *s)
{
	if (s == NULL)
		return NULL;
	return rb_arena_strndup(a, s, strlen(s));
}

char *rb_arena_strndup(struct rb_arena *a, const char *s, size_t len)
{
	char *p;

	if (s == NULL)
		return NULL;
	p = rb_arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

size_t rb_arena_used(const struct rb_arena *a)
{
	return a->total;
}
