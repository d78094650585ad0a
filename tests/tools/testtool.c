/* testtool.c - a helper for the end-to-end tests, never installed.
 *
 *   testtool jwe-decrypt PASSWORD_FILE < JWE      prints the decrypted JWE payload
 *   testtool sign-jwt JWK_FILE HEADER_JSON PAYLOAD_JSON
 *                                                 prints a compact JWS signed with the JWK;
 *                                                 HEADER_JSON members are added to {"alg"}
 *   testtool jwk-public KEY_FILE                  prints the public JWK of a private key (JWK or
 *                                                 PEM), kid = its thumbprint
 *   testtool rsa-csr BITS EXPONENT CN              prints a PEM CSR for CN with an RSA key of a
 *                                                 BITS-bit modulus and public exponent EXPONENT
 *                                                 (decimal, or "huge": a random odd one of
 *                                                 BITS-1 bits); correctly self-signed for an
 *                                                 odd exponent (the primes are picked so that
 *                                                 it is invertible), else (even exponent, or
 *                                                 BITS > 8192: a random odd modulus) signed
 *                                                 by another key
 *   testtool renew-daemon URL ROOT CRT KEY INTERVAL_MS SECONDS
 *                                                 POSTs URL/renew every INTERVAL_MS for SECONDS
 *                                                 presenting CRT/KEY, rewrites CRT with each new
 *                                                 chain; one line per renewal (see renew_daemon)
 *
 * It lets the tests forge tokens with any claims (expired, wrong audience, ...)
 * using the real library code, without a scripting language.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"
#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "jose/jws.h"

static int fail(const struct error *err)
{
	fprintf(stderr, "testtool: %s\n", err->msg);
	return 1;
}

static int jwe_decrypt(const char *password_file)
{
	struct error err = {0};
	char *pw = NULL, line[65536];
	uint8_t *plain = NULL;
	size_t n = 0, len;

	len = fread(line, 1, sizeof(line) - 1, stdin);
	line[len] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
		line[--len] = '\0';
	int rc = 0;

	if (password_read_file(password_file, &pw, &err) != 0 ||
	    jwe_decrypt_password(line, pw, &plain, &n, &err) != 0) {
		rc = fail(&err);
	} else {
		fwrite(plain, 1, n, stdout);
		putchar('\n');
	}
	password_free(pw);
	free(plain);
	return rc;
}

/* The private key of file: a JWK, or PEM (an admin certificate's key). */
static int load_signing_key(const char *file, EVP_PKEY **key, struct error *err)
{
	json_t *jwk = json_load_file(file, 0, NULL);
	uint8_t *pem = NULL;
	size_t len = 0;
	int rc;

	if (jwk != NULL) {
		rc = jwk_to_pkey(jwk, key, err);
		json_decref(jwk);
		return rc;
	}
	if (file_read(file, 1 << 20, &pem, &len, err) != 0)
		return -1;
	rc = key_parse_private(pem, len, NULL, key, err);
	free(pem);
	return rc;
}

static int sign_jwt(const char *key_file, const char *header_json, const char *payload_json)
{
	struct error err = {0};
	json_error_t jerr;
	json_t *header = json_loads(header_json, 0, &jerr);
	json_t *payload = header != NULL ? json_loads(payload_json, 0, &jerr) : NULL;
	EVP_PKEY *key = NULL;
	char *out = NULL;

	int rc = 1;

	if (header == NULL || payload == NULL)
		fprintf(stderr, "testtool: bad JSON: %s\n", jerr.text);
	else if (load_signing_key(key_file, &key, &err) != 0 ||
		 jws_sign(header, payload, key, &out, &err) != 0)
		rc = fail(&err);
	else
		rc = printf("%s\n", out) < 0;
	free(out);
	EVP_PKEY_free(key);
	json_decref(header);
	json_decref(payload);
	return rc;
}

static int jwk_public(const char *key_file)
{
	struct error err = {0};
	EVP_PKEY *key = NULL;
	json_t *jwk = NULL;
	char *text = NULL;
	int rc = 1;

	if (load_signing_key(key_file, &key, &err) != 0 ||
	    (jwk = jwk_from_pkey(key, false, &err)) == NULL)
		rc = fail(&err);
	else if ((text = json_dumps(jwk, JSON_COMPACT)) != NULL)
		rc = printf("%s\n", text) < 0;
	free(text);
	json_decref(jwk);
	EVP_PKEY_free(key);
	return rc;
}

