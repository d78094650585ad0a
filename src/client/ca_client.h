/* ca_client.h - a small client for the CA's HTTP API (step-ca's, called as step calls it) on
 * libcurl.
 *
 * A client talks to one CA: a base URL reduced to https://host[:port], a pinned root
 * bundle that verifies the CA's TLS certificate (host name checked), and optionally a
 * client certificate + key for mutual TLS. Every request has a 15 s timeout, sends
 * `User-Agent: stride/<version>` and a fresh UUIDv4 `X-Request-Id`, and reads at most
 * CA_CLIENT_MAX_RESPONSE bytes.
 *
 * Errors: an HTTP status >= 400 becomes a struct error whose kind follows the status,
 * whose `status` field is the HTTP status and whose message is the CA's `message`
 * (exactly what step prints). A body that is not a CA error object gives
 * "failed decoding CA error response: ..." with `status` left 0 (so the CLI does not
 * print the "Re-run with STRIDEDEBUG=1" hint, like step). Transport failures are
 * ERR_NETWORK "client GET https://ca/health failed: <reason>".
 *
 * Renew/rekey/revoke use the same generic calls: ca_client_set_identity() attaches the
 * client certificate, ca_client_post_json() sends the request.
 */
#ifndef STRIDE_CLIENT_CA_CLIENT_H
#define STRIDE_CLIENT_CA_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

#define CA_CLIENT_MAX_RESPONSE	   (4u * 1024u * 1024u)
#define CA_CLIENT_TIMEOUT_SEC	   15L
#define CA_CLIENT_MAX_PAGES	   1000 /* provisioner pages before we call a server broken */
#define CA_CLIENT_PROVISIONER_PAGE 100

struct ca_client;

struct ca_client_config {
	const char *ca_url;   /* any form ca_url_normalize() accepts */
	const char *root_pem; /* trusted root bundle (PEM text, NUL-terminated); NULL = the
			       * system trust store (the CLI always passes one) */
	bool insecure;	      /* no TLS verification at all (only for bootstrap-style use) */
	long timeout_sec;     /* 0 = CA_CLIENT_TIMEOUT_SEC */
};

/* One request; ca_client_do() is the call every helper goes through. */
struct ca_request {
	const char *method; /* "GET", "POST", "PUT", "PATCH" or "DELETE" */
	const char *path;   /* absolute path with query, e.g. "/provisioners?limit=100" */
	const json_t *body; /* request body (serialised compactly) or NULL for an empty body */
	const char *bearer; /* "Authorization: Bearer <bearer>" when not NULL (never logged) */
	const char *authorization; /* "Authorization: <value>" as given (admin tokens, no
				    * Bearer); ignored when bearer is set (never logged) */
	bool insecure;	  /* skip TLS verification for this request only (GET /root/{sha}) */
	bool no_identity; /* do not present the client certificate on this request */
};

/* Initialises libcurl once per process (thread-safe); called by ca_client_new. */
int ca_client_global_init(struct error *err);

/* Normalises a CA URL as step does: "https://" prepended when there is no "://", the
 * scheme must be https, user info/path/query/fragment dropped, a bare IPv6 address
 * bracketed. *out malloc'd ("https://host[:port]"). */
int ca_url_normalize(const char *in, char **out, struct error *err);

/* Creates a client; *out owned by the caller (ca_client_free). */
int ca_client_new(const struct ca_client_config *cfg, struct ca_client **out, struct error *err);
/* Frees the client and wipes its key material; NULL is a no-op. */
void ca_client_free(struct ca_client *c);
/* The normalised base URL ("https://host[:port]"); owned by the client. */
const char *ca_client_url(const struct ca_client *c);
/* Sets (or with NULLs clears) the client certificate chain and unencrypted private key, both
 * PEM, presented for mutual TLS on later requests. The client keeps wiped copies. */
int ca_client_set_identity(struct ca_client *c, const char *cert_chain_pem, const char *key_pem,
			   struct error *err);

/* Performs a request. *status gets the HTTP status whenever a response arrived (also for
 * errors; 0 on transport failure). On status < 400 *out is the parsed JSON body (NULL
 * when the body is empty) owned by the caller; on >= 400 the call fails as described above. */
int ca_client_do(struct ca_client *c, const struct ca_request *req, long *status, json_t **out,
		 struct error *err);
/* GET path; see ca_client_do. status may be NULL. */
int ca_client_get_json(struct ca_client *c, const char *path, long *status, json_t **out,
		       struct error *err);
/* POST path with a JSON body (NULL = empty body); see ca_client_do. status may be NULL. */
int ca_client_post_json(struct ca_client *c, const char *path, const json_t *body, long *status,
			json_t **out, struct error *err);

/* Any request: method (GET, POST, PUT, PATCH, DELETE), path with query, a JSON body (NULL:
 * none) and the raw Authorization header value (NULL: none). Statuses and errors as
 * ca_client_do (on >= 400 err carries the CA's "message" and the status). status may be NULL. */
int ca_client_request(struct ca_client *c, const char *method, const char *path, const json_t *body,
		      const char *authorization, long *status, json_t **out, struct error *err);

/* Turns an error response into err: kind from the status, err->status = status, message =
 * the body's "message" (or "failed decoding CA error response: ..." with status 0). */
int ca_client_decode_error(long status, const char *body, size_t len, struct error *err);
/* The error kind a CA's HTTP status maps to (400 -> ERR_INVALID, 401 -> ERR_UNAUTHORIZED...). */
enum err_kind ca_client_status_kind(long status);

/* GET /health; *status_out = the "status" value ("ok"); malloc'd. */
int ca_client_health(struct ca_client *c, char **status_out, struct error *err);
/* GET /root/{fingerprint} without TLS verification, then checks that SHA-256 of the DER equals
 * the fingerprint ("root certificate fingerprint does not match"). *pem = the root as one
 * PEM block; malloc'd. The fingerprint is accepted in any case, with '-' or ':' separators. */
int ca_client_root(struct ca_client *c, const char *fingerprint, char **pem, struct error *err);
/* GET /roots; *pem = all roots as concatenated PEM; malloc'd. */
int ca_client_roots(struct ca_client *c, char **pem, struct error *err);
/* GET /federation; *pem = roots plus federated roots as concatenated PEM; malloc'd. */
int ca_client_federation(struct ca_client *c, char **pem, struct error *err);
/* GET /provisioners page by page (limit=100) until nextCursor is ""; *out = one JSON array of
 * every provisioner object as sent (unknown types kept; callers filter); caller decrefs. */
int ca_client_provisioners(struct ca_client *c, json_t **out, struct error *err);
/* GET /provisioners/{kid}/encrypted-key; *key = the JWE compact string; malloc'd. */
int ca_client_provisioner_encrypted_key(struct ca_client *c, const char *kid, char **key,
					struct error *err);
/* POST /sign {"csr","ott","notBefore","notAfter"[, "templateData"]}; not_before/not_after are
 * sent as given ("" when NULL); template_data (borrowed) is added when not NULL. *out = the
 * SignResponse object; caller decrefs. */
int ca_client_sign(struct ca_client *c, const char *csr_pem, const char *ott,
		   const char *not_before, const char *not_after, const json_t *template_data,
		   json_t **out, struct error *err);

/* A random UUIDv4 in canonical form (36 characters + NUL). */
int ca_client_uuid4(char out[37], struct error *err);

#endif
