/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fbl/trust.h - complaint trust policy. A complaint (abuse, opt-out,
 * not-spam, auth-failure) can suppress an address, so it is believed only
 * when it arrived in a mailbox registered as a feedback loop with a
 * provider programme, and its reporter is that provider (or one the
 * operator declared trusted for that mailbox). Anything else is
 * quarantined with the reason and suppresses nothing.
 */
#ifndef REBOUND_FBL_TRUST_H
#define REBOUND_FBL_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "parsers/report.h"

/* Where a message arrived, as far as complaint trust is concerned. */
struct rb_fbl_origin {
	const char *provider; /* programme the mailbox is registered with
			       * ("yahoo", "microsoft", "validity", ...,
			       * "any"), or NULL: not a feedback-loop mailbox */
	const char *const *trusted; /* further providers trusted there */
	size_t n_trusted;
};

/* Is @r a complaint-type report (complaint, not-spam, auth-failure)? */
bool rb_fbl_is_complaint(const struct rb_report *r);

/*
 * Decides whether complaint @r may be believed given where it arrived.
 * Returns true for non-complaints. When false, @why_r (may be NULL)
 * receives a one-line reason for the quarantine, e.g.
 * "untrusted-complaint: not a feedback-loop mailbox".
 */
bool rb_fbl_trusted(const struct rb_report *r, const struct rb_fbl_origin *o,
		    char *why_r, size_t why_size);

#endif
