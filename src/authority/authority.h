/* authority.h - the certificate authority itself, without HTTP or terminals.
 *
 * stride-ca calls it from its HTTP handlers; `stride ... --offline` calls it
 * in-process. It owns the configuration, the CA key (through a signer), the
 * provisioners and the store. All functions are safe to call concurrently
 * from several threads once authority_new has returned.
 */
#ifndef STRIDE_AUTHORITY_AUTHORITY_H
#define STRIDE_AUTHORITY_AUTHORITY_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "config/ca_config.h"
#include "store/store.h"

struct authority;

/* Builds an authority from a loaded configuration. Takes ownership of cfg and store on
 * success only. key_password decrypts the intermediate key (NULL = cfg->password; if the
 * key is encrypted and no password is known -> ERR_INVALID). */
int authority_new(struct ca_config *cfg, const char *key_password, struct store *store,
		  struct authority **out, struct error *err);
void authority_free(struct authority *a);

/* Borrowed views, valid while the authority lives. */
const struct ca_config *authority_config(const struct authority *a);
STACK_OF(X509) * authority_roots(const struct authority *a);
STACK_OF(X509) * authority_federation(const struct authority *a);    /* roots + federated roots */
STACK_OF(X509) * authority_intermediates(const struct authority *a); /* the "crt" chain */
X509_STORE *authority_trust_store(const struct authority *a);	     /* roots, for mTLS */
/* Root or federated root with this SHA-256 fingerprint (any case, '-' allowed) or NULL. */
X509 *authority_root_by_fingerprint(const struct authority *a, const char *fingerprint);
/* The "tls" object of ca.json with defaults applied (for SignResponse.tlsOptions). */
const json_t *authority_tls_options(const struct authority *a);

/* The same, precomputed for SignResponse: the PEM of intermediate i as a JSON string, and the
 * tlsOptions object as compact JSON (NULL when there is none). Borrowed. */
const char *authority_intermediate_json(const struct authority *a, int i);
const char *authority_tls_options_json(const struct authority *a);
/* GET /provisioners: {"provisioners":[...],"nextCursor":""}; limit_str NULL/"" = 20, > 100 =
 * 100, not an integer -> ERR_INVALID "limit '<v>' is not an integer" (exposed). New ref. */
int authority_provisioners_page(const struct authority *a, const char *cursor,
				const char *limit_str, json_t **out, struct error *err);
/* GET /provisioners/{kid}/encrypted-key: the JWE of the JWK provisioner with that kid. */
int authority_encrypted_key(const struct authority *a, const char *kid, const char **jwe,
			    struct error *err);

struct sign_request {
	X509_REQ *csr;		/* borrowed, parsed only: authority_sign checks its key and
				 * self-signature once the token is authorised */
	const char *ott;	/* the one-time token */
	const char *not_before; /* time-or-duration or "" / NULL */
	const char *not_after;
	const json_t *template_data; /* may be NULL */
	bool defer_commit;	     /* see struct issued.txn */
};

/* What an issuance produced, for the response and the request log. */
struct issued {
	X509 *leaf;		/* owned */
	STACK_OF(X509) * chain; /* borrowed: the intermediates to send after the leaf */
	char *serial;		/* decimal, owned */
	char *subject;		/* CN, owned */
	char *provisioner;	/* provisioner name, owned */
	/* With defer_commit: what the operation still has to make durable (the used token and
	 * the new certificate), owned. The caller commits it with store_submit, answers only
	 * after that and then calls authority_settle. Without defer_commit the authority has
	 * committed before it returns and this is NULL. May be set when the operation failed
	 * too (step records a token that passed the replay check even if the request fails). */
	struct store_txn *txn;
};
void issued_free(struct issued *out);
/* The store of the authority (for committing deferred transactions). Borrowed. */
struct store *authority_store(const struct authority *a);
/* After out->txn was committed: the final result of an operation that returned op_rc (and
 * err): a failed commit or a token used meanwhile by another request turns success into an
 * error. Frees out->txn; on failure frees out as well. Returns 0 or -1. */
int authority_settle(struct issued *out, int op_rc, struct error *err);
/* The leaf followed by the intermediates as concatenated PEM; *pem malloc'd. */
int issued_chain_pem(const struct issued *out, char **pem, struct error *err);

/* POST /sign: authorises the token, then checks the CSR's key (key_check_allowed) and
 * self-signature (400 "invalid csr"), validates its names, issues, stores, returns the leaf.
 * Errors carry step-ca's kinds and client-visible messages (expose). */
int authority_sign(struct authority *a, const struct sign_request *req, struct issued *out,
		   struct error *err);

/* step-ca's POST /renew and /rekey. The certificate to renew comes from the
 * mTLS peer, or from a renew token (x5cInsecure header) when there is no peer. */
struct renew_request {
	X509 *peer;		     /* the client's leaf, or NULL */
	STACK_OF(X509) * peer_chain; /* what the client sent after its leaf; may be NULL */
	bool peer_verified;	     /* the TLS layer already verified peer against the roots;
				      * when false (offline mode) the authority verifies it */
	const char *bearer_token;    /* the renew token when peer is NULL */
	X509_REQ *csr;		     /* rekey: the CSR with the new key, parsed only (its key and
				      * self-signature are checked once the client is
				      * authenticated); NULL to renew */
	bool defer_commit;	     /* see struct issued.txn */
};

/* Renews (or rekeys) a certificate: refuses revoked ones (and those renewed from a revoked
 * one), provisioners that disable renewal, not-yet-valid and expired ones (unless
 * allowRenewalAfterExpiry, token flow only). The new certificate copies subject, SANs and
 * extensions, gets a new serial and the same validity length starting now - backdate. */
int authority_renew(struct authority *a, const struct renew_request *req, struct issued *out,
		    struct error *err);

/* step-ca's POST /revoke. */
struct revoke_request {
	const char *serial; /* as sent: decimal, or 0x-hex */
	const char *ott;    /* revoke token, or NULL/"" for the mTLS flow */
	X509 *peer;	    /* the client's verified leaf (mTLS flow) or NULL */
	bool peer_verified; /* see renew_request */
	int reason_code;    /* 0..10 */
	const char *reason; /* free text, may be NULL */
	bool passive;	    /* must be true */
};

/* Records a revocation; *serial_out (malloc'd, may be NULL) gets the normalised decimal
 * serial for logs. Revoking twice is ERR_CONFLICT "certificate with serial number '<s>' is
 * already revoked" (400 on the wire). */
int authority_revoke(struct authority *a, const struct revoke_request *req, char **serial_out,
		     struct error *err);

/* Kyma-compatible renewal (the Kyma Application Connector's): the peer must not be revoked, the CSR
 * (parsed only) must pass key_check_allowed and verify (400 "CSR signature invalid"), its subject
 * must equal the peer's; the new certificate is the peer's renewed with the CSR's public key. */
int authority_kyma_renew(struct authority *a, X509 *peer, X509_REQ *csr, struct issued *out,
			 struct error *err);

/* Mints the server's own TLS certificate from the intermediate: CN = commonName, SANs =
 * dnsNames, 24h, serverAuth+clientAuth, fresh P-256 key. Outputs owned by the caller. */
int authority_mint_tls_cert(struct authority *a, EVP_PKEY **key, X509 **cert, struct error *err);

/* Time the authority started (tokens issued before it are refused unless
 * disableIssuedAtCheck). */
int64_t authority_start_time(const struct authority *a);

#endif
