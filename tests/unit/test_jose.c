/* test_jose.c - JWK, JWS/JWT and password JWE.
 *
 * Known vectors in tests/data/jose/:
 *  - rfc7638_rsa.json: the RSA key of RFC 7638 §3.1 (thumbprint given by the RFC).
 *  - rfc7515_a3.json: the ES256 key and JWS of RFC 7515 Appendix A.3.
 *  - jwe_a256gcm.json, jwe_a128gcm.json: password JWEs produced independently of this
 *    code by a short python3 script on the `cryptography` package (PBKDF2HMAC-SHA256
 *    over "PBES2-HS256+A128KW\0" || p2s, aes_key_wrap, AESGCM with the header's
 *    base64url as AAD; header built by json.dumps in step's member order), p2c 100000.
 *    Only the outputs (JWE, password, plaintext) are kept.
 *  - an EC JWK written by step: our output must match it byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/str.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

enum { K_P256, K_P384, K_P521, K_ED25519, K_RSA, NKEYS };

static EVP_PKEY *keys[NKEYS];

static const struct {
	const char *alg, *crv, *order_priv, *order_pub;
	size_t coord_chars;
} key_facts[NKEYS] = {
    {"ES256", "P-256", "use,kty,kid,crv,alg,x,y,d", "use,kty,kid,crv,alg,x,y", 43},
    {"ES384", "P-384", "use,kty,kid,crv,alg,x,y,d", "use,kty,kid,crv,alg,x,y", 64},
    {"ES512", "P-521", "use,kty,kid,crv,alg,x,y,d", "use,kty,kid,crv,alg,x,y", 88},
    {"EdDSA", "Ed25519", "use,kty,kid,crv,alg,x,d", "use,kty,kid,crv,alg,x", 43},
    {"RS256", NULL, "use,kty,kid,alg,n,e,d,p,q,dp,dq,qi", "use,kty,kid,alg,n,e", 0},
};

static int setup_keys(void **state)
{
	(void)state;
	keys[K_P256] = EVP_EC_gen("P-256");
	keys[K_P384] = EVP_EC_gen("P-384");
	keys[K_P521] = EVP_EC_gen("P-521");
	keys[K_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	for (int i = 0; i < NKEYS; i++)
		if (keys[i] == NULL)
			return -1;
	return 0;
}

static int teardown_keys(void **state)
{
	(void)state;
	for (int i = 0; i < NKEYS; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* ---- helpers ---- */

static json_t *J(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, 0, &jerr);
	if (v == NULL)
		fail_msg("bad JSON in test: %s", jerr.text);
	return v;
}

static json_t *load(const char *name)
{
	char path[512];
	json_error_t jerr;
	json_t *v;

	snprintf(path, sizeof(path), "%s/jose/%s", TEST_DATA_DIR, name);
	v = json_load_file(path, 0, &jerr);
	if (v == NULL)
		fail_msg("cannot load %s: %s", path, jerr.text);
	return v;
}

/* Comma-separated member names of obj in order. */
static char *member_order(const json_t *obj)
{
	static char buf[256];
	const char *k;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach((json_t *)obj, k, v)
	{
		if (buf[0] != '\0')
			strcat(buf, ",");
		strcat(buf, k);
	}
	return buf;
}

static const char *jstr(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

/* Copy of compact with part idx (dot-separated) replaced by repl; malloc'd. */
static char *replace_part(const char *compact, int idx, const char *repl)
{
	size_t n = strlen(compact) + strlen(repl) + 1;
	char *out = xmalloc(n);
	const char *p = compact;
	int i = 0;

	out[0] = '\0';
	while (p != NULL) {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);

		if (i > 0)
			strcat(out, ".");
		if (i == idx)
			strcat(out, repl);
		else
			strncat(out, p, len);
		p = dot != NULL ? dot + 1 : NULL;
		i++;
	}
	return out;
}

/* Decoded part idx of a compact serialization as a malloc'd NUL-terminated string. */
static char *decode_part(const char *compact, int idx, size_t *len_out)
{
	const char *p = compact, *dot;
	uint8_t *raw = NULL;
	size_t len = 0;
	char *s;

	for (int i = 0; i < idx; i++)
		p = strchr(p, '.') + 1;
	dot = strchr(p, '.');
	len = dot != NULL ? (size_t)(dot - p) : strlen(p);
	if (len > 0)
		assert_int_equal(b64url_decode(p, len, &raw, &len, NULL), 0);
	s = xmalloc(len + 1);
	if (len > 0)
		memcpy(s, raw, len);
	s[len] = '\0';
	free(raw);
	if (len_out != NULL)
		*len_out = len;
	return s;
}

static char *b64u_str(const char *s)
{
	return b64url_encode(s, strlen(s));
}

static void assert_verifies(const char *token, EVP_PKEY *key)
{
	struct error err = {0};
	struct jws jws = {0};

	if (jws_parse(token, strlen(token), &jws, &err) != 0)
		fail_msg("parse: %s", err.msg);
	if (jws_verify(&jws, key, &err) != 0)
		fail_msg("verify: %s", err.msg);
	jws_free(&jws);
}

/* Parses token (must succeed) and expects verification to fail with ERR_UNAUTHORIZED and a
 * message containing want. */
static void assert_verify_fails(const char *token, EVP_PKEY *key, const char *want)
{
	struct error err = {0};
	struct jws jws = {0};

	if (jws_parse(token, strlen(token), &jws, &err) != 0)
		fail_msg("parse: %s", err.msg);
	assert_int_equal(jws_verify(&jws, key, &err), -1);
	assert_int_equal(err.kind, ERR_UNAUTHORIZED);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	jws_free(&jws);
}

