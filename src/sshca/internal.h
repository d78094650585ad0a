/* internal.h - what the files of the SSH engine share (src/sshca only).
 *
 * One request is one struct sshca_call: engine.c routes it and hands it to its handler (sign.c,
 * renew.c, info.c, config_tpl.c), which completes it with sshca_reply_* exactly once, either
 * at once or after committing what it wrote (sshca_commit).
 */
#ifndef STRIDE_SSHCA_INTERNAL_H
#define STRIDE_SSHCA_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authority/internal.h"
#include "base/error.h"
#include "ssh/ssh.h"
#include "sshca/sshca.h"

/* The largest request body the engine reads (the server's maxBodyBytes applies first). */
#define SSHCA_BODY_MAX (1024 * 1024)
/* The add-user defaults of step-ca (ssh.md §4.2). */
#define SSHCA_ADD_USER_PRINCIPAL "provisioner"
#define SSHCA_ADD_USER_COMMAND	 "sudo useradd -m <principal>; nc -q0 localhost 22"
/* A KRL served from the cache is rebuilt when older than this (another instance on the same
 * database may have revoked meanwhile); a revocation here rebuilds it at once. */
#define SSHCA_KRL_MAX_AGE_NS (60 * NS_PER_SEC)
/* Host principals listed by GET /ssh/hosts at most. */
#define SSHCA_HOSTS_MAX 10000

/* step-ca's message for any body its JSON decoder refuses. */
#define SSHCA_DECODE_ERROR "error decoding json"
/* step-ca's message when neither CA key is configured (a 501, generic to the client). */
#define SSHCA_NOT_ENABLED "ssh certificate flows are not enabled"

/* step-ca's 500 message for a template whose output its JSON decoder refuses. */
#define SSHCA_TEMPLATE_ERROR "error applying certificate template"

/* The text of a route that does not exist (Go's router). */
#define SSHCA_NOT_FOUND_TEXT "404 page not found\n"

struct sshca {
	struct authority *a;
	bool configured;    /* ca.json has an "ssh" object */
	EVP_PKEY *host_key; /* the host CA's signer, or NULL */
	EVP_PKEY *user_key; /* the user CA's signer, or NULL */
	/* current keys first, then ssh.keys: federated false (roots, SSHPOP issuers) or true */
	struct ssh_pubkey *user_roots, *host_roots, *user_fed, *host_fed;
	size_t n_user_roots, n_host_roots, n_user_fed, n_host_fed;
	struct sshpop_trust trust; /* points into user_roots / host_roots */
	char *add_user_principal;
	char *add_user_command;
	json_t *bastion; /* ssh.bastion, or NULL */
	/* the KRL of GET /ssh/krl and the host configuration, cached */
	pthread_mutex_t krl_lock;
	uint8_t *krl;
	size_t krl_len;
	int64_t krl_built_ns; /* 0: to be built */
	uint64_t krl_version;
};

struct sshca_call {
	struct pool_job job; /* first: the pool runs the call */
	struct sshca *s;
	struct authority *a;
	struct sshca_request req; /* borrowed, see sshca.h */
	sshca_done_fn done;
	void *arg;
	struct sshca_response resp;
	void (*handler)(struct sshca_call *c);
	/* the outcome, sent once what the call wrote is durable (sshca_finish) */
	bool failed;
	struct error err; /* when failed */
	int status;	  /* else: the answer */
	json_t *answer;
	bool identity;	    /* the writes hold an X.509 certificate: settled as an issuance */
	char conflict[256]; /* a record conflict is this public 400 ("" -> a 500) */
	bool revoked;	    /* the writes revoke: the KRL is rebuilt once they are durable */
	void *scratch;	    /* the handler's state across the commit, freed by scratch_free */
	void (*scratch_free)(void *p);
};

/* --- engine.c ------------------------------------------------------------------------ */

/* Answers with a JSON document (consumed) and "\n" (Go's encoder). Ends the call. */
void sshca_reply_json(struct sshca_call *c, int status, json_t *doc);
/* Answers with raw bytes (copied). Ends the call. */
void sshca_reply_raw(struct sshca_call *c, int status, const char *content_type, const void *body,
		     size_t len);
/* Answers step-ca's error body {"status","message"} for err. Ends the call. */
void sshca_reply_error(struct sshca_call *c, const struct error *err);
/* Reads the request body as a JSON object (Go's decoder: what follows the first value is
 * ignored, null is an empty object): anything else is 400 SSHCA_DECODE_ERROR. *out new
 * reference. */
int sshca_body_json(const struct sshca_call *c, json_t **out, struct error *err);
/* Commits t (the call's writes; NULL: nothing to write), then answers the call's outcome
 * (c->failed and c->err, else c->status and c->answer), unless the commit failed or found the
 * token used meanwhile. Ends the call. */
void sshca_finish(struct sshca_call *c, struct store_txn *t);
/* Records a failure as the call's outcome (for sshca_finish); returns -1. */
int sshca_fail(struct sshca_call *c, const struct error *err);

/* --- keys.c: ca.json's "ssh" ---------------------------------------------------------------- */

/* The signer of a certificate type, or NULL when that CA key is absent. */
EVP_PKEY *sshca_signer(const struct sshca *s, enum ssh_cert_type type);
/* Whether the engine has a CA key (else step-ca's "not enabled" answers). */
bool sshca_has_keys(const struct sshca *s);

/* --- sign.c: POST /ssh/sign ----------------------------------------------------------------- */

void sshca_sign(struct sshca_call *c);
/* The validity and key checks of a certificate about to be signed (step-ca's validators after
 * signing, in their order): the key (ssh_pubkey_check_allowed), the validity against the
 * claims c of its type (min; max plus backdate), the default fields. Public errors. */
