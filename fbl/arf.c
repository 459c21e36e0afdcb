/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fbl/arf.c - complaint report reader and provider fingerprints.
 */
#include <string.h>

#include "core/net.h"
#include "core/str.h"
#include "fbl/arf.h"
#include "parsers/addr.h"
#include "parsers/fields.h"
#include "parsers/json.h"

static char *dup_field(struct rb_report *r, const struct rb_fields *f,
		       const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		const char *v = rb_fblock_get(&f->blocks[i], name);

		if (v != NULL)
			return rb_arena_strdup(r->arena, v);
	}
	return NULL;
}

static void add_feedback_rcpt(struct rb_report *r, const struct rb_limits *lim,
			      char *addr, const char *rule)
{
	struct rb_rcpt *rc;

	for (size_t k = 0; k < r->n_rcpts; k++) {
		if (addr != NULL && r->rcpts[k].recipient != NULL &&
		    rb_strcasecmp(r->rcpts[k].recipient, addr) == 0)
			return;
	}
	rc = rb_report_add_rcpt(r, lim->max_recipients);
	if (rc == NULL)
		return;
	rc->kind = r->kind;
	rc->recipient = addr;
	rc->reason = "feedback";
	rc->rule = (char *)rule;
	rc->fault = RB_FAULT_SENDER;
}

static enum rb_kind kind_of_type(const char *ft)
{
	if (ft == NULL)
		return RB_KIND_COMPLAINT;
	if (rb_strcasecmp(ft, "not-spam") == 0)
		return RB_KIND_NOT_SPAM;
	if (rb_strcasecmp(ft, "auth-failure") == 0 ||
	    rb_strcasecmp(ft, "dmarc") == 0)
		return RB_KIND_AUTH_FAILURE;
	return RB_KIND_COMPLAINT;
}

/*
 * The Feedback-Type in the vocabulary of RFC 5965's registry (abuse,
 * fraud, other, virus, not-spam, auth-failure) plus opt-out, which the
 * suppression policy knows. A report's spelling of an opt-out
 * ("unsubscribe", "opt-out-list") is an opt-out; any other type the
 * registry does not know is "other", as RFC 5965 3.5 tells a receiver to
 * treat it, so a complaint is never lost to a spelling. A trailing
 * comment or parameter ("abuse (user report)", "abuse; x=y") goes. (@ft
 * is lowercase; returns it, cut, or a static string.)
 */
static char *canonical_type(char *ft)
{
	static const char *const known[] = {
		"abuse", "fraud", "other", "virus", "not-spam",
		"auth-failure", "opt-out", "dmarc",
	};
	static const char *const optout[] = {
		"unsubscribe", "opt-out-list", "optout", "opt_out",
	};

	if (ft == NULL)
		return NULL;
	ft[strcspn(ft, " \t;(")] = '\0';
	if (*ft == '\0')
		return NULL;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp(ft, known[i]) == 0)
			return ft;
	}
	for (size_t i = 0; i < sizeof(optout) / sizeof(optout[0]); i++) {
		if (strcmp(ft, optout[i]) == 0)
			return (char *)"opt-out";
	}
	return (char *)"other";
}

/*
 * Source-IP as the address alone: "[192.0.2.1]", "192.0.2.1
 * (host.example)", "IPv6:2001:db8::1" become "192.0.2.1" and
 * "2001:db8::1", so reputation per sending IP groups them. A value that
 * holds no address gives NULL (the original's Received is used then).
 */
static char *clean_source_ip(struct rb_arena *a, const char *v)
{
	char tok[64];
	size_t n;

	if (v == NULL)
		return NULL;
	v += strspn(v, " \t[");
	if (rb_startswith_ci(v, "ipv6:"))
		v += 5;
	n = strcspn(v, " \t]),;");
	if (n == 0 || n >= sizeof(tok))
		return NULL;
	memcpy(tok, v, n);
	tok[n] = '\0';
	if (!rb_ip_valid(tok))
		return NULL;
	return rb_arena_strdup(a, tok);
}

/*
 * Is @addr a placeholder the reporter put where it removed the
 * complainer's address ("redacted@isp", "xxxxxxxx@isp", "anonymized@",
 * the local part of an AOL-style Redacted-Address field)? Suppressing it
 * would block someone else, or no one; the complainer is then unknown.
 */
