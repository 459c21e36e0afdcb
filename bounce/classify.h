/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/classify.h - bounce meaning: recipients, reason, hard, fault and
 * blocklist for every recipient of a report, with the id of the evidence
 * that decided each.
 *
 * Precedence (docs/rules.md):
 *   1. rules of class "override" (provider codes, blocklist evidence);
 *   2. a specific RFC 3463 status code (the status table);
 *   3. rules of class "generic" (how mail systems word a failure);
 *   4. the weak meaning of a generic code (X.7.1, X.2.1, ...), then
 *      rules of class "fallback", then the reply code;
 *   5. "undefined" (permanent, nothing said) or "onhold" (temporary).
 */
#ifndef REBOUND_BOUNCE_CLASSIFY_H
#define REBOUND_BOUNCE_CLASSIFY_H

#include "bounce/rules.h"
#include "core/limits.h"
#include "parsers/report.h"

struct rb_classifier {
	const struct rb_ruleset *rules;
	struct rb_rule_matcher *matcher;
	struct rb_limits limits;
};

/* Turns the parsed pieces of @r into recipient results and decides each
 * recipient's reason, hard, fault, blocklist and rule. Complaints
 * (a feedback-report part) are left to fbl/. */
void rb_bounce_classify(struct rb_report *r, struct rb_classifier *c);

/* Decides reason/hard/fault/blocklist/rule of one recipient. */
void rb_bounce_decide(struct rb_report *r, struct rb_rcpt *rc,
		      struct rb_classifier *c);

/* Is @r an RFC 3834 automatic reply (vacation, out of office)? Sets
 * @r->rule to the evidence when it is. */
bool rb_autoreply_detect(struct rb_report *r);

/* Default fault of a reason (DESIGN.md: whose failure it is). */
enum rb_fault rb_reason_fault(const char *reason);

#endif
