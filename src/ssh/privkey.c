/* privkey.c - OpenSSH private key files (PROTOCOL.key), unencrypted: "openssh-key-v1\0",
 * cipher and kdf "none", one key, a private section of two equal check integers, the key, its
 * comment and the padding 1, 2, 3... to the cipher block size (8 for "none"). */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/key.h"
#include "ssh/internal.h"

#define PEM_BEGIN     "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PEM_END	      "-----END OPENSSH PRIVATE KEY-----"
#define AUTH_MAGIC    "openssh-key-v1" /* followed by its NUL */
#define BLOCK_SIZE    8		       /* the block size of cipher "none" */
#define PEM_COLUMNS   70	       /* ssh-keygen's line length */
#define PRIV_FILE_MAX (256 * 1024)
#define ED25519_LEN   32

static const char *skip_space(const uint8_t *data, size_t len, size_t *left)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
		i++;
	*left = len - i;
	return (const char *)data + i;
}

bool ssh_private_is_openssh(const uint8_t *data, size_t len)
{
	size_t left;
	const char *s;

	if (data == NULL)
		return false;
	s = skip_space(data, len, &left);
	return left >= strlen(PEM_BEGIN) && memcmp(s, PEM_BEGIN, strlen(PEM_BEGIN)) == 0;
}

/* The decoded body of the PEM (*der malloc'd; wipe it). */
static int pem_decode(const uint8_t *data, size_t len, uint8_t **der, size_t *der_len,
		      struct error *err)
{
	size_t left;
	const char *s = skip_space(data, len, &left), *body, *end;

	body = s + strlen(PEM_BEGIN);
	end = memmem(body, left - strlen(PEM_BEGIN), PEM_END, strlen(PEM_END));
	if (end == NULL)
		return err_set(err, ERR_INVALID, "OpenSSH private key: no %s line", PEM_END);
	if (b64_decode(body, (size_t)(end - body), true, der, der_len, err) != 0)
		return err_wrap(err, "OpenSSH private key");
	return 0;
}

/* A private key of OpenSSL algorithm alg from the parameters of bld. */
static EVP_PKEY *pkey_from_params(const char *alg, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
	EVP_PKEY_CTX *check = NULL;
	EVP_PKEY *pkey = NULL;

	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) <= 0)
		goto out;
	/* The private half must belong to the public half. */
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (check == NULL || EVP_PKEY_pairwise_check(check) != 1) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(check);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

static EVP_PKEY *read_ed25519(struct wire_reader *r)
{
	const uint8_t *pk, *sk;
	size_t pk_len, sk_len, n = ED25519_LEN;
	uint8_t derived[ED25519_LEN];
	EVP_PKEY *pkey;

	wire_get_string(r, &pk, &pk_len);
	wire_get_string(r, &sk, &sk_len);
	/* sk is the seed followed by the public key */
	if (r->bad || pk_len != ED25519_LEN || sk_len != 2 * ED25519_LEN ||
	    memcmp(sk + ED25519_LEN, pk, ED25519_LEN) != 0)
		return NULL;
	pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, ED25519_LEN);
	if (pkey != NULL && (EVP_PKEY_get_raw_public_key(pkey, derived, &n) != 1 ||
			     memcmp(derived, pk, ED25519_LEN) != 0)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	return pkey;
}

