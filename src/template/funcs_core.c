/* funcs_core.c - text/template's builtin functions (and, or, not, eq..., len, index, slice,
 * print, printf, println, html, js, urlquery), step's fail, and the function lookup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

static int set_str_buf(struct exec *st, struct buf *b, struct val *res)
{
	if (exec_charge(st, b->len))
		return -1;
	int r = val_str(res, b->data ? (const char *)b->data : "", b->len);
	buf_free(b);
	return r ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_unused(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)a, (void)n, (void)res;
	return exec_fn_err(st, "not callable");
}

static int fn_not(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)n;
	*res = val_bool(!val_truth(&a[0]));
	return 0;
}

enum basic { B_INVALID, B_BOOL, B_INT, B_FLOAT, B_STRING };

static enum basic basic_kind(const struct val *v)
{
	switch (v->k) {
	case V_BOOL:
		return B_BOOL;
	case V_INT:
	case V_DUR:
		return B_INT;
	case V_FLOAT:
		return B_FLOAT;
	case V_STR:
		return B_STRING;
	default:
		return B_INVALID;
	}
}

static bool is_nilish(const struct val *v)
{
	return v->k == V_NIL || v->k == V_MISSING;
}

int val_equal(struct exec *st, const struct val *a, const struct val *b, bool *eq)
{
	enum basic k1 = basic_kind(a), k2 = basic_kind(b);

	*eq = false;
	if (k1 != k2) {
		if (!is_nilish(a) && !is_nilish(b))
			return exec_fn_err(st, "incompatible types for comparison");
		return 0;
	}
	switch (k1) {
	case B_BOOL:
		*eq = a->b == b->b;
		return 0;
	case B_INT:
		*eq = a->i == b->i;
		return 0;
	case B_FLOAT:
		*eq = a->f == b->f;
		return 0;
	case B_STRING: {
		size_t l1, l2;
		const char *s1 = val_strp(a, &l1), *s2 = val_strp(b, &l2);
		*eq = l1 == l2 && memcmp(s1, s2, l1) == 0;
		return 0;
	}
	default:
		if (is_nilish(a) || is_nilish(b)) {
			*eq = is_nilish(a) && is_nilish(b);
			return 0;
		}
		if (a->k == V_TIME && b->k == V_TIME) {
			*eq = a->i == b->i && a->nsec == b->nsec && a->off == b->off;
			return 0;
		}
		return exec_fn_err(st, "non-comparable type %s", val_type(b));
	}
}

static int fn_eq(struct exec *st, struct val *a, size_t n, struct val *res)
{
	for (size_t i = 1; i < n; i++) {
		bool eq;
		if (val_equal(st, &a[0], &a[i], &eq))
			return -1;
		if (eq) {
			*res = val_bool(true);
			return 0;
		}
	}
	*res = val_bool(false);
	return 0;
}

static int fn_ne(struct exec *st, struct val *a, size_t n, struct val *res)
{
	bool eq;

	(void)n;
	if (val_equal(st, &a[0], &a[1], &eq))
		return -1;
	*res = val_bool(!eq);
	return 0;
}

/* Go's lt: -1 error, else *less */
static int less(struct exec *st, const struct val *a, const struct val *b, bool *lt)
{
	enum basic k1 = basic_kind(a), k2 = basic_kind(b);

	if (k1 == B_INVALID || k2 == B_INVALID || k1 == B_BOOL || k2 == B_BOOL)
		return exec_fn_err(st, "invalid type for comparison");
	if (k1 != k2)
		return exec_fn_err(st, "incompatible types for comparison");
	switch (k1) {
	case B_INT:
		*lt = a->i < b->i;
		break;
	case B_FLOAT:
		*lt = a->f < b->f;
		break;
	default: {
		size_t l1, l2;
		const char *s1 = val_strp(a, &l1), *s2 = val_strp(b, &l2);
		int c = memcmp(s1, s2, l1 < l2 ? l1 : l2);
		*lt = c < 0 || (c == 0 && l1 < l2);
	}
	}
	return 0;
}

/* op: 0 lt, 1 le, 2 gt, 3 ge (Go: gt is !lt && !eq, ge is !lt) */
static int cmp_fn(struct exec *st, struct val *a, struct val *res, int op)
{
	bool lt = false, eq = false;

	if (less(st, &a[0], &a[1], &lt) || val_equal(st, &a[0], &a[1], &eq))
		return -1;
	switch (op) {
	case 0:
		*res = val_bool(lt);
		break;
	case 1:
		*res = val_bool(lt || eq);
		break;
	case 2:
		*res = val_bool(!lt && !eq);
		break;
	default:
		*res = val_bool(!lt);
		break;
	}
	return 0;
}

static int fn_lt(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return cmp_fn(st, a, r, 0);
}
static int fn_le(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return cmp_fn(st, a, r, 1);
}
static int fn_gt(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return cmp_fn(st, a, r, 2);
}
static int fn_ge(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return cmp_fn(st, a, r, 3);
}

