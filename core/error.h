/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/error.h - the one project-wide error code and error carrier.
 *
 * struct rb_error is caller-owned, holds no allocation and may be used from
 * any thread.
 */
#ifndef REBOUND_CORE_ERROR_H
#define REBOUND_CORE_ERROR_H

#include <stdarg.h>

enum rb_errcode {
	RB_E_OK = 0,
	RB_E_IO,     /* a file or stream could not be read or written */
	RB_E_SYNTAX, /* input (config, rules) is malformed */
	RB_E_LIMIT,  /* input is over a configured limit */
	RB_E_TEMP,   /* transient: retry later */
	RB_E_DB,     /* database error */
	RB_E_CONFIG, /* configuration is invalid */
	RB_E_USAGE,  /* bad command line */
};

struct rb_error {
	enum rb_errcode code;
	char msg[256];
};

/* Sets @err (may be NULL) to @code and a formatted message. Returns -1 so
 * callers can write "return rb_error_set(...)". */
int rb_error_set(struct rb_error *err, enum rb_errcode code, const char *fmt,
		 ...) __attribute__((format(printf, 3, 4)));

/* Clears @err to RB_E_OK and an empty message. */
void rb_error_clear(struct rb_error *err);

#endif
