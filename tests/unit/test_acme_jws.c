/* test_acme_jws.c - the ACME JWS (RFC 8555 §6.2), external account binding (§7.3.4), nonces
 * (§6.5) and random IDs.
 *
 * Valid JWS are signed here, independently of the code under test where possible: with
 * jose's jws_sign_alg (compact "h.p.s", rewrapped into the JSON forms), and with a raw
 * OpenSSL signer for headers and payloads jws_sign_alg cannot produce (POST-as-GET, "url",
 * malformed headers). Every refusal is checked for its exact problem type and detail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme/internal.h"
#include "base/b64.h"
#include "base/str.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "jose/jws.h"

#define URL "https://ca.example:9443/acme/acme/new-account"

#define MALFORMED ACME_PROB_MALFORMED
#define BADALG	  ACME_PROB_BAD_SIGNATURE_ALGORITHM

enum { K_P256, K_P384, K_P521, K_ED25519, K_RSA, K_RSA_OTHER, K_RSA1024, K_P256_OTHER, NKEYS };

static EVP_PKEY *keys[NKEYS];
static char *jwks[NKEYS]; /* public JWK JSON text of each key, without "alg", "use", "kid" */

static char *jwk_text(EVP_PKEY *key)
{
	json_t *j;
	char *s;

	if (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) < 2048) {
		/* jwk_from_pkey refuses small RSA keys: build {"kty","n","e"} by hand */
		BIGNUM *n = NULL, *e = NULL;
		uint8_t nb[512], eb[8];
		int nl, el;
		char *n64, *e64;

		if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
		    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
			fail_msg("cannot read the RSA key");
		nl = BN_bn2bin(n, nb);
		el = BN_bn2bin(e, eb);
		n64 = b64url_encode(nb, (size_t)nl);
		e64 = b64url_encode(eb, (size_t)el);
		s = xasprintf("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", e64, n64);
		free(n64);
		free(e64);
		BN_free(n);
		BN_free(e);
		return s;
	}
	j = jwk_from_pkey(key, false, NULL);
	if (j == NULL)
		fail_msg("jwk_from_pkey");
	json_object_del(j, "alg");
	json_object_del(j, "use");
	json_object_del(j, "kid");
	s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return s;
}

static int setup_keys(void **state)
{
	(void)state;
	keys[K_P256] = EVP_EC_gen("P-256");
	keys[K_P384] = EVP_EC_gen("P-384");
	keys[K_P521] = EVP_EC_gen("P-521");
	keys[K_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	keys[K_RSA] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_RSA_OTHER] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	keys[K_RSA1024] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	keys[K_P256_OTHER] = EVP_EC_gen("P-256");
	for (int i = 0; i < NKEYS; i++) {
		if (keys[i] == NULL)
			return -1;
		jwks[i] = jwk_text(keys[i]);
	}
	return 0;
}

static int teardown_keys(void **state)
{
	(void)state;
	for (int i = 0; i < NKEYS; i++) {
		EVP_PKEY_free(keys[i]);
		free(jwks[i]);
	}
	return 0;
}

/* ---- building JWS ----------------------------------------------------------------------- */

/* Signs si with key under alg (RFC 7518 §3) with OpenSSL directly; base64url, malloc'd. */
static char *raw_sign(EVP_PKEY *key, const char *alg, const char *si)
{
	const char *md = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t sig[1024];
	size_t sig_len = sizeof(sig);

	if (strcmp(alg, "EdDSA") != 0)
		md = strstr(alg, "256") ? "SHA256" : strstr(alg, "384") ? "SHA384" : "SHA512";
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, key, NULL), 1);
	if (alg[0] == 'P') {
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST), 1);
	}
	assert_int_equal(EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)si, strlen(si)), 1);
	EVP_MD_CTX_free(ctx);
	if (alg[0] == 'E' && alg[1] == 'S') {
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)sig_len);
		size_t half = strstr(alg, "256") ? 32 : strstr(alg, "384") ? 48 : 66;
		uint8_t rs[132];

		assert_non_null(es);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)half), (int)half);
		assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + half, (int)half),
				 (int)half);
		ECDSA_SIG_free(es);
		return b64url_encode(rs, 2 * half);
	}
	return b64url_encode(sig, sig_len);
}

enum form { FLAT, GENERAL, COMPACT };

/* The body of a JWS with the protected header hdr (JSON text, used as is) and payload
 * (text, "" = POST-as-GET) signed by key under alg. malloc'd. */
static char *build(const char *hdr, const char *payload, EVP_PKEY *key, const char *alg,
		   enum form form)
{
	char *h64 = b64url_encode(hdr, strlen(hdr));
	char *p64 = b64url_encode(payload, strlen(payload));
	char *si = xasprintf("%s.%s", h64, p64);
	char *s64 = raw_sign(key, alg, si);
	char *out;

	if (form == COMPACT)
		out = xasprintf("%s.%s", si, s64);
	else if (form == GENERAL)
		out = xasprintf("{\"payload\":\"%s\",\"signatures\":[{\"protected\":\"%s\","
				"\"signature\":\"%s\"}]}",
				p64, h64, s64);
	else
		out = xasprintf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
				h64, p64, s64);
	free(h64);
	free(p64);
	free(si);
	free(s64);
	return out;
}

/* build() with a malloc'd header it frees. */
static char *build_owned(char *hdr, const char *payload, EVP_PKEY *key, const char *alg,
			 enum form form)
{
	char *out = build(hdr, payload, key, alg, form);

