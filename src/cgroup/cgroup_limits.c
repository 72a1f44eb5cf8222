/* Limits: spec resources written to the controller files of whichever
 * version carries each controller (v1 hierarchy first, the unified tree
 * otherwise), with runc's v1 -> v2 conversions. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "common/log.h"
#include "common/util.h"
#include "cgroup/cgroup_int.h"
#include "linux/devices_bpf.h"

/* ------------------------------------------------------------------------ */
/* Conversions                                                               */

uint64_t ib_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t ib_cgroup_blkio_weight_to_io(uint64_t w)
{
	if (w == 0)
		return 0;
	if (w < 10)
		w = 10;
	if (w > 1000)
		w = 1000;
	return 1 + (w - 10) * 9999 / 990;
}

char *ib_cgroup_cpu_max(int64_t quota, uint64_t period)
{
	if (quota <= 0 && period == 0)
		return NULL;
	if (period == 0)
		period = 100000;
	if (quota <= 0)
		return ib_xasprintf("max %" PRIu64, period);
	return ib_xasprintf("%" PRId64 " %" PRIu64, quota, period);
}

int ib_cgroup_swap_v2(int64_t swap, int64_t mem, int64_t *out, ib_err *err)
{
	/* Memory unlimited and swap unset: both unlimited (v1 compatible). */
	if (mem == -1 && swap == 0) {
		*out = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*out = swap;
		return 0;
	}
	if (mem == 0 || mem == -1)
		return ib_err_set(err, EINVAL, "unable to set swap limit without memory limit");
	if (mem < 0)
		return ib_err_set(err, EINVAL, "invalid memory value %" PRId64, mem);
	if (swap < mem)
		return ib_err_set(err, EINVAL,
				  "memory+swap limit (%" PRId64
				  ") should be >= memory limit (%" PRId64 ")",
				  swap, mem);
	*out = swap - mem;
	return 0;
}

/* Write that only warns when the file does not exist (feature not there). */
static int cg_write_opt(const char *dir, const char *file, const char *val, const char *what,
			ib_err *err)
{
	if (!ib_cg_file_exists(dir, file)) {
		ib_warn("cgroup: %s requested but `%s/%s` doesn't exist; ignoring it", what, dir,
			file);
		return 0;
	}
	return ib_cg_write(dir, file, val, err);
}

static int cg_write_i64(const char *dir, const char *file, int64_t v, ib_err *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return ib_cg_write(dir, file, buf, err);
}

static int cg_write_u64(const char *dir, const char *file, uint64_t v, ib_err *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return ib_cg_write(dir, file, buf, err);
}

/* "max" for negative values (v2 style). */
static int cg_write_max(const char *dir, const char *file, int64_t v, ib_err *err)
{
	if (v < 0)
		return ib_cg_write(dir, file, "max", err);
	return cg_write_i64(dir, file, v, err);
}

/* ------------------------------------------------------------------------ */
/* Resources                                                                 */

static bool memory_requested(const struct ib_resources *r)
{
	return r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap || r->has_mem_kernel ||
	       r->has_mem_swappiness || r->has_disable_oom_killer || r->has_mem_use_hierarchy;
}

