/* internal.h - what the files of the authority module share with each other.
 *
 * Nothing here is visible outside src/authority/; the rest of stride uses
 * authority.h only.
 */
#ifndef STRIDE_AUTHORITY_INTERNAL_H
#define STRIDE_AUTHORITY_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "authority/authority.h"
#include "base/error.h"
#include "base/str.h"
#include "crypto/csr.h"
#include "crypto/signer.h"
#include "jose/jws.h"
#include "store/store.h"

/* Token validity leeway for nbf/exp/iat (step: 1 minute). */
#define TOKEN_LEEWAY_SEC 60

/* --- claims.c --------------------------------------------------------- */

/* Certificate policy values of one provisioner after resolution against the
 * global claims and the built-in defaults (step-ca's claims). */
struct claims {
	int64_t min_tls_ns;
	int64_t max_tls_ns;
	int64_t default_tls_ns;
	bool disable_renewal;
	bool allow_renewal_after_expiry;
	bool enable_ssh_ca;
	/* SSH certificate durations (user and host triples, step-ca's defaults 5m/24h/16h and
	 * 5m/720h/720h) */
	int64_t min_user_ssh_ns;
	int64_t max_user_ssh_ns;
	int64_t default_user_ssh_ns;
	int64_t min_host_ssh_ns;
	int64_t max_host_ssh_ns;
	int64_t default_host_ssh_ns;
};

/* Resolves a provisioner's "claims" object (may be NULL) over the global one (may be NULL). */
int claims_resolve(const json_t *prov_claims, const json_t *global_claims, struct claims *out,
		   struct error *err);

/* --- provisioner.c ---------------------------------------------------- */

enum prov_type {
	PROV_UNKNOWN = 0,
	PROV_JWK,
	PROV_OIDC,
	PROV_GCP,
	PROV_AWS,
	PROV_AZURE,
	PROV_ACME,
	PROV_X5C,
	PROV_K8SSA,
	PROV_SSHPOP,
	PROV_SCEP,
	PROV_NEBULA,
};

struct policy;

struct provisioner {
	enum prov_type type;
	const char *type_name; /* canonical spelling: "JWK", "X5C", ... */
	char *name;
	char *token_id; /* JWK: "<name>:<kid>"; X5C: "x5c/<name>"; ACME: "acme/<name>" ... */
	json_t *config; /* borrowed from the snapshot's configs (admin_state.h) */
	struct claims claims;
	/* remote administration (admin_state.h): NULL / 0 for ca.json provisioners */
	char *id; /* UUID */
	int64_t created_at_ns;
	json_t *policy_doc;    /* the provisioner policy in the admin API's form, or NULL */
	struct policy *policy; /* compiled, or NULL */
	/* JWK */
	char *kid;
	EVP_PKEY *jwk_key;
	const char *encrypted_key; /* borrowed from config, may be NULL */
	/* X5C */
	X509_STORE *x5c_roots;
	/* ACME (step-ca's fields of an ACME provisioner) */
	struct {
		bool force_cn;
		bool require_eab;
		unsigned challenges; /* bit (1u << enum acme_chall_type) per enabled challenge
				      * (PROV_ACME_CH_*); all of http-01, dns-01, tls-alpn-01
				      * when the list is absent or empty */
		const char *terms_of_service;
		const char *website;	      /* borrowed from config, NULL when absent */
		const json_t *caa_identities; /* borrowed array or NULL */
	} acme;
	/* OIDC (oidc.c): the IdP's discovery document and keys, fetched and cached */
	struct oidc_provider *oidc;
	/* K8sSA (k8ssa.c): the service-account token signers' public keys */
	EVP_PKEY **k8s_keys;
	size_t n_k8s_keys;
	/* options.x509 (templates.c): NULL when the provisioner has none and step-ca's default
	 * template for the operation applies */
	struct prov_template *x509_tpl;
	/* options.ssh as ssh_templates.c compiles it; NULL when the provisioner has none */
	struct ssh_prov_template *ssh_template;
};

/* The bits of provisioner.acme.challenges: 1u << enum acme_chall_type (src/acme/internal.h:
 * ACME_CH_HTTP01 = 0, ACME_CH_DNS01 = 1, ACME_CH_TLSALPN01 = 2), spelled out here so that the
 * authority does not include the ACME engine's headers (src/acme checks they agree). */