	free(hdr);
	return out;
}

/* A protected header {"alg","jwk","nonce","url"} for key k. malloc'd. */
static char *hdr_jwk(const char *alg, int k)
{
	return xasprintf("{\"alg\":\"%s\",\"jwk\":%s,\"nonce\":\"n0nce\",\"url\":\"" URL "\"}", alg,
			 jwks[k]);
}

static void expect_parse_fails(const char *body, size_t len, enum acme_prob type,
			       const char *detail)
{
	struct acme_jws j;
	struct acme_problem p = {0};

	if (acme_jws_parse((const uint8_t *)body, len, &j, &p) == 0)
		fail_msg("parsed, expected \"%s\": %.200s", detail, body);
	assert_int_equal(p.type, type);
	assert_string_equal(p.detail, detail);
	assert_null(j.header);
	assert_null(j.signing_input);
	assert_null(j.payload);
	assert_null(j.sig);
}

/* ---- valid JWS: each algorithm, each form ----------------------------------------------- */

static const struct {
	const char *alg;
	int key;
} valid_algs[] = {
    {"ES256", K_P256}, {"ES384", K_P384},    {"ES512", K_P521}, {"RS256", K_RSA},
    {"PS256", K_RSA},  {"EdDSA", K_ED25519}, {"RS512", K_RSA},	{"PS384", K_RSA},
};

/* jose's signer: a compact JWS rewrapped into the flattened form. */
static void test_valid_flattened_jose_signed(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_algs) / sizeof(valid_algs[0]); i++) {
		EVP_PKEY *key = keys[valid_algs[i].key], *got = NULL;
		json_t *jwk = json_loads(jwks[valid_algs[i].key], 0, NULL);
		json_t *extra = json_pack("{s:o,s:s,s:s}", "jwk", jwk, "nonce", "abc", "url", URL);
		json_t *payload = json_pack("{s:[s],s:b}", "contact", "mailto:a@example.org",
					    "termsOfServiceAgreed", 1);
		struct acme_jws j;
		struct acme_problem p = {0};
		char *compact = NULL, *body, *d1, *d2;

		assert_int_equal(
		    jws_sign_alg(extra, payload, key, valid_algs[i].alg, &compact, NULL), 0);
		d1 = strchr(compact, '.');
		d2 = strchr(d1 + 1, '.');
		*d1 = *d2 = '\0';
		body = xasprintf("{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
				 compact, d1 + 1, d2 + 1);
		if (acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p) != 0)
			fail_msg("%s: %s", valid_algs[i].alg, p.detail);
		assert_string_equal(j.alg, valid_algs[i].alg);
		assert_string_equal(j.nonce, "abc");
		assert_string_equal(j.url, URL);
		assert_null(j.kid);
		assert_non_null(j.jwk);
		assert_string_equal(j.payload, "{\"contact\":[\"mailto:a@example.org\"],"
					       "\"termsOfServiceAgreed\":true}");
		assert_int_equal(j.payload_len, strlen((const char *)j.payload));
		*d1 = '.';
		assert_memory_equal(j.signing_input, compact, j.signing_input_len);
		assert_int_equal(acme_jws_jwk_key(&j, &got, &p), 0);
		assert_true(key_public_equal(got, key));
		if (acme_jws_verify(&j, got, &p) != 0)
			fail_msg("%s: %s", valid_algs[i].alg, p.detail);
		assert_int_equal(acme_jws_verify(&j, key, &p), 0);
		EVP_PKEY_free(got);
		acme_jws_free(&j);
		acme_jws_free(&j); /* safe twice */
		free(body);
		free(compact);
		json_decref(extra);
		json_decref(payload);
	}
}

/* The raw signer, every form, a kid, POST-as-GET. */
static void test_valid_forms_kid_post_as_get(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid_algs) / sizeof(valid_algs[0]); i++) {
		for (int form = FLAT; form <= COMPACT; form++) {
			EVP_PKEY *key = keys[valid_algs[i].key];
			char *hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"https://ca/acme/acme/"
					      "account/abc\",\"nonce\":\"n\",\"url\":\"" URL "\"}",
					      valid_algs[i].alg);
			char *body = build(hdr, "", key, valid_algs[i].alg, form);
			struct acme_jws j;
			struct acme_problem p = {0};
			EVP_PKEY *none = NULL;

			if (acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p) != 0)
				fail_msg("%s form %d: %s", valid_algs[i].alg, form, p.detail);
			assert_string_equal(j.kid, "https://ca/acme/acme/account/abc");
			assert_null(j.jwk);
			assert_int_equal(j.payload_len, 0);
			assert_non_null(j.payload);
			assert_string_equal(j.payload, "");
			assert_int_equal(acme_jws_verify(&j, key, &p), 0);
			/* a kid JWS has no key of its own */
			assert_int_equal(acme_jws_jwk_key(&j, &none, &p), -1);
			assert_null(none);
			assert_int_equal(p.type, MALFORMED);
			assert_string_equal(p.detail, "JWS protected header has no \"jwk\"");
			acme_jws_free(&j);
			free(body);
			free(hdr);
		}
	}
}

/* ---- malformed JWS --------------------------------------------------------------------- */

