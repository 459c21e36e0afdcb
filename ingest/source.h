/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/source.h - where raw report mail comes from: one function table for
 * every source (IMAP, maildir), checkpoints, and acknowledging mail only
 * after the caller committed it.
 *
 * A source never parses or classifies mail and never talks to the database.
 * One source object belongs to one thread at a time (libetpan sessions are
 * not thread-safe); @stop given to wait() may be set from a signal handler.
 * The program must ignore SIGPIPE: a server that goes away while we write
 * would otherwise kill the process instead of giving RB_E_TEMP.
 */
#ifndef REBOUND_INGEST_SOURCE_H
#define REBOUND_INGEST_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct rb_source;

/* One message handed out by fetch(). Every pointer is owned by the array
 * fetch() returned; free it with rb_source_msgs_free(). */
struct rb_source_msg {
	/* stable source id, e.g.
	 * "imap://user@host/INBOX;UIDVALIDITY=5;UID=42" or, for a maildir,
	 * the path relative to the maildir ("new/1700000000.M1P2.host") */
	char *id;
	/* raw RFC 5322 bytes, NUL-terminated for convenience (the message may
	 * hold NULs: use @len); NULL when over the size limit, then too_big is
	 * true and size is set, so the caller can quarantine it by reference */
	char *data;
	size_t len;
	uint32_t uid;         /* IMAP UID; 0 for a maildir */
	uint32_t uidvalidity; /* IMAP UIDVALIDITY; 0 for a maildir */
	size_t size;          /* size on the source (RFC822.SIZE, file size) */
	bool too_big;
};

/* What the caller did with a message, told to ack() after its commit. */
enum rb_ack {
	RB_ACK_PROCESSED,   /* stored: move to the processed folder */
	RB_ACK_QUARANTINED, /* stored in quarantine: move to the quarantine
			       folder */
	RB_ACK_NOT_REPORT,  /* not a report: move to the not-report folder, or
			       leave it */
	RB_ACK_LEAVE,       /* leave it where it is, untouched */
};

/* The function table every source implements. Every int function returns 0
 * on success and -1 with @err set, where err->code is RB_E_TEMP for
 * transient faults (connection lost, server unavailable: call wait(),
 * which sleeps the reconnect backoff, then try again) and another code for
 * permanent ones (RB_E_CONFIG: bad configuration, certificate refused,
 * STARTTLS missing, login refused; RB_E_IO: a local file error). */
struct rb_source_ops {
	const char *kind; /* "imap", "maildir" */
	/* Connects (IMAP: TLS, certificate check, LOGIN, SELECT) or checks the
	 * maildir. */
	int (*open)(struct rb_source *s, struct rb_error *err);
	/* Returns (owned, free with rb_source_msgs_free) the next batch of at
	 * most @max messages (0: the configured batch) after the checkpoint,
	 * in UID or name order, and advances the in-memory checkpoint past
	 * them. *n_r == 0 means nothing new. Never marks anything read. */
	int (*fetch)(struct rb_source *s, size_t max,
		     struct rb_source_msg **msgs_r, size_t *n_r,
		     struct rb_error *err);
	/* Called only after the caller committed @msgs: moves processed
	 * messages to the processed folder, quarantined ones to the quarantine
	 * folder and non-reports to the not-report folder (or leaves them when
	 * none is configured). Never deletes anything else and never sets
	 * \Seen on what is left. Acknowledging again what was already moved
	 * is harmless. */
	int (*ack)(struct rb_source *s, const struct rb_source_msg *msgs,
		   const enum rb_ack *acks, size_t n, struct rb_error *err);
	/* Blocks until new mail may be there (returns 1), @timeout_s seconds
	 * passed or *stop became non-zero (returns 0), or a permanent error
	 * (-1). IMAP: IDLE, re-issued before the server's timeout, with
	 * polling when IDLE is not offered or fails; reconnects with
	 * exponential backoff. Maildir: inotify with a periodic rescan. */
	int (*wait)(struct rb_source *s, int timeout_s, volatile int *stop,
		    struct rb_error *err);
	/* Disconnects; open() may be called again. */
	void (*close)(struct rb_source *s);
};

/* Where a source stands: UIDVALIDITY and the last UID handed out. The
 * caller persists it (after its commit) and gives it back after a restart.
 * A maildir has no checkpoint (both 0): its acknowledged mail moves away. */
