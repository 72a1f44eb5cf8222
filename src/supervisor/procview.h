/* The container's view of /proc files that the kernel does not namespace
 * (DESIGN.md behaviour 7): pure renderers from the host's text and the
 * container's cgroup figures. No I/O here; see supervisor.c for the inputs. */
#ifndef IRONBOX_PROCVIEW_H
#define IRONBOX_PROCVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the renderers know about the container. */
struct ib_procview_input {
	double uptime;		 /* seconds since the container's init started */
	uint64_t mem_limit;	 /* bytes; 0 or >= host total = unlimited */
	uint64_t mem_usage;	 /* bytes charged to the cgroup (cache included) */
	uint64_t mem_cache;	 /* page cache part of mem_usage */
	uint64_t swap_limit;	 /* swap bytes allowed; 0 = none, UINT64_MAX = unlimited */
	uint64_t swap_usage;	 /* swap bytes used */
	const bool *cpus;	 /* cpus[i]: host CPU i is in the container's cpuset */
	size_t n_cpus;		 /* length of cpus (NULL/0 = all host CPUs) */
	double cpu_quota;	 /* CPUs' worth of CFS quota, 0 = unlimited */
	double load[3];		 /* the container's own load averages */
	unsigned running, tasks; /* runnable / all tasks of the container */
	int last_pid;		 /* for loadavg's last field */
};

/* Each returns a malloc'd file body. */
char *ib_procview_uptime(const struct ib_procview_input *in);
char *ib_procview_meminfo(const char *host_meminfo, const struct ib_procview_input *in);
char *ib_procview_cpuinfo(const char *host_cpuinfo, const struct ib_procview_input *in);
char *ib_procview_stat(const char *host_stat, const struct ib_procview_input *in);
char *ib_procview_loadavg(const struct ib_procview_input *in);
char *ib_procview_swaps(const struct ib_procview_input *in);

/* I/O of the container on one block device (from its blkio/io cgroup). */
struct ib_procview_disk {
	unsigned major, minor;
	uint64_t reads, writes; /* completed I/Os */
	uint64_t read_bytes, write_bytes;
};
/* /proc/diskstats with the host's devices and the container's own counts
 * (zero for devices it never used; timing fields are not accounted). */
char *ib_procview_diskstats(const char *host_diskstats, const struct ib_procview_disk *disks,
			    size_t n_disks);
/* Parse v1 blkio.throttle.io_serviced / io_service_bytes ("8:0 Read 12") or
 * v2 io.stat ("8:0 rbytes=1 wbytes=2 rios=3 wios=4") into disks (appending,
 * merging by device). */
void ib_procview_parse_blkio(const char *text, bool bytes, struct ib_procview_disk **disks,
			     size_t *n);

/* Which host CPUs the container may use (the ones of its cpuset, capped by
 * its CFS quota, rounded up): fills visible[0..n) and returns how many. */
size_t ib_procview_visible_cpus(const struct ib_procview_input *in, size_t n_host, bool *visible);

/* Parse a cpuset list ("0-3,8,10-11") into cpus[0..n) (false elsewhere).
 * Returns false on garbage. */
bool ib_procview_parse_cpuset(const char *list, bool *cpus, size_t n);

/* One exponential-decay step of a load average (the kernel's formula):
 * sample every `interval` seconds over a `period`-second window. */
double ib_procview_load_step(double load, unsigned running, double interval, double period);

#endif
