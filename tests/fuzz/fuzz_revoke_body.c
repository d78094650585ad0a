/* fuzz_revoke_body.c - the POST /revoke body decoder on arbitrary bytes.
 *
 * Invariants: failures are exposed ERR_INVALID / ERR_TOO_LARGE with nothing left owned;
 * success gives non-NULL strings (serial, ott, reason) that live in the owned document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/decode.h"
#include "server/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct revoke_body b;
	struct error err = {0};

	if (revoke_body_parse(data, size, SERVER_MAX_BODY, &b, &err) == 0) {
		if (b.serial == NULL || b.ott == NULL || b.reason == NULL)
			abort();
		/* touch every byte: ASan catches strings that do not live in b.doc */
		if (strlen(b.serial) + strlen(b.ott) + strlen(b.reason) > size)
			abort();
		revoke_body_free(&b);
		if (b.doc != NULL || b.serial != NULL)
			abort();
	} else if ((err.kind != ERR_INVALID && err.kind != ERR_TOO_LARGE) || !err.expose ||
		   b.doc != NULL) {
		abort();
	}
	return 0;
}
