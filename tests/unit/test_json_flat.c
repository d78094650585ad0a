/* test_json_flat.c - the fast reader of flat string objects: what it accepts it reads exactly
 * as jansson does (escapes, duplicates, whitespace, what follows the object), and everything
 * outside its shape is refused with NULL so that jansson reads it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "base/json_flat.h"

#define BODY (JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK) /* the request bodies' flags */
#define JWS  JSON_REJECT_DUPLICATES			/* a token part's */

/* Accepted, and equal to jansson's reading; returns the object (caller frees). */
static json_t *accepted(const char *text)
{
	json_t *fast = json_flat_loadb(text, strlen(text), BODY);
	json_t *slow = json_loads(text, BODY, NULL);

	if (fast == NULL)
		fail_msg("refused: %s", text);
	assert_non_null(slow);
	assert_true(json_equal(fast, slow));
	json_decref(slow);
	return fast;
}

static void test_accepts_the_sign_body(void **state)
{
	static const char body[] =
	    "{\"csr\":\"-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n-----END CERTIFICATE "
	    "REQUEST-----\\n\",\"ott\":\"eyJhbGciOiJFUzI1NiJ9.e30.c2ln\",\"notAfter\":\"24h\"}";
	json_t *o = accepted(body);
	(void)state;

	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(json_string_value(json_object_get(o, "csr")),
			    "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE "
			    "REQUEST-----\n");
	assert_string_equal(json_string_value(json_object_get(o, "ott")),
			    "eyJhbGciOiJFUzI1NiJ9.e30.c2ln");
	assert_string_equal(json_string_value(json_object_get(o, "notAfter")), "24h");
	json_decref(o);
}

static void test_escapes_duplicates_whitespace(void **state)
{
	json_t *o = accepted(" \t\r\n{ \"k\" :\n\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\" , \"k2\":\"x\","
			     "\"k2\":\"later\", \"\":\"\" }  and then anything");
	(void)state;

	assert_string_equal(json_string_value(json_object_get(o, "k")), "a\"b\\c/d\b\f\n\r\t");
	assert_string_equal(json_string_value(json_object_get(o, "k2")), "later");
	assert_string_equal(json_string_value(json_object_get(o, "")), "");
	json_decref(o);
	o = accepted("{}");
	assert_int_equal(json_object_size(o), 0);
	json_decref(o);
}

/* A token's claims: integers and arrays of strings too; under the token flags a repeated key
 * and anything but white space after the object are left to jansson (which refuses them). */
static void test_token_parts(void **state)
{
	static const char claims[] =
	    "{\"aud\":[\"https://ca/1.0/sign\",\"x\"],\"exp\":1764892800,\"nbf\":-0,"
	    "\"iat\":0,\"big\":-999999999999999999,\"sans\":[],\"sub\":\"a\"} \n";
	json_t *o = json_flat_loadb(claims, strlen(claims), JWS), *slow;
	(void)state;

	assert_non_null(o);
	slow = json_loads(claims, JWS, NULL);
	assert_non_null(slow);
	assert_true(json_equal(o, slow));
	assert_int_equal(json_integer_value(json_object_get(o, "exp")), 1764892800);
	assert_int_equal(json_integer_value(json_object_get(o, "big")), -999999999999999999LL);
	assert_int_equal(json_array_size(json_object_get(o, "aud")), 2);
	assert_int_equal(json_array_size(json_object_get(o, "sans")), 0);
	json_decref(o);
	json_decref(slow);
	assert_null(json_flat_loadb("{\"a\":\"1\",\"a\":\"2\"}", 17, JWS));
	assert_null(json_flat_loadb("{\"a\":\"1\"} x", 11, JWS));
	o = json_flat_loadb("{\"a\":\"1\"} x", 11, BODY);
	assert_non_null(o);
	json_decref(o);
}

static void test_refuses_outside_the_shape(void **state)
{
	static const char *const refused[] = {
	    "",
	    "   ",
	    "null",
	    "[]",
	    "\"s\"",
	    "{\"a\":1.5}",
	    "{\"a\":1e3}",
	    "{\"a\":01}",
	    "{\"a\":-}",
	    "{\"a\":1234567890123456789}",
	    "{\"a\":[1]}",
	    "{\"a\":[\"b\",]}",
	    "{\"a\":[\"b\"}",
	    "{\"a\":null}",
	    "{\"a\":true}",
	    "{\"a\":{\"b\":\"c\"}}",
	    "{\"a\":\"\\u0041\"}",
	    "{\"a\":\"\\x\"}",
	    "{\"a\":\"tab\there\"}",
	    "{\"a\":\"caf\xc3\xa9\"}",
	    "{\"a\":\"del\x7f\"}",
	    "{\"a\":\"b\",}",
	    "{\"a\":\"b\"",
	    "{\"a\" \"b\"}",
	    "{\"a\":\"b\" \"c\":\"d\"}",
	    "{a:\"b\"}",
	    "{\"a\":\"unterminated}",
	    "{\"a\":\"ends in a backslash\\",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		json_t *o = json_flat_loadb(refused[i], strlen(refused[i]), BODY);
		if (o != NULL)
			fail_msg("accepted: %s", refused[i]);
	}
	/* a NUL inside the input is not the end of it: refused, not read as "{}" */
	assert_null(json_flat_loadb("{\"a\":\"b\0\"}", 10, BODY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_the_sign_body),
	    cmocka_unit_test(test_escapes_duplicates_whitespace),
	    cmocka_unit_test(test_token_parts),
	    cmocka_unit_test(test_refuses_outside_the_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
