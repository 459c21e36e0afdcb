/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/db/test_db.c - the parts of db/ that need no server: the UTF-8
 * repair every text value goes through (table of input and expected
 * output), SHA-256 against the FIPS 180-4 vectors, and the embedded
 * migrations table (versions 1..n, in order, not empty).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/migrate.h"
#include "db/sanitize.h"
#include "db/sha256.h"

#include "../unit/check.h"

#define R "\xef\xbf\xbd" /* U+FFFD */

static void test_sanitize(void **state)
{
	static const struct {
		const char *row;
		const char *in;
		size_t len;
		size_t max;
		const char *want;
		size_t bad;
	} t[] = {
		{"ascii", "550 user unknown", 16, 0, "550 user unknown", 0},
		{"empty", "", 0, 0, "", 0},
		{"utf8 kept", "bo\xc3\xaete \xe2\x82\xac \xf0\x9f\x93\xa7", 15, 0,
		 "bo\xc3\xaete \xe2\x82\xac \xf0\x9f\x93\xa7", 0},
		{"latin1 byte", "bo\xeete", 5, 0, "bo" R "te", 1},
		{"nul bytes", "a\0b\0", 4, 0, "a" R "b" R, 2},
		{"lone continuation", "x\x80y", 3, 0, "x" R "y", 1},
		{"overlong slash", "\xc0\xaf", 2, 0, R R, 2},
		{"overlong 3-byte", "\xe0\x80\xaf", 3, 0, R R R, 3},
		{"surrogate", "\xed\xa0\x80", 3, 0, R R R, 3},
		{"above U+10FFFF", "\xf4\x90\x80\x80", 4, 0, R R R R, 4},
		{"f5..ff", "\xf5\xff", 2, 0, R R, 2},
		{"cut at the end", "ok\xe2\x82", 4, 0, "ok" R R, 2},
		{"max cuts at a boundary", "ab\xc3\xa9", 4, 3, "ab", 0},
		{"max counts replacements", "\xff\xff", 2, 4, R, 1},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct rb_buf b;
		size_t bad;

		rb_buf_init(&b, 0);
		bad = rb_db_sanitize(&b, t[i].in, t[i].len, t[i].max);
		CHECK_STR(t[i].row, "output", rb_buf_str(&b), t[i].want);
		CHECK_INT(t[i].row, "replacements", bad, t[i].bad);
		CHECK_INT(t[i].row, "length", b.len, strlen(t[i].want));
		rb_buf_free(&b);
	}
}

static void test_sanitize_dup(void **state)
{
	char *s = rb_db_sanitize_dup("x\0y", 3);

	(void)state;
	CHECK_STR("dup", "output", s, "x" R "y");
	free(s);
	s = rb_db_sanitize_dup("", 0);
	CHECK_STR("dup empty", "output", s, "");
	free(s);
}

static void hex(const unsigned char *d, char *out)
{
	for (size_t i = 0; i < RB_SHA256_LEN; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void test_sha256(void **state)
{
	static const struct {
		const char *row;
		const char *in;
		const char *want;
	} t[] = {
		{"empty", "",
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "abc",
		 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{"448 bits",
		 "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	};
	unsigned char d[RB_SHA256_LEN];
	char got[2 * RB_SHA256_LEN + 1];
	struct rb_sha256 s;
	char *mil = malloc(1000000);

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rb_sha256(t[i].in, strlen(t[i].in), d);
		hex(d, got);
		CHECK_STR(t[i].row, "digest", got, t[i].want);
	}
	/* one million 'a', fed in uneven pieces */
	assert_non_null(mil);
	memset(mil, 'a', 1000000);
	rb_sha256_init(&s);
	for (size_t at = 0, step = 1; at < 1000000; at += step, step = step * 7 % 1000 + 1)
		rb_sha256_update(&s, mil + at,
				 at + step > 1000000 ? 1000000 - at : step);
	rb_sha256_final(&s, d);
	hex(d, got);
	CHECK_STR("million a", "digest", got,
		  "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(mil);
}

static void test_migrations_table(void **state)
{
	(void)state;
	assert_true(rb_n_migrations >= 2);
	for (size_t i = 0; i < rb_n_migrations; i++) {
		CHECK_INT("migration", "version", rb_migrations[i].version, i + 1);
		CHECK_TRUE("migration", "has SQL", rb_migrations[i].len > 0);
		CHECK_INT("migration", "length", strlen(rb_migrations[i].sql),
			  rb_migrations[i].len);
		CHECK_TRUE("migration", "no BEGIN/COMMIT of its own",
			   strstr(rb_migrations[i].sql, "\nCOMMIT") == NULL &&
				   strstr(rb_migrations[i].sql, "\nBEGIN;") == NULL);
	}
	CHECK_STR("001", "name", rb_migrations[0].name, "core");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_dup),
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_migrations_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
