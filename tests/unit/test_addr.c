/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_addr.c - address extraction from DSN/ARF values and free
 * text, RFC 3461 xtext decoding, and VERP decoding with the configured
 * local-part template.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/mem.h"
#include "parsers/addr.h"
#include "parsers/report.h"

#include "check.h"

static void test_extract(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL = nothing plausible */
	} rows[] = {
	    {"rfc822; <User@Example.COM>", "User@example.com"},
	    {"rfc822;User@Example.COM", "User@example.com"},
	    {"RFC822; user@example.com", "user@example.com"},
	    {"Name <a@b.example>", "a@b.example"},
	    {"\"Doe, John\" <john@b.example>", "john@b.example"},
	    {"a@b.example (comment)", "a@b.example"},
	    {"utf-8; \xc3\xbc@b.example", "\xc3\xbc@b.example"},
	    {"a@b.example.", "a@b.example"},
	    {"'a@b.example'", "a@b.example"},
	    {"<a@B.Example>", "a@b.example"},
	    {"mailto:a@b.example", "a@b.example"},
	    {"Delivery to a.b+tag@sub.b.example failed",
	     "a.b+tag@sub.b.example"},
	    /* quotes around a dot-atom local part add nothing; quotes
	     * that are needed stay */
	    {"rfc822; \"u.kim\"@Example.NET (via alias)", "u.kim@example.net"},
	    {"<\"a+b\"@b.example>", "a+b@b.example"},
	    {"\"a..b\"@b.example", "\"a..b\"@b.example"},
	    {"\".a\"@b.example", "\".a\"@b.example"},
	    /* a quoted local part with a space is the whole address, never
	     * its tail (was "doe\"@example.com") */
	    {"RFC822; \"jane doe\"@example.com", "\"jane doe\"@example.com"},
	    {"<\"jane doe\"@Example.com>", "\"jane doe\"@example.com"},
	    {"rfc822; <>", NULL},
	    {"nothing here", NULL},
	    {"user@localhost", NULL},
	    {"@b.example", NULL},
	    {"a@", NULL},
	    {"rfc822; ", NULL},
	    {"<>", NULL},
	    {"", NULL},
	};
	struct rb_arena *a = rb_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_STR(rows[i].in, "rb_addr_extract",
			  rb_addr_extract(a, rows[i].in), rows[i].want);
	CHECK_STR("NULL", "rb_addr_extract", rb_addr_extract(a, NULL), NULL);
	rb_arena_free(&a);
}

static void test_plausible(void **state)
{
	static const struct {
		const char *in;
		bool want;
	} rows[] = {
	    {"a@b.example", true},
	    {"a.b-c@x.y.example", true},
	    {"a@b", false},
	    {"@b.example", false},
	    {"a@", false},
	    {"a@.example", false},
	    {"a@b.", false},
	    {"a b@c d.example", false},
	    {"a<b@c.example", false},
	    {"", false},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_addr_plausible",
			  rb_addr_plausible(rows[i].in), rows[i].want);
}

static void test_xtext(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"a+2Bb@x.example", "a+b@x.example"},
	    {"rfc822;a+3Db@x.example", "rfc822;a=b@x.example"},
	    {"+2B+2B", "++"},
	    {"plain@x.example", "plain@x.example"},
	    {"a+2", "a+2"},     /* truncated escape kept */
	    {"a+zzb", "a+zzb"}, /* not hex: kept */
	    {"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[64];

		memset(buf, 0, sizeof(buf));
		memcpy(buf, rows[i].in, strlen(rows[i].in));
		rb_xtext_decode(buf);
		CHECK_STR(rows[i].in, "rb_xtext_decode", buf, rows[i].want);
	}
}