#define PROV_ACME_CH_HTTP01    (1u << 0)
#define PROV_ACME_CH_DNS01     (1u << 1)
#define PROV_ACME_CH_TLSALPN01 (1u << 2)
#define PROV_ACME_CH_ALL       (PROV_ACME_CH_HTTP01 | PROV_ACME_CH_DNS01 | PROV_ACME_CH_TLSALPN01)

struct provisioners {
	struct provisioner *v;
	size_t n;
};

/* Builds every provisioner of authority.provisioners; unknown types are kept for listing only.
 * Duplicate names or token ids are an error. */
int provisioners_load(const json_t *list, const json_t *global_claims, struct provisioners *out,
		      struct error *err);
void provisioners_free(struct provisioners *ps);
/* The provisioner with this token id, or NULL. */
const struct provisioner *provisioners_by_token_id(const struct provisioners *ps,
						   const char *token_id);
/* The provisioner with this name, or NULL. */
const struct provisioner *provisioners_by_name(const struct provisioners *ps, const char *name);
/* The integer code of step's provisioner extension for a type. */
int prov_type_code(enum prov_type type);

/* --- ssh_templates.c: options.ssh {template, templateFile, templateData} -------------- */

struct tpl;

/* A provisioner's options.ssh (provisioners-and-policy.md §4.2), compiled when the configuration
 * loads. */
struct ssh_prov_template {
	struct tpl *tpl; /* the provisioner's template, or NULL when it has templateData only */
	json_t *data;	 /* options.ssh.templateData (an object), or NULL */
	/* data sets a variable step-ca's default templates read (Type, KeyID, Principals,
	 * Extensions, CriticalOptions): without a template of its own, the provisioner's
	 * certificates then come from the default template evaluated with data */
	bool data_overrides;
};

/* Compiles p's options.ssh (from p->config) into p->ssh_template (left NULL when there is no
 * options.ssh or it is empty). template wins over templateFile; an inline template is JSON text
 * when it starts with '{' after trimming, else base64 of it; a relative templateFile resolves
 * against the step path. A template that does not parse, a file that cannot be read, base64
 * that does not decode, templateData that is not an object -> ERR_INVALID. */
int ssh_template_load(struct provisioner *p, struct error *err);
void ssh_template_free(struct ssh_prov_template *t);

/* --- audience.c ------------------------------------------------------- */

enum token_op {
	OP_SIGN,
	OP_REVOKE,
	OP_RENEW,
	OP_SSH_SIGN,
	OP_SSH_RENEW,
	OP_SSH_REKEY,
	OP_SSH_REVOKE
};

/* True when any audience of the token matches any audience the CA accepts for op, comparing
 * literally or with the ports removed; fragment (may be NULL) is appended to every URL. */
bool audience_matches(const struct authority *a, const struct strv *token_aud, enum token_op op,
		      const char *fragment);
/* True when the token audience matches an accepted audience of any operation. */
bool audience_matches_any(const struct authority *a, const struct strv *token_aud,
			  const char *fragment);
/* Reads "aud" (string or array of strings) into out. */
int audience_from_claims(const json_t *payload, struct strv *out, struct error *err);

/* --- token.c ---------------------------------------------------------- */

struct ssh_cert;
struct ssh_pubkey;

/* The `step.ssh` claim of an SSH sign token (tokens.md §2): what the certificate may be. */
struct token_ssh {
	bool present;
	char *cert_type;	/* "", "user" or "host" */
	char *key_id;		/* "" when unset */
	struct strv principals; /* empty when null or absent */
	char *valid_after;	/* time-or-duration strings, "" when unset */
	char *valid_before;
};

/* step-ca's default certificate templates (provisioners-and-policy.md §4.1): which one a
 * provisioner's token selects when the provisioner has no options.x509 template. */
/* Service-account tokens (tokens.md §6.5) and the one K8sSA provisioner's token id. */
#define K8SSA_ISSUER   "kubernetes/serviceaccount"
#define K8SSA_TOKEN_ID "k8ssa/k8sSA-default"

