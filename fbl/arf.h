/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fbl/arf.h - complaint reports: RFC 5965 ARF, RFC 6591 auth-failure,
 * RFC 6430 not-spam, Microsoft JMRP (legacy and its sparse ARF form), and
 * Apple's one-click unsubscribe notice; plus which provider sent it.
 */
#ifndef REBOUND_FBL_ARF_H
#define REBOUND_FBL_ARF_H

#include <stdbool.h>

#include "core/limits.h"
#include "parsers/report.h"

/*
 * If @r is a complaint-type report, fills @r->fb, one recipient result per
 * complained-about recipient (reason "feedback") and @r->kind, and returns
 * true. Returns false (and changes nothing) for anything else.
 */
bool rb_fbl_classify(struct rb_report *r, const struct rb_limits *lim);

/* Returns the provider name of a report from its sender, user agent and
 * reporting MTA ("yahoo", "microsoft", "validity", "amazonses", "mailru",
 * "zoho", "abusix", "apple", "cox", "comcast", "charter", "gmx",
 * "seznam", "italiaonline", ...), or NULL. */
const char *rb_fbl_provider(const struct rb_report *r);

#endif
