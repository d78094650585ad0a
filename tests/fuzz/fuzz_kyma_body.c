/* fuzz_kyma_body.c - the Kyma renewal body ({"csr": base64 of a PEM CSR}) on arbitrary bytes.
 *
 * Invariants: failures are exposed 400s (ERR_INVALID / ERR_TOO_LARGE) with no CSR returned;
 * success returns a parsed CSR (authority_kyma_renew checks its key and signature) whose key
 * the policy can judge and whose names can be read.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/csr.h"
#include "crypto/key.h"
#include "server/decode.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *csr = NULL;
	struct error err = {0};

	if (kyma_body_parse(data, size, SERVER_MAX_BODY, &csr, &err) == 0) {
		struct names n = {0};
		if (csr == NULL)
			abort();
		if (key_check_allowed(X509_REQ_get0_pubkey(csr), "certificate request", NULL) == 0)
			(void)csr_verify(csr, NULL);
		if (csr_names(csr, &n, NULL) == 0)
			names_free(&n);
		X509_REQ_free(csr);
	} else if ((err.kind != ERR_INVALID && err.kind != ERR_TOO_LARGE) || !err.expose ||
		   csr != NULL) {
		abort();
	}
	return 0;
}