/* RFC 6533 \x{HEX} escapes (utf-8-addr-unitext / -xtext) */
static void test_unitext(void **state)
{
	static const struct {
		const char *in;
		const char *want;
		int ok;
	} rows[] = {
	    {"j\\x{F6}rg@x.example", "j\xc3\xb6rg@x.example", 1},
	    {"utf-8; \\x{7528}\\x{6237}@x.example",
	     "utf-8; \xe7\x94\xa8\xe6\x88\xb7@x.example", 1},
	    {"\\x{1F600}@x.example", "\xf0\x9f\x98\x80@x.example", 1},
	    {"\\x{41}b@x.example", "Ab@x.example", 1},
	    {"plain@x.example", "plain@x.example", 1},
	    /* malformed: left as it was, and said so */
	    {"\\x{D800}@x.example", "\\x{D800}@x.example", 0},
	    {"\\x{110000}@x.example", "\\x{110000}@x.example", 0},
	    {"\\x{}@x.example", "\\x{}@x.example", 0},
	    {"\\x{7528@x.example", "\\x{7528@x.example", 0},
	    {"\\x{0}@x.example", "\\x{0}@x.example", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[64];
		int ok;

		memset(buf, 0, sizeof(buf));
		memcpy(buf, rows[i].in, strlen(rows[i].in));
		ok = rb_unitext_decode(buf);
		CHECK_STR(rows[i].in, "rb_unitext_decode", buf, rows[i].want);
		CHECK_INT(rows[i].in, "ok", ok, rows[i].ok);
	}
}

static void test_verp(void **state)
{
	static const struct {
		const char *fmt;
		const char *in;
		const char *want; /* NULL = does not fit */
	} rows[] = {
	    {RB_DEF_VERP, "bounces+alice=example.com@relay.test",
	     "alice@example.com"},
	    {RB_DEF_VERP, "bounces+a=b=example.com@relay.test",
	     "a=b@example.com"},
	    {RB_DEF_VERP, "bounces+alice=Example.COM@relay.test",
	     "alice@example.com"},
	    {RB_DEF_VERP, "Bounces+alice=example.com@relay.test",
	     "alice@example.com"},
	    {RB_DEF_VERP, "alice@example.com", NULL},
	    {RB_DEF_VERP, "bounces+alice@relay.test", NULL},
	    {RB_DEF_VERP, "bounces+=example.com@relay.test", NULL},
	    {RB_DEF_VERP, "bounces+alice=@relay.test", NULL},
	    {RB_DEF_VERP, "bounces+@relay.test", NULL},
	    {RB_DEF_VERP, "no-at-sign", NULL},
	    {RB_DEF_VERP, "", NULL},
	    {"bounces-{sender}", "bounces-12345@relay.test", "12345"},
	    {"bounces-{sender}", "bounces-a=b@relay.test", "a=b"},
	    {"bounces-{sender}", "bounces-@relay.test", NULL},
	    {"bounces-{sender}", "other-12345@relay.test", NULL},
	    {"{sender}.bounce", "u42.bounce@relay.test", "u42"},
	    {"{sender}.bounce", "u42@relay.test", NULL},
	    {"nothing", "bounces+alice=example.com@relay.test", NULL},
	    {"", "bounces+alice=example.com@relay.test", NULL},
	};
	struct rb_arena *a = rb_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char row[128];

		(void)snprintf(row, sizeof(row), "%s | %s", rows[i].fmt,
			       rows[i].in);
		CHECK_STR(row, "rb_verp_decode",
			  rb_verp_decode(a, rows[i].fmt, rows[i].in),
			  rows[i].want);
	}
	rb_arena_free(&a);
}

static void test_ipv4(void **state)
{
	static const struct {
		const char *in;
		size_t want;
	} rows[] = {
	    {"192.0.2.1] said", 9},  {"203.0.113.255", 13}, {"1.2.3", 0},
	    {"1.2.3.4.5", 0},        {"1234.2.3.4", 0},     {"10.0.0.1x", 0},
	    {"1..2.3", 0},           {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].in, "rb_ipv4_span",
			  rb_ipv4_span(rows[i].in, rows[i].in + strlen(rows[i].in)),
			  rows[i].want);
	CHECK_INT("private", "10/8", rb_ip_private("10.1.2.3"), true);
	CHECK_INT("private", "172.16/12", rb_ip_private("172.20.0.1"), true);
	CHECK_INT("private", "172.32", rb_ip_private("172.32.0.1"), false);
	CHECK_INT("private", "doc range", rb_ip_private("192.0.2.1"), false);
}

/* Address characters: atext, '.', UTF-8 bytes; never the string's end
 * (a strchr over the atext list would have said yes to the NUL). */
static void test_atext(void **state)
{
	(void)state;
	assert_true(rb_addr_atext('a') && rb_addr_atext('Z') &&
		    rb_addr_atext('7') && rb_addr_atext('.') &&
		    rb_addr_atext('+') && rb_addr_atext(0xc3));
	assert_false(rb_addr_atext('\0'));
	assert_false(rb_addr_atext('@') || rb_addr_atext('<') ||
		     rb_addr_atext(' ') || rb_addr_atext(':'));
}

/* One spelling per address: the domain lowercased, an internationalised
 * domain as its A-labels whatever the case or form it came in. */
static void test_canon(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"user@xn--bcher-kva.example", "user@xn--bcher-kva.example"},
	    {"User@XN--BCHER-KVA.EXAMPLE", "User@xn--bcher-kva.example"},
	    {"user@b\xc3\xbc" "cher.example", "user@xn--bcher-kva.example"},
	    {"anna@B\xc3\x9c" "CHER.EXAMPLE", "anna@xn--bcher-kva.example"},
	    /* NFD (u + combining diaeresis) is the same domain */
	    {"anna@bu\xcc\x88" "cher.example", "anna@xn--bcher-kva.example"},
	    {"\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example",
	     "\xe7\x94\xa8\xe6\x88\xb7@xn--fsqu00a.example"},
	    /* the local part is never changed */
	    {"\xc3\x84rger@Example.COM", "\xc3\x84rger@example.com"},
	    {"jane@[192.0.2.10]", "jane@[192.0.2.10]"},
	    {"no-at-sign", "no-at-sign"},
	};
	struct rb_arena *a = rb_arena_new();

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *in = rb_arena_strdup(a, rows[i].in);

		CHECK_STR(rows[i].in, "rb_addr_canon", rb_addr_canon(a, in),
			  rows[i].want);
	}
	CHECK_STR("NULL", "rb_addr_canon", rb_addr_canon(a, NULL), NULL);
	rb_arena_free(&a);
}

