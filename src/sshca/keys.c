/* keys.c - ca.json's "ssh" object (files.md §2.5): the CA keys, the extra and federated public
 * keys, the add-user settings and the bastion. */
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/key.h"
#include "jose/jwk.h"
#include "sshca/internal.h"

#define SSH_KEY_FILE_MAX (1024 * 1024)

bool sshca_has_keys(const struct sshca *s)
{
	return s->host_key != NULL || s->user_key != NULL;
}

EVP_PKEY *sshca_signer(const struct sshca *s, enum ssh_cert_type type)
{
	return type == SSH_CERT_USER ? s->user_key : s->host_key;
}

static void keys_free(struct ssh_pubkey *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ssh_pubkey_clear(&v[i]);
	free(v);
}

void sshca_free(struct sshca *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->host_key);
	EVP_PKEY_free(s->user_key);
	keys_free(s->user_roots, s->n_user_roots);
	keys_free(s->host_roots, s->n_host_roots);
	keys_free(s->user_fed, s->n_user_fed);
	keys_free(s->host_fed, s->n_host_fed);
	free(s->add_user_principal);
	free(s->add_user_command);
	json_decref(s->bastion);
	pthread_mutex_destroy(&s->krl_lock);
	free(s->krl);
	free(s);
}

/* Appends a copy of k to *v. */
static void keys_push(struct ssh_pubkey **v, size_t *n, const struct ssh_pubkey *k)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	ssh_pubkey_copy(&(*v)[*n], k);
	(*n)++;
}

/* Whether a key location is a KMS URI ("awskms:...", "pkcs11:...") rather than a file. */
static bool is_uri(const char *path)
{
	size_t n = strspn(path, "abcdefghijklmnopqrstuvwxyz0123456789");

	return n > 1 && path[n] == ':';
}

/* Reads one CA key file (any private key PEM step reads, or an OpenSSH one), decrypting it with
 * password (may be NULL). */
static int load_key(const char *field, const char *path, const char *password, EVP_PKEY **key,
		    struct ssh_pubkey *pub, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	if (is_uri(path)) {
		err_set(err, ERR_NOT_IMPLEMENTED,
			"error reading ssh %s %s: KMS keys are not supported", field, path);
		return -1;
	}
	if (file_read(path, SSH_KEY_FILE_MAX, &data, &len, err) != 0)
		goto out;
	if (key_pem_is_encrypted(data, len) && password == NULL) {
		err_set(err, ERR_INVALID, "the key is encrypted and no password was given");
		goto out;
	}
	if (ssh_private_parse(data, len, password, key, err) != 0 ||
	    ssh_pubkey_from_evp(*key, pub, err) != 0)
		goto out;
	rc = 0;
out:
	if (data != NULL) {
		secure_wipe(data, len);
		free(data);
	}
	if (rc != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
		err_wrap(err, "error reading ssh %s %s", field, path);
	}
	return rc;
}

/* One entry of ssh.keys: {"type":"user"|"host","federated":bool,"key":<public JWK>}. */
static int load_extra_key(struct sshca *s, const json_t *entry, struct error *err)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	const json_t *jwk = json_object_get(entry, "key");
	bool federated = json_is_true(json_object_get(entry, "federated"));
	bool user;
	EVP_PKEY *pkey = NULL;
	struct ssh_pubkey pub = {0};

	if (type == NULL || (strcmp(type, "user") != 0 && strcmp(type, "host") != 0))
		return err_set(err, ERR_INVALID, "invalid type %s, it must be user or host",
			       type != NULL ? type : "");
	user = strcmp(type, "user") == 0;
	if (!json_is_object(jwk) || json_object_get(jwk, "d") != NULL)
		return err_set(err, ERR_INVALID, "invalid key type, it must be a public key");
	if (jwk_to_pkey(jwk, &pkey, err) != 0 || ssh_pubkey_from_evp(pkey, &pub, err) != 0) {
		EVP_PKEY_free(pkey);
		return err_wrap(err, "invalid ssh key");
	}
	EVP_PKEY_free(pkey);
	if (federated && user)
		keys_push(&s->user_fed, &s->n_user_fed, &pub);
	else if (federated)
		keys_push(&s->host_fed, &s->n_host_fed, &pub);
	else if (user)
		keys_push(&s->user_roots, &s->n_user_roots, &pub);
	else
		keys_push(&s->host_roots, &s->n_host_roots, &pub);
	ssh_pubkey_clear(&pub);
	return 0;
}

/* An optional string member; NULL when absent, -1 when of another type. */
static int opt_string(const json_t *o, const char *name, const char **out, struct error *err)
{
	const json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(err, ERR_INVALID, "ssh.%s must be a string", name);
	*out = json_string_value(v);
	return 0;
}

