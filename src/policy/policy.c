/* ib_policy_apply: every isolation rule, run between spec parsing and create
 * (DESIGN.md behaviours 1, 2 and 4). Refuses, or rewrites the spec: a user
 * namespace with an exclusive (or shared) ID range, a cgroup and a mount
 * namespace. Checks come first and the ID range is taken last, so a refused
 * spec leaves nothing behind. */
#include "policy/policy.h"

#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "policy/policy_int.h"

void ib_isolation_clear(struct ib_isolation *iso)
{
	if (!iso)
		return;
	free(iso->userns_path);
	memset(iso, 0, sizeof(*iso));
}

struct alive_ctx {
	const char *state_root;
};

static const char *idmap_dir;

void ib_policy_set_idmap_dir(const char *dir)
{
	idmap_dir = dir;
}

char *ib_policy_idmap_holder(const char *state_root, const char *id, const char **table_dir)
{
	*table_dir = idmap_dir ? idmap_dir : state_root;
	return idmap_dir ? ib_xasprintf("%s/%s", state_root, id) : ib_xstrdup(id);
}

/* A holder is alive while its state dir exists (holders are absolute state
 * dir paths when the table is host-wide) -- unless the dir records that its
 * container never got an init: the runtime was killed during create (the
 * allocator only asks once that runtime is gone). A dead holder's range is
 * still kept while any process uses its IDs (an init orphaned between
 * "created" and the final state save): see ib_idmap_range_in_use. */
static bool state_dir_alive(const char *holder, void *data)
{
	const struct alive_ctx *c = data;
	_cleanup_free_ char *p =
	    holder[0] == '/' ? ib_xstrdup(holder) : ib_xasprintf("%s/%s", c->state_root, holder);
	_cleanup_free_ char *state = ib_xasprintf("%s/state.json", p);
	struct json_object *o, *pid;
	struct stat st;
	bool alive = true;

	if (lstat(p, &st) < 0)
		return errno != ENOENT;
	o = json_object_from_file(state);
	if (!o)
		return access(state, F_OK) == 0 || errno != ENOENT ? true : false;
	if (json_object_object_get_ex(o, "pid", &pid) && json_object_get_int64(pid) <= 0)
		alive = false;
	json_object_put(o);
	return alive;
}

static int check_mappings(const struct ib_idmap *m, size_t n, const char *what, ib_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].size > 0 && m[i].host_id == 0)
			return ib_err_set(err, EPERM,
					  "user namespace mappings in config.json map container "
					  "root to host root; refused");
	(void)what;
	return 0;
}

static int check_overlap(const struct ib_idmap *m, size_t n, const char *state_root, const char *id,
			 ib_err *err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *holder = NULL;
		int r =
		    ib_idmap_find_overlap(state_root, m[i].host_id, m[i].size, id, &holder, err);
		if (r < 0)
			return -1;
		if (r > 0)
			return ib_err_set(err, EPERM,
					  "user namespace mappings in config.json overlap the "
					  "user-ID range of container %s; refused",
					  holder);
	}
	return 0;
}

/* "/proc/PID/ns/X" -> PID, else 0. */
static long proc_ns_pid(const char *path)
{
	_cleanup_free_ char *norm = NULL;
	char *end;
	long pid;

	if (strncmp(path, "/proc/", 6))
		return 0;
	norm = ib_policy_normalize(path);
	pid = strtol(norm + 6, &end, 10);
	if (end == norm + 6 || pid <= 0 || strncmp(end, "/ns/", 4) || strchr(end + 4, '/'))
		return 0;
	return pid;
}

struct join_target {
	bool found;
	dev_t dev;
	ino_t ino;
	long pid; /* a process in that user namespace, 0 if unknown */
	const char *via;
};

/* The user namespace owning the namespace at path: sets *owner (dev/ino);
 * returns 1 when it differs from the runtime's own user namespace, 0 when it
 * is the runtime's, -1 on error. */
