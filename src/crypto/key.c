/* key.c - key generation and the private/public key formats step reads and writes. */
#include "crypto/key.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <string.h>

#include "base/password.h"
#include "base/str.h"
#include "crypto/internal.h"

/* PBKDF2 iteration counts above this are refused (a hostile file could stall us for hours). */
#define PBKDF2_ITER_MAX 10000000L
/* What step writes for PKCS#8. */
#define PKCS8_WRITE_ITER 600000
#define PKCS8_WRITE_SALT 16

int key_spec_parse(const char *kty, const char *curve, const char *size, struct key_spec *out,
		   struct error *err)
{
	bool has_kty = kty != NULL && *kty != '\0';
	bool has_crv = curve != NULL && *curve != '\0';
	bool has_size = size != NULL && *size != '\0';
	struct key_spec s = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1, .rsa_bits = 0};

	if (!has_kty) {
		if (has_crv)
			return err_set(err, ERR_INVALID,
				       "flag '--curve' requires the '--kty' flag");
		if (has_size)
			return err_set(err, ERR_INVALID, "flag '--size' requires '--kty RSA'");
	} else if (strcmp(kty, "EC") == 0) {
		if (has_size)
			return err_set(err, ERR_INVALID, "flag '--size' requires '--kty RSA'");
		if (!has_crv || strcmp(curve, "P-256") == 0)
			s.nid = NID_X9_62_prime256v1;
		else if (strcmp(curve, "P-384") == 0)
			s.nid = NID_secp384r1;
		else if (strcmp(curve, "P-521") == 0)
			s.nid = NID_secp521r1;
		else
			return err_set(err, ERR_INVALID,
				       "invalid value '%s' for flag '--curve'; options are P-256, "
				       "P-384, or P-521",
				       curve);
	} else if (strcmp(kty, "OKP") == 0) {
		if (has_size)
			return err_set(err, ERR_INVALID, "flag '--size' requires '--kty RSA'");
		if (has_crv && strcmp(curve, "Ed25519") != 0)
			return err_set(err, ERR_INVALID,
				       "invalid value '%s' for flag '--curve'; options are Ed25519",
				       curve);
		s.kty = KEY_KTY_OKP;
		s.nid = NID_ED25519;
	} else if (strcmp(kty, "RSA") == 0) {
		long long bits = KEY_RSA_BITS_MIN;
		if (has_crv)
			return err_set(err, ERR_INVALID,
				       "flag '--curve' is incompatible with '--kty RSA'");
		if (has_size && parse_int64(size, &bits, NULL) != 0)
			return err_set(
			    err, ERR_INVALID,
			    "invalid value '%s' for flag '--size'; it must be a number of "
			    "bits",
			    size);
		if (bits < KEY_RSA_BITS_MIN)
			return err_set(err, ERR_INVALID,
				       "invalid value '%s' for flag '--size'; RSA keys require a "
				       "minimum key size of %d bits",
				       size, KEY_RSA_BITS_MIN);
		if (bits > KEY_RSA_BITS_MAX)
			return err_set(err, ERR_INVALID,
				       "invalid value '%s' for flag '--size'; RSA keys larger than "
				       "%d bits are not supported",
				       size, KEY_RSA_BITS_MAX);
		s.kty = KEY_KTY_RSA;
		s.nid = NID_rsaEncryption;
		s.rsa_bits = (int)bits;
	} else {
		return err_set(err, ERR_INVALID,
			       "invalid value '%s' for flag '--kty'; options are EC, OKP, or RSA",
			       kty);
	}
	*out = s;
	return 0;
}