static bool is_redacted(const char *addr, const struct rb_fields *f)
{
	static const char *const words[] = {
		"redacted", "anonymized", "anonymised", "anonymous",
		"removed", "hidden", "privacy-redacted",
	};
	const char *at = strrchr(addr, '@');
	size_t ll = at ? (size_t)(at - addr) : strlen(addr);
	size_t fill = 0;

	for (size_t i = 0; i < ll; i++) {
		if (addr[i] == 'x' || addr[i] == 'X' || addr[i] == '*' ||
		    addr[i] == '#')
			fill++;
	}
	if (ll >= 3 && fill == ll)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (ll == strlen(words[i]) && rb_strncasecmp(addr, words[i], ll) == 0)
			return true;
	}
	for (size_t b = 0; f != NULL && b < f->n; b++) {
		for (size_t i = 0; i < f->blocks[b].n; i++) {
			const struct rb_field *fl = &f->blocks[b].fields[i];
			size_t vl;

			if (rb_strcasecmp(fl->name, "Redacted-Address") != 0)
				continue;
			vl = strcspn(fl->value, "@ \t");
			if (vl > 0 && vl == ll &&
			    rb_strncasecmp(addr, fl->value, ll) == 0)
				return true;
		}
	}
	return false;
}

/* Is @addr an address the report itself was sent to (the feedback-loop
 * mailbox: To, Delivered-To, X-Original-To)? That is never the
 * complainer. */
static bool is_report_address(struct rb_report *r, const char *addr)
{
	static const char *const hdrs[] = {
		"To", "Delivered-To", "X-Original-To", "Envelope-To",
	};

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		const char *v = rb_report_header(r, hdrs[i]);
		char *a = v ? rb_addr_extract(r->arena, v) : NULL;

		if (a != NULL && rb_strcasecmp(a, addr) == 0)
			return true;
	}
	return false;
}

/* Is @addr (may be NULL) someone who could have complained? */
static bool complainer(struct rb_report *r, const struct rb_fields *f,
		       const char *addr, bool *redacted_r)
{
	if (addr == NULL)
		return false;
	if (is_redacted(addr, f)) {
		*redacted_r = true;
		return false;
	}
	return !is_report_address(r, addr);
}

/* The recipient of a complaint when the report does not name it: the
 * original's X-HmXmrOriginalRecipient (Microsoft), then its To. */
static char *recipient_from_original(struct rb_report *r)
{
	const char *v = rb_original_header(&r->orig, "X-HmXmrOriginalRecipient");
	char *a;

	if (v != NULL && (a = rb_addr_extract(r->arena, v)) != NULL)
		return a;
	return r->orig.to;
}

static void read_arf(struct rb_report *r, const struct rb_limits *lim)
{
	struct rb_fields f;
	struct rb_complaint *fb = &r->fb;
	size_t before = r->n_rcpts;
	bool redacted = false;

	rb_fields_parse(r->arena, r->fr_raw, r->fr_len, lim, 0, &f);
	r->flags |= f.flags & (RB_PF_TRUNCATED | RB_PF_LIMIT_HIT);
	fb->feedback_type = dup_field(r, &f, "Feedback-Type");
	if (fb->feedback_type != NULL) {
		rb_str_lower(fb->feedback_type);
		fb->feedback_type = canonical_type(fb->feedback_type);
	}
	fb->user_agent = dup_field(r, &f, "User-Agent");
	fb->version = dup_field(r, &f, "Version");
	fb->reporting_mta = dup_field(r, &f, "Reporting-MTA");
	fb->source_ip = clean_source_ip(r->arena, dup_field(r, &f, "Source-IP"));
	fb->arrival_date = dup_field(r, &f, "Arrival-Date");
	if (fb->arrival_date == NULL)
		fb->arrival_date = dup_field(r, &f, "Received-Date");
	fb->original_mail_from = dup_field(r, &f, "Original-Mail-From");
	fb->reported_domain = dup_field(r, &f, "Reported-Domain");
	fb->reported_uri = dup_field(r, &f, "Reported-Uri");
	fb->auth_results = dup_field(r, &f, "Authentication-Results");
	fb->incidents = dup_field(r, &f, "Incidents");
	r->kind = kind_of_type(fb->feedback_type);
	r->rule = "mime:message/feedback-report";
	if (fb->reporting_mta != NULL) {
		char *semi = strchr(fb->reporting_mta, ';');

		r->reporting_mta = semi ? rb_str_trim(semi + 1) : fb->reporting_mta;
	}

	/* every Original-Rcpt-To (and Removal-Recipient) is a recipient */
	for (size_t b = 0; b < f.n; b++) {
		for (size_t i = 0; i < f.blocks[b].n; i++) {
			const struct rb_field *fl = &f.blocks[b].fields[i];

			if (rb_strcasecmp(fl->name, "Original-Rcpt-To") == 0 ||
			    rb_strcasecmp(fl->name, "Removal-Recipient") == 0) {
				char *a = rb_addr_extract(r->arena, fl->value);

				if (a == NULL &&
				    rb_memcasemem(fl->value, strlen(fl->value),
						  "redacted") != NULL)
					redacted = true; /* "[redacted]@isp" */
				if (complainer(r, &f, a, &redacted)) {
					add_feedback_rcpt(r, lim, a,
							  "arf:original-rcpt-to");
					fb->original_rcpt_to = a;
				}
			}
		}
	}
	if (r->n_rcpts == before) {
		char *a = recipient_from_original(r);

		if (complainer(r, &f, a, &redacted))
			add_feedback_rcpt(r, lim, a, "arf:original-message");
		else
			add_feedback_rcpt(r, lim, NULL,
					  redacted ? "arf:redacted"
						   : "arf:no-recipient");
	}
}

