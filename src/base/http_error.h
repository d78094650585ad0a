/* http_error.h - step-ca's error statuses, messages and error body, as pure functions.
 *
 * The mapping from a struct error to a status and a client-visible message lives in one
 * function (http_error_map) so that step-ca's rules are applied the same way by stride-ca's
 * server and by the engines that build their answers themselves, and can be unit-tested
 * without a network.
 */
#ifndef STRIDE_BASE_HTTP_ERROR_H
#define STRIDE_BASE_HTTP_ERROR_H

#include <stddef.h>

#include "base/error.h"

/* step-ca's sentence before the text of an exposed 403. */
#define HTTP_FORBIDDEN_PREFIX "The request was forbidden by the certificate authority: "

/* Maps an error to its HTTP status and writes the message a client may read (at most n bytes,
 * NUL included) into msg: an exposed verbatim text (err_set_verbatim) is shown as it is, other
 * exposed 400/403 texts are wrapped in step's sentences, exposed 401/404 texts are shown as they
 * are, everything else gets step's generic text. */
int http_error_map(const struct error *err, char *msg, size_t n);
/* step's generic message for a status ("The request could not be completed; ..."). */
void http_generic_message(int status, char *out, size_t n);
/* The error body {"status":N,"message":"..."} plus "\n"; malloc'd, caller frees. */
char *http_error_body(int status, const char *message);
/* The reason phrase of a status ("Created"); "Unknown" for codes we never send. */
const char *http_reason(int status);

#endif
