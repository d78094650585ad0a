/* cert.h - X.509 certificates: parsing, PEM, fingerprints, chains. */
#ifndef STRIDE_CRYPTO_CERT_H
#define STRIDE_CRYPTO_CERT_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* Parses every CERTIFICATE block of PEM data (or one DER cert) in order; *out owned by the
 * caller (sk_X509_pop_free(s, X509_free)). No certificate -> ERR_INVALID. */
int cert_parse_chain(const uint8_t *data, size_t len, STACK_OF(X509) * *out, struct error *err);
/* Decodes one certificate that is exactly der/len in strict DER (BER is refused, as Go does);
 * NULL when it is not. Caller frees. */
X509 *cert_from_der(const uint8_t *der, size_t len);
/* Reads a chain file (see cert_parse_chain); errors name the file. */
int cert_load_chain_file(const char *path, STACK_OF(X509) * *out, struct error *err);
/* Reads the first certificate of a file. */
int cert_load_file(const char *path, X509 **out, struct error *err);
/* One PEM block, 64 columns, trailing newline; malloc'd. */
int cert_to_pem(X509 *cert, char **pem, struct error *err);
/* Concatenated PEM of a chain; malloc'd. */
int cert_chain_to_pem(STACK_OF(X509) * chain, char **pem, struct error *err);
/* DER bytes; *der malloc'd with OPENSSL_malloc (free with OPENSSL_free). */
int cert_to_der(X509 *cert, uint8_t **der, size_t *len, struct error *err);
/* SHA-256 of the DER certificate as 64 lowercase hex characters + NUL. */
int cert_fingerprint(X509 *cert, char out[65], struct error *err);
/* The identity of the certificate's public key, for blocking it: the SHA-256 of its
 * SubjectPublicKeyInfo DER as 64 lowercase hex characters + NUL, with an EC point taken in
 * uncompressed form (a compressed point names the same key). */
int cert_key_id(X509 *cert, char out[65], struct error *err);
/* The same key id from the DER of a SubjectPublicKeyInfo. */
int spki_key_id(const uint8_t *spki, size_t len, char out[65], struct error *err);
/* True when both certificates carry the same SubjectPublicKeyInfo bytes (so the same key id). */
bool cert_same_key(X509 *a, X509 *b);
/* Normalises a fingerprint given by a user: lower-case, '-' and ':' removed; must be 64 hex. */
int cert_fingerprint_normalize(const char *in, char out[65], struct error *err);
/* Serial number in decimal; malloc'd. */
char *cert_serial_decimal(X509 *cert);
/* notBefore / notAfter as nanoseconds since the epoch. */
int64_t cert_not_before_ns(X509 *cert);
int64_t cert_not_after_ns(X509 *cert);
/* The subject Common Name (first CN attribute, UTF-8) or "" when absent; malloc'd. */
char *cert_common_name(X509 *cert);

/* From the DER of a certificate stride wrote (cert_der.c, no X509 object): the serial in
 * decimal (malloc'd, NULL if unreadable), notAfter (0 if unreadable), the subject CN and SANs
 * as cert_names gives them (struct names, csr.h), one PEM block (64 columns, malloc'd). */
char *cert_der_serial_decimal(const uint8_t *der, size_t len);
int64_t cert_der_not_after_ns(const uint8_t *der, size_t len);
struct names;
int cert_der_names(const uint8_t *der, size_t len, struct names *out, struct error *err);
int cert_der_to_pem(const uint8_t *der, size_t len, char **pem, struct error *err);
/* Whether der is one DER SEQUENCE spanning exactly len bytes: the outer shape of a
 * certificate, all a reader of DER stride stored itself needs to check. */
bool cert_der_is_sequence(const uint8_t *der, size_t len);

/* Verifies leaf against roots (X509_STORE) with optional untrusted intermediates, at time
 * at_ns (0 = now), requiring EKU purpose (X509_PURPOSE_SSL_CLIENT etc, 0 = any). */
int cert_verify_chain(X509 *leaf, STACK_OF(X509) * untrusted, X509_STORE *roots, int64_t at_ns,
		      int purpose, struct error *err);
/* Builds an X509_STORE holding the given certificates; caller frees. */
X509_STORE *cert_store_new(STACK_OF(X509) * certs);

#endif
