/* Unit tests: the container's view of /proc files (supervisor/procview.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "supervisor/procview.h"

static const char host_meminfo[] = "MemTotal:       24684084 kB\n"
				   "MemFree:        24116008 kB\n"
				   "MemAvailable:   24343876 kB\n"
				   "Buffers:           12345 kB\n"
				   "Cached:           400000 kB\n"
				   "SwapCached:            0 kB\n"
				   "Active:           100000 kB\n"
				   "SwapTotal:       2097148 kB\n"
				   "SwapFree:        2097148 kB\n";

static const char host_cpuinfo[] = "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: A\n\n"
				   "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: B\n\n"
				   "processor\t: 2\nvendor_id\t: GenuineIntel\nmodel name\t: C\n\n"
				   "processor\t: 3\nvendor_id\t: GenuineIntel\nmodel name\t: D\n\n";

static const char host_stat[] = "cpu  40 0 40 400 0 0 0 0 0 0\n"
				"cpu0 10 0 10 100 0 0 0 0 0 0\n"
				"cpu1 11 0 11 101 0 0 0 0 0 0\n"
				"cpu2 12 0 12 102 0 0 0 0 0 0\n"
				"cpu3 13 0 13 103 0 0 0 0 0 0\n"
				"intr 5 1 2\nctxt 99\nbtime 1700000000\nprocesses 7\n";

static void test_uptime(void **state)
{
	struct ib_procview_input in = {.uptime = 5.857};
	char *s = ib_procview_uptime(&in);

	(void)state;
	assert_string_equal(s, "5.86 5.86\n");
	free(s);
	in.uptime = -1; /* clock skew never shows a negative uptime */
	s = ib_procview_uptime(&in);
	assert_string_equal(s, "0.00 0.00\n");
	free(s);
}

static void test_meminfo_limited(void **state)
{
	struct ib_procview_input in = {.mem_limit = 256u << 20,
				       .mem_usage = 64u << 20,
				       .mem_cache = 16u << 20,
				       .swap_limit = 0};
	char *s = ib_procview_meminfo(host_meminfo, &in);

	(void)state;
	assert_non_null(strstr(s, "MemTotal:         262144 kB\n"));
	assert_non_null(strstr(s, "MemFree:          196608 kB\n"));
	assert_non_null(strstr(s, "MemAvailable:     212992 kB\n"));
	assert_non_null(strstr(s, "Cached:            16384 kB\n"));
	assert_non_null(strstr(s, "Buffers:               0 kB\n"));
	assert_non_null(strstr(s, "SwapTotal:             0 kB\n"));
	/* Lines the container has no figure for pass through. */
	assert_non_null(strstr(s, "Active:           100000 kB\n"));
	assert_null(strstr(s, "24684084"));
	free(s);
}

static void test_meminfo_unlimited_and_overcommitted(void **state)
{
	struct ib_procview_input in = {.mem_limit = UINT64_MAX, .mem_usage = 1u << 20};
	char *s = ib_procview_meminfo(host_meminfo, &in);

	(void)state;
	assert_string_equal(s, host_meminfo);
	free(s);
	/* Usage above the limit (kernel memory) never underflows. */
	in = (struct ib_procview_input){
	    .mem_limit = 1u << 20, .mem_usage = 2u << 20, .swap_limit = UINT64_MAX};
	s = ib_procview_meminfo(host_meminfo, &in);
	assert_non_null(strstr(s, "MemFree:               0 kB\n"));
	assert_non_null(strstr(s, "SwapTotal:       2097148 kB\n"));
	free(s);
}

static void test_parse_cpuset(void **state)
{
	bool c[16];

	(void)state;
	assert_true(ib_procview_parse_cpuset("0-2,5,7-8\n", c, 16));
	assert_true(c[0] && c[1] && c[2] && !c[3] && !c[4] && c[5] && !c[6] && c[7] && c[8]);
	assert_false(c[9]);
	assert_true(ib_procview_parse_cpuset("", c, 16));
	assert_false(c[0]);
	assert_false(ib_procview_parse_cpuset("3-1", c, 16));
	assert_false(ib_procview_parse_cpuset("a", c, 16));
	assert_false(ib_procview_parse_cpuset("1;2", c, 16));
	/* CPUs beyond the array are ignored, not written. */
	assert_true(ib_procview_parse_cpuset("14-40", c, 16));
	assert_true(c[14] && c[15]);
}

