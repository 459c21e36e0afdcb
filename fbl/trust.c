/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fbl/trust.c - complaint trust policy (see trust.h).
 */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "fbl/trust.h"

bool rb_fbl_is_complaint(const struct rb_report *r)
{
	return r->kind == RB_KIND_COMPLAINT || r->kind == RB_KIND_NOT_SPAM ||
	       r->kind == RB_KIND_AUTH_FAILURE;
}

bool rb_fbl_trusted(const struct rb_report *r, const struct rb_fbl_origin *o,
		    char *why_r, size_t why_size)
{
	const char *p = r->fb.provider;

	if (!rb_fbl_is_complaint(r))
		return true;
	if (o == NULL || o->provider == NULL || *o->provider == '\0') {
		if (why_r != NULL && why_size > 0)
			(void)snprintf(why_r, why_size,
				       "untrusted-complaint: not a feedback-loop mailbox");
		return false;
	}
	if (rb_strcasecmp(o->provider, "any") == 0)
		return true;
	if (p == NULL) {
		if (why_r != NULL && why_size > 0)
			(void)snprintf(why_r, why_size,
				       "untrusted-complaint: reporter not recognised (mailbox is registered with %s)",
				       o->provider);
		return false;
	}
	if (rb_strcasecmp(p, o->provider) == 0)
		return true;
	for (size_t i = 0; i < o->n_trusted; i++) {
		if (rb_strcasecmp(p, o->trusted[i]) == 0)
			return true;
	}
	if (why_r != NULL && why_size > 0)
		(void)snprintf(why_r, why_size,
			       "untrusted-complaint: reporter %s in a mailbox registered with %s",
			       p, o->provider);
	return false;
}
