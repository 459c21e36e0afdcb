/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/codes.c - status and reply code helpers (cursor parsers).
 */
#include <stdio.h>
#include <string.h>

#include "core/str.h"
#include "parsers/codes.h"

static int isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* Reads 1-3 digits at *pp into *v; returns digits read or 0. */
static int num(const char **pp, unsigned *v)
{
	const char *p = *pp;
	int n = 0;

	*v = 0;
	while (isdig((unsigned char)*p) && n < 4) {
		*v = *v * 10 + (unsigned)(*p - '0');
		p++;
		n++;
	}
	if (n == 0 || n > 3)
		return 0;
	*pp = p;
	return n;
}

/* Parses a code at @p; on success returns the end pointer. */
static const char *parse_code(const char *p, unsigned *c, unsigned *s,
			      unsigned *d)
{
	if (*p != '2' && *p != '4' && *p != '5')
		return NULL;
	*c = (unsigned)(*p - '0');
	p++;
	if (*p != '.')
		return NULL;
	p++;
	if (!num(&p, s))
		return NULL;
	if (*p != '.')
		return NULL;
	p++;
	if (!num(&p, d))
		return NULL;
	return p;
}

bool rb_status_valid(const char *s)
{
	unsigned c, sub, det;
	const char *e = parse_code(s, &c, &sub, &det);

	return e != NULL && *e == '\0';
}

int rb_status_normalize(const char *s, char out_r[RB_STATUS_MAX])
{
	unsigned c, sub, det;
	const char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = parse_code(s, &c, &sub, &det);
	if (e == NULL || isdig((unsigned char)*e) || *e == '.')
		return -1;
	(void)snprintf(out_r, RB_STATUS_MAX, "%u.%u.%u", c, sub, det);
	return 0;
}