static bool is_jmrp_legacy(const struct rb_report *r)
{
	const char *subj = r->subject;

	return r->from != NULL &&
	       (rb_strcasecmp(r->from, "staff@hotmail.com") == 0 ||
		rb_memcasemem(r->from, strlen(r->from), "@hotmail.com")) &&
	       /* Microsoft's own subject, not a user's "Fwd: complaint
		* about message ..." */
	       subj != NULL &&
	       rb_startswith_ci(subj + strspn(subj, " \t"),
				"complaint about message") &&
	       r->orig.found_in != NULL;
}

/* Amazon SES complaint notifications forwarded as mail (SNS):
 * {"notificationType":"Complaint","complaint":{"complainedRecipients":
 * [{"emailAddress":..}],"complaintFeedbackType":"abuse",..}} */
static bool read_ses_complaint(struct rb_report *r, const struct rb_limits *lim)
{
	const char *t = r->text, *end, *j, *arr, *it = NULL, *el;
	char *type;

	if (t == NULL)
		return false;
	/* SNS mails the notification as the message itself: the text starts
	 * with the JSON object. The JSON quoted further down (a person
	 * forwarding the notification with words of their own) is hearsay,
	 * not the provider's report. */
	t += strspn(t, " \t\r\n");
	if (*t != '{')
		return false;
	j = rb_json_locate(r->arena, t, r->text_len - (size_t)(t - r->text),
			   "notificationType", &end);
	if (j == NULL)
		return false;
	type = rb_json_get_string(r->arena, rb_json_value(j, end, "notificationType"),
			      end);
	if (type == NULL || strcmp(type, "Complaint") != 0)
		return false;
	r->kind = RB_KIND_COMPLAINT;
	r->rule = "amazonses:complaint-json";
	r->fb.feedback_type = rb_json_get_string(
		r->arena, rb_json_value(j, end, "complaintFeedbackType"), end);
	if (r->fb.feedback_type == NULL)
		r->fb.feedback_type = "abuse";
	r->fb.user_agent = rb_json_get_string(
		r->arena, rb_json_value(j, end, "userAgent"), end);
	r->fb.arrival_date = rb_json_get_string(
		r->arena, rb_json_value(j, end, "arrivalDate"), end);
	arr = rb_json_value(j, end, "complainedRecipients");
	while ((el = rb_json_next(arr, end, &it)) != NULL) {
		const char *ee = rb_json_skip(el, end);

		if (ee == NULL)
			break;
		add_feedback_rcpt(r, lim,
				  rb_addr_extract(r->arena,
						  rb_json_get_string(r->arena,
								 rb_json_value(el, ee, "emailAddress"),
								 ee)),
				  "amazonses:complained-recipients");
	}
	if (r->orig.envelope_from == NULL)
		r->orig.envelope_from = rb_addr_extract(
			r->arena, rb_json_get_string(r->arena,
						 rb_json_value(j, end, "source"), end));
	return true;
}

static bool is_apple_unsubscribe(const struct rb_report *r)
{
	const char *v = rb_report_header(r, "X-Apple-Unsubscribe");

	return v != NULL && rb_strcasecmp(v, "true") == 0;
}

