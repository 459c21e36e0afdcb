/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/test_trust.c - complaint trust: a complaint suppresses only
 * when it came to a feedback-loop mailbox from that mailbox's provider.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "fbl/trust.h"

static void test_trust(void **state)
{
	static const char *const also[] = {"validity"};
	static const struct {
		const char *name;
		enum rb_kind kind;
		const char *reporter;	 /* r->fb.provider */
		const char *mailbox;	 /* origin provider */
		int with_also;		 /* trusted list {"validity"} */
		int want;
		const char *why_has;	 /* substring of the reason */
	} rows[] = {
		{"bounce needs no trust", RB_KIND_BOUNCE, NULL, NULL, 0, 1, NULL},
		{"complaint, no fbl mailbox", RB_KIND_COMPLAINT, "yahoo", NULL, 0,
		 0, "not a feedback-loop mailbox"},
		{"complaint, matching provider", RB_KIND_COMPLAINT, "yahoo",
		 "yahoo", 0, 1, NULL},
		{"complaint, other provider", RB_KIND_COMPLAINT, "microsoft",
		 "yahoo", 0, 0, "reporter microsoft"},
		{"complaint, provider trusted there", RB_KIND_COMPLAINT,
		 "validity", "yahoo", 1, 1, NULL},
		{"complaint, unknown reporter", RB_KIND_COMPLAINT, NULL, "yahoo", 0,
		 0, "not recognised"},
		{"not-spam is a complaint-type report", RB_KIND_NOT_SPAM, "aol",
		 "yahoo", 0, 0, "reporter aol"},
		{"auth-failure, any", RB_KIND_AUTH_FAILURE, NULL, "any", 0, 1,
		 NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct rb_report r;
		struct rb_fbl_origin o = {rows[i].mailbox,
					  rows[i].with_also ? also : NULL,
					  rows[i].with_also ? 1 : 0};
		char why[200] = "";
		bool got;

		memset(&r, 0, sizeof(r));
		r.kind = rows[i].kind;
		r.fb.provider = rows[i].reporter;
		got = rb_fbl_trusted(&r, &o, why, sizeof(why));
		if ((int)got != rows[i].want ||
		    (rows[i].why_has && strstr(why, rows[i].why_has) == NULL)) {
			fprintf(stderr, "[%s] got %d (%s), want %d (%s)\n",
				rows[i].name, got, why, rows[i].want,
				rows[i].why_has ? rows[i].why_has : "");
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