/* Parses an enhanced code at @p that stands as a word; returns its end. */
static const char *code_word(const char *text, const char *p, unsigned *c,
			     unsigned *sub, unsigned *det)
{
	const char *e;

	/* "550-5.1.1": a hyphen after a reply code is a separator */
	if (p > text + 3 && p[-1] == '-' && isdig((unsigned char)p[-2]) &&
	    isdig((unsigned char)p[-3]) && isdig((unsigned char)p[-4]) &&
	    (p == text + 4 || !isdig((unsigned char)p[-5])))
		text = p;
	if (p > text && (isdig((unsigned char)p[-1]) || p[-1] == '.' ||
			 p[-1] == '-' || p[-1] == '_' ||
			 ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')))
		return NULL;
	e = parse_code(p, c, sub, det);
	if (e == NULL)
		return NULL;
	/* reject IPs/versions: "5.1.1.1", "4.2.2x" */
	if (isdig((unsigned char)*e) || (*e == '.' && isdig((unsigned char)e[1])) ||
	    ((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z'))
		return NULL;
	return e;
}

int rb_status_find(const char *text, char out_r[RB_STATUS_MAX], size_t *off_r)
{
	const char *p, *first = NULL;
	unsigned c, sub, det, fc = 0, fs = 0, fd = 0;

	for (p = text; *p; p++) {
		const char *q;

		if (*p != '2' && *p != '4' && *p != '5')
			continue;
		/* a code right after an SMTP reply code is the remote
		 * server's own word: "550 5.7.1", "550-5.7.1", "550-'5.7.1" */
		if (p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
		    (p == text || !isdig((unsigned char)p[-1])) &&
		    (p[3] == ' ' || p[3] == '-')) {
			q = p + 4;
			while (*q == ' ' || *q == '\'' || *q == '"' || *q == '#' ||
			       *q == '(' || *q == '<')
				q++;
			if (*q == p[0] && code_word(text, q, &c, &sub, &det)) {
				(void)snprintf(out_r, RB_STATUS_MAX, "%u.%u.%u",
					       c, sub, det);
				if (off_r != NULL)
					*off_r = (size_t)(q - text);
				return 0;
			}
		}
		if (first == NULL && code_word(text, p, &fc, &fs, &fd) != NULL)
			first = p;
	}
	if (first == NULL)
		return -1;
	(void)snprintf(out_r, RB_STATUS_MAX, "%u.%u.%u", fc, fs, fd);
	if (off_r != NULL)
		*off_r = (size_t)(first - text);
	return 0;
}

const char *rb_reply_at(const char *text)
{
	const char *p;

	for (p = text; *p; p++) {
		if (*p != '2' && *p != '4' && *p != '5')
			continue;
		if (p > text && p[-1] != ' ' && p[-1] != '\t' &&
		    p[-1] != ';' && p[-1] != ':' && p[-1] != '(' &&
		    p[-1] != '"' && p[-1] != '\'' && p[-1] != '<' &&
		    p[-1] != '[' && p[-1] != '#' && p[-1] != '=')
			continue;
		if (!isdig((unsigned char)p[1]) || !isdig((unsigned char)p[2]))
			continue;
		if (p[3] != '\0' && p[3] != ' ' && p[3] != '-' &&
		    p[3] != '\t' && p[3] != ')' && p[3] != ',' &&
		    p[3] != '"' && p[3] != '>' && p[3] != ']')
			continue;
		/* "550-5.1.1" or "550 5.1.1" or "550 text": plausible ranges */
		if (p[1] > '5')
			continue;
		return p;
	}
	return NULL;
}

int rb_reply_find(const char *text, char out_r[4])
{
	const char *p = rb_reply_at(text);

	if (p == NULL)
		return -1;
	memcpy(out_r, p, 3);
	out_r[3] = '\0';
	return 0;
}

static int isalpha_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static const char *const smtp_words[] = {"DATA", "RCPT", "MAIL", "HELO",
					 "EHLO"};

/* The command word at @w (not past @end): "DATA", "RCPT", "MAIL" or
 * "HELO" (for HELO and EHLO), not followed by a letter; NULL if none. */
static const char *command_at(const char *w, const char *end)
{
	if (end - w < 4)
		return NULL;
	for (size_t i = 0; i < sizeof(smtp_words) / sizeof(smtp_words[0]); i++) {
		if (rb_strncasecmp(w, smtp_words[i], 4) == 0 &&
		    (w + 4 == end || !isalpha_ascii(w[4])))
			return i >= 3 ? "HELO" : smtp_words[i];
	}
	return NULL;
}

const char *rb_smtp_command_word(const char *s)
{
	while (*s == ' ' || *s == '>' || *s == ':')
		s++;
	return command_at(s, s + strlen(s));
}

/* A phrase rb_smtp_command_find looks for, split around the anchor word it
 * is found through: PRE ANCHORS[K] POST. */
struct cmd_phrase {
	const char *pre;
	size_t pre_len;
	unsigned anchor;
	const char *post;
	size_t post_len;
	const char *cmd;
};

#define PHRASE(pre, k, post, cmd) \
	{pre, sizeof(pre) - 1, k, post, sizeof(post) - 1, cmd}

const char *rb_smtp_command_find(const char *text, size_t len)
{
	/* one search per anchor word instead of one per phrase */
	static const struct {
		const char *word;
		size_t len;
	} anchors[] = {
		{"data", 4}, {"rcpt", 4}, {"recipient", 9}, {"mail from", 9},
		{"hlo", 3},  {"helo", 4}, {"connect", 7},
	};
	/* the table order breaks ties between phrases found at one place */
	static const struct cmd_phrase map[] = {
		PHRASE("end of ", 0, " command", "DATA"),
		PHRASE("end of ", 0, "", "DATA"),
		PHRASE("reply to ", 0, " command", "DATA"),
		PHRASE("after end of ", 0, "", "DATA"),
		PHRASE("after ", 0, "", "DATA"),
		PHRASE(">>> ", 0, "", "DATA"),
		PHRASE("--> ", 0, "", "DATA"), /* MDaemon's transcript */
		PHRASE("sent: ", 0, "", "DATA"), /* hMailServer "sent: DATA" */
		PHRASE("our ", 0, "", "DATA"),
		PHRASE("", 1, " to command", "RCPT"),
		PHRASE("after ", 1, " to", "RCPT"),
		PHRASE(">>> ", 1, " to", "RCPT"),
		PHRASE("sent: ", 1, " to", "RCPT"),
		PHRASE("our ", 1, " to", "RCPT"),
		PHRASE("", 1, " to:<", "RCPT"),
		PHRASE("", 1, " to response", "RCPT"),
		PHRASE("does not like ", 2, "", "RCPT"),
		PHRASE("in reply to ", 1, "", "RCPT"),
		PHRASE("after ", 1, " command", "RCPT"),
		PHRASE("[", 1, "_to]", "RCPT"),
		PHRASE("smtp:", 1, " ", "RCPT"),
		PHRASE("smtp:", 0, " ", "DATA"),
		PHRASE("", 3, " command", "MAIL"),
		PHRASE("after ", 3, "", "MAIL"),
		PHRASE(">>> ", 3, "", "MAIL"),
		PHRASE("--> ", 3, "", "MAIL"),
		PHRASE("sent: ", 3, "", "MAIL"),
		PHRASE("our ", 3, "", "MAIL"),
		PHRASE("e", 4, " command", "HELO"),
		PHRASE("", 5, " command", "HELO"),
		PHRASE("after e", 4, "", "HELO"),
		PHRASE("after ", 5, "", "HELO"),
		PHRASE("", 6, " to ", "CONN"),
		PHRASE("after initial ", 6, "ion", "CONN"),
	};
	enum { NA = sizeof(anchors) / sizeof(anchors[0]),
	       NM = sizeof(map) / sizeof(map[0]) };
	const char *end, *best_at = NULL, *label_at = NULL, *label = NULL;
	size_t best = NM;

	if (text == NULL)
		return NULL;
	end = text + len;
	/* a labelled field: "SMTP command: RCPT", "-----SMTP command\nDATA" */
	for (const char *p = text;
	     p < end && (p = rb_memcasemem(p, (size_t)(end - p),
					   "smtp command")) != NULL;
	     p += 12) {
		const char *w = p + 12;

		while (w < end && (*w == ':' || *w == ' ' || *w == '\t' ||
				   *w == '\r' || *w == '\n'))
			w++;
		if ((label = command_at(w, end)) != NULL) {
			label_at = p;
			break;
		}
	}
	/* the earliest mention wins: the first failing step */
	for (unsigned k = 0; k < NA; k++) {
		size_t al = anchors[k].len;

		for (const char *p = text;
		     (size_t)(end - p) >= al &&
		     (p = rb_memcasemem(p, (size_t)(end - p), anchors[k].word)) != NULL;
		     p++) {
			for (size_t i = 0; i < NM; i++) {
				const struct cmd_phrase *m = &map[i];
				const char *s = p - m->pre_len;

				if (m->anchor != k ||
				    (size_t)(p - text) < m->pre_len ||
				    (size_t)(end - p) < al + m->post_len)
					continue;
				if (rb_strncasecmp(s, m->pre, m->pre_len) != 0 ||
				    rb_strncasecmp(p + al, m->post, m->post_len) != 0)
					continue;
				if (best_at == NULL || s < best_at ||
				    (s == best_at && i < best)) {
					best_at = s;
					best = i;
				}
			}
		}
	}
	if (label != NULL && (best_at == NULL || label_at < best_at))
		return label;
	return best_at != NULL ? map[best].cmd : NULL;
}

void rb_reply_join(char *s)
{
	char reply[4], st[RB_STATUS_MAX];
	char *first, *r, *w;
	size_t stlen = 0;

	first = (char *)rb_reply_at(s);
	if (first == NULL)
		return;
	memcpy(reply, first, 3);
	reply[3] = '\0';
	if (rb_status_find(first, st, NULL) == 0)
		stlen = strlen(st);
	/* the code may end the text: never step past its NUL */
	r = w = first + 3;
	if (*r != '\0')
		r = ++w;
	while (*r) {
		if (r[-1] == ' ' && strncmp(r, reply, 3) == 0 &&
		    (r[3] == '-' || r[3] == ' ')) {
			char *q = r + 4;

			if (stlen > 0 && strncmp(q, st, stlen) == 0 &&
			    (q[stlen] == ' ' || q[stlen] == '\0'))
				q += stlen;
			while (*q == ' ')
				q++;
			r = q;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

int rb_code_class(const char *code)
{
	if (code == NULL)
		return 0;
	if (*code == '2' || *code == '4' || *code == '5')
		return *code - '0';
	return 0;
}

bool rb_status_generic(const char *status)
{
	static const char *generic[] = {"0.0", "7.1", "7.0", "5.0", "1.0",
					"2.0", "3.0", "4.0", "0.1"};

	if (status == NULL || status[0] == '\0')
		return true;
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++) {
		if (strcmp(status + 2, generic[i]) == 0)
			return true;
	}
	return false;
}
