#include "linux/rootfs.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"
#include "supervisor/supervisor.h"

#define RESOLVE_INSIDE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int open_in_root(int root_fd, const char *path, int flags)
{
	return ib_openat2(root_fd, path, (uint64_t)(flags | O_CLOEXEC), RESOLVE_INSIDE);
}

int ib_rootfs_open_dest(int root_fd, const char *path, bool want_file, ib_err *err)
{
	_cleanup_free_ char *rel = ib_xstrdup(path);
	_cleanup_close_ int parent = -1;
	char *p = rel;
	int fd;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return open_in_root(root_fd, ".", O_PATH);
	fd = open_in_root(root_fd, p, O_PATH);
	if (fd >= 0)
		return fd;
	if (errno != ENOENT)
		return ib_err_sys(err, "open `%s` in rootfs", path);
	/* Walk the prefixes: each one is resolved from the root again so that a
	 * symlink anywhere on the way stays inside the rootfs. */
	parent = open_in_root(root_fd, ".", O_PATH | O_DIRECTORY);
	if (parent < 0)
		return ib_err_sys(err, "open rootfs");
	for (char *comp = p;;) {
		char *slash = strchr(comp, '/');
		bool last;
		int next;

		while (slash && slash[1] == '/')
			*slash++ = '\0';
		if (slash)
			*slash = '\0';
		last = !slash || slash[1] == '\0';
		next = open_in_root(root_fd, p, O_PATH);
		if (next < 0 && errno == ENOENT) {
			int r;
			if (last && want_file) {
				r = openat(parent, comp,
					   O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					   0644);
				if (r >= 0)
					close(r);
			} else {
				r = mkdirat(parent, comp, 0755);
			}
			if (r < 0 && errno != EEXIST)
				return ib_err_sys(err, "create `%s` in rootfs", p);
			next = open_in_root(root_fd, p, O_PATH);
		}
		if (next < 0)
			return ib_err_sys(err, "open `%s` in rootfs", p);
		close(parent);
		parent = next;
		if (last)
			break;
		*slash = '/';
		comp = slash + 1;
	}
	return IB_STEAL_FD(parent);
}

