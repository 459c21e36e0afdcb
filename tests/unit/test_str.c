/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_str.c - core/str.c: the ASCII-case-insensitive substring
 * search every decoder uses, checked against a byte-by-byte reference on
 * fixed rows and on generated texts (needles at every offset, near the end,
 * look-alike first bytes, bytes >= 0x80).
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

#include "core/str.h"

#include "check.h"

static int tolower_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : (unsigned char)c;
}

/* The obvious search: the first i where every byte matches folded. */
static const char *reference(const char *hay, size_t len, const char *needle)
{
	size_t nl = strlen(needle);

	for (size_t i = 0; i + nl <= len; i++) {
		size_t k = 0;

		while (k < nl && tolower_ascii(hay[i + k]) ==
				     tolower_ascii(needle[k]))
			k++;
		if (k == nl)
			return hay + i;
	}
	return NULL;
}

static void test_memcasemem_rows(void **state)
{
	static const struct {
		const char *hay, *needle;
		long want; /* offset, -1 = none */
	} rows[] = {
	    {"Original Message follows", "message", 9},
	    {"MESSAGE", "message", 0},
	    {"messag", "message", -1},
	    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxmEsSaGe", "message", 32},
	    {"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmme", "me", 30},
	    {"abcdefghij", "j", 9},
	    {"abcdefghij", "ij", 8},
	    {"abcdefghij", "", 0},
	    {"550 5.1.1 user unknown", "5.1.1", 4},
	    {"a\xd0\xba\xd0\xbe\xd0\xbf\xd0\xb8\xd1\x8f b",
	     "\xd0\xba\xd0\xbe\xd0\xbf", 1},
	    /* folding is ASCII only: '@' (0x40) is not '`' (0x60) */
	    {"a@b", "`", -1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *h = rows[i].hay;
		const char *got = rb_memcasemem(h, strlen(h), rows[i].needle);
		long off = got ? (long)(got - h) : -1;

		CHECK_INT(h, "offset", off, rows[i].want);
	}
}

static void test_memcasemem_generated(void **state)
{
	static const char alphabet[] = "aAbBeE -@`\x80\xc3";
	static const char *const needles[] = {"a", "ab", "Ab", "be", "e-a",
					      "aaab", "b@", "bAbEa", "\x80\xc3"};
	unsigned seed = 12345;
	char hay[64];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(hay);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			hay[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		for (size_t n = 0; n < sizeof(needles) / sizeof(needles[0]); n++) {
			const char *want = reference(hay, len, needles[n]);
			const char *got = rb_memcasemem(hay, len, needles[n]);

			if (got != want) {
				char what[160];

				snprintf(what, sizeof(what),
					 "round %d needle '%s' len %zu", round,
					 needles[n], len);
				CHECK_INT(what, "offset",
					  got ? (long)(got - hay) : -1,
					  want ? (long)(want - hay) : -1);
			}
		}
	}
}

static void test_has_high(void **state)
{
	static const struct {
		const char *s;
		int want;
	} rows[] = {
	    {"", 0},
	    {"plain ASCII text, longer than eight bytes", 0},
	    {"\x80", 1},
	    {"seven b\xc3\xa9", 1},          /* in the tail after 8 bytes */
	    {"\xd0\x9f ascii after it", 1}, /* in the first word */
	    {"exactly8", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].s, "high", rb_has_high(rows[i].s, strlen(rows[i].s)),
			  rows[i].want);
}

/* The byte-at-a-time squeeze the word-at-a-time one must equal: runs of
 * white space become one space, none at either end, a NUL ends it. */
static size_t squeeze_reference(char *dst, const char *src, size_t len)
{
	size_t w = 0, i = 0;
	bool space = false;

	for (; i < len && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			space = w > 0;
			continue;
		}
		if (space)
			dst[w++] = ' ';
		space = false;
		dst[w++] = (char)c;
	}
	dst[w] = '\0';
	return w;
}

static void test_squeeze_generated(void **state)
{
	static const char alphabet[] = "ab \t\r\n\x01\x1f!\xc3\x80\x7f";
	unsigned seed = 4242;
	char src[80], want[81], got[81], inplace[81];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len, wn, gn;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 16) % sizeof(src);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			/* mostly letters, so that long words occur */
			src[i] = (seed >> 28) < 10
					 ? 'x'
					 : alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		wn = squeeze_reference(want, src, len);
		gn = rb_str_squeeze_copy(got, src, len);
		memcpy(inplace, src, len);
		inplace[len] = '\0';
		rb_str_squeeze(inplace);
		if (gn != wn || strcmp(got, want) != 0 || strcmp(inplace, want) != 0) {
			fprintf(stderr, "round %d len %zu: got \"%s\" in place \"%s\", want \"%s\"\n",
				round, len, got, inplace, want);
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memcasemem_rows),
	    cmocka_unit_test(test_memcasemem_generated),
	    cmocka_unit_test(test_has_high),
	    cmocka_unit_test(test_squeeze_generated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
