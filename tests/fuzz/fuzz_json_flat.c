/* fuzz_json_flat.c - the fast reader of flat string objects (request bodies) against jansson.
 *
 * Invariant: whenever json_flat_object_loadb accepts an input, json_loadb with the flags the
 * body decoders use accepts it too and gives an equal value (so the fast path never changes
 * what a request means); it never reads past the input (ASan).
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json_flat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes, so that ASan sees a read past the end */
	char *copy = malloc(size > 0 ? size : 1);
	json_t *fast, *slow;
	json_error_t jerr;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	fast = json_flat_object_loadb(copy, size);
	if (fast != NULL) {
		slow = json_loadb(copy, size, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
		if (slow == NULL || !json_equal(fast, slow)) {
			fprintf(stderr, "json_flat accepted what jansson reads %s\n",
				slow == NULL ? "as an error" : "differently");
			abort();
		}
		json_decref(slow);
		json_decref(fast);
	}
	free(copy);
	return 0;
}
