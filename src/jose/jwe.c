/* jwe.c - password-based JWE: PBES2-HS256+A128KW with A256GCM (A128GCM read too),
 * compact serialization, the format of step's provisioner encryptedKey in ca.json.
 *
 * Written on OpenSSL directly rather than on libjose:
 * libjose 11 runs PBKDF2 with whatever p2c a header names, unbounded
 * (CVE-2023-50967), and libjose 13, which fixed that, caps p2c at 32768 -
 * below the 100000 / 600000 iterations of every key step writes, so those
 * files would stop decrypting after a library upgrade. Owning these ~200 lines
 * keeps the bound ours, gives step's exact header member order, and lets a
 * wrong password (key unwrap failure) be told apart from a damaged file.
 */
#include "jose/jwe.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"

#define PBES2_ALG "PBES2-HS256+A128KW"
#define KEK_LEN	  16 /* A128KW */
#define KW_IV_LEN 8  /* AES key wrap adds one 64-bit block */
#define CEK_MAX	  32
#define IV_LEN	  12
#define TAG_LEN	  16
#define P2S_LEN	  16 /* what we write */
#define P2S_MIN	  8  /* RFC 7518 §4.8.1.1 */
#define P2S_MAX	  256
#define P2C_MIN	  1000
#define P2C_MAX	  10000000 /* bounds the PBKDF2 work a file can ask for */

enum { PART_HEADER, PART_EK, PART_IV, PART_CT, PART_TAG, NPARTS };

/* PBKDF2-HMAC-SHA256(password, UTF8(alg) || 0x00 || p2s, p2c) -> 16-byte key-encryption key. */
static int derive_kek(const char *password, const uint8_t *p2s, size_t p2s_len, int p2c,
		      uint8_t kek[KEK_LEN], struct error *err)
{
	uint8_t salt[sizeof(PBES2_ALG) + P2S_MAX];

	/* sizeof includes the NUL, which is the 0x00 separator */
	memcpy(salt, PBES2_ALG, sizeof(PBES2_ALG));
	memcpy(salt + sizeof(PBES2_ALG), p2s, p2s_len);
	if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
			      (int)(sizeof(PBES2_ALG) + p2s_len), p2c, EVP_sha256(), KEK_LEN,
			      kek) != 1)
		return err_openssl(err, ERR_CRYPTO, "cannot derive the JWE key");
	return 0;
}

/* AES-128 key wrap (RFC 3394) when wrap, else unwrap; out holds in_len + 8 bytes.
 * Unwrap of data wrapped with another key fails. */
static int aes_kw(bool wrap, const uint8_t kek[KEK_LEN], const uint8_t *in, size_t in_len,
		  uint8_t *out, size_t *out_len)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0, rc = -1;

	if (ctx == NULL)
		return -1;
	EVP_CIPHER_CTX_set_flags(ctx, EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
	if (EVP_CipherInit_ex(ctx, EVP_aes_128_wrap(), NULL, kek, NULL, wrap ? 1 : 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1 ||
	    EVP_CipherFinal_ex(ctx, out + n, &f) != 1)
		goto out;
	*out_len = (size_t)n + (size_t)f;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* AES-GCM with a 12-byte IV and 16-byte tag over in (out holds in_len bytes). Encrypting
 * writes tag; decrypting checks it. Returns 0, -1 on an OpenSSL failure, 1 on a tag mismatch. */
static int aes_gcm(bool enc, const uint8_t *key, size_t key_len, const uint8_t iv[IV_LEN],
		   const char *aad, size_t aad_len, const uint8_t *in, size_t in_len, uint8_t *out,
		   uint8_t tag[TAG_LEN])
{
	const EVP_CIPHER *cipher = key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm();
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, f = 0, rc = -1;

	if (ctx == NULL || EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, IV_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)aad_len) != 1 ||
	    (in_len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)in_len) != 1) ||
	    (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1))
		goto out;
	if (EVP_CipherFinal_ex(ctx, out + (in_len > 0 ? n : 0), &f) != 1) {
		rc = enc ? -1 : 1;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* Decodes part i of the JWE; an empty part gives an empty (NULL) result. */
static int decode_part(const char *s, size_t n, const char *what, uint8_t **out, size_t *len,
		       struct error *err)
{
	*out = NULL;
	*len = 0;
	if (n == 0)
		return 0;
	if (b64url_decode(s, n, out, len, NULL) != 0)
		return err_set(err, ERR_INVALID, "invalid JWE: %s is not valid base64url", what);
	return 0;
}

/* Reads the protected header: alg, enc (-> CEK length), p2c, p2s. */
static int read_header(const char *s, size_t n, size_t *cek_len, int *p2c, uint8_t **p2s,
		       size_t *p2s_len, struct error *err)
{
	uint8_t *raw = NULL;
	size_t raw_len;
	json_t *hdr = NULL;
	const char *alg, *enc, *salt;
	json_int_t count;
	int rc = -1;

	if (decode_part(s, n, "header", &raw, &raw_len, err) != 0)
		goto out;
	hdr = raw != NULL ? json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, NULL)
			  : NULL;
	if (!json_is_object(hdr)) {
		err_set(err, ERR_INVALID, "invalid JWE: header is not a JSON object");
		goto out;
	}
	alg = json_string_value(json_object_get(hdr, "alg"));
	enc = json_string_value(json_object_get(hdr, "enc"));
	if (alg == NULL || strcmp(alg, PBES2_ALG) != 0) {
		err_set(err, ERR_INVALID, "unsupported JWE algorithm \"%.32s\"",
			alg != NULL ? alg : "");
		goto out;
	}
	if (enc != NULL && strcmp(enc, "A256GCM") == 0) {
		*cek_len = 32;
	} else if (enc != NULL && strcmp(enc, "A128GCM") == 0) {
		*cek_len = 16;
	} else {
		err_set(err, ERR_INVALID, "unsupported JWE encryption \"%.32s\"",
			enc != NULL ? enc : "");
		goto out;
	}
	if (json_object_get(hdr, "zip") != NULL || json_object_get(hdr, "crit") != NULL) {
		err_set(err, ERR_INVALID, "unsupported JWE header \"zip\" or \"crit\"");
		goto out;
	}
	count = json_integer_value(json_object_get(hdr, "p2c"));
	if (!json_is_integer(json_object_get(hdr, "p2c")) || count < P2C_MIN || count > P2C_MAX) {
		err_set(err, ERR_INVALID, "invalid JWE: p2c must be an integer from %d to %d",
			P2C_MIN, P2C_MAX);
		goto out;
	}
	*p2c = (int)count;
	salt = json_string_value(json_object_get(hdr, "p2s"));
	if (salt == NULL || decode_part(salt, strlen(salt), "p2s", p2s, p2s_len, err) != 0 ||
	    *p2s_len < P2S_MIN || *p2s_len > P2S_MAX) {
		err_set(err, ERR_INVALID, "invalid JWE: p2s must be %d to %d bytes of base64url",
			P2S_MIN, P2S_MAX);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		free(*p2s);
		*p2s = NULL;
	}
	json_decref(hdr);
	free(raw);
	return rc;
}

