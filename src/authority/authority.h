/* authority.h - the certificate authority itself, without HTTP or terminals.
 *
 * stride-ca calls it from its HTTP handlers; `stride ... --offline` calls it
 * in-process. It owns the configuration, the CA key (through a signer), the
 * provisioners and the store, and every transaction it makes in the store: its callers never
 * see the store. All functions are safe to call concurrently from several threads once
 * authority_new has returned.
 *
 * The operations that write (sign, renew, rekey, revoke, Kyma renewal) come in two forms:
 * - asynchronous (authority_*_async): the call returns at once or after the CPU work, and a
 *   done callback reports the result exactly once, when what the operation wrote is durable
 *   or it has failed. done runs either before the call returns, on the caller's thread (a
 *   request refused before any write, or a store that commits synchronously), or later on
 *   another thread (the store's committer, or one of the authority's own threads). With a
 *   store whose reads wait on the network (PostgreSQL), the whole operation (token checks,
 *   replay read, signing, commit) runs on a small pool of the authority's threads, so that an
 *   event loop never waits on the database; otherwise the checks and the signing run on the
 *   caller's thread and only the commit is waited for.
 * - blocking (authority_sign, ...): the same operation, returning when done has run (for
 *   `--offline` and tests). Never call them from an event loop.
 */
#ifndef STRIDE_AUTHORITY_AUTHORITY_H
#define STRIDE_AUTHORITY_AUTHORITY_H

#include <jansson.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "config/ca_config.h"

struct authority;
struct store;

/* Builds an authority from a loaded configuration. Takes ownership of cfg and store on
 * success only. key_password decrypts the intermediate key (NULL = cfg->password; if the
 * key is encrypted and no password is known -> ERR_INVALID). */
int authority_new(struct ca_config *cfg, const char *key_password, struct store *store,
		  struct authority **out, struct error *err);
void authority_free(struct authority *a);
/* An authority for administration in-process (`stride ca acme eab --offline`): the
 * provisioners of cfg and the store, without the CA's certificates and key (so no password).
 * Takes ownership of cfg and store on success only. Only authority_config, authority_has_db,
 * authority_acme_provisioner_count, the acme_eab_key_* functions and authority_free may be
 * called on it. */
int authority_new_admin(struct ca_config *cfg, struct store *store, struct authority **out,
			struct error *err);

/* Stores the first administration state of a CA with remote administration (authority.
 * enableAdmin; `stride ca init --remote-management`, and stride-ca's first start on an empty
 * database): the provisioners (ca.json objects, borrowed) and a super admin with subject
 * admin_subject ("step" when NULL) on the first JWK provisioner. Nothing is done when the store
 * has administration state already (*done false; true when this call stored it), so that
 * instances starting together import once. a may come from authority_new_admin. */
int authority_admin_bootstrap(struct authority *a, const json_t *provisioners,
			      const char *admin_subject, bool *done, struct error *err);

/* A new JWK provisioner as ca.json holds it: a fresh P-256 key, its public JWK and the private
 * JWK encrypted with password (step's encryptedKey). New reference, NULL on error. */
json_t *provisioner_jwk_create(const char *name, const char *password, struct error *err);

/* Whether ca.json has a "db" (false: the in-memory store; step-ca serves no ACME then). */
bool authority_has_db(const struct authority *a);
/* How many provisioners of type ACME ca.json has. */
size_t authority_acme_provisioner_count(struct authority *a);
/* Whether the authority has remote administration (authority.enableAdmin and a database):
 * provisioners, admins and policies then live in the store and may change while it runs. */
bool authority_admin_enabled(const struct authority *a);

/* A reload of ca.json (SIGHUP): what the authority takes from a new configuration, prepared
 * (validated) first and then applied, so that a file with an error changes nothing. */
struct authority_update;
/* Builds cfg's provisioners, claims and policy as authority_new does (with remote
 * administration: the stored provisioners and policies with cfg's authority claims, a store
 * read); nothing changes yet. cfg is borrowed (the update keeps what it needs). *out owned by
 * the caller (authority_update_apply or authority_update_free). */
int authority_update_prepare(struct authority *a, const struct ca_config *cfg,
			     struct authority_update **out, struct error *err);
/* Publishes u (taken): new operations use its provisioners and claims, operations under way
 * keep the snapshot they started with. The replay state and the store are untouched. */
void authority_update_apply(struct authority *a, struct authority_update *u);
/* Frees an update not applied; NULL is a no-op. */
void authority_update_free(struct authority_update *u);

/* Borrowed views, valid while the authority lives. */
const struct ca_config *authority_config(const struct authority *a);
/* Sets the URLs of the leaves issued from now on (copied; NULL: none): the CRL Distribution
 * Point (crl.distributionPoint) and the AIA OCSP URL (ocsp.url); a reload calls it. Operations
 * in flight keep the ones they read, kept until authority_free. One caller at a time. */
void authority_set_leaf_urls(struct authority *a, const char *crl_dp, const char *ocsp);
/* The URLs of the leaves issued now (malloc'd copies, NULL: none), for a reload to compare. */
void authority_get_leaf_urls(struct authority *a, char **crl_dp, char **ocsp);
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
int authority_provisioners_page(struct authority *a, const char *cursor, const char *limit_str,
				json_t **out, struct error *err);