static void test_cpuinfo_cpuset_and_quota(void **state)
{
	bool set[4] = {false, true, false, true};
	struct ib_procview_input in = {.cpus = set, .n_cpus = 4};
	char *s = ib_procview_cpuinfo(host_cpuinfo, &in);

	(void)state;
	/* CPUs 1 and 3, renumbered 0 and 1. */
	assert_string_equal(s, "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: B\n\n"
			       "processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: D\n\n");
	free(s);
	/* A quota of 0.5 CPU shows one CPU. */
	in = (struct ib_procview_input){.cpu_quota = 0.5};
	s = ib_procview_cpuinfo(host_cpuinfo, &in);
	assert_non_null(strstr(s, "model name\t: A"));
	assert_null(strstr(s, "model name\t: B"));
	free(s);
}

static void test_stat(void **state)
{
	bool set[4] = {false, true, true, false};
	struct ib_procview_input in = {.cpus = set, .n_cpus = 4};
	char *s = ib_procview_stat(host_stat, &in);

	(void)state;
	assert_string_equal(s, "cpu  23 0 23 203 0 0 0 0 0 0\n"
			       "cpu0 11 0 11 101 0 0 0 0 0 0\n"
			       "cpu1 12 0 12 102 0 0 0 0 0 0\n"
			       "intr 5 1 2\nctxt 99\nbtime 1700000000\nprocesses 7\n");
	free(s);
}

static void test_loadavg_and_swaps(void **state)
{
	struct ib_procview_input in = {
	    .load = {1.5, 0.25, 0}, .running = 2, .tasks = 9, .last_pid = 42};
	char *s = ib_procview_loadavg(&in);
	double l = 0;

	(void)state;
	assert_string_equal(s, "1.50 0.25 0.00 2/9 42\n");
	free(s);
	s = ib_procview_swaps(&in);
	assert_null(strchr(strchr(s, '\n') + 1, '/')); /* header only */
	free(s);
	/* The load converges to a constant number of runnable tasks. */
	for (int i = 0; i < 200; i++)
		l = ib_procview_load_step(l, 3, 5, 60);
	assert_true(l > 2.99 && l < 3.01);
	assert_true(ib_procview_load_step(0, 1, 5, 60) < 0.1);
}

static void test_diskstats(void **state)
{
	struct ib_procview_disk *d = NULL;
	size_t n = 0;
	char *s;

	(void)state;
	ib_procview_parse_blkio("8:0 Read 10\n8:0 Write 4\n8:0 Sync 14\n8:0 Total 14\nTotal 14\n",
				false, &d, &n);
	ib_procview_parse_blkio("8:0 Read 8192\n8:0 Write 1024\n", true, &d, &n);
	ib_procview_parse_blkio("259:0 rbytes=512 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n", false,
				&d, &n);
	assert_int_equal(n, 2);
	assert_int_equal(d[0].reads, 10);
	assert_int_equal(d[0].writes, 4);
	assert_int_equal(d[0].read_bytes, 8192);
	assert_int_equal(d[1].reads, 1);
	assert_int_equal(d[1].read_bytes, 512);
	s = ib_procview_diskstats("   8       0 sda 999 1 999 1 999 1 999 1 0 5 5 0 0 0 0 0 0\n"
				  "   8       1 sda1 999 1 999 1 999 1 999 1 0 5 5 0 0 0 0 0 0\n",
				  d, n);
	assert_string_equal(s, "   8       0 sda 10 0 16 0 4 0 2 0 0 0 0 0 0 0 0 0 0\n"
			       "   8       1 sda1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	free(s);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_uptime),
	    cmocka_unit_test(test_meminfo_limited),
	    cmocka_unit_test(test_meminfo_unlimited_and_overcommitted),
	    cmocka_unit_test(test_parse_cpuset),
	    cmocka_unit_test(test_cpuinfo_cpuset_and_quota),
	    cmocka_unit_test(test_stat),
	    cmocka_unit_test(test_loadavg_and_swaps),
	    cmocka_unit_test(test_diskstats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
