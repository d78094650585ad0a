/* check.c - the sampled certificates: chain to the root, SANs, public key. */
#include <jansson.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "bench.h"
#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

/* Appends every certificate of a PEM string to chain. */
static int push_pem(STACK_OF(X509) * chain, const char *pem, struct error *err)
{
	STACK_OF(X509) *certs = NULL;

	if (pem == NULL)
		return err_set(err, ERR_INVALID, "certificate is not a string");
	if (cert_parse_chain((const uint8_t *)pem, strlen(pem), &certs, err) != 0)
		return -1;
	while (sk_X509_num(certs) > 0)
		sk_X509_push(chain, sk_X509_shift(certs));
	sk_X509_free(certs);
	return 0;
}

int parse_sign_response(const uint8_t *body, size_t len, X509 **leaf, STACK_OF(X509) * *chain,
			struct error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)body, len, 0, &jerr);
	json_t *cc;
	STACK_OF(X509) *all = sk_X509_new_null();
	int rc = -1;

	*leaf = NULL;
	*chain = NULL;
	if (doc == NULL || !json_is_object(doc)) {
		err_set(err, ERR_INVALID, "response is not a JSON object: %s", jerr.text);
		goto out;
	}
	if (push_pem(all, json_string_value(json_object_get(doc, "crt")), err) != 0)
		goto out;
	/* The leaf is crt; the chain is certChain[1..], or ca for old servers. */
	while (sk_X509_num(all) > 1)
		X509_free(sk_X509_pop(all));
	cc = json_object_get(doc, "certChain");
	if (json_is_array(cc) && json_array_size(cc) > 1) {
		for (size_t i = 1; i < json_array_size(cc); i++)
			if (push_pem(all, json_string_value(json_array_get(cc, i)), err) != 0)
				goto out;
	} else if (push_pem(all, json_string_value(json_object_get(doc, "ca")), err) != 0) {
		goto out;
	}
	*leaf = sk_X509_shift(all);
	*chain = all;
	all = NULL;
	rc = 0;
out:
	sk_X509_pop_free(all, X509_free);
	json_decref(doc);
	return rc;
}

/* Checks leaf (with its chain): to the root, exactly dns, pubkey, a serial other than old's. */
static int check_leaf(const struct bench_ctx *ctx, X509 *leaf, STACK_OF(X509) * chain,
		      const char *dns, EVP_PKEY *pubkey, X509 *old, struct error *err)
{
	struct names n = {0};
	int rc = -1;

	if (cert_verify_chain(leaf, chain, ctx->roots, 0, X509_PURPOSE_SSL_SERVER, err) != 0) {
		err_wrap(err, "chain does not verify to the root");
		goto out;
	}
	if (cert_names(leaf, &n, err) != 0)
		goto out;
	if (n.dns.n != 1 || strcmp(n.dns.v[0], dns) != 0 || n.ip.n != 0 || n.email.n != 0 ||
	    n.uri.n != 0 || strcmp(n.cn, dns) != 0) {
		err_set(err, ERR_INVALID, "names differ: CN %s, %zu DNS (first %s), want %s", n.cn,
			n.dns.n, n.dns.n > 0 ? n.dns.v[0] : "-", dns);
		goto out;
	}
	if (!key_public_equal(X509_get0_pubkey(leaf), pubkey)) {
		err_set(err, ERR_INVALID, "public key differs from the CSR's");
		goto out;
	}
	if (old != NULL &&
	    ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(old)) == 0) {
		err_set(err, ERR_INVALID, "renewed certificate has the old serial");
		goto out;
	}
	rc = 0;
out:
	names_free(&n);
	return rc;
}

int check_response(const struct bench_ctx *ctx, const uint8_t *body, size_t len, const char *dns,
		   EVP_PKEY *pubkey, X509 *old, struct error *err)
{
	X509 *leaf = NULL;
	STACK_OF(X509) *chain = NULL;
	int rc = -1;

	if (parse_sign_response(body, len, &leaf, &chain, err) != 0)
		goto out;
	rc = check_leaf(ctx, leaf, chain, dns, pubkey, old, err);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int check_pem_chain(const struct bench_ctx *ctx, const uint8_t *pem, size_t len, const char *dns,
		    EVP_PKEY *pubkey, struct error *err)
{
	STACK_OF(X509) *chain = NULL;
	X509 *leaf = NULL;
	int rc = -1;

	if (cert_parse_chain(pem, len, &chain, err) != 0)
		goto out;
	if (sk_X509_num(chain) < 2) {
		err_set(err, ERR_INVALID,
			"the PEM chain has %d certificates, want the leaf and "
			"its intermediate",
			sk_X509_num(chain));
		goto out;
	}
	leaf = sk_X509_shift(chain);
	rc = check_leaf(ctx, leaf, chain, dns, pubkey, NULL, err);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

int check_cfssl_response(const struct bench_ctx *ctx, const uint8_t *body, size_t len,
			 const char *dns, EVP_PKEY *pubkey, struct error *err)
{
	json_error_t jerr;
	json_t *doc = json_loadb((const char *)body, len, 0, &jerr);
	STACK_OF(X509) *certs = NULL;
	X509 *leaf = NULL;
	int rc = -1;

	if (doc == NULL || !json_is_object(doc)) {
		err_set(err, ERR_INVALID, "response is not a JSON object: %s", jerr.text);
		goto out;
	}
	if (!json_is_true(json_object_get(doc, "success"))) {
		err_set(err, ERR_INVALID, "authsign answered success != true");
		goto out;
	}
	/* authsign returns the leaf alone: the chain is the CA cfssl signs with */
	certs = sk_X509_new_null();
	if (certs == NULL) {
		err_set(err, ERR_CRYPTO, "out of memory");
		goto out;
	}
	if (push_pem(
		certs,
		json_string_value(json_object_get(json_object_get(doc, "result"), "certificate")),
		err) != 0)
		goto out;
	if (sk_X509_num(certs) != 1) {
		err_set(err, ERR_INVALID, "authsign returned %d certificates, want the leaf",
			sk_X509_num(certs));
		goto out;
	}
	leaf = sk_X509_shift(certs);
	for (int i = 0; i < sk_X509_num(ctx->cfssl_chain); i++) {
		X509 *c = sk_X509_value(ctx->cfssl_chain, i);
		if (!sk_X509_push(certs, c)) {
			err_set(err, ERR_CRYPTO, "cannot build the chain");
			goto out;
		}
		X509_up_ref(c); /* the stack's reference, freed with it */
	}
	rc = check_leaf(ctx, leaf, certs, dns, pubkey, NULL, err);
out:
	X509_free(leaf);
	sk_X509_pop_free(certs, X509_free);
	json_decref(doc);
	return rc;
}
