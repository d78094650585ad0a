/* floor.c - the crypto an issuance cannot avoid, measured with the same OpenSSL.
 *
 * Per issuance: verify the ES256 token signature (jws_verify on a parsed token), verify the
 * P-256 CSR self-signature (csr_verify on a parsed CSR, as stride-ca does), build and sign
 * the leaf's DER with a P-256 intermediate (x509_desc_issue_der from the CSR's key, as stride-ca
 * writes every leaf; the description filled from a leaf_spec). The sum
 * is the floor: what a server would spend if it did nothing else.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/str.h"
#include "bench.h"
#include "client/token.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509build.h"
#include "crypto/x509desc.h"
#include "jose/jws.h"

#define POOL 32

struct pool {
	EVP_PKEY *prov, *prov_pub, *ca_key;
	struct signer *signer;
	X509 *issuer;
	char *tokens[POOL];
	struct jws jws[POOL];
	X509_REQ *csrs[POOL];
	char *csr_pems[POOL];
	struct names names[POOL];
	X509_NAME *subjects[POOL];
};

static void pool_free(struct pool *p)
{
	for (int i = 0; i < POOL; i++) {
		if (p->tokens[i] != NULL)
			OPENSSL_cleanse(p->tokens[i], strlen(p->tokens[i]));
		free(p->tokens[i]);
		jws_free(&p->jws[i]);
		X509_REQ_free(p->csrs[i]);
		free(p->csr_pems[i]);
		names_free(&p->names[i]);
		X509_NAME_free(p->subjects[i]);
	}
	EVP_PKEY_free(p->prov);
	EVP_PKEY_free(p->prov_pub);
	EVP_PKEY_free(p->ca_key);
	signer_free(p->signer);
	X509_free(p->issuer);
}

/* Keys, tokens, CSRs (parsed back from PEM, as a server receives them), an intermediate. */
static int pool_init(struct pool *p, struct error *err)
{
	struct key_spec spec = {.kty = KEY_KTY_EC, .nid = NID_X9_62_prime256v1};
	int64_t now = (int64_t)time(NULL);
	char *pem = NULL;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (key_generate(&spec, &p->prov, err) != 0 || key_generate(&spec, &p->ca_key, err) != 0 ||
	    key_public_to_pem(p->prov, &pem, err) != 0 ||
	    key_parse_public((const uint8_t *)pem, strlen(pem), &p->prov_pub, err) != 0)
		goto out;
	{
		EVP_PKEY *ca_pub = p->ca_key;
		p->signer = signer_file_new(p->ca_key); /* owns ca_key now */
		p->ca_key = NULL;
		if (p->signer == NULL) {
			err_set(err, ERR_CRYPTO, "cannot make a signer");
			goto out;
		}
		if (x509_issue_ca("Bench Floor CA", "stride-bench", ca_pub, NULL, p->signer, 0,
				  (now - 60) * 1000000000LL, (now + 86400) * 1000000000LL,
				  &p->issuer, err) != 0)
			goto out;
	}
	for (int i = 0; i < POOL; i++) {
		struct strv sans = {0};
		EVP_PKEY *key = NULL;
		X509_REQ *csr = NULL;
		char *dns = xasprintf("floor-%d.bench.test", i);
		struct token_params tp = {
		    .issuer = "bench@example.com",
		    .kid = "kid-0123456789abcdef0123456789abcdef0123456",
		    .subject = dns,
		    .sans = &sans,
		    .audience = "https://127.0.0.1:9443/1.0/sign",
		    .not_before_sec = now,
		    .not_after_sec = now + 300,
		    .root_sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		};
		int ok;

		strv_push(&sans, dns);
		ok = key_generate(&spec, &key, err) == 0 &&
		     csr_create(key, dns, &sans, &csr, err) == 0 &&
		     csr_to_pem(csr, &p->csr_pems[i], err) == 0 &&
		     csr_parse((const uint8_t *)p->csr_pems[i], strlen(p->csr_pems[i]), &p->csrs[i],
			       err) == 0 &&
		     token_build(p->prov, &tp, &p->tokens[i], err) == 0 &&
		     jws_parse(p->tokens[i], strlen(p->tokens[i]), &p->jws[i], err) == 0;
		if (ok) {
			names_add_san(&p->names[i], dns);
			p->subjects[i] = X509_NAME_new();
			ok = p->subjects[i] != NULL &&
			     X509_NAME_add_entry_by_txt(p->subjects[i], "CN", MBSTRING_UTF8,
							(const unsigned char *)dns, -1, -1, 0) == 1;
			if (!ok)
				err_set(err, ERR_CRYPTO, "cannot build a subject");
		}
		strv_free(&sans);
		free(dns);
		X509_REQ_free(csr);
		EVP_PKEY_free(key);
		if (!ok)
			goto out;
	}
	rc = 0;
out:
	free(pem);
	return rc;
}

static int issue_one(struct pool *p, int i, int64_t now, struct error *err)
{
	struct leaf_spec spec = {
	    .subject = p->subjects[i],
	    .sans = &p->names[i],
	    .public_key = X509_REQ_get0_pubkey(p->csrs[i]),
	    .not_before_ns = (now - 60) * 1000000000LL,
	    .not_after_ns = (now + 86400) * 1000000000LL,
	    .server_auth = true,
	    .client_auth = true,
	    .prov_type = PROV_CODE_JWK,
	    .prov_name = "bench@example.com",
	    .prov_cred_id = "kid-0123456789abcdef0123456789abcdef0123456",
	};
	struct x509_desc *d = x509_desc_new();
	struct x509_ca_ext ca = {0};
	uint8_t *spki = NULL, *der = NULL;
	size_t spki_len = 0, der_len = 0;
	int rc = -1;

	if (x509_leaf_spec_desc(&spec, d, &ca, err) == 0 &&
	    csr_spki_der(p->csrs[i], &spki, &spki_len, err) == 0)
		rc = x509_desc_issue_der(d, &ca, spki, spki_len, spec.not_before_ns,
					 spec.not_after_ns, p->issuer, p->signer, &der, &der_len,
					 err);
	free(der);
	free(spki);
	x509_desc_free(d);
	return rc;
}

