/* issue.h - sending a CSR and a token to the CA the flags select (cli/ca_backend.h). */
#ifndef STRIDE_CLI_ISSUE_H
#define STRIDE_CLI_ISSUE_H

#include <openssl/x509.h>

#include "base/error.h"
#include "cli/command.h"
#include "cli/token_flow.h"

/* Flags of the commands that send a CSR to the CA (certificate, sign). */
#define ISSUE_FLAGS                                                                                \
	TOKEN_FLOW_FLAGS,                                                                          \
	    {.name = "token",                                                                      \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "token",                                                               \
	     .help = "The one-time token that authorizes the request (otherwise one is made "      \
		     "with the provisioner)."},                                                    \
	    {.name = "not-before",                                                                 \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "time|duration",                                                       \
	     .help = "When the certificate validity starts: an RFC 3339 time or a duration "       \
		     "from now."},                                                                 \
	    {.name = "not-after",                                                                  \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "time|duration",                                                       \
	     .help = "When the certificate validity ends: an RFC 3339 time or a duration "         \
		     "from not-before."},                                                          \
	    {.name = "set",                                                                        \
	     .type = FLAG_LIST,                                                                    \
	     .placeholder = "key=value",                                                           \
	     .help = "Template data for the certificate template (.Insecure.User); repeat "        \
		     "for several; a value that is JSON is sent as JSON."},                        \
	    {.name = "set-file",                                                                   \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "Template data from a JSON file (an object)."},                               \
	    {.name = "x5c-cert",                                                                   \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "chain",                                                               \
	     .help = "Certificate (chain) for the x5c header of the token (X5C provisioners)."},   \
	    {.name = "x5c-key",                                                                    \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "Private key of --x5c-cert, used to sign the token."},                        \
	    K8SSA_TOKEN_FLAG,                                                                      \
	    {.name = "acme",                                                                       \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "url",                                                                 \
	     .help = "ACME directory URL (not supported yet)."},                                   \
	    CLI_FLAG_KMS, CLI_FLAG_FORCE

/* Refuses --offline with --token, and the ISSUE_FLAGS of features stride lacks so far. */
int cli_issue_check_flags(struct cli_ctx *ctx, struct error *err);

/* Gets a certificate for csr authorised by token: POST /sign to the CA (--ca-url/--root, or
 * the CA named by the token's audience and pinned by its "sha" claim), or with --offline the
 * authority of --ca-config in-process. *chain_pem = leaf then intermediates; malloc'd. */
int cli_issue(struct cli_ctx *ctx, X509_REQ *csr, const char *token, const char *not_before,
	      const char *not_after, char **chain_pem, struct error *err);

#endif
