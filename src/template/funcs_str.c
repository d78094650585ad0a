/* funcs_str.c - sprig's string functions: trimming, case, replace, substr, quoting, indent,
 * join/split, toString(s). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

int fn_ret_buf(struct exec *st, struct buf *b, struct val *res)
{
	if (exec_charge(st, b->len))
		return buf_free(b), -1;
	int r = val_str(res, b->data ? (const char *)b->data : "", b->len);
	buf_free(b);
	return r ? exec_fn_err(st, "out of memory") : 0;
}

int fn_ret_str(struct exec *st, const char *s, size_t n, struct val *res)
{
	if (exec_charge(st, n))
		return -1;
	return val_str(res, s, n) ? exec_fn_err(st, "out of memory") : 0;
}

/* The string form of an argument: Go would refuse non-strings for string parameters, sprig's
 * interface{} ones take strval; both end up here. */
const char *fn_arg_str(struct exec *st, struct val *v, size_t *n)
{
	if (v->k != V_STR) {
		struct val s;
		if (val_to_string(st, v, &s) == 0) {
			val_free(v);
			*v = s;
		}
	}
	return val_strp(v, n);
}

static bool ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int fn_trim(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l), *e = s + l;

	(void)n;
	while (s < e && ws(*s))
		s++;
	while (e > s && ws(e[-1]))
		e--;
	return fn_ret_str(st, s, (size_t)(e - s), res);
}

static int fn_trimAll(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t cl, l;
	const char *cut = fn_arg_str(st, &a[0], &cl), *s = fn_arg_str(st, &a[1], &l), *e = s + l;

	(void)n;
	while (s < e && memchr(cut, *s, cl))
		s++;
	while (e > s && memchr(cut, e[-1], cl))
		e--;
	return fn_ret_str(st, s, (size_t)(e - s), res);
}

static int fn_trimPrefix(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t pl, l;
	const char *p = fn_arg_str(st, &a[0], &pl), *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	if (pl <= l && memcmp(s, p, pl) == 0)
		s += pl, l -= pl;
	return fn_ret_str(st, s, l, res);
}

static int fn_trimSuffix(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t pl, l;
	const char *p = fn_arg_str(st, &a[0], &pl), *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	if (pl <= l && memcmp(s + l - pl, p, pl) == 0)
		l -= pl;
	return fn_ret_str(st, s, l, res);
}

static int map_case(struct exec *st, struct val *a, struct val *res, int how)
{
	size_t l;
	const char *s = fn_arg_str(st, &a[0], &l);
	char *o = malloc(l + 1);
	bool word_start = true;

	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)s[i];
		if (how == 0)
			o[i] = (char)(c < 0x80 ? toupper(c) : c);
		else if (how == 1)
			o[i] = (char)(c < 0x80 ? tolower(c) : c);
		else {
			o[i] = (char)(word_start && c < 0x80 ? toupper(c) : c);
			word_start =
			    ws((char)c) || (c < 0x80 && !isalnum(c) && c != '_' && c != '\'');
		}
	}
	int r = fn_ret_str(st, o, l, res);
	free(o);
	return r;
}

static int fn_upper(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return map_case(st, a, r, 0);
}
static int fn_lower(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return map_case(st, a, r, 1);
}
static int fn_title(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return map_case(st, a, r, 2);
}

/* strings.Replace(s, old, new, -1) into b */
static int replace_all(struct buf *b, const char *s, size_t l, const char *old, size_t ol,
		       const char *nw, size_t nl, struct error *e)
{
	int r = 0;

	if (ol == 0) {
		/* Go inserts new before each rune and at the end */
		for (size_t i = 0; r == 0 && i <= l; i++) {
			r = buf_append(b, nw, nl, e);
			if (r == 0 && i < l)
				r = buf_append(b, s + i, 1, e);
		}
		return r;
	}
	size_t i = 0;
	while (r == 0 && i < l) {
		if (i + ol <= l && memcmp(s + i, old, ol) == 0) {
			r = buf_append(b, nw, nl, e);
			i += ol;
		} else {
			r = buf_append(b, s + i, 1, e);
			i++;
		}
	}
	return r;
}

