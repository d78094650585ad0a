/* token_flow.h - choosing a provisioner and signing a token with it, as step does.
 *
 * Shared by `ca token`, `ca certificate`, `ca sign` and `ca revoke`: the provisioners and
 * the encrypted key come from the CA end the flags selected (cli/ca_backend.h): online from
 * the CA, with --offline from ca.json.
 */
#ifndef STRIDE_CLI_TOKEN_FLOW_H
#define STRIDE_CLI_TOKEN_FLOW_H

#include "base/error.h"
#include <jansson.h>

#include "base/str.h"
#include "cli/command.h"

enum token_kind {
	TOKEN_KIND_SIGN,
	TOKEN_KIND_REVOKE,
	TOKEN_KIND_SSH_SIGN,   /* audience .../ssh/sign, claim "step", no "sans" */
	TOKEN_KIND_SSH_REVOKE, /* .../ssh/revoke, subject = the SSH serial in decimal */
	TOKEN_KIND_SSH_RENEW,  /* .../ssh/renew (SSHPOP) */
	TOKEN_KIND_SSH_REKEY,  /* .../ssh/rekey (SSHPOP) */
};

struct token_request {
	enum token_kind kind;
	const char *subject;
	const json_t *step;	 /* TOKEN_KIND_SSH_SIGN: the "step" claim (client/ssh_token.h) */
	const char *sshpop_cert; /* an SSH certificate file: an SSHPOP token signed with */
	const char *sshpop_key;	 /* its private key (only SSHPOP provisioners offered) */
	const char *sshpop_password_file; /* decrypts sshpop_key when encrypted; NULL = ask */
	bool provisioner_password_only;	  /* the provisioner key's password never comes from
					   * --password-file (it encrypts a new key there) */
	const struct strv *sans; /* sign tokens: the "sans" claim; NULL or empty = [subject] */
	const char *cnf;	 /* cnf x5rt#S256 value or NULL */
	const char *not_before;	 /* token window (time or duration), NULL = now */
	const char *not_after;	 /* NULL = not_before + 5m */
	const json_t *user;	 /* sign tokens: the "user" claim (--set), or NULL */
};

/* --k8ssa-token-path, for the commands that may use a K8sSA provisioner. */
#define K8SSA_TOKEN_FLAG                                                                           \
	{                                                                                          \
		.name = "k8ssa-token-path", .type = FLAG_STRING, .placeholder = "file",            \
		.help = "The file with the Kubernetes service account token (default "             \
			"/var/run/secrets/kubernetes.io/serviceaccount/token); only K8sSA "        \
			"provisioners are offered when it is given."                               \
	}

/* Flags a command needs for token_flow_create (add to its flag table). */
#define TOKEN_FLOW_FLAGS                                                                           \
	{.name = "kid",                                                                            \
	 .type = FLAG_STRING,                                                                      \
	 .placeholder = "kid",                                                                     \
	 .help = "The provisioner kid to use."},                                                   \
	    {.name = "provisioner",                                                                \
	     .aliases = "issuer",                                                                  \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "name",                                                                \
	     .help = "The provisioner name to use."},                                              \
	    {.name = "key",                                                                        \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "The private key file (JWK or PEM) used to sign the token, instead of "       \
		     "the provisioner's encrypted key."},                                          \
	    CLI_FLAG_PASSWORD_FILE, CLI_FLAG_PROVISIONER_PASSWORD_FILE, CLI_FLAG_OFFLINE,          \
	    CLI_FLAG_CA_CONFIG, CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT

/* Builds a provisioner token for the request with the provisioner the flags select; prints
 * "✔ Provisioner: <label>". With sshpop_cert only SSHPOP provisioners are offered and the
 * token is signed with sshpop_key (decrypted with --password-file or a prompt); with
 * --k8ssa-token-path (a flag of the command, K8SSA_TOKEN_FLAG) only K8sSA ones, and a K8sSA
 * provisioner's token is the content of that file (K8SSA_DEFAULT_TOKEN_PATH without the flag).
 * *token malloc'd (the caller wipes and frees it). */
int token_flow_create(struct cli_ctx *ctx, const struct token_request *req, char **token,
		      struct error *err);

/* What kind of token step's CLI takes a token for (its Payload.Type()). */
enum token_type {
	TOKEN_TYPE_UNKNOWN = 0,
	TOKEN_TYPE_JWK,	  /* a "sha" or "sans" claim: step's own tokens (JWK, X5C...) */
	TOKEN_TYPE_K8SSA, /* iss kubernetes/serviceaccount */
	TOKEN_TYPE_OIDC,  /* aud, iss, sub, exp and iat: an identity provider's ID token */
};

/* The claims of a token without verifying it (for --token given by the user): sub, the
 * "sans" list, the first audience, the "sha" claim, iss and email. Strings malloc'd, may be
 * NULL. */
struct token_info {
	char *subject;
	struct strv sans;
	char *audience;
	char *sha;
	char *issuer;
	char *email;
	enum token_type type;
};
/* A Kubernetes service-account token (step's token type K8sSA): its "iss". */
#define K8SSA_TOKEN_ISSUER "kubernetes/serviceaccount"
/* Where step reads the service-account token when --k8ssa-token-path is not given. */
#define K8SSA_DEFAULT_TOKEN_PATH "/var/run/secrets/kubernetes.io/serviceaccount/token"
/* Whether ti is a service-account token: the CA copies the CSR's names, the subject argument
 * need not match its "sub" and the CSR carries only the --san names. */
bool token_info_is_k8ssa(const struct token_info *ti);
int token_flow_inspect(const char *token, struct token_info *out, struct error *err);
void token_info_free(struct token_info *ti);

#endif
