/* The container's view of /proc and /sys files that the kernel does not
 * namespace (DESIGN.md behaviour 7): pure renderers from the host's text and
 * the container's cgroup figures. No I/O here; emul.h says which file of
 * which area gathers the inputs (the renderers live in the same files). */
#ifndef IRONBOX_PROCVIEW_H
#define IRONBOX_PROCVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The container's memory.stat, in bytes, from cgroup v1 (hierarchical
 * "total_" keys) or v2 names; 0 where the version has no such figure. */
struct ib_procview_memstat {
	uint64_t cache;	 /* v1 total_cache, v2 file (shmem included) */
	uint64_t anon;	 /* v1 total_rss, v2 anon */
	uint64_t shmem;	 /* v1 total_shmem, v2 shmem */
	uint64_t mapped; /* v1 total_mapped_file, v2 file_mapped */
	uint64_t dirty, writeback;
	uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t anon_thp;			       /* v1 total_rss_huge, v2 anon_thp */
	uint64_t slab_reclaimable, slab_unreclaimable; /* v2 only */
	uint64_t kernel_stack, pagetables;	       /* v2 only */
};
/* Parse memory.stat text (either version). */
void ib_procview_parse_memstat(const char *text, struct ib_procview_memstat *out);

/* What the renderers know about the container. */
struct ib_procview_input {
	double uptime;	    /* seconds since the container's init started */
	uint64_t mem_limit; /* bytes; 0 or >= host total = unlimited */
	uint64_t mem_usage; /* bytes charged to the cgroup (cache included); 0 = unknown */
	struct ib_procview_memstat mem;
	uint64_t swap_limit;	 /* swap bytes allowed; 0 = none, UINT64_MAX = unlimited */
	uint64_t swap_usage;	 /* swap bytes used */
	const bool *cpus;	 /* cpus[i]: host CPU i is in the container's cpuset */
	size_t n_cpus;		 /* length of cpus (NULL/0 = all host CPUs) */
	double cpu_quota;	 /* CPUs' worth of CFS quota, 0 = unlimited */
	double load[3];		 /* the container's own load averages */
	unsigned running, tasks; /* runnable / all tasks of the container */
	int last_pid;		 /* for loadavg's last field */
};

/* The container's memory figures as /proc/meminfo and sysinfo(2) show
 * them, in kB, consistent with each other: free <= total, available <=
 * total, cached + sreclaimable <= total - free, no swap unless both the
 * container may swap and the host has swap. */
struct ib_procview_mem {
	uint64_t total, free, available, cached, shmem;
	uint64_t active_anon, inactive_anon, active_file, inactive_file, unevictable;
	uint64_t anon, mapped, dirty, writeback, anon_thp;
	uint64_t sreclaimable, sunreclaim, kernel_stack, pagetables;
	uint64_t swap_total, swap_free;
};
/* false: nothing known of the container (no limit, no usage): the host's
 * file is shown as it is. */
bool ib_procview_mem_compute(const char *host_meminfo, const struct ib_procview_input *in,
			     struct ib_procview_mem *out);

/* Each returns a malloc'd file body. */
char *ib_procview_uptime(const struct ib_procview_input *in);
char *ib_procview_meminfo(const char *host_meminfo, const struct ib_procview_input *in);

/* struct sysinfo of a 32-bit caller (the kernel's compat_sysinfo). */
struct ib_compat_sysinfo {
	int32_t uptime;
	uint32_t loads[3];
	uint32_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs;
	uint16_t pad;
	uint32_t totalhigh, freehigh;
	uint32_t mem_unit;
	char _f[8];
};
/* sysinfo(2)'s answer from the same figures as /proc/meminfo (mem) and
 * the container's uptime, load and task count: a struct sysinfo (native)
 * or struct ib_compat_sysinfo written to out; returns its size. A compat
 * answer scales mem_unit up until every figure fits 32 bits, as the kernel
 * does. */
size_t ib_procview_sysinfo(const struct ib_procview_mem *mem, const struct ib_procview_input *in,
			   bool compat, void *out);
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

/* /sys/devices/system/cpu/online: the host's online CPUs (its own file's
 * text) that the container may use, capped by its quota, with the host's
 * numbers (what sched_getcpu() and the affinity mask say), as a list. */
char *ib_procview_cpu_online(const char *host_online, const struct ib_procview_input *in);

/* A cpu list ("0-3,8") from flags cpus[0..n), newline-terminated. */
char *ib_procview_cpu_list(const bool *cpus, size_t n);

/* product_uuid text of 16 random bytes (a version 4 UUID). */
char *ib_procview_uuid(const uint8_t bytes[16]);

/* Parse a cpuset list ("0-3,8,10-11") into cpus[0..n) (false elsewhere).
 * Returns false on garbage. */
bool ib_procview_parse_cpuset(const char *list, bool *cpus, size_t n);

/* One exponential-decay step of a load average (the kernel's formula):
 * sample every `interval` seconds over a `period`-second window. */
double ib_procview_load_step(double load, unsigned running, double interval, double period);

#endif
