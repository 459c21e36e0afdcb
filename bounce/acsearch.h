/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/acsearch.h - Aho-Corasick over the rules' required literals: one
 * pass over a diagnostic tells which literals occur in it, so the rule
 * prefilter costs one scan instead of one strstr per literal.
 *
 * Literals are lowercase ASCII; the text is matched ASCII-case-insensitively
 * (bytes >= 0x80 never match). Built once, read-only afterwards (shareable
 * between threads).
 */
#ifndef REBOUND_BOUNCE_ACSEARCH_H
#define REBOUND_BOUNCE_ACSEARCH_H

#include <stddef.h>

struct rb_acsearch;

/* Builds the automaton of @n literals. Returns (owned) it. */
struct rb_acsearch *rb_acsearch_new(char *const *lits, size_t n);
void rb_acsearch_free(struct rb_acsearch **ap);

/* Sets bit i of @seen_r (n bits, cleared by the caller) for every literal
 * i that occurs in @len bytes of @text. */
void rb_acsearch_scan(const struct rb_acsearch *a, const char *text,
		      size_t len, unsigned char *seen_r);

#endif
