/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/decode.c - the text decoders (see decode.h): the entry points
 * (rb_decode_text and its table of decoders, rb_decode_is_failure_notice,
 * rb_decode_diagnostic_for, rb_decode_command_for), the helpers the
 * decoders share (decode_int.h), the generic "address then explanation"
 * decoder with Sendmail transcripts, the inline-DSN, X-Failed-Recipients
 * and any-address decoders, and the pass that finishes each recipient
 * (its reply line, own stretch of text, delay or success). The phrase,
 * list and section decoders are in decode_list.c, the Amazon SES one in
 * decode_ses.c.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "bounce/decode.h"
#include "bounce/decode_int.h"
#include "bounce/dsn.h"
#include "core/buf.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/fields.h"

bool rb_decode_is_failure_notice(const struct rb_report *r)
{
	static const char *const subj[] = {
		"undeliver", "delivery status", "returned mail",
		"failure notice", "delivery fail", "mail delivery",
		"delivery notification", "non-delivery", "nondeliver",
		"could not be delivered", "not delivered", "mail system error",
		"delivery problem", "rejected", "bounce", "failed",
		"error", "warning", "unzustellbar", "delayed", "loop alert",
		/* localised notices (Exchange in other languages, ISPs'
		 * own templates) */
		"nicht zugestellt", "zustellung fehlgeschlagen",
		"verz\xc3\xb6gert", "non remis", "non distribu",
		"non d\xc3\xa9livr\xc3\xa9", "\303\251chec de", "retard\xc3\xa9",
		"no se puede entregar", "no entregado", "retrasado",
		"n\xc3\xa3o \xc3\xa9 poss\xc3\xadvel entregar", "n\xc3\xa3o entregue",
		"non recapitabil", "non recapitat", "onbestelbaar", "vertraagd",
		"niet afgeleverd", "niedostarczon", "nedoru\xc4\x8diteln",
		"\xd0\xbd\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd", /* недоставлен */
		"\xd0\xbd\xd0\xb5 \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd", /* не доставлен */
		"\xe9\x85\x8d\xe4\xbf\xa1\xe4\xb8\x8d\xe8\x83\xbd", /* 配信不能 */
		"\xe9\x85\x8d\xe4\xbf\xa1\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b", /* 配信できませ */
		"\xe9\x80\x80\xe4\xbf\xa1", /* 退信 */
		"\xe9\x80\x80\xe5\x9b\x9e", /* 退回 */
		"\xe6\x9c\xaa\xe8\x83\xbd\xe9\x80\x81\xe8\xbe\xbe", /* 未能送达 */
		"\xec\xa0\x84\xec\x86\xa1 \xec\x8b\xa4\xed\x8c\xa8", /* 전송 실패 */
		"\xeb\xb0\x98\xec\x86\xa1", /* 반송 */
		/* sv, no, da, fi: "Olevererbart:", "Kan ikke leveres:", "Ei voitu toimittaa:" */
		"olevererbar",
		"ej levererbar",
		"kan ikke leveres",
		"kunne ikke leveres",
		"ikke levert",
		"ikke leveret",
		"ei voitu toimittaa",
		/* tr, el, hu, ro */
		"teslim edilemedi",
		"\xce\xb5\xce\xaf\xce\xbd\xce\xb1\xce\xb9 \xce\xb4\xcf\x85\xce\xbd\xce\xb1\xcf\x84\xce\xae \xce\xb7 \xcf\x80\xce\xb1\xcf\x81\xce\xac\xce\xb4\xce\xbf\xcf\x83\xce\xb7", /* είναι δυνατή η παράδοση */
		"nem k\xc3\xa9zbes\xc3\xadthet\xc5\x91", /* nem kézbesíthető */
		"nelivrabil",
		"nu a putut fi livrat",
		/* uk, bg, sk, hr/sr (Cyrillic capitalised: non-ASCII letters compare exactly) */
		"\xd0\x9d\xd0\xb5 \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0\xbe", /* Не доставлено */
		"\xd0\xb5\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xb5\xd0\xbd\xd0\xbe", /* едоставено */
		"nedoru\xc4\x8dite\xc4\xben", /* nedoručiteľn */
		"nije mogu\xc4\x87" "e isporu\xc4\x8diti", /* nije moguće isporučiti */
		/* zh-TW, vi, id, ms, th */
		"\xe7\x84\xa1\xe6\xb3\x95\xe5\x82\xb3\xe9\x81\x9e", /* 無法傳遞 */
		"\xe7\x84\xa1\xe6\xb3\x95\xe6\x8a\x95\xe9\x81\x9e", /* 無法投遞 */
		"h\xc3\xb4ng g\xe1\xbb\xadi \xc4\x91\xc6\xb0\xe1\xbb\xa3" "c", /* hông gửi được */
		"tidak terkirim",
		"tidak boleh dihantar",
		"\xe0\xb9\x84\xe0\xb8\xa1\xe0\xb9\x88\xe0\xb8\xaa\xe0\xb8\xb2\xe0\xb8\xa1\xe0\xb8\xb2\xe0\xb8\xa3\xe0\xb8\x96\xe0\xb8\xaa\xe0\xb9\x88\xe0\xb8\x87\xe0\xb9\x84\xe0\xb8\x94\xe0\xb9\x89", /* ไม่สามารถส่งได้ */
		/* he, ar, fa */
		"\xd7\x9c\xd7\x90 \xd7\xa0\xd7\x99\xd7\xaa\xd7\x9f \xd7\x9c\xd7\x9e\xd7\xa1\xd7\x95\xd7\xa8", /* לא ניתן למסור */
		"\xd8\xaa\xd8\xb9\xd8\xb0\xd8\xb1 \xd8\xa7\xd9\x84\xd8\xaa\xd8\xb3\xd9\x84\xd9\x8a\xd9\x85", /* تعذر التسليم */
		"\xd8\xaa\xd8\xad\xd9\x88\xdb\x8c\xd9\x84 \xd8\xaf\xd8\xa7\xd8\xaf\xd9\x87 \xd9\x86\xd8\xb4\xd8\xaf", /* تحویل داده نشد */
	};
	const char *f = rb_report_header(r, "From");
	const char *rp = rb_report_header(r, "Return-Path");

	if (f != NULL && (rb_memcasemem(f, strlen(f), "mailer-daemon") ||
			  rb_memcasemem(f, strlen(f), "postmaster") ||
			  rb_memcasemem(f, strlen(f), "mail delivery")))
		return true;
	if (rb_null_path(rp))
		return true;
	static const char *const text[] = {
		"could not be delivered", "couldn't be delivered",
		"was not delivered", "delivery has failed", "delivery failed",
		"undeliverable", "permanent error", "permanent failure",
		"no such user", "user unknown", "unknown user",
		"invalid user address", "mailbox is full", "mailbox full",
		"not a member of this mailing list", "message could not be sent",
		/* a list manager refusing a post */
		"not allowed to post", "not allowed to send messages to list",
		"not authorized to send mail to", "non-member submission",
		"not from a list member", "restricted to subscribers",
		"not accepted by the moderator", "rejected by the list moderator",
		"rejected by a moderator", "rejected by the moderator",
		"only subscribers may post", "not accepted by the group",
		"delivery to the following recipient",
		/* the same in the languages of localised notices */
		"nicht zugestellt werden", "konnte nicht zugestellt",
		"n'a pas pu \xc3\xaatre", "chec de la remise",
		"no se pudo entregar", "no ha sido posible entregar",
		"error en la entrega", "n\xc3\xa3o foi poss\xc3\xadvel entregar",
		"falha na entrega", "non \xc3\xa8 stato recapitato",
		"recapito non riuscito", "niet worden afgeleverd",
		"bezorging is mislukt", "nie mog\305\202a zosta\xc4\x87 dostarczona",
		"nebylo mo\xc5\xben\xc3\xa9 doru\xc4\x8dit",
		/* не может быть доставлено, не было доставлено */
		"\xd0\xbd\xd0\xb5 \xd0\xbc\xd0\xbe\xd0\xb6\xd0\xb5\xd1\x82 \xd0\xb1\xd1\x8b\xd1\x82\xd1\x8c \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd",
		"\xd0\xbd\xd0\xb5 \xd0\xb1\xd1\x8b\xd0\xbb\xd0\xbe \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd",
		/* 配信できませんでした, 届きませんでした */
		"\xe9\x85\x8d\xe4\xbf\xa1\xe3\x81\xa7\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93\xe3\x81\xa7\xe3\x81\x97\xe3\x81\x9f",
		"\xe5\xb1\x8a\xe3\x81\x8d\xe3\x81\xbe\xe3\x81\x9b\xe3\x82\x93\xe3\x81\xa7\xe3\x81\x97\xe3\x81\x9f",
		/* 邮件被退回, 无法发送到 */
		"\xe9\x82\xae\xe4\xbb\xb6\xe8\xa2\xab\xe9\x80\x80\xe5\x9b\x9e",
		"\xe6\x97\xa0\xe6\xb3\x95\xe5\x8f\x91\xe9\x80\x81\xe5\x88\xb0",
		/* 전송되지 못했습니다 */
		"\xec\xa0\x84\xec\x86\xa1\xeb\x90\x98\xec\xa7\x80 \xeb\xaa\xbb\xed\x96\x88\xec\x8a\xb5\xeb\x8b\x88\xeb\x8b\xa4",
		/* sv, no, da, fi, tr, el, hu, ro */
		"det gick inte att leverera",
		"levering mislyktes",
		"leveringen mislykkedes",
		"toimitus ep\xc3\xa4onnistui", /* toimitus epäonnistui */
		"teslim ba\xc5\x9f" "ar\xc4\xb1s\xc4\xb1z", /* teslim başarısız */
		"\xce\xb7 \xcf\x80\xce\xb1\xcf\x81\xce\xac\xce\xb4\xce\xbf\xcf\x83\xce\xb7 \xce\xb1\xcf\x80\xce\xad\xcf\x84\xcf\x85\xcf\x87\xce\xb5", /* η παράδοση απέτυχε */
		"k\xc3\xa9zbes\xc3\xadt\xc3\xa9s nem siker\xc3\xbclt", /* kézbesítés nem sikerült */
		"livrarea a e\xc8\x99uat", /* livrarea a eșuat */
		"livrarea a e\xc5\x9fuat", /* livrarea a eşuat */
		/* uk, sk, hr/sr, zh-TW, vi, id, ms, th, he, ar, fa */
		"\xd0\xbd\xd0\xb5 \xd0\xb2\xd0\xb4\xd0\xb0\xd0\xbb\xd0\xbe\xd1\x81\xd1\x8f \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xb8\xd1\x82\xd0\xb8", /* не вдалося доставити */
		"doru\xc4\x8d" "enie t\xc3\xbdmto pr\xc3\xadjemcom", /* doručenie týmto príjemcom */
		"isporuka nije uspjela",
		"isporuka nije uspela",
		"\xe5\x82\xb3\xe9\x81\x9e\xe7\xb5\xa6\xe4\xb8\x8b\xe5\x88\x97\xe6\x94\xb6\xe4\xbb\xb6\xe8\x80\x85\xe6\x88\x96\xe7\xbe\xa4\xe7\xb5\x84\xe5\xa4\xb1\xe6\x95\x97", /* 傳遞給下列收件者或群組失敗 */
		"kh\xc3\xb4ng g\xe1\xbb\xadi \xc4\x91\xc6\xb0\xe1\xbb\xa3" "c t\xe1\xbb\x9bi", /* không gửi được tới */
		"pengiriman ke penerima",
		"penghantaran gagal",
		"\xe0\xb8\x81\xe0\xb8\xb2\xe0\xb8\xa3\xe0\xb8\xaa\xe0\xb9\x88\xe0\xb8\x87\xe0\xb9\x84\xe0\xb8\x9b\xe0\xb8\xa2\xe0\xb8\xb1\xe0\xb8\x87\xe0\xb8\x9c\xe0\xb8\xb9\xe0\xb9\x89\xe0\xb8\xa3\xe0\xb8\xb1\xe0\xb8\x9a", /* การส่งไปยังผู้รับ */
		"\xd7\x94\xd7\x9e\xd7\xa1\xd7\x99\xd7\xa8\xd7\x94 \xd7\x9c\xd7\xa0\xd7\x9e\xd7\xa2\xd7\xa0\xd7\x99\xd7\x9d", /* המסירה לנמענים */
		"\xd9\x81\xd8\xb4\xd9\x84 \xd8\xa7\xd9\x84\xd8\xaa\xd8\xb3\xd9\x84\xd9\x8a\xd9\x85", /* فشل التسليم */
		"\xd8\xaa\xd8\xad\xd9\x88\xdb\x8c\xd9\x84 \xd8\xa8\xd9\x87 \xd8\xa7\xdb\x8c\xd9\x86 \xda\xaf\xdb\x8c\xd8\xb1\xd9\x86\xd8\xaf\xda\xaf\xd8\xa7\xd9\x86", /* تحویل به این گیرندگان */
	};

	if (r->subject != NULL) {
		if (rb_contains_any(r->subject, strlen(r->subject), subj,
				    sizeof(subj) / sizeof(subj[0])))
			return true;
		/* Japanese notices: "...エラー..." (error) */
		if (strstr(r->subject, "\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc") != NULL)
			return true;
	}
	/* a notice from an ordinary-looking sender that says what failed */
	return r->text != NULL &&
	       rb_contains_any(r->text, r->expl_len, text,
			       sizeof(text) / sizeof(text[0]));
}

