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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acme/acme.h"
#include "acme/problem.h"
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
 * badSignatureAlgorithm); "none" and HMAC algs refused. Does not verify. Failures: malformed
 * (with what is wrong) or badSignatureAlgorithm. */
int acme_jws_parse(const uint8_t *body, size_t len, struct acme_jws *out, struct acme_problem *p);
/* Verifies j's signature with key: the key must suit alg (RSA >= 2048 bits for RS and PS; the
 * curve of ES256/384/512; Ed25519 for EdDSA), a "jwk" with its own "alg" must equal alg.
 * Failures: malformed with the reason. */
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
 * lifetime: 0 with *issued_ns, or -1 (badNonce with the reason: "nonce is not one this server
 * issued", "nonce has expired"). */
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

/* Checks a resolver address (stride-ca --resolver): an IP address with an optional port,
 * "127.0.0.1:5353", "[::1]:53", "127.0.0.1". Failure: ERR_INVALID saying the expected form. */
int acme_resolver_check(const char *resolver, struct error *err);

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

#endif