enum leaf_template {
	LEAF_TPL_LEAF = 0, /* subject = the token's sub, SANs = the token's sans (JWK, X5C,
			    * OIDC non-admins, ACME) */
	LEAF_TPL_IID,	   /* CN from the CSR; SANs the grant's, else the CSR's (cloud IIDs) */
	LEAF_TPL_ADMIN,	   /* subject and every SAN copied from the CSR (K8sSA, OIDC admins) */
};

/* What an authorised provisioner token grants. */
struct token_grant {
	const struct provisioner *prov; /* in set */
	struct prov_set *set;		/* a reference to the snapshot prov belongs to */
	char *subject;			/* sub */
	struct strv sans;		/* "sans" claim; [sub] when absent or empty */
	char *cnf_fingerprint;		/* cnf.x5rt#S256 or NULL */
	char *token_id;			/* the replay key (jti or SHA-256 of the token); set
					 * once the replay check passed, even on failure */
	int64_t x5c_not_before;		/* X5C: the new certificate must lie within the */
	int64_t x5c_not_after;		/* token certificate's validity; 0 when not X5C */
	struct token_ssh ssh;		/* OP_SSH_SIGN: the step.ssh claim */
	struct ssh_cert *sshpop;	/* SSHPOP: the certificate of the sshpop header (owned) */
	enum leaf_template leaf_tpl;	/* the default template for this token */
	json_t *claims;			/* the token's payload (a reference), templates' .Token */
	X509 *x5c_leaf;			/* X5C: the token's certificate (a reference), templates'
					 * .AuthorizationCrt; NULL otherwise */
};
void token_grant_free(struct token_grant *g);

/* Authorises a provisioner token for op in step-ca's order: parse, provisioner lookup, iat
 * vs start, replay check, signature, iss, time window, audience, sub. Failures are
 * ERR_UNAUTHORIZED with a generic client message and the detail in msg (not exposed). Once
 * the replay check has passed, out->token_id is set even when a later check fails: the
 * caller records it as used whatever the outcome (token_grant_free frees it). */
int token_authorize(struct authority *a, const char *token, enum token_op op,
		    struct token_grant *out, struct error *err);

/* The CA keys an SSHPOP certificate may be signed by: the SSH CA's user (for user certificates)
 * and host (for host certificates) keys with the non-federated ssh.keys (tokens.md §6.4). */
struct sshpop_trust {
	const struct ssh_pubkey *user;
	size_t n_user;
	const struct ssh_pubkey *host;
	size_t n_host;
};
/* What token_authorize_ex does beyond token_authorize. */
struct token_options {
	bool skip_replay;      /* the token was authorised once already in this request
				* (the identity certificate of /ssh/sign) */
	bool replay_at_commit; /* the replay key is not looked up: the caller records it in the
				* transaction of its answer, whose commit is the check (a token
				* used before fails there with "token already used") */
	const struct sshpop_trust *sshpop; /* SSHPOP tokens are refused when NULL */
};
/* token_authorize with options (NULL: none). For OP_SSH_SIGN a JWK or X5C provisioner must have
 * enableSSHCA and the token the step.ssh claim (401s, generic to the client); an SSHPOP token's
 * certificate must be valid now (except for OP_SSH_RENEW), signed by a key of o->sshpop, and
 * have signed the token; it is returned in out->sshpop. */
int token_authorize_ex(struct authority *a, const char *token, enum token_op op,
		       const struct token_options *o, struct token_grant *out, struct error *err);

/* The claims every provisioner token must carry: iss = the provisioner, times, audience for op
 * (with fragment, the provisioner's token id for X5C and SSHPOP, appended), a subject. */
int token_check_common_claims(const struct authority *a, const struct provisioner *p,
			      const struct jws *jws, const struct strv *aud, enum token_op op,
			      const char *fragment, struct error *err);

/* --- token_ssh.c: the SSH parts of tokens ---------------------------------------------- */

/* Reads the step.ssh claim of an SSH sign token of p (JWK or X5C) into *out: absent -> 401
 * "<jwk|x5c> token must be an SSH provisioning token"; members of the wrong type or times that
 * do not parse -> 401 (as step-ca's claims decoder); a certType other than "", user, host -> 400
 * "unknown certificate type '<t>'" (public). */
int token_ssh_parse(const struct jws *jws, const struct provisioner *p, struct token_ssh *out,
		    struct error *err);
