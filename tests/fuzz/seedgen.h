/* seedgen.h - writes seed corpora made with the fixture CA (included by fuzz_authority.c).
 *
 *   STRIDE_FUZZ_SEEDS=/tmp/seeds build-fuzz/fuzz_authority
 *
 * writes valid tokens, request bodies, CA responses, keys, JWKs and certificates for the
 * fixture CA of ca_fixture.h to /tmp/seeds/<target>/<name>; copy what you want to keep into
 * tests/fuzz/corpus/<target>/. Tokens and the leaf are valid from 2000 (a machine whose clock
 * is behind still accepts them) until 2099/2100; tokens carry random jti values, so
 * regenerating changes every file.
 */
#ifndef STRIDE_FUZZ_SEEDGEN_H
#define STRIDE_FUZZ_SEEDGEN_H

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authority/authority.h"
#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "base/str.h"
#include "client/token.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#include "ca_fixture.h"

#define SEED_NBF 946684800  /* 2000-01-01 */
#define SEED_EXP 4102444800 /* 2100-01-01 */

static const char *seed_root;
static int seed_count;

static void seed_bytes(const char *target, const char *name, char op, const void *data, size_t n)
{
	char *dir = xasprintf("%s/%s", seed_root, target), *path = xasprintf("%s/%s", dir, name);
	char *buf = xmalloc(n + 1);
	size_t len = 0;
	struct error err = {0};

	if (op != '\0')
		buf[len++] = op;
	memcpy(buf + len, data, n);
	len += n;
	if (file_mkdir_p(dir, 0755, &err) != 0 ||
	    file_write_atomic(path, buf, len, 0644, &err) != 0) {
		fprintf(stderr, "seedgen: %s\n", err.msg);
		abort();
	}
	seed_count++;
	free(buf);
	free(path);
	free(dir);
}

static void seed_str(const char *target, const char *name, const char *s)
{
	seed_bytes(target, name, '\0', s, strlen(s));
}

/* A seed of fuzz_authority: the endpoint byte, then the client's bytes. */
static void seed_op(const char *name, char op, const char *s)
{
	char *file = xasprintf("op%c_%s", op, name);

	seed_bytes("fuzz_authority", file, op, s, strlen(s));
	free(file);
}

/* Dumps a JSON document (reference stolen) as a seed of target, and of fuzz_authority when
 * op is not NUL. */
static void seed_json(const char *target, const char *name, char op, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s == NULL)
		abort();
	if (target != NULL)
		seed_str(target, name, s);
	if (op != '\0')
		seed_op(name, op, s);
	free(s);
	json_decref(doc);
}

static void seed_must(int rc, const struct error *err)
{
	if (rc != 0) {
		fprintf(stderr, "seedgen: %s\n", err->msg);
		abort();
	}
}

static char *seed_csr_pem(EVP_PKEY *key, const char *cn, const char *san1, const char *san2)
{
	struct strv sans = {0};
	X509_REQ *csr = NULL;
	char *pem = NULL;
	struct error err = {0};

	if (san1 != NULL)
		strv_push(&sans, san1);
	if (san2 != NULL)
		strv_push(&sans, san2);
	seed_must(csr_create(key, cn, &sans, &csr, &err), &err);
	seed_must(csr_to_pem(csr, &pem, &err), &err);
	X509_REQ_free(csr);
	strv_free(&sans);
	return pem;
}

static EVP_PKEY *seed_key(enum key_kty kty, int nid, int bits)
{
	struct key_spec spec = {.kty = kty, .nid = nid, .rsa_bits = bits};
	EVP_PKEY *k = NULL;
	struct error err = {0};

	seed_must(key_generate(&spec, &k, &err), &err);
	return k;
}

