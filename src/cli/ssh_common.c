/* ssh_common.c - SSH key and certificate files, and the CA client of the ssh commands. */
#include "cli/ssh_common.h"

#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/file.h"
#include "base/password.h"
#include "cli/ca_backend.h"
#include "cli/ui.h"
#include "crypto/key.h"

#define PASSWORD_ATTEMPTS 3

/* The first line of a text file, NUL-terminated; malloc'd. */
static int read_first_line(const char *path, char **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *nl;

	if (file_read(path, SSH_CLI_FILE_MAX, &data, &len, err) != 0)
		return -1;
	*out = xmalloc(len + 1);
	memcpy(*out, data, len);
	(*out)[len] = '\0';
	free(data);
	nl = strpbrk(*out, "\r\n");
	if (nl != NULL)
		*nl = '\0';
	return 0;
}

int ssh_cli_read_cert(const char *path, struct ssh_cert *out, struct error *err)
{
	char *line = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (read_first_line(path, &line, err) != 0)
		return err_wrap(err, "error reading ssh certificate from %s", path);
	rc = ssh_cert_from_line(str_trim(line), out, err);
	if (rc != 0)
		err_wrap(err, "error parsing ssh certificate from %s", path);
	free(line);
	return rc;
}

int ssh_cli_read_pubkey(const char *path, struct ssh_pubkey *out, struct error *err)
{
	char *line = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (read_first_line(path, &line, err) != 0)
		return -1;
	rc = ssh_pubkey_from_line(str_trim(line), out, err);
	if (rc != 0)
		err_wrap(err, "error parsing ssh public key from %s", path);
	free(line);
	return rc;
}

/* Whether key is the private half of pub. */
static bool key_matches(EVP_PKEY *key, const struct ssh_pubkey *pub)
{
	struct ssh_pubkey k = {0};
	bool eq;

	if (ssh_pubkey_from_evp(key, &k, NULL) != 0)
		return false;
	eq = ssh_pubkey_equal(&k, pub);
	ssh_pubkey_clear(&k);
	return eq;
}

int ssh_cli_read_key_of(const char *path, const char *password_file, const struct ssh_pubkey *pub,
			EVP_PKEY **out, struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = -1;

	*out = NULL;
	if (file_read(path, SSH_CLI_FILE_MAX, &data, &len, err) != 0)
		return -1;
	if (ssh_private_is_openssh(data, len)) {
		if (ssh_private_parse(data, len, NULL, out, err) != 0) {
			err_wrap(err, "error reading %s", path);
			goto out;
		}
	} else if (key_load_file(path, password_file, NULL, out, err) != 0) {
		goto out;
	}
	if (pub != NULL && !key_matches(*out, pub)) {
		err_set(err, ERR_INVALID, "the key %s does not match the certificate", path);
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	rc = 0;
out:
	secure_wipe(data, len);
	free(data);
	return rc;
}

/* A password for a new key: the file's content, or a prompt that refuses an empty answer. */
static int new_key_password(const char *password_file, char **pw, struct error *err)
{
	if (password_file != NULL)
		return password_read_file(password_file, pw, err);
	for (int i = 0; i < PASSWORD_ATTEMPTS; i++) {
		if (password_prompt("Please enter the password to encrypt the private key", pw,
				    err) != 0)
			return -1;
		if ((*pw)[0] != '\0')
			return 0;
		password_free(*pw);
		*pw = NULL;
		ui_info("password cannot be empty");
	}
	return err_set(err, ERR_INVALID, "password cannot be empty");
}

int ssh_cli_private_file(EVP_PKEY *key, const char *comment, bool no_password,
			 const char *password_file, char **pem, struct error *err)
{
	char *pw = NULL;
	int rc;

	if (no_password)
		return ssh_private_to_openssh(key, comment, pem, err);
	if (new_key_password(password_file, &pw, err) != 0)
		return -1;
	rc = key_private_to_pem(key, pw, pem, err);
	password_free(pw);
	return rc;
}

int ssh_cli_cert_from_answer(const json_t *resp, const char *member, struct ssh_cert *out,
			     struct error *err)
{
	const char *b64 = json_string_value(json_object_get(resp, member));
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (b64 == NULL || b64_decode(b64, strlen(b64), false, &blob, &len, NULL) != 0)
		return err_set(err, ERR_INVALID, "the CA's answer has no ssh certificate in \"%s\"",
			       member);
	rc = ssh_cert_parse(blob, len, out, err);
	if (rc != 0)
		err_wrap(err, "error parsing the ssh certificate of the CA's answer");
	free(blob);
	return rc;
}

char *ssh_cli_cert_file_line(const struct ssh_cert *c, const char *comment)
{
	char *line = ssh_cert_line(c, comment), *s = xasprintf("%s\n", line);

	free(line);
	return s;
}

char *ssh_cli_pubkey_file_line(const struct ssh_pubkey *k, const char *comment)
{
	char *line = ssh_pubkey_line(k, comment), *s = xasprintf("%s\n", line);

	free(line);
	return s;
}

int ssh_cli_no_offline(const struct cli_ctx *ctx, struct error *err)
{
	if (flag_defined(ctx, "offline") && flag_bool(ctx, "offline"))
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "flag '--offline' is not supported by the ssh commands yet");
	return 0;
}

int ssh_cli_client(struct cli_ctx *ctx, const char *token, bool name_ca, struct ca_client **out,
		   struct error *err)
{
	if (!ca_backend_remote(ctx->ca))
		return err_set(err, ERR_NOT_IMPLEMENTED,
			       "flag '--offline' is not supported by the ssh commands yet");
	if (ca_backend_connect(ctx->ca, token, err) != 0)
		return -1;
	if (name_ca)
		ui_status("CA", "%s", ca_backend_url(ctx->ca));
	*out = ca_backend_client(ctx->ca);
	return 0;
}
