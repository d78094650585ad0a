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
	/* Signs data (a certificate's DER TBSCertificate) with the default digest for the key
	 * type; *sig (malloc'd) is the signature as the signatureValue BIT STRING holds it. */
	int (*sign_data)(struct signer *s, const uint8_t *data, size_t len, uint8_t **sig,
			 size_t *sig_len, struct error *err);
	/* The DER AlgorithmIdentifier of those signatures (borrowed, lives with the signer). */
	void (*sign_alg)(struct signer *s, const uint8_t **der, size_t *len);
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
/* Signs data with s (signer_ops.sign_data). s must not be NULL (an invariant: aborts). */
static inline int signer_sign_data(struct signer *s, const uint8_t *data, size_t len, uint8_t **sig,
				   size_t *sig_len, struct error *err)
{
	INVARIANT(s != NULL && s->ops != NULL && s->ops->sign_data != NULL);
	return s->ops->sign_data(s, data, len, sig, sig_len, err);
}
/* The AlgorithmIdentifier of s's signatures (signer_ops.sign_alg). */
static inline void signer_sign_alg(struct signer *s, const uint8_t **der, size_t *len)
{
	INVARIANT(s != NULL && s->ops != NULL && s->ops->sign_alg != NULL);
	s->ops->sign_alg(s, der, len);
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
