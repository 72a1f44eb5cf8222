/* The emulated files (emul.h): the table, the container's context and the
 * I/O the renderers share; /proc/uptime, loadavg, swaps and diskstats. */
#include "supervisor/emul.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/procview.h"
#include "sysctl/knob.h"

/* A knob of sysctl/knob.h: "sysctl.<name>" over /proc/sys/<path>. */
#define KNOB_FILE(name, path, ...)                                                                 \
	{"sysctl." name, "/proc/sys/" path, ib_emul_sysctl, ib_emul_sysctl_write, IB_EMUL_SYSCTL},

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
    /* The /proc/sys knobs: one line each in sysctl/knob.h. */
    IB_KNOBS(KNOB_FILE){NULL, NULL, NULL, NULL, 0},
};

_Static_assert(IB_ARRAY_SIZE(ib_emul_files) - 1 <= IB_EMUL_MAX_FILES, "IB_EMUL_MAX_FILES");

size_t ib_emul_n_files(void)
{
	return IB_ARRAY_SIZE(ib_emul_files) - 1;
}

bool ib_emul_served(const struct ib_emul_file *f)
{
	return !(f->flags & IB_EMUL_SYSCTL) || ib_emul_sysctl_served(f);
}

int ib_emul_may_write(const struct ib_emul_file *f, uid_t uid)
{
	if (!f->write)
		return EACCES;
	if (f->flags & IB_EMUL_SYSCTL)
		return ib_emul_sysctl_may_write(f, uid);
	return 0;
}

unsigned ib_emul_mode(const struct ib_emul_file *f)
{
	return f->write ? 0644 : 0444;
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

/* The files every render reads (the host's and the cgroup's) stay open and
 * are read again from offset 0 (a fresh text each time: seq_file and
 * kernfs restart there): no path walk, and no failed open in every cgroup
 * directory that lacks a file, per render. */
#define FD_CACHE_MAX 48
#define FD_UNKNOWN (-1)
#define FD_ABSENT (-2)

static struct {
	char *key; /* "/host/path", or "cg:file" */
	int fd;
} fd_cache[FD_CACHE_MAX];
static size_t n_fd_cache;

static int *fd_slot(const char *key)
{
	for (size_t i = 0; i < n_fd_cache; i++)
		if (!strcmp(fd_cache[i].key, key))
			return &fd_cache[i].fd;
	if (n_fd_cache == FD_CACHE_MAX)
		return NULL;
	fd_cache[n_fd_cache].key = ib_xstrdup(key);
	fd_cache[n_fd_cache].fd = FD_UNKNOWN;
	return &fd_cache[n_fd_cache++].fd;
}

/* The whole text of fd from offset 0, NULL on error. */
static char *pread_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = ib_xmalloc0(cap);

	for (;;) {
		ssize_t n = pread(fd, buf + len, cap - len - 1, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (cap - len - 1 == 0) {
			cap *= 2;
			buf = ib_xrealloc(buf, cap);
		}
	}
	buf[len] = '\0';
	return buf;
}

char *ib_emul_read_host(const char *path)
{
	int *fd = fd_slot(path);

	if (!fd)
		return ib_emul_read(path);
	if (*fd == FD_UNKNOWN) {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			*fd = FD_ABSENT;
	}
	return *fd >= 0 ? pread_all(*fd) : NULL;
}

static int cg_open(const char *file)
{
	char **dirs = ib_emul.cg ? ib_emul.cg->v1_dirs : NULL;

	for (size_t i = 0; dirs && dirs[i]; i++) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", dirs[i], file);
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			return fd;
	}
	if (ib_emul.cg && ib_emul.cg->v2_dir) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", ib_emul.cg->v2_dir, file);
		int fd = open(p, O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			return fd;
	}
	return FD_ABSENT;
}

char *ib_emul_cg_read(const char *file)
{
	_cleanup_free_ char *key = ib_xasprintf("cg:%s", file);
	int *fd = fd_slot(key);

	if (!fd) {
		int once = cg_open(file);
		char *t = once >= 0 ? pread_all(once) : NULL;

		if (once >= 0)
			close(once);
		return t;
	}
	if (*fd == FD_UNKNOWN)
		*fd = cg_open(file);
	return *fd >= 0 ? pread_all(*fd) : NULL;
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

/* Count the container's tasks and runnable ones; fold into the averages. */
void ib_emul_sample_load(void)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	static const double periods[3] = {60, 300, 900};
	unsigned running = 0;
	int last = 0;
	ib_err e = {0};

	ib_emul.sampled = true;
	if (!ib_emul.cg || ib_cgroup_pids(ib_emul.cg, &pids, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		_cleanup_free_ char *st = NULL, *status = NULL;
		const char *p, *ns;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		st = ib_emul_read(path);
		p = st ? strrchr(st, ')') : NULL;
		if (p && (p[2] == 'R' || p[2] == 'D'))
			running++;
		/* The last pid as the container sees it. */
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		status = ib_emul_read(path);
		ns = status ? strstr(status, "\nNSpid:") : NULL;
		if (ns) {
			const char *end = strchr(ns + 1, '\n');
			const char *lastf = ns + 7;
			for (const char *q = ns + 7; *q && q < end; q++)
				if (*q == '\t' || *q == ' ')
					lastf = q + 1;
			if (atoi(lastf) > last)
				last = atoi(lastf);
		}
	}
	ib_emul.running = running;
	ib_emul.tasks = (unsigned)n;
	ib_emul.last_pid = last;
	for (int i = 0; i < 3; i++)
		ib_emul.load[i] = ib_procview_load_step(ib_emul.load[i], running,
							IB_EMUL_LOAD_INTERVAL, periods[i]);
}

/* The first sample waits for whoever shows the figures. */
void ib_emul_load_sampled(void)
{
	if (!ib_emul.sampled && ib_emul.init > 0)
		ib_emul_sample_load();
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

	ib_emul_load_sampled();
	in.uptime = ib_emul_boottime() - ib_emul.init_start;
	memcpy(in.load, ib_emul.load, sizeof(in.load));
	in.running = ib_emul.running;
	in.tasks = ib_emul.tasks;
	in.last_pid = ib_emul.last_pid;
	return in;
}

char *ib_emul_uptime(const struct ib_emul_file *f)
{
	struct ib_procview_input in = ctx_input();

	(void)f;
	return ib_procview_uptime(&in);
}

char *ib_emul_loadavg(const struct ib_emul_file *f)
{
	struct ib_procview_input in = ctx_input();

	(void)f;
	return ib_procview_loadavg(&in);
}

char *ib_emul_swaps(const struct ib_emul_file *f)
{
	struct ib_procview_input in = ctx_input();

	(void)f;
	return ib_procview_swaps(&in);
}

char *ib_emul_diskstats(const struct ib_emul_file *f)
{
	static const char *const files[] = {"blkio.throttle.io_serviced",
					    "blkio.throttle.io_service_bytes", "io.stat"};
	_cleanup_free_ char *host = ib_emul_read_host("/proc/diskstats");
	struct ib_procview_disk *disks = NULL;
	size_t n = 0;
	char *out;

	(void)f;
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
