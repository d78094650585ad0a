/* pubkey.c - setting the public key of a certificate being built, quickly.
 *
 * OpenSSL 3.0's X509_set_pubkey() on a provider key encodes the key with an OSSL_ENCODER and
 * decodes the result again with an OSSL_DECODER only to throw the copy away: ~190 us per call,
 * most of the cost of issuing a certificate. For a "legacy" EVP_PKEY (one wrapping an EC_KEY
 * or RSA) it calls the key's pub_encode directly (~6 us). So EC and RSA keys are wrapped in a
 * legacy EVP_PKEY first; this is the one file that uses the (deprecated) EC_KEY/RSA accessors.
 * The certificate still caches a working EVP_PKEY (X509_get0_pubkey works as usual).
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/internal.h"

/* A legacy EVP_PKEY holding the same public key, or NULL (then use the key as it is). */
static EVP_PKEY *legacy_copy(EVP_PKEY *pub)
{
#ifndef OPENSSL_NO_DEPRECATED_3_0
	EVP_PKEY *l = NULL;

	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_EC: {
		EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pub);
		l = ec != NULL ? EVP_PKEY_new() : NULL;
		if (l == NULL || !EVP_PKEY_assign_EC_KEY(l, ec)) {
			EC_KEY_free(ec);
			EVP_PKEY_free(l);
			l = NULL;
		}
		break;
	}
	case EVP_PKEY_RSA: {
		RSA *rsa = EVP_PKEY_get1_RSA(pub);
		l = rsa != NULL ? EVP_PKEY_new() : NULL;
		if (l == NULL || !EVP_PKEY_assign_RSA(l, rsa)) {
			RSA_free(rsa);
			EVP_PKEY_free(l);
			l = NULL;
		}
		break;
	}
	default:
		break;
	}
	ERR_clear_error();
	return l;
#else
	(void)pub;
	return NULL;
#endif
}

int crypto_set_pubkey(X509 *x, EVP_PKEY *pub, struct error *err)
{
	EVP_PKEY *l = pub != NULL ? legacy_copy(pub) : NULL;
	int ok = pub != NULL && X509_set_pubkey(x, l != NULL ? l : pub) == 1;

	EVP_PKEY_free(l);
	if (!ok)
		return err_openssl(err, ERR_INVALID, "error building certificate: bad public key");
	return 0;
}

int crypto_pubkey_spki(EVP_PKEY *pub, struct dbuf *out, struct error *err)
{
	EVP_PKEY *l = pub != NULL ? legacy_copy(pub) : NULL;
	X509_PUBKEY *xpk = NULL;
	unsigned char *der = NULL;
	int len = -1;

	if (pub != NULL && X509_PUBKEY_set(&xpk, l != NULL ? l : pub) == 1)
		len = i2d_X509_PUBKEY(xpk, &der);
	EVP_PKEY_free(l);
	X509_PUBKEY_free(xpk);
	if (len <= 0) {
		OPENSSL_free(der);
		return err_openssl(err, ERR_INVALID, "error building certificate: bad public key");
	}
	dbuf_put(out, der, (size_t)len);
	OPENSSL_free(der);
	return 0;
}

/* Whether the key info of a CSR is already in the encoding crypto_pubkey_spki would give:
 * EC on a named curve with an uncompressed point, RSA with NULL parameters, Ed25519. */
static bool spki_is_canonical(X509_PUBKEY *xpk)
{
	ASN1_OBJECT *oid = NULL;
	const unsigned char *pk = NULL;
	int pklen = 0, ptype = V_ASN1_UNDEF;
	const void *pval = NULL;
	X509_ALGOR *alg = NULL;

	if (X509_PUBKEY_get0_param(&oid, &pk, &pklen, &alg, xpk) != 1 || pklen <= 0)
		return false;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	switch (OBJ_obj2nid(oid)) {
	case NID_X9_62_id_ecPublicKey:
		return ptype == V_ASN1_OBJECT && pk[0] == 0x04;
	case NID_rsaEncryption:
		return ptype == V_ASN1_NULL;
	case NID_ED25519:
		return ptype == V_ASN1_UNDEF;
	default:
		return false;
	}
}

int crypto_xpk_spki(X509_PUBKEY *xpk, EVP_PKEY *pub, struct dbuf *out, struct error *err)
{
	if (xpk != NULL && spki_is_canonical(xpk)) {
		/* the key's own bytes: no trip through OpenSSL 3.0's key encoder */
		unsigned char *p = NULL;
		int n = i2d_X509_PUBKEY(xpk, &p);
		if (n > 0) {
			dbuf_put(out, p, (size_t)n);
			OPENSSL_free(p);
			return 0;
		}
		OPENSSL_free(p);
		ERR_clear_error();
	}
	return crypto_pubkey_spki(pub, out, err);
}

int csr_spki_der(X509_REQ *csr, uint8_t **der, size_t *len, struct error *err)
{
	struct dbuf out = {0};

	*der = NULL;
	*len = 0;
	if (crypto_xpk_spki(X509_REQ_get_X509_PUBKEY(csr), X509_REQ_get0_pubkey(csr), &out, err) !=
	    0) {
		dbuf_free(&out);
		return -1;
	}
	*der = out.p;
	*len = out.n;
	return 0;
}

int pubkey_spki_der(EVP_PKEY *key, uint8_t **der, size_t *len, struct error *err)
{
	struct dbuf out = {0};

	*der = NULL;
	*len = 0;
	if (crypto_pubkey_spki(key, &out, err) != 0) {
		dbuf_free(&out);
		return -1;
	}
	*der = out.p;
	*len = out.n;
	return 0;
}
