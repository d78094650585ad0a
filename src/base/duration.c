/* duration.c - Go durations (time.ParseDuration, Duration.String) and RFC 3339 times. */
#include "base/duration.h"

#include <stdio.h>
#include <string.h>

/* Go's time.quote: ASCII printable as is (with \" and \\ escaped), every other byte as \xNN.
 * Writes into out (size n, at least 3), truncating long input; returns out. */
static const char *go_quote(const char *s, size_t slen, char *out, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	out[o++] = '"';
	for (size_t i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (o + 6 >= n)
			break;
		if (c >= 0x80 || c < ' ') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			if (c == '"' || c == '\\')
				out[o++] = '\\';
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static int invalid_duration(struct error *err, const char *orig)
{
	char q[512];

	return err_set(err, ERR_INVALID, "time: invalid duration %s",
		       go_quote(orig, strlen(orig), q, sizeof(q)));
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static uint64_t unit_ns(const char *u, size_t n)
{
	static const struct {
		const char *name;
		uint64_t ns;
	} units[] = {
	    {"ns", 1},
	    {"us", 1000},
	    {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
	    {"\xce\xbcs", 1000}, /* U+03BC Greek small letter mu */
	    {"ms", 1000000},
	    {"s", 1000000000},
	    {"m", UINT64_C(60000000000)},
	    {"h", UINT64_C(3600000000000)},
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0)
			return units[i].ns;
	return 0;
}

int duration_parse(const char *orig, int64_t *out, struct error *err)
{
	const uint64_t lim = UINT64_C(1) << 63;
	const char *s = orig;
	uint64_t d = 0;
	bool neg = false;

	if (*s == '-' || *s == '+') {
		neg = *s == '-';
		s++;
	}
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	if (*s == '\0')
		return invalid_duration(err, orig);
	while (*s != '\0') {
		uint64_t v = 0, f = 0, unit;
		double scale = 1;
		bool pre, post = false;
		const char *start, *u;

		if (!(*s == '.' || is_digit(*s)))
			return invalid_duration(err, orig);
		/* [0-9]* */
		for (start = s; is_digit(*s); s++) {
			if (v > lim / 10)
				return invalid_duration(err, orig);
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > lim)
				return invalid_duration(err, orig);
		}
		pre = s != start;
		/* (\.[0-9]*)? ; extra precision beyond what fits is dropped, as Go does */
		if (*s == '.') {
			bool overflow = false;
			for (start = ++s; is_digit(*s); s++) {
				uint64_t y;
				if (overflow)
					continue;
				if (f > (lim - 1) / 10) {
					overflow = true;
					continue;
				}
				y = f * 10 + (uint64_t)(*s - '0');
				if (y > lim) {
					overflow = true;
					continue;
				}
				f = y;
				scale *= 10;
			}
			post = s != start;
		}
		if (!pre && !post)
			return invalid_duration(err, orig);
		/* unit: everything up to the next '.' or digit */
		for (u = s; *s != '\0' && *s != '.' && !is_digit(*s); s++)
			;
		if (s == u) {
			char q[512];
			return err_set(err, ERR_INVALID, "time: missing unit in duration %s",
				       go_quote(orig, strlen(orig), q, sizeof(q)));
		}
		unit = unit_ns(u, (size_t)(s - u));
		if (unit == 0) {
			char q1[128], q2[512];
			return err_set(err, ERR_INVALID, "time: unknown unit %s in duration %s",
				       go_quote(u, (size_t)(s - u), q1, sizeof(q1)),
				       go_quote(orig, strlen(orig), q2, sizeof(q2)));
		}
		if (v > lim / unit)
			return invalid_duration(err, orig);
		v *= unit;
		if (f > 0) {
			/* float64 keeps fractions of hours nanosecond-accurate, as in Go */
			v += (uint64_t)((double)f * ((double)unit / scale));
			if (v > lim)
				return invalid_duration(err, orig);
		}
		d += v;
		if (d > lim)
			return invalid_duration(err, orig);
	}
	if (neg) {
		*out = d == lim ? INT64_MIN : -(int64_t)d;
		return 0;
	}
	if (d > lim - 1)
		return invalid_duration(err, orig);
	*out = (int64_t)d;
	return 0;
}

/* Writes v/10^prec's fraction digits (without trailing zeros, with '.') before *w. */
static uint64_t fmt_frac(char *buf, size_t *w, uint64_t v, int prec)
{
	bool print = false;

	for (int i = 0; i < prec; i++) {
		unsigned digit = (unsigned)(v % 10);
		print = print || digit != 0;
		if (print)
			buf[--*w] = (char)('0' + digit);
		v /= 10;
	}
	if (print)
		buf[--*w] = '.';
	return v;
}

static void fmt_int(char *buf, size_t *w, uint64_t v)
{
	if (v == 0) {
		buf[--*w] = '0';
		return;
	}
	while (v > 0) {
		buf[--*w] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *duration_format(int64_t d, char *out, size_t n)
{
	char buf[40];
	size_t w = sizeof(buf), len;
	uint64_t u = (uint64_t)d;
	bool neg = d < 0;

	if (neg)
		u = -u;
	if (u < (uint64_t)NS_PER_SEC) {
		int prec = 0;
		buf[--w] = 's';
		if (u == 0) {
			buf[--w] = '0';
			neg = false;
		} else {
			if (u < (uint64_t)NS_PER_US) {
				prec = 0;
				buf[--w] = 'n';
			} else if (u < (uint64_t)NS_PER_MS) {
				prec = 3;
				buf[--w] = '\xb5'; /* U+00B5 micro sign */
				buf[--w] = '\xc2';
			} else {
				prec = 6;
				buf[--w] = 'm';
			}
			u = fmt_frac(buf, &w, u, prec);
			fmt_int(buf, &w, u);
		}
	} else {
		buf[--w] = 's';
		u = fmt_frac(buf, &w, u, 9);
		fmt_int(buf, &w, u % 60);
		u /= 60;
		if (u > 0) {
			buf[--w] = 'm';
			fmt_int(buf, &w, u % 60);
			u /= 60;
			if (u > 0) {
				buf[--w] = 'h';
				fmt_int(buf, &w, u);
			}
		}
	}
	if (neg)
		buf[--w] = '-';
	if (n == 0)
		return out;
	len = sizeof(buf) - w;
	if (len > n - 1)
		len = n - 1;
	memcpy(out, buf + w, len);
	out[len] = '\0';
	return out;
}

int64_t duration_round(int64_t d, int64_t m)
{
	int64_t r, d1;

	if (m <= 0)
		return d;
	r = d % m;
	if (d < 0) {
		r = -r;
		if ((uint64_t)r + (uint64_t)r < (uint64_t)m)
			return d + r;
		/* d - m + r with two's complement wrap-around, as Go computes it */
		d1 = (int64_t)((uint64_t)d - (uint64_t)m + (uint64_t)r);
		return d1 < d ? d1 : INT64_MIN;
	}
	if ((uint64_t)r + (uint64_t)r < (uint64_t)m)
		return d - r;
	d1 = (int64_t)((uint64_t)d + (uint64_t)m - (uint64_t)r);
	return d1 > d ? d1 : INT64_MAX;
}

int64_t time_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(unsigned m, int64_t y)
{
	static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* Parses s[0..n) as decimal digits; false when one is not a digit. */
static bool digits(const char *s, size_t n, unsigned *out)
{
	unsigned v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

int time_parse_rfc3339(const char *s, int64_t *out_ns, struct error *err)
{
	const char *p, *range = NULL;
	unsigned year, mon, day, hour, min, sec, oh = 0, om = 0;
	int64_t nsec = 0, secs, ns;
	size_t len = strlen(s);
	char q[512];

	/* Layout 2006-01-02T15:04:05[.999999999](Z|±07:00), with fixed-width fields. */
	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || !digits(s, 4, &year) || !digits(s + 5, 2, &mon) ||
	    !digits(s + 8, 2, &day) || !digits(s + 11, 2, &hour) || !digits(s + 14, 2, &min) ||
	    !digits(s + 17, 2, &sec))
		goto bad;
	p = s + 19;
	if (p[0] == '.' && is_digit(p[1])) {
		int nd = 0;
		for (p++; is_digit(*p); p++) {
			if (nd < 9) {
				nsec = nsec * 10 + (*p - '0');
				nd++;
			}
		}
		for (; nd < 9; nd++)
			nsec *= 10;
	}
	if (strcmp(p, "Z") != 0 && (strlen(p) != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':' ||
				    !digits(p + 1, 2, &oh) || !digits(p + 4, 2, &om)))
		goto bad;
	if (mon < 1 || mon > 12)
		range = "month";
	else if (day < 1 || day > days_in_month(mon, year))
		range = "day";
	else if (hour > 23)
		range = "hour";
	else if (min > 59)
		range = "minute";
	else if (sec > 59)
		range = "second";
	else if (oh > 23 || om > 59)
		range = "time zone offset";
	if (range != NULL)
		return err_set(err, ERR_INVALID, "parsing time %s: %s out of range",
			       go_quote(s, len, q, sizeof(q)), range);
	secs = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
	if (p[0] != 'Z') {
		int64_t off = ((int64_t)oh * 60 + om) * 60;
		secs += p[0] == '-' ? off : -off;
	}
	/* For negative times, borrow a second so the multiplication can reach INT64_MIN. */
	if (secs < 0 && nsec > 0) {
		secs++;
		nsec -= NS_PER_SEC;
	}
	if (__builtin_mul_overflow(secs, NS_PER_SEC, &ns) || __builtin_add_overflow(ns, nsec, &ns))
		return err_set(err, ERR_INVALID, "parsing time %s: time out of range",
			       go_quote(s, len, q, sizeof(q)));
	*out_ns = ns;
	return 0;
bad:
	return err_set(err, ERR_INVALID,
		       "parsing time %s as \"2006-01-02T15:04:05Z07:00\": not an RFC 3339 time",
		       go_quote(s, len, q, sizeof(q)));
}

/* Formats with frac_digits (0, 3 or 9) fraction digits. */
static char *format_utc(int64_t t_ns, int frac_digits, char *out, size_t n)
{
	int64_t secs = t_ns / NS_PER_SEC, nsec = t_ns % NS_PER_SEC, days, rem, y;
	unsigned m, d;

	if (nsec < 0) {
		nsec += NS_PER_SEC;
		secs--;
	}
	days = secs / 86400;
	rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (frac_digits == 3)
		snprintf(out, n, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
			 (int)(nsec / NS_PER_MS));
	else
		snprintf(out, n, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d,
			 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return out;
}

char *time_format_rfc3339(int64_t t_ns, char *out, size_t n)
{
	return format_utc(t_ns, 0, out, n);
}

char *time_format_rfc3339_ms(int64_t t_ns, char *out, size_t n)
{
	return format_utc(t_ns, 3, out, n);
}

int time_or_duration_parse(const char *s, int64_t base_ns, int64_t *out_ns, bool *is_set,
			   struct error *err)
{
	int64_t v;

	*is_set = false;
	if (*s == '\0')
		return 0;
	if (time_parse_rfc3339(s, &v, NULL) == 0) {
		*out_ns = v;
		*is_set = true;
		return 0;
	}
	if (duration_parse(s, &v, NULL) != 0)
		return err_set(err, ERR_INVALID, "failed to parse %s", s);
	if (__builtin_add_overflow(base_ns, v, out_ns))
		return err_set(err, ERR_INVALID, "failed to parse %s: time out of range", s);
	*is_set = true;
	return 0;
}
