/* jws.c - JWS compact serialization (RFC 7515): parse, verify, sign; JWT claim accessors.
 *
 * jws_parse + jws_verify run for every token the CA sees, so they stay lean:
 * the three parts are decoded into a single allocation, the two JSON objects
 * are parsed once and never re-encoded, and verification is one EVP_DigestVerify
 * over the signing input as received. Algorithms follow RFC 7518 §3: ECDSA
 * signatures travel as fixed-length R||S, RSASSA-PSS uses MGF1 with the same
 * hash and a salt as long as the hash (any salt length is accepted on verify,
 * as go-jose does).
 */
#include "jose/jws.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/json_flat.h"
#include "base/str.h"
#include "jose/internal.h"

/* Largest DER ECDSA-Sig-Value: P-521, two 67-byte INTEGERs plus headers. */
#define ECDSA_DER_MAX 160

struct jws_alg {
	const char *name;
	enum jwx_kty kty;
	const char *md;	 /* NULL for EdDSA */
	const char *crv; /* EC: the one curve the algorithm goes with */
	bool pss;
};

static const struct jws_alg jws_algs[] = {
    {"ES256", JWX_KTY_EC, "SHA256", "P-256", false},
    {"ES384", JWX_KTY_EC, "SHA384", "P-384", false},
    {"ES512", JWX_KTY_EC, "SHA512", "P-521", false},
    {"EdDSA", JWX_KTY_OKP, NULL, NULL, false},
    {"RS256", JWX_KTY_RSA, "SHA256", NULL, false},
    {"RS384", JWX_KTY_RSA, "SHA384", NULL, false},
    {"RS512", JWX_KTY_RSA, "SHA512", NULL, false},
    {"PS256", JWX_KTY_RSA, "SHA256", NULL, true},
    {"PS384", JWX_KTY_RSA, "SHA384", NULL, true},
    {"PS512", JWX_KTY_RSA, "SHA512", NULL, true},
};

/* The algorithm called name if it suits the key described by info, else NULL. */
static const struct jws_alg *alg_for_key(const char *name, const struct jwx_key *info)
{
	for (size_t i = 0; i < sizeof(jws_algs) / sizeof(jws_algs[0]); i++) {
		const struct jws_alg *a = &jws_algs[i];

		if (strcmp(a->name, name) != 0)
			continue;
		if (a->kty != info->kty)
			return NULL;
		if (a->kty == JWX_KTY_EC && strcmp(a->crv, info->curve->crv) != 0)
			return NULL;
		return a;
	}
	return NULL;
}

/* ---- parsing ------------------------------------------------------------- */

/* Decodes a base64url part holding a JSON object. */
static json_t *part_object(const char *s, size_t n, uint8_t *scratch, const char *what,
			   struct error *err)
{
	json_error_t jerr;
	size_t len;
	json_t *obj;

	if (!b64url_decode_strict_to(s, n, scratch, &len)) {
		err_set(err, ERR_INVALID, "invalid token: %s is not valid base64url", what);
		return NULL;
	}
	/* the usual flat object without jansson's lexer (base/json_flat.c), else jansson */
	obj = json_flat_loadb((const char *)scratch, len, JSON_REJECT_DUPLICATES);
	if (obj == NULL)
		obj = json_loadb((const char *)scratch, len, JSON_REJECT_DUPLICATES, &jerr);
	if (obj == NULL) {
		err_set(err, ERR_INVALID, "invalid token: %s is not valid JSON: %s", what,
			jerr.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		json_decref(obj);
		err_set(err, ERR_INVALID, "invalid token: %s is not a JSON object", what);
		return NULL;
	}
	return obj;
}

int jws_parse(const char *compact, size_t len, struct jws *out, struct error *err)
{
	const char *dot1, *dot2, *sig;
	size_t hlen, plen, slen, silen, scratch_len;
	uint8_t *mem = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (compact == NULL || len == 0)
		return err_set(err, ERR_INVALID, "invalid token: empty");
	if (len > JWS_MAX_LEN)
		return err_set(err, ERR_INVALID, "invalid token: longer than %d bytes",
			       JWS_MAX_LEN);
	dot1 = memchr(compact, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - compact)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - compact)) != NULL)
		return err_set(err, ERR_INVALID,
			       "invalid token: compact JWS must have exactly three parts");
	sig = dot2 + 1;
	hlen = (size_t)(dot1 - compact);
	plen = (size_t)(dot2 - dot1 - 1);
	slen = len - (size_t)(sig - compact);
	silen = (size_t)(dot2 - compact);
	if (hlen == 0 || plen == 0)
		return err_set(err, ERR_INVALID, "invalid token: empty header or payload");

	/* one block: signing input + NUL | decoded signature | scratch for header and payload */
	scratch_len = (hlen > plen ? hlen : plen) * 3 / 4 + 1;
	mem = xmalloc(silen + 1 + slen * 3 / 4 + 1 + scratch_len);
	memcpy(mem, compact, silen);
	mem[silen] = '\0';
	out->signing_input = (char *)mem;
	out->signing_input_len = silen;
	out->sig = mem + silen + 1;
	if (!b64url_decode_strict_to(sig, slen, out->sig, &out->sig_len)) {
		err_set(err, ERR_INVALID, "invalid token: signature is not valid base64url");
		goto out;
	}
	{
		uint8_t *scratch = out->sig + slen * 3 / 4 + 1;

		out->header = part_object(compact, hlen, scratch, "header", err);
		if (out->header == NULL)
			goto out;
		if (!json_is_string(json_object_get(out->header, "alg"))) {
			err_set(err, ERR_INVALID, "invalid token: header has no \"alg\"");
			goto out;
		}
		/* RFC 7515 §4.1.11: a recipient must refuse a JWS with a critical extension it
		 * does not understand, and stride understands none (b64 included). */
		if (json_object_get(out->header, "crit") != NULL) {
			err_set(err, ERR_INVALID,
				"invalid token: unsupported critical header parameter (crit)");
			goto out;
		}
		out->payload = part_object(dot1 + 1, plen, scratch, "payload", err);
		if (out->payload == NULL)
			goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		jws_free(out);
	return rc;
}

