/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/unit/check.h - got/want comparisons for table-driven cmocka tests.
 * Every failure names the table row and the field, then prints what was
 * got and what was wanted. Include after <cmocka.h>.
 */
#ifndef REBOUND_TESTS_UNIT_CHECK_H
#define REBOUND_TESTS_UNIT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Out of line, so constant NULL arguments are not propagated into strcmp. */
#define CHECK_FN __attribute__((noinline, unused))

/* Fails the test when @p is NULL; the return tells the compiler so. */
#define NEED(p)                                                                \
	do {                                                                   \
		if ((p) == NULL) {                                             \
			fail_msg("%s is NULL", #p);                            \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECK_STR(row, what, got, want)                                        \
	check_str((row), (what), (got), (want), __FILE__, __LINE__)
#define CHECK_INT(row, what, got, want)                                        \
	check_int((row), (what), (long long)(got), (long long)(want),          \
		  __FILE__, __LINE__)
#define CHECK_TRUE(row, what, cond)                                            \
	check_true((row), (what), (cond), #cond, __FILE__, __LINE__)
#define CHECK_CONTAINS(row, what, got, needle)                                 \
	check_contains((row), (what), (got), (needle), __FILE__, __LINE__)

static CHECK_FN void check_str(const char *row, const char *what,
			       const char *got, const char *want,
			       const char *file, int line)
{
	if ((got == NULL) != (want == NULL) ||
	    (got != NULL && strcmp(got, want) != 0)) {
		print_error("[%s] %s: got \"%s\", want \"%s\"\n", row, what,
			    got ? got : "(null)", want ? want : "(null)");
		_fail(file, line);
	}
}

static CHECK_FN void check_int(const char *row, const char *what, long long got,
			       long long want, const char *file, int line)
{
	if (got != want) {
		print_error("[%s] %s: got %lld (0x%llx), want %lld (0x%llx)\n",
			    row, what, got, (unsigned long long)got, want,
			    (unsigned long long)want);
		_fail(file, line);
	}
}

static CHECK_FN void check_true(const char *row, const char *what, bool cond,
				const char *expr, const char *file, int line)
{
	if (!cond) {
		print_error("[%s] %s: expected %s\n", row, what, expr);
		_fail(file, line);
	}
}

static CHECK_FN void check_contains(const char *row, const char *what,
				    const char *got, const char *needle,
				    const char *file, int line)
{
	if (got == NULL || strstr(got, needle) == NULL) {
		print_error("[%s] %s: got \"%s\", want it to contain \"%s\"\n",
			    row, what, got ? got : "(null)", needle);
		_fail(file, line);
	}
}

#endif
