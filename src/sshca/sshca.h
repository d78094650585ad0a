/* sshca.h - step-ca's SSH certificate authority (the /ssh/... API) on top of the authority.
 *
 * Like the ACME and admin engines, the SSH engine is part of the authority layer and knows
 * nothing of HTTP connections: stride-ca's server turns a request under /ssh (or /1.0/ssh) into
 * a struct sshca_request and sends back the struct sshca_response it is completed with.
 *
 * It serves step-ca's routes with its bodies, statuses and messages: POST /ssh/sign (JWK and
 * X5C tokens with the `step.ssh` claim; user, host and add-user certificates, the identity
 * certificate), /ssh/renew, /ssh/rekey and /ssh/revoke (SSHPOP tokens), GET /ssh/roots and
 * /ssh/federation, POST /ssh/config (the default templates), /ssh/check-host, GET /ssh/hosts,
 * POST /ssh/bastion; and, beyond step-ca, GET /ssh/krl: an OpenSSH key revocation list of the
 * revoked SSH certificates that sshd's RevokedKeys reads.
 *
 * The CA keys come from ca.json's "ssh" object (hostKey, userKey, keys, addUserPrincipal,
 * addUserCommand, bastion); certificates and revocations are kept in the store's records
 * (collections SSHCA_COL_*), so they work the same on SQLite and PostgreSQL.
 */
#ifndef STRIDE_SSHCA_SSHCA_H
#define STRIDE_SSHCA_SSHCA_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/audit.h"
#include "base/error.h"

struct authority;
struct sshca;

/* The store collections of the SSH CA (record ids are decimal serials unless said). */
#define SSHCA_COL_CERTS                                                                            \
	"ssh_certs" /* serial -> {"type","keyId","principals",                                     \
		     * "validBefore","provisioner","crt"} */
#define SSHCA_COL_REVOKED                                                                          \
	"ssh_revoked" /* serial -> {"type","reasonCode","reason",                                  \
		       * "revokedAt","provisioner"} */
#define SSHCA_COL_HOSTS                                                                            \
	"ssh_hosts" /* lower-cased host principal -> {"serial",                                    \
		     * "validBefore"} (for /ssh/check-host, /ssh/hosts) */

/* The CA keys and passwords, as stride-ca's flags give them (borrowed for the call). */
struct sshca_options {
	const char *host_password; /* --ssh-host-password-file's content, or NULL */
	const char *user_password; /* --ssh-user-password-file's content, or NULL */
	const char *ca_password;   /* the intermediate's password, tried when the above is NULL */
};

/* Loads ca.json's "ssh" object of a's configuration: the host and user CA keys (either or both
 * may be absent), the federated and extra keys, the add-user settings and the bastion. Without
 * an "ssh" object (or without keys) the engine still serves what step-ca serves then: /ssh/revoke,
 * /ssh/check-host and /ssh/hosts work on the store, the routes that sign answer 501 and the
 * others 404. Errors name the file and the problem ("error reading ssh hostKey <path>: ...").
 * *out owned by the caller (sshca_free). */
int sshca_new(struct authority *a, const struct sshca_options *opts, struct sshca **out,
	      struct error *err);
void sshca_free(struct sshca *s);
/* The start-up lines step-ca prints, separated by "\n": "SSH Host CA Key is <type> <base64>" and
 * "SSH User CA Key: <type> <base64>" (step-ca's wording), for the keys that are present
 * (step-ca follows each with an empty line); malloc'd, NULL when neither is. */
char *sshca_startup_lines(const struct sshca *s);

/* One HTTP request under /ssh, as the server read it. Everything is borrowed and must stay
 * valid until done has run. */
struct sshca_request {
	const char *method; /* "GET", "POST", ... */
	const char *path;   /* the raw path without query ("/ssh/sign", "/1.0/ssh/sign") */
	const char *query;  /* the raw query without '?', or NULL */
	const uint8_t *body;
	size_t body_len;
	X509 *peer;	    /* the client's TLS certificate, verified against the roots, or NULL */
	const char *client; /* the client's address for logs, or NULL */
};

/* The answer; strings malloc'd and owned by the response (sshca_response_free). */
struct sshca_response {
	int status;
	char *content_type; /* NULL: no body */
	char *body;
	size_t body_len;
	char *error;		 /* for the request log: the error's message, or NULL */
	struct audit_item audit; /* sign, renew, rekey, revoke: what was issued or revoked */
};
void sshca_response_free(struct sshca_response *r);

/* Called exactly once with the answer (owned by done: sshca_response_free it and free it),
 * from the caller's thread before sshca_handle returns or later from another thread. */
typedef void (*sshca_done_fn)(void *arg, struct sshca_response *resp);

/* Whether path (raw, without query) is under /ssh/ or /1.0/ssh/. */
bool sshca_path_is_ssh(const char *path, size_t len);

/* Serves one /ssh request. s NULL answers as step-ca without SSH keys does, without the store:
 * 501 (step-ca's generic text) for the routes that sign, 404 for the others. The work runs on
 * the authority's threads when its store waits on the network, else on the caller's. */
void sshca_handle(struct sshca *s, const struct sshca_request *req, sshca_done_fn done, void *arg);

#endif
