/* test_stepca_files.c - stride reads the key files and JWEs step writes.
 *
 * tests/data/stepca/ was produced by step-ca 0.19's own code (see its README): each key
 * file has a JSON description beside it with the expected public key and thumbprint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "config/ca_config.h"
#include "crypto/cert.h"
#include "crypto/key.h"
#include "jose/jwe.h"
#include "jose/jwk.h"

#define KEYS TEST_DATA_DIR "/stepca/keys/"

static json_t *load_json(const char *path)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr);

	if (j == NULL)
		fail_msg("%s: %s", path, jerr.text);
	return j;
}

static char *read_text(const char *path)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct error err = {0};

	if (file_read(path, 1 << 20, &data, &len, &err) != 0)
		fail_msg("%s", err.msg);
	return (char *)data;
}

/* Reads a step key file with its password and checks the thumbprint of its public key. */
static void check_pem_key(const char *name)
{
	char *desc_path = NULL, *pem_path = NULL, *pem;
	json_t *desc;
	EVP_PKEY *key = NULL;
	struct error err = {0};
	char thumb[44];

	desc_path = malloc(strlen(KEYS) + strlen(name) + 6);
	sprintf(desc_path, KEYS "%s.json", name);
	pem_path = malloc(strlen(KEYS) + strlen(name) + 6);
	sprintf(pem_path, KEYS "%s.pem", name);
	desc = load_json(desc_path);
	pem = read_text(pem_path);
	assert_true(key_pem_is_encrypted((const uint8_t *)pem, strlen(pem)));
	if (key_parse_private((const uint8_t *)pem, strlen(pem), "password", &key, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	assert_int_equal(jwk_thumbprint(key, thumb, &err), 0);
	assert_string_equal(thumb, json_string_value(json_object_get(desc, "jwk_thumbprint")));
	EVP_PKEY_free(key);
	key = NULL;
	assert_int_equal(key_parse_private((const uint8_t *)pem, strlen(pem), "wrong", &key, &err),
			 -1);
	assert_null(key);
	json_decref(desc);
	free(pem);
	free(desc_path);
	free(pem_path);
}

static void test_ed25519_pkcs8_malformed_prf(void **state)
{
	(void)state;
	check_pem_key("ed25519_pkcs8_encrypted");
}

static void test_p256_pkcs8(void **state)
{
	(void)state;
	check_pem_key("p256_pkcs8_encrypted");
}

static void test_p256_legacy(void **state)
{
	(void)state;
	check_pem_key("p256_legacy_encrypted");
}

static void check_jwe(const char *name)
{
	char path[512];
	json_t *desc, *jwk;
	char *jwe;
	uint8_t *plain = NULL;
	size_t len = 0;
	EVP_PKEY *key = NULL;
	struct error err = {0};
	char thumb[44];

	snprintf(path, sizeof(path), KEYS "%s.json", name);
	desc = load_json(path);
	snprintf(path, sizeof(path), KEYS "%s.jwe", name);
	jwe = read_text(path);
	if (jwe_decrypt_password(jwe, "password", &plain, &len, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	jwk = json_loadb((const char *)plain, len, 0, NULL);
	assert_non_null(jwk);
	assert_non_null(json_object_get(jwk, "d"));
	assert_int_equal(jwk_to_pkey(jwk, &key, &err), 0);
	assert_int_equal(jwk_thumbprint(key, thumb, &err), 0);
	assert_string_equal(thumb, json_string_value(json_object_get(desc, "jwk_thumbprint")));
	free(plain);
	plain = NULL;
	assert_int_equal(jwe_decrypt_password(jwe, "not the password", &plain, &len, &err), -1);
	assert_string_equal(err.msg, "invalid password");
	EVP_PKEY_free(key);
	json_decref(jwk);
	json_decref(desc);
	free(jwe);
}

static void test_jwe_a256gcm(void **state)
{
	(void)state;
	check_jwe("jwk_p256_a256gcm");
}

static void test_jwe_a128gcm(void **state)
{
	(void)state;
	check_jwe("jwk_ed25519_a128gcm");
}

/* Replaces every occurrence of what by with in text; malloc'd. */
static char *replace_all(const char *text, const char *what, const char *with)
{
	size_t n = 0, wl = strlen(what), rl = strlen(with);
	const char *p;
	char *out, *o;

	for (p = strstr(text, what); p != NULL; p = strstr(p + wl, what))
		n++;
	out = malloc(strlen(text) + n * (rl > wl ? rl - wl : 0) + 1);
	for (o = out; (p = strstr(text, what)) != NULL; text = p + wl) {
		memcpy(o, text, (size_t)(p - text));
		o += p - text;
		memcpy(o, with, rl);
		o += rl;
	}
	strcpy(o, text);
	return out;
}

/* The ca.json of the tree with its placeholders filled in (see tests/data/stepca/README.md). */
static struct ca_config *load_tree_config(void)
{
	char *raw = read_text(TEST_DATA_DIR "/stepca/tree/config/ca.json");
	char *a = replace_all(raw, "@TREE@", TEST_DATA_DIR "/stepca/tree");
	char *b = replace_all(a, "@PORT@", "9000");
	struct ca_config *cfg = NULL;
	struct error err = {0};

	if (ca_config_parse(b, strlen(b), "ca.json", &cfg, &err) != 0)
		fail_msg("%s", err.msg);
	free(raw);
	free(a);
	free(b);
	return cfg;
}

/* The CA tree of `step ca init`: its ca.json parses, its intermediate key decrypts and
 * matches the certificate, its provisioner JWE decrypts to the configured public key. */
static void test_ca_tree(void **state)
{
	struct ca_config *cfg = NULL;
	struct error err = {0};
	char *key_pem, *fp_text;
	EVP_PKEY *key = NULL, *pkey = NULL;
	X509 *crt = NULL, *root = NULL;
	json_t *prov, *jwk;
	uint8_t *plain = NULL;
	size_t len = 0;
	char fp[65], t1[44], t2[44];
	(void)state;

	cfg = load_tree_config();
	assert_string_equal(cfg->key, TEST_DATA_DIR "/stepca/tree/secrets/intermediate_ca_key");
	assert_string_equal(cfg->db_type, "badgerv2");
	key_pem = read_text(TEST_DATA_DIR "/stepca/tree/secrets/intermediate_ca_key");
	assert_int_equal(
	    key_parse_private((const uint8_t *)key_pem, strlen(key_pem), "password", &key, &err),
	    0);
	assert_int_equal(
	    cert_load_file(TEST_DATA_DIR "/stepca/tree/certs/intermediate_ca.crt", &crt, &err), 0);
	assert_true(key_public_equal(key, X509_get0_pubkey(crt)));
	assert_int_equal(
	    cert_load_file(TEST_DATA_DIR "/stepca/tree/certs/root_ca.crt", &root, &err), 0);
	assert_int_equal(cert_fingerprint(root, fp, &err), 0);
	fp_text = read_text(TEST_DATA_DIR "/stepca/tree/root_fingerprint.txt");
	assert_int_equal(strncmp(fp, fp_text, 64), 0);

	prov = json_array_get(cfg->provisioners, 0);
	assert_int_equal(
	    jwe_decrypt_password(json_string_value(json_object_get(prov, "encryptedKey")),
				 "password", &plain, &len, &err),
	    0);
	jwk = json_loadb((const char *)plain, len, 0, NULL);
	assert_int_equal(jwk_to_pkey(jwk, &pkey, &err), 0);
	assert_int_equal(jwk_thumbprint(pkey, t1, &err), 0);
	EVP_PKEY_free(pkey);
	pkey = NULL;
	assert_int_equal(jwk_to_pkey(json_object_get(prov, "key"), &pkey, &err), 0);
	assert_int_equal(jwk_thumbprint(pkey, t2, &err), 0);
	assert_string_equal(t1, t2);
	assert_string_equal(
	    t1, json_string_value(json_object_get(json_object_get(prov, "key"), "kid")));

	EVP_PKEY_free(pkey);
	json_decref(jwk);
	free(plain);
	free(fp_text);
	X509_free(root);
	X509_free(crt);
	EVP_PKEY_free(key);
	free(key_pem);
	ca_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ed25519_pkcs8_malformed_prf),
	    cmocka_unit_test(test_p256_pkcs8),
	    cmocka_unit_test(test_p256_legacy),
	    cmocka_unit_test(test_jwe_a256gcm),
	    cmocka_unit_test(test_jwe_a128gcm),
	    cmocka_unit_test(test_ca_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