static void test_parse_refusals(void **state)
{
	char *hdr = hdr_jwk("ES256", K_P256);
	char *good = build(hdr, "{}", keys[K_P256], "ES256", FLAT);
	json_t *g = json_loads(good, 0, NULL);
	const char *h64 = json_string_value(json_object_get(g, "protected"));
	const char *s64 = json_string_value(json_object_get(g, "signature"));
	char *body, *big;
	struct {
		char *body;
		enum acme_prob type;
		const char *detail;
	} cases[] = {
	    {xstrdup("{"), MALFORMED,
	     "JWS is not valid JSON: string or '}' expected near end of file"},
	    {xstrdup("hello"), MALFORMED,
	     "JWS is neither JSON nor a compact serialization (three base64url parts separated "
	     "by dots)"},
	    {xstrdup("a.b.c.d"), MALFORMED,
	     "JWS is neither JSON nor a compact serialization (three base64url parts separated "
	     "by dots)"},
	    {xstrdup("[1]"), MALFORMED,
	     "JWS is neither JSON nor a compact serialization (three base64url parts separated "
	     "by dots)"},
	    {xasprintf("{\"payload\":\"e30\",\"signatures\":[{\"protected\":\"%s\",\"signature\":"
		       "\"%s\"},{\"protected\":\"%s\",\"signature\":\"%s\"}]}",
		       h64, s64, h64, s64),
	     MALFORMED, "JWS must have exactly one signature, not 2"},
	    {xstrdup("{\"payload\":\"e30\",\"signatures\":[]}"), MALFORMED,
	     "JWS must have exactly one signature, not 0"},
	    {xasprintf("{\"payload\":\"e30\",\"signatures\":[{\"protected\":\"%s\",\"header\":{},"
		       "\"signature\":\"%s\"}]}",
		       h64, s64),
	     MALFORMED,
	     "JWS has an unprotected header; every header parameter must be in \"protected\""},
	    {xasprintf("{\"protected\":\"%s\",\"header\":{\"kid\":\"x\"},\"payload\":\"e30\","
		       "\"signature\":\"%s\"}",
		       h64, s64),
	     MALFORMED,
	     "JWS has an unprotected header; every header parameter must be in \"protected\""},
	    {xasprintf("{\"protected\":\"%s\",\"payload\":\"e30\"}", h64), MALFORMED,
	     "JWS has no \"signature\""},
	    {xasprintf("{\"protected\":\"%s\",\"signature\":\"%s\"}", h64, s64), MALFORMED,
	     "JWS has no \"payload\""},
	    {xasprintf("{\"protected\":5,\"payload\":\"e30\",\"signature\":\"%s\"}", s64),
	     MALFORMED, "JWS \"protected\" must be a string"},
	    {xasprintf("{\"protected\":\"%s\",\"protected\":\"%s\",\"payload\":\"e30\","
		       "\"signature\":\"%s\"}",
		       h64, h64, s64),
	     MALFORMED, "JWS is not valid JSON: duplicate object key near '\"protected\"'"},
	    /* base64url: padding, other alphabets */
	    {xasprintf("{\"protected\":\"%s=\",\"payload\":\"e30\",\"signature\":\"%s\"}", h64,
		       s64),
	     MALFORMED, "JWS protected header is not valid base64url"},
	    {xasprintf("{\"protected\":\"%s\",\"payload\":\"e3+\",\"signature\":\"%s\"}", h64, s64),
	     MALFORMED, "JWS payload is not valid base64url"},
	    {xasprintf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"%s/\"}", h64,
		       s64),
	     MALFORMED, "JWS signature is not valid base64url"},
	    {xasprintf("{\"protected\":\"%s\",\"payload\":\"e31\",\"signature\":\"%s\"}", h64, s64),
	     MALFORMED, "JWS payload is not valid base64url"}, /* non-zero trailing bits */
	    {xasprintf("{\"protected\":\"\",\"payload\":\"e30\",\"signature\":\"%s\"}", s64),
	     MALFORMED, "JWS protected header is empty"},
	    {xasprintf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signature\":\"\"}", h64),
	     MALFORMED, "JWS signature is empty"},
	    {build("[1]", "{}", keys[K_P256], "ES256", FLAT), MALFORMED,
	     "JWS protected header is not a JSON object"},
	    {build("{\"alg\":\"ES256\",\"alg\":\"ES256\",\"kid\":\"k\"}", "{}", keys[K_P256],
		   "ES256", FLAT),
	     MALFORMED,
	     "JWS protected header is not valid JSON: duplicate object key near '\"alg\"'"},
	    /* header contents */
	    {build("{\"kid\":\"k\",\"nonce\":\"n\",\"url\":\"u\"}", "{}", keys[K_P256], "ES256",
		   FLAT),
	     MALFORMED, "JWS protected header has no \"alg\""},
	    {build("{\"alg\":7,\"kid\":\"k\"}", "{}", keys[K_P256], "ES256", FLAT), MALFORMED,
	     "JWS protected header \"alg\" must be a string"},
	    {build("{\"alg\":\"none\",\"kid\":\"k\"}", "{}", keys[K_P256], "ES256", COMPACT),
	     BADALG,
	     "JWS algorithm \"none\" is not allowed: ACME requests need a public key signature "
	     "(ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512)"},
	    {build("{\"alg\":\"HS256\",\"kid\":\"k\"}", "{}", keys[K_P256], "ES256", FLAT), BADALG,
	     "JWS algorithm \"HS256\" is not allowed: ACME requests need a public key signature "
	     "(ES256, ES384, ES512, EdDSA, PS256, PS384, PS512, RS256, RS384, RS512)"},
	    {build("{\"alg\":\"ES256K\",\"kid\":\"k\"}", "{}", keys[K_P256], "ES256", FLAT), BADALG,
	     "unsupported JWS algorithm \"ES256K\" (supported: ES256, ES384, ES512, EdDSA, "
	     "PS256, PS384, PS512, RS256, RS384, RS512)"},
	    {build("{\"alg\":\"ES256\",\"kid\":\"k\",\"crit\":[\"b64\"],\"b64\":false}", "{}",
		   keys[K_P256], "ES256", FLAT),
	     MALFORMED, "JWS protected header has a \"crit\" parameter, which is not supported"},
	    {build("{\"alg\":\"ES256\",\"kid\":\"k\",\"nonce\":3}", "{}", keys[K_P256], "ES256",
		   FLAT),
	     MALFORMED, "JWS protected header \"nonce\" must be a string"},
	    {build("{\"alg\":\"ES256\",\"kid\":\"k\",\"url\":null}", "{}", keys[K_P256], "ES256",
		   FLAT),
	     MALFORMED, "JWS protected header \"url\" must be a string"},
	    {build_owned(xasprintf("{\"alg\":\"ES256\",\"kid\":\"k\",\"jwk\":%s}", jwks[K_P256]),
			 "{}", keys[K_P256], "ES256", FLAT),
	     MALFORMED, "JWS protected header has both \"jwk\" and \"kid\"; exactly one is needed"},
	    {build("{\"alg\":\"ES256\",\"nonce\":\"n\",\"url\":\"u\"}", "{}", keys[K_P256], "ES256",
		   FLAT),
	     MALFORMED,
	     "JWS protected header has neither \"jwk\" nor \"kid\"; exactly one is needed"},
	    {build("{\"alg\":\"ES256\",\"kid\":\"\"}", "{}", keys[K_P256], "ES256", FLAT),
	     MALFORMED, "JWS protected header \"kid\" is empty"},
	    {build("{\"alg\":\"ES256\",\"jwk\":\"key\"}", "{}", keys[K_P256], "ES256", FLAT),
	     MALFORMED, "JWS protected header \"jwk\" must be a JSON object"},
	    /* the embedded key against alg (step-ca's texts) */
	    {build_owned(hdr_jwk("RS256", K_RSA1024), "{}", keys[K_RSA1024], "RS256", FLAT),
	     MALFORMED, "rsa keys must be at least 2048 bits (256 bytes) in size"},
	    {build_owned(hdr_jwk("PS256", K_RSA1024), "{}", keys[K_RSA1024], "PS256", GENERAL),
	     MALFORMED, "rsa keys must be at least 2048 bits (256 bytes) in size"},
	    {build_owned(hdr_jwk("RS256", K_P256), "{}", keys[K_P256], "ES256", FLAT), MALFORMED,
	     "jws key type and algorithm do not match"},
	    {build_owned(hdr_jwk("ES256", K_RSA), "{}", keys[K_RSA], "RS256", FLAT), MALFORMED,
	     "jws key type and algorithm do not match"},
	    {build_owned(hdr_jwk("ES384", K_P256), "{}", keys[K_P256], "ES256", FLAT), MALFORMED,
	     "jws key type and algorithm do not match"},
	    {build_owned(hdr_jwk("EdDSA", K_P256), "{}", keys[K_P256], "ES256", FLAT), MALFORMED,
	     "jws key type and algorithm do not match"},
	    {build("{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
		   "\"y\":\"AA\",\"d\":\"AA\"}}",
		   "{}", keys[K_P256], "ES256", FLAT),
	     MALFORMED, "\"jwk\" must be a public key, it has the private member \"d\""},
	    {build("{\"alg\":\"RS256\",\"jwk\":{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\","
		   "\"p\":\"AQAB\"}}",
		   "{}", keys[K_P256], "ES256", FLAT),
	     MALFORMED, "\"jwk\" must be a public key, it has the private member \"p\""},
	    {build("{\"alg\":\"ES256\",\"jwk\":{\"crv\":\"P-256\"}}", "{}", keys[K_P256], "ES256",
		   FLAT),
	     MALFORMED, "\"jwk\" has no \"kty\""},
	};
	size_t n = sizeof(cases) / sizeof(cases[0]);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct acme_jws j;
		struct acme_problem p = {0};

		if (acme_jws_parse((const uint8_t *)cases[i].body, strlen(cases[i].body), &j, &p) ==
		    0)
			fail_msg("case %zu parsed: %s", i, cases[i].body);
		if (p.type != cases[i].type || strcmp(p.detail, cases[i].detail) != 0)
			fail_msg("case %zu: got type %d \"%s\", want %d \"%s\"", i, p.type,
				 p.detail, cases[i].type, cases[i].detail);
		assert_null(j.header);
		free(cases[i].body);
	}

	/* empty and oversize bodies */
	expect_parse_fails("", 0, MALFORMED, "request body is empty (a JWS is needed)");
	big = xmalloc(ACME_JWS_MAX + 2);
	memset(big, ' ', ACME_JWS_MAX + 1);
	memcpy(big + ACME_JWS_MAX + 1 - strlen(good), good, strlen(good));
	big[ACME_JWS_MAX + 1] = '\0';
	expect_parse_fails(big, ACME_JWS_MAX + 1, MALFORMED, "JWS is larger than 65536 bytes");
	/* the same JWS at exactly the bound parses */
	{
		struct acme_jws j;
		struct acme_problem p = {0};

		assert_int_equal(acme_jws_parse((const uint8_t *)big + 1, ACME_JWS_MAX, &j, &p), 0);
		assert_int_equal(acme_jws_verify(&j, keys[K_P256], &p), 0);
		acme_jws_free(&j);
	}
	free(big);

	/* a general form that also has flattened members */
	body = xasprintf("{\"protected\":\"%s\",\"payload\":\"e30\",\"signatures\":[{"
			 "\"protected\":\"%s\",\"signature\":\"%s\"}]}",
			 h64, h64, s64);
	expect_parse_fails(body, strlen(body), MALFORMED,
			   "JWS mixes the general and the flattened serialization");
	free(body);
	json_decref(g);
	free(good);
	free(hdr);
}

