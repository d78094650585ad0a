/* funcs_asn1.c - the ASN.1 helpers step's X.509 templates add for custom extensions: asn1Enc
 * ("[type[,explicit,tag:N]:]value" -> base64 DER; types printable (default), utf8, ia5, numeric,
 * int, oid, utc, generalized, raw), asn1Marshal (a template value as Go's encoding/asn1
 * marshals it), asn1Seq and asn1Set (base64 DER values wrapped in a SEQUENCE / SET). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "template/tpl_internal.h"

#define MAX_DER (256 * 1024)

struct der {
	struct buf b;
	struct error e;
};

static int put_len(struct buf *b, size_t n, struct error *e)
{
	unsigned char l[9];
	int k = 0;

	if (n < 128) {
		l[0] = (unsigned char)n;
		return buf_append(b, l, 1, e);
	}
	for (size_t x = n; x; x >>= 8)
		k++;
	l[0] = (unsigned char)(0x80 | k);
	for (int i = 0; i < k; i++)
		l[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
	return buf_append(b, l, (size_t)k + 1, e);
}

/* tag + length + content */
static int tlv(struct buf *b, unsigned char tag, const void *c, size_t n, struct error *e)
{
	if (buf_append(b, &tag, 1, e) || put_len(b, n, e))
		return -1;
	return buf_append(b, c, n, e);
}

static int der_int(struct buf *b, int64_t v, struct error *e)
{
	unsigned char c[9];
	int n = 8;

	for (int i = 0; i < 8; i++)
		c[i + 1] = (unsigned char)((uint64_t)v >> (8 * (7 - i)));
	int start = 1;
	/* minimal two's complement */
	while (start < 8 && ((c[start] == 0 && !(c[start + 1] & 0x80)) ||
			     (c[start] == 0xFF && (c[start + 1] & 0x80))))
		start++, n--;
	return tlv(b, 0x02, c + start, (size_t)n, e);
}

static int der_oid(struct buf *b, const char *s, struct error *e)
{
	unsigned long long arc[64];
	int n = 0;
	unsigned char c[64 * 10];
	size_t w = 0;

	for (const char *p = s;;) {
		char *end;
		if (!isdigit((unsigned char)*p) || n == 64)
			return err_set(e, ERR_INVALID, "invalid oid value: invalid OID %s", s);
		arc[n++] = strtoull(p, &end, 10);
		if (*end == '\0')
			break;
		if (*end != '.')
			return err_set(e, ERR_INVALID, "invalid oid value: invalid OID %s", s);
		p = end + 1;
	}
	if (n < 2 || arc[0] > 2 || (arc[0] < 2 && arc[1] > 39) || arc[1] > (1ULL << 56))
		return err_set(e, ERR_INVALID, "invalid oid value: invalid OID %s", s);
	for (int i = 1; i < n; i++) {
		unsigned long long v = i == 1 ? arc[0] * 40 + arc[1] : arc[i];
		unsigned char t[10];
		int k = 0;
		do
			t[k++] = (unsigned char)(v & 0x7F);
		while ((v >>= 7) && k < 10);
		while (k) {
			k--;
			c[w++] = (unsigned char)(t[k] | (k ? 0x80 : 0));
		}
	}
	return tlv(b, 0x06, c, w, e);
}

static bool printable_ok(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || strchr(" '()+,-./:=?*&", c)) || c == 0)
			return false;
	}
	return true;
}

static int der_time(struct buf *b, const struct val *t, bool generalized, struct error *e)
{
	struct buf s;
	int r;

	buf_init(&s, 64);
	r = time_format_go(&s, t, generalized ? "20060102150405" : "060102150405", e);
	if (r == 0)
		r = t->off == 0 ? buf_append(&s, "Z", 1, e) : time_format_go(&s, t, "-0700", e);
	if (r == 0)
		r = tlv(b, generalized ? 0x18 : 0x17, s.data, s.len, e);
	buf_free(&s);
	return r;
}

struct params {
	const char *type;
	bool explicit_;
	int tag; /* -1: none */
};

static int parse_params(const char *p, size_t n, struct params *o, struct error *e)
{
	static const char *const types[] = {"printable", "utf8", "ia5",		"numeric", "int",
					    "oid",	 "utc",	 "generalized", "raw"};
	char part[64];

	o->type = NULL;
	o->explicit_ = false;
	o->tag = -1;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && p[j] != ',')
			j++;
		snprintf(part, sizeof(part), "%.*s", (int)(j - i < 63 ? j - i : 63), p + i);
		bool known = false;
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (strcmp(part, types[k]) == 0)
				o->type = types[k], known = true;
		if (strcmp(part, "explicit") == 0)
			o->explicit_ = known = true;
		else if (strncmp(part, "tag:", 4) == 0 && isdigit((unsigned char)part[4]) &&
			 atoi(part + 4) < 31)
			o->tag = atoi(part + 4), known = true;
		else if (part[0] == '\0' || strcmp(part, "optional") == 0)
			known = true;
		if (!known)
			return err_set(e, ERR_INVALID, "unsupported asn1 parameter %s", part);
		i = j + 1;
	}
	return 0;
}

