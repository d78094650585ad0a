/* linkedca_util.c - member access, bytes, PEM lists, durations and timestamps for the
 * linkedca conversions (linkedca_int.h). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/str.h"
#include "config/linkedca_int.h"

const char *lc_path(char out[LC_PATH_MAX], const char *path, const char *name)
{
	if (path == NULL || path[0] == '\0')
		snprintf(out, LC_PATH_MAX, "%s", name);
	else
		snprintf(out, LC_PATH_MAX, "%s.%s", path, name);
	return out;
}

/* name in snake_case ("publicKey" -> "public_key"); false when it is spelled the same. */
static bool snake(const char *name, char *out, size_t n)
{
	size_t o = 0;
	bool differs = false;

	for (const char *p = name; *p != '\0' && o + 2 < n; p++) {
		if (isupper((unsigned char)*p)) {
			out[o++] = '_';
			out[o++] = (char)tolower((unsigned char)*p);
			differs = true;
		} else {
			out[o++] = *p;
		}
	}
	out[o] = '\0';
	return differs;
}

int lc_get(const json_t *obj, const char *path, const char *name, const json_t **out,
	   struct error *err)
{
	char sn[64], p[LC_PATH_MAX];
	const json_t *a, *b = NULL;

	*out = NULL;
	if (obj == NULL)
		return 0;
	a = json_object_get(obj, name);
	if (snake(name, sn, sizeof(sn)))
		b = json_object_get(obj, sn);
	if (a != NULL && b != NULL)
		return err_set(err, ERR_INVALID, "%s is given twice (%s and %s)",
			       lc_path(p, path, name), name, sn);
	if (a == NULL)
		a = b;
	if (a != NULL && !json_is_null(a))
		*out = a;
	return 0;
}

int lc_object(const json_t *obj, const char *path, const char *name, const json_t **out,
	      struct error *err)
{
	char p[LC_PATH_MAX];

	if (lc_get(obj, path, name, out, err) != 0)
		return -1;
	if (*out != NULL && !json_is_object(*out))
		return err_set(err, ERR_INVALID, "%s must be an object", lc_path(p, path, name));
	return 0;
}