int sshca_check_cert(const struct authority *a, const struct claims *cl, const struct ssh_cert *c,
		     struct error *err);
/* Signs c with the CA key of its type (501 when that key is absent) after a random non-zero
 * serial is set, then checks it (sshca_check_cert). */
int sshca_sign_cert(const struct sshca *s, const struct claims *cl, struct ssh_cert *c,
		    struct error *err);
/* An X.509 certificate and its chain as PEM strings, leaf first (identityCrt). New reference. */
json_t *sshca_chain_json(const struct issued *id);
/* A random non-zero certificate serial. */
int sshca_random_serial(uint64_t *out, struct error *err);
/* Adds to *t (created if NULL) the records of a new certificate c by provisioner prov_name: its
 * ssh_certs record and, for a host certificate, its principals in ssh_hosts. Nothing without a
 * database (as step-ca). */
void sshca_txn_cert(const struct sshca *s, struct store_txn **t, const struct ssh_cert *c,
		    const char *prov_name);
/* Notes cert (issued by provisioner prov_name) in the call's answer for the audit record. */
void sshca_audit_cert(struct sshca_call *c, const struct ssh_cert *cert, const char *prov_name);
/* A public key of a request body member (standard base64 of the wire form): 400 "<what>" on
 * anything that does not parse. */
int sshca_body_key(const json_t *body, const char *name, const char *what, struct ssh_pubkey *out,
		   struct error *err);

/* --- desc.c, cert_tpl.c: SSH certificate templates (ssh.md §3) ------------------------------ */

/* Reads a JSON SSH certificate description (type, keyId, principals, extensions,
 * criticalOptions, validAfter, validBefore, serial, nonce, reserved) into c, over what c holds,
 * as step-ca's decoder does; refused -> exposed ERR_INTERNAL SSHCA_TEMPLATE_ERROR. */
int sshca_desc_apply(const char *text, size_t len, struct ssh_cert *c, struct error *err);

/* step-ca's default SSH templates: which one a provisioner uses without a template of its own. */
enum sshca_tpl_kind {
	SSHCA_TPL_DEFAULT = 0, /* the variables: JWK, X5C, OIDC non-admins */
	SSHCA_TPL_ADMIN,       /* the request, with the variables' extensions: OIDC admins */
	SSHCA_TPL_CR,	       /* the request, default user extensions: K8sSA */
};

/* What a template is evaluated with (ssh.md §3). */
struct sshca_tpl_input {
	enum sshca_tpl_kind kind;
	enum ssh_cert_type type;       /* .Type */
	const char *key_id;	       /* .KeyID */
	const struct strv *principals; /* .Principals (NULL: null) */
	const json_t *token;	       /* .Token: the token's claims, or NULL */
	/* the request: .Insecure.CR, and .Insecure.User for a provisioner's own template */
	const struct ssh_pubkey *key;
	const char *cr_type;
	const char *cr_key_id;
	const struct strv *cr_principals; /* NULL when the request has none */
	const json_t *user_data;	  /* the request's templateData, NULL when absent */
};

/* The certificate's key, type, key id, principals, extensions and critical options (plus any
 * validity, serial, nonce a template sets) from pt (may be NULL: step-ca's default template of
 * in->kind). A template's `fail` -> exposed ERR_INVALID (400); another execution error ->
 * ERR_INTERNAL (500); output that does not decode -> SSHCA_TEMPLATE_ERROR. */
int sshca_cert_from_template(const struct ssh_prov_template *pt, const struct sshca_tpl_input *in,
			     struct ssh_cert *c, struct error *err);
/* The template data of in (new reference). */
json_t *sshca_template_data(const struct ssh_prov_template *pt, const struct sshca_tpl_input *in);
/* The text of a default template (evaluated when templateData replaces its variables). */
const char *sshca_default_template_text(enum sshca_tpl_kind kind);

/* --- renew.c: POST /ssh/renew, /ssh/rekey, /ssh/revoke, GET /ssh/krl ------------------------ */

void sshca_renew(struct sshca_call *c);
void sshca_rekey(struct sshca_call *c);
void sshca_revoke(struct sshca_call *c);
void sshca_krl(struct sshca_call *c);
/* The current KRL (cached; rebuilt when invalidated or stale): *out malloc'd. */
int sshca_krl_get(struct sshca *s, uint8_t **out, size_t *len, struct error *err);
/* Whether the serial (decimal) is in ssh_revoked. */
int sshca_is_revoked(struct sshca *s, const char *serial, bool *revoked, struct error *err);

/* --- info.c: GET /ssh/roots, /ssh/federation, POST /ssh/check-host, GET /ssh/hosts,
 * POST /ssh/bastion ------------------------------------------------------------------------- */

void sshca_roots(struct sshca_call *c);
void sshca_federation(struct sshca_call *c);
void sshca_check_host(struct sshca_call *c);
void sshca_hosts(struct sshca_call *c);
void sshca_bastion(struct sshca_call *c);

/* --- config_tpl.c: POST /ssh/config -------------------------------------------------------- */

void sshca_config(struct sshca_call *c);
/* The default templates of step-ca for type ("user" or "host") rendered with data (the request's
 * "data" object, may be NULL) and the CA's keys: {"userTemplates":[...]} or
 * {"hostTemplates":[...]}; the host output also installs the KRL (krl, n). 400 for a missing
 * required variable. *out new reference. */
int sshca_config_render(const struct sshca *s, const char *type, const json_t *data,
			const uint8_t *krl, size_t krl_len, json_t **out, struct error *err);

#endif
