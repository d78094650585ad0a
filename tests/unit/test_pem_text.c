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
	char *s = pem_text("CERTIFICATE", der, sizeof(der)), json[128];
	size_t n = pem_text_write(json, "CERTIFICATE", der, sizeof(der), true);

	(void)state;
	assert_string_equal(s,
			    "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n");
	json[n] = '\0';
	assert_string_equal(json, "-----BEGIN CERTIFICATE-----\\nMAMCAQA=\\n-----END "
				  "CERTIFICATE-----\\n");
	free(s);
}

/* pem_text_decode against PEM_read_bio: whatever it accepts, OpenSSL reads as the same bytes. */
static bool decode_agrees(const uint8_t *text, size_t len)
{
	uint8_t *out = xmalloc(len * 3 / 4 + 1), *der = NULL;
	size_t n = 0;
	bool fast = pem_text_decode(text, len, out, &n);

	if (fast) {
		BIO *b = BIO_new_mem_buf(text, (int)len);
		char *name = NULL, *header = NULL;
		long dlen = 0;

		assert_true(PEM_read_bio(b, &name, &header, &der, &dlen) == 1);
		assert_string_equal(header, "");
		assert_int_equal((size_t)dlen, n);
		assert_memory_equal(der, out, n);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(der);
		BIO_free(b);
	}
	free(out);
	return fast;
}

static void test_decode_round_trip(void **state)
{
	uint8_t der[400];

	(void)state;
	assert_int_equal(RAND_bytes(der, sizeof(der)), 1);
	for (size_t n = 1; n <= sizeof(der); n++) {
		char *s = pem_text("CERTIFICATE REQUEST", der, n);
		assert_true(decode_agrees((const uint8_t *)s, strlen(s)));
		/* the END line's newline may be missing; what follows the block is not read */
		assert_true(decode_agrees((const uint8_t *)s, strlen(s) - 1));
		free(s);
	}
}

/* Every one-byte change of a PEM text: accepted only when OpenSSL reads the same bytes. */
static void test_decode_mutations(void **state)
{
	static const char subst[] = "\r\n =-:A/+\t\x80";
	uint8_t der[100];
	char *s;
	size_t len;
	int accepted = 0;

	(void)state;
	assert_int_equal(RAND_bytes(der, sizeof(der)), 1);
	s = pem_text("CERTIFICATE REQUEST", der, sizeof(der));
	len = strlen(s);
	for (size_t i = 0; i < len; i++) {
		uint8_t *m = xmalloc(len + 1);
		for (size_t k = 0; k < sizeof(subst) - 1; k++) {
			memcpy(m, s, len);
			m[i] = (uint8_t)subst[k];
			accepted += decode_agrees(m, len);
		}
		/* the byte deleted, and a byte inserted */
		memcpy(m, s, i);
		memcpy(m + i, s + i + 1, len - i - 1);
		accepted += decode_agrees(m, len - 1);
		free(m);
		m = xmalloc(len + 2);
		memcpy(m, s, i);
		m[i] = 'A';
		memcpy(m + i + 1, s + i, len - i);
		accepted += decode_agrees(m, len + 1);
		free(m);
	}
	assert_true(accepted > 0);
	free(s);
}

/* Texts left to PEM_read_bio: not in the one layout. */
static void test_decode_refuses(void **state)
{
	static const char *const texts[] = {
	    "junk\n-----BEGIN X-----\nMAMCAQA=\n-----END X-----\n",
	    "-----BEGIN X-----\r\nMAMCAQA=\r\n-----END X-----\r\n",
	    "-----BEGIN X-----\nMAMCAQA=\n-----END Y-----\n",
	    "-----BEGIN X-----\nMAMCAQB=\n-----END X-----\n",	/* trailing bits */
	    "-----BEGIN X-----\nMAMCAQ\n-----END X-----\n",	/* no padding */
	    "-----BEGIN X-----\nMAMC\nAQA=\n-----END X-----\n", /* a short line first */
	    "-----BEGIN X-----\n-----END X-----\n",
	    "-----BEGIN x-----\nMAMCAQA=\n-----END x-----\n",
	    "-----BEGIN X-----\nMAMCAQA=\n-----END X----- \n",
	    "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\nMAMCAQA=\n-----END X-----\n",
	};
	uint8_t out[64];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_false(pem_text_decode((const uint8_t *)texts[i], strlen(texts[i]), out, &n));
	assert_true(pem_text_decode(
	    (const uint8_t *)"-----BEGIN X-----\nMAMCAQA=\n-----END X-----\ntrailing", 50, out,
	    &n));
	assert_int_equal(n, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_as_pem_write_bio), cmocka_unit_test(test_exact_text),
	    cmocka_unit_test(test_decode_round_trip),	  cmocka_unit_test(test_decode_mutations),
	    cmocka_unit_test(test_decode_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
