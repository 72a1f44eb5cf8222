/* Unit tests: the container's view of /proc and /sys files (supervisor/emul.h:
 * procview.c, proc_meminfo.c, proc_cpu.c, sys_cpu.c, sys_dmi.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <sys/sysinfo.h>

#include "supervisor/emul.h"
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

/* cgroup v1 memory.stat: local and hierarchical ("total_") figures. */
static const char v1_stat[] = "cache 1048576\nrss 1048576\nshmem 0\nmapped_file 0\n"
			      "total_cache 16777216\ntotal_rss 33554432\ntotal_rss_huge 2097152\n"
			      "total_shmem 1048576\ntotal_mapped_file 4194304\ntotal_dirty 8192\n"
			      "total_writeback 4096\ntotal_active_anon 30408704\n"
			      "total_inactive_anon 4194304\ntotal_active_file 6291456\n"
			      "total_inactive_file 8388608\ntotal_unevictable 0\n";
/* cgroup v2 memory.stat. */
static const char v2_stat[] =
    "anon 33554432\nfile 16777216\nkernel 3145728\n"
    "kernel_stack 262144\npagetables 524288\nsec_pagetables 0\n"
    "shmem 1048576\nfile_mapped 4194304\nfile_dirty 8192\n"
    "file_writeback 4096\nanon_thp 2097152\nactive_anon 30408704\n"
    "inactive_anon 4194304\nactive_file 6291456\ninactive_file 8388608\n"
    "unevictable 0\nslab_reclaimable 1048576\nslab_unreclaimable 524288\n";

static void test_parse_memstat(void **state)
{
	struct ib_procview_memstat m;

	(void)state;
	ib_procview_parse_memstat(v1_stat, &m);
	assert_int_equal(m.cache, 16u << 20); /* total_cache, not the local cache */
	assert_int_equal(m.anon, 32u << 20);
	assert_int_equal(m.anon_thp, 2u << 20);
	assert_int_equal(m.shmem, 1u << 20);
	assert_int_equal(m.mapped, 4u << 20);
	assert_int_equal(m.dirty, 8192);
	assert_int_equal(m.active_file, 6u << 20);
	assert_int_equal(m.slab_reclaimable, 0); /* v1 has none */
	ib_procview_parse_memstat(v2_stat, &m);
	assert_int_equal(m.cache, 16u << 20);
	assert_int_equal(m.anon, 32u << 20);
	assert_int_equal(m.anon_thp, 2u << 20);
	assert_int_equal(m.mapped, 4u << 20);
	assert_int_equal(m.writeback, 4096);
	assert_int_equal(m.slab_reclaimable, 1u << 20);
	assert_int_equal(m.slab_unreclaimable, 512u << 10);
	assert_int_equal(m.kernel_stack, 256u << 10);
	assert_int_equal(m.pagetables, 512u << 10);
	ib_procview_parse_memstat(NULL, &m);
	assert_int_equal(m.cache, 0);
}

/* A field of a rendered meminfo, in kB (-1: absent). */
static long long field(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ':')
			return strtoll(l + kl + 1, NULL, 10);
	return -1;
}

/* What free(1) relies on: the parts add up within the total. */
static void assert_consistent(const char *s)
{
	long long total = field(s, "MemTotal"), free_kb = field(s, "MemFree");
	long long avail = field(s, "MemAvailable");
	long long cache = field(s, "Buffers") + field(s, "Cached") + field(s, "SReclaimable");

	assert_true(total > 0);
	assert_true(free_kb >= 0 && free_kb <= total);
	assert_true(avail >= 0 && avail <= total);
	assert_true(cache <= total - free_kb);
	assert_true(field(s, "Shmem") <= field(s, "Cached"));
	assert_true(field(s, "SwapFree") <= field(s, "SwapTotal"));
	assert_int_equal(field(s, "Active"), field(s, "Active(anon)") + field(s, "Active(file)"));
	assert_int_equal(field(s, "Inactive"),
			 field(s, "Inactive(anon)") + field(s, "Inactive(file)"));
	assert_int_equal(field(s, "Slab"), field(s, "SReclaimable") + field(s, "SUnreclaim"));
}

