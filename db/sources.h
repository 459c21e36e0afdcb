/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sources.h - the state of live sources in PostgreSQL: the checkpoint
 * of each mailbox, when it last delivered a report, and the advisory lock
 * that lets only one rebound process consume a mailbox at a time.
 *
 * The lock is a session lock: it is held as long as the connection that
 * took it lives, so when a process dies its mailboxes are free for the
 * next one. Use a connection of its own for the locks.
 */
#ifndef REBOUND_DB_SOURCES_H
#define REBOUND_DB_SOURCES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "db/db.h"

/* Tries to take (or confirm we hold) the lock of source @name. Sets
 * *held_r. Returns 0, or -1 with @err (RB_E_TEMP: connection lost). */
int rb_db_source_lock(struct rb_db *db, const char *name, bool *held_r,
		      struct rb_error *err);

/* Loads the checkpoint of @name (0/0 when unknown). */
int rb_db_source_load(struct rb_db *db, const char *name,
		      uint32_t *uidvalidity_r, uint32_t *last_uid_r,
		      struct rb_error *err);

/* Records where @name stands after a committed and acknowledged batch of
 * @messages messages, @reports of them complaint-type reports. */
int rb_db_source_save(struct rb_db *db, const char *name, const char *kind,
		      const char *feedback_loop, uint32_t uidvalidity,
		      uint32_t last_uid, unsigned long messages,
		      unsigned long reports, struct rb_error *err);

#endif