/* an address character: the local part's atext or the @ */
static bool addr_char(char ch)
{
	return ch == '@' || rb_addr_atext((unsigned char)ch);
}

/* a character that continues an address next to a match; quotes and
 * non-ASCII text (CJK, guillemets) around an address do not */
static bool addr_cont(char ch)
{
	return addr_char(ch) && (unsigned char)ch < 0x80 && ch != '\'' &&
	       ch != '`';
}

const char *rb_dec_find_addr(const char *h, size_t n, const char *addr)
{
	const char *p = h, *end = h + n, *hit;
	size_t al = addr ? strlen(addr) : 0;

	if (h == NULL || al == 0)
		return NULL;
	while (p < end &&
	       (hit = rb_memcasemem(p, (size_t)(end - p), addr)) != NULL) {
		const char *a = hit + al;

		p = hit + 1;
		/* "joann@x" is not "ann@x"; "x.ann@x" neither */
		if (hit > h && addr_cont(hit[-1]) &&
		    (hit[-1] != '.' || (hit - 1 > h && addr_cont(hit[-2]))))
			continue;
		/* "a@x.com" then ".au" is a longer domain, not a full stop */
		if (a < end && addr_cont(*a) &&
		    (*a != '.' || (a + 1 < end && addr_cont(a[1]) && a[1] != '.')))
			continue;
		return hit;
	}
	return NULL;
}

/* Does the line at @p name an address other than @rcpt (the next
 * recipient's block in a run of recipients)? */
static bool next_line_names_other(const char *p, const char *end,
				  const char *rcpt)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *le = nl ? nl : end;
	const char *tok, *te;

	/* the line's first word is an address: the next recipient block */
	tok = p;
	while (tok < le && (*tok == ' ' || *tok == '\t' || *tok == '<'))
		tok++;
	te = tok;
	while (te < le && *te != ' ' && *te != '\t')
		te++;
	return memchr(tok, '@', (size_t)(te - tok)) != NULL &&
	       rb_dec_find_addr(tok, (size_t)(te - tok), rcpt) == NULL;
}

/* Is the line at @b a header or DSN field ("Final-Recipient: rfc822; a",
 * "X-Actual-Recipient: ...", "To: a")? Such a line names the address but
 * says nothing about the failure. */
bool rb_dec_field_line(const char *b, const char *end)
{
	const char *p = b;

	while (p < end && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			   (*p >= '0' && *p <= '9') || *p == '-'))
		p++;
	return p > b && p + 1 < end && *p == ':' && (p[1] == ' ' || p[1] == '\t');
}

/* Does the address at @hit (length @alen) stand in a Sendmail-style
 * "addr... reason" / "<addr>... reason" / "addr>: reason" position? */
static bool reason_follows(const char *t, const char *hit, size_t alen,
			   const char *end)
{
	const char *p = hit + alen;

	/* the address as a word, not the tail of a path or another address */
	if (hit > t && !(hit[-1] == '\n' || hit[-1] == ' ' || hit[-1] == '\t' ||
	      hit[-1] == '<' || hit[-1] == '"'))
		return false;
	if (p < end && (*p == '>' || *p == '"'))
		p++;
	if (end - p >= 4 && strncmp(p, "... ", 4) == 0)
		return true;
	return end - p >= 3 && p[0] == ':' && p[1] == ' ' && p[2] != '\n';
}

/* The lines just above a Sendmail "NNN <addr>... text" line that belong
 * to it: the remote server's `<<<` reply, or the local mailer's own words
 * ("mail.local: unknown user: x"). Returns their start or @b. */
static const char *reply_above(const char *t, const char *b)
{
	const char *q = b, *best = b;

	for (int k = 0; k < 3 && q > t; k++) {
		const char *lb = q - 1;

		while (lb > t && lb[-1] != '\n')
			lb--;
		if (q - 1 - lb < 6)
			break;
		if (strncmp(lb, "<<< ", 4) != 0 &&
		    (strchr("0123456789->. \t", *lb) != NULL ||
		     memchr(lb, '@', (size_t)(q - 1 - lb)) != NULL ||
		     rb_memcasemem(lb, (size_t)(q - 1 - lb), "while talking") ||
		     rb_memcasemem(lb, (size_t)(q - 1 - lb), "... ")))
			break;
		best = q = lb;
	}
	return best;
}

/* Does the address that ends at @p end its line with a colon, with the
 * reason on the indented lines below ("For recipient a:\n  Remote SMTP
 * server replied: 550 ...", "<a>:\n    reason")? */
static bool heads_indented_reason(const char *p, const char *end)
{
	if (p < end && (*p == '>' || *p == '"'))
		p++;
	if (p >= end || *p != ':')
		return false;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	return end - p >= 3 && p[0] == '\n' && (p[1] == ' ' || p[1] == '\t') &&
	       p[2] != '\n';
}

static bool reply_with_status(const char *p, const char *end);

/* Is the address at @hit (ending at @ae) alone on its line, with the
 * server's reply and its enhanced code on the next line ("q@x<br>" then
 * "Remote Server returned '550 5.1.10 ...'" in Office 365's HTML)? */
static bool heads_coded_reason(const char *t, const char *hit,
			       const char *ae, const char *end)
{
	const char *lb = hit, *n, *nl;

	while (lb > t && lb[-1] != '\n')
		lb--;
	if (strspn(lb, " \t<\"*-") != (size_t)(hit - lb))
		return false;
	while (ae < end && strchr(">\": \t\r", *ae) != NULL)
		ae++;
	if (ae >= end || *ae != '\n' || ae + 1 >= end)
		return false;
	n = ae + 1;
	nl = memchr(n, '\n', (size_t)(end - n));
	nl = nl ? nl : end;
	for (const char *q = n; q + 9 <= nl; q++) {
		if ((q == n || !(q[-1] >= '0' && q[-1] <= '9')) &&
		    reply_with_status(q, nl))
			return true;
	}
	return false;
}

