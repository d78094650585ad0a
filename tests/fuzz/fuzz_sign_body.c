/* fuzz_sign_body.c - the POST /sign body decoder on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/decode.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_body b;
	struct error err = {0};

	if (sign_body_parse(data, size, SERVER_MAX_BODY, &b, &err) == 0) {
		/* success promises a verified CSR and a token */
		if (b.csr == NULL || b.ott == NULL || b.ott[0] == '\0' || b.not_before == NULL ||
		    b.not_after == NULL)
			abort();
		sign_body_free(&b);
	} else if (err.kind != ERR_INVALID && err.kind != ERR_TOO_LARGE) {
		abort(); /* a client's bytes must never look like a server fault */
	} else if (!err.expose || b.doc != NULL || b.csr != NULL) {
		abort();
	}
	return 0;
}