int key_generate(const struct key_spec *spec, EVP_PKEY **out, struct error *err)
{
	*out = NULL;
	switch (spec->kty) {
	case KEY_KTY_EC:
		if (spec->nid != NID_X9_62_prime256v1 && spec->nid != NID_secp384r1 &&
		    spec->nid != NID_secp521r1)
			return err_set(err, ERR_INVALID, "unsupported elliptic curve");
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "EC", OBJ_nid2sn(spec->nid));
		break;
	case KEY_KTY_OKP:
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case KEY_KTY_RSA:
		if (spec->rsa_bits < KEY_RSA_BITS_MIN || spec->rsa_bits > KEY_RSA_BITS_MAX)
			return err_set(err, ERR_INVALID, "invalid RSA key size %d", spec->rsa_bits);
		*out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)spec->rsa_bits);
		break;
	default:
		return err_set(err, ERR_INVALID, "unsupported key type");
	}
	if (*out == NULL)
		return err_openssl(err, ERR_CRYPTO, "error generating key");
	if (key_check_allowed(*out, "generated", err) != 0) { /* the one rule, here too */
		EVP_PKEY_free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* The password callback handed to OpenSSL so it never prompts on the terminal. */
static int pw_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t n;

	(void)rwflag;
	if (pw == NULL)
		return -1;
	n = strlen(pw);
	if (size < 0 || n > (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

/* A library context with the legacy provider, for PKCS#8 files encrypted with DES-CBC. */
static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
static OSSL_LIB_CTX *legacy_ctx;

static void legacy_init(void)
{
	OSSL_LIB_CTX *ctx = OSSL_LIB_CTX_new();

	if (ctx != NULL && OSSL_PROVIDER_load(ctx, "default") != NULL &&
	    OSSL_PROVIDER_load(ctx, "legacy") != NULL)
		legacy_ctx = ctx;
	else
		OSSL_LIB_CTX_free(ctx);
	ERR_clear_error();
}

enum der_kind { DER_PKCS8, DER_SEC1, DER_PKCS1, DER_ANY };

/* Decodes an unencrypted private key of the given kind; the whole input must be used. */
static EVP_PKEY *der_to_pkey(enum der_kind kind, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *k = NULL;

	if (len > LONG_MAX)
		return NULL;
	switch (kind) {
	case DER_PKCS8: {
		PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
		if (p8 != NULL && p == der + len)
			k = EVP_PKCS82PKEY(p8);
		PKCS8_PRIV_KEY_INFO_free(p8);
		return k;
	}
	case DER_SEC1:
		k = d2i_PrivateKey(EVP_PKEY_EC, NULL, &p, (long)len);
		break;
	case DER_PKCS1:
		k = d2i_PrivateKey(EVP_PKEY_RSA, NULL, &p, (long)len);
		break;
	case DER_ANY:
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
		break;
	}
	if (k != NULL && p != der + len) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* step before go.step.sm/crypto v0.29.3 encoded the PBKDF2 PRF parameters as a zero-length
 * tag-0 element (Go's zero asn1.RawValue: `00 00`, which OpenSSL 3 refuses as an unexpected
 * end-of-contents) instead of NULL. Rewrites `00 00`, `80 00` or `a0 00` after an hmacWithSHA*
 * OID to `05 00` inside the AlgorithmIdentifier of an EncryptedPrivateKeyInfo (same length). */
static void fix_step_prf(uint8_t *der, size_t len)
{
	static const uint8_t hmac_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02};
	size_t hdr, alen, h2;
	uint8_t tag;
	uint8_t *alg;

	if (der_header(der, len, &tag, &hdr, &alen) != 0 || tag != 0x30)
		return;
	alg = der + hdr;
	if (der_header(alg, alen, &tag, &h2, &alen) != 0 || tag != 0x30)
		return;
	alen += h2;
	for (size_t i = 0; i + sizeof(hmac_oid) + 3 <= alen; i++) {
		uint8_t *q = alg + i;
		uint8_t which = q[sizeof(hmac_oid)];
		uint8_t *par = q + sizeof(hmac_oid) + 1;
		if (memcmp(q, hmac_oid, sizeof(hmac_oid)) != 0 || which < 0x07 || which > 0x0b)
			continue;
		if ((par[0] == 0x00 || par[0] == 0x80 || par[0] == 0xa0) && par[1] == 0x00) {
			par[0] = 0x05;
			par[1] = 0x00;
		}
	}
}

/* Checks the PBES2 parameters of an encrypted PKCS#8 key against what step reads; sets
 * *legacy for DES-CBC (only in OpenSSL's legacy provider). */
static int check_pbes2(const X509_SIG *sig, bool *legacy, struct error *err)
{
	const X509_ALGOR *alg = NULL, *kdf_alg, *enc_alg;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, enc_nid, prf_nid;
	PBE2PARAM *pbe2 = NULL;
	PBKDF2PARAM *kdf = NULL;
	long iter;
	int rc = -1;

	*legacy = false;
	X509_SIG_get0(sig, &alg, NULL);
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	if (OBJ_obj2nid(obj) != NID_pbes2 || ptype != V_ASN1_SEQUENCE) {
		char name[80];
		OBJ_obj2txt(name, sizeof(name), obj, 0);
		err_set(err, ERR_INVALID, "unsupported private key encryption algorithm '%s'",
			name);
		goto out;
	}
	pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
	if (pbe2 == NULL) {
		err_set(err, ERR_INVALID, "error parsing private key: invalid PBES2 parameters");
		goto out;
	}
	kdf_alg = pbe2->keyfunc;
	enc_alg = pbe2->encryption;
	if (OBJ_obj2nid(kdf_alg->algorithm) != NID_id_pbkdf2 ||
	    (kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), kdf_alg->parameter)) ==
		NULL) {
		err_set(err, ERR_INVALID,
			"unsupported private key encryption: key derivation must be PBKDF2");
		goto out;
	}
	iter = ASN1_INTEGER_get(kdf->iter);
	if (iter < 1 || iter > PBKDF2_ITER_MAX) {
		err_set(err, ERR_INVALID,
			"unsupported private key encryption: invalid iteration count %ld", iter);
		goto out;
	}
	prf_nid = kdf->prf != NULL ? OBJ_obj2nid(kdf->prf->algorithm) : NID_hmacWithSHA1;
	switch (prf_nid) {
	case NID_hmacWithSHA1:
	case NID_hmacWithSHA224:
	case NID_hmacWithSHA256:
	case NID_hmacWithSHA384:
	case NID_hmacWithSHA512:
		break;
	default:
		err_set(err, ERR_INVALID, "unsupported private key encryption: unknown PRF");
		goto out;
	}
	enc_nid = OBJ_obj2nid(enc_alg->algorithm);
	switch (enc_nid) {
	case NID_aes_128_cbc:
	case NID_aes_192_cbc:
	case NID_aes_256_cbc:
	case NID_des_ede3_cbc:
		break;
	case NID_des_cbc:
		*legacy = true;
		break;
	default:
		err_set(err, ERR_INVALID, "unsupported private key encryption cipher '%s'",
			OBJ_nid2sn(enc_nid));
		goto out;
	}
	rc = 0;
out:
	PBE2PARAM_free(pbe2);
	PBKDF2PARAM_free(kdf);
	ERR_clear_error();
	return rc;
}

/* Decrypts an EncryptedPrivateKeyInfo held in der (our own copy: patched in place). */
static int decrypt_pkcs8(uint8_t *der, size_t len, const char *password, EVP_PKEY **out,
			 struct error *err)
{
	const unsigned char *p = der;
	X509_SIG *sig = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	OSSL_LIB_CTX *libctx = NULL;
	bool legacy;
	int rc = -1;

	fix_step_prf(der, len);
	sig = d2i_X509_SIG(NULL, &p, (long)len);
	if (sig == NULL || p != der + len) {
		err_set(err, ERR_INVALID,
			"error parsing private key: invalid encrypted PKCS#8 data");
		goto out;
	}
	if (password == NULL) {
		err_set(err, ERR_INVALID, "the key is encrypted: a password is required");
		goto out;
	}
	if (check_pbes2(sig, &legacy, err) != 0)
		goto out;
	if (legacy) {
		pthread_once(&legacy_once, legacy_init);
		if (legacy_ctx == NULL) {
			err_set(
			    err, ERR_NOT_IMPLEMENTED,
			    "unsupported private key encryption: DES-CBC needs OpenSSL's legacy "
			    "provider");
			goto out;
		}
		libctx = legacy_ctx;
	}
	p8 = PKCS8_decrypt_ex(sig, password, (int)strlen(password), libctx, NULL);
	if (p8 == NULL) {
		err_set(err, ERR_INVALID, "invalid password");
		goto out;
	}
	*out = EVP_PKCS82PKEY(p8);
	if (*out == NULL) {
		err_set(err, ERR_INVALID, "error parsing private key");
		goto out;
	}
	rc = 0;
out:
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8);
	ERR_clear_error();
	return rc;
}

