/* fuzz_b64.c - base64 (PEM bodies, x5c headers, Kyma bodies, X5C roots) and base64url (JOSE).
 *
 * Invariants: encoding any bytes decodes back to them in both alphabets; whatever decodes
 * re-encodes to text that decodes to the same bytes; the whitespace-skipping decoder agrees
 * with the strict one on input the strict one accepts; decoders NUL-terminate.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"

#define FUZZ_MAX_INPUT (64 * 1024) /* JWS_MAX_LEN; bodies are larger but decode the same */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn, const char *what)
{
	if (an != bn || memcmp(a, b, an) != 0) {
		fprintf(stderr, "b64 invariant broken: %s (%zu vs %zu bytes)\n", what, an, bn);
		abort();
	}
}

/* Decodes text that an encoder made; it must give want. */
static void roundtrip(char *text, bool url, const uint8_t *want, size_t want_len, const char *what)
{
	uint8_t *back = NULL;
	size_t n = 0;
	int rc = url ? b64url_decode(text, strlen(text), &back, &n, NULL)
		     : b64_decode(text, strlen(text), false, &back, &n, NULL);

	if (rc != 0 || back[n] != '\0') {
		fprintf(stderr, "b64 invariant broken: %s does not decode\n", what);
		abort();
	}
	same(want, want_len, back, n, what);
	free(back);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	uint8_t *strict = NULL, *loose = NULL, *url = NULL;
	size_t strict_len = 0, loose_len = 0, url_len = 0;
	struct error err = {0};

	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* the input as bytes to encode */
	roundtrip(b64_encode(data, size), false, data, size, "b64_encode");
	roundtrip(b64url_encode(data, size), true, data, size, "b64url_encode");

	/* the input as text to decode */
	if (b64_decode(s, size, false, &strict, &strict_len, &err) == 0)
		roundtrip(b64_encode(strict, strict_len), false, strict, strict_len, "b64_decode");
	else if (err.kind != ERR_INVALID)
		abort();
	if (b64_decode(s, size, true, &loose, &loose_len, NULL) == 0) {
		roundtrip(b64_encode(loose, loose_len), false, loose, loose_len, "b64_decode skip");
		if (strict != NULL)
			same(strict, strict_len, loose, loose_len, "strict vs skip_space");
	} else if (strict != NULL) {
		fprintf(stderr, "b64 invariant broken: strict accepts what skip_space refuses\n");
		abort();
	}
	if (b64url_decode(s, size, &url, &url_len, NULL) == 0)
		roundtrip(b64url_encode(url, url_len), true, url, url_len, "b64url_decode");
	free(strict);
	free(loose);
	free(url);
	return 0;
}
