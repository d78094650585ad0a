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

/* Accepted, and equal to jansson's reading; returns the object (caller frees). */
static json_t *accepted(const char *text)
{
	json_t *fast = json_flat_object_loadb(text, strlen(text));
	json_t *slow = json_loads(text, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, NULL);

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

static void test_refuses_outside_the_shape(void **state)
{
	static const char *const refused[] = {
	    "",
	    "   ",
	    "null",
	    "[]",
	    "\"s\"",
	    "{\"a\":1}",
	    "{\"a\":null}",
	    "{\"a\":true}",
	    "{\"a\":{\"b\":\"c\"}}",
	    "{\"a\":[\"b\"]}",
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
		json_t *o = json_flat_object_loadb(refused[i], strlen(refused[i]));
		if (o != NULL)
			fail_msg("accepted: %s", refused[i]);
	}
	/* a NUL inside the input is not the end of it: refused, not read as "{}" */
	assert_null(json_flat_object_loadb("{\"a\":\"b\0\"}", 10));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_the_sign_body),
	    cmocka_unit_test(test_escapes_duplicates_whitespace),
	    cmocka_unit_test(test_refuses_outside_the_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
