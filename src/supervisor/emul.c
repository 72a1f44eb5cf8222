/* The emulated files (emul.h): the table, the container's context and the
 * I/O the renderers share; /proc/uptime, loadavg, swaps and diskstats. */
#include "supervisor/emul.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "supervisor/procview.h"

/* One line per file; see emul.h. */
const struct ib_emul_file ib_emul_files[] = {
    {"uptime", "/proc/uptime", ib_emul_uptime, NULL, 0},
    {"meminfo", "/proc/meminfo", ib_emul_meminfo, NULL, 0},
    {"cpuinfo", "/proc/cpuinfo", ib_emul_cpuinfo, NULL, 0},
    {"stat", "/proc/stat", ib_emul_stat, NULL, 0},
    {"loadavg", "/proc/loadavg", ib_emul_loadavg, NULL, 0},
    {"swaps", "/proc/swaps", ib_emul_swaps, NULL, 0},
    {"diskstats", "/proc/diskstats", ib_emul_diskstats, NULL, 0},
    {"sys_cpu_online", "/sys/devices/system/cpu/online", ib_emul_cpu_online, NULL,
     IB_EMUL_OPTIONAL},
    {"sys_dmi_product_uuid", "/sys/devices/virtual/dmi/id/product_uuid", ib_emul_product_uuid, NULL,
     IB_EMUL_OPTIONAL},
    {"dev_kmsg", "/dev/kmsg", ib_emul_kmsg, ib_emul_kmsg_write, IB_EMUL_CREATE | IB_EMUL_STREAM},
    {NULL, NULL, NULL, NULL, 0},
};

size_t ib_emul_n_files(void)
{
	return IB_ARRAY_SIZE(ib_emul_files) - 1;
}

bool ib_emul_under_proc(const struct ib_emul_file *f)
{
	return strncmp(f->path, "/proc/", 6) == 0;
}

struct ib_emul_ctx ib_emul;

char *ib_emul_read(const char *path)
{
	char *text = NULL;
	ib_err e = {0};

	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, &e) < 0)
		return NULL;
	return text;
}

char *ib_emul_cg_read(const char *file)
{
	char **dirs = ib_emul.cg ? ib_emul.cg->v1_dirs : NULL;

	for (size_t i = 0; dirs && dirs[i]; i++) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", dirs[i], file);
		char *t = ib_emul_read(p);
		if (t)
			return t;
	}
	if (ib_emul.cg && ib_emul.cg->v2_dir) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", ib_emul.cg->v2_dir, file);
		return ib_emul_read(p);
	}
	return NULL;
}

uint64_t ib_emul_cg_u64(const char *file, uint64_t dflt)
{
	_cleanup_free_ char *t = ib_emul_cg_read(file);

	if (!t)
		return dflt;
	if (!strncmp(t, "max", 3))
		return UINT64_MAX;
	return strtoull(t, NULL, 10);
}

double ib_emul_boottime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned ib_emul_count_tasks(void)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	ib_err e = {0};

	if (!ib_emul.cg || ib_cgroup_pids(ib_emul.cg, &pids, &n, &e) < 0)
		return ib_emul.tasks;
	return (unsigned)n;
}

static struct ib_procview_input ctx_input(void)
{
	struct ib_procview_input in = {0};

	in.uptime = ib_emul_boottime() - ib_emul.init_start;
	memcpy(in.load, ib_emul.load, sizeof(in.load));
	in.running = ib_emul.running;
	in.tasks = ib_emul.tasks;
	in.last_pid = ib_emul.last_pid;
	return in;
}

char *ib_emul_uptime(void)
{
	struct ib_procview_input in = ctx_input();

	return ib_procview_uptime(&in);
}

char *ib_emul_loadavg(void)
{
	struct ib_procview_input in = ctx_input();

	return ib_procview_loadavg(&in);
}

char *ib_emul_swaps(void)
{
	struct ib_procview_input in = ctx_input();

	return ib_procview_swaps(&in);
}

char *ib_emul_diskstats(void)
{
	static const char *const files[] = {"blkio.throttle.io_serviced",
					    "blkio.throttle.io_service_bytes", "io.stat"};
	_cleanup_free_ char *host = ib_emul_read("/proc/diskstats");
	struct ib_procview_disk *disks = NULL;
	size_t n = 0;
	char *out;

	if (!host)
		return NULL;
	for (size_t i = 0; i < IB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *t = ib_emul_cg_read(files[i]);
		if (t)
			ib_procview_parse_blkio(t, i == 1, &disks, &n);
	}
	out = ib_procview_diskstats(host, disks, n);
	free(disks);
	return out;
}
