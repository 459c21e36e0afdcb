/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * core/limits.c - limit defaults.
 */
#include <string.h>

#include "core/limits.h"

void rb_limits_default(struct rb_limits *l)
{
	memset(l, 0, sizeof(*l));
	rb_limits_fill(l);
}

#define FILL(f, v)           \
	do {                 \
		if (l->f == 0) \
			l->f = (v); \
	} while (0)

void rb_limits_fill(struct rb_limits *l)
{
	FILL(max_message_size, RB_DEF_MAX_MESSAGE_SIZE);
	FILL(max_parts, RB_DEF_MAX_PARTS);
	FILL(max_depth, RB_DEF_MAX_DEPTH);
	FILL(max_header_line, RB_DEF_MAX_HEADER_LINE);
	FILL(max_fields, RB_DEF_MAX_FIELDS);
	FILL(max_blocks, RB_DEF_MAX_BLOCKS);
	FILL(max_part_bytes, RB_DEF_MAX_PART_BYTES);
	FILL(max_text_bytes, RB_DEF_MAX_TEXT_BYTES);
	FILL(max_recipients, RB_DEF_MAX_RECIPIENTS);
}