static EVP_PKEY *read_ecdsa(struct wire_reader *r, enum ssh_key_type t)
{
	const uint8_t *q;
	size_t q_len;
	BIGNUM *d = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;

	wire_get_name(r, ssh_curve_name(t));
	wire_get_string(r, &q, &q_len);
	wire_get_bignum(r, &d);
	if (r->bad || (bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, ssh_curve_group(t),
					    0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q, q_len) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
		pkey = pkey_from_params("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(d);
	return pkey;
}

/* Pushes the CRT parameters of RSA (d mod p-1, d mod q-1) computed from d, p and q. */
static int push_rsa_crt(OSSL_PARAM_BLD *bld, const BIGNUM *d, const BIGNUM *p, const BIGNUM *q,
			BIGNUM **dmp1, BIGNUM **dmq1)
{
	BN_CTX *ctx = BN_CTX_secure_new();
	BIGNUM *t = BN_new();
	int ok;

	*dmp1 = BN_secure_new();
	*dmq1 = BN_secure_new();
	ok = ctx != NULL && t != NULL && *dmp1 != NULL && *dmq1 != NULL &&
	     BN_sub(t, p, BN_value_one()) && BN_mod(*dmp1, d, t, ctx) &&
	     BN_sub(t, q, BN_value_one()) && BN_mod(*dmq1, d, t, ctx) &&
	     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, *dmp1) &&
	     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, *dmq1);
	BN_clear_free(t);
	BN_CTX_free(ctx);
	return ok ? 0 : -1;
}

static EVP_PKEY *read_rsa(struct wire_reader *r)
{
	static const char *const names[] = {
	    OSSL_PKEY_PARAM_RSA_N,	 OSSL_PKEY_PARAM_RSA_E,
	    OSSL_PKEY_PARAM_RSA_D,	 OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2};
	BIGNUM *bn[6] = {NULL}, *dmp1 = NULL, *dmq1 = NULL; /* n, e, d, iqmp, p, q */
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	int ok = 1;

	for (size_t i = 0; i < 6; i++)
		wire_get_bignum(r, &bn[i]);
	if (r->bad || BN_is_zero(bn[4]) || BN_is_zero(bn[5]) ||
	    (bld = OSSL_PARAM_BLD_new()) == NULL)
		goto out;
	for (size_t i = 0; i < 6; i++)
		ok = ok && OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]);
	if (ok && push_rsa_crt(bld, bn[2], bn[4], bn[5], &dmp1, &dmq1) == 0)
		pkey = pkey_from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	for (size_t i = 0; i < 6; i++)
		BN_clear_free(bn[i]);
	BN_clear_free(dmp1);
	BN_clear_free(dmq1);
	return pkey;
}

/* Reads the key of the private section (type name, then its private fields). */
static int read_private_key(struct wire_reader *r, EVP_PKEY **out, struct error *err)
{
	const uint8_t *name;
	size_t n;
	enum ssh_key_type t;

	if (wire_get_string(r, &name, &n) != 0)
		return err_set(err, ERR_INVALID, "malformed OpenSSH private key");
	t = ssh_key_type_from_name(name, n);
	if (t == SSH_KEY_ED25519)
		*out = read_ed25519(r);
	else if (t == SSH_KEY_RSA)
		*out = read_rsa(r);
	else if (ssh_curve_group(t) != NULL)
		*out = read_ecdsa(r, t);
	else
		return err_set(err, ERR_INVALID, "unsupported OpenSSH private key type \"%.*s\"",
			       (int)(n > 64 ? 64 : n), (const char *)name);
	ERR_clear_error();
	if (*out == NULL)
		return err_set(err, ERR_INVALID, "invalid OpenSSH %s private key",
			       ssh_key_type_name(t));
	return 0;
}