void rb_decode_diagnostic_for(struct rb_report *r, struct rb_rcpt *rc)
{
	size_t elen, alen;
	const char *t = r->text, *hit, *b = NULL, *e, *end, *p;
	const char *needle = rc->recipient;
	int best = -1;
	bool heads = false; /* the best line heads the reply below it */

	if (t == NULL || needle == NULL || (alen = strlen(needle)) == 0)
		return;
	elen = r->expl_len;
	end = t + elen;
	/* every mention of the address; the best one is a line that gives the
	 * reason next to it ("addr... reason"), then any line that is not a
	 * header or DSN field naming it */
	for (p = t; p < end && (hit = rb_dec_find_addr(p, (size_t)(end - p),
						       needle)) != NULL;
	     p = hit + 1) {
		const char *lb = hit;
		int score;

		while (lb > t && lb[-1] != '\n')
			lb--;
		if (rb_dec_field_line(lb + strspn(lb, " \t"), end))
			continue;
		score = reason_follows(t, hit, alen, end) ||
				heads_indented_reason(hit + alen, end)
			? 2
			: 1;
		if (score == 1 && heads_coded_reason(t, hit, hit + alen, end))
			score = 3;
		if (score > best) {
			best = score;
			b = lb;
			heads = score == 3;
			if (heads)
				best = 2;
			if (score == 2)
				break;
		}
	}
	if (b == NULL)
		return;
	hit = rb_dec_find_addr(b, (size_t)(end - b), needle);
	e = hit + alen;
	/* the address alone on its line: the reason is on the next lines,
	 * as long as they are indented (Exim folds its reply over several) */
	for (int lines = 0; e < end && lines < 12; lines++) {
		const char *nl = memchr(e, '\n', (size_t)(end - e));

		if (nl == NULL) {
			e = end;
			break;
		}
		if (nl + 1 >= end || nl[1] == '\n' ||
		    next_line_names_other(nl + 1, end, needle) ||
		    (best == 2 && !heads && lines == 0 && nl[1] != ' ' &&
		     nl[1] != '\t') ||
		    (size_t)(nl - b) > RB_DEC_DIAG_MAX) {
			e = nl;
			break;
		}
		e = nl + 1;
		if (lines > 0 && !heads && !(*e == ' ' || *e == '\t')) {
			e = nl;
			break;
		}
	}
	if (best == 2 && b[0] >= '2' && b[0] <= '5' && b[1] >= '0' &&
	    b[1] <= '9' && b[2] >= '0' && b[2] <= '9' && b[3] == ' ')
		b = reply_above(t, b);
	/* the address alone on an indented line ("Delivery to the following
	 * recipients has been delayed.\n\n       addr") says nothing */
	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	if (e - b < (ptrdiff_t)alen + 6)
		return;
	{
		char *d = rb_arena_strndup(r->arena, b, (size_t)(e - b));

		rb_str_squeeze(d);
		rc->diagnostic = d;
		rc->diagnostic_type = "text";
	}
}

/* The command named on an SMTP transcript line: ">>> DATA". */
static const char *transcript_command(const char *p, size_t n)
{
	static const struct {
		const char *word;
		const char *cmd;
	} map[] = {{"DATA", "DATA"}, {"RCPT", "RCPT"}, {"MAIL", "MAIL"},
		   {"EHLO", "HELO"}, {"HELO", "HELO"}, {".", "DATA"}};

	if (n < 5 || strncmp(p, ">>> ", 4) != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (rb_startswith_ci(p + 4, map[i].word))
			return map[i].cmd;
	}
	return NULL;
}

const char *rb_decode_command_for(const struct rb_report *r,
				  const struct rb_rcpt *rc)
{
	const char *t = r->text, *end, *hit, *p;

	if (t == NULL || rc->recipient == NULL)
		return NULL;
	end = t + r->expl_len;
	for (p = t; p < end &&
		    (hit = rb_dec_find_addr(p, (size_t)(end - p), rc->recipient));
	     p = hit + 1) {
		const char *b = hit, *e = hit, *cmd;
		int back = 0;

		while (b > t && b[-1] != '\n')
			b--;
		/* "in reply to end of DATA command" in this line or the next
		 * two (Postfix folds its "said:" paragraph) */
		for (int k = 0; k < 3 && e < end; k++) {
			const char *nl = memchr(e, '\n', (size_t)(end - e));

			e = nl ? nl + 1 : end;
		}
		cmd = rb_smtp_command_find(b, (size_t)(e - b));
		if (cmd != NULL)
			return cmd;
		/* a transcript: ">>> DATA" then "<<< 550 ... addr" */
		for (const char *q = b; q > t && back < 4; back++) {
			const char *lb = q - 1;

			while (lb > t && lb[-1] != '\n')
				lb--;
			cmd = transcript_command(lb, (size_t)(q - 1 - lb));
			if (cmd != NULL)
				return cmd;
			if (strncmp(lb, "<<< ", 4) != 0 && strncmp(b, "<<< ", 4) != 0)
				break;
			q = lb;
		}
	}
	return NULL;
}

/* Addresses that are never the failed recipient: the daemon itself. */
static bool daemon_addr(const struct rb_report *r, const char *a)
{
	const char *at = strchr(a, '@');
	size_t ll = at ? (size_t)(at - a) : strlen(a);

	if ((ll == 13 && rb_strncasecmp(a, "mailer-daemon", 13) == 0) ||
	    (ll == 10 && rb_strncasecmp(a, "postmaster", 10) == 0 &&
	     r->from != NULL && rb_strcasecmp(a, r->from) == 0))
		return true;
	return r->from != NULL && rb_strcasecmp(a, r->from) == 0;
}

/* The bounce's own recipient (its To: address): the notice is addressed
 * to the sender, whose address it often quotes ("To: sender"). */
static bool bounce_to_addr(const struct rb_report *r, const char *a)
{
	const char *to = rb_report_header(r, "To");
	char *x;

	if (to == NULL || r->arena == NULL)
		return false;
	x = rb_addr_extract(r->arena, to);
	return x != NULL && rb_strcasecmp(x, a) == 0;
}

/* Addresses that, found loose in the text, are more likely the sender's
 * or the bounce's own than the failed recipient. */
bool rb_dec_ignorable_addr(const struct rb_report *r, const char *a)
{
	if (daemon_addr(r, a))
		return true;
	if (r->orig.message_id != NULL &&
	    rb_strcasecmp(a, r->orig.message_id) == 0)
		return true;
	if (rb_strcasecmp(a, "postmaster") == 0)
		return true;
	/* the bounce's envelope recipient (Delivered-To, X-Original-To) is
	 * ours, unless the notice is addressed (To:) to someone else: some
	 * agents put the failed recipient in X-Original-To */
	if (r->envelope_to != NULL && rb_strcasecmp(a, r->envelope_to) == 0 &&
	    (rb_report_header(r, "To") == NULL || bounce_to_addr(r, a)))
		return true;
	if (r->orig.from != NULL && rb_strcasecmp(a, r->orig.from) == 0)
		return true;
	if (r->orig.envelope_from != NULL &&
	    rb_strcasecmp(a, r->orig.envelope_from) == 0)
		return true;
	return false;
}

struct rb_rcpt *rb_dec_add(struct rb_report *r, struct rb_classifier *c,
			   char *addr)
{
	struct rb_rcpt *rc;

	for (size_t k = 0; k < r->n_rcpts; k++) {
		if (rb_strcasecmp(r->rcpts[k].recipient, addr) == 0)
			return &r->rcpts[k];
	}
	rc = rb_report_add_rcpt(r, c->limits.max_recipients);
	if (rc != NULL)
		rc->recipient = addr;
	return rc;
}

/* Does the line (len @n) consist of one address and punctuation only? */
char *rb_dec_lone_address(struct rb_arena *a, const char *p, size_t n)
{
	char tmp[512];
	char *s;
	size_t l;

	if (n == 0 || n >= sizeof(tmp))
		return NULL;
	memcpy(tmp, p, n);
	tmp[n] = '\0';
	s = rb_str_trim(tmp);
	l = strlen(s);
	while (l > 0 && (s[l - 1] == ':' || s[l - 1] == ',' || s[l - 1] == ' '))
		s[--l] = '\0';
	if (l == 0 || strchr(s, ' ') != NULL || strchr(s, '@') == NULL)
		return NULL;
	{
		/* "Message-ID:<x@y>" is a header line, not an address line */
		size_t k = strspn(s, "abcdefghijklmnopqrstuvwxyz"
				     "ABCDEFGHIJKLMNOPQRSTUVWXYZ-");

		if (k > 0 && s[k] == ':' && s[k + 1] != '\0')
			return NULL;
	}
	{
		/* the line is the address, perhaps in <> or quotes: not an
		 * address inside a sentence written without spaces */
		char *x = rb_addr_extract(a, s);
		size_t xl;

		if (x == NULL)
			return NULL;
		while (*s == '<' || *s == '"' || *s == '(' || *s == '[')
			s++;
		l = strlen(s);
		while (l > 0 && strchr(">\")].;", s[l - 1]) != NULL)
			l--;
		xl = strlen(x);
		if (l != xl || rb_strncasecmp(s, x, l) != 0)
			return NULL;
		return x;
	}
}

/* Is the line (len @n) a display name and the address in parentheses,
 * nothing else ("Walter Smith (walter@example.com)": Exchange's list of
 * recipients)? Returns (arena) the address. */
static char *named_address(struct rb_arena *a, const char *p, size_t n)
{
	const char *e = p + n, *op, *cp;
	int words = 0;
	bool in_word = false;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e - p < 6 || e[-1] != ')')
		return NULL;
	cp = e - 1;
	op = cp;
	while (op > p && op[-1] != '(')
		op--;
	if (op == p || memchr(op, '@', (size_t)(cp - op)) == NULL ||
	    memchr(op, ' ', (size_t)(cp - op)) != NULL)
		return NULL;
	for (const char *q = p; q < op - 1; q++) {
		if (*q == ':' || *q == '@' || *q == '<' || *q == '(' ||
		    *q == ')' || *q == ';' || *q == '=')
			return NULL;
		if (*q == ' ' || *q == '\t') {
			in_word = false;
		} else if (!in_word) {
			in_word = true;
			words++;
		}
	}
	if (words == 0 || words > 5)
		return NULL;
	{
		char *x = rb_addr_extract(a, rb_arena_strndup(a, op,
							     (size_t)(cp - op)));

		return x != NULL && strlen(x) == (size_t)(cp - op) ? x : NULL;
	}
}

