/* fuzz_x509_desc.c - step's JSON certificate description, the output of a provisioner's
 * template: any text is parsed, and whatever parses is built and signed by the fixture
 * intermediate. Invariants: no crash, no leak; a description that parses either builds a
 * certificate that verifies against the intermediate and re-parses from its DER, or fails
 * with an error message. */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/x509desc.h"

#include "ca_fixture_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *issuer;
static struct signer *signer;
static EVP_PKEY *leaf_key;

static void fail(const char *what)
{
	fprintf(stderr, "x509 description invariant broken: %s\n", what);
	abort();
}

static void setup(void)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	struct error err = {0};

	if (cert_parse_chain((const uint8_t *)FX_INTER_PEM, strlen(FX_INTER_PEM), &chain, &err) !=
		0 ||
	    key_parse_private((const uint8_t *)FX_INTER_KEY_PEM, strlen(FX_INTER_KEY_PEM), NULL,
			      &key, &err) != 0 ||
	    key_parse_private((const uint8_t *)FX_PROV_KEY_PEM, strlen(FX_PROV_KEY_PEM), NULL,
			      &leaf_key, &err) != 0)
		fail(err.msg);
	issuer = sk_X509_shift(chain);
	sk_X509_pop_free(chain, X509_free);
	signer = signer_file_new(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_desc *d = NULL;
	struct error err = {0};
	X509 *x = NULL;
	int64_t now = 1893456000LL * NS_PER_SEC;

	if (issuer == NULL)
		setup();
	if (x509_desc_parse((const char *)data, size, &d, &err) != 0) {
		if (err.msg[0] == '\0')
			fail("a refused description without a message");
		return 0;
	}
	if (x509_desc_issue(d, NULL, leaf_key, now, now + NS_PER_HOUR, issuer, signer, &x, &err) ==
	    0) {
		uint8_t *der = NULL;
		size_t n = 0;
		const unsigned char *p;
		X509 *back;

		if (X509_verify(x, X509_get0_pubkey(issuer)) != 1)
			fail("the certificate does not verify");
		if (cert_to_der(x, &der, &n, &err) != 0)
			fail(err.msg);
		p = der;
		back = d2i_X509(NULL, &p, (long)n);
		if (back == NULL)
			fail("the certificate does not parse back");
		X509_free(back);
		OPENSSL_free(der);
		X509_free(x);
	} else if (err.msg[0] == '\0') {
		fail("a failed build without a message");
	}
	x509_desc_free(d);
	return 0;
}
