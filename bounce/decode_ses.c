/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bounce/decode_ses.c - decode:amazonses-json, the text decoder for
 * Amazon SES Bounce and Delivery notifications mailed as JSON by an SNS
 * e-mail subscription. SES complaints are read by fbl/.
 */
#include <stddef.h>
#include <string.h>

#include "bounce/decode_int.h"
#include "core/str.h"
#include "parsers/addr.h"
#include "parsers/json.h"

/* An Amazon SES notification mailed by SNS: the text is the JSON object
 * itself (perhaps in SNS's {"Type":"Notification","Message":...}
 * envelope), not JSON quoted under someone's words. */
bool rb_dec_ses_notification(const struct rb_report *r)
{
	size_t sp = strspn(r->text, " \t\r\n");

	return sp < r->text_len && r->text[sp] == '{' &&
	       (rb_memcasemem(r->text, r->text_len, "notificationType\\\"") != NULL ||
		rb_memcasemem(r->text, r->text_len, "\"notificationType\"") != NULL);
}

/*
 * Amazon SES notifications forwarded as mail (SNS e-mail subscriptions):
 * {"notificationType":"Bounce","bounce":{"bouncedRecipients":[{
 * "emailAddress":..,"action":..,"status":..,"diagnosticCode":..}], ...}}
 * and "Delivery" with "recipients" and "smtpResponse". Complaints are
 * read by fbl/.
 */
size_t rb_dec_ses_json(struct rb_report *r, struct rb_classifier *c,
		       const char *expl, size_t len)
{
	const char *end, *j, *type, *arr, *it = NULL, *el;
	char *t;
	size_t before = r->n_rcpts;

	if (!rb_dec_ses_notification(r))
		return 0;
	j = rb_json_locate(r->arena, expl, len, "notificationType", &end);
	if (j == NULL)
		return 0;
	type = rb_json_value(j, end, "notificationType");
	t = rb_json_get_string(r->arena, type, end);
	if (t == NULL)
		return 0;
	if (strcmp(t, "Bounce") == 0) {
		const char *bt = rb_json_value(j, end, "bounceType");
		char *btype = rb_json_get_string(r->arena, bt, end);

		arr = rb_json_value(j, end, "bouncedRecipients");
		while ((el = rb_json_next(arr, end, &it)) != NULL) {
			const char *ee = rb_json_skip(el, end);
			char *addr, *v;
			struct rb_rcpt *rc;

			if (ee == NULL)
				break;
			addr = rb_addr_extract(r->arena, rb_json_get_string(
				r->arena, rb_json_value(el, ee, "emailAddress"), ee));
			if (addr == NULL ||
			    (rc = rb_dec_add(r, c, addr)) == NULL)
				continue;
			rc->diagnostic = rb_json_get_string(
				r->arena, rb_json_value(el, ee, "diagnosticCode"), ee);
			if (rc->diagnostic != NULL) {
				char *semi = strchr(rc->diagnostic, ';');

				if (semi != NULL && semi - rc->diagnostic < 12)
					rc->diagnostic = semi + 1;
				rb_str_squeeze(rc->diagnostic);
			}
			v = rb_json_get_string(r->arena, rb_json_value(el, ee, "status"), ee);
			if (v != NULL && rb_status_normalize(v, rc->status) == 0)
				rc->status_from = "dsn";
			rc->action = rb_json_get_string(r->arena,
						    rb_json_value(el, ee, "action"), ee);
			if (btype != NULL && strcmp(btype, "Transient") == 0 &&
			    rc->action == NULL)
				rc->action = "delayed";
		}
	} else if (strcmp(t, "Delivery") == 0) {
		char *resp = rb_json_get_string(
			r->arena, rb_json_value(j, end, "smtpResponse"), end);

		arr = rb_json_value(j, end, "recipients");
		while ((el = rb_json_next(arr, end, &it)) != NULL) {
			char *addr = rb_addr_extract(
				r->arena, rb_json_get_string(r->arena, el, end));
			struct rb_rcpt *rc;

			if (addr == NULL ||
			    (rc = rb_dec_add(r, c, addr)) == NULL)
				continue;
			rc->action = "delivered";
			rc->diagnostic = resp;
		}
	}
	if (r->n_rcpts > before) {
		char *mta = rb_json_get_string(
			r->arena, rb_json_value(j, end, "reportingMTA"), end);

		if (mta != NULL && r->reporting_mta == NULL) {
			char *semi = strchr(mta, ';');

			r->reporting_mta = semi ? rb_str_trim(semi + 1) : mta;
		}
	}
	return r->n_rcpts - before;
}
