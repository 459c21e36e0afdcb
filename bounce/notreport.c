/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/notreport.c - mail that reaches a bounce address but is no
 * delivery report about the relay's mail: read receipts (MDN), a person
 * forwarding or quoting a bounce, newsletters and ticket systems that
 * talk about failures, and bounces of bounces. Taking any of them for a
 * bounce would suppress an address that never failed.
 */
#include <string.h>

#include "bounce/classify.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/codes.h"

/* Local parts (and display words) of the mail system itself. */
static bool daemon_like(const char *s)
{
	static const char *const marks[] = {
		"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster",
		"post_master", "mail delivery", "double-bounce", "mdaemon",
		"mailer daemon", "delivery subsystem", "mail system",
		"system administrator", "mail administrator",
	};

	if (s == NULL)
		return false;
	return rb_contains_any(s, strlen(s), marks,
			       sizeof(marks) / sizeof(marks[0]));
}

/*
 * The envelope says a person or an ordinary application sent this: a
 * Return-Path with an address (a delivery report is sent with the null
 * reverse-path, RFC 5321 4.5.5 and RFC 3464 2) and neither it nor From
 * names the mail system. Without a Return-Path nothing is known.
 */
static bool ordinary_envelope(const struct rb_report *r)
{
	const char *rp = rb_report_header(r, "Return-Path");
	const char *from = rb_report_header(r, "From");

	if (rp == NULL || strchr(rp, '@') == NULL || rb_null_path(rp))
		return false;
	return !daemon_like(rp) && !daemon_like(from);
}

/* "Re:", "Fwd:", "FW:", "AW:", "WG:", "TR:", "SV:", "VS:", "RV:", "RE :",
 * "Antw:", "Odp:", "Doorst:", "Enc:", "回复:", "转发:", "Ynt:", at the start of
 * the subject (after "[tag]" prefixes). A mail system writes its own
 * subject ("Undeliverable: Re: ..."), never one that starts like this. */
static bool reply_or_forward(const char *s)
{
	static const char *const pfx[] = {
		"re", "fwd", "fw", "aw", "wg", "tr", "sv", "vs", "rv", "antw",
		"odp", "doorst", "enc", "ynt", "r", "i", "res",
		"\xe5\x9b\x9e\xe5\xa4\x8d", /* 回复 */
		"\xe8\xbd\xac\xe5\x8f\x91", /* 转发 */
	};

	if (s == NULL)
		return false;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '[')
			break;
		s = strchr(s, ']');
		if (s == NULL)
			return false;
		s++;
	}
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		size_t n = strlen(pfx[i]);
		const char *p = s + n;

		if (rb_strncasecmp(s, pfx[i], n) != 0)
			continue;
		if (*p == '[') /* "Re[2]:" */
			p = strchr(p, ']') ? strchr(p, ']') + 1 : p;
		while (*p == ' ')
			p++;
		if (*p == ':' || strncmp(p, "\xef\xbc\x9a", 3) == 0) /* ： */
			return true;
	}
	return false;
}

/* A forward prefix ("Fwd:", "Fw:", "WG:", "TR:", "I:", "Enc:", "RV:",
 * "Doorst:", "VS:", "转发:") rather than a reply's. */
static bool fwd_prefix(const char *s)
{
	static const char *const pfx[] = {
		"fwd", "fw", "wg", "tr", "i", "enc", "rv", "doorst", "vs",
		"\xe8\xbd\xac\xe5\x8f\x91",
	};

	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		size_t n = strlen(pfx[i]);

		if (rb_strncasecmp(s, pfx[i], n) == 0 &&
		    (s[n] == ':' || (s[n] == ' ' && s[n + 1] == ':')))
			return true;
	}
	return false;
}

/*
 * Notifications a mail client or groupware writes about a message it did
 * receive: read and non-read receipts, delivery receipts, message recall
 * reports. Their subject is the client's own prefix and the original
 * subject; a delivery failure is never worded so.
 */
