/* log.c - one JSON (or logfmt-like text) line per message on stderr. */
#include "base/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"

#define LOG_LINE_MAX 8192
/* Room kept at the end of a line for closing a truncated value: `..."}` + newline. */
#define LOG_RESERVE 8

static enum log_level min_level = LOG_INFO;
static int use_json = 1;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_configure(enum log_level min, int json)
{
	pthread_mutex_lock(&log_lock);
	min_level = min;
	use_json = json;
	pthread_mutex_unlock(&log_lock);
}

static const char *level_name(enum log_level level)
{
	switch (level) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
		return "info";
	case LOG_WARN:
		return "warning";
	case LOG_ERROR:
		return "error";
	}
	return "info";
}

struct line {
	char b[LOG_LINE_MAX];
	size_t o;
	bool full; /* a value was truncated: nothing more is added */
};

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
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

static bool put(struct line *l, const char *s, size_t n)
{
	if (l->o + n > LOG_LINE_MAX - LOG_RESERVE)
		return false;
	memcpy(l->b + l->o, s, n);
	l->o += n;
	return true;
}

/* Appends s as a quoted, JSON-escaped string; a value that does not fit ends with "...". */
static void put_quoted(struct line *l, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);

	l->b[l->o++] = '"'; /* LOG_RESERVE guarantees room */
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		char esc[8];
		const char *out = esc;
		size_t len;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			len = 2;
			i++;
		} else if (c < 0x20) {
			esc[0] = '\\';
			len = 2;
			switch (c) {
			case '\n':
				esc[1] = 'n';
				break;
			case '\r':
				esc[1] = 'r';
				break;
			case '\t':
				esc[1] = 't';
				break;
			case '\b':
				esc[1] = 'b';
				break;
			case '\f':
				esc[1] = 'f';
				break;
			default:
				memcpy(esc + 1, "u00", 3);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				len = 6;
			}
			i++;
		} else if ((len = utf8_len(s + i, n - i)) > 0) {
			out = (const char *)s + i;
			i += len;
		} else {
			out = "\\ufffd";
			len = 6;
			i++;
		}
		if (!put(l, out, len)) {
			l->full = true;
			memcpy(l->b + l->o, "...", 3);
			l->o += 3;
			break;
		}
	}
	l->b[l->o++] = '"';
}

/* Appends one key/value pair (the separator first); false once the line is full. */
static bool put_pair(struct line *l, bool json, const char *key, const char *value)
{
	size_t mark = l->o;

	if (l->full)
		return false;
	/* The key must fit whole with room for at least the quotes of the value. */
	if (json) {
		if (!put(l, ",", 1))
			goto full;
		put_quoted(l, key);
		if (l->full || !put(l, ":", 1))
			goto full;
	} else {
		if (!put(l, " ", 1))
			goto full;
		if (!put(l, key, strlen(key)) || !put(l, "=", 1))
			goto full;
	}
	if (l->o + 2 > LOG_LINE_MAX - LOG_RESERVE)
		goto full;
	put_quoted(l, value);
	return !l->full;
full:
	l->o = mark;
	l->full = true;
	return false;
}

/* Keys in text mode are written bare: keep only characters that need no quoting. */
static void sanitize_key(const char *key, char *out, size_t n)
{
	size_t o = 0;

	for (; *key != '\0' && o + 1 < n; key++) {
		unsigned char c = (unsigned char)*key;
		out[o++] = (c > ' ' && c < 0x7f && c != '=' && c != '"') ? (char)c : '_';
	}
	out[o] = '\0';
}

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(2, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

void log_msg(enum log_level level, const char *msg, ...)
{
	struct line l;
	char ts[40];
	const char *key;
	va_list ap;
	int json;
	int saved_errno = errno;

	pthread_mutex_lock(&log_lock);
	json = use_json;
	if (level < min_level) {
		pthread_mutex_unlock(&log_lock);
		return;
	}
	pthread_mutex_unlock(&log_lock);

	l.o = 0;
	l.full = false;
	time_format_rfc3339_ms(time_now_ns(), ts, sizeof(ts));
	if (json) {
		put(&l, "{\"time\":\"", 9);
		put(&l, ts, strlen(ts));
		put(&l, "\",\"level\":\"", 11);
		put(&l, level_name(level), strlen(level_name(level)));
		put(&l, "\",\"msg\":", 8);
	} else {
		put(&l, "time=", 5);
		put(&l, ts, strlen(ts));
		put(&l, " level=", 7);
		put(&l, level_name(level), strlen(level_name(level)));
		put(&l, " msg=", 5);
	}
	put_quoted(&l, msg != NULL ? msg : "");
	va_start(ap, msg);
	while ((key = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		char k[128];
		if (value == NULL)
			break;
		if (!json) {
			sanitize_key(key, k, sizeof(k));
			key = k;
		}
		if (!put_pair(&l, json, key, value))
			break;
	}
	va_end(ap);
	if (json)
		l.b[l.o++] = '}';
	l.b[l.o++] = '\n';

	pthread_mutex_lock(&log_lock);
	write_all(l.b, l.o);
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}
