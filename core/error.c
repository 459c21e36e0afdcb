/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/error.c - error carrier helpers.
 */
#include <stdio.h>

#include "core/error.h"

int rb_error_set(struct rb_error *err, enum rb_errcode code, const char *fmt,
		 ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->code = code;
	va_start(ap, fmt);
	if (vsnprintf(err->msg, sizeof(err->msg), fmt, ap) < 0)
		err->msg[0] = '\0';
	va_end(ap);
	return -1;
}

void rb_error_clear(struct rb_error *err)
{
	if (err == NULL)
		return;
	err->code = RB_E_OK;
	err->msg[0] = '\0';
}
