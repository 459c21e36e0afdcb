/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_classify.c - what a message means, through the whole
 * pipeline (cli/pipeline.h) with the rules in REBOUND_RULES_DIR: DSN
 * actions and status codes, complaints, autoreplies and non-reports.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline.h"
#include "core/buf.h"
#include "core/error.h"

#include "check.h"

static struct rb_pipeline pipe_;

/* A multipart/report DSN whose per-recipient blocks are @blocks. */
static char *dsn(const char *blocks)
{
	struct rb_buf b;

	rb_buf_init(&b, 0);
	rb_buf_adds(&b, "From: MAILER-DAEMON@mx.dest.example\n"
			"To: sender@example.org\n"
			"Subject: Undelivered Mail Returned to Sender\n"
			"MIME-Version: 1.0\n"
			"Content-Type: multipart/report; "
			"report-type=delivery-status; boundary=\"BND\"\n"
			"\n"
			"--BND\n"
			"Content-Type: text/plain\n"
			"\n"
			"This is the mail system at host mx.dest.example.\n"
			"\n"
			"--BND\n"
			"Content-Type: message/delivery-status\n"
			"\n"
			"Reporting-MTA: dns; mx.dest.example\n"
			"Arrival-Date: Mon, 1 Jan 2024 10:00:00 +0000\n"
			"\n");
	rb_buf_adds(&b, blocks);
	rb_buf_adds(&b, "\n"
			"--BND\n"
			"Content-Type: text/rfc822-headers\n"
			"\n"
			"From: sender@example.org\n"
			"To: bob@dest.example\n"
			"Subject: hello\n"
			"Message-ID: <orig1@example.org>\n"
			"\n"
			"--BND--\n");
	return rb_buf_steal(&b);
}

static struct rb_report *run_str(const char *msg)
{
	return rb_pipeline_run(&pipe_, msg, strlen(msg));
}

static const char *kind_of(enum rb_kind k)
{
	return rb_kind_name(k);
}

/* ---- the relay address a block names ---------------------------------- */

struct ip_row {
	const char *name;
	const char *diag;
	const char *want; /* NULL: none */
};

/* Runs a one-recipient DSN with each row's Diagnostic-Code and checks the
 * sending IP it records. */
static void check_sending_ips(const struct ip_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char block[512];
		char *msg;
		struct rb_report *r;

		(void)snprintf(block, sizeof(block),
			       "Final-Recipient: rfc822; bob@dest.example\n"
			       "Action: failed\n"
			       "Status: 5.0.0\n"
			       "Diagnostic-Code: smtp; %s\n", rows[i].diag);
		msg = dsn(block);
		r = run_str(msg);
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, 1);
		if (r->n_rcpts == 1)
			CHECK_STR(rows[i].name, "sending_ip",
				  r->rcpts[0].sending_ip, rows[i].want);
		rb_report_free(&r);
		free(msg);
	}
}

/* A block that names the refused address records it as the sending IP (the
 * relay's outbound address as the remote saw it); a remote MX's own address
 * or a private one is never taken, and a recipient-side failure names none. */
static void test_sending_ip(void **state)
{
	static const struct ip_row rows[] = {
	    {"client-host", "554 5.7.1 Service unavailable; Client host "
			    "[203.0.113.9] blocked using zen.spamhaus.org", "203.0.113.9"},
	    {"messages-from", "550 5.7.1 Unfortunately, messages from [192.0.2.44] "
			      "weren't sent. Please contact your Internet service "
			      "provider since part of their network is on our block "
			      "list (S3150).", "192.0.2.44"},
	    {"banned-sending-ip", "550 5.7.606 Access denied, banned sending IP "
				  "[198.51.100.7].", "198.51.100.7"},
	    {"remote-mx-not-ours", "host mx.dest.example[192.0.2.1] said: 554 5.7.1 "
				   "Service unavailable; blocked using "
				   "bl.spamcop.net", NULL},
	    {"private", "554 5.7.1 Client host [10.1.2.3] blocked using "
			"zen.spamhaus.org", NULL},
	    {"recipient-side", "550 5.1.1 <bob@dest.example>: user unknown; "
			       "client host [203.0.113.9]", NULL},
	};

	(void)state;
	check_sending_ips(rows, sizeof(rows) / sizeof(rows[0]));
}

/* With the relay's outbound networks configured, a refusal's address is
 * taken only when it is one of the relay's own. */
static void test_sending_ip_outbound(void **state)
{
	static const struct ip_row rows[] = {
	    {"ours", "550 5.7.1 Unfortunately, messages from [192.0.2.44] "
		     "weren't sent (S3150).", "192.0.2.44"},
	    {"not-ours", "554 5.7.1 Service unavailable; Client host "
			 "[203.0.113.9] blocked using zen.spamhaus.org", NULL},
	};
	struct rb_net net;

	(void)state;
	assert_int_equal(rb_net_parse("192.0.2.0/24", &net), 0);
	pipe_.cls.outbound = &net;
	pipe_.cls.n_outbound = 1;
	check_sending_ips(rows, sizeof(rows) / sizeof(rows[0]));
	pipe_.cls.outbound = NULL;
	pipe_.cls.n_outbound = 0;
}

/* ---- DSNs with one recipient ------------------------------------------ */

