/* cmd_provisioner.c - `stride ca provisioner list | jwe-key | add | update | remove`, as step's.
 *
 * add/update/remove choose their mode as step does (admin.md §6.1): against a CA with the admin
 * API they call it; otherwise they edit ca.json (--ca-config): loaded without validation, only
 * authority.provisioners changed, written back atomically with tab indentation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/str.h"
#include "cli/admin_cli.h"
#include "cli/admin_util.h"
#include "cli/command.h"
#include "cli/prov_edit.h"
#include "cli/ui.h"
#include "config/json_write.h"
#include "config/linkedca.h"

#define CA_JSON_MAX (16u * 1024u * 1024u)
#define LOCAL_SUCCESS                                                                              \
	"Success! Your `step-ca` config has been updated. To pick up the new configuration "       \
	"SIGHUP (kill -1 <pid>) or restart the step-ca process."

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

/* --- local mode: ca.json ---------------------------------------------------------------------- */

/* A loaded ca.json: the whole document and its provisioners array (borrowed from doc). */
struct local_config {
	const char *path;
	json_t *doc;
	json_t *provs;
	mode_t mode;
};

/* Prints step's status line and loads ca.json without validating it. */
static int local_load(struct cli_ctx *ctx, struct local_config *lc, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	json_error_t jerr;
	json_t *auth;
	struct stat st;
	int rc = -1;

	memset(lc, 0, sizeof(*lc));
	lc->path = flag_str(ctx, "ca-config");
	if (lc->path == NULL)
		return cli_err_required(ctx, err, "ca-config");
	ui_status("CA Configuration", "%s", lc->path);
	lc->mode = stat(lc->path, &st) == 0 ? (st.st_mode & 07777) : 0600;
	if (file_read(lc->path, CA_JSON_MAX, &data, &len, err) != 0) {
		err_wrap(err, "error loading configuration");
		goto out;
	}
	lc->doc = json_loadb((const char *)data, len, 0, &jerr);
	if (!json_is_object(lc->doc)) {
		err_set(err, ERR_INVALID, "error loading configuration: error parsing %s: %s",
			lc->path, lc->doc == NULL ? jerr.text : "not a JSON object");
		goto out;
	}
	auth = json_object_get(lc->doc, "authority");
	if (!json_is_object(auth)) {
		auth = json_object();
		json_object_set_new(lc->doc, "authority", auth);
	}
	lc->provs = json_object_get(auth, "provisioners");
	if (!json_is_array(lc->provs)) {
		lc->provs = json_array();
		json_object_set_new(auth, "provisioners", lc->provs);
	}
	fputc('\n', stderr);
	rc = 0;
out:
	free(data);
	return rc;
}

static void local_free(struct local_config *lc)
{
	json_decref(lc->doc);
	memset(lc, 0, sizeof(*lc));
}

/* Writes ca.json back and prints step's success line. */
static int local_save(struct local_config *lc, struct error *err)
{
	if (config_write_json(lc->path, lc->doc, 1, lc->mode, err) != 0)
		return -1;
	ui_info("%s", LOCAL_SUCCESS);
	return 0;
}

/* The index of the provisioner called name, or -1. */
static long local_find(const struct local_config *lc, const char *name)
{
	json_t *p;
	size_t i;

	json_array_foreach(lc->provs, i, p)
	{
		const char *n = json_string_value(json_object_get(p, "name"));
		if (n != NULL && strcmp(n, name) == 0)
			return (long)i;
	}
	return -1;
}

/* step-ca's collection checks for a provisioner entering the list at index skip (-1: new):
 * a unique name and a unique token identifier. */
static int local_check_unique(const struct local_config *lc, const json_t *prov, long skip,
			      const char *cap_token, struct error *err)
{
	const char *name = json_string_value(json_object_get(prov, "name"));
	char *id = prov_token_id(prov), *other;
	json_t *p;
	size_t i;
	int rc = 0;

	json_array_foreach(lc->provs, i, p)
	{
		const char *n = json_string_value(json_object_get(p, "name"));
		if ((long)i == skip)
			continue;
		if (n != NULL && strcmp(n, name) == 0) {
			rc = err_set(err, ERR_INVALID, "provisioner with name %s already exists",
				     name);
			break;
		}
		other = prov_token_id(p);
		if (strcmp(other, id) == 0)
			rc = err_set(err, ERR_INVALID, "provisioner with %s ID %s already exists",
				     cap_token, id);
		free(other);
		if (rc != 0)
			break;
	}
	free(id);
	return rc;
}

static const json_t *global_claims(const struct local_config *lc)
{
	return json_object_get(json_object_get(lc->doc, "authority"), "claims");
}

