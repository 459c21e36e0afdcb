/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_original.c - the original message's identity through
 * rb_parse: sender resolution order (tracking header, VERP, Return-Path,
 * Sender, From) and Message-ID/Subject from every form the original uses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/limits.h"
#include "parsers/parse.h"

#include "check.h"

static const char *const tracking[] = {"X-AuthUser", "X-Sender-Id"};

static void opts_init(struct rb_parse_opts *o)
{
	memset(o, 0, sizeof(*o));
	rb_limits_default(&o->limits);
	o->tracking_headers = tracking;
	o->n_tracking_headers = sizeof(tracking) / sizeof(tracking[0]);
	o->verp = RB_DEF_VERP;
}

static struct rb_report *parse_str(const char *msg)
{
	struct rb_parse_opts o;

	opts_init(&o);
	return rb_parse(msg, strlen(msg), &o);
}

/* ---- sender resolution ------------------------------------------------ */

#define HAVE_TRACKING 0x01u
#define HAVE_VERP     0x02u
#define HAVE_RP       0x04u
#define HAVE_SENDER   0x08u

static char *build_bounce(unsigned have)
{
	struct rb_buf b;

	rb_buf_init(&b, 0);
	rb_buf_adds(&b, "From: MAILER-DAEMON@mx.example\n");
	if (have & HAVE_VERP)
		rb_buf_adds(&b, "Delivered-To: "
				"bounces+alice=example.com@relay.test\n");
	rb_buf_adds(&b, "To: postmaster@relay.test\n"
			"Subject: Undelivered Mail Returned to Sender\n"
			"MIME-Version: 1.0\n"
			"Content-Type: multipart/report; "
			"report-type=delivery-status; boundary=\"BND\"\n"
			"\n"
			"--BND\n"
			"Content-Type: text/plain\n"
			"\n"
			"The mail could not be delivered.\n"
			"\n"
			"--BND\n"
			"Content-Type: message/delivery-status\n"
			"\n"
			"Reporting-MTA: dns; mx.example\n"
			"\n"
			"Final-Recipient: rfc822; bob@dest.example\n"
			"Action: failed\n"
			"Status: 5.1.1\n"
			"\n"
			"--BND\n"
			"Content-Type: message/rfc822\n"
			"\n");
	if (have & HAVE_RP)
		rb_buf_adds(&b, "Return-Path: <rp@example.org>\n");
	if (have & HAVE_TRACKING)
		rb_buf_adds(&b, "X-AuthUser: customer-42\n");
	if (have & HAVE_SENDER)
		rb_buf_adds(&b, "Sender: Agent <sender@example.org>\n");
	rb_buf_adds(&b, "From: Alice <from@Example.ORG>\n"
			"To: bob@dest.example\n"
			"Subject: hello\n"
			"Message-ID: <abc123@example.org>\n"
			"\n"
			"body\n"
			"--BND--\n");
	return rb_buf_steal(&b);
}

