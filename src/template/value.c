/* value.c - template values: conversion from and to JSON, Go's truthiness and type names, and
 * printing as Go's fmt (%v) and encoding/json write them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/duration.h"
#include "template/tpl_internal.h"

struct val val_nil(void)
{
	return (struct val){.k = V_NIL};
}

struct val val_bool(bool b)
{
	return (struct val){.k = V_BOOL, .b = b};
}

struct val val_int(int64_t i)
{
	return (struct val){.k = V_INT, .i = i};
}

struct val val_float(double f)
{
	return (struct val){.k = V_FLOAT, .f = f};
}

bool json_hidden_key(const char *k)
{
	return k[0] == '@';
}

struct val val_json_owned(json_t *j)
{
	struct val v = {.k = V_MISSING};

	if (j == NULL)
		return v;
	switch (json_typeof(j)) {
	case JSON_STRING:
		v.k = V_STR;
		v.j = j;
		return v;
	case JSON_ARRAY:
		v.k = V_LIST;
		v.j = j;
		return v;
	case JSON_OBJECT:
		v.k = V_MAP;
		v.j = j;
		return v;
	default:
		break;
	}
	v = val_from_json(j);
	json_decref(j);
	return v;
}

struct val val_from_json(json_t *j)
{
	struct val v = {.k = V_NIL};

	if (j == NULL)
		return (struct val){.k = V_MISSING};
	switch (json_typeof(j)) {
	case JSON_NULL:
		break;
	case JSON_TRUE:
		v = val_bool(true);
		break;
	case JSON_FALSE:
		v = val_bool(false);
		break;
	case JSON_INTEGER:
		v = val_int(json_integer_value(j));
		break;
	case JSON_REAL:
		v = val_float(json_real_value(j));
		break;
	case JSON_STRING:
		v.k = V_STR;
		v.j = json_incref(j);
		break;
	case JSON_ARRAY:
		v.k = V_LIST;
		v.j = json_incref(j);
		break;
	case JSON_OBJECT:
		v.k = V_MAP;
		v.j = json_incref(j);
		/* time and duration values travel in containers as tagged objects */
		json_t *ty = json_object_get(j, "@type");
		if (json_is_string(ty) && strcmp(json_string_value(ty), "time.Time") == 0 &&
		    json_is_integer(json_object_get(j, "@sec"))) {
			v.k = V_TIME;
			v.i = json_integer_value(json_object_get(j, "@sec"));
			v.nsec = (int32_t)json_integer_value(json_object_get(j, "@nsec"));
			v.off = (int32_t)json_integer_value(json_object_get(j, "@off"));
			json_decref(v.j);
			v.j = NULL;
		} else if (json_is_string(ty) &&
			   strcmp(json_string_value(ty), "time.Duration") == 0 &&
			   json_is_integer(json_object_get(j, "@ns"))) {
			v.k = V_DUR;
			v.i = json_integer_value(json_object_get(j, "@ns"));
			json_decref(v.j);
			v.j = NULL;
		}
		break;
	}
	return v;
}

json_t *val_to_json(const struct val *v)
{
	switch (v->k) {
	case V_MISSING:
	case V_NIL:
		return json_null();
	case V_BOOL:
		return json_boolean(v->b);
	case V_INT:
		return json_integer(v->i);
	case V_FLOAT:
		return json_real(v->f);
	case V_STR:
	case V_LIST:
	case V_MAP:
		return json_incref(v->j);
	case V_TIME:
		return json_pack("{s:s,s:I,s:I,s:I}", "@type", "time.Time", "@sec",
				 (json_int_t)v->i, "@nsec", (json_int_t)v->nsec, "@off",
				 (json_int_t)v->off);
	case V_DUR:
		return json_pack("{s:s,s:I}", "@type", "time.Duration", "@ns", (json_int_t)v->i);
	}
	return NULL;
}

