/* jwk.c - JSON Web Keys (RFC 7517) to and from EVP_PKEY, RFC 7638 thumbprints.
 *
 * Written on OpenSSL 3 (EVP_PKEY_fromdata, EVP_PKEY_get_params) rather than on
 * libjose: libjose 11 has no OKP/Ed25519 keys at all, and step's provisioner
 * keys may be Ed25519. Member order and encodings are
 * those of the JWKs step writes in ca.json.
 */
#include "jose/jwk.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "jose/internal.h"

#define ED25519_SIZE 32
#define EC_MAX_SIZE  66

static const struct jwx_curve curves[] = {
    {"P-256", SN_X9_62_prime256v1, "ES256", "SHA256", 32},
    {"P-384", SN_secp384r1, "ES384", "SHA384", 48},
    {"P-521", SN_secp521r1, "ES512", "SHA512", 66},
};

const struct jwx_curve *jwx_curve_by_crv(const char *crv)
{
	for (size_t i = 0; crv != NULL && i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(curves[i].crv, crv) == 0)
			return &curves[i];
	return NULL;
}

int jwx_key_classify(EVP_PKEY *key, struct jwx_key *out, struct error *err)
{
	char group[64];
	size_t glen = 0;

	memset(out, 0, sizeof(*out));
	if (key == NULL)
		return err_set(err, ERR_INVALID, "no key");
	if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) != 1)
			return err_openssl(err, ERR_INVALID, "EC key without a named curve");
		for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
			if (strcmp(curves[i].group, group) == 0) {
				out->kty = JWX_KTY_EC;
				out->curve = &curves[i];
				out->alg = curves[i].alg;
				return 0;
			}
		}
		return err_set(err, ERR_INVALID, "unsupported elliptic curve %s", group);
	}
	if (EVP_PKEY_is_a(key, "ED25519")) {
		out->kty = JWX_KTY_OKP;
		out->alg = "EdDSA";
		return 0;
	}
	if (EVP_PKEY_is_a(key, "RSA")) {
		out->kty = JWX_KTY_RSA;
		out->alg = "RS256";
		out->bits = EVP_PKEY_get_bits(key);
		if (out->bits < 2048)
			return err_set(err, ERR_INVALID,
				       "RSA key must be at least 2048 bits, got %d", out->bits);
		return 0;
	}
	return err_set(err, ERR_INVALID, "unsupported key type %s",
		       EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
}

/* ---- JWK -> EVP_PKEY ---------------------------------------------------- */

/* Decodes the base64url member name of jwk into *out (malloc'd, wiped by the caller when
 * secret). A missing member is an error only when required; then *out stays NULL. */
static int member_bytes(const json_t *jwk, const char *name, bool required, uint8_t **out,
			size_t *len, struct error *err)
{
	const json_t *v = json_object_get(jwk, name);

	*out = NULL;
	*len = 0;
	if (v == NULL) {
		if (required)
			return err_set(err, ERR_INVALID, "invalid JWK: missing \"%s\"", name);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return err_set(err, ERR_INVALID, "invalid JWK: \"%s\" must be a non-empty string",
			       name);
	if (b64url_decode(json_string_value(v), json_string_length(v), out, len, NULL) != 0)
		return err_set(err, ERR_INVALID, "invalid JWK: \"%s\" is not valid base64url",
			       name);
	return 0;
}

static void wipe_free(uint8_t *p, size_t n)
{
	if (p != NULL)
		OPENSSL_cleanse(p, n);
	free(p);
}

/* Builds a key of type name from params; selection is EVP_PKEY_PUBLIC_KEY or EVP_PKEY_KEYPAIR.
 * Checks the public key (EC: point on the curve) and, for key pairs, that the halves match. */
static int pkey_from_params(const char *name, OSSL_PARAM_BLD *bld, int selection, bool pairwise,
			    EVP_PKEY **out, struct error *err)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (params == NULL) {
		err_openssl(err, ERR_CRYPTO, "cannot build key parameters");
		goto out;
	}
	ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot create %s key context", name);
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1) {
		err_openssl(err, ERR_INVALID, "invalid JWK: invalid %s key", name);
		goto out;
	}
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (check == NULL) {
		err_openssl(err, ERR_CRYPTO, "cannot create %s key context", name);
		goto out;
	}
	if (EVP_PKEY_public_check(check) != 1) {
		err_openssl(err, ERR_INVALID, "invalid JWK: invalid %s public key", name);
		goto out;
	}
	if (pairwise && EVP_PKEY_pairwise_check(check) != 1) {
		err_openssl(err, ERR_INVALID,
			    "invalid JWK: private key does not match the public key");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params); /* clears the secure part holding private values */
	return rc;
}

