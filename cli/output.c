/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/output.c - printers.
 */
#include <string.h>

#include "cli/output.h"
#include "core/str.h"
#include "parsers/fields.h"

static size_t utf8_seq(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;

	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0 && c >= 0xc2)
		n = 2;
	else if ((c & 0xf0) == 0xe0)
		n = 3;
	else if ((c & 0xf8) == 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	}
	if (!rb_utf8_valid((const char *)p, n))
		return 0;
	return n;
}

void rb_json_string(FILE *fp, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			p++;
			continue;
		case '\\':
			fputs("\\\\", fp);
			p++;
			continue;
		case '\n':
			fputs("\\n", fp);
			p++;
			continue;
		case '\r':
			fputs("\\r", fp);
			p++;
			continue;
		case '\t':
			fputs("\\t", fp);
			p++;
			continue;
		default:
			break;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(fp, "\\u%04x", *p);
			p++;
			continue;
		}
		n = utf8_seq(p);
		if (n == 0) {
			fputs("\xef\xbf\xbd", fp);
			p++;
			continue;
		}
		fwrite(p, 1, n, fp);
		p += n;
	}
	fputc('"', fp);
}

static void key(FILE *fp, const char *k, const char *v, int first)
{
	if (!first)
		fputc(',', fp);
	fprintf(fp, "\"%s\":", k);
	rb_json_string(fp, v);
}

static void flags_list(FILE *fp, unsigned f)
{
	int first = 1;

	fputc('[', fp);
	for (unsigned bit = 1; bit <= RB_PF_LAST; bit <<= 1) {
		const char *name = rb_flag_name(bit);

		if ((f & bit) && name != NULL) {
			fprintf(fp, "%s\"%s\"", first ? "" : ",", name);
			first = 0;
		}
	}
	fputc(']', fp);
}

static void flags_json(FILE *fp, unsigned f)
{
	fputs(",\"flags\":", fp);
	flags_list(fp, f);
}

static const char *nz(const char *s)
{
	return (s != NULL && *s != '\0') ? s : NULL;
}

static void one(FILE *fp, const char *source, const struct rb_report *r,
		const struct rb_rcpt *rc)
{
	const struct rb_original *o = &r->orig;
	enum rb_kind kind = rc ? rc->kind : r->kind;
	int complaint = kind == RB_KIND_COMPLAINT || kind == RB_KIND_NOT_SPAM ||
			kind == RB_KIND_AUTH_FAILURE;

	fputc('{', fp);
	key(fp, "source", source, 1);
	key(fp, "kind", rb_kind_name(kind), 0);
	key(fp, "recipient", rc ? rc->recipient : NULL, 0);
	key(fp, "original_recipient", rc ? rc->original_recipient : NULL, 0);
	key(fp, "action", rc ? rc->action : NULL, 0);
	key(fp, "status", rc ? nz(rc->status) : NULL, 0);
	key(fp, "reply_code", rc ? nz(rc->reply_code) : NULL, 0);
	key(fp, "diagnostic", rc ? rc->diagnostic : NULL, 0);
	key(fp, "remote_mta", rc ? rc->remote_mta : NULL, 0);
	key(fp, "reporting_mta", r->reporting_mta, 0);
	key(fp, "reason", rc ? rc->reason : NULL, 0);
	fprintf(fp, ",\"hard\":%s", rc && rc->hard ? "true" : "false");
	key(fp, "fault", rc ? rb_fault_name(rc->fault) : NULL, 0);
	key(fp, "blocklist", rc ? rc->blocklist : NULL, 0);
	key(fp, "rule", rc && rc->rule ? rc->rule : r->rule, 0);
	key(fp, "sender", o->sender, 0);
	key(fp, "sender_source", o->sender_source, 0);
	key(fp, "sender_id", o->sender_id, 0);
	key(fp, "envelope_from", o->envelope_from, 0);
	key(fp, "from", o->from, 0);
	key(fp, "message_id", o->message_id, 0);
	key(fp, "subject", o->subject, 0);
	if (complaint) {
		key(fp, "feedback_type", r->fb.feedback_type, 0);
		key(fp, "user_agent", r->fb.user_agent, 0);
		key(fp, "provider", r->fb.provider, 0);
		key(fp, "source_ip", r->fb.source_ip, 0);
		key(fp, "arrival_date", r->fb.arrival_date, 0);
		key(fp, "reported_domain", r->fb.reported_domain, 0);
	}
	flags_json(fp, r->flags);
	fputs("}\n", fp);
}

void rb_output_ndjson(FILE *fp, const char *source, const struct rb_report *r)
{
	if (r->n_rcpts == 0) {
		one(fp, source, r, NULL);
		return;
	}
	for (size_t i = 0; i < r->n_rcpts; i++)
		one(fp, source, r, &r->rcpts[i]);
}