int val_str(struct val *out, const char *s, size_t n)
{
	json_t *j = json_stringn_nocheck(s, n);

	*out = (struct val){.k = V_MISSING};
	if (j == NULL)
		return -1;
	out->k = V_STR;
	out->j = j;
	return 0;
}

struct val val_copy(const struct val *v)
{
	struct val c = *v;

	if (c.j)
		json_incref(c.j);
	return c;
}

void val_free(struct val *v)
{
	if (v->j)
		json_decref(v->j);
	v->j = NULL;
	v->k = V_MISSING;
}

const char *val_strp(const struct val *v, size_t *len)
{
	if (v->k != V_STR) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = json_string_length(v->j);
	return json_string_value(v->j);
}

static size_t visible_size(json_t *obj)
{
	const char *k;
	json_t *x;
	size_t n = 0;

	json_object_foreach(obj, k, x) if (!json_hidden_key(k)) n++;
	return n;
}

size_t val_len(const struct val *v)
{
	switch (v->k) {
	case V_STR:
		return json_string_length(v->j);
	case V_LIST:
		return json_array_size(v->j);
	case V_MAP:
		return visible_size(v->j);
	default:
		return 0;
	}
}

bool val_truth(const struct val *v)
{
	switch (v->k) {
	case V_MISSING:
	case V_NIL:
		return false;
	case V_BOOL:
		return v->b;
	case V_INT:
		return v->i != 0;
	case V_FLOAT:
		return v->f != 0;
	case V_STR:
	case V_LIST:
		return val_len(v) > 0;
	case V_MAP:
		/* a Go struct is always true; a map when it has entries */
		return json_object_get(v->j, "@type") != NULL || val_len(v) > 0;
	case V_TIME:
		return true;
	case V_DUR:
		return v->i != 0;
	}
	return false;
}

const char *val_type(const struct val *v)
{
	switch (v->k) {
	case V_MISSING:
	case V_NIL:
		return "<nil>";
	case V_BOOL:
		return "bool";
	case V_INT:
		return "int";
	case V_FLOAT:
		return "float64";
	case V_STR:
		return "string";
	case V_LIST:
		return "[]interface {}";
	case V_MAP: {
		json_t *t = json_object_get(v->j, "@type");
		return json_is_string(t) ? json_string_value(t) : "map[string]interface {}";
	}
	case V_TIME:
		return "time.Time";
	case V_DUR:
		return "time.Duration";
	}
	return "<nil>";
}

const char *val_kind_name(const struct val *v)
{
	switch (v->k) {
	case V_MISSING:
	case V_NIL:
		return "invalid";
	case V_BOOL:
		return "bool";
	case V_INT:
		return "int";
	case V_FLOAT:
		return "float64";
	case V_STR:
		return "string";
	case V_LIST:
		return "slice";
	case V_MAP: {
		const char *t = val_type(v);
		if (strncmp(t, "map[", 4) == 0)
			return "map";
		if (t[0] == '*')
			return "ptr";
		if (t[0] == '[')
			return "slice";
		return "struct";
	}
	case V_TIME:
		return "struct";
	case V_DUR:
		return "int64";
	}
	return "invalid";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **val_keys(json_t *obj, size_t *n)
{
	const char **keys = malloc((json_object_size(obj) + 1) * sizeof(*keys));
	const char *k;
	json_t *x;

	*n = 0;
	if (keys == NULL)
		return NULL;
	json_object_foreach(obj, k, x) if (!json_hidden_key(k)) keys[(*n)++] = k;
	qsort(keys, *n, sizeof(*keys), cmp_str);
	return keys;
}

/* Shortest decimal digits of f (positive, finite) and its decimal exponent: f = 0.d1d2... *
 * 10^(dp). */
static void shortest(double f, char *digits, int *nd, int *dp)
{
	char tmp[40];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, f);
		if (strtod(tmp, NULL) == f || prec == 17)
			break;
	}
	/* tmp: d.ddde[+-]xx */
	int n = 0;
	char *e = strchr(tmp, 'e');
	for (char *p = tmp; p < e; p++)
		if (*p != '.')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*nd = n;
	*dp = atoi(e + 1) + 1;
}

