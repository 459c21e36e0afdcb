/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ingest/tls.c - server certificate verification with GnuTLS
 * (gnutls_x509_trust_list_verify_crt2 with the host name and the TLS
 * server key purpose). Every GnuTLS object is created and freed inside one
 * call, so this is thread-safe.
 */
#include <stdint.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ingest/tls.h"

int rb_tls_verify(const struct rb_tls_der *chain, size_t n, const char *host,
		  const char *ca_file, struct rb_error *err)
{
	gnutls_x509_trust_list_t tl = NULL;
	gnutls_x509_crt_t crts[RB_TLS_MAX_CHAIN];
	gnutls_typed_vdata_st vdata[2];
	gnutls_datum_t out = {NULL, 0};
	unsigned ncrt = 0, status = 0, i;
	int r, ret = -1;

	if (n == 0)
		return rb_error_set(err, RB_E_CONFIG,
				    "tls: the server sent no certificate");
	if (host == NULL || *host == '\0')
		return rb_error_set(err, RB_E_CONFIG,
				    "tls: no host name to check");
	if (n > RB_TLS_MAX_CHAIN)
		n = RB_TLS_MAX_CHAIN;

	r = gnutls_x509_trust_list_init(&tl, 0);
	if (r < 0)
		return rb_error_set(err, RB_E_CONFIG, "tls: %s",
				    gnutls_strerror(r));
	if (ca_file != NULL) {
		r = gnutls_x509_trust_list_add_trust_file(
		    tl, ca_file, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
		if (r <= 0) {
			rb_error_set(
			    err, RB_E_CONFIG,
			    "tls: no CA certificate loaded from %s%s%s",
			    ca_file, r < 0 ? ": " : "",
			    r < 0 ? gnutls_strerror(r) : "");
			goto out;
		}
	} else {
		/* No system store (no ca-certificates) trusts nothing: the
		 * verification below then fails with "issuer is unknown". */
		(void)gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	}

	for (i = 0; i < n; i++) {
		gnutls_datum_t d;

		if (chain[i].data == NULL || chain[i].len == 0 ||
		    chain[i].len > (size_t)1024 * 1024) {
			rb_error_set(
			    err, RB_E_CONFIG,
			    "tls: certificate %u of the chain is empty or huge",
			    i);
			goto out;
		}
		d.data = (unsigned char *)(uintptr_t)chain[i].data;
		d.size = (unsigned)chain[i].len;
		r = gnutls_x509_crt_init(&crts[ncrt]);
		if (r < 0) {
			rb_error_set(err, RB_E_CONFIG, "tls: %s",
				     gnutls_strerror(r));
			goto out;
		}
		ncrt++;
		r = gnutls_x509_crt_import(crts[ncrt - 1], &d,
					   GNUTLS_X509_FMT_DER);
		if (r < 0) {
			rb_error_set(err, RB_E_CONFIG,
				     "tls: certificate %u of the chain: %s", i,
				     gnutls_strerror(r));
			goto out;
		}
	}

	vdata[0].type = GNUTLS_DT_DNS_HOSTNAME;
	vdata[0].data = (unsigned char *)(uintptr_t)host;
	vdata[0].size = 0;
	vdata[1].type = GNUTLS_DT_KEY_PURPOSE_OID;
	vdata[1].data = (unsigned char *)(uintptr_t)GNUTLS_KP_TLS_WWW_SERVER;
	vdata[1].size = 0;
	r = gnutls_x509_trust_list_verify_crt2(tl, crts, ncrt, vdata, 2, 0,
					       &status, NULL);
	if (r < 0) {
		rb_error_set(err, RB_E_CONFIG, "tls: verification failed: %s",
			     gnutls_strerror(r));
		goto out;
	}
	if (status != 0) {
		if (gnutls_certificate_verification_status_print(
			status, GNUTLS_CRT_X509, &out, 0) == 0)
			rb_error_set(err, RB_E_CONFIG,
				     "tls: certificate of %s refused: %s", host,
				     (const char *)out.data);
		else
			rb_error_set(
			    err, RB_E_CONFIG,
			    "tls: certificate of %s refused (status 0x%x)",
			    host, status);
		gnutls_free(out.data);
		goto out;
	}
	ret = 0;
out:
	for (i = 0; i < ncrt; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_x509_trust_list_deinit(tl, 1);
	return ret;
}
