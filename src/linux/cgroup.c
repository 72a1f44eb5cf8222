/* cgroups v1, v2 and hybrid.
 *
 * The layout is read from /proc/self/mountinfo (never a hardcoded list): every
 * v1 hierarchy (co-mounted ones like cpu,cpuacct are one hierarchy; named ones
 * like name=systemd too) gets a directory, and so does the unified tree when
 * there is one. Limits are translated for each controller to whichever
 * version carries it (v1 hierarchy first, the unified tree otherwise). */
#include "linux/cgroup.h"
#include "linux/cgroup_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/util.h"

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

/* ------------------------------------------------------------------------ */
/* Small file helpers                                                        */

static char *hier_dir(const struct ib_cgroup_hierarchy *h, const char *path)
{
	const char *rel = path;
	size_t rl = strlen(h->root);

	/* A hierarchy mounted from a sub-cgroup (bind mount without cgroupns):
	 * paths are relative to the hierarchy root, strip what the mount hides. */
	if (strcmp(h->root, "/") != 0 && strncmp(path, h->root, rl) == 0 &&
	    (path[rl] == '/' || path[rl] == '\0'))
		rel = path + rl;
	return ib_xasprintf("%s%s", strcmp(h->mount, "/") == 0 ? "" : h->mount, rel);
}

static bool file_exists(const char *dir, const char *file)
{
	char p[PATH_MAX];

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p))
		return false;
	return access(p, F_OK) == 0;
}

/* Write val to dir/file. errno is preserved for callers that look at it. */
static int cg_write(const char *dir, const char *file, const char *val, ib_err *err)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t len = strlen(val);

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return ib_err_sys(err, "cgroup file `%s/%s`", dir, file);
	}
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", p);
	if (ib_write_all(fd, val, len) < 0)
		return ib_err_sys(err, "write `%s` to `%s`", val, p);
	return 0;
}

/* Write that only warns when the file does not exist (feature not there). */
static int cg_write_opt(const char *dir, const char *file, const char *val, const char *what,
			ib_err *err)
{
	if (!file_exists(dir, file)) {
		ib_warn("cgroup: %s requested but `%s/%s` doesn't exist; ignoring it", what, dir,
			file);
		return 0;
	}
	return cg_write(dir, file, val, err);
}

static int cg_write_i64(const char *dir, const char *file, int64_t v, ib_err *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cg_write(dir, file, buf, err);
}

static int cg_write_u64(const char *dir, const char *file, uint64_t v, ib_err *err)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return cg_write(dir, file, buf, err);
}

/* "max" for negative values (v2 style). */
static int cg_write_max(const char *dir, const char *file, int64_t v, ib_err *err)
{
	if (v < 0)
		return cg_write(dir, file, "max", err);
	return cg_write_i64(dir, file, v, err);
}

char *ib_cg_read(const char *dir, const char *file, ib_err *err)
{
	char p[PATH_MAX];
	char *out = NULL;

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		ib_err_sys(err, "cgroup file `%s/%s`", dir, file);
		return NULL;
	}
	if (ib_read_file_at(AT_FDCWD, p, &out, NULL, err) < 0)
		return NULL;
	return out;
}

static bool is_blank(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\n' && *s != '\t')
			return false;
	return true;
}

