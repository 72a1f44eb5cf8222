/* linux.resources: device rules, memory, cpu, pids, blockIO, hugepages, unified. */
#include "spec/spec_int.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int devrule_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_resources *r = data;
	struct ib_device_rule *d = &r->devices[i];
	_cleanup_free_ char *type = NULL, *access = NULL;
	bool has = false;

	r->n_devices = i + 1;
	if (ib_spec_get_bool(c, e, where, "allow", &d->allow, NULL) < 0 ||
	    ib_spec_get_str(c, e, where, "type", &type) < 0 ||
	    ib_spec_get_str(c, e, where, "access", &access) < 0)
		return -1;
	d->type = 'a';
	if (type) {
		if (strlen(type) != 1 || !strchr("acb", type[0]))
			return ib_spec_perr(c, where, "type", "invalid device type \"%s\"", type);
		d->type = type[0];
	}
	d->major = d->minor = -1;
	if (ib_spec_get_i64(c, e, where, "major", &d->major, &has) < 0)
		return -1;
	if (!has)
		d->major = -1;
	if (ib_spec_get_i64(c, e, where, "minor", &d->minor, &has) < 0)
		return -1;
	if (!has)
		d->minor = -1;
	if (d->major < -1 || d->minor < -1)
		return ib_spec_perr(c, where, NULL, "major and minor must be >= -1");
	if (!access) {
		strcpy(d->access, "rwm");
	} else {
		size_t k = 0;
		/* Letters other than r, w, m grant nothing and are ignored, like
		 * runc does ("rwa" is "rw"). */
		for (const char *p = "rwm"; *p; p++)
			if (strchr(access, *p))
				d->access[k++] = *p;
		d->access[k] = '\0';
	}
	return 0;
}

static int weightdev_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_resources *r = data;
	struct ib_weight_device *d = &r->blkio_weight_devices[i];
	bool has_major = false, has_minor = false;
	uint32_t w = 0, lw = 0;

	if (ib_spec_get_i64(c, e, where, "major", &d->major, &has_major) < 0 ||
	    ib_spec_get_i64(c, e, where, "minor", &d->minor, &has_minor) < 0)
		return -1;
	if (!has_major || !has_minor)
		return ib_spec_perr(c, where, NULL, "major and minor are required");
	if (ib_spec_get_u32(c, e, where, "weight", &w, &d->has_weight) < 0 ||
	    ib_spec_get_u32(c, e, where, "leafWeight", &lw, &d->has_leaf_weight) < 0)
		return -1;
	if (w > UINT16_MAX || lw > UINT16_MAX)
		return ib_spec_perr(c, where, NULL, "weight out of range");
	d->weight = (uint16_t)w;
	d->leaf_weight = (uint16_t)lw;
	return 0;
}

static int throttle_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_throttle_device *d = &((struct ib_throttle_device *)data)[i];
	bool has_major = false, has_minor = false, has_rate = false;

	if (ib_spec_get_i64(c, e, where, "major", &d->major, &has_major) < 0 ||
	    ib_spec_get_i64(c, e, where, "minor", &d->minor, &has_minor) < 0 ||
	    ib_spec_get_u64(c, e, where, "rate", &d->rate, &has_rate) < 0)
		return -1;
	if (!has_major || !has_minor)
		return ib_spec_perr(c, where, NULL, "major and minor are required");
	if (!has_rate)
		return ib_spec_perr(c, where, "rate", "required");
	return 0;
}

static int hugepage_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_resources *r = data;
	struct ib_hugepage_limit *h = &r->hugepage_limits[i];
	bool has_limit = false;

	r->n_hugepage_limits = i + 1;
	if (ib_spec_get_str(c, e, where, "pageSize", &h->page_size) < 0 ||
	    ib_spec_get_u64(c, e, where, "limit", &h->limit, &has_limit) < 0)
		return -1;
	if (!h->page_size)
		return ib_spec_perr(c, where, "pageSize", "required");
	if (!has_limit)
		return ib_spec_perr(c, where, "limit", "required");
	return 0;
}

static int parse_throttle(struct pctx *c, json_object *o, const char *where, const char *key,
			  struct ib_throttle_device **out, size_t *n)
{
	*out = ib_xmalloc0((ib_spec_array_len(o, key) + 1) * sizeof(struct ib_throttle_device));
	return ib_spec_for_each_obj(c, o, where, key, n, throttle_elem, *out);
}