/* Parses one PEM private key block (name, RFC 1421 header, DER). der is ours to modify. */
static int parse_pem_key(const char *name, const char *header, uint8_t *der, long len,
			 const char *password, EVP_PKEY **out, struct error *err)
{
	EVP_CIPHER_INFO ci;
	enum der_kind kind;
	bool encrypted = false;

	if (strcmp(name, "ENCRYPTED PRIVATE KEY") == 0)
		return decrypt_pkcs8(der, (size_t)len, password, out, err);
	if (strcmp(name, "PRIVATE KEY") == 0)
		kind = DER_PKCS8;
	else if (strcmp(name, "EC PRIVATE KEY") == 0)
		kind = DER_SEC1;
	else if (strcmp(name, "RSA PRIVATE KEY") == 0)
		kind = DER_PKCS1;
	else
		return err_set(err, ERR_INVALID, "unsupported private key type '%s'", name);

	if (!PEM_get_EVP_CIPHER_INFO((char *)header, &ci))
		return err_openssl(err, ERR_INVALID, "unsupported private key encryption");
	if (ci.cipher != NULL) {
		encrypted = true;
		if (password == NULL)
			return err_set(err, ERR_INVALID,
				       "the key is encrypted: a password is required");
		if (EVP_CIPHER_get_nid(ci.cipher) == NID_des_cbc)
			return err_set(err, ERR_NOT_IMPLEMENTED,
				       "unsupported private key encryption 'DES-CBC'");
		if (!PEM_do_header(&ci, der, &len, pw_cb, (void *)password)) {
			ERR_clear_error();
			return err_set(err, ERR_INVALID, "invalid password");
		}
	}
	*out = der_to_pkey(kind, der, (size_t)len);
	ERR_clear_error();
	if (*out == NULL)
		return err_set(err, ERR_INVALID,
			       encrypted ? "invalid password" : "error parsing private key");
	return 0;
}