static int set_memory_v1(const char *dir, const struct ib_resources *r, ib_err *err)
{
	bool swap = r->has_mem_swap && r->mem_swap != 0, swap_done = false;
	bool memsw = ib_cg_file_exists(dir, "memory.memsw.limit_in_bytes");

	if (r->has_mem_limit && r->mem_limit != 0) {
		if (cg_write_i64(dir, "memory.limit_in_bytes", r->mem_limit, err) < 0) {
			/* Raising the limit above the current mem+swap limit (or
			 * the other way round): the order matters in v1. */
			if (errno != EINVAL || !swap || !memsw)
				return -1;
			if (cg_write_i64(dir, "memory.memsw.limit_in_bytes", r->mem_swap, err) < 0)
				return -1;
			if (cg_write_i64(dir, "memory.limit_in_bytes", r->mem_limit, err) < 0)
				return -1;
			swap_done = true;
		}
	}
	if (swap && !swap_done) {
		if (!memsw)
			ib_warn("cgroup: swap limit requested but the kernel has no swap "
				"accounting (memory.memsw.limit_in_bytes); ignoring it");
		else if (cg_write_i64(dir, "memory.memsw.limit_in_bytes", r->mem_swap, err) < 0)
			return -1;
	}
	if (r->has_mem_reservation && r->mem_reservation != 0 &&
	    cg_write_i64(dir, "memory.soft_limit_in_bytes", r->mem_reservation, err) < 0)
		return -1;
	if (r->has_mem_kernel && r->mem_kernel != 0) {
		ib_err e2;
		if (cg_write_i64(dir, "memory.kmem.limit_in_bytes", r->mem_kernel, &e2) < 0)
			ib_warn("cgroup: kernel memory limit not applied (deprecated): %s", e2.msg);
	}
	if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX) {
		char buf[32];
		if (r->mem_swappiness > 100)
			return ib_err_set(err, EINVAL, "invalid memory swappiness %" PRIu64,
					  r->mem_swappiness);
		snprintf(buf, sizeof(buf), "%" PRIu64, r->mem_swappiness);
		if (cg_write_opt(dir, "memory.swappiness", buf, "memory swappiness", err) < 0)
			return -1;
	}
	if (r->has_disable_oom_killer && r->disable_oom_killer &&
	    cg_write_opt(dir, "memory.oom_control", "1", "disabling the OOM killer", err) < 0)
		return -1;
	if (r->has_mem_use_hierarchy) {
		ib_err e2;
		if (ib_cg_write(dir, "memory.use_hierarchy", r->mem_use_hierarchy ? "1" : "0",
				&e2) < 0)
			ib_warn("cgroup: memory.use_hierarchy not applied: %s", e2.msg);
	}
	return 0;
}

static int set_memory_v2(const char *dir, const struct ib_resources *r, ib_err *err)
{
	int64_t mem = r->has_mem_limit ? r->mem_limit : 0;

	if (r->has_mem_swap || r->has_mem_limit) {
		int64_t swap = 0;
		if (ib_cgroup_swap_v2(r->has_mem_swap ? r->mem_swap : 0, mem, &swap, err) < 0)
			return -1;
		if (swap != 0) {
			if (!ib_cg_file_exists(dir, "memory.swap.max")) {
				if (r->has_mem_swap)
					ib_warn(
					    "cgroup: swap limit requested but `%s/memory.swap.max` "
					    "doesn't exist; ignoring it",
					    dir);
			} else if (cg_write_max(dir, "memory.swap.max", swap, err) < 0) {
				return -1;
			}
		}
	}
	if (mem != 0 && cg_write_max(dir, "memory.max", mem, err) < 0)
		return -1;
	if (r->has_mem_reservation && r->mem_reservation != 0 &&
	    cg_write_max(dir, "memory.low", r->mem_reservation, err) < 0)
		return -1;
	if (r->has_mem_kernel && r->mem_kernel != 0)
		ib_warn("cgroup: kernel memory limits don't exist on cgroup v2; ignoring it");
	if (r->has_mem_swappiness && r->mem_swappiness != UINT64_MAX)
		ib_warn("cgroup: memory swappiness can't be set on cgroup v2; ignoring it");
	if (r->has_disable_oom_killer && r->disable_oom_killer)
		ib_warn(
		    "cgroup: disabling the OOM killer isn't possible on cgroup v2; ignoring it");
	return 0;
}

static bool cpu_requested(const struct ib_resources *r)
{
	return r->has_cpu_shares || r->has_cpu_quota || r->has_cpu_period ||
	       r->has_cpu_rt_runtime || r->has_cpu_rt_period || r->has_cpu_idle || r->has_cpu_burst;
}

