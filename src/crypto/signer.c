/* signer.c - the file-key signer: an in-memory EVP_PKEY behind the signer vtable.
 *
 * Thread-safe: each X509_sign call builds its own EVP_MD_CTX; the key is only read.
 */
#include "crypto/signer.h"

#include <openssl/err.h>
#include <stdlib.h>

#include "base/invariant.h"
#include "base/str.h"
#include "crypto/internal.h"

struct file_signer {
	struct signer base; /* first: a struct signer * is a struct file_signer * */
	EVP_PKEY *key;
	const EVP_MD *md; /* NULL for Ed25519 */
};

static int file_sign_cert(struct signer *s, X509 *cert, struct error *err)
{
	struct file_signer *fs = (struct file_signer *)s;

	INVARIANT(cert != NULL && fs->key != NULL);
	if (X509_sign(cert, fs->key, fs->md) <= 0)
		return err_openssl(err, ERR_CRYPTO, "error signing certificate");
	return 0;
}

static int file_sign_crl(struct signer *s, X509_CRL *crl, struct error *err)
{
	struct file_signer *fs = (struct file_signer *)s;

	INVARIANT(crl != NULL && fs->key != NULL);
	if (X509_CRL_sign(crl, fs->key, fs->md) <= 0)
		return err_openssl(err, ERR_CRYPTO, "error signing the CRL");
	return 0;
}

static EVP_PKEY *file_public_key(struct signer *s)
{
	return ((struct file_signer *)s)->key;
}

static void file_free(struct signer *s)
{
	struct file_signer *fs = (struct file_signer *)s;

	EVP_PKEY_free(fs->key);
	free(fs);
}

static const struct signer_ops file_signer_ops = {
    .sign_cert = file_sign_cert,
    .sign_crl = file_sign_crl,
    .public_key = file_public_key,
    .free = file_free,
};

struct signer *signer_file_new(EVP_PKEY *key)
{
	struct file_signer *fs;
	const EVP_MD *md;

	if (key == NULL)
		return NULL;
	if (crypto_sign_md(key, &md, NULL) != 0) {
		EVP_PKEY_free(key);
		return NULL;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->base.ops = &file_signer_ops;
	fs->key = key;
	fs->md = md;
	return &fs->base;
}
