/* tls.h - the TLS side of stride-ca: SSL_CTX construction and in-memory renewal.
 *
 * The server certificate is minted by the authority at start-up and renewed
 * in memory at 2/3 of its life. New connections take the current SSL_CTX
 * under a mutex (with a reference of their own through SSL_new); renewal
 * builds a whole new SSL_CTX and swaps it in, so connections still using
 * the old one keep it alive until they end.
 */
#ifndef STRIDE_SERVER_TLS_H
#define STRIDE_SERVER_TLS_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority/authority.h"
#include "base/error.h"
#include "base/str.h"
#include "config/ca_config.h"

struct ocsp_responder;

struct tls_state {
	pthread_mutex_t mu;
	SSL_CTX *current;      /* guarded by mu */
	int64_t not_before_ns; /* of the current certificate */
	int64_t not_after_ns;
	struct authority *a;	      /* borrowed */
	EVP_PKEY *key;		      /* the current certificate's key and the certificate */
	X509 *leaf;		      /* (guarded by mu) */
	const struct tls_config *tls; /* the settings of new contexts (guarded by mu; borrowed,
				       * NULL: the authority's configuration) */
	struct ocsp_responder *ocsp;  /* borrowed, or NULL: staples its answer when set */
};

struct ocsp_responder;
/* Makes ctx staple r's OCSP answer for its certificate to the handshakes that ask for it
 * (ocsp_staple.c); nothing when r is NULL. */
int tls_staple_attach(SSL_CTX *ctx, struct ocsp_responder *r, struct error *err);

/* The OpenSSL name of a Go/IANA TLS <= 1.2 cipher suite name ("ECDHE-ECDSA-AES128-GCM-SHA256");
 * "" for TLS 1.3 suites (not configurable, as in Go); NULL when the name is unknown. */
const char *tls_cipher_openssl_name(const char *iana);
/* True when stride-ca serves this Go/IANA suite: ECDHE with AES-GCM or ChaCha20-Poly1305, or a
 * TLS 1.3 suite; false for CBC, RC4, 3DES, RSA key exchange and unknown names. */
bool tls_cipher_allowed(const char *iana);
/* The OpenSSL cipher list for a list of Go/IANA names (":"-joined, TLS 1.3 names skipped;
 * OpenSSL's AEAD+ECDHE set when nothing remains); *out malloc'd. Unknown name or a suite
 * tls_cipher_allowed refuses (named in the message) -> ERR_INVALID. */
int tls_cipher_list(const struct strv *names, char **out, struct error *err);
/* The protocol version of a ca.json number (1.0, 1.1, 1.2, 1.3 -> TLS1_x_VERSION); 0 when
 * unknown. */
int tls_version_from_config(double v);
/* The protocol versions to serve for a tls section (0 = default: TLS 1.2 .. 1.3) into *min and
 * *max; ERR_INVALID for unknown versions, for versions below 1.2 (step-ca accepts 1.0 and 1.1,
 * stride-ca refuses to start) and for min > max. */
int tls_version_range(const struct tls_config *tls, int *min, int *max, struct error *err);

/* Builds a server SSL_CTX with the settings tls (NULL: the authority's configuration's) and this
 * key and leaf (the intermediates are sent after it); client certificates are requested and
 * verified if given. Returns a new SSL_CTX (SSL_CTX_free) or NULL with err set. */
SSL_CTX *tls_ctx_new(struct authority *a, const struct tls_config *tls, EVP_PKEY *key, X509 *leaf,
		     struct error *err);

/* Mints the first server certificate and builds its SSL_CTX. */
int tls_state_init(struct tls_state *st, struct authority *a, struct error *err);
/* A reload (not concurrently with tls_state_renew: the caller serialises them): a new SSL_CTX
 * with the settings tls and the current certificate, or NULL with err (invalid settings). */
SSL_CTX *tls_state_prepare(struct tls_state *st, const struct tls_config *tls, struct error *err);
/* Swaps ctx (from tls_state_prepare; taken; NULL: the context stays) in for new connections,
 * with tls (borrowed; must outlive the state or the next install) as the settings of later
 * renewals. Connections made with the old context keep it. */
void tls_state_install(struct tls_state *st, SSL_CTX *ctx, const struct tls_config *tls);
/* Mints a new certificate and swaps a new SSL_CTX in for new connections. */
int tls_state_renew(struct tls_state *st, struct error *err);
/* When the current certificate should be renewed (2/3 of its life), ns since the epoch. */
int64_t tls_state_renew_at(struct tls_state *st);
/* The current SSL_CTX with a reference for the caller (SSL_CTX_free it after SSL_new). */
SSL_CTX *tls_state_acquire(struct tls_state *st);
/* Releases the current SSL_CTX and the mutex. */
void tls_state_destroy(struct tls_state *st);

#endif