static int fn_replace(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t ol, nl, l;
	const char *old = fn_arg_str(st, &a[0], &ol), *nw = fn_arg_str(st, &a[1], &nl),
		   *s = fn_arg_str(st, &a[2], &l);
	struct buf b;
	struct error e = {0};

	(void)n;
	buf_init(&b, TPL_MAX_STR);
	if (replace_all(&b, s, l, old, ol, nw, nl, &e)) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	return fn_ret_buf(st, &b, res);
}

static int fn_repeat(struct exec *st, struct val *a, size_t n, struct val *res)
{
	int64_t c = val_to_i64(&a[0]);
	size_t l;
	const char *s = fn_arg_str(st, &a[1], &l);
	struct buf b;
	struct error e = {0};

	(void)n;
	if (c < 0)
		return exec_fn_err(st, "strings: negative Repeat count");
	if (l && (uint64_t)c > TPL_MAX_STR / l)
		return exec_fn_err(st, "repeat: result longer than %d bytes", TPL_MAX_STR);
	buf_init(&b, TPL_MAX_STR);
	for (int64_t i = 0; i < c && l; i++)
		if (buf_append(&b, s, l, &e)) {
			buf_free(&b);
			return exec_fn_err(st, "%s", e.msg);
		}
	return fn_ret_buf(st, &b, res);
}

static int fn_substr(struct exec *st, struct val *a, size_t n, struct val *res)
{
	int64_t start = val_to_i64(&a[0]), end = val_to_i64(&a[1]);
	size_t l;
	const char *s = fn_arg_str(st, &a[2], &l);

	(void)n;
	if (start < 0) {
		if (end < 0 || (uint64_t)end > l)
			return exec_fn_err(
			    st, "runtime error: slice bounds out of range [:%lld] with length %zu",
			    (long long)end, l);
		return fn_ret_str(st, s, (size_t)end, res);
	}
	if ((uint64_t)start > l)
		return exec_fn_err(st, "runtime error: slice bounds out of range [%lld:%zu]",
				   (long long)start, l);
	if (end < 0 || (uint64_t)end > l)
		return fn_ret_str(st, s + start, l - (size_t)start, res);
	if (end < start)
		return exec_fn_err(st, "runtime error: slice bounds out of range [%lld:%lld]",
				   (long long)start, (long long)end);
	return fn_ret_str(st, s + start, (size_t)(end - start), res);
}

static int fn_trunc(struct exec *st, struct val *a, size_t n, struct val *res)
{
	int64_t c = val_to_i64(&a[0]);
	size_t l;
	const char *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	if (c >= 0 && l > (uint64_t)c)
		return fn_ret_str(st, s, (size_t)c, res);
	if (c < 0 && (int64_t)l + c > 0)
		return fn_ret_str(st, s + l + c, (size_t)-c, res);
	return fn_ret_str(st, s, l, res);
}

static bool find(const char *s, size_t l, const char *sub, size_t sl)
{
	if (sl == 0)
		return true;
	for (size_t i = 0; i + sl <= l; i++)
		if (memcmp(s + i, sub, sl) == 0)
			return true;
	return false;
}

static int fn_contains(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t sl, l;
	const char *sub = fn_arg_str(st, &a[0], &sl), *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	*res = val_bool(find(s, l, sub, sl));
	return 0;
}

static int fn_hasPrefix(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t pl, l;
	const char *p = fn_arg_str(st, &a[0], &pl), *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	*res = val_bool(pl <= l && memcmp(s, p, pl) == 0);
	return 0;
}

static int fn_hasSuffix(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t pl, l;
	const char *p = fn_arg_str(st, &a[0], &pl), *s = fn_arg_str(st, &a[1], &l);

	(void)n;
	*res = val_bool(pl <= l && memcmp(s + l - pl, p, pl) == 0);
	return 0;
}

