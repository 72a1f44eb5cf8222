/* The admin policy file: defaults, parser, loader (see policy.h for the
 * format). */
#include "policy/policy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "policy/policy_int.h"

#define DEFAULT_BASE 100000u
#define DEFAULT_SIZE 65536u
#define DEFAULT_COUNT 1024u

static const char *const default_restricted[] = {
    /* Engine configuration. */
    "/etc/docker",
    "/etc/containerd",
    "/etc/containers",
    "/etc/crio",
    /* Engine sockets and run directories. */
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/docker",
    "/run/docker",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/podman",
    "/run/podman",
    "/var/run/crio",
    "/run/crio",
    "/run/containers",
    /* Engine data roots (their per-container files: see engineAllowed). */
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    /* ironbox's own policy and state. */
    "/etc/ironbox",
    "/run/ironbox",
    "/var/run/ironbox",
    "/var/lib/ironbox",
    /* The kernel and the host's devices and kernel interfaces
     * (/lib/modules: readOnlyMounts). */
    "/boot",
    "/dev",
    "/proc",
    "/sys",
};

/* The shared host directories (Docker Desktop's "File sharing"): user data,
 * never system directories -- an ID-mapped bind is written as host root.
 * Files: the init binaries engines bind for `--init` (the link or its target
 * may be named: entries are compared by the object they name too). */
static const char *const default_allowed[] = {
    "/home",
    "/tmp",
    "/var/tmp",
    "/mnt",
    "/srv",
    "/opt",
    "/media",
    "/run/media",
    /* Kubernetes: the kubelet's per-pod files and volumes. */
    "/var/lib/kubelet/pods",
    /* docker run --init (docker-init, wherever dockerd finds it). */
    "/usr/bin/docker-init",
    "/usr/sbin/docker-init",
    "/usr/local/bin/docker-init",
    "/usr/libexec/docker/docker-init",
    "/usr/local/libexec/docker/docker-init",
    "/usr/lib/docker/docker-init",
    "/usr/local/lib/docker/docker-init",
    /* podman run --init (catatonit). */
    "/usr/libexec/podman/catatonit",
    "/usr/bin/catatonit",
    "/usr/local/libexec/podman/catatonit",
};

/* Offered read-only: the kernel's modules, which a Kubernetes node (kind,
 * k3s) binds at /lib/modules to learn what the kernel has (kube-proxy,
 * CNI plugins); writing there would change the host's modules. An admin
 * who does not want to show them removes them (a parent of them is still
 * refused as restricted). */
static const char *const default_read_only[] = {
    "/lib/modules",
    "/usr/lib/modules",
};

/* Relative patterns: matched below the restricted entry a path lies in. */
static const char *const default_engine_allowed[] = {
    /* Docker (data root /var/lib/docker or any data root an admin restricts). */
    "containers/*/resolv.conf",
    "containers/*/hostname",
    "containers/*/hosts",
    "containers/*/mounts/*",
    "volumes/*/_data",
    /* Podman / CRI-O (containers/storage graph root and run root). */
    "storage/overlay-containers/*/userdata/resolv.conf",
    "storage/overlay-containers/*/userdata/hosts",
    "storage/overlay-containers/*/userdata/hostname",
    "storage/overlay-containers/*/userdata/.containerenv",
    "storage/overlay-containers/*/userdata/run/secrets",
    "storage/overlay-containers/*/userdata/shm",
    "storage/volumes/*/_data",
    /* containerd CRI (Kubernetes). */
    "io.containerd.grpc.v1.cri/sandboxes/*/hosts",
    "io.containerd.grpc.v1.cri/sandboxes/*/hostname",
    "io.containerd.grpc.v1.cri/sandboxes/*/resolv.conf",
    "io.containerd.grpc.v1.cri/sandboxes/*/shm",
    "io.containerd.grpc.v1.cri/containers/*/volumes/*",
};

/* Relative patterns too: a container's root filesystem (and the layers of
 * the overlay mounted there) inside an engine's data or run directory. */