int ib_spec_parse_resources(struct pctx *c, json_object *o, struct ib_resources *r)
{
	const char *W = "linux.resources";
	json_object *v;
	int rc;

	r->devices =
	    ib_xmalloc0((ib_spec_array_len(o, "devices") + 1) * sizeof(struct ib_device_rule));
	if (ib_spec_for_each_obj(c, o, W, "devices", NULL, devrule_elem, r) < 0)
		return -1;

	rc = ib_spec_field(c, o, W, "memory", json_type_object, &v);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		const char *w = "linux.resources.memory";
		uint64_t swappiness = 0;
		bool has_swappiness = false;
		if (ib_spec_get_i64(c, v, w, "limit", &r->mem_limit, &r->has_mem_limit) < 0 ||
		    ib_spec_get_i64(c, v, w, "reservation", &r->mem_reservation,
				    &r->has_mem_reservation) < 0 ||
		    ib_spec_get_i64(c, v, w, "swap", &r->mem_swap, &r->has_mem_swap) < 0 ||
		    ib_spec_get_i64(c, v, w, "kernel", &r->mem_kernel, &r->has_mem_kernel) < 0 ||
		    ib_spec_get_bool(c, v, w, "disableOOMKiller", &r->disable_oom_killer,
				     &r->has_disable_oom_killer) < 0 ||
		    ib_spec_get_bool(c, v, w, "useHierarchy", &r->mem_use_hierarchy,
				     &r->has_mem_use_hierarchy) < 0)
			return -1;
		/* -1 (or its uint64 wrap) means "unset", as in runc. */
		json_object *sw = NULL;
		if (json_object_object_get_ex(v, "swappiness", &sw) && sw &&
		    json_object_is_type(sw, json_type_int) && json_object_get_int64(sw) == -1) {
			has_swappiness = false;
		} else {
			if (ib_spec_get_u64(c, v, w, "swappiness", &swappiness, &has_swappiness) <
			    0)
				return -1;
			if (has_swappiness && swappiness == UINT64_MAX)
				has_swappiness = false;
			else if (has_swappiness && swappiness > 100)
				return ib_spec_perr(c, w, "swappiness",
						    "invalid value %llu, valid range is 0-100",
						    (unsigned long long)swappiness);
		}
		r->has_mem_swappiness = has_swappiness;
		r->mem_swappiness = swappiness;
	}

	rc = ib_spec_field(c, o, W, "cpu", json_type_object, &v);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		const char *w = "linux.resources.cpu";
		if (ib_spec_get_u64(c, v, w, "shares", &r->cpu_shares, &r->has_cpu_shares) < 0 ||
		    ib_spec_get_i64(c, v, w, "quota", &r->cpu_quota, &r->has_cpu_quota) < 0 ||
		    ib_spec_get_u64(c, v, w, "period", &r->cpu_period, &r->has_cpu_period) < 0 ||
		    ib_spec_get_i64(c, v, w, "realtimeRuntime", &r->cpu_rt_runtime,
				    &r->has_cpu_rt_runtime) < 0 ||
		    ib_spec_get_u64(c, v, w, "realtimePeriod", &r->cpu_rt_period,
				    &r->has_cpu_rt_period) < 0 ||
		    ib_spec_get_str(c, v, w, "cpus", &r->cpuset_cpus) < 0 ||
		    ib_spec_get_str(c, v, w, "mems", &r->cpuset_mems) < 0 ||
		    ib_spec_get_i64(c, v, w, "idle", &r->cpu_idle, &r->has_cpu_idle) < 0 ||
		    ib_spec_get_u64(c, v, w, "burst", &r->cpu_burst, &r->has_cpu_burst) < 0)
			return -1;
	}

	rc = ib_spec_field(c, o, W, "pids", json_type_object, &v);
	if (rc < 0)
		return -1;
	if (rc > 0 && ib_spec_get_i64(c, v, "linux.resources.pids", "limit", &r->pids_limit,
				      &r->has_pids_limit) < 0)
		return -1;

	rc = ib_spec_field(c, o, W, "blockIO", json_type_object, &v);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		const char *w = "linux.resources.blockIO";
		uint32_t wt = 0, lwt = 0;
		if (ib_spec_get_u32(c, v, w, "weight", &wt, &r->has_blkio_weight) < 0 ||
		    ib_spec_get_u32(c, v, w, "leafWeight", &lwt, &r->has_blkio_leaf_weight) < 0)
			return -1;
		if (wt > UINT16_MAX || lwt > UINT16_MAX)
			return ib_spec_perr(c, w, NULL, "weight out of range");
		r->blkio_weight = (uint16_t)wt;
		r->blkio_leaf_weight = (uint16_t)lwt;
		r->blkio_weight_devices = ib_xmalloc0((ib_spec_array_len(v, "weightDevice") + 1) *
						      sizeof(struct ib_weight_device));
		if (ib_spec_for_each_obj(c, v, w, "weightDevice", &r->n_blkio_weight_devices,
					 weightdev_elem, r) < 0 ||
		    parse_throttle(c, v, w, "throttleReadBpsDevice", &r->throttle_read_bps,
				   &r->n_throttle_read_bps) < 0 ||
		    parse_throttle(c, v, w, "throttleWriteBpsDevice", &r->throttle_write_bps,
				   &r->n_throttle_write_bps) < 0 ||
		    parse_throttle(c, v, w, "throttleReadIOPSDevice", &r->throttle_read_iops,
				   &r->n_throttle_read_iops) < 0 ||
		    parse_throttle(c, v, w, "throttleWriteIOPSDevice", &r->throttle_write_iops,
				   &r->n_throttle_write_iops) < 0)
			return -1;
	}

	r->hugepage_limits = ib_xmalloc0((ib_spec_array_len(o, "hugepageLimits") + 1) *
					 sizeof(struct ib_hugepage_limit));
	if (ib_spec_for_each_obj(c, o, W, "hugepageLimits", NULL, hugepage_elem, r) < 0)
		return -1;

	if (ib_spec_get_strmap(c, o, W, "unified", &r->unified_keys, &r->unified_values,
			       &r->n_unified) < 0)
		return -1;
	return 0;
}
