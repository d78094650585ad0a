/* admin_mode.c - whether an admin command edits ca.json or calls the admin API (admin.md §6.1):
 * step probes GET /admin/admins without credentials and reads the answer's status. */
#include "cli/admin_cli.h"
#include "cli/command.h"
#include "client/ca_client.h"

int cli_admin_mode(struct cli_ctx *ctx, enum admin_mode *mode, struct error *err)
{
	struct ca_client *c = NULL;
	struct error probe = {0};
	json_t *body = NULL;
	long status = 0;
	int rc = -1;

	*mode = ADMIN_MODE_LOCAL;
	if (cli_client_new(ctx, &c, err) != 0)
		goto out;
	if (ca_client_get_json(c, "/admin/admins", &status, &body, &probe) != 0 && status == 0) {
		/* no answer at all (refused, unreachable, TLS failure): the CA is not running,
		 * so its configuration file is edited */
		rc = 0;
		goto out;
	}
	switch (status) {
	case 404: /* the admin routes are not mounted */
	case 501: /* mounted but disabled */
		*mode = ADMIN_MODE_LOCAL;
		rc = 0;
		break;
	case 401:
		*mode = ADMIN_MODE_REMOTE;
		rc = 0;
		break;
	default:
		/* step's client fails on anything else, success statuses included */
		err_set(
		    err, ERR_INVALID,
		    "unexpected status code when performing is-enabled check for Admin API: %ld",
		    status);
		break;
	}
out:
	json_decref(body);
	ca_client_free(c);
	return rc;
}
