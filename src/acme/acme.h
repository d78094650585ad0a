/* acme.h - the ACME server (RFC 8555, RFC 8737 tls-alpn-01, RFC 8738 IP identifiers) on top of
 * the authority.
 *
 * The ACME engine is part of the authority layer: it keeps its accounts, orders,
 * authorizations, nonces and EAB keys as store records, issues through the same code as /sign,
 * and knows nothing of HTTP connections. stride-ca's server turns an HTTP request under
 * /acme/{provisioner}/... (or /2.0/acme/...) into a struct acme_request, and sends back the
 * struct acme_response the engine completes it with. `stride ca acme eab ...` manages EAB keys
 * through the same layer, in-process on the store.
 */
#ifndef STRIDE_ACME_ACME_H
#define STRIDE_ACME_ACME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

struct authority;
struct acme;

/* stride-ca's ACME flags. */
struct acme_options {
	const char *resolver;	 /* "host:port" of the DNS server for every ACME lookup, or NULL */
	int http_port;		 /* where http-01 is checked: 0 = 80 */
	int tls_port;		 /* where tls-alpn-01 is checked: 0 = 443 */
	int validate_timeout_ms; /* one validation at most: 0 = 30 s */
	int validators;		 /* concurrent validations: 0 = default */
};

/* Checks a resolver address (stride-ca --resolver): an IP address with an optional port,
 * "127.0.0.1:5353", "[::1]:53", "127.0.0.1". Failure: ERR_INVALID saying the expected form. */
int acme_resolver_check(const char *resolver, struct error *err);

/* Starts the ACME engine of authority a (which must outlive it). */
int acme_new(struct authority *a, const struct acme_options *opts, struct acme **out,
	     struct error *err);
/* Waits for the validations under way, then frees. NULL is a no-op. */
void acme_free(struct acme *ac);

enum acme_method { ACME_GET, ACME_HEAD, ACME_POST };

/* One HTTP request under an ACME prefix, as the server read it. Everything is borrowed and
 * must stay valid until done has run. */
struct acme_request {
	enum acme_method method;
	const char *path;	  /* the raw request path, without query ("/acme/acme/new-order") */
	const char *host;	  /* the Host header, or NULL */
	const char *content_type; /* the Content-Type header, or NULL */
	const uint8_t *body;
	size_t body_len;
	const char *client; /* the client's address for logs, or NULL */
};

/* The answer. Strings malloc'd and owned by the response (acme_response_free). */
struct acme_response {
	int status;
	char *content_type; /* NULL: no body */
	char *body;
	size_t body_len;
	char *location;	      /* Location, or NULL */
	char *nonce;	      /* Replay-Nonce, or NULL */
	char *link_index;     /* the directory URL for Link rel="index", or NULL */
	char *link_up;	      /* Link rel="up", or NULL */
	char *link_alternate; /* Link rel="alternate", or NULL */
	int retry_after;      /* seconds for Retry-After; 0: none */
	bool no_store;	      /* Cache-Control: no-store */
	/* for the request log */
	char *error;	   /* the problem's detail, or NULL */
	char *serial;	   /* a certificate issued or revoked */
	char *provisioner; /* the ACME provisioner's name */
	/* for the audit record of a finalize */
	char *subject;	  /* the certificate's CN */
	struct strv sans; /* its SANs */
};
void acme_response_free(struct acme_response *r);

/* Called exactly once with the answer (owned by done: acme_response_free it), from the
 * caller's thread before acme_handle returns or later from another thread. */
typedef void (*acme_done_fn)(void *arg, struct acme_response *resp);

/* Whether path (raw, without query) is under /acme/ or /2.0/acme/. */
bool acme_path_is_acme(const char *path, size_t len);
/* Serves one ACME request. */
void acme_handle(struct acme *ac, const struct acme_request *req, acme_done_fn done, void *arg);

/* --- EAB keys (eab_keys.c): `stride ca acme eab ...` and the admin API ------------------ */

/* An External Account Binding key as step's API shows it. Strings malloc'd. */
struct acme_eab_key {
	char *id;	   /* the key ID clients send as the EAB kid */
	char *provisioner; /* ACME provisioner name */
	char *reference;   /* "" when none */
	char *hmac_key;	   /* base64url (unpadded) of the HMAC key; "" once bound */
	int64_t created_at_ns;
	int64_t bound_at_ns; /* 0: not bound */
	char *account;	     /* account ID once bound, else "" */
};
void acme_eab_key_free(struct acme_eab_key *k);
void acme_eab_keys_free(struct acme_eab_key *v, size_t n);

/* Creates a key for ACME provisioner prov (which must exist and be of type ACME) with an
 * optional reference (NULL or "": none; at most 256 bytes; unique per provisioner ->
 * ERR_CONFLICT). *out filled (acme_eab_key_free). */
int acme_eab_key_add(struct authority *a, const char *prov, const char *reference,
		     struct acme_eab_key *out, struct error *err);
/* Lists prov's keys (reference non-NULL and non-empty: only that one), in ID order after
 * cursor (NULL or "": from the start), at most limit (0: 20); *out (acme_eab_keys_free) and
 * *next_cursor malloc'd ("" at the end). */
int acme_eab_key_list(struct authority *a, const char *prov, const char *reference,
		      const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
		      char **next_cursor, struct error *err);
/* Reads prov's key id (unknown -> ERR_NOT_FOUND); *out filled (acme_eab_key_free). */
int acme_eab_key_get(struct authority *a, const char *prov, const char *id,
		     struct acme_eab_key *out, struct error *err);
/* Removes prov's key id and its reference, in one transaction (unknown -> ERR_NOT_FOUND). An
 * unknown provisioner is ERR_NOT_FOUND and one not of type ACME ERR_INVALID, for all three. */
int acme_eab_key_remove(struct authority *a, const char *prov, const char *id, struct error *err);

#endif