static int ec_from_jwk(const json_t *jwk, EVP_PKEY **out, struct error *err)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const struct jwx_curve *c = jwx_curve_by_crv(crv);
	uint8_t *x = NULL, *y = NULL, *d = NULL, point[1 + 2 * EC_MAX_SIZE];
	size_t xlen, ylen, dlen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *priv = NULL;
	int rc = -1;

	if (c == NULL) {
		err_set(err, ERR_INVALID, "invalid JWK: unsupported EC curve \"%.32s\"",
			crv != NULL ? crv : "");
		goto out;
	}
	if (member_bytes(jwk, "x", true, &x, &xlen, err) != 0 ||
	    member_bytes(jwk, "y", true, &y, &ylen, err) != 0 ||
	    member_bytes(jwk, "d", false, &d, &dlen, err) != 0)
		goto out;
	if (xlen != c->size || ylen != c->size) {
		err_set(err, ERR_INVALID, "invalid JWK: %s coordinates must be %zu bytes", c->crv,
			c->size);
		goto out;
	}
	if (d != NULL && dlen != c->size) {
		err_set(err, ERR_INVALID, "invalid JWK: %s \"d\" must be %zu bytes", c->crv,
			c->size);
		goto out;
	}
	point[0] = 0x04; /* uncompressed */
	memcpy(point + 1, x, c->size);
	memcpy(point + 1 + c->size, y, c->size);
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, c->group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
					      1 + 2 * c->size)) {
		err_openssl(err, ERR_CRYPTO, "cannot build EC key parameters");
		goto out;
	}
	if (d != NULL) {
		priv = BN_secure_new();
		if (priv == NULL || BN_bin2bn(d, (int)dlen, priv) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) {
			err_openssl(err, ERR_CRYPTO, "cannot build EC key parameters");
			goto out;
		}
	}
	rc = pkey_from_params("EC", bld, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
			      d != NULL, out, err);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(priv);
	free(x);
	free(y);
	wipe_free(d, dlen);
	return rc;
}

/* Ed25519 keys go through the raw-key constructors: OSSL_PARAM_BLD has no secure octet
 * strings in OpenSSL 3.0, so a private key pushed there would be freed without wiping. */
static int okp_from_jwk(const json_t *jwk, EVP_PKEY **out, struct error *err)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	uint8_t *x = NULL, *d = NULL, pub[ED25519_SIZE];
	size_t xlen, dlen = 0, publen = sizeof(pub);
	EVP_PKEY *pkey = NULL;
	int rc = -1;

	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		err_set(err, ERR_INVALID, "invalid JWK: unsupported OKP curve \"%.32s\"",
			crv != NULL ? crv : "");
		goto out;
	}
	if (member_bytes(jwk, "x", true, &x, &xlen, err) != 0 ||
	    member_bytes(jwk, "d", false, &d, &dlen, err) != 0)
		goto out;
	if (xlen != ED25519_SIZE || (d != NULL && dlen != ED25519_SIZE)) {
		err_set(err, ERR_INVALID, "invalid JWK: Ed25519 \"x\" and \"d\" must be %d bytes",
			ED25519_SIZE);
		goto out;
	}
	if (d != NULL)
		pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dlen);
	else
		pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
	if (pkey == NULL) {
		err_openssl(err, ERR_INVALID, "invalid JWK: invalid Ed25519 key");
		goto out;
	}
	/* the public key derived from d must be x */
	if (d != NULL && (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 || publen != xlen ||
			  CRYPTO_memcmp(pub, x, xlen) != 0)) {
		err_set(err, ERR_INVALID, "invalid JWK: private key does not match the public key");
		goto out;
	}
	*out = pkey;
	pkey = NULL;
	rc = 0;
out:
	EVP_PKEY_free(pkey);
	free(x);
	wipe_free(d, dlen);
	return rc;
}

enum { RSA_N, RSA_E, RSA_D, RSA_P, RSA_Q, RSA_DP, RSA_DQ, RSA_QI, RSA_NPARTS };

