/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/writer.h - the batched, idempotent writer of reports.
 *
 * Reports are encoded on arrival into one COPY (binary) stream for a TEMP
 * staging table; a flush sends the stream and moves the rows into
 * rebound.message/event/complaint/quarantine with set-based
 * INSERT ... ON CONFLICT DO NOTHING, all in one transaction. The key of a
 * message is (SHA-256 of its raw bytes, source id), so a batch replayed
 * after a lost connection or an unknown COMMIT outcome adds nothing twice.
 * A report of kind unknown with no recipient goes to the quarantine with
 * its raw bytes and its rule as the reason.
 *
 * The writer borrows its rb_db; it copies everything it needs from a
 * report, which may be freed right after rb_db_writer_add returns. Not
 * thread-safe: one writer per connection, used by one thread (with
 * opts.overlap the writer's own worker uses the connection while a batch
 * is in flight: the caller must not use the rb_db then, only after a
 * flush).
 */
#ifndef REBOUND_DB_WRITER_H
#define REBOUND_DB_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/error.h"
#include "parsers/report.h"

struct rb_db;
struct rb_db_writer;

/* Stop growing one batch past this many encoded bytes. */
#define RB_DB_BATCH_MAX_BYTES (64u * 1024u * 1024u)
/* Caps on one text value: indexed columns, and the rest. */
#define RB_DB_MAX_KEY_TEXT 1024u
#define RB_DB_MAX_TEXT	   65536u

/* Fault injection for the tests: REBOUND_DB_TEST_KILL=after-copy:N or
 * after-commit:N makes batch N terminate its own server connection once
 * (pg_terminate_backend) after the COPY, or after COMMIT succeeded while
 * reporting it as lost. */
#define RB_DB_TEST_KILL_ENV "REBOUND_DB_TEST_KILL"

struct rb_db_writer_opts {
	size_t batch_size;    /* messages per transaction; 0 = 500 */
	size_t keep_raw_days; /* keep raw bytes of stored reports; 0 = never */
	/* The suppression policy applied in each batch's transaction
	 * (borrowed, must outlive the writer); NULL = none (a schema older
	 * than migration 4). */
	const struct rb_suppression_config *policy;
	/* Commit a full batch in a worker thread while the caller fills the
	 * next one (one batch in flight; batches commit in order; the thread
	 * starts with the first full batch). rb_db_writer_add then returns
	 * before its batch is committed, and reports a failure of that batch
	 * at a later add or flush; rb_db_writer_flush still returns only once
	 * everything is committed. For `rebound ingest`, which acknowledges
	 * nothing before its final flush. */
	bool overlap;
};

/* One message as read from its source. */
struct rb_db_item {
	const char *source;    /* "file", "mbox", "stdin", ... */
	const char *source_id; /* the source's own id; any bytes */
	const char *raw;       /* NULL when not read (over the size limit) */
	size_t len;	       /* bytes at @raw, or the size when @raw is NULL */
	int64_t received_us;   /* microseconds since 1970 */
	int64_t parsed_us;
};

/* Committed totals. */
struct rb_db_stats {
	unsigned long messages;	   /* messages handed to the writer */
	unsigned long stored;	   /* new rebound.message rows */
	unsigned long events;	   /* new rebound.event rows */
	unsigned long complaints;  /* new rebound.complaint rows */
	unsigned long quarantined; /* new rebound.quarantine rows */
	unsigned long duplicates;  /* messages that were already stored */
	unsigned long batches;	   /* committed transactions */
	unsigned long replays;	   /* batches sent again after a failure */
	unsigned long suppressed;  /* suppression entries added or back */
	unsigned long suppression_hits; /* entries hit again or escalated */
	unsigned long incidents;   /* blocklist incidents opened or hit */
};

/* Returns (owned) a writer on @db (borrowed, must be connected). */
struct rb_db_writer *rb_db_writer_new(struct rb_db *db,
				      const struct rb_db_writer_opts *opts);
/* Frees @wp; rows not flushed are dropped (flush first). */
void rb_db_writer_free(struct rb_db_writer **wp);

/* Queues one message and its report (borrowed; copied). Flushes when the
 * batch is full. Returns 0, or -1 when that flush failed (see flush); with
 * opts.overlap the full batch is handed to the worker instead, and -1
 * means the previous batch failed. */
int rb_db_writer_add(struct rb_db_writer *w, const struct rb_db_item *item,
		     const struct rb_report *r, struct rb_error *err);

/* Commits the queued messages (with opts.overlap: the batch in flight
 * first), replaying a batch after a lost connection (with backoff,
 * database.retries times). Returns 0 once committed, or -1: RB_E_TEMP when
 * the database stayed unreachable, RB_E_DB for a permanent error. The
 * batch is kept on failure. */
int rb_db_writer_flush(struct rb_db_writer *w, struct rb_error *err);

/* Messages queued (or in flight) and not yet committed. */
size_t rb_db_writer_pending(const struct rb_db_writer *w);

/* Returns (borrowed) the committed totals. */
const struct rb_db_stats *rb_db_writer_stats(const struct rb_db_writer *w);

#endif
