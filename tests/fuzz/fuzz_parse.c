/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/fuzz/fuzz_parse.c - the whole pipeline (parse, complaints, bounce
 * classification) on arbitrary bytes. Every string of the report is read
 * back, so a sanitizer sees dangling or unterminated results.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline.h"
#include "core/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static size_t touch_report(const struct rb_report *r)
{
	size_t n = touch(r->subject) + touch(r->from) + touch(r->envelope_to) +
		   touch(r->rule) + touch(r->parts_seen) +
		   touch(r->reporting_mta) + touch(r->orig.sender) +
		   touch(r->orig.sender_source) + touch(r->orig.message_id) +
		   touch(r->orig.subject) + touch(r->orig.from) +
		   touch(r->fb.feedback_type) + touch(r->fb.provider);

	if (r->text != NULL && r->text_len != strlen(r->text))
		n++; /* text_len may be shorter than a text with NULs */
	for (size_t i = 0; i < r->n_headers; i++)
		n += touch(r->headers[i].name) + touch(r->headers[i].value);
	for (size_t i = 0; i < r->orig.n_headers; i++)
		n += touch(r->orig.headers[i].name) +
		     touch(r->orig.headers[i].value);
	for (size_t i = 0; i < r->n_rcpts; i++) {
		const struct rb_rcpt *rc = &r->rcpts[i];

		n += touch(rc->recipient) + touch(rc->original_recipient) +
		     touch(rc->action) + touch(rc->status) +
		     touch(rc->reply_code) + touch(rc->diagnostic) +
		     touch(rc->reason) + touch(rc->rule) + touch(rc->evidence) +
		     touch(rc->blocklist) + touch(rb_kind_name(rc->kind)) +
		     touch(rb_fault_name(rc->fault));
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rb_pipeline p;
	static int ready;
	struct rb_report *r;

	if (!ready) {
		struct rb_error err;

		rb_parse_init();
		rb_error_clear(&err);
		if (rb_pipeline_init(&p, NULL, &err) != 0) {
			fprintf(stderr, "fuzz_parse: %s\n", err.msg);
			abort();
		}
		ready = 1;
	}
	r = rb_pipeline_run(&p, (const char *)data, size);
	if (r == NULL)
		abort(); /* documented never NULL */
	(void)touch_report(r);
	rb_report_free(&r);
	return 0;
}