/* Applies tag:N (implicit: replaces the tag; explicit: wraps) to the encoding in b from off. */
static int apply_tag(struct buf *b, size_t off, const struct params *p, struct error *e)
{
	if (p->tag < 0)
		return 0;
	if (!p->explicit_) {
		unsigned char t = b->data[off];
		b->data[off] = (unsigned char)(0x80 | (t & 0x20) | p->tag);
		return 0;
	}
	struct buf inner;
	buf_init(&inner, MAX_DER);
	int r = buf_append(&inner, b->data + off, b->len - off, e);
	b->len = off;
	if (r == 0)
		r = tlv(b, (unsigned char)(0xA0 | p->tag), inner.data, inner.len, e);
	buf_free(&inner);
	return r;
}

static int b64_decode(const char *s, size_t n, struct buf *out, struct error *e)
{
	unsigned char *o = malloc(n / 4 * 3 + 3);

	if (o == NULL)
		return err_set(e, ERR_INTERNAL, "out of memory");
	int len = n % 4 == 0 ? EVP_DecodeBlock(o, (const unsigned char *)s, (int)n) : -1;
	if (len < 0) {
		free(o);
		return err_set(e, ERR_INVALID, "illegal base64 data at input byte %zu", n - n % 4);
	}
	if (n >= 1 && s[n - 1] == '=')
		len--;
	if (n >= 2 && s[n - 2] == '=')
		len--;
	int r = buf_append(out, o, (size_t)len, e);
	free(o);
	return r;
}

static int enc_value(struct buf *b, const char *v, size_t n, const struct params *p,
		     struct error *e)
{
	const char *t = p->type ? p->type : "printable";
	size_t off = b->len;
	int r;

	if (strcmp(t, "raw") == 0)
		return b64_decode(v, n, b, e);
	if (strcmp(t, "int") == 0) {
		char *end;
		long long x = strtoll(v, &end, 10);
		if (n == 0 || *end != '\0' || (size_t)(end - v) != n)
			return err_set(
			    e, ERR_INVALID,
			    "invalid int value: strconv.Atoi: parsing \"%.64s\": invalid syntax",
			    v);
		r = der_int(b, x, e);
	} else if (strcmp(t, "oid") == 0) {
		r = der_oid(b, v, e);
	} else if (strcmp(t, "utc") == 0 || strcmp(t, "generalized") == 0) {
		struct val tv;
		if (time_parse_go("2006-01-02 15:04:05.999999999 -0700 MST", v, &tv, e) &&
		    time_parse_go("2006-01-02T15:04:05Z07:00", v, &tv, e))
			return err_set(e, ERR_INVALID, "invalid %s value", t);
		r = der_time(b, &tv, t[0] == 'g', e);
	} else {
		unsigned char tag = 0x13;
		bool ok = true;
		if (strcmp(t, "utf8") == 0) {
			tag = 0x0C;
		} else if (strcmp(t, "ia5") == 0) {
			tag = 0x16;
			for (size_t i = 0; i < n; i++)
				ok = ok && (unsigned char)v[i] < 0x80;
		} else if (strcmp(t, "numeric") == 0) {
			tag = 0x12;
			for (size_t i = 0; i < n; i++)
				ok = ok && (isdigit((unsigned char)v[i]) || v[i] == ' ');
		} else {
			ok = printable_ok(v, n);
		}
		if (!ok)
			return err_set(e, ERR_INVALID, "invalid %s value", t);
		r = tlv(b, tag, v, n, e);
	}
	return r ? r : apply_tag(b, off, p, e);
}

static int ret_b64(struct exec *st, struct buf *b, struct val *res)
{
	char *o = malloc(4 * ((b->len + 2) / 3) + 1);

	if (o == NULL) {
		buf_free(b);
		return exec_fn_err(st, "out of memory");
	}
	int n = EVP_EncodeBlock((unsigned char *)o, b->data ? b->data : (const unsigned char *)"",
				(int)b->len);
	int r = fn_ret_str(st, o, (size_t)n, res);
	free(o);
	buf_free(b);
	return r;
}

static int fn_asn1Enc(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l), *colon = memchr(s, ':', l);
	struct params p;
	struct der d = {.e = {0}};

	(void)n;
	buf_init(&d.b, MAX_DER);
	if (parse_params(s, colon ? (size_t)(colon - s) : 0, &p, &d.e) ||
	    enc_value(&d.b, colon ? colon + 1 : s, colon ? l - (size_t)(colon - s) - 1 : l, &p,
		      &d.e)) {
		buf_free(&d.b);
		return exec_fn_err(st, "%s", d.e.msg);
	}
	return ret_b64(st, &d.b, res);
}