static void test_sender_order(void **state)
{
	static const struct {
		const char *name;
		unsigned have;
		const char *sender;
		const char *source;
	} rows[] = {
	    {"all", HAVE_TRACKING | HAVE_VERP | HAVE_RP | HAVE_SENDER,
	     "customer-42", "header:X-AuthUser"},
	    {"tracking-only", HAVE_TRACKING, "customer-42",
	     "header:X-AuthUser"},
	    {"verp", HAVE_VERP | HAVE_RP | HAVE_SENDER, "alice@example.com",
	     "verp"},
	    {"return-path", HAVE_RP | HAVE_SENDER, "rp@example.org",
	     "return-path"},
	    {"sender", HAVE_SENDER, "sender@example.org", "sender"},
	    {"from", 0, "from@example.org", "from"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *msg = build_bounce(rows[i].have);
		struct rb_report *r = parse_str(msg);

		CHECK_STR(rows[i].name, "sender", r->orig.sender,
			  rows[i].sender);
		CHECK_STR(rows[i].name, "sender_source", r->orig.sender_source,
			  rows[i].source);
		CHECK_STR(rows[i].name, "message_id", r->orig.message_id,
			  "abc123@example.org");
		CHECK_STR(rows[i].name, "found_in", r->orig.found_in,
			  "message/rfc822");
		CHECK_STR(rows[i].name, "from", r->orig.from,
			  "from@example.org");
		if (rows[i].have & HAVE_TRACKING)
			CHECK_STR(rows[i].name, "sender_id", r->orig.sender_id,
				  "customer-42");
		rb_report_free(&r);
		free(msg);
	}
}

/* VERP is off when the template is empty: Return-Path is next. */
static void test_verp_off(void **state)
{
	char *msg = build_bounce(HAVE_VERP | HAVE_RP);
	struct rb_parse_opts o;
	struct rb_report *r;

	(void)state;
	opts_init(&o);
	o.verp = "";
	r = rb_parse(msg, strlen(msg), &o);
	CHECK_STR("verp-off", "sender", r->orig.sender, "rp@example.org");
	CHECK_STR("verp-off", "sender_source", r->orig.sender_source,
		  "return-path");
	rb_report_free(&r);
	free(msg);
}

/* ---- the forms the original comes back in ----------------------------- */

#define DSN_HEAD                                                               \
	"From: MAILER-DAEMON@mx.example\n"                                     \
	"To: postmaster@relay.test\n"                                          \
	"Subject: Undelivered Mail Returned to Sender\n"                       \
	"MIME-Version: 1.0\n"                                                  \
	"Content-Type: multipart/report; report-type=delivery-status;\n"       \
	" boundary=\"BND\"\n"                                                  \
	"\n"                                                                   \
	"--BND\n"                                                              \
	"Content-Type: text/plain\n"                                           \
	"\n"                                                                   \
	"Delivery failed.\n"                                                   \
	"--BND\n"                                                              \
	"Content-Type: message/delivery-status\n"                              \
	"\n"                                                                   \
	"Reporting-MTA: dns; mx.example\n"                                     \
	"\n"                                                                   \
	"Final-Recipient: rfc822; bob@dest.example\n"                          \
	"Action: failed\n"                                                     \
	"Status: 5.1.1\n"                                                      \
	"\n"

#define ORIG_HEADERS                                                           \
	"Return-Path: <rp@example.org>\n"                                      \
	"From: Alice <from@example.org>\n"                                     \
	"To: bob@dest.example\n"                                               \
	"Subject: =?UTF-8?B?w5xiZXIgdW5z?=\n"                                  \
	"Message-ID: <m1@example.org>\n"

static const char msg_rfc822[] = DSN_HEAD "--BND\n"
					  "Content-Type: message/rfc822\n"
					  "\n" ORIG_HEADERS "\n"
					  "body\n"
					  "--BND--\n";

static const char msg_headers[] = DSN_HEAD "--BND\n"
					   "Content-Type: text/rfc822-headers\n"
					   "\n" ORIG_HEADERS "\n"
					   "--BND--\n";

/* ORIG_HEADERS with Message-ID <b64@example.org> and a body, base64 */
static const char msg_base64[] =
    DSN_HEAD "--BND\n"
	     "Content-Type: message/rfc822\n"
	     "Content-Transfer-Encoding: base64\n"
	     "\n"
	     "UmV0dXJuLVBhdGg6IDxycEBleGFtcGxlLm9yZz4KRnJvbTogQWxpY2UgPGZy\n"
	     "b21AZXhhbXBsZS5vcmc+ClRvOiBib2JAZGVzdC5leGFtcGxlClN1YmplY3Q6\n"
	     "ID0/VVRGLTg/Qj93NXhpWlhJZ2RXNXo/PQpNZXNzYWdlLUlEOiA8YjY0QGV4\n"
	     "YW1wbGUub3JnPgoKYm9keQo=\n"
	     "--BND--\n";

static const char msg_inline[] =
    "From: MAILER-DAEMON@mx.example\n"
    "To: postmaster@relay.test\n"
    "Subject: failure notice\n"
    "\n"
    "Hi. This is the qmail-send program at mx.example.\n"
    "I'm afraid I wasn't able to deliver your message.\n"
    "\n"
    "<bob@dest.example>:\n"
    "Sorry, no mailbox here by that name. (#5.1.1)\n"
    "\n"
    "--- Below this line is a copy of the message.\n"
    "\n"
    "Return-Path: <rp@example.org>\n"
    "Received: from client.example.org (client.example.org "
    "[203.0.113.9])\n"
    "\tby relay.test; Mon, 1 Jan 2024 10:00:00 +0000\n"
    "Message-ID: <inline1@example.org>\n"
    "From: from@example.org\n"
    "To: bob@dest.example\n"
    "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n"
    "\n"
    "body\n";

/* a copy quoted with "> " on every line */
static const char msg_quoted[] =
    "From: MAILER-DAEMON@mx.example\n"
    "To: postmaster@relay.test\n"
    "Subject: Undeliverable\n"
    "\n"
    "Your message could not be delivered to bob@dest.example.\n"
    "\n"
    "> Return-Path: <rp@example.org>\n"
    "> Message-ID: <quoted1@example.org>\n"
    "> From: from@example.org\n"
    "> Subject: quoted subject\n"
    ">\n"
    "> body\n";

/* a copy indented by three spaces, its Received folded under that */
static const char msg_indented[] =
    "From: lists-admin@lists.example\n"
    "To: postmaster@relay.test\n"
    "Subject: Loop Alert\n"
    "\n"
    "Duplicated Message-ID in <list@lists.example>.\n"
    "\n"
    "Original mail as follows:\n"
    "\n"
    "   Return-Path: <rp@example.org>\n"
    "   Received: from relay.test (relay.test [203.0.113.9])\n"
    "   \tby lists.example; Mon, 1 Jan 2024 10:00:00 +0000\n"
    "   Message-ID: <indented1@example.org>\n"
    "   From: from@example.org\n"
    "   Subject: indented\n"
    "    subject\n"
    "\n"
    "   body\n";

/* CRLF everywhere, headers of the original in a message/rfc822 */
static const char msg_crlf[] =
    "From: MAILER-DAEMON@mx.example\r\n"
    "Subject: Returned mail\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/report; boundary=\"X\"\r\n"
    "\r\n"
    "--X\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "failed\r\n"
    "--X\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Message-ID: <crlf@example.org>\r\n"
    "Subject: plain\r\n"
    " folded subject\r\n"
    "From: from@example.org\r\n"
    "\r\n"
    "body\r\n"
    "--X--\r\n";

/* inline headers where fields no list knows ("ARC-Seal:", the relay's
 * "X-AuthUser:") lie above and between the known ones */
static const char msg_unknown_fields[] =
    "From: postmaster@dest.example\n"
    "To: postmaster@relay.test\n"
    "Subject: Undeliverable: hello\n"
    "\n"
    "Delivery has failed to these recipients or groups:\n"
    "\n"
    "bob@dest.example\n"
    "\n"
    "Original message headers:\n"
    "\n"
    "ARC-Seal: i=1; a=rsa-sha256; d=dest.example;\n"
    "\tb=AAAA\n"
    "Received: from out1.relay.test (out1.relay.test [192.0.2.25])\n"
    "\tby mx.dest.example; Mon, 1 Jan 2024 10:00:01 +0000\n"
    "X-AuthUser: =?UTF-8?Q?customer-7?=\n"
    "Message-ID: <unknown1@example.org>\n"
    "Subject: hello\n";

/* an Exchange 2003-style summary ("To: / Subject:") above the copy */
static const char msg_summary_first[] =
    "From: postmaster@dest.example\n"
    "To: postmaster@relay.test\n"
    "Subject: Undeliverable: hello\n"
    "\n"
    "Your message\n"
    "\n"
    "  To:      bob@dest.example\n"
    "  Subject: hello\n"
    "  Sent:    Mon, 1 Jan 2024 10:00:00 +0000\n"
    "\n"
    "did not reach the following recipient(s):\n"
    "\n"
    "bob@dest.example on Mon, 1 Jan 2024 10:00:05 +0000\n"
    "    <mx.dest.example #5.1.1 smtp;550 5.1.1 User unknown>\n"
    "\n"
    "----- Original message headers -----\n"
    "\n"
    "Return-Path: <rp@example.org>\n"
    "Message-ID: <summary1@example.org>\n"
    "From: from@example.org\n"
    "Subject: hello\n";

/* the returned message cut off inside its Message-ID (no closing '>') */
static const char msg_cut_id[] = DSN_HEAD "--BND\n"
					  "Content-Type: message/rfc822\n"
					  "\n"
					  "Return-Path: <rp@example.org>\n"
					  "Subject: cut\n"
					  "Message-ID: <m1@exa";

static void test_original_forms(void **state)
{
	static const struct {
		const char *name;
		const char *msg;
		const char *found_in;
		const char *message_id;
		const char *subject;
		const char *sender;
		const char *source;
	} rows[] = {
	    {"message/rfc822", msg_rfc822, "message/rfc822", "m1@example.org",
	     "\xc3\x9c"
	     "ber uns",
	     "rp@example.org", "return-path"},
	    {"text/rfc822-headers", msg_headers, "text/rfc822-headers",
	     "m1@example.org",
	     "\xc3\x9c"
	     "ber uns",
	     "rp@example.org", "return-path"},
	    {"base64-message/rfc822", msg_base64, "message/rfc822",
	     "b64@example.org",
	     "\xc3\x9c"
	     "ber uns",
	     "rp@example.org", "return-path"},
	    {"inline-text", msg_inline, "inline", "inline1@example.org",
	     "Gr\xc3\xbc\xc3\x9f"
	     "e",
	     "rp@example.org", "return-path"},
	    {"quoted-inline", msg_quoted, "inline", "quoted1@example.org",
	     "quoted subject", "rp@example.org", "return-path"},
	    {"indented-inline", msg_indented, "inline", "indented1@example.org",
	     "indented subject", "rp@example.org", "return-path"},
	    {"crlf", msg_crlf, "message/rfc822", "crlf@example.org",
	     "plain folded subject", "from@example.org", "from"},
	    {"summary-then-copy", msg_summary_first, "inline",
	     "summary1@example.org", "hello", "rp@example.org", "return-path"},
	    {"unknown-fields-inline", msg_unknown_fields, "inline",
	     "unknown1@example.org", "hello", "customer-7",
	     "header:X-AuthUser"},
	    {"cut-message-id", msg_cut_id, "message/rfc822", NULL, "cut",
	     "rp@example.org", "return-path"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_report *r = parse_str(rows[i].msg);

		CHECK_STR(rows[i].name, "found_in", r->orig.found_in,
			  rows[i].found_in);
		CHECK_STR(rows[i].name, "message_id", r->orig.message_id,
			  rows[i].message_id);
		CHECK_STR(rows[i].name, "subject", r->orig.subject,
			  rows[i].subject);
		CHECK_STR(rows[i].name, "sender", r->orig.sender,
			  rows[i].sender);
		CHECK_STR(rows[i].name, "sender_source", r->orig.sender_source,
			  rows[i].source);
		rb_report_free(&r);
	}
}

/* The inline copy also yields To and the submitting client's IP. */
static void test_inline_extras(void **state)
{
	struct rb_report *r = parse_str(msg_inline);

	(void)state;
	CHECK_STR("inline", "to", r->orig.to, "bob@dest.example");
	CHECK_STR("inline", "source_ip", r->orig.source_ip, "203.0.113.9");
	CHECK_STR("inline", "bounce subject", r->subject, "failure notice");
	rb_report_free(&r);
}

/* The returned original's Received lines: the remote MX recorded the
 * relay's outbound hop (newest), the relay the customer's app server
 * (oldest). With the relay's networks configured, its own address is the
 * sending IP, never the customer's; without, the oldest public one. */
static void test_received_outbound(void **state)
{
	static const char msg[] =
	    DSN_HEAD "--BND\n"
		     "Content-Type: message/rfc822\n"
		     "\n"
		     "Received: from out7.relay.example (out7.relay.example\n"
		     " [192.0.2.10]) by mx.dest.example; Sun, 29 Nov 2026\n"
		     "Received: from app.customer.example (app.customer.example\n"
		     " [203.0.113.50]) by out7.relay.example; Sun, 29 Nov 2026\n"
		     ORIG_HEADERS "\n"
		     "body\n"
		     "--BND--\n";
	static const struct {
		const char *name;
		const char *net; /* NULL: not configured */
		const char *want;
	} rows[] = {
	    {"unconfigured", NULL, "203.0.113.50"},
	    {"ours", "192.0.2.0/24", "192.0.2.10"},
	    {"ours-single", "192.0.2.10", "192.0.2.10"},
	    {"not-shown", "198.51.100.0/24", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_parse_opts o;
		struct rb_net net;
		struct rb_report *r;

		opts_init(&o);
		if (rows[i].net != NULL) {
			assert_int_equal(rb_net_parse(rows[i].net, &net), 0);
			o.outbound = &net;
			o.n_outbound = 1;
		}
		r = rb_parse(msg, strlen(msg), &o);
		CHECK_STR(rows[i].name, "source_ip", r->orig.source_ip,
			  rows[i].want);
		rb_report_free(&r);
	}
}

/* The original's header fields as they come back: Message-ID with
 * comments, without brackets, folded inside the id, or empty; a Subject
 * in several base64 words; a From whose display name decodes to an
 * address. Nothing is invented from a value that holds no id. */
static void test_original_fields(void **state)
{
	static const struct {
		const char *name;
		const char *field; /* one header line (or folded lines) */
		const char *message_id;
		const char *subject;
		const char *from;
	} rows[] = {
	    {"mid-comment-after", "Message-ID: <a1@example.org> (relay)\n",
	     "a1@example.org", NULL, NULL},
	    {"mid-comment-with-angle",
	     "Message-ID: (was <x@y>) <a2@example.org>\n", "a2@example.org",
	     NULL, NULL},
	    {"mid-no-brackets-comment",
	     "Message-ID: a3@example.org (Postfix)\n", "a3@example.org", NULL,
	     NULL},
	    {"mid-folded-inside", "Message-ID: <a4.0123456789\n @example.org>\n",
	     "a4.0123456789@example.org", NULL, NULL},
	    {"mid-next-line", "Message-ID:\n <a5@example.org>\n",
	     "a5@example.org", NULL, NULL},
	    {"mid-empty-brackets", "Message-ID: <>\n", NULL, NULL, NULL},
	    {"mid-no-id", "Message-ID: unknown\n", NULL, NULL, NULL},
	    {"subject-b-words-padded",
	     "Subject: =?UTF-8?B?w4lsw6lnYW50ZQ==?=\n =?UTF-8?B?IGTigJnDqXTDqQ==?=\n",
	     NULL,
	     "\xc3\x89l\xc3\xa9gante d\xe2\x80\x99\xc3\xa9t\xc3\xa9", NULL},
	    {"subject-iso2022jp-words",
	     "Subject: =?ISO-2022-JP?B?GyRCR1s/LiRONGsyaBsoQg==?=\n"
	     " =?ISO-2022-JP?B?GyRCJE5KVjt2GyhC?=\n",
	     NULL,
	     "\xe9\x85\x8d\xe4\xbf\xa1\xe3\x81\xae\xe4\xbc\x81\xe7\x94\xbb"
	     "\xe3\x81\xae\xe8\xbf\x94\xe4\xba\x8b",
	     NULL},
	    {"subject-char-split-between-words",
	     "Subject: =?UTF-8?B?5pel5pys6Kqe44E=?= =?UTF-8?B?ruS7tuWQjQ==?=\n",
	     NULL,
	     "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6"
	     "\xe5\x90\x8d",
	     NULL},
	    {"from-display-name-decodes-to-address",
	     "From: =?UTF-8?Q?=3Cceo@bank.example=3E?= <news@example.com>\n",
	     NULL, NULL, "news@example.com"},
	    {"from-address-encoded",
	     "From: =?UTF-8?B?PG5ld3NAZXhhbXBsZS5jb20+?=\n", NULL, NULL,
	     "news@example.com"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_buf b;
		struct rb_report *r;

		rb_buf_init(&b, 0);
		rb_buf_adds(&b, DSN_HEAD "--BND\n"
					 "Content-Type: message/rfc822\n\n"
					 "Return-Path: <rp@example.org>\n");
		rb_buf_adds(&b, rows[i].field);
		rb_buf_adds(&b, "To: bob@dest.example\n\nbody\n--BND--\n");
		r = parse_str(rb_buf_str(&b));
		CHECK_STR(rows[i].name, "message_id", r->orig.message_id,
			  rows[i].message_id);
		CHECK_STR(rows[i].name, "subject", r->orig.subject,
			  rows[i].subject);
		CHECK_STR(rows[i].name, "from", r->orig.from, rows[i].from);
		rb_report_free(&r);
		rb_buf_free(&b);
	}
}

/* Where the bounce's envelope recipient shows the VERP address, and a
 * tracking header on the bounce itself (it names whoever relayed the
 * bounce, not the original's sender). The original here carries only a
 * From. */
static void test_verp_places(void **state)
{
	static const struct {
		const char *name;
		const char *top; /* the bounce's own header lines */
		const char *sender;
		const char *source;
	} rows[] = {
	    {"delivered-to-second",
	     "Delivered-To: bounce-box@relay.test\n"
	     "Delivered-To: bounces+c1=example.com@relay.test\n",
	     "c1@example.com", "verp"},
	    {"envelope-to", "Envelope-To: bounces+c2=example.com@relay.test\n",
	     "c2@example.com", "verp"},
	    {"x-envelope-to",
	     "X-Envelope-To: <bounces+c3=example.com@relay.test>\n",
	     "c3@example.com", "verp"},
	    {"to-second-address",
	     "To: postmaster@relay.test, \"B, H\" "
	     "<bounces+c4=my-shop-24.example.com@relay.test>\n",
	     "c4@my-shop-24.example.com", "verp"},
	    {"tracking-on-bounce-verp",
	     "X-AuthUser: customer-999\n"
	     "Delivered-To: bounces+c5=example.com@relay.test\n",
	     "c5@example.com", "verp"},
	    {"tracking-on-bounce-only", "X-AuthUser: customer-999\n",
	     "from@example.org", "from"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_buf b;
		struct rb_report *r;

		rb_buf_init(&b, 0);
		rb_buf_adds(&b, rows[i].top);
		rb_buf_adds(&b, DSN_HEAD "--BND\n"
					 "Content-Type: message/rfc822\n\n"
					 "From: from@example.org\n"
					 "Message-ID: <v@example.org>\n"
					 "\nbody\n--BND--\n");
		r = parse_str(rb_buf_str(&b));
		CHECK_STR(rows[i].name, "sender", r->orig.sender,
			  rows[i].sender);
		CHECK_STR(rows[i].name, "sender_source", r->orig.sender_source,
			  rows[i].source);
		CHECK_STR(rows[i].name, "sender_id", r->orig.sender_id, NULL);
		rb_report_free(&r);
		rb_buf_free(&b);
	}
}

/* No original anywhere: nothing is invented. */
static void test_no_original(void **state)
{
	static const char msg[] = "From: news@shop.example\n"
				  "To: user@example.com\n"
				  "Subject: Our weekly offers\n"
				  "\n"
				  "Buy things.\n";
	struct rb_report *r = parse_str(msg);

	(void)state;
	CHECK_STR("none", "found_in", r->orig.found_in, NULL);
	CHECK_STR("none", "message_id", r->orig.message_id, NULL);
	CHECK_STR("none", "sender", r->orig.sender, NULL);
	CHECK_STR("none", "sender_source", r->orig.sender_source, NULL);
	rb_report_free(&r);
}

static int group_setup(void **state)
{
	(void)state;
	rb_parse_init();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rb_parse_shutdown();
	return 0;
}

static void test_explanation_len(void **state)
{
	static const struct {
		const char *in;
		size_t want;
	} rows[] = {
	    {"no marker here\nat all\n", 22},
	    {"Sorry.\n----- Original message -----\nFrom: a\n", 7},
	    /* a marker on the first line is a preamble */
	    {"Original message follows, explained below\nwhy\n", 46},
	    {"a\nb\n  this is a copy of the MESSAGE you sent\nx\n", 4},
	    /* the earliest of two markers */
	    {"a\nYour message reads:\nb\nunsent message below\n", 2},
	    {"a\nmessage headers follow", 2},
	    /* cut by the length: the marker must lie inside it */
	    {"a\nmessage headers follo", 23},
	    {"one line only: original message follows", 39},
	    /* localised Exim templates */
	    {"a\n------ Dies ist eine Kopie der Nachricht, einschlie\xc3\x9f"
	     "lich aller Kopfzeilen. ------\nFrom: a\n", 2},
	    {"a\nb\n--- Voici une copie de votre message\n", 4},
	    {"a\n------ \xd0\xad\xd1\x82\xd0\xbe \xd0\xba\xd0\xbe\xd0\xbf"
	     "\xd0\xb8\xd1\x8f \xd1\x81\xd0\xbe\xd0\xbe\xd0\xb1\xd1\x89"
	     "\xd0\xb5\xd0\xbd\xd0\xb8\xd1\x8f, \xd0\xb2\xd0\xba\xd0\xbb"
	     "\xd1\x8e\xd1\x87\xd0\xb0\xd1\x8f \xd0\xb2\xd1\x81\xd0\xb5 ------\n", 2},
	    {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_text_explanation_len",
			  rb_text_explanation_len(rows[i].in,
						  strlen(rows[i].in)),
			  rows[i].want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sender_order),
	    cmocka_unit_test(test_verp_off),
	    cmocka_unit_test(test_original_forms),
	    cmocka_unit_test(test_original_fields),
	    cmocka_unit_test(test_verp_places),
	    cmocka_unit_test(test_inline_extras),
	    cmocka_unit_test(test_received_outbound),
	    cmocka_unit_test(test_no_original),
	    cmocka_unit_test(test_explanation_len),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