/* ---- verification failures --------------------------------------------------------------- */

static void expect_verify_fails(const char *body, EVP_PKEY *key, const char *detail)
{
	struct acme_jws j;
	struct acme_problem p = {0};

	if (acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p) != 0)
		fail_msg("does not parse: %s", p.detail);
	assert_int_equal(acme_jws_verify(&j, key, &p), -1);
	assert_int_equal(p.type, MALFORMED);
	assert_string_equal(p.detail, detail);
	acme_jws_free(&j);
}

static void test_verify_refusals(void **state)
{
	char *hdr, *body;
	struct acme_jws j;
	struct acme_problem p = {0};
	EVP_PKEY *key = NULL;

	(void)state;
	/* embedded key of one P-256 key, signed by another */
	hdr = hdr_jwk("ES256", K_P256);
	body = build(hdr, "{}", keys[K_P256_OTHER], "ES256", FLAT);
	assert_int_equal(acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p), 0);
	assert_int_equal(acme_jws_jwk_key(&j, &key, &p), 0);
	assert_int_equal(acme_jws_verify(&j, key, &p), -1);
	assert_int_equal(p.type, MALFORMED);
	assert_string_equal(p.detail,
			    "JWS signature is invalid: it does not verify with the embedded "
			    "\"jwk\" key");
	EVP_PKEY_free(key);
	acme_jws_free(&j);
	free(body);
	free(hdr);

	/* RSA and PS with the other RSA key; kid: "account's" key */
	hdr = xstrdup("{\"alg\":\"PS256\",\"kid\":\"acct\"}");
	body = build(hdr, "{}", keys[K_RSA_OTHER], "PS256", FLAT);
	expect_verify_fails(body, keys[K_RSA],
			    "JWS signature is invalid: it does not verify with the account's key");
	/* the account key must suit alg, with step-ca's texts */
	expect_verify_fails(body, keys[K_P256], "jws key type and algorithm do not match");
	expect_verify_fails(body, keys[K_RSA1024],
			    "rsa keys must be at least 2048 bits (256 bytes) in size");
	free(body);
	free(hdr);
	hdr = xstrdup("{\"alg\":\"ES384\",\"kid\":\"acct\"}");
	body = build(hdr, "{}", keys[K_P384], "ES384", COMPACT);
	expect_verify_fails(body, keys[K_P256], "jws key type and algorithm do not match");
	expect_verify_fails(body, keys[K_ED25519], "jws key type and algorithm do not match");
	expect_verify_fails(body, keys[K_RSA], "jws key type and algorithm do not match");
	free(body);
	free(hdr);
	/* a jwk with its own alg: it must be the JWS alg */
	hdr = xasprintf("{\"alg\":\"ES256\",\"jwk\":{\"alg\":\"ES256\",%s}", jwks[K_P256] + 1);
	body = build(hdr, "{}", keys[K_P256], "ES256", FLAT);
	assert_int_equal(acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p), 0);
	assert_int_equal(acme_jws_verify(&j, keys[K_P256], &p), 0);
	acme_jws_free(&j);
	free(body);
	free(hdr);
	hdr = xasprintf("{\"alg\":\"PS256\",\"jwk\":{\"alg\":\"RS256\",%s}", jwks[K_RSA] + 1);
	body = build(hdr, "{}", keys[K_RSA], "PS256", FLAT);
	expect_parse_fails(body, strlen(body), MALFORMED,
			   "\"jwk\" \"alg\" is \"RS256\", the JWS algorithm is \"PS256\"");
	free(body);
	free(hdr);
	/* a tampered payload */
	hdr = xstrdup("{\"alg\":\"EdDSA\",\"kid\":\"acct\"}");
	body = build(hdr, "{\"a\":1}", keys[K_ED25519], "EdDSA", COMPACT);
	{
		char *d1 = strchr(body, '.');

		d1[1] = d1[1] == 'e' ? 'f' : 'e';
	}
	expect_verify_fails(body, keys[K_ED25519],
			    "JWS signature is invalid: it does not verify with the account's key");
	free(body);
	free(hdr);
	/* an ES256 signature three bytes short is not padded */
	hdr = xstrdup("{\"alg\":\"ES256\",\"kid\":\"acct\"}");
	body = build(hdr, "{}", keys[K_P256], "ES256", COMPACT);
	{
		char *s64 = strrchr(body, '.') + 1, *cut;
		uint8_t *sig = NULL;
		size_t sig_len = 0;

		assert_int_equal(b64url_decode(s64, strlen(s64), &sig, &sig_len, NULL), 0);
		cut = b64url_encode(sig, sig_len - 3);
		strcpy(s64, cut); /* shorter than what it replaces */
		free(cut);
		free(sig);
	}
	expect_verify_fails(body, keys[K_P256],
			    "JWS signature is invalid: ES256 signatures are 64 bytes, this one "
			    "has 61");
	free(body);
	free(hdr);
}

