/* issue.h - sending a CSR and a token to the CA, online or in-process. */
#ifndef STRIDE_CLI_ISSUE_H
#define STRIDE_CLI_ISSUE_H

#include <openssl/x509.h>

#include "base/error.h"
#include "cli/command.h"

/* Gets a certificate for csr authorised by token: POST /sign to the CA (--ca-url/--root, or
 * the CA named by the token's audience and pinned by its "sha" claim), or with --offline the
 * authority of --ca-config in-process. *chain_pem = leaf then intermediates; malloc'd. */
int cli_issue(struct cli_ctx *ctx, X509_REQ *csr, const char *token, const char *not_before,
	      const char *not_after, char **chain_pem, struct error *err);

#endif