/* Average microseconds of one call of what over iterations (after a short warm-up). */
#define TIME_LOOP(result, iterations, body)                                                        \
	do {                                                                                       \
		for (int i_ = 0; i_ < 20; i_++) {                                                  \
			int i = i_ % POOL;                                                         \
			body;                                                                      \
		}                                                                                  \
		int64_t t0_ = now_ns();                                                            \
		for (int i_ = 0; i_ < (iterations); i_++) {                                        \
			int i = i_ % POOL;                                                         \
			body;                                                                      \
		}                                                                                  \
		(result) = (double)(now_ns() - t0_) / 1e3 / (double)(iterations);                  \
	} while (0)

int floor_measure(int iterations, struct floor_result *out, struct error *err)
{
	struct pool p;
	int64_t now = (int64_t)time(NULL);
	unsigned char digest[32], sig[80];
	size_t siglen = 0;
	EVP_PKEY_CTX *sctx = NULL, *vctx = NULL;
	int bad = 0, rc = -1;

	memset(out, 0, sizeof(*out));
	if (iterations < 1)
		iterations = 1;
	out->iterations = iterations;
	if (pool_init(&p, err) != 0)
		goto out;

	TIME_LOOP(out->jws_verify_us, iterations, bad |= jws_verify(&p.jws[i], p.prov_pub, err));
	TIME_LOOP(out->csr_verify_us, iterations, bad |= csr_verify(p.csrs[i], err));
	TIME_LOOP(out->cert_sign_us, iterations, bad |= issue_one(&p, i, now, err));
	if (bad) {
		err_wrap(err, "crypto floor");
		goto out;
	}
	out->floor_ms = (out->jws_verify_us + out->csr_verify_us + out->cert_sign_us) / 1e3;

	/* References: bare ECDSA, and the library's whole token parse + verify. */
	RAND_bytes(digest, sizeof(digest));
	sctx = EVP_PKEY_CTX_new(p.prov, NULL);
	vctx = EVP_PKEY_CTX_new(p.prov_pub, NULL);
	if (sctx == NULL || vctx == NULL || EVP_PKEY_sign_init(sctx) != 1 ||
	    EVP_PKEY_verify_init(vctx) != 1) {
		err_openssl(err, ERR_CRYPTO, "cannot set up ECDSA");
		goto out;
	}
	TIME_LOOP(out->ecdsa_sign_us, iterations, {
		(void)i;
		siglen = sizeof(sig);
		bad |= EVP_PKEY_sign(sctx, sig, &siglen, digest, sizeof(digest)) != 1;
	});
	TIME_LOOP(out->ecdsa_verify_us, iterations, {
		(void)i;
		bad |= EVP_PKEY_verify(vctx, sig, siglen, digest, sizeof(digest)) != 1;
	});
	TIME_LOOP(out->token_parse_us, iterations, {
		struct jws j = {0};
		bad |= jws_parse(p.tokens[i], strlen(p.tokens[i]), &j, err) != 0 ||
		       jws_verify(&j, p.prov_pub, err) != 0;
		jws_free(&j);
	});
	TIME_LOOP(out->csr_parse_us, iterations, {
		X509_REQ *req = NULL;
		bad |= csr_parse((const uint8_t *)p.csr_pems[i], strlen(p.csr_pems[i]), &req,
				 err) != 0;
		X509_REQ_free(req);
	});
	if (bad) {
		err_set(err, ERR_CRYPTO, "crypto floor: reference ECDSA or token check failed");
		goto out;
	}
	rc = 0;
out:
	EVP_PKEY_CTX_free(sctx);
	EVP_PKEY_CTX_free(vctx);
	pool_free(&p);
	return rc;
}

int floor_main(int argc, char **argv)
{
	struct floor_result f;
	struct error err = {0};
	int iterations = argc > 1 ? atoi(argv[1]) : 3000;

	if (argc > 2 || iterations < 1) {
		fputs("Usage: stride-bench floor [ITERATIONS]\n", stderr);
		return 1;
	}
	if (floor_measure(iterations, &f, &err) != 0) {
		fprintf(stderr, "stride-bench floor: %s\n", err.msg);
		return 1;
	}
	printf("crypto floor per issuance (%s, %d iterations):\n"
	       "  ES256 token verify (jws_verify)        %8.1f us\n"
	       "  P-256 CSR verify (csr_verify)          %8.1f us\n"
	       "  leaf build + sign (x509_desc_issue_der) %7.1f us\n"
	       "  floor                                  %8.3f ms\n"
	       "reference:\n"
	       "  bare ECDSA P-256 sign                  %8.1f us\n"
	       "  bare ECDSA P-256 verify                %8.1f us\n"
	       "  jws_parse + jws_verify                 %8.1f us\n"
	       "  csr_parse of a PEM CSR                 %8.1f us\n",
	       OpenSSL_version(OPENSSL_VERSION), f.iterations, f.jws_verify_us, f.csr_verify_us,
	       f.cert_sign_us, f.floor_ms, f.ecdsa_sign_us, f.ecdsa_verify_us, f.token_parse_us,
	       f.csr_parse_us);
	return 0;
}