/* Some clients drop a leading zero of R or S: a signature 1 byte short verifies. */
static void test_verify_short_ecdsa(void **state)
{
	const char *hdr = "{\"alg\":\"ES256\",\"kid\":\"acct\"}";
	int found = 0;

	(void)state;
	for (int tries = 0; tries < 5000 && found < 2; tries++) {
		char *payload = xasprintf("{\"n\":%d}", tries);
		char *body = build(hdr, payload, keys[K_P256], "ES256", COMPACT);
		char *s64 = strrchr(body, '.') + 1;
		uint8_t *sig = NULL;
		size_t sig_len = 0;
		int which = -1;

		assert_int_equal(b64url_decode(s64, strlen(s64), &sig, &sig_len, NULL), 0);
		assert_int_equal(sig_len, 64);
		if (sig[0] == 0 && found == 0)
			which = 0; /* R */
		else if (sig[32] == 0 && found == 1)
			which = 32; /* S */
		if (which >= 0) {
			struct acme_jws j;
			struct acme_problem p = {0};
			char *short64, *sbody;

			memmove(sig + which, sig + which + 1, 63 - (size_t)which);
			short64 = b64url_encode(sig, 63);
			*s64 = '\0';
			sbody = xasprintf("%s%s", body, short64);
			assert_int_equal(
			    acme_jws_parse((const uint8_t *)sbody, strlen(sbody), &j, &p), 0);
			assert_int_equal(j.sig_len, 63);
			if (acme_jws_verify(&j, keys[K_P256], &p) != 0)
				fail_msg("short %s: %s", which == 0 ? "R" : "S", p.detail);
			/* not with another key */
			assert_int_equal(acme_jws_verify(&j, keys[K_P256_OTHER], &p), -1);
			assert_string_equal(p.detail, "JWS signature is invalid: ES256 signatures "
						      "are 64 bytes, this one has 63");
			acme_jws_free(&j);
			free(short64);
			free(sbody);
			found++;
		}
		free(sig);
		free(body);
		free(payload);
	}
	assert_int_equal(found, 2);
}

