/* json_flat.h - a fast reader for the common shape of request bodies and token parts: one flat
 * JSON object of ASCII strings, integers and arrays of strings. */
#ifndef STRIDE_BASE_JSON_FLAT_H
#define STRIDE_BASE_JSON_FLAT_H

#include <jansson.h>
#include <stddef.h>

/* The object json_loadb(data, len, flags, ...) returns, when data is an object whose keys are
 * strings and whose values are strings, integers or arrays of strings, every string of
 * printable ASCII with no \u escape; NULL for anything else, which the caller then reads with
 * json_loadb, so every other input, and every error, is jansson's. Of flags,
 * JSON_DISABLE_EOF_CHECK (what follows the object is not read; without it only white space
 * may follow) and JSON_REJECT_DUPLICATES (a repeated key is refused; without it the later
 * value replaces the earlier) act as in jansson; the others do not change what an object
 * reads as. */
json_t *json_flat_loadb(const char *data, size_t len, size_t flags);

#endif