static int quote_fn(struct exec *st, struct val *a, size_t n, struct val *res, bool dq)
{
	struct buf b;
	struct error e = {0};
	bool first = true;

	buf_init(&b, TPL_MAX_STR);
	for (size_t i = 0; i < n; i++) {
		if (a[i].k == V_NIL || a[i].k == V_MISSING)
			continue;
		size_t l;
		const char *s = fn_arg_str(st, &a[i], &l);
		int r = first ? 0 : buf_append(&b, " ", 1, &e);
		first = false;
		if (r == 0 && dq) {
			r = tpl_sprintf(st, &b, "%q", 2, &a[i], 1);
		} else if (r == 0) {
			r = buf_append(&b, "'", 1, &e) || buf_append(&b, s, l, &e) ||
			    buf_append(&b, "'", 1, &e);
		}
		if (r) {
			buf_free(&b);
			return exec_fn_err(st, "%s", e.msg[0] ? e.msg : st->fmsg);
		}
	}
	return fn_ret_buf(st, &b, res);
}

static int fn_quote(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return quote_fn(st, a, n, r, true);
}
static int fn_squote(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return quote_fn(st, a, n, r, false);
}

static int fn_cat(struct exec *st, struct val *a, size_t n, struct val *res)
{
	struct buf b;
	struct error e = {0};
	bool first = true;

	buf_init(&b, TPL_MAX_STR);
	for (size_t i = 0; i < n; i++) {
		if (a[i].k == V_NIL || a[i].k == V_MISSING)
			continue;
		if ((!first && buf_append(&b, " ", 1, &e)) || val_print(&b, &a[i], &e)) {
			buf_free(&b);
			return exec_fn_err(st, "%s", e.msg);
		}
		first = false;
	}
	return fn_ret_buf(st, &b, res);
}

static int indent_fn(struct exec *st, struct val *a, struct val *res, bool nl)
{
	int64_t c = val_to_i64(&a[0]);
	size_t l;
	const char *s = fn_arg_str(st, &a[1], &l);
	struct buf b, pad;
	struct error e = {0};
	int r = 0;

	if (c < 0)
		return exec_fn_err(st, "strings: negative Repeat count");
	if (c > 4096)
		return exec_fn_err(st, "indent: width too large");
	buf_init(&b, TPL_MAX_STR);
	buf_init(&pad, 8192);
	r = buf_append(&pad, "\n", 1, &e);
	for (int64_t i = 0; r == 0 && i < c; i++)
		r = buf_append(&pad, " ", 1, &e);
	if (r == 0 && nl)
		r = buf_append(&b, "\n", 1, &e);
	if (r == 0)
		r = buf_append(&b, pad.data + 1, pad.len - 1, &e);
	if (r == 0)
		r = replace_all(&b, s, l, "\n", 1, (const char *)pad.data, pad.len, &e);
	buf_free(&pad);
	if (r) {
		buf_free(&b);
		return exec_fn_err(st, "%s", e.msg);
	}
	return fn_ret_buf(st, &b, res);
}

static int fn_indent(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return indent_fn(st, a, r, false);
}
static int fn_nindent(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return indent_fn(st, a, r, true);
}

/* sprig's strslice: lists give their non-nil elements as strings, anything else one string. */
static int strslice(struct exec *st, struct val *v, json_t **out)
{
	json_t *l = json_array();

	*out = NULL;
	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	if (v->k == V_LIST) {
		for (size_t i = 0; i < json_array_size(v->j); i++) {
			struct val e = val_from_json(json_array_get(v->j, i)), s;
			if (e.k == V_NIL) {
				continue;
			}
			int r = val_to_string(st, &e, &s);
			val_free(&e);
			if (r || json_array_append_new(l, json_incref(s.j))) {
				val_free(&s);
				json_decref(l);
				return r ? r : exec_fn_err(st, "out of memory");
			}
			val_free(&s);
		}
	} else if (v->k != V_NIL && v->k != V_MISSING) {
		struct val s;
		if (val_to_string(st, v, &s)) {
			json_decref(l);
			return -1;
		}
		json_array_append(l, s.j);
		val_free(&s);
	}
	*out = l;
	return 0;
}

static int fn_join(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t sl;
	const char *sep = fn_arg_str(st, &a[0], &sl);
	json_t *l;
	struct buf b;
	struct error e = {0};

	(void)n;
	if (strslice(st, &a[1], &l))
		return -1;
	buf_init(&b, TPL_MAX_STR);
	for (size_t i = 0; i < json_array_size(l); i++) {
		json_t *x = json_array_get(l, i);
		if ((i && buf_append(&b, sep, sl, &e)) ||
		    buf_append(&b, json_string_value(x), json_string_length(x), &e)) {
			json_decref(l);
			buf_free(&b);
			return exec_fn_err(st, "%s", e.msg);
		}
	}
	json_decref(l);
	return fn_ret_buf(st, &b, res);
}