static const char host_meminfo_full[] = "MemTotal:       24684084 kB\n"
					"MemFree:        20116008 kB\n"
					"MemAvailable:   23343876 kB\n"
					"Buffers:           12345 kB\n"
					"Cached:          3400000 kB\n"
					"SwapCached:          100 kB\n"
					"Active:          1100000 kB\n"
					"Inactive:        2100000 kB\n"
					"Active(anon):     100000 kB\n"
					"Inactive(anon):   100000 kB\n"
					"Active(file):    1000000 kB\n"
					"Inactive(file):  2000000 kB\n"
					"Unevictable:        1234 kB\n"
					"Mlocked:            1234 kB\n"
					"SwapTotal:       2097148 kB\n"
					"SwapFree:        2000000 kB\n"
					"Dirty:               444 kB\n"
					"Writeback:             0 kB\n"
					"AnonPages:        190000 kB\n"
					"Mapped:           300000 kB\n"
					"Shmem:             10336 kB\n"
					"KReclaimable:     400000 kB\n"
					"Slab:             500000 kB\n"
					"SReclaimable:     400000 kB\n"
					"SUnreclaim:       100000 kB\n"
					"KernelStack:        8000 kB\n"
					"PageTables:         9000 kB\n"
					"CommitLimit:    14439188 kB\n"
					"Committed_AS:    2000000 kB\n"
					"VmallocTotal:   34359738367 kB\n"
					"AnonHugePages:     65536 kB\n"
					"HugePages_Total:       0\n"
					"Hugepagesize:       2048 kB\n"
					"DirectMap4k:      200000 kB\n";

static void test_meminfo_limited(void **state)
{
	struct ib_procview_input in = {
	    .mem_limit = 256u << 20, .mem_usage = 64u << 20, .swap_limit = 0};
	char *s;

	(void)state;
	ib_procview_parse_memstat(v1_stat, &in.mem);
	s = ib_procview_meminfo(host_meminfo_full, &in);
	assert_non_null(strstr(s, "MemTotal:         262144 kB\n"));
	assert_non_null(strstr(s, "MemFree:          196608 kB\n"));
	/* free + the file LRU (6 + 8 MiB) */
	assert_non_null(strstr(s, "MemAvailable:     210944 kB\n"));
	assert_non_null(strstr(s, "Cached:            16384 kB\n"));
	assert_non_null(strstr(s, "Buffers:               0 kB\n"));
	assert_non_null(strstr(s, "SwapCached:            0 kB\n"));
	assert_non_null(strstr(s, "Shmem:              1024 kB\n"));
	assert_non_null(strstr(s, "AnonPages:         32768 kB\n"));
	assert_non_null(strstr(s, "Active(file):       6144 kB\n"));
	assert_non_null(strstr(s, "Active:            35840 kB\n"));
	assert_non_null(strstr(s, "Mapped:             4096 kB\n"));
	assert_non_null(strstr(s, "Unevictable:           0 kB\n"));
	assert_non_null(strstr(s, "Mlocked:               0 kB\n"));
	assert_non_null(strstr(s, "Slab:                  0 kB\n"));
	assert_non_null(strstr(s, "AnonHugePages:      2048 kB\n"));
	/* No swap for a container that may not swap, though the host has some. */
	assert_non_null(strstr(s, "SwapTotal:             0 kB\n"));
	assert_non_null(strstr(s, "SwapFree:              0 kB\n"));
	assert_non_null(strstr(s, "CommitLimit:      131072 kB\n"));
	/* The kernel's own lines pass through, in the host's order. */
	assert_non_null(strstr(s, "HugePages_Total:       0\nHugepagesize:       2048 kB\n"
				  "DirectMap4k:      200000 kB\n"));
	assert_non_null(strstr(s, "VmallocTotal:   34359738367 kB\n"));
	/* None of the host's memory figures is left. */
	assert_null(strstr(s, "24684084"));
	assert_null(strstr(s, "20116008"));
	assert_null(strstr(s, "3400000"));
	assert_null(strstr(s, "2097148"));
	assert_consistent(s);
	free(s);
	/* v2 figures: slab is accounted. */
	in = (struct ib_procview_input){.mem_limit = 256u << 20, .mem_usage = 64u << 20};
	ib_procview_parse_memstat(v2_stat, &in.mem);
	s = ib_procview_meminfo(host_meminfo_full, &in);
	assert_non_null(strstr(s, "SReclaimable:       1024 kB\n"));
	assert_non_null(strstr(s, "Slab:               1536 kB\n"));
	assert_non_null(strstr(s, "KernelStack:         256 kB\n"));
	assert_non_null(strstr(s, "MemAvailable:     211968 kB\n"));
	assert_consistent(s);
	free(s);
}

