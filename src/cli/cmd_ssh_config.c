/* cmd_ssh_config.c - `stride ssh config`, `ssh check-host` and `ssh hosts`, as step's (ssh.md
 * §6, §7). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/b64.h"
#include "base/duration.h"
#include "base/file.h"
#include "cli/ca_backend.h"
#include "cli/command.h"
#include "cli/ssh_common.h"
#include "cli/ui.h"
#include "config/defaults.h"

#define TEMPLATE_MAX (1024u * 1024u) /* one rendered template */

static const struct flag_def config_flags[] = {
    {.name = "host",
     .type = FLAG_BOOL,
     .help = "Configure an SSH server (sshd) instead of a client: with --roots print the host "
	     "CA keys."},
    {.name = "roots",
     .type = FLAG_BOOL,
     .help = "Print the CA's SSH keys that sign user certificates (with --host: host "
	     "certificates), one \"<type> <base64>\" line each."},
    {.name = "federation",
     .type = FLAG_BOOL,
     .help = "Like --roots, with the federated keys of the CA."},
    {.name = "set",
     .type = FLAG_LIST,
     .placeholder = "key=value",
     .help = "Template data, e.g. --set User=alice for a client, --set Certificate=... "
	     "--set Key=... for a host; repeat for several."},
    {.name = "dry-run",
     .type = FLAG_BOOL,
     .help = "Print the files and their content instead of writing them."},
    {.name = "console",
     .type = FLAG_BOOL,
     .help = "Ask the templates for the console flavour (data Console=true)."},
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct flag_def check_host_flags[] = {
    {.name = "verbose",
     .short_name = 'v',
     .type = FLAG_BOOL,
     .help = "Print \"true\" or \"false\"."},
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

static const struct flag_def hosts_flags[] = {
    CLI_FLAG_CA_URL,
    CLI_FLAG_ROOT,
    CLI_FLAG_CONTEXT,
    FLAG_END,
};

/* --- roots and federation ----------------------------------------------------------------------
 */

/* Prints "<type> <base64>" for each key of the list. */
static int print_keys(const json_t *keys, struct error *err)
{
	size_t i;
	json_t *k;

	json_array_foreach(keys, i, k)
	{
		const char *b64 = json_string_value(k);
		struct ssh_pubkey pub = {0};
		uint8_t *blob = NULL;
		size_t len = 0;
		int rc = -1;
		if (b64 != NULL && b64_decode(b64, strlen(b64), false, &blob, &len, NULL) == 0)
			rc = ssh_pubkey_from_blob(blob, len, &pub, err);
		free(blob);
		if (rc != 0)
			return err_wrap(err, "error getting ssh public keys");
		printf("%s %s\n", ssh_key_type_name(pub.type), b64);
		ssh_pubkey_clear(&pub);
	}
	return 0;
}

static int print_roots(struct cli_ctx *ctx, struct ca_client *c, struct error *err)
{
	bool host = flag_bool(ctx, "host");
	json_t *resp = NULL, *keys;
	long status = 0;
	int rc = -1;

	if (ca_client_get_json(c, flag_bool(ctx, "roots") ? "/ssh/roots" : "/ssh/federation",
			       &status, &resp, err) != 0) {
		if (status == 404)
			return err_set(err, ERR_NOT_FOUND,
				       "step certificates is not configured with SSH support");
		return err_wrap(err, "error getting ssh public keys");
	}
	keys = json_object_get(resp, host ? "hostKey" : "userKey");
	if (json_array_size(keys) == 0)
		err_set(err, ERR_NOT_FOUND, "step certificates is not configured with an ssh.%s",
			host ? "hostKey" : "userKey");
	else
		rc = print_keys(keys, err);
	json_decref(resp);
	return rc;
}

/* --- templates ---------------------------------------------------------------------------------
 */

/* The request data: GOOS, StepPath, StepBasePath, StepSSHTemplateVersion, Context, Console,
 * then --set. */
static int config_data(struct cli_ctx *ctx, json_t **out, struct error *err)
{
	const struct strv *sets = flag_list(ctx, "set");
	const char *path = NULL;
	char *base = stride_base_path();
	json_t *d;

	if (cli_effective_path(ctx, &path, err) != 0) {
		free(base);
		return -1;
	}
	d = json_pack("{s:s, s:s, s:s, s:s}", "GOOS", "linux", "StepPath", path, "StepBasePath",
		      base, "StepSSHTemplateVersion", "v2");
	free(base);
	if (flag_str(ctx, "context") != NULL)
		json_object_set_new(d, "Context", json_string(flag_str(ctx, "context")));
	if (flag_bool(ctx, "console"))
		json_object_set_new(d, "Console", json_string("true"));
	for (size_t i = 0; i < sets->n; i++) {
		const char *eq = strchr(sets->v[i], '=');
		char *k;
		if (eq == NULL) {
			json_decref(d);
			return cli_err_invalid(err, "set", sets->v[i], NULL);
		}
		k = xasprintf("%.*s", (int)(eq - sets->v[i]), sets->v[i]);
		json_object_set_new(d, k, json_string(eq + 1));
		free(k);
	}
	*out = d;
	return 0;
}

/* The file of an existing text (NULL when absent) for a merge. */
static char *read_text(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *s;

	if (!file_exists(path) || file_read(path, TEMPLATE_MAX * 16, &data, &len, NULL) != 0)
		return NULL;
	s = xmalloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	free(data);
	return s;
}

/* A rendered template: its content (binary for files: the KRL) and length. */
struct rendered {
	char *data; /* NUL-terminated as well */
	size_t len;
};

/* Writes one rendered template as its type says (step's Output.Write): a directory, a whole
 * file (any bytes), a line put first or a snippet between markers (text only). */
static int write_template(const char *type, const char *path, const struct rendered *r,
			  struct error *err)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/'), *old = NULL, *text = NULL;
	char ts[64];
	int rc = -1;

	if (strcmp(type, "directory") == 0) {
		rc = file_mkdir_p(path, 0700, err);
		goto out;
	}
	if (slash != NULL && slash != dir)
		*slash = '\0';
	if (slash != NULL && slash != dir && file_mkdir_p(dir, 0700, err) != 0)
		goto out;
	if (strcmp(type, "file") == 0) {
		rc = file_write_atomic(path, r->data, r->len, 0600, err);
		goto out;
	}
	if (memchr(r->data, '\0', r->len) != NULL) {
		err_set(err, ERR_INVALID, "the CA's template for %s is not text", path);
		goto out;
	}
	old = read_text(path);
	if (strcmp(type, "prepend-line") == 0) {
		text = ssh_prepend_line(old, r->data);
	} else { /* "snippet", and step's default for unknown types */
		time_format_rfc3339(time_now_ns() / 1000000000 * 1000000000, ts, sizeof(ts));
		text = ssh_snippet_merge(old, r->data, ts);
	}
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
out:
	free(dir);
	free(old);
	free(text);
	return rc;
}

/* Decodes a template's content (base64). */
static int template_content(const json_t *t, struct rendered *out, struct error *err)
{
	const char *b64 = json_string_value(json_object_get(t, "content"));
	uint8_t *raw = NULL;
	size_t len = 0;

	if (b64 == NULL || b64_decode(b64, strlen(b64), false, &raw, &len, NULL) != 0 ||
	    len > TEMPLATE_MAX) {
		free(raw);
		return err_set(err, ERR_INVALID, "the CA's answer has an invalid template");
	}
	out->data = xmalloc(len + 1);
	memcpy(out->data, raw, len);
	out->data[len] = '\0';
	out->len = len;
	free(raw);
	return 0;
}

/* Writes (or with --dry-run prints) one template of the answer. */
static int apply_one(struct cli_ctx *ctx, const json_t *t, const char *home, const char *cwd,
		     const char *spath, const char *base, struct error *err)
{
	const char *type = json_string_value(json_object_get(t, "type"));
	const char *p = json_string_value(json_object_get(t, "path"));
	struct rendered r = {0};
	char *abs;
	int rc = -1;

	if (p == NULL)
		return err_set(err, ERR_INVALID, "the CA's answer has an invalid template");
	if (template_content(t, &r, err) != 0)
		return -1;
	abs = ssh_template_path(p, home, cwd, spath, base);
	if (flag_bool(ctx, "dry-run")) {
		printf("%s\n", abs);
		fwrite(r.data, 1, r.len, stdout);
		printf("\n");
		rc = 0;
	} else if ((rc = write_template(type != NULL ? type : "snippet", abs, &r, err)) == 0) {
		ui_info("✔ %s", abs);
	}
	free(r.data);
	free(abs);
	return rc;
}

/* Writes (or with --dry-run prints) each template of the answer. */
static int apply_templates(struct cli_ctx *ctx, const json_t *list, struct error *err)
{
	const char *spath = NULL, *home = getenv("HOME");
	char *base = stride_base_path(), cwd[4096];
	size_t i;
	json_t *t;
	int rc = -1;

	if (cli_effective_path(ctx, &spath, err) != 0)
		goto out;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		strcpy(cwd, ".");
	json_array_foreach(list, i, t)
	{
		if (apply_one(ctx, t, home != NULL ? home : "", cwd, spath, base, err) != 0)
			goto out;
	}
	rc = 0;
out:
	free(base);
	return rc;
}

static int config_templates(struct cli_ctx *ctx, struct ca_client *c, struct error *err)
{
	bool host = flag_bool(ctx, "host");
	json_t *data = NULL, *body = NULL, *resp = NULL, *list;
	int rc = -1;

	if (config_data(ctx, &data, err) != 0)
		return -1;
	body = json_pack("{s:s, s:o}", "type", host ? "host" : "user", "data", data);
	if (ca_client_post_json(c, "/ssh/config", body, NULL, &resp, err) != 0)
		goto out;
	list = json_object_get(resp, host ? "hostTemplates" : "userTemplates");
	if (json_array_size(list) == 0) {
		ui_info("No configuration changes were found.");
		rc = 0;
		goto out;
	}
	rc = apply_templates(ctx, list, err);
out:
	json_decref(body);
	json_decref(resp);
	return rc;
}

static int config_run(struct cli_ctx *ctx, struct error *err)
{
	bool roots = flag_bool(ctx, "roots"), fed = flag_bool(ctx, "federation");
	bool sets = flag_list(ctx, "set")->n > 0;
	struct ca_client *c = NULL;

	if (roots && fed)
		return cli_err_incompatible(err, "roots", "federation");
	if (roots && sets)
		return cli_err_incompatible(err, "roots", "set");
	if (fed && sets)
		return cli_err_incompatible(err, "federation", "set");
	if (ssh_cli_client(ctx, NULL, false, &c, err) != 0)
		return -1;
	if (roots || fed)
		return print_roots(ctx, c, err);
	return config_templates(ctx, c, err);
}

const struct command cmd_ssh_config = {
    .name = "config",
    .summary = "configures ssh to be used with certificates",
    .description =
	"Writes the ssh (or with --host the sshd) configuration the CA's templates render:\n"
	"snippets go between '# autogenerated by step' and '# end' lines of their file,\n"
	"other templates are whole files or lines put first. Paths starting with ~ are under\n"
	"$HOME, relative ones under $(stride path). For a client this is the known_hosts file\n"
	"that trusts host certificates ('@cert-authority * <host CA key>') and the ssh\n"
	"configuration that uses it; for a host the sshd configuration (--set Certificate=...\n"
	"--set Key=..., the names of the host's certificate and key), the user CA key and,\n"
	"with stride-ca, the key revocation list and its RevokedKeys line.\n\n"
	"With --roots (or --federation) only the CA's keys are printed: the user CA keys, or\n"
	"with --host the host CA keys.",
    .flags = config_flags,
    .min_args = 0,
    .max_args = 0,
    .run = config_run,
};

/* --- check-host and hosts ----------------------------------------------------------------------
 */

static int check_host_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client *c = NULL;
	json_t *body = json_pack("{s:s, s:s, s:s}", "type", "host", "principal", cli_arg(ctx, 0),
				 "token", ""),
	       *resp = NULL;
	bool exists = false;
	int rc = -1;

	if (ssh_cli_client(ctx, NULL, false, &c, err) != 0)
		goto out;
	if (ca_client_post_json(c, "/ssh/check-host", body, NULL, &resp, err) != 0) {
		err_wrap(err, "error checking ssh host eligibility");
		goto out;
	}
	exists = json_is_true(json_object_get(resp, "exists"));
	if (flag_bool(ctx, "verbose"))
		printf("%s\n", exists ? "true" : "false");
	rc = exists ? 0 : -1; /* not found: exit status 1 without a message */
out:
	json_decref(body);
	json_decref(resp);
	return rc;
}