/* Keys in every format key_parse_private/public read, and their JWKs. */
static void seed_keys(EVP_PKEY *ec, EVP_PKEY *rsa, EVP_PKEY *ed)
{
	EVP_PKEY *keys[] = {ec, rsa, ed};
	const char *names[] = {"ec", "rsa", "ed25519"};
	struct error err = {0};

	for (int i = 0; i < 3; i++) {
		char name[64], *pem = NULL, *s;
		json_t *jwk;
		unsigned char *der = NULL;
		int n;

		seed_must(key_private_to_pem(keys[i], NULL, &pem, &err), &err);
		snprintf(name, sizeof(name), "%s_private.pem", names[i]);
		seed_str("fuzz_key", name, pem);
		free(pem);
		if (i < 2) { /* EC and RSA: RFC 1421 encryption with a cheap KDF */
			seed_must(key_private_to_pem(keys[i], "password", &pem, &err), &err);
			snprintf(name, sizeof(name), "%s_private_password.pem", names[i]);
			seed_str("fuzz_key", name, pem);
			free(pem);
		}
		seed_must(key_public_to_pem(keys[i], &pem, &err), &err);
		snprintf(name, sizeof(name), "%s_public.pem", names[i]);
		seed_str("fuzz_key", name, pem);
		free(pem);
		n = i2d_PrivateKey(keys[i], &der);
		if (n > 0) {
			snprintf(name, sizeof(name), "%s_private.der", names[i]);
			seed_bytes("fuzz_key", name, '\0', der, (size_t)n);
			OPENSSL_free(der);
		}
		for (int priv = 0; priv < 2; priv++) {
			jwk = jwk_from_pkey(keys[i], priv, &err);
			seed_must(jwk == NULL ? -1 : 0, &err);
			s = json_dumps(jwk, JSON_COMPACT | JSON_PRESERVE_ORDER);
			snprintf(name, sizeof(name), "%s_%s.json", names[i],
				 priv ? "private" : "public");
			seed_str("fuzz_jwk", name, s);
			free(s);
			json_decref(jwk);
		}
	}
}

static void seed_responses(X509 *leaf, const char *fp, struct authority *a)
{
	char *leaf_pem = NULL, *chain_pem = NULL;
	json_t *page = NULL;
	struct error err = {0};

	seed_must(cert_to_pem(leaf, &leaf_pem, &err), &err);
	seed_json("fuzz_ca_response", "sign_response", '\0',
		  json_pack("{s:s, s:s, s:[s,s], s:{s:[s], s:f, s:f, s:b}}", "crt", leaf_pem, "ca",
			    FX_INTER_PEM, "certChain", leaf_pem, FX_INTER_PEM, "tlsOptions",
			    "cipherSuites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "minVersion",
			    1.2, "maxVersion", 1.3, "renegotiation", 0));
	seed_json("fuzz_ca_response", "sign_response_old", '\0',
		  json_pack("{s:s, s:s}", "crt", leaf_pem, "ca", FX_INTER_PEM));
	seed_json("fuzz_ca_response", "roots", '\0', json_pack("{s:[s]}", "crts", FX_ROOT_PEM));
	seed_json("fuzz_ca_response", "root", '\0', json_pack("{s:s}", "ca", FX_ROOT_PEM));
	seed_json("fuzz_ca_response", "error_400", '\0',
		  json_pack("{s:i, s:s}", "status", 400, "message",
			    "The request could not be completed: invalid csr."));
	seed_json("fuzz_ca_response", "error_detail", '\0',
		  json_pack("{s:s, s:s}", "type", "badCSR", "detail", "bad"));
	seed_json("fuzz_ca_response", "health", '\0', json_pack("{s:s}", "status", "ok"));
	seed_json("fuzz_ca_response", "encrypted_key", '\0',
		  json_pack("{s:s}", "key", FX_PROV_JWE));
	seed_must(authority_provisioners_page(a, "", "", &page, &err), &err);
	seed_json("fuzz_ca_response", "provisioners", '\0', page);
	seed_json("fuzz_ca_response", "provisioners_next", '\0',
		  json_pack("{s:[], s:s}", "provisioners", "nextCursor", "abc"));
	chain_pem = xasprintf("%s%s%s", leaf_pem, FX_INTER_PEM, FX_ROOT_PEM);
	seed_str("fuzz_cert", "chain.pem", chain_pem);
	{
		uint8_t *der = NULL;
		size_t len = 0;
		seed_must(cert_to_der(leaf, &der, &len, &err), &err);
		seed_bytes("fuzz_cert", "leaf.der", '\0', der, len);
		OPENSSL_free(der);
	}
	seed_op("root_fingerprint", '5', fp);
	free(chain_pem);
	free(leaf_pem);
}

