/* funcs_list.c - sprig's defaults (default, empty, coalesce, ternary, required), lists,
 * JSON (toJson, toPrettyJson, toRawJson, fromJson and their must* forms) and deepEqual. */
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

bool fn_empty_val(const struct val *v)
{
	switch (v->k) {
	case V_MISSING:
	case V_NIL:
		return true;
	case V_BOOL:
		return !v->b;
	case V_INT:
	case V_DUR:
		return v->i == 0;
	case V_FLOAT:
		return v->f == 0;
	case V_STR:
	case V_LIST:
		return val_len(v) == 0;
	case V_MAP:
		return json_object_get(v->j, "@type") == NULL && val_len(v) == 0;
	case V_TIME:
		return false;
	}
	return true;
}

#define MAX_VALUE_DEPTH 64

/* Depth of j up to limit (limit + 1 means deeper); charges the nodes visited. */
static int depth_of(struct exec *st, json_t *j, int limit, int *out)
{
	int d = 0, sub;

	*out = 0;
	if (!json_is_array(j) && !json_is_object(j))
		return 0;
	if (limit <= 0) {
		*out = 1;
		return 0;
	}
	if (exec_charge(st, 8))
		return -1;
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j) && d <= limit; i++) {
			if (depth_of(st, json_array_get(j, i), limit - 1, &sub))
				return -1;
			d = sub > d ? sub : d;
		}
	} else {
		const char *k;
		json_t *x;
		json_object_foreach(j, k, x)
		{
			if (depth_of(st, x, limit - 1, &sub))
				return -1;
			d = sub > d ? sub : d;
			if (d > limit)
				break;
		}
	}
	*out = d + 1;
	return 0;
}

/* A container put inside another must not make values nested so deep that walking them
 * (printing, comparing, freeing) would exhaust the stack. */
int fn_check_nest(struct exec *st, const struct val *v)
{
	int d;

	if (v->k != V_LIST && v->k != V_MAP)
		return 0;
	if (depth_of(st, v->j, MAX_VALUE_DEPTH, &d))
		return -1;
	if (d >= MAX_VALUE_DEPTH)
		return exec_fn_err(st, "value nested deeper than %d levels", MAX_VALUE_DEPTH);
	return 0;
}

/* A value to store in a container: containers are copied so that set/merge cannot make a
 * value contain itself. */
json_t *fn_store(struct exec *st, const struct val *v)
{
	if (fn_check_nest(st, v))
		return NULL;
	json_t *j = val_to_json(v);

	if (j && (json_is_object(j) || json_is_array(j))) {
		json_t *c = json_deep_copy(j);
		json_decref(j);
		j = c;
		if (exec_charge(st, 64))
			return json_decref(j), NULL;
	}
	if (j == NULL && st->fmsg[0] == '\0')
		exec_fn_err(st, "out of memory");
	return j;
}

bool fn_deep_equal(const struct val *a, const struct val *b)
{
	json_t *x = val_to_json(a), *y = val_to_json(b);
	bool eq = x && y && json_equal(x, y);

	/* jansson's equal is false for 1 and 1.0, like Go's DeepEqual for int and float64 */
	json_decref(x);
	json_decref(y);
	return eq;
}

static int fn_default(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st;
	*res = val_copy(n < 2 || fn_empty_val(&a[1]) ? &a[0] : &a[1]);
	return 0;
}

static int fn_empty(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)n;
	*res = val_bool(fn_empty_val(&a[0]));
	return 0;
}

static int fn_coalesce(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st;
	for (size_t i = 0; i < n; i++)
		if (!fn_empty_val(&a[i])) {
			*res = val_copy(&a[i]);
			return 0;
		}
	*res = val_nil();
	return 0;
}

static int fn_ternary(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (a[2].k != V_BOOL)
		return exec_fn_err(st, "wrong type for value; expected bool; got %s",
				   val_type(&a[2]));
	*res = val_copy(a[2].b ? &a[0] : &a[1]);
	return 0;
}

/* required "msg" v: nil or "" fail with msg. */
static int fn_required(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (a[1].k == V_NIL || a[1].k == V_MISSING || (a[1].k == V_STR && val_len(&a[1]) == 0)) {
		struct val s;
		if (val_to_string(st, &a[0], &s))
			return -1;
		exec_fn_err(st, "%s", val_strp(&s, NULL));
		val_free(&s);
		return -1;
	}
	*res = val_copy(&a[1]);
	return 0;
}

