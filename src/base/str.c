/* str.c - small string helpers and allocation wrappers that abort on OOM. */
#include "base/str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n == 0 ? 1 : n);

	if (p == NULL)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (p == NULL)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n == 0 ? 1 : n);

	if (q == NULL)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = xmalloc(n);

	memcpy(p, s, n);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fprintf(stderr, "fatal: xasprintf: invalid format\n");
		abort();
	}
	p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

bool str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return lx <= ls && memcmp(s + ls - lx, suffix, lx) == 0;
}

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static bool ascii_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool str_eq_nocase(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (ascii_lower((unsigned char)*a) != ascii_lower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
	return *a == *b;
}

char *str_rtrim(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && ascii_space((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

char *str_trim(char *s)
{
	while (ascii_space((unsigned char)*s))
		s++;
	return str_rtrim(s);
}

char *str_lower(char *s)
{
	for (char *p = s; *p != '\0'; p++)
		*p = (char)ascii_lower((unsigned char)*p);
	return s;
}

char *hex_encode(const unsigned char *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *out = xmalloc(n * 2 + 1);

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0x0f];
	}
	out[n * 2] = '\0';
	return out;
}

int parse_int64(const char *s, long long *out, struct error *err)
{
	const char *p = s;
	bool neg = false;
	unsigned long long v = 0, limit;

	if (*p == '+' || *p == '-') {
		neg = *p == '-';
		p++;
	}
	if (*p == '\0')
		return err_set(err, ERR_INVALID, "invalid integer \"%s\"", s);
	limit = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return err_set(err, ERR_INVALID, "invalid integer \"%s\"", s);
		unsigned d = (unsigned)(*p - '0');
		if (v > (limit - d) / 10)
			return err_set(err, ERR_INVALID, "integer \"%s\" out of range", s);
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v;
	else
		*out = (long long)v;
	return 0;
}

void strv_push(struct strv *sv, const char *s)
{
	if (sv->n + 1 >= sv->cap) {
		size_t cap = sv->cap == 0 ? 8 : sv->cap * 2;
		sv->v = xrealloc(sv->v, cap * sizeof(*sv->v));
		sv->cap = cap;
	}
	sv->v[sv->n++] = xstrdup(s);
	sv->v[sv->n] = NULL;
}

bool strv_contains(const struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->v[i], s) == 0)
			return true;
	return false;
}

void strv_free(struct strv *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
	sv->cap = 0;
}

char *str_replace_all(const char *s, const char *pat, const char *with)
{
	size_t plen = strlen(pat), wlen = strlen(with), n = 0, o = 0;
	const char *p, *hit;
	char *out;

	if (plen == 0)
		return xstrdup(s);
	for (p = s; (hit = strstr(p, pat)) != NULL; p = hit + plen)
		n++;
	out = xmalloc(strlen(s) + n * wlen + 1);
	for (p = s; (hit = strstr(p, pat)) != NULL; p = hit + plen) {
		memcpy(out + o, p, (size_t)(hit - p));
		o += (size_t)(hit - p);
		memcpy(out + o, with, wlen);
		o += wlen;
	}
	strcpy(out + o, p);
	return out;
}
