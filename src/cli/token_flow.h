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
 * token is signed with sshpop_key (decrypted with --password-file or a prompt). *token malloc'd
 * (the caller wipes and frees it). */
int token_flow_create(struct cli_ctx *ctx, const struct token_request *req, char **token,
		      struct error *err);

/* The claims of a token without verifying it (for --token given by the user): sub, the
 * "sans" list, the first audience and the "sha" claim. Strings malloc'd, may be NULL. */
struct token_info {
	char *subject;
	struct strv sans;
	char *audience;
	char *sha;
};
int token_flow_inspect(const char *token, struct token_info *out, struct error *err);
void token_info_free(struct token_info *ti);

#endif
