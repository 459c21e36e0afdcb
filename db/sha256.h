/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sha256.h - SHA-256 for the content key of a message, through GLib's
 * GChecksum (GLib comes with GMime; no hand-written crypto).
 *
 * Caller-owned state; thread-safe. rb_sha256_final releases the state.
 */
#ifndef REBOUND_DB_SHA256_H
#define REBOUND_DB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define RB_SHA256_LEN 32

struct rb_sha256 {
	void *ck; /* GChecksum * */
};

void rb_sha256_init(struct rb_sha256 *s);
void rb_sha256_update(struct rb_sha256 *s, const void *data, size_t len);
void rb_sha256_final(struct rb_sha256 *s, unsigned char out_r[RB_SHA256_LEN]);
/* One-shot digest of @len bytes at @data into @out_r. */
void rb_sha256(const void *data, size_t len,
	       unsigned char out_r[RB_SHA256_LEN]);

#endif