/* Does a whitespace-separated list contain word? */
static bool words_has(const char *list, const char *word)
{
	size_t wl = strlen(word);

	for (const char *p = list; p && *p;) {
		while (*p == ' ' || *p == '\n' || *p == '\t')
			p++;
		if (strncmp(p, word, wl) == 0 && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n'))
			return true;
		while (*p && *p != ' ' && *p != '\n' && *p != '\t')
			p++;
	}
	return false;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ------------------------------------------------------------------------ */
/* Struct lifetime                                                           */

void ib_cgroup_free(struct ib_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->path);
	ib_strv_free(cg->v1_dirs);
	free(cg->v2_dir);
	free(cg->freezer_dir);
	free(cg);
}

static void cgroup_freep(struct ib_cgroup **cg)
{
	ib_cgroup_free(*cg);
}
#define _cleanup_cgroup_ __attribute__((cleanup(cgroup_freep)))

static int check_path(const char *path, ib_err *err)
{
	_cleanup_free_ char *clean = NULL;

	if (!path || path[0] != '/')
		return ib_err_set(err, EINVAL, "cgroup path `%s` is not absolute",
				  path ? path : "");
	clean = ib_cg_clean_path(path, err);
	if (!clean)
		return -1;
	if (strcmp(clean, path) != 0 || strcmp(clean, "/") == 0)
		return ib_err_set(err, EINVAL, "cgroup path `%s` is not a normalized non-root path",
				  path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Controllers: which directory carries a controller                         */

/* The v2 hierarchy's mount dir (the unified root as seen by us). */
static char *v2_root_dir(const struct ib_cgroup_layout *l)
{
	if (l->v2 < 0)
		return NULL;
	return hier_dir(&l->h[l->v2], "/");
}

/* Enable every controller available at dir for its children; failures are
 * only logged (writes of the limits that need them fail clearly later). */
static int v2_enable_all_at(const char *dir)
{
	_cleanup_free_ char *avail = NULL;
	ib_err err;

	avail = ib_cg_read(dir, "cgroup.controllers", &err);
	if (!avail)
		return 0;
	for (char *save = NULL, *w = strtok_r(avail, " \n", &save); w;
	     w = strtok_r(NULL, " \n", &save)) {
		char buf[64];
		snprintf(buf, sizeof(buf), "+%s", w);
		if (cg_write(dir, "cgroup.subtree_control", buf, &err) < 0)
			ib_debug("cgroup: can't enable %s in `%s`: %s", w, dir, err.msg);
	}
	return 0;
}

/* Enable ctl ("+ctl"; NULL = all available) in cgroup.subtree_control of every ancestor of the
 * cgroup's v2 dir, from the hierarchy root down. */
static int v2_enable(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l, const char *ctl,
		     ib_err *err)
{
	_cleanup_free_ char *root = v2_root_dir(l), *dir = NULL, *val = NULL;
	size_t rl, len;

	if (!root || !cg->v2_dir)
		return ib_err_set(err, ENOENT, "no cgroup v2 hierarchy");
	rl = strlen(root);
	while (rl > 0 && root[rl - 1] == '/')
		root[--rl] = '\0';
	if (strncmp(cg->v2_dir, root, rl) != 0 || cg->v2_dir[rl] != '/')
		return ib_err_set(err, EINVAL, "`%s` is not under `%s`", cg->v2_dir, root);
	val = ctl ? ib_xasprintf("+%s", ctl) : NULL;
	dir = ib_xstrdup(cg->v2_dir);
	len = strlen(dir);
	/* Every '/' from the root on ends an ancestor: root, root/a, root/a/b. */
	for (size_t i = rl; i < len; i++) {
		int rc;
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (val)
			rc = cg_write(i == 0 ? "/" : dir, "cgroup.subtree_control", val, err);
		else
			rc = v2_enable_all_at(i == 0 ? "/" : dir);
		dir[i] = '/';
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The directory that carries controller ctl for this cgroup, NULL if the
 * controller is not available. *is_v2 tells which kind. In the unified tree
 * the controller is enabled on demand (enable=true). */
char *ib_cg_ctl_dir(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l, const char *ctl,
		    bool enable, bool *is_v2)
{
	int i = ib_cgroup_layout_find(l, ctl);
	_cleanup_free_ char *avail = NULL;
	ib_err err;

	*is_v2 = false;
	if (i >= 0) {
		if (l->h[i].readonly)
			return NULL;
		return hier_dir(&l->h[i], cg->path);
	}
	if (!cg->v2_dir)
		return NULL;
	if (strcmp(ctl, "cpuacct") == 0)
		ctl = "cpu";
	else if (strcmp(ctl, "blkio") == 0)
		ctl = "io";
	*is_v2 = true;
	avail = ib_cg_read(cg->v2_dir, "cgroup.controllers", &err);
	if (avail && words_has(avail, ctl))
		return ib_xstrdup(cg->v2_dir);
	if (!enable)
		return NULL;
	/* Is it available at the root at all? */
	{
		_cleanup_free_ char *root = v2_root_dir(l), *rootavail = NULL;
		rootavail = root ? ib_cg_read(root, "cgroup.controllers", &err) : NULL;
		if (!rootavail || !words_has(rootavail, ctl))
			return NULL;
	}
	if (v2_enable(cg, l, ctl, &err) < 0) {
		ib_warn("cgroup: can't enable the %s controller for `%s`: %s", ctl, cg->v2_dir,
			err.msg);
		return NULL;
	}
	return ib_xstrdup(cg->v2_dir);
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
	bool memsw = file_exists(dir, "memory.memsw.limit_in_bytes");

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
		if (cg_write(dir, "memory.use_hierarchy", r->mem_use_hierarchy ? "1" : "0", &e2) <
		    0)
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
			if (!file_exists(dir, "memory.swap.max")) {
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
		if (!file_exists(dir, "cpu.rt_runtime_us")) {
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
	if (max && cg_write(dir, "cpu.max", max, err) < 0)
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
	const char *wfile = file_exists(dir, "blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
	const char *wdfile = file_exists(dir, "blkio.weight_device") ? "blkio.weight_device"
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
	bool bfq_only = !file_exists(dir, "io.weight") && file_exists(dir, "io.bfq.weight");

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
	snprintf(buf, len, "%c %s:%s %s", d->type ? d->type : 'a', maj, min,
		 d->access[0] ? d->access : "rwm");
}

static int set_devices_v1(const char *dir, const struct ib_resources *r, ib_err *err)
{
	if (cg_write(dir, "devices.deny", "a", err) < 0)
		return -1;
	for (size_t i = 0; i < r->n_devices; i++) {
		char buf[96];
		device_rule_str(&r->devices[i], buf, sizeof(buf));
		if (cg_write(dir, r->devices[i].allow ? "devices.allow" : "devices.deny", buf,
			     err) < 0)
			return -1;
	}
	return 0;
}

static int set_unified(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
		       const struct ib_resources *r, ib_err *err)
{
	if (!r->n_unified)
		return 0;
	if (!cg->v2_dir)
		return ib_err_set(err, ENOTSUP,
				  "linux.resources.unified needs cgroup v2, which this host lacks");
	for (size_t i = 0; i < r->n_unified; i++) {
		const char *k = r->unified_keys[i], *dot = strchr(k, '.');
		if (!*k || strchr(k, '/') || k[0] == '.' || !dot)
			return ib_err_set(err, EINVAL, "invalid cgroup v2 key `%s`", k);
		if (!file_exists(cg->v2_dir, k)) {
			_cleanup_free_ char *ctl = strndup(k, (size_t)(dot - k));
			bool v2;
			_cleanup_free_ char *d = NULL;
			if (!ctl)
				abort();
			if (strcmp(ctl, "cgroup") != 0)
				d = ib_cg_ctl_dir(cg, l, ctl, true, &v2);
			(void)d;
			if (!file_exists(cg->v2_dir, k))
				return ib_err_set(
				    err, ENOENT,
				    "cgroup v2 file `%s` doesn't exist in `%s` (controller "
				    "not available?)",
				    k, cg->v2_dir);
		}
		if (cg_write(cg->v2_dir, k, r->unified_values[i], err) < 0)
			return -1;
	}
	return 0;
}

static int v2_devices_unsupported(const struct ib_cgroup *cg)
{
	ib_warn("cgroup: device rules need an eBPF program on cgroup v2 without a devices "
		"controller; not implemented, device access for `%s` is not restricted by cgroups",
		cg->path);
	return 0;
}

static int apply_resources(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			   const struct ib_resources *r, ib_err *err)
{
	bool v2;

	if (!r)
		return 0;
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
		    cg_write(d, "cpuset.cpus", r->cpuset_cpus, err) < 0)
			return ib_err_wrap(err, "cpuset");
		if (r->cpuset_mems && *r->cpuset_mems &&
		    cg_write(d, "cpuset.mems", r->cpuset_mems, err) < 0)
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
				if (!h->page_size || strchr(h->page_size, '/'))
					return ib_err_set(err, EINVAL, "invalid hugepage size");
				snprintf(file, sizeof(file), "hugetlb.%s.%s", h->page_size,
					 v2 ? "max" : "limit_in_bytes");
				if (!file_exists(d, file))
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
			_cleanup_free_ char *d = hier_dir(&l->h[i], cg->path);
			if (set_devices_v1(d, r, err) < 0)
				return ib_err_wrap(err, "device rules");
		} else if (cg->v2_dir) {
			v2_devices_unsupported(cg);
		} else {
			ib_warn("cgroup: no devices controller; device rules not applied");
		}
	}
	if (set_unified(cg, l, r, err) < 0)
		return ib_err_wrap(err, "linux.resources.unified");
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Create / reattach                                                         */

/* v1 cpuset: a new cgroup starts with empty cpus/mems and nobody can join it;
 * copy the parent's values into every level that is still empty. */
static int cpuset_inherit(const char *dir, const char *parent, ib_err *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < IB_ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL, *pv = NULL;
		if (!file_exists(dir, files[i]))
			continue; /* noprefix mount or not a cpuset dir */
		cur = ib_cg_read(dir, files[i], err);
		if (!cur)
			return -1;
		if (!is_blank(cur))
			continue;
		pv = ib_cg_read(parent, files[i], err);
		if (!pv)
			return -1;
		if (is_blank(pv))
			continue;
		if (cg_write(dir, files[i], pv, err) < 0)
			return -1;
	}
	return 0;
}

/* mkdir -p below the hierarchy's mount, recording what we created. */
static int make_dirs(const struct ib_cgroup_hierarchy *h, const char *path, bool cpuset,
		     char ***created, ib_err *err)
{
	_cleanup_free_ char *full = hier_dir(h, path);
	size_t ml = strlen(h->mount), prev;

	if (strcmp(h->mount, "/") == 0)
		ml = 0;
	prev = ml;
	for (size_t i = ml + 1;; i++) {
		char c = full[i];
		if (c != '/' && c != '\0')
			continue;
		full[i] = '\0';
		if (mkdir(full, 0755) == 0)
			ib_strv_push(created, full);
		else if (errno != EEXIST)
			return ib_err_sys(err, "mkdir `%s`", full);
		if (cpuset) {
			char pc = full[prev];
			int rc;
			full[prev] = '\0';
			{
				_cleanup_free_ char *parent = ib_xstrdup(prev ? full : "/");
				full[prev] = pc;
				rc = cpuset_inherit(full, parent, err);
			}
			if (rc < 0)
				return -1;
		}
		full[i] = c;
		prev = i;
		if (!c)
			break;
	}
	return 0;
}

static void rollback(char **created)
{
	for (size_t n = ib_strv_len(created); n > 0; n--)
		if (rmdir(created[n - 1]) < 0 && errno != ENOENT)
			ib_warn("cgroup: can't remove `%s`: %m", created[n - 1]);
}

struct ib_cgroup *ib_cgroup_create(const char *path, const struct ib_resources *res, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	_cleanup_strv_ char **created = NULL;

	if (check_path(path, err) < 0 || ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	if (l.n == 0) {
		ib_err_set(err, ENOENT, "no cgroup hierarchy is mounted");
		return NULL;
	}
	cg = ib_xmalloc0(sizeof(*cg));
	cg->mode = ib_cgroup_layout_mode(&l);
	cg->path = ib_xstrdup(path);
	cg->v1_dirs = ib_xmalloc0(sizeof(char *));
	created = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < l.n; i++) {
		const struct ib_cgroup_hierarchy *h = &l.h[i];
		bool cpuset = ib_cgroup_layout_find(&l, "cpuset") == (int)i;
		_cleanup_free_ char *dir = NULL;

		if (h->v2)
			continue;
		if (h->readonly) {
			ib_debug("cgroup: skipping read-only hierarchy `%s`", h->mount);
			continue;
		}
		if (make_dirs(h, path, cpuset, &created, err) < 0)
			goto fail;
		dir = hier_dir(h, path);
		ib_strv_push(&cg->v1_dirs, dir);
		if (ib_cgroup_layout_find(&l, "freezer") == (int)i)
			cg->freezer_dir = IB_STEAL(dir);
	}
	if (l.v2 >= 0 && !l.h[l.v2].readonly) {
		if (make_dirs(&l.h[l.v2], path, false, &created, err) < 0)
			goto fail;
		cg->v2_dir = hier_dir(&l.h[l.v2], path);
		if (cg->mode == IB_CGROUP_V2) {
			ib_err e2;
			if (v2_enable(cg, &l, NULL, &e2) < 0)
				ib_debug("cgroup: enabling controllers: %s", e2.msg);
		}
	}
	if (apply_resources(cg, &l, res, err) < 0)
		goto fail;
	return IB_STEAL(cg);
fail:
	ib_err_wrap(err, "create cgroup `%s`", path);
	rollback(created);
	return NULL;
}

struct ib_cgroup *ib_cgroup_from_path(const char *path, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	_cleanup_cgroup_ struct ib_cgroup *cg = NULL;
	bool any = false;

	if (check_path(path, err) < 0 || ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	cg = ib_xmalloc0(sizeof(*cg));
	cg->mode = ib_cgroup_layout_mode(&l);
	cg->path = ib_xstrdup(path);
	cg->v1_dirs = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < l.n; i++) {
		_cleanup_free_ char *dir = NULL;
		if (l.h[i].readonly)
			continue;
		dir = hier_dir(&l.h[i], path);
		if (access(dir, F_OK) < 0)
			continue;
		any = true;
		if (l.h[i].v2) {
			if ((int)i == l.v2)
				cg->v2_dir = IB_STEAL(dir);
			continue;
		}
		ib_strv_push(&cg->v1_dirs, dir);
		if (ib_cgroup_layout_find(&l, "freezer") == (int)i)
			cg->freezer_dir = IB_STEAL(dir);
	}
	if (!any) {
		ib_err_set(err, ENOENT, "cgroup `%s` doesn't exist", path);
		return NULL;
	}
	return IB_STEAL(cg);
}

int ib_cgroup_update(const struct ib_cgroup *cg, const struct ib_resources *res, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;

	if (ib_cgroup_read_layout(&l, err) < 0)
		return -1;
	if (apply_resources(cg, &l, res, err) < 0)
		return ib_err_wrap(err, "update cgroup `%s`", cg->path);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Joining                                                                   */

/* Not O_PATH: clone3(CLONE_INTO_CGROUP) needs a real open of the directory.
 * Returns -1 with err->code == 0 when there is no v2 dir. */
int ib_cgroup_v2_fd(const struct ib_cgroup *cg, ib_err *err)
{
	int fd;

	if (!cg->v2_dir)
		return ib_err_set(err, 0, "no cgroup v2 directory");
	fd = open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", cg->v2_dir);
	return fd;
}

/* Plain open/write, stack buffers only: runs in a freshly cloned child. */
static int write_small(const char *dir, const char *file, const char *val, size_t len, ib_err *err)
{
	char p[PATH_MAX];
	int fd;

	if (snprintf(p, sizeof(p), "%s/%s", dir, file) >= (int)sizeof(p)) {
		errno = ENAMETOOLONG;
		return ib_err_sys(err, "cgroup file in `%s`", dir);
	}
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s`", p);
	if (ib_write_all(fd, val, len) < 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return ib_err_sys(err, "write `%.*s` to `%s`", (int)len, val, p);
	}
	close(fd);
	return 0;
}

int ib_cgroup_join_self(const struct ib_cgroup *cg, bool already_in_v2, ib_err *err)
{
	/* "0" to v1 `tasks` moves just this thread and skips the kernel's
	 * global cgroup_threadgroup_rwsem (a write-side percpu rwsem, costly);
	 * the caller is single-threaded so the thread is the process. */
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		if (write_small(cg->v1_dirs[i], "tasks", "0", 1, err) < 0)
			return -1;
	if (cg->v2_dir && !already_in_v2 &&
	    write_small(cg->v2_dir, "cgroup.procs", "0", 1, err) < 0)
		return -1;
	return 0;
}

int ib_cgroup_join_pid(const struct ib_cgroup *cg, pid_t pid, ib_err *err)
{
	char buf[24];
	int len = snprintf(buf, sizeof(buf), "%d", (int)pid);

	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		if (write_small(cg->v1_dirs[i], "cgroup.procs", buf, (size_t)len, err) < 0)
			return -1;
	if (cg->v2_dir && write_small(cg->v2_dir, "cgroup.procs", buf, (size_t)len, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Freezer                                                                   */

/* Value of "key value" in a flat-keyed file. */
bool ib_cg_kv_u64(const char *text, const char *key, uint64_t *out)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == ' ') {
			char *end;
			errno = 0;
			*out = strtoull(p + kl + 1, &end, 10);
			return errno == 0 && end != p + kl + 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

#define FREEZE_TIMEOUT_MS 5000

static int freeze_v1(const char *dir, bool frozen, ib_err *err)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	long deadline = now_ms() + FREEZE_TIMEOUT_MS, delay = 1;

	for (;;) {
		_cleanup_free_ char *st = NULL;
		/* Re-writing FROZEN while FREEZING nudges tasks that raced. */
		if (cg_write(dir, "freezer.state", want, err) < 0)
			return -1;
		st = ib_cg_read(dir, "freezer.state", err);
		if (!st)
			return -1;
		if (strncmp(st, want, strlen(want)) == 0)
			return 0;
		if (now_ms() > deadline) {
			if (frozen)
				cg_write(dir, "freezer.state", "THAWED", NULL);
			return ib_err_set(err, EBUSY, "cgroup `%s` didn't reach %s in time", dir,
					  want);
		}
		sleep_ms(delay);
		if (delay < 10)
			delay++;
	}
}

static int freeze_v2(const char *dir, bool frozen, ib_err *err)
{
	long deadline = now_ms() + FREEZE_TIMEOUT_MS, delay = 1;

	if (cg_write(dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
		return -1;
	for (;;) {
		_cleanup_free_ char *ev = ib_cg_read(dir, "cgroup.events", err);
		uint64_t v;
		if (!ev)
			return -1;
		if (!ib_cg_kv_u64(ev, "frozen", &v) || v == (frozen ? 1 : 0))
			return 0;
		if (now_ms() > deadline) {
			if (frozen)
				cg_write(dir, "cgroup.freeze", "0", NULL);
			return ib_err_set(err, EBUSY, "cgroup `%s` didn't %s in time", dir,
					  frozen ? "freeze" : "thaw");
		}
		sleep_ms(delay);
		if (delay < 10)
			delay++;
	}
}

int ib_cgroup_freeze(const struct ib_cgroup *cg, bool frozen, ib_err *err)
{
	if (cg->freezer_dir)
		return freeze_v1(cg->freezer_dir, frozen, err);
	if (cg->v2_dir && file_exists(cg->v2_dir, "cgroup.freeze"))
		return freeze_v2(cg->v2_dir, frozen, err);
	return ib_err_set(err, ENOTSUP, "no cgroup freezer for `%s`", cg->path);
}

int ib_cgroup_is_frozen(const struct ib_cgroup *cg, ib_err *err)
{
	if (cg->freezer_dir) {
		_cleanup_free_ char *st = ib_cg_read(cg->freezer_dir, "freezer.state", err);
		if (!st)
			return -1;
		return strncmp(st, "FROZEN", 6) == 0;
	}
	if (cg->v2_dir && file_exists(cg->v2_dir, "cgroup.freeze")) {
		_cleanup_free_ char *ev = ib_cg_read(cg->v2_dir, "cgroup.events", err);
		uint64_t v = 0;
		if (!ev)
			return -1;
		return ib_cg_kv_u64(ev, "frozen", &v) && v == 1;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Processes                                                                 */

static int collect_pids(const char *dir, pid_t **pids, size_t *n, size_t *cap, ib_err *err)
{
	_cleanup_free_ char *procs = ib_cg_read(dir, "cgroup.procs", err);
	DIR *d;
	struct dirent *de;

	if (!procs)
		return -1;
	for (char *p = procs, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		if (end == p) {
			end = p + 1;
			continue;
		}
		if (v <= 0)
			continue;
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 16;
			*pids = ib_xrealloc(*pids, *cap * sizeof(pid_t));
		}
		(*pids)[(*n)++] = (pid_t)v;
	}
	d = opendir(dir);
	if (!d)
		return ib_err_sys(err, "opendir `%s`", dir);
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = ib_xasprintf("%s/%s", dir, de->d_name);
		if (collect_pids(sub, pids, n, cap, err) < 0) {
			if (err && err->code == ENOENT)
				continue; /* removed under us */
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* The directory whose cgroup.procs lists the container's processes. */
static const char *procs_dir(const struct ib_cgroup *cg)
{
	static const char *const pref[] = {"pids.max", "memory.stat"};

	if (cg->freezer_dir)
		return cg->freezer_dir;
	for (size_t k = 0; k < IB_ARRAY_SIZE(pref); k++)
		for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
			if (file_exists(cg->v1_dirs[i], pref[k]))
				return cg->v1_dirs[i];
	if (cg->mode != IB_CGROUP_V2 && cg->v1_dirs && cg->v1_dirs[0])
		return cg->v1_dirs[0];
	if (cg->v2_dir)
		return cg->v2_dir;
	return cg->v1_dirs ? cg->v1_dirs[0] : NULL;
}

int ib_cgroup_pids(const struct ib_cgroup *cg, pid_t **pids, size_t *n, ib_err *err)
{
	const char *dir = procs_dir(cg);
	size_t cap = 0;

	*pids = NULL;
	*n = 0;
	if (!dir)
		return ib_err_set(err, ENOENT, "cgroup `%s` has no directory", cg->path);
	if (collect_pids(dir, pids, n, &cap, err) < 0) {
		free(*pids);
		*pids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

int ib_cgroup_kill_all(const struct ib_cgroup *cg, int sig, ib_err *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	bool froze = false, was_frozen;
	int rc = 0;

	if (sig == SIGKILL && cg->v2_dir && file_exists(cg->v2_dir, "cgroup.kill")) {
		if (cg_write(cg->v2_dir, "cgroup.kill", "1", err) < 0)
			return -1;
		if (!cg->v1_dirs || !cg->v1_dirs[0])
			return 0;
		/* hybrid: sweep the v1 side too (should be empty or dying) */
	}
	was_frozen = ib_cgroup_is_frozen(cg, NULL) == 1;
	{
		ib_err e2;
		if (ib_cgroup_freeze(cg, true, &e2) == 0)
			froze = true;
		else
			ib_debug("cgroup: kill without freezing: %s", e2.msg);
	}
	if (ib_cgroup_pids(cg, &pids, &n, err) < 0)
		rc = -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH && rc == 0)
			rc = ib_err_sys(err, "kill %d", (int)pids[i]);
	if (froze && (!was_frozen || sig == SIGKILL)) {
		ib_err e2;
		if (ib_cgroup_freeze(cg, false, &e2) < 0 && rc == 0) {
			*err = e2;
			rc = -1;
		}
	}
	return rc;
}

/* Remove dir and everything below it, bottom-up; EBUSY is retried until
 * deadline (processes that were just killed leave their cgroup shortly). */
static int rm_tree(const char *dir, long deadline, ib_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d) {
		if (errno == ENOENT)
			return 0;
		return ib_err_sys(err, "opendir `%s`", dir);
	}
	while ((de = readdir(d))) {
		_cleanup_free_ char *sub = NULL;
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = ib_xasprintf("%s/%s", dir, de->d_name);
		if (rm_tree(sub, deadline, err) < 0)
			rc = -1;
	}
	closedir(d);
	if (rc < 0)
		return -1;
	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() > deadline)
			return ib_err_sys(err, "rmdir `%s`", dir);
		sleep_ms(5);
	}
}

int ib_cgroup_destroy(const struct ib_cgroup *cg, ib_err *err)
{
	long deadline;
	int rc = 0;
	ib_err e2;

	if (ib_cgroup_kill_all(cg, SIGKILL, &e2) < 0)
		ib_debug("cgroup: destroy `%s`: kill: %s", cg->path, e2.msg);
	deadline = now_ms() + 1000;
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++)
		if (rm_tree(cg->v1_dirs[i], deadline, rc ? &e2 : err) < 0)
			rc = -1;
	if (cg->v2_dir && rm_tree(cg->v2_dir, deadline, rc ? &e2 : err) < 0)
		rc = -1;
	if (rc < 0)
		ib_err_wrap(err, "destroy cgroup `%s`", cg->path);
	return rc;
}
