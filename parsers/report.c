/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/report.c - report lifecycle.
 */
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/fields.h"
#include "parsers/report.h"

const char *rb_kind_name(enum rb_kind kind)
{
	switch (kind) {
	case RB_KIND_UNKNOWN:
		return "unknown";
	case RB_KIND_BOUNCE:
		return "bounce";
	case RB_KIND_DELAY:
		return "delay";
	case RB_KIND_DELIVERED:
		return "delivered";
	case RB_KIND_COMPLAINT:
		return "complaint";
	case RB_KIND_NOT_SPAM:
		return "not-spam";
	case RB_KIND_AUTH_FAILURE:
		return "auth-failure";
	case RB_KIND_AUTOREPLY:
		return "autoreply";
	}
	return "unknown";
}

const char *rb_fault_name(enum rb_fault fault)
{
	switch (fault) {
	case RB_FAULT_UNKNOWN:
		return "unknown";
	case RB_FAULT_RECIPIENT:
		return "recipient";
	case RB_FAULT_SENDER:
		return "sender";
	case RB_FAULT_MESSAGE:
		return "message";
	case RB_FAULT_NETWORK:
		return "network";
	}
	return "unknown";
}

struct rb_report *rb_report_new(void)
{
	struct rb_report *r = rb_xcalloc(1, sizeof(*r));

	r->arena = rb_arena_new();
	return r;
}

void rb_report_free(struct rb_report **rp)
{
	if (rp == NULL || *rp == NULL)
		return;
	rb_arena_free(&(*rp)->arena);
	free(*rp);
	*rp = NULL;
}

struct rb_rcpt *rb_report_add_rcpt(struct rb_report *r, size_t max)
{
	if (r->n_rcpts >= max) {
		r->flags |= RB_PF_LIMIT_HIT;
		return NULL;
	}
	if (r->n_rcpts == r->cap_rcpts) {
		size_t ncap = r->cap_rcpts ? r->cap_rcpts * 2 : 4;
		struct rb_rcpt *n = rb_arena_alloc(r->arena, ncap * sizeof(*n));

		if (r->n_rcpts)
			memcpy(n, r->rcpts, r->n_rcpts * sizeof(*n));
		r->rcpts = n;
		r->cap_rcpts = ncap;
	}
	memset(&r->rcpts[r->n_rcpts], 0, sizeof(r->rcpts[0]));
	return &r->rcpts[r->n_rcpts++];
}

void rb_report_canon_rcpts(struct rb_report *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_rcpts; i++) {
		struct rb_rcpt *rc = &r->rcpts[i];
		size_t k;

		rc->recipient = rb_addr_canon(r->arena, rc->recipient);
		rc->original_recipient =
			rb_addr_canon(r->arena, rc->original_recipient);
		for (k = 0; k < n; k++) {
			if (rc->recipient != NULL && r->rcpts[k].recipient &&
			    rb_strcasecmp(r->rcpts[k].recipient,
					  rc->recipient) == 0)
				break;
		}
		if (k < n) {
			if (rc->kind == RB_KIND_BOUNCE &&
			    r->rcpts[k].kind != RB_KIND_BOUNCE)
				r->rcpts[k] = *rc;
			continue;
		}
		if (n != i)
			r->rcpts[n] = *rc;
		n++;
	}
	r->n_rcpts = n;
}

/* ASCII lower case of @c, for a first-byte check before a full compare. */
static int fold(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : (unsigned char)c;
}

const char *rb_hdr_value(struct rb_hdr *h)
{
	if (h->raw) {
		rb_str_squeeze(h->value);
		h->raw = false;
	}
	return h->value;
}

static const char *hdr_find(struct rb_hdr *h, size_t n, const char *name)
{
	int c0 = fold(name[0]);

	for (size_t i = 0; i < n; i++) {
		if (fold(h[i].name[0]) == c0 &&
		    rb_strcasecmp(h[i].name, name) == 0)
			return rb_hdr_value(&h[i]);
	}
	return NULL;
}

bool rb_null_path(const char *v)
{
	return v != NULL && strstr(v, "<>") != NULL;
}

const char *rb_report_header(const struct rb_report *r, const char *name)
{
	return hdr_find(r->headers, r->n_headers, name);
}

const char *rb_original_header(const struct rb_original *o, const char *name)
{
	return hdr_find(o->headers, o->n_headers, name);
}
