/* The supervisor process: forked by create, detached from the caller (new
 * session, stdio on /dev/null, no inherited fds: containerd's shim reads the
 * runtime's stdout until EOF), serves procview over FUSE, samples the
 * container's load every 5 s, and exits when the container's init does. */
#define FUSE_USE_VERSION 35
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/cgroup.h"
#include "linux/syscalls.h"
#include "supervisor/procview.h"
#include "supervisor/supervisor_int.h"

#define LOAD_INTERVAL 5.0

const char *const ib_supervisor_files[] = {"uptime",  "meminfo", "cpuinfo",   "stat",
					   "loadavg", "swaps",	 "diskstats", NULL};

/* State of the supervisor process (one container). */
static struct {
	struct ib_cgroup *cg;
	pid_t init;
	double init_start; /* seconds after boot */
	double load[3];
	unsigned running, tasks;
	int last_pid;
} sup;

static char *read_text(const char *path)
{
	char *text = NULL;
	ib_err e = {0};

	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, &e) < 0)
		return NULL;
	return text;
}

/* A value from the first of the container's cgroup dirs that has file. */
static char *cg_read(const char *file)
{
	char **dirs = sup.cg ? sup.cg->v1_dirs : NULL;

	for (size_t i = 0; dirs && dirs[i]; i++) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", dirs[i], file);
		char *t = read_text(p);
		if (t)
			return t;
	}
	if (sup.cg && sup.cg->v2_dir) {
		_cleanup_free_ char *p = ib_xasprintf("%s/%s", sup.cg->v2_dir, file);
		return read_text(p);
	}
	return NULL;
}

static uint64_t cg_u64(const char *file, uint64_t dflt)
{
	_cleanup_free_ char *t = cg_read(file);

	if (!t)
		return dflt;
	if (!strncmp(t, "max", 3))
		return UINT64_MAX;
	return strtoull(t, NULL, 10);
}

static uint64_t stat_field(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ' ')
			return strtoull(l + kl + 1, NULL, 10);
	return 0;
}

static double host_uptime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void memory_input(struct ib_procview_input *in)
{
	_cleanup_free_ char *stat = cg_read("memory.stat");
	uint64_t memsw;

	in->mem_limit = cg_u64("memory.limit_in_bytes", 0);
	if (!in->mem_limit)
		in->mem_limit = cg_u64("memory.max", 0);
	in->mem_usage = cg_u64("memory.usage_in_bytes", 0);
	if (!in->mem_usage)
		in->mem_usage = cg_u64("memory.current", 0);
	if (stat) {
		in->mem_cache = stat_field(stat, "total_cache");
		if (!in->mem_cache)
			in->mem_cache = stat_field(stat, "cache");
		if (!in->mem_cache)
			in->mem_cache = stat_field(stat, "file");
	}
	memsw = cg_u64("memory.memsw.limit_in_bytes", 0);
	if (memsw && memsw != UINT64_MAX && memsw >= in->mem_limit) {
		in->swap_limit = memsw - in->mem_limit;
		in->swap_usage =
		    cg_u64("memory.memsw.usage_in_bytes", in->mem_usage) - in->mem_usage;
	} else {
		in->swap_limit = cg_u64("memory.swap.max", memsw ? UINT64_MAX : 0);
		in->swap_usage = cg_u64("memory.swap.current", 0);
	}
}

static void cpu_input(struct ib_procview_input *in, bool *cpus, size_t n)
{
	_cleanup_free_ char *set = cg_read("cpuset.effective_cpus");
	_cleanup_free_ char *max = NULL;
	uint64_t quota, period;

	if (!set)
		set = cg_read("cpuset.cpus.effective");
	if (set && ib_procview_parse_cpuset(set, cpus, n)) {
		in->cpus = cpus;
		in->n_cpus = n;
	}
	quota = cg_u64("cpu.cfs_quota_us", 0);
	period = cg_u64("cpu.cfs_period_us", 0);
	if (quota && quota != UINT64_MAX && (int64_t)quota > 0 && period)
		in->cpu_quota = (double)quota / (double)period;
	max = cg_read("cpu.max");
	if (max && strncmp(max, "max", 3)) {
		unsigned long long q = 0, p = 0;
		if (sscanf(max, "%llu %llu", &q, &p) == 2 && p)
			in->cpu_quota = (double)q / (double)p;
	}
}

char *ib_supervisor_render(const char *name)
{
	struct ib_procview_input in = {0};
	bool cpus[1024];
	_cleanup_free_ char *host = NULL;

	in.uptime = host_uptime() - sup.init_start;
	memcpy(in.load, sup.load, sizeof(in.load));
	in.running = sup.running;
	in.tasks = sup.tasks;
	in.last_pid = sup.last_pid;
	if (!strcmp(name, "uptime"))
		return ib_procview_uptime(&in);
	if (!strcmp(name, "loadavg"))
		return ib_procview_loadavg(&in);
	if (!strcmp(name, "swaps"))
		return ib_procview_swaps(&in);
	if (!strcmp(name, "diskstats")) {
		struct ib_procview_disk *disks = NULL;
		size_t n = 0;
		char *out = NULL;
		const char *files[] = {"blkio.throttle.io_serviced",
				       "blkio.throttle.io_service_bytes", "io.stat"};

		for (size_t i = 0; i < IB_ARRAY_SIZE(files); i++) {
			_cleanup_free_ char *t = cg_read(files[i]);
			if (t)
				ib_procview_parse_blkio(t, i == 1, &disks, &n);
		}
		host = read_text("/proc/diskstats");
		if (host)
			out = ib_procview_diskstats(host, disks, n);
		free(disks);
		return out;
	}
	if (!strcmp(name, "meminfo")) {
		memory_input(&in);
		host = read_text("/proc/meminfo");
		return host ? ib_procview_meminfo(host, &in) : NULL;
	}
	cpu_input(&in, cpus, IB_ARRAY_SIZE(cpus));
	if (!strcmp(name, "cpuinfo")) {
		host = read_text("/proc/cpuinfo");
		return host ? ib_procview_cpuinfo(host, &in) : NULL;
	}
	if (!strcmp(name, "stat")) {
		host = read_text("/proc/stat");
		return host ? ib_procview_stat(host, &in) : NULL;
	}
	return NULL;
}

