/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_codes.c - RFC 3463 status codes and RFC 5321 reply codes:
 * validation, normalisation, extraction from free text and the generic
 * catch-all test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "parsers/codes.h"

#include "check.h"

static void test_status_valid(void **state)
{
	static const struct {
		const char *in;
		bool want;
	} rows[] = {
	    {"5.1.1", true},     {"4.7.1", true},     {"2.0.0", true},
	    {"5.123.123", true}, {"4.4.7", true},     {"5.7.26", true},
	    {"6.1.1", false},    {"3.1.1", false},    {"5.1", false},
	    {"5.1.1.1", false},  {"5.1234.1", false}, {"5.1.1234", false},
	    {"", false},         {" 5.1.1", false},   {"5.1.1 ", false},
	    {"5.a.1", false},    {"5..1", false},     {"5.1.", false},
	    {"55.1.1", false},   {"5-1-1", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_status_valid",
			  rb_status_valid(rows[i].in), rows[i].want);
}

static void test_status_normalize(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL = rejected */
	} rows[] = {
	    {"5.1.1", "5.1.1"},   {" 5.01.001 (x)", "5.1.1"},
	    {"\t4.2.2", "4.2.2"}, {"5.7.1 (delivery not authorized)", "5.7.1"},
	    {"2.0.0", "2.0.0"},   {"4.007.000", "4.7.0"},
	    {"5.1.10", "5.1.10"}, {"6.1.1", NULL},
	    {"5.1", NULL},        {"5.1.1.1", NULL},
	    {"5.1.1234", NULL},   {"", NULL},
	    {"   ", NULL},        {"x 5.1.1", NULL},
	    {"five", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[RB_STATUS_MAX];
		int rc;

		memset(out, 0, sizeof(out));
		rc = rb_status_normalize(rows[i].in, out);
		CHECK_INT(rows[i].in, "return", rc, rows[i].want ? 0 : -1);
		if (rows[i].want != NULL)
			CHECK_STR(rows[i].in, "normalized", out, rows[i].want);
	}
}

static void test_status_find(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL = none */
		size_t off;
	} rows[] = {
	    {"550 5.7.1 blocked", "5.7.1", 4},
	    {"550-5.1.1 The email account does not exist", "5.1.1", 4},
	    {"5.1.0 - Unknown address error 550-'5.7.1 <a@b.example>... Access denied", "5.7.1", 35},
	    {"5.1.1 user unknown", "5.1.1", 0},
	    {"smtp; 550 5.1.1 <a@b.example>: unknown", "5.1.1", 10},
	    {"host 192.5.1.1 said 550 5.1.1 unknown", "5.1.1", 24},
	    {"#5.1.1 mailbox unavailable", "5.1.1", 1},
	    {"rejected (4.2.2) over quota", "4.2.2", 10},
	    {"Status: 4.4.7.", "4.4.7", 8},
	    {"code 5.01.001 here", "5.1.1", 5},
	    {"192.5.1.1", NULL, 0},
	    {"connect to 10.4.4.1 failed", NULL, 0},
	    {"v4.4.1.2", NULL, 0},
	    {"version 4.4.1.2 of the software", NULL, 0},
	    {"build5.1.1", NULL, 0},
	    {"5.1.1x", NULL, 0},
	    {"6.1.1 nope", NULL, 0},
	    {"550 user unknown", NULL, 0},
	    {"", NULL, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[RB_STATUS_MAX] = "";
		size_t off = 999;
		int rc = rb_status_find(rows[i].in, out, &off);

		CHECK_INT(rows[i].in, "return", rc, rows[i].want ? 0 : -1);
		if (rows[i].want == NULL)
			continue;
		CHECK_STR(rows[i].in, "status", out, rows[i].want);
		CHECK_INT(rows[i].in, "offset", off, rows[i].off);
		/* the offset pointer is optional */
		CHECK_INT(rows[i].in, "return without off",
			  rb_status_find(rows[i].in, out, NULL), 0);
	}
}

static void test_reply_find(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL = none */
	} rows[] = {
	    {"550-5.1.1", "550"},
	    {"550-5.1.1 The email account does not exist", "550"},
	    {"smtp; 452 4.2.2 mailbox full", "452"},
	    {"550 5.1.1 user unknown", "550"},
	    {"421", "421"},
	    {"said: 554 rejected", "554"},
	    {"(550) denied", "550"},
	    {"host said [451] try later", "451"},
	    {"user123", NULL},
	    {"error 5555 happened", NULL},
	    {"x550 y", NULL},
	    {"599 not a reply", NULL},
	    {"55 short", NULL},
	    {"", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[4] = "";
		int rc = rb_reply_find(rows[i].in, out);

		CHECK_INT(rows[i].in, "return", rc, rows[i].want ? 0 : -1);
		if (rows[i].want != NULL)
			CHECK_STR(rows[i].in, "reply", out, rows[i].want);
	}
}

static void test_reply_join(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"550-5.1.1 The email account 550-5.1.1 does not exist",
	     "550-5.1.1 The email account does not exist"},
	    {"550 first line 550 second line", "550 first line second line"},
	    /* the code ends the text: nothing after it to read */
	    {"host said 550", "host said 550"},
	    {"550", "550"},
	    /* an earlier look-alike (inside a number) is not the code */
	    {"id 15500 said 550 no 550 user", "id 15500 said 550 no user"},
	    {"no code here", "no code here"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", rows[i].in);
		rb_reply_join(buf);
		CHECK_STR(rows[i].in, "joined", buf, rows[i].want);
	}
}

