/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/acsearch.c - Aho-Corasick automaton (see acsearch.h). A full
 * transition table over byte classes: one class for each byte that occurs
 * in a literal and one for all others, so the table stays small enough to
 * stay in cache; outputs as chains through "dictionary suffix" links.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/acsearch.h"
#include "core/mem.h"

struct rb_acsearch {
	int32_t *next;	 /* n * ncls transitions; once built, each is
			  * 2 * state + (1 if the state emits a literal) */
	uint16_t *next16; /* the same in half the space, when it fits
			   * (then next is NULL) */
	int32_t *fail;
	int32_t *out;	 /* literal ending at the node, or -1 */
	int32_t *dict;	 /* nearest node on the fail chain with out >= 0 */
	int32_t *emit;	 /* the node itself if out >= 0, else dict */
	size_t n;
	size_t cap;
	unsigned ncls;
	unsigned char cls[128]; /* byte (< 0x80) -> class; 0 = in no literal */
};

static int32_t new_node(struct rb_acsearch *a)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->next = rb_xrealloc(a->next, a->cap * a->ncls * sizeof(*a->next));
		a->fail = rb_xrealloc(a->fail, a->cap * sizeof(*a->fail));
		a->out = rb_xrealloc(a->out, a->cap * sizeof(*a->out));
		a->dict = rb_xrealloc(a->dict, a->cap * sizeof(*a->dict));
	}
	memset(&a->next[a->n * a->ncls], 0xff, a->ncls * sizeof(*a->next));
	a->fail[a->n] = 0;
	a->out[a->n] = -1;
	a->dict[a->n] = -1;
	return (int32_t)a->n++;
}

struct rb_acsearch *rb_acsearch_new(char *const *lits, size_t n)
{
	struct rb_acsearch *a = rb_xcalloc(1, sizeof(*a));
	int32_t *queue;
	size_t qh = 0, qt = 0;
	unsigned k;

	/* the byte classes */
	a->ncls = 1;
	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *p = (const unsigned char *)lits[i]; *p;
		     p++) {
			unsigned c = *p & 0x7f;

			if (a->cls[c] == 0)
				a->cls[c] = (unsigned char)a->ncls++;
		}
	}
	new_node(a);
	for (size_t i = 0; i < n; i++) {
		int32_t s = 0;

		for (const unsigned char *p = (const unsigned char *)lits[i]; *p;
		     p++) {
			unsigned c = a->cls[*p & 0x7f];

			if (a->next[(size_t)s * a->ncls + c] < 0) {
				int32_t t = new_node(a);

				a->next[(size_t)s * a->ncls + c] = t;
			}
			s = a->next[(size_t)s * a->ncls + c];
		}
		/* duplicates: the first id wins; callers map ids themselves */
		if (a->out[s] < 0)
			a->out[s] = (int32_t)i;
	}
	/* breadth-first: fail links, dictionary links, full transitions */
	queue = rb_xmalloc(a->n * sizeof(*queue));
	for (k = 0; k < a->ncls; k++) {
		int32_t t = a->next[k];

		if (t < 0) {
			a->next[k] = 0;
		} else {
			a->fail[t] = 0;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];
		int32_t f = a->fail[s];
		int32_t *row = &a->next[(size_t)s * a->ncls];
		const int32_t *frow = &a->next[(size_t)f * a->ncls];

		a->dict[s] = a->out[f] >= 0 ? f : a->dict[f];
		for (k = 0; k < a->ncls; k++) {
			int32_t t = row[k];

			if (t < 0) {
				row[k] = frow[k];
			} else {
				a->fail[t] = frow[k];
				queue[qt++] = t;
			}
		}
	}
	free(queue);
	a->emit = rb_xmalloc(a->n * sizeof(*a->emit));
	for (size_t s = 0; s < a->n; s++)
		a->emit[s] = a->out[s] >= 0 ? (int32_t)s : a->dict[s];
	/* the scan reads the emit flag with the transition, not apart */
	for (size_t i = 0; i < a->n * a->ncls; i++)
		a->next[i] = 2 * a->next[i] + (a->emit[a->next[i]] >= 0);
	if (2 * a->n <= UINT16_MAX) {
		a->next16 = rb_xmalloc(a->n * a->ncls * sizeof(*a->next16));
		for (size_t i = 0; i < a->n * a->ncls; i++)
			a->next16[i] = (uint16_t)a->next[i];
		free(a->next);
		a->next = NULL;
	}
	return a;
}

void rb_acsearch_free(struct rb_acsearch **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	free((*ap)->next);
	free((*ap)->next16);
	free((*ap)->fail);
	free((*ap)->out);
	free((*ap)->dict);
	free((*ap)->emit);
	free(*ap);
	*ap = NULL;
}

/* Marks the literals that end at state @s (which emits). */
static void emit(const struct rb_acsearch *a, int32_t s, unsigned char *seen_r)
{
	for (int32_t o = a->emit[s]; o >= 0; o = a->dict[o]) {
		int32_t id = a->out[o];

		seen_r[id >> 3] |= (unsigned char)(1u << (id & 7));
	}
}

void rb_acsearch_scan(const struct rb_acsearch *a, const char *text,
		      size_t len, unsigned char *seen_r)
{
	size_t ncls = a->ncls;
	int32_t s = 0, t;

	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)text[i];

		if (c >= 0x80) {
			s = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (a->next16 != NULL)
			t = a->next16[(size_t)s * ncls + a->cls[c]];
		else
			t = a->next[(size_t)s * ncls + a->cls[c]];
		s = t >> 1;
		if (t & 1)
			emit(a, s, seen_r);
	}
}
