/* duration.h - Go duration syntax ("300ms", "-1.5h", "2h45m") and times.
 *
 * Durations are int64 nanoseconds like Go's time.Duration. Times are
 * nanoseconds since the Unix epoch (int64, good until 2262).
 */
#ifndef STRIDE_BASE_DURATION_H
#define STRIDE_BASE_DURATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "base/error.h"

#define NS_PER_US   INT64_C(1000)
#define NS_PER_MS   INT64_C(1000000)
#define NS_PER_SEC  INT64_C(1000000000)
#define NS_PER_MIN  (60 * NS_PER_SEC)
#define NS_PER_HOUR (60 * NS_PER_MIN)

/* Parses a Go duration exactly as time.ParseDuration does (units ns us µs ms s m h; "0" alone
 * is allowed; overflow is an error). */
int duration_parse(const char *s, int64_t *out, struct error *err);
/* Formats like Go's Duration.String(): "24h0m0s", "5m0s", "1.5s", "300ms", "0s".
 * Writes at most n bytes including the NUL; returns out. */
char *duration_format(int64_t d, char *out, size_t n);
/* Rounds d to the nearest multiple of unit (half away from zero), like Go's Duration.Round. */
int64_t duration_round(int64_t d, int64_t unit);

/* Current wall-clock time in nanoseconds since the epoch. */
int64_t time_now_ns(void);
/* Parses an RFC 3339 timestamp ("2026-11-22T02:51:38Z", offsets and fractions allowed). */
int time_parse_rfc3339(const char *s, int64_t *out_ns, struct error *err);
/* Formats as RFC 3339 in UTC with second precision ("2026-11-22T02:51:38Z"). */
char *time_format_rfc3339(int64_t t_ns, char *out, size_t n);
/* Formats as RFC 3339 in UTC with milliseconds ("2026-11-22T02:51:38.123Z"), for logs. */
char *time_format_rfc3339_ms(int64_t t_ns, char *out, size_t n);

/* A "time-or-duration" value as used by --not-before/--not-after and the /sign body:
 * "" means unset (*is_set=false); an RFC 3339 time is absolute; a duration is added to base_ns. */
int time_or_duration_parse(const char *s, int64_t base_ns, int64_t *out_ns, bool *is_set,
			   struct error *err);

#endif
