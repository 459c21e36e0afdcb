/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_net.c - IP networks: the relay's outbound addresses
 * decide which IP a block or a Received line is charged to.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "core/net.h"

static void test_parse(void **state)
{
	static const struct {
		const char *s;
		int ok;
	} rows[] = {
	    {"192.0.2.0/24", 1}, {"192.0.2.7", 1},   {"2001:db8::/32", 1},
	    {"2001:db8::1", 1},  {"0.0.0.0/0", 1},   {"192.0.2.0/33", 0},
	    {"192.0.2.0/", 0},	 {"192.0.2/24", 0},  {"example.net", 0},
	    {"/24", 0},		 {"192.0.2.0/2x", 0}, {"2001:db8::/129", 0},
	    {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_net n;
		int got = rb_net_parse(rows[i].s, &n) == 0;

		if (got != rows[i].ok) {
			fprintf(stderr, "[%s] parsed %d, want %d\n", rows[i].s, got,
				rows[i].ok);
			fail();
		}
	}
}

static void test_contains(void **state)
{
	static const char *const nets_text[] = {"192.0.2.0/25", "198.51.100.7",
						"2001:db8:10::/48"};
	static const struct {
		const char *ip;
		bool in;
	} rows[] = {
	    {"192.0.2.0", true},	 {"192.0.2.127", true},
	    {"192.0.2.128", false},	 {"198.51.100.7", true},
	    {"198.51.100.8", false},	 {"2001:db8:10::25", true},
	    {"IPv6:2001:db8:10:ffff::1", true}, {"2001:db8:11::1", false},
	    {"203.0.113.1", false},	 {"not an ip", false},
	    {"::ffff:192.0.2.1", false}, /* a v6 form is not the v4 net */
	};
	struct rb_net nets[3];

	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(rb_net_parse(nets_text[i], &nets[i]), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rb_net_contains(nets, 3, rows[i].ip) != rows[i].in) {
			fprintf(stderr, "[%s] want %d\n", rows[i].ip, rows[i].in);
			fail();
		}
	}
	assert_false(rb_net_contains(nets, 0, "192.0.2.1"));
	assert_true(rb_ip_valid("192.0.2.1") && rb_ip_valid("2001:db8::1"));
	assert_false(rb_ip_valid("[192.0.2.1]") || rb_ip_valid("192.0.2") ||
		     rb_ip_valid("host.example") || rb_ip_valid(NULL));
	assert_false(rb_net_contains(nets, 3, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_contains),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