/* Writes every seed; returns the exit status. */
static int seedgen_write_all(const char *root)
{
	struct authority *a = fx_authority_new();
	EVP_PKEY *prov = NULL, *leaf_key, *x5c_key, *kyma_key, *rekey_key, *rsa, *ed;
	STACK_OF(X509) *chain = NULL;
	struct error err = {0};
	struct issued issued = {0};
	struct strv sans = {0};
	int64_t now = SEED_NBF;
	char fp[65], thumb[44], *csr_pem, *tok = NULL, *serial, *s;
	X509 *root_cert;

	seed_root = root;
	seed_must(key_parse_private((const uint8_t *)FX_PROV_KEY_PEM, strlen(FX_PROV_KEY_PEM), NULL,
				    &prov, &err),
		  &err);
	seed_must(cert_parse_chain((const uint8_t *)FX_ROOT_PEM, strlen(FX_ROOT_PEM), &chain, &err),
		  &err);
	root_cert = sk_X509_value(chain, 0);
	seed_must(cert_fingerprint(root_cert, fp, &err), &err);
	leaf_key = seed_key(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	x5c_key = seed_key(KEY_KTY_EC, NID_secp384r1, 0);
	kyma_key = seed_key(KEY_KTY_EC, NID_X9_62_prime256v1, 0);
	rekey_key = seed_key(KEY_KTY_OKP, NID_ED25519, 0);
	rsa = seed_key(KEY_KTY_RSA, 0, 2048);
	ed = seed_key(KEY_KTY_OKP, NID_ED25519, 0);

	/* POST /sign with a JWK token; the certificate it issues is the leaf of the rest. */
	strv_push(&sans, "fuzz.example.com");
	strv_push(&sans, "10.0.0.1");
	csr_pem = seed_csr_pem(leaf_key, "fuzz.example.com", "fuzz.example.com", "10.0.0.1");
	{
		struct token_params tp = {
		    .issuer = FX_PROV_NAME,
		    .kid = FX_PROV_KID,
		    .subject = "fuzz.example.com",
		    .sans = &sans,
		    .audience = FX_AUDIENCE "/1.0/sign",
		    .not_before_sec = now,
		    .not_after_sec = SEED_EXP,
		    .root_sha = fp,
		};
		seed_must(token_build(prov, &tp, &tok, &err), &err);
		seed_str("fuzz_token", "jwk_sign", tok);
		seed_json("fuzz_sign_body", "jwk", '0',
			  json_pack("{s:s, s:s, s:s, s:s}", "csr", csr_pem, "ott", tok, "notBefore",
				    "2000-01-01T00:00:00Z", "notAfter", "2099-01-01T00:00:00Z"));
		{
			struct sign_request req = {.csr = NULL,
						   .ott = tok,
						   .not_before = "2000-01-01T00:00:00Z",
						   .not_after = "2099-01-01T00:00:00Z"};
			X509_REQ *csr = NULL;
			seed_must(csr_parse((const uint8_t *)csr_pem, strlen(csr_pem), &csr, &err),
				  &err);
			req.csr = csr;
			seed_must(authority_sign(a, &req, &issued, &err), &err);
			X509_REQ_free(csr);
		}
		free(tok);
		tok = NULL;
		/* the same with a cnf fingerprint binding the token to the CSR, and templateData */
		{
			X509_REQ *csr = NULL;
			char *cnf = NULL;
			seed_must(csr_parse((const uint8_t *)csr_pem, strlen(csr_pem), &csr, &err),
				  &err);
			seed_must(csr_fingerprint_b64url(csr, &cnf, &err), &err);
			tp.cnf = cnf;
			seed_must(token_build(prov, &tp, &tok, &err), &err);
			seed_json("fuzz_sign_body", "jwk_cnf", '0',
				  json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "csr", csr_pem, "ott",
					    tok, "notBefore", "-5m", "notAfter", "1h",
					    "templateData", "role", "x"));
			free(tok);
			tok = NULL;
			free(cnf);
			X509_REQ_free(csr);
		}
	}
	free(csr_pem);
	sk_X509_push(chain, X509_dup(issued_leaf(&issued))); /* chain = root, leaf */
	(void)sk_X509_shift(chain);
	X509_free(root_cert);
	{
		STACK_OF(X509) *inter = NULL;
		seed_must(cert_parse_chain((const uint8_t *)FX_INTER_PEM, strlen(FX_INTER_PEM),
					   &inter, &err),
			  &err);
		sk_X509_push(chain, sk_X509_shift(inter)); /* chain = leaf, intermediate */
		sk_X509_pop_free(inter, X509_free);
	}

	/* POST /sign with an X5C token whose x5c header is the leaf's chain. */
	strv_free(&sans);
	strv_push(&sans, "x5c.fuzz.test");
	csr_pem = seed_csr_pem(x5c_key, "x5c.fuzz.test", "x5c.fuzz.test", NULL);
	seed_must(jwk_thumbprint(leaf_key, thumb, &err), &err);
	{
		struct token_params tp = {
		    .issuer = FX_X5C_NAME,
		    .kid = thumb,
		    .subject = "x5c.fuzz.test",
		    .sans = &sans,
		    .audience = FX_AUDIENCE "/1.0/sign#x5c/" FX_X5C_NAME,
		    .not_before_sec = now,
		    .not_after_sec = SEED_EXP,
		    .x5c = chain,
		};
		seed_must(token_build(leaf_key, &tp, &tok, &err), &err);
		seed_str("fuzz_token", "x5c_sign", tok);
		seed_json("fuzz_sign_body", "x5c", '0',
			  json_pack("{s:s, s:s}", "csr", csr_pem, "ott", tok));
		free(tok);
		tok = NULL;
	}
	free(csr_pem);

	/* POST /renew with an x5cInsecure token in the Authorization header. */
	seed_must(
	    token_build_renew(chain, leaf_key, FX_AUDIENCE "/1.0/renew", now, SEED_EXP, &tok, &err),
	    &err);
	seed_str("fuzz_token", "renew", tok);
	s = xasprintf("Bearer %s", tok);
	seed_op("renew_bearer", '1', s);
	free(s);
	free(tok);
	tok = NULL;

	/* POST /revoke with a revoke token: decimal and 0x-hex serials. */
	serial = cert_serial_decimal(issued_leaf(&issued));
	{
		struct token_params tp = {
		    .issuer = FX_PROV_NAME,
		    .kid = FX_PROV_KID,
		    .subject = serial,
		    .audience = FX_AUDIENCE "/1.0/revoke",
		    .not_before_sec = now,
		    .not_after_sec = SEED_EXP,
		};
		BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(issued_leaf(&issued)), NULL);
		char *hex = BN_bn2hex(bn);
		char *hexs = xasprintf("0x%s", hex);
		seed_must(token_build(prov, &tp, &tok, &err), &err);
		seed_str("fuzz_token", "revoke", tok);
		seed_json("fuzz_revoke_body", "token", '2',
			  json_pack("{s:s, s:s, s:i, s:s, s:b}", "serial", serial, "ott", tok,
				    "reasonCode", 1, "reason", "key compromise", "passive", 1));
		seed_json("fuzz_revoke_body", "token_hex", '2',
			  json_pack("{s:s, s:s, s:b}", "Serial", hexs, "OTT", tok, "passive", 1));
		free(hexs);
		OPENSSL_free(hex);
		BN_free(bn);
		free(tok);
		tok = NULL;
	}
	free(serial);

	/* Kyma renewal (fixed peer CN=kyma.fuzz.test) and /rekey (public key only, as step). */
	csr_pem = seed_csr_pem(kyma_key, "kyma.fuzz.test", NULL, NULL);
	{
		char *b64 = b64_encode(csr_pem, strlen(csr_pem)), *wrapped;
		size_t n = strlen(b64), w = 0;
		seed_json("fuzz_kyma_body", "csr", '3', json_pack("{s:s}", "csr", b64));
		wrapped = xmalloc(n + n / 76 + 2);
		for (size_t i = 0; i < n; i++) {
			wrapped[w++] = b64[i];
			if (i % 76 == 75)
				wrapped[w++] = '\n';
		}
		wrapped[w] = '\0';
		seed_json("fuzz_kyma_body", "csr_wrapped", '3', json_pack("{s:s}", "csr", wrapped));
		free(wrapped);
		free(b64);
	}
	free(csr_pem);
	csr_pem = seed_csr_pem(rekey_key, "", NULL, NULL);
	seed_json("fuzz_sign_body", "rekey", '4', json_pack("{s:s}", "csr", csr_pem));
	seed_str("fuzz_csr_pem", "csr_ed25519.pem", csr_pem);
	free(csr_pem);

	/* Claims and names the target signs itself (ops 6 and 7). */
	seed_json(NULL, "claims", '6',
		  json_pack("{s:s, s:I, s:I, s:s, s:s, s:I, s:[s,s], s:s, s:s}", "aud",
			    FX_AUDIENCE "/1.0/sign", "exp", (json_int_t)SEED_EXP, "iat",
			    (json_int_t)now, "iss", FX_PROV_NAME, "jti", "fuzz", "nbf",
			    (json_int_t)now, "sans", "fuzz.example.com", "10.0.0.1", "sub",
			    "fuzz.example.com", "sha", fp));
	seed_json(NULL, "names", '7',
		  json_pack("{s:s, s:[s,s,s,s,s]}", "cn", "fuzz.example.com", "sans",
			    "fuzz.example.com", "10.0.0.1", "::1", "spiffe://fuzz.test/x",
			    "jane@fuzz.test"));
	seed_json(NULL, "names_utf8", '7',
		  json_pack("{s:s, s:[s]}", "cn", "\u00fc\u00f1\u00ed.test", "sans",
			    "\u00fc\u00f1\u00ed.test"));

	/* GET lookups. */
	seed_op("kid", '5', FX_PROV_KID);
	seed_op("limit", '5', "\n1");
	seed_op("cursor", '5', "0\n100");

	seed_responses(issued_leaf(&issued), fp, a);
	seed_str("fuzz_jwe", "provisioner_key", FX_PROV_JWE);
	{
		char *ca_json = fx_ca_json();
		seed_str("fuzz_config", "fixture.json", ca_json);
		free(ca_json);
	}
	seed_str("fuzz_jwk", "provisioner.json", FX_PROV_JWK);
	seed_keys(prov, rsa, ed);

	fprintf(stderr, "seedgen: %d seeds written to %s\n", seed_count, root);
	strv_free(&sans);
	issued_free(&issued);
	sk_X509_pop_free(chain, X509_free);
	EVP_PKEY_free(prov);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(x5c_key);
	EVP_PKEY_free(kyma_key);
	EVP_PKEY_free(rekey_key);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	authority_free(a);
	return 0;
}

#endif
