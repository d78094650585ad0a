/* internal.h - what jwk.c, jws.c and jwe.c share; not part of the module interface. */
#ifndef STRIDE_JOSE_INTERNAL_H
#define STRIDE_JOSE_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>

#include "base/error.h"

/* An EC curve JOSE knows: P-256, P-384, P-521. */
struct jose_curve {
	const char *crv;   /* JWK "crv" */
	const char *group; /* OpenSSL group name */
	const char *alg;   /* the JWS algorithm bound to the curve */
	const char *md;	   /* its digest */
	size_t size;	   /* bytes of a coordinate, of d, and of R and S */
};

enum jose_kty { JOSE_KTY_EC, JOSE_KTY_OKP, JOSE_KTY_RSA };

/* What JOSE needs to know about a key. */
struct jose_key {
	enum jose_kty kty;
	const struct jose_curve *curve; /* EC only */
	const char *alg;		/* step's default JWS alg: ES256/384/512, EdDSA, RS256 */
	int bits;			/* RSA modulus size */
};

/* The curve with JWK name crv ("P-256"...), or NULL. */
const struct jose_curve *jose_curve_by_crv(const char *crv);
/* Classifies key: EC on a JOSE curve, Ed25519, or RSA of at least 2048 bits; else ERR_INVALID. */
int jose_key_classify(EVP_PKEY *key, struct jose_key *out, struct error *err);

#endif
