/* internal.h - what the files of src/acme share.
 *
 * What the engine keeps, as store records (store.h), each value a JSON document:
 *
 * collection        id                        owner        value
 * acme_secrets      "nonce-key"               -            {"key":"<b64url 32 bytes>"}
 * acme_nonces       a used nonce              -            {} (expires with the nonce)
 * acme_accounts     account ID                -            {"status","contact":[..],"jwk":{..},
 *                                                           "thumbprint","provisioner",
 *                                                           "location","eabKeyID","createdAt"}
 * acme_account_keys JWK thumbprint            -            {"account":"<ID>"}
 * acme_orders       order ID                  account ID   {"status","expires","identifiers",
 *                                                           "notBefore","notAfter",
 *                                                           "authorizations":[IDs],
 *                                                           "provisioner","certificate","error"}
 * acme_authzs       authorization ID          account ID   {"identifier","status","expires",
 *                                                           "wildcard","token","order",
 *                                                           "challenges":[{"id","type","status",
 *                                                           "validated","error","started"}]}
 * acme_certs        certificate ID            account ID   {"serial","order","der":"<b64url>"}
 * acme_eab_keys     key ID                    provisioner  {"id","provisioner","reference",
 *                                                           "hmacKey","createdAt","boundAt",
 *                                                           "account"}
 * acme_eab_refs     hex SHA-256(prov NUL ref) provisioner  {"id":"<key ID>"}
 *
 * Times in values are RFC 3339 UTC strings. IDs are 32 random characters [A-Za-z0-9].
 */
#ifndef STRIDE_ACME_INTERNAL_H
#define STRIDE_ACME_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme/acme.h"
#include "acme/problem.h"
#include "authority/internal.h"
#include "base/error.h"

#define ACME_COL_SECRETS      "acme_secrets"
#define ACME_COL_NONCES	      "acme_nonces"
#define ACME_COL_ACCOUNTS     "acme_accounts"
#define ACME_COL_ACCOUNT_KEYS "acme_account_keys"
#define ACME_COL_ORDERS	      "acme_orders"
#define ACME_COL_AUTHZS	      "acme_authzs"
#define ACME_COL_CERTS	      "acme_certs"
#define ACME_COL_EAB_KEYS     "acme_eab_keys"
#define ACME_COL_EAB_REFS     "acme_eab_refs"

#define ACME_ID_LEN 32

/* Fills out with ACME_ID_LEN random characters [A-Za-z0-9] and a NUL. */
int acme_random_id(char out[ACME_ID_LEN + 1], struct error *err);

/* --- jws.c: the JWS of every ACME POST (RFC 8555 §6.2) ---------------------------------- */

/* Longest body accepted (a finalize with an RSA-4096 CSR is about 3 KiB). */
#define ACME_JWS_MAX (64 * 1024)

/* A parsed ACME JWS (flattened JSON serialization, RFC 7515 §7.2.2; the compact form and the
 * general form with exactly one signature are accepted too). Members borrowed from header
 * are valid while the struct lives. */
struct acme_jws {
	json_t *header;	     /* the protected header (owned) */
	const char *alg;     /* "ES256", ... */
	const char *nonce;   /* NULL when absent */
	const char *url;     /* NULL when absent */
	const char *kid;     /* NULL when absent */
	json_t *jwk;	     /* borrowed from header; NULL when absent */
	uint8_t *payload;    /* the decoded payload bytes (owned, NUL-terminated); */
	size_t payload_len;  /* 0: POST-as-GET */
	char *signing_input; /* "<protected b64>.<payload b64>" (owned) */
	size_t signing_input_len;
	uint8_t *sig; /* decoded signature (owned) */
	size_t sig_len;
};

