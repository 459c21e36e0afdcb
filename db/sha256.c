/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * db/sha256.c - SHA-256 over GLib's GChecksum.
 */
#include <glib.h>

#include "db/sha256.h"

void rb_sha256_init(struct rb_sha256 *s)
{
	s->ck = g_checksum_new(G_CHECKSUM_SHA256);
}

void rb_sha256_update(struct rb_sha256 *s, const void *data, size_t len)
{
	const unsigned char *p = data;

	/* g_checksum_update takes a gssize: feed huge inputs in pieces */
	while (len > 0) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;

		g_checksum_update(s->ck, p, (gssize)n);
		p += n;
		len -= n;
	}
}

void rb_sha256_final(struct rb_sha256 *s, unsigned char out_r[RB_SHA256_LEN])
{
	gsize n = RB_SHA256_LEN;

	g_checksum_get_digest(s->ck, out_r, &n);
	g_checksum_free(s->ck);
	s->ck = NULL;
}

void rb_sha256(const void *data, size_t len,
	       unsigned char out_r[RB_SHA256_LEN])
{
	struct rb_sha256 s;

	rb_sha256_init(&s);
	rb_sha256_update(&s, data, len);
	rb_sha256_final(&s, out_r);
}