static void test_meminfo_unlimited_and_overcommitted(void **state)
{
	/* v1's "no limit" (PAGE_COUNTER_MAX pages) */
	struct ib_procview_input in = {.mem_limit = 9223372036854771712ULL,
				       .mem_usage = 100u << 20};
	char *s;

	(void)state;
	/* Nothing known: the host's file. */
	in.mem_usage = 0;
	s = ib_procview_meminfo(host_meminfo, &in);
	assert_string_equal(s, host_meminfo);
	free(s);
	/* Unlimited: the host's total, the container's usage, never more
	 * available than the host has. */
	in.mem_usage = 100u << 20;
	s = ib_procview_meminfo(host_meminfo_full, &in);
	assert_non_null(strstr(s, "MemTotal:       24684084 kB\n"));
	assert_true(field(s, "MemAvailable") <= 23343876);
	assert_true(field(s, "MemFree") <= field(s, "MemAvailable"));
	assert_consistent(s);
	free(s);
	/* Usage above the limit (kernel memory) never underflows; parts bigger
	 * than the whole are capped. */
	in = (struct ib_procview_input){
	    .mem_limit = 1u << 20, .mem_usage = 2u << 20, .swap_limit = UINT64_MAX};
	in.mem.cache = 8u << 20;
	in.mem.slab_reclaimable = 8u << 20;
	in.mem.shmem = 9u << 20;
	s = ib_procview_meminfo(host_meminfo_full, &in);
	assert_non_null(strstr(s, "MemFree:               0 kB\n"));
	assert_non_null(strstr(s, "Cached:             1024 kB\n"));
	/* may swap as the host does: the host's swap */
	assert_non_null(strstr(s, "SwapTotal:       2097148 kB\n"));
	assert_consistent(s);
	free(s);
	/* Unlimited swap, a host without swap: none. */
	s = ib_procview_meminfo(host_meminfo,
				&(struct ib_procview_input){.mem_limit = 1u << 30,
							    .mem_usage = 1u << 20,
							    .swap_limit = UINT64_MAX});
	assert_non_null(strstr(s, "SwapTotal:       2097148 kB\n"));
	free(s);
	{
		static const char noswap[] = "MemTotal:       24684084 kB\n"
					     "MemFree:        24116008 kB\n"
					     "SwapTotal:             0 kB\n"
					     "SwapFree:              0 kB\n";
		s = ib_procview_meminfo(noswap,
					&(struct ib_procview_input){.mem_limit = 1u << 30,
								    .mem_usage = 1u << 20,
								    .swap_limit = UINT64_MAX});
		assert_non_null(strstr(s, "SwapTotal:             0 kB\n"));
		free(s);
	}
	/* A swap limit, some of it used. */
	s = ib_procview_meminfo(host_meminfo_full,
				&(struct ib_procview_input){.mem_limit = 1u << 30,
							    .mem_usage = 1u << 20,
							    .swap_limit = 512u << 20,
							    .swap_usage = 100u << 20});
	assert_non_null(strstr(s, "SwapTotal:        524288 kB\n"));
	assert_non_null(strstr(s, "SwapFree:         421888 kB\n"));
	assert_consistent(s);
	free(s);
}

