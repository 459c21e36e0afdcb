/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * parsers/fields.h - the RFC 822-style field-block parser shared by DSN
 * (RFC 3464) and ARF (RFC 5965) bodies and by header blocks.
 *
 * Input is (buf, len) with LF, CRLF or bare-CR line ends. Folded lines are
 * unfolded; blocks are separated by blank lines; repeated fields are kept in
 * order. Results are allocated from the caller's arena. Limits (line length,
 * fields per block, blocks) raise RB_PF_* flags instead of failing.
 */
#ifndef REBOUND_PARSERS_FIELDS_H
#define REBOUND_PARSERS_FIELDS_H

#include <stddef.h>

#include "core/limits.h"
#include "core/mem.h"

/* Parse flags, shared by every parser in parsers/. */
#define RB_PF_TRUNCATED	     0x01u /* something was cut at a limit */
#define RB_PF_INVALID_SYNTAX 0x02u /* malformed input was skipped */
#define RB_PF_LIMIT_HIT	     0x04u /* a hard limit stopped parsing */
#define RB_PF_BAD_CHARSET    0x08u /* text could not be converted cleanly */
#define RB_PF_TOO_BIG	     0x20u /* message over max_message_size */

/* Returns the name of the single flag @bit ("truncated", ...), or NULL;
 * iterate bits 1, 2, 4, ... up to RB_PF_LAST. */
const char *rb_flag_name(unsigned bit);
#define RB_PF_LAST RB_PF_TOO_BIG

struct rb_field {
	char *name;  /* as written, e.g. "Final-Recipient" */
	char *value; /* unfolded, trimmed */
};

struct rb_fblock {
	struct rb_field *fields;
	size_t n;
};

struct rb_fields {
	struct rb_fblock *blocks;
	size_t n;
	unsigned flags; /* RB_PF_* */
};

/*
 * Parses @len bytes at @buf into @out (all memory borrowed from @a).
 * With @one_block set, parsing stops at the first blank line after a field
 * (header blocks); otherwise every block is read. Returns the number of
 * bytes consumed. Never fails: malformed lines set flags.
 */
size_t rb_fields_parse(struct rb_arena *a, const char *buf, size_t len,
		       const struct rb_limits *lim, int one_block,
		       struct rb_fields *out);

/* Returns (borrowed) the first value of @name in @b (case-insensitive), or
 * NULL. */
const char *rb_fblock_get(const struct rb_fblock *b, const char *name);

#endif
