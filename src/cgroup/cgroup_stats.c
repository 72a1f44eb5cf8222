/* The "data" object of `runc events --stats` from a container's cgroup
 * (cpu, memory, pids, blkio, hugetlb; v1 and v2 files). */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util.h"
#include "cgroup/cgroup_int.h"

/* ------------------------------------------------------------------------ */
/* Stats (`runc events --stats` "data")                                      */

/* First number in dir/file; "max" gives max_value. */
static bool read_u64(const char *dir, const char *file, uint64_t max_value, uint64_t *out)
{
	_cleanup_free_ char *s = NULL;
	char *end;

	if (!dir)
		return false;
	s = ib_cg_read(dir, file, NULL);
	if (!s)
		return false;
	if (strncmp(s, "max", 3) == 0) {
		*out = max_value;
		return true;
	}
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno == 0 && end != s;
}

static void jset_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static struct json_object *read_u64_list(const char *dir, const char *file)
{
	_cleanup_free_ char *s = ib_cg_read(dir, file, NULL);
	struct json_object *a;

	if (!s)
		return NULL;
	a = json_object_new_array();
	for (char *p = s, *end;; p = end) {
		uint64_t v = strtoull(p, &end, 10);
		if (end == p)
			break;
		json_object_array_add(a, json_object_new_uint64(v));
	}
	return a;
}

static struct json_object *flat_keyed(const char *dir, const char *file)
{
	_cleanup_free_ char *s = ib_cg_read(dir, file, NULL);
	struct json_object *o = json_object_new_object();

	for (char *save = NULL, *line = s ? strtok_r(s, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		if (!sp)
			continue;
		*sp = '\0';
		jset_u64(o, line, strtoull(sp + 1, NULL, 10));
	}
	return o;
}

static void cpu_stats(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
		      struct json_object *data)
{
	struct json_object *cpu = json_object_new_object(), *usage = json_object_new_object(),
			   *thr = json_object_new_object(), *a;
	bool v2;
	_cleanup_free_ char *acct = ib_cg_ctl_dir(cg, l, "cpuacct", false, &v2);
	_cleanup_free_ char *cdir = NULL;
	_cleanup_free_ char *st = NULL;
	uint64_t v;

	if (acct && !v2) {
		long hz = sysconf(_SC_CLK_TCK);
		_cleanup_free_ char *s = ib_cg_read(acct, "cpuacct.stat", NULL);
		if (read_u64(acct, "cpuacct.usage", 0, &v))
			jset_u64(usage, "total", v);
		if ((a = read_u64_list(acct, "cpuacct.usage_percpu")))
			json_object_object_add(usage, "percpu", a);
		if ((a = read_u64_list(acct, "cpuacct.usage_percpu_sys")))
			json_object_object_add(usage, "percpu_kernel", a);
		if ((a = read_u64_list(acct, "cpuacct.usage_percpu_user")))
			json_object_object_add(usage, "percpu_user", a);
		if (hz <= 0)
			hz = 100;
		if (s && ib_cg_kv_u64(s, "system", &v))
			jset_u64(usage, "kernel", v * (1000000000ULL / (uint64_t)hz));
		if (s && ib_cg_kv_u64(s, "user", &v))
			jset_u64(usage, "user", v * (1000000000ULL / (uint64_t)hz));
	} else if (cg->v2_dir) {
		/* cpu.stat's usage fields exist even without the cpu controller */
		_cleanup_free_ char *s = ib_cg_read(cg->v2_dir, "cpu.stat", NULL);
		if (s && ib_cg_kv_u64(s, "usage_usec", &v))
			jset_u64(usage, "total", v * 1000);
		if (s && ib_cg_kv_u64(s, "system_usec", &v))
			jset_u64(usage, "kernel", v * 1000);
		if (s && ib_cg_kv_u64(s, "user_usec", &v))
			jset_u64(usage, "user", v * 1000);
	}
	cdir = ib_cg_ctl_dir(cg, l, "cpu", false, &v2);
	st = cdir ? ib_cg_read(cdir, "cpu.stat", NULL) : NULL;
	if (st) {
		if (ib_cg_kv_u64(st, "nr_periods", &v))
			jset_u64(thr, "periods", v);
		if (ib_cg_kv_u64(st, "nr_throttled", &v))
			jset_u64(thr, "throttled_periods", v);
		if (ib_cg_kv_u64(st, v2 ? "throttled_usec" : "throttled_time", &v))
			jset_u64(thr, "throttled_time", v2 ? v * 1000 : v);
	}
	json_object_object_add(cpu, "usage", usage);
	json_object_object_add(cpu, "throttling", thr);
	json_object_object_add(data, "cpu", cpu);
}

static struct json_object *mem_entry_v1(const char *dir, const char *prefix)
{
	struct json_object *o = json_object_new_object();
	char f[96];
	uint64_t v;

