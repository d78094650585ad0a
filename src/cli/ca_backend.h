/* ca_backend.h - what the CLI asks of a CA, whichever end answers.
 *
 * Two implementations: ca_online.c over src/client/ (HTTPS to a running stride-ca or step-ca)
 * and ca_offline.c over src/authority/ (--offline: the authority of --ca-config in-process,
 * as `step ca ... --offline` runs step-ca's). The choice is made once, when a command's flags are
 * resolved (cli_ctx_resolve_with sets cli_ctx.ca); commands call only the functions below.
 *
 * Nothing is opened when the backend is made: the token source, the client or the authority
 * is set up by the first call that needs it (or by ca_backend_connect), so errors and prompts
 * come in the order they always came. A backend serves one command run; it is not
 * thread-safe.
 */
#ifndef STRIDE_CLI_CA_BACKEND_H
#define STRIDE_CLI_CA_BACKEND_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/error.h"

struct cli_ctx;
struct ca_backend;
struct acme_eab_key;
struct ca_client;

/* Where provisioner tokens get their provisioners and audience. */
struct ca_token_source {
	json_t *provisioners;	 /* array of provisioner objects (owned) */
	char *audience_base;	 /* https://host[:port] (malloc'd) */
	const char *sign_path;	 /* "/1.0/sign" online, "/sign" offline (as step) */
	const char *revoke_path; /* "/1.0/revoke" / "/revoke" */
	char sha[65];		 /* root fingerprint (hex), "" when unknown */
};
/* Frees what s owns and zeroes it; NULL is a no-op. */
void ca_token_source_free(struct ca_token_source *s);

/* A revocation (step-ca's POST /revoke body). */
struct ca_revoke_request {
	const char *serial;	/* decimal */
	const char *ott;	/* the revoke token, or "" with chain/key (mTLS) */
	STACK_OF(X509) * chain; /* mTLS: the certificate, leaf first (borrowed), or NULL */
	EVP_PKEY *key;		/* mTLS: its private key (borrowed) */
	int reason_code;
	const char *reason; /* NULL = "" */
};

/* step's --reasonCode (NULL = 0): a number from 0 to 10 or a name such as KeyCompromise (case
 * and spaces ignored), with step's messages. Defined in cmd_revoke.c. */
int cli_revoke_reason_code(const char *v, int *out, struct error *err);

/* The implementation's operations (see the ca_backend_* functions for their contracts). */
struct ca_backend_ops {
	bool remote; /* talks to a CA over the network */
	int (*connect)(struct ca_backend *be, const char *token, struct error *err);
	const char *(*url)(const struct ca_backend *be);
	int (*token_source)(struct ca_backend *be, struct ca_token_source *out, struct error *err);
	int (*provisioner_key)(struct ca_backend *be, const json_t *prov, char **jwe,
			       struct error *err);
	int (*sign)(struct ca_backend *be, X509_REQ *csr, const char *token, const char *not_before,
		    const char *not_after, char **chain_pem, struct error *err);
	int (*renew)(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
		     const char *token, char **chain_pem, struct error *err);
	int (*rekey)(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key, X509_REQ *csr,
		     char **chain_pem, struct error *err);
	int (*revoke)(struct ca_backend *be, const struct ca_revoke_request *req,
		      struct error *err);
	int (*admin_open)(struct ca_backend *be, struct error *err); /* NULL: nothing to open */
	int (*eab_add)(struct ca_backend *be, const char *prov, const char *reference,
		       struct acme_eab_key *out, struct error *err);
	int (*eab_list)(struct ca_backend *be, const char *prov, const char *reference,
			const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
			char **next_cursor, struct error *err);
	int (*eab_remove)(struct ca_backend *be, const char *prov, const char *id,
			  struct error *err);
	void (*close)(struct ca_backend *be); /* frees be->state */
};

struct ca_backend {
	const struct ca_backend_ops *ops;
	const struct cli_ctx *ctx; /* the command's flags (borrowed; outlives the backend) */
	void *state;		   /* the implementation's */
	bool connected;
};

/* The backend the command's flags select: offline when the command has --offline and it is
 * set, online otherwise. Opens nothing. Free with ca_backend_free. */
