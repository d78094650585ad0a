/* json_flat.c - a fast reader for the common shape of a request body.
 *
 * jansson's lexer reads a string one byte at a time through its stream and UTF-8 checks,
 * appending each byte to a growing buffer: for the body of /sign (a PEM CSR and a token, about
 * 2 KiB) that costs more than everything else the request decodes. The body is almost always
 * a flat object of ASCII strings; this reader takes exactly that shape, finds each string's
 * end with memchr, and builds the same jansson object json_loadb would. Anything else (a
 * number, an array, a nested object, null, a \u escape, a byte outside printable ASCII inside
 * a string, a syntax error) is refused with NULL and left to json_loadb, so that outside the
 * shape nothing changes, error messages included. tests/fuzz/fuzz_json_flat checks that on
 * every input it accepts, the two readers give equal objects.
 */
#include "base/json_flat.h"

#include <stdbool.h>
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

/* Reads one "key": "value" member at p into obj; returns the position after it or NULL. */
static const char *read_member(const char *p, const char *end, json_t *obj)
{
	const char *key, *val;
	size_t key_len, val_len;
	char *key_copy = NULL, *val_copy = NULL;
	json_t *v;
	bool ok = false;

	if (p >= end || *p != '"' || !read_string(&p, end, &key, &key_len, &key_copy))
		return NULL;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		goto out;
	p = skip_ws(p + 1, end);
	if (p >= end || *p != '"' || !read_string(&p, end, &val, &val_len, &val_copy))
		goto out;
	v = json_stringn_nocheck(val, val_len);
	ok = v != NULL && json_object_setn_new_nocheck(obj, key, key_len, v) == 0;
out:
	free(key_copy);
	free(val_copy);
	return ok ? p : NULL;
}

json_t *json_flat_object_loadb(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	json_t *obj;

	p = skip_ws(p, end);
	if (p >= end || *p != '{')
		return NULL;
	obj = json_object();
	if (obj == NULL)
		return NULL;
	p = skip_ws(p + 1, end);
	if (p < end && *p == '}')
		return obj;
	for (;;) {
		p = read_member(p, end, obj);
		if (p == NULL)
			break;
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			return obj;
		if (p >= end || *p != ',')
			break;
		p = skip_ws(p + 1, end);
	}
	json_decref(obj);
	return NULL;
}
