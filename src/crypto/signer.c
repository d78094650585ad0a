/* signer.c - the file-key signer: an in-memory EVP_PKEY behind the signer vtable.
 *
 * Thread-safe: each X509_sign call builds its own EVP_MD_CTX; the key is only read.
 */
#include "crypto/signer.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "base/invariant.h"
#include "base/str.h"
#include "crypto/internal.h"

struct file_signer {
	struct signer base; /* first: a struct signer * is a struct file_signer * */
	EVP_PKEY *key;
	const EVP_MD *md; /* NULL for Ed25519 */
	uint8_t *alg;	  /* DER AlgorithmIdentifier of the signatures */
	size_t alg_len;
};

static int file_sign_data(struct signer *s, const uint8_t *data, size_t len, uint8_t **sig,
			  size_t *sig_len, struct error *err)
{
	struct file_signer *fs = (struct file_signer *)s;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = (size_t)EVP_PKEY_get_size(fs->key);
	uint8_t *out = xmalloc(n);
	int ok = ctx != NULL && EVP_DigestSignInit(ctx, NULL, fs->md, NULL, fs->key) == 1 &&
		 EVP_DigestSign(ctx, out, &n, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	if (!ok) {
		free(out);
		*sig = NULL;
		*sig_len = 0;
		return err_openssl(err, ERR_CRYPTO, "error signing certificate");
	}
	*sig = out;
	*sig_len = n;
	return 0;
}

static void file_sign_alg(struct signer *s, const uint8_t **der, size_t *len)
{
	struct file_signer *fs = (struct file_signer *)s;

	*der = fs->alg;
	*len = fs->alg_len;
}

/* The AlgorithmIdentifier X509_sign writes for key and md, taken from the signature provider
 * (OSSL_SIGNATURE_PARAM_ALGORITHM_ID, what ASN1_item_sign uses). */
static int signature_alg_der(EVP_PKEY *key, const EVP_MD *md, uint8_t **der, size_t *len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t buf[128];
	OSSL_PARAM params[] = {
	    OSSL_PARAM_octet_string(OSSL_SIGNATURE_PARAM_ALGORITHM_ID, buf, sizeof(buf)),
	    OSSL_PARAM_END,
	};
	int ok = ctx != NULL && EVP_DigestSignInit(ctx, &pctx, md, NULL, key) == 1 &&
		 EVP_PKEY_CTX_get_params(pctx, params) == 1 && OSSL_PARAM_modified(&params[0]) &&
		 params[0].return_size > 0 && params[0].return_size <= sizeof(buf);

	if (ok) {
		*len = params[0].return_size;
		*der = xmalloc(*len);
		memcpy(*der, buf, *len);
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok ? 0 : -1;
}

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
	free(fs->alg);
	free(fs);
}

static const struct signer_ops file_signer_ops = {
    .sign_cert = file_sign_cert,
    .sign_data = file_sign_data,
    .sign_alg = file_sign_alg,
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
	if (signature_alg_der(key, md, &fs->alg, &fs->alg_len) != 0) {
		EVP_PKEY_free(key);
		free(fs);
		return NULL;
	}
	fs->base.ops = &file_signer_ops;
	fs->key = key;
	fs->md = md;
	return &fs->base;
}
