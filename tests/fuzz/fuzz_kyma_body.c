/* fuzz_kyma_body.c - the Kyma renewal body ({"csr": base64 of a PEM CSR}) on arbitrary bytes.
 *
 * Invariants: failures are exposed 400s (ERR_INVALID / ERR_TOO_LARGE) with no CSR returned;
 * success returns a CSR whose signature verifies and whose names can be read.
 */
#include <stdint.h>
#include <stdlib.h>

#include "crypto/csr.h"
#include "server/decode.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	X509_REQ *csr = NULL;
	struct error err = {0};

	if (kyma_body_parse(data, size, SERVER_MAX_BODY, &csr, &err) == 0) {
		struct names n = {0};
		if (csr == NULL || csr_verify(csr, NULL) != 0)
			abort();
		if (csr_names(csr, &n, NULL) == 0)
			names_free(&n);
		X509_REQ_free(csr);
	} else if ((err.kind != ERR_INVALID && err.kind != ERR_TOO_LARGE) || !err.expose ||
		   csr != NULL) {
		abort();
	}
	return 0;
}