static bool mua_notification(const char *s)
{
	static const char *const pfx[] = {
		"read:", "not read:", "read receipt", "return receipt",
		"delivered:", "relayed:", "recall:", "message recall",
		"gelesen:", "ungelesen:", "zugestellt:", "r\xc3\xbc" "ckruf:",
		"lu :", "lu:", "non lu :", "non lu:", "remis :", "rappel :",
		"le\xc3\xad" "do:", "no le\xc3\xad" "do:", "entregado:",
		"letto:", "non letto:", "recapitato:", "lido:", "n\xc3\xa3o lido:",
		"gelezen:", "niet gelezen:", "bezorgd:",
	};

	if (s == NULL)
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++) {
		if (rb_startswith_ci(s, pfx[i]))
			return true;
	}
	return false;
}

/* From a list manager's own address: LIST-owner@, LIST-bounces@,
 * LIST-request@, owner-LIST@, or the manager itself (sympa@, listserv@,
 * majordomo@, mailman@). */
static bool list_manager_from(const struct rb_report *r)
{
	static const char *const suffix[] = {
		"-owner", "-bounces", "-request", "-admin",
	};
	static const char *const name[] = {
		"sympa", "listserv", "majordomo", "mailman",
	};
	const char *a = r->from, *at;
	size_t ll;

	if (a == NULL || (at = strchr(a, '@')) == NULL)
		return false;
	ll = (size_t)(at - a);
	if (ll > 6 && rb_strncasecmp(a, "owner-", 6) == 0)
		return true;
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		size_t n = strlen(suffix[i]);

		if (ll > n && rb_strncasecmp(at - n, suffix[i], n) == 0)
			return true;
	}
	for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
		if (ll == strlen(name[i]) && rb_strncasecmp(a, name[i], ll) == 0)
			return true;
	}
	return false;
}

/* Bulk or list mail (a newsletter that talks about bounces): a list
 * header. A list manager's own notices to a poster (X-List-Administrivia,
 * "your message was rejected") are no newsletter. */
static bool bulk_mail(const struct rb_report *r)
{
	if (rb_report_header(r, "X-List-Administrivia") != NULL)
		return false;
	/* a list manager's notice that returns the poster's message as an
	 * attachment (Mailman and Sympa put List-Id on their notices too):
	 * no newsletter attaches the relay's own message */
	if (r->orig.found_in != NULL &&
	    strcmp(r->orig.found_in, "message/rfc822") == 0 &&
	    list_manager_from(r))
		return false;
	return rb_report_header(r, "List-Unsubscribe") != NULL ||
	       rb_report_header(r, "List-Id") != NULL;
}

/* Auto-Submitted (RFC 3834) other than "no", from an ordinary sender: an
 * application's automatic message (a ticket acknowledgement, a
 * notification), not the mail system's report. */
static bool auto_submitted(const struct rb_report *r)
{
	const char *v = rb_report_header(r, "Auto-Submitted");

	return v != NULL && !rb_startswith_ci(v, "no");
}

bool rb_is_mdn(const struct rb_report *r)
{
	const char *ct = rb_report_header(r, "Content-Type");

	if (r->parts_seen != NULL &&
	    (strstr(r->parts_seen, "delivery-status") != NULL ||
	     strstr(r->parts_seen, "feedback-report") != NULL))
		return false;
	if (r->parts_seen != NULL &&
	    rb_memcasemem(r->parts_seen, strlen(r->parts_seen),
			  "disposition-notification") != NULL)
		return true;
	return ct != NULL &&
	       rb_memcasemem(ct, strlen(ct), "disposition-notification") != NULL;
}

/* A line that introduces a forwarded or quoted message, as mail clients
 * write it ("---------- Forwarded message ---------", "-----Original
 * Message-----", "Begin forwarded message:", localised forms). */
