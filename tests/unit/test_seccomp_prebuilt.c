/* Unit test: the seccomp filter linked into the runtime at build time
 * (seccomp_prebuilt.h) is the one libseccomp builds now from the rule
 * table, instruction for instruction; and the runtime uses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "linux/process.h"
#include "linux/seccomp_prebuilt.h"

static void same_prog(unsigned short n, const struct sock_filter *f, const struct sock_fprog *p)
{
	assert_int_equal(n, p->len);
	if (n)
		assert_memory_equal(f, p->filter, n * sizeof(*f));
}

static void test_prebuilt_is_current(void **state)
{
	struct sock_fprog prog, quiet;
	ib_err err = {0};

	(void)state;
	assert_non_null(&ib_seccomp_prebuilt);
	assert_int_equal(ib_seccomp_build_supervised_all(&prog, &quiet, &err), 0);
	assert_true(prog.len > 10 && quiet.len > 10);
	same_prog(ib_seccomp_prebuilt.n_prog, ib_seccomp_prebuilt.prog, &prog);
	same_prog(ib_seccomp_prebuilt.n_quiet, ib_seccomp_prebuilt.quiet, &quiet);
	/* The two flavours differ (NOTIFY against errno answers). */
	assert_true(prog.len != quiet.len ||
		    memcmp(prog.filter, quiet.filter, prog.len * sizeof(*prog.filter)) != 0);
	free(prog.filter);
	free(quiet.filter);
}

/* What the runtime hands the init is the prebuilt program. */
static void test_runtime_exports_prebuilt(void **state)
{
	struct {
		uint16_t n_prog;
	} h;
	struct sock_filter *f;
	ib_err err = {0};
	int fd;

	(void)state;
	fd = ib_seccomp_supervised_export(&err);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &h, sizeof(h), 0), sizeof(h));
	assert_int_equal(h.n_prog, ib_seccomp_prebuilt.n_prog);
	f = calloc(h.n_prog, sizeof(*f));
	assert_int_equal(pread(fd, f, h.n_prog * sizeof(*f), (off_t)sizeof(h)),
			 (ssize_t)(h.n_prog * sizeof(*f)));
	assert_memory_equal(f, ib_seccomp_prebuilt.prog, h.n_prog * sizeof(*f));
	free(f);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_prebuilt_is_current),
	    cmocka_unit_test(test_runtime_exports_prebuilt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