/* Parses body (at most ACME_JWS_MAX bytes): JSON (flattened/general) or compact; one
 * signature; no unprotected header; protected header with "alg"; exactly one of "jwk" and
 * "kid"; "alg" one of RS256/384/512, PS256/384/512, ES256/384/512, EdDSA (else
 * badSignatureAlgorithm); "none" and HMAC algs refused; an embedded "jwk" must suit "alg" (type,
 * curve, RSA >= 2048 bits, no private member; step-ca checks it here too). Does not verify.
 * Failures: malformed (with what is wrong) or badSignatureAlgorithm. */
int acme_jws_parse(const uint8_t *body, size_t len, struct acme_jws *out, struct acme_problem *p);
/* Verifies j's signature with key: the key must suit alg (RSA >= 2048 bits for RS and PS; the
 * curve of ES256/384/512; Ed25519 for EdDSA), a "jwk" with its own "alg" must equal alg.
 * An ES signature one or two bytes short (a leading zero of R or S dropped) is retried padded.
 * Failures: malformed with the reason (serverInternal when OpenSSL itself fails). */
int acme_jws_verify(const struct acme_jws *j, EVP_PKEY *key, struct acme_problem *p);
/* The public key of j's "jwk" (RSA, EC P-256/384/521, OKP Ed25519; a private key member is
 * refused: malformed). *out owned by the caller. */
int acme_jws_jwk_key(const struct acme_jws *j, EVP_PKEY **out, struct acme_problem *p);
/* Frees what acme_jws_parse allocated; safe on a zeroed struct. */
void acme_jws_free(struct acme_jws *j);

/* External Account Binding (RFC 8555 §7.3.4): the inner JWS of new-account's
 * "externalAccountBinding" member. */
struct acme_eab {
	json_t *header;	 /* owned */
	const char *alg; /* HS256, HS384 or HS512 */
	const char *kid; /* the EAB key ID */
	json_t *payload; /* the JWK it binds (owned) */
	char *signing_input;
	size_t signing_input_len;
	uint8_t *sig;
	size_t sig_len;
};
/* Parses the EAB object: flattened JWS, alg HS256/384/512, non-empty kid, no nonce, url equal
 * to outer_url, payload a JWK. Failures: malformed with the reason. */
int acme_eab_parse(const json_t *eab, const char *outer_url, struct acme_eab *out,
		   struct acme_problem *p);
/* Checks the HMAC of e with key (constant time). Failure: unauthorized. */
int acme_eab_verify(const struct acme_eab *e, const uint8_t *key, size_t key_len,
		    struct acme_problem *p);
/* Frees what acme_eab_parse allocated; safe on a zeroed struct. */
void acme_eab_free(struct acme_eab *e);

/* --- nonce.c: anti-replay nonces (RFC 8555 §6.5) ---------------------------------------- */

/* Nonces are stateless to hand out: base64url of (issue time, random, MAC under a key all
 * instances share). A nonce is valid when its MAC is right and it is younger than
 * ACME_NONCE_LIFETIME; its single use is recorded in ACME_COL_NONCES (a conflicting insert is
 * a reuse) until it would have expired anyway. */
#define ACME_NONCE_LEN	       43 /* characters */
#define ACME_NONCE_KEY_LEN     32
#define ACME_NONCE_LIFETIME_NS (3600LL * 1000000000LL)

/* A new nonce issued at now_ns. */
int acme_nonce_new(const uint8_t key[ACME_NONCE_KEY_LEN], int64_t now_ns,
		   char out[ACME_NONCE_LEN + 1], struct error *err);
/* Whether nonce is one of ours (MAC), issued no later than now_ns and not older than the
 * lifetime: 0 with *issued_ns (the issue time to the millisecond), or -1 (badNonce with the
 * reason: "nonce is not one this server issued", "nonce has expired", "nonce was issued in the
 * future"). */
int acme_nonce_check(const uint8_t key[ACME_NONCE_KEY_LEN], const char *nonce, int64_t now_ns,
		     int64_t *issued_ns, struct acme_problem *p);