static bool forward_marker(const struct rb_report *r)
{
	static const char *const marks[] = {
		"forwarded message", "original message", "begin forwarded",
		"forwarded by", "weitergeleitete nachricht",
		"urspr\xc3\xbcngliche nachricht", "message transf\xc3\xa9r\xc3\xa9",
		"message d'origine", "mensaje reenviado", "mensaje original",
		"messaggio inoltrato", "messaggio originale",
		"doorgestuurd bericht", "oorspronkelijk bericht",
		"mensagem encaminhada", "mensagem original",
		"videresendt melding", "vidarebefordrat meddelande",
	};
	const char *t = r->text, *end;

	if (t == NULL)
		return false;
	end = t + r->text_len;
	for (const char *p = t; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t n = (size_t)(e - p);

		/* a marker line: dashes around it, or "Begin forwarded
		 * message:" alone on its line */
		if (n > 12 && n < 90 &&
		    (p[0] == '-' || p[0] == ' ' || rb_startswith_ci(p, "begin "))) {
			if (rb_contains_any(p, n, marks,
					    sizeof(marks) / sizeof(marks[0])))
				return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

/* Does the text hold a failure reply code (4xx/5xx) or an enhanced status
 * code of a failure? A mail system's notice quotes one; a person's words
 * about a failure ("she said her mailbox was full") seldom do. */
bool rb_text_has_failure_code(const struct rb_report *r)
{
	char st[RB_STATUS_MAX];
	const char *at;

	if (r->text == NULL)
		return false;
	for (const char *p = r->text; (at = rb_reply_at(p)) != NULL; p = at + 3) {
		if (at[0] == '4' || at[0] == '5')
			return true;
	}
	for (const char *p = r->text; rb_status_find(p, st, NULL) == 0;) {
		const char *hit = strstr(p, st);

		if (st[0] == '4' || st[0] == '5')
			return true;
		if (hit == NULL)
			break;
		p = hit + 1;
	}
	return false;
}

/* A role address of a service rather than a person's: list servers
 * (neko-admin@, list-owner@, list-request@, list-bounces@), no-reply
 * senders of notification services, or a list server's own headers. */
static bool service_sender(const struct rb_report *r)
{
	static const char *const hdrs[] = {
		"X-MLServer", "Mailing-List", "X-Mailman-Version",
		"X-List-Administrivia", "List-Subscribe", "X-ML-Name",
	};
	static const char *const suffix[] = {
		"-admin", "-owner", "-request", "-bounces", "-ctl",
	};
	static const char *const word[] = {
		"no-reply", "noreply", "do-not-reply", "donotreply", "owner-",
	};
	const char *a = r->from, *at;
	size_t ll;

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		if (rb_report_header(r, hdrs[i]) != NULL)
			return true;
	}
	if (a == NULL || (at = strchr(a, '@')) == NULL)
		return false;
	ll = (size_t)(at - a);
	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		size_t n = strlen(suffix[i]);

		if (ll > n && rb_strncasecmp(at - n, suffix[i], n) == 0)
			return true;
	}
	return rb_contains_any(a, ll, word, sizeof(word) / sizeof(word[0]));
}

bool rb_quarantine_notice(const struct rb_report *r)
{
	/* A filtering gateway's own notices about mail it keeps: quarantine
	 * digests (Microsoft Defender / EOP, Proofpoint Essentials, SpamTitan,
	 * FortiMail, Hornetsecurity, Trend Micro) and "held for review"
	 * notices to the sender (Mimecast, Barracuda). */
	static const char *const marks[] = {
		"quarantine report", "quarantine summary", "quarantine digest",
		"quarantine notification", "end user digest", "end-user digest",
		"messages in quarantine", "messages in your quarantine",
		"message in your quarantine", "in the recipient's quarantine",
		"been quarantined", "were quarantined", "was quarantined",
		"held in quarantine", "held in the quarantine",
		"held for review", "held for you to review",
		"being held for you", "being held on your behalf",
		"placed on hold",
	};
	size_t n;

	if (r->ds_raw != NULL || r->text == NULL)
		return false;
	n = r->expl_len ? r->expl_len : r->text_len;
	if (n > 4096)
		n = 4096;
	/* a notice that quotes a server's failure code reports a failure,
	 * whatever else it says about a quarantine */
	if (rb_text_has_failure_code(r))
		return false;
	if (r->subject != NULL &&
	    rb_contains_any(r->subject, strlen(r->subject), marks,
			    sizeof(marks) / sizeof(marks[0])))
		return true;
	return rb_contains_any(r->text, n, marks,
			       sizeof(marks) / sizeof(marks[0]));
}

/*
 * A phishing lure dressed as a delivery notice ("5 incoming messages were
 * held: click to release", "your mailbox is full: upgrade", "Delivery has
 * failed ... sign in to retrieve your messages"). It is written to the
 * mailbox's owner, not about a message the relay sent: its own words send
 * the reader to a link (or an HTML part, whose link the text lost) to sign
 * in, verify the account, change a password or release held mail, and it
 * returns no message of the relay's (none at all, or one addressed to
 * the bounce mailbox itself). A mail system's notice links to help pages
 * ("https://support.google.com/mail/?p=NoSuchUser", Microsoft's "Fix the
 * problem" pages) but never asks for a login, and it carries the returned
 * message or its headers, which keeps it out of this.
 */
static bool lure_words(const char *s, size_t n)
{
	static const char *const words[] = {
		/* the account: credentials, verification, upgrades */
		"sign in", "sign-in", "log in to", "log in and", "login to",
		"login page", "log on to", "logon.aspx", "your password",
		"password expires", "password has expired", "same password",
		"your credentials", "verify your", "verify now", "re-validate",
		"revalidate", "validate your", "confirm your", "confirm now",
		"reactivate", "upgrade your", "restore your", "restore access",
		"deactivat", "account will be", "account has been temporarily",
		/* held mail to be released from the sender's link */
		"release your", "release messages", "release pending",
		"release them", "release all", "to release", "retrieve your",
		"retrieve messages", "recover your messages",
		"recover messages", "messages are pending", "pending messages",
		"click below", "click the link",
		"nachrichten freigeben", "klicken sie hier",
	};

	return s != NULL &&
	       rb_contains_any(s, n, words, sizeof(words) / sizeof(words[0]));
}

static bool has_link(const struct rb_report *r, size_t n)
{
	static const char *const links[] = {"http://", "https://", "www."};

	if (r->parts_seen != NULL && strstr(r->parts_seen, "text/html") != NULL &&
	    strstr(r->parts_seen, "text/plain") == NULL)
		return true; /* an HTML part: its anchors were stripped */
	return rb_contains_any(r->text, n, links,
			       sizeof(links) / sizeof(links[0]));
}

/* Same mailbox, a "+detail" (a VERP token) aside: bounces@relay and
 * bounces+customer-1=example.com@relay. */
static bool same_mailbox(const char *a, const char *b)
{
	const char *aa = strrchr(a, '@'), *ba = strrchr(b, '@');
	size_t al, bl;

	if (aa == NULL || ba == NULL || rb_strcasecmp(aa, ba) != 0)
		return false;
	al = strcspn(a, "+@");
	bl = strcspn(b, "+@");
	return al == bl && rb_strncasecmp(a, b, al) == 0;
}

/* Is the returned message (if any) one the bounce mailbox received rather
 * than one the relay sent: addressed to the report's own To or envelope
 * recipient? */
static bool original_to_us(const struct rb_report *r)
{
	const char *to = rb_report_header(r, "To");
	char *x;

	if (r->orig.to == NULL)
		return false;
	if (r->envelope_to != NULL && same_mailbox(r->orig.to, r->envelope_to))
		return true;
	if (to == NULL || r->arena == NULL)
		return false;
	x = rb_addr_extract(r->arena, to);
	return x != NULL && same_mailbox(x, r->orig.to);
}

/* Does the delivery-status part name a recipient other than the bounce
 * mailbox itself? A DSN about a third party's mailbox is a real report,
 * whatever its text says around it. */
static bool ds_names_third_party(const struct rb_report *r)
{
	const char *p = r->ds_raw, *end;

	if (p == NULL)
		return false;
	end = p + r->ds_len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if ((size_t)(e - p) > 16 &&
		    rb_strncasecmp(p, "Final-Recipient:", 16) == 0) {
			const char *semi = memchr(p, ';', (size_t)(e - p));
			char *a = semi && r->arena
					  ? rb_addr_extract(r->arena,
							    rb_arena_strndup(r->arena, semi + 1,
									     (size_t)(e - semi - 1)))
					  : NULL;

			if (a == NULL || r->envelope_to == NULL ||
			    !same_mailbox(a, r->envelope_to))
				return true;
		}
		p = nl ? nl + 1 : end;
	}
	return false;
}

