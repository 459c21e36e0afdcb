/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_fields.c - rb_fields_parse and rb_fblock_get: line ends,
 * unfolding, blocks, repeated fields, malformed lines and every limit.
 * Results are rendered as "{Name=value|...}{...}" and compared got/want.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/limits.h"
#include "core/mem.h"
#include "core/str.h"
#include "parsers/fields.h"

#include "check.h"

#define NO_CONSUMED ((size_t)-1)

struct fields_case {
	const char *name;
	const char *in;
	size_t len; /* 0 = strlen(in) */
	int one_block;
	size_t max_fields;      /* 0 = default */
	size_t max_blocks;      /* 0 = default */
	size_t max_header_line; /* 0 = default */
	const char *want;       /* rendered blocks */
	unsigned want_flags;
	size_t want_consumed; /* NO_CONSUMED = the whole input */
};

static const struct fields_case cases[] = {
    {"lf", "A: 1\nB: 2\n", 0, 0, 0, 0, 0, "{A=1|B=2}", 0, NO_CONSUMED},
    {"crlf", "A: 1\r\nB: 2\r\n", 0, 0, 0, 0, 0, "{A=1|B=2}", 0, NO_CONSUMED},
    {"bare-cr", "A: 1\rB: 2\r", 0, 0, 0, 0, 0, "{A=1|B=2}", 0, NO_CONSUMED},
    {"mixed-ends", "A: 1\r\nB: 2\rC: 3\n", 0, 0, 0, 0, 0, "{A=1|B=2|C=3}", 0,
     NO_CONSUMED},
    {"no-final-eol", "A: 1\nB: 2", 0, 0, 0, 0, 0, "{A=1|B=2}", 0, NO_CONSUMED},
    {"value-trimmed", "A:   spaced out  \t\n", 0, 0, 0, 0, 0, "{A=spaced out}",
     0, NO_CONSUMED},
    {"empty-value", "A:\nB: 2\n", 0, 0, 0, 0, 0, "{A=|B=2}", 0, NO_CONSUMED},
    {"value-with-colons", "Arrival-Date: Mon, 1 Jan 2024 10:00:00\n", 0, 0, 0,
     0, 0, "{Arrival-Date=Mon, 1 Jan 2024 10:00:00}", 0, NO_CONSUMED},
    {"blocks-lf",
     "Reporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; x@y.example\n"
     "Action: failed\n\n\nFinal-Recipient: rfc822; z@y.example\n",
     0, 0, 0, 0, 0,
     "{Reporting-MTA=dns; a.example}"
     "{Final-Recipient=rfc822; x@y.example|Action=failed}"
     "{Final-Recipient=rfc822; z@y.example}",
     0, NO_CONSUMED},
    {"blocks-crlf", "A: 1\r\n\r\nB: 2\r\n\r\nC: 3\r\n", 0, 0, 0, 0, 0,
     "{A=1}{B=2}{C=3}", 0, NO_CONSUMED},
    {"blocks-cr", "A: 1\r\rB: 2\r", 0, 0, 0, 0, 0, "{A=1}{B=2}", 0,
     NO_CONSUMED},
    {"blank-line-with-spaces", "A: 1\n \t \nB: 2\n", 0, 0, 0, 0, 0,
     "{A=1}{B=2}", 0, NO_CONSUMED},
    {"leading-blank-lines", "\n\r\n\nA: 1\n", 0, 0, 0, 0, 0, "{A=1}", 0,
     NO_CONSUMED},
    {"repeated-in-order",
     "Feedback-Type: abuse\nOriginal-Rcpt-To: a@x.example\n"
     "Original-Rcpt-To: b@x.example\nOriginal-Rcpt-To: c@x.example\n",
     0, 0, 0, 0, 0,
     "{Feedback-Type=abuse|Original-Rcpt-To=a@x.example"
     "|Original-Rcpt-To=b@x.example|Original-Rcpt-To=c@x.example}",
     0, NO_CONSUMED},
    /* a line that is no field, after a field: folded without its
     * leading white space; the field goes on (not in a header block) */
    {"no-colon", "A: 1\nthis line has no colon\nB: 2\n", 0, 0, 0, 0, 0,
     "{A=1 this line has no colon|B=2}", RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"unindented-fold",
     "Status: 5.7.1\nDiagnostic-Code: smtp; 550 5.7.1 Client host\n"
     "blocked using zen.example; see https://example.net/q\n",
     0, 0, 0, 0, 0,
     "{Status=5.7.1|Diagnostic-Code=smtp; 550 5.7.1 Client host blocked "
     "using zen.example; see https://example.net/q}",
     RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"one-block-no-colon", "To: a@x.example\nsee <b@y.example>\nB: 2\n", 0, 1,
     0, 0, 0, "{To=a@x.example|B=2}", RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"space-in-name", "Bad Name: x\nB: 2\n", 0, 0, 0, 0, 0, "{B=2}",
     RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"leading-colon", ": x\nB: 2\n", 0, 0, 0, 0, 0, "{B=2}",
     RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"orphan-continuation", "  folded\nA: 1\n", 0, 0, 0, 0, 0, "{A=1}",
     RB_PF_INVALID_SYNTAX, NO_CONSUMED},
    {"empty", "", 0, 0, 0, 0, 0, "", 0, NO_CONSUMED},
    {"only-blank-lines", "\n\r\n  \n\r", 0, 0, 0, 0, 0, "", 0, NO_CONSUMED},
    {"only-junk", "junk\nmore junk\n", 0, 0, 0, 0, 0, "", RB_PF_INVALID_SYNTAX,
     NO_CONSUMED},
    {"len-bounds-input", "A: 1\nB: 2\n", 5, 0, 0, 0, 0, "{A=1}", 0,
     NO_CONSUMED},
    {"max-fields", "A: 1\nB: 2\nC: 3\nD: 4\n", 0, 0, 2, 0, 0, "{A=1|B=2}",
     RB_PF_LIMIT_HIT, NO_CONSUMED},
    {"max-fields-per-block", "A: 1\nB: 2\nC: 3\n\nD: 4\n", 0, 0, 2, 0, 0,
     "{A=1|B=2}{D=4}", RB_PF_LIMIT_HIT, NO_CONSUMED},
    {"max-blocks", "A: 1\n\nB: 2\n\nC: 3\n\nD: 4\n", 0, 0, 0, 2, 0,
     "{A=1}{B=2}", RB_PF_LIMIT_HIT, NO_CONSUMED},
    {"max-header-line", "A: 0123456789abcdef\nB: 2\n", 0, 0, 0, 0, 8,
     "{A=0123456|B=2}", RB_PF_TRUNCATED, NO_CONSUMED},
    {"max-header-line-folded", "A: 0123\n 456789\n abcdef\nB: 2\n", 0, 0, 0, 0,
     5, "{A=0123|B=2}", RB_PF_TRUNCATED, NO_CONSUMED},
    {"one-block-stops", "A: 1\nB: 2\n\nbody: not a header\nC: 3\n", 0, 1, 0, 0,
     0, "{A=1|B=2}", 0, 11},
    {"one-block-crlf", "A: 1\r\n\r\nC: 3\r\n", 0, 1, 0, 0, 0, "{A=1}", 0, 8},
    {"one-block-leading-blank", "\nA: 1\n\nC: 3\n", 0, 1, 0, 0, 0, "{A=1}", 0,
     7},
    {"one-block-no-blank", "A: 1\nB: 2", 0, 1, 0, 0, 0, "{A=1|B=2}", 0,
     NO_CONSUMED},
};