/* An RSA key from its numbers: the key pair when d is set, else the public key only. */
static EVP_PKEY *rsa_from(BIGNUM *n, BIGNUM *e, BIGNUM *d, BIGNUM *p, BIGNUM *q, BN_CTX *ctx)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *key = NULL;
	BIGNUM *dp = BN_new(), *dq = BN_new(), *qinv = BN_new(), *pm1 = BN_new(), *qm1 = BN_new();
	bool ok = bld != NULL && pctx != NULL && OSSL_PARAM_BLD_push_BN(bld, "n", n) &&
		  OSSL_PARAM_BLD_push_BN(bld, "e", e);

	if (ok && d != NULL)
		ok = BN_sub(pm1, p, BN_value_one()) && BN_sub(qm1, q, BN_value_one()) &&
		     BN_mod(dp, d, pm1, ctx) && BN_mod(dq, d, qm1, ctx) &&
		     BN_mod_inverse(qinv, q, p, ctx) != NULL &&
		     OSSL_PARAM_BLD_push_BN(bld, "d", d) &&
		     OSSL_PARAM_BLD_push_BN(bld, "rsa-factor1", p) &&
		     OSSL_PARAM_BLD_push_BN(bld, "rsa-factor2", q) &&
		     OSSL_PARAM_BLD_push_BN(bld, "rsa-exponent1", dp) &&
		     OSSL_PARAM_BLD_push_BN(bld, "rsa-exponent2", dq) &&
		     OSSL_PARAM_BLD_push_BN(bld, "rsa-coefficient1", qinv);
	if (ok && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    EVP_PKEY_fromdata_init(pctx) == 1)
		EVP_PKEY_fromdata(pctx, &key, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
				  params);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pctx);
	BN_free(dp);
	BN_free(dq);
	BN_free(qinv);
	BN_free(pm1);
	BN_free(qm1);
	return key;
}

static int rsa_csr(const char *bits_arg, const char *exp_arg, const char *cn)
{
	int bits = atoi(bits_arg), rc = 1;
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = BN_new(), *q = BN_new(), *n = BN_new(), *e = BN_new(), *d = NULL;
	BIGNUM *pm1 = BN_new(), *qm1 = BN_new(), *g = BN_new(), *lambda = BN_new();
	EVP_PKEY *key = NULL, *signer = NULL;
	X509_REQ *req = X509_REQ_new();

	if (bits < 64 || bits > 32768 || ctx == NULL || req == NULL)
		goto out;
	if (strcmp(exp_arg, "huge") != 0 && BN_dec2bn(&e, exp_arg) == 0)
		goto out;
	if (bits > 8192) {
		/* Too slow to find primes: any odd number of that size stands for the modulus. */
		if (!BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD))
			goto out;
		if (strcmp(exp_arg, "huge") == 0 &&
		    !BN_rand(e, bits - 1, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD))
			goto out;
	}
	/* New primes until an odd exponent is invertible (an even one never is). */
	for (int tries = 0; bits <= 8192 && d == NULL && tries < 64; tries++) {
		if (!BN_generate_prime_ex2(p, bits / 2, 0, NULL, NULL, NULL, ctx) ||
		    !BN_generate_prime_ex2(q, bits - bits / 2, 0, NULL, NULL, NULL, ctx) ||
		    !BN_mul(n, p, q, ctx) || !BN_sub(pm1, p, BN_value_one()) ||
		    !BN_sub(qm1, q, BN_value_one()) || !BN_gcd(g, pm1, qm1, ctx) ||
		    !BN_mul(lambda, pm1, qm1, ctx) || !BN_div(lambda, NULL, lambda, g, ctx))
			goto out;
		if (strcmp(exp_arg, "huge") == 0 &&
		    !BN_rand(e, bits - 1, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD))
			goto out;
		d = BN_mod_inverse(NULL, e, lambda, ctx);
		ERR_clear_error();
		if (!BN_is_odd(e))
			break;
	}
	key = rsa_from(n, e, d, d != NULL ? p : NULL, d != NULL ? q : NULL, ctx);
	signer = d != NULL ? key : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (key == NULL || signer == NULL || !X509_REQ_set_version(req, 0) ||
	    !X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_REQ_set_pubkey(req, signer) || X509_REQ_sign(req, signer, EVP_sha256()) <= 0 ||
	    (signer != key && !X509_REQ_set_pubkey(req, key)) || !PEM_write_X509_REQ(stdout, req))
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "testtool: cannot make the CSR\n");
	if (signer != key)
		EVP_PKEY_free(signer);
	EVP_PKEY_free(key);
	X509_REQ_free(req);
	BN_free(p);
	BN_free(q);
	BN_free(n);
	BN_free(e);
	BN_clear_free(d);
	BN_free(pm1);
	BN_free(qm1);
	BN_free(g);
	BN_free(lambda);
	BN_CTX_free(ctx);
	return rc;
}

#define RENEW_BODY_MAX (1024 * 1024)

