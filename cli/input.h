/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * cli/input.h - reading messages from paths: files, directories
 * (recursively, one message per file, in name order), mbox files and
 * standard input.
 */
#ifndef REBOUND_CLI_INPUT_H
#define REBOUND_CLI_INPUT_H

#include <stdbool.h>
#include <stddef.h>

/* Called once per message. @source is the path as given (plus "#N" for the
 * Nth message of an mbox). @buf is NULL when the message is over
 * @max_size (then @len is its size). */
typedef void (*rb_input_fn)(const char *source, const char *buf, size_t len,
			    void *ud);

/* Reads @path ("-" = stdin). A file that starts with a "From " line and
 * holds several messages is split as an mbox even without @mbox. Returns 0, or -1 after printing one line
 * "rebound: PATH: why" to stderr for each unreadable path. */
int rb_input_read(const char *path, bool mbox, size_t max_size,
		  rb_input_fn fn, void *ud);

/* Splits an mbox buffer into messages, calling @fn for each. */
void rb_input_split_mbox(const char *source, const char *buf, size_t len,
			 rb_input_fn fn, void *ud);

#endif
