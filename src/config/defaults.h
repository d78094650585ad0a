/* defaults.h - the CLI's defaults.json and contexts, as step writes them in $STEPPATH. */
#ifndef STRIDE_CONFIG_DEFAULTS_H
#define STRIDE_CONFIG_DEFAULTS_H

#include <jansson.h>
#include <stdbool.h>

#include "base/error.h"

/* $STRIDEPATH, or ~/.stride; malloc'd. */
char *stride_base_path(void);
/* The effective path: base, or base/authorities/<authority> when a context is active
 * (context_name NULL = the current context, if any). malloc'd. */
int stride_effective_path(const char *context_name, char **out, struct error *err);
/* Loads the merged defaults of the active context/profile into a JSON object (empty object
 * when no file exists). Keys context/profile/authority are dropped with a warning. */
int defaults_load(const char *context_name, json_t **out, struct error *err);
/* The context in effect: context_name if given, else the one in current-context.json, else the
 * only one defined. *name, *authority, *profile are malloc'd, or all NULL when no contexts are
 * defined. Unknown context -> ERR_NOT_FOUND "context '<n>' not found"; several contexts and none
 * current -> ERR_INVALID (the CLI may prompt instead). */
int stride_context_resolve(const char *context_name, char **name, char **authority, char **profile,
			   struct error *err);
/* Reads a JSON file that must hold an object (at most 1 MiB). A missing file gives an empty
 * object with *exists false, a blank one an empty object; malformed JSON -> ERR_INVALID "error
 * parsing <path>: <why> at line L column C". *out owned by the caller. exists may be NULL. */
int config_json_load_object(const char *path, json_t **out, bool *exists, struct error *err);

/* True when s can name a context, authority or profile (one directory name, not "." or ".."). */
bool stride_context_name_valid(const char *s);
/* Adds or replaces a context {profile, authority} in $STRIDEPATH/contexts.json (mode 0600,
 * 4-space indentation) and makes it current in current-context.json. */
int stride_context_add(const char *name, const char *authority, const char *profile,
		       struct error *err);
/* True when contexts.json defines at least one context. */
bool stride_contexts_enabled(void);

#endif