static void diag_append(struct rb_buf *d, const char *p, size_t n)
{
	if (d->len > 0)
		rb_buf_addc(d, ' ');
	rb_buf_add(d, p, n);
}

static void finish_diag(struct rb_report *r, struct rb_rcpt *rc,
			struct rb_buf *d)
{
	char *s;

	if (rc == NULL || d->len == 0)
		return;
	s = rb_arena_strdup(r->arena, rb_buf_str(d));
	rb_str_squeeze(s);
	if (rc->diagnostic == NULL || *rc->diagnostic == '\0') {
		rc->diagnostic = s;
	} else {
		/* a second block for the same recipient that gives the
		 * server's code where the first gave only words (Exchange's
		 * "Diagnostic information for administrators" after its
		 * list of recipients) is the server's own words */
		char st[RB_STATUS_MAX];
		size_t off;

		if (rb_status_find(rc->diagnostic, st, &off) != 0 &&
		    rb_status_find(s, st, &off) == 0)
			rc->diagnostic = s;
	}
	rb_buf_reset(d);
}

/* Is the line after the one at @at text (not blank, not the end)? */
static bool heads_text(const char *at)
{
	const char *nl = strchr(at, '\n');

	return nl != NULL && nl[1] != '\0' && nl[1] != '\n' &&
	       !(nl[1] == '\r' && nl[2] == '\n');
}

/* The leading blanks of the line at @p. */
size_t rb_dec_indent_of(const char *p, const char *le)
{
	size_t n = 0;

	while (p + n < le && (p[n] == ' ' || p[n] == '\t'))
		n++;
	return n;
}

/* Is the address at @at (in text starting at @t) offered as somewhere to
 * write to ("please contact <a>", "send mail ... to the address\n\n\ta",
 * "mailto:a")? A contact address is not a failed recipient. Looks at the
 * text before it on its line and at the end of the non-blank line above. */
bool rb_dec_contact_address(const char *t, const char *at)
{
	static const char *const words[] = {
		"contact", "to the address", "send mail to", "write to",
		"mailto:", "send a message to", "email to", "e-mail to",
		"reply to", "questions to", "please send", "helpdesk",
		/* an address that replaces the old one ("please resend your
		 * message to b", "my new address is b") */
		"resend", "new address", "new e-mail address",
		"new email address",
		/* a labelled help desk ("Support: help@provider") */
		"support:",
	};
	const char *b = at, *lb;

	while (b > t && b[-1] != '\n')
		b--;
	lb = b;
	/* the previous non-blank line */
	if (b > t) {
		const char *q = b - 1;

		while (q > t && (q[-1] == '\n' || q[-1] == ' ' || q[-1] == '\t'))
			q--;
		lb = q;
		while (lb > t && lb[-1] != '\n')
			lb--;
		if (at - lb > 240)
			lb = at - 240;
		/* only when the address starts its own line, and not after a
		 * finished sentence when the address heads its own
		 * explanation ("... please contact your helpdesk.\n\n
		 * next-recipient@x\nThe recipient's mailbox is full":
		 * Exchange's list of recipients) */
		if (strspn(b, " \t<\"") != (size_t)(at - b) ||
		    (q > t && (q[-1] == '.' || q[-1] == '!') &&
		     heads_text(at)))
			lb = b;
	}
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		const char *h = rb_memcasemem(lb, (size_t)(at - lb), words[i]);

		/* "Your email to a could not be delivered" names the failed
		 * recipient, not somewhere to write to */
		if (h != NULL && strstr(words[i], "mail to") != NULL &&
		    h - lb >= 5 && rb_memcasemem(h - 5, 5, "your ") != NULL)
			continue;
		if (h != NULL && (lb == b || at - h < 120))
			return true;
	}
	return false;
}

/* Is @addr, found at @pos of the text, no failed recipient? */
static bool not_recipient(struct rb_report *r, const char *t, const char *pos,
			  const char *addr)
{
	return daemon_addr(r, addr) ||
	       (pos != NULL && rb_dec_contact_address(t, pos));
}

/* "550 5.1.1 <addr>... text", "554 addr... text": a line of a Sendmail
 * transcript that names a recipient and what became of it. */
static bool sendmail_rcpt_line(const char *lt)
{
	const char *q = lt;

	if (!(q[0] >= '2' && q[0] <= '5' && q[1] >= '0' && q[1] <= '9' &&
	      q[2] >= '0' && q[2] <= '9' && q[3] == ' '))
		return false;
	q += 4;
	if (q[0] >= '2' && q[0] <= '5' && q[1] == '.') {
		const char *sp = strchr(q, ' ');

		if (sp == NULL)
			return false;
		q = sp + 1;
	}
	{
		const char *dots = strstr(q, "... ");
		const char *sp = strchr(q, ' ');

		return dots != NULL && (sp == NULL || sp >= dots) &&
		       memchr(q, '@', (size_t)(dots - q)) != NULL;
	}
}

/* Does the line introduce a list of recipients that did not fail
 * (Domino's "Your message was sent to the following recipients as
 * well:", "was delivered to the following recipients:")? */
bool rb_dec_others_list_intro(const char *p, size_t n)
{
	static const char *const words[] = {
		"recipients as well", "also sent to", "was also delivered",
		"successfully delivered to", "delivered successfully to",
		"was delivered to the following", "delivery succeeded",
		"delivery to the following recipients was successful",
	};
	static const char *const negations[] = {" not ", "n't", "fail",
						"unable", "undeliver"};

	/* the words are rare: looked for first */
	return rb_contains_any(p, n, words, sizeof(words) / sizeof(words[0])) &&
	       !rb_contains_any(p, n, negations,
				sizeof(negations) / sizeof(negations[0]));
}

/*
 * Generic layout: an address alone on a line, followed by indented or
 * plain lines of explanation until a blank line or the next address
 * (qmail, Exim, Postfix without DSN, Courier, many appliances); or
 * "addr... reason" (Sendmail); or "<addr>: reason" on one line.
 *
 * Sendmail transcripts ("While talking to host:", ">>> RCPT To:<a>",
 * "<<< 550 reply", "554 <a>... reason") put the remote server's reply on
 * the `<<<` line above the line that names the recipient, and the lines
 * after it belong to the next recipient. A `<<<` reply to MAIL FROM or
 * DATA names the sender or nobody, never a recipient.
 */
static size_t decode_generic(struct rb_report *r, struct rb_classifier *c,
			     const char *expl, size_t len)
{
	const char *p = expl, *end = expl + len;
	struct rb_rcpt *cur = NULL;
	struct rb_buf d, reply;
	size_t before = r->n_rcpts;
	bool closed = false; /* cur's transcript line is complete */
	bool rcpt_cmd = false; /* the last ">>>" command was RCPT */
	bool others = false; /* in a list of recipients that did not fail */

	rb_buf_init(&d, RB_DEC_DIAG_MAX);
	rb_buf_init(&reply, RB_DEC_DIAG_MAX);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *next = nl ? nl + 1 : end;
		char *addr;
		const char *dots;
		int whole;
		bool txline = false, in_reply = false;
		size_t reason_off = 0;

		if (n == 0 || (n < 3 && strspn(p, " \t") >= n)) {
			finish_diag(r, cur, &d);
			cur = NULL;
			closed = false;
			p = next;
			continue;
		}
		addr = rb_dec_lone_address(r->arena, p, n);
		if (addr == NULL)
			addr = named_address(r->arena, p, n);
		if (addr == NULL)
			others = rb_dec_others_list_intro(p, n);
		else if (others) {
			finish_diag(r, cur, &d);
			cur = NULL;
			p = next;
			continue;
		}
		if (addr != NULL &&
		    !not_recipient(r, expl, p + strspn(p, " \t<\""), addr)) {
			finish_diag(r, cur, &d);
			cur = rb_dec_add(r, c, addr);
			closed = false;
			p = next;
			continue;
		}
		/* "<addr>: reason" or "addr... reason" or "addr: reason" */
		dots = NULL;
		whole = 0;
		addr = NULL;
		{
			char line[1024];
			size_t m = n < sizeof(line) - 1 ? n : sizeof(line) - 1;
			char *lt, *gt;

			memcpy(line, p, m);
			line[m] = '\0';
			lt = line + strspn(line, " \t");
			/* Sendmail transcripts: "554 <addr>... 550 Host unknown" */
			whole = 0;
			if (strncmp(lt, ">>> ", 4) == 0) {
				/* a command we sent: only context */
				rcpt_cmd = rb_startswith_ci(lt + 4, "RCPT");
				rb_buf_reset(&reply);
				if (cur != NULL && !closed)
					diag_append(&d, p, n);
				p = next;
				continue;
			}
			if (strncmp(lt, "<<< ", 4) == 0) {
				/* the remote's reply in a transcript */
				diag_append(&reply, lt + 4, strlen(lt + 4));
				if (!rcpt_cmd) {
					if (cur != NULL && !closed)
						diag_append(&d, p, n);
					p = next;
					continue;
				}
				lt += 4;
				whole = 1;
				in_reply = true;
			}
			reason_off = (size_t)(lt - line);
			if (!in_reply && sendmail_rcpt_line(lt))
				txline = true;
			if (lt[0] >= '2' && lt[0] <= '5' && lt[1] >= '0' &&
			    lt[1] <= '9' && lt[2] >= '0' && lt[2] <= '9' &&
			    lt[3] == ' ' && (lt[4] == '<' || strstr(lt, "... "))) {
				lt += 4;
				whole = 1; /* the reply code is part of the reason */
			}
			if (*lt == '<' && (gt = strchr(lt, '>')) != NULL &&
			    (gt[1] == ':' || gt[1] == '.' || gt[1] == ' ')) {
				*gt = '\0';
				addr = rb_addr_extract(r->arena, lt + 1);
				dots = p + (gt - line) + 1;
			} else if ((gt = strstr(lt, "... ")) != NULL &&
				   memchr(lt, ' ', (size_t)(gt - lt)) == NULL) {
				*gt = '\0';
				addr = rb_addr_extract(r->arena, lt);
				dots = p + (gt - line) + 3;
			} else if (lt == line && (gt = strchr(lt, ' ')) != NULL &&
				   memchr(lt, '@', (size_t)(gt - lt)) != NULL &&
				   strchr(":<(\"", *lt) == NULL && gt[-1] != ',') {
				/* "addr reason" at the start of the line: the
				 * first word is the address and nothing else */
				char *w = lt;
				size_t wl;

				*gt = '\0';
				addr = rb_addr_extract(r->arena, lt);
				while (*w == '<' || *w == '"')
					w++;
				wl = strlen(w);
				while (wl > 0 && strchr(">\":;", w[wl - 1]) != NULL)
					wl--;
				if (addr != NULL && (strlen(addr) != wl ||
						     rb_strncasecmp(addr, w, wl) != 0))
					addr = NULL;
				dots = p + (gt - line);
			}
			if (addr != NULL && dots != NULL && cur != NULL &&
			    !closed && (*p == ' ' || *p == '\t') &&
			    (rb_strcasecmp(addr, cur->recipient) == 0 ||
			     (d.len > 0 &&
			      ((rb_buf_str(&d)[d.len - 1] >= '0' &&
				rb_buf_str(&d)[d.len - 1] <= '9') ||
			       rb_buf_str(&d)[d.len - 1] == ':')))) {
				/* Postfix folds "said: 550\n    <addr>:
				 * User unknown" under the address line; the
				 * server may name the address as it rewrote
				 * it ("<old@legacy>: ... virtual alias
				 * table"): the reply goes on, no new
				 * recipient */
				diag_append(&d, p, n);
				p = next;
				continue;
			}
			if (addr != NULL && dots != NULL &&
			    !not_recipient(r, expl, NULL, addr)) {
				finish_diag(r, cur, &d);
				cur = rb_dec_add(r, c, addr);
				closed = false;
				while (dots < p + n &&
				       (*dots == ':' || *dots == '.' || *dots == ' '))
					dots++;
				if (whole)
					dots = p + reason_off;
				if (txline && reply.len > 0) {
					/* the remote's reply first: its codes
					 * are the more specific */
					diag_append(&d, rb_buf_str(&reply), reply.len);
					rb_buf_reset(&reply);
				}
				if (dots < p + n)
					diag_append(&d, dots,
						    (size_t)(p + n - dots));
				if (txline) {
					finish_diag(r, cur, &d);
					closed = true;
				}
				p = next;
				continue;
			}
		}
		if (cur != NULL && !closed)
			diag_append(&d, p, n);
		p = next;
	}
	finish_diag(r, cur, &d);
	rb_buf_free(&d);
	rb_buf_free(&reply);
	return r->n_rcpts - before;
}