/* Count the container's tasks and runnable ones; fold into the averages. */
static void sample_load(void)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	unsigned running = 0;
	int last = 0;
	ib_err e = {0};

	if (!sup.cg || ib_cgroup_pids(sup.cg, &pids, &n, &e) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		_cleanup_free_ char *st = NULL, *status = NULL;
		const char *p, *ns;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pids[i]);
		st = read_text(path);
		p = st ? strrchr(st, ')') : NULL;
		if (p && (p[2] == 'R' || p[2] == 'D'))
			running++;
		/* The last pid as the container sees it. */
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
		status = read_text(path);
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
	sup.running = running;
	sup.tasks = (unsigned)n;
	sup.last_pid = last;
	sup.load[0] = ib_procview_load_step(sup.load[0], running, LOAD_INTERVAL, 60);
	sup.load[1] = ib_procview_load_step(sup.load[1], running, LOAD_INTERVAL, 300);
	sup.load[2] = ib_procview_load_step(sup.load[2], running, LOAD_INTERVAL, 900);
}

static double proc_start_seconds(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *st = NULL;
	const char *p;
	unsigned long long start = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	st = read_text(path);
	p = st ? strrchr(st, ')') : NULL;
	/* starttime is field 22; after ") " comes field 3. */
	for (int f = 3; p && f <= 22; f++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return (double)start / (double)sysconf(_SC_CLK_TCK);
}

static __attribute__((noreturn)) void supervisor_main(const char *mountpoint, int ctl)
{
	struct fuse_session *se = ib_procfs_fuse_new(mountpoint);
	struct fuse_buf fbuf = {.mem = NULL};
	int pidfd = -1, fd;

	if (!se)
		_exit(1);
	if (write(ctl, "R", 1) != 1)
		goto out;
	fd = fuse_session_fd(se);
	/* Serve from the start (the container opens our files while it is
	 * being created); the init's pid arrives on ctl once it exists. */
	for (;;) {
		struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN},
					{.fd = pidfd >= 0 ? pidfd : ctl, .events = POLLIN}};
		int r = poll(pfd, 2, pidfd >= 0 ? (int)(LOAD_INTERVAL * 1000) : -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		if (r == 0) {
			sample_load();
			continue;
		}
		if (pfd[1].revents) {
			pid_t init = 0;

			if (pidfd >= 0)
				break; /* the container's init exited */
			if (read(ctl, &init, sizeof(init)) != sizeof(init) || init <= 0)
				break; /* create failed */
			pidfd = ib_pidfd_open(init, 0);
			if (pidfd < 0)
				break;
			sup.init = init;
			sup.init_start = proc_start_seconds(init);
			sample_load();
			close(ctl);
			ctl = -1;
			continue;
		}
		if (pfd[0].revents & (POLLERR | POLLHUP))
			break;
		if (pfd[0].revents & POLLIN) {
			int n = fuse_session_receive_buf(se, &fbuf);
			if (n == -EINTR || n == -EAGAIN)
				continue;
			if (n <= 0)
				break;
			fuse_session_process_buf(se, &fbuf);
		}
	}
out:
	free(fbuf.mem);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	_exit(0);
}

int ib_supervisor_start(const char *mountpoint, const char *cgroup_path, struct ib_supervisor *sv,
			ib_err *err)
{
	int sp[2];
	char ready;
	pid_t pid;

	sv->pid = -1;
	sv->ctl_fd = -1;
	if (mkdir(mountpoint, 0555) < 0 && errno != EEXIST)
		return ib_err_sys(err, "create supervisor mount point");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return ib_err_sys(err, "socketpair");
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		return ib_err_sys(err, "fork supervisor");
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		ib_err e = {0};

		setsid();
		prctl(PR_SET_NAME, "ironbox-sup", 0, 0, 0);
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		if (dup2(sp[1], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4, ~0U, 0);
		signal(SIGPIPE, SIG_IGN);
		sup.cg = cgroup_path && *cgroup_path ? ib_cgroup_from_path(cgroup_path, &e) : NULL;
		supervisor_main(mountpoint, 3);
	}
	close(sp[1]);
	sv->pid = pid;
	sv->ctl_fd = sp[0];
	if (read(sv->ctl_fd, &ready, 1) != 1) {
		ib_supervisor_abort(sv);
		return ib_err_set(err, EIO, "the /proc supervisor could not mount its filesystem");
	}
	return 0;
}

int ib_supervisor_attach(struct ib_supervisor *sv, pid_t init, ib_err *err)
{
	if (ib_write_all(sv->ctl_fd, &init, sizeof(init)) != sizeof(init))
		return ib_err_sys(err, "hand the container to its supervisor");
	close(sv->ctl_fd);
	sv->ctl_fd = -1;
	/* It is not our child to wait for: it outlives us (reparented). */
	return 0;
}

void ib_supervisor_abort(struct ib_supervisor *sv)
{
	if (sv->ctl_fd >= 0) {
		close(sv->ctl_fd);
		sv->ctl_fd = -1;
	}
	if (sv->pid > 0) {
		while (waitpid(sv->pid, NULL, 0) < 0 && errno == EINTR)
			;
		sv->pid = -1;
	}
}
