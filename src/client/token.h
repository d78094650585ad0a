/* token.h - building one-time tokens the way step's CLI does.
 *
 * Used by `stride ca token`, `certificate`, `sign` (online and offline).
 */
#ifndef STRIDE_CLIENT_TOKEN_H
#define STRIDE_CLIENT_TOKEN_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>

#include "base/error.h"
#include "base/str.h"

#define TOKEN_DEFAULT_LIFETIME_SEC 300

struct token_params {
	const char *issuer;	 /* provisioner name */
	const char *kid;	 /* JWS header kid */
	const char *subject;	 /* sub */
	const struct strv *sans; /* "sans" claim; NULL = no claim (revoke tokens) */
	const char *audience;	 /* full URL, e.g. https://ca:9000/1.0/sign */
	int64_t not_before_sec;	 /* nbf (and iat) */
	int64_t not_after_sec;	 /* exp */
	const char *root_sha;	 /* "sha" claim: root fingerprint, or NULL */
	const char *cnf;	 /* cnf x5rt#S256 value, or NULL */
	STACK_OF(X509) * x5c;	 /* X5C tokens: the chain for the "x5c" header, or NULL */
	const json_t *step;	 /* SSH sign tokens: the "step" claim (borrowed), or NULL */
	const json_t *user;	 /* the "user" claim (step's --set), or NULL */
};

/* Signs a provisioner token: header {alg, kid, typ:"JWT"[, x5c]}, claims aud, exp, iat, iss, jti
 * (64 random hex), nbf, sans, sha, step, sub, cnf. *out malloc'd; the caller wipes and frees it. */
int token_build(EVP_PKEY *key, const struct token_params *p, char **out, struct error *err);

/* Signs an x5cInsecure renew token (step's) with the key of the chain's leaf: header
 * {alg, kid = thumbprint of the key, typ, x5cInsecure = the chain as base64 DER}, claims aud,
 * exp, iat, iss "step-ca-client/1.0", jti, nbf, sub = the leaf's CN. step's CLI sends no jti;
 * a CA then keys the token by its content, so two tokens made in the same second would be one.
 * The key must match the leaf. *out malloc'd; the caller wipes and frees it. */
int token_build_renew(STACK_OF(X509) * chain, EVP_PKEY *key, const char *audience,
		      int64_t not_before_sec, int64_t not_after_sec, char **out, struct error *err);

/* The issuer of admin tokens (step's admin client). */
#define ADMIN_TOKEN_ISSUER "step-admin-client/1.0"

/* The subject step puts in admin tokens for this certificate: its CN, else its first DNS SAN,
 * else its first e-mail SAN, else "". malloc'd. */
char *token_admin_subject(X509 *leaf);

/* Signs an admin token (tokens.md §8): header {alg, kid = thumbprint of the key, typ:"JWT",
 * x5c = the chain as base64 DER, leaf first}, claims aud (string), exp = now + 5 min, iat,
 * iss ADMIN_TOKEN_ISSUER, jti (64 random hex), nbf = now, sub = token_admin_subject(leaf).
 * The key must match the leaf. *out malloc'd; the caller wipes and frees it. */
int token_build_admin(STACK_OF(X509) * chain, EVP_PKEY *key, const char *audience, int64_t now_sec,
		      char **out, struct error *err);

/* Resolves --not-before/--not-after (time or duration from now, NULL/"" = unset) into the
 * token window with step's client-side limits and messages. */
int token_window(const char *not_before, const char *not_after, int64_t now_sec, int64_t *nbf_sec,
		 int64_t *exp_sec, struct error *err);

/* "https://host[:port]" + path from a normalised CA URL (any path of the URL dropped);
 * malloc'd. */
char *token_audience(const char *ca_url, const char *path);

#endif