/* GET /provisioners/{kid}/encrypted-key: the JWE of the JWK provisioner with that kid
 * (*jwe malloc'd). */
int authority_encrypted_key(struct authority *a, const char *kid, char **jwe, struct error *err);

struct sign_request {
	X509_REQ *csr;		/* borrowed, parsed only: authority_sign checks its key and
				 * self-signature once the token is authorised */
	const char *ott;	/* the one-time token */
	const char *not_before; /* time-or-duration or "" / NULL */
	const char *not_after;
	const json_t *template_data; /* may be NULL */
};

/* What an issuance produced, for the response and the request log. */
struct issued {
	uint8_t *der; /* the new certificate, owned */
	size_t der_len;
	X509 *leaf;		/* owned; NULL until issued_leaf decodes der */
	STACK_OF(X509) * chain; /* borrowed: the intermediates to send after the leaf */
	char *serial;		/* decimal, owned */
	char *subject;		/* CN, owned */
	char *provisioner;	/* provisioner name, owned */
};
/* Frees what out owns and zeroes it; the struct itself is the caller's. */
void issued_free(struct issued *out);
/* The new certificate as an X509 object, decoded from der on the first call and kept in
 * out->leaf (decoding costs more than signing on OpenSSL 3.0: the hot paths use der); NULL
 * when there is none. */
X509 *issued_leaf(struct issued *out);
/* The leaf followed by the intermediates as concatenated PEM; *pem malloc'd. */
int issued_chain_pem(const struct issued *out, char **pem, struct error *err);

/* The end of an issuance (sign, renew, rekey, Kyma), called exactly once: rc 0 and out the
 * new certificate, durable; or rc -1, err the reason and out empty. done owns what out holds
 * (issued_free it, or copy the struct to keep it); out itself and err are the authority's and
 * valid only during the call. */
typedef void (*authority_issued_fn)(void *arg, int rc, const struct error *err, struct issued *out);
/* The end of a revocation, called exactly once: rc 0 and serial (malloc'd, owned by done) the
 * normalised decimal serial of the revoked certificate, durable; or rc -1 with err (valid
 * during the call only) and serial NULL. */
typedef void (*authority_revoked_fn)(void *arg, int rc, const struct error *err, char *serial);

/* The message of an operation refused (ERR_UNAVAILABLE, 503) because the authority's threads
 * already have too much work queued (a store whose reads wait on the network). */
#define AUTHORITY_BUSY_MSG "the certificate authority is busy"

/* POST /sign: authorises the token, then checks the CSR's key (key_check_allowed) and
 * self-signature (400 "invalid csr"), validates its names, issues, stores, returns the leaf.
 * Errors carry step-ca's kinds and client-visible messages (expose). The token is recorded as
 * used once it passed the replay check, even when the request then fails (as in step-ca).
 * *req is copied; what it points to (CSR, token, strings, template data) must stay valid until
 * done has run. */
void authority_sign_async(struct authority *a, const struct sign_request *req,
			  authority_issued_fn done, void *arg);
/* authority_sign_async, waiting for its end: 0 with *out (issued_free), or -1 with err. */
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
};

/* Renews (or rekeys) a certificate: refuses revoked ones (and those renewed from a revoked
 * one), provisioners that disable renewal, not-yet-valid and expired ones (unless
 * allowRenewalAfterExpiry, token flow only). The new certificate copies subject, SANs and
 * extensions, gets a new serial and the same validity length starting now - backdate. */
void authority_renew_async(struct authority *a, const struct renew_request *req,
			   authority_issued_fn done, void *arg);
/* POST /renew and /rekey (rekey: req->csr), waiting for the end. *req is copied; the peer, its
 * chain, the token and the CSR must stay valid until done has run. */
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
void authority_revoke_async(struct authority *a, const struct revoke_request *req,
			    authority_revoked_fn done, void *arg);
/* authority_revoke_async, waiting for its end. *req is copied; the serial, token, reason and
 * peer must stay valid until done has run. */
int authority_revoke(struct authority *a, const struct revoke_request *req, char **serial_out,
		     struct error *err);

/* Kyma-compatible renewal (the Kyma Application Connector's): the peer must not be revoked, the CSR
 * (parsed only) must pass key_check_allowed and verify (400 "CSR signature invalid"), its subject
 * must equal the peer's; the new certificate is the peer's renewed with the CSR's public key. */
void authority_kyma_renew_async(struct authority *a, X509 *peer, X509_REQ *csr,
				authority_issued_fn done, void *arg);
/* authority_kyma_renew_async, waiting for its end. peer and csr must stay valid until done has
 * run. */
int authority_kyma_renew(struct authority *a, X509 *peer, X509_REQ *csr, struct issued *out,
			 struct error *err);

/* Mints the server's own TLS certificate from the intermediate: CN = commonName, SANs =
 * dnsNames, 24h, serverAuth+clientAuth, fresh P-256 key. Outputs owned by the caller. */
int authority_mint_tls_cert(struct authority *a, EVP_PKEY **key, X509 **cert, struct error *err);

/* Time the authority started (tokens issued before it are refused unless
 * disableIssuedAtCheck). */
int64_t authority_start_time(const struct authority *a);

#endif