static void test_sysinfo(void **state)
{
	struct ib_procview_input in = {.mem_limit = 256u << 20,
				       .mem_usage = 64u << 20,
				       .uptime = 42.7,
				       .load = {1.5, 0.25, 0},
				       .tasks = 3};
	struct ib_procview_mem m;
	struct sysinfo si;
	struct ib_compat_sysinfo csi;

	(void)state;
	ib_procview_parse_memstat(v1_stat, &in.mem);
	assert_true(ib_procview_mem_compute(host_meminfo_full, &in, &m));
	assert_int_equal(ib_procview_sysinfo(&m, &in, false, &si), sizeof(si));
	assert_int_equal(si.totalram, 256u << 20);
	assert_int_equal(si.freeram, 192u << 20);
	assert_int_equal(si.sharedram, 1u << 20);
	assert_int_equal(si.bufferram, 0);
	assert_int_equal(si.totalswap, 0);
	assert_int_equal(si.freeswap, 0);
	assert_int_equal(si.uptime, 42);
	assert_int_equal(si.loads[0], 98304); /* 1.5 << SI_LOAD_SHIFT */
	assert_int_equal(si.loads[1], 16384);
	assert_int_equal(si.procs, 3);
	assert_int_equal(si.mem_unit, 1);
	assert_int_equal(ib_procview_sysinfo(&m, &in, true, &csi), 64);
	assert_int_equal(csi.totalram, 256u << 20);
	assert_int_equal(csi.mem_unit, 1);
	assert_int_equal(csi.procs, 3);
	/* 16 GiB does not fit 32 bits: the unit grows. */
	m.total = 16ULL << 20;
	m.free = 8ULL << 20;
	assert_int_equal(ib_procview_sysinfo(&m, &in, true, &csi), 64);
	assert_true(csi.mem_unit > 1);
	assert_int_equal((uint64_t)csi.totalram * csi.mem_unit, 16ULL << 30);
	assert_int_equal((uint64_t)csi.freeram * csi.mem_unit, 8ULL << 30);
	/* Into any byte of a message buffer (the supervisor's): found by
	 * UBSan, which aborted the supervisor on an 8-byte store there. */
	{
		_Alignas(8) unsigned char buf[sizeof(si) + 8];

		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(ib_procview_sysinfo(&m, &in, false, buf + 4), sizeof(si));
		memcpy(&si, buf + 4, sizeof(si));
		assert_int_equal(si.totalram, 16ULL << 30);
		assert_int_equal(buf[3], 0xa5);
		assert_int_equal(buf[4 + sizeof(si)], 0xa5);
		assert_int_equal(ib_procview_sysinfo(&m, &in, true, buf + 1), 64);
	}
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

static void test_cpu_list_and_online(void **state)
{
	bool c[8] = {true, false, true, true, false, false, false, true};
	bool set[8] = {false, true, false, true, true, true, false, false};
	struct ib_procview_input in = {0};
	char *s;

	(void)state;
	s = ib_procview_cpu_list(c, 8);
	assert_string_equal(s, "0,2-3,7\n");
	free(s);
	s = ib_procview_cpu_list(c, 0);
	assert_string_equal(s, "\n");
	free(s);
	/* No cpuset, no quota: the host's online CPUs. */
	s = ib_procview_cpu_online("0-3\n", &in);
	assert_string_equal(s, "0-3\n");
	free(s);
	/* cpuset "1,3-5" on a host with 0-3 online: 1,3 (host numbers). */
	in.cpus = set;
	in.n_cpus = 8;
	s = ib_procview_cpu_online("0-3\n", &in);
	assert_string_equal(s, "1,3\n");
	free(s);
	/* ... and a quota of 0.5 CPU: the first one. */
	in.cpu_quota = 0.5;
	s = ib_procview_cpu_online("0-3\n", &in);
	assert_string_equal(s, "1\n");
	free(s);
	/* quota 2.5 CPUs rounds up to 3; no cpuset. */
	in = (struct ib_procview_input){.cpu_quota = 2.5};
	s = ib_procview_cpu_online("0-7\n", &in);
	assert_string_equal(s, "0-2\n");
	free(s);
	/* A cpuset of offline CPUs only: the host's list, not an empty one. */
	c[0] = c[1] = c[2] = c[3] = false;
	in = (struct ib_procview_input){.cpus = c, .n_cpus = 4};
	s = ib_procview_cpu_online("0-3\n", &in);
	assert_string_equal(s, "0-3\n");
	free(s);
}

static void test_cpuinfo_stat_agree_with_online(void **state)
{
	/* cpuset "0,2-3" and a quota of 2 CPUs: two CPUs everywhere. */
	bool set[4];
	struct ib_procview_input in = {.cpu_quota = 2.0};
	char *info, *stat, *online;
	int n_info = 0, n_stat = 0;

	(void)state;
	assert_true(ib_procview_parse_cpuset("0,2-3\n", set, 4));
	in.cpus = set;
	in.n_cpus = 4;
	info = ib_procview_cpuinfo(host_cpuinfo, &in);
	stat = ib_procview_stat(host_stat, &in);
	online = ib_procview_cpu_online("0-3\n", &in);
	for (const char *p = info; (p = strstr(p, "processor")); p++)
		n_info++;
	for (const char *p = stat; (p = strstr(p, "\ncpu")); p++)
		n_stat++;
	assert_int_equal(n_info, 2);
	assert_int_equal(n_stat, 2);
	assert_string_equal(online, "0,2\n");
	assert_non_null(strstr(info, "model name\t: A"));
	assert_non_null(strstr(info, "model name\t: C"));
	assert_non_null(strstr(stat, "cpu  22 0 22 202 0 0 0 0 0 0\n"));
	free(info);
	free(stat);
	free(online);
}

static void test_uuid(void **state)
{
	uint8_t a[16], b[16];
	char *sa, *sb;

	(void)state;
	for (int i = 0; i < 16; i++) {
		a[i] = (uint8_t)(i * 17);
		b[i] = (uint8_t)(255 - i);
	}
	sa = ib_procview_uuid(a);
	sb = ib_procview_uuid(b);
	assert_string_equal(sa, "00112233-4455-4677-8899-aabbccddeeff\n");
	assert_int_equal(strlen(sb), 37);
	assert_int_equal(sb[14], '4');		     /* version 4 */
	assert_true(strchr("89ab", sb[19]) != NULL); /* RFC 4122 variant */
	assert_string_not_equal(sa, sb);
	free(sa);
	free(sb);
}

static void test_emul_table(void **state)
{
	size_t n = ib_emul_n_files();

	(void)state;
	assert_true(n >= 10);
	assert_null(ib_emul_files[n].name);
	for (size_t i = 0; i < n; i++) {
		const struct ib_emul_file *f = &ib_emul_files[i];

		/* flat names (one FUSE directory), absolute paths, unique */
		assert_non_null(f->render);
		assert_null(strchr(f->name, '/'));
		assert_true(f->path[0] == '/');
		for (size_t j = 0; j < i; j++) {
			assert_string_not_equal(f->name, ib_emul_files[j].name);
			assert_string_not_equal(f->path, ib_emul_files[j].path);
		}
		/* /sys and /dev files are best effort; /proc ones are not */
		assert_int_equal(ib_emul_under_proc(f),
				 !(f->flags & (IB_EMUL_OPTIONAL | IB_EMUL_CREATE)));
	}
}

/* The total line's first figure is jiffies, not a CPU number: a host up for
 * long must not make the renderer size its CPU table by it. */
static void test_stat_total_line_is_not_a_cpu(void **state)
{
	static const char busy[] = "cpu  4000000000000 0 1 2 0 0 0 0 0 0\n"
				   "cpu0 2000000000000 0 1 1 0 0 0 0 0 0\n"
				   "cpu1 2000000000000 0 0 1 0 0 0 0 0 0\n"
				   "ctxt 99\n";
	struct ib_procview_input in = {.cpu_quota = 1};
	char *s = ib_procview_stat(busy, &in);

	(void)state;
	assert_string_equal(s, "cpu  2000000000000 0 1 1 0 0 0 0 0 0\n"
			       "cpu0 2000000000000 0 1 1 0 0 0 0 0 0\n"
			       "ctxt 99\n");
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
	    cmocka_unit_test(test_parse_memstat),
	    cmocka_unit_test(test_meminfo_limited),
	    cmocka_unit_test(test_meminfo_unlimited_and_overcommitted),
	    cmocka_unit_test(test_parse_cpuset),
	    cmocka_unit_test(test_cpuinfo_cpuset_and_quota),
	    cmocka_unit_test(test_stat),
	    cmocka_unit_test(test_stat_total_line_is_not_a_cpu),
	    cmocka_unit_test(test_sysinfo),
	    cmocka_unit_test(test_cpu_list_and_online),
	    cmocka_unit_test(test_cpuinfo_stat_agree_with_online),
	    cmocka_unit_test(test_uuid),
	    cmocka_unit_test(test_emul_table),
	    cmocka_unit_test(test_loadavg_and_swaps),
	    cmocka_unit_test(test_diskstats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
