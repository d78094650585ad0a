/* http_fetch.h - one-shot HTTP requests to an OpenID Connect identity provider (discovery
 * document, JWKS, token endpoint), for the CA and the CLI alike.
 *
 * https URLs are verified with the system trust store; plain http is accepted only for a
 * loopback host (127.0.0.0/8, ::1, localhost), where a test or local identity provider runs,
 * so that no key set travels unprotected over a network. No proxy is used for loopback hosts.
 * At most HTTP_FETCH_MAX_BODY bytes are read; redirects are followed (at most 5, https only,
 * or http to loopback when the request was). Safe to call from any thread.
 */
#ifndef STRIDE_CLIENT_HTTP_FETCH_H
#define STRIDE_CLIENT_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define HTTP_FETCH_MAX_BODY    (1024u * 1024u)
#define HTTP_FETCH_TIMEOUT_SEC 10L

struct http_fetch_result {
	long status; /* the HTTP status */
	char *body;  /* NUL-terminated, malloc'd */
	size_t body_len;
	int64_t max_age; /* Cache-Control max-age in seconds, -1 when absent */
};

/* GET url (form == NULL) or POST the application/x-www-form-urlencoded form; any HTTP status
 * is a success here (the caller judges it). Transport failures: ERR_NETWORK "<what>: <curl's
 * reason>". */
int http_fetch(const char *url, const char *form, struct http_fetch_result *out, struct error *err);
void http_fetch_result_free(struct http_fetch_result *r);
/* Whether the URL's host is a loopback address or "localhost". */
bool http_url_is_loopback(const char *url);
/* configurationEndpoint with the well-known path joined to its path when it lacks it, as
 * step-ca and step do (".../realms/x" -> ".../realms/x/.well-known/openid-configuration");
 * malloc'd. */
char *oidc_discovery_url(const char *endpoint);
/* Percent-encodes s for a URL query or form value (RFC 3986 unreserved kept); malloc'd. */
char *http_form_escape(const char *s);

#endif
