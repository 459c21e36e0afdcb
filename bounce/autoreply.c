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
		/* Italian, Finnish, Danish, Romanian, Turkish, Hungarian */
		"fuori sede", "automaattinen vastaus", "poissaolo", "autosvar",
		"r\xc4\x83spuns automat", "otomatik yan\xc4\xb1t",
		"otomatik yanit", "automatikus v\xc3\xa1lasz",
		/* Автоответ, автоответ, Автоматический ответ */
		"\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82",
		"\xd0\xb0\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82",
		"\xd0\x90\xd0\xb2\xd1\x82\xd0\xbe\xd0\xbc\xd0\xb0\xd1\x82\xd0\xb8\xd1\x87\xd0\xb5\xd1\x81\xd0\xba\xd0\xb8\xd0\xb9 \xd0\xbe\xd1\x82\xd0\xb2\xd0\xb5\xd1\x82",
		/* Αυτόματη απάντηση, αυτόματη απάντηση */
		"\xce\x91\xcf\x85\xcf\x84\xcf\x8c\xce\xbc\xce\xb1\xcf\x84\xce\xb7 \xce\xb1\xcf\x80\xce\xac\xce\xbd\xcf\x84\xce\xb7\xcf\x83\xce\xb7",
		"\xce\xb1\xcf\x85\xcf\x84\xcf\x8c\xce\xbc\xce\xb1\xcf\x84\xce\xb7 \xce\xb1\xcf\x80\xce\xac\xce\xbd\xcf\x84\xce\xb7\xcf\x83\xce\xb7",
		"\xe4\xb8\x8d\xe5\x9c\xa8\xe9\x80\x9a\xe7\x9f\xa5", /* 不在通知 */
		"\xe8\x87\xaa\xe5\x8b\x95\xe8\xbf\x94\xe4\xbf\xa1", /* 自動返信 */
		"\xe4\xb8\x8d\xe5\x9c\xa8\xe5\x8a\x9e\xe5\x85\xac\xe5\xae\xa4", /* 不在办公室 */
		"\xe8\x87\xaa\xe5\x8a\xa8\xe7\xad\x94\xe5\xa4\x8d", /* 自动答复 */
		"\xec\x9e\x90\xeb\x8f\x99 \xec\x9d\x91\xeb\x8b\xb5", /* 자동 응답 */
		"\xeb\xb6\x80\xec\x9e\xac\xec\xa4\x91", /* 부재중 */
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
	/* a notice that returns the message and quotes a server's failure
	 * code is a failure report whatever its headers say (LISTSERV and
	 * list servers mark their member-bounce reports Auto-Submitted) */
	if (r->orig.found_in != NULL && rb_text_has_failure_code(r))
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
 * A challenge-response system's request (Boxbe, Spam Arrest, BoxTrapper, a
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
		/* list and group moderation queues: Mailman 3, Google Groups,
		 * groups.io, LISTSERV, Sympa, ezmlm, Majordomo, Exchange */
		"held for moderator review", "awaiting moderator approval",
		"is awaiting approval", "requires the approval of the moderator",
		"submitted to the moderator", "queued for moderator approval",
		"forwarded to the list's moderator", "until a moderator approves",
		"pending moderator approval", "in emergency hold mode",
		/* cPanel BoxTrapper's verify template: "... requires that you
		 * verify that you are a real live human being and not a spam
		 * source" */
		"you are a real live human",
	};
	size_t n = r->expl_len < 4096 ? r->expl_len : 4096;
	char flat[4097];

	if (r->text == NULL || n == 0)
		return false;
	/* white space squeezed: a template wraps its sentence anywhere
	 * ("forwarded to the\nlist's moderator(s)") */
	n = rb_str_squeeze_copy(flat, r->text, n);
	return rb_contains_any(flat, n, marks,
			       sizeof(marks) / sizeof(marks[0]));
}

/* Does the subject start with an automatic-reply marker ("Automatisch
 * antwoord: ...", "Out of Office: ...")? A person's subject never does;
 * a mail system's failure notice never does either (looks_like_failure
 * is asked first). */
