/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_literal.c - required literals of rule patterns: the
 * prefilter may only skip PCRE2 when the pattern cannot match, so every
 * literal it returns must be in every text the pattern matches.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounce/literal.h"

static void test_required(void **state)
{
	static const struct {
		const char *pattern;
		const char *want; /* "" = none */
	} rows[] = {
		{"user unknown", "user unknown"},
		{"\\bno\\s+such\\s+user\\b", "such"},
		{"mailbox\\s+full", "mailbox"},
		{"over\\s+quota", "quota"},
		{"quotas? exceeded", " exceeded"},
		{"users?\\s+unknown", "unknown"},
		{"ab+cdef", "cdef"}, /* "abbcdef" matches too */
		{"x(?:foo|bar)yz", ""},
		{"foo|barbaz", ""},
		{"S3150", "s3150"},
		{"\\bIB(?:101|504)\\b", ""},
		{"spamhaus\\.org", "spamhaus.org"},
		{"[a-z]+@example", "@example"},
		{"(?x) a b c d", ""},
		{"colou?r scheme", "r scheme"},
		{"a{0,3}bcd", "bcd"},
		{"\\x41bcd", "bcd"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[256];
		size_t n = rb_literal_required(rows[i].pattern, out, sizeof(out));

		if (strcmp(n ? out : "", rows[i].want) != 0) {
			fprintf(stderr, "[%s] got \"%s\", want \"%s\"\n",
				rows[i].pattern, n ? out : "", rows[i].want);
			fail();
		}
	}
}

static void test_set(void **state)
{
	static const struct {
		const char *pattern;
		const char *want; /* literals joined with '|', "" = none */
	} rows[] = {
		{"\\b(?:spamhaus\\s+xbl|exploits\\s+block\\s+list)\\b",
		 "spamhaus|exploits"},
		{"\\bIB(?:101|504|510)\\b", "101|504|510"},
		{"(?:unknown|invalid)\\s+(?:user|recipient)", "unknown|invalid"},
		{"(?:a|bc)\\s+(?:user|recipient)", "user|recipient"},
		{"(?:foo)?bar", "bar"},
		{"(?:foo)?ba", ""},
		{"(?<!sender\\s)address\\s+rejected", "rejected"},
		{"(?=abc)d", ""},
		{"top|level", ""},
		{"plain words", "plain words"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *set[16];
		char got[512] = "";
		size_t n = rb_literal_set(rows[i].pattern, set, 16);

		size_t used = 0;

		for (size_t k = 0; k < n; k++) {
			int w = snprintf(got + used, sizeof(got) - used, "%s%s",
					 k > 0 ? "|" : "", set[k]);

			if (w > 0 && (size_t)w < sizeof(got) - used)
				used += (size_t)w;
			free(set[k]);
		}
		if (strcmp(got, rows[i].want) != 0) {
			fprintf(stderr, "[%s] got \"%s\", want \"%s\"\n",
				rows[i].pattern, got, rows[i].want);
			fail();
		}
	}
}

/* The conjunction: every match holds a literal of every group. Written
 * as the groups' literals joined with '|', groups with " & ". */
static void test_cnf(void **state)
{
	static const struct {
		const char *pattern;
		const char *want;
	} rows[] = {
		{"\\bno\\s+such\\s+user\\b", "such & user"},
		{"\\b(?:unknown|invalid)\\s+(?:user|recipient)\\b",
		 "unknown|invalid & user|recipient"},
		{"mailbox\\s+(?:is\\s+)?full", "mailbox & full"},
		{"(?:foo)?bar\\s+baz", "bar & baz"},
		{"(?<!sender\\s)address\\s+rejected", "address & rejected"},
		{"colou?r scheme", "colo & r scheme"},
		{"top|level", ""},
		{"(?x) a b c", ""},
		{"x(?:ab|cde)y", ""}, /* "ab" is too short: no group */
		{"\\bIB(?:101|504)\\b", "101|504"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *lits[64];
		unsigned grp[64], ng;
		char got[512] = "";
		size_t used = 0;
		size_t n = rb_literal_cnf(rows[i].pattern, lits, grp, 64, &ng);

		for (size_t k = 0; k < n; k++) {
			const char *sep = k == 0 ? "" : grp[k] != grp[k - 1] ? " & " : "|";
			int w = snprintf(got + used, sizeof(got) - used, "%s%s", sep,
					 lits[k]);

			if (w > 0 && (size_t)w < sizeof(got) - used)
				used += (size_t)w;
			free(lits[k]);
		}
		if (strcmp(got, rows[i].want) != 0 ||
		    (n > 0 && ng != grp[n - 1] + 1)) {
			fprintf(stderr, "[%s] got \"%s\" (%u groups), want \"%s\"\n",
				rows[i].pattern, got, ng, rows[i].want);
			fail();
		}
	}
}

/* A pattern may be skipped on ASCII text only when every match has a
 * byte >= 0x80. */
static void test_needs_high(void **state)
{
	static const struct {
		const char *pattern;
		bool want;
	} rows[] = {
		{"\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e", true}, /* 宛先不明 */
		{"(?:\xd1\x8f\xd1\x89\xd0\xb8\xd0\xba|\xd0\xbf\xd0\xbe\xd1\x87\xd1\x82\xd0\xb0)\\s+\\S*", true},
		{"(?<!\xe5\x8f\x91)(?:\xe6\x94\xb6|\xe7\x94\xa8)", true},
		{"(?:\xe6\x94\xb6|user)\\s+unknown", false}, /* one ASCII way */
		{"(?:\xe6\x94\xb6)?\\S+", false},	/* optional */
		{"\xe6\x94\xb6?abc", false},		/* quantified */
		{"\xe6\x94\xb6|abc", false},		/* top-level | */
		{"[\xe6\x94\xb6]x", false},		/* classes: not looked at */
		{"(?=\xe6\x94\xb6)", false},		/* consumes nothing */
		{"(?:\xe6\x94\xb6){0,2}x", false},
		{"\xc5\xbf", false}, /* U+017F long s: caseless it is 's' */
		{"\xe2\x84\xaa", false}, /* U+212A Kelvin: caseless 'k' */
		{"user unknown", false},
		{"(?x) \xe6\x94\xb6", false},
		{"\\bempf(?:\xc3\xa4|ae)nger\\b", false},
		{"\\bbo(?:\xc3\xae)te\\b", true},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rb_literal_needs_high(rows[i].pattern) != rows[i].want) {
			fprintf(stderr, "[%s] want %d\n", rows[i].pattern,
				rows[i].want);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_needs_high),
		cmocka_unit_test(test_cnf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
