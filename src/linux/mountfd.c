#include "linux/mountfd.h"

#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"

bool ib_mount_is_bind(const struct ib_mount *m)
{
	return m->bind || (m->type && strcmp(m->type, "bind") == 0);
}

bool ib_mount_is_overlay(const struct ib_mount *m)
{
	return !ib_mount_is_bind(m) && m->type && strcmp(m->type, "overlay") == 0;
}

bool ib_mount_is_staged(const struct ib_mount *m)
{
	return (ib_mount_is_bind(m) && !m->rootfs_source) || ib_mount_is_overlay(m);
}

static int idmap_tree(int fd, int userns_fd, bool recursive, unsigned extra_attrs)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | extra_attrs,
				  .userns_fd = (uint64_t)userns_fd};

	return ib_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr);
}

/* An ID-mapped detached clone of the directory fd refers to (a layer). */
static int idmapped_layer(int fd, const char *path, int userns_fd, ib_err *err)
{
	_cleanup_close_ int tree =
	    ib_open_tree(fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree < 0)
		return ib_err_sys(err, "open_tree overlay layer `%s`", path);
	if (idmap_tree(tree, userns_fd, false, 0) < 0)
		return ib_err_sys(err, "ID-map overlay layer `%s`", path);
	return IB_STEAL_FD(tree);
}

/* Run fn with fsuid/fsgid = the container root's host IDs but all
 * capabilities still effective: overlayfs records the mounter's credentials
 * and uses them for every upper-layer operation, which goes through the
 * ID-mapped upper layer and must therefore map. */
static int with_container_fs_creds(uid_t host_base, int (*fn)(int), int arg)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	int r, saved;

	setfsgid(host_base);
	setfsuid(host_base);
	if (syscall(SYS_capget, &hdr, data) == 0) {
		data[0].effective = data[0].permitted;
		data[1].effective = data[1].permitted;
		syscall(SYS_capset, &hdr, data);
	}
	r = fn(arg);
	saved = errno;
	setfsuid(0);
	setfsgid(0);
	if (syscall(SYS_capget, &hdr, data) == 0) {
		data[0].effective = data[0].permitted;
		data[1].effective = data[1].permitted;
		syscall(SYS_capset, &hdr, data);
	}
	errno = saved;
	return r;
}

static int overlay_create(int fsfd)
{
	return ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
}

/* Path of the object behind fd (host view), or NULL. */
static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	return ib_xstrdup(buf);
}