/* The UTF-8 spelling of an A-label domain, to find it in a notice. */
static void test_unicode(void **state)
{
	struct rb_arena *a = rb_arena_new();

	(void)state;
	CHECK_STR("a-label", "rb_addr_unicode",
		  rb_addr_unicode(a, "ben@xn--bcher-kva.example"),
		  "ben@b\xc3\xbc" "cher.example");
	CHECK_STR("upper", "rb_addr_unicode",
		  rb_addr_unicode(a, "Ben@XN--BCHER-KVA.example"),
		  "Ben@b\xc3\xbc" "cher.example");
	CHECK_STR("ascii", "rb_addr_unicode",
		  rb_addr_unicode(a, "ben@example.com"), NULL);
	CHECK_STR("bad", "rb_addr_unicode",
		  rb_addr_unicode(a, "ben@xn--.example"), NULL);
	CHECK_STR("NULL", "rb_addr_unicode", rb_addr_unicode(a, NULL), NULL);
	rb_arena_free(&a);
}

/* Comments, folding and mailto: around or inside a field's addr-spec go;
 * all of these lost the recipient's DSN block before. */
static void test_field_clean(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} rows[] = {
	    {"rfc822; jane(sales)@example.com", "rfc822; jane@example.com"},
	    {"rfc822; jane@(mx)example.com", "rfc822; jane@example.com"},
	    {"rfc822; jane@example.com (Jane (J) Doe)", "rfc822; jane@example.com "},
	    {"rfc822; <mailto:jane@example.com>", "rfc822; <jane@example.com>"},
	    {"rfc822; MAILTO:jane@example.com", "rfc822; jane@example.com"},
	    {"rfc822; <jane@\r\n example.com>", "rfc822; <jane@example.com>"},
	    {"rfc822; jane @ example.com", "rfc822; jane@example.com"},
	    {"rfc822; \"a (b)\"@example.com", "rfc822; \"a (b)\"@example.com"},
	    {"rfc822; \"x\\\"(y\"@example.com", "rfc822; \"x\\\"(y\"@example.com"},
	    {"rfc822; jane@example.com", "rfc822; jane@example.com"},
	    {"", ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "%s", rows[i].in);
		rb_addr_field_clean(buf);
		CHECK_STR(rows[i].in, "rb_addr_field_clean", buf, rows[i].want);
	}
}

/* Recipients found in two spellings are one result, the failure wins. */
static void test_canon_rcpts(void **state)
{
	struct rb_report *r = rb_report_new();
	struct rb_rcpt *rc;

	(void)state;
	rc = rb_report_add_rcpt(r, 10);
	rc->recipient = rb_arena_strdup(r->arena, "ben@b\xc3\xbc" "cher.example");
	rc->kind = RB_KIND_DELAY;
	rc = rb_report_add_rcpt(r, 10);
	rc->recipient = rb_arena_strdup(r->arena, "other@example.com");
	rc->kind = RB_KIND_BOUNCE;
	rc = rb_report_add_rcpt(r, 10);
	rc->recipient = rb_arena_strdup(r->arena, "ben@XN--BCHER-KVA.example");
	rc->original_recipient =
		rb_arena_strdup(r->arena, "alias@B\xc3\x9c" "CHER.example");
	rc->kind = RB_KIND_BOUNCE;
	rb_report_canon_rcpts(r);
	assert_int_equal(r->n_rcpts, 2);
	CHECK_STR("rcpt 0", "rb_report_canon_rcpts", r->rcpts[0].recipient,
		  "ben@xn--bcher-kva.example");
	assert_int_equal(r->rcpts[0].kind, RB_KIND_BOUNCE);
	CHECK_STR("orcpt 0", "rb_report_canon_rcpts",
		  r->rcpts[0].original_recipient, "alias@xn--bcher-kva.example");
	CHECK_STR("rcpt 1", "rb_report_canon_rcpts", r->rcpts[1].recipient,
		  "other@example.com");
	rb_report_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_extract),
	    cmocka_unit_test(test_plausible),
	    cmocka_unit_test(test_xtext),
	    cmocka_unit_test(test_unitext),
	    cmocka_unit_test(test_verp),
	    cmocka_unit_test(test_ipv4),
	    cmocka_unit_test(test_atext),
	    cmocka_unit_test(test_canon),
	    cmocka_unit_test(test_unicode),
	    cmocka_unit_test(test_field_clean),
	    cmocka_unit_test(test_canon_rcpts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