bool rb_fbl_classify(struct rb_report *r, const struct rb_limits *lim)
{
	if (r->fr_raw != NULL) {
		read_arf(r, lim);
	} else if (is_jmrp_legacy(r)) {
		r->kind = RB_KIND_COMPLAINT;
		r->fb.feedback_type = "abuse";
		r->rule = "jmrp:legacy";
		add_feedback_rcpt(r, lim, recipient_from_original(r),
				  "jmrp:x-hmxmroriginalrecipient");
	} else if (read_ses_complaint(r, lim)) {
		r->fb.provider = "amazonses";
	} else if (is_apple_unsubscribe(r)) {
		r->kind = RB_KIND_COMPLAINT;
		r->fb.feedback_type = "opt-out";
		r->rule = "apple:x-apple-unsubscribe";
		add_feedback_rcpt(r, lim, r->from, "apple:x-apple-unsubscribe");
	} else {
		return false;
	}
	for (size_t i = 0; i < r->n_rcpts; i++)
		r->rcpts[i].kind = r->kind;
	if (r->fb.provider == NULL)
		r->fb.provider = rb_fbl_provider(r);
	if (r->fb.source_ip == NULL)
		r->fb.source_ip = r->orig.source_ip;
	return true;
}

struct fingerprint {
	const char *provider;
	const char *from_domain; /* suffix of the report's From domain */
	const char *user_agent;	 /* prefix of User-Agent */
};

static const struct fingerprint prints[] = {
	{"yahoo", "arf.mail.yahoo.com", "Yahoo!-Mail-Feedback"},
	{"yahoo", "yahoo.com", NULL},
	{"aol", "aol.com", NULL},
	{"aol", "aol.net", NULL}, /* the former AOL SComp reports */
	{"microsoft", "hotmail.com", "JMRP"},
	{"microsoft", "outlook.com", NULL},
	{"microsoft", "microsoft.com", NULL},
	{"amazonses", "amazonses.com", NULL},
	{"validity", "senderscore.net", "ReturnPathFBL"},
	{"validity", "returnpath.net", NULL},
	{"comcast", "comcast.net", NULL},
	{"cox", "cox.net", NULL},
	{"cox", "cox.com", NULL},
	{"charter", "charter.net", NULL},
	{"charter", "spectrum.net", NULL},
	{"mailru", "mail.ru", NULL},
	{"mailru", "corp.mail.ru", NULL},
	{"zoho", "zoho.com", NULL},
	{"zoho", "zohomail.com", NULL},
	{"yandex", "yandex.ru", NULL},
	{"yandex", "yandex.net", NULL},
	{"yandex", "yandex.com", NULL},
	{"yandex", "yandex-team.ru", NULL},
	{"fastmail", "fastmail.com", NULL},
	{"fastmail", "fastmail.fm", NULL},
	{"fastmail", "messagingengine.com", NULL},
	/* United Internet runs one feedback loop for GMX and WEB.DE */
	{"gmx", "gmx.net", NULL},
	{"gmx", "gmx.de", NULL},
	{"gmx", "gmx.com", NULL},
	{"gmx", "gmx.at", NULL},
	{"gmx", "gmx.ch", NULL},
	{"gmx", "web.de", NULL},
	{"seznam", "seznam.cz", NULL},
	/* Italiaonline's own reports (its Validity-hosted ones are
	 * ReturnPathFBL: validity) */
	{"italiaonline", "italiaonline.it", NULL},
	{"italiaonline", "libero.it", NULL},
	{"italiaonline", "virgilio.it", NULL},
	{"apple", "icloud.com", NULL},
	{"abusix", NULL, "abusix"},
	{"opendmarc", NULL, "OpenDMARC"},
	{"netease", NULL, "NtesDmarcReporter"},
	{"spamcop", "spamcop.net", NULL},
};

static bool domain_suffix(const char *addr, const char *suffix)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	size_t dl, sl;

	if (at == NULL)
		return false;
	at++;
	dl = strlen(at);
	sl = strlen(suffix);
	if (dl < sl || rb_strcasecmp(at + dl - sl, suffix) != 0)
		return false;
	return dl == sl || at[dl - sl - 1] == '.';
}

const char *rb_fbl_provider(const struct rb_report *r)
{
	const char *ua = r->fb.user_agent;

	for (size_t i = 0; i < sizeof(prints) / sizeof(prints[0]); i++) {
		if (prints[i].user_agent != NULL && ua != NULL &&
		    rb_startswith_ci(ua, prints[i].user_agent))
			return prints[i].provider;
	}
	for (size_t i = 0; i < sizeof(prints) / sizeof(prints[0]); i++) {
		if (prints[i].from_domain != NULL &&
		    domain_suffix(r->from, prints[i].from_domain))
			return prints[i].provider;
	}
	/* Validity-hosted ISPs: feedbackloop@feedback.<isp> */
	if (r->from != NULL && rb_startswith_ci(r->from, "feedbackloop@"))
		return "validity";
	return NULL;
}