static int json_out(struct exec *st, const struct val *v, bool html, const char *indent, bool must,
		    struct val *res)
{
	struct buf b;
	struct error e = {0};

	buf_init(&b, TPL_MAX_STR);
	if (val_to_json_text(&b, v, html, indent, &e)) {
		buf_free(&b);
		if (must)
			return exec_fn_err(st, "%s", e.msg);
		return val_str(res, "", 0) ? exec_fn_err(st, "out of memory") : 0;
	}
	if (exec_charge(st, b.len)) {
		buf_free(&b);
		return -1;
	}
	int r = val_str(res, b.data ? (const char *)b.data : "", b.len);
	buf_free(&b);
	return r ? exec_fn_err(st, "out of memory") : 0;
}

static int fn_toJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], true, NULL, false, r);
}
static int fn_mustToJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], true, NULL, true, r);
}
static int fn_toPrettyJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], true, "  ", false, r);
}
static int fn_mustToPrettyJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], true, "  ", true, r);
}
static int fn_toRawJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], false, NULL, true, r);
}
static int fn_mustToRawJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return json_out(st, &a[0], false, NULL, true, r);
}

static json_t *as_go_numbers(json_t *j, int depth)
{
	if (depth > 1000)
		return NULL;
	if (json_is_integer(j))
		return json_real((double)json_integer_value(j));
	if (json_is_array(j)) {
		for (size_t i = 0; i < json_array_size(j); i++) {
			json_t *x = as_go_numbers(json_array_get(j, i), depth + 1);
			if (x == NULL || json_array_set_new(j, i, x))
				return NULL;
		}
	} else if (json_is_object(j)) {
		const char *k;
		json_t *x;
		void *tmp;
		json_object_foreach_safe(j, tmp, k, x)
		{
			json_t *c = as_go_numbers(x, depth + 1);
			if (c == NULL || json_object_set_new(j, k, c))
				return NULL;
		}
	}
	return json_incref(j);
}

static int from_json(struct exec *st, struct val *a, bool must, struct val *res)
{
	size_t l;
	const char *s;
	json_error_t je;

	if (a[0].k != V_STR)
		return exec_fn_err(st, "wrong type for value; expected string; got %s",
				   val_type(&a[0]));
	s = val_strp(&a[0], &l);
	if (exec_charge(st, l * 4))
		return -1;
	json_t *j = json_loadb(s, l, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (j == NULL) {
		if (must)
			return exec_fn_err(st, "%s", je.text);
		*res = val_nil();
		return 0;
	}
	json_t *g = as_go_numbers(j, 0);
	json_decref(j);
	if (g == NULL)
		return exec_fn_err(st, "json: value too deeply nested");
	*res = val_json_owned(g);
	return 0;
}

static int fn_fromJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return from_json(st, a, false, r);
}
static int fn_mustFromJson(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return from_json(st, a, true, r);
}

static int fn_deepEqual(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)st, (void)n;
	*res = val_bool(fn_deep_equal(&a[0], &a[1]));
	return 0;
}

/* ---- lists ---- */

static int new_list(struct exec *st, struct val *a, size_t n, struct val *res)
{
	json_t *l = json_array();

	if (l == NULL || exec_charge(st, n * 16))
		return json_decref(l), (l ? -1 : exec_fn_err(st, "out of memory"));
	for (size_t i = 0; i < n; i++) {
		if (fn_check_nest(st, &a[i])) {
			json_decref(l);
			return -1;
		}
		json_t *x = val_to_json(&a[i]);
		if (x == NULL || json_array_append_new(l, x)) {
			json_decref(l);
			return exec_fn_err(st, "out of memory");
		}
	}
	*res = val_json_owned(l);
	return 0;
}

static int fn_list(struct exec *st, struct val *a, size_t n, struct val *res)
{
	return new_list(st, a, n, res);
}

static int need_list(struct exec *st, const struct val *v, const char *what)
{
	if (v->k == V_LIST)
		return 0;
	return exec_fn_err(st, "Cannot %s on type %s", what, val_type(v));
}

static int fn_first(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (need_list(st, &a[0], "find first"))
		return -1;
	*res = json_array_size(a[0].j) ? val_from_json(json_array_get(a[0].j, 0)) : val_nil();
	return 0;
}

static int fn_last(struct exec *st, struct val *a, size_t n, struct val *res)
{
	size_t l;

	(void)n;
	if (need_list(st, &a[0], "find last"))
		return -1;
	l = json_array_size(a[0].j);
	*res = l ? val_from_json(json_array_get(a[0].j, l - 1)) : val_nil();
	return 0;
}

