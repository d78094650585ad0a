/* decode.h - request bodies to structs, as pure functions (unit-tested and fuzzed).
 *
 * Decoding follows Go's encoding/json as step-ca uses it: the first JSON value
 * of the body is decoded (trailing bytes are ignored), keys match field names
 * ignoring case, unknown fields are ignored, a later key wins and
 * JSON null leaves a field unset.
 */
#ifndef STRIDE_SERVER_DECODE_H
#define STRIDE_SERVER_DECODE_H

#include <jansson.h>
#include <stdbool.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

/* POST /sign (step-ca's SignRequest). */
struct sign_body {
	json_t *doc;		     /* owned; the strings below point into it */
	X509_REQ *csr;		     /* owned; parsed, signature not verified */
	const char *ott;	     /* never NULL or "" after a successful parse */
	const char *not_before;	     /* "" when unset */
	const char *not_after;	     /* "" when unset */
	const json_t *template_data; /* NULL when absent or null */
};

/* Decodes and checks a POST /sign body in step's order: JSON and CSR decoding ("error decoding
 * json"), "missing csr", "missing ott". The CSR is parsed, not verified: its key and
 * self-signature ("invalid csr") are checked by authority_sign after the token, so that a
 * request without a valid token costs no signature check. Errors are exposed ERR_INVALID
 * (400); a body over max bytes is ERR_TOO_LARGE. out is zeroed on failure. */
int sign_body_parse(const uint8_t *data, size_t len, size_t max, struct sign_body *out,
		    struct error *err);
/* Frees what a sign_body owns (wiping the token) and zeroes it. */
void sign_body_free(struct sign_body *b);

/* POST /rekey: like /sign without a token ("error decoding json", "missing csr"); the CSR is
 * checked by authority_renew once the mTLS client is known. */
int rekey_body_parse(const uint8_t *data, size_t len, size_t max, struct sign_body *out,
		     struct error *err);

/* POST /revoke (step-ca's RevokeRequest). */
struct revoke_body {
	json_t *doc;	    /* owned; the strings point into it */
	const char *serial; /* "" when absent */
	const char *ott;    /* "" when absent */
	const char *reason; /* "" when absent */
	int reason_code;
	bool passive;
};

/* Decodes a POST /revoke body; wrong JSON or field types -> 400 "error decoding json". */
int revoke_body_parse(const uint8_t *data, size_t len, size_t max, struct revoke_body *out,
		      struct error *err);
/* Frees what a revoke_body owns (wiping the token) and zeroes it. */
void revoke_body_free(struct revoke_body *b);

/* POST /v1/applications/certificates/renewals: {"csr": base64 of a PEM CSR} (base64 may be
 * wrapped); the CSR is parsed, not verified (authority_kyma_renew checks its key and
 * signature). Errors carry Kyma's texts (always 400: a client's mistake is never a 5xx).
 * *csr owned by the caller. */
int kyma_body_parse(const uint8_t *data, size_t len, size_t max, X509_REQ **csr, struct error *err);

/* The member of a JSON object matching name as Go matches struct fields: the last key equal
 * to name ignoring ASCII case; NULL when none. */
json_t *json_field(const json_t *obj, const char *name);

#endif