static void render(const struct rb_fields *f, struct rb_buf *out)
{
	for (size_t b = 0; b < f->n; b++) {
		rb_buf_addc(out, '{');
		for (size_t i = 0; i < f->blocks[b].n; i++) {
			const struct rb_field *fl = &f->blocks[b].fields[i];

			if (i > 0)
				rb_buf_addc(out, '|');
			rb_buf_adds(out, fl->name);
			rb_buf_addc(out, '=');
			rb_buf_adds(out, fl->value);
		}
		rb_buf_addc(out, '}');
	}
}

static void limits_for(const struct fields_case *c, struct rb_limits *l)
{
	rb_limits_default(l);
	if (c->max_fields)
		l->max_fields = c->max_fields;
	if (c->max_blocks)
		l->max_blocks = c->max_blocks;
	if (c->max_header_line)
		l->max_header_line = c->max_header_line;
}

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fields_case *c = &cases[i];
		struct rb_arena *a = rb_arena_new();
		size_t len = c->len ? c->len : strlen(c->in);
		/* a heap copy without a NUL, so ASan sees any overread */
		char *in = rb_xmalloc(len);
		struct rb_limits lim;
		struct rb_fields f;
		struct rb_buf got;
		size_t used;

		memcpy(in, c->in, len);
		limits_for(c, &lim);
		rb_buf_init(&got, 0);
		used = rb_fields_parse(a, in, len, &lim, c->one_block, &f);
		render(&f, &got);
		CHECK_STR(c->name, "blocks", rb_buf_str(&got), c->want);
		CHECK_INT(c->name, "flags", f.flags, c->want_flags);
		CHECK_INT(c->name, "consumed", used,
			  c->want_consumed == NO_CONSUMED ? len
							  : c->want_consumed);
		rb_buf_free(&got);
		free(in);
		rb_arena_free(&a);
	}
}

/* Folding: the continuation is joined into the one value, without line
 * ends. (Whitespace at the join is compared squeezed; see the report on
 * the extra space fields.c inserts.) */
