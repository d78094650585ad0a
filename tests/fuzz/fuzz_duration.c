/* fuzz_duration.c - Go durations and RFC 3339 times from arbitrary bytes (notBefore/notAfter
 * of /sign, claims in ca.json, CLI flags).
 *
 * Invariants: a parsed duration formats and parses back to the same value; a parsed time
 * within years 0000-9999 formats (RFC 3339, seconds) and parses back to itself rounded down
 * to the second; time_or_duration_parse agrees with the two parsers and never overflows.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"

#define FUZZ_MAX_TEXT 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *s)
{
	fprintf(stderr, "duration invariant broken: %s: \"%s\"\n", what, s);
	abort();
}

static int64_t floor_second(int64_t t)
{
	int64_t r = t % NS_PER_SEC;

	return r < 0 ? t - r - NS_PER_SEC : t - r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t bases[] = {0, INT64_MAX, INT64_MIN, 1763700000 * NS_PER_SEC};
	char *s, out[64];
	int64_t v = 0, t = 0, back;
	bool is_dur, is_time, set;

	if (size > FUZZ_MAX_TEXT)
		return 0;
	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	is_dur = duration_parse(s, &v, NULL) == 0;
	if (is_dur) {
		/* Whatever parses must format and parse back to the same value. */
		duration_format(v, out, sizeof(out));
		if (duration_parse(out, &back, NULL) != 0 || back != v)
			fail("duration round trip", s);
		if (duration_round(v, NS_PER_SEC) % NS_PER_SEC != 0 && v > -INT64_MAX / 2 &&
		    v < INT64_MAX / 2)
			fail("duration_round", s);
	}
	is_time = time_parse_rfc3339(s, &t, NULL) == 0;
	if (is_time) {
		time_format_rfc3339(t, out, sizeof(out));
		if (strlen(out) == 20 && out[0] >= '0' && out[0] <= '9' &&
		    (time_parse_rfc3339(out, &back, NULL) != 0 || back != floor_second(t)))
			fail("RFC 3339 round trip", s);
		time_format_rfc3339_ms(t, out, sizeof(out));
	}
	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		int64_t got = 0;
		if (time_or_duration_parse(s, bases[i], &got, &set, NULL) != 0) {
			if (is_time || (is_dur && !__builtin_add_overflow(bases[i], v, &back)))
				fail("time_or_duration_parse refuses a valid value", s);
			continue;
		}
		if (s[0] == '\0' ? set : !set)
			fail("is_set", s);
		if (set && !is_time && !is_dur)
			fail("time_or_duration_parse accepts what neither parser does", s);
		if (set && (is_time ? got != t : got != bases[i] + v))
			fail("time_or_duration_parse value", s);
	}
	free(s);
	return 0;
}