static int attach(int mnt_fd, int dest_fd)
{
	return ib_move_mount(mnt_fd, "", dest_fd, "",
			     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* A new filesystem instance (proc, tmpfs, sysfs, mqueue, devpts, ...) as a
 * detached mount, its data options passed one by one. */
static int new_fs(const char *type, const char *source, const char *data, unsigned attrs,
		  ib_err *err)
{
	_cleanup_close_ int fsfd = ib_fsopen(type, FSOPEN_CLOEXEC);
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int mfd;

	if (fsfd < 0)
		return ib_err_sys(err, "fsopen %s", type);
	if (source && *source)
		(void)ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0);
	copy = ib_xstrdup(data ? data : "");
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(o, '=');
		int r;

		if (eq) {
			*eq = '\0';
			r = ib_fsconfig(fsfd, FSCONFIG_SET_STRING, o, eq + 1, 0);
		} else {
			r = ib_fsconfig(fsfd, FSCONFIG_SET_FLAG, o, NULL, 0);
		}
		if (r < 0)
			return ib_err_sys(err, "%s option `%s`", type, o);
	}
	if (ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ib_err_sys(err, "create %s", type);
	mfd = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return ib_err_sys(err, "fsmount %s", type);
	return mfd;
}

/* A recursive bind of a path of the current mount namespace (before the
 * pivot this is the host's tree as copied into ours). */
static int clone_tree(const char *path, unsigned attrs, ib_err *err)
{
	_cleanup_close_ int t =
	    ib_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	struct mount_attr a = {.attr_set = attrs};

	if (t < 0)
		return ib_err_sys(err, "open_tree `%s`", path);
	if (attrs && ib_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
		return ib_err_sys(err, "set attributes on `%s`", path);
	return IB_STEAL_FD(t);
}

static int set_propagation(int mnt_fd, unsigned long prop, ib_err *err)
{
	struct mount_attr a = {.propagation = prop & ~(unsigned long)MS_REC};

	if (!prop)
		return 0;
	if (ib_mount_setattr(mnt_fd, "", AT_EMPTY_PATH | ((prop & MS_REC) ? AT_RECURSIVE : 0), &a) <
	    0)
		return ib_err_sys(err, "set mount propagation");
	return 0;
}

/* /sys/fs/cgroup for the container: a tmpfs holding, per v1 hierarchy, a
 * bind of the container's own cgroup directory (the root of its cgroup
 * namespace), and the unified tree. */
static int mount_cgroup(struct ib_rootfs_ctx *c, const struct ib_mount *m, int dest_fd, ib_err *err)
{
	const struct ib_cgroup *cg = c->cg;
	unsigned attrs = ib_mount_attrs_from_flags(m->flags);
	_cleanup_close_ int tmp = -1;

	if (!cg)
		return 0;
	if (cg->mode == IB_CGROUP_V2) {
		_cleanup_close_ int t = clone_tree(cg->v2_dir, attrs, err);
		return t < 0 || attach(t, dest_fd) < 0 ? ib_err_sys(err, "attach cgroup2") : 0;
	}
	tmp = new_fs("tmpfs", "cgroup", "mode=755", attrs & ~MOUNT_ATTR_RDONLY, err);
	if (tmp < 0 || attach(tmp, dest_fd) < 0)
		return tmp < 0 ? -1 : ib_err_sys(err, "attach cgroup tmpfs");
	for (size_t i = 0; cg->v1_dirs && cg->v1_dirs[i]; i++) {
		const char *dir = cg->v1_dirs[i];
		size_t dl = strlen(dir), pl = strlen(cg->path);
		_cleanup_free_ char *mnt = NULL;
		_cleanup_close_ int sub = -1, t = -1;
		const char *name;

		if (strcmp(cg->path, "/") == 0)
			pl = 0;
		if (dl < pl)
			continue;
		mnt = strndup(dir, dl - pl);
		name = strrchr(mnt, '/');
		name = name ? name + 1 : mnt;
		if (!*name)
			continue;
		if (mkdirat(tmp, name, 0755) < 0 && errno != EEXIST)
			return ib_err_sys(err, "mkdir cgroup `%s`", name);
		sub = ib_openat2(tmp, name, O_PATH | O_CLOEXEC, RESOLVE_INSIDE);
		t = clone_tree(dir, attrs, err);
		if (sub < 0 || t < 0 || attach(t, sub) < 0)
			return t < 0 ? -1 : ib_err_sys(err, "mount cgroup `%s`", name);
		/* cpu -> cpu,cpuacct like the host's layout. */
		if (strchr(name, ',')) {
			_cleanup_free_ char *parts = ib_xstrdup(name);
			char *save = NULL;
			for (char *s = strtok_r(parts, ",", &save); s;
			     s = strtok_r(NULL, ",", &save))
				(void)symlinkat(name, tmp, s);
		}
	}
	if (cg->v2_dir) {
		_cleanup_close_ int sub = -1, t = -1;
		if (mkdirat(tmp, "unified", 0755) < 0 && errno != EEXIST)
			return ib_err_sys(err, "mkdir cgroup unified");
		sub = ib_openat2(tmp, "unified", O_PATH | O_CLOEXEC, RESOLVE_INSIDE);
		t = clone_tree(cg->v2_dir, attrs, err);
		if (sub < 0 || t < 0 || attach(t, sub) < 0)
			return t < 0 ? -1 : ib_err_sys(err, "mount cgroup unified");
	}
	if (attrs & MOUNT_ATTR_RDONLY) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (ib_mount_setattr(tmp, "", AT_EMPTY_PATH, &a) < 0)
			return ib_err_sys(err, "make cgroup tmpfs read-only");
	}
	return 0;
}

static bool is_type(const struct ib_mount *m, const char *t)
{
	return m->type && strcmp(m->type, t) == 0;
}

static int mount_one(struct ib_rootfs_ctx *c, size_t i, ib_err *err)
{
	const struct ib_mount *m = &c->spec->mounts[i];
	int prepared = c->pm->mount_fds[i];
	bool file = false;
	_cleanup_close_ int dest = -1, mfd = -1;

	if (prepared >= 0) {
		struct stat st;
		file = fstat(prepared, &st) == 0 && !S_ISDIR(st.st_mode);
	}
	dest = ib_rootfs_open_dest(c->pm->rootfs_fd, m->destination, file, err);
	if (dest < 0)
		return -1;
	if (is_type(m, "cgroup") && prepared < 0)
		return mount_cgroup(c, m, dest, err);
	if (prepared >= 0) {
		if (attach(prepared, dest) < 0)
			return ib_err_sys(err, "attach");
		mfd = IB_STEAL_FD(c->pm->mount_fds[i]);
	} else if (ib_mount_is_staged(m)) {
		/* Host paths are mounted only as the runtime prepared them. */
		return ib_err_set(err, EINVAL, "%s mount was not prepared",
				  ib_mount_is_bind(m) ? "bind" : "overlay");
	} else {
		unsigned attrs = ib_mount_attrs_from_flags(m->flags);
		const char *type = m->type ? m->type : "";

		mfd = new_fs(type, m->source, m->data, attrs, err);
		if (mfd < 0 && strcmp(type, "sysfs") == 0) {
			/* The net namespace is not ours to show: bind the
			 * existing /sys read-only instead (like rootless runc). */
			ib_err_clear(err);
			mfd = clone_tree("/sys",
					 attrs | MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					     MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
					 err);
		} else if (mfd < 0 && strcmp(type, "cgroup2") == 0 && c->cg && c->cg->v2_dir) {
			ib_err_clear(err);
			mfd = clone_tree(c->cg->v2_dir, attrs, err);
		}
		if (mfd < 0)
			return -1;
		if (attach(mfd, dest) < 0)
			return ib_err_sys(err, "attach");
	}
	return set_propagation(mfd, m->propagation, err);
}

/* The supervisor's views of non-namespaced /proc files go over the
 * container's own proc (only where /proc is a proc mount). */
static int mount_procview(struct ib_rootfs_ctx *c, ib_err *err)
{
	for (size_t i = 0; i < c->n_procview && ib_supervisor_files[i]; i++) {
		_cleanup_free_ char *path = ib_xasprintf("proc/%s", ib_supervisor_files[i]);
		_cleanup_close_ int dest = ib_openat2(c->pm->rootfs_fd, path, O_PATH | O_CLOEXEC,
						      RESOLVE_INSIDE);

		if (dest < 0)
			return ib_err_sys(err, "emulated /%s", path);
		if (attach(c->procview_fds[i], dest) < 0)
			return ib_err_sys(err, "mount emulated /%s", path);
	}
	return 0;
}

static int make_dev_symlinks(int root_fd, bool have_devpts, ib_err *err)
{
	static const char *const links[][2] = {
	    {"/proc/self/fd", "fd"},
	    {"/proc/self/fd/0", "stdin"},
	    {"/proc/self/fd/1", "stdout"},
	    {"/proc/self/fd/2", "stderr"},
	};
	_cleanup_close_ int dev = open_in_root(root_fd, "dev", O_PATH | O_DIRECTORY);

	if (dev < 0)
		return 0; /* no /dev in this rootfs: nothing to link */
	for (size_t i = 0; i < IB_ARRAY_SIZE(links); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return ib_err_sys(err, "symlink /dev/%s", links[i][1]);
	if (have_devpts) {
		struct stat st;
		if (fstatat(dev, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
			(void)unlinkat(dev, "ptmx", 0);
		if (symlinkat("pts/ptmx", dev, "ptmx") < 0 && errno != EEXIST)
			return ib_err_sys(err, "symlink /dev/ptmx");
	}
	return 0;
}

static int mount_devices(struct ib_rootfs_ctx *c, bool have_devpts, ib_err *err)
{
	for (size_t i = 0; i < c->pm->n_devices; i++) {
		const struct ib_device *d = &c->pm->devices[i];
		_cleanup_close_ int dest = -1;

		if (c->pm->device_fds[i] < 0)
			continue;
		if (have_devpts && strcmp(d->path, "/dev/ptmx") == 0)
			continue;
		dest = ib_rootfs_open_dest(c->pm->rootfs_fd, d->path, true, err);
		if (dest < 0)
			return ib_err_wrap(err, "device %s", d->path);
		if (attach(c->pm->device_fds[i], dest) < 0)
			return ib_err_sys(err, "mount device %s", d->path);
		close(c->pm->device_fds[i]);
		c->pm->device_fds[i] = -1;
	}
	return 0;
}

int ib_rootfs_mount_all(struct ib_rootfs_ctx *c, ib_err *err)
{
	const struct ib_spec *s = c->spec;
	bool have_devpts = false;

	/* Nothing we do may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return ib_err_sys(err, "make / a slave mount");
	if (attach(c->pm->rootfs_fd, c->target_fd) < 0)
		return ib_err_sys(err, "mount rootfs %s", s->root_path);
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];

		if (mount_one(c, i, err) < 0)
			return ib_err_wrap(err, "error mounting \"%s\" to rootfs at \"%s\"",
					   m->source ? m->source
					   : m->type ? m->type
						     : "",
					   m->destination);
		if (is_type(m, "devpts") && strcmp(m->destination, "/dev/pts") == 0)
			have_devpts = true;
		if (is_type(m, "proc") && strcmp(m->destination, "/proc") == 0 &&
		    mount_procview(c, err) < 0)
			return -1;
	}
	if (mount_devices(c, have_devpts, err) < 0)
		return -1;
	return make_dev_symlinks(c->pm->rootfs_fd, have_devpts, err);
}

int ib_rootfs_pivot(struct ib_rootfs_ctx *c, ib_err *err)
{
	if (fchdir(c->pm->rootfs_fd) < 0)
		return ib_err_sys(err, "chdir to rootfs");
	if (c->no_pivot) {
		if (ib_move_mount(AT_FDCWD, ".", AT_FDCWD, "/", 0) < 0)
			return ib_err_sys(err, "move rootfs to /");
		if (chroot(".") < 0)
			return ib_err_sys(err, "chroot");
	} else {
		if (ib_pivot_root(".", ".") < 0)
			return ib_err_sys(err, "pivot_root");
		/* The old root now sits on top of the new one: detach it. */
		if (mount(NULL, ".", NULL, MS_REC | MS_SLAVE, NULL) < 0)
			return ib_err_sys(err, "make old root a slave");
		if (umount2(".", MNT_DETACH) < 0)
			return ib_err_sys(err, "unmount old root");
	}
	if (chdir("/") < 0)
		return ib_err_sys(err, "chdir /");
	return 0;
}

static int write_sysctl(const struct ib_sysctl *sc, ib_err *err)
{
	_cleanup_free_ char *path = ib_xasprintf("/proc/sys/%s", sc->key);

	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	if (ib_write_file_at(AT_FDCWD, path, sc->value, strlen(sc->value), err) == 0)
		return 0;
	if (strcmp(sc->key, "net.ipv4.ping_group_range") == 0) {
		/* Docker asks for "0 2147483647"; only the GIDs of our user
		 * namespace can be named: clamp to them. */
		unsigned long lo = 0, hi = 0;
		char buf[64];

		if (sscanf(sc->value, "%lu %lu", &lo, &hi) == 2 && hi > 65535) {
			int n = snprintf(buf, sizeof(buf), "%lu 65535", lo > 65535 ? 65535 : lo);

			ib_err_clear(err);
			if (ib_write_file_at(AT_FDCWD, path, buf, (size_t)n, err) == 0)
				return 0;
		}
	}
	return ib_err_wrap(err, "sysctl %s", sc->key);
}

static int mask_path(const char *path, ib_err *err)
{
	struct stat st;
	_cleanup_close_ int t = -1;

	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : ib_err_sys(err, "mask %s", path);
	if (S_ISDIR(st.st_mode))
		t = new_fs("tmpfs", "tmpfs", "size=0,mode=755", MOUNT_ATTR_RDONLY, err);
	else
		t = ib_open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (t < 0)
		return ib_err_sys(err, "mask %s", path);
	if (ib_move_mount(t, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ib_err_sys(err, "mask %s", path);
	return 0;
}

static int readonly_path(const char *path, ib_err *err)
{
	_cleanup_close_ int t =
	    ib_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};

	if (t < 0)
		return errno == ENOENT ? 0 : ib_err_sys(err, "readonly path %s", path);
	if (ib_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0 ||
	    ib_move_mount(t, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ib_err_sys(err, "readonly path %s", path);
	return 0;
}

int ib_rootfs_finish(struct ib_rootfs_ctx *c, ib_err *err)
{
	const struct ib_spec *s = c->spec;

	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return ib_err_sys(err, "set rootfs propagation");
	for (size_t i = 0; i < s->n_sysctls; i++)
		if (write_sysctl(&s->sysctls[i], err) < 0)
			return -1;
	for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++)
		if (readonly_path(s->readonly_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
		if (mask_path(s->masked_paths[i], err) < 0)
			return -1;
	if (s->root_readonly) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (ib_mount_setattr(AT_FDCWD, "/", 0, &a) < 0)
			return ib_err_sys(err, "make rootfs read-only");
	}
	return 0;
}
