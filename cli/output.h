/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/output.h - result printers: NDJSON (the public contract documented in
 * README.md), a text table for humans, and the explain view.
 */
#ifndef REBOUND_CLI_OUTPUT_H
#define REBOUND_CLI_OUTPUT_H

#include <stdio.h>

#include "parsers/report.h"

/* Writes one JSON object per recipient (one line when there is none). */
void rb_output_ndjson(FILE *fp, const char *source, const struct rb_report *r);
/* Writes the text table header, then rows. */
void rb_output_text_header(FILE *fp);
void rb_output_text(FILE *fp, const char *source, const struct rb_report *r);
/* Writes the explain view of one report. */
void rb_output_explain(FILE *fp, const char *source, const struct rb_report *r);
/* Writes @s as a JSON string (quoted), replacing invalid UTF-8 with U+FFFD;
 * NULL is written as null. */
void rb_json_string(FILE *fp, const char *s);

#endif