static int fn_len(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (a[0].k != V_STR && a[0].k != V_LIST && a[0].k != V_MAP) {
		if (is_nilish(&a[0]))
			return exec_fn_err(st, "len of nil pointer");
		return exec_fn_err(st, "len of type %s", val_type(&a[0]));
	}
	*res = val_int((int64_t)val_len(&a[0]));
	return 0;
}

static int to_index(struct exec *st, const struct val *v, int64_t *out)
{
	if (v->k != V_INT)
		return exec_fn_err(st, "cannot index slice/array with type %s", val_type(v));
	*out = v->i;
	return 0;
}

static int fn_index(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct val cur = val_copy(&a[0]);

	for (size_t i = 1; i < n; i++) {
		struct val next = {.k = V_NIL};
		int64_t x = 0;
		switch (cur.k) {
		case V_LIST:
		case V_STR: {
			if (to_index(st, &a[i], &x))
				goto fail;
			size_t len = val_len(&cur);
			if (x < 0 || (uint64_t)x >= len) {
				exec_fn_err(st, "index out of range: %lld", (long long)x);
				goto fail;
			}
			if (cur.k == V_LIST)
				next = val_from_json(json_array_get(cur.j, (size_t)x));
			else
				next = val_int((unsigned char)val_strp(&cur, NULL)[x]);
			break;
		}
		case V_MAP: {
			if (a[i].k != V_STR) {
				exec_fn_err(st, "value has type %s; should be string",
					    val_type(&a[i]));
				goto fail;
			}
			const char *k = val_strp(&a[i], NULL);
			json_t *x2 = json_hidden_key(k) ? NULL : json_object_get(cur.j, k);
			next = x2 ? val_from_json(x2) : val_nil();
			break;
		}
		case V_NIL:
		case V_MISSING:
			exec_fn_err(st, "index of untyped nil");
			goto fail;
		default:
			exec_fn_err(st, "can't index item of type %s", val_type(&cur));
			goto fail;
		}
		val_free(&cur);
		cur = next;
	}
	*res = cur;
	return 0;
fail:
	val_free(&cur);
	return -1;
}

static int fn_slice(struct exec *st, struct val *a, size_t n, struct val *res)
{
	int64_t idx[3] = {0, 0, 0};
	size_t len = val_len(&a[0]);

	if (a[0].k != V_STR && a[0].k != V_LIST) {
		if (is_nilish(&a[0]))
			return exec_fn_err(st, "slice of untyped nil");
		return exec_fn_err(st, "can't slice item of type %s", val_type(&a[0]));
	}
	if (n > 4 || (n == 4 && a[0].k == V_STR))
		return exec_fn_err(st, "too many slice indexes: %zu", n - 1);
	idx[1] = (int64_t)len;
	for (size_t i = 1; i < n; i++) {
		if (to_index(st, &a[i], &idx[i - 1]))
			return -1;
		if (idx[i - 1] < 0 || (uint64_t)idx[i - 1] > len)
			return exec_fn_err(st, "index out of range: %lld", (long long)idx[i - 1]);
	}
	if (idx[0] > idx[1])
		return exec_fn_err(st, "invalid slice index: %lld > %lld", (long long)idx[0],
				   (long long)idx[1]);
	if (a[0].k == V_STR)
		return val_str(res, val_strp(&a[0], NULL) + idx[0], (size_t)(idx[1] - idx[0]))
			   ? exec_fn_err(st, "out of memory")
			   : 0;
	json_t *l = json_array();
	for (int64_t i = idx[0]; l && i < idx[1]; i++)
		if (json_array_append(l, json_array_get(a[0].j, (size_t)i))) {
			json_decref(l);
			l = NULL;
		}
	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	*res = val_json_owned(l);
	return 0;
}

/* fmt.Sprint: a space between operands when neither is a string; Sprintln: always. */
static int sprint(struct exec *st, struct val *a, size_t n, bool ln, struct buf *b)
{
	struct error e = {0};

	buf_init(b, TPL_MAX_STR);
	for (size_t i = 0; i < n; i++) {
		bool sp = ln ? i > 0 : i > 0 && a[i].k != V_STR && a[i - 1].k != V_STR;
		if ((sp && buf_append(b, " ", 1, &e)) || val_print(b, &a[i], &e)) {
			buf_free(b);
			return exec_fn_err(st, "%s", e.msg);
		}
	}
	if (ln && buf_append(b, "\n", 1, &e)) {
		buf_free(b);
		return exec_fn_err(st, "%s", e.msg);
	}
	return 0;
}

static int fn_print(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct buf b;

	return sprint(st, a, n, false, &b) ? -1 : set_str_buf(st, &b, res);
}

