/* fuzz_router.c - the routing table and URL helpers on arbitrary request targets.
 *
 * The first byte picks the method, the rest is the request target as evhttp would pass it
 * (not NUL-terminated for router_match; a NUL-terminated copy for the query helpers).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/url.h"
#include "server/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum http_method methods[] = {HTTP_GET,   HTTP_HEAD,   HTTP_POST,
						   HTTP_PUT,   HTTP_DELETE, HTTP_OPTIONS,
						   HTTP_PATCH, HTTP_OTHER};
	struct route_match m;
	char *copy, *value = NULL;
	char out[ROUTE_PARAM_MAX + 1];

	if (size == 0)
		return 0;
	router_match(methods[data[0] % (sizeof(methods) / sizeof(methods[0]))],
		     (const char *)data + 1, size - 1, &m);
	if (m.status == ROUTE_FOUND) {
		if ((unsigned)m.id >= ROUTE_COUNT || strlen(m.param) > ROUTE_PARAM_MAX)
			abort();
		(void)route_name(m.id);
	} else if (m.status == ROUTE_BAD_METHOD && m.allow[0] == '\0') {
		abort();
	}
	(void)url_unescape((const char *)data + 1, size - 1, data[0] & 1, out, ROUTE_PARAM_MAX);
	copy = malloc(size);
	if (copy == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	query_get(copy, "limit", &value);
	free(value);
	query_get(copy, "", &value);
	free(value);
	free(copy);
	return 0;
}