static const char *const rsa_members[RSA_NPARTS] = {"n", "e", "d", "p", "q", "dp", "dq", "qi"};
static const char *const rsa_params[RSA_NPARTS] = {
    OSSL_PKEY_PARAM_RSA_N,	   OSSL_PKEY_PARAM_RSA_E,
    OSSL_PKEY_PARAM_RSA_D,	   OSSL_PKEY_PARAM_RSA_FACTOR1,
    OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_EXPONENT1,
    OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
};

/* Fills in dp, dq and qi from d, p and q (RFC 7518 lets a JWK omit them). */
static int rsa_crt_params(BIGNUM *bn[RSA_NPARTS], struct error *err)
{
	BN_CTX *ctx = BN_CTX_secure_new();
	BIGNUM *t = BN_secure_new();
	int rc = -1;

	for (int i = RSA_DP; i <= RSA_QI; i++) {
		BN_clear_free(bn[i]);
		bn[i] = BN_secure_new();
		if (bn[i] == NULL)
			goto fail;
	}
	if (ctx == NULL || t == NULL || BN_sub(t, bn[RSA_P], BN_value_one()) != 1 ||
	    BN_mod(bn[RSA_DP], bn[RSA_D], t, ctx) != 1 ||
	    BN_sub(t, bn[RSA_Q], BN_value_one()) != 1 ||
	    BN_mod(bn[RSA_DQ], bn[RSA_D], t, ctx) != 1 ||
	    BN_mod_inverse(bn[RSA_QI], bn[RSA_Q], bn[RSA_P], ctx) == NULL)
		goto fail;
	rc = 0;
	goto out;
fail:
	err_openssl(err, ERR_INVALID, "invalid JWK: invalid RSA private key");
out:
	BN_clear_free(t);
	BN_CTX_free(ctx);
	return rc;
}

static int rsa_from_jwk(const json_t *jwk, EVP_PKEY **out, struct error *err)
{
	BIGNUM *bn[RSA_NPARTS] = {0};
	OSSL_PARAM_BLD *bld = NULL;
	BN_CTX *ctx = NULL;
	BIGNUM *pq = NULL;
	bool priv;
	int rc = -1, nparts;

	if (json_object_get(jwk, "oth") != NULL) {
		err_set(err, ERR_INVALID, "invalid JWK: multi-prime RSA keys are not supported");
		goto out;
	}
	priv = json_object_get(jwk, "d") != NULL;
	nparts = priv ? RSA_NPARTS : RSA_D;
	for (int i = 0; i < nparts; i++) {
		uint8_t *raw = NULL;
		size_t len = 0;
		/* n, e; and for a private key d, p, q; dp, dq, qi may be derived */
		bool required = i < RSA_DP;

		if (member_bytes(jwk, rsa_members[i], required, &raw, &len, err) != 0)
			goto out;
		if (raw == NULL)
			continue;
		bn[i] = i >= RSA_D ? BN_secure_new() : BN_new();
		if (bn[i] == NULL || BN_bin2bn(raw, (int)len, bn[i]) == NULL) {
			wipe_free(raw, len);
			err_openssl(err, ERR_CRYPTO, "cannot decode RSA parameter");
			goto out;
		}
		wipe_free(raw, len);
	}
	if (priv) {
		ctx = BN_CTX_new();
		pq = BN_new();
		if (ctx == NULL || pq == NULL || BN_mul(pq, bn[RSA_P], bn[RSA_Q], ctx) != 1) {
			err_openssl(err, ERR_CRYPTO, "cannot check RSA key");
			goto out;
		}
		if (BN_cmp(pq, bn[RSA_N]) != 0) {
			err_set(err, ERR_INVALID,
				"invalid JWK: RSA \"p\" and \"q\" do not match \"n\"");
			goto out;
		}
		if ((bn[RSA_DP] == NULL || bn[RSA_DQ] == NULL || bn[RSA_QI] == NULL) &&
		    rsa_crt_params(bn, err) != 0)
			goto out;
	}
	if (BN_num_bits(bn[RSA_N]) < 2048) {
		err_set(err, ERR_INVALID, "invalid JWK: RSA key must be at least 2048 bits, got %d",
			BN_num_bits(bn[RSA_N]));
		goto out;
	}
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL) {
		err_openssl(err, ERR_CRYPTO, "cannot build RSA key parameters");
		goto out;
	}
	for (int i = 0; i < nparts; i++) {
		if (!OSSL_PARAM_BLD_push_BN(bld, rsa_params[i], bn[i])) {
			err_openssl(err, ERR_CRYPTO, "cannot build RSA key parameters");
			goto out;
		}
	}
	/* RSA pairwise checks run primality tests: too slow for key loading; n = p*q was
	 * checked above and a wrong CRT value would only make signatures fail to verify. */
	rc = pkey_from_params("RSA", bld, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, false, out,
			      err);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(pq);
	BN_CTX_free(ctx);
	for (int i = 0; i < RSA_NPARTS; i++)
		BN_clear_free(bn[i]);
	return rc;
}

