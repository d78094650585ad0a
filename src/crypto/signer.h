/* signer.h - the only thing that touches a CA private key.
 *
 * Code that issues certificates holds a `struct signer *`; it never sees key
 * material. File keys are the first back end; PKCS#11 comes later behind the
 * same vtable (BearSSL style: ops pointer first).
 */
#ifndef STRIDE_CRYPTO_SIGNER_H
#define STRIDE_CRYPTO_SIGNER_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/error.h"
#include "base/invariant.h"

struct signer;

struct signer_ops {
	/* Signs a finished certificate body with the default digest for the key type. */
	int (*sign_cert)(struct signer *s, X509 *cert, struct error *err);
	/* Signs a finished CRL body (X.509 v2 CRL) with the default digest for the key type. */
	int (*sign_crl)(struct signer *s, X509_CRL *crl, struct error *err);
	/* The public key (borrowed, valid while the signer lives). */
	EVP_PKEY *(*public_key)(struct signer *s);
	void (*free)(struct signer *s);
};

struct signer {
	const struct signer_ops *ops;
};

/* A signer over an in-memory key; takes ownership of key. NULL (key freed) for a NULL or
 * unsupported key. Safe for concurrent sign_cert calls. */
struct signer *signer_file_new(EVP_PKEY *key);
/* Signs cert with s (signer_ops.sign_cert). s must not be NULL (an invariant: aborts). */
static inline int signer_sign_cert(struct signer *s, X509 *cert, struct error *err)
{
	INVARIANT(s != NULL && s->ops != NULL && s->ops->sign_cert != NULL);
	return s->ops->sign_cert(s, cert, err);
}
/* Signs crl with s (signer_ops.sign_crl). s must not be NULL (an invariant: aborts). */
static inline int signer_sign_crl(struct signer *s, X509_CRL *crl, struct error *err)
{
	INVARIANT(s != NULL && s->ops != NULL && s->ops->sign_crl != NULL);
	return s->ops->sign_crl(s, crl, err);
}
/* The public key of s (signer_ops.public_key). s must not be NULL (an invariant: aborts). */
static inline EVP_PKEY *signer_public_key(struct signer *s)
{
	INVARIANT(s != NULL && s->ops != NULL && s->ops->public_key != NULL);
	return s->ops->public_key(s);
}
/* Frees s; NULL is a no-op. */
static inline void signer_free(struct signer *s)
{
	if (s != NULL) {
		INVARIANT(s->ops != NULL && s->ops->free != NULL);
		s->ops->free(s);
	}
}

#endif