static int ns_owner(const char *path, const struct stat *self_user, struct stat *owner, ib_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int ufd = -1;

	if (fd < 0)
		return ib_err_sys(err, "open namespace path `%s`", path);
	ufd = ioctl(fd, NS_GET_USERNS);
	if (ufd < 0)
		return ib_err_sys(err, "find the user namespace owning `%s`", path);
	if (fstat(ufd, owner) < 0)
		return ib_err_sys(err, "stat the user namespace owning `%s`", path);
	return !(owner->st_dev == self_user->st_dev && owner->st_ino == self_user->st_ino);
}

static int add_target(struct join_target *t, const struct stat *owner, const char *via, ib_err *err)
{
	long pid = proc_ns_pid(via);

	if (t->found && (t->dev != owner->st_dev || t->ino != owner->st_ino))
		return ib_err_set(err, EINVAL,
				  "the namespaces in config.json belong to different user "
				  "namespaces (%s and %s); refused",
				  t->via, via);
	if (!t->found) {
		t->found = true;
		t->dev = owner->st_dev;
		t->ino = owner->st_ino;
		t->via = via;
	}
	if (!t->pid && pid > 0) {
		_cleanup_free_ char *up = ib_xasprintf("/proc/%ld/ns/user", pid);
		struct stat st;
		if (stat(up, &st) == 0 && st.st_dev == t->dev && st.st_ino == t->ino)
			t->pid = pid;
	}
	return 0;
}

/* Which other container's user namespace must this one join (the owner of
 * the namespaces it joins, or the user namespace it names)? */
static int find_join_target(const struct ib_spec *s, struct join_target *t, ib_err *err)
{
	static const enum ib_ns_type joinable[] = {IB_NS_NET,	IB_NS_PID,    IB_NS_IPC, IB_NS_UTS,
						   IB_NS_MOUNT, IB_NS_CGROUP, IB_NS_TIME};
	struct stat self_user, owner;

	memset(t, 0, sizeof(*t));
	if (stat("/proc/self/ns/user", &self_user) < 0)
		return ib_err_sys(err, "stat /proc/self/ns/user");
	if (s->ns[IB_NS_USER].present && s->ns[IB_NS_USER].path) {
		const char *p = s->ns[IB_NS_USER].path;
		struct stat st;
		if (stat(p, &st) < 0)
			return ib_err_sys(err, "user namespace path `%s`", p);
		if (add_target(t, &st, p, err) < 0)
			return -1;
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(joinable); i++) {
		const struct ib_namespace *ns = &s->ns[joinable[i]];
		int r;

		if (!ns->present || !ns->path)
			continue;
		r = ns_owner(ns->path, &self_user, &owner, err);
		if (r < 0)
			return -1;
		/* Owned by the runtime's user namespace (e.g. a netns made by
		 * CNI): nothing to share, the container gets its own range. */
		if (r == 0)
			continue;
		if (add_target(t, &owner, ns->path, err) < 0)
			return -1;
	}
	if (t->found && !t->pid)
		return ib_err_set(err, EINVAL,
				  "cannot find the user namespace owning %s (give namespaces to "
				  "join as /proc/PID/ns/...)",
				  t->via);
	return 0;
}

/* First host ID of the single 0-based mapping in /proc/PID/uid_map. */
static int read_uid_map_base(long pid, uint32_t size, uint32_t *base, ib_err *err)
{
	_cleanup_free_ char *path = ib_xasprintf("/proc/%ld/uid_map", pid);
	_cleanup_free_ char *text = NULL;
	unsigned long long in, out, len;
	int consumed = 0;

	if (ib_read_file_at(AT_FDCWD, path, &text, NULL, err) < 0)
		return -1;
	if (sscanf(text, " %llu %llu %llu %n", &in, &out, &len, &consumed) != 3 || in != 0 ||
	    len != size || text[consumed] != '\0' || out == 0 || out > UINT32_MAX)
		return ib_err_set(err, EINVAL,
				  "the user namespace of process %ld is not an ironbox container's "
				  "(uid_map: %s)",
				  pid, text);
	*base = (uint32_t)out;
	return 0;
}