const struct command cmd_ssh_check_host = {
    .name = "check-host",
    .summary = "checks if a certificate has been issued for a host",
    .args = "<hostname>",
    .description = "Asks the CA whether it issued a host certificate for <hostname>: exit status\n"
		   "0 if it did, 1 if not (used by the Match exec line of the ssh configuration\n"
		   "'stride ssh config' writes). --verbose also prints true or false.",
    .flags = check_host_flags,
    .min_args = 1,
    .max_args = 1,
    .run = check_host_run,
};

static int hosts_run(struct cli_ctx *ctx, struct error *err)
{
	struct ca_client *c = NULL;
	json_t *resp = NULL, *h;
	size_t i;

	if (ssh_cli_client(ctx, NULL, false, &c, err) != 0 ||
	    ca_client_get_json(c, "/ssh/hosts", NULL, &resp, err) != 0)
		return -1;
	printf("HOSTNAME\tID\tTAGS\n");
	json_array_foreach(json_object_get(resp, "hosts"), i, h)
	{
		const char *name = json_string_value(json_object_get(h, "hostname"));
		const char *id = json_string_value(json_object_get(h, "hid"));
		size_t j;
		json_t *tag;
		printf("%s\t%s\t", name != NULL ? name : "", id != NULL ? id : "");
		json_array_foreach(json_object_get(h, "host_tags"), j, tag)
		{
			const char *n = json_string_value(json_object_get(tag, "name"));
			const char *v = json_string_value(json_object_get(tag, "value"));
			printf("%s%s=%s", j > 0 ? "," : "", n != NULL ? n : "", v != NULL ? v : "");
		}
		printf("\n");
	}
	json_decref(resp);
	return 0;
}

const struct command cmd_ssh_hosts = {
    .name = "hosts",
    .summary = "returns a list of all valid hosts",
    .description = "Lists the hosts the CA issued host certificates for that are still valid:\n"
		   "HOSTNAME, ID and TAGS columns, tab-separated.",
    .flags = hosts_flags,
    .min_args = 0,
    .max_args = 0,
    .run = hosts_run,
};
