/* flags.c - parsing flags and resolving their values. */
#include "cli/flags.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"

void flag_set_init(struct flag_set *fs, const struct flag_def *defs)
{
	memset(fs, 0, sizeof(*fs));
	fs->defs = defs;
	if (defs != NULL)
		while (defs[fs->n].name != NULL)
			fs->n++;
	fs->v = xcalloc(fs->n > 0 ? fs->n : 1, sizeof(*fs->v));
	for (size_t i = 0; i < fs->n; i++)
		fs->v[i].def = &defs[i];
}

static void value_clear(struct flag_value *v)
{
	free(v->str);
	v->str = NULL;
	v->b = false;
	strv_free(&v->list);
	v->src = FLAG_SRC_NONE;
}

void flag_set_free(struct flag_set *fs)
{
	if (fs == NULL)
		return;
	for (size_t i = 0; fs->v != NULL && i < fs->n; i++)
		value_clear(&fs->v[i]);
	free(fs->v);
	strv_free(&fs->args);
	memset(fs, 0, sizeof(*fs));
}

/* True when name is one of the comma-separated names in list. */
static bool in_list(const char *list, const char *name, size_t len)
{
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == len && strncmp(p, name, len) == 0)
			return true;
		p = end != NULL ? end + 1 : NULL;
	}
	return false;
}

static struct flag_value *lookup_n(const struct flag_set *fs, const char *name, size_t len)
{
	for (size_t i = 0; i < fs->n; i++) {
		const struct flag_def *d = fs->v[i].def;
		if ((strlen(d->name) == len && strncmp(d->name, name, len) == 0) ||
		    in_list(d->aliases, name, len) ||
		    (len == 1 && d->short_name != 0 && d->short_name == name[0]))
			return &fs->v[i];
	}
	return NULL;
}

struct flag_value *flag_set_lookup(const struct flag_set *fs, const char *name)
{
	return lookup_n(fs, name, strlen(name));
}

bool flag_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Stores one value from src; a list value is appended, others replace. */
static int set_value(struct flag_value *v, const char *val, enum flag_source src, struct error *err)
{
	bool b;

	switch (v->def->type) {
	case FLAG_BOOL:
		if (!flag_parse_bool(val, &b))
			return err_set(err, ERR_INVALID,
				       "invalid boolean value \"%s\" for -%s: parse error", val,
				       v->def->name);
		free(v->str);
		v->str = xstrdup(b ? "true" : "false");
		v->b = b;
		break;
	case FLAG_STRING:
		free(v->str);
		v->str = xstrdup(val);
		break;
	case FLAG_LIST:
		if (v->src != src) /* values from a lower source are replaced, not merged */
			strv_free(&v->list);
		strv_push(&v->list, val);
		break;
	}
	v->src = src;
	return 0;
}

int flag_set_parse(struct flag_set *fs, int argc, char *const argv[], struct error *err)
{
	bool only_args = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *name, *eq;
		struct flag_value *v;
		size_t len;

		if (only_args || a[0] != '-' || a[1] == '\0') {
			strv_push(&fs->args, a);
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_args = true;
			continue;
		}
		name = a[1] == '-' ? a + 2 : a + 1;
		if (name[0] == '\0' || name[0] == '-' || name[0] == '=')
			return err_set(err, ERR_INVALID, "bad flag syntax: %s", a);
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		v = lookup_n(fs, name, len);
		if (v == NULL &&
		    ((len == 1 && name[0] == 'h') || (len == 4 && strncmp(name, "help", 4) == 0))) {
			fs->help = true;
			continue;
		}
		if (v == NULL)
			return err_set(err, ERR_INVALID, "flag provided but not defined: -%.*s",
				       (int)len, name);
		if (v->def->type == FLAG_BOOL) {
			if (set_value(v, eq != NULL ? eq + 1 : "true", FLAG_SRC_CLI, err) != 0)
				return -1;
			continue;
		}
		if (eq == NULL) {
			if (i + 1 >= argc)
				return err_set(err, ERR_INVALID, "flag needs an argument: -%.*s",
					       (int)len, name);
			a = argv[++i];
		} else {
			a = eq + 1;
		}
		if (set_value(v, a, FLAG_SRC_CLI, err) != 0)
			return -1;
	}
	return 0;
}

char *flag_env_name(const char *flag_name)
{
	char *s = xasprintf("STRIDE_%s", flag_name);

	for (char *p = s; *p != '\0'; p++)
		*p = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
	return s;
}

