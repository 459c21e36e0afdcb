/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tests/fuzz/fuzz_fields.c - the field-block parser on arbitrary bytes,
 * with default and with tiny limits, in both block modes. Checks that the
 * limits hold and that the consumed length stays inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/limits.h"
#include "core/mem.h"
#include "parsers/fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(const char *buf, size_t len, const struct rb_limits *lim,
		int one_block)
{
	struct rb_arena *a = rb_arena_new();
	struct rb_fields f;
	size_t used = rb_fields_parse(a, buf, len, lim, one_block, &f);

	if (used > len || f.n > lim->max_blocks)
		abort();
	for (size_t b = 0; b < f.n; b++) {
		const struct rb_fblock *blk = &f.blocks[b];

		if (blk->n == 0 || blk->n > lim->max_fields)
			abort();
		for (size_t i = 0; i < blk->n; i++) {
			if (strlen(blk->fields[i].value) > lim->max_header_line)
				abort();
			if (rb_fblock_get(blk, blk->fields[i].name) == NULL)
				abort();
		}
	}
	if (one_block && f.n > 1)
		abort();
	rb_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_limits lim;

	rb_limits_default(&lim);
	run((const char *)data, size, &lim, 0);
	run((const char *)data, size, &lim, 1);
	/* tiny limits, chosen by the first byte */
	lim.max_fields = 1u + (size > 0 ? data[0] % 4u : 0u);
	lim.max_blocks = 1u + (size > 0 ? (data[0] >> 2) % 4u : 0u);
	lim.max_header_line = 1u + (size > 0 ? (data[0] >> 4) % 16u : 0u);
	run((const char *)data, size, &lim, 0);
	run((const char *)data, size, &lim, 1);
	return 0;
}
