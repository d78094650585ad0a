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