/* The CA keys of the "ssh" object, each the first of its roots and federation lists. */
static int load_ca_keys(struct sshca *s, const json_t *ssh, const struct sshca_options *o,
			struct error *err)
{
	const char *host = NULL, *user = NULL;
	struct ssh_pubkey pub = {0};

	if (opt_string(ssh, "hostKey", &host, err) != 0 ||
	    opt_string(ssh, "userKey", &user, err) != 0)
		return -1;
	if (host != NULL && host[0] != '\0') {
		if (load_key("hostKey", host,
			     o->host_password != NULL ? o->host_password : o->ca_password,
			     &s->host_key, &pub, err) != 0)
			return -1;
		keys_push(&s->host_roots, &s->n_host_roots, &pub);
		keys_push(&s->host_fed, &s->n_host_fed, &pub);
		ssh_pubkey_clear(&pub);
	}
	if (user != NULL && user[0] != '\0') {
		if (load_key("userKey", user,
			     o->user_password != NULL ? o->user_password : o->ca_password,
			     &s->user_key, &pub, err) != 0)
			return -1;
		keys_push(&s->user_roots, &s->n_user_roots, &pub);
		keys_push(&s->user_fed, &s->n_user_fed, &pub);
		ssh_pubkey_clear(&pub);
	}
	return 0;
}

static int load(struct sshca *s, const json_t *ssh, const struct sshca_options *o,
		struct error *err)
{
	const json_t *keys = json_object_get(ssh, "keys"),
		     *bastion = json_object_get(ssh, "bastion");
	const char *principal = NULL, *command = NULL;
	size_t i;
	json_t *v;

	if (load_ca_keys(s, ssh, o, err) != 0)
		return -1;
	if (keys != NULL && !json_is_null(keys) && !json_is_array(keys))
		return err_set(err, ERR_INVALID, "ssh.keys must be a list");
	json_array_foreach(keys, i, v)
	{
		if (load_extra_key(s, v, err) != 0)
			return -1;
	}
	if (opt_string(ssh, "addUserPrincipal", &principal, err) != 0 ||
	    opt_string(ssh, "addUserCommand", &command, err) != 0)
		return -1;
	s->add_user_principal = xstrdup(
	    principal != NULL && principal[0] != '\0' ? principal : SSHCA_ADD_USER_PRINCIPAL);
	s->add_user_command =
	    xstrdup(command != NULL && command[0] != '\0' ? command : SSHCA_ADD_USER_COMMAND);
	if (bastion != NULL && !json_is_null(bastion)) {
		if (!json_is_object(bastion))
			return err_set(err, ERR_INVALID, "ssh.bastion must be an object");
		s->bastion = json_deep_copy(bastion);
	}
	s->trust = (struct sshpop_trust){
	    .user = s->user_roots,
	    .n_user = s->n_user_roots,
	    .host = s->host_roots,
	    .n_host = s->n_host_roots,
	};
	return 0;
}

int sshca_new(struct authority *a, const struct sshca_options *opts, struct sshca **out,
	      struct error *err)
{
	const struct ca_config *cfg = authority_config(a);
	const json_t *ssh = json_object_get(cfg->doc, "ssh");
	static const struct sshca_options none = {0};
	struct sshca *s;

	*out = NULL;
	if (ssh != NULL && !json_is_null(ssh) && !json_is_object(ssh))
		return err_set(err, ERR_INVALID, "error parsing %s: ssh must be an object",
			       cfg->path != NULL ? cfg->path : "ca.json");
	s = xcalloc(1, sizeof(*s));
	s->a = a;
	s->configured = json_is_object(ssh);
	pthread_mutex_init(&s->krl_lock, NULL);
	if (json_is_object(ssh) && load(s, ssh, opts != NULL ? opts : &none, err) != 0) {
		sshca_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

char *sshca_startup_lines(const struct sshca *s)
{
	char *host = NULL, *user = NULL, *out;

	if (s == NULL || (s->host_key == NULL && s->user_key == NULL))
		return NULL;
	if (s->host_key != NULL)
		host = ssh_pubkey_line(&s->host_roots[0], NULL);
	if (s->user_key != NULL)
		user = ssh_pubkey_line(&s->user_roots[0], NULL);
	/* step-ca's own wording, "is" for the host key and ":" for the user key */
	out = xasprintf("%s%s%s%s%s", host != NULL ? "SSH Host CA Key is " : "",
			host != NULL ? host : "", host != NULL && user != NULL ? "\n" : "",
			user != NULL ? "SSH User CA Key: " : "", user != NULL ? user : "");
	free(host);
	free(user);
	return out;
}