static int set_cpu_v1(const char *dir, const struct ib_resources *r, ib_err *err)
{
	bool quota = r->has_cpu_quota && r->cpu_quota != 0;
	bool period = r->has_cpu_period && r->cpu_period != 0;
	bool rt_period = r->has_cpu_rt_period && r->cpu_rt_period != 0;
	bool rt_runtime = r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0;

	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    cg_write_u64(dir, "cpu.shares", r->cpu_shares, err) < 0)
		return -1;
	if (period && cg_write_u64(dir, "cpu.cfs_period_us", r->cpu_period, err) < 0) {
		/* A shorter period can be invalid with the old quota: quota first. */
		if (errno != EINVAL || !quota)
			return -1;
		if (cg_write_i64(dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0 ||
		    cg_write_u64(dir, "cpu.cfs_period_us", r->cpu_period, err) < 0)
			return -1;
	} else if (quota && cg_write_i64(dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0) {
		return -1;
	}
	if (rt_period || rt_runtime) {
		if (!ib_cg_file_exists(dir, "cpu.rt_runtime_us")) {
			ib_warn("cgroup: realtime CPU limits requested but the kernel has no "
				"cpu.rt_runtime_us; ignoring them");
		} else {
			if (rt_period &&
			    cg_write_u64(dir, "cpu.rt_period_us", r->cpu_rt_period, err) < 0)
				return -1;
			if (rt_runtime &&
			    cg_write_i64(dir, "cpu.rt_runtime_us", r->cpu_rt_runtime, err) < 0)
				return -1;
		}
	}
	if (r->has_cpu_idle) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRId64, r->cpu_idle);
		if (cg_write_opt(dir, "cpu.idle", buf, "cpu idle", err) < 0)
			return -1;
	}
	if (r->has_cpu_burst) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, r->cpu_burst);
		if (cg_write_opt(dir, "cpu.cfs_burst_us", buf, "cpu burst", err) < 0)
			return -1;
	}
	return 0;
}

static int set_cpu_v2(const char *dir, const struct ib_resources *r, ib_err *err)
{
	_cleanup_free_ char *max = NULL;

	if (r->has_cpu_shares && r->cpu_shares != 0 &&
	    cg_write_u64(dir, "cpu.weight", ib_cgroup_shares_to_weight(r->cpu_shares), err) < 0)
		return -1;
	max = ib_cgroup_cpu_max(r->has_cpu_quota ? r->cpu_quota : 0,
				r->has_cpu_period ? r->cpu_period : 0);
	if (max && ib_cg_write(dir, "cpu.max", max, err) < 0)
		return -1;
	if ((r->has_cpu_rt_runtime && r->cpu_rt_runtime != 0) ||
	    (r->has_cpu_rt_period && r->cpu_rt_period != 0))
		ib_warn("cgroup: realtime CPU limits don't exist on cgroup v2; ignoring them");
	if (r->has_cpu_idle) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRId64, r->cpu_idle);
		if (cg_write_opt(dir, "cpu.idle", buf, "cpu idle", err) < 0)
			return -1;
	}
	if (r->has_cpu_burst) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%" PRIu64, r->cpu_burst);
		if (cg_write_opt(dir, "cpu.max.burst", buf, "cpu burst", err) < 0)
			return -1;
	}
	return 0;
}

static bool blkio_requested(const struct ib_resources *r)
{
	return r->has_blkio_weight || r->has_blkio_leaf_weight || r->n_blkio_weight_devices ||
	       r->n_throttle_read_bps || r->n_throttle_write_bps || r->n_throttle_read_iops ||
	       r->n_throttle_write_iops;
}

static int write_throttle_v1(const char *dir, const char *file, const struct ib_throttle_device *d,
			     size_t n, ib_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char buf[96];
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major,
			 d[i].minor, d[i].rate);
		if (cg_write_opt(dir, file, buf, "block I/O throttling", err) < 0)
			return -1;
	}
	return 0;
}

