/* fuzz_json_flat.c - the fast reader of flat objects (request bodies, token parts) against
 * jansson.
 *
 * Invariant: whenever json_flat_loadb accepts an input, json_loadb with the same flags accepts
 * it too and gives an equal value (so the fast path never changes what a request or a token
 * means), under the flags of the body decoders and of jws_parse; it never reads past the input
 * (ASan).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_flat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under flags: when the fast reader accepts, jansson accepts and reads an equal value. */
static void agree(const char *text, size_t size, size_t flags)
{
	json_t *fast = json_flat_loadb(text, size, flags), *slow;
	json_error_t jerr;

	if (fast == NULL)
		return;
	slow = json_loadb(text, size, flags, &jerr);
	if (slow == NULL || !json_equal(fast, slow)) {
		fprintf(stderr, "json_flat (flags %#zx) accepted what jansson reads %s%s\n", flags,
			slow == NULL ? "as an error: " : "differently",
			slow == NULL ? jerr.text : "");
		abort();
	}
	json_decref(slow);
	json_decref(fast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that ASan sees a read past the end */
	char *copy = malloc(size > 0 ? size : 1);

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	agree(copy, size, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK); /* request bodies */
	agree(copy, size, JSON_REJECT_DUPLICATES);		     /* a token's parts */
	free(copy);
	return 0;
}
