/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/classify.c - reason, hard, fault and blocklist decisions.
 */
#include <stdio.h>
#include <string.h>

#include "bounce/classify.h"
#include "bounce/decode.h"
#include "bounce/dsn.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/fields.h"

/*
 * The status table: what an RFC 3463 code (subject.detail) means in the
 * reason vocabulary. "weak" codes are used by mail systems for many
 * things, so the wording of the diagnostic is read first.
 */
struct status_meaning {
	const char *code; /* subject.detail, or a full code for vendor codes */
	const char *reason;
	int weak;
};

static const struct status_meaning status_table[] = {
	/* vendor codes with a documented meaning (full code first) */
	{"5.7.509", "authfailure", 0}, /* Microsoft: DMARC reject */
	{"5.7.510", "securityerror", 0},
	{"5.7.515", "authfailure", 0}, /* Microsoft: high-volume auth */
	{"4.7.650", "badreputation", 0}, /* Microsoft: IP reputation */
	{"4.7.651", "badreputation", 0},
	{"5.7.650", "badreputation", 0},
	{"5.7.708", "badreputation", 0},
	{"5.7.750", "blocked", 0},
	{"5.4.312", "networkerror", 0}, /* Microsoft: DNS query failed */
	{"5.4.316", "expired", 0},	 /* Microsoft: message expired */
	{"4.4.316", "expired", 0},
	{"5.1.351", "userunknown", 0},
	{"5.4.310", "hostunknown", 0},
	/* RFC 3463 / RFC 5248 */
	{"1.0", "rejected", 1},
	{"1.1", "userunknown", 0},
	{"1.2", "hostunknown", 0},
	{"1.3", "userunknown", 1},
	{"1.4", "userunknown", 1},
	{"1.5", "delivered", 0},
	{"1.6", "hasmoved", 0},
	{"1.7", "rejected", 0},
	{"1.8", "rejected", 0},
	{"1.9", "systemerror", 1},
	{"1.10", "notaccept", 1}, /* RFC 7505 null MX; Microsoft also uses it
				     for "recipient not found" (its wording
				     decides: the code is weak) */
	{"2.0", "filtered", 1},
	{"2.1", "suspend", 1},
	{"2.2", "mailboxfull", 0},
	{"2.3", "exceedlimit", 0},
	{"2.4", "systemerror", 1},
	{"3.0", "systemerror", 1},
	{"3.1", "systemfull", 0},
	{"3.2", "notaccept", 1},
	{"3.3", "systemerror", 1},
	{"3.4", "mesgtoobig", 0},
	{"3.5", "systemerror", 0},
	{"4.0", "networkerror", 1},
	{"4.1", "networkerror", 1},
	{"4.2", "networkerror", 1},
	{"4.3", "systemerror", 1},
	{"4.4", "hostunknown", 1},
	{"4.5", "systemfull", 1},
	{"4.6", "networkerror", 0},
	{"4.7", "expired", 0},
	{"5.0", "syntaxerror", 1},
	{"5.1", "syntaxerror", 1},
	{"5.2", "syntaxerror", 1},
	{"5.3", "exceedlimit", 1},
	{"5.4", "syntaxerror", 1},
	{"5.5", "syntaxerror", 1},
	{"5.6", "syntaxerror", 1},
	{"6.0", "contenterror", 1},
	{"6.1", "contenterror", 0},
	{"6.2", "contenterror", 0},
	{"6.3", "contenterror", 0},
	{"6.4", "contenterror", 0},
	{"6.5", "contenterror", 0},
	{"6.6", "contenterror", 0},
	{"6.7", "contenterror", 0},
	{"6.8", "contenterror", 0},
	{"6.9", "contenterror", 0},
	{"6.10", "contenterror", 0},
	{"7.0", "securityerror", 1},
	{"7.1", "rejected", 1},
	{"7.2", "securityerror", 1},
	{"7.3", "securityerror", 1},
	{"7.4", "securityerror", 0},
	{"7.5", "securityerror", 0},
	{"7.6", "securityerror", 0},
	{"7.7", "securityerror", 0},
	{"7.8", "securityerror", 0},
	{"7.9", "securityerror", 1},
	{"7.10", "securityerror", 0},
	{"7.11", "securityerror", 0},
	{"7.12", "securityerror", 0},
	{"7.13", "suspend", 0},
	{"7.14", "securityerror", 0},
	{"7.15", "securityerror", 0},
	{"7.16", "securityerror", 0},
	{"7.17", "hasmoved", 0},
	{"7.18", "hasmoved", 0},
	{"7.19", "securityerror", 0},
	{"7.20", "authfailure", 0},
	{"7.21", "authfailure", 0},
	{"7.22", "authfailure", 0},
	{"7.23", "authfailure", 0},
	{"7.24", "authfailure", 0},
	{"7.25", "requireptr", 0},
	{"7.26", "authfailure", 0},
	{"7.27", "notaccept", 0},
	{"7.28", "speeding", 0},
	{"7.29", "authfailure", 0},
	{"7.30", "authfailure", 0},
	{NULL, NULL, 0},
};