static int local_add(struct cli_ctx *ctx, json_t *prov, struct error *err)
{
	struct local_config lc;
	const char *name = json_string_value(json_object_get(prov, "name"));
	int rc = -1;

	if (local_load(ctx, &lc, err) != 0)
		goto out;
	if (local_check_unique(&lc, prov, -1, "token", err) != 0) {
		err_wrap(err, "error storing provisioner");
		goto out;
	}
	if (prov_check_claims(prov, global_claims(&lc), err) != 0 ||
	    prov_check_durations(prov, err) != 0) {
		err_wrap(err,
			 "error storing provisioner: error validating configuration for "
			 "provisioner \"%s\"",
			 name);
		goto out;
	}
	json_array_append(lc.provs, prov);
	rc = local_save(&lc, err);
out:
	local_free(&lc);
	return rc;
}

/* update: the entry is changed in place (its position kept). */
static int local_update(struct cli_ctx *ctx, const char *name, struct error *err)
{
	struct local_config lc;
	json_t *prov = NULL;
	const char *new_name;
	long at;
	int rc = -1;

	if (local_load(ctx, &lc, err) != 0)
		goto out;
	if ((at = local_find(&lc, name)) < 0) {
		err_set(err, ERR_NOT_FOUND, "error loading provisioner: provisioner %s not found",
			name);
		goto out;
	}
	prov = json_deep_copy(json_array_get(lc.provs, (size_t)at));
	if (prov_apply_update(ctx, prov, err) != 0)
		goto out;
	new_name = json_string_value(json_object_get(prov, "name"));
	if (prov_check_claims(prov, global_claims(&lc), err) != 0 ||
	    prov_check_durations(prov, err) != 0) {
		err_wrap(err, "error updating provisioner: error initializing provisioner %s",
			 new_name);
		goto out;
	}
	if (local_check_unique(&lc, prov, at, "Token", err) != 0) {
		err_wrap(err,
			 "error updating provisioner: error updating provisioner '%s' in authority "
			 "cache",
			 new_name);
		goto out;
	}
	json_array_set(lc.provs, (size_t)at, prov);
	rc = local_save(&lc, err);
out:
	json_decref(prov);
	local_free(&lc);
	return rc;
}

static int local_remove(struct cli_ctx *ctx, const char *name, struct error *err)
{
	struct local_config lc;
	long at;
	int rc = -1;

	if (local_load(ctx, &lc, err) != 0)
		goto out;
	if ((at = local_find(&lc, name)) < 0) {
		err_set(err, ERR_NOT_FOUND, "error loading provisioner: provisioner %s not found",
			name);
		goto out;
	}
	json_array_remove(lc.provs, (size_t)at);
	rc = local_save(&lc, err);
out:
	local_free(&lc);
	return rc;
}

/* --- remote mode: the admin API ----------------------------------------------------------------
 */

static int remote_add(struct cli_ctx *ctx, const json_t *prov, struct error *err)
{
	struct admin_session *s = NULL;
	json_t *lc = NULL, *resp = NULL;
	int status = 0, rc = -1;

	if (prov_check_durations(prov, err) != 0 ||
	    linkedca_from_config(prov, NULL, 0, false, &lc, err) != 0 ||
	    cli_admin_session_new(ctx, &s, err) != 0)
		goto out;
	rc = cli_admin_call(s, "POST", "/admin/provisioners", lc, &status, &resp, err);
out:
	json_decref(resp);
	json_decref(lc);
	cli_admin_session_free(s);
	return admin_cli_result(rc, err);
}

/* The members of the stored provisioner that the CLI sends back unchanged on PUT. */
static const char *const kept_members[] = {"id",	"authorityId", "createdAt",
					   "deletedAt", "policy",      "webhooks"};

static int remote_update(struct cli_ctx *ctx, const char *name, struct error *err)
{
	struct admin_session *s = NULL;
	json_t *old = NULL, *cfg = NULL, *lc = NULL, *resp = NULL;
	char *esc = admin_path_escape(name), *path = xasprintf("/admin/provisioners/%s", esc);
	int status = 0, rc = -1;

	if (cli_admin_session_new(ctx, &s, err) != 0 ||
	    cli_admin_call(s, "GET", path, NULL, &status, &old, err) != 0)
		goto out;
	if (linkedca_to_config(old, &cfg, err) != 0 || prov_apply_update(ctx, cfg, err) != 0 ||
	    prov_check_durations(cfg, err) != 0 ||
	    linkedca_from_config(cfg, NULL, 0, false, &lc, err) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(kept_members) / sizeof(kept_members[0]); i++) {
		json_t *v = json_object_get(old, kept_members[i]);
		if (v != NULL)
			json_object_set(lc, kept_members[i], v);
	}
	rc = cli_admin_call(s, "PUT", path, lc, &status, &resp, err);
out:
	json_decref(resp);
	json_decref(lc);
	json_decref(cfg);
	json_decref(old);
	cli_admin_session_free(s);
	free(path);
	free(esc);
	return admin_cli_result(rc, err);
}

