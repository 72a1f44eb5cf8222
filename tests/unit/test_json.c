/* Unit tests: strict parsing of one JSON document (common/json.h), the
 * parser of the policy file, the ID-range and knob tables, daemon.json and
 * the authorization plugin's requests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/json.h"

static struct json_object *parse(const char *text, enum json_tokener_error *e)
{
	return ib_json_parse_doc(text, strlen(text), e);
}

static void test_documents(void **state)
{
	enum json_tokener_error e = json_tokener_error_depth;
	struct json_object *o;

	(void)state;
	o = parse("{\"a\": [1, 2]}", &e);
	assert_non_null(o);
	assert_int_equal(e, json_tokener_success);
	assert_true(json_object_is_type(o, json_type_object));
	json_object_put(o);
	/* whitespace around it */
	o = parse(" \t\n{}\r\n \n", &e);
	assert_non_null(o);
	json_object_put(o);
	/* a bare number is complete at the end of input */
	o = parse("42", &e);
	assert_non_null(o);
	assert_int_equal(json_object_get_int(o), 42);
	json_object_put(o);
	o = parse("null", &e);
	assert_null(o); /* json-c's null is NULL: not a document we take */
	/* the length is what counts, not a NUL after it */
	o = ib_json_parse_doc("{}xyz", 2, &e);
	assert_non_null(o);
	json_object_put(o);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "{} {}", "{}x", "{\"a\": 1}}", "[1] 2", "42 x",	   "{\"a\": ", "{\"a\"",
	    "[",     "",    "   ",	   "[1,]",  "{\"a\": 1,}",
	};
	enum json_tokener_error e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = json_tokener_success;
		assert_null(parse(bad[i], &e));
		assert_int_not_equal(e, json_tokener_success);
	}
	/* a truncated document says so */
	assert_null(parse("{\"a\": [1,", &e));
	assert_int_equal(e, json_tokener_error_parse_eof);
	/* trailing data */
	assert_null(parse("{} []", &e));
	assert_int_equal(e, json_tokener_error_parse_unexpected);
	/* a NUL within the length */
	assert_null(ib_json_parse_doc("{}\0 ", 4, &e));
	assert_int_equal(e, json_tokener_error_parse_unexpected);
	assert_null(ib_json_parse_doc("{\"a\0\": 1}", 9, &e));
	/* no error wanted */
	assert_null(ib_json_parse_doc("{", 1, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_documents),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