bool rb_lure_notice(const struct rb_report *r)
{
	size_t n;
	bool held;

	if (r->text == NULL || r->fr_raw != NULL || ds_names_third_party(r))
		return false;
	/* a returned message has at least a Message-ID or a To ("From: x
	 * Subject: y" lines in a list of "held" mail are none) */
	held = r->orig.found_in != NULL && r->orig.message_id == NULL &&
	       r->orig.to == NULL;
	if (r->orig.found_in != NULL && !held && !original_to_us(r))
		return false;
	n = r->expl_len && !held ? r->expl_len : r->text_len;
	if (n > 8192)
		n = 8192;
	if (!has_link(r, n))
		return false;
	return lure_words(r->text, n) ||
	       (r->subject != NULL && lure_words(r->subject, strlen(r->subject)));
}

/*
 * A mail system's notice to its own postmaster about its queue rather
 * than a delivery report: Exim's "Message ... has been frozen". The
 * addresses in it are the queued message's, never a failed recipient.
 * (Postfix's "Postfix SMTP server: errors from host[ip]" transcripts stay
 * decoded, never hard: rb_smtpd_error_notice.)
 */
bool rb_mta_admin_notice(const struct rb_report *r)
{
	const char *s = r->subject;

	if (s == NULL || r->ds_raw != NULL)
		return false;
	s += strspn(s, " \t");
	return rb_startswith_ci(s, "message ") &&
	       rb_memcasemem(s, strlen(s), "has been frozen") != NULL;
}

