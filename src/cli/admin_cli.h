/* admin_cli.h - how `stride ca provisioner add/update/remove`, `ca admin`, `ca policy` and
 * `ca acme eab` reach the admin API of a running CA (admin.md §2, §6).
 *
 * A command first decides its mode (cli_admin_mode: local when the CA has no admin API), then,
 * in remote mode, opens an admin session: admin credentials from --admin-cert/--admin-key, or a
 * short-lived admin certificate obtained through a provisioner (--admin-subject,
 * --admin-provisioner, --admin-password-file), as step does. Every request carries a new admin
 * token (x5c header, `Authorization` without `Bearer`).
 */
#ifndef STRIDE_CLI_ADMIN_CLI_H
#define STRIDE_CLI_ADMIN_CLI_H

#include <jansson.h>

#include "base/error.h"
#include "cli/command.h"

/* The admin credential flags every admin command takes (add them to its flag table). */
#define CLI_FLAGS_ADMIN                                                                            \
	{.name = "admin-cert",                                                                     \
	 .type = FLAG_STRING,                                                                      \
	 .placeholder = "file",                                                                    \
	 .help = "The admin certificate (chain) used to sign admin tokens."},                      \
	    {.name = "admin-key",                                                                  \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "file",                                                                \
	     .help = "The private key of --admin-cert."},                                          \
	    {.name = "admin-subject",                                                              \
	     .aliases = "admin-name",                                                              \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "subject",                                                             \
	     .help = "The admin subject to get an admin certificate for."},                        \
	    {.name = "admin-provisioner",                                                          \
	     .aliases = "admin-issuer",                                                            \
	     .type = FLAG_STRING,                                                                  \
	     .placeholder = "name",                                                                \
	     .help = "The provisioner that issues the admin certificate."},                        \
	{                                                                                          \
		.name = "admin-password-file", .aliases = "password-file", .type = FLAG_STRING,    \
		.placeholder = "file",                                                             \
		.help = "The file with the password of the admin provisioner's key."               \
	}

enum admin_mode {
	ADMIN_MODE_LOCAL,  /* no admin API: edit ca.json */
	ADMIN_MODE_REMOTE, /* the admin API answers 401 without credentials */
};

/* Decides the mode as step does (admin.md §6.1): GET /admin/admins without credentials;
 * connection refused or another network error, 404 or 501 -> local; 401 -> remote; other
 * statuses -> ERR_INVALID "unexpected status code when performing is-enabled check for Admin
 * API: <n>". */
int cli_admin_mode(struct cli_ctx *ctx, enum admin_mode *mode, struct error *err);

struct admin_session;

/* Opens a session with admin credentials (admin.md §2.2): --admin-cert with --admin-key (each
 * requires the other), else "No admin credentials found. You must login to execute admin
 * commands." on stderr and a new P-256 key with a certificate from POST /sign for the subject
 * (--admin-subject or a prompt) through the provisioner (--admin-provisioner or a selection),
 * whose JWK key is decrypted with --admin-password-file or a prompt. *out is the caller's. */
int cli_admin_session_new(struct cli_ctx *ctx, struct admin_session **out, struct error *err);
/* Wipes the key and frees; NULL is a no-op. */
void cli_admin_session_free(struct admin_session *s);

/* One admin API request: method, path (with query, e.g. "/admin/admins?limit=100"), body
 * (NULL: none; sent as JSON). On a 2xx, 0 with *status and *resp (the parsed body, NULL when
 * empty; new reference). Otherwise -1 with *status set and err carrying the server's "message"
 * (err->status the HTTP status, kind from it: 404 -> ERR_NOT_FOUND, ...). A 404 or 501 without
 * an admin error body (a CA without the admin API) gives ERR_NOT_FOUND "the CA does not serve
 * the admin API: ..." with err->status 0. */
int cli_admin_call(struct admin_session *s, const char *method, const char *path,
		   const json_t *body, int *status, json_t **resp, struct error *err);

#endif