/* Frees what s owns and zeroes it. */
void token_ssh_free(struct token_ssh *s);
/* The SSHPOP provisioner's checks (tokens.md §6.4, steps 1 to 5); g->sshpop gets the
 * certificate. */
int sshpop_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		     const struct strv *aud, enum token_op op, const struct sshpop_trust *trust,
		     struct token_grant *g, struct error *err);

/* OIDC (oidc.c, tokens.md §6.6): verifies an ID token against the IdP's keys and the
 * provisioner's clientID, domains, groups and admins; fills g's subject, sans and leaf_tpl
 * (LEAF_TPL_ADMIN for an admin). */
int oidc_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		   enum token_op op, struct token_grant *g, struct error *err);
int oidc_init(struct provisioner *p, struct error *err);
void oidc_clear(struct provisioner *p);

/* K8sSA (k8ssa.c, tokens.md §6.5): verifies a service-account token with publicKeys; fills
 * g's subject and leaf_tpl (LEAF_TPL_ADMIN). */
int k8ssa_authorize(const struct authority *a, const struct provisioner *p, const struct jws *jws,
		    enum token_op op, struct token_grant *g, struct error *err);
int k8ssa_init(struct provisioner *p, struct error *err);
void k8ssa_clear(struct provisioner *p);
/* The service-account name of a K8sSA grant's token (step-ca's template CommonName), or NULL. */
const char *k8ssa_service_account(const struct token_grant *g);

/* The replay check: refuses (ERR_UNAUTHORIZED used_msg) a token whose key (its jti, or the
 * SHA-256 of its signed header and payload) is recorded as used, and a token whose jti is not
 * a string; *key_out (malloc'd) is the key to record. The key is recorded later, with the
 * request's other writes: a concurrent request with the same key loses at commit time. */
int check_replay(struct authority *a, const struct jws *jws, const char *used_msg, char **key_out,
		 struct error *err);
/* --- sign.c ----------------------------------------------------------- */

/* The checks of a CSR a client sent, cheapest first: its key against key_check_allowed (400
 * naming the problem), then its self-signature (400 with bad_signature). Called once the
 * client is authenticated, so that a request without valid credentials never costs a
 * signature check. NULL csr -> 400 "missing csr". */
int request_csr_check(X509_REQ *csr, const char *bad_signature, struct error *err);

/* The identity certificate of POST /ssh/sign (ssh.md §4.3): the SSH sign token ott authorised
 * again for X.509 signing (no replay check: the SSH flow recorded it), csr checked as /sign
 * checks it, the validity [nb, na] (the SSH certificate's) checked against the claims, the
 * names against the policies; the leaf is added to *txn (created if NULL). */
int sign_identity(struct authority *a, const char *ott, X509_REQ *csr, int64_t nb, int64_t na,
		  struct issued *out, struct store_txn **txn, struct error *err);
/* Whether a validity [nb, na] suits claims c (min and max durations, the max plus the backdate):
 * 403 with step-ca's message otherwise. */
int validity_check_claims(const struct authority *a, const struct claims *c, int64_t nb, int64_t na,
			  struct error *err);

/* --- issue.c: issuance for the protocols that authorise without a token (ACME) -------------- */

/* Issues a certificate for prov (of snapshot set): subject CN cn (completed by
 * authority.template), SANs sans, the public key of csr (checked by the caller), validity
 * [nb, na] checked against prov's claims, the names against the policies; adds it to *txn
 * (created if NULL) and fills *out. */
struct prov_set;
int issue_for_names(struct authority *a, const struct prov_set *set, const struct provisioner *prov,
		    X509_REQ *csr, const char *cn, const struct names *sans, int64_t nb, int64_t na,
		    struct issued *out, struct store_txn **txn, struct error *err);
/* Adds to *txn (created if NULL) the revocation of cert (issued by this CA) with reason_code
 * (0..10, not 7) by prov; keyCompromise blocks its key. *serial (malloc'd) its decimal serial. */
int revocation_for_cert(struct authority *a, const struct provisioner *prov, X509 *cert,
			int reason_code, const char *reason, struct store_txn **txn, char **serial,
			struct error *err);

/* --- renew.c ---------------------------------------------------------- */