static const char *const default_engine_rootfs[] = {
    /* Docker graph drivers (data root /var/lib/docker). */
    "overlay2/*",
    "fuse-overlayfs/*",
    "vfs/dir/*",
    "btrfs/subvolumes/*",
    "zfs/graph/*",
    /* Docker with the containerd image store. */
    "rootfs/overlayfs/*",
    "containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/*",
    "containerd/daemon/io.containerd.snapshotter.v1.native/snapshots/*",
    /* containerd (and Kubernetes through CRI): task rootfs under the state
     * dir (/run/containerd), snapshots under the root (/var/lib/containerd). */
    "io.containerd.runtime.v2.task/*/*/rootfs",
    "io.containerd.snapshotter.v1.overlayfs/snapshots/*",
    "io.containerd.snapshotter.v1.native/snapshots/*",
    "io.containerd.snapshotter.v1.btrfs/snapshots/*",
    "io.containerd.snapshotter.v1.fuse-overlayfs/snapshots/*",
    /* Podman, CRI-O, Buildah (containers/storage graph root and run root). */
    "storage/overlay/*",
    "storage/vfs/dir/*",
    "storage/btrfs/subvolumes/*",
};

static char **strv_from(const char *const *v, size_t n)
{
	char **r = ib_xmalloc0((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = ib_xstrdup(v[i]);
	return r;
}

struct ib_policy *ib_policy_default(void)
{
	struct ib_policy *p = ib_xmalloc0(sizeof(*p));

	p->pool.base = DEFAULT_BASE;
	p->pool.size = DEFAULT_SIZE;
	p->pool.count = DEFAULT_COUNT;
	p->restricted_mounts = strv_from(default_restricted, IB_ARRAY_SIZE(default_restricted));
	p->allowed_mounts = strv_from(default_allowed, IB_ARRAY_SIZE(default_allowed));
	p->read_only_mounts = strv_from(default_read_only, IB_ARRAY_SIZE(default_read_only));
	p->engine_allowed =
	    strv_from(default_engine_allowed, IB_ARRAY_SIZE(default_engine_allowed));
	p->engine_rootfs = strv_from(default_engine_rootfs, IB_ARRAY_SIZE(default_engine_rootfs));
	p->enforce = true;
	for (size_t i = 0; i < ib_n_knobs; i++)
		p->sysctl_max[i] = ib_knobs[i].ceiling;
	return p;
}

void ib_policy_free(struct ib_policy *p)
{
	if (!p)
		return;
	ib_strv_free(p->restricted_mounts);
	ib_strv_free(p->allowed_mounts);
	ib_strv_free(p->read_only_mounts);
	ib_strv_free(p->engine_allowed);
	ib_strv_free(p->engine_rootfs);
	free(p);
}

char *ib_policy_normalize(const char *path)
{
	size_t len = strlen(path);
	char *out = ib_xmalloc0(len + 2);
	size_t o = 0;
	const char *p = path;

	out[o++] = '/';
	while (*p) {
		const char *start, *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		end = strchrnul(p, '/');
		n = (size_t)(end - start);
		p = end;
		if (n == 1 && start[0] == '.')
			continue;
		if (n == 2 && start[0] == '.' && start[1] == '.') {
			/* Pop the last component (".." of "/" is "/"). */
			while (o > 1 && out[o - 1] != '/')
				o--;
			if (o > 1)
				o--;
			continue;
		}
		if (o > 1)
			out[o++] = '/';
		memcpy(out + o, start, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

static int parse_paths(struct json_object *arr, const char *key, bool patterns, char ***out,
		       ib_err *err)
{
	_cleanup_strv_ char **v = ib_xmalloc0(sizeof(char *));
	size_t n;

	if (!json_object_is_type(arr, json_type_array))
		return ib_err_set(err, EINVAL, "policy: \"%s\" must be an array of strings", key);
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *s;

		if (!json_object_is_type(e, json_type_string))
			return ib_err_set(err, EINVAL, "policy: \"%s\" must be an array of strings",
					  key);
		s = json_object_get_string(e);
		if (!*s)
			return ib_err_set(err, EINVAL, "policy: empty entry in \"%s\"", key);
		if (patterns) {
			if (strstr(s, "..") &&
			    (!strcmp(s, "..") || !strncmp(s, "../", 3) || strstr(s, "/../") ||
			     (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "/..")))) {
				return ib_err_set(
				    err, EINVAL, "policy: \"%s\" entry `%s` may not contain \"..\"",
				    key, s);
			}
			ib_strv_push(&v, s);
		} else {
			_cleanup_free_ char *norm = NULL;
			if (s[0] != '/')
				return ib_err_set(
				    err, EINVAL,
				    "policy: \"%s\" entry `%s` is not an absolute path", key, s);
			norm = ib_policy_normalize(s);
			ib_strv_push(&v, norm);
		}
	}
	*out = IB_STEAL(v);
	return 0;
}

static int get_uint32(struct json_object *o, const char *key, uint64_t max, uint32_t *out,
		      ib_err *err)
{
	int64_t v;

	if (!json_object_is_type(o, json_type_int))
		return ib_err_set(err, EINVAL, "policy: \"idRanges.%s\" must be an integer", key);
	errno = 0;
	v = json_object_get_int64(o);
	if (errno || v < 0 || (uint64_t)v > max)
		return ib_err_set(err, EINVAL, "policy: \"idRanges.%s\" is out of range", key);
	*out = (uint32_t)v;
	return 0;
}

static int parse_id_ranges(struct json_object *o, struct ib_idpool *pool, ib_err *err)
{
	if (!json_object_is_type(o, json_type_object))
		return ib_err_set(err, EINVAL, "policy: \"idRanges\" must be an object");
	json_object_object_foreach(o, key, val)
	{
		uint32_t *dst;
		if (!strcmp(key, "base"))
			dst = &pool->base;
		else if (!strcmp(key, "size"))
			dst = &pool->size;
		else if (!strcmp(key, "count"))
			dst = &pool->count;
		else
			return ib_err_set(err, EINVAL, "policy: unknown key \"idRanges.%s\"", key);
		if (get_uint32(val, key, UINT32_MAX, dst, err) < 0)
			return -1;
	}
	if (pool->size != 65536)
		return ib_err_set(err, EINVAL,
				  "policy: \"idRanges.size\" must be 65536 (each container gets a "
				  "64K range), not %u",
				  pool->size);
	if (pool->base < IB_IDMAP_MIN_BASE)
		return ib_err_set(
		    err, EINVAL,
		    "policy: \"idRanges.base\" must be at least %u (lower IDs belong to "
		    "host users and groups), not %u",
		    IB_IDMAP_MIN_BASE, pool->base);
	if (pool->count == 0)
		return ib_err_set(err, EINVAL, "policy: \"idRanges.count\" must be at least 1");
	if ((uint64_t)pool->base + (uint64_t)pool->size * pool->count > UINT32_MAX)
		return ib_err_set(
		    err, EINVAL,
		    "policy: \"idRanges\" (base %u + %u ranges of %u) goes beyond the "
		    "32-bit ID space",
		    pool->base, pool->count, pool->size);
	return 0;
}

/* "sysctlMaximums": {"<max-reconciled knob>": <integer in its range>, ...};
 * the knobs not named keep their defaults. */
static int parse_sysctl_max(struct json_object *o, int64_t *max, ib_err *err)
{
	if (!json_object_is_type(o, json_type_object))
		return ib_err_set(err, EINVAL,
				  "policy: \"sysctlMaximums\" must be an object of knob names and "
				  "integers");
	json_object_object_foreach(o, key, val)
	{
		const struct ib_knob *k = ib_knob_by_name(key);
		int64_t v;

		if (!k)
			return ib_err_set(err, EINVAL,
					  "policy: \"sysctlMaximums\": unknown knob \"%s\"", key);
		if (k->rule != IB_KNOB_MAX)
			return ib_err_set(err, EINVAL,
					  "policy: \"sysctlMaximums\": %s is not a max-reconciled "
					  "knob (containers never change the host's)",
					  key);
		if (!json_object_is_type(val, json_type_int))
			return ib_err_set(err, EINVAL,
					  "policy: \"sysctlMaximums.%s\" must be an integer", key);
		/* json-c keeps integers above INT64_MAX as unsigned: no clamping. */
		errno = 0;
		v = json_object_get_int64(val);
		if (errno || (v >= 0 && (uint64_t)v != json_object_get_uint64(val)) || v < k->min ||
		    v > k->max)
			return ib_err_set(
			    err, EINVAL,
			    "policy: \"sysctlMaximums.%s\" is out of the knob's range "
			    "[%" PRId64 ", %" PRId64 "]",
			    key, k->min, k->max);
		max[k - ib_knobs] = v;
	}
	return 0;
}

struct ib_policy *ib_policy_parse(const char *json_text, ib_err *err)
{
	struct json_object *doc;
	enum json_tokener_error jerr;
	struct ib_policy *p = NULL;

	doc = ib_json_parse_doc(json_text, strlen(json_text), &jerr);
	if (!doc) {
		ib_err_set(err, EINVAL, "policy: invalid JSON: %s", json_tokener_error_desc(jerr));
		return NULL;
	}
	if (!json_object_is_type(doc, json_type_object)) {
		ib_err_set(err, EINVAL, "policy: the top level must be an object");
		goto fail;
	}
	p = ib_policy_default();
	json_object_object_foreach(doc, key, val)
	{
		int r;
		if (!strcmp(key, "idRanges")) {
			r = parse_id_ranges(val, &p->pool, err);
			p->pool_configured = true;
		} else if (!strcmp(key, "restrictedMounts")) {
			ib_strv_free(p->restricted_mounts);
			p->restricted_mounts = NULL;
			r = parse_paths(val, key, false, &p->restricted_mounts, err);
		} else if (!strcmp(key, "allowedMounts")) {
			ib_strv_free(p->allowed_mounts);
			p->allowed_mounts = NULL;
			r = parse_paths(val, key, false, &p->allowed_mounts, err);
		} else if (!strcmp(key, "readOnlyMounts")) {
			ib_strv_free(p->read_only_mounts);
			p->read_only_mounts = NULL;
			r = parse_paths(val, key, false, &p->read_only_mounts, err);
		} else if (!strcmp(key, "engineAllowed")) {
			ib_strv_free(p->engine_allowed);
			p->engine_allowed = NULL;
			r = parse_paths(val, key, true, &p->engine_allowed, err);
		} else if (!strcmp(key, "engineRootfs")) {
			ib_strv_free(p->engine_rootfs);
			p->engine_rootfs = NULL;
			r = parse_paths(val, key, true, &p->engine_rootfs, err);
		} else if (!strcmp(key, "sysctlMaximums")) {
			r = parse_sysctl_max(val, p->sysctl_max, err);
		} else if (!strcmp(key, "enforce")) {
			r = 0;
			if (json_object_is_type(val, json_type_boolean))
				p->enforce = json_object_get_boolean(val);
			else
				r = ib_err_set(err, EINVAL,
					       "policy: \"enforce\" must be true or false");
		} else {
			r = ib_err_set(err, EINVAL, "policy: unknown key \"%s\"", key);
		}
		if (r < 0)
			goto fail;
	}
	json_object_put(doc);
	return p;
fail:
	json_object_put(doc);
	ib_policy_free(p);
	return NULL;
}

/* A root-owned directory that others cannot write to (or that is sticky). */
static int check_dir(const char *file, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(file);
	const char *dir = dirname(copy);
	struct stat st;

	if (stat(dir, &st) < 0)
		return ib_err_sys(err, "stat `%s`", dir);
	if (st.st_uid != 0 || ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)))
		return ib_err_set(err, EPERM,
				  "policy directory %s is writable by non-root users; refusing to "
				  "run",
				  dir);
	return 0;
}

struct ib_policy *ib_policy_load(const char *path, ib_err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	struct ib_policy *p;
	struct stat st;

	if (!path)
		path = IB_POLICY_DEFAULT_PATH;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return ib_policy_default();
		if (errno == ELOOP)
			ib_err_set(err, EPERM, "policy file %s is a symbolic link; refusing to run",
				   path);
		else
			ib_err_sys(err, "open policy file `%s`", path);
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		ib_err_sys(err, "stat `%s`", path);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		ib_err_set(err, EPERM, "policy file %s is not a regular file; refusing to run",
			   path);
		return NULL;
	}
	if (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		ib_err_set(err, EPERM,
			   "policy file %s is writable by non-root users; refusing to run", path);
		return NULL;
	}
	if (check_dir(path, err) < 0)
		return NULL;
	if (st.st_size > (1 << 20)) {
		ib_err_set(err, EFBIG, "policy file %s is too large", path);
		return NULL;
	}
	text = ib_xmalloc0((size_t)st.st_size + 1);
	if (ib_read_all(fd, text, (size_t)st.st_size) < 0) {
		ib_err_sys(err, "read `%s`", path);
		return NULL;
	}
	p = ib_policy_parse(text, err);
	/* An admin's pool may not overlap the host's accounts (the built-in one
	 * skips those ranges instead: see idmap.h). */
	if (p && p->pool_configured && ib_idmap_check_pool_host(&p->pool, err) < 0) {
		ib_policy_free(p);
		p = NULL;
	}
	if (!p)
		ib_err_wrap(err, "%s", path);
	return p;
}

