/* config_tpl.c - POST /ssh/config: step-ca 0.19's default SSH templates (ssh.md §6), rendered as
 * step-ca renders them (a value the request's data lacks prints as Go's "<no value>"), and, for
 * hosts, stride's KRL: a RevokedKeys line in the sshd_config snippet and a file template with
 * the KRL at <SSHDir>/stride_revoked_keys (SSHDir: template data, default /etc/ssh).
 */
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/buf.h"
#include "base/str.h"
#include "sshca/internal.h"

#define NO_VALUE	"<no value>" /* Go's text/template for a missing map key */
#define DEFAULT_SSH_DIR "/etc/ssh"
#define KRL_FILE	"stride_revoked_keys"
#define TEXT_MAX	(1024 * 1024)

/* The request's data value of key, or NULL when missing. */
static const char *val(const json_t *data, const char *key)
{
	return json_string_value(json_object_get(data, key));
}

/* The value as a template prints it. */
static const char *show(const json_t *data, const char *key)
{
	const char *v = val(data, key);

	return v != NULL ? v : NO_VALUE;
}

/* Whether a value is "true" for {{ if }}: present and not empty. */
static bool truthy(const json_t *data, const char *key)
{
	const char *v = val(data, key);

	return v != NULL && v[0] != '\0';
}

/* `or .User.GOOS "none" | eq "windows"` */
static bool windows(const json_t *data)
{
	return truthy(data, "GOOS") && strcmp(val(data, "GOOS"), "windows") == 0;
}

/* `replace "\\" "/" | trimPrefix "C:"` of a value; NULL when missing (step-ca's template then
 * fails). malloc'd. */
static char *win_path(const json_t *data, const char *key)
{
	const char *v = val(data, key);
	char *out, *p;

	if (v == NULL)
		return NULL;
	out = xstrdup(v);
	for (p = out; *p != '\0'; p++)
		if (*p == '\\')
			*p = '/';
	if (str_has_prefix(out, "C:"))
		memmove(out, out + 2, strlen(out + 2) + 1);
	return out;
}

/* One rendered template, as step-ca's templates.Output. */
static json_t *output(const char *name, const char *type, const char *path, const void *content,
		      size_t n)
{
	char *b = b64_encode(content, n);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", name, "type", type, "path", path,
			      "comment", "#", "content", b);

	free(b);
	return o;
}

static json_t *output_text(const char *name, const char *type, const char *path, struct buf *b)
{
	return output(name, type, path, b->data != NULL ? (const char *)b->data : "", b->len);
}

/* "<type> <base64>" of a key. */
static void key_text(struct buf *b, const struct ssh_pubkey *k)
{
	char *line = ssh_pubkey_line(k, NULL);

	buf_append_str(b, line, NULL);
	free(line);
}

/* The user templates: config.tpl, step_includes.tpl, step_config.tpl, known_hosts.tpl. */
static int user_templates(const struct sshca *s, const json_t *data, json_t *list,
			  struct error *err)
{
	bool win = windows(data), v2 = truthy(data, "StepSSHTemplateVersion");
	const char *ctx = truthy(data, "Context") ? val(data, "Context") : NULL;
	struct buf b;
	char *p = NULL;

	if (s->host_key == NULL) /* known_hosts.tpl has no host key to print */
		return err_set(err, ERR_INTERNAL, "error executing known_hosts.tpl: no host key");
	buf_init(&b, TEXT_MAX);
	/* config.tpl */
	{
		const char *key = truthy(data, "StepBasePath") ? "StepBasePath" : "StepPath";
		if (win && (p = win_path(data, key)) == NULL) {
			buf_free(&b);
			return err_set(err, ERR_INTERNAL, "error executing config.tpl");
		}
		buf_printf(&b, NULL, "Host *\n\tInclude \"%s/ssh/includes\"",
			   win ? p : show(data, key));
		free(p);
		p = NULL;
		json_array_append_new(list,
				      output_text("config.tpl", "snippet", "~/.ssh/config", &b));
		buf_reset(&b);
	}
	/* step_includes.tpl: a file relative to the step path for clients before v0.18 */
	if (win && (p = win_path(data, "StepPath")) == NULL) {
		buf_free(&b);
		return err_set(err, ERR_INTERNAL, "error executing step_includes.tpl");
	}
	buf_printf(&b, NULL, "Include \"%s/ssh/config\"", win ? p : show(data, "StepPath"));
	free(p);
	json_array_append_new(list,
			      output_text("step_includes.tpl", v2 ? "prepend-line" : "file",
					  v2 ? "${STEPPATH}/ssh/includes" : "ssh/includes", &b));
	buf_reset(&b);
	/* step_config.tpl */
	buf_printf(&b, NULL, "Match exec \"step ssh check-host%s%s %%h\"", ctx ? " --context " : "",
		   ctx ? ctx : "");
	if (truthy(data, "User"))
		buf_printf(&b, NULL, "\n\tUser %s", val(data, "User"));
	if (win)
		buf_printf(&b, NULL,
			   "\n\tUserKnownHostsFile \"%s\\ssh\\known_hosts\"\n\tProxyCommand "
			   "C:\\Windows\\System32\\cmd.exe /c step ssh proxycommand%s%s %%r %%h "
			   "%%p\n",
			   show(data, "StepPath"), ctx ? " --context " : "", ctx ? ctx : "");
	else
		buf_printf(&b, NULL,
			   "\n\tUserKnownHostsFile \"%s/ssh/known_hosts\"\n\tProxyCommand step ssh "
			   "proxycommand%s%s %%r %%h %%p\n",
			   show(data, "StepPath"), ctx ? " --context " : "", ctx ? ctx : "");
	json_array_append_new(list, output_text("step_config.tpl", "file", "ssh/config", &b));
	buf_reset(&b);
	/* known_hosts.tpl: the host CA key, then the federated host keys */
	for (size_t i = 0; i < s->n_host_fed; i++) {
		buf_append_str(&b, i > 0 ? "\n@cert-authority * " : "@cert-authority * ", NULL);
		key_text(&b, &s->host_fed[i]);
	}
	buf_append_str(&b, "\n", NULL);
	json_array_append_new(list, output_text("known_hosts.tpl", "file", "ssh/known_hosts", &b));
	buf_free(&b);
	return 0;
}

