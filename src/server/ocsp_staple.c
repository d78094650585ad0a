/* ocsp_staple.c - OCSP stapling (RFC 6066 §8) of stride-ca's own TLS certificate, when the
 * OCSP responder is enabled: a client that asks for the certificate's status in its
 * ClientHello (curl --cert-status) gets the responder's answer for it in the handshake. */
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "ocsp/ocsp.h"
#include "server/tls.h"

/* OpenSSL's status callback of a server (arg: the responder). */
static int staple_cb(SSL *ssl, void *arg)
{
	struct ocsp_responder *r = arg;
	X509 *leaf = SSL_get_certificate(ssl);
	struct error err = {0};
	uint8_t *der = NULL;
	unsigned char *copy;
	size_t len = 0;

	if (leaf == NULL || SSL_get_tlsext_status_type(ssl) != TLSEXT_STATUSTYPE_ocsp)
		return SSL_TLSEXT_ERR_NOACK;
	if (ocsp_staple(r, leaf, &der, &len, &err) != 0) {
		log_msg(LOG_ERROR, "cannot staple the OCSP response", "error", err.msg, NULL);
		return SSL_TLSEXT_ERR_NOACK;
	}
	copy = OPENSSL_malloc(len);
	if (copy == NULL) {
		free(der);
		return SSL_TLSEXT_ERR_NOACK;
	}
	memcpy(copy, der, len);
	free(der);
	if (SSL_set_tlsext_status_ocsp_resp(ssl, copy, (long)len) != 1) {
		OPENSSL_free(copy);
		return SSL_TLSEXT_ERR_NOACK;
	}
	return SSL_TLSEXT_ERR_OK;
}

int tls_staple_attach(SSL_CTX *ctx, struct ocsp_responder *r, struct error *err)
{
	if (r == NULL)
		return 0;
	if (SSL_CTX_set_tlsext_status_cb(ctx, staple_cb) != 1 ||
	    SSL_CTX_set_tlsext_status_arg(ctx, r) != 1)
		return err_openssl(err, ERR_CRYPTO, "error setting the OCSP stapling callback");
	return 0;
}
