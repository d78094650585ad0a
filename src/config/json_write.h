/* json_write.h - writes JSON documents (ca.json, defaults.json, contexts.json) laid out and
 * escaped the way step writes them with Go's encoding/json; see json_write.c. */
#ifndef STRIDE_CONFIG_JSON_WRITE_H
#define STRIDE_CONFIG_JSON_WRITE_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/error.h"

/* Writes a JSON document the way step does (tab indentation, trailing newline), atomically,
 * with mode. indent_tabs > 0: one tab per level; 0: two spaces (bootstrap's defaults.json);
 * < 0: -indent_tabs spaces (contexts.json uses 4). Keys keep their insertion order. */
int config_write_json(const char *path, const json_t *doc, int indent_tabs, mode_t mode,
		      struct error *err);
/* Formats doc like config_write_json into a malloc'd, NUL-terminated text (*len bytes, with the
 * trailing newline); strings are escaped like Go's encoding/json. Caller frees. */
int config_json_format(const json_t *doc, int indent_tabs, char **out, size_t *len,
		       struct error *err);

#endif
