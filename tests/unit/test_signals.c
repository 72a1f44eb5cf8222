/* Unit tests: signal names as the kill command accepts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "common/signals.h"

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(ib_parse_signal("KILL"), SIGKILL);
	assert_int_equal(ib_parse_signal("SIGKILL"), SIGKILL);
	assert_int_equal(ib_parse_signal("sigkill"), SIGKILL);
	assert_int_equal(ib_parse_signal("term"), SIGTERM);
	assert_int_equal(ib_parse_signal("SIGUSR1"), SIGUSR1);
	assert_int_equal(ib_parse_signal("HUP"), SIGHUP);
	assert_int_equal(ib_parse_signal("SIGWINCH"), SIGWINCH);
	assert_int_equal(ib_parse_signal("CHLD"), SIGCHLD);
	assert_int_equal(ib_parse_signal("SIGCLD"), SIGCHLD);
	assert_int_equal(ib_parse_signal("IOT"), SIGABRT);
}

static void test_numbers(void **state)
{
	(void)state;
	assert_int_equal(ib_parse_signal("9"), 9);
	assert_int_equal(ib_parse_signal("15"), 15);
	assert_int_equal(ib_parse_signal("0"), 0);
	assert_int_equal(ib_parse_signal("64"), SIGRTMAX == 64 ? 64 : -1);
	assert_int_equal(ib_parse_signal("65"), -1);
	assert_int_equal(ib_parse_signal("-9"), -1);
	assert_int_equal(ib_parse_signal("9x"), -1);
	assert_int_equal(ib_parse_signal("99999999999999999999"), -1);
}

static void test_realtime(void **state)
{
	(void)state;
	assert_int_equal(ib_parse_signal("RTMIN"), SIGRTMIN);
	assert_int_equal(ib_parse_signal("SIGRTMIN+3"), SIGRTMIN + 3);
	assert_int_equal(ib_parse_signal("RTMAX-1"), SIGRTMAX - 1);
	assert_int_equal(ib_parse_signal("RTMAX"), SIGRTMAX);
	assert_int_equal(ib_parse_signal("RTMIN-1"), -1);
	assert_int_equal(ib_parse_signal("RTMAX+1"), -1);
	assert_int_equal(ib_parse_signal("RTMIN+100"), -1);
}

static void test_bad(void **state)
{
	(void)state;
	assert_int_equal(ib_parse_signal(""), -1);
	assert_int_equal(ib_parse_signal(NULL), -1);
	assert_int_equal(ib_parse_signal("SIG"), -1);
	assert_int_equal(ib_parse_signal("SIGFOO"), -1);
	assert_int_equal(ib_parse_signal("KILLX"), -1);
}

static void test_name_of(void **state)
{
	(void)state;
	assert_string_equal(ib_signal_name(SIGKILL), "SIGKILL");
	assert_string_equal(ib_signal_name(SIGCHLD), "SIGCHLD");
	assert_string_equal(ib_signal_name(SIGABRT), "SIGABRT");
	assert_null(ib_signal_name(SIGRTMIN + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_realtime), cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_name_of),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