static void test_dsn_single(void **state)
{
	static const struct {
		const char *name;
		const char *block;
		enum rb_kind kind;
		const char *rcpt;
		const char *status;
		const char *status_from;
		bool hard;
		const char *reason;  /* NULL = not asserted (rule-driven) */
		enum rb_fault fault; /* asserted when reason is */
	} rows[] = {
	    {"x.1.1",
	     "Final-Recipient: rfc822; Bob@Dest.Example\n"
	     "Action: failed\n"
	     "Status: 5.1.1\n",
	     RB_KIND_BOUNCE, "Bob@dest.example", "5.1.1", "dsn", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	    {"x.1.2",
	     "Final-Recipient: rfc822; bob@nx.example\n"
	     "Action: failed\n"
	     "Status: 5.1.2\n",
	     RB_KIND_BOUNCE, "bob@nx.example", "5.1.2", "dsn", true,
	     "hostunknown", RB_FAULT_RECIPIENT},
	    {"delayed",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: delayed\n"
	     "Status: 4.4.7\n",
	     RB_KIND_DELAY, "bob@dest.example", "4.4.7", "dsn", false, NULL,
	     RB_FAULT_UNKNOWN},
	    {"delayed-mailboxfull",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: delayed\n"
	     "Status: 4.2.2\n",
	     RB_KIND_DELAY, "bob@dest.example", "4.2.2", "dsn", false,
	     "mailboxfull", RB_FAULT_RECIPIENT},
	    /* the queue gave up after temporary failures whose cause says
	     * nothing specific: expired, never the weak code's meaning */
	    {"gave-up-weak-cause",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 4.4.7\n"
	     "Diagnostic-Code: smtp; 451 4.3.0 Mail server temporarily "
	     "rejected message; removed from the queue after 5 days\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "4.3.0", "diagnostic", false,
	     "expired", RB_FAULT_NETWORK},
	    {"gave-up-vague-system",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 4.0.0\n"
	     "Diagnostic-Code: smtp; 421 Temporary System Problem; too many "
	     "retries\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "4.0.0", "dsn", false,
	     "expired", RB_FAULT_NETWORK},
	    /* a specific cause keeps its reason; a 5xx is no give-up */
	    {"gave-up-specific-cause",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 4.2.2\n"
	     "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full; retry timeout "
	     "exceeded\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "4.2.2", "dsn", false,
	     "mailboxfull", RB_FAULT_RECIPIENT},
	    {"gave-up-5xx",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.3.0\n"
	     "Diagnostic-Code: smtp; 554 5.3.0 Internal server error; will "
	     "not be retried\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.3.0", "dsn", false,
	     "systemerror", RB_FAULT_NETWORK},
	    {"delivered",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: delivered\n"
	     "Status: 2.0.0\n",
	     RB_KIND_DELIVERED, "bob@dest.example", "2.0.0", "dsn", false,
	     "delivered", RB_FAULT_UNKNOWN},
	    {"relayed",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: relayed (to non-DSN-aware mailer)\n"
	     "Status: 2.0.0\n",
	     RB_KIND_DELIVERED, "bob@dest.example", "2.0.0", "dsn", false,
	     "delivered", RB_FAULT_UNKNOWN},
	    {"status-from-diagnostic",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.0.0\n"
	     "Diagnostic-Code: smtp; 550 5.1.1 <bob@dest.example>\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.1.1", "diagnostic", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	    {"no-action-status-class",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Status: 5.1.1\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.1.1", "dsn", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	    {"unknown-words-vs-x.2.1",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.2.1\n"
	     "Diagnostic-Code: smtp; 550 5.2.1 <bob@dest.example>... User Unknown\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.2.1", "dsn", false,
	     "filtered", RB_FAULT_RECIPIENT},
	    {"unknown-words-vs-x.7.1",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.7.1\n"
	     "Diagnostic-Code: smtp; 550 5.7.1 550 User Unknown: bob@dest.example\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.7.1", "dsn", false,
	     "filtered", RB_FAULT_RECIPIENT},
	    {"unknown-words-x.2.1-at-rcpt",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.2.1\n"
	     "Diagnostic-Code: smtp; 550 5.2.1 <bob@dest.example>... User Unknown"
	     " (in reply to RCPT TO command)\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.2.1", "dsn", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	    {"unknown-words-after-data",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.0.0\n"
	     "Diagnostic-Code: smtp; 550 unknown user <bob@dest.example>"
	     " (in reply to end of DATA command)\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.0.0", "dsn", false,
	     "filtered", RB_FAULT_RECIPIENT},
	    {"powermta-category",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.2.1\n"
	     "Diagnostic-Code: smtp; 550 5.2.1 <bob@dest.example>... User Unknown\n"
	     "X-PowerMTA-BounceCategory: bad-mailbox\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.2.1", "dsn", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	    {"failed-4.x.x-but-server-said-5.x.x",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 4.5.0\n"
	     "Diagnostic-Code: smtp; 550 5.5.0 Service refused, please try later\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.5.0", "diagnostic", false,
	     NULL, RB_FAULT_UNKNOWN},
	    {"delayed-catch-all-code",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: delayed\n"
	     "Status: 4.5.0\n"
	     "Diagnostic-Code: smtp; 421\n",
	     RB_KIND_DELAY, "bob@dest.example", "4.5.0", "dsn", false,
	     "expired", RB_FAULT_NETWORK},
	    {"expired-with-cause",
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 4.4.7\n"
	     "Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver"
	     " in 840 minutes.<421 4.4.2 Connection timed out>\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "4.4.2", "diagnostic", false,
	     "expired", RB_FAULT_NETWORK},
	    {"folded-crlf-fields",
	     "Final-Recipient: rfc822;\r\n bob@dest.example\r\n"
	     "Action: failed\r\n"
	     "Status: 5.1.1 (bad mailbox)\r\n",
	     RB_KIND_BOUNCE, "bob@dest.example", "5.1.1", "dsn", true,
	     "userunknown", RB_FAULT_RECIPIENT},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *msg = dsn(rows[i].block);
		struct rb_report *r = run_str(msg);
		const struct rb_rcpt *rc;

		CHECK_STR(rows[i].name, "report kind", kind_of(r->kind),
			  kind_of(rows[i].kind));
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, 1);
		if (r->n_rcpts == 1) {
			rc = &r->rcpts[0];
			CHECK_STR(rows[i].name, "recipient", rc->recipient,
				  rows[i].rcpt);
			CHECK_STR(rows[i].name, "kind", kind_of(rc->kind),
				  kind_of(rows[i].kind));
			CHECK_STR(rows[i].name, "status", rc->status,
				  rows[i].status);
			CHECK_STR(rows[i].name, "status_from", rc->status_from,
				  rows[i].status_from);
			CHECK_INT(rows[i].name, "hard", rc->hard, rows[i].hard);
			if (rows[i].reason != NULL) {
				CHECK_STR(rows[i].name, "reason", rc->reason,
					  rows[i].reason);
				CHECK_STR(rows[i].name, "fault",
					  rb_fault_name(rc->fault),
					  rb_fault_name(rows[i].fault));
			}
			CHECK_TRUE(rows[i].name, "reason set",
				   rc->reason != NULL);
			CHECK_TRUE(rows[i].name, "rule set", rc->rule != NULL);
		}
		CHECK_STR(rows[i].name, "original message-id",
			  r->orig.message_id, "orig1@example.org");
		rb_report_free(&r);
		free(msg);
	}
}

static void test_dsn_multi(void **state)
{
	static const char blocks[] = "Final-Recipient: rfc822; a@dest.example\n"
				     "Action: failed\n"
				     "Status: 5.1.1\n"
				     "\n"
				     "Final-Recipient: rfc822; b@dest.example\n"
				     "Action: failed\n"
				     "Status: 5.2.2\n"
				     "\n"
				     "Final-Recipient: rfc822; c@dest.example\n"
				     "Action: delayed\n"
				     "Status: 4.4.1\n"
				     "\n"
				     "Final-Recipient: rfc822; d@dest.example\n"
				     "Action: delivered\n"
				     "Status: 2.0.0\n";
	static const struct {
		const char *rcpt;
		enum rb_kind kind;
		const char *status;
	} want[] = {
	    {"a@dest.example", RB_KIND_BOUNCE, "5.1.1"},
	    {"b@dest.example", RB_KIND_BOUNCE, "5.2.2"},
	    {"c@dest.example", RB_KIND_DELAY, "4.4.1"},
	    {"d@dest.example", RB_KIND_DELIVERED, "2.0.0"},
	};
	char *msg = dsn(blocks);
	struct rb_report *r = run_str(msg);

	(void)state;
	CHECK_STR("multi", "report kind", kind_of(r->kind), "bounce");
	CHECK_INT("multi", "n_rcpts", r->n_rcpts,
		  sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < r->n_rcpts && i < sizeof(want) / sizeof(want[0]);
	     i++) {
		CHECK_STR(want[i].rcpt, "recipient", r->rcpts[i].recipient,
			  want[i].rcpt);
		CHECK_STR(want[i].rcpt, "kind", kind_of(r->rcpts[i].kind),
			  kind_of(want[i].kind));
		CHECK_STR(want[i].rcpt, "status", r->rcpts[i].status,
			  want[i].status);
	}
	CHECK_INT("multi", "a hard", r->rcpts[0].hard, true);
	CHECK_INT("multi", "c hard", r->rcpts[2].hard, false);
	CHECK_INT("multi", "d hard", r->rcpts[3].hard, false);
	CHECK_STR("multi", "reporting_mta", r->reporting_mta,
		  "mx.dest.example");
	rb_report_free(&r);
	free(msg);
}

static void test_dsn_recipients(void **state)
{
	static const struct {
		const char *name;
		const char *block;
		const char *rcpt;
		const char *orcpt;
	} rows[] = {
	    {"orcpt-xtext",
	     "Original-Recipient: rfc822;bob+2Btag@dest.example\n"
	     "Final-Recipient: rfc822; bob@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.1.1\n",
	     "bob@dest.example", "bob+tag@dest.example"},
	    {"orcpt-only",
	     "Original-Recipient: rfc822;a+3Db@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.1.1\n",
	     "a=b@dest.example", "a=b@dest.example"},
	    {"x-actual-recipient",
	     "X-Actual-Recipient: rfc822; real@dest.example\n"
	     "Action: failed\n"
	     "Status: 5.1.1\n",
	     "real@dest.example", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *msg = dsn(rows[i].block);
		struct rb_report *r = run_str(msg);

		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, 1);
		if (r->n_rcpts == 1) {
			CHECK_STR(rows[i].name, "recipient",
				  r->rcpts[0].recipient, rows[i].rcpt);
			CHECK_STR(rows[i].name, "original_recipient",
				  r->rcpts[0].original_recipient,
				  rows[i].orcpt);
		}
		rb_report_free(&r);
		free(msg);
	}
}

/* Alias and forward expansion: the address the relay sent to, named in
 * the notice's text, is the original recipient; an alias whose other
 * target lives (fan-out) keeps none on its dead target. */
static void test_expansions(void **state)
{
	static const char head[] =
	    "Return-Path: <>\n"
	    "From: MAILER-DAEMON@mx.example.com\n"
	    "To: bounces@relay.example.net\n"
	    "Subject: Undelivered Mail Returned to Sender\n\n";
	static const struct {
		const char *name;
		const char *body;
		const char *rcpt[2];
		const char *orcpt[2];
	} rows[] = {
	    {"postfix-expanded-from",
	     "The mail system\n\n"
	     "<t@other.example> (expanded from <ours@dest.example>): host\n"
	     "    mx.other.example[192.0.2.7] said: 550 5.1.1 User unknown\n",
	     {"t@other.example", NULL}, {"ours@dest.example", NULL}},
	    {"postfix-expanded-folded",
	     "The mail system\n\n"
	     "<t@other.example> (expanded from\n"
	     "    <ours@dest.example>): unknown user: \"t\"\n",
	     {"t@other.example", NULL}, {"ours@dest.example", NULL}},
	    {"exim-generated-from",
	     "The following address(es) failed:\n\n"
	     "  t@other.example\n"
	     "    (generated from ours@dest.example)\n"
	     "    SMTP error from remote mail server after RCPT TO:<t@other.example>:\n"
	     "    550 5.1.1 User unknown\n",
	     {"t@other.example", NULL}, {"ours@dest.example", NULL}},
	    {"exim-generated-by",
	     "The following address(es) failed:\n\n"
	     "  t@other.example\n"
	     "    generated by ours@dest.example\n"
	     "    550 5.1.1 User unknown\n",
	     {"t@other.example", NULL}, {"ours@dest.example", NULL}},
	    {"same-address-is-no-origin",
	     "   ----- The following addresses had permanent fatal errors -----\n"
	     "<ours@dest.example>\n"
	     "    (reason: 550 5.1.1 User unknown)\n"
	     "    (expanded from: <ours@dest.example>)\n",
	     {"ours@dest.example", NULL}, {NULL, NULL}},
	    {"fanout-other-target-full",
	     "The mail system\n\n"
	     "<t1@other.example> (expanded from <team@dest.example>): host\n"
	     "    mx.other.example[192.0.2.7] said: 550 5.1.1 User unknown\n\n"
	     "<t2@other.example> (expanded from <team@dest.example>): host\n"
	     "    mx.other.example[192.0.2.7] said: 552 5.2.2 Mailbox full\n",
	     {"t1@other.example", "t2@other.example"},
	     {NULL, "team@dest.example"}},
	    {"fanout-all-dead",
	     "The mail system\n\n"
	     "<t1@other.example> (expanded from <team@dest.example>): host\n"
	     "    mx.other.example[192.0.2.7] said: 550 5.1.1 User unknown\n\n"
	     "<t2@other.example> (expanded from <team@dest.example>): host\n"
	     "    mx.other.example[192.0.2.7] said: 550 5.1.1 User unknown\n",
	     {"t1@other.example", "t2@other.example"},
	     {"team@dest.example", "team@dest.example"}},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t want = rows[i].rcpt[1] ? 2 : 1;
		size_t len = strlen(head) + strlen(rows[i].body) + 1;
		char *msg = malloc(len);
		struct rb_report *r;

		assert_non_null(msg);
		(void)snprintf(msg, len, "%s%s", head, rows[i].body);
		r = run_str(msg);
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, want);
		for (size_t k = 0; k < want && k < r->n_rcpts; k++) {
			CHECK_STR(rows[i].name, "recipient",
				  r->rcpts[k].recipient, rows[i].rcpt[k]);
			CHECK_STR(rows[i].name, "original_recipient",
				  r->rcpts[k].original_recipient,
				  rows[i].orcpt[k]);
		}
		rb_report_free(&r);
		free(msg);
	}
}

/* The same recipient twice in one DSN gives one result. */
static void test_dsn_duplicate(void **state)
{
	char *msg = dsn("Final-Recipient: rfc822; bob@dest.example\n"
			"Action: failed\n"
			"Status: 5.1.1\n"
			"\n"
			"Final-Recipient: rfc822; BOB@dest.example\n"
			"Action: failed\n"
			"Status: 5.1.1\n");
	struct rb_report *r = run_str(msg);

	(void)state;
	CHECK_INT("duplicate", "n_rcpts", r->n_rcpts, 1);
	rb_report_free(&r);
	free(msg);
}

/* ---- complaints --------------------------------------------------------- */

static char *arf(const char *fields)
{
	struct rb_buf b;

	rb_buf_init(&b, 0);
	rb_buf_adds(&b, "From: fbl@reports.example\n"
			"To: abuse@relay.test\n"
			"Subject: FW: offer\n"
			"MIME-Version: 1.0\n"
			"Content-Type: multipart/report; "
			"report-type=feedback-report; boundary=\"F\"\n"
			"\n"
			"--F\n"
			"Content-Type: text/plain\n"
			"\n"
			"This is an email abuse report.\n"
			"--F\n"
			"Content-Type: message/feedback-report\n"
			"\n");
	rb_buf_adds(&b, fields);
	rb_buf_adds(&b, "\n"
			"--F\n"
			"Content-Type: message/rfc822\n"
			"\n"
			"From: from@example.org\n"
			"To: a@dest.example\n"
			"Subject: offer\n"
			"Message-ID: <c1@example.org>\n"
			"\n"
			"buy now\n"
			"--F--\n");
	return rb_buf_steal(&b);
}

static void test_complaints(void **state)
{
	static const struct {
		const char *name;
		const char *fields;
		enum rb_kind kind;
		const char *feedback_type;
		size_t n_rcpts;
		const char *rcpt0;
		const char *rcpt1;
	} rows[] = {
	    {"abuse-two-rcpts",
	     "Feedback-Type: abuse\n"
	     "User-Agent: TestFBL/1.0\n"
	     "Version: 1\n"
	     "Original-Mail-From: <rp@example.org>\n"
	     "Original-Rcpt-To: <a@dest.example>\n"
	     "Original-Rcpt-To: <b@dest.example>\n"
	     "Source-IP: 192.0.2.1\n",
	     RB_KIND_COMPLAINT, "abuse", 2, "a@dest.example", "b@dest.example"},
	    {"abuse-uppercase",
	     "Feedback-Type: Abuse\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	    {"not-spam",
	     "Feedback-Type: not-spam\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_NOT_SPAM, "not-spam", 1, "a@dest.example", NULL},
	    {"auth-failure",
	     "Feedback-Type: auth-failure\n"
	     "Version: 1\n"
	     "Auth-Failure: dmarc\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_AUTH_FAILURE, "auth-failure", 1, "a@dest.example", NULL},
	    {"no-rcpt-uses-original-to",
	     "Feedback-Type: abuse\n"
	     "Version: 1\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	    /* a placeholder is nobody: the original's To names the person */
	    {"redacted-rcpt-to-xxxx",
	     "Feedback-Type: abuse\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: xxxxxxxx@dest.example\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	    {"redacted-rcpt-to-word",
	     "Feedback-Type: abuse\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: <redacted@dest.example>\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	    /* the feedback-loop mailbox itself never complained */
	    {"rcpt-to-is-report-address",
	     "Feedback-Type: abuse\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: abuse@relay.test\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	    {"unsubscribe-is-opt-out",
	     "Feedback-Type: unsubscribe\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_COMPLAINT, "opt-out", 1, "a@dest.example", NULL},
	    {"unregistered-type-is-other",
	     "Feedback-Type: complaint\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_COMPLAINT, "other", 1, "a@dest.example", NULL},
	    {"type-with-comment",
	     "Feedback-Type: abuse (user report)\n"
	     "Version: 1\n"
	     "Original-Rcpt-To: a@dest.example\n",
	     RB_KIND_COMPLAINT, "abuse", 1, "a@dest.example", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *msg = arf(rows[i].fields);
		struct rb_report *r = run_str(msg);

		CHECK_STR(rows[i].name, "kind", kind_of(r->kind),
			  kind_of(rows[i].kind));
		CHECK_STR(rows[i].name, "feedback_type", r->fb.feedback_type,
			  rows[i].feedback_type);
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, rows[i].n_rcpts);
		if (r->n_rcpts >= 1) {
			CHECK_STR(rows[i].name, "rcpt[0]",
				  r->rcpts[0].recipient, rows[i].rcpt0);
			CHECK_STR(rows[i].name, "rcpt[0] kind",
				  kind_of(r->rcpts[0].kind),
				  kind_of(rows[i].kind));
			CHECK_STR(rows[i].name, "rcpt[0] reason",
				  r->rcpts[0].reason, "feedback");
		}
		if (r->n_rcpts >= 2)
			CHECK_STR(rows[i].name, "rcpt[1]",
				  r->rcpts[1].recipient, rows[i].rcpt1);
		CHECK_STR(rows[i].name, "original message-id",
			  r->orig.message_id, "c1@example.org");
		rb_report_free(&r);
		free(msg);
	}
}

static void test_complaint_sender(void **state)
{
	char *msg = arf("Feedback-Type: abuse\n"
			"Version: 1\n"
			"Original-Mail-From: <rp@example.org>\n"
			"Original-Rcpt-To: <a@dest.example>\n"
			"Source-IP: 192.0.2.1\n");
	struct rb_report *r = run_str(msg);

	(void)state;
	CHECK_STR("arf", "sender", r->orig.sender, "rp@example.org");
	CHECK_STR("arf", "sender_source", r->orig.sender_source,
		  "arf:original-mail-from");
	CHECK_STR("arf", "source_ip", r->fb.source_ip, "192.0.2.1");
	CHECK_STR("arf", "original_mail_from", r->fb.original_mail_from,
		  "<rp@example.org>");
	rb_report_free(&r);
	free(msg);
}

/* Source-IP is the address alone, whatever a reporter wraps it in */
static void test_complaint_source_ip(void **state)
{
	static const struct {
		const char *field;
		const char *want;
	} rows[] = {
		{"Source-IP: [192.0.2.1] (out.example.org)\n", "192.0.2.1"},
		{"Source-IP: 192.0.2.1 (out.example.org)\n", "192.0.2.1"},
		{"Source-IP: IPv6:2001:db8::25\n", "2001:db8::25"},
		{"Source-IP: out.example.org\n", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_buf b;
		char *fields, *msg;
		struct rb_report *r;

		rb_buf_init(&b, 0);
		rb_buf_adds(&b, "Feedback-Type: abuse\nVersion: 1\n");
		rb_buf_adds(&b, rows[i].field);
		fields = rb_buf_steal(&b);
		msg = arf(fields);
		r = run_str(msg);
		CHECK_STR(rows[i].field, "source_ip", r->fb.source_ip,
			  rows[i].want);
		rb_report_free(&r);
		free(msg);
		free(fields);
	}
}

/* ---- auto-replies ------------------------------------------------------ */

/* An auto-reply that says the address changed is hasmoved, not hard: the
 * mailbox answered, and an auto-reply never suppresses. */
static void test_autoreply_moved(void **state)
{
	static const struct {
		const char *name;
		const char *body;
		const char *reason;
	} rows[] = {
		{"new address", "I have left. My new address is a@new.example\n",
		 "hasmoved"},
		{"address changed", "Please note my email address has changed.\n",
		 "hasmoved"},
		{"left, contact", "I have left the company. Please contact "
				  "b@dest.example instead.\n", "vacation"},
		{"quoted new address", "Away until Monday.\n"
				       "> our new address is c@x.example\n",
		 "vacation"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_buf b;
		char *msg;
		struct rb_report *r;

		rb_buf_init(&b, 0);
		rb_buf_adds(&b, "From: Rita <rita@dest.example>\n"
				"To: sender@example.org\n"
				"Subject: Automatic reply: hello\n"
				"Auto-Submitted: auto-replied\n"
				"\n");
		rb_buf_adds(&b, rows[i].body);
		msg = rb_buf_steal(&b);
		r = run_str(msg);
		CHECK_STR(rows[i].name, "kind", kind_of(r->kind),
			  kind_of(RB_KIND_AUTOREPLY));
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, 1);
		if (r->n_rcpts == 1) {
			CHECK_STR(rows[i].name, "reason", r->rcpts[0].reason,
				  rows[i].reason);
			CHECK_INT(rows[i].name, "hard", r->rcpts[0].hard, 0);
		}
		rb_report_free(&r);
		free(msg);
	}
}

/* ---- not bounces -------------------------------------------------------- */

static void test_not_bounces(void **state)
{
	static const struct {
		const char *name;
		const char *msg;
		enum rb_kind kind;
		size_t n_rcpts;
		const char *rcpt0;
	} rows[] = {
	    {"auto-submitted",
	     "From: Bob <bob@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Out of office: hello\n"
	     "Auto-Submitted: auto-replied\n"
	     "\n"
	     "I am away until Monday.\n",
	     RB_KIND_AUTOREPLY, 1, "bob@dest.example"},
	    {"auto-submitted-vacation",
	     "From: bob@dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello\n"
	     "Auto-Submitted: auto-replied (vacation)\n"
	     "\n"
	     "On leave.\n",
	     RB_KIND_AUTOREPLY, 1, "bob@dest.example"},
	    {"newsletter",
	     "From: news@shop.example\n"
	     "To: user@example.com\n"
	     "Subject: Our weekly offers\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: text/plain; charset=utf-8\n"
	     "\n"
	     "Twenty percent off everything this week.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    {"empty", "", RB_KIND_UNKNOWN, 0, NULL},
	    /* RFC 8098 MDN from the mail system: a disposition, no failure */
	    {"mdn-deleted",
	     "Return-Path: <>\n"
	     "From: MAILER-DAEMON@dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Message Disposition Notification\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: multipart/report; "
	     "report-type=disposition-notification; boundary=\"B\"\n"
	     "\n--B\nContent-Type: text/plain\n\n"
	     "The message sent to bob@dest.example was deleted without "
	     "being displayed.\n"
	     "\n--B\nContent-Type: message/disposition-notification\n\n"
	     "Final-Recipient: rfc822;bob@dest.example\n"
	     "Disposition: automatic-action/MDN-sent-automatically; deleted\n"
	     "\n--B--\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a person quoting a failure in a reply */
	    {"human-reply-quotes-failure",
	     "Return-Path: <carol@dest.example>\n"
	     "From: Carol <carol@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello - your mail bounced\n"
	     "\n"
	     "My colleague dan@dest.example says your mail could not be "
	     "delivered: 550 5.1.1 user unknown.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a person forwarding a bounce as text */
	    {"forwarded-bounce",
	     "Return-Path: <carol@dest.example>\n"
	     "From: Carol <carol@dest.example>\n"
	     "To: support@example.org\n"
	     "Subject: Fwd: Undelivered Mail Returned to Sender\n"
	     "\n"
	     "---------- Forwarded message ---------\n"
	     "From: MAILER-DAEMON@mx.other.example\n\n"
	     "<erin@other.example>: host mx.other.example said: 550 5.1.1 "
	     "User unknown (in reply to RCPT TO command)\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a ticket system's acknowledgement quoting the request */
	    {"ticket-ack",
	     "Return-Path: <support@helpdesk.example>\n"
	     "From: support@helpdesk.example\n"
	     "To: sender@example.org\n"
	     "Subject: [#123] We received your request: delivery failed\n"
	     "Auto-Submitted: auto-generated\n"
	     "\n"
	     "The delivery to the following recipient failed permanently:\n"
	     "   frank@dest.example - 550 5.1.1 user unknown\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a newsletter about bounces */
	    {"newsletter-about-bounces",
	     "Return-Path: <bounce-1@news.example>\n"
	     "From: news@news.example\n"
	     "To: sender@example.org\n"
	     "Subject: Delivery failed? Why mail bounces\n"
	     "List-Unsubscribe: <mailto:u@news.example>\n"
	     "\n"
	     "550 5.1.1 User unknown: remove old@dest.example from your list.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* Outlook recall report from the null sender */
	    {"recall-report",
	     "Return-Path: <>\n"
	     "From: Microsoft Outlook <exch@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Message Recall Failure: hello\n"
	     "\n"
	     "Your message could not be recalled. Recall failed for "
	     "bob@dest.example.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a bounce whose returned message had the null sender */
	    {"double-bounce",
	     "Return-Path: <>\n"
	     "From: MAILER-DAEMON@relay.example\n"
	     "To: postmaster@relay.example\n"
	     "Subject: Undelivered Mail Returned to Sender\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: multipart/report; "
	     "report-type=delivery-status; boundary=\"B\"\n"
	     "\n--B\nContent-Type: message/delivery-status\n\n"
	     "Reporting-MTA: dns; relay.example\n\n"
	     "Final-Recipient: rfc822; bounces+x@relay.example\n"
	     "Action: failed\nStatus: 5.1.1\n"
	     "\n--B\nContent-Type: text/rfc822-headers\n\n"
	     "Return-Path: <>\n"
	     "From: MAILER-DAEMON@mx.other.example\n"
	     "Subject: Undelivered Mail Returned to Sender\n"
	     "\n--B--\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* the same reply without a Return-Path: nothing says a person
	     * sent it, a daemon's From does: still a bounce */
	    {"daemon-reply-subject",
	     "From: post_master@dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello\n"
	     "\n"
	     "<bob@dest.example>: 550 5.1.1 user unknown\n",
	     RB_KIND_BOUNCE, 1, "bob@dest.example"},
	    /* a DSN attached by a person, whose subject says nothing */
	    {"dsn-attached-by-person",
	     "Return-Path: <carol@dest.example>\n"
	     "From: Carol <carol@dest.example>\n"
	     "To: support@example.org\n"
	     "Subject: is this address blocked?\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: multipart/mixed; boundary=\"F\"\n"
	     "\n--F\nContent-Type: text/plain\n\nSee attached.\n"
	     "\n--F\nContent-Type: message/rfc822\n\n"
	     "From: MAILER-DAEMON@mx.other.example\n"
	     "Subject: Undelivered Mail Returned to Sender\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: multipart/report; report-type=delivery-status; "
	     "boundary=\"I\"\n"
	     "\n--I\nContent-Type: message/delivery-status\n\n"
	     "Reporting-MTA: dns; mx.other.example\n\n"
	     "Final-Recipient: rfc822; erin@other.example\n"
	     "Action: failed\nStatus: 5.1.1\n"
	     "\n--I--\n"
	     "\n--F--\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* an RFC 3834 responder replying with the null sender and no
	     * auto-reply header of its own */
	    {"null-sender-reply",
	     "Return-Path: <>\n"
	     "From: Sara <sara@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello\n"
	     "In-Reply-To: <orig1@example.org>\n"
	     "Precedence: junk\n"
	     "\n"
	     "I am travelling. Colleagues: team@dest.example\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a forward whose subject does not say so: the marker line */
	    {"forward-marker",
	     "Return-Path: <carol@dest.example>\n"
	     "From: Carol <carol@dest.example>\n"
	     "To: support@example.org\n"
	     "Subject: why was this rejected?\n"
	     "\n"
	     "Please check.\n\n"
	     "-------- Original Message --------\n"
	     "From: MAILER-DAEMON@mx.other.example\n\n"
	     "<erin@other.example>: 550 5.1.1 User unknown\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a person's own words about a failure: no code, no original */
	    {"person-no-code",
	     "Return-Path: <carol@dest.example>\n"
	     "From: Carol <carol@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Mails to my colleague keep bouncing\n"
	     "\n"
	     "Your mails could not be delivered to\n"
	     "dan@dest.example last week, his mailbox was full.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a list server's notice has no code either, but a role
	     * sender: still read */
	    {"list-server-notice",
	     "Return-Path: <team-admin@lists.dest.example>\n"
	     "From: team-admin@lists.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: You are not member (team ML)\n"
	     "\n"
	     "You are not a member of this mailing list "
	     "<team@lists.dest.example>.\n",
	     RB_KIND_BOUNCE, 1, "team@lists.dest.example"},
	    /* an SNS complaint notification is the message itself */
	    {"ses-complaint-json",
	     "From: no-reply@sns.amazonaws.example\n"
	     "To: sender@example.org\n"
	     "Subject: AWS Notification Message\n"
	     "\n"
	     "{\"notificationType\":\"Complaint\",\"complaint\":"
	     "{\"complainedRecipients\":[{\"emailAddress\":"
	     "\"kate@dest.example\"}],\"complaintFeedbackType\":\"abuse\"}}\n",
	     RB_KIND_COMPLAINT, 1, "kate@dest.example"},
	    /* the same JSON quoted under a person's words is no report */
	    {"ses-complaint-json-quoted",
	     "From: Carol <carol@dest.example>\n"
	     "To: support@example.org\n"
	     "Subject: please remove this one\n"
	     "\n"
	     "Is this person on our list?\n\n"
	     "{\"notificationType\":\"Complaint\",\"complaint\":"
	     "{\"complainedRecipients\":[{\"emailAddress\":"
	     "\"kate@dest.example\"}],\"complaintFeedbackType\":\"abuse\"}}\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a Hotmail user forwarding a message under Microsoft's JMRP
	     * subject is no JMRP report */
	    {"jmrp-subject-forwarded",
	     "From: user@hotmail.com\n"
	     "To: fbl@example.org\n"
	     "Subject: Fwd: complaint about message from 192.0.2.1\n"
	     "MIME-Version: 1.0\n"
	     "Content-Type: multipart/mixed; boundary=\"B\"\n"
	     "\n--B\nContent-Type: text/plain\n\nFYI\n"
	     "\n--B\nContent-Type: message/rfc822\n\n"
	     "From: news@example.org\nTo: lee@dest.example\n"
	     "Subject: deals\n\nDeals\n"
	     "\n--B--\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* a success notice without a delivery-status part */
	    {"success-text-only",
	     "Return-Path: <>\n"
	     "From: postmaster@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Delivery Status Notification (Relay)\n"
	     "\n"
	     "Your message has been successfully relayed to the following "
	     "recipients, but the requested delivery status notifications "
	     "may not be generated by the destination.\n\n"
	     "       ivan@dest.example\n",
	     RB_KIND_DELIVERED, 1, "ivan@dest.example"},
	    /* success words next to a failure: the failure counts */
	    {"success-and-failure-text",
	     "Return-Path: <>\n"
	     "From: postmaster@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Delivery Status Notification\n"
	     "\n"
	     "Delivery to some recipients was successful. Delivery to the "
	     "following recipient failed permanently:\n\n"
	     "       judy@dest.example\n",
	     RB_KIND_BOUNCE, 1, "judy@dest.example"},
	    /* the failed address only in the notice's subject */
	    {"subject-only-recipient",
	     "Return-Path: <>\n"
	     "From: postmaster@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Delivery failure to gina@dest.example\n"
	     "\n"
	     "Your message could not be delivered.\n"
	     "The remote server said: 550 mailbox unavailable\n",
	     RB_KIND_BOUNCE, 1, "gina@dest.example"},
	    /* an address in the original subject is the sender's words */
	    {"address-in-original-subject",
	     "Return-Path: <>\n"
	     "From: postmaster@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Undeliverable: Lunch with hank@dest.example\n"
	     "\n"
	     "Your message could not be delivered.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* an automatic-reply prefix heads the subject: no In-Reply-To
	     * needed */
	    {"autoreply-subject-prefix",
	     "Return-Path: <>\n"
	     "From: Jan <jan@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Automatisch antwoord: Nieuwsbrief\n"
	     "\n"
	     "Ik ben met vakantie.\n",
	     RB_KIND_AUTOREPLY, 1, "jan@dest.example"},
	    {"autoreply-subject-russian",
	     "From: ivan@dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: =?UTF-8?B?0JDQstGC0L7QvtGC0LLQtdGCOiDQndC+0LLQvtGB0YLQuA==?=\n"
	     "In-Reply-To: <m1@example.org>\n"
	     "\n"
	     "away\n",
	     RB_KIND_AUTOREPLY, 1, "ivan@dest.example"},
	    /* a responder that keeps the "Re:" subject and says it in words */
	    {"autoreply-in-words",
	     "Return-Path: <>\n"
	     "From: Sue <sue@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello\n"
	     "In-Reply-To: <m1@example.org>\n"
	     "\n"
	     "I am out of the office until Monday.\n",
	     RB_KIND_AUTOREPLY, 1, "sue@dest.example"},
	    /* ... but not a person's reply whose quote says so */
	    {"quoted-away-is-no-autoreply",
	     "Return-Path: <>\n"
	     "From: Sue <sue@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Re: hello\n"
	     "In-Reply-To: <m1@example.org>\n"
	     "\n"
	     "Stop it.\n"
	     "> Plan your trip while you are on vacation\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	    /* "please resend your message to b": b is where to write */
	    {"resend-to-is-no-recipient",
	     "Return-Path: <>\n"
	     "From: Frank <frank@dest.example>\n"
	     "To: sender@example.org\n"
	     "Subject: Address change notification\n"
	     "\n"
	     "Please resend your message to frank.m@new.example.\n",
	     RB_KIND_UNKNOWN, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_report *r = run_str(rows[i].msg);

		CHECK_STR(rows[i].name, "kind", kind_of(r->kind),
			  kind_of(rows[i].kind));
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, rows[i].n_rcpts);
		if (r->n_rcpts >= 1 && rows[i].rcpt0 != NULL) {
			CHECK_STR(rows[i].name, "rcpt[0]",
				  r->rcpts[0].recipient, rows[i].rcpt0);
			CHECK_STR(rows[i].name, "rcpt[0] kind",
				  kind_of(r->rcpts[0].kind),
				  kind_of(rows[i].kind));
		}
		rb_report_free(&r);
	}
}

/* ---- text notices that list several recipients ------------------------ */

/* Each recipient of a plain-text notice gets its own words: the rest of a
 * list whose first item a phrase named, repeated labels, repeated
 * per-recipient blocks; a recipient named among others without words of
 * its own takes none of theirs (no body rule decides it). */
/* ---- delay warnings without a delivery-status part ------------------- */

/* A text notice is a delay when its words or its own Subject say so (the
 * returned message's subject does not count), also when it carries
 * Auto-Submitted: auto-replied like an out-of-office reply. */
static void test_text_delay(void **state)
{
	static const struct {
		const char *name;
		const char *msg;
		enum rb_kind kind;
		const char *reason;
	} rows[] = {
	    {"subject-delay-ja",
	     "Return-Path: <>\n"
	     "From: MAILER-DAEMON@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: =?UTF-8?B?6YWN5L+h6YGF5bu244Gu44GK55+l44KJ44Gb?=\n"
	     "\n"
	     "<a@dest.example>: host mx.dest.example[192.0.2.4] said: 450 "
	     "4.2.0 Greylisted (in reply to RCPT TO command)\n",
	     RB_KIND_DELAY, "expired"},
	    {"subject-delay-is-the-original's",
	     "Return-Path: <>\n"
	     "From: MAILER-DAEMON@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Undeliverable: Shipping delay\n"
	     "\n"
	     "<a@dest.example>: host mx.dest.example[192.0.2.4] said: 451 "
	     "4.3.0 Temporary failure (in reply to RCPT TO command)\n"
	     "\n"
	     "------ This is a copy of the message, including all the "
	     "headers. ------\n\n"
	     "From: sender@example.org\n"
	     "To: a@dest.example\n"
	     "Subject: Shipping delay\n"
	     "Message-ID: <o1@example.org>\n\nhello\n",
	     RB_KIND_BOUNCE, NULL},
	    {"polish-words",
	     "Return-Path: <>\n"
	     "From: Mailer-Daemon@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Powiadomienie\n"
	     "\n"
	     "Wiadomo\xc5\x9b\xc4\x87 nie zosta\xc5\x82" "a jeszcze "
	     "dostarczona do:\n\n  a@dest.example\n"
	     "    host mx.dest.example [192.0.2.4]: Connection refused\n",
	     RB_KIND_DELAY, NULL},
	    {"delay-warning-auto-replied",
	     "Return-Path: <>\n"
	     "From: MDaemon@mx.dest.example\n"
	     "To: sender@example.org\n"
	     "Subject: Warning: Message Delivery Delayed\n"
	     "Auto-Submitted: auto-replied\n"
	     "\n"
	     "MDaemon will continue to attempt delivery.\n\n"
	     "Message delivery to 'a@dest.example' delayed\n"
	     "SMTP session failed to connect to mx.dest.example\n",
	     RB_KIND_DELAY, "expired"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_report *r = run_str(rows[i].msg);

		CHECK_STR(rows[i].name, "kind", kind_of(r->kind),
			  kind_of(rows[i].kind));
		CHECK_INT(rows[i].name, "recipients", (long)r->n_rcpts, 1L);
		if (r->n_rcpts == 1) {
			CHECK_STR(rows[i].name, "recipient",
				  r->rcpts[0].recipient, "a@dest.example");
			CHECK_INT(rows[i].name, "hard", r->rcpts[0].hard, false);
			if (rows[i].reason != NULL)
				CHECK_STR(rows[i].name, "reason",
					  r->rcpts[0].reason, rows[i].reason);
		}
		rb_report_free(&r);
	}
}

static void test_text_multi(void **state)
{
	static const char head[] = "Return-Path: <>\n"
				   "From: postmaster@mx.dest.example\n"
				   "To: sender@example.org\n"
				   "Subject: Undeliverable mail\n"
				   "\n";
	static const struct {
		const char *name;
		const char *body;
		size_t n;
		const char *rcpt[3];
		const char *reason[3];
		const char *kind1; /* the second recipient's kind, if checked */
	} rows[] = {
	    {"bullet-list",
	     "Delivery to the following recipients failed permanently:\n\n"
	     "    * a@dest.example\n"
	     "    * b@dest.example\n\n"
	     "For recipient a@dest.example:\n"
	     "  Remote server replied: 550 5.1.1 User unknown\n\n"
	     "For recipient b@dest.example:\n"
	     "  Remote server replied: 552 5.2.2 Mailbox full\n",
	     2,
	     {"a@dest.example", "b@dest.example"},
	     {"userunknown", "mailboxfull"},
	     NULL},
	    {"indented-list-with-reasons",
	     "The following recipients could not be delivered:\n"
	     "    c@dest.example    (550 5.1.1 User unknown)\n"
	     "    d@dest.example    (552 5.2.2 Mailbox full)\n",
	     2,
	     {"c@dest.example", "d@dest.example"},
	     {"userunknown", "mailboxfull"},
	     NULL},
	    {"repeated-label",
	     "Your message cannot be delivered to the following recipients:\n\n"
	     "  Recipient address: e@dest.example\n"
	     "  Reason: 550 5.1.1 User unknown\n\n"
	     "  Recipient address: f@dest.example\n"
	     "  Reason: Illegal host/domain name found\n\n"
	     "  Recipient address: g@dest.example\n"
	     "  Reason: Over quota\n",
	     3,
	     {"e@dest.example", "f@dest.example", "g@dest.example"},
	     {"userunknown", "hostunknown", "mailboxfull"},
	     NULL},
	    {"repeated-blocks",
	     "Your message\n\n  Subject: hello\n\nwas not delivered to:\n\n"
	     "  h@dest.example\n\nbecause:\n\n"
	     "  User h (h@dest.example) not listed in Domino Directory\n\n"
	     "Your message\n\n  Subject: hello\n\nwas not delivered to:\n\n"
	     "  i@dest.example\n\nbecause:\n\n"
	     "  Something nobody has a rule for\n",
	     2,
	     {"h@dest.example", "i@dest.example"},
	     {"userunknown", "undefined"},
	     NULL},
	    {"named-without-words",
	     "   ----- The following addresses had permanent fatal errors -----\n"
	     "<j@dest.example>\n<k@other.example>\n\n"
	     "   ----- Transcript of session follows -----\n"
	     "... while talking to mx.dest.example.:\n"
	     ">>> RCPT To:<j@dest.example>\n"
	     "<<< 550 5.1.1 <j@dest.example>... User unknown\n"
	     "550 5.1.1 <j@dest.example>... User unknown\n",
	     2,
	     {"j@dest.example", "k@other.example"},
	     {"userunknown", "undefined"},
	     NULL},
	    /* the other recipients of the message did not fail */
	    {"sent-as-well",
	     "Your message\n\n  Subject: hello\n\nwas not delivered to:\n\n"
	     "  l@dest.example\n\nbecause:\n\n"
	     "  550 5.1.1 <l@dest.example>... User unknown\n\n"
	     "Your message was sent to the following recipients as well:\n\n"
	     "  m@dest.example\n  n@dest.example\n",
	     1,
	     {"l@dest.example"},
	     {"userunknown"},
	     NULL},
	    /* each RCPT its own reply; one taken at RCPT (250) did not fail */
	    {"arrow-transcript",
	     "--- Session Transcript ---\n"
	     " 09:13:02: --> RCPT To:<o@dest.example>\n"
	     " 09:13:02: <-- 550 5.1.1 <o@dest.example>... User unknown\n"
	     " 09:13:02: --> RCPT To:<p@dest.example>\n"
	     " 09:13:02: <-- 250 2.1.5 Recipient OK\n"
	     " 09:13:02: --> RCPT To:<q@dest.example>\n"
	     " 09:13:02: <-- 552 5.2.2 <q@dest.example>... Mailbox full\n"
	     " 09:13:02: --> QUIT\n",
	     2,
	     {"o@dest.example", "q@dest.example"},
	     {"userunknown", "mailboxfull"},
	     NULL},
	    /* taken at RCPT, refused after DATA: it failed with the message */
	    {"arrow-transcript-data",
	     " 09:13:02: --> RCPT To:<r@dest.example>\n"
	     " 09:13:02: <-- 550 5.1.1 <r@dest.example>... User unknown\n"
	     " 09:13:02: --> RCPT To:<s@dest.example>\n"
	     " 09:13:02: <-- 250 2.1.5 Recipient OK\n"
	     " 09:13:02: --> DATA\n"
	     " 09:13:03: <-- 554 5.7.1 Message rejected as spam\n",
	     2,
	     {"r@dest.example", "s@dest.example"},
	     {"userunknown", "spamdetected"},
	     NULL},
	    /* Exchange names recipients "Display Name (addr)" */
	    {"exchange-display-names",
	     "Delivery has failed to these recipients or groups:\n\n"
	     "Vic Smith (v@dest.example)\n"
	     "The e-mail address you entered couldn't be found.\n\n"
	     "Wes Jones (w@dest.example)\n"
	     "The recipient's mailbox is full and can't accept messages now.\n",
	     2,
	     {"v@dest.example", "w@dest.example"},
	     {"userunknown", "mailboxfull"},
	     NULL},
	    /* a contact address after a finished sentence is still one */
	    {"contact-after-sentence",
	     "Your message could not be delivered to the following "
	     "recipient:\n\n"
	     "    x@dest.example\n    550 5.1.1 User unknown\n\n"
	     "If you need help, please write to the address below.\n\n"
	     "    help@mx.dest.example\n",
	     1,
	     {"x@dest.example"},
	     {"userunknown"},
	     NULL},
	    /* "Your email to a" names the recipient; "Support: b" is a
	     * help desk, never a recipient */
	    {"your-email-to-support-label",
	     "Hello,\n\nYour email to y@dest.example could not be "
	     "delivered (hard bounce).\n\n"
	     "Reason: 550 5.1.1 User unknown\n\n"
	     "Support: help@mx.dest.example\n",
	     1,
	     {"y@dest.example"},
	     {"userunknown"},
	     NULL},
	    /* a bare "Status code: 550 5.7.133" is not the reply when an
	     * "Error:" line below gives the words with the code */
	    {"bare-code-then-error-line",
	     "Your message to z@dest.example couldn't be delivered.\n\n"
	     "More Info for Email Admins\nStatus code: 550 5.7.133\n\n"
	     "Error Details\nError: 550 5.7.133 RESOLVER.RST."
	     "SenderNotAuthenticatedForGroup; authentication required\n",
	     1,
	     {"z@dest.example"},
	     {"securityerror"},
	     NULL},
	    /* Sendmail's permanent and transient sections in one notice */
	    {"sendmail-transient-section",
	     "   ----- The following addresses had permanent fatal errors -----\n"
	     "<t@dest.example>\n"
	     "    (reason: 550 5.1.1 <t@dest.example>... User unknown)\n\n"
	     "   ----- The following addresses had transient non-fatal errors -----\n"
	     "<u@other.example>\n"
	     "    (reason: 452 4.2.2 Mailbox full)\n",
	     2,
	     {"t@dest.example", "u@other.example"},
	     {"userunknown", "mailboxfull"},
	     "delay"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_buf b;
		struct rb_report *r;

		rb_buf_init(&b, 0);
		rb_buf_adds(&b, head);
		rb_buf_adds(&b, rows[i].body);
		r = run_str(rb_buf_str(&b));
		CHECK_INT(rows[i].name, "n_rcpts", r->n_rcpts, rows[i].n);
		if (rows[i].kind1 != NULL && r->n_rcpts > 1)
			CHECK_STR(rows[i].name, "kind of the second",
				  kind_of(r->rcpts[1].kind), rows[i].kind1);
		for (size_t k = 0; k < rows[i].n && k < r->n_rcpts; k++) {
			CHECK_STR(rows[i].name, "recipient", r->rcpts[k].recipient,
				  rows[i].rcpt[k]);
			CHECK_STR(rows[i].name, "reason", r->rcpts[k].reason,
				  rows[i].reason[k]);
		}
		rb_report_free(&r);
		rb_buf_free(&b);
	}
}

static int group_setup(void **state)
{
	struct rb_error err;

	(void)state;
	rb_parse_init();
	rb_error_clear(&err);
	if (rb_pipeline_init(&pipe_, NULL, &err) != 0) {
		fprintf(stderr, "rb_pipeline_init: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rb_pipeline_deinit(&pipe_);
	rb_parse_shutdown();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dsn_single),
	    cmocka_unit_test(test_sending_ip),
	    cmocka_unit_test(test_sending_ip_outbound),
	    cmocka_unit_test(test_dsn_multi),
	    cmocka_unit_test(test_dsn_recipients),
	    cmocka_unit_test(test_dsn_duplicate),
	    cmocka_unit_test(test_expansions),
	    cmocka_unit_test(test_complaints),
	    cmocka_unit_test(test_complaint_sender),
	    cmocka_unit_test(test_complaint_source_ip),
	    cmocka_unit_test(test_autoreply_moved),
	    cmocka_unit_test(test_not_bounces),
	    cmocka_unit_test(test_text_delay),
	    cmocka_unit_test(test_text_multi),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