/* Longest common ancestor directory of two absolute paths. */
static char *common_dir(const char *a, const char *b)
{
	size_t i = 0, last = 0;

	while (a[i] && a[i] == b[i]) {
		if (a[i] == '/')
			last = i;
		i++;
	}
	if ((a[i] == '\0' || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
		last = i;
	return strndup(a, last ? last : 1);
}

static bool same_object(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Directory rel below the (ID-mapped) tree, which must be the very object
 * want refers to (the one the policy decided on). */
static int open_verified(int tree, const char *rel, int want, const char *what, ib_err *err)
{
	_cleanup_close_ int fd = ib_openat2(
	    tree, *rel ? rel : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC,
	    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);

	if (fd < 0)
		return ib_err_sys(err, "open overlay %s", what);
	if (!same_object(fd, want))
		return ib_err_set(err, EXDEV, "overlay %s changed during create", what);
	return IB_STEAL_FD(fd);
}

/* overlayfs wants upperdir and workdir on one mount: one ID-mapped clone of
 * their common ancestor serves both; upper and work are then opened in it
 * and checked to be the objects decided on. With own_work, the workdir is
 * our own beside the given one (overlayfs empties its workdir when it
 * mounts, which would break the engine's overlay on the same upper layer:
 * `docker cp` writes through that one). */
static int upper_and_work(int upper_fd, int work_fd, bool own_work, int userns_fd, int *tree_out,
			  int *upper_out, int *work_out, ib_err *err)
{
	_cleanup_close_ int parent = -1, tree = -1, ours = -1, anc = -1;
	_cleanup_free_ char *up = fd_path(upper_fd), *wk = NULL, *common = NULL, *dots = NULL;
	const char *ru, *rw;
	int work = work_fd;

	if (own_work) {
		parent = openat(work_fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (parent < 0 || (mkdirat(parent, "ironbox-work", 0700) < 0 && errno != EEXIST))
			return ib_err_sys(err, "create overlay workdir beside the engine's");
		ours = ib_openat2(parent, "ironbox-work", O_PATH | O_DIRECTORY | O_CLOEXEC,
				  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
		if (ours < 0)
			return ib_err_sys(err, "open overlay workdir");
		work = ours;
	}
	wk = fd_path(work);
	if (!up || !wk)
		return ib_err_set(err, EXDEV, "overlay upper/work dir not reachable");
	common = common_dir(up, wk);
	ru = up + strlen(common);
	rw = wk + strlen(common);
	while (*ru == '/')
		ru++;
	while (*rw == '/')
		rw++;
	/* The ancestor, reached from the upper dir itself (no path walk from /). */
	dots = ib_xstrdup(".");
	for (const char *p = ru; *p; p++)
		if (*p == '/' || p == ru) {
			char *d = ib_xasprintf("%s/..", dots);
			free(dots);
			dots = d;
		}
	anc = openat(upper_fd, dots, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (anc < 0)
		return ib_err_sys(err, "open the parent of overlay upper dir `%s`", up);
	tree = idmapped_layer(anc, common, userns_fd, err);
	if (tree < 0)
		return -1;
	*upper_out = open_verified(tree, ru, upper_fd, "upperdir", err);
	if (*upper_out < 0)
		return -1;
	*work_out = open_verified(tree, rw, work, "workdir", err);
	if (*work_out < 0) {
		close(*upper_out);
		*upper_out = -1;
		return -1;
	}
	/* The detached tree must outlive the overlay's creation: closing its
	 * last fd unmounts it, and overlayfs clones the layers' mounts then. */
	*tree_out = IB_STEAL_FD(tree);
	return 0;
}

/* A fresh overlay from ID-mapped clones of the layers the policy opened. */
static int prepare_overlay(const struct ib_overlay_src *o, bool own_work, unsigned attrs,
			   int userns_fd, uid_t host_base, const char *what, ib_err *err)
{
	_cleanup_close_ int fsfd = ib_fsopen("overlay", FSOPEN_CLOEXEC);
	_cleanup_close_ int upper = -1, work = -1, upper_tree = -1;
	/* Layer trees stay open until the overlay exists (see upper_and_work). */
	int *trees = ib_xmalloc0((o->n + 1) * sizeof(int)), upper_i = -1, work_i = -1, mfd = -1;
	size_t n_trees = 0;

	if (fsfd < 0)
		return ib_err_sys(err, "fsopen overlay");
	for (size_t i = 0; i < o->n; i++) {
		if (!strcmp(o->keys[i], "upperdir"))
			upper_i = (int)i;
		else if (!strcmp(o->keys[i], "workdir"))
			work_i = (int)i;
	}
	if ((upper_i < 0) != (work_i < 0)) {
		ib_err_set(err, EINVAL, "overlay %s: upperdir and workdir go together", what);
		goto out;
	}
	if (upper_i >= 0 && upper_and_work(o->fds[upper_i], o->fds[work_i], own_work, userns_fd,
					   &upper_tree, &upper, &work, err) < 0) {
		ib_err_wrap(err, "overlay %s", what);
		goto out;
	}
	for (size_t i = 0; i < o->n; i++) {
		_cleanup_close_ int dfd = -1;
		int use;

		if ((int)i == upper_i) {
			use = upper;
		} else if ((int)i == work_i) {
			use = work;
		} else {
			int tree = idmapped_layer(o->fds[i], o->paths[i], userns_fd, err);
			if (tree < 0)
				goto out;
			trees[n_trees++] = tree;
			dfd = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0) {
				ib_err_sys(err, "open layer `%s`", o->paths[i]);
				goto out;
			}
			use = dfd;
		}
		if (ib_fsconfig(fsfd, FSCONFIG_SET_FD, o->keys[i], NULL, use) < 0) {
			ib_err_sys(err, "overlay %s `%s`", o->keys[i], o->paths[i]);
			goto out;
		}
	}
	for (size_t i = 0; o->opts && o->opts[i]; i++) {
		_cleanup_free_ char *key = ib_xstrdup(o->opts[i]);
		char *eq = strchr(key, '=');
		int r;

		if (eq)
			*eq = '\0';
		if (!strcmp(key, "rw") || !strcmp(key, "ro"))
			continue;
		r = eq ? ib_fsconfig(fsfd, FSCONFIG_SET_STRING, key, eq + 1, 0)
		       : ib_fsconfig(fsfd, FSCONFIG_SET_FLAG, key, NULL, 0);
		if (r < 0)
			ib_debug("overlay option %s ignored: %s", key, strerror(errno));
	}
	if (with_container_fs_creds(host_base, overlay_create, fsfd) < 0) {
		ib_err_sys(err, "create ID-mapped overlay for %s", what);
		goto out;
	}
	mfd = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		ib_err_sys(err, "fsmount overlay for %s", what);
out:
	for (size_t i = 0; i < n_trees; i++)
		close(trees[i]);
	free(trees);
	return mfd < 0 ? -1 : mfd;
}

/* The rootfs the policy decided on: the engine's overlay rebuilt from
 * ID-mapped layers, or an ID-mapped clone of the directory. */
static int prepare_root(const struct ib_spec *s, int userns_fd, uid_t host_base, ib_err *err)
{
	_cleanup_close_ int tree = -1;
	const char *rootfs = s->root_path;

	if (s->root_fd < 0)
		return ib_err_set(err, EINVAL, "rootfs `%s` was not opened by the policy", rootfs);
	if (s->root_overlay)
		return prepare_overlay(s->root_overlay, true, 0, userns_fd, host_base, rootfs, err);
	/* Recursive only when the policy decided on mounts below it (the staged
	 * clone is checked to hold no other, stage.c). */
	tree = ib_open_tree(s->root_fd, "",
			    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				(s->root_below ? AT_RECURSIVE : 0));
	if (tree < 0)
		return ib_err_sys(err, "open_tree rootfs `%s`", rootfs);
	if (idmap_tree(tree, userns_fd, s->root_below != NULL, 0) < 0) {
		/* A submount that cannot be ID-mapped: map just the top. */
		close(tree);
		tree = ib_open_tree(s->root_fd, "",
				    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (tree < 0)
			return ib_err_sys(err, "open_tree rootfs `%s`", rootfs);
		if (idmap_tree(tree, userns_fd, false, 0) < 0)
			return ib_err_sys(err,
					  "ID-map rootfs `%s` (filesystem without ID-mapped mount "
					  "support?)",
					  rootfs);
	}
	return IB_STEAL_FD(tree);
}

unsigned ib_mount_attrs_from_flags(unsigned long flags)
{
	unsigned a = 0;

	if (flags & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (flags & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (flags & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (flags & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (flags & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (flags & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (flags & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	else if (flags & MS_RELATIME)
		a |= MOUNT_ATTR_RELATIME;
	return a;
}

/* The policy's detached clone of the bind source (the object it decided
 * on), ID-mapped and with the spec's flags. */
static int prepare_bind(const struct ib_mount *m, int userns_fd, ib_err *err)
{
	unsigned attrs = ib_mount_attrs_from_flags(m->flags);
	_cleanup_close_ int tree = -1;
	struct mount_attr attr = {0};
	struct stat st;

	if (m->source_fd < 0)
		return ib_err_set(err, EINVAL,
				  "bind mount source `%s` was not opened by the policy",
				  m->source ? m->source : "");
	tree = fcntl(m->source_fd, F_DUPFD_CLOEXEC, 0);
	if (tree < 0)
		return ib_err_sys(err, "bind mount source `%s`", m->source);
	/* Device nodes are never ID-mapped: host devices must stay unusable. */
	if (fstat(tree, &st) == 0 && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
		if (idmap_tree(tree, userns_fd, m->recursive, 0) < 0) {
			if (errno != EINVAL && errno != EPERM)
				return ib_err_sys(err, "ID-map bind mount `%s`", m->source);
			ib_debug("bind mount `%s` cannot be ID-mapped (%s): files show unmapped",
				 m->source, strerror(errno));
		}
	}
	if (attrs) {
		attr.attr_set = attrs;
		if (attrs & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME))
			attr.attr_clr = MOUNT_ATTR__ATIME;
		/* "ro", "nosuid", ... apply to the top mount only; the
		 * recursive forms ("rro", ...) to every submount (like runc). */
		if (ib_mount_setattr(tree, "", AT_EMPTY_PATH, &attr) < 0)
			return ib_err_sys(err, "set flags on bind mount `%s`", m->source);
	}
	if (m->rec_attr_set || m->rec_attr_clr) {
		struct mount_attr ra = {.attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr};

		if (ib_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ra) < 0)
			return ib_err_sys(err, "set recursive flags on bind mount `%s`", m->source);
	}
	return IB_STEAL_FD(tree);
}

static const struct ib_device default_devices[] = {
    {.path = "/dev/null", .type = 'c', .major = 1, .minor = 3, .has_mode = true, .mode = 0666},
    {.path = "/dev/zero", .type = 'c', .major = 1, .minor = 5, .has_mode = true, .mode = 0666},
    {.path = "/dev/full", .type = 'c', .major = 1, .minor = 7, .has_mode = true, .mode = 0666},
    {.path = "/dev/random", .type = 'c', .major = 1, .minor = 8, .has_mode = true, .mode = 0666},
    {.path = "/dev/urandom", .type = 'c', .major = 1, .minor = 9, .has_mode = true, .mode = 0666},
    {.path = "/dev/tty", .type = 'c', .major = 5, .minor = 0, .has_mode = true, .mode = 0666},
};

/* Devices a container may own: harmless character devices. Everything else
 * (disks, kmsg, mem, ...) stays owned by host root and loses its "other"
 * permission bits, so it is visible but unusable. */
static bool device_is_safe(const struct ib_device *d)
{
	static const int safe[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8},	 {1, 9},
				      {5, 0}, {5, 1}, {5, 2}, {10, 229}, {10, 200}};
	if (d->type != 'c' && d->type != 'u')
		return false;
	for (size_t i = 0; i < IB_ARRAY_SIZE(safe); i++)
		if (d->major == safe[i][0] && d->minor == safe[i][1])
			return true;
	return false;
}

size_t ib_mounts_device_list(const struct ib_spec *s, struct ib_device **out)
{
	size_t n = s->n_devices;

	*out =
	    ib_xmalloc0((s->n_devices + IB_ARRAY_SIZE(default_devices)) * sizeof(struct ib_device));
	if (s->n_devices)
		memcpy(*out, s->devices, s->n_devices * sizeof(struct ib_device));
	for (size_t i = 0; i < IB_ARRAY_SIZE(default_devices); i++) {
		bool have = false;
		for (size_t j = 0; j < s->n_devices; j++)
			if (strcmp(s->devices[j].path, default_devices[i].path) == 0)
				have = true;
		if (!have)
			(*out)[n++] = default_devices[i];
	}
	return n;
}

static int prepare_devices(const struct ib_spec *s, uid_t host_base, struct ib_prepared_mounts *out,
			   ib_err *err)
{
	_cleanup_close_ int fsfd = -1;
	int scratch;
	size_t n = ib_mounts_device_list(s, &out->devices);

	out->n_devices = n;
	out->device_fds = ib_xmalloc0(n * sizeof(int));
	for (size_t i = 0; i < n; i++)
		out->device_fds[i] = -1;

	/* Device nodes are made on a private tmpfs owned by the host (a user
	 * namespace cannot mknod) and bind-mounted into place by the child. */
	fsfd = ib_fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0)
		return ib_err_sys(err, "fsopen tmpfs for devices");
	if (ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
	    ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ib_err_sys(err, "create tmpfs for devices");
	scratch = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID);
	if (scratch < 0)
		return ib_err_sys(err, "fsmount tmpfs for devices");
	out->devices_fs_fd = scratch;

	for (size_t i = 0; i < n; i++) {
		const struct ib_device *d = &out->devices[i];
		char name[32];
		mode_t type, mode;
		uid_t uid = 0;
		gid_t gid = 0;

		if (d->type == 'p')
			type = S_IFIFO;
		else if (d->type == 'b')
			type = S_IFBLK;
		else
			type = S_IFCHR;
		mode = d->has_mode ? (d->mode & 07777) : 0666;
		if (device_is_safe(d)) {
			uid = host_base + (d->has_uid ? d->uid : 0);
			gid = host_base + (d->has_gid ? d->gid : 0);
		} else {
			mode &= ~(mode_t)07;
		}
		snprintf(name, sizeof(name), "d%zu", i);
		if (mknodat(scratch, name, type | mode,
			    makedev((unsigned)d->major, (unsigned)d->minor)) < 0)
			return ib_err_sys(err, "mknod device `%s`", d->path);
		if (fchownat(scratch, name, uid, gid, 0) < 0 ||
		    fchmodat(scratch, name, mode, 0) < 0)
			return ib_err_sys(err, "set owner of device `%s`", d->path);
		out->device_fds[i] =
		    ib_open_tree(scratch, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (out->device_fds[i] < 0)
			return ib_err_sys(err, "open_tree device `%s`", d->path);
	}
	return 0;
}

static int prepare_sysfs(const struct ib_mount *m, ib_err *err)
{
	_cleanup_close_ int fsfd = ib_fsopen("sysfs", FSOPEN_CLOEXEC);
	int mfd;

	if (fsfd < 0 || ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ib_err_sys(err, "create sysfs");
	mfd = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, ib_mount_attrs_from_flags(m->flags));
	if (mfd < 0)
		return ib_err_sys(err, "fsmount sysfs");
	return mfd;
}

int ib_mounts_prepare(const struct ib_spec *s, int userns_fd, uid_t host_base,
		      bool prepare_sysfs_now, struct ib_prepared_mounts *out, ib_err *err)
{
	memset(out, 0, sizeof(*out));
	out->rootfs_fd = -1;
	out->devices_fs_fd = -1;
	out->n_mount_fds = s->n_mounts;
	out->mount_fds = ib_xmalloc0((s->n_mounts + 1) * sizeof(int));
	for (size_t i = 0; i < s->n_mounts; i++)
		out->mount_fds[i] = -1;

	out->rootfs_fd = prepare_root(s, userns_fd, host_base, err);
	if (out->rootfs_fd < 0)
		goto fail;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];

		if (ib_mount_is_bind(m) && !m->rootfs_source) {
			out->mount_fds[i] = prepare_bind(m, userns_fd, err);
			if (out->mount_fds[i] < 0)
				goto fail;
		} else if (ib_mount_is_overlay(m)) {
			/* Never mounted by the container from path strings: from
			 * the layers the policy decided on, like the rootfs. */
			if (!m->overlay) {
				ib_err_set(err, EINVAL,
					   "overlay mount at %s was not opened by the policy",
					   m->destination);
				goto fail;
			}
			out->mount_fds[i] =
			    prepare_overlay(m->overlay, false, ib_mount_attrs_from_flags(m->flags),
					    userns_fd, host_base, m->destination, err);
			if (out->mount_fds[i] < 0)
				goto fail;
		} else if (prepare_sysfs_now && m->type && strcmp(m->type, "sysfs") == 0) {
			out->mount_fds[i] = prepare_sysfs(m, err);
			if (out->mount_fds[i] < 0)
				goto fail;
		}
	}
	if (prepare_devices(s, host_base, out, err) < 0)
		goto fail;
	return 0;
fail:
	ib_mounts_release(out);
	return -1;
}

void ib_mounts_release(struct ib_prepared_mounts *pm)
{
	if (pm->rootfs_fd >= 0)
		close(pm->rootfs_fd);
	pm->rootfs_fd = -1;
	if (pm->devices_fs_fd >= 0)
		close(pm->devices_fs_fd);
	pm->devices_fs_fd = -1;
	for (size_t i = 0; pm->mount_fds && i < pm->n_mount_fds; i++)
		if (pm->mount_fds[i] >= 0)
			close(pm->mount_fds[i]);
	for (size_t i = 0; pm->device_fds && i < pm->n_devices; i++)
		if (pm->device_fds[i] >= 0)
			close(pm->device_fds[i]);
	free(pm->mount_fds);
	free(pm->device_fds);
	free(pm->devices);
	pm->mount_fds = pm->device_fds = NULL;
	pm->devices = NULL;
	pm->n_mount_fds = pm->n_devices = 0;
}
