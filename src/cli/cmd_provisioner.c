/* cmd_provisioner.c - `stride ca provisioner list | jwe-key`, as step's. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/ui.h"

#define NOT_IMPLEMENTED(n, s) (&(const struct command){.name = (n), .summary = (s)})

static const struct flag_def list_flags[] = {
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static int list_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client *c = NULL;
	json_t *all = NULL;
	int rc = -1;

	if (cli_client_new(ctx, &c, err) != 0)
		goto out;
	if (ca_client_provisioners(c, &all, err) != 0)
		goto out;
	rc = ui_print_json(all, 3, err);
out:
	json_decref(all);
	ca_client_free(c);
	return rc;
}

static const struct command cmd_list = {
    .name = "list",
    .summary = "list provisioners configured in the CA",
    .description = "Fetches every provisioner of the CA (all pages) and prints them as one JSON\n"
		   "array.",
    .flags = list_flags,
    .min_args = 0,
    .max_args = 0,
    .run = list_run,
};

static int jwe_key_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client *c = NULL;
	char *key = NULL;
	int rc = -1;

	if (cli_client_new(ctx, &c, err) != 0)
		goto out;
	if (ca_client_provisioner_encrypted_key(c, cli_arg(ctx, 0), &key, err) != 0)
		goto out;
	printf("%s\n", key);
	rc = 0;
out:
	free(key);
	ca_client_free(c);
	return rc;
}

static const struct command cmd_jwe_key = {
    .name = "jwe-key",
    .summary = "retrieve and print a provisioning key in the CA",
    .args = "<kid>",
    .description = "Prints the encrypted private key (a JWE) of the JWK provisioner whose key\n"
		   "id is <kid>.",
    .flags = list_flags,
    .min_args = 1,
    .max_args = 1,
    .run = jwe_key_run,
};

static const struct command *const provisioner_subcommands[] = {
    &cmd_list,
    &cmd_jwe_key,
    NOT_IMPLEMENTED("add", "add a provisioner"),
    NOT_IMPLEMENTED("update", "update a provisioner"),
    NOT_IMPLEMENTED("remove", "remove a provisioner"),
    NOT_IMPLEMENTED("webhook", "create and manage webhooks of a provisioner"),
    NULL,
};

const struct command cmd_ca_provisioner = {
    .name = "provisioner",
    .summary = "create and manage the certificate authority provisioners",
    .description = "Lists the CA's provisioners and prints their encrypted keys.",
    .sub = provisioner_subcommands,
};
