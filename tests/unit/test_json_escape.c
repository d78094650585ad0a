/* test_json_escape.c - the shared JSON string escaper (base/json_escape.h): exact escapes for
 * each flag, and byte-for-byte equality with the three escapers it replaced (the ca.json
 * writer's, the log's and the SignResponse's), whose former code is kept here as reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/json_escape.h"
#include "base/log.h"
#include "base/str.h"
#include "config/json_write.h"

/* ---------------------------------------------------------------- helpers */

/* s (n bytes) escaped with flags into a malloc'd C string, with the quotes. */
static char *esc(const char *s, size_t n, unsigned flags)
{
	struct buf b;
	struct error err = {0};
	char *out;

	buf_init(&b, 1u << 24);
	assert_int_equal(json_escape_buf(&b, s, n, flags, &err), 0);
	out = buf_steal(&b);
	buf_free(&b);
	return out;
}

static void expect(const char *s, size_t n, unsigned flags, const char *want)
{
	char *got = esc(s, n, flags);

	assert_string_equal(got, want);
	free(got);
}

#define EXPECT(lit, flags, want) expect(lit, sizeof(lit) - 1, flags, want)

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

/* n random bytes biased towards what escapers treat specially. */
static void random_text(char *s, size_t n)
{
	static const char *const pieces[] = {
	    "\"",
	    "\\",
	    "<",
	    ">",
	    "&",
	    "\n",
	    "\r",
	    "\t",
	    "\b",
	    "\f",
	    "\x01",
	    "\x1f",
	    "\x7f",
	    "\xe2\x80\xa8",
	    "\xe2\x80\xa9",
	    "\xe2\x80\xaa",
	    "\xe2\x80",
	    "\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x94\x92",
	    "\xff",
	    "\xc0\xaf",
	    "\xed\xa0\x80",
	    "\x80",
	    "\xf4\x90\x80\x80",
	    "a",
	    "Z",
	    " ",
	    "-----",
	    "\xe2",
	};
	size_t o = 0;

	while (o < n) {
		const char *p = pieces[rnd() % (sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);

		if (rnd() % 3 == 0) {
			s[o++] = (char)(rnd() % 256);
			continue;
		}
		if (k > n - o)
			k = n - o;
		memcpy(s + o, p, k);
		o += k;
	}
}

/* ---------------------------------------------------------------- exact escapes */

static void test_escape_basic(void **state)
{
	(void)state;
	EXPECT("", 0, "\"\"");
	EXPECT("plain text", 0, "\"plain text\"");
	EXPECT("a\"b\\c", 0, "\"a\\\"b\\\\c\"");
	EXPECT("\b\f\n\r\t", 0, "\"\\b\\f\\n\\r\\t\"");
	EXPECT("\x01\x1f\x0b", 0, "\"\\u0001\\u001f\\u000b\"");
	EXPECT("nul\0byte", 0, "\"nul\\u0000byte\"");
	EXPECT("\x7f", 0, "\"\x7f\"");
	/* without flags: <>& and U+2028/2029 and any byte >= 0x80 are copied */
	EXPECT("<a>&\xe2\x80\xa8\xe2\x80\xa9", 0, "\"<a>&\xe2\x80\xa8\xe2\x80\xa9\"");
	EXPECT("a\xff\xc0\xaf", 0, "\"a\xff\xc0\xaf\"");
	EXPECT("-----BEGIN CERTIFICATE-----\nMIIB+/=\n-----END CERTIFICATE-----\n", 0,
	       "\"-----BEGIN CERTIFICATE-----\\nMIIB+/=\\n-----END CERTIFICATE-----\\n\"");
}

static void test_escape_html(void **state)
{
	(void)state;
	EXPECT("<a href=\"x\">&</a>", JSON_ESCAPE_HTML,
	       "\"\\u003ca href=\\\"x\\\"\\u003e\\u0026\\u003c/a\\u003e\"");
	EXPECT("x\xe2\x80\xa8y\xe2\x80\xa9z", JSON_ESCAPE_HTML, "\"x\\u2028y\\u2029z\"");
	/* U+202A and a cut sequence at the end stay as they are */
	EXPECT("\xe2\x80\xaa\xe2\x80", JSON_ESCAPE_HTML, "\"\xe2\x80\xaa\xe2\x80\"");
	EXPECT("caf\xc3\xa9 \xe2\x82\xac", JSON_ESCAPE_HTML, "\"caf\xc3\xa9 \xe2\x82\xac\"");
	/* invalid UTF-8 is copied without JSON_ESCAPE_UTF8 */
	EXPECT("\xff<", JSON_ESCAPE_HTML, "\"\xff\\u003c\"");
}

static void test_escape_utf8(void **state)
{
	(void)state;
	EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", JSON_ESCAPE_UTF8,
	       "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\"");
	/* one \ufffd per byte that starts no valid sequence: stray, overlong, surrogate, too
	 * large, cut short */
	EXPECT("a\xff"
	       "b\xc3(\xed\xa0\x80z\xc0\xaf",
	       JSON_ESCAPE_UTF8, "\"a\\ufffdb\\ufffd(\\ufffd\\ufffd\\ufffdz\\ufffd\\ufffd\"");
	EXPECT("\xf4\x90\x80\x80\xe2\x82", JSON_ESCAPE_UTF8,
	       "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	EXPECT("<&>\xe2\x80\xa8", JSON_ESCAPE_UTF8, "\"<&>\xe2\x80\xa8\"");
	EXPECT("<\xe2\x80\xa8\xff", JSON_ESCAPE_UTF8 | JSON_ESCAPE_HTML,
	       "\"\\u003c\\u2028\\ufffd\"");
}

