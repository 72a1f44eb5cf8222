/* The files the supervisor emulates (DESIGN.md behaviour 7), lxcfs-style:
 * one source file per emulated area, each with pure renderers (procview.h,
 * unit-tested) and a small I/O wrapper that gathers the container's figures
 * (its cgroup, the host's file) and calls them:
 *   emul.c         the table below, the container's context, cgroup access;
 *                  /proc/uptime, loadavg, swaps, diskstats
 *   proc_meminfo.c /proc/meminfo and the sysinfo(2) answer
 *   proc_cpu.c     /proc/cpuinfo, /proc/stat
 *   sys_cpu.c      /sys/devices/system/cpu/online
 *   sys_dmi.c      /sys/devices/virtual/dmi/id/product_uuid
 *   dev_kmsg.c     /dev/kmsg
 *   proc_sys.c     the /proc/sys knobs of sysctl/knob.h (one entry each,
 *                  generated from its table: adding a knob is one line
 *                  there)
 *
 * Adding a file is one line in ib_emul_files (emul.c): the FUSE filesystem
 * (procfs_fuse.c) serves every entry under its flat name (where
 * ib_emul_served()), the container's init mounts it over path
 * (linux/rootfs.c), and the mount vetting treats it as immutable and covers
 * it on any new proc/sysfs the container mounts (vet_mount.h). */
#ifndef IRONBOX_EMUL_H
#define IRONBOX_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

enum {
	/* Only where the container's tree already has the file (a /sys file
	 * the host's kernel may not have: no DMI on this machine); a failure
	 * to mount it is not an error either. */
	IB_EMUL_OPTIONAL = 1 << 0,
	/* Created (an empty file) where missing; best effort too. */
	IB_EMUL_CREATE = 1 << 1,
	/* Reads of an O_NONBLOCK open at the end answer EAGAIN and poll
	 * never reports it readable (a log nobody writes to: /dev/kmsg). */
	IB_EMUL_STREAM = 1 << 2,
	/* A /proc/sys knob (proc_sys.c): served only where this host has it
	 * and does not namespace it itself, writable by the container's root
	 * only and never where the spec makes it read-only; where the
	 * container's namespaces do not show it, not mounted. */
	IB_EMUL_SYSCTL = 1 << 3,
};

struct ib_emul_file {
	const char *name; /* in the FUSE directory: flat, unique */
	const char *path; /* where the container sees it */
	/* The current content of f, malloc'd; NULL: EIO. */
	char *(*render)(const struct ib_emul_file *f);
	/* Writes (NULL: opening for writing is EACCES), once
	 * ib_emul_may_write() allowed them. Returns bytes taken or -errno. */
	ssize_t (*write)(const struct ib_emul_file *f, const char *buf, size_t len, off_t off);
	unsigned flags;
};

/* NULL-name terminated. */
extern const struct ib_emul_file ib_emul_files[];
/* Its size bound (the init's table of FUSE files). */
#define IB_EMUL_MAX_FILES 96
size_t ib_emul_n_files(void);
/* Is f there (in the FUSE directory, mounted, covered)? Not all knobs are. */
bool ib_emul_served(const struct ib_emul_file *f);
/* May a caller with host uid uid open f for writing: 0 or an errno. */
int ib_emul_may_write(const struct ib_emul_file *f, uid_t uid);
/* Its mode bits: 0644 where writable, else 0444. */
unsigned ib_emul_mode(const struct ib_emul_file *f);
/* Entries whose path starts with "/proc/" are mounted right over the
 * container's /proc mount, the others once every spec mount is there. */
bool ib_emul_under_proc(const struct ib_emul_file *f);

/* What the supervisor knows about its container (supervisor.c keeps it). */
struct ib_emul_ctx {
	const struct ib_cgroup *cg; /* NULL: no cgroup figures, the host's files */
	pid_t init;
	double init_start; /* seconds after boot */
	double load[3];
	unsigned running, tasks;
	int last_pid;
	bool sampled;	  /* load, running, tasks, last_pid: sampled once at least */
	uint8_t uuid[16]; /* product_uuid, random per container */
	pid_t writer;	  /* during a write handler: the caller's (host) pid */
};
extern struct ib_emul_ctx ib_emul;

/* ---- I/O helpers for the renderers' wrappers ---- */
/* A file's text, NULL if unreadable. */
char *ib_emul_read(const char *path);
/* ... of a host file read on every render (kept open, read from 0). */
char *ib_emul_read_host(const char *path);
/* A value from the first of the container's cgroup dirs (v1 ones first,
 * then v2) that has file (kept open too; absent files are remembered). */
char *ib_emul_cg_read(const char *file);
/* ... as a number: "max" is UINT64_MAX, missing is dflt. */
uint64_t ib_emul_cg_u64(const char *file, uint64_t dflt);
/* Seconds since boot (CLOCK_BOOTTIME). */
double ib_emul_boottime(void);
/* The container's tasks right now (0 if unknown). */
unsigned ib_emul_count_tasks(void);
/* Every IB_EMUL_LOAD_INTERVAL seconds (and before the figures are first
 * served): count the container's tasks and runnable ones, fold them into
 * the load averages. */
#define IB_EMUL_LOAD_INTERVAL 5.0
void ib_emul_sample_load(void);
/* Sample once if never sampled since the init is known. */
void ib_emul_load_sampled(void);

/* ---- the per-area wrappers (the table's render functions) ---- */
char *ib_emul_uptime(const struct ib_emul_file *f);
char *ib_emul_loadavg(const struct ib_emul_file *f);
char *ib_emul_swaps(const struct ib_emul_file *f);
char *ib_emul_diskstats(const struct ib_emul_file *f);
char *ib_emul_meminfo(const struct ib_emul_file *f);
char *ib_emul_cpuinfo(const struct ib_emul_file *f);
char *ib_emul_stat(const struct ib_emul_file *f);
char *ib_emul_cpu_online(const struct ib_emul_file *f);
char *ib_emul_product_uuid(const struct ib_emul_file *f);
char *ib_emul_kmsg(const struct ib_emul_file *f);
ssize_t ib_emul_kmsg_write(const struct ib_emul_file *f, const char *buf, size_t len, off_t off);
/* proc_sys.c: any IB_EMUL_SYSCTL entry (its knob is found by its path). */
char *ib_emul_sysctl(const struct ib_emul_file *f);
ssize_t ib_emul_sysctl_write(const struct ib_emul_file *f, const char *buf, size_t len, off_t off);
bool ib_emul_sysctl_served(const struct ib_emul_file *f);
int ib_emul_sysctl_may_write(const struct ib_emul_file *f, uid_t uid);

struct ib_procview_input;
/* The memory and CPU figures of the container (proc_meminfo.c, proc_cpu.c):
 * fill in; cpus must hold n entries and stays referenced by in. */
void ib_emul_memory_input(struct ib_procview_input *in);
void ib_emul_cpu_input(struct ib_procview_input *in, bool *cpus, size_t n);

/* The answer to the container's sysinfo(2) (proc_meminfo.c), in the
 * caller's ABI layout (native, or 32-bit compat when compat): *len bytes. */
int ib_emul_sysinfo(bool compat, void *out, size_t *len);

#endif