/* The provisioner that issued cert (serial: its decimal serial): the store's record, else the
 * certificate's provisioner extension, looked up by name in *set. A name *set does not know
 * makes an authority with remote administration look at the stored state once, and *set is
 * then replaced by the fresher snapshot. *p is NULL (and 0 returned) for a legacy certificate
 * with neither (renewable without restrictions); an invalid extension or an unknown name is
 * ERR_UNAUTHORIZED. */
int cert_provisioner(struct authority *a, struct prov_set **set, X509 *cert, const char *serial,
		     const struct provisioner **p, struct error *err);

/* Decodes a JWS header member holding base64 DER certificates (x5c, x5cInsecure), leaf
 * first; *out owned by the caller. */
int jws_header_chain(const struct jws *jws, const char *name, STACK_OF(X509) * *out,
		     struct error *err);
/* Checks the key of every certificate of a token header chain (header: "x5c", "x5cInsecure")
 * against key_check_allowed: 400 naming the certificate and the problem. */
int header_chain_keys_check(STACK_OF(X509) * chain, const char *header, struct error *err);
/* Verifies a certificate chain from a token header (leaf first) against trust at at_ns, for
 * client authentication, with a leaf that may sign. The keys are checked first (as by
 * header_chain_keys_check for "x5c"), so that no hostile key is used to verify a signature. */
int verify_header_chain(STACK_OF(X509) * chain, X509_STORE *trust, int64_t at_ns,
			struct error *err);
/* Authorises the renewal of old and issues its successor (with new_key when rekeying); the
 * new certificate is added to *txn (created if NULL) for the caller to commit. */
int renew_certificate(struct authority *a, X509 *old, EVP_PKEY *new_key, struct issued *out,
		      struct store_txn **txn, struct error *err);
/* renew_certificate with the successor's validity length_ns long (0: the old one's length), as
 * /ssh/renew and /ssh/rekey renew the mTLS client's certificate with the new SSH certificate's
 * validity. */
int renew_certificate_length(struct authority *a, X509 *old, EVP_PKEY *new_key, int64_t length_ns,
			     struct issued *out, struct store_txn **txn, struct error *err);

/* --- the operations: their work before the commit ----------------------------------------- */

/* Each runs an operation up to its commit: returns its result so far (0 with *out filled, or -1
 * with err) and leaves in *txn (created when needed, NULL when nothing is to be written) what
 * must be made durable: the used token (even when the operation failed after the replay check)
 * and the new certificate or the revocation. The caller commits *txn and settles the result
 * (commit.c) before it reports anything. */
int sign_prepare(struct authority *a, const struct sign_request *req, struct issued *out,
		 struct store_txn **txn, struct error *err); /* sign.c */
int renew_prepare(struct authority *a, const struct renew_request *req, struct issued *out,
		  struct store_txn **txn, struct error *err); /* renew.c */
int kyma_prepare(struct authority *a, X509 *peer, X509_REQ *csr, struct issued *out,
		 struct store_txn **txn, struct error *err); /* kyma.c */
int revoke_prepare(struct authority *a, const struct revoke_request *req, char **serial,
		   struct store_txn **txn, struct error *err); /* revoke.c */

/* --- commit.c --------------------------------------------------------- */
/* Adds a newly issued certificate to *txn (created if NULL), from its DER and its
 * SubjectPublicKeyInfo as the builder wrote it; *serial is its serial number in decimal
 * (malloc'd, the caller's even on failure). parent (may be NULL) is the certificate it renews
 * or rekeys, whose serial is parent_serial: the commit refuses the new one when the parent is
 * revoked or the parent's or the new key is blocked (store.h). spki NULL: a renewal keeping
 * parent's key. */
int txn_add_new_leaf(struct store_txn **txn, const struct provisioner *p, const uint8_t *der,
		     size_t len, const uint8_t *spki, size_t spki_len, X509 *parent,
		     const char *parent_serial, char **serial, struct error *err);
/* Adds a used token key to *txn (created if NULL); nothing when key is NULL. */
void txn_add_token(struct store_txn **txn, const char *key, const char *token);
/* The final result of an issuance whose work returned rc (and err) once t (its writes) was
 * committed: a token the commit found used is "token already used", whatever rc; otherwise a
 * failed commit or a certificate the commit refused turns success into an error (step-ca's),
 * and a failure stays what it was. */
