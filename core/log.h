/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/log.h - one line per event, stable key=value fields, to stderr or
 * syslog. Control characters in the formatted line are replaced, so
 * untrusted text cannot forge log lines.
 */
#ifndef REBOUND_CORE_LOG_H
#define REBOUND_CORE_LOG_H

enum rb_log_level {
	RB_LOG_ERR = 3,
	RB_LOG_WARN = 4,
	RB_LOG_NOTICE = 5,
	RB_LOG_INFO = 6,
	RB_LOG_DEBUG = 7,
};

/* Sets the most verbose level that is written (default RB_LOG_NOTICE). */
void rb_log_set_level(enum rb_log_level level);
/* Sends lines to syslog instead of stderr. */
void rb_log_use_syslog(const char *ident);
void rb_log(enum rb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* As rb_log, with ": strerror(errno)" appended. */
void rb_log_errno(enum rb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