int jwk_to_pkey(const json_t *jwk, EVP_PKEY **out, struct error *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));

	*out = NULL;
	if (!json_is_object(jwk))
		return err_set(err, ERR_INVALID, "invalid JWK: not a JSON object");
	if (kty == NULL)
		return err_set(err, ERR_INVALID, "invalid JWK: missing \"kty\"");
	if (strcmp(kty, "EC") == 0)
		return ec_from_jwk(jwk, out, err);
	if (strcmp(kty, "OKP") == 0)
		return okp_from_jwk(jwk, out, err);
	if (strcmp(kty, "RSA") == 0)
		return rsa_from_jwk(jwk, out, err);
	return err_set(err, ERR_INVALID, "invalid JWK: unsupported key type \"%.32s\"", kty);
}

/* ---- EVP_PKEY -> JWK ---------------------------------------------------- */

/* base64url of a big number, left-padded with zeros to pad bytes (0 = minimal length).
 * malloc'd; NULL on failure. */
static char *bn_b64(const BIGNUM *bn, size_t pad)
{
	size_t n = pad != 0 ? pad : (size_t)BN_num_bytes(bn);
	uint8_t *raw;
	char *s = NULL;

	if (n == 0)
		n = 1; /* zero is encoded as one zero byte */
	raw = xmalloc(n);
	if (BN_bn2binpad(bn, raw, (int)n) == (int)n)
		s = b64url_encode(raw, n);
	OPENSSL_cleanse(raw, n);
	free(raw);
	return s;
}

/* base64url of the big-number parameter name of key; NULL when absent. */
static char *param_b64(EVP_PKEY *key, const char *name, size_t pad)
{
	BIGNUM *bn = NULL;
	char *s;

	if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) {
		ERR_clear_error();
		return NULL;
	}
	s = bn_b64(bn, pad);
	BN_clear_free(bn);
	return s;
}

/* The public members of a key as JWK strings. */
struct jwk_pub {
	struct jwx_key info;
	char *x, *y; /* EC, OKP (x only) */
	char *n, *e; /* RSA */
};

static void jwk_pub_free(struct jwk_pub *p)
{
	free(p->x);
	free(p->y);
	free(p->n);
	free(p->e);
	memset(p, 0, sizeof(*p));
}

static int jwk_pub_get(EVP_PKEY *key, struct jwk_pub *p, struct error *err)
{
	uint8_t raw[ED25519_SIZE];
	size_t len = sizeof(raw);
	bool ok = false;

	memset(p, 0, sizeof(*p));
	if (jwx_key_classify(key, &p->info, err) != 0)
		return -1;
	switch (p->info.kty) {
	case JWX_KTY_EC:
		p->x = param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, p->info.curve->size);
		p->y = param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, p->info.curve->size);
		ok = p->x != NULL && p->y != NULL;
		break;
	case JWX_KTY_OKP:
		if (EVP_PKEY_get_raw_public_key(key, raw, &len) == 1 && len == sizeof(raw))
			p->x = b64url_encode(raw, len);
		ok = p->x != NULL;
		break;
	case JWX_KTY_RSA:
		p->n = param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
		p->e = param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
		ok = p->n != NULL && p->e != NULL;
		break;
	}
	if (!ok) {
		jwk_pub_free(p);
		return err_openssl(err, ERR_CRYPTO, "cannot read the public key");
	}
	return 0;
}

