/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/log.c - logging. Not reconfigured after start, so safe to call from
 * any thread once set up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "core/log.h"

static enum rb_log_level max_level = RB_LOG_NOTICE;
static bool to_syslog;

void rb_log_set_level(enum rb_log_level level)
{
	max_level = level;
}

void rb_log_use_syslog(const char *ident)
{
	openlog(ident, LOG_PID, LOG_MAIL);
	to_syslog = true;
}

static const char *level_name(enum rb_log_level level)
{
	switch (level) {
	case RB_LOG_ERR:
		return "error";
	case RB_LOG_WARN:
		return "warning";
	case RB_LOG_NOTICE:
		return "notice";
	case RB_LOG_INFO:
		return "info";
	case RB_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

static void emit(enum rb_log_level level, const char *fmt, va_list ap,
		 int errnum) __attribute__((format(printf, 2, 0)));

static void emit(enum rb_log_level level, const char *fmt, va_list ap,
		 int errnum)
{
	char line[1024];
	int n;
	char *p;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (errnum != 0) {
		size_t len = strlen(line);

		(void)snprintf(line + len, sizeof(line) - len, ": %s",
			       strerror(errnum));
	}
	for (p = line; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	if (to_syslog)
		syslog((int)level, "%s", line);
	else
		fprintf(stderr, "rebound: %s: %s\n", level_name(level), line);
}

void rb_log(enum rb_log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	emit(level, fmt, ap, 0);
	va_end(ap);
}

void rb_log_errno(enum rb_log_level level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	emit(level, fmt, ap, saved);
	va_end(ap);
}