int jwe_decrypt_password(const char *compact, const char *password, uint8_t **plain,
			 size_t *plain_len, struct error *err)
{
	const char *part[NPARTS];
	size_t part_len[NPARTS], len, n = 0, cek_len = 0, p2s_len = 0, ek_len = 0, iv_len = 0;
	size_t ct_len = 0, tag_len = 0, unwrapped = 0;
	uint8_t *p2s = NULL, *ek = NULL, *iv = NULL, *ct = NULL, *tag = NULL, *out = NULL;
	uint8_t kek[KEK_LEN], cek[CEK_MAX + KW_IV_LEN];
	int p2c = 0, rc = -1, g;

	*plain = NULL;
	*plain_len = 0;
	if (compact == NULL || password == NULL)
		return err_set(err, ERR_INVALID, "invalid JWE: no data or password");
	len = strnlen(compact, JWE_MAX_LEN + 1);
	if (len > JWE_MAX_LEN)
		return err_set(err, ERR_INVALID, "invalid JWE: longer than %d bytes", JWE_MAX_LEN);
	while (len > 0 && strchr(" \t\r\n", compact[len - 1]) != NULL)
		len--; /* a newline left by a file or a terminal */
	part[0] = compact;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && compact[i] != '.')
			continue;
		if (n == NPARTS)
			return err_set(err, ERR_INVALID,
				       "invalid JWE: compact serialization must have 5 parts");
		part_len[n] = (size_t)(compact + i - part[n]);
		if (++n < NPARTS)
			part[n] = compact + i + 1;
	}
	if (n != NPARTS)
		return err_set(err, ERR_INVALID,
			       "invalid JWE: compact serialization must have 5 parts");

	if (read_header(part[PART_HEADER], part_len[PART_HEADER], &cek_len, &p2c, &p2s, &p2s_len,
			err) != 0 ||
	    decode_part(part[PART_EK], part_len[PART_EK], "encrypted key", &ek, &ek_len, err) !=
		0 ||
	    decode_part(part[PART_IV], part_len[PART_IV], "IV", &iv, &iv_len, err) != 0 ||
	    decode_part(part[PART_CT], part_len[PART_CT], "ciphertext", &ct, &ct_len, err) != 0 ||
	    decode_part(part[PART_TAG], part_len[PART_TAG], "tag", &tag, &tag_len, err) != 0)
		goto out;
	if (ek_len != cek_len + KW_IV_LEN || iv_len != IV_LEN || tag_len != TAG_LEN) {
		err_set(err, ERR_INVALID, "invalid JWE: wrong encrypted key, IV or tag length");
		goto out;
	}
	if (derive_kek(password, p2s, p2s_len, p2c, kek, err) != 0)
		goto out;
	if (aes_kw(false, kek, ek, ek_len, cek, &unwrapped) != 0 || unwrapped != cek_len) {
		/* the key wrap's integrity check fails: the password derived another key */
		err_set(err, ERR_INVALID, "invalid password");
		goto out;
	}
	out = xmalloc(ct_len + 1);
	g = aes_gcm(false, cek, cek_len, iv, part[PART_HEADER], part_len[PART_HEADER], ct, ct_len,
		    out, tag);
	if (g != 0) {
		if (g > 0)
			err_set(err, ERR_INVALID, "invalid JWE: authentication tag mismatch");
		else
			err_openssl(err, ERR_CRYPTO, "cannot decrypt the JWE");
		goto out;
	}
	out[ct_len] = '\0';
	*plain = out;
	*plain_len = ct_len;
	out = NULL;
	rc = 0;
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(cek, sizeof(cek));
	if (out != NULL) {
		OPENSSL_cleanse(out, ct_len + 1);
		free(out);
	}
	free(p2s);
	free(ek);
	free(iv);
	free(ct);
	free(tag);
	return rc;
}

