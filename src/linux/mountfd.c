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

/* Undo mountinfo's octal escapes (\040 space, \054 comma, ...). */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int ib_mountinfo_find_overlay(const char *mountinfo, const char *path, char **super_opts)
{
	_cleanup_free_ char *copy = ib_xstrdup(mountinfo);
	char *save = NULL, *found = NULL;
	bool is_overlay = false;

	*super_opts = NULL;
	/* The last entry for a mount point is the topmost one. Format:
	 * id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok[64], *tsave = NULL;
		int n = 0, dash = -1;

		for (char *t = strtok_r(line, " ", &tsave); t && n < 64;
		     t = strtok_r(NULL, " ", &tsave))
			tok[n++] = t;
		if (n < 5)
			continue;
		unescape(tok[4]);
		if (strcmp(tok[4], path) != 0)
			continue;
		for (int i = 6; i < n; i++)
			if (strcmp(tok[i], "-") == 0) {
				dash = i;
				break;
			}
		if (dash < 0 || dash + 3 >= n + 0 || dash + 1 >= n)
			continue;
		free(found);
		found = NULL;
		is_overlay = strcmp(tok[dash + 1], "overlay") == 0;
		if (is_overlay && dash + 3 < n)
			found = ib_xstrdup(tok[dash + 3]);
	}
	if (!is_overlay || !found) {
		free(found);
		return 0;
	}
	*super_opts = found;
	return 1;
}

/* Split overlay super options at commas (paths have commas escaped already
 * as \054 in mountinfo, so splitting before unescaping is safe). */
static char **split_opts(const char *opts)
{
	_cleanup_free_ char *copy = ib_xstrdup(opts);
	char **v = ib_xmalloc0(sizeof(char *));
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		_cleanup_free_ char *u = ib_xstrdup(o);
		unescape(u);
		ib_strv_push(&v, u);
	}
	return v;
}

static int idmap_tree(int fd, int userns_fd, bool recursive, unsigned extra_attrs)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP | extra_attrs,
				  .userns_fd = (uint64_t)userns_fd};

	return ib_mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr);
}

