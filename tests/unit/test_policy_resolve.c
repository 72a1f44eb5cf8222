/* Unit tests: resolving host paths for the restricted-mount rule when a path
 * (or its first component) does not exist. Found by the security tier's
 * negative control (tests/security/README.md): a policy naming a top-level
 * directory the host does not have refused every bind mount. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "policy/policy.h"
#include "policy/policy_int.h"

#define MISSING "/ib-test-no-such-top-level-dir"

static void expect_resolved(const char *path, const char *want)
{
	char *got = ib_policy_resolve(path);

	if (strcmp(got, want) != 0)
		fail_msg("ib_policy_resolve(\"%s\") = \"%s\", want \"%s\"", path, got, want);
	free(got);
}

/* expect_resolved, for two formatted strings it frees. */
static void expect_resolved_free(char *path, char *want)
{
	expect_resolved(path, want);
	free(path);
	free(want);
}

/* A missing path is resolved lexically below its longest existing prefix,
 * also when that prefix is "/" (the first component used to be dropped:
 * "/missing" resolved to "/", "/missing/sub" to "/sub"). */
static void test_resolve_missing(void **state)
{
	(void)state;
	assert_int_equal(access(MISSING, F_OK), -1);
	expect_resolved(MISSING, MISSING);
	expect_resolved(MISSING "/sub", MISSING "/sub");
	expect_resolved(MISSING "/a/../b", MISSING "/b");
	expect_resolved("/tmp/" MISSING "/x", "/tmp" MISSING "/x");
	expect_resolved("/", "/");
}

/* A restricted entry the host does not have restricts itself, not "/": an
 * ordinary directory stays mountable. */
static void test_missing_entry_restricts_only_itself(void **state)
{
	char tmpl[] = "/tmp/ib-resolve-XXXXXX";
	char *dir = mkdtemp(tmpl);
	ib_err err = {0};
	struct ib_policy *p = ib_policy_parse("{\"restrictedMounts\": [\"" MISSING "\"]}", &err);

	(void)state;
	assert_non_null(dir);
	assert_non_null(p);
	if (ib_policy_check_mount_source(p, dir, NULL, &err) < 0)
		fail_msg("%s refused by a policy that restricts only %s: %s", dir, MISSING,
			 err.msg);
	assert_int_equal(ib_policy_check_mount_source(p, MISSING "/sub", NULL, &err), -1);
	ib_policy_free(p);
	rmdir(dir);
}

/* Resolved as realpath() would (symlinks followed, ".." after them), for
 * the existing prefix; now one openat2 per level instead of a readlink per
 * component, so checked against realpath itself. */
static void test_resolve_like_realpath(void **state)
{
	char tmpl[] = "/tmp/ib-resolve-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *real_dir, *p, *want;

	(void)state;
	assert_non_null(dir);
	real_dir = realpath(dir, NULL);
	p = ib_xasprintf("%s/real/sub", dir);
	assert_int_equal(ib_mkdir_p(p, 0755, NULL), 0);
	free(p);
	p = ib_xasprintf("%s/link", dir);
	assert_int_equal(symlink("real/sub", p), 0); /* relative target */
	free(p);
	p = ib_xasprintf("%s/dangling", dir);
	assert_int_equal(symlink("nowhere/x", p), 0);
	free(p);
	p = ib_xasprintf("%s/file", dir);
	assert_int_equal(close(creat(p, 0600)), 0);
	free(p);

	/* Existing: the same as realpath. */
	p = ib_xasprintf("%s/link/../sub", dir);
	want = realpath(p, NULL);
	assert_non_null(want);
	expect_resolved(p, want);
	free(want);
	free(p);
	/* No symlink on the way: the path itself (no readlink); a symlink
	 * as the last component: its target. */
	p = ib_xasprintf("%s/real/sub", real_dir);
	expect_resolved(p, p);
	free(p);
	expect_resolved_free(ib_xasprintf("%s/link", dir), ib_xasprintf("%s/real/sub", real_dir));
	/* Missing below a symlinked directory: resolved prefix + tail. */
	expect_resolved_free(ib_xasprintf("%s/link/missing/deeper", dir),
			     ib_xasprintf("%s/real/sub/missing/deeper", real_dir));
	/* A dangling link is missing: kept by name under its directory. */
	expect_resolved_free(ib_xasprintf("%s/dangling", dir),
			     ib_xasprintf("%s/dangling", real_dir));
	/* Below a regular file (ENOTDIR): lexical below the file. */
	expect_resolved_free(ib_xasprintf("%s/file/x", dir), ib_xasprintf("%s/file/x", real_dir));
	/* Through a magic link: realpath's answer (our root, not a name under
	 * /proc). */
	expect_resolved_free(ib_xasprintf("/proc/self/root%s/link", dir),
			     ib_xasprintf("%s/real/sub", real_dir));

	p = ib_xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(p), 0);
	free(p);
	free(real_dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolve_missing),
	    cmocka_unit_test(test_missing_entry_restricts_only_itself),
	    cmocka_unit_test(test_resolve_like_realpath),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