/* Finds the first PEM block whose type ends in "PRIVATE KEY" and parses it. */
static int parse_pem_private(const uint8_t *data, size_t len, const char *password, EVP_PKEY **out,
			     struct error *err)
{
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	int rc = -1;

	if (bio == NULL)
		return err_openssl(err, ERR_CRYPTO, "error parsing private key");
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;
		size_t nlen;
		bool is_key;

		if (!PEM_read_bio_ex(bio, &name, &header, &der, &dlen,
				     PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
			unsigned long e = ERR_peek_last_error();
			ERR_clear_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				err_set(err, ERR_INVALID,
					"error parsing private key: no private key found");
			else
				err_set(err, ERR_INVALID,
					"error parsing private key: invalid PEM data");
			break;
		}
		nlen = strlen(name);
		is_key = nlen >= 11 && strcmp(name + nlen - 11, "PRIVATE KEY") == 0;
		if (is_key)
			rc = parse_pem_key(name, header, der, dlen, password, out, err);
		OPENSSL_secure_free(name);
		OPENSSL_secure_free(header);
		OPENSSL_secure_clear_free(der, (size_t)dlen);
		if (is_key)
			break;
	}
	BIO_free(bio);
	return rc;
}

bool key_pem_is_encrypted(const uint8_t *data, size_t len)
{
	bool enc = false;

	if (data == NULL || len == 0 || len > CRYPTO_INPUT_MAX)
		return false;
	if (crypto_is_pem(data, len)) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long dlen = 0;

		while (bio != NULL && PEM_read_bio_ex(bio, &name, &header, &der, &dlen,
						      PEM_FLAG_SECURE | PEM_FLAG_EAY_COMPATIBLE)) {
			size_t nlen = strlen(name);
			bool is_key = nlen >= 11 && strcmp(name + nlen - 11, "PRIVATE KEY") == 0;
			if (is_key)
				enc = strcmp(name, "ENCRYPTED PRIVATE KEY") == 0 ||
				      (strstr(header, "Proc-Type:") != NULL &&
				       strstr(header, "ENCRYPTED") != NULL);
			OPENSSL_secure_free(name);
			OPENSSL_secure_free(header);
			OPENSSL_secure_clear_free(der, (size_t)dlen);
			if (is_key)
				break;
		}
		BIO_free(bio);
	} else {
		const unsigned char *p = data;
		X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)len);
		enc = sig != NULL && p == data + len;
		X509_SIG_free(sig);
	}
	ERR_clear_error();
	return enc;
}