/* --- validate*.c: challenge validation (RFC 8555 §8, RFC 8737, RFC 8738) ------------------ */

enum acme_chall_type { ACME_CH_HTTP01, ACME_CH_DNS01, ACME_CH_TLSALPN01, ACME_CH_UNKNOWN };
/* "http-01" ... ; NULL for ACME_CH_UNKNOWN. */
const char *acme_chall_name(enum acme_chall_type t);
enum acme_chall_type acme_chall_from_name(const char *name);

struct acme_validate_cfg {
	const char *resolver; /* "host:port" (IPv6: "[::1]:53") or NULL: the system's */
	int http_port;	      /* 0 = 80 */
	int tls_port;	      /* 0 = 443 */
	int timeout_ms;	      /* the whole validation; 0 = 30000 */
};

/* Validates one challenge, blocking (a validator thread), within cfg->timeout_ms:
 * - http-01: GET http://<value>[:port]/.well-known/acme-challenge/<token> (IPv6 bracketed),
 *   names resolved through /etc/hosts, then the resolver; at most 10 redirects; the body
 *   (at most 8 KiB), trimmed of surrounding whitespace, must equal key_authorization;
 * - dns-01: TXT of _acme-challenge.<value> through the resolver; one string must equal
 *   base64url(SHA-256(key_authorization));
 * - tls-alpn-01: TLS to <value>[:port] with ALPN acme-tls/1 and SNI <value> (an IP: its
 *   reverse name, RFC 8738 §6); the certificate must have exactly that one SAN and a
 *   critical id-pe-acmeIdentifier whose value is SHA-256(key_authorization).
 * ident_type is "dns" or "ip". Returns 0 when valid; -1 with p set: connection (connect
 * error, timeout, HTTP status >= 400, too many redirects), dns (lookup failed, NXDOMAIN), tls
 * (handshake failure, ALPN not acme-tls/1), incorrectResponse (body, TXT or certificate
 * mismatch: expected vs received, quoted and cut) or malformed (arguments the engine should
 * not pass: an ip value that is no address, dns-01 for an ip, an unknown type). */
int acme_validate(const struct acme_validate_cfg *cfg, enum acme_chall_type type,
		  const char *ident_type, const char *value, const char *token,
		  const char *key_authorization, struct acme_problem *p);

/* --- path.c: the URL layout ------------------------------------------------------------- */

enum acme_res {
	ACME_RES_UNKNOWN = 0, /* under a provisioner, but no such resource: 404 */
	ACME_RES_DIRECTORY,
	ACME_RES_NEW_NONCE,
	ACME_RES_NEW_ACCOUNT,
	ACME_RES_ACCOUNT,	 /* /account/{id1} */
	ACME_RES_ACCOUNT_ORDERS, /* /account/{id1}/orders */
	ACME_RES_NEW_ORDER,
	ACME_RES_ORDER,	    /* /order/{id1} */
	ACME_RES_FINALIZE,  /* /order/{id1}/finalize */
	ACME_RES_AUTHZ,	    /* /authz/{id1} */
	ACME_RES_CHALLENGE, /* /challenge/{id1 = authz}/{id2 = challenge} */
	ACME_RES_CERT,	    /* /certificate/{id1} */
	ACME_RES_REVOKE,
	ACME_RES_KEY_CHANGE,
};

#define ACME_PATH_PROV_MAX 256
#define ACME_PATH_ID_MAX   64

struct acme_path {
	char prov[ACME_PATH_PROV_MAX + 1]; /* the provisioner name, percent-decoded */
	enum acme_res res;
	char id1[ACME_PATH_ID_MAX + 1];
	char id2[ACME_PATH_ID_MAX + 1];
};

/* Parses an ACME path (raw, no query): -1 when it is not under /acme/{prov} or /2.0/acme/{prov}
 * (or the name does not decode); else 0 with the resource (ACME_RES_UNKNOWN for anything
 * else under the provisioner). */