void jws_free(struct jws *jws)
{
	if (jws == NULL)
		return;
	json_decref(jws->header);
	json_decref(jws->payload);
	free(jws->signing_input); /* sig lives in the same block */
	memset(jws, 0, sizeof(*jws));
}

/* ---- ECDSA signature encodings ------------------------------------------ */

/* JWS R||S (each size bytes) -> DER ECDSA-Sig-Value in der (ECDSA_DER_MAX bytes). */
static int ecdsa_rs_to_der(const uint8_t *rs, size_t size, uint8_t *der, size_t *der_len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)size, NULL);
	BIGNUM *s = BN_bin2bn(rs + size, (int)size, NULL);
	unsigned char *p = der;
	int n, rc = -1;

	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || n > ECDSA_DER_MAX || i2d_ECDSA_SIG(sig, &p) != n)
		goto out;
	*der_len = (size_t)n;
	rc = 0;
out:
	ECDSA_SIG_free(sig);
	return rc;
}

/* DER ECDSA-Sig-Value -> JWS R||S, each left-padded to size bytes (rs holds 2 * size). */
static int ecdsa_der_to_rs(const uint8_t *der, size_t der_len, size_t size, uint8_t *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int rc = -1;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, rs, (int)size) == (int)size &&
	    BN_bn2binpad(s, rs + size, (int)size) == (int)size)
		rc = 0;
	ECDSA_SIG_free(sig);
	return rc;
}

/* ---- verification --------------------------------------------------------- */