/* Go's strconv.FormatFloat(f, fmt, -1, 64) for 'e', 'f' and 'g' (%v). */
static void format_float(double f, char fmt, char *out, size_t size)
{
	char d[24];
	int nd, dp;
	size_t w = 0;
	char o[400];

	if (isnan(f)) {
		snprintf(out, size, "NaN");
		return;
	}
	if (isinf(f)) {
		snprintf(out, size, f > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (signbit(f))
		o[w++] = '-';
	f = fabs(f);
	if (f == 0) {
		d[0] = '0';
		d[1] = '\0';
		nd = 1;
		dp = 1;
	} else {
		shortest(f, d, &nd, &dp);
	}
	int exp = dp - 1;
	if (fmt == 'g')
		fmt = (exp < -4 || exp >= 6) ? 'e' : 'f'; /* shortest: precision 6 decides */
	if (fmt == 'g' || fmt == 'e') {
		o[w++] = d[0];
		if (nd > 1) {
			o[w++] = '.';
			for (int i = 1; i < nd; i++)
				o[w++] = d[i];
		}
		w += (size_t)snprintf(o + w, sizeof(o) - w, "e%c%02d", exp < 0 ? '-' : '+',
				      exp < 0 ? -exp : exp);
	} else {
		if (dp <= 0) {
			o[w++] = '0';
			o[w++] = '.';
			for (int i = 0; i < -dp; i++)
				o[w++] = '0';
			for (int i = 0; i < nd; i++)
				o[w++] = d[i];
		} else {
			for (int i = 0; i < dp; i++)
				o[w++] = i < nd ? d[i] : '0';
			if (nd > dp) {
				o[w++] = '.';
				for (int i = dp; i < nd; i++)
					o[w++] = d[i];
			}
		}
		o[w] = '\0';
	}
	o[w] = '\0';
	snprintf(out, size, "%s", o);
}

void fmt_float_g(double f, char *out, size_t n)
{
	format_float(f, 'g', out, n);
}

static int print_json(struct buf *b, json_t *j, int depth, struct error *err);

static int print_map(struct buf *b, json_t *obj, int depth, struct error *err)
{
	size_t n;
	const char **keys = val_keys(obj, &n);

	if (keys == NULL)
		return err_set(err, ERR_INTERNAL, "out of memory");
	int r = buf_append_str(b, "map[", err);
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (i)
			r = buf_append(b, " ", 1, err);
		if (r == 0)
			r = buf_append_str(b, keys[i], err);
		if (r == 0)
			r = buf_append(b, ":", 1, err);
		if (r == 0)
			r = print_json(b, json_object_get(obj, keys[i]), depth + 1, err);
	}
	free(keys);
	return r ? r : buf_append(b, "]", 1, err);
}

static int print_json(struct buf *b, json_t *j, int depth, struct error *err)
{
	if (depth > 200)
		return err_set(err, ERR_INVALID, "value too deeply nested");
	if (json_is_array(j)) {
		int r = buf_append(b, "[", 1, err);
		for (size_t i = 0; r == 0 && i < json_array_size(j); i++) {
			if (i)
				r = buf_append(b, " ", 1, err);
			if (r == 0)
				r = print_json(b, json_array_get(j, i), depth + 1, err);
		}
		return r ? r : buf_append(b, "]", 1, err);
	}
	struct val v = val_from_json(j);
	int r;
	if (v.k == V_MAP)
		r = print_map(b, j, depth, err);
	else if (v.k == V_NIL)
		r = buf_append_str(b, "<nil>", err);
	else
		r = val_print(b, &v, err);
	val_free(&v);
	return r;
}

int val_print(struct buf *b, const struct val *v, struct error *err)
{
	char tmp[64];

	switch (v->k) {
	case V_MISSING:
		return buf_append_str(b, "<no value>", err);
	case V_NIL:
		return buf_append_str(b, "<nil>", err);
	case V_BOOL:
		return buf_append_str(b, v->b ? "true" : "false", err);
	case V_INT:
		return buf_printf(b, err, "%lld", (long long)v->i);
	case V_FLOAT:
		fmt_float_g(v->f, tmp, sizeof(tmp));
		return buf_append_str(b, tmp, err);
	case V_STR:
		return buf_append(b, json_string_value(v->j), json_string_length(v->j), err);
	case V_LIST:
		return print_json(b, v->j, 0, err);
	case V_MAP:
		return print_map(b, v->j, 0, err);
	case V_TIME:
		return time_format_go(b, v, "2006-01-02 15:04:05.999999999 -0700 MST", err);
	case V_DUR: {
		return buf_append_str(b, duration_format(v->i, tmp, sizeof(tmp)), err);
	}
	}
	return 0;
}

/* ---- encoding/json ---- */

static int json_str(struct buf *b, const char *s, size_t n, bool html, struct error *err)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	int r = buf_append(b, "\"", 1, err);

	for (size_t i = 0; r == 0 && i < n;) {
		unsigned char c = u[i];
		if (c < 0x80) {
			char e[8];
			if (c == '"' || c == '\\') {
				e[0] = '\\', e[1] = (char)c;
				r = buf_append(b, e, 2, err);
			} else if (c == '\n' || c == '\r' || c == '\t') {
				e[0] = '\\', e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
				r = buf_append(b, e, 2, err);
			} else if (c < 0x20 || (html && (c == '<' || c == '>' || c == '&'))) {
				snprintf(e, sizeof(e), "\\u00%c%c", hex[c >> 4], hex[c & 15]);
				r = buf_append(b, e, 6, err);
			} else {
				r = buf_append(b, &u[i], 1, err);
			}
			i++;
			continue;
		}
		/* validate one UTF-8 sequence; invalid bytes become U+FFFD as Go writes them */
		int len = c >= 0xF0 && c < 0xF5 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
		bool ok = len > 0 && i + (size_t)len <= n;
		unsigned long cp = len == 4 ? c & 7u : len == 3 ? c & 15u : c & 31u;
		for (int k = 1; ok && k < len; k++) {
			if ((u[i + k] & 0xC0) != 0x80)
				ok = false;
			cp = (cp << 6) | (u[i + k] & 0x3Fu);
		}
		if (ok && ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
			   (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))))
			ok = false;
		if (!ok) {
			r = buf_append_str(b, "\\ufffd", err);
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			r = buf_append_str(b, cp == 0x2028 ? "\\u2028" : "\\u2029", err);
			i += (size_t)len;
		} else {
			r = buf_append(b, &u[i], (size_t)len, err);
			i += (size_t)len;
		}
	}
	return r ? r : buf_append(b, "\"", 1, err);
}