/* The private section: check integers, key, comment, padding 1, 2, 3... */
static int read_private_section(const uint8_t *p, size_t n, const uint8_t *pub, size_t pub_len,
				EVP_PKEY **out, struct error *err)
{
	struct wire_reader r;
	uint32_t check1, check2;
	const uint8_t *comment;
	size_t comment_len;
	struct ssh_pubkey derived = {0};
	int rc = -1;

	wire_reader_init(&r, p, n);
	wire_get_u32(&r, &check1);
	wire_get_u32(&r, &check2);
	if (r.bad || check1 != check2 || n % BLOCK_SIZE != 0) {
		err_set(err, ERR_INVALID, "malformed OpenSSH private key: check integers differ");
		goto out;
	}
	if (read_private_key(&r, out, err) != 0)
		goto out;
	if (wire_get_string(&r, &comment, &comment_len) != 0) {
		err_set(err, ERR_INVALID, "malformed OpenSSH private key");
		goto out;
	}
	for (uint8_t i = 1; wire_left(&r) > 0; i++) {
		if (r.p[r.off] != i || i >= BLOCK_SIZE) {
			err_set(err, ERR_INVALID, "malformed OpenSSH private key: bad padding");
			goto out;
		}
		r.off++;
	}
	if (ssh_pubkey_from_evp(*out, &derived, err) != 0 || derived.blob_len != pub_len ||
	    memcmp(derived.blob, pub, pub_len) != 0) {
		err_set(err, ERR_INVALID, "OpenSSH private key does not match its public key");
		goto out;
	}
	rc = 0;
out:
	ssh_pubkey_clear(&derived);
	if (rc != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	return rc;
}

static int parse_openssh(const uint8_t *der, size_t len, EVP_PKEY **out, struct error *err)
{
	struct wire_reader r;
	const uint8_t *kdfopts, *pub, *priv;
	size_t kdfopts_len, pub_len, priv_len;
	char *cipher = NULL, *kdf = NULL;
	uint32_t nkeys = 0;
	int rc = -1;

	wire_reader_init(&r, der, len);
	if (len < sizeof(AUTH_MAGIC) || memcmp(der, AUTH_MAGIC, sizeof(AUTH_MAGIC)) != 0) {
		err_set(err, ERR_INVALID, "not an OpenSSH private key: bad magic");
		goto out;
	}
	r.off = sizeof(AUTH_MAGIC); /* the magic and its NUL */
	wire_get_cstring(&r, 64, &cipher);
	wire_get_cstring(&r, 64, &kdf);
	wire_get_string(&r, &kdfopts, &kdfopts_len);
	wire_get_u32(&r, &nkeys);
	wire_get_string(&r, &pub, &pub_len);
	wire_get_string(&r, &priv, &priv_len);
	if (!wire_done(&r) || nkeys != 1) {
		err_set(err, ERR_INVALID, "malformed OpenSSH private key");
		goto out;
	}
	if (strcmp(cipher, "none") != 0) {
		err_set(err, ERR_NOT_IMPLEMENTED,
			"encrypted OpenSSH private keys are not "
			"supported: decrypt it with ssh-keygen -p -N ''");
		goto out;
	}
	if (strcmp(kdf, "none") != 0 || kdfopts_len != 0) {
		err_set(err, ERR_INVALID, "malformed OpenSSH private key: kdf without a cipher");
		goto out;
	}
	rc = read_private_section(priv, priv_len, pub, pub_len, out, err);
out:
	free(cipher);
	free(kdf);
	return rc;
}

int ssh_private_parse(const uint8_t *data, size_t len, const char *password, EVP_PKEY **out,
		      struct error *err)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc = -1;

	*out = NULL;
	if (!ssh_private_is_openssh(data, len))
		return key_parse_private(data, len, password, out, err);
	if (len > PRIV_FILE_MAX)
		return err_set(err, ERR_INVALID, "OpenSSH private key exceeds %d bytes",
			       PRIV_FILE_MAX);
	if (pem_decode(data, len, &der, &der_len, err) != 0 ||
	    parse_openssh(der, der_len, out, err) != 0)
		goto out;
	if (key_check_allowed(*out, "private", err) != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	if (der != NULL)
		secure_wipe(der, der_len);
	free(der);
	return rc;
}

/* --- writing ---------------------------------------------------------------------------------- */

static int put_bn_param(struct wire_writer *w, EVP_PKEY *key, const char *name)
{
	BIGNUM *bn = NULL;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
		return -1;
	wire_put_bignum(w, bn);
	BN_clear_free(bn);
	return 0;
}

static int put_private_fields(struct wire_writer *w, EVP_PKEY *key, enum ssh_key_type t,
			      struct error *err)
{
	static const char *const rsa[] = {
	    OSSL_PKEY_PARAM_RSA_N,	 OSSL_PKEY_PARAM_RSA_E,
	    OSSL_PKEY_PARAM_RSA_D,	 OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
	    OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2};
	uint8_t sk[2 * ED25519_LEN];
	size_t n = ED25519_LEN;
	int rc = 0;

	if (t == SSH_KEY_RSA) {
		for (size_t i = 0; i < 6 && rc == 0; i++)
			rc = put_bn_param(w, key, rsa[i]);
	} else if (t == SSH_KEY_ED25519) {
		rc = ssh_put_evp_public(w, key, t, err);
		if (rc == 0 && (EVP_PKEY_get_raw_private_key(key, sk, &n) != 1 ||
				EVP_PKEY_get_raw_public_key(key, sk + ED25519_LEN, &n) != 1))
			rc = -1;
		if (rc == 0)
			wire_put_string(w, sk, sizeof(sk));
		secure_wipe(sk, sizeof(sk));
	} else {
		rc = ssh_put_evp_public(w, key, t, err);
		if (rc == 0)
			rc = put_bn_param(w, key, OSSL_PKEY_PARAM_PRIV_KEY);
	}
	if (rc != 0)
		return err_openssl(err, ERR_INVALID, "cannot write the private key as OpenSSH");
	return 0;
}

/* The private section of key: check integers, key, comment, padding. */
static int put_private_section(struct wire_writer *w, EVP_PKEY *key, enum ssh_key_type t,
			       const char *comment, struct error *err)
{
	uint32_t check;

	if (RAND_bytes((unsigned char *)&check, sizeof(check)) != 1)
		return err_openssl(err, ERR_CRYPTO, "random check integer");
	wire_put_u32(w, check);
	wire_put_u32(w, check);
	wire_put_cstring(w, ssh_key_type_name(t));
	if (put_private_fields(w, key, t, err) != 0)
		return -1;
	wire_put_cstring(w, comment == NULL ? "" : comment);
	for (uint8_t i = 1; w->rc == 0 && w->buf.len % BLOCK_SIZE != 0; i++)
		wire_put_u8(w, i);
	return w->rc;
}

/* The PEM armour of der, wrapped as ssh-keygen wraps it. */
static char *pem_encode(const uint8_t *der, size_t len)
{
	char *b64 = b64_encode(der, len);
	size_t n = strlen(b64), o = 0;
	char *pem = xmalloc(strlen(PEM_BEGIN) + strlen(PEM_END) + n + n / PEM_COLUMNS + 4);

	o += (size_t)sprintf(pem, "%s\n", PEM_BEGIN);
	for (size_t i = 0; i < n; i += PEM_COLUMNS) {
		size_t k = n - i < PEM_COLUMNS ? n - i : PEM_COLUMNS;

		memcpy(pem + o, b64 + i, k);
		o += k;
		pem[o++] = '\n';
	}
	sprintf(pem + o, "%s\n", PEM_END);
	password_free(b64);
	return pem;
}

int ssh_private_to_openssh(EVP_PKEY *key, const char *comment, char **pem, struct error *err)
{
	struct ssh_pubkey pub = {0};
	struct wire_writer w, priv;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int rc = -1;

	*pem = NULL;
	wire_writer_init(&w, PRIV_FILE_MAX, err);
	wire_writer_init(&priv, PRIV_FILE_MAX, err);
	if (ssh_pubkey_from_evp(key, &pub, err) != 0 ||
	    put_private_section(&priv, key, pub.type, comment, err) != 0)
		goto out;
	wire_put_raw(&w, AUTH_MAGIC, sizeof(AUTH_MAGIC));
	wire_put_cstring(&w, "none");
	wire_put_cstring(&w, "none");
	wire_put_string(&w, NULL, 0);
	wire_put_u32(&w, 1);
	wire_put_string(&w, pub.blob, pub.blob_len);
	wire_put_string(&w, priv.buf.data, priv.buf.len);
	if (wire_writer_finish(&w, &der, &der_len) != 0)
		goto out;
	*pem = pem_encode(der, der_len);
	rc = 0;
out:
	if (der != NULL)
		secure_wipe(der, der_len);
	free(der);
	wire_writer_free(&priv);
	wire_writer_free(&w);
	ssh_pubkey_clear(&pub);
	return rc;
}
