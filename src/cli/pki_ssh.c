/* pki_ssh.c - the SSH part of a new CA (`ca init --ssh`): the host and user CA keys, the
 * "ssh" and "templates" objects of ca.json and the template files, as step's init writes them
 * (ssh.md §1, files.md §2.5, §2.7, §5). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "cli/pki.h"
#include "crypto/key.h"
#include "ssh/ssh.h"

/* One default SSH template: ca.json's entry and the file under templates/ssh/. */
struct ssh_template {
	const char *name, *type, *path, *requires[3];
	const char *text;
};

/* The user templates (config for ssh) and the host templates (config for sshd), each a Go
 * text/template over the data step-ca and stride-ca give them (.User = the request's data,
 * .Step.SSH = the CA keys). */
static const struct ssh_template user_templates[] = {
    {"config.tpl",
     "snippet",
     "~/.ssh/config",
     {NULL},
     "Host *\n"
     "\tInclude \"{{ if .User.StepBasePath }}{{ .User.StepBasePath }}{{ else }}"
     "{{ .User.StepPath }}{{ end }}/ssh/includes\"\n"},
    {"step_includes.tpl",
     "prepend-line",
     "${STEPPATH}/ssh/includes",
     {NULL},
     "Include \"{{ .User.StepPath }}/ssh/config\"\n"},
    {"step_config.tpl",
     "file",
     "ssh/config",
     {NULL},
     "Match exec \"stride ssh check-host{{ if .User.Context }} --context {{ .User.Context }}"
     "{{ end }} %h\"\n"
     "{{- if .User.User }}\n\tUser {{ .User.User }}{{ end }}\n"
     "\tUserKnownHostsFile \"{{ .User.StepPath }}/ssh/known_hosts\"\n"},
    {"known_hosts.tpl",
     "file",
     "ssh/known_hosts",
     {NULL},
     "@cert-authority * {{ .Step.SSH.HostKey.Type }} "
     "{{ .Step.SSH.HostKey.Marshal | toString | b64enc }}\n"
     "{{- range .Step.SSH.HostFederatedKeys }}\n"
     "@cert-authority * {{ .Type }} {{ .Marshal | toString | b64enc }}{{ end }}\n"},
};

static const struct ssh_template host_templates[] = {
    {"sshd_config.tpl",
     "snippet",
     "/etc/ssh/sshd_config",
     {"Certificate", "Key", NULL},
     "Match all\n"
     "\tTrustedUserCAKeys /etc/ssh/ca.pub\n"
     "\tHostCertificate /etc/ssh/{{ .User.Certificate }}\n"
     "\tHostKey /etc/ssh/{{ .User.Key }}\n"},
    {"ca.tpl",
     "snippet",
     "/etc/ssh/ca.pub",
     {NULL},
     "{{ .Step.SSH.UserKey.Type }} {{ .Step.SSH.UserKey.Marshal | toString | b64enc }}\n"
     "{{- range .Step.SSH.UserFederatedKeys }}\n"
     "{{ .Type }} {{ .Marshal | toString | b64enc }}{{ end }}\n"},
};

#define N_USER (sizeof(user_templates) / sizeof(user_templates[0]))
#define N_HOST (sizeof(host_templates) / sizeof(host_templates[0]))

/* Generates one EC P-256 CA key: the encrypted private key and its authorized_keys line. */
static int make_key(const char *key_path, const char *pub_path, const char *password,
		    struct error *err)
{
	struct key_spec spec;
	struct ssh_pubkey pub = {0};
	EVP_PKEY *key = NULL;
	char *pem = NULL, *line = NULL, *text = NULL;
	int rc = -1;

	if (key_spec_parse("EC", "P-256", NULL, &spec, err) != 0 ||
	    key_generate(&spec, &key, err) != 0 ||
	    key_private_to_pem(key, password, &pem, err) != 0 ||
	    ssh_pubkey_from_evp(key, &pub, err) != 0)
		goto out;
	line = ssh_pubkey_line(&pub, NULL);
	text = xasprintf("%s\n", line);
	if (file_write_atomic(key_path, pem, strlen(pem), 0600, err) != 0 ||
	    file_write_atomic(pub_path, text, strlen(text), 0600, err) != 0)
		goto out;
	rc = 0;
out:
	password_free(pem);
	free(line);
	free(text);
	ssh_pubkey_clear(&pub);
	EVP_PKEY_free(key);
	return rc;
}

int pki_ssh_keys(const char *base, const char *password, struct pki_result *r, struct error *err)
{
	r->ssh_host_key = path_join(base, "secrets/ssh_host_ca_key");
	r->ssh_host_pub = path_join(base, "certs/ssh_host_ca_key.pub");
	r->ssh_user_key = path_join(base, "secrets/ssh_user_ca_key");
	r->ssh_user_pub = path_join(base, "certs/ssh_user_ca_key.pub");
	r->templates_dir = path_join(base, "templates");
	if (make_key(r->ssh_host_key, r->ssh_host_pub, password, err) != 0 ||
	    make_key(r->ssh_user_key, r->ssh_user_pub, password, err) != 0)
		return -1;
	return 0;
}

json_t *pki_ssh_config(const struct pki_result *r)
{
	return json_pack("{s:s, s:s}", "hostKey", r->ssh_host_key, "userKey", r->ssh_user_key);
}

static json_t *template_entries(const struct ssh_template *t, size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		char *file = xasprintf("templates/ssh/%s", t[i].name);
		json_t *e =
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", t[i].name, "type", t[i].type,
			      "template", file, "path", t[i].path, "comment", "#");
		if (t[i].requires[0] != NULL) {
			json_t *req = json_array();
			for (size_t j = 0; t[i].requires[j] != NULL; j++)
				json_array_append_new(req, json_string(t[i].requires[j]));
			json_object_set_new(e, "requires", req);
		}
		json_array_append_new(arr, e);
		free(file);
	}
	return arr;
}

json_t *pki_ssh_templates(void)
{
	return json_pack("{s:{s:o, s:o}}", "ssh", "user", template_entries(user_templates, N_USER),
			 "host", template_entries(host_templates, N_HOST));
}

static int write_templates(const char *dir, const struct ssh_template *t, size_t n,
			   struct error *err)
{
	for (size_t i = 0; i < n; i++) {
		char *file = path_join(dir, t[i].name);
		int rc = file_write_atomic(file, t[i].text, strlen(t[i].text), 0644, err);
		free(file);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int pki_ssh_write_templates(const struct pki_result *r, struct error *err)
{
	char *dir = path_join(r->templates_dir, "ssh");
	int rc = -1;

	if (file_mkdir_p(dir, 0700, err) == 0 &&
	    write_templates(dir, user_templates, N_USER, err) == 0 &&
	    write_templates(dir, host_templates, N_HOST, err) == 0)
		rc = 0;
	free(dir);
	return rc;
}
