/* jws.h - JWS compact serialization and JWTs.
 *
 * Verification runs on OpenSSL EVP directly (ES256/384/512 with R||S
 * signatures, EdDSA, RS256/384/512, PS256/384/512) with a key the caller has
 * already prepared, so the hot path parses JSON once and allocates little.
 */
#ifndef STRIDE_JOSE_JWS_H
#define STRIDE_JOSE_JWS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define JWS_MAX_LEN (64 * 1024)

struct jws {
	json_t *header;	     /* protected header object */
	json_t *payload;     /* payload parsed as a JSON object (JWT claims) */
	char *signing_input; /* "b64(header).b64(payload)" */
	size_t signing_input_len;
	uint8_t *sig; /* decoded signature; shares signing_input's allocation */
	size_t sig_len;
};

/* Parses a compact JWS whose payload is a JSON object; longer than JWS_MAX_LEN, not three
 * parts, bad base64url or JSON, a "crit" header -> ERR_INVALID. Does not verify. */
int jws_parse(const char *compact, size_t len, struct jws *out, struct error *err);
/* Verifies the signature with key; the header alg must suit the key (ERR_UNAUTHORIZED). */
int jws_verify(const struct jws *jws, EVP_PKEY *key, struct error *err);
/* Verifies sig (JWS form: R||S for ECDSA) over signing_input with key under the algorithm
 * named name ("ES256", "EdDSA", "RS256", "PS256", ...), which must suit the key; RSA keys of
 * fewer than 2048 bits are refused. Failures as jws_verify. */
int jws_verify_raw(const char *name, EVP_PKEY *key, const void *signing_input,
		   size_t signing_input_len, const uint8_t *sig, size_t sig_len, struct error *err);
/* Frees what jws_parse allocated; safe on a zeroed struct. */
void jws_free(struct jws *jws);

/* Signs payload with key; header gets "alg" from the key plus the given extra members
 * (may be NULL; e.g. kid, typ, x5cInsecure). Returns a malloc'd compact string. */
int jws_sign(const json_t *extra_header, const json_t *payload, EVP_PKEY *key, char **out,
	     struct error *err);
/* Like jws_sign with an explicit algorithm that must suit the key (e.g. PS256 for RSA);
 * alg NULL = the key's default (ES256/ES384/ES512, EdDSA, RS256). */
int jws_sign_alg(const json_t *extra_header, const json_t *payload, EVP_PKEY *key, const char *alg,
		 char **out, struct error *err);

/* Claim accessors: string claim or NULL; integer NumericDate (accepts JSON integer or real);
 * the caller reads "aud" (string or array) from jws->payload itself. */
const char *jwt_claim_str(const struct jws *jws, const char *name);
int jwt_claim_time(const struct jws *jws, const char *name, int64_t *out_sec, int *present);

#endif
