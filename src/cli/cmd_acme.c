/* cmd_acme.c - `stride ca acme eab add | list | remove`, as step's `step ca acme eab ...`
 * prints them.
 *
 * step manages EAB keys through the admin API of a running CA, and so does stride (admin
 * credentials as cli/admin_cli.h gets them). With --offline the commands work in-process on
 * the database of --ca-config instead (the CA's own store, safe while stride-ca runs on it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acme/acme.h"
#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/admin_util.h"
#include "cli/ca_backend.h"
#include "cli/command.h"

#define EAB_OFFLINE_FLAG                                                                           \
	{                                                                                          \
		.name = "offline", .type = FLAG_BOOL,                                              \
		.help =                                                                            \
		    "Work on the CA's database (the \"db\" of --ca-config) in-process, on the "    \
		    "CA's host, instead of through the CA's admin API."                            \
	}

#define LIST_PAGE 100 /* keys read per page */

static const struct flag_def add_remove_flags[] = {
    EAB_OFFLINE_FLAG, CLI_FLAG_CA_CONFIG, CLI_FLAGS_ADMIN, CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,    CLI_FLAG_CONTEXT,	  FLAG_END,
};

static const struct flag_def list_flags[] = {
    {.name = "limit",
     .type = FLAG_STRING,
     .placeholder = "number",
     .help = "The number of keys to read per page (default 100)."},
    {.name = "no-pager",
     .type = FLAG_BOOL,
     .help = "Print to stdout, not through $PAGER (which is used only when stdout is a "
	     "terminal)."},
    EAB_OFFLINE_FLAG,
    CLI_FLAG_CA_CONFIG,
    CLI_FLAGS_ADMIN,
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static int add_run(struct cli_ctx *ctx, struct error *err)
{
	const char *prov = cli_arg(ctx, 0), *ref = cli_arg(ctx, 1);
	struct acme_eab_key k = {0};

	if (ca_backend_admin_open(ctx->ca, err) != 0)
		return admin_cli_result(err_wrap(err, "error creating admin client"), err);
	if (ca_backend_eab_add(ctx->ca, prov, ref != NULL ? ref : "", &k, err) != 0)
		return admin_cli_result(err_wrap(err, "error creating ACME EAB key"), err);
	printf("%-36s%-28s%-48s%s\n", "Key ID", "Provisioner", "Key (base64, raw url encoded)",
	       "Reference");
	printf("%-36s%-28s%-48s%s\n", k.id, k.provisioner, k.hmac_key, k.reference);
	acme_eab_key_free(&k);
	return 0;
}

/* "2006-01-02 15:04:05 -07:00" in UTC, or "" for 0. */
static const char *list_time(int64_t t_ns, char *out, size_t n)
{
	time_t sec = (time_t)(t_ns / 1000000000);
	struct tm tm;

	out[0] = '\0';
	if (t_ns != 0 && gmtime_r(&sec, &tm) != NULL)
		strftime(out, n, "%Y-%m-%d %H:%M:%S +00:00", &tm);
	return out;
}

/* Where the list goes: $PAGER when stdout is a terminal and --no-pager is not given. */
static FILE *list_output(const struct cli_ctx *ctx, bool *piped)
{
	const char *pager = getenv("PAGER");
	FILE *f;

	*piped = false;
	if (flag_bool(ctx, "no-pager") || pager == NULL || pager[0] == '\0' || !isatty(1))
		return stdout;
	fflush(stdout);
	f = popen(pager, "w");
	if (f == NULL)
		return stdout;
	*piped = true;
	return f;
}

static int list_run(struct cli_ctx *ctx, struct error *err)
{
	const char *prov = cli_arg(ctx, 0), *ref = cli_arg(ctx, 1), *lim = flag_str(ctx, "limit");
	struct acme_eab_key *keys = NULL;
	size_t n = 0, total = 0, limit = LIST_PAGE;
	char *cursor = NULL, *next = NULL;
	FILE *out = stdout;
	bool piped = false;
	long long v;
	int rc = -1;

	if (lim != NULL) {
		if (parse_int64(lim, &v, NULL) != 0 || v < 0)
			return cli_err_invalid(err, "limit", lim, "it must be a number");
		limit = v == 0 ? LIST_PAGE : (size_t)v;
	}
	if (ca_backend_admin_open(ctx->ca, err) != 0)
		return admin_cli_result(err_wrap(err, "error creating admin client"), err);
	cursor = xstrdup("");
	do {
		if (ca_backend_eab_list(ctx->ca, prov, ref, cursor, limit, &keys, &n, &next, err) !=
		    0) {
			admin_cli_result(err_wrap(err, "error retrieving ACME EAB keys"), err);
			goto out;
		}
		if (total == 0 && n > 0) {
			out = list_output(ctx, &piped);
			fprintf(out, "%-36s%-28s%-16s%-30s%-30s%-40s%s\n", "Key ID", "Provisioner",
				"Key (masked)", "Created At", "Bound At", "Account", "Reference");
		}
		for (size_t i = 0; i < n; i++) {
			char created[40], bound[40];
			fprintf(out, "%-36s%-28s%-16s%-30s%-30s%-40s%s\n", keys[i].id,
				keys[i].provisioner, "*****",
				list_time(keys[i].created_at_ns, created, sizeof(created)),
				list_time(keys[i].bound_at_ns, bound, sizeof(bound)),
				keys[i].account, keys[i].reference);
		}
		total += n;
		acme_eab_keys_free(keys, n);
		keys = NULL;
		free(cursor);
		cursor = next;
		next = NULL;
	} while (cursor[0] != '\0');
	if (total == 0)
		printf("No ACME EAB keys stored for provisioner %s\n", prov);
	rc = 0;
out:
	if (piped)
		pclose(out);
	free(cursor);
	free(next);
	return rc;
}

static int remove_run(struct cli_ctx *ctx, struct error *err)
{
	if (ca_backend_admin_open(ctx->ca, err) != 0)
		return admin_cli_result(err_wrap(err, "error creating admin client"), err);
	if (ca_backend_eab_remove(ctx->ca, cli_arg(ctx, 0), cli_arg(ctx, 1), err) != 0)
		return admin_cli_result(err_wrap(err, "error removing ACME EAB key"), err);
	printf("Key was deleted successfully!\n");
	return 0;
}

static const struct command cmd_eab_add = {
    .name = "add",
    .summary = "add ACME External Account Binding Key",
    .args = "<provisioner> [<reference>]",
    .description = "Creates an EAB key (an ID and a 256-bit HMAC key) for the ACME provisioner\n"
		   "<provisioner>, with an optional <reference> unique within it, and prints\n"
		   "them. ACME clients pass the key ID and the HMAC key (certbot --eab-kid and\n"
		   "--eab-hmac-key, lego --kid and --hmac).\n\n"
		   "With --offline the key is stored in the CA's database, read from --ca-config.",
    .flags = add_remove_flags,
    .min_args = 1,
    .max_args = 2,
    .run = add_run,
};

static const struct command cmd_eab_list = {
    .name = "list",
    .summary = "list ACME External Account Binding Keys",
    .args = "<provisioner> [<reference>]",
    .description = "Lists the EAB keys of the ACME provisioner <provisioner> (only the one with\n"
		   "<reference> when given), their HMAC keys masked.",
    .flags = list_flags,
    .min_args = 1,
    .max_args = 2,
    .run = list_run,
};

static const struct command cmd_eab_remove = {
    .name = "remove",
    .summary = "remove an ACME External Account Binding Key",
    .args = "<provisioner> <key-id>",
    .description = "Removes the EAB key <key-id> of the ACME provisioner <provisioner>.",
    .flags = add_remove_flags,
    .min_args = 2,
    .max_args = 2,
    .run = remove_run,
};

static const struct command *const eab_subcommands[] = {
    &cmd_eab_list,
    &cmd_eab_add,
    &cmd_eab_remove,
    NULL,
};

static const struct command cmd_eab = {
    .name = "eab",
    .summary = "create and manage ACME External Account Binding Keys",
    .description = "Manages the External Account Binding keys that ACME provisioners with\n"
		   "requireEAB ask new accounts for.",
    .sub = eab_subcommands,
};

static const struct command *const acme_subcommands[] = {
    &cmd_eab,
    NULL,
};

const struct command cmd_ca_acme = {
    .name = "acme",
    .summary = "manage ACME settings",
    .description = "Manages the ACME settings of the CA: External Account Binding keys.",
    .sub = acme_subcommands,
};