static bool subject_starts_autoreply(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	s += strspn(s, " \t");
	n = strcspn(s, ":\xef"); /* up to ':' or a full-width colon */
	if (n == 0 || n > 40 || (s[n] != ':' && strncmp(s + n, "\xef\xbc\x9a", 3) != 0))
		return false;
	{
		char head[48];

		memcpy(head, s, n);
		head[n] = '\0';
		return subject_says_autoreply(head);
	}
}

/*
 * The responder's own words: the text before the first quoted line ("> "),
 * a reply header ("On ... wrote:", "-----Original Message-----") or the
 * returned message, at most @max bytes. Sets *len_r.
 */
static const char *own_words(const struct rb_report *r, size_t max,
			     size_t *len_r)
{
	const char *t = r->text, *p, *end;

	*len_r = 0;
	if (t == NULL)
		return NULL;
	end = t + (r->expl_len > 0 ? r->expl_len : r->text_len);
	if ((size_t)(end - t) > max)
		end = t + max;
	for (p = t; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - p);

		if ((n > 0 && p[0] == '>') || (n >= 5 && strncmp(p, "-----", 5) == 0) ||
		    (n > 6 && rb_memcasemem(p, n, "wrote:") != NULL))
			break;
		p = nl ? nl + 1 : end;
	}
	*len_r = (size_t)(p - t);
	return t;
}

/*
 * The words of an out-of-office or "I have left" responder in the text
 * itself, for responders that send no RFC 3834 header and reuse the
 * original subject ("Re: ..."). Only the responder's own words count, not
 * what it quotes.
 */
static bool text_says_away(const struct rb_report *r)
{
	static const char *const marks[] = {
		"out of the office", "out of office", "away from the office",
		"away from my desk", "on vacation", "on holiday",
		"on annual leave", "on leave until", "on parental leave",
		"on maternity leave", "this is an automatic reply",
		"this is an automated reply", "this is an automated response",
		"this is an automatic response", "auto-reply", "autoreply",
		"no longer with", "no longer monitored", "have left the company",
		"has left the company", "no longer work",
		"nicht im b\xc3\xbcro", "abwesend", "absent du bureau",
		"absente du bureau", "en cong\xc3\xa9", "fuera de la oficina",
		"de vacaciones", "fuori ufficio", "in ferie", "afwezig",
		"met vakantie", "de f\xc3\xa9rias", "fora do escrit",
		"\xd0\xb2 \xd0\xbe\xd1\x82\xd0\xbf\xd1\x83\xd1\x81\xd0\xba\xd0\xb5", /* в отпуске */
	};
	size_t n;
	const char *t = own_words(r, 2048, &n);

	return t != NULL && n > 0 &&
	       rb_contains_any(t, n, marks, sizeof(marks) / sizeof(marks[0]));
}

bool rb_autoreply_moved(const struct rb_report *r)
{
	static const char *const marks[] = {
		"new address is", "new e-mail address", "new email address",
		"new mail address", "address has changed",
		"address has been changed", "changed my e-mail address",
		"changed my email address", "new address:",
		"neue e-mail-adresse", "neue adresse", "nouvelle adresse",
		"nueva direcci\xc3\xb3n", "nuovo indirizzo",
		"nieuwe e-mailadres", "nieuw e-mailadres",
		"novo endere\xc3\xa7o",
	};
	size_t n;
	const char *t = own_words(r, 2048, &n);

	return t != NULL && n > 0 &&
	       rb_contains_any(t, n, marks, sizeof(marks) / sizeof(marks[0]));
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
	if (subject_starts_autoreply(r->subject)) {
		r->rule = "rfc3834:subject";
		return true;
	}
	/* a responder without headers that says so in its own words: it
	 * answers a message (In-Reply-To) or uses the null sender, and
	 * returns no message and quotes no failure code */
	if (r->orig.found_in == NULL && r->ds_raw == NULL &&
	    (rb_report_header(r, "In-Reply-To") != NULL ||
	     rb_null_path(rb_report_header(r, "Return-Path"))) &&
	    !rb_text_has_failure_code(r) && text_says_away(r)) {
		r->rule = "autoreply:text";
		return true;
	}
	return false;
}