static void test_status_generic(void **state)
{
	static const struct {
		const char *in;
		bool want;
	} rows[] = {
	    {"5.0.0", true},   {"4.0.0", true},  {"5.7.1", true},
	    {"4.7.0", true},   {"5.5.0", true},  {"5.1.0", true},
	    {"5.2.0", true},   {"5.3.0", true},  {"5.4.0", true},
	    {"", true},        {"5.1.1", false}, {"4.2.2", false},
	    {"5.7.26", false}, {"5.2.1", false}, {"5.4.4", false},
	    {"5.7.11", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_status_generic",
			  rb_status_generic(rows[i].in), rows[i].want);
	CHECK_INT("NULL", "rb_status_generic", rb_status_generic(NULL), true);
}

static void test_code_class(void **state)
{
	static const struct {
		const char *in;
		int want;
	} rows[] = {
	    {"5.1.1", 5}, {"452", 4}, {"2.0.0", 2},
	    {"x", 0},     {"", 0},    {"3.1.1", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_code_class",
			  rb_code_class(rows[i].in), rows[i].want);
	CHECK_INT("NULL", "rb_code_class", rb_code_class(NULL), 0);
}

static void test_smtp_command(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: none named */
	} rows[] = {
	    {"said: 550 no such user (in reply to RCPT TO command)", "RCPT"},
	    {"550 unknown user (in reply to end of DATA command)", "DATA"},
	    {"SMTP error from remote server after RCPT command:\nhost: mx",
	     "RCPT"},
	    {"550 5.2.1 <a@b.example>... User Unknown\n[RCPT_TO]", "RCPT"},
	    {"SMTP:RCPT host 192.0.2.8: 553 5.3.0 No such user here", "RCPT"},
	    {"-------server message\n550 unknown user\n\n"
	     "-------SMTP command\nDATA\n", "DATA"},
	    {"SMTP command: MAIL FROM:<a@b.example>", "MAIL"},
	    {"SMTP command: ehlo mx.example", "HELO"},
	    /* the label followed by prose is no command */
	    {"unrecognized SMTP command DATAGRAM", NULL},
	    {"550 user unknown", NULL},
	    /* the earliest mention wins: the first failing step */
	    {">>> MAIL FROM:<a@b.example>\n<<< 250 ok\n>>> DATA", "MAIL"},
	    {"09:13:02: --> DATA 09:13:03: <-- 554 5.7.1 Message rejected", "DATA"},
	    {"09:13:02: --> MAIL From:<a@b.example> <-- 550 5.7.1 no", "MAIL"},
	    /* hMailServer's notice */
	    {"hMailServer sent: DATA Remote server replied: 550 No such user",
	     "DATA"},
	    {"hMailServer sent: RCPT TO:<a@b.example> Remote server replied: 550",
	     "RCPT"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *got = rb_smtp_command_find(rows[i].in,
						       strlen(rows[i].in));

		CHECK_STR(rows[i].in, "rb_smtp_command_find", got, rows[i].want);
	}
	CHECK_STR("DATA", "word", rb_smtp_command_word("DATA"), "DATA");
	CHECK_STR("rcpt to", "word", rb_smtp_command_word(" RCPT TO:<a@b>"),
		  "RCPT");
	CHECK_STR("datum", "word", rb_smtp_command_word("Datum"), NULL);
}

static void test_smtp_command_find(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"in reply to end of DATA command", "DATA"},
	    {"550 5.1.1 <a@b> (in reply to RCPT TO command)", "RCPT"},
	    {">>> MAIL FROM:<x@y> <<< 550 no", "MAIL"},
	    {"after EHLO: 421 go away", "HELO"},
	    {"said: 554 (in reply to HELO command)", "HELO"},
	    {"connect to mx.example.com[192.0.2.1]:25: refused", "CONN"},
	    {"lost after initial connection", "CONN"},
	    {"host does not like recipient.", "RCPT"},
	    /* the earliest mention wins */
	    {"after RCPT TO, then after end of data", "RCPT"},
	    {"after end of data, then after RCPT TO", "DATA"},
	    {"after MAIL FROM and our data", "MAIL"},
	    {"x", NULL},
	    {"", NULL},
	    {"data rcpt helo ehlo connect", NULL},
	    {"rcpt to", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_STR(rows[i].in, "rb_smtp_command_find",
			  rb_smtp_command_find(rows[i].in, strlen(rows[i].in)),
			  rows[i].want);
	/* the length bounds the search */
	CHECK_STR("len", "rb_smtp_command_find",
		  rb_smtp_command_find("after data", 9), NULL);
	CHECK_STR("NULL", "rb_smtp_command_find",
		  rb_smtp_command_find(NULL, 0), NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_valid),
	    cmocka_unit_test(test_status_normalize),
	    cmocka_unit_test(test_status_find),
	    cmocka_unit_test(test_reply_find),
	    cmocka_unit_test(test_reply_join),
	    cmocka_unit_test(test_status_generic),
	    cmocka_unit_test(test_code_class),
	    cmocka_unit_test(test_smtp_command),
	    cmocka_unit_test(test_smtp_command_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