struct body {
	char *data;
	size_t len;
};

static size_t body_write(char *ptr, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	size_t add = size * n;

	if (b->len + add > RENEW_BODY_MAX)
		return 0;
	b->data = realloc(b->data, b->len + add + 1);
	if (b->data == NULL)
		return 0;
	memcpy(b->data + b->len, ptr, add);
	b->len += add;
	b->data[b->len] = '\0';
	return add;
}

/* The certificate chain of a 201 SignResponse as PEM (malloc'd), its leaf in *leaf; NULL when
 * the body has none. */
static char *chain_of(const char *body, X509 **leaf)
{
	json_t *doc = json_loads(body, 0, NULL);
	STACK_OF(X509) *certs = NULL;
	struct error err = {0};
	char *pem = xstrdup("");
	size_t i;
	json_t *v;

	*leaf = NULL;
	json_array_foreach(json_object_get(doc, "certChain"), i, v)
	{
		char *next =
		    xasprintf("%s%s", pem, json_string_value(v) ? json_string_value(v) : "");
		free(pem);
		pem = next;
	}
	if (cert_parse_chain((const uint8_t *)pem, strlen(pem), &certs, &err) == 0)
		*leaf = X509_dup(sk_X509_value(certs, 0));
	sk_X509_pop_free(certs, X509_free);
	json_decref(doc);
	if (*leaf == NULL) {
		free(pem);
		pem = NULL;
	}
	return pem;
}

/* What `step ca renew --daemon` does, with libcurl: one easy handle for the whole run, so that
 * libcurl keeps its connection (and its TLS session cache) and reuses the connection whenever
 * the server leaves it open; the client certificate is read from CRT and KEY by path, so a
 * rewritten CRT is only presented on a new connection, as with step's transport. libcurl also
 * offers the TLS session of the last connection on a new one (Go's client does not by default),
 * which would bring the old certificate back if the server resumed it. Prints one
 * line per renewal: "<unix time> <status> <connections opened> <new serial> <new notAfter>"
 * ("-" for a failed one). Exit status 0 when every renewal was a 201. */
static int renew_daemon(const char *url, const char *root, const char *crt, const char *key,
			const char *interval_ms, const char *seconds)
{
	CURL *curl = curl_easy_init();
	time_t end = time(NULL) + atol(seconds);
	useconds_t pause = (useconds_t)atol(interval_ms) * 1000;
	int rc = 0;

	if (curl == NULL)
		return 1;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CAINFO, root);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, crt);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_POST, 1L);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_write);
	while (time(NULL) < end) {
		struct body b = {NULL, 0};
		long status = 0, connects = 0;
		X509 *leaf = NULL;
		char *pem = NULL, *serial = NULL;
		struct error err = {0};
		CURLcode res;

		curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
		res = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
		if (res == CURLE_OK && status == 201 && b.data != NULL)
			pem = chain_of(b.data, &leaf);
		if (pem != NULL && file_write_atomic(crt, pem, strlen(pem), 0600, &err) == 0) {
			serial = cert_serial_decimal(leaf);
			printf("%lld %ld %ld %s %lld\n", (long long)time(NULL), status, connects,
			       serial, (long long)(cert_not_after_ns(leaf) / 1000000000));
		} else {
			printf("%lld %ld %ld - -\n", (long long)time(NULL), status, connects);
			rc = 1;
		}
		fflush(stdout);
		free(serial);
		free(pem);
		X509_free(leaf);
		free(b.data);
		usleep(pause);
	}
	curl_easy_cleanup(curl);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "jwe-decrypt") == 0)
		return jwe_decrypt(argv[2]);
	if (argc == 5 && strcmp(argv[1], "sign-jwt") == 0)
		return sign_jwt(argv[2], argv[3], argv[4]);
	if (argc == 3 && strcmp(argv[1], "jwk-public") == 0)
		return jwk_public(argv[2]);
	if (argc == 5 && strcmp(argv[1], "rsa-csr") == 0)
		return rsa_csr(argv[2], argv[3], argv[4]);
	if (argc == 8 && strcmp(argv[1], "renew-daemon") == 0)
		return renew_daemon(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
	fprintf(stderr, "usage: testtool jwe-decrypt PASSWORD_FILE < JWE\n"
			"       testtool sign-jwt JWK_OR_PEM_KEY_FILE HEADER_JSON PAYLOAD_JSON\n"
			"       testtool jwk-public JWK_OR_PEM_KEY_FILE\n"
			"       testtool rsa-csr BITS EXPONENT|huge CN\n"
			"       testtool renew-daemon URL ROOT CRT KEY INTERVAL_MS SECONDS\n");
	return 2;
}