int acme_path_parse(const char *path, size_t len, struct acme_path *out);

/* --- engine.c: one request from acme_handle to done ------------------------------------- */

#define ACME_KEY_CACHE_SLOTS 128

/* An account key as parsed from its record (keycache.c). */
struct acme_cached_key {
	char thumbprint[48]; /* RFC 7638, base64url: 43 characters */
	char account[ACME_ID_LEN + 1];
	EVP_PKEY *key; /* a reference; NULL: empty slot */
};

struct acme {
	struct authority *a;
	struct store *store;
	char *resolver;
	struct acme_validate_cfg vcfg;
	uint8_t nonce_key[ACME_NONCE_KEY_LEN];
	struct pool *validators; /* challenge validations */
	pthread_mutex_t keys_lock;
	struct acme_cached_key keys[ACME_KEY_CACHE_SLOTS];
};

/* --- keycache.c ---------------------------------------------------------------------------- */

/* The key of account (its record's "thumbprint" and "jwk"): a cached one, else jwk_to_pkey's,
 * then cached. *out is a new reference. Failure: jwk_to_pkey's. */
int acme_account_key(struct acme *ac, const char *account, const char *thumbprint,
		     const json_t *jwk, EVP_PKEY **out, struct error *err);
/* Drops every cached key (acme_free). */
void acme_account_keys_free(struct acme *ac);

/* An account as read for a request signed with its kid. */
struct acme_account {
	char id[ACME_ID_LEN + 1];
	json_t *rec; /* the record's value (owned) */
	int64_t version;
	char thumbprint[44];
};

/* One request, from acme_handle to its answer; freed after done has run. */
struct acme_call {
	struct pool_job job; /* first: the call may run on the authority's pool */
	struct acme *ac;
	struct acme_request req;
	acme_done_fn done;
	void *arg;
	struct acme_path path;
	const struct provisioner *prov; /* in set */
	struct prov_set *set;		/* a reference, dropped when the call ends */
	char *base;			/* "https://<host>/acme/<escaped provisioner>" */
	char *url;			/* "https://<host><path>": what the JWS "url" must be */
	int64_t now_ns;
	struct acme_response resp;
	/* the JWS */
	struct acme_jws jws;
	json_t *payload; /* the payload as JSON (NULL for POST-as-GET) */
	EVP_PKEY *key;	 /* the key that signed */
	bool has_account;
	struct acme_account acct;
	bool nonce_valid; /* the nonce passed its checks: its use is committed, whatever the answer
			   */
	int64_t nonce_expires_ns;
	int attempts; /* runs of the handler (a record changed under it: retried) */
	/* after a commit */
	void (*then)(struct acme_call *c, struct store_txn *t);
	void *scratch; /* the handler's state across its commit */
	void (*scratch_free)(void *scratch);
};

/* The answers. Each ends the call: done runs and c is freed. acme_reply_* answer at once (after
 * a commit, or before the nonce was checked); acme_answer_* first commit the use of the nonce
 * (a read: POST-as-GET). */
void acme_answer_json(struct acme_call *c, int status, json_t *body, const char *location);
void acme_answer_raw(struct acme_call *c, int status, const char *content_type, char *body,
		     size_t len);
void acme_reply_json(struct acme_call *c, int status, json_t *body, const char *location);
void acme_reply_problem(struct acme_call *c, const struct acme_problem *p);
void acme_reply_raw(struct acme_call *c, int status, const char *content_type, char *body,
		    size_t len);
/* Commits t (NULL: only the nonce's use) with the use of the request's nonce, then runs then
 * (on the committing thread): t's results are set; then owns nothing of t. A nonce used
 * meanwhile answers badNonce; a failed commit its error; neither reaches then. */
void acme_commit(struct acme_call *c, struct store_txn *t,
		 void (*then)(struct acme_call *c, struct store_txn *t));
