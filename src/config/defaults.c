/* defaults.c - $STRIDEPATH, contexts (contexts.json, current-context.json) and the merged CLI
 * defaults.json, as step writes them in $STEPPATH. */
#include "config/defaults.h"
#include "config/ca_config.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "base/str.h"

#define DEFAULTS_FILE_MAX (1024u * 1024u)

static const char *const forbidden_keys[] = {"context", "profile", "authority", NULL};

char *stride_base_path(void)
{
	const char *env = getenv("STRIDEPATH");
	char *p;
	size_t n;

	if (env != NULL && env[0] != '\0') {
		p = xstrdup(env);
	} else {
		const char *home = getenv("HOME");
		if (home == NULL || home[0] == '\0') {
			struct passwd *pw = getpwuid(getuid());
			home = pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : "/";
		}
		p = path_join(home, ".stride");
	}
	n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	return p;
}

int config_json_load_object(const char *path, json_t **out, bool *exists, struct error *err)
{
	uint8_t *text = NULL;
	size_t len = 0;
	json_error_t jerr;
	struct error ferr = {0};
	int rc = -1;

	*out = NULL;
	if (exists != NULL)
		*exists = false;
	if (file_read(path, DEFAULTS_FILE_MAX, &text, &len, &ferr) != 0) {
		if (ferr.kind == ERR_NOT_FOUND) {
			*out = json_object();
			return 0;
		}
		if (err != NULL)
			*err = ferr;
		return -1;
	}
	if (exists != NULL)
		*exists = true;
	if (len == strspn((const char *)text, " \t\r\n")) {
		*out = json_object(); /* an empty file is an empty document */
		rc = 0;
		goto out;
	}
	*out = json_loadb((const char *)text, len, 0, &jerr);
	if (*out == NULL) {
		err_set(err, ERR_INVALID, "error parsing %s: %s at line %d column %d", path,
			jerr.text, jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(*out)) {
		err_set(err, ERR_INVALID, "error parsing %s: the document must be a JSON object",
			path);
		json_decref(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	free(text);
	return rc;
}

bool stride_context_name_valid(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	       strcmp(s, "..") != 0;
}

/* Copies the "authority" and "profile" of context name out of contexts. */
static int context_fields(const json_t *contexts, const char *name, char **authority,
			  char **profile, struct error *err)
{
	json_t *ctx = json_object_get(contexts, name);
	const char *keys[2] = {"authority", "profile"};
	char **outs[2] = {authority, profile};

	if (ctx == NULL)
		return err_set(err, ERR_NOT_FOUND, "context '%s' not found", name);
	if (!json_is_object(ctx))
		return err_set(
		    err, ERR_INVALID,
		    "context '%s' must be an object; check your $STRIDEPATH/contexts.json "
		    "file",
		    name);
	for (int i = 0; i < 2; i++) {
		json_t *v = json_object_get(ctx, keys[i]);
		if (v == NULL || json_is_null(v) ||
		    (json_is_string(v) && json_string_value(v)[0] == '\0'))
			return err_set(err, ERR_INVALID,
				       "context cannot have an empty %s value; check your "
				       "$STRIDEPATH/contexts.json file",
				       keys[i]);
		if (!json_is_string(v) || !stride_context_name_valid(json_string_value(v)))
			return err_set(err, ERR_INVALID,
				       "context '%s' has an invalid %s value; check your "
				       "$STRIDEPATH/contexts.json file",
				       name, keys[i]);
		*outs[i] = xstrdup(json_string_value(v));
	}
	return 0;
}

/* The name in current-context.json, or NULL (malloc'd). */
static int current_context(const char *base, char **name, struct error *err)
{
	char *file = path_join(base, "current-context.json");
	json_t *doc = NULL, *v;
	int rc = -1;

	*name = NULL;
	if (config_json_load_object(file, &doc, NULL, err) != 0)
		goto out;
	v = json_object_get(doc, "context");
	if (v != NULL && !json_is_null(v) && !json_is_string(v)) {
		err_set(err, ERR_INVALID, "error parsing %s: context must be a string", file);
		goto out;
	}
	if (json_is_string(v) && json_string_value(v)[0] != '\0')
		*name = xstrdup(json_string_value(v));
	rc = 0;
out:
	json_decref(doc);
	free(file);
	return rc;
}

int stride_context_resolve(const char *context_name, char **name, char **authority, char **profile,
			   struct error *err)
{
	char *base = stride_base_path(), *file = path_join(base, "contexts.json"), *cur = NULL;
	json_t *contexts = NULL;
	int rc = -1;

	*name = *authority = *profile = NULL;
	if (config_json_load_object(file, &contexts, NULL, err) != 0)
		goto out;
	if (context_name != NULL && context_name[0] != '\0') {
		cur = xstrdup(context_name);
	} else if (json_object_size(contexts) == 0) {
		rc = 0; /* contexts are not in use */
		goto out;
	} else {
		if (current_context(base, &cur, err) != 0)
			goto out;
		if (cur != NULL && json_object_get(contexts, cur) == NULL) {
			err_set(
			    err, ERR_NOT_FOUND,
			    "context '%s' not found; check your $STRIDEPATH/current-context.json "
			    "file",
			    cur);
			goto out;
		}
		if (cur == NULL && json_object_size(contexts) == 1) {
			void *it = json_object_iter(contexts);
			cur = xstrdup(json_object_iter_key(it));
		}
		if (cur == NULL) {
			err_set(err, ERR_INVALID,
				"no current context: select one with --context <name>");
			goto out;
		}
	}
	if (context_fields(contexts, cur, authority, profile, err) != 0) {
		free(*authority);
		*authority = NULL;
		goto out;
	}
	*name = cur;
	cur = NULL;
	rc = 0;
out:
	json_decref(contexts);
	free(cur);
	free(file);
	free(base);
	return rc;
}

int stride_effective_path(const char *context_name, char **out, struct error *err)
{
	char *name = NULL, *authority = NULL, *profile = NULL, *base = NULL, *dir;

	*out = NULL;
	if (stride_context_resolve(context_name, &name, &authority, &profile, err) != 0)
		return -1;
	base = stride_base_path();
	if (name == NULL) {
		*out = base;
		return 0;
	}
	dir = path_join(base, "authorities");
	*out = path_join(dir, authority);
	free(dir);
	free(base);
	free(name);
	free(authority);
	free(profile);
	return 0;
}

static void drop_forbidden(json_t *doc)
{
	for (size_t i = 0; forbidden_keys[i] != NULL; i++) {
		if (json_object_get(doc, forbidden_keys[i]) == NULL)
			continue;
		fprintf(stderr, "cannot set '%s' attribute in config files\n", forbidden_keys[i]);
		json_object_del(doc, forbidden_keys[i]);
	}
}

int defaults_load(const char *context_name, json_t **out, struct error *err)
{
	char *name = NULL, *authority = NULL, *profile = NULL, *base = NULL, *eff = NULL;
	char *file = NULL;
	json_t *merged = NULL, *prof = NULL;
	int rc = -1;

	*out = NULL;
	if (stride_context_resolve(context_name, &name, &authority, &profile, err) != 0)
		goto out;
	base = stride_base_path();
	if (name != NULL) {
		char *dir = path_join(base, "authorities");
		eff = path_join(dir, authority);
		free(dir);
	} else {
		eff = xstrdup(base);
	}
	file = path_join(eff, "config/defaults.json");
	if (config_json_load_object(file, &merged, NULL, err) != 0)
		goto out;
	if (name != NULL) {
		free(file);
		file = xasprintf("%s/profiles/%s/config/defaults.json", base, profile);
		if (config_json_load_object(file, &prof, NULL, err) != 0)
			goto out;
		json_object_update(merged, prof); /* profile values win */
	}
	drop_forbidden(merged);
	*out = merged;
	merged = NULL;
	rc = 0;
out:
	json_decref(merged);
	json_decref(prof);
	free(file);
	free(eff);
	free(base);
	free(name);
	free(authority);
	free(profile);
	return rc;
}

int stride_context_add(const char *name, const char *authority, const char *profile,
		       struct error *err)
{
	char *base = stride_base_path();
	char *path = path_join(base, "contexts.json");
	char *current = path_join(base, "current-context.json");
	json_t *all = NULL, *cur = NULL;
	int rc = -1;

	if (!stride_context_name_valid(name) || !stride_context_name_valid(authority) ||
	    !stride_context_name_valid(profile)) {
		err_set(err, ERR_INVALID,
			"invalid context '%s': names must be usable as directory "
			"names",
			name);
		goto out;
	}
	if (file_mkdir_p(base, 0700, err) != 0 ||
	    config_json_load_object(path, &all, NULL, err) != 0)
		goto out;
	json_object_set_new(all, name,
			    json_pack("{s:s, s:s}", "profile", profile, "authority", authority));
	cur = json_pack("{s:s}", "context", name);
	if (config_write_json(path, all, -4, 0600, err) != 0 ||
	    config_write_json(current, cur, 0, 0644, err) != 0)
		goto out;
	rc = 0;
out:
	json_decref(cur);
	json_decref(all);
	free(current);
	free(path);
	free(base);
	return rc;
}

bool stride_contexts_enabled(void)
{
	char *base = stride_base_path();
	char *path = path_join(base, "contexts.json");
	json_t *all = NULL;
	bool on = false;

	if (config_json_load_object(path, &all, NULL, NULL) == 0)
		on = json_object_size(all) > 0;
	json_decref(all);
	free(path);
	free(base);
	return on;
}
