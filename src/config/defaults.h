/* defaults.h - the CLI's defaults.json and contexts (files.md §3-4). */
#ifndef STRIDE_CONFIG_DEFAULTS_H
#define STRIDE_CONFIG_DEFAULTS_H

#include <jansson.h>

#include "base/error.h"

/* $STRIDEPATH, or ~/.stride; malloc'd. */
char *stride_base_path(void);
/* The effective path: base, or base/authorities/<authority> when a context is active
 * (context_name NULL = the current context, if any). malloc'd. */
int stride_effective_path(const char *context_name, char **out, struct error *err);
/* Loads the merged defaults of the active context/profile into a JSON object (empty object
 * when no file exists). Keys context/profile/authority are dropped with a warning. */
int defaults_load(const char *context_name, json_t **out, struct error *err);

#endif
