/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/report.h - the report: the contract between the parsers and
 * everything after them (see DESIGN.md, "The report").
 *
 * One parsed message gives one struct rb_report. Every string in it is
 * borrowed from the report's arena and lives until rb_report_free(). Text
 * fields are NULL when absent. Not thread-safe; one report per worker.
 */
#ifndef REBOUND_PARSERS_REPORT_H
#define REBOUND_PARSERS_REPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/mem.h"
#include "parsers/codes.h"

enum rb_kind {
	RB_KIND_UNKNOWN = 0,
	RB_KIND_BOUNCE,
	RB_KIND_DELAY,
	RB_KIND_DELIVERED,
	RB_KIND_COMPLAINT,
	RB_KIND_NOT_SPAM,
	RB_KIND_AUTH_FAILURE,
	RB_KIND_AUTOREPLY,
};

struct rb_rcpt;

enum rb_fault {
	RB_FAULT_UNKNOWN = 0,
	RB_FAULT_RECIPIENT,
	RB_FAULT_SENDER,
	RB_FAULT_MESSAGE,
	RB_FAULT_NETWORK,
};

/* What was said about one recipient. */
struct rb_rcpt {
	enum rb_kind kind;	  /* per-recipient kind (a DSN may mix actions) */
	char *recipient;	  /* final recipient, addr-spec */
	char *original_recipient; /* RFC 3461 ORCPT, xtext-decoded */
	const char *orcpt_from;	  /* where it came from, or why it was
				     left out, for explain; NULL: the DSN */
	char *action;		  /* failed, delayed, delivered, relayed, expanded */
	char status[RB_STATUS_MAX]; /* RFC 3463, validated; "" if none */
	char reply_code[4];	  /* SMTP reply code; "" if none */
	char *diagnostic;	  /* human text, whitespace squeezed */
	char *diagnostic_type;	  /* "smtp", "x-unix", ... */
	char *remote_mta;
	char *last_attempt;
	char *command;		  /* last SMTP command if known */
	char *category;		  /* the sending MTA's own verdict, e.g.
				     X-PowerMTA-BounceCategory "bad-mailbox" */
	const char *reason;	  /* reason vocabulary (static string) */
	bool hard;
	enum rb_fault fault;
	const char *blocklist;	  /* e.g. "spamhaus-zen" (static or arena) */
	char *rule;		  /* id of the evidence that decided reason */
	char *evidence;		  /* the text that rule matched, for explain */
	char *blocklist_rule;	  /* id of the rule that named the blocklist */
	const char *status_from;  /* where status came from: "dsn", "diagnostic", "rule", "reason" */
	char *sending_ip;	  /* our IP as the refusing server named it
				     ("Client host [IP] blocked"), or NULL */
	const char *hard_from;	  /* "reason", or the rule that forced it */
	const char *fault_from;	  /* "reason", or the rule that forced it */
};

/* One header field of the bounce itself, decoded to UTF-8. Read the value
 * through rb_report_header() or rb_hdr_value(): a field of the bounce is
 * kept as it came (raw) and squeezed when first read, since most fields
 * (Received, DKIM-Signature, ...) are never looked at. */
struct rb_hdr {
	char *name;
	char *value;
	bool raw; /* value still to be squeezed (rb_str_squeeze) */
};

/* The original (returned) message, as far as it came back. */
struct rb_original {
	const char *found_in; /* "message/rfc822", "text/rfc822-headers", "inline", "json", NULL */
	struct rb_hdr *headers;
	size_t n_headers;
	char *sender;	     /* resolved sender identity */
	const char *sender_source; /* "header:X-AuthUser", "verp", ... */
	char *sender_id;     /* value of the relay's tracking header */
	char *envelope_from; /* Return-Path / Original-Mail-From */
	char *from;	     /* From: addr-spec */
	char *to;	     /* To: addr-spec of the original */
	char *message_id;    /* without angle brackets */
	char *subject;
	char *list_id;
	char *source_ip;     /* first external IP seen in Received:, if any */
};

/* ARF (RFC 5965/6591/6430) fields and the provider guess. */
struct rb_complaint {
	char *feedback_type; /* lowercase */
	char *user_agent;
	char *version;
	char *reporting_mta;
	char *source_ip;
	char *arrival_date;
	char *original_mail_from;
	char *original_rcpt_to;
	char *reported_domain;
	char *reported_uri;
	char *auth_results;
	char *incidents;
	const char *provider; /* "yahoo", "microsoft", "validity", ... */
};

struct rb_report {
	struct rb_arena *arena;
	enum rb_kind kind;
	unsigned flags; /* RB_PF_* from parsers/fields.h */
	const char *rule; /* message-level decision (kind; why no recipient) */
	const char *why;  /* words for explain behind that rule, or NULL */

	/* the returned mail itself */
	struct rb_hdr *headers;
	size_t n_headers;
	char *subject;
	char *from;	       /* From: addr-spec of the bounce */
	char *envelope_to;     /* Delivered-To / X-Original-To / To of the bounce */
	char *text;	       /* human-readable parts, UTF-8, capped */
	size_t text_len;
	size_t expl_len;       /* the part of text before the returned original */
	char *ds_raw;	       /* decoded message/delivery-status body */
	size_t ds_len;
	bool ds_global;	       /* RFC 6533 global-delivery-status */
	char *fr_raw;	       /* decoded message/feedback-report body */
	size_t fr_len;
	char *reporting_mta;
	char *arrival_date;
	const char *parts_seen; /* e.g. "multipart/report,text/plain,message/delivery-status" */

	struct rb_rcpt *rcpts;
	size_t n_rcpts;
	size_t cap_rcpts;

	struct rb_original orig;
	struct rb_complaint fb;
};

const char *rb_kind_name(enum rb_kind kind);
const char *rb_fault_name(enum rb_fault fault);

/* Returns (owned) an empty report with its own arena. */
struct rb_report *rb_report_new(void);
void rb_report_free(struct rb_report **rp);

/* Appends a zeroed recipient (borrowed from @r), or NULL when the
 * recipient limit @max is reached (then RB_PF_LIMIT_HIT is set). */
struct rb_rcpt *rb_report_add_rcpt(struct rb_report *r, size_t max);

/*
 * Gives every recipient and original recipient of @r its one spelling
 * (rb_addr_canon: domain lowercased, an internationalised domain as
 * A-labels), the key a suppression lookup matches. Run once, after all
 * decoding (which matches addresses against the notice's own spelling).
 * Two recipients that are then the same address are one result: the
 * first, unless only a later one is a final failure (kind bounce).
 */
void rb_report_canon_rcpts(struct rb_report *r);

/* Returns (borrowed) the first value of header @name of the bounce. */
const char *rb_report_header(const struct rb_report *r, const char *name);
/* Is the Return-Path value @v the null reverse-path ("<>", RFC 5321)? */
bool rb_null_path(const char *v);
/* The value of @h, squeezed (see struct rb_hdr). */
const char *rb_hdr_value(struct rb_hdr *h);
/* Same for the original message's headers. */
const char *rb_original_header(const struct rb_original *o, const char *name);

#endif