struct ca_backend *ca_backend_select(const struct cli_ctx *ctx);
/* The online backend (client/); ctx borrowed. */
struct ca_backend *ca_backend_online(const struct cli_ctx *ctx);
/* The offline backend (authority/ in-process); ctx borrowed. */
struct ca_backend *ca_backend_offline(const struct cli_ctx *ctx);
/* Closes the client or the authority and frees be; NULL is a no-op. */
void ca_backend_free(struct ca_backend *be);

/* True when the backend talks to a CA over the network (not --offline). */
bool ca_backend_remote(const struct ca_backend *be);
/* Opens the CA end once (later calls return 0): online a client for --ca-url verified with
 * --root, or, without --ca-url and with a non-empty token, for the CA the token's audience
 * names, its root pinned by the token's "sha" claim; offline the authority of --ca-config
 * (the intermediate key's password from --password-file, ca.json or a prompt). */
int ca_backend_connect(struct ca_backend *be, const char *token, struct error *err);
/* The HTTPS client of an online backend once connected, else NULL (offline, or not
 * connected yet): for the calls that have no operation here (the /ssh/... routes). Owned by
 * the backend. */
struct ca_client *ca_backend_client(struct ca_backend *be);
/* The CA URL once connected (https://host[:port]; offline https://<dnsNames[0]>), else NULL. */
const char *ca_backend_url(const struct ca_backend *be);

/* The provisioners and token audience: online from the CA (--root's fingerprint, --ca-url);
 * offline from --ca-config, or from --provisioner, --key, --root and --ca-url when that file
 * does not exist. *out filled (free with ca_token_source_free). */
int ca_backend_token_source(struct ca_backend *be, struct ca_token_source *out, struct error *err);
/* The encrypted key (JWE compact) of a JWK provisioner of the token source: online fetched by
 * its kid, offline its "encryptedKey"; *jwe malloc'd. */
int ca_backend_provisioner_key(struct ca_backend *be, const json_t *prov, char **jwe,
			       struct error *err);

/* Signs csr authorised by token (connecting with it if needed); not_before/not_after may be
 * NULL. *chain_pem = leaf then intermediates, malloc'd. */
int ca_backend_sign(struct ca_backend *be, X509_REQ *csr, const char *token, const char *not_before,
		    const char *not_after, char **chain_pem, struct error *err);
/* Renews the certificate of chain/key: with token (an x5cInsecure renew token) when not NULL,
 * else by mutual TLS with chain and key. *chain_pem malloc'd. */
int ca_backend_renew(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key,
		     const char *token, char **chain_pem, struct error *err);
/* Rekeys the certificate of chain/key (mutual TLS) to the key of csr. *chain_pem malloc'd. */
int ca_backend_rekey(struct ca_backend *be, STACK_OF(X509) * chain, EVP_PKEY *key, X509_REQ *csr,
		     char **chain_pem, struct error *err);
/* Revokes (passively) what req names. */
int ca_backend_revoke(struct ca_backend *be, const struct ca_revoke_request *req,
		      struct error *err);

/* Opens what the admin operations below need: online an admin session (admin credentials or
 * a login through a provisioner, cli/admin_cli.h), offline nothing. Later calls return 0. */
int ca_backend_admin_open(struct ca_backend *be, struct error *err);
/* ACME EAB keys (acme/acme.h has their contracts): offline on the store of --ca-config, which
 * must have a "db" (no CA key password needed); online through the admin API of the CA
 * (/admin/acme/eab/..., admin credentials as ca_backend_admin_open gets them). */
int ca_backend_eab_add(struct ca_backend *be, const char *prov, const char *reference,
		       struct acme_eab_key *out, struct error *err);
int ca_backend_eab_list(struct ca_backend *be, const char *prov, const char *reference,
			const char *cursor, size_t limit, struct acme_eab_key **out, size_t *n,
			char **next_cursor, struct error *err);
int ca_backend_eab_remove(struct ca_backend *be, const char *prov, const char *id,
			  struct error *err);

/* For the implementations and their tests. */
/* The chain of a SignResponse (certChain, or [crt, ca] from older servers) as PEM, leaf
 * first; *out malloc'd. */
int cli_response_chain(const json_t *resp, char **out, struct error *err);
/* The SHA-256 fingerprint (hex) of the first certificate in the PEM/DER file path. */
int ca_root_file_sha(const char *path, char out[65], struct error *err);

#endif