static int set_blkio_v1(const char *dir, const struct ib_resources *r, ib_err *err)
{
	const char *wfile =
	    ib_cg_file_exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
	const char *wdfile = ib_cg_file_exists(dir, "blkio.weight_device")
				 ? "blkio.weight_device"
				 : "blkio.bfq.weight_device";

	if (r->has_blkio_weight && r->blkio_weight != 0) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u", (unsigned)r->blkio_weight);
		if (cg_write_opt(dir, wfile, buf, "block I/O weight", err) < 0)
			return -1;
	}
	if (r->has_blkio_leaf_weight && r->blkio_leaf_weight != 0) {
		char buf[16];
		snprintf(buf, sizeof(buf), "%u", (unsigned)r->blkio_leaf_weight);
		if (cg_write_opt(dir, "blkio.leaf_weight", buf, "block I/O leaf weight", err) < 0)
			return -1;
	}
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
		const struct ib_weight_device *d = &r->blkio_weight_devices[i];
		char buf[96];
		if (d->has_weight) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
				 (unsigned)d->weight);
			if (cg_write_opt(dir, wdfile, buf, "block I/O device weight", err) < 0)
				return -1;
		}
		if (d->has_leaf_weight) {
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %u", d->major, d->minor,
				 (unsigned)d->leaf_weight);
			if (cg_write_opt(dir, "blkio.leaf_weight_device", buf,
					 "block I/O device leaf weight", err) < 0)
				return -1;
		}
	}
	if (write_throttle_v1(dir, "blkio.throttle.read_bps_device", r->throttle_read_bps,
			      r->n_throttle_read_bps, err) < 0 ||
	    write_throttle_v1(dir, "blkio.throttle.write_bps_device", r->throttle_write_bps,
			      r->n_throttle_write_bps, err) < 0 ||
	    write_throttle_v1(dir, "blkio.throttle.read_iops_device", r->throttle_read_iops,
			      r->n_throttle_read_iops, err) < 0 ||
	    write_throttle_v1(dir, "blkio.throttle.write_iops_device", r->throttle_write_iops,
			      r->n_throttle_write_iops, err) < 0)
		return -1;
	return 0;
}

static int write_throttle_v2(const char *dir, const char *key, const struct ib_throttle_device *d,
			     size_t n, ib_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char buf[96];
		if (d[i].rate == 0)
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=max", d[i].major,
				 d[i].minor, key);
		else
			snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %s=%" PRIu64,
				 d[i].major, d[i].minor, key, d[i].rate);
		if (cg_write_opt(dir, "io.max", buf, "block I/O throttling", err) < 0)
			return -1;
	}
	return 0;
}

static int set_io_v2(const char *dir, const struct ib_resources *r, ib_err *err)
{
	bool bfq_only =
	    !ib_cg_file_exists(dir, "io.weight") && ib_cg_file_exists(dir, "io.bfq.weight");

	if (r->has_blkio_weight && r->blkio_weight != 0) {
		char buf[32];
		if (bfq_only)
			snprintf(buf, sizeof(buf), "default %u", (unsigned)r->blkio_weight);
		else
			snprintf(buf, sizeof(buf), "default %" PRIu64,
				 ib_cgroup_blkio_weight_to_io(r->blkio_weight));
		if (cg_write_opt(dir, bfq_only ? "io.bfq.weight" : "io.weight", buf,
				 "block I/O weight", err) < 0)
			return -1;
	}
	if (r->has_blkio_leaf_weight && r->blkio_leaf_weight != 0)
		ib_warn("cgroup: block I/O leaf weight doesn't exist on cgroup v2; ignoring it");
	for (size_t i = 0; i < r->n_blkio_weight_devices; i++) {
		const struct ib_weight_device *d = &r->blkio_weight_devices[i];
		char buf[96];
		if (!d->has_weight)
			continue;
		snprintf(buf, sizeof(buf), "%" PRId64 ":%" PRId64 " %" PRIu64, d->major, d->minor,
			 bfq_only ? (uint64_t)d->weight : ib_cgroup_blkio_weight_to_io(d->weight));
		if (cg_write_opt(dir, bfq_only ? "io.bfq.weight" : "io.weight", buf,
				 "block I/O device weight", err) < 0)
			return -1;
	}
	if (write_throttle_v2(dir, "rbps", r->throttle_read_bps, r->n_throttle_read_bps, err) < 0 ||
	    write_throttle_v2(dir, "wbps", r->throttle_write_bps, r->n_throttle_write_bps, err) <
		0 ||
	    write_throttle_v2(dir, "riops", r->throttle_read_iops, r->n_throttle_read_iops, err) <
		0 ||
	    write_throttle_v2(dir, "wiops", r->throttle_write_iops, r->n_throttle_write_iops, err) <
		0)
		return -1;
	return 0;
}