static int fn_toStrings(struct exec *st, struct val *a, size_t n, struct val *res)
{
	json_t *l;

	(void)n;
	if (strslice(st, &a[0], &l))
		return -1;
	*res = val_json_owned(l);
	return 0;
}

static int fn_toString(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	return val_to_string(st, &a[0], res);
}

/* strings.Split: an empty separator splits into UTF-8 sequences. */
static int split_fn(struct exec *st, struct val *a, struct val *res, bool as_map)
{
	size_t sl, l;
	const char *sep = fn_arg_str(st, &a[0], &sl), *s = fn_arg_str(st, &a[1], &l);
	json_t *out = as_map ? json_object() : json_array();
	size_t idx = 0, i = 0, start = 0;

	if (out == NULL)
		return exec_fn_err(st, "out of memory");
	if (exec_charge(st, l * 4))
		goto fail_q;
	for (;;) {
		size_t end;
		if (sl == 0) {
			if (i >= l)
				break;
			end = i + 1;
			while (end < l && ((unsigned char)s[end] & 0xC0) == 0x80)
				end++;
			start = i;
			i = end;
		} else {
			end = start;
			while (end + sl <= l && memcmp(s + end, sep, sl) != 0)
				end++;
			if (end + sl > l)
				end = l;
		}
		json_t *part = json_stringn_nocheck(s + start, end - start);
		char key[32];
		snprintf(key, sizeof(key), "_%zu", idx++);
		if (part == NULL || (as_map ? json_object_set_new(out, key, part)
					    : json_array_append_new(out, part)))
			goto fail;
		if (sl != 0) {
			if (end >= l)
				break;
			start = end + sl;
		}
	}
	*res = val_json_owned(out);
	return 0;
fail:
	json_decref(out);
	return exec_fn_err(st, "out of memory");
fail_q:
	json_decref(out);
	return -1;
}

static int fn_split(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return split_fn(st, a, r, true);
}
static int fn_splitList(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return split_fn(st, a, r, false);
}

static int fn_nospace(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l, w = 0;
	const char *s = fn_arg_str(st, &a[0], &l);
	char *o = malloc(l + 1);

	(void)n;
	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	for (size_t i = 0; i < l; i++)
		if (!ws(s[i]))
			o[w++] = s[i];
	int r = fn_ret_str(st, o, w, res);
	free(o);
	return r;
}

const struct fn_def tpl_fns_str[] = {
    {"trim", fn_trim, 1, 1},
    {"trimAll", fn_trimAll, 2, 2},
    {"trimall", fn_trimAll, 2, 2},
    {"trimPrefix", fn_trimPrefix, 2, 2},
    {"trimSuffix", fn_trimSuffix, 2, 2},
    {"upper", fn_upper, 1, 1},
    {"lower", fn_lower, 1, 1},
    {"title", fn_title, 1, 1},
    {"replace", fn_replace, 3, 3},
    {"repeat", fn_repeat, 2, 2},
    {"substr", fn_substr, 3, 3},
    {"trunc", fn_trunc, 2, 2},
    {"contains", fn_contains, 2, 2},
    {"hasPrefix", fn_hasPrefix, 2, 2},
    {"hasSuffix", fn_hasSuffix, 2, 2},
    {"quote", fn_quote, 0, -1},
    {"squote", fn_squote, 0, -1},
    {"cat", fn_cat, 0, -1},
    {"indent", fn_indent, 2, 2},
    {"nindent", fn_nindent, 2, 2},
    {"join", fn_join, 2, 2},
    {"split", fn_split, 2, 2},
    {"splitList", fn_splitList, 2, 2},
    {"toString", fn_toString, 1, 1},
    {"toStrings", fn_toStrings, 1, 1},
    {"nospace", fn_nospace, 1, 1},
    {NULL, NULL, 0, 0},
};