int jwe_encrypt_password(const uint8_t *plain, size_t plain_len, const char *password, int p2c,
			 const char *cty, char **out, struct error *err)
{
	uint8_t p2s[P2S_LEN], cek[32], kek[KEK_LEN], ek[32 + KW_IV_LEN], iv[IV_LEN], tag[TAG_LEN];
	size_t ek_len = 0;
	uint8_t *ct = NULL;
	json_t *hdr = NULL;
	char *hjson = NULL, *p2s64 = NULL, *h64 = NULL, *ek64 = NULL, *iv64 = NULL, *ct64 = NULL,
	     *tag64 = NULL;
	int rc = -1;

	*out = NULL;
	if (password == NULL || (plain == NULL && plain_len > 0))
		return err_set(err, ERR_INVALID, "no data or password to encrypt");
	if (p2c < P2C_MIN || p2c > P2C_MAX)
		return err_set(err, ERR_INVALID, "JWE p2c must be from %d to %d", P2C_MIN, P2C_MAX);
	if (plain_len > JWE_MAX_LEN / 2)
		return err_set(err, ERR_TOO_LARGE, "JWE plaintext larger than %d bytes",
			       JWE_MAX_LEN / 2);
	if (RAND_bytes(p2s, sizeof(p2s)) != 1 || RAND_bytes(cek, sizeof(cek)) != 1 ||
	    RAND_bytes(iv, sizeof(iv)) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot generate random bytes");
		goto out;
	}
	p2s64 = b64url_encode(p2s, sizeof(p2s));
	/* step's member order: alg, cty, enc, p2c, p2s (jansson keeps insertion order) */
	hdr = json_object();
	json_object_set_new(hdr, "alg", json_string(PBES2_ALG));
	if (cty != NULL)
		json_object_set_new(hdr, "cty", json_string(cty));
	json_object_set_new(hdr, "enc", json_string("A256GCM"));
	json_object_set_new(hdr, "p2c", json_integer(p2c));
	json_object_set_new(hdr, "p2s", json_string(p2s64));
	hjson = json_dumps(hdr, JSON_COMPACT);
	h64 = hjson != NULL ? b64url_encode(hjson, strlen(hjson)) : NULL;
	if (p2s64 == NULL || h64 == NULL) {
		err_set(err, ERR_INVALID, "cannot build the JWE header");
		goto out;
	}
	if (derive_kek(password, p2s, sizeof(p2s), p2c, kek, err) != 0)
		goto out;
	if (aes_kw(true, kek, cek, sizeof(cek), ek, &ek_len) != 0 || ek_len != sizeof(ek)) {
		err_openssl(err, ERR_CRYPTO, "cannot wrap the JWE content key");
		goto out;
	}
	ct = xmalloc(plain_len + 1);
	if (aes_gcm(true, cek, sizeof(cek), iv, h64, strlen(h64), plain, plain_len, ct, tag) != 0) {
		err_openssl(err, ERR_CRYPTO, "cannot encrypt the JWE");
		goto out;
	}
	ek64 = b64url_encode(ek, sizeof(ek));
	iv64 = b64url_encode(iv, sizeof(iv));
	ct64 = b64url_encode(ct, plain_len);
	tag64 = b64url_encode(tag, sizeof(tag));
	if (ek64 == NULL || iv64 == NULL || ct64 == NULL || tag64 == NULL) {
		err_set(err, ERR_INTERNAL, "cannot encode the JWE");
		goto out;
	}
	*out = xasprintf("%s.%s.%s.%s.%s", h64, ek64, iv64, ct64, tag64);
	rc = 0;
out:
	OPENSSL_cleanse(kek, sizeof(kek));
	OPENSSL_cleanse(cek, sizeof(cek));
	json_decref(hdr);
	free(ct);
	free(hjson);
	free(p2s64);
	free(h64);
	free(ek64);
	free(iv64);
	free(ct64);
	free(tag64);
	return rc;
}