/* Open an ID-mapped detached clone of dir (an overlay layer). */
static int idmapped_layer(const char *dir, int userns_fd, ib_err *err)
{
	_cleanup_close_ int tree = ib_open_tree(AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);

	if (tree < 0)
		return ib_err_sys(err, "open_tree overlay layer `%s`", dir);
	if (idmap_tree(tree, userns_fd, false, 0) < 0)
		return ib_err_sys(err, "ID-map overlay layer `%s`", dir);
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

static char *resolve_layer(const char *layer, const char *rootfs)
{
	_cleanup_free_ char *tmp = NULL;
	char *slash;

	if (layer[0] == '/')
		return ib_xstrdup(layer);
	/* Docker/Podman shorten long option strings with paths relative to the
	 * driver's home (<home>/<id>/merged is the rootfs). */
	tmp = ib_xstrdup(rootfs);
	slash = strrchr(tmp, '/');
	if (slash)
		*slash = '\0';
	slash = strrchr(tmp, '/');
	if (slash)
		*slash = '\0';
	return ib_xasprintf("%s/%s", tmp, layer);
}

/* Value of option key in a split option list, or NULL. */
static const char *opt_value(char **opts, const char *key)
{
	size_t kl = strlen(key);

	for (size_t i = 0; opts[i]; i++)
		if (strncmp(opts[i], key, kl) == 0 && opts[i][kl] == '=')
			return opts[i] + kl + 1;
	return NULL;
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

/* Build a fresh overlay from ID-mapped copies of the layers of the overlay
 * mounted at rootfs. */
static int prepare_overlay_root(const char *rootfs, const char *super_opts, int userns_fd,
				uid_t host_base, ib_err *err)
{
	_cleanup_strv_ char **opts = split_opts(super_opts);
	_cleanup_close_ int fsfd = ib_fsopen("overlay", FSOPEN_CLOEXEC);
	int layer_fds[512];
	_cleanup_free_ char *upper_root = NULL, *our_work = NULL;
	_cleanup_close_ int upper_tree = -1;
	size_t n_layers = 0;
	int ret = -1, mfd;

	if (fsfd < 0)
		return ib_err_sys(err, "fsopen overlay");
	/* overlayfs wants upperdir and workdir on the same mount: one ID-mapped
	 * clone of their common parent serves both. The workdir is our own
	 * (beside the engine's, removed with it): overlayfs empties its workdir
	 * at mount time, which would break the engine's overlay on the same
	 * upper layer (docker cp writes through that one). */
	if (opt_value(opts, "upperdir") && opt_value(opts, "workdir")) {
		_cleanup_free_ char *up = resolve_layer(opt_value(opts, "upperdir"), rootfs);
		_cleanup_free_ char *wk = resolve_layer(opt_value(opts, "workdir"), rootfs);
		char ru[PATH_MAX], rw[PATH_MAX];

		if (!realpath(up, ru) || !realpath(wk, rw))
			return ib_err_sys(err, "overlay upper/work dir of `%s`", rootfs);
		our_work = ib_xasprintf("%.*s/ironbox-work", (int)(strrchr(rw, '/') - rw), rw);
		if (mkdir(our_work, 0700) < 0 && errno != EEXIST)
			return ib_err_sys(err, "create overlay workdir `%s`", our_work);
		if (!realpath(our_work, rw))
			return ib_err_sys(err, "overlay workdir `%s`", our_work);
		upper_root = common_dir(ru, rw);
		upper_tree = idmapped_layer(upper_root, userns_fd, err);
		if (upper_tree < 0)
			return -1;
	}
	for (size_t i = 0; opts[i]; i++) {
		char *o = opts[i], *eq = strchr(o, '=');
		const char *key = o, *val = eq ? eq + 1 : NULL;

		if (eq)
			*eq = '\0';
		if (strcmp(key, "rw") == 0)
			continue;
		if (strcmp(key, "lowerdir") == 0 || strcmp(key, "lowerdir+") == 0 ||
		    strcmp(key, "upperdir") == 0 || strcmp(key, "workdir") == 0 ||
		    strcmp(key, "datadir+") == 0) {
			_cleanup_free_ char *list = ib_xstrdup(val ? val : "");
			char *save = NULL;
			const char *fskey = strcmp(key, "lowerdir") == 0 ? "lowerdir+" : key;

			/* lowerdir=a:b:c (":" escaped as "\:" in paths) */
			for (char *l = strtok_r(list, ":", &save); l;
			     l = strtok_r(NULL, ":", &save)) {
				_cleanup_free_ char *path = resolve_layer(l, rootfs);
				_cleanup_close_ int tree = -1, dfd = -1;

				if (*l == '\0')
					continue;
				if (upper_tree >= 0 &&
				    (strcmp(key, "upperdir") == 0 || strcmp(key, "workdir") == 0)) {
					char real[PATH_MAX];
					const char *rel;

					if (!realpath(strcmp(key, "workdir") == 0 ? our_work : path,
						      real)) {
						ib_err_sys(err, "overlay %s `%s`", key, path);
						goto out;
					}
					rel = real + strlen(upper_root);
					while (*rel == '/')
						rel++;
					dfd = openat(upper_tree, *rel ? rel : ".",
						     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				} else {
					tree = idmapped_layer(path, userns_fd, err);
					if (tree < 0)
						goto out;
					dfd = openat(tree, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				}
				if (dfd < 0) {
					ib_err_sys(err, "open layer `%s`", path);
					goto out;
				}
				if (ib_fsconfig(fsfd, FSCONFIG_SET_FD, fskey, NULL, dfd) < 0) {
					ib_err_sys(err, "overlay %s `%s`", fskey, path);
					goto out;
				}
				if (n_layers < IB_ARRAY_SIZE(layer_fds))
					layer_fds[n_layers++] = IB_STEAL_FD(tree);
			}
			continue;
		}
		if (val)
			ret = ib_fsconfig(fsfd, FSCONFIG_SET_STRING, key, val, 0);
		else
			ret = ib_fsconfig(fsfd, FSCONFIG_SET_FLAG, key, NULL, 0);
		if (ret < 0)
			ib_debug("overlay option %s ignored: %s", key, strerror(errno));
	}
	if (with_container_fs_creds(host_base, overlay_create, fsfd) < 0) {
		ib_err_sys(err, "create ID-mapped overlay for `%s`", rootfs);
		goto out;
	}
	mfd = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0) {
		ib_err_sys(err, "fsmount overlay for `%s`", rootfs);
		goto out;
	}
	ret = mfd;
out:
	for (size_t i = 0; i < n_layers; i++)
		close(layer_fds[i]);
	return ret < 0 ? -1 : ret;
}

static int prepare_root(const char *rootfs, int userns_fd, uid_t host_base, ib_err *err)
{
	_cleanup_free_ char *mountinfo = NULL, *super = NULL;
	_cleanup_close_ int tree = -1;
	char real[PATH_MAX];

	if (!realpath(rootfs, real))
		return ib_err_sys(err, "rootfs `%s`", rootfs);
	if (ib_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
		return -1;
	if (ib_mountinfo_find_overlay(mountinfo, real, &super) == 1)
		return prepare_overlay_root(real, super, userns_fd, host_base, err);

	tree = ib_open_tree(AT_FDCWD, real, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree < 0)
		return ib_err_sys(err, "open_tree rootfs `%s`", real);
	if (idmap_tree(tree, userns_fd, true, 0) < 0) {
		/* A submount that cannot be ID-mapped: map just the top. */
		close(tree);
		tree = ib_open_tree(AT_FDCWD, real, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (tree < 0)
			return ib_err_sys(err, "open_tree rootfs `%s`", real);
		if (idmap_tree(tree, userns_fd, false, 0) < 0)
			return ib_err_sys(err,
					  "ID-map rootfs `%s` (filesystem without ID-mapped mount "
					  "support?)",
					  real);
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

static int prepare_bind(const struct ib_mount *m, int userns_fd, ib_err *err)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0);
	unsigned attrs = ib_mount_attrs_from_flags(m->flags);
	_cleanup_close_ int tree = ib_open_tree(AT_FDCWD, m->source, flags);
	struct mount_attr attr = {0};
	struct stat st;

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
	_cleanup_close_ int fsfd = -1, scratch = -1;
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
	out->n_mount_fds = s->n_mounts;
	out->mount_fds = ib_xmalloc0((s->n_mounts + 1) * sizeof(int));
	for (size_t i = 0; i < s->n_mounts; i++)
		out->mount_fds[i] = -1;

	out->rootfs_fd = prepare_root(s->root_path, userns_fd, host_base, err);
	if (out->rootfs_fd < 0)
		goto fail;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct ib_mount *m = &s->mounts[i];

		if (ib_mount_is_bind(m)) {
			out->mount_fds[i] = prepare_bind(m, userns_fd, err);
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