struct rb_source_checkpoint {
	uint32_t uidvalidity;
	uint32_t last_uid;
};

/* The common head of every source; the implementations embed it first.
 * Callers use the functions below and ops, never the other fields. */
struct rb_source {
	const struct rb_source_ops *ops;
	struct rb_source_checkpoint cp;
	bool cp_reset; /* UIDVALIDITY changed: see rb_source_checkpoint_reset */
	void (*destroy)(struct rb_source *s);
};

/* Calls through the table. */
int rb_source_open(struct rb_source *s, struct rb_error *err);
int rb_source_fetch(struct rb_source *s, size_t max,
		    struct rb_source_msg **msgs_r, size_t *n_r,
		    struct rb_error *err);
int rb_source_ack(struct rb_source *s, const struct rb_source_msg *msgs,
		  const enum rb_ack *acks, size_t n, struct rb_error *err);
int rb_source_wait(struct rb_source *s, int timeout_s, volatile int *stop,
		   struct rb_error *err);
void rb_source_close(struct rb_source *s);

/* Closes and frees the source; accepts NULL and *sp == NULL; sets *sp to
 * NULL. */
void rb_source_free(struct rb_source **sp);

/* Frees @n messages returned by fetch(); accepts NULL; sets *msgs to NULL. */
void rb_source_msgs_free(struct rb_source_msg **msgs, size_t n);

/* The checkpoint: fetch() hands out only UIDs above last_uid. Set it before
 * open() (or any time) from what the caller persisted. When the server's
 * UIDVALIDITY differs from a non-zero stored one, the checkpoint restarts
 * at UID 0 with the new UIDVALIDITY, a warning is logged and
 * rb_source_checkpoint_reset() returns true once. */
void rb_source_get_checkpoint(const struct rb_source *s,
			      struct rb_source_checkpoint *cp_r);
void rb_source_set_checkpoint(struct rb_source *s,
			      const struct rb_source_checkpoint *cp);
/* Returns true once after the checkpoint was reset by a UIDVALIDITY change
 * (every message may be handed out again: the caller's idempotent keys
 * absorb the replay), and clears the indication. */
bool rb_source_checkpoint_reset(struct rb_source *s);

/* IMAP source settings. Strings are borrowed: the constructor copies them.
 * Zero or NULL means the default shown. */
struct rb_imap_config {
	const char
	    *host;     /* required; also the name the certificate must carry */
	uint16_t port; /* 993 for "implicit", 143 otherwise */
	const char
	    *tls; /* "implicit" (default), "starttls", "none-for-tests-only" */
	const char *ca_file; /* PEM CAs to trust instead of the system store */
	const char *user;    /* required */
	const char *password_file;     /* first line is the password; or: */
	const char *password_env;      /* name of an environment variable */
	const char *mailbox;           /* "INBOX" */
	const char *processed_folder;  /* "Processed" (created if missing) */
	const char *quarantine_folder; /* "Quarantine" (created if missing) */
	const char *notreport_folder;  /* NULL: leave non-reports in place */
	unsigned batch;                /* messages per fetch: 100 */
	size_t max_size;               /* bytes: RB_DEF_MAX_MESSAGE_SIZE */
	bool idle;                     /* use IDLE when offered */
	unsigned poll_interval;        /* seconds between polls: 60 */
	unsigned timeout;              /* network timeout, seconds: 30 */
};

/* Maildir source settings. Strings are borrowed and copied. */
struct rb_maildir_config {
	const char *path;           /* required: the maildir (new/ cur/ tmp/) */
	const char *processed_path; /* required: maildir for processed mail */
	const char
	    *quarantine_path;       /* required: maildir for quarantined mail */
	const char *notreport_path; /* NULL: leave non-reports in place */
	size_t max_size;            /* bytes: RB_DEF_MAX_MESSAGE_SIZE */
	unsigned batch;             /* messages per fetch: 100 */
	unsigned rescan_interval;   /* seconds between rescans: 30 (2 without
				       inotify) */
};

/* Returns (owned, free with rb_source_free) an IMAP source. Nothing is
 * checked or connected until open(). NULL only when @cfg is NULL. */
struct rb_source *rb_source_imap_new(const struct rb_imap_config *cfg);

/* Returns (owned, free with rb_source_free) a maildir source. NULL only
 * when @cfg is NULL. */
struct rb_source *rb_source_maildir_new(const struct rb_maildir_config *cfg);

#endif