static int json_float(struct buf *b, double f, struct error *err)
{
	char o[64];
	double a = fabs(f);

	if (isnan(f) || isinf(f)) {
		format_float(f, 'g', o, sizeof(o));
		return err_set(err, ERR_INVALID, "json: unsupported value: %s", o);
	}
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		format_float(f, 'e', o, sizeof(o));
		/* Go writes e-07, then trims it to e-7 */
		size_t n = strlen(o);
		if (n >= 4 && o[n - 4] == 'e' && o[n - 3] == '-' && o[n - 2] == '0') {
			o[n - 2] = o[n - 1];
			o[n - 1] = '\0';
		}
	} else {
		format_float(f, 'f', o, sizeof(o));
	}
	return buf_append_str(b, o, err);
}

static int indent_nl(struct buf *b, const char *indent, int depth, struct error *err)
{
	int r = buf_append(b, "\n", 1, err);

	for (int i = 0; r == 0 && i < depth; i++)
		r = buf_append_str(b, indent, err);
	return r;
}

int json_to_go_text(struct buf *b, json_t *j, bool html, const char *indent, int depth,
		    struct error *err)
{
	int r = 0;

	if (depth > 200)
		return err_set(err, ERR_INVALID, "json: value too deeply nested");
	switch (json_typeof(j)) {
	case JSON_NULL:
		return buf_append_str(b, "null", err);
	case JSON_TRUE:
		return buf_append_str(b, "true", err);
	case JSON_FALSE:
		return buf_append_str(b, "false", err);
	case JSON_INTEGER:
		return buf_printf(b, err, "%lld", (long long)json_integer_value(j));
	case JSON_REAL:
		return json_float(b, json_real_value(j), err);
	case JSON_STRING:
		return json_str(b, json_string_value(j), json_string_length(j), html, err);
	case JSON_ARRAY:
		if (json_array_size(j) == 0)
			return buf_append_str(b, "[]", err);
		r = buf_append(b, "[", 1, err);
		for (size_t i = 0; r == 0 && i < json_array_size(j); i++) {
			if (i)
				r = buf_append(b, ",", 1, err);
			if (r == 0 && indent)
				r = indent_nl(b, indent, depth + 1, err);
			if (r == 0)
				r = json_to_go_text(b, json_array_get(j, i), html, indent,
						    depth + 1, err);
		}
		if (r == 0 && indent)
			r = indent_nl(b, indent, depth, err);
		return r ? r : buf_append(b, "]", 1, err);
	case JSON_OBJECT: {
		json_t *alt = json_object_get(j, "@json");
		if (alt)
			return json_to_go_text(b, alt, html, indent, depth + 1, err);
		struct val tv = val_from_json(j);
		if (tv.k == V_TIME || tv.k == V_DUR)
			return val_to_json_text(b, &tv, html, indent, err);
		val_free(&tv);
		size_t n;
		const char **keys = val_keys(j, &n);
		if (keys == NULL)
			return err_set(err, ERR_INTERNAL, "out of memory");
		if (n == 0) {
			free(keys);
			return buf_append_str(b, "{}", err);
		}
		r = buf_append(b, "{", 1, err);
		for (size_t i = 0; r == 0 && i < n; i++) {
			if (i)
				r = buf_append(b, ",", 1, err);
			if (r == 0 && indent)
				r = indent_nl(b, indent, depth + 1, err);
			if (r == 0)
				r = json_str(b, keys[i], strlen(keys[i]), html, err);
			if (r == 0)
				r = buf_append_str(b, indent ? ": " : ":", err);
			if (r == 0)
				r = json_to_go_text(b, json_object_get(j, keys[i]), html, indent,
						    depth + 1, err);
		}
		free(keys);
		if (r == 0 && indent)
			r = indent_nl(b, indent, depth, err);
		return r ? r : buf_append(b, "}", 1, err);
	}
	}
	return 0;
}

int val_to_json_text(struct buf *b, const struct val *v, bool html, const char *indent,
		     struct error *err)
{
	switch (v->k) {
	case V_TIME: {
		/* time.Time marshals as RFC 3339 with nanoseconds */
		struct buf t;
		buf_init(&t, 128);
		int r = time_format_go(&t, v, "2006-01-02T15:04:05.999999999Z07:00", err);
		if (r == 0)
			r = json_str(b, (const char *)t.data, t.len, html, err);
		buf_free(&t);
		return r;
	}
	case V_DUR:
		return buf_printf(b, err, "%lld", (long long)v->i);
	default: {
		json_t *j = val_to_json(v);
		if (j == NULL)
			return err_set(err, ERR_INTERNAL, "out of memory");
		int r = json_to_go_text(b, j, html, indent, 0, err);
		json_decref(j);
		return r;
	}
	}
}
