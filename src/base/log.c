/* log.c - one JSON (or logfmt-like text) line per message on stderr. */
#include "base/log.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "base/duration.h"
#include "base/json_escape.h"

#define LOG_LINE_MAX 8192
/* Room kept at the end of a line for closing a truncated value: `..."}` + newline. */
#define LOG_RESERVE 8

/* The configuration, read by every line without a lock: the minimum level times two, plus 1
 * for JSON. One word, so that a line never mixes two configurations. */
static atomic_int log_config = LOG_INFO * 2 + 1;
/* Lines of at most PIPE_BUF bytes go out in one write(2), which the kernel does not interleave
 * with another (pipes: POSIX atomic writes; regular files: Linux serialises the writes to one
 * file description; terminals and stream sockets: one write at a time). They take this lock
 * shared, so request threads do not wait on each other's write. A longer line may be split by
 * a pipe: it takes the lock exclusive, so no other line lands inside it. */
static pthread_rwlock_t log_lock = PTHREAD_RWLOCK_INITIALIZER;

void log_configure(enum log_level min, int json)
{
	atomic_store(&log_config, (int)min * 2 + (json ? 1 : 0));
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

static bool put(struct line *l, const char *s, size_t n)
{
	if (l->o + n > LOG_LINE_MAX - LOG_RESERVE)
		return false;
	memcpy(l->b + l->o, s, n);
	l->o += n;
	return true;
}

/* json_escape's sink: appends a piece while it fits. A piece that does not fit ends the value
 * with "...": an escape sequence is left out whole, a run of copied text is cut before the
 * first UTF-8 sequence that does not fit whole. */
static int put_escaped(void *ctx, const char *s, size_t n)
{
	struct line *l = ctx;
	size_t room = l->o < LOG_LINE_MAX - LOG_RESERVE ? LOG_LINE_MAX - LOG_RESERVE - l->o : 0;
	size_t cut;

	if (n <= room) {
		memcpy(l->b + l->o, s, n);
		l->o += n;
		return 0;
	}
	cut = 0;
	if (s[0] != '\\') {
		cut = room;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
	}
	memcpy(l->b + l->o, s, cut);
	l->o += cut;
	l->full = true;
	memcpy(l->b + l->o, "...", 3);
	l->o += 3;
	return -1;
}

/* Appends s as a quoted, JSON-escaped string (invalid UTF-8 as U+FFFD); a value that does not
 * fit ends with "...". */
static void put_quoted(struct line *l, const char *str)
{
	l->b[l->o++] = '"'; /* LOG_RESERVE guarantees room */
	json_escape(str, strlen(str), JSON_ESCAPE_UTF8, put_escaped, l);
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

/* Lines held by log_hold on this thread, written together by log_release. */
static _Thread_local struct {
	char b[PIPE_BUF];
	size_t n;
	bool on;
} held;

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

static void write_line(const char *p, size_t n)
{
	if (n <= PIPE_BUF)
		pthread_rwlock_rdlock(&log_lock);
	else
		pthread_rwlock_wrlock(&log_lock);
	write_all(p, n);
	pthread_rwlock_unlock(&log_lock);
}

static void flush_held(void)
{
	if (held.n > 0)
		write_line(held.b, held.n);
	held.n = 0;
}

void log_msg(enum log_level level, const char *msg, ...)
{
	struct line l;
	char ts[40];
	const char *key;
	va_list ap;
	int config = atomic_load_explicit(&log_config, memory_order_relaxed);
	int json = config & 1;
	int saved_errno = errno;

	if ((int)level < config / 2)
		return;

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

	if (held.on && held.n + l.o > sizeof(held.b))
		flush_held();
	if (held.on && l.o <= sizeof(held.b)) {
		memcpy(held.b + held.n, l.b, l.o);
		held.n += l.o;
	} else {
		write_line(l.b, l.o);
	}
	errno = saved_errno;
}

void log_hold(void)
{
	held.on = true;
}

void log_release(void)
{
	int saved_errno = errno;

	flush_held();
	held.on = false;
	errno = saved_errno;
}
