/* keyfile.c - private key files and the passwords that open them. */
#include <stdlib.h>

#include "base/file.h"
#include "base/password.h"
#include "base/str.h"
#include "crypto/key.h"

#define KEY_FILE_MAX (1024u * 1024u)

/* Asks on the terminal, or explains what to do when there is none. */
static int prompt_for(const char *path, char **out, struct error *err)
{
	char *prompt;
	int rc;

	if (!tty_available())
		return err_set(err, ERR_INVALID,
			       "the key %s is encrypted and there is no terminal to ask for its "
			       "password: use --password-file",
			       path);
	prompt = xasprintf("Please enter the password to decrypt %s", path);
	rc = password_prompt(prompt, out, err);
	free(prompt);
	return rc;
}

int key_file_password(const char *path, const char *password_file, const char *fallback, char **out,
		      struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	bool encrypted;

	*out = NULL;
	if (password_file != NULL)
		return password_read_file(password_file, out, err);
	if (fallback != NULL) {
		*out = xstrdup(fallback);
		return 0;
	}
	if (path == NULL || file_read(path, KEY_FILE_MAX, &data, &len, NULL) != 0)
		return 0;
	encrypted = key_pem_is_encrypted(data, len);
	secure_wipe(data, len);
	free(data);
	return encrypted ? prompt_for(path, out, err) : 0;
}

int key_load_file(const char *path, const char *password_file, const char *fallback, EVP_PKEY **out,
		  struct error *err)
{
	uint8_t *data = NULL;
	size_t len = 0;
	char *pw = NULL;
	int rc = -1;

	if (file_read(path, KEY_FILE_MAX, &data, &len, err) != 0)
		return -1;
	if (key_pem_is_encrypted(data, len) &&
	    key_file_password(path, password_file, fallback, &pw, err) != 0)
		goto out;
	rc = key_parse_private(data, len, pw, out, err);
	if (rc != 0)
		err_wrap(err, "error reading %s", path);
out:
	password_free(pw);
	secure_wipe(data, len);
	free(data);
	return rc;
}