int jws_verify_raw(const char *name, EVP_PKEY *key, const void *signing_input,
		   size_t signing_input_len, const uint8_t *sig, size_t sig_len, struct error *err)
{
	uint8_t der[ECDSA_DER_MAX];
	const struct jws_alg *alg;
	struct jwx_key info;
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -1;

	if (name == NULL || signing_input == NULL)
		return err_set(err, ERR_UNAUTHORIZED, "invalid token: no algorithm");
	if (jwx_key_classify(key, &info, err) != 0) {
		err_reclassify(err, ERR_UNAUTHORIZED, false);
		return err_wrap(err, "cannot verify token");
	}
	alg = alg_for_key(name, &info);
	if (alg == NULL)
		return err_set(err, ERR_UNAUTHORIZED,
			       "invalid token: algorithm \"%.16s\" does not match the key (%s)",
			       name, info.alg);
	if (alg->kty == JWX_KTY_EC) {
		if (sig_len != 2 * info.curve->size)
			return err_set(err, ERR_UNAUTHORIZED,
				       "invalid token: %s signature must be %zu bytes", alg->name,
				       2 * info.curve->size);
		if (ecdsa_rs_to_der(sig, info.curve->size, der, &sig_len) != 0)
			return err_openssl(err, ERR_UNAUTHORIZED, "invalid token signature");
		sig = der;
	}
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, &pctx, alg->md, NULL, NULL, key, NULL) != 1 ||
	    (alg->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
			  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) != 1))) {
		err_openssl(err, ERR_CRYPTO, "cannot set up %s verification", alg->name);
		goto out;
	}
	if (EVP_DigestVerify(ctx, sig, sig_len, signing_input, signing_input_len) != 1) {
		ERR_clear_error();
		err_set(err, ERR_UNAUTHORIZED, "invalid token signature");
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

int jws_verify(const struct jws *jws, EVP_PKEY *key, struct error *err)
{
	const char *name = json_string_value(json_object_get(jws->header, "alg"));

	return jws_verify_raw(name, key, jws->signing_input, jws->signing_input_len, jws->sig,
			      jws->sig_len, err);
}

/* ---- signing -------------------------------------------------------------- */

/* Signs the signing input si; *sig malloc'd in JWS form (R||S for ECDSA). */
static int sign_input(const char *si, const struct jws_alg *alg, const struct jwx_key *info,
		      EVP_PKEY *key, uint8_t **sig, size_t *sig_len, struct error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int rc = -1;

	*sig = NULL;
	if (ctx == NULL || EVP_DigestSignInit_ex(ctx, &pctx, alg->md, NULL, NULL, key, NULL) != 1 ||
	    (alg->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
			  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) ||
	    EVP_DigestSign(ctx, NULL, &raw_len, (const unsigned char *)si, strlen(si)) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot sign the token with %s", alg->name);
		goto out;
	}
	raw = xmalloc(raw_len);
	if (EVP_DigestSign(ctx, raw, &raw_len, (const unsigned char *)si, strlen(si)) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot sign the token with %s", alg->name);
		goto out;
	}
	if (alg->kty == JWX_KTY_EC) {
		size_t size = info->curve->size;
		uint8_t *rs = xmalloc(2 * size);

		if (ecdsa_der_to_rs(raw, raw_len, size, rs) != 0) {
			free(rs);
			err_openssl(err, ERR_CRYPTO, "cannot convert the ECDSA signature");
			goto out;
		}
		free(raw);
		raw = rs;
		raw_len = 2 * size;
	}
	*sig = raw;
	*sig_len = raw_len;
	raw = NULL;
	rc = 0;
out:
	free(raw);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int jws_sign_alg(const json_t *extra_header, const json_t *payload, EVP_PKEY *key,
		 const char *alg_name, char **out, struct error *err)
{
	const struct jws_alg *alg;
	struct jwx_key info;
	json_t *header = NULL;
	char *hjson = NULL, *pjson = NULL, *h64 = NULL, *p64 = NULL, *s64 = NULL, *si = NULL;
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int rc = -1;

	*out = NULL;
	if (jwx_key_classify(key, &info, err) != 0)
		return err_wrap(err, "cannot sign token");
	if (alg_name == NULL)
		alg_name = info.alg;
	alg = alg_for_key(alg_name, &info);
	if (alg == NULL)
		return err_set(err, ERR_INVALID, "algorithm %s does not suit the %s key", alg_name,
			       info.alg);
	if (!json_is_object(payload) || (extra_header != NULL && !json_is_object(extra_header)))
		return err_set(err, ERR_INVALID, "token header and payload must be JSON objects");

	header = json_object();
	/* jansson has no const API: update only takes references to the members */
	if (extra_header != NULL && json_object_update(header, (json_t *)extra_header) != 0) {
		err_set(err, ERR_INTERNAL, "cannot build the token header");
		goto out;
	}
	json_object_set_new(header, "alg", json_string(alg->name));
	/* compact, keys sorted like Go's encoding of maps */
	hjson = json_dumps(header, JSON_COMPACT | JSON_SORT_KEYS);
	pjson = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	if (hjson == NULL || pjson == NULL) {
		err_set(err, ERR_INVALID, "cannot serialise the token");
		goto out;
	}
	h64 = b64url_encode(hjson, strlen(hjson));
	p64 = b64url_encode(pjson, strlen(pjson));
	if (h64 == NULL || p64 == NULL) {
		err_set(err, ERR_INTERNAL, "cannot encode the token");
		goto out;
	}
	si = xasprintf("%s.%s", h64, p64);
	if (sign_input(si, alg, &info, key, &sig, &sig_len, err) != 0)
		goto out;
	s64 = b64url_encode(sig, sig_len);
	if (s64 == NULL) {
		err_set(err, ERR_INTERNAL, "cannot encode the token");
		goto out;
	}
	*out = xasprintf("%s.%s", si, s64);
	rc = 0;
out:
	json_decref(header);
	free(hjson);
	free(pjson);
	free(h64);
	free(p64);
	free(si);
	free(sig);
	free(s64);
	return rc;
}

int jws_sign(const json_t *extra_header, const json_t *payload, EVP_PKEY *key, char **out,
	     struct error *err)
{
	return jws_sign_alg(extra_header, payload, key, NULL, out, err);
}

/* ---- claims ---------------------------------------------------------------- */

const char *jwt_claim_str(const struct jws *jws, const char *name)
{
	if (jws == NULL)
		return NULL;
	return json_string_value(json_object_get(jws->payload, name));
}

int jwt_claim_time(const struct jws *jws, const char *name, int64_t *out_sec, int *present)
{
	const json_t *v = jws != NULL ? json_object_get(jws->payload, name) : NULL;
	double d;

	*out_sec = 0;
	*present = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	*present = 1;
	if (json_is_integer(v)) {
		*out_sec = (int64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	/* a NumericDate may have a fraction; like go-jose, truncate toward zero */
	d = json_real_value(v);
	if (!(d > -9.2e18 && d < 9.2e18))
		return -1;
	*out_sec = (int64_t)d;
	return 0;
}
