/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/acsearch.c - Aho-Corasick automaton (see acsearch.h). A full
 * transition table over the 128 ASCII bytes; outputs as chains through
 * "dictionary suffix" links.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/acsearch.h"
#include "core/mem.h"

struct node {
	int32_t next[128];
	int32_t fail;
	int32_t out;	 /* literal ending here, or -1 */
	int32_t dict;	 /* nearest node on the fail chain with out >= 0 */
};

struct rb_acsearch {
	struct node *nodes;
	size_t n;
	size_t cap;
};

static int32_t new_node(struct rb_acsearch *a)
{
	struct node *nd;

	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->nodes = rb_xrealloc(a->nodes, a->cap * sizeof(*a->nodes));
	}
	nd = &a->nodes[a->n];
	memset(nd->next, 0xff, sizeof(nd->next)); /* -1 */
	nd->fail = 0;
	nd->out = -1;
	nd->dict = -1;
	return (int32_t)a->n++;
}

struct rb_acsearch *rb_acsearch_new(char *const *lits, size_t n)
{
	struct rb_acsearch *a = rb_xcalloc(1, sizeof(*a));
	int32_t *queue;
	size_t qh = 0, qt = 0;

	new_node(a);
	for (size_t i = 0; i < n; i++) {
		int32_t s = 0;

		for (const unsigned char *p = (const unsigned char *)lits[i]; *p;
		     p++) {
			unsigned c = *p & 0x7f;

			if (a->nodes[s].next[c] < 0) {
				int32_t t = new_node(a);

				a->nodes[s].next[c] = t;
			}
			s = a->nodes[s].next[c];
		}
		/* duplicates: the first id wins; callers map ids themselves */
		if (a->nodes[s].out < 0)
			a->nodes[s].out = (int32_t)i;
	}
	/* breadth-first: fail links, dictionary links, full transitions */
	queue = rb_xmalloc(a->n * sizeof(*queue));
	for (unsigned c = 0; c < 128; c++) {
		int32_t t = a->nodes[0].next[c];

		if (t < 0) {
			a->nodes[0].next[c] = 0;
		} else {
			a->nodes[t].fail = 0;
			queue[qt++] = t;
		}
	}
	while (qh < qt) {
		int32_t s = queue[qh++];
		struct node *nd = &a->nodes[s];
		int32_t f = nd->fail;

		nd->dict = a->nodes[f].out >= 0 ? f : a->nodes[f].dict;
		for (unsigned c = 0; c < 128; c++) {
			int32_t t = a->nodes[s].next[c];

			if (t < 0) {
				a->nodes[s].next[c] = a->nodes[a->nodes[s].fail].next[c];
			} else {
				a->nodes[t].fail = a->nodes[a->nodes[s].fail].next[c];
				queue[qt++] = t;
			}
		}
	}
	free(queue);
	return a;
}

void rb_acsearch_free(struct rb_acsearch **ap)
{
	if (ap == NULL || *ap == NULL)
		return;
	free((*ap)->nodes);
	free(*ap);
	*ap = NULL;
}

void rb_acsearch_scan(const struct rb_acsearch *a, const char *text,
		      size_t len, unsigned char *seen_r)
{
	int32_t s = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned c = (unsigned char)text[i];
		int32_t o;

		if (c >= 0x80) {
			s = 0;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c += 32;
		s = a->nodes[s].next[c];
		for (o = a->nodes[s].out >= 0 ? s : a->nodes[s].dict; o >= 0;
		     o = a->nodes[o].dict) {
			int32_t id = a->nodes[o].out;

			seen_r[id >> 3] |= (unsigned char)(1u << (id & 7));
		}
	}
}