int lc_string(const json_t *obj, const char *path, const char *name, const char **out,
	      struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *v;

	*out = NULL;
	if (lc_get(obj, path, name, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "%s must be a string", lc_path(p, path, name));
	*out = json_string_value(v);
	return 0;
}

int lc_bool(const json_t *obj, const char *path, const char *name, bool *out, bool *present,
	    struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *v;

	*out = false;
	if (present != NULL)
		*present = false;
	if (lc_get(obj, path, name, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return err_set(err, ERR_INVALID, "%s must be a boolean", lc_path(p, path, name));
	*out = json_is_true(v);
	if (present != NULL)
		*present = true;
	return 0;
}

int lc_int32(const json_t *obj, const char *path, const char *name, int64_t *out, struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *v;
	long long n = 0;

	*out = 0;
	if (lc_get(obj, path, name, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (!json_is_string(v) || parse_int64(json_string_value(v), &n, NULL) != 0)
		return err_set(err, ERR_INVALID, "%s must be an integer", lc_path(p, path, name));
	if (n < INT32_MIN || n > INT32_MAX)
		return err_set(err, ERR_INVALID, "%s is out of range", lc_path(p, path, name));
	*out = n;
	return 0;
}

int lc_strings(const json_t *obj, const char *path, const char *name, json_t **out,
	       struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *v, *s;
	size_t i;

	*out = NULL;
	if (lc_get(obj, path, name, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_array(v))
		return err_set(err, ERR_INVALID, "%s must be an array of strings",
			       lc_path(p, path, name));
	json_array_foreach(v, i, s)
	{
		if (!json_is_string(s))
			return err_set(err, ERR_INVALID, "%s must be an array of strings",
				       lc_path(p, path, name));
	}
	if (json_array_size(v) > 0)
		*out = json_deep_copy(v);
	return 0;
}

int lc_b64_decode(const char *s, size_t len, const char *what, uint8_t **out, size_t *n,
		  struct error *err)
{
	struct error e = {0};
	char *padded = NULL;
	int rc;

	*out = NULL;
	*n = 0;
	if (memchr(s, '-', len) != NULL || memchr(s, '_', len) != NULL) {
		rc = b64url_decode(s, len, out, n, &e);
	} else if (len % 4 == 0) {
		rc = b64_decode(s, len, false, out, n, &e);
	} else {
		padded = xmalloc(len + 4);
		memcpy(padded, s, len);
		memset(padded + len, '=', 4 - len % 4);
		rc = b64_decode(padded, len + 4 - len % 4, false, out, n, &e);
		free(padded);
	}
	if (rc != 0)
		return err_set(err, ERR_INVALID, "%s is not valid base64: %s", what, e.msg);
	return 0;
}

int lc_bytes(const json_t *obj, const char *path, const char *name, uint8_t **out, size_t *n,
	     struct error *err)
{
	char p[LC_PATH_MAX];
	const json_t *v;

	*out = NULL;
	*n = 0;
	if (lc_get(obj, path, name, &v, err) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "%s must be a base64 string",
			       lc_path(p, path, name));
	if (lc_b64_decode(json_string_value(v), json_string_length(v), lc_path(p, path, name), out,
			  n, err) != 0)
		return -1;
	if (*n == 0) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

json_t *lc_pem_split_b64(const uint8_t *data, size_t n)
{
	json_t *list = json_array();
	BIO *in;

	if (n == 0 || n > INT_MAX)
		return list;
	in = BIO_new_mem_buf(data, (int)n);
	if (in == NULL)
		return list;
	for (;;) {
		char *name = NULL, *header = NULL;
		unsigned char *der = NULL;
		long len = 0;
		BIO *out;
		BUF_MEM *mem = NULL;

		if (PEM_read_bio(in, &name, &header, &der, &len) != 1)
			break;
		out = BIO_new(BIO_s_mem());
		if (out != NULL && PEM_write_bio(out, name, header, der, len) > 0 &&
		    BIO_get_mem_ptr(out, &mem) == 1 && mem != NULL) {
			char *b = b64_encode(mem->data, mem->length);
			json_array_append_new(list, json_string(b));
			free(b);
		}
		BIO_free(out);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
	}
	ERR_clear_error();
	BIO_free(in);
	return list;
}

int lc_duration_norm(const char *s, const char *prefix, char *out, size_t outlen, struct error *err)
{
	struct error e = {0};
	int64_t d;

	if (duration_parse(s, &d, &e) != 0)
		return err_set(err, ERR_INVALID, "%s: %s", prefix, e.msg);
	duration_format(d, out, outlen);
	return 0;
}

char *lc_timestamp(int64_t t_ns, char *out, size_t n)
{
	int64_t sec = t_ns / NS_PER_SEC, frac = t_ns % NS_PER_SEC;
	char base[64], digits[16];
	size_t len;

	if (frac < 0) {
		frac += NS_PER_SEC;
		sec--;
	}
	time_format_rfc3339(sec * NS_PER_SEC, base, sizeof(base));
	len = strlen(base);
	if (frac == 0 || len == 0 || base[len - 1] != 'Z') {
		snprintf(out, n, "%s", base);
		return out;
	}
	base[len - 1] = '\0';
	if (frac % 1000000 == 0)
		snprintf(digits, sizeof(digits), "%03lld", (long long)(frac / 1000000));
	else if (frac % 1000 == 0)
		snprintf(digits, sizeof(digits), "%06lld", (long long)(frac / 1000));
	else
		snprintf(digits, sizeof(digits), "%09lld", (long long)frac);
	snprintf(out, n, "%s.%sZ", base, digits);
	return out;
}