/*
 * A delivery-status report pasted into the text instead of attached
 * (Amazon WorkMail, some gateways and list managers): "Reporting-MTA:",
 * "Final-Recipient:", "Status:" lines in the human-readable part. Read
 * like the real part, from the first such field to the end of the
 * explanation.
 */
static size_t decode_inline_dsn(struct rb_report *r, struct rb_classifier *c,
				const char *expl, size_t len)
{
	static const char *const starts[] = {"reporting-mta:",
					     "final-recipient:"};
	const char *end = expl + len, *from = NULL;
	char *saved = r->ds_raw;
	size_t saved_len = r->ds_len, saved_expl, n;

	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		for (const char *p = expl;
		     p < end && (p = rb_memcasemem(p, (size_t)(end - p),
						   starts[i])) != NULL;
		     p++) {
			if (p == expl || p[-1] == '\n') {
				if (from == NULL || p < from)
					from = p;
				break;
			}
		}
	}
	if (from == NULL ||
	    rb_memcasemem(from, (size_t)(end - from), "final-recipient:") == NULL)
		return 0;
	r->ds_raw = (char *)from;
	r->ds_len = (size_t)(end - from);
	/* a recipient without a Diagnostic-Code is looked for in the words
	 * above the fields, not in the fields themselves */
	saved_expl = r->expl_len;
	r->expl_len = (size_t)(from - r->text);
	n = rb_dsn_read(r, &c->limits);
	r->expl_len = saved_expl;
	r->ds_raw = saved;
	r->ds_len = saved_len;
	if (n > 0)
		r->flags |= RB_PF_INVALID_SYNTAX; /* fields outside their part */
	/* nothing said for a recipient: the notice's words above the
	 * fields, not the other recipients' Diagnostic-Code lines */
	for (size_t i = r->n_rcpts - n; i < r->n_rcpts; i++) {
		size_t wl = (size_t)(from - r->text);

		if (r->rcpts[i].diagnostic != NULL || wl == 0)
			continue;
		r->rcpts[i].diagnostic = rb_arena_strndup(
			r->arena, r->text,
			wl < RB_DEC_DIAG_MAX ? wl : RB_DEC_DIAG_MAX);
		rb_str_squeeze(r->rcpts[i].diagnostic);
	}
	return n;
}

/* "a@x <b@y>": by RFC 5322 the text before an angle address is a display
 * name, even when it looks like an address; the mailbox is b@y. Returns
 * the address in angle brackets right after @e (spaces between), else
 * @addr. */
static char *angle_after(struct rb_report *r, char *addr, const char *e,
			 const char *end)
{
	const char *q = e, *gt;
	char *inner;

	if (addr == NULL)
		return NULL;
	while (q < end && *q == ' ')
		q++;
	if (q >= end || *q != '<')
		return addr;
	gt = memchr(q, '>', (size_t)(end - q));
	if (gt == NULL || memchr(q, '\n', (size_t)(gt - q)) != NULL)
		return addr;
	inner = rb_addr_extract(
		r->arena, rb_arena_strndup(r->arena, q + 1, (size_t)(gt - q - 1)));
	return inner != NULL ? inner : addr;
}

/* Is the address whose '@' is at @b part of a link ("https://host:2096/
 * verify?a=x@y", a challenge's or a help page's link)? Then it is a
 * parameter of the link, never a failed recipient. (The address's own
 * start may lie after the "https:" when ':' ended the scan for it.) */
static bool inside_url(const char *expl, const char *b)
{
	const char *t = b;

	while (t > expl && !strchr(" \t\n<(\"'", t[-1]))
		t--;
	return b - t > 3 && rb_memcasemem(t, (size_t)(b - t), "://") != NULL;
}

/* Last resort: the first plausible address in the explanation, with the
 * explanation as its diagnostic. */
static size_t decode_any_address(struct rb_report *r, struct rb_classifier *c,
				 const char *expl, size_t len)
{
	const char *p = expl, *end = expl + len;

	while (p < end) {
		const char *at = memchr(p, '@', (size_t)(end - p));
		const char *b, *e;
		char *addr;

		if (at == NULL)
			break;
		b = at;
		while (b > expl && !strchr(" \t\n<(\"'[:;,", b[-1]))
			b--;
		e = at;
		while (e < end && !strchr(" \t\n>)\"']:;,", *e))
			e++;
		addr = rb_arena_strndup(r->arena, b, (size_t)(e - b));
		addr = rb_addr_extract(r->arena, addr);
		addr = angle_after(r, addr, e, end);
		if (addr != NULL && !rb_dec_ignorable_addr(r, addr) &&
		    !rb_dec_contact_address(expl, b) && !inside_url(expl, at)) {
			struct rb_rcpt *rc = rb_dec_add(r, c, addr);

			if (rc != NULL && rc->diagnostic == NULL) {
				char *s = rb_arena_strndup(r->arena, expl,
							   len < RB_DEC_DIAG_MAX ? len : RB_DEC_DIAG_MAX);

				rb_str_squeeze(s);
				rc->diagnostic = s;
			}
			return 1;
		}
		p = at + 1;
	}
	return 0;
}

/* The addresses of every X-Failed-Recipients header of @r (arena). */
static char **failed_header_addrs(struct rb_report *r, size_t *n_r)
{
	char **out = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < r->n_headers; i++) {
		char *v, *tok, *next;

		if (rb_strcasecmp(r->headers[i].name, "X-Failed-Recipients") != 0)
			continue;
		v = rb_arena_strdup(r->arena, rb_hdr_value(&r->headers[i]));
		for (tok = v; tok != NULL; tok = next) {
			char *addr;

			next = strchr(tok, ',');
			if (next != NULL)
				*next++ = '\0';
			addr = rb_addr_extract(r->arena, tok);
			if (addr == NULL)
				continue;
			if (n == cap) {
				char **grown;

				cap = cap ? cap * 2 : 8;
				grown = rb_arena_alloc(r->arena, cap * sizeof(*grown));
				if (n > 0)
					memcpy(grown, out, n * sizeof(*grown));
				out = grown;
			}
			out[n++] = addr;
		}
	}
	*n_r = n;
	return out;
}

/* Exim, Google and others name the failed recipients in a header
 * (X-Failed-Recipients): each becomes a recipient, with the words the
 * explanation has for it. */
static size_t decode_failed_header(struct rb_report *r, struct rb_classifier *c,
				   const char *expl, size_t len)
{
	size_t before = r->n_rcpts, n;
	char **addrs = failed_header_addrs(r, &n);
	bool named = false;

	if (n == 0)
		return 0;
	/* Exim repeats the header's addresses under "The following
	 * address(es) failed:"; when none is there (the text shows the
	 * address before a rewrite), the text's address lines say which
	 * address the remote server refused */
	for (size_t i = 0; i < n && !named; i++)
		named = rb_dec_find_addr(expl, len, addrs[i]) != NULL;
	if (!named && rb_memcasemem(expl, len, "address(es) failed") != NULL &&
	    decode_generic(r, c, expl, len) > 0)
		return r->n_rcpts - before;
	for (size_t i = 0; i < n; i++) {
		struct rb_rcpt *rc;

		if (daemon_addr(r, addrs[i]) || (rc = rb_dec_add(r, c, addrs[i])) == NULL)
			continue;
		if (rc->diagnostic == NULL)
			rb_decode_diagnostic_for(r, rc);
	}
	return r->n_rcpts - before;
}

