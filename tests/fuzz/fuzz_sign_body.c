/* fuzz_sign_body.c - the POST /sign and /rekey body decoders on arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/decode.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure must be a client error (400/413) that may be shown, with nothing left owned. */
static void check_failure(const struct sign_body *b, const struct error *err)
{
	if (err->kind != ERR_INVALID && err->kind != ERR_TOO_LARGE)
		abort(); /* a client's bytes must never look like a server fault */
	if (!err->expose || b->doc != NULL || b->csr != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_body b;
	struct error err = {0};
	int sign_rc;

	sign_rc = sign_body_parse(data, size, SERVER_MAX_BODY, &b, &err);
	if (sign_rc == 0) {
		/* success promises a parsed CSR (the authority verifies it) and a token */
		if (b.csr == NULL || b.ott == NULL || b.ott[0] == '\0' || b.not_before == NULL ||
		    b.not_after == NULL)
			abort();
		sign_body_free(&b);
	} else {
		check_failure(&b, &err);
	}
	/* /rekey: the same decoding without a token; it accepts whatever /sign accepts */
	err = (struct error){0};
	if (rekey_body_parse(data, size, SERVER_MAX_BODY, &b, &err) == 0) {
		if (b.csr == NULL || b.ott == NULL || b.not_before == NULL || b.not_after == NULL)
			abort();
		sign_body_free(&b);
	} else {
		check_failure(&b, &err);
		if (sign_rc == 0)
			abort();
	}
	return 0;
}