static int fn_println(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct buf b;

	return sprint(st, a, n, true, &b) ? -1 : set_str_buf(st, &b, res);
}

static int fn_printf(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct buf b;
	size_t fl;
	const char *f;
	struct val fs = {.k = V_MISSING};

	if (a[0].k != V_STR)
		return exec_fn_err(st, "wrong type for value; expected string; got %s",
				   val_type(&a[0]));
	f = val_strp(&a[0], &fl);
	(void)fs;
	buf_init(&b, TPL_MAX_STR);
	if (tpl_sprintf(st, &b, f, fl, a + 1, n - 1)) {
		buf_free(&b);
		return -1;
	}
	return set_str_buf(st, &b, res);
}

/* html, js and urlquery escape fmt.Sprint of their arguments (one string argument as is). */
static int escape_fn(struct exec *st, struct val *a, size_t n, struct val *res, int how)
{
	struct buf in, out;
	struct error e = {0};
	static const char hex[] = "0123456789ABCDEF";
	int r = 0;

	if (sprint(st, a, n, false, &in))
		return -1;
	buf_init(&out, TPL_MAX_STR);
	for (size_t i = 0; r == 0 && i < in.len; i++) {
		unsigned char c = in.data[i];
		char tmp[16];
		const char *rep = NULL;
		if (how == 0) {
			switch (c) {
			case '<':
				rep = "&lt;";
				break;
			case '>':
				rep = "&gt;";
				break;
			case '&':
				rep = "&amp;";
				break;
			case '\'':
				rep = "&#39;";
				break;
			case '"':
				rep = "&#34;";
				break;
			case 0:
				rep = "\xEF\xBF\xBD";
				break;
			}
		} else if (how == 1) {
			switch (c) {
			case '\\':
				rep = "\\\\";
				break;
			case '\'':
				rep = "\\'";
				break;
			case '"':
				rep = "\\\"";
				break;
			case '<':
				rep = "\\u003C";
				break;
			case '>':
				rep = "\\u003E";
				break;
			case '&':
				rep = "\\u0026";
				break;
			case '=':
				rep = "\\u003D";
				break;
			default:
				if (c < ' ') {
					snprintf(tmp, sizeof(tmp), "\\u00%c%c", hex[c >> 4],
						 hex[c & 15]);
					rep = tmp;
				}
			}
		} else {
			if (c == ' ')
				rep = "+";
			else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
				   c == '~')) {
				snprintf(tmp, sizeof(tmp), "%%%c%c", hex[c >> 4], hex[c & 15]);
				rep = tmp;
			}
		}
		r = rep ? buf_append_str(&out, rep, &e) : buf_append(&out, &c, 1, &e);
	}
	buf_free(&in);
	if (r) {
		buf_free(&out);
		return exec_fn_err(st, "%s", e.msg);
	}
	return set_str_buf(st, &out, res);
}

static int fn_html(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return escape_fn(st, a, n, r, 0);
}
static int fn_js(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return escape_fn(st, a, n, r, 1);
}
static int fn_urlquery(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return escape_fn(st, a, n, r, 2);
}

/* step's fail: the message goes to the client as is (step-ca answers 400). */
static int fn_fail(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct val s;

	(void)n, (void)res;
	if (val_to_string(st, &a[0], &s))
		return -1;
	snprintf(st->fmsg, sizeof(st->fmsg), "%s", val_strp(&s, NULL));
	val_free(&s);
	st->failed = true;
	return -1;
}

const struct fn_def tpl_fns_core[] = {
    {"and", fn_unused, 1, -1},	{"or", fn_unused, 1, -1},     {"not", fn_not, 1, 1},
    {"eq", fn_eq, 1, -1},	{"ne", fn_ne, 2, 2},	      {"lt", fn_lt, 2, 2},
    {"le", fn_le, 2, 2},	{"gt", fn_gt, 2, 2},	      {"ge", fn_ge, 2, 2},
    {"len", fn_len, 1, 1},	{"index", fn_index, 1, -1},   {"slice", fn_slice, 1, -1},
    {"print", fn_print, 0, -1}, {"printf", fn_printf, 1, -1}, {"println", fn_println, 0, -1},
    {"html", fn_html, 0, -1},	{"js", fn_js, 0, -1},	      {"urlquery", fn_urlquery, 0, -1},
    {"fail", fn_fail, 1, 1},	{NULL, NULL, 0, 0},
};

const struct fn_def *tpl_fn_lookup(const char *name)
{
	const struct fn_def *tables[] = {tpl_fns_core, tpl_fns_str, tpl_fns_list, tpl_fns_misc,
					 tpl_fns_time, tpl_fns_enc, tpl_fns_asn1, tpl_fns_dict};

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (const struct fn_def *f = tables[t]; f->name; f++)
			if (strcmp(f->name, name) == 0)
				return f;
	return NULL;
}
