/* linux: namespaces, ID mappings, devices, sysctl, masked and read-only
 * paths, rootfs propagation, personality (resources and seccomp have their own
 * files). */
#include "spec/spec_int.h"

#include <json-c/json.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

static const struct {
	const char *oci, *proc;
	int flag;
} ns_table[IB_NS_COUNT] = {
    [IB_NS_PID] = {"pid", "pid", CLONE_NEWPID},
    [IB_NS_NET] = {"network", "net", CLONE_NEWNET},
    [IB_NS_IPC] = {"ipc", "ipc", CLONE_NEWIPC},
    [IB_NS_UTS] = {"uts", "uts", CLONE_NEWUTS},
    [IB_NS_MOUNT] = {"mount", "mnt", CLONE_NEWNS},
    [IB_NS_USER] = {"user", "user", CLONE_NEWUSER},
    [IB_NS_CGROUP] = {"cgroup", "cgroup", CLONE_NEWCGROUP},
    [IB_NS_TIME] = {"time", "time", CLONE_NEWTIME},
};

const char *ib_ns_name(enum ib_ns_type t)
{
	if ((unsigned)t >= IB_NS_COUNT)
		return NULL;
	return ns_table[t].oci;
}

int ib_ns_clone_flag(enum ib_ns_type t)
{
	if ((unsigned)t >= IB_NS_COUNT)
		return 0;
	return ns_table[t].flag;
}

const char *ib_ns_proc_name(enum ib_ns_type t)
{
	if ((unsigned)t >= IB_NS_COUNT)
		return NULL;
	return ns_table[t].proc;
}

static int ns_from_name(const char *name)
{
	for (int i = 0; i < IB_NS_COUNT; i++)
		if (strcmp(ns_table[i].oci, name) == 0)
			return i;
	return -1;
}

struct idmap_out {
	struct ib_idmap *maps;
};

static int idmap_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_idmap *m = &((struct idmap_out *)data)->maps[i];

	if (ib_spec_get_req_u32(c, e, where, "containerID", &m->container_id) < 0 ||
	    ib_spec_get_req_u32(c, e, where, "hostID", &m->host_id) < 0 ||
	    ib_spec_get_req_u32(c, e, where, "size", &m->size) < 0)
		return -1;
	if (m->size == 0)
		return ib_spec_perr(c, where, "size", "must be greater than 0");
	return 0;
}

int ib_spec_parse_idmaps(struct pctx *c, json_object *o, const char *where, const char *key,
			 struct ib_idmap **out, size_t *n)
{
	struct idmap_out d;

	size_t len = ib_spec_array_len(o, key);

	*n = 0;
	if (len == 0) {
		/* Empty stays NULL so the policy stage can simply assign a new array. */
		*out = NULL;
		return ib_spec_for_each_obj(c, o, where, key, NULL, idmap_elem, NULL);
	}
	d.maps = ib_xmalloc0(len * sizeof(struct ib_idmap));
	*out = d.maps;
	return ib_spec_for_each_obj(c, o, where, key, n, idmap_elem, &d);
}

static int ns_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_spec *s = data;
	_cleanup_free_ char *type = NULL, *path = NULL;
	int t;

	(void)i;
	if (ib_spec_get_str(c, e, where, "type", &type) < 0 ||
	    ib_spec_get_str(c, e, where, "path", &path) < 0)
		return -1;
	if (!type)
		return ib_spec_perr(c, where, "type", "required");
	t = ns_from_name(type);
	if (t < 0)
		return ib_spec_perr(c, where, "type", "unknown namespace type \"%s\"", type);
	if (s->ns[t].present)
		return ib_spec_perr(c, where, "type", "duplicate namespace \"%s\"", type);
	if (path && path[0] == '\0') {
		free(path);
		path = NULL;
	}
	if (path && path[0] != '/')
		return ib_spec_perr(c, where, "path", "must be an absolute path, got \"%s\"", path);
	s->ns[t].present = true;
	s->ns[t].path = IB_STEAL(path);
	return 0;
}

