/* pem_keys.c - the public keys of a PEM bundle, as step's PEM parser reads them. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "crypto/pem_keys.h"

/* Go's %T of what step's PEM parser returns for a private key block. */
static const char *private_go_type(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		return "*rsa.PrivateKey";
	case EVP_PKEY_EC:
		return "*ecdsa.PrivateKey";
	case EVP_PKEY_ED25519:
		return "ed25519.PrivateKey";
	default:
		return "crypto.PrivateKey";
	}
}

/* Go's %T of a public key step cannot verify tokens with. */
static const char *public_go_type(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_DSA:
		return "*dsa.PublicKey";
	case EVP_PKEY_X25519:
		return "*ecdh.PublicKey";
	default:
		return "crypto.PublicKey";
	}
}

static bool usable_type(const EVP_PKEY *k)
{
	int id = EVP_PKEY_get_base_id(k);

	return id == EVP_PKEY_RSA || id == EVP_PKEY_EC || id == EVP_PKEY_ED25519;
}

/* One block: a public key, a certificate's key or a private key (*is_private). */
static int block_key(const char *type, const unsigned char *der, long len, EVP_PKEY **out,
		     bool *is_private, struct error *err)
{
	const unsigned char *p = der;
	X509 *x;

	*out = NULL;
	*is_private = false;
	if (strcmp(type, "PUBLIC KEY") == 0) {
		*out = d2i_PUBKEY(NULL, &p, len);
	} else if (strcmp(type, "CERTIFICATE") == 0) {
		x = d2i_X509(NULL, &p, len);
		*out = x != NULL ? X509_get_pubkey(x) : NULL;
		X509_free(x);
	} else if (strcmp(type, "RSA PRIVATE KEY") == 0 || strcmp(type, "EC PRIVATE KEY") == 0 ||
		   strcmp(type, "PRIVATE KEY") == 0) {
		*out = d2i_AutoPrivateKey(NULL, &p, len);
		*is_private = true;
	} else {
		return err_set(err, ERR_INVALID,
			       "error decoding PEM: contains an unexpected header '%s'", type);
	}
	if (*out == NULL) {
		ERR_clear_error();
		return err_set(err, ERR_INVALID, "error parsing PEM");
	}
	return 0;
}

void pem_keys_free(EVP_PKEY **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		EVP_PKEY_free(keys[i]);
	free(keys);
}

int pem_public_keys(const uint8_t *text, size_t len, EVP_PKEY ***keys, size_t *n,
		    const char **bad_type, struct error *err)
{
	BIO *bio;
	int rc = -1;

	*keys = NULL;
	*n = 0;
	*bad_type = NULL;
	if (len == 0)
		return 0;
	if (len > INT32_MAX)
		return err_set(err, ERR_INVALID, "error parsing PEM");
	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL)
		return err_openssl(err, ERR_CRYPTO, "cannot read the PEM keys");
	for (;;) {
		char *type = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;
		EVP_PKEY *key = NULL;
		bool priv;
		int r;

		if (PEM_read_bio(bio, &type, &header, &der, &dlen) != 1) {
			ERR_clear_error(); /* no more blocks */
			break;
		}
		r = block_key(type, der, dlen, &key, &priv, err);
		if (r == 0 && (priv || !usable_type(key))) {
			*bad_type = priv ? private_go_type(key) : public_go_type(key);
			r = err_set(err, ERR_INVALID, "unexpected public key type %s", *bad_type);
		}
		OPENSSL_free(type);
		OPENSSL_free(header);
		OPENSSL_free(der);
		if (r != 0) {
			EVP_PKEY_free(key);
			goto out;
		}
		*keys = xrealloc(*keys, (*n + 1) * sizeof(**keys));
		(*keys)[(*n)++] = key;
	}
	rc = 0;
out:
	if (rc != 0) {
		pem_keys_free(*keys, *n);
		*keys = NULL;
		*n = 0;
	}
	BIO_free(bio);
	return rc;
}