static void test_jwk_key(void **state)
{
	struct acme_jws j;
	struct acme_problem p = {0};
	EVP_PKEY *key = NULL;
	char *hdr, *body;

	(void)state;
	/* a bad embedded key: what jwk_to_pkey says */
	hdr = xstrdup("{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AA\","
		      "\"y\":\"AA\"}}");
	body = build(hdr, "{}", keys[K_P256], "ES256", FLAT);
	assert_int_equal(acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p), 0);
	assert_int_equal(acme_jws_jwk_key(&j, &key, &p), -1);
	assert_null(key);
	assert_int_equal(p.type, MALFORMED);
	assert_string_equal(p.detail, "invalid JWK: P-256 coordinates must be 32 bytes");
	acme_jws_free(&j);
	free(body);
	free(hdr);
	/* Ed25519 */
	hdr = hdr_jwk("EdDSA", K_ED25519);
	body = build(hdr, "", keys[K_ED25519], "EdDSA", GENERAL);
	assert_int_equal(acme_jws_parse((const uint8_t *)body, strlen(body), &j, &p), 0);
	assert_int_equal(acme_jws_jwk_key(&j, &key, &p), 0);
	assert_true(key_public_equal(key, keys[K_ED25519]));
	assert_int_equal(acme_jws_verify(&j, key, &p), 0);
	EVP_PKEY_free(key);
	acme_jws_free(&j);
	free(body);
	free(hdr);
}

/* ---- nonces ------------------------------------------------------------------------------ */

static const uint8_t nonce_key[ACME_NONCE_KEY_LEN] = "0123456789abcdef0123456789abcdef";
static const uint8_t other_key[ACME_NONCE_KEY_LEN] = "0123456789abcdef0123456789abcdeF";

#define T0 1700000000123456789LL

static void expect_bad_nonce(const uint8_t *key, const char *nonce, int64_t now, const char *detail)
{
	struct acme_problem p = {0};
	int64_t issued = 42;

	assert_int_equal(acme_nonce_check(key, nonce, now, &issued, &p), -1);
	assert_int_equal(p.type, ACME_PROB_BAD_NONCE);
	assert_string_equal(p.detail, detail);
	assert_int_equal(issued, 0);
}

