/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/dsn.h - the meaning of an RFC 3464 / RFC 6533 delivery-status
 * body: one recipient result per recipient block.
 */
#ifndef REBOUND_BOUNCE_DSN_H
#define REBOUND_BOUNCE_DSN_H

#include "core/limits.h"
#include "parsers/report.h"

/* Reads @r->ds_raw into recipients of @r. Returns the number of recipients
 * added (0 when the body holds none). */
size_t rb_dsn_read(struct rb_report *r, const struct rb_limits *lim);

/* Fills status/reply code of @rc from its diagnostic where the DSN gave
 * none or only a generic one. */
void rb_dsn_codes_from_diagnostic(struct rb_rcpt *rc);

#endif
