/* internal.h - what jwk.c, jws.c and jwe.c share; not part of the module interface. */
#ifndef STRIDE_JOSE_INTERNAL_H
#define STRIDE_JOSE_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>

#include "base/error.h"

/* An EC curve JOSE knows: P-256, P-384, P-521. */
struct jwx_curve {
	const char *crv;   /* JWK "crv" */
	const char *group; /* OpenSSL group name */
	const char *alg;   /* the JWS algorithm bound to the curve */
	const char *md;	   /* its digest */
	size_t size;	   /* bytes of a coordinate, of d, and of R and S */
};

enum jwx_kty { JWX_KTY_EC, JWX_KTY_OKP, JWX_KTY_RSA };

/* What JOSE needs to know about a key. */
struct jwx_key {
	enum jwx_kty kty;
	const struct jwx_curve *curve; /* EC only */
	const char *alg;	       /* step's default JWS alg: ES256/384/512, EdDSA, RS256 */
	int bits;		       /* RSA modulus size */
};

/* The curve with JWK name crv ("P-256"...), or NULL. */
const struct jwx_curve *jwx_curve_by_crv(const char *crv);
/* Classifies key: EC on a JOSE curve, Ed25519, or RSA of at least 2048 bits; else ERR_INVALID. */
int jwx_key_classify(EVP_PKEY *key, struct jwx_key *out, struct error *err);

#endif