int key_parse_private(const uint8_t *data, size_t len, const char *password, EVP_PKEY **out,
		      struct error *err)
{
	uint8_t *copy = NULL;
	int rc = -1;

	*out = NULL;
	if (data == NULL || len == 0)
		return err_set(err, ERR_INVALID, "error parsing private key: empty input");
	if (len > CRYPTO_INPUT_MAX)
		return err_set(err, ERR_TOO_LARGE, "error parsing private key: input too large");
	if (crypto_is_pem(data, len)) {
		rc = parse_pem_private(data, len, password, out, err);
	} else {
		const unsigned char *p = data;
		X509_SIG *sig = d2i_X509_SIG(NULL, &p, (long)len);
		bool encrypted = sig != NULL && p == data + len;

		X509_SIG_free(sig);
		ERR_clear_error();
		if (encrypted) {
			copy = OPENSSL_secure_malloc(len);
			if (copy == NULL) {
				err_set(err, ERR_INTERNAL, "out of memory");
				goto out;
			}
			memcpy(copy, data, len);
			rc = decrypt_pkcs8(copy, len, password, out, err);
		} else {
			*out = der_to_pkey(DER_ANY, data, len);
			ERR_clear_error();
			rc = *out != NULL ? 0
					  : err_set(err, ERR_INVALID,
						    "error parsing private key: unknown format");
		}
	}
	if (rc == 0 && key_check_allowed(*out, "private", err) != 0) {
		rc = -1;
		EVP_PKEY_free(*out);
		*out = NULL;
	}
out:
	if (copy != NULL)
		OPENSSL_secure_clear_free(copy, len);
	return rc;
}

