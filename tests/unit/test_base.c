/* test_base.c - errors, buffers, base64, durations and times, files, passwords, logs, strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/duration.h"
#include "base/error.h"
#include "base/file.h"
#include "base/log.h"
#include "base/password.h"
#include "base/str.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#define BASE_DATA TEST_DATA_DIR "/base"

/* ---------------------------------------------------------------- helpers */

static char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/stride-test-base.XXXXXX";
	char *d = mkdtemp(tmpl);

	assert_non_null(d);
	return xstrdup(d);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static size_t count_entries(const char *dir)
{
	char cmd[PATH_MAX + 32];
	size_t n = 0;
	FILE *f;
	char line[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL)
		n++;
	pclose(f);
	return n;
}

static void write_plain(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

/* ---------------------------------------------------------------- error */

static void test_error_wrap(void **state)
{
	struct error err;
	char big[2000];
	(void)state;

	err_clear(&err);
	assert_int_equal(err.kind, ERR_NONE);
	assert_string_equal(err.msg, "");
	assert_int_equal(err_public(&err, ERR_INVALID, "bad %s", "thing"), -1);
	assert_true(err.expose);
	assert_int_equal(err_wrap(&err, "reading %d", 7), -1);
	assert_string_equal(err.msg, "reading 7: bad thing");
	assert_int_equal(err.kind, ERR_INVALID);
	assert_true(err.expose);
	assert_int_equal(err_set(NULL, ERR_IO, "x"), -1);

	/* Long messages are truncated, never overflow. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&err, ERR_IO, "%s", big);
	assert_int_equal(strlen(err.msg), ERR_MSG_MAX - 1);
	err_wrap(&err, "%s", "prefix");
	assert_int_equal(strlen(err.msg), ERR_MSG_MAX - 1);
	assert_memory_equal(err.msg, "prefix: aaa", 11);
	err_set(&err, ERR_IO, "inner");
	err_wrap(&err, "%s", big);
	assert_int_equal(strlen(err.msg), ERR_MSG_MAX - 1);
	assert_string_equal(err_kind_name(ERR_NOT_FOUND), "not_found");
	assert_string_equal(err_kind_name(ERR_TOO_LARGE), "too_large");
}

/* ---------------------------------------------------------------- buf */

static void test_buf_basic(void **state)
{
	struct buf b;
	struct error err;
	char *s;
	(void)state;

	buf_init(&b, 64);
	assert_null(b.data);
	assert_int_equal(buf_append_str(&b, "hello", &err), 0);
	assert_int_equal(buf_append(&b, ", ", 2, &err), 0);
	assert_int_equal(buf_printf(&b, &err, "%s %d", "world", 42), 0);
	assert_int_equal(b.len, 15);
	assert_string_equal((char *)b.data, "hello, world 42");
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal((char *)b.data, "");
	assert_int_equal(buf_append(&b, "", 0, &err), 0);
	assert_int_equal(buf_append_str(&b, "xyz", &err), 0);
	s = buf_steal(&b);
	assert_string_equal(s, "xyz");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	free(s);

	/* Stealing an empty buffer gives "" rather than NULL. */
	s = buf_steal(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
	buf_free(&b);
	buf_free(NULL);
}

static void test_buf_max(void **state)
{
	struct buf b;
	struct error err;
	(void)state;

	buf_init(&b, 10);
	assert_int_equal(buf_append(&b, "0123456789", 10, &err), 0);
	assert_int_equal(b.len, 10);
	assert_int_equal(b.data[10], '\0');
	err_clear(&err);
	assert_int_equal(buf_append(&b, "x", 1, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_string_equal(err.msg, "data exceeds the maximum of 10 bytes");
	assert_int_equal(b.len, 10);
	assert_string_equal((char *)b.data, "0123456789");
	assert_int_equal(buf_printf(&b, &err, "%d", 1), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_int_equal(buf_append(&b, "", 0, &err), 0);
	buf_free(&b);

	/* A huge length must not wrap around the check. */
	buf_init(&b, 100);
	assert_int_equal(buf_append(&b, "ab", 2, &err), 0);
	assert_int_equal(buf_append(&b, "x", SIZE_MAX, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	buf_free(&b);

	/* Growth over many appends keeps the content. */
	buf_init(&b, 100000);
	for (int i = 0; i < 10000; i++)
		assert_int_equal(buf_printf(&b, &err, "%d,", i % 10), 0);
	assert_int_equal(b.len, 20000);
	assert_memory_equal(b.data + 19994, "7,8,9,", 6);
	assert_int_equal(b.data[20000], '\0');
	buf_free(&b);
}

/* ---------------------------------------------------------------- b64 */

static const struct {
	const char *plain, *url, *std;
} b64_vectors[] = {
    {"", "", ""},
    {"f", "Zg", "Zg=="},
    {"fo", "Zm8", "Zm8="},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg", "Zm9vYg=="},
    {"fooba", "Zm9vYmE", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

static void test_b64_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(b64_vectors) / sizeof(b64_vectors[0]); i++) {
		const char *p = b64_vectors[i].plain;
		char *e1 = b64url_encode(p, strlen(p));
		char *e2 = b64_encode(p, strlen(p));
		uint8_t *d = NULL;
		size_t n = 99;

		assert_string_equal(e1, b64_vectors[i].url);
		assert_string_equal(e2, b64_vectors[i].std);
		assert_int_equal(b64url_decode(e1, strlen(e1), &d, &n, NULL), 0);
		assert_int_equal(n, strlen(p));
		assert_memory_equal(d, p, n);
		free(d);
		/* padding is tolerated by the base64url decoder */
		assert_int_equal(b64url_decode(e2, strlen(e2), &d, &n, NULL), 0);
		assert_int_equal(n, strlen(p));
		assert_memory_equal(d, p, n);
		free(d);
		assert_int_equal(b64_decode(e2, strlen(e2), false, &d, &n, NULL), 0);
		assert_int_equal(n, strlen(p));
		assert_memory_equal(d, p, n);
		assert_int_equal(d[n], '\0');
		free(d);
		free(e1);
		free(e2);
	}
}

static void test_b64_alphabets(void **state)
{
	uint8_t all[256], *d;
	size_t n;
	char *e;
	(void)state;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	e = b64url_encode(all, sizeof(all));
	assert_null(strchr(e, '+'));
	assert_null(strchr(e, '/'));
	assert_null(strchr(e, '='));
	assert_int_equal(strlen(e), 342);
	assert_int_equal(b64url_decode(e, strlen(e), &d, &n, NULL), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(d, all, 256);
	free(d);
	free(e);

	e = b64_encode(all, sizeof(all));
	assert_null(strchr(e, '-'));
	assert_null(strchr(e, '_'));
	assert_int_equal(strlen(e), 344);
	assert_int_equal(b64_decode(e, strlen(e), false, &d, &n, NULL), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(d, all, 256);
	free(d);
	free(e);

	/* 0xfb 0xff encodes with both alphabet-specific characters. */
	e = b64url_encode("\xfb\xff", 2);
	assert_string_equal(e, "-_8");
	free(e);
	e = b64_encode("\xfb\xff", 2);
	assert_string_equal(e, "+/8=");
	free(e);
}

static void expect_b64url_error(const char *in, const char *msg)
{
	struct error err;
	uint8_t *d = (uint8_t *)"untouched";
	size_t n = 7;

	err_clear(&err);
	assert_int_equal(b64url_decode(in, strlen(in), &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, msg);
	assert_string_equal((char *)d, "untouched");
	assert_int_equal(n, 7);
}

static void expect_b64_error(const char *in, bool skip, const char *msg)
{
	struct error err;
	uint8_t *d = NULL;
	size_t n = 0;

	err_clear(&err);
	assert_int_equal(b64_decode(in, strlen(in), skip, &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, msg);
	assert_null(d);
}

static void test_b64_invalid(void **state)
{
	(void)state;
	expect_b64url_error("Zm9v!", "illegal base64 data at input byte 4");
	expect_b64url_error("Zm+v", "illegal base64 data at input byte 2");
	expect_b64url_error("Zm/v", "illegal base64 data at input byte 2");
	expect_b64url_error("Z", "illegal base64 data at input byte 0");
	expect_b64url_error("Zm9vY", "illegal base64 data at input byte 4");
	expect_b64url_error("Zm 9v", "illegal base64 data at input byte 2");
	expect_b64url_error("Zm9v\n", "illegal base64 data at input byte 4");
	expect_b64url_error("Zg=", "illegal base64 data at input byte 2");
	expect_b64url_error("Zg===", "illegal base64 data at input byte 2");
	expect_b64url_error("Z===", "illegal base64 data at input byte 1");
	expect_b64url_error("Zg==Zg", "illegal base64 data at input byte 2");
	expect_b64url_error("Zm9vYg=a", "illegal base64 data at input byte 6");
	expect_b64url_error("=", "illegal base64 data at input byte 0");

	expect_b64_error("Zg", false, "illegal base64 data at input byte 0");
	expect_b64_error("Zm9vYg", false, "illegal base64 data at input byte 4");
	expect_b64_error("Zm9v-_", false, "illegal base64 data at input byte 4");
	expect_b64_error("Zm9v\n", false, "illegal base64 data at input byte 4");
	expect_b64_error("Zm8=x", false, "illegal base64 data at input byte 4");
	expect_b64_error("Zg=", false, "illegal base64 data at input byte 3");
	expect_b64_error("Zg=x", false, "illegal base64 data at input byte 2");
	expect_b64_error("Zg==x", false, "illegal base64 data at input byte 4");
	expect_b64_error("Zg===", false, "illegal base64 data at input byte 4");
	expect_b64_error("Z===", false, "illegal base64 data at input byte 1");
	expect_b64_error("====", false, "illegal base64 data at input byte 0");
	expect_b64_error("Zm8=\n=", true, "illegal base64 data at input byte 5");
	expect_b64_error("Zm9v\x80", true, "illegal base64 data at input byte 4");

	/* An embedded NUL is not part of the alphabet. */
	{
		struct error err;
		uint8_t *d = NULL;
		size_t n;
		assert_int_equal(b64url_decode("Zm\0v", 4, &d, &n, &err), -1);
		assert_string_equal(err.msg, "illegal base64 data at input byte 2");
	}
}

static void test_b64_skip_space(void **state)
{
	uint8_t data[100], *d;
	size_t n;
	struct buf wrapped;
	char *e;
	(void)state;

	for (int i = 0; i < 100; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	e = b64_encode(data, sizeof(data));
	/* Wrap at 76 columns like `base64` and PEM-ish at 64, with CRLF and indentation. */
	buf_init(&wrapped, 4096);
	for (size_t i = 0; i < strlen(e); i += 76) {
		assert_int_equal(buf_printf(&wrapped, NULL, "  %.76s\r\n", e + i), 0);
	}
	assert_int_equal(b64_decode((char *)wrapped.data, wrapped.len, true, &d, &n, NULL), 0);
	assert_int_equal(n, 100);
	assert_memory_equal(d, data, 100);
	free(d);
	assert_int_equal(b64_decode((char *)wrapped.data, wrapped.len, false, &d, &n, NULL), -1);
	buf_free(&wrapped);
	free(e);

	assert_int_equal(b64_decode("Zm9v\nYg=\n=\n", 11, true, &d, &n, NULL), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(d, "foob", 4);
	free(d);
	assert_int_equal(b64_decode(" \t\n", 3, true, &d, &n, NULL), 0);
	assert_int_equal(n, 0);
	free(d);
}

/* ---------------------------------------------------------------- duration */

static const struct {
	const char *in;
	int64_t ns;
	const char *str;
} duration_ok[] = {
    {"0", 0, "0s"},
    {"+0", 0, "0s"},
    {"-0", 0, "0s"},
    {"0s", 0, "0s"},
    {"1h2m3.5s", 3723500000000, "1h2m3.5s"},
    {"-1.5h", -5400000000000, "-1h30m0s"},
    {".5s", 500000000, "500ms"},
    {"1.s", 1000000000, "1s"},
    {"-.5s", -500000000, "-500ms"},
    {"300ms", 300000000, "300ms"},
    {"2h45m", 9900000000000, "2h45m0s"},
    {"1\xc2\xb5s", 1000, "1\xc2\xb5s"},
    {"1\xce\xbcs", 1000, "1\xc2\xb5s"},
    {"1us", 1000, "1\xc2\xb5s"},
    {"1ns", 1, "1ns"},
    {"24h", 86400000000000, "24h0m0s"},
    {"15m", 900000000000, "15m0s"},
    {"5m30s", 330000000000, "5m30s"},
    {"00001s", 1000000000, "1s"},
    {"0.1h", 360000000000, "6m0s"},
    {"1.0000000001s", 1000000000, "1s"},
    {"3.000000001h", 10800000003600, "3h0m0.0000036s"},
    {"0.3333333333333333333h", 1200000000000, "20m0s"},
    {"0.9999999999h", 3599999999640, "59m59.99999964s"},
    {"1m0.000000001s", 60000000001, "1m0.000000001s"},
    {"1.00000000000000000000000000001s", 1000000000, "1s"},
    {"1h1h", 7200000000000, "2h0m0s"},
    {"1s1ms1us1ns", 1001001001, "1.001001001s"},
    {"9223372036854775807ns", INT64_MAX, "2562047h47m16.854775807s"},
    {"2562047h47m16.854775807s", INT64_MAX, "2562047h47m16.854775807s"},
    {"-9223372036854775808ns", INT64_MIN, "-2562047h47m16.854775808s"},
    {"-2562047h47m16.854775808s", INT64_MIN, "-2562047h47m16.854775808s"},
};

static const struct {
	const char *in, *msg;
} duration_bad[] = {
    {"", "time: invalid duration \"\""},
    {".", "time: invalid duration \".\""},
    {"-", "time: invalid duration \"-\""},
    {"+", "time: invalid duration \"+\""},
    {"s", "time: invalid duration \"s\""},
    {" 1h", "time: invalid duration \" 1h\""},
    {"..5s", "time: invalid duration \"..5s\""},
    {"-.s", "time: invalid duration \"-.s\""},
    {"1", "time: missing unit in duration \"1\""},
    {"1.5", "time: missing unit in duration \"1.5\""},
    {"1.2.3s", "time: missing unit in duration \"1.2.3s\""},
    {"1s2", "time: missing unit in duration \"1s2\""},
    {"1d", "time: unknown unit \"d\" in duration \"1d\""},
    {"1H", "time: unknown unit \"H\" in duration \"1H\""},
    {"1e3s", "time: unknown unit \"e\" in duration \"1e3s\""},
    {"1h-1m", "time: unknown unit \"h-\" in duration \"1h-1m\""},
    {"1h 1m", "time: unknown unit \"h \" in duration \"1h 1m\""},
    {"1\"x", "time: unknown unit \"\\\"x\" in duration \"1\\\"x\""},
    {"1\xff"
     "d",
     "time: unknown unit \"\\xffd\" in duration \"1\\xffd\""},
    {"1\xc2\xb5", "time: unknown unit \"\\xc2\\xb5\" in duration \"1\\xc2\\xb5\""},
    {"9223372036854775808ns", "time: invalid duration \"9223372036854775808ns\""},
    {"2562047h47m16.854775808s", "time: invalid duration \"2562047h47m16.854775808s\""},
    {"100000000000000000000s", "time: invalid duration \"100000000000000000000s\""},
    {"18446744073709551616ns", "time: invalid duration \"18446744073709551616ns\""},
    {"2562048h", "time: invalid duration \"2562048h\""},
    {"-2562047h47m16.854775809s", "time: invalid duration \"-2562047h47m16.854775809s\""},
};

static void test_duration_parse(void **state)
{
	char out[64];
	(void)state;

	for (size_t i = 0; i < sizeof(duration_ok) / sizeof(duration_ok[0]); i++) {
		int64_t v = 12345, back = 0;
		struct error err;
		err_clear(&err);
		if (duration_parse(duration_ok[i].in, &v, &err) != 0)
			fail_msg("parse %s: %s", duration_ok[i].in, err.msg);
		if (v != duration_ok[i].ns)
			fail_msg("parse %s: got %lld want %lld", duration_ok[i].in, (long long)v,
				 (long long)duration_ok[i].ns);
		assert_string_equal(duration_format(v, out, sizeof(out)), duration_ok[i].str);
		/* round trip through the formatted text */
		assert_int_equal(duration_parse(out, &back, NULL), 0);
		assert_true(back == v);
	}
	for (size_t i = 0; i < sizeof(duration_bad) / sizeof(duration_bad[0]); i++) {
		int64_t v = 777;
		struct error err;
		err_clear(&err);
		if (duration_parse(duration_bad[i].in, &v, &err) != -1)
			fail_msg("parse %s: accepted as %lld", duration_bad[i].in, (long long)v);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_string_equal(err.msg, duration_bad[i].msg);
		assert_true(v == 777);
	}
	/* err may be NULL */
	{
		int64_t v;
		assert_int_equal(duration_parse("1x", &v, NULL), -1);
	}
}

static void test_duration_format(void **state)
{
	static const struct {
		int64_t ns;
		const char *str;
	} cases[] = {
	    {0, "0s"},
	    {1, "1ns"},
	    {999, "999ns"},
	    {1000, "1\xc2\xb5s"},
	    {1100, "1.1\xc2\xb5s"},
	    {1100000, "1.1ms"},
	    {1500000, "1.5ms"},
	    {1500000000, "1.5s"},
	    {300000000, "300ms"},
	    {60000000000, "1m0s"},
	    {300000000000, "5m0s"},
	    {86400000000000, "24h0m0s"},
	    {-3600000000000, "-1h0m0s"},
	    {9900000000000, "2h45m0s"},
	    {39125000000000, "10h52m5s"},
	    {INT64_MAX, "2562047h47m16.854775807s"},
	    {INT64_MIN, "-2562047h47m16.854775808s"},
	    {-1, "-1ns"},
	    {-1100, "-1.1\xc2\xb5s"},
	    {1000000001, "1.000000001s"},
	    {3600000000001, "1h0m0.000000001s"},
	};
	char out[64], small[4];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(duration_format(cases[i].ns, out, sizeof(out)), cases[i].str);
	/* truncation keeps the NUL */
	assert_string_equal(duration_format(86400000000000, small, sizeof(small)), "24h");
	assert_string_equal(duration_format(5 * NS_PER_MIN, out, sizeof(out)), "5m0s");
	assert_string_equal(duration_format(NS_PER_MIN, out, sizeof(out)), "1m0s");
}

static void test_duration_round(void **state)
{
	static const struct {
		int64_t d, m, want;
	} cases[] = {
	    {1500, 1000, 2000},
	    {-1500, 1000, -2000},
	    {1499, 1000, 1000},
	    {-1499, 1000, -1000},
	    {2500, 1000, 3000},
	    {5, 0, 5},
	    {5, -3, 5},
	    {INT64_MAX, 1000, INT64_MAX},
	    {INT64_MIN, 1000, INT64_MIN},
	    {INT64_MAX, INT64_C(1) << 62, INT64_MAX},
	    {1234567891, 1000000, 1235000000},
	    {-1234567891, 1000000, -1235000000},
	    {7, 7, 7},
	    {INT64_MIN, 3, INT64_MIN},
	    {INT64_MAX - 99, INT64_MAX, INT64_MAX},
	    {90 * NS_PER_SEC + 1, NS_PER_MIN, 2 * NS_PER_MIN},
	    {89 * NS_PER_SEC, NS_PER_MIN, NS_PER_MIN},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (duration_round(cases[i].d, cases[i].m) != cases[i].want)
			fail_msg("round(%lld, %lld) = %lld, want %lld", (long long)cases[i].d,
				 (long long)cases[i].m,
				 (long long)duration_round(cases[i].d, cases[i].m),
				 (long long)cases[i].want);
}

/* ---------------------------------------------------------------- time */

static void test_time_rfc3339(void **state)
{
	static const struct {
		const char *in;
		int64_t ns;
		const char *utc;
	} ok[] = {
	    {"2026-11-22T02:51:38Z", 1795315898000000000, "2026-11-22T02:51:38Z"},
	    {"2026-11-22T02:51:38.5Z", 1795315898500000000, "2026-11-22T02:51:38Z"},
	    {"2026-11-22T02:51:38.123456789Z", 1795315898123456789, "2026-11-22T02:51:38Z"},
	    {"2026-11-22T02:51:38.1234567891Z", 1795315898123456789, "2026-11-22T02:51:38Z"},
	    {"2026-11-22T04:51:38+02:00", 1795315898000000000, "2026-11-22T02:51:38Z"},
	    {"2026-11-21T19:51:38-07:00", 1795315898000000000, "2026-11-22T02:51:38Z"},
	    {"2026-11-22T02:51:38+23:59", 1795229558000000000, "2026-11-21T02:52:38Z"},
	    {"2026-11-22T02:51:38.25-00:30", 1795317698250000000, "2026-11-22T03:21:38Z"},
	    {"1970-01-01T00:00:00Z", 0, "1970-01-01T00:00:00Z"},
	    {"1969-12-31T23:59:59.999999999Z", -1, "1969-12-31T23:59:59Z"},
	    {"2024-02-29T00:00:00Z", 1709164800000000000, "2024-02-29T00:00:00Z"},
	    {"2000-02-29T12:00:00Z", 951825600000000000, "2000-02-29T12:00:00Z"},
	    {"2262-04-11T23:47:16.854775807Z", INT64_MAX, "2262-04-11T23:47:16Z"},
	    {"1677-09-21T00:12:43.145224192Z", INT64_MIN, "1677-09-21T00:12:43Z"},
	};
	static const struct {
		const char *in, *msg;
	} bad[] = {
	    {"2023-02-29T00:00:00Z", "parsing time \"2023-02-29T00:00:00Z\": day out of range"},
	    {"1900-02-29T00:00:00Z", "parsing time \"1900-02-29T00:00:00Z\": day out of range"},
	    {"2026-13-22T02:51:38Z", "parsing time \"2026-13-22T02:51:38Z\": month out of range"},
	    {"2026-00-22T02:51:38Z", "parsing time \"2026-00-22T02:51:38Z\": month out of range"},
	    {"2026-11-22T24:00:00Z", "parsing time \"2026-11-22T24:00:00Z\": hour out of range"},
	    {"2026-11-22T02:60:00Z", "parsing time \"2026-11-22T02:60:00Z\": minute out of range"},
	    {"2026-11-22T02:51:60Z", "parsing time \"2026-11-22T02:51:60Z\": second out of range"},
	    {"2262-04-11T23:47:16.854775808Z",
	     "parsing time \"2262-04-11T23:47:16.854775808Z\": time out of range"},
	    {"0001-01-01T00:00:00Z", "parsing time \"0001-01-01T00:00:00Z\": time out of range"},
	    {"2026-11-22t02:51:38Z", NULL},
	    {"2026-11-22T02:51:38z", NULL},
	    {"2026-11-22T02:51:38", NULL},
	    {"2026-11-22T02:51:38.Z", NULL},
	    {"2026-11-22T02:51:38+0200", NULL},
	    {"2026-11-22T02:51:38+02", NULL},
	    {"2026-11-22 02:51:38Z", NULL},
	    {"2026-11-22T2:51:38Z", NULL},
	    {"2026-11-22T02:51:38ZZ", NULL},
	    {"2026-11-22T02:51:38 Z", NULL},
	    {"+026-11-22T02:51:38Z", NULL},
	    {"2026-11-22", NULL},
	    {"", NULL},
	    {"24h", NULL},
	    {"2026-11-22T02:51:38+24:00",
	     "parsing time \"2026-11-22T02:51:38+24:00\": time zone offset out of range"},
	    {"2026-11-22T02:51:38-02:60",
	     "parsing time \"2026-11-22T02:51:38-02:60\": time zone offset out of range"},
	};
	char out[64];
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = 1;
		struct error err;
		if (time_parse_rfc3339(ok[i].in, &v, &err) != 0)
			fail_msg("%s: %s", ok[i].in, err.msg);
		if (v != ok[i].ns)
			fail_msg("%s: got %lld want %lld", ok[i].in, (long long)v,
				 (long long)ok[i].ns);
		assert_string_equal(time_format_rfc3339(v, out, sizeof(out)), ok[i].utc);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 5;
		struct error err;
		char want[256];
		err_clear(&err);
		if (time_parse_rfc3339(bad[i].in, &v, &err) != -1)
			fail_msg("%s: accepted", bad[i].in);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_true(v == 5);
		if (bad[i].msg == NULL)
			snprintf(want, sizeof(want),
				 "parsing time \"%s\" as \"2006-01-02T15:04:05Z07:00\": not an RFC "
				 "3339 time",
				 bad[i].in);
		else
			snprintf(want, sizeof(want), "%s", bad[i].msg);
		assert_string_equal(err.msg, want);
	}
	assert_string_equal(time_format_rfc3339_ms(1795315898123456789, out, sizeof(out)),
			    "2026-11-22T02:51:38.123Z");
	assert_string_equal(time_format_rfc3339_ms(-1, out, sizeof(out)),
			    "1969-12-31T23:59:59.999Z");
	assert_string_equal(time_format_rfc3339(-NS_PER_SEC * 86400, out, sizeof(out)),
			    "1969-12-31T00:00:00Z");
}

static void test_time_now(void **state)
{
	int64_t a = time_now_ns(), b;
	(void)state;
	assert_true(a > 1700000000 * NS_PER_SEC); /* after Nov 2023 */
	b = time_now_ns();
	assert_true(b >= a);
}

static void test_time_or_duration(void **state)
{
	const int64_t base = 1795315898000000000;
	int64_t v = 42;
	bool set = true;
	struct error err;
	(void)state;

	assert_int_equal(time_or_duration_parse("", base, &v, &set, &err), 0);
	assert_false(set);
	assert_true(v == 42);
	assert_int_equal(time_or_duration_parse("2030-01-01T00:00:00Z", base, &v, &set, &err), 0);
	assert_true(set);
	assert_true(v == 1893456000 * NS_PER_SEC);
	assert_int_equal(time_or_duration_parse("1h", base, &v, &set, &err), 0);
	assert_true(set);
	assert_true(v == base + NS_PER_HOUR);
	assert_int_equal(time_or_duration_parse("-5m", base, &v, &set, &err), 0);
	assert_true(v == base - 5 * NS_PER_MIN);
	assert_int_equal(time_or_duration_parse("0", base, &v, &set, &err), 0);
	assert_true(v == base);
	set = true;
	err_clear(&err);
	assert_int_equal(time_or_duration_parse("tomorrow", base, &v, &set, &err), -1);
	assert_false(set);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "failed to parse tomorrow");
	assert_int_equal(time_or_duration_parse("2500000h", base, &v, &set, &err), -1);
	assert_int_equal(err.kind, ERR_INVALID);
	assert_string_equal(err.msg, "failed to parse 2500000h: time out of range");
	assert_int_equal(time_or_duration_parse("-2500000h", -base, &v, &set, &err), -1);
}

/* ---------------------------------------------------------------- file */

static void test_file_read(void **state)
{
	char *dir = make_tmpdir();
	char *p = path_join(dir, "f.txt");
	char *missing = path_join(dir, "missing");
	uint8_t *d = NULL;
	size_t n = 0;
	struct error err;
	char want[PATH_MAX + 64];
	(void)state;

	write_plain(p, "0123456789", 0644);
	assert_int_equal(file_read(p, 10, &d, &n, &err), 0);
	assert_int_equal(n, 10);
	assert_string_equal((char *)d, "0123456789");
	free(d);
	d = NULL;
	assert_int_equal(file_read(p, 9, &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	snprintf(want, sizeof(want), "read %s: file exceeds the maximum of 9 bytes", p);
	assert_string_equal(err.msg, want);
	assert_null(d);

	assert_int_equal(file_read(missing, 100, &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	snprintf(want, sizeof(want), "open %s: No such file or directory", missing);
	assert_string_equal(err.msg, want);

	assert_int_equal(file_read(dir, 100, &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_IO);
	snprintf(want, sizeof(want), "read %s: Is a directory", dir);
	assert_string_equal(err.msg, want);

	/* A stream without a size (no st_size) is still bounded. */
	assert_int_equal(file_read("/dev/zero", 20000, &d, &n, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	assert_int_equal(file_read("/dev/null", 10, &d, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_string_equal((char *)d, "");
	free(d);

	if (geteuid() != 0) {
		chmod(p, 0);
		assert_int_equal(file_read(p, 100, &d, &n, &err), -1);
		assert_int_equal(err.kind, ERR_IO);
		snprintf(want, sizeof(want), "open %s: Permission denied", p);
		assert_string_equal(err.msg, want);
	}
	free(p);
	free(missing);
	rm_tree(dir);
}

static void test_file_write_atomic(void **state)
{
	char *dir = make_tmpdir();
	char *p = path_join(dir, "key.pem");
	char *nodir = path_join(dir, "nope/key.pem");
	struct stat st;
	uint8_t *d;
	size_t n;
	struct error err;
	char want[PATH_MAX + 64];
	(void)state;

	assert_false(file_exists(p));
	assert_int_equal(file_write_atomic(p, "secret-1", 8, 0600, &err), 0);
	assert_true(file_exists(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read(p, 100, &d, &n, &err), 0);
	assert_int_equal(n, 8);
	assert_string_equal((char *)d, "secret-1");
	free(d);
	assert_int_equal(count_entries(dir), 1); /* no temp file left */

	/* Replacing an existing, world-readable file: content and mode both change. */
	chmod(p, 0644);
	assert_int_equal(file_write_atomic(p, "second", 6, 0600, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read(p, 100, &d, &n, &err), 0);
	assert_string_equal((char *)d, "second");
	free(d);
	assert_int_equal(count_entries(dir), 1);

	/* Mode 0644 is set exactly, whatever the umask. */
	assert_int_equal(file_write_atomic(p, "", 0, 0644, &err), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(st.st_size, 0);

	/* A missing directory fails cleanly. */
	err_clear(&err);
	assert_int_equal(file_write_atomic(nodir, "x", 1, 0600, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	snprintf(want, sizeof(want), "open %s: No such file or directory", nodir);
	assert_string_equal(err.msg, want);
	assert_int_equal(count_entries(dir), 1);

	/* Renaming over a directory fails and removes the temp file. */
	{
		char *sub = path_join(dir, "sub");
		assert_int_equal(mkdir(sub, 0700), 0);
		assert_int_equal(file_write_atomic(sub, "x", 1, 0600, &err), -1);
		assert_int_equal(err.kind, ERR_IO);
		assert_int_equal(count_entries(dir), 2);
		free(sub);
	}

	/* A relative path in the current directory works (temp file beside it). */
	{
		char cwd[PATH_MAX];
		assert_non_null(getcwd(cwd, sizeof(cwd)));
		assert_int_equal(chdir(dir), 0);
		assert_int_equal(file_write_atomic("rel.txt", "rel", 3, 0640, &err), 0);
		assert_int_equal(stat("rel.txt", &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
		assert_int_equal(chdir(cwd), 0);
		assert_int_equal(count_entries(dir), 3);
	}
	free(p);
	free(nodir);
	rm_tree(dir);
}

static void test_file_write_pair(void **state)
{
	char *dir = make_tmpdir();
	char *crt = path_join(dir, "site.crt");
	char *key = path_join(dir, "site.key");
	char *bad = path_join(dir, "missing/site.key");
	struct stat st;
	uint8_t *d;
	size_t n;
	struct error err;
	(void)state;

	assert_int_equal(file_write_pair_atomic(crt, "CERT1", 5, 0644, key, "KEY1", 4, 0600, &err),
			 0);
	assert_int_equal(stat(crt, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(file_read(crt, 100, &d, &n, &err), 0);
	assert_string_equal((char *)d, "CERT1");
	free(d);
	assert_int_equal(file_read(key, 100, &d, &n, &err), 0);
	assert_string_equal((char *)d, "KEY1");
	free(d);

	/* If the second temp file cannot be made, neither file changes. */
	assert_int_equal(file_write_pair_atomic(crt, "CERT2", 5, 0644, bad, "KEY2", 4, 0600, &err),
			 -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_int_equal(file_read(crt, 100, &d, &n, &err), 0);
	assert_string_equal((char *)d, "CERT1");
	free(d);
	assert_int_equal(count_entries(dir), 2);

	free(crt);
	free(key);
	free(bad);
	rm_tree(dir);
}

static void test_file_mkdir_p(void **state)
{
	char *dir = make_tmpdir();
	char *deep = path_join(dir, "a/b//c/");
	char *file = path_join(dir, "a/file");
	char *under_file = path_join(dir, "a/file/x");
	struct stat st;
	struct error err;
	(void)state;

	assert_int_equal(file_mkdir_p(deep, 0700, &err), 0);
	assert_int_equal(stat(deep, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	assert_int_equal(file_mkdir_p(deep, 0700, &err), 0); /* existing is fine */
	assert_int_equal(file_mkdir_p(dir, 0700, &err), 0);
	assert_int_equal(file_mkdir_p("/", 0700, &err), 0);
	write_plain(file, "x", 0600);
	assert_int_equal(file_mkdir_p(file, 0700, &err), -1);
	assert_int_equal(err.kind, ERR_IO);
	assert_int_equal(file_mkdir_p(under_file, 0700, &err), -1);
	assert_int_equal(err.kind, ERR_IO);
	free(deep);
	free(file);
	free(under_file);
	rm_tree(dir);
}

static void test_paths(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} joins[] = {
	    {"a", "b", "a/b"},	    {"a/", "b", "a/b"},
	    {"a//", "/b", "a/b"},   {"/", "b", "/b"},
	    {"/", "/b", "/b"},	    {"", "b", "b"},
	    {"a", "", "a"},	    {"/etc", "step/ca.json", "/etc/step/ca.json"},
	    {"/x/", "y/", "/x/y/"},
	};
	static const struct {
		const char *in, *want;
	} cleans[] = {
	    {"", "."},
	    {".", "."},
	    {"/", "/"},
	    {"//", "/"},
	    {"a/b", "a/b"},
	    {"a//b", "a/b"},
	    {"a/./b/", "a/b"},
	    {"a/b/..", "a"},
	    {"a/..", "."},
	    {"/..", "/"},
	    {"/a/../..", "/"},
	    {"..", ".."},
	    {"../a/..", ".."},
	    {"../..", "../.."},
	    {"a/../../b", "../b"},
	    {"/a/b/../c/.", "/a/c"},
	    {"./a/b/../../..", ".."},
	};
	char cwd[PATH_MAX], want[PATH_MAX + 16];
	char *s;
	(void)state;

	for (size_t i = 0; i < sizeof(joins) / sizeof(joins[0]); i++) {
		s = path_join(joins[i].a, joins[i].b);
		assert_string_equal(s, joins[i].want);
		free(s);
	}
	for (size_t i = 0; i < sizeof(cleans) / sizeof(cleans[0]); i++) {
		s = path_clean(cleans[i].in);
		if (strcmp(s, cleans[i].want) != 0)
			fail_msg("clean(%s) = %s, want %s", cleans[i].in, s, cleans[i].want);
		free(s);
	}
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	s = path_absolute("x/./y");
	snprintf(want, sizeof(want), "%s/x/y", strcmp(cwd, "/") == 0 ? "" : cwd);
	assert_string_equal(s, want);
	free(s);
	s = path_absolute("/etc//step/");
	assert_string_equal(s, "/etc/step");
	free(s);
	s = path_absolute(".");
	assert_string_equal(s, cwd);
	free(s);
}

/* ---------------------------------------------------------------- password */

static void test_password_read_file(void **state)
{
	static const struct {
		const char *file, *want;
	} cases[] = {
	    {BASE_DATA "/password.txt", "hunter2"},
	    {BASE_DATA "/password-nbsp.txt", "pass word"},
	    {BASE_DATA "/password-blank.txt", ""},
	    {BASE_DATA "/password-plain.txt", "no-newline"},
	};
	struct error err;
	char *pw = NULL;
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (password_read_file(cases[i].file, &pw, &err) != 0)
			fail_msg("%s: %s", cases[i].file, err.msg);
		assert_string_equal(pw, cases[i].want);
		password_free(pw);
	}
	/* Leading and inner white space is part of the password. */
	{
		char *dir = make_tmpdir();
		char *p = path_join(dir, "pw");
		write_plain(p, "  a b\t\n", 0600);
		assert_int_equal(password_read_file(p, &pw, &err), 0);
		assert_string_equal(pw, "  a b");
		password_free(pw);
		free(p);
		rm_tree(dir);
	}
	assert_int_equal(password_read_file(BASE_DATA "/nope.txt", &pw, &err), -1);
	assert_int_equal(err.kind, ERR_NOT_FOUND);
	assert_string_equal(err.msg, "open " BASE_DATA "/nope.txt: No such file or directory");
	password_free(NULL);
}

static void test_password_generate(void **state)
{
	char *pw = NULL, *pw2 = NULL;
	int seen[256] = {0};
	(void)state;

	assert_int_equal(password_generate(32, &pw, NULL), 0);
	assert_int_equal(strlen(pw), 32);
	assert_int_equal(password_generate(32, &pw2, NULL), 0);
	assert_string_not_equal(pw, pw2);
	password_free(pw);
	password_free(pw2);
	assert_int_equal(password_generate(0, &pw, NULL), 0);
	assert_string_equal(pw, "");
	password_free(pw);

	/* Only alphanumerics, and (with 6200 draws) every one of the 62 shows up. */
	assert_int_equal(password_generate(6200, &pw, NULL), 0);
	for (size_t i = 0; i < 6200; i++) {
		unsigned char c = (unsigned char)pw[i];
		assert_true((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9'));
		seen[c]++;
	}
	for (int c = 0; c < 256; c++) {
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (alnum)
			assert_true(seen[c] > 0);
	}
	password_free(pw);
}

static void test_password_no_tty(void **state)
{
	struct error err;
	char *pw = NULL;
	(void)state;

	if (tty_available()) {
		skip(); /* running in a terminal: a prompt would wait for input */
		return;
	}
	err_clear(&err);
	assert_int_equal(password_prompt("Password", &pw, &err), -1);
	assert_int_equal(err.kind, ERR_IO);
	assert_string_equal(err.msg, "error allocating terminal");
	assert_null(pw);
	assert_int_equal(tty_prompt_line("Name", &pw, &err), -1);
	assert_string_equal(err.msg, "error allocating terminal");
}

static void test_secure_wipe(void **state)
{
	char s[8] = "secret!";
	(void)state;
	secure_wipe(s, sizeof(s));
	for (size_t i = 0; i < sizeof(s); i++)
		assert_int_equal(s[i], 0);
	secure_wipe(NULL, 0);
}

/* ---------------------------------------------------------------- log */

/* Runs fn with stderr redirected to a temp file; returns what was written (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/stride-test-log.XXXXXX";
	int fd = mkstemp(path), saved, rc;
	uint8_t *data = NULL;
	size_t n;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	fn();
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	rc = file_read(path, 16 << 20, &data, &n, NULL);
	unlink(path);
	assert_int_equal(rc, 0);
	return (char *)data;
}

static void log_escapes(void)
{
	log_configure(LOG_INFO, 1);
	log_msg(LOG_INFO, "hello \"world\"", "path", "a\\b", "ctl", "x\n\r\t\b\f\x01\x1fy", "utf8",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "bad",
		"a\xff"
		"b\xc3(\xed\xa0\x80z\xc0\xaf",
		NULL);
	log_msg(LOG_DEBUG, "hidden", NULL);
	log_msg(LOG_WARN, "careful", "k", "v", NULL);
	log_msg(LOG_ERROR, "bad", "k", NULL, "ignored", "x", NULL);
}

/* Held lines: nothing reaches stderr before log_release, then all of them in order; more than
 * PIPE_BUF of them is written as it fills. */
static void log_held(void)
{
	struct stat st;
	char big[2000];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_configure(LOG_INFO, 1);
	log_hold();
	log_msg(LOG_INFO, "first", NULL);
	log_msg(LOG_INFO, "second", "k", "v", NULL);
	assert_int_equal(fstat(2, &st), 0);
	assert_int_equal(st.st_size, 0);
	log_msg(LOG_INFO, "third", "big", big, NULL);
	log_msg(LOG_INFO, "fourth", "big", big, NULL);
	assert_int_equal(fstat(2, &st), 0);
	assert_true(st.st_size > 0); /* the first three did not fit with the fourth */
	log_release();
	log_msg(LOG_INFO, "fifth", NULL);
}

static void test_log_hold(void **state)
{
	char *out = capture_stderr(log_held);
	const char *order[] = {"\"first\"", "\"second\"", "\"third\"", "\"fourth\"", "\"fifth\""};
	const char *at = out;
	(void)state;

	for (size_t i = 0; i < 5; i++) {
		const char *p = strstr(at, order[i]);
		if (p == NULL)
			fail_msg("%s missing or out of order in:\n%s", order[i], out);
		at = p;
	}
	free(out);
}

static void test_log_json(void **state)
{
	char *out = capture_stderr(log_escapes);
	char *line2, *line3;
	json_error_t jerr;
	json_t *j;
	int64_t t;
	(void)state;

	line2 = strchr(out, '\n');
	assert_non_null(line2);
	*line2++ = '\0';
	line3 = strchr(line2, '\n');
	assert_non_null(line3);
	*line3++ = '\0';

	/* exact text of the escaped part */
	assert_non_null(strstr(out, "\"msg\":\"hello \\\"world\\\"\",\"path\":\"a\\\\b\","
				    "\"ctl\":\"x\\n\\r\\t\\b\\f\\u0001\\u001fy\","));
	assert_non_null(strstr(out, "\"bad\":\"a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffdz\\ufffd"
				    "\\ufffd\"}"));
	j = json_loads(out, 0, &jerr);
	if (j == NULL)
		fail_msg("invalid JSON %s: %s", out, jerr.text);
	assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(j, "msg")), "hello \"world\"");
	assert_string_equal(json_string_value(json_object_get(j, "path")), "a\\b");
	assert_string_equal(json_string_value(json_object_get(j, "ctl")), "x\n\r\t\b\f\x01\x1fy");
	assert_string_equal(json_string_value(json_object_get(j, "utf8")),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	assert_int_equal(json_object_size(j), 7);
	assert_int_equal(
	    time_parse_rfc3339(json_string_value(json_object_get(j, "time")), &t, NULL), 0);
	assert_true(llabs((long long)(t - time_now_ns())) < 60 * NS_PER_SEC);
	assert_int_equal(strlen(json_string_value(json_object_get(j, "time"))), 24);
	assert_memory_equal(out, "{\"time\":\"", 9);
	json_decref(j);

	/* the debug line was filtered; warn and error follow */
	assert_non_null(strstr(line2, "\"level\":\"warning\",\"msg\":\"careful\",\"k\":\"v\"}"));
	assert_non_null(strstr(line3, "\"level\":\"error\",\"msg\":\"bad\"}"));
	assert_string_equal(line3 + strlen(line3), "");
	free(out);
}

static void log_text(void)
{
	log_configure(LOG_DEBUG, 0);
	log_msg(LOG_DEBUG, "text \"mode\"", "key", "va lue", "k=x y", "a\nb", NULL);
	log_configure(LOG_INFO, 1);
}

static void test_log_text(void **state)
{
	char *out = capture_stderr(log_text);
	const char *p;
	(void)state;

	assert_memory_equal(out, "time=", 5);
	p = strstr(out, " level=debug msg=\"text \\\"mode\\\"\" key=\"va lue\" k_x_y=\"a\\nb\"\n");
	assert_non_null(p);
	assert_string_equal(p + strlen(" level=debug msg=\"text \\\"mode\\\"\" key=\"va lue\" "
				       "k_x_y=\"a\\nb\"\n"),
			    "");
	free(out);
}

static void log_long(void)
{
	char *big = xmalloc(20001);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	big[100] = '\n'; /* an escape to push lengths around */
	log_configure(LOG_INFO, 1);
	log_msg(LOG_INFO, "long", "a", "short", "big", big, "after", "dropped", NULL);
	/* Many escapes: each \u0001 takes six bytes. */
	memset(big, 1, 20000);
	log_msg(LOG_INFO, big, "k", "v", NULL);
	free(big);
}

static void test_log_bounded(void **state)
{
	char *out = capture_stderr(log_long);
	char *line2 = strchr(out, '\n');
	json_t *j;
	const char *v;
	(void)state;

	assert_non_null(line2);
	*line2++ = '\0';
	assert_true(strlen(out) + 1 <= 8192);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "short");
	v = json_string_value(json_object_get(j, "big"));
	assert_non_null(v);
	assert_true(strlen(v) > 7000);
	assert_true(str_has_suffix(v, "xxx..."));
	assert_null(json_object_get(j, "after"));
	json_decref(j);

	assert_true(strlen(line2) <= 8192);
	assert_int_equal(line2[strlen(line2) - 1], '\n');
	j = json_loads(line2, 0, NULL);
	assert_non_null(j);
	v = json_string_value(json_object_get(j, "msg"));
	assert_true(str_has_suffix(v, "\x01\x01..."));
	assert_null(json_object_get(j, "k"));
	json_decref(j);
	free(out);
}

/* Every line stays within 8 KiB and is valid JSON, whatever the sizes around the limit. */
static void log_sizes(void)
{
	char *big = xmalloc(9001);

	log_configure(LOG_INFO, 1);
	for (size_t len = 8050; len <= 8200; len += 3) {
		memset(big, 'a', len);
		big[len] = '\0';
		big[len / 2] = '"'; /* two bytes once escaped */
		log_msg(LOG_INFO, big, NULL);
		log_msg(LOG_INFO, "m", "k", big + 8000, "v", big, NULL);
		log_msg(LOG_INFO, "m", big, "value", NULL);
	}
	/* multi-byte UTF-8 is never split */
	for (size_t i = 0; i + 4 <= 9000; i += 4)
		memcpy(big + i, "\xf0\x9f\x94\x92", 4);
	big[9000] = '\0';
	for (int shift = 0; shift < 4; shift++)
		log_msg(LOG_INFO, "utf8", "pad", &"xyz"[shift < 3 ? shift : 3], "v", big, NULL);
	free(big);
}

static void test_log_boundaries(void **state)
{
	char *out = capture_stderr(log_sizes);
	char *line = out, *nl;
	int lines = 0;
	(void)state;

	while ((nl = strchr(line, '\n')) != NULL) {
		json_error_t jerr;
		json_t *j;
		*nl = '\0';
		assert_true(strlen(line) + 1 <= 8192);
		j = json_loads(line, 0, &jerr);
		if (j == NULL)
			fail_msg("line %d is not JSON (%s): %.80s...", lines, jerr.text, line);
		assert_non_null(json_object_get(j, "msg"));
		json_decref(j);
		lines++;
		line = nl + 1;
	}
	assert_string_equal(line, "");
	assert_int_equal(lines, 51 * 3 + 4);
	free(out);
}

struct log_thread_arg {
	int id;
	size_t len; /* of the payload; 0: 2999 */
};

static void *log_thread(void *p)
{
	const struct log_thread_arg *a = p;
	char id[16], payload[7000];
	size_t len = a->len > 0 ? a->len : 2999;

	snprintf(id, sizeof(id), "%d", a->id);
	memset(payload, 'a' + a->id, len);
	payload[len] = '\0';
	for (int i = 0; i < 200; i++)
		log_msg(LOG_INFO, "thread", "id", id, "payload", payload, NULL);
	return NULL;
}

static void log_threads(void)
{
	pthread_t t[4];
	struct log_thread_arg args[4];

	log_configure(LOG_INFO, 1);
	for (int i = 0; i < 4; i++) {
		args[i] = (struct log_thread_arg){.id = i};
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

static void test_log_threads(void **state)
{
	char *out = capture_stderr(log_threads);
	char *line = out, *nl;
	int per[4] = {0};
	(void)state;

	while ((nl = strchr(line, '\n')) != NULL) {
		json_t *j;
		int id;
		*nl = '\0';
		j = json_loads(line, 0, NULL);
		assert_non_null(j);
		id = atoi(json_string_value(json_object_get(j, "id")));
		assert_true(id >= 0 && id < 4);
		assert_int_equal(json_string_value(json_object_get(j, "payload"))[0], 'a' + id);
		assert_int_equal(strlen(json_string_value(json_object_get(j, "payload"))), 2999);
		per[id]++;
		json_decref(j);
		line = nl + 1;
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(per[i], 200);
	free(out);
}

struct pipe_drain {
	int fd;
	char *data;
	size_t n;
};

static void *drain_pipe(void *p)
{
	struct pipe_drain *d = p;
	size_t cap = 1 << 23;
	ssize_t r;

	d->data = xmalloc(cap + 1);
	while (d->n < cap && (r = read(d->fd, d->data + d->n, cap - d->n)) > 0)
		d->n += (size_t)r;
	d->data[d->n] = '\0';
	return NULL;
}

/* On a pipe, lines longer than PIPE_BUF (which the kernel may split) and shorter ones (written
 * in one call without waiting on each other) never land inside one another. */
static void test_log_threads_pipe(void **state)
{
	struct log_thread_arg args[4] = {{0, 6000}, {1, 3000}, {2, 6500}, {3, 100}};
	struct pipe_drain d = {0};
	pthread_t t[4], reader;
	int fds[2], saved, per[4] = {0};
	char *line, *nl;
	(void)state;

	assert_int_equal(pipe(fds), 0);
	d.fd = fds[0];
	assert_int_equal(pthread_create(&reader, NULL, drain_pipe, &d), 0);
	fflush(stderr);
	saved = dup(2);
	assert_int_equal(dup2(fds[1], 2), 2);
	log_configure(LOG_INFO, 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_thread, &args[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fds[1]);
	pthread_join(reader, NULL);
	close(fds[0]);
	for (line = d.data; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		json_t *j;
		const char *v;
		int id;

		*nl = '\0';
		j = json_loads(line, 0, NULL);
		assert_non_null(j);
		id = atoi(json_string_value(json_object_get(j, "id")));
		assert_true(id >= 0 && id < 4);
		v = json_string_value(json_object_get(j, "payload"));
		assert_int_equal(strlen(v), args[id].len);
		assert_int_equal(strspn(v, (char[]){(char)('a' + id), '\0'}), args[id].len);
		per[id]++;
		json_decref(j);
	}
	assert_string_equal(line, "");
	for (int i = 0; i < 4; i++)
		assert_int_equal(per[i], 200);
	free(d.data);
}

/* ---------------------------------------------------------------- str */

static void test_parse_int64(void **state)
{
	static const struct {
		const char *in;
		long long want;
	} ok[] = {
	    {"0", 0},
	    {"-0", 0},
	    {"+7", 7},
	    {"42", 42},
	    {"-42", -42},
	    {"9223372036854775807", INT64_MAX},
	    {"-9223372036854775808", INT64_MIN},
	    {"007", 7},
	};
	static const char *bad[] = {"",
				    "-",
				    "+",
				    " 1",
				    "1 ",
				    "1a",
				    "0x10",
				    "1.0",
				    "9223372036854775808",
				    "-9223372036854775809",
				    "99999999999999999999",
				    "--1"};
	struct error err;
	long long v;
	(void)state;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse_int64(ok[i].in, &v, &err), 0);
		assert_true(v == ok[i].want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 5;
		if (parse_int64(bad[i], &v, &err) != -1)
			fail_msg("parse_int64(%s) accepted", bad[i]);
		assert_int_equal(err.kind, ERR_INVALID);
		assert_true(v == 5);
	}
	parse_int64("1a", &v, &err);
	assert_string_equal(err.msg, "invalid integer \"1a\"");
	parse_int64("9223372036854775808", &v, &err);
	assert_string_equal(err.msg, "integer \"9223372036854775808\" out of range");
}

static void test_str_helpers(void **state)
{
	char s1[] = "  Hello World \t\n";
	char s2[] = "\t\n ";
	char s3[] = "MiXeD-123";
	char *h, *a;
	struct strv sv = {0};
	char tmp[] = "temp";
	(void)state;

	assert_true(str_has_prefix("foobar", "foo"));
	assert_true(str_has_prefix("foo", ""));
	assert_false(str_has_prefix("fo", "foo"));
	assert_true(str_has_suffix("foobar", "bar"));
	assert_true(str_has_suffix("bar", ""));
	assert_false(str_has_suffix("ar", "bar"));
	assert_true(str_eq_nocase("Content-Type", "content-TYPE"));
	assert_false(str_eq_nocase("abc", "abcd"));
	assert_false(str_eq_nocase("abd", "abc"));
	assert_string_equal(str_trim(s1), "Hello World");
	assert_string_equal(str_trim(s2), "");
	assert_string_equal(str_lower(s3), "mixed-123");
	h = hex_encode((const unsigned char *)"\x00\x01\xab\xff", 4);
	assert_string_equal(h, "0001abff");
	free(h);
	h = hex_encode(NULL, 0);
	assert_string_equal(h, "");
	free(h);
	a = xasprintf("%s-%d-%05.1f", "x", 12, 3.25);
	assert_string_equal(a, "x-12-003.2");
	free(a);
	a = xasprintf("%s", "");
	assert_string_equal(a, "");
	free(a);

	strv_push(&sv, "one");
	strv_push(&sv, tmp);
	tmp[0] = 'X'; /* strv_push copied it */
	for (int i = 0; i < 20; i++)
		strv_push(&sv, "many");
	assert_int_equal(sv.n, 22);
	assert_string_equal(sv.v[1], "temp");
	assert_true(strv_contains(&sv, "one"));
	assert_true(strv_contains(&sv, "temp"));
	assert_false(strv_contains(&sv, "Xemp"));
	assert_null(sv.v[sv.n]);
	strv_free(&sv);
	assert_int_equal(sv.n, 0);
	assert_null(sv.v);
	assert_false(strv_contains(&sv, "one"));
	strv_free(&sv);
	strv_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_wrap),
	    cmocka_unit_test(test_buf_basic),
	    cmocka_unit_test(test_buf_max),
	    cmocka_unit_test(test_b64_vectors),
	    cmocka_unit_test(test_b64_alphabets),
	    cmocka_unit_test(test_b64_invalid),
	    cmocka_unit_test(test_b64_skip_space),
	    cmocka_unit_test(test_duration_parse),
	    cmocka_unit_test(test_duration_format),
	    cmocka_unit_test(test_duration_round),
	    cmocka_unit_test(test_time_rfc3339),
	    cmocka_unit_test(test_time_now),
	    cmocka_unit_test(test_time_or_duration),
	    cmocka_unit_test(test_file_read),
	    cmocka_unit_test(test_file_write_atomic),
	    cmocka_unit_test(test_file_write_pair),
	    cmocka_unit_test(test_file_mkdir_p),
	    cmocka_unit_test(test_paths),
	    cmocka_unit_test(test_password_read_file),
	    cmocka_unit_test(test_password_generate),
	    cmocka_unit_test(test_password_no_tty),
	    cmocka_unit_test(test_secure_wipe),
	    cmocka_unit_test(test_log_json),
	    cmocka_unit_test(test_log_text),
	    cmocka_unit_test(test_log_bounded),
	    cmocka_unit_test(test_log_boundaries),
	    cmocka_unit_test(test_log_threads),
	    cmocka_unit_test(test_log_threads_pipe),
	    cmocka_unit_test(test_log_hold),
	    cmocka_unit_test(test_parse_int64),
	    cmocka_unit_test(test_str_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
