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
#include "core/net.h"
#include "core/limits.h"
#include "parsers/report.h"

struct rb_classifier {
	const struct rb_ruleset *rules;
	struct rb_rule_matcher *matcher;
	struct rb_limits limits;
	const struct rb_net *outbound; /* the relay's sending networks */
	size_t n_outbound;		 /* (0: not configured) */
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

/* Does the auto-reply @r say, in its own words, that the address changed
 * ("my new address is ...")? Its reason is then hasmoved, not vacation;
 * it stays an auto-reply (the mailbox answered), so it is not hard. */
bool rb_autoreply_moved(const struct rb_report *r);

/* Does the text of @r hold a failure reply code (4xx/5xx) or an enhanced
 * status code of a failure? A mail system's notice quotes one; a
 * person's words about a failure seldom do. */
bool rb_text_has_failure_code(const struct rb_report *r);

/* Is @r a message disposition notification (RFC 8098: read, deleted,
 * displayed)? An MDN says what a reader did, never a delivery failure. */
bool rb_is_mdn(const struct rb_report *r);

/* Why @r, which has no delivery-status part of its own, is no delivery
 * report although it may talk like one: a person replying or forwarding
 * (ordinary envelope sender, "Re:"/"Fwd:" subject), list or bulk mail, an
 * application's automatic message, a mail client's receipt or recall
 * notice. NULL when none of these holds. */
const char *rb_not_report_why(const struct rb_report *r);

/* Is @r, which has no delivery-status part, a filtering gateway's notice
 * that it quarantined or holds a message (a quarantine digest, "held for
 * review")? Nothing failed; it quotes no failure code. Such a notice is
 * no bounce and no auto-reply, whatever its envelope and headers say. */
bool rb_quarantine_notice(const struct rb_report *r);

/* Is @r a phishing lure dressed as a delivery notice: a link with a call
 * to sign in, verify the account or release held mail, and no returned
 * message of the relay's? (Links alone never decide: real NDRs link to
 * help pages.) */
bool rb_lure_notice(const struct rb_report *r);

/* Is @r a mail system's notice to its postmaster about its queue (Exim's
 * "Message ... has been frozen"), not a delivery report? */
bool rb_mta_admin_notice(const struct rb_report *r);

/* Is @r Postfix's notice to its postmaster about a session into its own
 * SMTP server ("Postfix SMTP server: errors from host[ip]")? Its
 * addresses are read, but a refusal of a client by us says nothing
 * lasting about a mailbox the relay sends to: never hard. */
bool rb_smtpd_error_notice(const struct rb_report *r);

/* Did the returned message have the null reverse-path (a bounce of a
 * bounce or of an auto-reply)? */
bool rb_is_double_bounce(const struct rb_report *r);

/* The rule (r->rule) of mail that is no report: a person's or an
 * application's message, a read receipt, a bounce of a bounce. The daemon
 * leaves such mail where it was (or moves it to notreport_folder). */
#define RB_RULE_NOT_REPORT "not-a-report"
#define RB_RULE_MDN "mdn:disposition-notification"
#define RB_RULE_DOUBLE_BOUNCE "double-bounce"
#define RB_RULE_EMBEDDED_REPORT "embedded-report"
bool rb_rule_is_not_report(const char *rule);

/* Default fault of a reason (DESIGN.md: whose failure it is). */
enum rb_fault rb_reason_fault(const char *reason);

#endif
