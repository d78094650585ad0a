/* cmd_health.c - `stride ca health`, as `step ca health`. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"

static const struct flag_def health_flags[] = {
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static int health_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client *c = NULL;
	char *status = NULL;
	int rc = -1;

	if (cli_client_new(ctx, &c, err) != 0)
		goto out;
	if (ca_client_health(c, &status, err) != 0)
		goto out;
	printf("%s\n", status);
	rc = 0;
out:
	free(status);
	ca_client_free(c);
	return rc;
}

const struct command cmd_ca_health = {
    .name = "health",
    .summary = "get the status of the CA",
    .description = "Asks the CA for its health over TLS verified with the root certificate and\n"
		   "prints the status it reports (\"ok\").",
    .flags = health_flags,
    .min_args = 0,
    .max_args = 0,
    .run = health_run,
};