static int marshal(struct buf *b, const struct val *v, const struct params *p, int depth,
		   struct error *e)
{
	size_t off = b->len;
	int r;

	if (depth > 32)
		return err_set(e, ERR_INVALID, "asn1: value too deeply nested");
	switch (v->k) {
	case V_INT:
		r = der_int(b, v->i, e);
		break;
	case V_BOOL:
		r = tlv(b, 0x01, v->b ? "\xff" : "\x00", 1, e);
		break;
	case V_TIME: {
		int64_t y = 0;
		struct buf yb;
		buf_init(&yb, 32);
		if (time_format_go(&yb, v, "2006", e) == 0 && yb.data)
			y = strtoll((const char *)yb.data, NULL, 10);
		buf_free(&yb);
		bool gen = p->type ? strcmp(p->type, "generalized") == 0 : (y < 1950 || y >= 2050);
		r = der_time(b, v, gen, e);
		break;
	}
	case V_STR: {
		size_t n;
		const char *s = val_strp(v, &n);
		struct params q = *p;
		q.tag = -1;
		if (q.type == NULL)
			q.type = printable_ok(s, n) ? "printable" : "utf8";
		if (strcmp(q.type, "printable") && strcmp(q.type, "utf8") &&
		    strcmp(q.type, "ia5") && strcmp(q.type, "numeric"))
			return err_set(e, ERR_INVALID, "asn1: cannot marshal string as %s", q.type);
		r = enc_value(b, s, n, &q, e);
		break;
	}
	case V_LIST: {
		struct buf inner;
		struct params q = {.tag = -1};
		buf_init(&inner, MAX_DER);
		r = 0;
		for (size_t i = 0; r == 0 && i < json_array_size(v->j); i++) {
			struct val x = val_from_json(json_array_get(v->j, i));
			r = marshal(&inner, &x, &q, depth + 1, e);
			val_free(&x);
		}
		if (r == 0)
			r = tlv(b, 0x30, inner.data, inner.len, e);
		buf_free(&inner);
		break;
	}
	default:
		return err_set(e, ERR_INVALID, "asn1: unknown Go type: %s", val_type(v));
	}
	return r ? r : apply_tag(b, off, p, e);
}

static int fn_asn1Marshal(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct der d = {.e = {0}};
	struct buf pj;
	struct params p;

	buf_init(&pj, 1024);
	for (size_t i = 1; i < n; i++) {
		size_t l;
		const char *s = fn_arg_str(st, &a[i], &l);
		if ((i > 1 && buf_append(&pj, ",", 1, &d.e)) || buf_append(&pj, s, l, &d.e)) {
			buf_free(&pj);
			return exec_fn_err(st, "%s", d.e.msg);
		}
	}
	buf_init(&d.b, MAX_DER);
	int r = parse_params(pj.data ? (const char *)pj.data : "", pj.len, &p, &d.e);
	buf_free(&pj);
	if (r || marshal(&d.b, &a[0], &p, 0, &d.e)) {
		buf_free(&d.b);
		return exec_fn_err(st, "%s", d.e.msg);
	}
	return ret_b64(st, &d.b, res);
}

static int wrap(struct exec *st, struct val *a, size_t n, struct val *res, unsigned char tag)
{
	struct der d = {.e = {0}};
	struct buf inner;

	buf_init(&inner, MAX_DER);
	buf_init(&d.b, MAX_DER);
	for (size_t i = 0; i < n; i++) {
		size_t l;
		const char *s = fn_arg_str(st, &a[i], &l);
		if (b64_decode(s, l, &inner, &d.e)) {
			buf_free(&inner);
			buf_free(&d.b);
			return exec_fn_err(st, "%s", d.e.msg);
		}
	}
	int r = tlv(&d.b, tag, inner.data, inner.len, &d.e);
	buf_free(&inner);
	if (r) {
		buf_free(&d.b);
		return exec_fn_err(st, "%s", d.e.msg);
	}
	return ret_b64(st, &d.b, res);
}

static int fn_asn1Seq(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return wrap(st, a, n, r, 0x30);
}
static int fn_asn1Set(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return wrap(st, a, n, r, 0x31);
}

const struct fn_def tpl_fns_asn1[] = {
    {"asn1Enc", fn_asn1Enc, 1, 1},
    {"asn1Marshal", fn_asn1Marshal, 1, -1},
    {"asn1Seq", fn_asn1Seq, 0, -1},
    {"asn1Set", fn_asn1Set, 0, -1},
    {NULL, NULL, 0, 0},
};
