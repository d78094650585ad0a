/* oidc_flow.h - the ID token of an OIDC provisioner: OAuth 2.0 authorization-code flow with
 * PKCE (RFC 7636, S256) and a loopback redirect (RFC 8252 §7.3), as `step oauth --oidc` runs
 * it for `step ca token` and `step ca certificate`.
 *
 * The identity provider's endpoints come from the provisioner's configurationEndpoint; the
 * callback listens on the provisioner's listenAddress (STRIDE_LISTEN overrides it; default
 * 127.0.0.1 on a random port). The authorization URL is opened with $BROWSER, else xdg-open
 * (never waited for), and printed on stderr; STRIDE_OPEN_BROWSER=0 only prints it. The flow
 * gives up after two minutes, as step does.
 */
#ifndef STRIDE_CLI_OIDC_FLOW_H
#define STRIDE_CLI_OIDC_FLOW_H

#include <jansson.h>

#include "base/error.h"

/* Runs the flow for the provisioner p (an OIDC object of GET /provisioners or ca.json);
 * *id_token malloc'd. */
int oidc_flow_token(const json_t *p, char **id_token, struct error *err);

#endif