static void set_mappings(struct ib_idmap **m, size_t *n, uint32_t base, uint32_t size)
{
	free(*m);
	*m = ib_xmalloc0(sizeof(**m));
	(*m)->container_id = 0;
	(*m)->host_id = base;
	(*m)->size = size;
	*n = 1;
}

static void set_ns(struct ib_namespace *ns, const char *path)
{
	char *copy = ib_xstrdup(path);
	free(ns->path);
	ns->path = copy;
	ns->present = true;
}

int ib_policy_apply(const struct ib_policy *p, struct ib_spec *s, const char *state_root,
		    const char *id, struct ib_isolation *out, ib_err *err)
{
	const char *table_dir;
	_cleanup_free_ char *holder = ib_policy_idmap_holder(state_root, id, &table_dir);
	struct join_target target;
	struct alive_ctx actx = {.state_root = state_root};
	_cleanup_free_ char *userns_path = NULL;
	uint32_t base = 0;

	memset(out, 0, sizeof(*out));

	/* (1) host namespaces. */
	if (ib_policy_check_namespaces(s, err) < 0)
		return -1;

	/* (2) host mounts: every host path opened once and decided on (ironbox's
	 * own state root is restricted too); create mounts what was decided on. */
	if (ib_policy_open_mounts(p, s, state_root, err) < 0)
		return -1;

	/* (3) the spec's own mappings may not reach host root. */
	if (check_mappings(s->uid_mappings, s->n_uid_mappings, "uid", err) < 0 ||
	    check_mappings(s->gid_mappings, s->n_gid_mappings, "gid", err) < 0)
		return -1;

	/* (4) user namespace: share the one of the container we join, or a
	 * fresh exclusive range. */
	if (find_join_target(s, &target, err) < 0)
		return -1;
	if (target.found) {
		userns_path = ib_xasprintf("/proc/%ld/ns/user", target.pid);
		if (read_uid_map_base(target.pid, p->pool.size, &base, err) < 0)
			return ib_err_wrap(err, "join the user namespace of %s", target.via);
		if (ib_idmap_share(table_dir, &p->pool, holder, base, err) < 0)
			return ib_err_wrap(err, "join the user namespace of %s", target.via);
	} else {
		if (check_overlap(s->uid_mappings, s->n_uid_mappings, table_dir, holder, err) < 0 ||
		    check_overlap(s->gid_mappings, s->n_gid_mappings, table_dir, holder, err) < 0)
			return -1;
		if (ib_idmap_alloc(table_dir, &p->pool, holder, state_dir_alive, &actx, &base,
				   err) < 0)
			return -1;
	}

	/* Nothing below can fail: the range is never left behind. */
	if (userns_path) {
		set_ns(&s->ns[IB_NS_USER], userns_path);
	} else {
		free(s->ns[IB_NS_USER].path);
		s->ns[IB_NS_USER].path = NULL;
		s->ns[IB_NS_USER].present = true;
	}
	set_mappings(&s->uid_mappings, &s->n_uid_mappings, base, p->pool.size);
	set_mappings(&s->gid_mappings, &s->n_gid_mappings, base, p->pool.size);

	/* (5) cgroup and mount namespaces. */
	s->ns[IB_NS_CGROUP].present = true;
	s->ns[IB_NS_MOUNT].present = true;

	out->host_base = base;
	out->size = p->pool.size;
	out->shared_userns = userns_path != NULL;
	out->userns_path = IB_STEAL(userns_path);
	ib_debug("container %s: user-ID range %" PRIu32 "+%" PRIu32 "%s%s", id, base, p->pool.size,
		 out->shared_userns ? ", shared with " : "",
		 out->shared_userns ? out->userns_path : "");
	return 0;
}
