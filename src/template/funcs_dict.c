/* funcs_dict.c - sprig's dict functions: dict, get, set, unset, hasKey, keys, values, pluck,
 * merge and mergeOverwrite (mergo's deep merge). Maps are shared like Go's: set and unset
 * change the map in place. */
#include <stdlib.h>
#include <string.h>

#include "template/tpl_internal.h"

/* ---- dicts ---- */

static int key_of(struct exec *st, struct val *v, const char **k)
{
	if (v->k != V_STR) {
		struct val s;
		if (val_to_string(st, v, &s))
			return -1;
		val_free(v);
		*v = s;
	}
	*k = val_strp(v, NULL);
	return 0;
}

static int need_map(struct exec *st, const struct val *v, const char *fn)
{
	if (v->k == V_MAP)
		return 0;
	return exec_fn_err(st, "wrong type for value; expected map[string]interface {}; got %s",
			   fn ? val_type(v) : val_type(v));
}

static int fn_dict(struct exec *st, struct val *a, size_t n, struct val *res)
{
	json_t *d = json_object();

	if (d == NULL || exec_charge(st, n * 32))
		return json_decref(d), (d ? -1 : exec_fn_err(st, "out of memory"));
	for (size_t i = 0; i < n; i += 2) {
		const char *k;
		if (i + 1 < n && fn_check_nest(st, &a[i + 1])) {
			json_decref(d);
			return -1;
		}
		json_t *x = i + 1 < n ? val_to_json(&a[i + 1]) : json_string("");
		if (key_of(st, &a[i], &k) || x == NULL || json_object_set_new(d, k, x)) {
			json_decref(d);
			return st->fmsg[0] ? -1 : exec_fn_err(st, "out of memory");
		}
	}
	*res = val_json_owned(d);
	return 0;
}

static int fn_get(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *k;

	(void)n;
	if (need_map(st, &a[0], "get") || key_of(st, &a[1], &k))
		return -1;
	json_t *x = json_hidden_key(k) ? NULL : json_object_get(a[0].j, k);
	if (x)
		*res = val_from_json(x);
	else if (val_str(res, "", 0))
		return exec_fn_err(st, "out of memory");
	return 0;
}

static int fn_set(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *k;

	(void)n;
	if (need_map(st, &a[0], "set") || key_of(st, &a[1], &k))
		return -1;
	if (json_hidden_key(k))
		return exec_fn_err(st, "reserved key %s", k);
	json_t *x = fn_store(st, &a[2]);
	if (x == NULL || json_object_set_new(a[0].j, k, x))
		return st->fmsg[0] ? -1 : exec_fn_err(st, "out of memory");
	*res = val_copy(&a[0]);
	return 0;
}

static int fn_unset(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *k;

	(void)n;
	if (need_map(st, &a[0], "unset") || key_of(st, &a[1], &k))
		return -1;
	if (!json_hidden_key(k))
		json_object_del(a[0].j, k);
	*res = val_copy(&a[0]);
	return 0;
}

static int fn_hasKey(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *k;

	(void)n;
	if (need_map(st, &a[0], "hasKey") || key_of(st, &a[1], &k))
		return -1;
	*res = val_bool(!json_hidden_key(k) && json_object_get(a[0].j, k) != NULL);
	return 0;
}

static int keys_values(struct exec *st, struct val *a, size_t n, struct val *res, bool keys)
{
	json_t *l = json_array();

	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (need_map(st, &a[i], keys ? "keys" : "values")) {
			json_decref(l);
			return -1;
		}
		size_t nk;
		const char **ks = val_keys(a[i].j, &nk);
		if (ks == NULL || exec_charge(st, nk * 16)) {
			free(ks);
			json_decref(l);
			return ks ? -1 : exec_fn_err(st, "out of memory");
		}
		for (size_t k = 0; k < nk; k++)
			json_array_append_new(l, keys
						     ? json_string_nocheck(ks[k])
						     : json_incref(json_object_get(a[i].j, ks[k])));
		free(ks);
	}
	*res = val_json_owned(l);
	return 0;
}

static int fn_keys(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return keys_values(st, a, n, r, true);
}
static int fn_values(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return keys_values(st, a, n, r, false);
}

static int fn_pluck(struct exec *st, struct val *a, size_t n, struct val *res)
{
	const char *k;
	json_t *l = json_array();

	if (l == NULL)
		return exec_fn_err(st, "out of memory");
	if (key_of(st, &a[0], &k)) {
		json_decref(l);
		return -1;
	}
	for (size_t i = 1; i < n; i++) {
		if (need_map(st, &a[i], "pluck")) {
			json_decref(l);
			return -1;
		}
		json_t *x = json_hidden_key(k) ? NULL : json_object_get(a[i].j, k);
		if (x)
			json_array_append(l, x);
	}
	*res = val_json_owned(l);
	return 0;
}

/* mergo.Merge: dst keeps its values, nested maps merge, missing keys come from src. */
static int merge_into(struct exec *st, json_t *dst, json_t *src, bool overwrite, int depth)
{
	const char *k;
	json_t *x;

	if (depth > 100)
		return exec_fn_err(st, "merge: too deeply nested");
	json_object_foreach(src, k, x)
	{
		if (json_hidden_key(k))
			continue;
		json_t *d = json_object_get(dst, k);
		if (exec_charge(st, 32))
			return -1;
		if (d && json_is_object(d) && json_is_object(x)) {
			if (d != x && merge_into(st, d, x, overwrite, depth + 1))
				return -1;
			continue;
		}
		if (d && !overwrite) {
			struct val dv = val_from_json(d);
			bool e = fn_empty_val(&dv);
			val_free(&dv);
			if (!e)
				continue;
		}
		json_t *c = json_deep_copy(x);
		if (c == NULL || json_object_set_new(dst, k, c))
			return exec_fn_err(st, "out of memory");
	}
	return 0;
}

static int merge_fn(struct exec *st, struct val *a, size_t n, struct val *res, bool overwrite)
{
	for (size_t i = 0; i < n; i++)
		if (need_map(st, &a[i], "merge"))
			return -1;
	for (size_t i = 1; i < n; i++)
		if (a[i].j != a[0].j && merge_into(st, a[0].j, a[i].j, overwrite, 0))
			return -1;
	*res = val_copy(&a[0]);
	return 0;
}

static int fn_merge(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return merge_fn(st, a, n, r, false);
}
static int fn_mergeOverwrite(struct exec *st, struct val *a, size_t n, struct val *r)
{
	return merge_fn(st, a, n, r, true);
}

const struct fn_def tpl_fns_dict[] = {
    {"dict", fn_dict, 0, -1},
    {"get", fn_get, 2, 2},
    {"set", fn_set, 3, 3},
    {"unset", fn_unset, 2, 2},
    {"hasKey", fn_hasKey, 2, 2},
    {"keys", fn_keys, 0, -1},
    {"values", fn_values, 1, 1},
    {"pluck", fn_pluck, 1, -1},
    {"merge", fn_merge, 1, -1},
    {"mustMerge", fn_merge, 1, -1},
    {"mergeOverwrite", fn_mergeOverwrite, 1, -1},
    {"mustMergeOverwrite", fn_mergeOverwrite, 1, -1},
    {NULL, NULL, 0, 0},
};
