/* testtool.c - a helper for the end-to-end tests, never installed.
 *
 *   testtool jwe-decrypt PASSWORD_FILE < JWE      prints the decrypted JWE payload
 *   testtool sign-jwt JWK_FILE HEADER_JSON PAYLOAD_JSON
 *                                                 prints a compact JWS signed with the JWK;
 *                                                 HEADER_JSON members are added to {"alg"}
 *
 * It lets the tests forge tokens with any claims (expired, wrong audience, ...)
 * using the real library code, without a scripting language.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/error.h"
#include "base/file.h"
#include "base/password.h"
#include "jose/jwe.h"
#include "jose/jwk.h"
#include "jose/jws.h"

static int fail(const struct error *err)
{
	fprintf(stderr, "testtool: %s\n", err->msg);
	return 1;
}

static int jwe_decrypt(const char *password_file)
{
	struct error err = {0};
	char *pw = NULL, line[65536];
	uint8_t *plain = NULL;
	size_t n = 0, len;

	len = fread(line, 1, sizeof(line) - 1, stdin);
	line[len] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == ' '))
		line[--len] = '\0';
	int rc = 0;

	if (password_read_file(password_file, &pw, &err) != 0 ||
	    jwe_decrypt_password(line, pw, &plain, &n, &err) != 0) {
		rc = fail(&err);
	} else {
		fwrite(plain, 1, n, stdout);
		putchar('\n');
	}
	password_free(pw);
	free(plain);
	return rc;
}

static int sign_jwt(const char *jwk_file, const char *header_json, const char *payload_json)
{
	struct error err = {0};
	json_error_t jerr;
	json_t *jwk = json_load_file(jwk_file, 0, &jerr);
	json_t *header = json_loads(header_json, 0, &jerr);
	json_t *payload = json_loads(payload_json, 0, &jerr);
	EVP_PKEY *key = NULL;
	char *out = NULL;

	int rc = 1;

	if (jwk == NULL || header == NULL || payload == NULL)
		fprintf(stderr, "testtool: bad JSON: %s\n", jerr.text);
	else if (jwk_to_pkey(jwk, &key, &err) != 0 ||
		 jws_sign(header, payload, key, &out, &err) != 0)
		rc = fail(&err);
	else
		rc = printf("%s\n", out) < 0;
	free(out);
	EVP_PKEY_free(key);
	json_decref(jwk);
	json_decref(header);
	json_decref(payload);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "jwe-decrypt") == 0)
		return jwe_decrypt(argv[2]);
	if (argc == 5 && strcmp(argv[1], "sign-jwt") == 0)
		return sign_jwt(argv[2], argv[3], argv[4]);
	fprintf(stderr, "usage: testtool jwe-decrypt PASSWORD_FILE < JWE\n"
			"       testtool sign-jwt JWK_FILE HEADER_JSON PAYLOAD_JSON\n");
	return 2;
}