void rb_output_text_header(FILE *fp)
{
	fprintf(fp, "%-40s %-12s %-36s %-9s %-15s %-5s %-9s %s\n", "SOURCE",
		"KIND", "RECIPIENT", "STATUS", "REASON", "HARD", "FAULT",
		"RULE");
}

static const char *tail(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > max ? s + n - max : s;
}

void rb_output_text(FILE *fp, const char *source, const struct rb_report *r)
{
	if (r->n_rcpts == 0) {
		fprintf(fp, "%-40s %-12s %-36s %-9s %-15s %-5s %-9s %s\n",
			tail(source, 40), rb_kind_name(r->kind), "-", "-", "-",
			"-", "-", r->rule ? r->rule : "-");
		return;
	}
	for (size_t i = 0; i < r->n_rcpts; i++) {
		const struct rb_rcpt *rc = &r->rcpts[i];

		fprintf(fp, "%-40s %-12s %-36s %-9s %-15s %-5s %-9s %s%s%s\n",
			tail(source, 40), rb_kind_name(rc->kind),
			rc->recipient ? rc->recipient : "-",
			rc->status[0] ? rc->status : "-",
			rc->reason ? rc->reason : "-", rc->hard ? "yes" : "no",
			rb_fault_name(rc->fault), rc->rule ? rc->rule : "-",
			rc->blocklist ? " blocklist=" : "",
			rc->blocklist ? rc->blocklist : "");
	}
}

static void line(FILE *fp, const char *label, const char *v)
{
	if (v == NULL || *v == '\0')
		return;
	fprintf(fp, "  %-22s ", label);
	for (const char *p = v; *p; p++)
		fputc((unsigned char)*p < 0x20 ? ' ' : *p, fp);
	fputc('\n', fp);
}

void rb_output_explain(FILE *fp, const char *source, const struct rb_report *r)
{
	fprintf(fp, "%s\n", source);
	line(fp, "kind", rb_kind_name(r->kind));
	line(fp, "decided by", r->rule);
	line(fp, "because", r->why);
	line(fp, "parts read", r->parts_seen);
	line(fp, "subject", r->subject);
	line(fp, "from", r->from);
	line(fp, "reporting mta", r->reporting_mta);
	line(fp, "original found in", r->orig.found_in);
	line(fp, "original message-id", r->orig.message_id);
	line(fp, "sender", r->orig.sender);
	line(fp, "sender from", r->orig.sender_source);
	line(fp, "feedback type", r->fb.feedback_type);
	line(fp, "provider", r->fb.provider);
	if (r->flags) {
		fprintf(fp, "  %-22s ", "flags");
		flags_list(fp, r->flags);
		fputc('\n', fp);
	}
	for (size_t i = 0; i < r->n_rcpts; i++) {
		const struct rb_rcpt *rc = &r->rcpts[i];
		char buf[160];

		fprintf(fp, " recipient %zu: %s\n", i + 1,
			rc->recipient ? rc->recipient : "(none)");
		line(fp, "kind", rb_kind_name(rc->kind));
		if (rc->original_recipient != NULL) {
			(void)snprintf(buf, sizeof(buf), "%s (from %s)",
				       rc->original_recipient,
				       rc->orcpt_from ? rc->orcpt_from : "dsn");
			line(fp, "original recipient", buf);
		} else
			line(fp, "original recipient", rc->orcpt_from);
		line(fp, "action", rc->action);
		(void)snprintf(buf, sizeof(buf), "%s (from %s)",
			       rc->status[0] ? rc->status : "-",
			       rc->status_from ? rc->status_from : "-");
		line(fp, "status", buf);
		line(fp, "reply code", rc->reply_code);
		line(fp, "diagnostic", rc->diagnostic);
		line(fp, "remote mta", rc->remote_mta);
		line(fp, "smtp command", rc->command);
		line(fp, "sending ip", rc->sending_ip);
		line(fp, "mta category", rc->category);
		(void)snprintf(buf, sizeof(buf), "%s  <- %s",
			       rc->reason ? rc->reason : "-",
			       rc->rule ? rc->rule : "-");
		line(fp, "reason", buf);
		line(fp, "evidence", rc->evidence);
		(void)snprintf(buf, sizeof(buf), "%s  <- %s",
			       rc->hard ? "yes" : "no",
			       rc->hard_from ? rc->hard_from : "reason");
		line(fp, "hard", buf);
		(void)snprintf(buf, sizeof(buf), "%s  <- %s",
			       rb_fault_name(rc->fault),
			       rc->fault_from ? rc->fault_from : "reason");
		line(fp, "fault", buf);
		/* a rule may name a list only to say the sender is not on
		 * it (blocklist none): show which */
		if (rc->blocklist != NULL || rc->blocklist_rule != NULL) {
			(void)snprintf(buf, sizeof(buf), "%s  <- rule:%s",
				       rc->blocklist ? rc->blocklist : "none",
				       rc->blocklist_rule ? rc->blocklist_rule : "-");
			line(fp, "blocklist", buf);
		}
	}
}
