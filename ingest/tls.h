/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/tls.h - server certificate verification with GnuTLS. libetpan
 * 1.9.4 completes the TLS handshake without checking anything
 * (LIBRARY-NOTES 2.2), so the IMAP source checks the chain and the host
 * name itself, before it sends LOGIN. Thread-safe; no state.
 */
#ifndef REBOUND_INGEST_TLS_H
#define REBOUND_INGEST_TLS_H

#include <stddef.h>

#include "core/error.h"

/* Maximum number of certificates looked at in a server's chain. */
#define RB_TLS_MAX_CHAIN 16

/* One DER certificate, borrowed. */
struct rb_tls_der {
	const unsigned char *data;
	size_t len;
};

/* Verifies the server chain @chain[0..@n) (leaf first, as sent) for a TLS
 * web server named @host (a DNS name or an IP literal), against the PEM
 * CAs in @ca_file or, when @ca_file is NULL, the system trust store.
 * Returns 0 when trusted; -1 with @err (RB_E_CONFIG) saying why not
 * ("issuer is unknown", "name does not match", ...). */
int rb_tls_verify(const struct rb_tls_der *chain, size_t n, const char *host,
		  const char *ca_file, struct rb_error *err);

#endif