/* Fails c with p, committing the use of its nonce first when it was valid. */
void acme_fail_call(struct acme_call *c, const struct acme_problem *p);
/* Runs the request's handler again from its start (a record changed under it), at most a few
 * times; then serverInternal. */
void acme_retry(struct acme_call *c);

/* URLs of the objects, under c->base (malloc'd), and the same as a JSON string. */
char *acme_url(const struct acme_call *c, const char *kind, const char *id, const char *id2);
json_t *acme_json_url(const struct acme_call *c, const char *kind, const char *id, const char *id2);

/* --- records.c: reading and writing the engine's documents ------------------------------- */

/* Reads record id of collection: 0 with *found and, when found, *value (owned JSON),
 * *version and *owner (malloc'd, may be NULL; pass NULL to ignore). An id the store cannot hold
 * (empty, longer than STORE_RECORD_ID_MAX) is not found. -1: p set (503 or 500). */
int acme_rec_get(struct acme *ac, const char *collection, const char *id, bool *found,
		 json_t **value, int64_t *version, char **owner, struct acme_problem *p);
/* Reads record id of collection that the signing account must own: 404 (malformed) when
 * absent, 401 when another account's; what names it in the detail ("order"). *rec owned. */
int acme_rec_owned(struct acme_call *c, const char *collection, const char *what, const char *id,
		   json_t **rec, int64_t *version, struct acme_problem *p);
/* Adds a record change with value as compact JSON to t. */
void acme_txn_rec(struct store_txn *t, int op, const char *collection, const char *id,
		  const char *owner, const json_t *value, int64_t version, int64_t expires_ns);
/* RFC 3339 (UTC, seconds) of t_ns in a JSON string (new reference). */
json_t *acme_json_time(int64_t t_ns);
/* A time member of obj (RFC 3339) in ns; 0 when absent or malformed. */
int64_t acme_get_time(const json_t *obj, const char *key);
/* A string member of obj, or "" */
const char *acme_get_str(const json_t *obj, const char *key);

/* --- the resources: account.c, order.c, authz.c, cert.c -------------------------------- */

void acme_new_account(struct acme_call *c);
void acme_account(struct acme_call *c);
void acme_account_orders(struct acme_call *c);
void acme_key_change(struct acme_call *c);
void acme_new_order(struct acme_call *c);
void acme_order(struct acme_call *c);
void acme_finalize(struct acme_call *c);
void acme_authz(struct acme_call *c);
void acme_challenge(struct acme_call *c);
void acme_certificate(struct acme_call *c);
void acme_revoke(struct acme_call *c);

/* Pending orders and authorizations expire this long after they are made; their records are
 * kept ACME_RECORD_KEEP_NS longer. */
#define ACME_ORDER_LIFETIME_NS (24 * 3600 * INT64_C(1000000000))
#define ACME_RECORD_KEEP_NS    (30 * 24 * 3600 * INT64_C(1000000000))

/* Reads the order of the URL (id1); it must be the signer's and the URL's provisioner's (401),
 * absent: 404. *rec owned by the caller. */
int acme_order_load(struct acme_call *c, json_t **rec, int64_t *version, struct acme_problem *p);
/* Answers with order id (Location: its URL) in status; Retry-After while pending. commit: the
 * nonce's use first (a read). */
void acme_order_reply(struct acme_call *c, int status_code, const char *id, const json_t *rec,
		      const char *status, bool commit);
/* The status of an order now (its authorizations read): "pending", "ready", "valid" or
 * "invalid". */
int acme_order_status(struct acme *ac, const json_t *order, int64_t now_ns, const char **status,
		      struct acme_problem *p);
/* The status of an authorization record now ("expired" once past its expiry while pending). */
const char *acme_authz_status(const json_t *authz, int64_t now_ns);
/* The key authorization of token for an account key thumbprint (RFC 8555 §8.1); malloc'd. */
char *acme_key_authorization(const char *token, const char *thumbprint);

#endif
