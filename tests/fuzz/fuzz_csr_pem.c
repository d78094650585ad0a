/* fuzz_csr_pem.c - CSRs, certificates and private keys from arbitrary bytes; and the PEM
 * reader without a BIO against OpenSSL's: whatever it accepts, PEM_read_bio reads alike. */
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/pem_text.h"

#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pem_text(const uint8_t *data, size_t size)
{
	uint8_t *out = malloc(size * 3 / 4 + 1), *der = NULL;
	size_t n = 0;

	if (out != NULL && pem_text_decode(data, size, out, &n)) {
		BIO *b = BIO_new_mem_buf(data, (int)size);
		char *name = NULL, *header = NULL;
		long dlen = 0;

		if (b == NULL)
			abort();
		if (PEM_read_bio(b, &name, &header, &der, &dlen) != 1 || (size_t)dlen != n ||
		    memcmp(der, out, n) != 0 || strcmp(header, "") != 0)
			abort(); /* the fast reader disagrees with OpenSSL's */
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		BIO_free(b);
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *csr = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	char *fp = NULL;

	check_pem_text(data, size);
	if (csr_parse(data, size, &csr, NULL) == 0) {
		struct names n = {0};
		/* the server's order: the key policy, and only an accepted key is verified */
		if (key_check_allowed(X509_REQ_get0_pubkey(csr), "certificate request", NULL) == 0)
			(void)csr_verify(csr, NULL);
		if (csr_names(csr, &n, NULL) == 0)
			names_free(&n);
		if (csr_fingerprint_b64url(csr, &fp, NULL) == 0)
			free(fp);
		X509_REQ_free(csr);
	}
	if (cert_parse_chain(data, size, &chain, NULL) == 0)
		sk_X509_pop_free(chain, X509_free);
	/* the password only where the key derivation is cheap (fuzz_util.h) */
	if (key_parse_private(data, size, fuzz_kdf_ok(data, size) ? "password" : NULL, &key,
			      NULL) == 0)
		EVP_PKEY_free(key);
	return 0;
}