struct pieces {
	char text[256];
	size_t n;
	int calls;
	int stop_after;
};

static int collect(void *ctx, const char *s, size_t n)
{
	struct pieces *p = ctx;

	assert_true(n > 0);
	assert_true(p->n + n + 1 < sizeof(p->text));
	if (s[0] != '\\') /* a run never holds a backslash */
		assert_null(memchr(s, '\\', n));
	memcpy(p->text + p->n, s, n);
	p->n += n;
	p->text[p->n] = '\0';
	return ++p->calls == p->stop_after ? 7 : 0;
}

/* The sink gets runs and whole escapes, and json_escape stops at its first nonzero answer. */
static void test_escape_sink(void **state)
{
	struct pieces p = {.stop_after = 0};
	const char *s = "ab\"cd\ne\xc3\xa9";
	(void)state;

	assert_int_equal(json_escape(s, strlen(s), 0, collect, &p), 0);
	assert_string_equal(p.text, "ab\\\"cd\\ne\xc3\xa9");
	assert_int_equal(p.calls, 5); /* "ab" \" "cd" \n "e\xc3\xa9" */
	p = (struct pieces){.stop_after = 2};
	assert_int_equal(json_escape(s, strlen(s), 0, collect, &p), 7);
	assert_string_equal(p.text, "ab\\\"");
	p = (struct pieces){.stop_after = 0};
	assert_int_equal(json_escape("", 0, 0, collect, &p), 0);
	assert_int_equal(p.calls, 0);
}

static void test_escape_buf_limit(void **state)
{
	struct buf b;
	struct error err = {0};
	(void)state;

	buf_init(&b, 8);
	assert_int_equal(json_escape_buf(&b, "\x01\x02", 2, 0, &err), -1);
	assert_int_equal(err.kind, ERR_TOO_LARGE);
	buf_free(&b);
}

/* ---------------------------------------------------------------- the former escapers */

/* ca_config.c's w_string before the shared escaper (Go's encoding/json, HTML-safe). */
static int old_w_string(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = 0;

	if (buf_append_str(b, "\"", NULL) != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char e[8];
		size_t skip = 1;

		if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' &&
		    !(c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		      ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9)))
			continue;
		switch (c) {
		case '"':
		case '\\':
			snprintf(e, sizeof(e), "\\%c", c);
			break;
		case '\n':
			snprintf(e, sizeof(e), "\\n");
			break;
		case '\r':
			snprintf(e, sizeof(e), "\\r");
			break;
		case '\t':
			snprintf(e, sizeof(e), "\\t");
			break;
		case '\b':
			snprintf(e, sizeof(e), "\\b");
			break;
		case '\f':
			snprintf(e, sizeof(e), "\\f");
			break;
		case 0xe2:
			snprintf(e, sizeof(e), "\\u202%c",
				 (unsigned char)s[i + 2] == 0xa8 ? '8' : '9');
			skip = 3;
			break;
		default:
			snprintf(e, sizeof(e), "\\u00%c%c", hex[c >> 4], hex[c & 0xf]);
			break;
		}
		if (buf_append(b, s + start, i - start, NULL) != 0 ||
		    buf_append_str(b, e, NULL) != 0)
			return -1;
		i += skip - 1;
		start = i + 1;
	}
	if (buf_append(b, s + start, n - start, NULL) != 0)
		return -1;
	return buf_append_str(b, "\"", NULL);
}