static int count_dots(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '.';
	return n;
}

static const struct status_meaning *status_meaning(const char *status)
{
	const struct status_meaning *m;

	if (status == NULL || status[0] == '\0')
		return NULL;
	for (m = status_table; m->code; m++) {
		if (count_dots(m->code) == 2 && strcmp(m->code, status) == 0)
			return m;
	}
	for (m = status_table; m->code; m++) {
		if (count_dots(m->code) == 1 && strcmp(m->code, status + 2) == 0)
			return m;
	}
	return NULL;
}

/* A status that a reason implies, when the mail said no code at all. */
static const char *reason_status(const char *reason, int klass)
{
	static const struct {
		const char *reason;
		const char *detail;
	} map[] = {
		{"userunknown", "1.1"},	  {"hostunknown", "1.2"},
		{"hasmoved", "1.6"},	  {"mailboxfull", "2.2"},
		{"exceedlimit", "2.3"},	  {"suspend", "2.1"},
		{"mesgtoobig", "3.4"},	  {"systemfull", "3.1"},
		{"expired", "4.7"},	  {"networkerror", "4.0"},
		{"contenterror", "6.0"},  {"authfailure", "7.26"},
		{"requireptr", "7.25"},	  {"norelaying", "7.1"},
		{"securityerror", "7.0"}, {"blocked", "7.1"},
		{"spamdetected", "7.1"},  {"policyviolation", "7.1"},
		{"virusdetected", "7.1"}, {"badreputation", "7.1"},
		{"rejected", "7.1"},	  {"filtered", "2.0"},
		{"notaccept", "3.2"},	  {"syntaxerror", "5.2"},
		{"systemerror", "3.0"},	  {"mailererror", "3.0"},
		{"toomanyconn", "4.5"},	  {"speeding", "7.1"},
		{"notcompliantrfc", "6.0"},
	};
	static char buf[RB_STATUS_MAX];

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].reason, reason) == 0) {
			(void)snprintf(buf, sizeof(buf), "%d.%s", klass,
				       map[i].detail);
			return buf;
		}
	}
	return NULL;
}

enum rb_fault rb_reason_fault(const char *reason)
{
	static const struct {
		const char *reason;
		enum rb_fault fault;
	} map[] = {
		{"userunknown", RB_FAULT_RECIPIENT},
		{"hostunknown", RB_FAULT_RECIPIENT},
		{"hasmoved", RB_FAULT_RECIPIENT},
		{"mailboxfull", RB_FAULT_RECIPIENT},
		{"suspend", RB_FAULT_RECIPIENT},
		{"notaccept", RB_FAULT_RECIPIENT},
		{"filtered", RB_FAULT_RECIPIENT},
		{"systemfull", RB_FAULT_RECIPIENT},
		{"mailererror", RB_FAULT_RECIPIENT},
		{"vacation", RB_FAULT_RECIPIENT},
		{"blocked", RB_FAULT_SENDER},
		{"badreputation", RB_FAULT_SENDER},
		{"requireptr", RB_FAULT_SENDER},
		{"authfailure", RB_FAULT_SENDER},
		{"norelaying", RB_FAULT_SENDER},
		{"rejected", RB_FAULT_SENDER},
		{"speeding", RB_FAULT_SENDER},
		{"toomanyconn", RB_FAULT_SENDER},
		{"securityerror", RB_FAULT_SENDER},
		{"policyviolation", RB_FAULT_SENDER},
		{"feedback", RB_FAULT_SENDER},
		{"syntaxerror", RB_FAULT_SENDER},
		{"spamdetected", RB_FAULT_MESSAGE},
		{"virusdetected", RB_FAULT_MESSAGE},
		{"contenterror", RB_FAULT_MESSAGE},
		{"mesgtoobig", RB_FAULT_MESSAGE},
		{"exceedlimit", RB_FAULT_MESSAGE},
		{"notcompliantrfc", RB_FAULT_MESSAGE},
		{"networkerror", RB_FAULT_NETWORK},
		{"expired", RB_FAULT_NETWORK},
		{"systemerror", RB_FAULT_NETWORK},
	};