bool rb_smtpd_error_notice(const struct rb_report *r)
{
	const char *s = r->subject;

	return s != NULL &&
	       rb_startswith_ci(s + strspn(s, " \t"),
				"postfix smtp server: errors from");
}

const char *rb_not_report_why(const struct rb_report *r)
{
	bool ordinary = ordinary_envelope(r);

	if (ordinary && reply_or_forward(r->subject))
		return "a reply or forward by a person";
	if (ordinary && bulk_mail(r))
		return "list or bulk mail";
	/* a list server's report on a member's failure is Auto-Submitted
	 * too, but it returns the message and quotes the server's code */
	if (ordinary && auto_submitted(r) &&
	    !(r->orig.found_in != NULL && rb_text_has_failure_code(r)))
		return "an application's automatic message";
	/* delivery-status fields outside any delivery-status part of this
	 * message (the caller only asks then): inside an attached message */
	if (ordinary && r->ds_raw != NULL)
		return "a delivery report attached or quoted by a person";
	if (ordinary && forward_marker(r))
		return "a message forwarded or quoted by a person";
	if (ordinary && r->orig.found_in == NULL && !service_sender(r) &&
	    !rb_text_has_failure_code(r))
		return "an ordinary sender's words, with neither the returned "
		       "message nor a server's failure code";
	/* a reply to a message, by a person or a person's responder (RFC
	 * 3834 responders use the null sender too): "Re:" subject,
	 * In-Reply-To, and a From that is not the mail system */
	if (reply_or_forward(r->subject) && !fwd_prefix(r->subject) &&
	    rb_report_header(r, "In-Reply-To") != NULL &&
	    !daemon_like(rb_report_header(r, "From")))
		return "a reply by a person or a person's responder";
	if (mua_notification(r->subject))
		return "a mail client's receipt or recall notice";
	return NULL;
}

bool rb_is_double_bounce(const struct rb_report *r)
{
	/* the returned message had the null reverse-path: it was itself a
	 * delivery report or auto-reply, so this failure is about mail the
	 * relay's customers did not send (RFC 5321 4.5.5) */
	const struct rb_original *o = &r->orig;
	const char *as;

	if (rb_null_path(rb_original_header(o, "Return-Path")))
		return true;
	/* a returned message without its Return-Path (the remote kept only
	 * the header it was given) that is itself the mail system's report
	 * to a sender: From the daemon, marked "auto-replied" (what Postfix
	 * and RFC 3834 responders write). "auto-generated" is left alone: a
	 * gateway that forwards a bounce it received sends it so, and the
	 * bounce inside is then the report to read. */
	if (rb_original_header(o, "Return-Path") != NULL ||
	    !daemon_like(rb_original_header(o, "From")))
		return false;
	as = rb_original_header(o, "Auto-Submitted");
	return as != NULL &&
	       rb_startswith_ci(as + strspn(as, " \t"), "auto-replied");
}