/* The host templates: sshd_config.tpl (Certificate and Key required) and ca.tpl, with stride's
 * KRL. */
static int host_templates(const struct sshca *s, const json_t *data, const uint8_t *krl,
			  size_t krl_len, json_t *list, struct error *err)
{
	const char *dir = truthy(data, "SSHDir") ? val(data, "SSHDir") : DEFAULT_SSH_DIR;
	static const char *const required[] = {"Certificate", "Key"};
	struct buf b;
	char *path;

	for (size_t i = 0; i < 2; i++)
		if (json_object_get(data, required[i]) == NULL)
			return err_public(err, ERR_INVALID,
					  "required variable '%s' is missing, please use `--set "
					  "<key=value>` flag",
					  required[i]);
	if (s->user_key == NULL) /* ca.tpl has no user key to print */
		return err_set(err, ERR_INTERNAL, "error executing ca.tpl: no user key");
	buf_init(&b, TEXT_MAX);
	buf_printf(&b, NULL,
		   "Match all\n\tTrustedUserCAKeys %s/ca.pub\n\tHostCertificate %s/%s\n\tHostKey "
		   "%s/%s\n\tRevokedKeys %s/" KRL_FILE,
		   dir, dir, show(data, "Certificate"), dir, show(data, "Key"), dir);
	path = xasprintf("%s/sshd_config", dir);
	json_array_append_new(list, output_text("sshd_config.tpl", "snippet", path, &b));
	free(path);
	buf_reset(&b);
	for (size_t i = 0; i < s->n_user_fed; i++) {
		if (i > 0)
			buf_append_str(&b, "\n", NULL);
		key_text(&b, &s->user_fed[i]);
	}
	buf_append_str(&b, "\n", NULL);
	path = xasprintf("%s/ca.pub", dir);
	json_array_append_new(list, output_text("ca.tpl", "snippet", path, &b));
	free(path);
	buf_free(&b);
	path = xasprintf("%s/" KRL_FILE, dir);
	json_array_append_new(list, output(KRL_FILE ".tpl", "file", path, krl, krl_len));
	free(path);
	return 0;
}

int sshca_config_render(const struct sshca *s, const char *type, const json_t *data,
			const uint8_t *krl, size_t krl_len, json_t **out, struct error *err)
{
	bool user = strcmp(type, "user") == 0;
	json_t *list = json_array();
	int rc = user ? user_templates(s, data, list, err)
		      : host_templates(s, data, krl, krl_len, list, err);

	*out = NULL;
	if (rc != 0) {
		json_decref(list);
		return -1;
	}
	*out = json_pack("{s:o}", user ? "userTemplates" : "hostTemplates", list);
	return 0;
}

void sshca_config(struct sshca_call *c)
{
	struct error err = {0};
	json_t *body = NULL, *data, *doc = NULL;
	const char *type;
	uint8_t *krl = NULL;
	size_t krl_len = 0;
	const char *k;
	json_t *v;

	if (sshca_body_json(c, &body, &err) != 0)
		goto fail;
	data = json_object_get(body, "data");
	type = json_string_value(json_object_get(body, "type"));
	if ((json_object_get(body, "type") != NULL &&
	     !json_is_null(json_object_get(body, "type")) && type == NULL) ||
	    (data != NULL && !json_is_null(data) && !json_is_object(data))) {
		err_public(&err, ERR_INVALID, SSHCA_DECODE_ERROR);
		goto fail;
	}
	json_object_foreach(data, k, v)
	{
		if (!json_is_string(v)) {
			err_public(&err, ERR_INVALID, SSHCA_DECODE_ERROR);
			goto fail;
		}
	}
	if (type == NULL || type[0] == '\0')
		type = "user";
	if (strcmp(type, "user") != 0 && strcmp(type, "host") != 0) {
		err_public(&err, ERR_INVALID, "invalid type '%s'", type);
		goto fail;
	}
	if (c->s->user_key == NULL && c->s->host_key == NULL) {
		err_set(&err, ERR_NOT_FOUND, "getSSHConfig: ssh is not configured");
		goto fail;
	}
	if (strcmp(type, "host") == 0 && sshca_krl_get(c->s, &krl, &krl_len, &err) != 0)
		goto fail;
	if (sshca_config_render(c->s, type, json_is_object(data) ? data : NULL, krl, krl_len, &doc,
				&err) != 0)
		goto fail;
	sshca_reply_json(c, 200, doc);
	goto out;
fail:
	sshca_reply_error(c, &err);
out:
	free(krl);
	json_decref(body);
}
