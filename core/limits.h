/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/limits.h - hard input limits. Every limit has a name and a default;
 * a breach raises a flag on the result, never an abort. A value of 0 in a
 * configuration means "the default".
 */
#ifndef REBOUND_CORE_LIMITS_H
#define REBOUND_CORE_LIMITS_H

#include <stddef.h>

#define RB_DEF_MAX_MESSAGE_SIZE (25u * 1024 * 1024) /* bytes of raw message */
#define RB_DEF_MAX_PARTS	256u		     /* MIME parts walked */
#define RB_DEF_MAX_DEPTH	12u		     /* multipart/message nesting */
#define RB_DEF_MAX_HEADER_LINE	16384u		     /* bytes of one unfolded field */
#define RB_DEF_MAX_FIELDS	512u		     /* fields per field block */
#define RB_DEF_MAX_BLOCKS	1024u		     /* blocks (recipients) per DSN */
#define RB_DEF_MAX_PART_BYTES	(4u * 1024 * 1024)   /* decoded bytes per part */
#define RB_DEF_MAX_TEXT_BYTES	(64u * 1024)	     /* body text given to rules */
#define RB_DEF_MAX_RECIPIENTS	1024u		     /* results per message */

struct rb_limits {
	size_t max_message_size;
	size_t max_parts;
	size_t max_depth;
	size_t max_header_line;
	size_t max_fields;
	size_t max_blocks;
	size_t max_part_bytes;
	size_t max_text_bytes;
	size_t max_recipients;
};

/* Fills @l with the defaults. */
void rb_limits_default(struct rb_limits *l);
/* Replaces zero fields of @l with the defaults. */
void rb_limits_fill(struct rb_limits *l);

#endif