/* Appends each comma-separated, trimmed, non-empty part of s to the list flag v. */
static void set_list_csv(struct flag_value *v, const char *s, enum flag_source src)
{
	char *copy = xstrdup(s), *save = NULL;

	strv_free(&v->list);
	for (char *t = strtok_r(copy, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
		t = str_trim(t);
		if (*t != '\0')
			strv_push(&v->list, t);
	}
	v->src = src;
	free(copy);
}

int flag_set_apply_env(struct flag_set *fs, struct error *err)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct flag_value *v = &fs->v[i];
		const char *val;
		char *name;

		if (v->src != FLAG_SRC_NONE || (v->def->opts & FLAG_NO_ENV) != 0)
			continue;
		name = flag_env_name(v->def->name);
		val = getenv(name);
		if (val != NULL && val[0] != '\0') {
			if (v->def->type == FLAG_LIST) {
				set_list_csv(v, val, FLAG_SRC_ENV);
			} else if (set_value(v, val, FLAG_SRC_ENV, err) != 0) {
				err_set(err, ERR_INVALID,
					"invalid value '%s' for environment variable %s", val,
					name);
				free(name);
				return -1;
			}
		}
		free(name);
	}
	return 0;
}

/* JSON scalar -> text with default formatting; NULL for null. malloc'd. */
static char *json_text(const json_t *j)
{
	char buf[64];

	switch (json_typeof(j)) {
	case JSON_STRING:
		return xstrdup(json_string_value(j));
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(j));
		return xstrdup(buf);
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.15g", json_real_value(j));
		return xstrdup(buf);
	case JSON_TRUE:
		return xstrdup("true");
	case JSON_FALSE:
		return xstrdup("false");
	case JSON_NULL:
		return NULL;
	default: {
		char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		char *r = xstrdup(s != NULL ? s : "");
		free(s);
		return r;
	}
	}
}

/* The defaults.json entry for a flag: its long name, then each alias, in order. */
static const json_t *defaults_entry(const json_t *defaults, const struct flag_def *d)
{
	const json_t *j = json_object_get(defaults, d->name);
	const char *p = d->aliases;

	while (j == NULL && p != NULL && *p != '\0') {
		const char *end = strchr(p, ',');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char *key = xasprintf("%.*s", (int)n, p);
		j = json_object_get(defaults, key);
		free(key);
		p = end != NULL ? end + 1 : NULL;
	}
	return j;
}

int flag_set_apply_defaults(struct flag_set *fs, const json_t *defaults, struct error *err)
{
	if (!json_is_object(defaults))
		return 0;
	for (size_t i = 0; i < fs->n; i++) {
		struct flag_value *v = &fs->v[i];
		const json_t *j;
		char *text;

		if (v->src != FLAG_SRC_NONE || (v->def->opts & FLAG_NO_DEFAULTS) != 0)
			continue;
		j = defaults_entry(defaults, v->def);
		if (j == NULL || json_is_null(j))
			continue;
		if (v->def->type == FLAG_LIST && json_is_array(j)) {
			size_t k;
			const json_t *e;
			strv_free(&v->list);
			json_array_foreach(j, k, e)
			{
				text = json_text(e);
				if (text != NULL)
					strv_push(&v->list, text);
				free(text);
			}
			v->src = FLAG_SRC_DEFAULTS;
			continue;
		}
		text = json_text(j);
		if (v->def->type == FLAG_LIST) {
			set_list_csv(v, text, FLAG_SRC_DEFAULTS);
		} else if (set_value(v, text, FLAG_SRC_DEFAULTS, err) != 0) {
			err_set(err, ERR_INVALID, "invalid value '%s' for '%s' in defaults.json",
				text, v->def->name);
			free(text);
			return -1;
		}
		free(text);
	}
	return 0;
}

void flag_set_apply_builtin(struct flag_set *fs, const char *effective_path)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct flag_value *v = &fs->v[i];
		const struct flag_def *d = v->def;

		if (v->src != FLAG_SRC_NONE || d->def == NULL)
			continue;
		if ((d->opts & FLAG_PATH_DEFAULT) != 0) {
			if (effective_path == NULL)
				continue;
			free(v->str);
			v->str = path_join(effective_path, d->def);
		} else if (d->type == FLAG_BOOL) {
			bool b = false;
			flag_parse_bool(d->def, &b);
			free(v->str);
			v->str = xstrdup(b ? "true" : "false");
			v->b = b;
		} else if (d->type == FLAG_LIST) {
			set_list_csv(v, d->def, FLAG_SRC_BUILTIN);
		} else {
			free(v->str);
			v->str = xstrdup(d->def);
		}
		v->src = FLAG_SRC_BUILTIN;
	}
}