	if (reason == NULL)
		return RB_FAULT_UNKNOWN;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].reason, reason) == 0)
			return map[i].fault;
	}
	return RB_FAULT_UNKNOWN;
}

static int rcpt_class(const struct rb_rcpt *rc)
{
	int k = rb_code_class(rc->status);

	if (k == 0)
		k = rb_code_class(rc->reply_code);
	if (k == 0)
		k = rc->kind == RB_KIND_DELAY ? 4 : 5;
	return k;
}

static void set_rule(struct rb_report *r, struct rb_rcpt *rc,
		     const char *prefix, const char *id)
{
	char buf[160];

	(void)snprintf(buf, sizeof(buf), "%s%s", prefix, id);
	rc->rule = rb_arena_strdup(r->arena, buf);
}

static void apply_rule(struct rb_report *r, struct rb_rcpt *rc,
		       struct rb_rule *rule, const char *ev)
{
	rule->hits++;
	rc->reason = rule->reason;
	set_rule(r, rc, "rule:", rule->id);
	rc->evidence = rb_arena_strdup(r->arena, ev);
	if (rule->status[0] != '\0' &&
	    (rc->status[0] == '\0' || rb_status_generic(rc->status)) &&
	    (rc->status[0] == '\0' ||
	     rb_code_class(rc->status) == rb_code_class(rule->status))) {
		memcpy(rc->status, rule->status, sizeof(rc->status));
		rc->status_from = "rule";
	}
	if (rule->fault >= 0)
		rc->fault = (enum rb_fault)rule->fault;
	if (rule->hard >= 0)
		rc->hard = rule->hard == 1;
}

/*
 * Generic "user unknown" wording is the recipient's filter speaking, not a
 * dead address, when
 *  - it was said in reply to DATA, after the recipient was accepted at
 *    RCPT (unless the code itself says X.1.x, an addressing status), or
 *  - the mail system's own enhanced code contradicts the words: X.2.x
 *    (the mailbox exists but refuses), X.3.x (mail system) or X.7.x
 *    (policy), and the rejection did not come at RCPT or MAIL.
 * @stated is the code the mail said ("" when none or only X.0.0).
 */
static bool unknown_means_filtered(const struct rb_rcpt *rc,
				   const char *stated)
{
	const char *cmd = rc->command;

	if (cmd != NULL && strcmp(cmd, "DATA") == 0)
		return rc->status[2] != '1';
	if (cmd != NULL && (strcmp(cmd, "RCPT") == 0 || strcmp(cmd, "MAIL") == 0))
		return false;
	return stated[0] != '\0' && stated[3] == '.' &&
	       strchr("237", stated[2]) != NULL &&
	       strcmp(stated + 1, ".0.0") != 0;
}

/*
 * PowerMTA's own bounce categories, written into its DSNs. Only the
 * recipient-side ones are trusted ahead of our generic rules: PowerMTA
 * finds them from the same words we read, but it saw the whole session.
 * The others (spam-related, policy-related, ...) are coarser than our
 * rules and decide only when nothing else did.
 */
static const char *category_reason(const char *cat, bool strong)
{
	static const struct {
		const char *cat;
		const char *reason;
		bool strong;
	} map[] = {
		{"bad-mailbox", "userunknown", true},
		{"bad-domain", "hostunknown", true},
		{"inactive-mailbox", "suspend", true},
		{"quota-issues", "mailboxfull", true},
		{"message-expired", "expired", false},
		{"no-answer-from-host", "networkerror", false},
		{"bad-connection", "networkerror", false},
		{"routing-errors", "networkerror", false},
		{"protocol-errors", "syntaxerror", false},
		{"content-related", "contenterror", false},
		{"spam-related", "spamdetected", false},
		{"virus-related", "virusdetected", false},
		{"policy-related", "policyviolation", false},
		{"relaying-issues", "norelaying", false},
		{"invalid-sender", "rejected", false},
		{"bad-configuration", "systemerror", false},
	};

	if (cat == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(map[i].cat, cat) == 0 && map[i].strong == strong)
			return map[i].reason;
	}
	return NULL;
}

/*
 * "554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2
 * Connection timed out>": the queue gave up (X.4.7), and the last attempt
 * says why. The status records the cause, the reason stays `expired`.
 */
static bool digit3(const char *p)
{
	return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' &&
	       p[2] >= '0' && p[2] <= '9';
}

/* A code in @d other than the expiry's own; with @need_reply, only one
 * that follows a reply code ("441 4.4.1"), and *at_r is where that reply
 * code starts. */
