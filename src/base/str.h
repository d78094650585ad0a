/* str.h - small string helpers missing from C11. */
#ifndef STRIDE_BASE_STR_H
#define STRIDE_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

/* strdup that aborts on out-of-memory (allocation failure of small strings is fatal). */
char *xstrdup(const char *s);
/* malloc/calloc/realloc that abort on out-of-memory with a message. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* malloc'd printf. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* True when s starts with prefix / ends with suffix. */
bool str_has_prefix(const char *s, const char *prefix);
bool str_has_suffix(const char *s, const char *suffix);
/* Case-insensitive ASCII equality. */
bool str_eq_nocase(const char *a, const char *b);
/* Trims trailing ASCII whitespace in place; returns s. */
char *str_rtrim(char *s);
/* Trims leading and trailing ASCII whitespace in place; returns the new start inside s. */
char *str_trim(char *s);
/* Lower-cases ASCII in place; returns s. */
char *str_lower(char *s);
/* s with every (non-empty) pat replaced by with; malloc'd. */
char *str_replace_all(const char *s, const char *pat, const char *with);
/* Lower-case hex of n bytes into a malloc'd string. */
char *hex_encode(const unsigned char *data, size_t n);
/* Parses a base-10 int64 strictly (whole string, no overflow). */
int parse_int64(const char *s, long long *out, struct error *err);

/* A growable array of owned strings (for repeatable flags, SAN lists). */
struct strv {
	char **v;
	size_t n;
	size_t cap;
};
void strv_push(struct strv *sv, const char *s); /* copies s */
bool strv_contains(const struct strv *sv, const char *s);
void strv_free(struct strv *sv);

#endif
