/* fuzz_csr_pem.c - CSRs, certificates and private keys from arbitrary bytes. */
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

#include "crypto/cert.h"
#include "crypto/csr.h"
#include "crypto/key.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *csr = NULL;
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	char *fp = NULL;

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