static bool cause_in(const char *d, char st[RB_STATUS_MAX], bool need_reply,
		     const char **at_r)
{
	const char *base = d;
	size_t off;

	while (d != NULL && rb_status_find(d, st, &off) == 0) {
		const char *at = d + off;

		if (strcmp(st + 1, ".4.7") != 0 && strcmp(st + 1, ".0.0") != 0 &&
		    (st[0] == '4' || st[0] == '5') &&
		    (!need_reply || (at - base >= 4 && digit3(at - 4) &&
				     (at[-1] == ' ' || at[-1] == '-')))) {
			if (at_r != NULL)
				*at_r = need_reply ? at - 4 : at;
			return true;
		}
		d += off + 1;
	}
	return false;
}

/* The remote's reply at @at, to the end of its line, without the quote
 * Exchange puts around it ("returned '421 4.3.2 ...'"). */
static char *cause_line(struct rb_arena *a, const char *at)
{
	size_t n = strcspn(at, "\r\n");
	char *line;

	while (n > 0 && (at[n - 1] == '\'' || at[n - 1] == ' '))
		n--;
	line = rb_arena_strndup(a, at, n);
	rb_str_squeeze(line);
	return line;
}

static void expiry_cause(struct rb_report *r, struct rb_rcpt *rc)
{
	char st[RB_STATUS_MAX];

	if (rc->reason == NULL || strcmp(rc->reason, "expired") != 0 ||
	    rc->status[0] == '\0' || strcmp(rc->status + 1, ".4.7") != 0)
		return;
	/* the diagnostic, else (one recipient) the notice's own words:
	 * Exchange writes "Remote Server at ... returned '441 4.4.1 ...'"
	 * there and only "4.4.7 QUEUE.Expired" in the DSN */
	if (cause_in(rc->diagnostic, st, false, NULL)) {
		memcpy(rc->status, st, sizeof(rc->status));
		rc->status_from = "diagnostic";
		return;
	}
	if (r->n_rcpts == 1 && r->text != NULL && r->expl_len > 0) {
		const char *at;

		if (!cause_in(rb_arena_strndup(r->arena, r->text, r->expl_len), st,
			      true, &at))
			return;
		/* the cause's own words become the diagnostic the status
		 * is read from, not the queue's "4.4.7 Message delayed" */
		rc->diagnostic = cause_line(r->arena, at);
		memcpy(rc->reply_code, at, 3);
		rc->reply_code[3] = '\0';
		memcpy(rc->status, st, sizeof(rc->status));
		rc->status_from = "diagnostic";
	}
}

/*
 * The address the refusing server says it refused: the IP right after the
 * words a block names it with ("Client host [192.0.2.9] blocked", "messages
 * from [192.0.2.9] weren't sent", "IP=192.0.2.9", "your IP address
 * 192.0.2.9"). That is our relay's outbound address as the remote saw it,
 * which the returned original's Received lines need not show. Only the
 * words before the address are trusted: a remote MX's own address ("host
 * mx.example[192.0.2.1] said:") is never taken. With the relay's outbound
 * networks configured, only one of its own addresses is.
 */