static int remote_remove(struct cli_ctx *ctx, const char *name, struct error *err)
{
	struct admin_session *s = NULL;
	json_t *resp = NULL;
	char *esc = admin_path_escape(name), *path = xasprintf("/admin/provisioners/%s", esc);
	int status = 0, rc = -1;

	if (cli_admin_session_new(ctx, &s, err) == 0)
		rc = cli_admin_call(s, "DELETE", path, NULL, &status, &resp, err);
	json_decref(resp);
	cli_admin_session_free(s);
	free(path);
	free(esc);
	return admin_cli_result(rc, err);
}

/* --- commands ----------------------------------------------------------------------------------
 */

static int add_run(struct cli_ctx *ctx, struct error *err)
{
	enum admin_mode mode;
	json_t *prov = NULL;
	int rc = -1;

	/* step builds the provisioner (prompts included) before it looks at the CA */
	if (prov_build(ctx, cli_arg(ctx, 0), &prov, err) != 0 ||
	    cli_admin_mode(ctx, &mode, err) != 0)
		goto out;
	rc = mode == ADMIN_MODE_LOCAL ? local_add(ctx, prov, err) : remote_add(ctx, prov, err);
out:
	json_decref(prov);
	return rc;
}

static int update_run(struct cli_ctx *ctx, struct error *err)
{
	enum admin_mode mode;

	if (cli_admin_mode(ctx, &mode, err) != 0)
		return -1;
	return mode == ADMIN_MODE_LOCAL ? local_update(ctx, cli_arg(ctx, 0), err)
					: remote_update(ctx, cli_arg(ctx, 0), err);
}

static int remove_run(struct cli_ctx *ctx, struct error *err)
{
	enum admin_mode mode;

	if (cli_admin_mode(ctx, &mode, err) != 0)
		return -1;
	return mode == ADMIN_MODE_LOCAL ? local_remove(ctx, cli_arg(ctx, 0), err)
					: remote_remove(ctx, cli_arg(ctx, 0), err);
}

static const struct command cmd_add = {
    .name = "add",
    .summary = "add a provisioner",
    .args = "<name>",
    .description =
	"Adds a provisioner to the CA: through the admin API when the CA has it enabled,\n"
	"otherwise by editing the CA configuration (--ca-config).\n"
	"\n"
	"--type selects the kind (JWK by default). A JWK provisioner needs --create (a new\n"
	"P-256 key pair whose private key is encrypted with --password-file or a prompted\n"
	"password) or --public-key (a JWK or PEM file) with an optional --private-key.\n"
	"\n"
	"Examples:\n"
	"  stride ca provisioner add cicd --type JWK --create --password-file pass.txt\n"
	"  stride ca provisioner add x5c --type X5C --x5c-roots roots.pem\n"
	"  stride ca provisioner add acme --type ACME --challenge http-01 --require-eab\n"
	"  stride ca provisioner add sshpop --type SSHPOP",
    .flags = prov_add_flags,
    .min_args = 1,
    .max_args = 1,
    .run = add_run,
};

static const struct command cmd_update = {
    .name = "update",
    .summary = "update a provisioner",
    .args = "<name>",
    .description =
	"Changes a provisioner of the CA: through the admin API when the CA has it enabled,\n"
	"otherwise by editing the CA configuration (--ca-config). Only the given flags\n"
	"change it; --name renames it; the --remove-* flags drop values from its lists;\n"
	"an empty template file name removes a template.\n"
	"\n"
	"Examples:\n"
	"  stride ca provisioner update cicd --x509-default-dur 48h --x509-max-dur 72h\n"
	"  stride ca provisioner update acme --remove-challenge dns-01 --name acme-http",
    .flags = prov_update_flags,
    .min_args = 1,
    .max_args = 1,
    .run = update_run,
};

static const struct flag_def remove_flags[] = {
    CLI_FLAGS_ADMIN, CLI_FLAG_CA_URL, CLI_FLAG_ROOT, CLI_FLAG_CONTEXT, CLI_FLAG_CA_CONFIG, FLAG_END,
};

static const struct command cmd_remove = {
    .name = "remove",
    .summary = "remove a provisioner from the CA configuration",
    .args = "<name>",
    .description =
	"Removes a provisioner by name: through the admin API when the CA has it enabled,\n"
	"otherwise from the CA configuration (--ca-config).\n"
	"\n"
	"Example:\n"
	"  stride ca provisioner remove acme --ca-config /path/to/ca.json",
    .flags = remove_flags,
    .min_args = 1,
    .max_args = 1,
    .run = remove_run,
};

static const struct command *const provisioner_subcommands[] = {
    &cmd_list,	 &cmd_jwe_key,
    &cmd_add,	 &cmd_update,
    &cmd_remove, NOT_IMPLEMENTED("webhook", "create and manage webhooks of a provisioner"),
    NULL,
};

const struct command cmd_ca_provisioner = {
    .name = "provisioner",
    .summary = "create and manage the certificate authority provisioners",
    .description = "Lists the CA's provisioners, prints their encrypted keys, and adds, updates\n"
		   "and removes provisioners (through the admin API, or in ca.json when the CA\n"
		   "has no admin API).",
    .sub = provisioner_subcommands,
};