static struct json_object *strv_json(char **v)
{
	struct json_object *a = json_object_new_array();
	for (size_t i = 0; v && v[i]; i++)
		json_object_array_add(a, json_object_new_string(v[i]));
	return a;
}

/* The pool policy-init writes: the built-in one, moved up by whole ranges
 * past the host's accounts and subordinate ranges when they are in the way
 * (a written pool is checked when loaded; the built-in one only skips). */
static void pool_clear_of_host(struct ib_idpool *pool)
{
	const struct ib_idpool def = *pool;

	for (uint64_t base = def.base; base + (uint64_t)def.size * def.count <= UINT32_MAX;
	     base += def.size) {
		ib_err e = {0};
		pool->base = (uint32_t)base;
		if (ib_idmap_check_pool_host(pool, &e) == 0)
			return;
	}
	*pool = def;
}

char *ib_policy_default_json(void)
{
	struct ib_policy *p = ib_policy_default();
	struct json_object *doc = json_object_new_object(), *ids = json_object_new_object();
	char *out;

	pool_clear_of_host(&p->pool);
	json_object_object_add(ids, "base", json_object_new_int64(p->pool.base));
	json_object_object_add(ids, "size", json_object_new_int64(p->pool.size));
	json_object_object_add(ids, "count", json_object_new_int64(p->pool.count));
	json_object_object_add(doc, "idRanges", ids);
	json_object_object_add(doc, "restrictedMounts", strv_json(p->restricted_mounts));
	json_object_object_add(doc, "allowedMounts", strv_json(p->allowed_mounts));
	json_object_object_add(doc, "readOnlyMounts", strv_json(p->read_only_mounts));
	json_object_object_add(doc, "engineAllowed", strv_json(p->engine_allowed));
	json_object_object_add(doc, "engineRootfs", strv_json(p->engine_rootfs));
	json_object_object_add(doc, "enforce", json_object_new_boolean(p->enforce));
	{
		struct json_object *m = json_object_new_object();

		for (size_t i = 0; i < ib_n_knobs; i++)
			if (ib_knobs[i].rule == IB_KNOB_MAX)
				json_object_object_add(m, ib_knobs[i].name,
						       json_object_new_int64(p->sysctl_max[i]));
		json_object_object_add(doc, "sysctlMaximums", m);
	}
	out = ib_xasprintf("%s\n", json_object_to_json_string_ext(
				       doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	ib_policy_free(p);
	return out;
}
