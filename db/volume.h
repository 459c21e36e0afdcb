/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/volume.h - `rebound volume import`: the relay's sent counts, the
 * denominators of every reputation rate. CSV lines
 * "sender,day,recipient_domain,count" (or "sending_ip,..." into
 * rebound.sent_volume_ip); an optional header line; recipient_domain ""
 * is the day's total. Idempotent: a (sender, day, domain) already stored
 * gets the new count (the last line wins within a file), never a sum.
 */
#ifndef REBOUND_DB_VOLUME_H
#define REBOUND_DB_VOLUME_H

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

struct rb_db;

struct rb_volume_stats {
	unsigned long lines;	/* lines read (header and blanks included) */
	unsigned long rows;	/* good data lines */
	unsigned long bad;	/* lines rejected (reported) */
	unsigned long upserted; /* rows inserted or updated */
};

/* Reads @in (called @name in messages) and reports each bad line to @errs
 * as "name:LINE: why"; stores the good lines in one transaction. @by_ip:
 * the first column is a sending IP. Returns 0 (also when lines were bad:
 * see @st_r->bad), or -1 when reading or the database failed. */
int rb_db_volume_import(struct rb_db *db, FILE *in, const char *name,
			bool by_ip, FILE *errs, struct rb_volume_stats *st_r,
			struct rb_error *err);

/* Is @s a valid YYYY-MM-DD date? */
bool rb_db_valid_date(const char *s);

#endif
