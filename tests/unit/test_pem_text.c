/* test_pem_text.c - PEM text written without a BIO (base/pem_text.h): byte-for-byte what
 * OpenSSL's PEM_write_bio writes for every length around its line breaks, and as a JSON string
 * exactly what json_escape makes of that text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/json_escape.h"
#include "base/pem_text.h"
#include "base/str.h"

/* PEM_write_bio's text of n bytes under label, NUL-terminated; malloc'd. */
static char *openssl_pem(const char *label, const uint8_t *der, size_t n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long len;

	assert_non_null(b);
	assert_true(PEM_write_bio(b, label, "", der, (long)n) > 0);
	len = BIO_get_mem_data(b, &data);
	out = xasprintf("%.*s", (int)len, data);
	BIO_free(b);
	return out;
}

static void check_length(const char *label, const uint8_t *der, size_t n)
{
	char *want = openssl_pem(label, der, n), *got = pem_text(label, der, n), *json;
	struct buf b;
	struct error err = {0};
	size_t len;

	assert_string_equal(got, want);
	assert_int_equal(pem_text_len(label, n, false), strlen(want));
	/* As a JSON string: what json_escape makes of the text, less the quotes. */
	buf_init(&b, 1u << 20);
	assert_int_equal(json_escape_buf(&b, want, strlen(want), 0, &err), 0);
	len = pem_text_len(label, n, true);
	assert_int_equal(len + 2, b.len);
	json = xmalloc(len + 1);
	assert_int_equal(pem_text_write(json, label, der, n, true), len);
	json[len] = '\0';
	assert_int_equal(memcmp(json, b.data + 1, len), 0);
	buf_free(&b);
	free(json);
	free(got);
	free(want);
}

static void test_same_as_pem_write_bio(void **state)
{
	uint8_t der[700];

	(void)state;
	assert_int_equal(RAND_bytes(der, sizeof(der)), 1);
	for (size_t n = 1; n <= sizeof(der); n++)
		check_length("CERTIFICATE", der, n);
	check_length("CERTIFICATE REQUEST", der, 300);
	check_length("X", der, 48);
	/* All-zero and all-one bytes: the first and last characters of the alphabet. */
	memset(der, 0, sizeof(der));
	check_length("CERTIFICATE", der, 97);
	memset(der, 0xff, sizeof(der));
	check_length("CERTIFICATE", der, 97);
}

static void test_exact_text(void **state)
{
	const uint8_t der[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	char *s = pem_text("CERTIFICATE", der, sizeof(der)), json[64];
	size_t n = pem_text_write(json, "CERTIFICATE", der, sizeof(der), true);

	(void)state;
	assert_string_equal(s,
			    "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n");
	json[n] = '\0';
	assert_string_equal(json, "-----BEGIN CERTIFICATE-----\\nMAMCAQA=\\n-----END "
				  "CERTIFICATE-----\\n");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_pem_write_bio),
	    cmocka_unit_test(test_exact_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
