/* csr.h - certificate signing requests. */
#ifndef STRIDE_CRYPTO_CSR_H
#define STRIDE_CRYPTO_CSR_H

#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

/* The names a CSR (or certificate) carries, split by SAN type as text. */
struct names {
	char *cn; /* "" when absent */
	struct strv dns, ip, email, uri;
};
void names_free(struct names *n);

/* Parses a CSR: the first PEM block whatever its type, or DER. Does not verify. */
int csr_parse(const uint8_t *data, size_t len, X509_REQ **out, struct error *err);
/* csr_parse's fast path for one DER CSR: the same X509_REQ d2i_X509_REQ makes, or NULL when
 * the CSR is not one it handles (then use d2i_X509_REQ). Exposed for tests and fuzzing. */
X509_REQ *csr_parse_der_fast(const uint8_t *der, size_t len);
/* csr_verify's fast path for a CSR with a legacy EC key (as the fast parser makes) and an
 * ecdsa-with-SHA256/384/512 signature: 1 valid, 0 invalid, -1 not handled (then use
 * X509_REQ_verify). Exposed for tests and fuzzing. */
int csr_verify_fast(X509_REQ *req);
/* The SubjectPublicKeyInfo a certificate for the CSR's key carries (the CSR's own encoding
 * when it is already the canonical one); *der malloc'd. */
int csr_spki_der(X509_REQ *csr, uint8_t **der, size_t *len, struct error *err);
/* The SubjectPublicKeyInfo a certificate for key carries; *der malloc'd. */
int pubkey_spki_der(EVP_PKEY *key, uint8_t **der, size_t *len, struct error *err);
/* Verifies the CSR's self-signature. */
int csr_verify(X509_REQ *csr, struct error *err);
/* Extracts CN and SANs (IPs in canonical text form: 10.0.0.1, 2001:db8::1). */
int csr_names(X509_REQ *csr, struct names *out, struct error *err);
/* Extracts CN and SANs of a certificate. */
int cert_names(X509 *cert, struct names *out, struct error *err);
/* Builds and signs a CSR with CN (may be "" for none) and SANs, each SAN classified like step
 * (IP if it parses as an IP, URI if it has a scheme, email if it contains '@', else DNS). */
int csr_create(EVP_PKEY *key, const char *cn, const struct strv *sans, X509_REQ **out,
	       struct error *err);
/* PEM "CERTIFICATE REQUEST"; malloc'd. */
int csr_to_pem(X509_REQ *csr, char **pem, struct error *err);
/* SHA-256 of the CSR DER as unpadded base64url (the cnf x5rt#S256 value); malloc'd. */
int csr_fingerprint_b64url(X509_REQ *csr, char **out, struct error *err);
/* Classifies a SAN string the way step does and appends it to the matching list of names. */
void names_add_san(struct names *n, const char *san);

#endif
