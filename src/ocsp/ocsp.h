/* ocsp.h - stride's OCSP responder (RFC 6960), configured by ca.json's "ocsp" object.
 *
 * Answers are signed by a delegated OCSP signing certificate (RFC 6960 §4.2.2.2) that the
 * responder mints itself from the intermediate (through its signer, so the intermediate key
 * may be on a token) with a fresh in-memory P-256 key: EKU OCSPSigning, id-pkix-ocsp-nocheck,
 * ocsp.responderValidity long, renewed at two thirds of its life, like the server's own TLS
 * certificate.
 *
 * The status of a certificate is read from the store on every request (a revocation made by
 * another instance on the same PostgreSQL database shows at once); with a store whose reads wait
 * on the network the request runs on the authority's threads. The signed answer is cached,
 * keyed by the CertID and the status read, so a status that has not changed is not signed
 * again (for a quarter of ocsp.validity); an answer to a request with a nonce, or with several
 * CertIDs, is signed every time.
 *
 * Every answer, errors included, is a DER OCSPResponse: a client's mistake is an
 * OCSPResponseStatus (RFC 6960 §2.3), sent with HTTP 200.
 */
#ifndef STRIDE_OCSP_OCSP_H
#define STRIDE_OCSP_OCSP_H

#include <openssl/ocsp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/ca_config.h"

struct authority;
struct ocsp_responder;

/* The longest OCSP request (DER bytes) and the most CertIDs in one request answered. */
#define OCSP_REQUEST_MAX 8192
#define OCSP_MAX_ONEREQS 16
/* The longest nonce echoed (RFC 8954 §2.1); a longer one is left out of the answer. */
#define OCSP_NONCE_MAX 32
/* The longest GET path tail (URL-escaped base64 of a request). */
#define OCSP_GET_TAIL_MAX (OCSP_REQUEST_MAX * 2)

/* Parses a DER OCSPRequest (RFC 6960 §4.1.1): exactly len bytes, 1..OCSP_MAX_ONEREQS
 * CertIDs, no critical extension other than the nonce. *out owned by the caller
 * (OCSP_REQUEST_free). Anything else: -1, ERR_INVALID with the reason (the answer is
 * malformedRequest). */
int ocsp_request_parse(const uint8_t *der, size_t len, OCSP_REQUEST **out, struct error *err);
/* The request of a GET (RFC 6960 appendix A.1): the path after "<path>/", percent-escaped
 * base64 of the DER. *der malloc'd. Bad escapes, base64 or length: -1, ERR_INVALID. */
int ocsp_get_decode(const char *tail, size_t len, uint8_t **der, size_t *der_len,
		    struct error *err);
/* An unsigned OCSPResponse with only a status (OCSP_RESPONSE_STATUS_MALFORMEDREQUEST, ...).
 * *der malloc'd. */
int ocsp_error_response(int status, uint8_t **der, size_t *len, struct error *err);

/* The responder of an authority whose ca.json enables OCSP (mints its first signing
 * certificate); *out NULL when ocsp.enabled is false. *out owned by the caller. */
int ocsp_responder_new(struct authority *a, struct ocsp_responder **out, struct error *err);
/* Frees r; NULL is a no-op. Nothing may be in flight. */
void ocsp_responder_free(struct ocsp_responder *r);
/* The configured path ("/ocsp"), borrowed until the responder is freed (a reload may change
 * which one this returns; any thread). */
const char *ocsp_responder_path(const struct ocsp_responder *r);
/* Applies new settings of ca.json's "ocsp" (a reload; enabled and url are not looked at):
 * path, validity (the cached answers are dropped) and responderValidity (the signing
 * certificate is renewed before the next answer). Requests in flight keep what they read.
 * One caller at a time; cfg is copied. */
void ocsp_responder_reconfigure(struct ocsp_responder *r, const struct ca_ocsp *cfg);

/* The end of a request: der (malloc'd, owned by done) is the OCSPResponse to send. */
typedef void (*ocsp_done_fn)(void *arg, uint8_t *der, size_t len);
/* Answers a DER OCSPRequest (req NULL with len 0: a request that could not be decoded, answered
 * malformedRequest). done runs exactly once: before the call returns when the store's reads are
 * local, else on one of the authority's threads. req must stay valid until done has run. */
void ocsp_handle(struct ocsp_responder *r, const uint8_t *req, size_t len, ocsp_done_fn done,
		 void *arg);
/* The same, on the caller's thread (tests, and the local case): always an OCSPResponse. */
void ocsp_answer(struct ocsp_responder *r, const uint8_t *req, size_t len, uint8_t **der,
		 size_t *der_len);
/* The OCSP response stapled to stride-ca's own TLS certificate cert (RFC 6066 §8): good, since
 * it is minted in memory, never stored and cannot be revoked; cached like any answer. *der
 * malloc'd. */
int ocsp_staple(struct ocsp_responder *r, X509 *cert, uint8_t **der, size_t *der_len,
		struct error *err);
/* The current delegated signing certificate (a new reference), for tests. */
X509 *ocsp_responder_cert(struct ocsp_responder *r);
/* Makes the next answer renew the signing certificate first, as at two thirds of its life
 * (tests). */
void ocsp_responder_renew_soon(struct ocsp_responder *r);
/* Counters for tests and the bench: answers signed, answers taken from the cache. */
void ocsp_responder_counts(struct ocsp_responder *r, uint64_t *signed_n, uint64_t *cached_n);

#endif
