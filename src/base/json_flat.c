/* json_flat.c - a fast reader for the common shape of request bodies and token parts.
 *
 * jansson's lexer reads a string one byte at a time through its stream and UTF-8 checks,
 * appending each byte to a growing buffer: for the body of /sign (a PEM CSR and a token, about
 * 2 KiB) that cost more than everything else the request decodes, and for a token's header and
 * claims as much again. Both are almost always one flat object whose values are strings of
 * printable ASCII, integers, or arrays of such strings; this reader takes exactly that shape,
 * finds each string's end with memchr, and builds the same jansson object json_loadb would.
 * Anything else (a real number, null, a boolean, a nested object, an array of anything but
 * strings, a \u escape, a byte outside printable ASCII inside a string, a syntax error, and
 * under JSON_REJECT_DUPLICATES a repeated key) is refused with NULL and left to json_loadb,
 * so that outside the shape nothing changes, error messages included.
 * tests/fuzz/fuzz_json_flat checks that on every input it accepts, the two readers give equal
 * values, under each set of flags stride uses.
 */
#include "base/json_flat.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static bool printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* The byte a one-character escape stands for, or -1 (\u and anything unknown). */
static int unescape(char c)
{
	switch (c) {
	case '"':
	case '\\':
	case '/':
		return c;
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return -1;
	}
}

/* Reads the string whose opening quote is at *pp: *out is its text, n bytes, either inside the
 * input (*copy NULL) or decoded into *copy (malloc'd). Moves *pp past the closing quote. */
static bool read_string(const char **pp, const char *end, const char **out, size_t *n, char **copy)
{
	const char *p = *pp + 1, *quote = memchr(p, '"', (size_t)(end - p));
	char *buf, *w;

	*copy = NULL;
	if (quote == NULL)
		return false;
	if (memchr(p, '\\', (size_t)(quote - p)) == NULL) { /* the plain case: no escape */
		if (!printable(p, (size_t)(quote - p)))
			return false;
		*out = p;
		*n = (size_t)(quote - p);
		*pp = quote + 1;
		return true;
	}
	buf = malloc((size_t)(end - p) + 1);
	if (buf == NULL)
		return false;
	for (w = buf; p < end && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			goto bad;
		if (*p == '\\') {
			int c = ++p < end ? unescape(*p) : -1;
			if (c < 0)
				goto bad;
			*w++ = (char)c;
		} else {
			*w++ = *p;
		}
	}
	if (p == end)
		goto bad;
	*w = '\0';
	*out = buf;
	*n = (size_t)(w - buf);
	*copy = buf;
	*pp = p + 1;
	return true;
bad:
	free(buf);
	return false;
}

/* A string value at *pp (its opening quote) as a new jansson string, or NULL. */
static json_t *string_value(const char **pp, const char *end)
{
	const char *text;
	size_t n;
	char *copy;
	json_t *v;

	if (!read_string(pp, end, &text, &n, &copy))
		return NULL;
	v = json_stringn_nocheck(text, n);
	free(copy);
	return v;
}

/* An integer as jansson reads one: -?(0|[1-9][0-9]*) not followed by a fraction, exponent or
 * digit; at most 18 digits, so that it fits (jansson refuses larger ones with an error). */
static json_t *integer_value(const char **pp, const char *end)
{
	const char *p = *pp;
	bool neg = p < end && *p == '-';
	int64_t v = 0;
	int digits = 0;

	if (neg)
		p++;
	if (p < end && *p == '0') {
		p++;
		digits = 1;
	} else {
		for (; p < end && *p >= '0' && *p <= '9'; p++) {
			if (++digits > 18)
				return NULL;
			v = v * 10 + (*p - '0');
		}
	}
	if (digits == 0 ||
	    (p < end && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')))
		return NULL;
	*pp = p;
	return json_integer(neg ? -v : v);
}

/* An array of strings (possibly empty) at *pp, its opening bracket. */
static json_t *string_array(const char **pp, const char *end)
{
	const char *p = skip_ws(*pp + 1, end);
	json_t *a = json_array();

	if (a == NULL)
		return NULL;
	if (p < end && *p == ']') {
		*pp = p + 1;
		return a;
	}
	for (;;) {
		json_t *v = p < end && *p == '"' ? string_value(&p, end) : NULL;

		if (v == NULL || json_array_append_new(a, v) != 0)
			break;
		p = skip_ws(p, end);
		if (p < end && *p == ']') {
			*pp = p + 1;
			return a;
		}
		if (p >= end || *p != ',')
			break;
		p = skip_ws(p + 1, end);
	}
	json_decref(a);
	return NULL;
}

static json_t *member_value(const char **pp, const char *end)
{
	if (*pp >= end)
		return NULL;
	if (**pp == '"')
		return string_value(pp, end);
	if (**pp == '[')
		return string_array(pp, end);
	return integer_value(pp, end);
}

/* Reads one "key": value member at p into obj; returns the position after it or NULL. */
static const char *read_member(const char *p, const char *end, json_t *obj, bool no_duplicates)
{
	const char *key;
	size_t key_len;
	char *key_copy = NULL;
	json_t *v = NULL;
	bool ok = false;

	if (p >= end || *p != '"' || !read_string(&p, end, &key, &key_len, &key_copy))
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		goto out;
	p = skip_ws(p + 1, end);
	v = member_value(&p, end);
	if (v == NULL || (no_duplicates && json_object_getn(obj, key, key_len) != NULL))
		goto out;
	ok = json_object_setn_new_nocheck(obj, key, key_len, v) == 0;
	v = NULL; /* the object's, even on failure */
out:
	json_decref(v);
	free(key_copy);
	return ok ? p : NULL;
}

json_t *json_flat_loadb(const char *data, size_t len, size_t flags)
{
	const char *p = data, *end = data + len;
	bool no_duplicates = (flags & JSON_REJECT_DUPLICATES) != 0;
	json_t *obj;

	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return NULL;
	obj = json_object();
	if (obj == NULL)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		goto closed;
	for (;;) {
		p = read_member(p, end, obj, no_duplicates);
		if (p == NULL)
			goto refused;
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			goto closed;
		if (p >= end || *p != ',')
			goto refused;
		p = skip_ws(p + 1, end);
	}
closed:
	/* without JSON_DISABLE_EOF_CHECK only white space may follow, as in jansson */
	if ((flags & JSON_DISABLE_EOF_CHECK) || skip_ws(p + 1, end) == end)
		return obj;
refused:
	json_decref(obj);
	return NULL;
}
