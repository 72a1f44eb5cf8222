/* Unit tests: absolute, clean paths (the state root's one spelling). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

static void check(const char *in, const char *want)
{
	char *got = ib_path_clean(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_clean(void **state)
{
	(void)state;
	check("/", "/");
	check("//", "/");
	check("/run/ironbox", "/run/ironbox");
	check("/run/ironbox/", "/run/ironbox");
	check("//run///ironbox//", "/run/ironbox");
	check("/run/./ironbox/.", "/run/ironbox");
	check("/tmp/bats/test/15/../../../root", "/tmp/root");
	check("/a/b/../../..", "/");
	check("/..", "/");
	check("/../../x", "/x");
	check("/a/..b/c", "/a/..b/c");
	check("/a/.b/...", "/a/.b/...");
	check("/a/b/..", "/a");
}

static void test_abs(void **state)
{
	char cwd[4096], *want, *got;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	got = ib_path_abs_clean("state/../st");
	want = ib_path_clean(cwd);
	assert_int_equal(strncmp(got, want, strlen(want)), 0);
	assert_string_equal(got + strlen(want), strcmp(want, "/") ? "/st" : "st");
	free(got);
	free(want);
	got = ib_path_abs_clean("/x/./y/");
	assert_string_equal(got, "/x/y");
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_abs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
