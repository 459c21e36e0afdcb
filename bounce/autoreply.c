/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/autoreply.c - RFC 3834 automatic responses (vacation, out of
 * office, challenge-response): an autoreply is never a bounce.
 */
#include <string.h>

#include "bounce/classify.h"
#include "core/str.h"

static bool subject_says_autoreply(const char *s)
{
	static const char *const marks[] = {
		"auto:", "auto reply", "auto-reply", "autoreply",
		"automatic reply", "automatische antwort", "out of office",
		"out of the office", "away from", "away until", "vacation",
		"abwesenheit", "absence", "r\xc3\xa9ponse automatique",
		"respuesta autom", "risposta automatica",
		/* out of office in other languages: Dutch, Italian, Spanish,
		 * Portuguese, Scandinavian, Polish, Czech, French, German */
		"afwezig", "fuori ufficio", "fuera de la oficina",
		"fuera de oficina", "fora do escrit", "resposta autom",
		"automatisch antwoord", "automatisk svar", "fr\xc3\xa5nvarande",
		"frav\xc3\xa6r", "poza biurem", "odpowied\xc5\xba automatyczna",
		"automatick\xc3\xa1 odpov\xc4\x9b\xc4\x8f", "en cong\xc3\xa9",
		"abwesenheitsnotiz", "out-of-office",
		"\xe8\x87\xaa\xe5\x8a\xa8\xe5\x9b\x9e\xe5\xa4\x8d", /* 自动回复 */
		"\xe8\x87\xaa\xe5\x8b\x95\xe5\x9b\x9e\xe8\xa6\x86", /* 自動回覆 */
		"\xe8\x87\xaa\xe5\x8b\x95\xe5\xbf\x9c\xe7\xad\x94", /* 自動応答 */
	};

	if (s == NULL)
		return false;
	return rb_contains_any(s, strlen(s), marks,
			       sizeof(marks) / sizeof(marks[0]));
}

static bool looks_like_failure(const struct rb_report *r)
{
	const char *f = rb_report_header(r, "From");

	/* Exim and others mark their bounces Auto-Submitted: auto-replied */
	if (f != NULL && (rb_memcasemem(f, strlen(f), "mailer-daemon") ||
			  rb_memcasemem(f, strlen(f), "postmaster@") ||
			  rb_memcasemem(f, strlen(f), "mail delivery")))
		return true;
	static const char *const marks[] = {
		"undeliver", "delivery status notification", "returned mail",
		"failure notice", "delivery failure", "mail delivery failed",
		"delivery has failed", "could not be delivered",
		"mail failure", "not delivered", "delivery status",
		"non remis", "unzustellbar", "returned to sender",
		/* delay warnings (MDaemon, Stalwart, Courier, ...) */
		"delivery delayed", "delayed delivery", "delayed mail",
		"message delayed", "delivery delay", "delay in message delivery",
	};
	const char *s = r->subject;

	if (s == NULL)
		return false;
	return rb_contains_any(s, strlen(s), marks,
			       sizeof(marks) / sizeof(marks[0]));
}

/*
 * A challenge-response system's request (Boxbe, Spam Arrest, a
 * permission-based filter): the recipient's filter holds the message until
 * the sender proves to be a person, or a mailing list holds it for its
 * moderator. Nothing failed; the reply is automatic. Both need one of
 * these phrases in the text before the returned message.
 */
static bool held_for_verification(const struct rb_report *r)
{
	static const char *const marks[] = {
		"you are a real person", "verify that you are human",
		"verify you are human", "you are not a spammer",
		"you are a human", "list of approved senders",
		"my approved senders", "challenge-response",
		"challenge/response", "until the list moderator can review",
		"held for moderator approval", "awaits moderator approval",
		"is being held for approval",
	};
	size_t n = r->expl_len < 4096 ? r->expl_len : 4096;

	if (r->text == NULL || n == 0)
		return false;
	return rb_contains_any(r->text, n, marks,
			       sizeof(marks) / sizeof(marks[0]));
}

bool rb_autoreply_detect(struct rb_report *r)
{
	const char *v;

	if (looks_like_failure(r))
		return false;
	v = rb_report_header(r, "Auto-Submitted");
	if (v != NULL && rb_startswith_ci(v, "auto-replied")) {
		r->rule = "rfc3834:auto-submitted";
		return true;
	}
	if (rb_report_header(r, "X-Autoreply") != NULL ||
	    rb_report_header(r, "X-Autorespond") != NULL ||
	    rb_report_header(r, "X-Autoresponder") != NULL) {
		r->rule = "rfc3834:x-autoreply";
		return true;
	}
	v = rb_report_header(r, "Precedence");
	if (v != NULL && rb_strcasecmp(v, "auto_reply") == 0) {
		r->rule = "rfc3834:precedence";
		return true;
	}
	v = rb_report_header(r, "X-Auto-Response-Suppress");
	if (v != NULL && subject_says_autoreply(r->subject)) {
		r->rule = "rfc3834:x-auto-response-suppress";
		return true;
	}
	if (held_for_verification(r)) {
		r->rule = "challenge-response";
		return true;
	}
	if (v == NULL && subject_says_autoreply(r->subject) &&
	    (rb_report_header(r, "In-Reply-To") != NULL ||
	     (v = rb_report_header(r, "Auto-Submitted")) != NULL)) {
		r->rule = "rfc3834:subject";
		return true;
	}
	return false;
}