/* "c 1:3 rwm", "a *:* rwm" */
static void device_rule_str(const struct ib_device_rule *d, char *buf, size_t len)
{
	char maj[24], min[24];

	if (d->major < 0)
		snprintf(maj, sizeof(maj), "*");
	else
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor < 0)
		snprintf(min, sizeof(min), "*");
	else
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	snprintf(buf, len, "%c %s:%s %s", d->type ? d->type : 'a', maj, min, d->access);
}

/* One rule per write(2), as the kernel parses them, on the two files
 * opened once. */
static int set_devices_v1(const char *dir, const struct ib_resources *r, ib_err *err)
{
	_cleanup_free_ char *allow_path = ib_xasprintf("%s/devices.allow", dir);
	_cleanup_free_ char *deny_path = ib_xasprintf("%s/devices.deny", dir);
	_cleanup_close_ int allow = ib_cg_open(allow_path, O_WRONLY | O_CLOEXEC);
	_cleanup_close_ int deny = ib_cg_open(deny_path, O_WRONLY | O_CLOEXEC);

	if (allow < 0 || deny < 0)
		return ib_err_sys(err, "open `%s`", allow < 0 ? allow_path : deny_path);
	if (ib_write_all(deny, "a", 1) < 0)
		return ib_err_sys(err, "write `a` to `%s`", deny_path);
	for (size_t i = 0; i < r->n_devices; i++) {
		char buf[96];
		/* No access at all (e.g. "a" alone): the rule neither grants nor
		 * denies anything (the v2 program skips it too). */
		if (!r->devices[i].access[0])
			continue;
		device_rule_str(&r->devices[i], buf, sizeof(buf));
		if (ib_write_all(r->devices[i].allow ? allow : deny, buf, strlen(buf)) < 0)
			return ib_err_sys(err, "write `%s` to `%s`", buf,
					  r->devices[i].allow ? allow_path : deny_path);
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* linux.resources.unified                                                   */

int ib_cgroup_check_unified_key(const char *k, ib_err *err)
{
	static const char *const controllers[] = {"memory.", "cpu.",	 "io.",	  "pids.",
						  "cpuset.", "hugetlb.", "rdma.", "misc."};
	static const char *const cgroup_limits[] = {"cgroup.max.depth", "cgroup.max.descendants"};

	if (!k || !*k || strlen(k) > 255)
		return ib_err_set(err, EINVAL, "invalid cgroup v2 key `%s`", k ? k : "");
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-'))
			return ib_err_set(
			    err, EINVAL,
			    "invalid cgroup v2 key `%s`: a key is the name of a file in "
			    "the container's own cgroup directory",
			    k);
	if (strncmp(k, "cgroup.", 7) == 0) {
		for (size_t i = 0; i < IB_ARRAY_SIZE(cgroup_limits); i++)
			if (strcmp(k, cgroup_limits[i]) == 0)
				return 0;
		return ib_err_set(err, EPERM,
				  "cgroup v2 control file `%s` can't be set through "
				  "linux.resources.unified",
				  k);
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(controllers); i++) {
		size_t pl = strlen(controllers[i]);
		if (strncmp(k, controllers[i], pl) == 0 && k[pl] && k[pl] != '.')
			return 0;
	}
	return ib_err_set(err, EPERM,
			  "cgroup v2 key `%s` is not allowed (only memory., cpu., io., pids., "
			  "cpuset., hugetlb., rdma. and misc. files, cgroup.max.depth and "
			  "cgroup.max.descendants)",
			  k);
}

int ib_cgroup_check_resources(const struct ib_resources *r, ib_err *err)
{
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n_unified; i++) {
		if (ib_cgroup_check_unified_key(r->unified_keys[i], err) < 0)
			return ib_err_wrap(err, "linux.resources.unified");
		if (!r->unified_values[i] || strchr(r->unified_values[i], '\n'))
			return ib_err_set(err, EINVAL,
					  "linux.resources.unified: the value of `%s` must be one "
					  "line",
					  r->unified_keys[i]);
	}
	for (size_t i = 0; i < r->n_hugepage_limits; i++) {
		const char *ps = r->hugepage_limits[i].page_size;
		if (!ps || !*ps || strchr(ps, '/') || strchr(ps, '.') || strlen(ps) > 16)
			return ib_err_set(err, EINVAL, "invalid hugepage size `%s`", ps ? ps : "");
	}
	return 0;
}

/* Write one unified key in the container's v2 directory: an existing file
 * right in that directory (openat on the directory fd, no symlink followed,
 * never created). */
static int unified_write(int dfd, const char *dir, const char *k, const char *v, ib_err *err)
{
	_cleanup_close_ int fd = openat(dfd, k, O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return ib_err_sys(err, "open `%s/%s`", dir, k);
	if (fstat(fd, &st) < 0)
		return ib_err_sys(err, "stat `%s/%s`", dir, k);
	if (!S_ISREG(st.st_mode))
		return ib_err_set(err, EINVAL, "`%s/%s` is not a cgroup file", dir, k);
	if (ib_write_all(fd, v, strlen(v)) < 0)
		return ib_err_sys(err, "write `%s` to `%s/%s`", v, dir, k);
	return 0;
}

static int set_unified(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
		       const struct ib_resources *r, ib_err *err)
{
	_cleanup_close_ int dfd = -1;
	struct statfs sfs;

	if (!r->n_unified)
		return 0;
	if (ib_cgroup_check_resources(r, err) < 0)
		return -1;
	if (!cg->v2_dir)
		return ib_err_set(err, ENOTSUP,
				  "linux.resources.unified needs cgroup v2, which this host lacks");
	dfd = ib_cg_open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return ib_err_sys(err, "open cgroup `%s`", cg->v2_dir);
	if (fstatfs(dfd, &sfs) < 0)
		return ib_err_sys(err, "statfs `%s`", cg->v2_dir);
	if (sfs.f_type != CGROUP2_SUPER_MAGIC)
		return ib_err_set(err, EINVAL, "`%s` is not a cgroup v2 directory", cg->v2_dir);
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified_keys[i], *dot = strchr(k, '.');

		if (faccessat(dfd, k, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && dot &&
		    strncmp(k, "cgroup.", 7) != 0) {
			/* The controller may just not be enabled for us yet. */
			_cleanup_free_ char *ctl = strndup(k, (size_t)(dot - k));
			_cleanup_free_ char *d = NULL;
			bool v2;
			if (!ctl)
				abort();
			d = ib_cg_ctl_dir(cg, l, ctl, true, &v2);
		}
		if (faccessat(dfd, k, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			return ib_err_set(err, ENOENT,
					  "cgroup v2 file `%s` doesn't exist in `%s` (controller "
					  "not available?)",
					  k, cg->v2_dir);
		if (unified_write(dfd, cg->v2_dir, k, r->unified_values[i], err) < 0)
			return -1;
	}
	return 0;
}

static int set_devices_v2(const char *dir, const struct ib_resources *r, ib_err *err)
{
	_cleanup_close_ int fd = ib_cg_open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ib_err_sys(err, "open cgroup `%s`", dir);
	return ib_devices_bpf_apply(fd, r->devices, r->n_devices, err);
}

int ib_cg_apply_resources(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			  const struct ib_resources *r, ib_err *err)
{
	bool v2;

	if (!r)
		return 0;
	if (ib_cgroup_check_resources(r, err) < 0)
		return -1;
	if (memory_requested(r)) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "memory", true, &v2);
		if (!d) {
			if (r->has_mem_limit || r->has_mem_reservation || r->has_mem_swap)
				return ib_err_set(err, ENOTSUP,
						  "memory limits requested but the "
						  "memory cgroup controller isn't available");
			ib_warn(
			    "cgroup: memory controller not available; ignoring memory settings");
		} else if ((v2 ? set_memory_v2(d, r, err) : set_memory_v1(d, r, err)) < 0) {
			return ib_err_wrap(err, "memory limits");
		}
	}
	if (cpu_requested(r)) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "cpu", true, &v2);
		if (!d)
			return ib_err_set(
			    err, ENOTSUP,
			    "cpu limits requested but the cpu cgroup controller isn't "
			    "available");
		if ((v2 ? set_cpu_v2(d, r, err) : set_cpu_v1(d, r, err)) < 0)
			return ib_err_wrap(err, "cpu limits");
	}
	if ((r->cpuset_cpus && *r->cpuset_cpus) || (r->cpuset_mems && *r->cpuset_mems)) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "cpuset", true, &v2);
		if (!d)
			return ib_err_set(err, ENOTSUP,
					  "cpuset requested but the cpuset cgroup "
					  "controller isn't available");
		if (r->cpuset_cpus && *r->cpuset_cpus &&
		    ib_cg_write(d, "cpuset.cpus", r->cpuset_cpus, err) < 0)
			return ib_err_wrap(err, "cpuset");
		if (r->cpuset_mems && *r->cpuset_mems &&
		    ib_cg_write(d, "cpuset.mems", r->cpuset_mems, err) < 0)
			return ib_err_wrap(err, "cpuset");
	}
	if (r->has_pids_limit) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "pids", true, &v2);
		if (!d)
			return ib_err_set(err, ENOTSUP,
					  "pids limit requested but the pids cgroup "
					  "controller isn't available");
		if (cg_write_max(d, "pids.max", r->pids_limit <= 0 ? -1 : r->pids_limit, err) < 0)
			return ib_err_wrap(err, "pids limit");
	}
	if (blkio_requested(r)) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "blkio", true, &v2);
		if (!d)
			ib_warn(
			    "cgroup: block I/O controller not available; ignoring blkio settings");
		else if ((v2 ? set_io_v2(d, r, err) : set_blkio_v1(d, r, err)) < 0)
			return ib_err_wrap(err, "block I/O limits");
	}
	if (r->n_hugepage_limits) {
		_cleanup_free_ char *d = ib_cg_ctl_dir(cg, l, "hugetlb", true, &v2);
		if (!d) {
			ib_warn(
			    "cgroup: hugetlb controller not available; ignoring hugepage limits");
		} else {
			for (size_t i = 0; i < r->n_hugepage_limits; i++) {
				const struct ib_hugepage_limit *h = &r->hugepage_limits[i];
				char file[96];
				snprintf(file, sizeof(file), "hugetlb.%s.%s", h->page_size,
					 v2 ? "max" : "limit_in_bytes");
				if (!ib_cg_file_exists(d, file))
					return ib_err_set(
					    err, EINVAL,
					    "hugepage size `%s` not supported (no `%s`)",
					    h->page_size, file);
				if (cg_write_u64(d, file, h->limit, err) < 0)
					return ib_err_wrap(err, "hugepage limits");
			}
		}
	}
	if (r->n_devices) {
		int i = ib_cgroup_layout_find(l, "devices");
		if (i >= 0 && !l->h[i].readonly) {
			_cleanup_free_ char *d = ib_cg_hier_dir(&l->h[i], cg->path);
			if (set_devices_v1(d, r, err) < 0)
				return ib_err_wrap(err, "device rules");
		} else if (cg->v2_dir) {
			if (set_devices_v2(cg->v2_dir, r, err) < 0)
				return ib_err_wrap(err, "device rules");
		} else {
			ib_warn("cgroup: no devices controller; device rules not applied");
		}
	}
	if (set_unified(cg, l, r, err) < 0)
		return ib_err_wrap(err, "linux.resources.unified");
	return 0;
}