static void test_unfold(void **state)
{
	static const struct {
		const char *name;
		const char *in;
		const char *field;
		const char *want; /* squeezed */
	} rows[] = {
	    {"lf", "Subject: one\n two\n\tthree\nX: y\n", "Subject",
	     "one two three"},
	    {"crlf", "Subject: one\r\n two\r\nX: y\r\n", "Subject", "one two"},
	    {"cr", "Subject: one\r two\rX: y\r", "Subject", "one two"},
	    {"diagnostic",
	     "Diagnostic-Code: smtp; 550 5.1.1 <a@b.example>:\n"
	     "    Recipient address rejected\n",
	     "diagnostic-code",
	     "smtp; 550 5.1.1 <a@b.example>: Recipient address rejected"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_arena *a = rb_arena_new();
		struct rb_limits lim;
		struct rb_fields f;
		const char *v;
		char *sq;

		rb_limits_default(&lim);
		rb_fields_parse(a, rows[i].in, strlen(rows[i].in), &lim, 0, &f);
		CHECK_INT(rows[i].name, "blocks", f.n, 1);
		v = rb_fblock_get(&f.blocks[0], rows[i].field);
		CHECK_TRUE(rows[i].name, "field present", v != NULL);
		CHECK_TRUE(rows[i].name, "no line end in value",
			   strpbrk(v, "\r\n") == NULL);
		sq = rb_arena_strdup(a, v);
		rb_str_squeeze(sq);
		CHECK_STR(rows[i].name, "unfolded", sq, rows[i].want);
		CHECK_INT(rows[i].name, "flags", f.flags, 0);
		rb_arena_free(&a);
	}
}

static void test_fblock_get(void **state)
{
	static const char in[] = "Final-Recipient: rfc822; a@x.example\n"
				 "Action: failed\n"
				 "ACTION: delayed\n";
	static const struct {
		const char *name;
		const char *want;
	} rows[] = {
	    {"Final-Recipient", "rfc822; a@x.example"},
	    {"final-recipient", "rfc822; a@x.example"},
	    {"FINAL-RECIPIENT", "rfc822; a@x.example"},
	    {"action", "failed"}, /* the first of a repeated field */
	    {"Status", NULL},
	    {"Final", NULL},
	    {"", NULL},
	};
	struct rb_arena *a = rb_arena_new();
	struct rb_limits lim;
	struct rb_fields f;

	(void)state;
	rb_limits_default(&lim);
	rb_fields_parse(a, in, sizeof(in) - 1, &lim, 0, &f);
	assert_int_equal(f.n, 1);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_STR(rows[i].name, "rb_fblock_get",
			  rb_fblock_get(&f.blocks[0], rows[i].name),
			  rows[i].want);
	rb_arena_free(&a);
}

/* Big inputs at tiny limits: flags, bounded output, no crash. */
static void test_limits_stress(void **state)
{
	struct rb_arena *a = rb_arena_new();
	struct rb_limits lim;
	struct rb_fields f;
	size_t len = 200000;
	char *in = rb_xmalloc(len);

	(void)state;
	/* one huge field value, folded many times */
	memset(in, 'x', len);
	memcpy(in, "Long: ", 6);
	for (size_t i = 1000; i < len; i += 1000) {
		in[i] = '\n';
		in[i + 1] = ' ';
	}
	rb_limits_default(&lim);
	lim.max_header_line = 100;
	rb_fields_parse(a, in, len, &lim, 0, &f);
	CHECK_INT("huge", "blocks", f.n, 1);
	CHECK_TRUE("huge", "value capped",
		   strlen(f.blocks[0].fields[0].value) <= 100);
	CHECK_TRUE("huge", "truncated", (f.flags & RB_PF_TRUNCATED) != 0);

	/* many tiny blocks */
	for (size_t i = 0; i + 6 <= len; i += 6)
		memcpy(in + i, "A: 1\n\n", 6);
	rb_limits_default(&lim);
	lim.max_blocks = 10;
	rb_fields_parse(a, in, len - len % 6, &lim, 0, &f);
	CHECK_INT("many-blocks", "blocks", f.n, 10);
	CHECK_TRUE("many-blocks", "limit hit",
		   (f.flags & RB_PF_LIMIT_HIT) != 0);

	/* many fields in one block */
	for (size_t i = 0; i + 5 <= len; i += 5)
		memcpy(in + i, "A: 1\n", 5);
	rb_limits_default(&lim);
	lim.max_fields = 7;
	rb_fields_parse(a, in, len - len % 5, &lim, 0, &f);
	CHECK_INT("many-fields", "blocks", f.n, 1);
	CHECK_INT("many-fields", "fields", f.blocks[0].n, 7);
	CHECK_TRUE("many-fields", "limit hit",
		   (f.flags & RB_PF_LIMIT_HIT) != 0);

	/* binary junk with NULs and high bytes */
	for (size_t i = 0; i < len; i++)
		in[i] = (char)((i * 131u + 7u) & 0xff);
	rb_limits_default(&lim);
	rb_fields_parse(a, in, len, &lim, 0, &f);
	CHECK_TRUE("junk", "blocks bounded", f.n <= lim.max_blocks);

	free(in);
	rb_arena_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_unfold),
	    cmocka_unit_test(test_fblock_get),
	    cmocka_unit_test(test_limits_stress),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