static void assert_parse_fails(const char *token, size_t len, const char *want)
{
	struct error err = {0};
	struct jws jws = {0};

	assert_int_equal(jws_parse(token, len, &jws, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	assert_null(jws.header);
	assert_null(jws.signing_input);
	jws_free(&jws);
}

static char *sign_or_fail(const char *header, const char *payload, EVP_PKEY *key, const char *alg)
{
	json_t *h = header != NULL ? J(header) : NULL, *p = J(payload);
	struct error err = {0};
	char *out = NULL;

	if (jws_sign_alg(h, p, key, alg, &out, &err) != 0)
		fail_msg("sign: %s", err.msg);
	json_decref(h);
	json_decref(p);
	return out;
}

/* Verifies token with OpenSSL alone, not jws_verify: md NULL for EdDSA; ec_size for R||S;
 * pss with the salt length RFC 7518 §3.5 prescribes (the hash size). */
static void independent_verify(const char *token, EVP_PKEY *key, const char *md, size_t ec_size,
			       bool pss)
{
	const char *dot = strrchr(token, '.');
	size_t len;
	char *sig = decode_part(token, 2, &len);
	const uint8_t *s = (const uint8_t *)sig;
	uint8_t der[256];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;

	if (ec_size != 0) {
		ECDSA_SIG *es = ECDSA_SIG_new();
		unsigned char *p = der;

		assert_int_equal(len, 2 * ec_size);
		assert_int_equal(ECDSA_SIG_set0(es, BN_bin2bn(s, (int)ec_size, NULL),
						BN_bin2bn(s + ec_size, (int)ec_size, NULL)),
				 1);
		len = (size_t)i2d_ECDSA_SIG(es, &p);
		ECDSA_SIG_free(es);
		s = der;
	}
	assert_int_equal(EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL), 1);
	if (pss) {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(
	    EVP_DigestVerify(ctx, s, len, (const uint8_t *)token, (size_t)(dot - token)), 1);
	EVP_MD_CTX_free(ctx);
	free(sig);
}

/* ---- JWK ---- */

static void test_thumbprint_rfc7638(void **state)
{
	json_t *jwk = load("rfc7638_rsa.json"), *pub;
	struct error err = {0};
	EVP_PKEY *key = NULL;
	char thumb[44];
	(void)state;

	if (jwk_to_pkey(jwk, &key, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(jwk_thumbprint(key, thumb, &err), 0);
	assert_string_equal(thumb, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	pub = jwk_from_pkey(key, false, &err);
	assert_non_null(pub);
	assert_string_equal(member_order(pub), "use,kty,kid,alg,n,e");
	assert_string_equal(jstr(pub, "kid"), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
	assert_string_equal(jstr(pub, "n"), jstr(jwk, "n"));
	assert_string_equal(jstr(pub, "e"), "AQAB");
	assert_string_equal(jstr(pub, "alg"), "RS256");
	assert_string_equal(jstr(pub, "use"), "sig");
	json_decref(pub);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

/* A public provisioner JWK as step writes it: we reproduce it exactly. */
static void test_jwk_step_example(void **state)
{
	const char *text =
	    "{\"use\":\"sig\",\"kty\":\"EC\",\"kid\":\"iOgxC-9U53gnfL7zXoWc0WpHdY6EQdSiFAG34Z1_"
	    "OZQ\",\"crv\":\"P-256\",\"alg\":\"ES256\",\"x\":"
	    "\"XHGpD2CPQMkJdJ6RV0imFDVpuyS12vPrqvgjTVsCO94\",\"y\":"
	    "\"nwLSzCSRcbNkMePfAQTR21-yqfU43L9NPiNIUryCxcg\"}";
	json_t *jwk = J(text), *back;
	struct error err = {0};
	EVP_PKEY *key = NULL;
	char *dumped;
	(void)state;

	if (jwk_to_pkey(jwk, &key, &err) != 0)
		fail_msg("%s", err.msg);
	back = jwk_from_pkey(key, false, &err);
	assert_non_null(back);
	dumped = json_dumps(back, JSON_COMPACT);
	assert_string_equal(dumped, text);
	free(dumped);
	json_decref(back);
	json_decref(jwk);
	EVP_PKEY_free(key);
}

static void check_roundtrip(int i)
{
	struct error err = {0};
	json_t *priv, *pub;
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	char thumb[44], *token;

	priv = jwk_from_pkey(keys[i], true, &err);
	pub = jwk_from_pkey(keys[i], false, &err);
	assert_non_null(priv);
	assert_non_null(pub);
	assert_string_equal(member_order(priv), key_facts[i].order_priv);
	assert_string_equal(member_order(pub), key_facts[i].order_pub);
	assert_string_equal(jstr(priv, "use"), "sig");
	assert_string_equal(jstr(priv, "alg"), key_facts[i].alg);
	if (key_facts[i].crv != NULL)
		assert_string_equal(jstr(priv, "crv"), key_facts[i].crv);
	if (key_facts[i].coord_chars != 0) {
		assert_int_equal(strlen(jstr(priv, "x")), key_facts[i].coord_chars);
		assert_int_equal(strlen(jstr(priv, "d")), key_facts[i].coord_chars);
		if (json_object_get(priv, "y") != NULL)
			assert_int_equal(strlen(jstr(priv, "y")), key_facts[i].coord_chars);
	}
	assert_int_equal(jwk_thumbprint(keys[i], thumb, &err), 0);
	assert_int_equal(strlen(thumb), 43);
	assert_string_equal(jstr(priv, "kid"), thumb);
	assert_string_equal(jstr(pub, "kid"), thumb);

	if (jwk_to_pkey(priv, &k1, &err) != 0 || jwk_to_pkey(pub, &k2, &err) != 0)
		fail_msg("key %d: %s", i, err.msg);
	assert_int_equal(EVP_PKEY_eq(k1, keys[i]), 1);
	assert_int_equal(EVP_PKEY_eq(k2, keys[i]), 1);
	/* the private half came back too: sign with it, verify with the original */
	token = sign_or_fail(NULL, "{\"sub\":\"x\"}", k1, NULL);
	assert_verifies(token, keys[i]);
	assert_verifies(token, k2);
	free(token);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	json_decref(priv);
	json_decref(pub);
}

static void test_jwk_roundtrip(void **state)
{
	(void)state;
	for (int i = 0; i < NKEYS; i++)
		check_roundtrip(i);
}

/* P-256 keys whose x, y or d has a leading zero byte still get 32-byte members. */
static void test_jwk_ec_padding(void **state)
{
	static const char *const names[3] = {"x", "y", "d"};
	static const char *const params[3] = {OSSL_PKEY_PARAM_EC_PUB_X, OSSL_PKEY_PARAM_EC_PUB_Y,
					      OSSL_PKEY_PARAM_PRIV_KEY};
	struct error err = {0};
	bool seen[3] = {false, false, false};
	(void)state;

	for (int tries = 0; tries < 50000 && !(seen[0] && seen[1] && seen[2]); tries++) {
		EVP_PKEY *key = EVP_EC_gen("P-256"), *back = NULL;
		json_t *jwk = NULL;

		assert_non_null(key);
		for (int i = 0; i < 3; i++) {
			BIGNUM *bn = NULL;
			bool shorter;

			assert_int_equal(EVP_PKEY_get_bn_param(key, params[i], &bn), 1);
			shorter = BN_num_bytes(bn) < 32;
			BN_clear_free(bn);
			if (!shorter || seen[i])
				continue;
			seen[i] = true;
			jwk = jwk_from_pkey(key, true, &err);
			assert_non_null(jwk);
			assert_int_equal(strlen(jstr(jwk, names[i])), 43);
			assert_int_equal(jwk_to_pkey(jwk, &back, &err), 0);
			assert_int_equal(EVP_PKEY_eq(back, key), 1);
			EVP_PKEY_free(back);
			json_decref(jwk);
		}
		EVP_PKEY_free(key);
	}
	assert_true(seen[0] && seen[1] && seen[2]);
}

/* RFC 7518 lets an RSA private JWK omit dp, dq and qi. */
static void test_jwk_rsa_without_crt(void **state)
{
	struct error err = {0};
	json_t *jwk = jwk_from_pkey(keys[K_RSA], true, &err);
	EVP_PKEY *back = NULL;
	char *token;
	(void)state;

	assert_non_null(jwk);
	json_object_del(jwk, "dp");
	json_object_del(jwk, "dq");
	json_object_del(jwk, "qi");
	if (jwk_to_pkey(jwk, &back, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(EVP_PKEY_eq(back, keys[K_RSA]), 1);
	token = sign_or_fail(NULL, "{\"sub\":\"x\"}", back, NULL);
	assert_verifies(token, keys[K_RSA]);
	free(token);
	EVP_PKEY_free(back);
	json_decref(jwk);
}

static void expect_bad_jwk(json_t *jwk, const char *want)
{
	struct error err = {0};
	EVP_PKEY *key = NULL;

	assert_int_equal(jwk_to_pkey(jwk, &key, &err), -1);
	assert_null(key);
	assert_int_equal(err.kind, ERR_INVALID);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
	json_decref(jwk);
}

/* jwk with member name set to the base64url of the decoded value with its last byte changed. */
static json_t *tweak(const json_t *orig, const char *name)
{
	json_t *jwk = json_deep_copy(orig);
	const char *v = jstr(jwk, name);
	uint8_t *raw = NULL;
	size_t len = 0;
	char *s;

	assert_int_equal(b64url_decode(v, strlen(v), &raw, &len, NULL), 0);
	raw[len - 1] ^= 0x01;
	s = b64url_encode(raw, len);
	json_object_set_new(jwk, name, json_string(s));
	free(s);
	free(raw);
	return jwk;
}

static void test_jwk_invalid(void **state)
{
	struct error err = {0};
	json_t *ec = jwk_from_pkey(keys[K_P256], true, &err);
	json_t *ed = jwk_from_pkey(keys[K_ED25519], true, &err);
	json_t *rsa = jwk_from_pkey(keys[K_RSA], true, &err);
	json_t *other = jwk_from_pkey(keys[K_P384], true, &err);
	json_t *j;
	EVP_PKEY *small;
	(void)state;

	assert_non_null(ec);
	assert_non_null(ed);
	assert_non_null(rsa);

	/* a point that is not on the curve (public key only, and with its private key) */
	j = tweak(ec, "y");
	json_object_del(j, "d");
	expect_bad_jwk(j, "invalid EC");
	expect_bad_jwk(tweak(ec, "y"), "invalid");
	/* private key that does not belong to the public key */
	expect_bad_jwk(tweak(ec, "d"), "does not match");
	expect_bad_jwk(tweak(ed, "d"), "does not match");
	expect_bad_jwk(tweak(ed, "x"), "does not match");

	j = json_deep_copy(ec);
	json_object_del(j, "y");
	expect_bad_jwk(j, "missing \"y\"");
	j = json_deep_copy(ec);
	json_object_set_new(j, "x", json_string("AQAB"));
	expect_bad_jwk(j, "must be 32 bytes");
	j = json_deep_copy(ec);
	json_object_set_new(j, "x", json_string("!!!!"));
	expect_bad_jwk(j, "\"x\" is not valid base64url");
	j = json_deep_copy(ec);
	json_object_set_new(j, "x", json_integer(5));
	expect_bad_jwk(j, "\"x\" must be a non-empty string");
	j = json_deep_copy(ec);
	json_object_set_new(j, "crv", json_string("P-192"));
	expect_bad_jwk(j, "unsupported EC curve \"P-192\"");
	/* P-384 coordinates under a P-256 name */
	j = json_deep_copy(other);
	json_object_set_new(j, "crv", json_string("P-256"));
	expect_bad_jwk(j, "must be 32 bytes");
	j = json_deep_copy(ec);
	json_object_del(j, "kty");
	expect_bad_jwk(j, "missing \"kty\"");
	j = json_deep_copy(ec);
	json_object_set_new(j, "kty", json_string("oct"));
	expect_bad_jwk(j, "unsupported key type \"oct\"");
	expect_bad_jwk(J("[1,2]"), "not a JSON object");

	j = json_deep_copy(ed);
	json_object_set_new(j, "crv", json_string("X25519"));
	expect_bad_jwk(j, "unsupported OKP curve");
	j = json_deep_copy(ed);
	json_object_set_new(j, "x", json_string("AQAB"));
	expect_bad_jwk(j, "must be 32 bytes");

	j = json_deep_copy(rsa);
	json_object_del(j, "q");
	expect_bad_jwk(j, "missing \"q\"");
	j = json_deep_copy(rsa);
	json_object_del(j, "e");
	expect_bad_jwk(j, "missing \"e\"");
	expect_bad_jwk(tweak(rsa, "p"), "do not match");

	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(small);
	assert_null(jwk_from_pkey(small, false, &err));
	assert_int_equal(err.kind, ERR_INVALID);
	j = J("{\"kty\":\"RSA\",\"n\":\"\",\"e\":\"AQAB\"}");
	{
		BIGNUM *n = NULL;
		uint8_t raw[128];
		char *s;

		assert_int_equal(EVP_PKEY_get_bn_param(small, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		assert_int_equal(BN_bn2binpad(n, raw, sizeof(raw)), (int)sizeof(raw));
		s = b64url_encode(raw, sizeof(raw));
		json_object_set_new(j, "n", json_string(s));
		free(s);
		BN_free(n);
	}
	expect_bad_jwk(j, "at least 2048 bits");
	EVP_PKEY_free(small);

	json_decref(ec);
	json_decref(ed);
	json_decref(rsa);
	json_decref(other);
}

/* ---- JWS ---- */

static void test_jws_roundtrip(void **state)
{
	struct error err = {0};
	(void)state;

	for (int i = 0; i < NKEYS; i++) {
		struct jws jws = {0};
		char *token = sign_or_fail("{\"typ\":\"JWT\",\"kid\":\"k1\",\"alg\":\"ignored\"}",
					   "{\"sub\":\"foo\",\"aud\":\"https://ca/1.0/sign\","
					   "\"exp\":1795316263,\"iat\":1795315963}",
					   keys[i], NULL);
		char *hdr = decode_part(token, 0, NULL), *pl = decode_part(token, 1, NULL);
		char want[128];

		/* compact, sorted, alg from the key whatever the caller put there */
		snprintf(want, sizeof(want), "{\"alg\":\"%s\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
			 key_facts[i].alg);
		assert_string_equal(hdr, want);
		assert_string_equal(pl, "{\"aud\":\"https://ca/1.0/sign\",\"exp\":1795316263,"
					"\"iat\":1795315963,\"sub\":\"foo\"}");
		assert_int_equal(jws_parse(token, strlen(token), &jws, &err), 0);
		assert_int_equal(jws_verify(&jws, keys[i], &err), 0);
		assert_string_equal(jwt_claim_str(&jws, "sub"), "foo");
		assert_string_equal(json_string_value(json_object_get(jws.header, "kid")), "k1");
		{
			static const char *const mds[NKEYS] = {"SHA256", "SHA384", "SHA512", NULL,
							       "SHA256"};
			static const size_t sizes[NKEYS] = {32, 48, 66, 0, 0};
			independent_verify(token, keys[i], mds[i], sizes[i], false);
		}
		jws_free(&jws);
		free(hdr);
		free(pl);
		free(token);
	}
	/* RSA with the other algorithms step can verify */
	{
		const char *algs[] = {"RS384", "RS512", "PS256", "PS384", "PS512"};
		const char *mds[] = {"SHA384", "SHA512", "SHA256", "SHA384", "SHA512"};
		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			char *token = sign_or_fail(NULL, "{\"sub\":\"x\"}", keys[K_RSA], algs[i]);
			char *hdr = decode_part(token, 0, NULL);
			char want[32];

			snprintf(want, sizeof(want), "{\"alg\":\"%s\"}", algs[i]);
			assert_string_equal(hdr, want);
			assert_verifies(token, keys[K_RSA]);
			independent_verify(token, keys[K_RSA], mds[i], 0, algs[i][0] == 'P');
			free(hdr);
			free(token);
		}
	}
	/* an algorithm that does not suit the key is refused when signing */
	{
		json_t *p = J("{}");
		char *out = NULL;
		assert_int_equal(jws_sign_alg(NULL, p, keys[K_P256], "ES384", &out, &err), -1);
		assert_null(out);
		assert_int_equal(jws_sign_alg(NULL, p, keys[K_RSA], "ES256", &out, &err), -1);
		json_decref(p);
	}
}

static void test_jws_rfc7515_a3(void **state)
{
	json_t *v = load("rfc7515_a3.json"), *pubjwk;
	const char *token = jstr(v, "jws");
	struct error err = {0};
	EVP_PKEY *priv = NULL, *pub = NULL;
	struct jws jws = {0};
	int64_t t;
	int present;
	char *bad;
	(void)state;

	assert_int_equal(jwk_to_pkey(json_object_get(v, "key"), &priv, &err), 0);
	pubjwk = json_deep_copy(json_object_get(v, "key"));
	json_object_del(pubjwk, "d");
	assert_int_equal(jwk_to_pkey(pubjwk, &pub, &err), 0);
	assert_int_equal(jws_parse(token, strlen(token), &jws, &err), 0);
	assert_int_equal(jws_verify(&jws, pub, &err), 0);
	assert_int_equal(jws_verify(&jws, priv, &err), 0);
	assert_string_equal(jwt_claim_str(&jws, "iss"), "joe");
	assert_int_equal(jwt_claim_time(&jws, "exp", &t, &present), 0);
	assert_int_equal(present, 1);
	assert_true(t == 1300819380);
	assert_true(json_is_true(json_object_get(jws.payload, "http://example.com/is_root")));
	jws_free(&jws);

	/* one bit of the signature changed */
	bad = xstrdup(token);
	bad[strlen(bad) - 2] = bad[strlen(bad) - 2] == 'A' ? 'B' : 'A';
	assert_verify_fails(bad, pub, "invalid token signature");
	free(bad);

	json_decref(pubjwk);
	json_decref(v);
	EVP_PKEY_free(priv);
	EVP_PKEY_free(pub);
}

static void test_jws_rfc7515_a2(void **state)
{
	json_t *v = load("rfc7515_a2.json");
	const char *token = jstr(v, "jws");
	struct error err = {0};
	EVP_PKEY *pub = NULL;
	char *h, *t;
	(void)state;

	assert_int_equal(jwk_to_pkey(json_object_get(v, "key"), &pub, &err), 0);
	assert_verifies(token, pub);
	/* the same signature presented as PS256 or RS384 fails */
	h = b64u_str("{\"alg\":\"PS256\"}");
	t = replace_part(token, 0, h);
	assert_verify_fails(t, pub, "invalid token signature");
	free(t);
	free(h);
	h = b64u_str("{\"alg\":\"RS384\"}");
	t = replace_part(token, 0, h);
	assert_verify_fails(t, pub, "invalid token signature");
	free(t);
	free(h);
	EVP_PKEY_free(pub);
	json_decref(v);
}

static void test_jws_rejects(void **state)
{
	char *token = sign_or_fail(NULL, "{\"sub\":\"foo\",\"iss\":\"me\"}", keys[K_P256], NULL);
	char *t, *p64, *s, *sig;
	EVP_PKEY *other = EVP_EC_gen("P-256"), *small;
	uint8_t *raw = NULL;
	size_t len;
	(void)state;

	assert_non_null(other);
	assert_verifies(token, keys[K_P256]);

	/* modified payload */
	p64 = b64u_str("{\"iss\":\"me\",\"sub\":\"bar\"}");
	t = replace_part(token, 1, p64);
	assert_verify_fails(t, keys[K_P256], "invalid token signature");
	free(t);
	free(p64);

	/* wrong key, of the same and of other types */
	assert_verify_fails(token, other, "invalid token signature");
	assert_verify_fails(token, keys[K_P384], "does not match the key");
	assert_verify_fails(token, keys[K_ED25519], "does not match the key");
	assert_verify_fails(token, keys[K_RSA], "does not match the key");

	/* alg mismatch: ES384 with a P-256 key */
	p64 = b64u_str("{\"alg\":\"ES384\"}");
	t = replace_part(token, 0, p64);
	assert_verify_fails(t, keys[K_P256], "\"ES384\" does not match the key (ES256)");
	free(t);
	free(p64);
	/* RS256 / HS256 / none with an EC key */
	p64 = b64u_str("{\"alg\":\"HS256\"}");
	t = replace_part(token, 0, p64);
	assert_verify_fails(t, keys[K_P256], "does not match the key");
	free(t);
	free(p64);

	/* alg none with an empty signature */
	p64 = b64u_str("{\"alg\":\"none\"}");
	t = replace_part(token, 0, p64);
	s = replace_part(t, 2, "");
	assert_verify_fails(s, keys[K_P256], "\"none\" does not match");
	free(s);
	free(t);
	free(p64);

	/* signature one byte too long and too short */
	sig = decode_part(token, 2, &len);
	assert_int_equal(len, 64);
	raw = xmalloc(65);
	memcpy(raw, sig, 64);
	raw[64] = 0;
	for (size_t n = 63; n <= 65; n += 2) {
		char *s64 = b64url_encode(raw, n);
		t = replace_part(token, 2, s64);
		assert_verify_fails(t, keys[K_P256], "signature must be 64 bytes");
		free(t);
		free(s64);
	}
	free(raw);
	free(sig);

	/* RFC 7515 §4.1.11: a critical extension stride does not understand (any) */
	{
		static const char *const crit[] = {
		    "{\"alg\":\"ES256\",\"crit\":[\"exp\"],\"exp\":1}",
		    "{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}",
		    "{\"alg\":\"ES256\",\"crit\":[\"urn:example:x\"]}",
		    "{\"alg\":\"ES256\",\"crit\":[]}",
		    "{\"alg\":\"ES256\",\"crit\":null}",
		};
		for (size_t i = 0; i < sizeof(crit) / sizeof(crit[0]); i++) {
			char *tok = sign_or_fail(NULL, "{\"sub\":\"foo\"}", keys[K_P256], NULL);
			p64 = b64u_str(crit[i]);
			t = replace_part(tok, 0, p64);
			assert_parse_fails(t, strlen(t),
					   "unsupported critical header parameter (crit)");
			free(t);
			free(p64);
			free(tok);
		}
	}

	/* structure */
	t = xasprintf("%s.e30", token);
	assert_parse_fails(t, strlen(t), "exactly three parts");
	free(t);
	t = xstrdup(token);
	*strrchr(t, '.') = '\0';
	assert_parse_fails(t, strlen(t), "exactly three parts");
	free(t);
	assert_parse_fails("", 0, "empty");
	assert_parse_fails("..", 2, "empty header or payload");

	/* bad base64url: wrong alphabet, padding, impossible length, non-zero trailing bits */
	t = xstrdup(token);
	t[3] = '+';
	assert_parse_fails(t, strlen(t), "header is not valid base64url");
	free(t);
	t = xasprintf("%s=", token);
	assert_parse_fails(t, strlen(t), "signature is not valid base64url");
	free(t);
	t = replace_part(token, 1, "eyJzdWIiOiJhIn0x");
	assert_parse_fails(t, strlen(t), "payload is not valid");
	free(t);
	t = replace_part(token, 1, "e31"); /* "{}" with a non-zero last bit */
	assert_parse_fails(t, strlen(t), "payload is not valid base64url");
	free(t);

	/* JSON: not an object, duplicate members, missing alg, trailing garbage */
	t = replace_part(token, 1, "W10"); /* [] */
	assert_parse_fails(t, strlen(t), "payload is not a JSON object");
	free(t);
	p64 = b64u_str("{\"sub\":\"a\",\"sub\":\"b\"}");
	t = replace_part(token, 1, p64);
	assert_parse_fails(t, strlen(t), "payload is not valid JSON");
	free(t);
	free(p64);
	p64 = b64u_str("{\"typ\":\"JWT\"}");
	t = replace_part(token, 0, p64);
	assert_parse_fails(t, strlen(t), "no \"alg\"");
	free(t);
	free(p64);
	p64 = b64u_str("{\"alg\":\"ES256\"} x");
	t = replace_part(token, 0, p64);
	assert_parse_fails(t, strlen(t), "header is not valid JSON");
	free(t);
	free(p64);

	/* size bound */
	t = xmalloc(JWS_MAX_LEN + 2);
	memset(t, 'A', JWS_MAX_LEN + 1);
	t[10] = '.';
	t[20] = '.';
	t[JWS_MAX_LEN + 1] = '\0';
	assert_parse_fails(t, JWS_MAX_LEN + 1, "longer than");
	free(t);

	/* the length argument is honoured: the token is read only up to len */
	t = xasprintf("%s.extra", token);
	assert_verifies(token, keys[K_P256]);
	{
		struct jws jws = {0};
		struct error err = {0};
		assert_int_equal(jws_parse(t, strlen(token), &jws, &err), 0);
		assert_int_equal(jws_verify(&jws, keys[K_P256], &err), 0);
		jws_free(&jws);
	}
	free(t);

	/* RSA keys below 2048 bits are not accepted for verification */
	small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	assert_non_null(small);
	{
		struct error err = {0};
		json_t *p = J("{}");
		char *out = NULL;
		assert_int_equal(jws_sign(NULL, p, small, &out, &err), -1);
		json_decref(p);
	}
	t = sign_or_fail(NULL, "{}", keys[K_RSA], NULL);
	assert_verify_fails(t, small, "at least 2048 bits");
	free(t);
	EVP_PKEY_free(small);

	/* a PS256 signature does not pass as RS256 and vice versa */
	t = sign_or_fail(NULL, "{}", keys[K_RSA], "PS256");
	p64 = b64u_str("{\"alg\":\"RS256\"}");
	s = replace_part(t, 0, p64);
	assert_verify_fails(s, keys[K_RSA], "invalid token signature");
	free(s);
	free(p64);
	free(t);

	EVP_PKEY_free(other);
	free(token);
}

static void test_jwt_claims(void **state)
{
	char *token =
	    sign_or_fail(NULL,
			 "{\"iss\":\"i\",\"exp\":1795316263,\"nbf\":1500000000.75,"
			 "\"neg\":-1.5,\"iat\":\"1795315963\",\"jti\":null,\"huge\":1e300}",
			 keys[K_ED25519], NULL);
	struct error err = {0};
	struct jws jws = {0};
	int64_t t = 7;
	int present = 7;
	(void)state;

	assert_int_equal(jws_parse(token, strlen(token), &jws, &err), 0);
	assert_string_equal(jwt_claim_str(&jws, "iss"), "i");
	assert_null(jwt_claim_str(&jws, "exp"));
	assert_null(jwt_claim_str(&jws, "sub"));
	assert_null(jwt_claim_str(NULL, "iss"));

	assert_int_equal(jwt_claim_time(&jws, "exp", &t, &present), 0);
	assert_int_equal(present, 1);
	assert_true(t == 1795316263);
	assert_int_equal(jwt_claim_time(&jws, "nbf", &t, &present), 0);
	assert_int_equal(present, 1);
	assert_true(t == 1500000000);
	assert_int_equal(jwt_claim_time(&jws, "neg", &t, &present), 0);
	assert_true(t == -1);
	assert_int_equal(jwt_claim_time(&jws, "iat", &t, &present), -1);
	assert_int_equal(present, 1);
	assert_int_equal(jwt_claim_time(&jws, "huge", &t, &present), -1);
	assert_int_equal(jwt_claim_time(&jws, "sub", &t, &present), 0);
	assert_int_equal(present, 0);
	assert_true(t == 0);
	assert_int_equal(jwt_claim_time(&jws, "jti", &t, &present), 0);
	assert_int_equal(present, 0);
	jws_free(&jws);
	jws_free(&jws); /* safe twice */
	free(token);
}

/* ---- JWE ---- */

static void test_jwe_roundtrip(void **state)
{
	const char *msg = "{\"kty\":\"EC\",\"d\":\"secret\"}";
	struct error err = {0};
	char *jwe = NULL, *hdr;
	uint8_t *plain = NULL;
	size_t len = 0;
	(void)state;

	assert_int_equal(jwe_encrypt_password((const uint8_t *)msg, strlen(msg), "pass word", 1000,
					      "jwk+json", &jwe, &err),
			 0);
	hdr = decode_part(jwe, 0, NULL);
	/* step's member order; p2s is 16 random bytes */
	assert_int_equal(strlen(hdr), strlen("{\"alg\":\"PBES2-HS256+A128KW\",\"cty\":\"jwk+json\","
					     "\"enc\":\"A256GCM\",\"p2c\":1000,\"p2s\":\"\"}") +
					  22);
	assert_memory_equal(
	    hdr,
	    "{\"alg\":\"PBES2-HS256+A128KW\",\"cty\":\"jwk+json\",\"enc\":\"A256GCM\","
	    "\"p2c\":1000,\"p2s\":\"",
	    strlen("{\"alg\":\"PBES2-HS256+A128KW\",\"cty\":\"jwk+json\",\"enc\":"
		   "\"A256GCM\",\"p2c\":1000,\"p2s\":\""));
	free(hdr);
	/* 40-byte wrapped key, 12-byte IV, ciphertext as long as the message, 16-byte tag */
	{
		size_t n;
		char *p;
		p = decode_part(jwe, 1, &n);
		assert_int_equal(n, 40);
		free(p);
		p = decode_part(jwe, 2, &n);
		assert_int_equal(n, 12);
		free(p);
		p = decode_part(jwe, 3, &n);
		assert_int_equal(n, strlen(msg));
		free(p);
		p = decode_part(jwe, 4, &n);
		assert_int_equal(n, 16);
		free(p);
	}
	assert_int_equal(jwe_decrypt_password(jwe, "pass word", &plain, &len, &err), 0);
	assert_int_equal(len, strlen(msg));
	assert_string_equal((char *)plain, msg);
	free(plain);
	/* a trailing newline (file content) is tolerated */
	{
		char *nl = xasprintf("%s\n", jwe);
		assert_int_equal(jwe_decrypt_password(nl, "pass word", &plain, &len, &err), 0);
		assert_string_equal((char *)plain, msg);
		free(plain);
		free(nl);
	}
	free(jwe);

	/* no cty; empty plaintext */
	assert_int_equal(jwe_encrypt_password((const uint8_t *)"", 0, "pw", 1000, NULL, &jwe, &err),
			 0);
	hdr = decode_part(jwe, 0, NULL);
	assert_null(strstr(hdr, "cty"));
	assert_non_null(
	    strstr(hdr, "{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":1000,"));
	free(hdr);
	assert_int_equal(jwe_decrypt_password(jwe, "pw", &plain, &len, &err), 0);
	assert_int_equal(len, 0);
	assert_string_equal((char *)plain, "");
	free(plain);
	free(jwe);

	/* p2c out of range is refused when encrypting */
	assert_int_equal(jwe_encrypt_password((const uint8_t *)"x", 1, "pw", 999, NULL, &jwe, &err),
			 -1);
	assert_null(jwe);
	assert_int_equal(err.kind, ERR_INVALID);
}

static void test_jwe_wrong_password(void **state)
{
	struct error err = {0};
	char *jwe = NULL;
	uint8_t *plain = (uint8_t *)"not reset";
	size_t len = 5;
	(void)state;

	assert_int_equal(
	    jwe_encrypt_password((const uint8_t *)"secret", 6, "right", 1000, NULL, &jwe, &err), 0);
	assert_int_equal(jwe_decrypt_password(jwe, "wrong", &plain, &len, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "invalid password");
	assert_null(plain);
	assert_int_equal(len, 0);
	assert_int_equal(jwe_decrypt_password(jwe, "", &plain, &len, &err), -1);
	assert_string_equal(err.msg, "invalid password");
	free(jwe);
}

static void check_vector(const char *file, const char *enc)
{
	json_t *v = load(file);
	const char *jwe = jstr(v, "jwe"), *pw = jstr(v, "password"), *want = jstr(v, "plaintext");
	struct error err = {0};
	uint8_t *plain = NULL;
	size_t len = 0;
	char *hdr = decode_part(jwe, 0, NULL);
	char needle[32];

	snprintf(needle, sizeof(needle), "\"enc\":\"%s\"", enc);
	assert_non_null(strstr(hdr, needle));
	if (jwe_decrypt_password(jwe, pw, &plain, &len, &err) != 0)
		fail_msg("%s: %s", file, err.msg);
	assert_int_equal(len, strlen(want));
	assert_string_equal((char *)plain, want);
	OPENSSL_cleanse(plain, len);
	free(plain);
	assert_int_equal(jwe_decrypt_password(jwe, "not the password", &plain, &len, &err), -1);
	assert_string_equal(err.msg, "invalid password");
	free(hdr);
	json_decref(v);
}

static void test_jwe_vectors(void **state)
{
	json_t *v;
	EVP_PKEY *key = NULL;
	struct error err = {0};
	(void)state;

	check_vector("jwe_a256gcm.json", "A256GCM");
	check_vector("jwe_a128gcm.json", "A128GCM");
	/* the A256GCM vector holds the RFC 7515 A.3 key as a private JWK */
	v = load("jwe_a256gcm.json");
	{
		json_t *jwk = J(jstr(v, "plaintext"));
		assert_int_equal(jwk_to_pkey(jwk, &key, &err), 0);
		json_decref(jwk);
	}
	EVP_PKEY_free(key);
	json_decref(v);
}

static void expect_bad_jwe(const char *jwe, const char *want)
{
	struct error err = {0};
	uint8_t *plain = NULL;
	size_t len = 0;

	assert_int_equal(jwe_decrypt_password(jwe, "pw", &plain, &len, &err), -1);
	assert_null(plain);
	assert_int_equal(err.kind, ERR_INVALID);
	if (strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, want);
}

static void test_jwe_invalid(void **state)
{
	struct error err = {0};
	char *jwe = NULL, *t, *h;
	size_t n;
	(void)state;

	assert_int_equal(
	    jwe_encrypt_password((const uint8_t *)"hello", 5, "pw", 1000, NULL, &jwe, &err), 0);
	/* part count */
	t = xasprintf("%s.AAAA", jwe);
	expect_bad_jwe(t, "5 parts");
	free(t);
	t = xstrdup(jwe);
	*strrchr(t, '.') = '\0';
	expect_bad_jwe(t, "5 parts");
	free(t);
	expect_bad_jwe("", "5 parts");

	/* headers: the checks come before any key derivation */
	{
		static const struct {
			const char *hdr, *want;
		} cases[] = {
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":999,"
		     "\"p2s\":\"AAAAAAAAAAA\"}",
		     "p2c must be"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":10000001,"
		     "\"p2s\":\"AAAAAAAAAAA\"}",
		     "p2c must be"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":\"1000\","
		     "\"p2s\":\"AAAAAAAAAAA\"}",
		     "p2c must be"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":1000,"
		     "\"p2s\":\"AAAA\"}",
		     "p2s must be"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"p2c\":1000}",
		     "p2s must be"},
		    {"{\"alg\":\"PBES2-HS512+A256KW\",\"enc\":\"A256GCM\",\"p2c\":1000,"
		     "\"p2s\":\"AAAAAAAAAAA\"}",
		     "unsupported JWE algorithm \"PBES2-HS512+A256KW\""},
		    {"{\"alg\":\"dir\",\"enc\":\"A256GCM\"}", "unsupported JWE algorithm"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A128CBC-HS256\",\"p2c\":1000,"
		     "\"p2s\":\"AAAAAAAAAAA\"}",
		     "unsupported JWE encryption"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"enc\":\"A256GCM\",\"zip\":\"DEF\","
		     "\"p2c\":1000,\"p2s\":\"AAAAAAAAAAA\"}",
		     "zip"},
		    {"{\"alg\":\"PBES2-HS256+A128KW\",\"alg\":\"PBES2-HS256+A128KW\","
		     "\"enc\":\"A256GCM\",\"p2c\":1000,\"p2s\":\"AAAAAAAAAAA\"}",
		     "not a JSON object"},
		    {"[]", "not a JSON object"},
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			h = b64u_str(cases[i].hdr);
			t = replace_part(jwe, 0, h);
			expect_bad_jwe(t, cases[i].want);
			free(t);
			free(h);
		}
	}
	t = replace_part(jwe, 0, "!!!!");
	expect_bad_jwe(t, "header is not valid base64url");
	free(t);

	/* lengths of the binary parts */
	t = replace_part(jwe, 2, "AAAAAAAAAAAAAAAAAAAA"); /* 15 bytes, not 12 */
	expect_bad_jwe(t, "wrong encrypted key, IV or tag length");
	free(t);
	t = replace_part(jwe, 4, "AAAA");
	expect_bad_jwe(t, "wrong encrypted key, IV or tag length");
	free(t);
	t = replace_part(jwe, 1, "");
	expect_bad_jwe(t, "wrong encrypted key, IV or tag length");
	free(t);

	/* tampering is caught by the GCM tag (the password is right) */
	{
		char *ct = decode_part(jwe, 3, &n), *ct64;
		ct[0] ^= 1;
		ct64 = b64url_encode(ct, n);
		t = replace_part(jwe, 3, ct64);
		expect_bad_jwe(t, "authentication tag mismatch");
		free(t);
		free(ct64);
		free(ct);
	}
	{
		/* a changed header (same content, other encoding) changes the AAD */
		char *hdr = decode_part(jwe, 0, NULL), *h2;
		size_t hl = strlen(hdr);
		hdr[hl - 1] = ' ';
		h2 = xasprintf("%s}", hdr);
		h = b64u_str(h2);
		t = replace_part(jwe, 0, h);
		expect_bad_jwe(t, "authentication tag mismatch");
		free(t);
		free(h);
		free(h2);
		free(hdr);
	}

	/* size bound */
	t = xmalloc(JWE_MAX_LEN + 2);
	memset(t, 'A', JWE_MAX_LEN + 1);
	t[JWE_MAX_LEN + 1] = '\0';
	expect_bad_jwe(t, "longer than");
	free(t);
	free(jwe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_thumbprint_rfc7638),	cmocka_unit_test(test_jwk_step_example),
	    cmocka_unit_test(test_jwk_roundtrip),	cmocka_unit_test(test_jwk_ec_padding),
	    cmocka_unit_test(test_jwk_rsa_without_crt), cmocka_unit_test(test_jwk_invalid),
	    cmocka_unit_test(test_jws_roundtrip),	cmocka_unit_test(test_jws_rfc7515_a2),
	    cmocka_unit_test(test_jws_rfc7515_a3),	cmocka_unit_test(test_jws_rejects),
	    cmocka_unit_test(test_jwt_claims),		cmocka_unit_test(test_jwe_roundtrip),
	    cmocka_unit_test(test_jwe_wrong_password),	cmocka_unit_test(test_jwe_vectors),
	    cmocka_unit_test(test_jwe_invalid),
	};
	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