	snprintf(f, sizeof(f), "%s.usage_in_bytes", prefix);
	if (read_u64(dir, f, 0, &v))
		jset_u64(o, "usage", v);
	snprintf(f, sizeof(f), "%s.max_usage_in_bytes", prefix);
	if (read_u64(dir, f, 0, &v))
		jset_u64(o, "max", v);
	snprintf(f, sizeof(f), "%s.failcnt", prefix);
	if (read_u64(dir, f, 0, &v))
		jset_u64(o, "failcnt", v);
	snprintf(f, sizeof(f), "%s.limit_in_bytes", prefix);
	if (read_u64(dir, f, 0, &v))
		jset_u64(o, "limit", v);
	return o;
}

static void memory_stats(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			 struct json_object *data)
{
	bool v2;
	_cleanup_free_ char *dir = ib_cg_ctl_dir(cg, l, "memory", false, &v2);
	struct json_object *mem, *raw, *cache;
	uint64_t v;

	if (!dir)
		return;
	mem = json_object_new_object();
	raw = flat_keyed(dir, "memory.stat");
	if (!v2) {
		json_object_object_add(mem, "usage", mem_entry_v1(dir, "memory"));
		json_object_object_add(mem, "swap", mem_entry_v1(dir, "memory.memsw"));
		json_object_object_add(mem, "kernel", mem_entry_v1(dir, "memory.kmem"));
		json_object_object_add(mem, "kernelTCP", mem_entry_v1(dir, "memory.kmem.tcp"));
		if (json_object_object_get_ex(raw, "cache", &cache))
			jset_u64(mem, "cache", json_object_get_uint64(cache));
	} else {
		struct json_object *u = json_object_new_object(), *s = json_object_new_object();
		_cleanup_free_ char *ev = ib_cg_read(dir, "memory.events", NULL);
		_cleanup_free_ char *sev = ib_cg_read(dir, "memory.swap.events", NULL);
		uint64_t cur = 0, max = UINT64_MAX, scur = 0, smax = UINT64_MAX;
		if (read_u64(dir, "memory.current", UINT64_MAX, &cur))
			jset_u64(u, "usage", cur);
		if (read_u64(dir, "memory.peak", UINT64_MAX, &v))
			jset_u64(u, "max", v);
		if (ev && ib_cg_kv_u64(ev, "max", &v))
			jset_u64(u, "failcnt", v);
		read_u64(dir, "memory.max", UINT64_MAX, &max);
		jset_u64(u, "limit", max);
		/* Like v1 memsw: swap entries include memory. */
		if (read_u64(dir, "memory.swap.current", UINT64_MAX, &scur))
			jset_u64(s, "usage", scur + cur);
		if (read_u64(dir, "memory.swap.max", UINT64_MAX, &smax))
			jset_u64(s, "limit",
				 (smax == UINT64_MAX || max == UINT64_MAX || smax + max < smax)
				     ? UINT64_MAX
				     : smax + max);
		if (sev && ib_cg_kv_u64(sev, "max", &v))
			jset_u64(s, "failcnt", v);
		json_object_object_add(mem, "usage", u);
		json_object_object_add(mem, "swap", s);
		if (json_object_object_get_ex(raw, "file", &cache))
			jset_u64(mem, "cache", json_object_get_uint64(cache));
	}
	json_object_object_add(mem, "raw", raw);
	json_object_object_add(data, "memory", mem);
}

static void pids_stats(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
		       struct json_object *data)
{
	bool v2;
	_cleanup_free_ char *dir = ib_cg_ctl_dir(cg, l, "pids", false, &v2);
	struct json_object *o;
	uint64_t v;

	if (!dir)
		return;
	o = json_object_new_object();
	if (read_u64(dir, "pids.current", 0, &v))
		jset_u64(o, "current", v);
	if (read_u64(dir, "pids.max", 0, &v))
		jset_u64(o, "limit", v);
	json_object_object_add(data, "pids", o);
}

static void blkio_entry(struct json_object *arr, unsigned maj, unsigned min, const char *op,
			uint64_t v)
{
	struct json_object *e = json_object_new_object();
	jset_u64(e, "major", maj);
	jset_u64(e, "minor", min);
	json_object_object_add(e, "op", json_object_new_string(op));
	jset_u64(e, "value", v);
	json_object_array_add(arr, e);
}

static struct json_object *blkio_v1_list(const char *dir, const char *file)
{
	_cleanup_free_ char *s = ib_cg_read(dir, file, NULL);
	struct json_object *a = json_object_new_array();

