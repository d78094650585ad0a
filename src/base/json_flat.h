/* json_flat.h - a fast reader for the common shape of a request body: one JSON object whose
 * values are all strings of printable ASCII. */
#ifndef STRIDE_BASE_JSON_FLAT_H
#define STRIDE_BASE_JSON_FLAT_H

#include <jansson.h>
#include <stddef.h>

/* The object json_loadb(data, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK) returns, when
 * data is an object whose keys and values are all strings of printable ASCII with no \u
 * escape (what follows its closing brace is not read, as with JSON_DISABLE_EOF_CHECK); NULL
 * for anything else, which the caller then reads with json_loadb, so every other input, and
 * every error, is jansson's. A later duplicate key replaces the earlier, as in jansson. */
json_t *json_flat_object_loadb(const char *data, size_t len);

#endif