/* handlers.c's put_json_string before the shared escaper, into a buf instead of an evbuffer. */
static void old_put_json_string(struct buf *b, const char *s)
{
	buf_append(b, "\"", 1, NULL);
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c != '\0' && c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_append(b, run, (size_t)(s - run), NULL);
		if (c == '\0')
			break;
		if (c == '\n')
			buf_append(b, "\\n", 2, NULL);
		else
			buf_printf(b, NULL, "\\u%04x", c);
		run = s + 1;
	}
	buf_append(b, "\"", 1, NULL);
}

/* The ca.json writer's strings are what they were, whatever the bytes. */
static void test_same_as_ca_json_writer(void **state)
{
	char s[64];
	(void)state;

	for (int round = 0; round < 20000; round++) {
		size_t n = rnd() % sizeof(s);
		struct buf old;
		char *got;

		random_text(s, n);
		buf_init(&old, 1u << 20);
		assert_int_equal(old_w_string(&old, s, n), 0);
		got = esc(s, n, JSON_ESCAPE_HTML);
		assert_int_equal(strlen(got), old.len);
		assert_memory_equal(got, old.data, old.len);
		free(got);
		buf_free(&old);
	}
}

/* The SignResponse's strings are PEM texts: byte-identical for every text without '"', '\\'
 * and the control bytes with short escapes (\u0022 and the like before, \" now). */
static void test_same_as_sign_response(void **state)
{
	char s[128];
	(void)state;

	for (int round = 0; round < 20000; round++) {
		size_t n = rnd() % (sizeof(s) - 1);
		struct buf old;
		char *got;

		random_text(s, n);
		for (size_t i = 0; i < n; i++)
			if (s[i] == '\0' || strchr("\"\\\r\t\b\f", s[i]) != NULL)
				s[i] = 'x';
		s[n] = '\0';
		buf_init(&old, 1u << 20);
		old_put_json_string(&old, s);
		got = esc(s, n, 0);
		assert_int_equal(strlen(got), old.len);
		assert_memory_equal(got, old.data, old.len);
		free(got);
		buf_free(&old);
	}
}

/* ---------------------------------------------------------------- the log */

#define OLD_LINE_MAX 8192
#define OLD_RESERVE  8

/* log.c's line building before the shared escaper (JSON mode). */
struct old_line {
	char b[OLD_LINE_MAX];
	size_t o;
	bool full;
};

static size_t old_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool old_put(struct old_line *l, const char *s, size_t n)
{
	if (l->o + n > OLD_LINE_MAX - OLD_RESERVE)
		return false;
	memcpy(l->b + l->o, s, n);
	l->o += n;
	return true;
}

static void old_put_quoted(struct old_line *l, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	l->b[l->o++] = '"';
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char e[8];
		const char *out = e;
		size_t len;

		if (c == '"' || c == '\\') {
			e[0] = '\\';
			e[1] = (char)c;
			len = 2;
			i++;
		} else if (c < 0x20) {
			e[0] = '\\';
			len = 2;
			switch (c) {
			case '\n':
				e[1] = 'n';
				break;
			case '\r':
				e[1] = 'r';
				break;
			case '\t':
				e[1] = 't';
				break;
			case '\b':
				e[1] = 'b';
				break;
			case '\f':
				e[1] = 'f';
				break;
			default:
				memcpy(e + 1, "u00", 3);
				e[4] = hex[c >> 4];
				e[5] = hex[c & 15];
				len = 6;
			}
			i++;
		} else if ((len = old_utf8_len(s + i, n - i)) > 0) {
			out = (const char *)s + i;
			i += len;
		} else {
			out = "\\ufffd";
			len = 6;
			i++;
		}
		if (!old_put(l, out, len)) {
			l->full = true;
			memcpy(l->b + l->o, "...", 3);
			l->o += 3;
			break;
		}
	}
	l->b[l->o++] = '"';
}