static int device_elem(struct pctx *c, json_object *e, const char *where, size_t i, void *data)
{
	struct ib_spec *s = data;
	struct ib_device *d = &s->devices[i];
	_cleanup_free_ char *type = NULL;
	bool has_major = false, has_minor = false;
	uint32_t mode = 0, uid = 0, gid = 0;

	s->n_devices = i + 1;
	if (ib_spec_get_str(c, e, where, "path", &d->path) < 0 ||
	    ib_spec_get_str(c, e, where, "type", &type) < 0)
		return -1;
	if (!d->path)
		return ib_spec_perr(c, where, NULL, "path is required");
	if (d->path[0] != '/')
		return ib_spec_perr(c, where, NULL, "path must be an absolute path, got \"%s\"",
				    d->path);
	if (!type)
		return ib_spec_perr(c, where, NULL, "type is required");
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return ib_spec_perr(c, where, "type", "invalid device type \"%s\"", type);
	d->type = type[0];
	if (ib_spec_get_i64(c, e, where, "major", &d->major, &has_major) < 0 ||
	    ib_spec_get_i64(c, e, where, "minor", &d->minor, &has_minor) < 0)
		return -1;
	if (d->type != 'p' && (!has_major || !has_minor))
		return ib_spec_perr(c, where, NULL, "major and minor are required for type \"%c\"",
				    d->type);
	if (d->major < 0 || d->minor < 0)
		return ib_spec_perr(c, where, NULL, "major and minor must not be negative");
	if (ib_spec_get_u32(c, e, where, "fileMode", &mode, &d->has_mode) < 0 ||
	    ib_spec_get_u32(c, e, where, "uid", &uid, &d->has_uid) < 0 ||
	    ib_spec_get_u32(c, e, where, "gid", &gid, &d->has_gid) < 0)
		return -1;
	d->mode = mode & 07777;
	d->uid = uid;
	d->gid = gid;
	return 0;
}

static int check_abs_paths(struct pctx *c, const char *where, const char *key, char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		if (v[i][0] != '/') {
			_cleanup_free_ char *k = ib_xasprintf("%s[%zu]", key, i);
			return ib_spec_perr(c, where, k, "must be an absolute path, got \"%s\"",
					    v[i]);
		}
	return 0;
}

int ib_spec_parse_linux(struct pctx *c, json_object *root, struct ib_spec *s)
{
	const char *W = "linux";
	json_object *o, *v;
	int r = ib_spec_field(c, root, "", "linux", json_type_object, &o);
	_cleanup_free_ char *prop = NULL;

	if (r <= 0)
		return r;
	if (ib_spec_for_each_obj(c, o, W, "namespaces", NULL, ns_elem, s) < 0)
		return -1;
	if (ib_spec_parse_idmaps(c, o, W, "uidMappings", &s->uid_mappings, &s->n_uid_mappings) <
		0 ||
	    ib_spec_parse_idmaps(c, o, W, "gidMappings", &s->gid_mappings, &s->n_gid_mappings) < 0)
		return -1;
	s->devices = ib_xmalloc0((ib_spec_array_len(o, "devices") + 1) * sizeof(struct ib_device));
	if (ib_spec_for_each_obj(c, o, W, "devices", NULL, device_elem, s) < 0)
		return -1;
	if (ib_spec_get_str(c, o, W, "cgroupsPath", &s->cgroups_path) < 0)
		return -1;

	r = ib_spec_field(c, o, W, "resources", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		s->has_resources = true;
		if (ib_spec_parse_resources(c, v, &s->resources) < 0)
			return -1;
	}

	{
		_cleanup_strv_ char **keys = NULL, **vals = NULL;
		size_t n = 0;
		if (ib_spec_get_strmap(c, o, W, "sysctl", &keys, &vals, &n) < 0)
			return -1;
		if (n) {
			s->sysctls = ib_xmalloc0(n * sizeof(struct ib_sysctl));
			for (size_t i = 0; i < n; i++) {
				s->sysctls[i].key = IB_STEAL(keys[i]);
				s->sysctls[i].value = IB_STEAL(vals[i]);
			}
			s->n_sysctls = n;
		}
	}

	r = ib_spec_field(c, o, W, "seccomp", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		s->seccomp = ib_xmalloc0(sizeof(*s->seccomp));
		if (ib_spec_parse_seccomp(c, v, s->seccomp) < 0)
			return -1;
	}

	if (ib_spec_get_str(c, o, W, "rootfsPropagation", &prop) < 0)
		return -1;
	if (prop && *prop && ib_spec_prop_from_name(prop, &s->rootfs_propagation) < 0)
		return ib_spec_perr(c, W, "rootfsPropagation", "invalid propagation \"%s\"", prop);

	if (ib_spec_get_strv(c, o, W, "maskedPaths", &s->masked_paths) < 0 ||
	    ib_spec_get_strv(c, o, W, "readonlyPaths", &s->readonly_paths) < 0 ||
	    check_abs_paths(c, W, "maskedPaths", s->masked_paths) < 0 ||
	    check_abs_paths(c, W, "readonlyPaths", s->readonly_paths) < 0 ||
	    ib_spec_get_str(c, o, W, "mountLabel", &s->mount_label) < 0)
		return -1;

	r = ib_spec_field(c, o, W, "personality", json_type_object, &v);
	if (r < 0)
		return -1;
	if (r > 0) {
		if (ib_spec_get_str(c, v, "linux.personality", "domain", &s->personality_domain) <
		    0)
			return -1;
		if (!s->personality_domain)
			return ib_spec_perr(c, "linux.personality", "domain", "required");
		if (strcmp(s->personality_domain, "LINUX") != 0 &&
		    strcmp(s->personality_domain, "LINUX32") != 0)
			return ib_spec_perr(c, "linux.personality", "domain",
					    "unknown domain \"%s\"", s->personality_domain);
	}
	return 0;
}
