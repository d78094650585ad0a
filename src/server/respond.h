/* respond.h - HTTP responses of stride-ca: step's error body and message rules.
 *
 * The mapping from a struct error to a status and a client-visible message is
 * base/http_error.h's (http_error_map), so that step-ca's rules for error statuses and
 * messages are applied the same way everywhere. The senders take a request context
 * (server/internal.h).
 */
#ifndef STRIDE_SERVER_RESPOND_H
#define STRIDE_SERVER_RESPOND_H

#include <jansson.h>
#include <stddef.h>

#include "base/error.h"
#include "base/http_error.h" /* http_error_map, http_error_body, ... */

struct request_ctx;

/* Sends body (len bytes) with status and content_type (NULL = no Content-Type). For HEAD the
 * headers (including Content-Length) are sent without the body. */
void respond_raw(struct request_ctx *rc, int status, const char *content_type, const void *body,
		 size_t len);
/* Sends a JSON document (reference stolen) followed by "\n" with Content-Type
 * application/json. */
/* Sends a body already in an evbuffer (drained by the call). */
struct evbuffer;
void respond_buffer(struct request_ctx *rc, int status, const char *content_type,
		    struct evbuffer *body);
void respond_json(struct request_ctx *rc, int status, json_t *doc);
/* Sends step's error body for err (status and message from http_error_map) and records the
 * internal detail for the request log. */
void respond_error(struct request_ctx *rc, const struct error *err);
/* Sends step's error body with the generic message of status. */
void respond_status(struct request_ctx *rc, int status);

#endif