static char *named_sending_ip(struct rb_arena *a, const char *d,
			      const struct rb_classifier *c)
{
	static const char *const marks[] = {
		"client host ", "messages from ", "ip=", "ip address ",
		"your ip ", "sending ip ", "connecting ip ", "client ip ",
		"from ip ", "ip: ", "the ip ",
	};
	const char *end;
	const char *best = NULL;
	size_t best_len = 0;

	if (d == NULL)
		return NULL;
	end = d + strlen(d);
	for (size_t i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		size_t ml = strlen(marks[i]);

		for (const char *p = d;
		     (p = rb_memcasemem(p, (size_t)(end - p), marks[i])) != NULL;
		     p += ml) {
			const char *q = p + ml;
			size_t n;

			if (p > d && ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z'))
				continue; /* "bip=", not "ip=" */
			if (q < end && (*q == '[' || *q == '('))
				q++;
			n = rb_ipv4_span(q, end);
			if (n > 0 && n < 16) {
				char ip[16];

				memcpy(ip, q, n);
				ip[n] = '\0';
				if (rb_ip_private(ip) ||
				    (c->n_outbound > 0 &&
				     !rb_net_contains(c->outbound, c->n_outbound, ip)))
					n = 0;
			}
			if (n > 0 && (best == NULL || q < best)) {
				best = q;
				best_len = n;
			}
		}
	}
	return best ? rb_arena_strndup(a, best, best_len) : NULL;
}

/*
 * Did the queue give up on @rc after temporary failures ("retry timeout
 * exceeded", "this message has been in the queue too long", "Message
 * could not be delivered for 5 days", "delivery time expired, last error:
 * 421 ...")? Then the last attempt's words are only the cause: when they
 * say no more than "temporary system problem", "connection dropped" or a
 * weak 4.x.x code, the failure is `expired`. Specific causes (mailbox
 * full, too many connections, a provider's rate limit) keep their reason.
 * Only for a final failure whose codes are temporary (or absent): a 5xx is
 * no give-up.
 */
static bool gave_up_wording(const char *t, size_t n)
{
	static const char *const words[] = {
		"retry timeout exceeded", "in the queue too long",
		"in the queue for too long", "in the retry queue for too long",
		"too many retries", "retry time has expired",
		"retry period expired", "message expired", "message has expired",
		"delivery time expired", "envelope expired",
		"will be deleted from queue",
		"removed from the queue", "removed from the mail queue",
		"will not be retried", "failed after multiple attempts",
		"too many failures", "exceeded max time without delivery",
		"giving up",
		/* de: "zu lange in der Warteschlange", "Zeitlimit ...
		 * überschritten" */
		"zu lange in der warteschlange",
		"zeitlimit f\xc3\xbcr zustellversuche",
		/* fr: "supprimé de la file d'attente", "trop longtemps" */
		"supprim\xc3\xa9 de la file d'attente",
		"dans la file d'attente depuis trop longtemps",
		/* es/pt: "demasiado tiempo en la cola", "tempo demais na fila" */
		"demasiado tiempo", "tempo demais na fila",
		/* it: "troppo tempo in coda" */
		"troppo tempo in coda",
	};

	return t != NULL &&
	       rb_contains_any(t, n, words, sizeof(words) / sizeof(words[0]));
}

static bool gave_up(const struct rb_rcpt *rc,
		    const struct rb_rule_subject *subj)
{
	const char *rule = rc->rule != NULL ? rc->rule : "none";
	int k = rb_code_class(rc->status);

	if (rc->kind != RB_KIND_BOUNCE || k == 5 || k == 2 ||
	    rb_code_class(rc->reply_code) == 5)
		return false;
	/* the cause said nothing specific: a weak 4.x.x code ("451 4.7.1
	 * Please try again later", "421 4.4.2 Connection dropped"), the
	 * vague "temporary system problem", or nothing at all. Worded
	 * network causes ("wasn't able to establish an SMTP connection")
	 * keep their reason. */
	if (strncmp(rule, "status-weak:", 12) != 0 &&
	    strcmp(rule, "none") != 0 && strcmp(rule, "rule:systemerror") != 0 &&
	    strcmp(rc->reason, "onhold") != 0)
		return false;
	return (rc->diagnostic != NULL &&
		gave_up_wording(rc->diagnostic, strlen(rc->diagnostic))) ||
	       (subj->body != NULL &&
		gave_up_wording(subj->body, subj->body_len ? subj->body_len
							   : strlen(subj->body)));
}

/*
 * Do @rc and another recipient of the same report have different words
 * (or one has words and the other none)? Then the notice's text tells several
 * recipients' stories ("User unknown" for one, "Illegal host/domain name"
 * for the next) and rules `on body` would give one recipient's reason to
 * all of them.
 */
static bool own_words_among_others(const struct rb_report *r,
				   const struct rb_rcpt *rc)
{
	if (r->n_rcpts < 2)
		return false;
	for (size_t k = 0; k < r->n_rcpts; k++) {
		const struct rb_rcpt *o = &r->rcpts[k];

		if (o == rc || (o->diagnostic == NULL && rc->diagnostic == NULL))
			continue;
		if (o->diagnostic == NULL || rc->diagnostic == NULL ||
		    strcmp(o->diagnostic, rc->diagnostic) != 0)
			return true;
	}
	return false;
}

void rb_bounce_decide(struct rb_report *r, struct rb_rcpt *rc,
		      struct rb_classifier *c)
{
	struct rb_rule_subject subj;
	struct rb_rule *rule = NULL;
	const struct status_meaning *sm;
	char ev[256], stated[RB_STATUS_MAX];
	int hard_forced = -1, fault_forced = -1;
	int klass;

	if (rc->diagnostic != NULL)
		rb_reply_join(rc->diagnostic);
	if (c->matcher != NULL)
		rb_rule_matcher_reset(c->matcher);
	memset(&subj, 0, sizeof(subj));
	subj.diagnostic = rc->diagnostic;
	subj.subject = r->subject;
	if (!own_words_among_others(r, rc)) {
		subj.body = r->text;
		subj.body_len = r->expl_len;
	}
	subj.from = r->from;
	subj.host = rc->remote_mta ? rc->remote_mta : r->reporting_mta;
	subj.status = rc->status;
	rc->fault = RB_FAULT_UNKNOWN;
	rc->reason = NULL;

	if (rc->command == NULL) {
		const char *cmd = rb_smtp_command_find(
			rc->diagnostic, rc->diagnostic ? strlen(rc->diagnostic) : 0);

		if (cmd == NULL)
			cmd = rb_decode_command_for(r, rc);

		rc->command = (char *)cmd;
	}
	stated[0] = '\0';
	if (rc->status_from != NULL && (strcmp(rc->status_from, "dsn") == 0 ||
					strcmp(rc->status_from, "diagnostic") == 0))
		memcpy(stated, rc->status, sizeof(stated));
	if (rc->kind == RB_KIND_DELIVERED) {
		rc->reason = "delivered";
		set_rule(r, rc, "dsn-action:", rc->action ? rc->action : "delivered");
		goto done;
	}
	if (c->rules != NULL)
		rule = rb_rules_match(c->rules, c->matcher, RB_RULE_OVERRIDE,
				      true, &subj, ev, sizeof(ev));
	if (rule != NULL) {
		apply_rule(r, rc, rule, ev);
		goto done_rule;
	}
	if ((rc->reason = category_reason(rc->category, true)) != NULL) {
		set_rule(r, rc, "powermta-category:", rc->category);
		goto done;
	}
	sm = status_meaning(rc->status);
	if (sm != NULL && !sm->weak && !rb_status_generic(rc->status)) {
		rc->reason = sm->reason;
		set_rule(r, rc,
			 rc->status_from && strcmp(rc->status_from, "dsn") == 0
				 ? "dsn-status:"
				 : "status:",
			 rc->status);
		goto done;
	}
	if (c->rules != NULL)
		rule = rb_rules_match(c->rules, c->matcher, RB_RULE_GENERIC,
				      true, &subj, ev, sizeof(ev));
	if (rule != NULL) {
		apply_rule(r, rc, rule, ev);
		goto done_rule;
	}
	if (rc->diagnostic_type != NULL &&
	    rb_strcasecmp(rc->diagnostic_type, "x-unix") == 0) {
		/* a local delivery program answered (Sendmail, Postfix
		 * pipe): nothing more specific was said */
		rc->reason = "mailererror";
		set_rule(r, rc, "dsn-diagnostic-type:", "x-unix");
		goto done;
	}
	/* a delay's network or protocol catch-all (4.4.0, 4.5.0) says no
	 * more than "could not get through, still trying": the delay itself
	 * decides below */
	if (sm != NULL && strcmp(rc->status + 1, ".0.0") != 0 &&
	    !(rc->kind == RB_KIND_DELAY && (strcmp(rc->status + 1, ".4.0") == 0 ||
					    strcmp(rc->status + 1, ".5.0") == 0))) {
		rc->reason = sm->reason;
		set_rule(r, rc, "status-weak:", rc->status);
		goto done;
	}
	if ((rc->reason = category_reason(rc->category, false)) != NULL) {
		set_rule(r, rc, "powermta-category:", rc->category);
		goto done;
	}
	if (c->rules != NULL)
		rule = rb_rules_match(c->rules, c->matcher, RB_RULE_FALLBACK,
				      true, &subj, ev, sizeof(ev));
	if (rule != NULL) {
		apply_rule(r, rc, rule, ev);
		goto done_rule;
	}
	if (rc->kind == RB_KIND_DELAY) {
		rc->reason = "expired";
		set_rule(r, rc, "dsn-action:", "delayed");
		goto done;
	}
	rc->reason = "undefined";
	set_rule(r, rc, "none", "");
	goto done;

done_rule:
	hard_forced = rule->hard;
	fault_forced = rule->fault;
	/* generic "user unknown" wording that is not a dead address: see
	 * unknown_means_filtered(); a provider's own wording (class
	 * override) keeps its meaning */
	if (rule->klass != RB_RULE_OVERRIDE &&
	    strcmp(rc->reason, "userunknown") == 0 &&
	    unknown_means_filtered(rc, stated)) {
		rc->reason = "filtered";
		set_rule(r, rc, "smtp-data:", rule->id);
		hard_forced = -1;
		fault_forced = -1;
	}
done:
	if (gave_up(rc, &subj)) {
		const char *was = rc->rule != NULL ? rc->rule : "none";

		if (strncmp(was, "rule:", 5) == 0)
			was += 5;
		rc->reason = "expired";
		set_rule(r, rc, "gave-up:", was);
		hard_forced = -1;
		fault_forced = -1;
	}
	expiry_cause(r, rc);
	klass = rcpt_class(rc);
	/* what decided hard and fault, for explain: the rule that forced
	 * them, else the reason (and the kind and class for hard) */
	rc->hard_from = hard_forced >= 0 ? rc->rule : "reason";
	rc->fault_from = fault_forced >= 0 ? rc->rule : "reason";
	if (hard_forced >= 0)
		rc->hard = hard_forced == 1;
	else
		rc->hard = rc->kind == RB_KIND_BOUNCE &&
			   (strcmp(rc->reason, "userunknown") == 0 ||
			    strcmp(rc->reason, "hostunknown") == 0 ||
			    strcmp(rc->reason, "hasmoved") == 0 ||
			    (strcmp(rc->reason, "notaccept") == 0 && klass != 4));
	if (fault_forced >= 0)
		rc->fault = (enum rb_fault)fault_forced;
	else
		rc->fault = rb_reason_fault(rc->reason);
	if (rc->fault == RB_FAULT_SENDER)
		rc->sending_ip = named_sending_ip(r->arena, rc->diagnostic, c);
	if (rc->status[0] == '\0' && rc->kind != RB_KIND_DELIVERED) {
		const char *st = reason_status(rc->reason, klass);

		if (st == NULL)
			(void)snprintf(rc->status, sizeof(rc->status), "%d.0.0",
				       klass);
		else
			rb_strlcpy(rc->status, st, sizeof(rc->status));
		rc->status_from = "reason";
	}
	/* blocklist: any rule that names one, whatever decided the reason */
	if (c->rules != NULL) {
		for (int k = RB_RULE_OVERRIDE; k <= RB_RULE_FALLBACK; k++) {
			struct rb_rule *bl = rb_rules_match(
				c->rules, c->matcher, (enum rb_rule_class)k,
				false, &subj, ev, sizeof(ev));

			if (bl != NULL) {
				rc->blocklist =
					strcmp(bl->blocklist, RB_BLOCKLIST_NONE) == 0
						? NULL
						: bl->blocklist;
				rc->blocklist_rule = bl->id;
				break;
			}
		}
	}
}

bool rb_rule_is_not_report(const char *rule)
{
	return rule != NULL && (strcmp(rule, RB_RULE_NOT_REPORT) == 0 ||
				strcmp(rule, RB_RULE_MDN) == 0 ||
				strcmp(rule, RB_RULE_DOUBLE_BOUNCE) == 0 ||
				strcmp(rule, RB_RULE_EMBEDDED_REPORT) == 0);
}

/* Is the message's attached "original" itself a report (multipart/report:
 * several feedback reports sent as one digest, or a report forwarded by a
 * machine)? Its own null sender would otherwise read as a double bounce.
 * (A notice that wraps a DSN whose fields are read — ds_raw — is decoded
 * as the bounce it is.) */
static bool original_is_report(const struct rb_report *r)
{
	const char *ct = rb_original_header(&r->orig, "Content-Type");

	return ct != NULL &&
	       rb_startswith_ci(ct + strspn(ct, " \t"), "multipart/report");
}

/* Marks @r as mail that is no report (rb_rule_is_not_report). */
static void not_a_report(struct rb_report *r, const char *rule,
			 const char *why)
{
	r->kind = RB_KIND_UNKNOWN;
	r->rule = rule;
	r->why = why;
}

void rb_bounce_classify(struct rb_report *r, struct rb_classifier *c)
{
	bool ds_part, autoreply;
	const char *why;

	if (r->fr_raw != NULL)
		return; /* a complaint: fbl/ decides */
	/* a delivery-status part of the message's own, not fields found in
	 * the raw source (perhaps inside a forwarded attachment) */
	ds_part = r->ds_raw != NULL && r->parts_seen != NULL &&
		  strstr(r->parts_seen, "delivery-status") != NULL;
	if (rb_is_mdn(r)) {
		not_a_report(r, RB_RULE_MDN,
			     "a read receipt or other disposition notification "
			     "(RFC 8098), not a delivery report");
		return;
	}
	/* a challenge-response also links to a page ("verify you are
	 * human"): an auto-reply, never suppressing anyone either */
	if (rb_lure_notice(r) && !rb_autoreply_detect(r)) {
		not_a_report(r, RB_RULE_NOT_REPORT,
			     "a phishing lure dressed as a delivery notice: it "
			     "asks the reader to follow a link to sign in, verify "
			     "an account or release held mail, and returns no "
			     "message the relay sent");
		return;
	}
	if (rb_mta_admin_notice(r)) {
		not_a_report(r, RB_RULE_NOT_REPORT,
			     "a mail system's notice to its postmaster about its "
			     "queue (Exim \"Message ... has been frozen\"): the "
			     "addresses in it are the queued message's, not "
			     "failed recipients");
		return;
	}
	if (!ds_part && rb_quarantine_notice(r)) {
		not_a_report(r, RB_RULE_NOT_REPORT,
			     "a filter's quarantine or hold notice: the message "
			     "is kept for review, nothing failed");
		return;
	}
	why = ds_part ? NULL : rb_not_report_why(r);
	/* an auto-reply from an ordinary sender is still one (asked once) */
	autoreply = why != NULL && rb_autoreply_detect(r);
	if (why != NULL && !autoreply) {
		not_a_report(r, RB_RULE_NOT_REPORT, why);
		return;
	}
	if (r->ds_raw == NULL && original_is_report(r)) {
		not_a_report(r, RB_RULE_EMBEDDED_REPORT,
			     "the message carries a delivery or feedback report "
			     "as an attachment (a digest or a forward); an "
			     "attached report is not read");
		return;
	}
	if (rb_is_double_bounce(r)) {
		not_a_report(r, RB_RULE_DOUBLE_BOUNCE,
			     "the returned message had the null sender: a "
			     "bounce of a bounce or of an automatic reply");
		return;
	}
	r->why = NULL;
	if (r->ds_raw != NULL && rb_dsn_read(r, &c->limits) > 0) {
		r->rule = r->ds_global ? "mime:message/global-delivery-status"
				       : "mime:message/delivery-status";
	} else if (autoreply || rb_autoreply_detect(r)) {
		struct rb_rcpt *rc;

		r->kind = RB_KIND_AUTOREPLY;
		rc = rb_report_add_rcpt(r, c->limits.max_recipients);
		if (rc != NULL) {
			const char *f = rb_report_header(r, "From");

			rc->kind = RB_KIND_AUTOREPLY;
			rc->recipient = r->from ? r->from
				       : (f ? rb_addr_extract(r->arena, f) : NULL);
			rc->reason = "vacation";
			if (rb_autoreply_moved(r)) {
				rc->reason = "hasmoved";
				r->rule = "autoreply:address-changed";
			}
			/* the message replied to, when the original is absent */
			if (r->orig.message_id == NULL) {
				const char *irt = rb_report_header(r, "In-Reply-To");
				const char *lt = irt ? strchr(irt, '<') : NULL;
				const char *gt = lt ? strchr(lt, '>') : NULL;

				if (gt != NULL && gt > lt + 1)
					r->orig.message_id = rb_arena_strndup(
						r->arena, lt + 1, (size_t)(gt - lt - 1));
			}
			rc->rule = (char *)r->rule;
			rc->fault = RB_FAULT_RECIPIENT;
			if (rc->recipient == NULL)
				r->n_rcpts = 0;
		}
		return;
	} else {
		rb_decode_text(r, c);
	}
	rb_decode_expansions(r);
	if (r->n_rcpts == 0) {
		if (r->ds_raw != NULL)
			r->flags |= RB_PF_INVALID_SYNTAX; /* a DSN without one */
		if (r->rule == NULL)
			r->rule = r->ds_raw != NULL ? "dsn:no-recipient"
						    : RB_RULE_NOT_REPORT;
		r->kind = RB_KIND_UNKNOWN;
		return;
	}
	/* message kind: a failure anywhere makes it a bounce */
	r->kind = r->rcpts[0].kind;
	for (size_t i = 0; i < r->n_rcpts; i++) {
		if (r->rcpts[i].kind == RB_KIND_BOUNCE)
			r->kind = RB_KIND_BOUNCE;
		else if (r->rcpts[i].kind == RB_KIND_DELAY &&
			 r->kind != RB_KIND_BOUNCE)
			r->kind = RB_KIND_DELAY;
	}
	for (size_t i = 0; i < r->n_rcpts; i++)
		rb_bounce_decide(r, &r->rcpts[i], c);
	rb_decode_fanout(r);
	/* Postfix's notice to its postmaster about a session into its own
	 * SMTP server (notify_classes): a client was refused by us, so the
	 * transcript says nothing lasting about a remote mailbox the relay
	 * sends to; its addresses may even be our own postmaster's */
	if (rb_smtpd_error_notice(r)) {
		for (size_t i = 0; i < r->n_rcpts; i++) {
			r->rcpts[i].hard = false;
			r->rcpts[i].hard_from = "postfix-smtpd-notice";
		}
	}
}
