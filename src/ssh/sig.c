/* sig.c - SSH signatures: ecdsa-sha2-* (RFC 5656 §3.1.2: r and s as mpints inside the
 * signature string), ssh-ed25519 (RFC 8709 §6), rsa-sha2-256/512 (RFC 8332). The SHA-1 ssh-rsa
 * signature is refused, as OpenSSH 8.8 and later refuse it. */
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "ssh/internal.h"

#define ED25519_SIG_LEN 64
#define SIG_MAX		(16384 / 8 + 256)

static const EVP_MD *ec_md(enum ssh_key_type t)
{
	switch (t) {
	case SSH_KEY_ECDSA_P256:
		return EVP_sha256();
	case SSH_KEY_ECDSA_P384:
		return EVP_sha384();
	case SSH_KEY_ECDSA_P521:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The raw signature of data by key with md (NULL for Ed25519); *out malloc'd. */
static int digest_sign(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t n,
		       uint8_t **out, size_t *len, struct error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -1;

	*out = NULL;
	if (ctx == NULL || EVP_DigestSignInit(ctx, NULL, md, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, len, data, n) != 1) {
		err_openssl(err, ERR_CRYPTO, "ssh signature failed");
		goto out;
	}
	*out = xmalloc(*len);
	if (EVP_DigestSign(ctx, *out, len, data, n) != 1) {
		err_openssl(err, ERR_CRYPTO, "ssh signature failed");
		free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* Rewrites a DER ECDSA-Sig-Value as the mpints r and s. */
static int ecdsa_der_to_ssh(const uint8_t *der, size_t n, struct wire_writer *w, struct error *err)
{
	const uint8_t *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);

	if (sig == NULL)
		return err_openssl(err, ERR_CRYPTO, "ecdsa signature failed");
	wire_put_bignum(w, ECDSA_SIG_get0_r(sig));
	wire_put_bignum(w, ECDSA_SIG_get0_s(sig));
	ECDSA_SIG_free(sig);
	return 0;
}

int ssh_sign(EVP_PKEY *key, bool rsa_sha512, const uint8_t *data, size_t n, uint8_t **sig,
	     size_t *sig_len, struct error *err)
{
	enum ssh_key_type t = ssh_key_type_of_evp(key);
	const EVP_MD *md = NULL;
	const char *alg = ssh_key_type_name(t);
	struct wire_writer w, inner;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int rc = -1;

	*sig = NULL;
	*sig_len = 0;
	wire_writer_init(&w, SSH_MAX_BLOB, err);
	wire_writer_init(&inner, SIG_MAX, err);
	if (t == SSH_KEY_RSA) {
		md = rsa_sha512 ? EVP_sha512() : EVP_sha256();
		alg = rsa_sha512 ? "rsa-sha2-512" : "rsa-sha2-256";
	} else if (t != SSH_KEY_ED25519) {
		md = ec_md(t);
	}
	if (t == SSH_KEY_UNKNOWN) {
		err_set(err, ERR_INVALID, "unsupported ssh signing key");
		goto out;
	}
	if (digest_sign(key, md, data, n, &raw, &raw_len, err) != 0)
		goto out;
	if (ec_md(t) != NULL) {
		if (ecdsa_der_to_ssh(raw, raw_len, &inner, err) != 0)
			goto out;
	} else {
		wire_put_raw(&inner, raw, raw_len);
	}
	wire_put_cstring(&w, alg);
	wire_put_string(&w, inner.buf.data, inner.buf.len);
	rc = inner.rc != 0 ? -1 : wire_writer_finish(&w, sig, sig_len);
out:
	wire_writer_free(&inner);
	wire_writer_free(&w);
	free(raw);
	return rc;
}

/* Whether sig is data's signature by key with md; refusals -> ERR_UNAUTHORIZED. */
static int digest_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *data, size_t n,
			 const uint8_t *sig, size_t sig_len, struct error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, sig, sig_len, data, n) == 1;

	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return err_set(err, ERR_UNAUTHORIZED, "ssh signature verification failed");
	return 0;
}

static int verify_ecdsa(const struct ssh_pubkey *k, const uint8_t *data, size_t n,
			const uint8_t *blob, size_t len, struct error *err)
{
	struct wire_reader r;
	BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *es = NULL;
	uint8_t *der = NULL;
	int der_len, rc = -1;

	wire_reader_init(&r, blob, len);
	wire_get_bignum(&r, &br);
	wire_get_bignum(&r, &bs);
	if (!wire_done(&r) || (es = ECDSA_SIG_new()) == NULL) {
		err_set(err, ERR_INVALID, "malformed %s signature", ssh_key_type_name(k->type));
		goto out;
	}
	if (ECDSA_SIG_set0(es, br, bs) != 1) {
		err_openssl(err, ERR_CRYPTO, "ecdsa signature");
		goto out;
	}
	br = bs = NULL; /* owned by es now */
	der_len = i2d_ECDSA_SIG(es, &der);
	if (der_len <= 0) {
		err_openssl(err, ERR_CRYPTO, "ecdsa signature");
		goto out;
	}
	rc = digest_verify(k->pkey, ec_md(k->type), data, n, der, (size_t)der_len, err);
out:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(br);
	BN_free(bs);
	return rc;
}

static int verify_rsa(const struct ssh_pubkey *k, const char *alg, const uint8_t *data, size_t n,
		      const uint8_t *blob, size_t len, struct error *err)
{
	size_t mod = (size_t)EVP_PKEY_get_size(k->pkey);
	const EVP_MD *md;
	uint8_t *padded;
	int rc;

	if (strcmp(alg, "rsa-sha2-256") == 0)
		md = EVP_sha256();
	else if (strcmp(alg, "rsa-sha2-512") == 0)
		md = EVP_sha512();
	else if (strcmp(alg, "ssh-rsa") == 0)
		return err_set(err, ERR_UNAUTHORIZED,
			       "ssh signature algorithm ssh-rsa (SHA-1) is not accepted");
	else
		return err_set(err, ERR_INVALID, "ssh signature algorithm %.64s does not suit %s",
			       alg, ssh_key_type_name(k->type));
	if (len > mod || len == 0)
		return err_set(err, ERR_INVALID, "malformed %s signature", alg);
	/* A signature shorter than the modulus is left-padded with zeros, as OpenSSH does. */
	padded = xcalloc(1, mod);
	memcpy(padded + mod - len, blob, len);
	rc = digest_verify(k->pkey, md, data, n, padded, mod, err);
	free(padded);
	return rc;
}

int ssh_verify(const struct ssh_pubkey *k, const uint8_t *data, size_t n, const uint8_t *sig,
	       size_t sig_len, struct error *err)
{
	struct wire_reader r;
	char *alg = NULL;
	const uint8_t *blob;
	size_t len;
	int rc = -1;

	wire_reader_init(&r, sig, sig_len);
	wire_get_cstring(&r, 64, &alg);
	wire_get_string(&r, &blob, &len);
	if (!wire_done(&r)) {
		err_set(err, ERR_INVALID, "malformed ssh signature");
		goto out;
	}
	if (k->pkey == NULL) {
		err_set(err, ERR_INVALID, "ssh signatures of %s keys are not supported",
			ssh_key_type_name(k->type) ? ssh_key_type_name(k->type) : "unknown");
		goto out;
	}
	if (k->type == SSH_KEY_RSA) {
		rc = verify_rsa(k, alg, data, n, blob, len, err);
		goto out;
	}
	if (strcmp(alg, ssh_key_type_name(k->type)) != 0) {
		err_set(err, ERR_INVALID, "ssh signature algorithm %s does not suit %s", alg,
			ssh_key_type_name(k->type));
		goto out;
	}
	if (k->type == SSH_KEY_ED25519) {
		if (len != ED25519_SIG_LEN)
			err_set(err, ERR_INVALID, "malformed ssh-ed25519 signature");
		else
			rc = digest_verify(k->pkey, NULL, data, n, blob, len, err);
		goto out;
	}
	rc = verify_ecdsa(k, data, n, blob, len, err);
out:
	free(alg);
	return rc;
}