int key_parse_public(const uint8_t *data, size_t len, EVP_PKEY **out, struct error *err)
{
	BIO *bio = NULL;
	int rc = -1;

	*out = NULL;
	if (data == NULL || len == 0)
		return err_set(err, ERR_INVALID, "error parsing public key: empty input");
	if (len > CRYPTO_INPUT_MAX)
		return err_set(err, ERR_TOO_LARGE, "error parsing public key: input too large");
	if (crypto_is_pem(data, len)) {
		bio = BIO_new_mem_buf(data, (int)len);
		if (bio != NULL)
			*out = PEM_read_bio_PUBKEY(bio, NULL, pw_cb, NULL);
	} else {
		const unsigned char *p = data;
		*out = d2i_PUBKEY(NULL, &p, (long)len);
		if (*out != NULL && p != data + len) {
			EVP_PKEY_free(*out);
			*out = NULL;
		}
	}
	ERR_clear_error();
	if (*out == NULL) {
		err_set(err, ERR_INVALID, "error parsing public key");
		goto out;
	}
	if (key_check_allowed(*out, "public", err) != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

/* Writes an Ed25519 (or any) key as PKCS#8 PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC. */
static int write_pkcs8_encrypted(BIO *bio, EVP_PKEY *key, const char *password, struct error *err)
{
	PKCS8_PRIV_KEY_INFO *p8inf = EVP_PKEY2PKCS8(key);
	X509_ALGOR *pbe = NULL;
	X509_SIG *sig = NULL;
	int rc = -1;

	if (p8inf == NULL) {
		err_openssl(err, ERR_CRYPTO, "error encoding private key");
		goto out;
	}
	pbe = PKCS5_pbe2_set_iv_ex(EVP_aes_256_cbc(), PKCS8_WRITE_ITER, NULL, PKCS8_WRITE_SALT,
				   NULL, NID_hmacWithSHA256, NULL);
	if (pbe == NULL) {
		err_openssl(err, ERR_CRYPTO, "error encrypting private key");
		goto out;
	}
	sig = PKCS8_set0_pbe(password, (int)strlen(password), p8inf, pbe);
	if (sig == NULL) {
		err_openssl(err, ERR_CRYPTO, "error encrypting private key");
		goto out;
	}
	pbe = NULL; /* owned by sig */
	if (!PEM_write_bio_PKCS8(bio, sig)) {
		err_openssl(err, ERR_CRYPTO, "error encoding private key");
		goto out;
	}
	rc = 0;
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(sig);
	PKCS8_PRIV_KEY_INFO_free(p8inf);
	return rc;
}

int key_private_to_pem(EVP_PKEY *key, const char *password, char **pem, struct error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int type = key != NULL ? EVP_PKEY_get_base_id(key) : 0;
	int rc = -1;

	*pem = NULL;
	if (bio == NULL) {
		err_openssl(err, ERR_CRYPTO, "error encoding private key");
		goto out;
	}
	if (!crypto_key_supported(key)) {
		err_set(err, ERR_INVALID, "unsupported private key type");
		goto out;
	}
	if (password != NULL && strlen(password) > PASSWORD_MAX) {
		err_set(err, ERR_INVALID, "password too long");
		goto out;
	}
	if (type == EVP_PKEY_EC || type == EVP_PKEY_RSA) {
		/* SEC 1 / PKCS#1 with RFC 1421 AES-256-CBC encryption, like `openssl ec -aes256`.
		 */
		const EVP_CIPHER *cipher = password != NULL ? EVP_aes_256_cbc() : NULL;
		if (!PEM_write_bio_PrivateKey_traditional(
			bio, key, cipher, (const unsigned char *)password,
			password != NULL ? (int)strlen(password) : 0, NULL, NULL)) {
			err_openssl(err, ERR_CRYPTO, "error encoding private key");
			goto out;
		}
	} else if (password != NULL) {
		if (write_pkcs8_encrypted(bio, key, password, err) != 0)
			goto out;
	} else if (!PEM_write_bio_PKCS8PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		err_openssl(err, ERR_CRYPTO, "error encoding private key");
		goto out;
	}
	rc = crypto_bio_to_str(bio, pem, err);
out:
	BIO_free(bio);
	return rc;
}

int key_public_to_pem(EVP_PKEY *key, char **pem, struct error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc = -1;

	*pem = NULL;
	if (bio == NULL || key == NULL || !PEM_write_bio_PUBKEY(bio, key)) {
		err_openssl(err, ERR_CRYPTO, "error encoding public key");
		goto out;
	}
	rc = crypto_bio_to_str(bio, pem, err);
out:
	BIO_free(bio);
	return rc;
}

const char *key_jws_alg(EVP_PKEY *key)
{
	if (key == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		switch (crypto_ec_curve_nid(key)) {
		case NID_X9_62_prime256v1:
			return "ES256";
		case NID_secp384r1:
			return "ES384";
		case NID_secp521r1:
			return "ES512";
		default:
			return NULL;
		}
	case EVP_PKEY_ED25519:
		return "EdDSA";
	case EVP_PKEY_RSA:
		return "RS256";
	default:
		return NULL;
	}
}

bool key_public_equal(EVP_PKEY *a, EVP_PKEY *b)
{
	int r;

	if (a == NULL || b == NULL)
		return false;
	r = EVP_PKEY_eq(a, b);
	ERR_clear_error();
	return r == 1;
}

const char *key_kty_name(EVP_PKEY *key)
{
	if (key == NULL)
		return NULL;
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		return "EC";
	case EVP_PKEY_ED25519:
		return "OKP";
	case EVP_PKEY_RSA:
		return "RSA";
	default:
		return NULL;
	}
}
