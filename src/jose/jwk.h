/* jwk.h - JSON Web Keys (RFC 7517) and thumbprints (RFC 7638). */
#ifndef STRIDE_JOSE_JWK_H
#define STRIDE_JOSE_JWK_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>

#include "base/error.h"

/* Converts a JWK (EC P-256/384/521, OKP Ed25519, RSA; public or private) to a key.
 * *out owned by the caller. */
int jwk_to_pkey(const json_t *jwk, EVP_PKEY **out, struct error *err);
/* Converts a key to a JWK in step's field order {"use","kty","kid","crv","alg","x","y"[,"d"]}
 * with kid = thumbprint, use "sig" and alg from key_jws_alg. New reference. */
json_t *jwk_from_pkey(EVP_PKEY *key, bool include_private, struct error *err);
/* RFC 7638 SHA-256 thumbprint, base64url without padding (43 chars + NUL). */
int jwk_thumbprint(EVP_PKEY *key, char out[44], struct error *err);

#endif
