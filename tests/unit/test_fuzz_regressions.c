/* Unit tests: bugs found by fuzzing (fuzz/, see fuzz/README.md). Each test
 * feeds the minimized input of one finding through the public API and checks
 * the contract the fuzz target checks; the input is also kept in
 * fuzz/regressions/<target>/ for the fuzzer to replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "state/state.h"

static int setup(void **state)
{
	char tmpl[] = "/tmp/ib-fuzzreg-XXXXXX";
	char *dir = mkdtemp(tmpl);

	assert_non_null(dir);
	*state = ib_xstrdup(dir);
	return 0;
}

static int teardown(void **state)
{
	char *root = *state;
	char *cmd = ib_xasprintf("rm -rf '%s'", root);

	assert_int_equal(system(cmd), 0);
	free(cmd);
	free(root);
	return 0;
}

/* Write text as <root>/<id>/state.json. */
static void put_state(const char *root, const char *id, const char *text)
{
	ib_err err = {0};
	char *dir = ib_state_path(root, id, NULL), *file = ib_state_path(root, id, "state.json");

	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(ib_write_file_atomic(file, text, strlen(text), 0600, &err), 0);
	free(dir);
	free(file);
}

/* fuzz/regressions/state/crash-state-annotation-null.json: a non-string
 * annotation value ("a": null) was kept as a NULL pointer in
 * annotation_values, which `ironbox list --format json` hands to
 * json_object_new_string() (segfault). Every annotation that is kept must have
 * a string value. */
static void test_state_annotation_null(void **state)
{
	const char *root = *state;
	ib_err err = {0};
	struct ib_state *st;

	put_state(root, "x", "{\"id\":\"x\",\"annotations\":{\"a\":null,\"b\":1,\"c\":\"s\"}}");
	st = ib_state_load(root, "x", &err);
	assert_non_null(st);
	for (size_t i = 0; i < st->n_annotations; i++) {
		assert_non_null(st->annotation_keys[i]);
		if (!st->annotation_values[i])
			fail_msg("annotation \"%s\" loaded with a NULL value",
				 st->annotation_keys[i]);
	}
	ib_state_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_state_annotation_null, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
