/* fuzz_duration.c - Go durations and RFC 3339 times from arbitrary bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char out[64];
	int64_t v;
	bool set;

	memcpy(s, data, size);
	s[size] = '\0';
	if (duration_parse(s, &v, NULL) == 0) {
		/* Whatever parses must format and parse back to the same value. */
		int64_t back;
		duration_format(v, out, sizeof(out));
		if (duration_parse(out, &back, NULL) != 0 || back != v)
			abort();
	}
	(void)time_parse_rfc3339(s, &v, NULL);
	(void)time_or_duration_parse(s, 0, &v, &set, NULL);
	free(s);
	return 0;
}