static bool old_put_pair(struct old_line *l, const char *key, const char *value)
{
	size_t mark = l->o;

	if (l->full)
		return false;
	if (!old_put(l, ",", 1))
		goto full;
	old_put_quoted(l, key);
	if (l->full || !old_put(l, ":", 1))
		goto full;
	if (l->o + 2 > OLD_LINE_MAX - OLD_RESERVE)
		goto full;
	old_put_quoted(l, value);
	return !l->full;
full:
	l->o = mark;
	l->full = true;
	return false;
}

static char log_args[3][12000];

static void log_one(void)
{
	log_configure(LOG_INFO, 1);
	log_msg(LOG_INFO, log_args[0], log_args[1], log_args[2], "after", "x", NULL);
}

/* Runs log_one with stderr in a temporary file; returns what it wrote (malloc'd). */
__attribute__((noinline)) static char *capture_log(void)
{
	char path[] = "/tmp/stride-test-escape.XXXXXX";
	int fd = mkstemp(path), saved, rc;
	uint8_t *data = NULL;
	size_t n;

	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	log_one();
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	close(fd);
	rc = file_read(path, 1u << 20, &data, &n, NULL);
	unlink(path);
	assert_int_equal(rc, 0);
	return (char *)data;
}

/* Random text of length n (no NUL) into s. */
static void random_cstr(char *s, size_t n)
{
	random_text(s, n);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = '\x01';
	s[n] = '\0';
}

/* Log lines are what they were, cut values included, at every length around the limit. */
static void test_same_as_log(void **state)
{
	static const size_t lens[] = {0, 1, 5, 100, 2000, 7000, 8100, 8130, 8140, 8150, 11000};
	(void)state;

	for (int round = 0; round < 400; round++) {
		struct old_line *l = xcalloc(1, sizeof(*l));
		char *got, *msg_at;
		size_t prefix;

		random_cstr(log_args[0], lens[rnd() % 11] + rnd() % 40);
		random_cstr(log_args[1], rnd() % 2 == 0 ? rnd() % 12 : lens[rnd() % 11]);
		random_cstr(log_args[2], lens[rnd() % 11] + rnd() % 40);
		got = capture_log();
		msg_at = strstr(got, "\"msg\":");
		assert_non_null(msg_at);
		prefix = (size_t)(msg_at - got) + 6;
		old_put(l, got, prefix);
		old_put_quoted(l, log_args[0]);
		if (old_put_pair(l, log_args[1], log_args[2]))
			old_put_pair(l, "after", "x");
		l->b[l->o++] = '}';
		l->b[l->o++] = '\n';
		assert_int_equal(strlen(got), l->o);
		assert_memory_equal(got, l->b, l->o);
		free(got);
		free(l);
	}
}

/* ---------------------------------------------------------------- the ca.json writer */

static void test_writer_escapes_like_go(void **state)
{
	json_t *doc = json_pack("{s:s, s:[], s:{}, s:[i, f, b, n]}", "k<&>", "a\"\\\n\xe2\x80\xa8",
				"empty", "obj", "list", 1, 2.0, 1);
	char *out = NULL;
	size_t len = 0;
	struct error err = {0};
	(void)state;

	assert_non_null(doc);
	assert_int_equal(config_json_format(doc, 1, &out, &len, &err), 0);
	assert_string_equal(out, "{\n"
				 "\t\"k\\u003c\\u0026\\u003e\": \"a\\\"\\\\\\n\\u2028\",\n"
				 "\t\"empty\": [],\n"
				 "\t\"obj\": {},\n"
				 "\t\"list\": [\n"
				 "\t\t1,\n"
				 "\t\t2.0,\n"
				 "\t\ttrue,\n"
				 "\t\tnull\n"
				 "\t]\n"
				 "}\n");
	assert_int_equal(len, strlen(out));
	free(out);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_basic),
	    cmocka_unit_test(test_escape_html),
	    cmocka_unit_test(test_escape_utf8),
	    cmocka_unit_test(test_escape_sink),
	    cmocka_unit_test(test_escape_buf_limit),
	    cmocka_unit_test(test_same_as_ca_json_writer),
	    cmocka_unit_test(test_same_as_sign_response),
	    cmocka_unit_test(test_same_as_log),
	    cmocka_unit_test(test_writer_escapes_like_go),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