static const struct {
	const char *id;
	rb_decoder_fn fn;
} decoders[] = {
	{"decode:amazonses-json", rb_dec_ses_json},
	{"decode:inline-dsn", decode_inline_dsn},
	{"decode:x-failed-recipients", decode_failed_header},
	{"decode:sections", rb_dec_sections},
	{"decode:generic", decode_generic},
	{"decode:phrase", rb_dec_phrase},
	{"decode:subject", rb_dec_subject},
	{"decode:any-address", decode_any_address},
};

static bool dig(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Does @p start "NNN X.Y.Z" (or "NNN-X.Y.Z", or "NNN NNN X.Y.Z": a
 * reply code quoted twice), a 4xx/5xx reply with its enhanced code? */
static bool reply_with_status(const char *p, const char *end)
{
	const char *q;

	if (end - p < 9 || (p[0] != '4' && p[0] != '5') || !dig(p[1]) ||
	    !dig(p[2]) || (p[3] != ' ' && p[3] != '-'))
		return false;
	q = p + 4;
	if (end - q >= 4 && memcmp(q, p, 3) == 0 && q[3] == ' ')
		q += 4;
	return end - q >= 5 && q[0] == p[0] && q[1] == '.' && dig(q[2]) &&
	       (q[3] == '.' || (dig(q[3]) && q[4] == '.'));
}

/* Is the reply at @p (reply_with_status() said yes) only a code, with no
 * words after it ("Status code: 550 5.7.133" above Office 365's "Error:
 * 550 5.7.133 RESOLVER.RST...")? */
static bool reply_code_only(const char *p, const char *end)
{
	const char *q = p + 4;

	if (end - q >= 4 && memcmp(q, p, 3) == 0 && q[3] == ' ')
		q += 4;
	while (q < end && (dig(*q) || *q == '.'))
		q++;
	while (q < end && (*q == ' ' || *q == '\t' || *q == '\r' ||
			   *q == '\'' || *q == '"' || *q == '.' || *q == ')'))
		q++;
	return q >= end;
}

/* Does the diagnostic @d give its reply as a bare code at its end ("...
 * couldn't be delivered. Status code: 550 5.7.133"), so that a line of
 * the notice with the server's words may say more? */
static bool ends_in_bare_code(const char *d)
{
	const char *end;

	if (d == NULL)
		return false;
	end = d + strlen(d);
	for (const char *q = d; q + 9 <= end; q++) {
		if ((q == d || !dig(q[-1])) && reply_with_status(q, end))
			return reply_code_only(q, end);
	}
	return false;
}

/*
 * Sendmail's own last line under a transcript whose DATA (or MAIL) the
 * remote refused, "554 5.0.0 Service unavailable": its code is generic and
 * its words are Sendmail's, not the server's, so it never stands in for
 * the reply a recipient already has ("(reason: 550 Rejected)").
 */
static bool sendmail_summary(const char *p, const char *e)
{
	static const char tail[] = "Service unavailable";
	size_t tl = sizeof(tail) - 1;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	if (e - p != (ptrdiff_t)(10 + tl) || !dig(p[0]) || p[1] != '5' ||
	    p[2] != '4' || p[3] != ' ' || p[4] != p[0] ||
	    memcmp(p + 5, ".0.0 ", 5) != 0)
		return false;
	return rb_strncasecmp(p + 10, tail, tl) == 0;
}

/*
 * The remote server's reply for @rc in the explanation, when the text
 * decoders found the recipient but not the server's words with their code
 * ("* a@example.com" in a list, the code in a "Technical details" or
 * "Remote Server returned '550 5.1.10 ...'" paragraph below). A line that
 * names the recipient wins; with one recipient, the first reply line.
 * Returns (arena) the line, or NULL.
 */
static char *reply_line_for(struct rb_report *r, const struct rb_rcpt *rc)
{
	const char *t = r->text, *end = r->text + r->expl_len, *first = NULL,
		   *first_e = NULL, *bare = NULL, *bare_e = NULL;

	for (const char *p = t; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;

		if (rc->diagnostic != NULL && sendmail_summary(p, e)) {
			p = nl ? nl + 1 : end;
			continue;
		}
		for (const char *q = p; q + 9 <= e; q++) {
			if ((q == p || !dig(q[-1])) && reply_with_status(q, e)) {
				if (rc->recipient != NULL &&
				    rb_dec_find_addr(p, (size_t)(e - p),
						     rc->recipient) != NULL)
					return rb_arena_strndup(r->arena, p,
								(size_t)(e - p));
				/* a bare code stands in only when no line
				 * gives the words with it */
				if (reply_code_only(q, e)) {
					if (bare == NULL) {
						bare = p;
						bare_e = e;
					}
				} else if (first == NULL) {
					first = p;
					first_e = e;
				}
				break;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (first == NULL) {
		first = bare;
		first_e = bare_e;
	}
	if (first == NULL || r->n_rcpts != 1)
		return NULL;
	return rb_arena_strndup(r->arena, first, (size_t)(first_e - first));
}

/* Delay words that say "delayed" wherever they stand, in the text or
 * the Subject (zh-TW, vi, id, th, he, ar, fa). */
static const char *const delay_words_any[] = {
	"\xe5\xbb\xb6\xe9\x81\xb2", /* 延遲 */
	"tr\xc3\xac ho\xc3\xa3n", /* trì hoãn */
	"tertunda",
	"\xe0\xb8\xa5\xe0\xb9\x88\xe0\xb8\xb2\xe0\xb8\x8a\xe0\xb9\x89\xe0\xb8\xb2", /* ล่าช้า */
	"\xd7\x9e\xd7\xaa\xd7\xa2\xd7\x9b\xd7\x91", /* מתעכב */
	"\xd7\xa2\xd7\x99\xd7\x9b\xd7\x95\xd7\x91", /* עיכוב */
	"\xd8\xaa\xd8\xa3\xd8\xae\xd8\xb1", /* تأخر */
	"\xd8\xaa\xd8\xa3\xd8\xae\xdb\x8c\xd8\xb1", /* تأخیر */
};

/* Does the notice say the message is still being retried ("will retry",
 * "has not yet been delivered"), in English or in the words of localised
 * templates? Only phrases that a final failure never contains: no "will
 * not be retried" can match. Non-ASCII letters compare exactly. */
static bool text_says_delay(const char *t, size_t len)
{
	static const char *const words[] = {
		"will continue", "will retry", "still trying",
		"not yet been delivered", "delayed", "will keep trying",
		"this is a warning only", "warning message only",
		/* de */
		"noch nicht zugestellt", "wird weiterhin versucht",
		"verz\xc3\xb6gert",
		/* fr: "n'a pas encore été remis", "de nouvelles tentatives
		 * seront effectuées" */
		"pas encore \xc3\xa9t\xc3\xa9", "nouvelles tentatives seront",
		/* es: "todavía no se ha entregado" */
		"todav\303\255a no se ha", "a\xc3\xban no se ha",
		/* pt: "ainda não foi entregue" */
		"ainda n\xc3\xa3o foi",
		/* it: "non è ancora stato recapitato" */
		"non \xc3\xa8 ancora stat",
		/* pl: "nie została jeszcze dostarczona", "opóźnione",
		 * "próby dostarczenia będą kontynuowane" */
		"jeszcze dostarczon", "op\xc3\xb3\xc5\xbanion",
		"dostarczenia b\xc4\x99" "d\xc4\x85 kontynuowane",
		/* nl: "nog niet bezorgd", "nog steeds geprobeerd" */
		"nog niet bezorgd", "nog niet afgeleverd", "nog steeds geprobeerd",
		/* ru: "ещё/еще не доставлено", "попытки доставки будут
		 * продолжены" ("доставки не будут" does not contain it) */
		"\xd0\xb5\xd1\x89\xd1\x91 \xd0\xbd\xd0\xb5 \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd",
		"\xd0\xb5\xd1\x89\xd0\xb5 \xd0\xbd\xd0\xb5 \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd",
		"\xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xba\xd0\xb8 "
		"\xd0\xb1\xd1\x83\xd0\xb4\xd1\x83\xd1\x82 \xd0\xbf\xd1\x80\xd0\xbe\xd0\xb4\xd0\xbe\xd0\xbb\xd0\xb6\xd0\xb5\xd0\xbd\xd1\x8b",
		/* ja: "配信が遅延", "再送を試みます" */
		"\xe9\x81\x85\xe5\xbb\xb6",
		"\xe5\x86\x8d\xe9\x80\x81\xe3\x82\x92\xe8\xa9\xa6\xe3\x81\xbf"
		"\xe3\x81\xbe\xe3\x81\x99",
		/* zh: "延迟投递", "尚未投递", "将继续尝试" */
		"\xe5\xbb\xb6\xe8\xbf\x9f\xe6\x8a\x95\xe9\x80\x92",
		"\xe5\xb0\x9a\xe6\x9c\xaa\xe6\x8a\x95\xe9\x80\x92",
		"\xe5\xb0\x86\xe7\xbb\xa7\xe7\xbb\xad\xe5\xb0\x9d\xe8\xaf\x95",
		/* sv, no/da, fi, tr, el ("försenad", "forsinket", "viivästynyt", "teslim gecikti", "καθυστερεί") */
		"f\xc3\xb6rsenad", /* försenad */
		"forsinket",
		"viiv\xc3\xa4sty", /* viivästy */
		"teslim gecik",
		"\xce\xba\xce\xb1\xce\xb8\xcf\x85\xcf\x83\xcf\x84\xce\xb5\xcf\x81", /* καθυστερ */
		/* hu, ro, uk, bg ("kézbesítés késik", "întârziată", "затримано", "се забавя") */
		"k\xc3\xa9zbes\xc3\xadt\xc3\xa9s k\xc3\xa9sik", /* kézbesítés késik */
		"k\xc3\xa9sleltetett k\xc3\xa9zbes\xc3\xadt\xc3\xa9s", /* késleltetett kézbesítés */
		"nt\xc3\xa2rziat", /* ntârziat */
		"nt\xc3\xaerziat", /* ntîrziat */
		"\xd0\xb7\xd0\xb0\xd1\x82\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb0\xd0\xbd", /* затриман */
		"\xd1\x81\xd0\xb5 \xd0\xb7\xd0\xb0\xd0\xb1\xd0\xb0\xd0\xb2\xd1\x8f", /* се забавя */
		"\xd0\xb7\xd0\xb0\xd0\xb1\xd0\xb0\xd0\xb2\xd0\xb5\xd0\xbd\xd0\xb0 \xd0\xb4\xd0\xbe\xd1\x81\xd1\x82\xd0\xb0\xd0\xb2\xd0\xba\xd0\xb0", /* забавена доставка */
		/* sk, hr, sr, zh-TW, vi, id, th, he, ar, fa */
		"oneskor",
		"odgo\xc4\x91" "en", /* odgođen */
		"odlo\xc5\xbe" "en", /* odložen */
	};

	return rb_contains_any(t, len, words, sizeof(words) / sizeof(words[0])) ||
	       rb_contains_any(t, len, delay_words_any,
			       sizeof(delay_words_any) / sizeof(delay_words_any[0]));
}

/*
 * Does the bounce's own Subject say delay ("Delayed Mail (still being
 * retried)", "Delivery delayed:", "Zustellung verzögert:", "配信遅延")?
 * Only the part before the returned message's own subject counts: a
 * failure notice about "Shipping delay" is no delay.
 */
static bool subject_says_delay(const struct rb_report *r)
{
	static const char *const words[] = {
		"delay", "still being retried", "verz\xc3\xb6gert",
		"retard\xc3\xa9", "retrasad", "ritardat", "atrasad",
		"vertraagd", "op\xc3\xb3\xc5\xbanion",
		"\xd0\xb7\xd0\xb0\xd0\xb4\xd0\xb5\xd1\x80\xd0\xb6", /* задерж */
		"\xe9\x81\x85\xe5\xbb\xb6", /* 遅延 */
		"\xe5\xbb\xb6\xe8\xbf\x9f", /* 延迟 */
		/* sv, no/da, fi, tr, el, hu, ro, uk, bg, sk, hr, sr */
		"f\xc3\xb6rsenad", /* försenad */
		"forsinket",
		"viiv\xc3\xa4sty", /* viivästy */
		"gecik",
		"\xce\xb1\xce\xb8\xcf\x85\xcf\x83\xcf\x84", /* αθυστ */
		"k\xc3\xa9sleltet", /* késleltet */
		"k\xc3\xa9sik", /* késik */
		"nt\xc3\xa2rzi", /* ntârzi */
		"nt\xc3\xaerzi", /* ntîrzi */
		"\xd0\xb7\xd0\xb0\xd1\x82\xd1\x80\xd0\xb8\xd0\xbc", /* затрим */
		"\xd0\xb7\xd0\xb0\xd0\xb1\xd0\xb0\xd0\xb2", /* забав */
		"oneskor",
		"odgo\xc4\x91", /* odgođ */
		"odlo\xc5\xbe", /* odlož */
		/* ms (also "suspended", so never read in the text); zh-TW,
		 * vi, id, th, he, ar, fa: delay_words_any */
		"ditangguhkan",
	};
	const char *s = r->subject, *o;
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (r->orig.subject != NULL && r->orig.subject[0] != '\0' &&
	    (o = strstr(s, r->orig.subject)) != NULL)
		n = (size_t)(o - s);
	return rb_contains_any(s, n, words, sizeof(words) / sizeof(words[0])) ||
	       rb_contains_any(s, n, delay_words_any,
			       sizeof(delay_words_any) / sizeof(delay_words_any[0]));
}

/*
 * A success notice without a delivery-status part ("Your message has been
 * successfully relayed to the following recipients", "Delivery to the
 * following recipients was successful"): the words say success and
 * nothing in the explanation says a failure.
 */
static bool success_notice(const char *t, size_t n)
{
	static const char *const ok[] = {
		"successfully delivered", "successfully relayed",
		"delivered successfully", "relayed successfully",
		"was successful", "were successful",
		"has been delivered to the following", "delivery succeeded",
	};
	static const char *const bad[] = {
		"fail", "could not", "couldn't", "not delivered", "undeliver",
		"unable", "error", "reject", "permanent", "delay", "not been",
		"unknown", "will retry", "returned",
	};
	return rb_contains_any(t, n, ok, sizeof(ok) / sizeof(ok[0])) &&
	       !rb_contains_any(t, n, bad, sizeof(bad) / sizeof(bad[0]));
}

/*
 * With several recipients and no words found next to @rc, its part of
 * the explanation: from the line that first names it to the line that
 * names the next recipient (Domino repeats "was not delivered to: a
 * because: reason" per recipient). The whole text would give every
 * recipient the first one's reason. The stretch also ends at a section
 * rule or a transcript ("----- Transcript of session follows -----",
 * ">>> RCPT To:"), which belong to no one recipient. NULL with one
 * recipient or when the stretch says no more than the address.
 */
/* Is the address at @hit (length @alen) alone on its line, with no more
 * than quotes, brackets, bullets and punctuation around it? */
static bool lone_mention(const char *t, const char *end, const char *hit,
			 size_t alen)
{
	const char *lb = hit, *le = hit + alen;

	while (lb > t && lb[-1] != '\n')
		lb--;
	while (le < end && *le != '\n')
		le++;
	for (const char *q = lb; q < hit; q++)
		if (strchr(" \t<>\"'*-:,;", *q) == NULL)
			return false;
	for (const char *q = hit + alen; q < le; q++)
		if (strchr(" \t<>\"'*-:,;\r", *q) == NULL)
			return false;
	return true;
}

static char *own_stretch(struct rb_report *r, const struct rb_rcpt *rc)
{
	const char *t = r->text, *end = r->text + r->expl_len, *hit, *b, *e;
	size_t alen;
	char *d;
	bool para = false; /* the words' own paragraph only */

	if (r->n_rcpts < 2 || rc->recipient == NULL ||
	    (hit = rb_dec_find_addr(t, r->expl_len, rc->recipient)) == NULL)
		return NULL;
	alen = strlen(rc->recipient);
	/* the address alone on a line of a list ("Delivery to the following
	 * recipients failed permanently:\n  a\n  b"): a later line that
	 * gives words with it ("DNS Error: Domain name not found for b") is
	 * its own */
	if (lone_mention(t, end, hit, alen)) {
		const char *h2 = hit + alen;

		while (h2 < end &&
		       (h2 = rb_dec_find_addr(h2, (size_t)(end - h2),
					      rc->recipient)) != NULL) {
			const char *lb = h2;

			while (lb > t && lb[-1] != '\n')
				lb--;
			if (!lone_mention(t, end, h2, alen) &&
			    !rb_dec_field_line(lb + strspn(lb, " \t"), end)) {
				hit = h2;
				para = true;
				break;
			}
			h2 += alen;
		}
	}
	b = hit;
	while (b > t && b[-1] != '\n')
		b--;
	e = memchr(hit, '\n', (size_t)(end - hit));
	while (e != NULL && e < end && (size_t)(e - b) < RB_DEC_DIAG_MAX) {
		const char *n = e + 1, *nl;
		bool other = false;

		nl = n < end ? memchr(n, '\n', (size_t)(end - n)) : NULL;
		nl = nl ? nl : end;
		for (size_t k = 0; k < r->n_rcpts && !other; k++) {
			const char *a = r->rcpts[k].recipient;

			other = a != NULL && &r->rcpts[k] != rc &&
				rb_dec_find_addr(n, (size_t)(nl - n), a) != NULL;
		}
		{
			const char *q = n + rb_dec_indent_of(n, nl);

			if (nl - q >= 3 &&
			    (strncmp(q, "---", 3) == 0 || strncmp(q, "===", 3) == 0 ||
			     strncmp(q, "***", 3) == 0 || strncmp(q, ">>>", 3) == 0 ||
			     strncmp(q, "<<<", 3) == 0 || strncmp(q, "...", 3) == 0))
				other = true;
		}
		if (other || n >= end ||
		    (para && rb_dec_indent_of(n, nl) == (size_t)(nl - n)))
			break;
		e = nl;
	}
	if (e == NULL || e > end)
		e = end;
	if ((size_t)(e - b) > RB_DEC_DIAG_MAX)
		e = b + RB_DEC_DIAG_MAX;
	/* a heading that ends the stretch with a colon introduces the next
	 * recipient's block ("Delivery to the following recipient has been
	 * delayed:"), not this one's words */
	for (;;) {
		const char *le = e, *lb;

		while (le > hit && (le[-1] == '\n' || le[-1] == ' ' ||
				    le[-1] == '\t' || le[-1] == '\r'))
			le--;
		lb = le;
		while (lb > b && lb[-1] != '\n')
			lb--;
		if (lb <= hit || le[-1] != ':')
			break;
		e = lb;
	}
	d = rb_arena_strndup(r->arena, b, (size_t)(e - b));
	rb_str_squeeze(d);
	return strlen(d) < alen + 6 ? NULL : d;
}

/* Is @rc first named under a dashed heading that says its failures are
 * not final (Sendmail's "----- The following addresses had transient
 * non-fatal errors -----" next to the permanent ones)? */
static bool under_transient_heading(const struct rb_report *r,
				    const struct rb_rcpt *rc)
{
	const char *t = r->text, *hit, *lb;

	if (rc->recipient == NULL ||
	    (hit = rb_dec_find_addr(t, r->expl_len, rc->recipient)) == NULL)
		return false;
	for (lb = hit; lb > t;) {
		const char *b = lb - 1, *q;

		while (b > t && b[-1] != '\n')
			b--;
		q = b + strspn(b, " \t");
		if (strncmp(q, "-----", 5) == 0)
			return rb_memcasemem(q, (size_t)(lb - q), "transient") !=
				       NULL ||
			       rb_memcasemem(q, (size_t)(lb - q), "non-fatal") !=
				       NULL;
		lb = b;
	}
	return false;
}

/*
 * The returned message's author is who sent it, never a recipient that
 * failed: a list manager's refusal names the poster ("You are not
 * authorized to send mail to the X list from your a@b account"), and an
 * address at the start of that line is no failed address. Dropped when
 * the notice calls it the reader's own ("your a@b") and the message was
 * not also addressed to its author.
 */
static bool named_as_yours(const struct rb_report *r, const char *addr)
{
	const char *t = r->text, *end = r->text + r->expl_len, *hit;
	size_t al = strlen(addr);

	for (const char *p = t; p < end &&
	     (hit = rb_dec_find_addr(p, (size_t)(end - p), addr)) != NULL;
	     p = hit + al) {
		const char *b = hit;

		while (b > t && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\n' ||
				 b[-1] == '\r' || b[-1] == '<'))
			b--;
		if (b - t >= 5 && rb_strncasecmp(b - 4, "your", 4) == 0 &&
		    !((b[-5] >= 'a' && b[-5] <= 'z') || (b[-5] >= 'A' && b[-5] <= 'Z')))
			return true;
	}
	return false;
}

static void drop_poster(struct rb_report *r)
{
	const char *from = r->orig.from;
	size_t w = 0;

	if (from == NULL || r->text == NULL ||
	    (r->orig.to != NULL && rb_strcasecmp(r->orig.to, from) == 0) ||
	    !named_as_yours(r, from))
		return;
	for (size_t i = 0; i < r->n_rcpts; i++) {
		if (r->rcpts[i].recipient != NULL &&
		    rb_strcasecmp(r->rcpts[i].recipient, from) == 0)
			continue;
		if (w != i)
			r->rcpts[w] = r->rcpts[i];
		w++;
	}
	r->n_rcpts = w;
}

void rb_decode_text(struct rb_report *r, struct rb_classifier *c)
{
	size_t elen;
	int delay = -1, success = -1; /* -1: not looked at yet */
	bool relayed = false;

	if (r->text == NULL || r->text_len == 0 ||
	    (!rb_decode_is_failure_notice(r) && !rb_dec_ses_notification(r)))
		return;
	elen = r->expl_len;
	for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++) {
		if (decoders[i].fn(r, c, r->text, elen) > 0) {
			r->rule = decoders[i].id;
			break;
		}
	}
	drop_poster(r);
	if (r->n_rcpts == 0 && r->orig.to != NULL) {
		struct rb_rcpt *rc = rb_dec_add(r, c, r->orig.to);

		if (rc != NULL) {
			char *s = rb_arena_strndup(r->arena, r->text,
						   elen < RB_DEC_DIAG_MAX ? elen : RB_DEC_DIAG_MAX);

			rb_str_squeeze(s);
			rc->diagnostic = s;
			r->rule = "decode:original-to";
		}
	}
	/* the whole-text checks run only for a recipient whose codes leave
	 * the question open (most bounces carry a 5xx) */
	for (size_t i = 0; i < r->n_rcpts; i++) {
		struct rb_rcpt *rc = &r->rcpts[i];

		rb_dsn_codes_from_diagnostic(rc);
		if (rc->status[0] == '\0' || ends_in_bare_code(rc->diagnostic)) {
			char *line = reply_line_for(r, rc);

			if (line != NULL &&
			    (rc->status[0] == '\0' || !ends_in_bare_code(line))) {
				rb_str_squeeze(line);
				rc->diagnostic = line;
				rc->reply_code[0] = '\0';
				rb_dsn_codes_from_diagnostic(rc);
			}
		}
		if (rc->status[0] != '\0' && rc->status_from == NULL)
			rc->status_from = "diagnostic";
		if (rc->diagnostic == NULL && r->n_rcpts > 1 &&
		    rb_dec_find_addr(r->text, elen, rc->recipient) != NULL) {
			/* named among others: its own stretch or nothing,
			 * never the others' words */
			rc->diagnostic = own_stretch(r, rc);
			/* its stretch may carry the codes its line lacked */
			rb_dsn_codes_from_diagnostic(rc);
			if (rc->status[0] != '\0' && rc->status_from == NULL)
				rc->status_from = "diagnostic";
		} else if (rc->diagnostic == NULL) {
			char *s = rb_arena_strndup(r->arena, r->text,
						   elen < RB_DEC_DIAG_MAX ? elen : RB_DEC_DIAG_MAX);

			rb_str_squeeze(s);
			rc->diagnostic = s;
		}
		if (rc->action != NULL && strcmp(rc->action, "delivered") == 0) {
			rc->kind = RB_KIND_DELIVERED;
			continue;
		}
		if (rc->action != NULL && strcmp(rc->action, "delayed") == 0) {
			rc->kind = RB_KIND_DELAY;
			continue;
		}
		if (rb_code_class(rc->status) != 5 &&
		    rb_code_class(rc->status) != 4 &&
		    rb_code_class(rc->reply_code) != 5 &&
		    rb_code_class(rc->reply_code) != 4) {
			if (success < 0) {
				success = success_notice(r->text, elen);
				relayed = success && rb_memcasemem(r->text, elen,
								   "relayed") != NULL;
			}
			if (success) {
				rc->action = relayed ? "relayed" : "delivered";
				rc->kind = RB_KIND_DELIVERED;
				continue;
			}
		}
		rc->action = "failed";
		rc->kind = RB_KIND_BOUNCE;
		if (rb_code_class(rc->status) == 5 ||
		    rb_code_class(rc->reply_code) == 5)
			continue;
		if (delay < 0)
			delay = text_says_delay(r->text, elen) ||
				subject_says_delay(r);
		if (delay || under_transient_heading(r, rc)) {
			rc->action = "delayed";
			rc->kind = RB_KIND_DELAY;
		}
	}
}

/* The address that starts after white space (one line end allowed) and
 * "<" at @p, before @e, or NULL. */
static char *expansion_addr(struct rb_arena *a, const char *p, const char *e)
{
	char buf[320];
	size_t n = 0;
	int nl = 0;

	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' ||
			 (*p == '\n' && nl++ == 0)))
		p++;
	if (p < e && *p == '<')
		p++;
	while (p < e && n < sizeof(buf) - 1 && addr_char(*p))
		buf[n++] = *p++;
	while (n > 0 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
	if (n == 0 || strchr(buf, '@') == NULL || buf[0] == '@' ||
	    buf[n - 1] == '@')
		return NULL;
	return rb_addr_extract(a, buf);
}

/* The address the words after @q (the end of a recipient's name in the
 * text) say it was expanded or generated from: on the same line or at
 * the start of the next (Exim puts "(generated from x)" under the
 * address, Postfix may fold before "(expanded from"). */
static char *expanded_from(struct rb_arena *a, const char *q, const char *e)
{
	static const char *const words[] = {
		"(expanded from:", "(expanded from", "(generated from",
		"generated by",
	};
	int nl = 0;

	while (q < e && (*q == '>' || *q == ' ' || *q == '\t' ||
			 *q == '\r' || (*q == '\n' && nl++ == 0)))
		q++;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t wl = strlen(words[i]);

		if ((size_t)(e - q) > wl && rb_strncasecmp(q, words[i], wl) == 0)
			return expansion_addr(a, q + wl, e);
	}
	return NULL;
}