static int sub_list(struct exec *st, const struct val *v, size_t from, size_t to, struct val *res)
{
	json_t *l = json_array();

	if (l == NULL || exec_charge(st, (to - from) * 16))
		return json_decref(l), (l ? -1 : exec_fn_err(st, "out of memory"));
	for (size_t i = from; i < to; i++)
		if (json_array_append(l, json_array_get(v->j, i))) {
			json_decref(l);
			return exec_fn_err(st, "out of memory");
		}
	*res = val_json_owned(l);
	return 0;
}

static int fn_rest(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (need_list(st, &a[0], "find rest"))
		return -1;
	size_t l = json_array_size(a[0].j);
	if (l == 0) {
		*res = val_nil();
		return 0;
	}
	return sub_list(st, &a[0], 1, l, res);
}

static int fn_initial(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (need_list(st, &a[0], "find initial"))
		return -1;
	size_t l = json_array_size(a[0].j);
	if (l == 0) {
		*res = val_nil();
		return 0;
	}
	return sub_list(st, &a[0], 0, l - 1, res);
}

static int add_elem(struct exec *st, struct val *a, struct val *res, bool front)
{
	if (need_list(st, &a[0], front ? "prepend" : "append"))
		return -1;
	size_t l = json_array_size(a[0].j);
	if (sub_list(st, &a[0], 0, l, res))
		return -1;
	if (fn_check_nest(st, &a[1])) {
		val_free(res);
		return -1;
	}
	json_t *x = val_to_json(&a[1]);
	if (x == NULL ||
	    (front ? json_array_insert_new(res->j, 0, x) : json_array_append_new(res->j, x))) {
		val_free(res);
		return exec_fn_err(st, "out of memory");
	}
	return 0;
}

static int fn_append(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return add_elem(st, a, r, false);
}
static int fn_prepend(struct exec *st, struct val *a, size_t n, struct val *r)
{
	(void)n;
	return add_elem(st, a, r, true);
}

static int fn_concat(struct exec *st, struct val *a, size_t n, struct val *res)
{
	json_t *l = json_array();

	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (a[i].k == V_NIL)
			continue;
		if (a[i].k != V_LIST) {
			json_decref(l);
			return exec_fn_err(st, "Cannot concat type %s as list", val_type(&a[i]));
		}
		if (exec_charge(st, json_array_size(a[i].j) * 16) || json_array_extend(l, a[i].j)) {
			json_decref(l);
			return st->fmsg[0] ? -1 : exec_fn_err(st, "out of memory");
		}
	}
	*res = val_json_owned(l);
	return 0;
}

static int fn_has(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	*res = val_bool(false);
	if (a[1].k == V_NIL)
		return 0;
	if (need_list(st, &a[1], "find has"))
		return -1;
	if (exec_charge(st, json_array_size(a[1].j) * 16))
		return -1;
	for (size_t i = 0; i < json_array_size(a[1].j); i++) {
		struct val e = val_from_json(json_array_get(a[1].j, i));
		bool eq = fn_deep_equal(&e, &a[0]);
		val_free(&e);
		if (eq) {
			*res = val_bool(true);
			break;
		}
	}
	return 0;
}

/* uniq (mode 0), compact (1), without (2) */
static int filter(struct exec *st, struct val *a, size_t n, struct val *res, int mode)
{
	if (need_list(st, &a[0], mode == 0 ? "uniq" : mode == 1 ? "compact" : "without"))
		return -1;
	json_t *src = a[0].j, *l = json_array();
	size_t len = json_array_size(src);
	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	if (exec_charge(st, len * (mode == 0 ? len + 1 : n + 1)))
		return json_decref(l), -1;
	for (size_t i = 0; i < len; i++) {
		json_t *x = json_array_get(src, i);
		struct val e = val_from_json(x);
		bool keep = true;
		if (mode == 1)
			keep = !fn_empty_val(&e);
		for (size_t k = 1; mode == 2 && keep && k < n; k++)
			keep = !fn_deep_equal(&e, &a[k]);
		for (size_t k = 0; mode == 0 && keep && k < json_array_size(l); k++)
			keep = !json_equal(json_array_get(l, k), x);
		val_free(&e);
		if (keep && json_array_append(l, x)) {
			json_decref(l);
			return exec_fn_err(st, "out of memory");
		}
	}
	*res = val_json_owned(l);
	return 0;
}