	for (char *save = NULL, *line = s ? strtok_r(s, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned maj, min;
		char op[32];
		unsigned long long v;
		if (sscanf(line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
			blkio_entry(a, maj, min, op, v);
	}
	return a;
}

static void blkio_stats(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			struct json_object *data)
{
	bool v2;
	_cleanup_free_ char *dir = ib_cg_ctl_dir(cg, l, "blkio", false, &v2);
	struct json_object *o;

	if (!dir)
		return;
	o = json_object_new_object();
	if (!v2) {
		json_object_object_add(
		    o, "ioServiceBytesRecursive",
		    blkio_v1_list(dir, "blkio.throttle.io_service_bytes_recursive"));
		json_object_object_add(o, "ioServicedRecursive",
				       blkio_v1_list(dir, "blkio.throttle.io_serviced_recursive"));
	} else {
		_cleanup_free_ char *s = ib_cg_read(dir, "io.stat", NULL);
		struct json_object *bytes = json_object_new_array(), *ios = json_object_new_array();
		for (char *save = NULL, *line = s ? strtok_r(s, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned maj, min;
			int off = 0;
			if (sscanf(line, "%u:%u%n", &maj, &min, &off) != 2)
				continue;
			for (char *save2 = NULL, *kv = strtok_r(line + off, " ", &save2); kv;
			     kv = strtok_r(NULL, " ", &save2)) {
				char *eq = strchr(kv, '=');
				uint64_t v;
				if (!eq)
					continue;
				*eq = '\0';
				v = strtoull(eq + 1, NULL, 10);
				if (strcmp(kv, "rbytes") == 0)
					blkio_entry(bytes, maj, min, "Read", v);
				else if (strcmp(kv, "wbytes") == 0)
					blkio_entry(bytes, maj, min, "Write", v);
				else if (strcmp(kv, "rios") == 0)
					blkio_entry(ios, maj, min, "Read", v);
				else if (strcmp(kv, "wios") == 0)
					blkio_entry(ios, maj, min, "Write", v);
			}
		}
		json_object_object_add(o, "ioServiceBytesRecursive", bytes);
		json_object_object_add(o, "ioServicedRecursive", ios);
	}
	json_object_object_add(data, "blkio", o);
}

static void hugetlb_stats(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			  struct json_object *data)
{
	bool v2;
	_cleanup_free_ char *dir = ib_cg_ctl_dir(cg, l, "hugetlb", false, &v2);
	struct json_object *o = json_object_new_object();
	DIR *d;
	struct dirent *de;

	json_object_object_add(data, "hugetlb", o);
	if (!dir || !(d = opendir("/sys/kernel/mm/hugepages")))
		return;
	while ((de = readdir(d))) {
		unsigned long kb;
		char size[32], f[96];
		struct json_object *e;
		uint64_t v;
		if (sscanf(de->d_name, "hugepages-%lukB", &kb) != 1)
			continue;
		if (kb % (1024 * 1024) == 0)
			snprintf(size, sizeof(size), "%luGB", kb / (1024 * 1024));
		else if (kb % 1024 == 0)
			snprintf(size, sizeof(size), "%luMB", kb / 1024);
		else
			snprintf(size, sizeof(size), "%luKB", kb);
		e = json_object_new_object();
		snprintf(f, sizeof(f), "hugetlb.%s.%s", size, v2 ? "current" : "usage_in_bytes");
		if (read_u64(dir, f, 0, &v))
			jset_u64(e, "usage", v);
		if (!v2) {
			snprintf(f, sizeof(f), "hugetlb.%s.max_usage_in_bytes", size);
			if (read_u64(dir, f, 0, &v))
				jset_u64(e, "max", v);
			snprintf(f, sizeof(f), "hugetlb.%s.failcnt", size);
			if (read_u64(dir, f, 0, &v))
				jset_u64(e, "failcnt", v);
		} else {
			_cleanup_free_ char *ev = NULL;
			snprintf(f, sizeof(f), "hugetlb.%s.events", size);
			ev = ib_cg_read(dir, f, NULL);
			if (ev && ib_cg_kv_u64(ev, "max", &v))
				jset_u64(e, "failcnt", v);
		}
		json_object_object_add(o, size, e);
	}
	closedir(d);
}

struct json_object *ib_cgroup_stats(const struct ib_cgroup *cg, ib_err *err)
{
	_cleanup_layout_ struct ib_cgroup_layout l = LAYOUT_INIT;
	struct json_object *data;

	if (ib_cgroup_read_layout(&l, err) < 0)
		return NULL;
	if (!(cg->v2_dir && ib_cg_access(cg->v2_dir) == 0) &&
	    !(cg->v1_dirs && cg->v1_dirs[0] && ib_cg_access(cg->v1_dirs[0]) == 0)) {
		ib_err_set(err, ENOENT, "cgroup `%s` doesn't exist", cg->path);
		return NULL;
	}
	data = json_object_new_object();
	cpu_stats(cg, &l, data);
	memory_stats(cg, &l, data);
	pids_stats(cg, &l, data);
	blkio_stats(cg, &l, data);
	hugetlb_stats(cg, &l, data);
	return data;
}
