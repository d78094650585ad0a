/* fuzz_cert.c - certificates from outside: PEM bundles (roots, ca.json files, a CA's /roots
 * and SignResponse), DER, the certificates of x5c/x5cInsecure headers and mTLS peers.
 *
 * Every certificate cert_parse_chain returns goes through what stride reads from a peer's or
 * token's certificate: names, the provisioner extension, serial, CN, validity, fingerprint,
 * and verification against the fixture root. Invariants: a PEM round trip keeps every
 * certificate's DER; serials are decimal; fingerprints are 64 lowercase hex and normalise
 * to themselves; a DER input that is accepted re-encodes to the same bytes (BER such as a
 * signature BIT STRING with non-zero padding bits is refused, as Go does - see
 * corpus/fuzz_cert/nonder_bitstring_padding).
 */
#include <ctype.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/x509build.h"

#include "ca_fixture_data.h"

#define FUZZ_MAX_CHAIN (256 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509_STORE *trust;

static void fail(const char *what)
{
	fprintf(stderr, "cert invariant broken: %s\n", what);
	abort();
}

static bool same_der(X509 *a, X509 *b)
{
	uint8_t *da = NULL, *db = NULL;
	size_t na = 0, nb = 0;
	bool same = cert_to_der(a, &da, &na, NULL) == 0 && cert_to_der(b, &db, &nb, NULL) == 0 &&
		    na == nb && memcmp(da, db, na) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static void check_one(X509 *x, X509 *issuer)
{
	struct names n = {0};
	char fp[65], norm[65], *serial, *cn, *name = NULL, *cred = NULL;
	int type;
	STACK_OF(X509) *untrusted = sk_X509_new_null();

	if (cert_names(x, &n, NULL) == 0)
		names_free(&n);
	if (x509_get_provisioner_ext(x, &type, &name, &cred, NULL) == 0 && name == NULL)
		fail("provisioner extension without a name");
	free(name);
	free(cred);
	serial = cert_serial_decimal(x);
	if (serial != NULL) {
		for (const char *p = serial[0] == '-' ? serial + 1 : serial; *p != '\0'; p++)
			if (!isdigit((unsigned char)*p))
				fail("serial is not decimal");
	}
	free(serial);
	cn = cert_common_name(x);
	free(cn);
	(void)cert_not_before_ns(x);
	(void)cert_not_after_ns(x);
	if (cert_fingerprint(x, fp, NULL) != 0)
		fail("no fingerprint");
	if (strlen(fp) != 64 || strspn(fp, "0123456789abcdef") != 64 ||
	    cert_fingerprint_normalize(fp, norm, NULL) != 0 || strcmp(fp, norm) != 0)
		fail("fingerprint format");
	if (issuer != NULL)
		sk_X509_push(untrusted, issuer);
	(void)cert_verify_chain(x, untrusted, trust, 0, X509_PURPOSE_SSL_CLIENT, NULL);
	sk_X509_free(untrusted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	STACK_OF(X509) *chain = NULL, *back = NULL;
	char *pem = NULL;

	if (size > FUZZ_MAX_CHAIN)
		return 0;
	if (trust == NULL) {
		STACK_OF(X509) *roots = NULL;
		if (cert_parse_chain((const uint8_t *)FX_ROOT_PEM, strlen(FX_ROOT_PEM), &roots,
				     NULL) != 0)
			abort();
		trust = cert_store_new(roots);
		sk_X509_pop_free(roots, X509_free);
	}
	if (cert_parse_chain(data, size, &chain, NULL) != 0)
		return 0;
	if (sk_X509_num(chain) < 1)
		fail("empty chain");
	for (int i = 0; i < sk_X509_num(chain); i++)
		check_one(sk_X509_value(chain, i), sk_X509_value(chain, i + 1));
	if (sk_X509_num(chain) == 1 && memmem(data, size, "-----BEGIN ", 11) == NULL) {
		uint8_t *der = NULL;
		size_t n = 0;
		if (cert_to_der(sk_X509_value(chain, 0), &der, &n, NULL) != 0 || n != size ||
		    memcmp(der, data, size) != 0)
			fail("DER round trip");
		OPENSSL_free(der);
	}
	if (cert_chain_to_pem(chain, &pem, NULL) != 0 ||
	    cert_parse_chain((const uint8_t *)pem, strlen(pem), &back, NULL) != 0 ||
	    sk_X509_num(back) != sk_X509_num(chain))
		fail("PEM round trip");
	for (int i = 0; i < sk_X509_num(chain); i++)
		if (!same_der(sk_X509_value(chain, i), sk_X509_value(back, i)))
			fail("PEM round trip changes a certificate");
	free(pem);
	sk_X509_pop_free(back, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return 0;
}