int issuance_settle(const struct store_txn *t, int rc, struct error *err);
/* The same for a revocation of serial: a token used meanwhile is a 401, a serial revoked
 * already ERR_CONFLICT "certificate with serial number '<s>' is already revoked". */
int revocation_settle(const struct store_txn *t, const char *serial, int rc, struct error *err);

/* --- pool.c: the authority's threads (a store whose reads wait on the network) ------------- */

/* A piece of work for the pool; embedded in what it runs. */
struct pool_job {
	void (*run)(struct pool_job *job);
	struct pool_job *next;
};
struct pool;

/* Threads for a pool on this machine: 4 per online CPU, at least 4, at most POOL_MAX_THREADS. */
#define POOL_MAX_THREADS 32
/* Operations queued for the pool at most: beyond, one is refused with ERR_UNAVAILABLE. */
#define POOL_MAX_QUEUED 4096
int pool_default_threads(void);
/* Starts nthreads threads (which never take SIGTERM, SIGINT, SIGHUP or SIGPIPE) serving a
 * queue of at most max_queued jobs. *out owned by the caller (pool_free). */
int pool_new(int nthreads, size_t max_queued, struct pool **out, struct error *err);
/* Queues job, which a pool thread runs; -1 (job not taken) when max_queued jobs wait already. */
int pool_submit(struct pool *p, struct pool_job *job);
/* Runs what is still queued, joins the threads and frees the pool. NULL is a no-op. */
void pool_free(struct pool *p);

/* --- util.c ----------------------------------------------------------- */

/* Go's fmt of a []string: "[a b c]"; malloc'd. */
char *go_list(const struct strv *sv);
/* Go's default time format in UTC: "2026-11-22 02:51:38 +0000 UTC". */
char *go_time(int64_t t_ns, char *out, size_t n);

/* --- authority.c ------------------------------------------------------ */

/* The extensions' URLs of issued X.509 leaves (leaf_urls.c). */
struct leaf_urls {
	char *crl_dp;		/* the CRL Distribution Point (crl.distributionPoint), or NULL */
	char *ocsp;		/* the AIA OCSP URL (ocsp.url), or NULL */
	struct leaf_urls *next; /* in old_urls */
};

struct authority {
	struct ca_config *cfg;
	struct store *store;
	struct signer *signer;
	STACK_OF(X509) * roots;
	STACK_OF(X509) * federation; /* roots followed by federated roots */
	STACK_OF(X509) * intermediates;
	X509 *issuer; /* intermediates[0], borrowed */
	X509_STORE *trust;
	char (*fingerprints)[65]; /* one per certificate of federation */
	json_t *tls_options;
	char **intermediates_json; /* one JSON string of PEM per intermediate */
	char *tls_options_json;	   /* tls_options as compact JSON, or NULL */
	/* the provisioners, admins and policies (admin_state.h, admin_state.c) */
	pthread_mutex_t set_lock;  /* guards current */
	struct prov_set *current;  /* the snapshot new operations take */
	json_t *claims;		   /* authority.claims of the ca.json loaded last (guarded by
				    * set_lock; a reference, may be NULL) */
	uint64_t claims_gen;	   /* reloads of ca.json so far (guarded by set_lock) */
	pthread_mutex_t load_lock; /* one load of the stored state at a time */
	pthread_mutex_t refresher_lock;
	pthread_cond_t refresher_cond;
	pthread_t refresher;
	bool refresher_started, refresher_stop, state_started;
	int64_t start_sec;	 /* process start, truncated to seconds */
	struct pool *pool;	 /* runs the operations when store->remote, else NULL */
	struct crl_service *crl; /* crl.h: set by crl_service_start, owned by the store */
	/* the URLs put in issued leaves (leaf_urls.c): immutable, swapped by a reload; the ones
	 * replaced are kept until authority_free (a signing operation may still read them) */
	_Atomic(struct leaf_urls *) urls;
	struct leaf_urls *old_urls; /* replaced ones, linked by next */
};

/* The URLs new leaves get now (never NULL; borrowed until authority_free). */
const struct leaf_urls *authority_leaf_urls(struct authority *a);
/* Frees the current and the replaced URLs (authority_free). */
void authority_leaf_urls_free(struct authority *a);

#endif