static void test_nonce(void **state)
{
	char n1[ACME_NONCE_LEN + 1], n2[ACME_NONCE_LEN + 1], bad[64];
	struct acme_problem p = {0};
	int64_t issued = 0;

	(void)state;
	assert_int_equal(acme_nonce_new(nonce_key, T0, n1, NULL), 0);
	assert_int_equal(acme_nonce_new(nonce_key, T0, n2, NULL), 0);
	assert_int_equal(strlen(n1), ACME_NONCE_LEN);
	assert_int_equal(strspn(n1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
				    "-_"),
			 ACME_NONCE_LEN);
	assert_string_not_equal(n1, n2);
	/* round trip: the issue time to the millisecond */
	assert_int_equal(acme_nonce_check(nonce_key, n1, T0, &issued, &p), 0);
	assert_int_equal(issued, 1700000000123000000LL);
	assert_int_equal(acme_nonce_check(nonce_key, n2, T0 + 5000000000LL, &issued, &p), 0);
	assert_int_equal(acme_nonce_check(nonce_key, n1,
					  1700000000123000000LL + ACME_NONCE_LIFETIME_NS, &issued,
					  &p),
			 0);
	/* expired, from the future */
	expect_bad_nonce(nonce_key, n1, 1700000000123000000LL + ACME_NONCE_LIFETIME_NS + 1,
			 "nonce has expired");
	expect_bad_nonce(nonce_key, n1, T0 + 2 * ACME_NONCE_LIFETIME_NS, "nonce has expired");
	expect_bad_nonce(nonce_key, n1, 1700000000123000000LL - 1,
			 "nonce was issued in the future");
	/* another key, a tampered MAC, a tampered time */
	expect_bad_nonce(other_key, n1, T0, "nonce is not one this server issued");
	for (int pos = 0; pos < ACME_NONCE_LEN - 1; pos += 7) {
		strcpy(bad, n1);
		bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
		expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	}
	/* length and alphabet */
	expect_bad_nonce(nonce_key, "", T0, "nonce is not one this server issued");
	expect_bad_nonce(nonce_key, NULL, T0, "nonce is not one this server issued");
	snprintf(bad, sizeof(bad), "%.42s", n1);
	expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	snprintf(bad, sizeof(bad), "%sA", n1);
	expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	snprintf(bad, sizeof(bad), "%s=", n1);
	expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	strcpy(bad, n1);
	bad[10] = '+';
	expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	/* the last character carries 2 unused bits, which must be zero */
	{
		/* flip the lowest unused bit of the final sextet */
		static const char alpha[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
		int v = (int)(strchr(alpha, n1[42]) - alpha);

		strcpy(bad, n1);
		bad[42] = alpha[v | 1];
		expect_bad_nonce(nonce_key, bad, T0, "nonce is not one this server issued");
	}
	/* negative time */
	assert_int_equal(acme_nonce_new(nonce_key, -1, n1, NULL), -1);
}

static void test_random_id(void **state)
{
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char a[ACME_ID_LEN + 1], b[ACME_ID_LEN + 1];
	long counts[62] = {0};
	const int ids = 8000;
	const double mean = ids * ACME_ID_LEN / 62.0;

	(void)state;
	assert_int_equal(acme_random_id(a, NULL), 0);
	assert_int_equal(acme_random_id(b, NULL), 0);
	assert_int_equal(strlen(a), ACME_ID_LEN);
	assert_int_equal(strspn(a, alpha), ACME_ID_LEN);
	assert_string_not_equal(a, b);
	/* uniform: byte % 62 without rejection would give the first 8 characters 5/4 of the
	 * others' share (about 5160 instead of 4129 here; the bound is 6 standard deviations) */
	for (int i = 0; i < ids; i++) {
		assert_int_equal(acme_random_id(a, NULL), 0);
		for (int k = 0; k < ACME_ID_LEN; k++)
			counts[strchr(alpha, a[k]) - alpha]++;
	}
	for (int c = 0; c < 62; c++)
		if (counts[c] < mean - 400 || counts[c] > mean + 400)
			fail_msg("character %c drawn %ld times, expected about %.0f", alpha[c],
				 counts[c], mean);
}

/* ---- external account binding ----------------------------------------------------------- */

static const uint8_t hmac_key[32] = "eab hmac key: 32 bytes long.....";

/* An EAB object {"protected","payload","signature"} with header hdr, payload text, HMAC
 * under key with md. New reference. */
static json_t *eab_build(const char *hdr, const char *payload, const EVP_MD *md, const uint8_t *key,
			 size_t key_len)
{
	char *h64 = b64url_encode(hdr, strlen(hdr));
	char *p64 = b64url_encode(payload, strlen(payload));
	char *si = xasprintf("%s.%s", h64, p64);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned mac_len = 0;
	char *s64;
	json_t *out;

	assert_non_null(
	    HMAC(md, key, (int)key_len, (const uint8_t *)si, strlen(si), mac, &mac_len));
	s64 = b64url_encode(mac, mac_len);
	out = json_pack("{s:s,s:s,s:s}", "protected", h64, "payload", p64, "signature", s64);
	free(h64);
	free(p64);
	free(si);
	free(s64);
	return out;
}

static void expect_eab_fails(const json_t *eab, const char *url, const char *detail)
{
	struct acme_eab e;
	struct acme_problem p = {0};

	assert_int_equal(acme_eab_parse(eab, url, &e, &p), -1);
	assert_int_equal(p.type, MALFORMED);
	assert_string_equal(p.detail, detail);
	assert_null(e.header);
	assert_null(e.payload);
}

static void test_eab(void **state)
{
	const char *jwk = jwks[K_P256];
	static const struct {
		const char *alg;
		const EVP_MD *(*md)(void);
	} algs[] = {{"HS256", EVP_sha256}, {"HS384", EVP_sha384}, {"HS512", EVP_sha512}};
	struct acme_eab e;
	struct acme_problem p = {0};
	json_t *eab, *want = json_loads(jwk, 0, NULL);
	char *hdr;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}",
				algs[i].alg);
		eab = eab_build(hdr, jwk, algs[i].md(), hmac_key, sizeof(hmac_key));
		if (acme_eab_parse(eab, URL, &e, &p) != 0)
			fail_msg("%s: %s", algs[i].alg, p.detail);
		assert_string_equal(e.alg, algs[i].alg);
		assert_string_equal(e.kid, "kid-1");
		assert_true(json_equal(e.payload, want));
		assert_int_equal(acme_eab_verify(&e, hmac_key, sizeof(hmac_key), &p), 0);
		/* another key */
		assert_int_equal(acme_eab_verify(&e, hmac_key, sizeof(hmac_key) - 1, &p), -1);
		assert_int_equal(p.type, ACME_PROB_UNAUTHORIZED);
		assert_string_equal(p.detail, "external account binding signature does not verify "
					      "with the HMAC key of \"kid-1\"");
		acme_eab_free(&e);
		acme_eab_free(&e);
		json_decref(eab);
		free(hdr);
	}
	/* a tampered signature */
	hdr = xstrdup("{\"alg\":\"HS256\",\"kid\":\"kid-1\",\"url\":\"" URL "\"}");
	eab = eab_build(hdr, jwk, EVP_sha256(), (const uint8_t *)"other", 5);
	assert_int_equal(acme_eab_parse(eab, URL, &e, &p), 0);
	assert_int_equal(acme_eab_verify(&e, hmac_key, sizeof(hmac_key), &p), -1);
	assert_int_equal(p.type, ACME_PROB_UNAUTHORIZED);
	acme_eab_free(&e);
	/* url mismatch, or no outer url */
	expect_eab_fails(eab, URL "x",
			 "external account binding \"url\" \"" URL
			 "\" is not the request's \"url\"");
	expect_eab_fails(
	    eab, NULL, "external account binding \"url\" \"" URL "\" is not the request's \"url\"");
	json_decref(eab);
	free(hdr);

	static const struct {
		const char *hdr, *payload, *detail;
	} bad[] = {
	    {"{\"alg\":\"HS256\",\"kid\":\"k\",\"nonce\":\"n\",\"url\":\"" URL "\"}", NULL,
	     "external account binding must not have a \"nonce\" (RFC 8555 section 7.3.4)"},
	    {"{\"alg\":\"RS256\",\"kid\":\"k\",\"url\":\"" URL "\"}", NULL,
	     "external account binding algorithm \"RS256\" is not supported (HS256, HS384, "
	     "HS512)"},
	    {"{\"alg\":\"none\",\"kid\":\"k\",\"url\":\"" URL "\"}", NULL,
	     "external account binding algorithm \"none\" is not supported (HS256, HS384, "
	     "HS512)"},
	    {"{\"kid\":\"k\",\"url\":\"" URL "\"}", NULL,
	     "external account binding protected header has no \"alg\""},
	    {"{\"alg\":\"HS256\",\"kid\":\"\",\"url\":\"" URL "\"}", NULL,
	     "external account binding protected header needs a non-empty \"kid\" (the EAB key "
	     "ID)"},
	    {"{\"alg\":\"HS256\",\"url\":\"" URL "\"}", NULL,
	     "external account binding protected header needs a non-empty \"kid\" (the EAB key "
	     "ID)"},
	    {"{\"alg\":\"HS256\",\"kid\":\"k\"}", NULL,
	     "external account binding protected header has no \"url\""},
	    {"{\"alg\":\"HS256\",\"kid\":\"k\",\"url\":\"" URL "\"}", "{\"kid\":\"x\"}",
	     "external account binding payload is not a JWK: invalid JWK: missing \"kty\""},
	    {"{\"alg\":\"HS256\",\"kid\":\"k\",\"url\":\"" URL "\"}", "not json",
	     "external account binding payload is not a JWK: not a JSON object"},
	    {"{\"alg\":\"HS256\",\"kid\":\"k\",\"url\":\"" URL "\"}", "",
	     "external account binding payload is not a JWK: not a JSON object"},
	    {"{\"alg\":\"HS256\",\"kid\":\"k\",\"url\":\"" URL "\"}",
	     "{\"kty\":\"oct\",\"k\":\"AAAA\"}",
	     "external account binding payload must be a public JWK, it has the private member "
	     "\"k\""},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eab = eab_build(bad[i].hdr, bad[i].payload != NULL ? bad[i].payload : jwk,
				EVP_sha256(), hmac_key, sizeof(hmac_key));
		expect_eab_fails(eab, URL, bad[i].detail);
		json_decref(eab);
	}
	/* shapes */
	eab = json_pack("[]");
	expect_eab_fails(eab, URL, "external account binding must be a JSON object");
	json_decref(eab);
	hdr = xstrdup("{\"alg\":\"HS256\",\"kid\":\"k\",\"url\":\"" URL "\"}");
	eab = eab_build(hdr, jwk, EVP_sha256(), hmac_key, sizeof(hmac_key));
	json_object_set_new(eab, "header", json_object());
	expect_eab_fails(eab, URL,
			 "external account binding has an unprotected header; every header "
			 "parameter must be in \"protected\"");
	json_object_del(eab, "header");
	json_object_set_new(eab, "signature", json_string("AA=="));
	expect_eab_fails(eab, URL, "external account binding signature is not valid base64url");
	json_object_del(eab, "signature");
	expect_eab_fails(eab, URL, "external account binding has no \"signature\"");
	json_decref(eab);
	free(hdr);
	json_decref(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_flattened_jose_signed),
	    cmocka_unit_test(test_valid_forms_kid_post_as_get),
	    cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_verify_refusals),
	    cmocka_unit_test(test_verify_short_ecdsa),
	    cmocka_unit_test(test_jwk_key),
	    cmocka_unit_test(test_nonce),
	    cmocka_unit_test(test_random_id),
	    cmocka_unit_test(test_eab),
	};

	return cmocka_run_group_tests(tests, setup_keys, teardown_keys);
}