static int fn_uniq(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return filter(st, a, n, r, 0);
}
static int fn_compact(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return filter(st, a, n, r, 1);
}
static int fn_without(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return filter(st, a, n, r, 2);
}

static int cmp_json_str(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	size_t la = json_string_length(a), lb = json_string_length(b);
	int c = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);

	return c ? c : (la > lb) - (la < lb);
}

static int fn_reverse(struct exec *st, struct val *a, size_t n, struct val *res)
{
	(void)n;
	if (need_list(st, &a[0], "reverse"))
		return -1;
	size_t l = json_array_size(a[0].j);
	json_t *o = json_array();
	for (size_t i = l; o && i > 0; i--)
		if (json_array_append(o, json_array_get(a[0].j, i - 1)))
			json_decref(o), o = NULL;
	if (o == NULL)
		return exec_fn_err(st, "out of memory");
	*res = val_json_owned(o);
	return 0;
}

static int fn_sortAlpha(struct exec *st, struct val *a, size_t n, struct val *res)
{
	json_t *l = json_array();

	(void)n;
	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	if (a[0].k == V_LIST) {
		for (size_t i = 0; i < json_array_size(a[0].j); i++) {
			struct val e = val_from_json(json_array_get(a[0].j, i)), s;
			int r = val_to_string(st, &e, &s);
			val_free(&e);
			if (r || json_array_append(l, s.j)) {
				val_free(&s);
				json_decref(l);
				return r ? -1 : exec_fn_err(st, "out of memory");
			}
			val_free(&s);
		}
	}
	size_t len = json_array_size(l);
	json_t **items = malloc((len + 1) * sizeof(*items));
	if (items == NULL) {
		json_decref(l);
		return exec_fn_err(st, "out of memory");
	}
	for (size_t i = 0; i < len; i++)
		items[i] = json_incref(json_array_get(l, i));
	qsort(items, len, sizeof(*items), cmp_json_str);
	json_array_clear(l);
	for (size_t i = 0; i < len; i++)
		json_array_append_new(l, items[i]);
	free(items);
	*res = val_json_owned(l);
	return 0;
}

const struct fn_def tpl_fns_list[] = {
    {"default", fn_default, 1, -1},
    {"empty", fn_empty, 1, 1},
    {"coalesce", fn_coalesce, 0, -1},
    {"ternary", fn_ternary, 3, 3},
    {"required", fn_required, 2, 2},
    {"toJson", fn_toJson, 1, 1},
    {"mustToJson", fn_mustToJson, 1, 1},
    {"toPrettyJson", fn_toPrettyJson, 1, 1},
    {"mustToPrettyJson", fn_mustToPrettyJson, 1, 1},
    {"toRawJson", fn_toRawJson, 1, 1},
    {"mustToRawJson", fn_mustToRawJson, 1, 1},
    {"fromJson", fn_fromJson, 1, 1},
    {"mustFromJson", fn_mustFromJson, 1, 1},
    {"deepEqual", fn_deepEqual, 2, 2},
    {"list", fn_list, 0, -1},
    {"tuple", fn_list, 0, -1},
    {"first", fn_first, 1, 1},
    {"mustFirst", fn_first, 1, 1},
    {"last", fn_last, 1, 1},
    {"mustLast", fn_last, 1, 1},
    {"rest", fn_rest, 1, 1},
    {"mustRest", fn_rest, 1, 1},
    {"initial", fn_initial, 1, 1},
    {"mustInitial", fn_initial, 1, 1},
    {"append", fn_append, 2, 2},
    {"mustAppend", fn_append, 2, 2},
    {"push", fn_append, 2, 2},
    {"mustPush", fn_append, 2, 2},
    {"prepend", fn_prepend, 2, 2},
    {"mustPrepend", fn_prepend, 2, 2},
    {"concat", fn_concat, 0, -1},
    {"has", fn_has, 2, 2},
    {"mustHas", fn_has, 2, 2},
    {"uniq", fn_uniq, 1, 1},
    {"mustUniq", fn_uniq, 1, 1},
    {"compact", fn_compact, 1, 1},
    {"mustCompact", fn_compact, 1, 1},
    {"without", fn_without, 1, -1},
    {"mustWithout", fn_without, 1, -1},
    {"reverse", fn_reverse, 1, 1},
    {"mustReverse", fn_reverse, 1, 1},
    {"sortAlpha", fn_sortAlpha, 1, 1},
    {NULL, NULL, 0, 0},
};