static int thumbprint_of(const struct jwk_pub *p, char out[44], struct error *err)
{
	unsigned char md[32];
	char *canon = NULL, *b64 = NULL;
	int rc = -1;

	/* RFC 7638 §3.2: required members only, lexicographic order, no whitespace; the
	 * values are base64url or fixed names, so no JSON escaping is needed. */
	switch (p->info.kty) {
	case JWX_KTY_EC:
		canon = xasprintf("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
				  p->info.curve->crv, p->x, p->y);
		break;
	case JWX_KTY_OKP:
		canon = xasprintf("{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", p->x);
		break;
	case JWX_KTY_RSA:
		canon = xasprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", p->e, p->n);
		break;
	}
	if (EVP_Digest(canon, strlen(canon), md, NULL, EVP_sha256(), NULL) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot compute the JWK thumbprint");
		goto out;
	}
	b64 = b64url_encode(md, sizeof(md));
	if (b64 == NULL || strlen(b64) != 43) {
		err_set(err, ERR_INTERNAL, "cannot encode the JWK thumbprint");
		goto out;
	}
	memcpy(out, b64, 44);
	rc = 0;
out:
	free(canon);
	free(b64);
	return rc;
}

int jwk_thumbprint(EVP_PKEY *key, char out[44], struct error *err)
{
	struct jwk_pub p;
	int rc;

	out[0] = '\0';
	if (jwk_pub_get(key, &p, err) != 0)
		return -1;
	rc = thumbprint_of(&p, out, err);
	jwk_pub_free(&p);
	return rc;
}

/* Sets member name of obj to the base64url string s (taking it, wiped first when secret). */
static int set_secret(json_t *obj, const char *name, char *s)
{
	int rc;

	if (s == NULL)
		return -1;
	rc = json_object_set_new(obj, name, json_string(s));
	OPENSSL_cleanse(s, strlen(s));
	free(s);
	return rc;
}

static int add_private(json_t *jwk, EVP_PKEY *key, const struct jwx_key *info)
{
	uint8_t raw[ED25519_SIZE];
	size_t len = sizeof(raw);
	char *s;

	switch (info->kty) {
	case JWX_KTY_EC:
		return set_secret(jwk, "d",
				  param_b64(key, OSSL_PKEY_PARAM_PRIV_KEY, info->curve->size));
	case JWX_KTY_OKP:
		if (EVP_PKEY_get_raw_private_key(key, raw, &len) != 1 || len != sizeof(raw)) {
			ERR_clear_error();
			return -1;
		}
		s = b64url_encode(raw, len);
		OPENSSL_cleanse(raw, sizeof(raw));
		return set_secret(jwk, "d", s);
	case JWX_KTY_RSA:
		for (int i = RSA_D; i < RSA_NPARTS; i++)
			if (set_secret(jwk, rsa_members[i], param_b64(key, rsa_params[i], 0)) != 0)
				return -1;
		return 0;
	}
	return -1;
}

json_t *jwk_from_pkey(EVP_PKEY *key, bool include_private, struct error *err)
{
	struct jwk_pub p;
	char kid[44];
	json_t *jwk = NULL;

	if (jwk_pub_get(key, &p, err) != 0)
		return NULL;
	if (thumbprint_of(&p, kid, err) != 0)
		goto out;
	/* step's member order: use, kty, kid, crv, alg, then the key material */
	jwk = json_object();
	json_object_set_new(jwk, "use", json_string("sig"));
	switch (p.info.kty) {
	case JWX_KTY_EC:
		json_object_set_new(jwk, "kty", json_string("EC"));
		json_object_set_new(jwk, "kid", json_string(kid));
		json_object_set_new(jwk, "crv", json_string(p.info.curve->crv));
		json_object_set_new(jwk, "alg", json_string(p.info.alg));
		json_object_set_new(jwk, "x", json_string(p.x));
		json_object_set_new(jwk, "y", json_string(p.y));
		break;
	case JWX_KTY_OKP:
		json_object_set_new(jwk, "kty", json_string("OKP"));
		json_object_set_new(jwk, "kid", json_string(kid));
		json_object_set_new(jwk, "crv", json_string("Ed25519"));
		json_object_set_new(jwk, "alg", json_string(p.info.alg));
		json_object_set_new(jwk, "x", json_string(p.x));
		break;
	case JWX_KTY_RSA:
		json_object_set_new(jwk, "kty", json_string("RSA"));
		json_object_set_new(jwk, "kid", json_string(kid));
		json_object_set_new(jwk, "alg", json_string(p.info.alg));
		json_object_set_new(jwk, "n", json_string(p.n));
		json_object_set_new(jwk, "e", json_string(p.e));
		break;
	}
	if (include_private && add_private(jwk, key, &p.info) != 0) {
		err_openssl(err, ERR_INVALID, "cannot read the private key");
		json_decref(jwk);
		jwk = NULL;
	}
out:
	jwk_pub_free(&p);
	return jwk;
}