void rb_decode_expansions(struct rb_report *r)
{
	const char *t = r->text, *e;

	if (t != NULL) {
		e = t + (r->expl_len ? r->expl_len : r->text_len);
		for (size_t i = 0; i < r->n_rcpts; i++) {
			struct rb_rcpt *rc = &r->rcpts[i];
			size_t al;
			const char *p = t, *hit;

			if (rc->original_recipient != NULL ||
			    rc->recipient == NULL)
				continue;
			al = strlen(rc->recipient);
			while (p < e && (hit = rb_dec_find_addr(p, (size_t)(e - p),
								rc->recipient)) != NULL) {
				char *o;

				p = hit + al;
				o = expanded_from(r->arena, p, e);
				if (o == NULL ||
				    rb_strcasecmp(o, rc->recipient) == 0)
					continue;
				rc->original_recipient = o;
				rc->orcpt_from = "text: expanded/generated from";
				break;
			}
		}
	}
}

void rb_decode_fanout(struct rb_report *r)
{
	/* fan-out: another target of the alias took the message, waits
	 * for it or failed only for now, so the alias is alive whatever
	 * became of this one */
	for (size_t i = 0; i < r->n_rcpts; i++) {
		struct rb_rcpt *rc = &r->rcpts[i];

		if (rc->original_recipient == NULL ||
		    rc->kind != RB_KIND_BOUNCE || !rc->hard)
			continue;
		for (size_t k = 0; k < r->n_rcpts; k++) {
			const struct rb_rcpt *o = &r->rcpts[k];

			if (k == i || !(o->kind == RB_KIND_DELIVERED ||
					o->kind == RB_KIND_DELAY ||
					(o->kind == RB_KIND_BOUNCE && !o->hard)) ||
			    o->original_recipient == NULL ||
			    rb_strcasecmp(o->original_recipient,
					  rc->original_recipient) != 0 ||
			    rb_strcasecmp(o->recipient, rc->recipient) == 0)
				continue;
			char buf[800];

			(void)snprintf(buf, sizeof(buf),
				       "left out (%s): another target of "
				       "the alias, %s, is not gone for good",
				       rc->original_recipient, o->recipient);
			rc->orcpt_from = rb_arena_strdup(r->arena, buf);
			rc->original_recipient = NULL;
			break;
		}
	}
}
