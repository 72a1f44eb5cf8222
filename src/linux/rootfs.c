#include "linux/rootfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"
#include "supervisor/emul.h"
#include "supervisor/supervisor.h"

#define RESOLVE_INSIDE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static int open_in_root(int root_fd, const char *path, int flags)
{
	return ib_openat2(root_fd, path, (uint64_t)(flags | O_CLOEXEC), RESOLVE_INSIDE);
}

/* Longest chain of symlinks followed while creating a destination. */
#define MAX_DEST_SYMLINKS 40

/* The path p (relative, no leading '/') with its component comp, a symlink,
 * replaced by the symlink's target: an absolute target restarts from the
 * root, a relative one from the symlink's directory; rest (what followed
 * comp, or NULL) is appended. */
static char *substitute_link(const char *p, const char *comp, const char *target, const char *rest)
{
	const char *sep = rest && *rest ? "/" : "";

	if (target[0] == '/')
		return ib_xasprintf("%s%s%s", target, sep, rest ? rest : "");
	return ib_xasprintf("%.*s%s%s%s", (int)(comp - p), p, target, sep, rest ? rest : "");
}

/* One walk over the components of rel, creating what is missing. Returns an
 * O_PATH fd, -1 with err, or -2 with *next set when a dangling symlink was
 * found and the walk must restart on the path through its target. */
static int walk_create(int root_fd, char *rel, bool want_file, bool *created, char **next,
		       ib_err *err)
{
	_cleanup_close_ int parent = open_in_root(root_fd, ".", O_PATH | O_DIRECTORY);

	if (parent < 0)
		return ib_err_sys(err, "open rootfs");
	/* Each prefix is resolved from the root again, so that a symlink
	 * anywhere on the way stays inside the rootfs. */
	for (char *comp = rel;;) {
		char *slash = strchr(comp, '/');
		bool last = !slash;
		int next_fd;

		if (slash)
			*slash = '\0';
		next_fd = open_in_root(root_fd, rel, O_PATH);
		if (next_fd < 0 && errno == ENOENT) {
			struct stat st;
			int r;

			if (fstatat(parent, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISLNK(st.st_mode)) {
				/* A dangling symlink: create its target, resolved
				 * inside the rootfs like everything else. */
				char target[PATH_MAX];
				ssize_t n = readlinkat(parent, comp, target, sizeof(target) - 1);

				if (n <= 0)
					return ib_err_sys(err, "read symlink `%s` in rootfs", rel);
				target[n] = '\0';
				*next = substitute_link(rel, comp, target, last ? NULL : slash + 1);
				return -2;
			}
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
				return ib_err_sys(err, "create `%s` in rootfs", rel);
			if (r >= 0 && last && created)
				*created = true;
			next_fd = open_in_root(root_fd, rel, O_PATH);
		}
		if (next_fd < 0)
			return ib_err_sys(err, "open `%s` in rootfs", rel);
		close(parent);
		parent = next_fd;
		if (last)
			break;
		*slash = '/';
		comp = slash + 1;
	}
	return IB_STEAL_FD(parent);
}

/* path without leading, trailing and repeated slashes (malloc'd). */
static char *squeeze_slashes(const char *path)
{
	char *out = ib_xmalloc0(strlen(path) + 1), *w = out;

	for (const char *r = path; *r; r++) {
		if (*r == '/' && (w == out || w[-1] == '/'))
			continue;
		*w++ = *r;
	}
	if (w > out && w[-1] == '/')
		w--;
	*w = '\0';
	return out;
}

/* The common case of a missing destination: only its last component is
 * missing. The parent is resolved from the root as walk_create does, the
 * name created in it (O_EXCL: never through a symlink) and opened without
 * following one. Returns the fd, or -1 for anything else (a missing
 * parent, a name that exists after all, such as a dangling symlink): the
 * caller then takes the full walk, which decides and reports. */
static int create_last(int root_fd, const char *rel, bool want_file, bool *created)
{
	const char *slash = strrchr(rel, '/');
	_cleanup_free_ char *dir = slash ? ib_xasprintf("%.*s", (int)(slash - rel), rel) : NULL;
	const char *name = slash ? slash + 1 : rel;
	_cleanup_close_ int parent = open_in_root(root_fd, dir ? dir : ".", O_PATH | O_DIRECTORY);
	int r;

	if (parent < 0)
		return -1;
	if (want_file) {
		r = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			   0644);
		if (r >= 0)
			close(r);
	} else {
		r = mkdirat(parent, name, 0755);
	}
	if (r < 0)
		return -1;
	r = ib_openat2(parent, name, O_PATH | O_CLOEXEC,
		       RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	if (r >= 0 && created)
		*created = true;
	return r;
}

static int open_dest(int root_fd, const char *path, bool want_file, bool *created, ib_err *err)
{
	_cleanup_free_ char *rel = squeeze_slashes(path);

	if (created)
		*created = false;
	for (int links = 0;; links++) {
		char *p = rel, *next = NULL;
		int fd;

		if (*p == '\0')
			return open_in_root(root_fd, ".", O_PATH);
		fd = open_in_root(root_fd, p, O_PATH);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)
			return ib_err_sys(err, "open `%s` in rootfs", path);
		fd = create_last(root_fd, p, want_file, created);
		if (fd >= 0)
			return fd;
		if (links >= MAX_DEST_SYMLINKS) {
			errno = ELOOP;
			return ib_err_sys(err, "create `%s` in rootfs", path);
		}
		fd = walk_create(root_fd, p, want_file, created, &next, err);
		if (fd != -2)
			return fd;
		free(rel);
		rel = squeeze_slashes(next);
		free(next);
	}
}

int ib_rootfs_open_dest(int root_fd, const char *path, bool want_file, ib_err *err)
{
	return open_dest(root_fd, path, want_file, NULL, err);
}

/* proc and sysfs must be mounted on a real directory, never through a
 * symlink (CVE-2019-19921, CVE-2023-27561): the last component is not
 * followed, and the object opened is the one checked. */
static int open_dest_ordinary_dir(int root_fd, const char *path, const char *type, ib_err *err)
{
	_cleanup_free_ char *dir = ib_xstrdup(path);
	_cleanup_close_ int parent = -1;
	struct stat st;
	char *name;
	int fd;

	while (strlen(dir) > 1 && dir[strlen(dir) - 1] == '/')
		dir[strlen(dir) - 1] = '\0';
	name = strrchr(dir, '/');
	if (!name || strcmp(name + 1, "..") == 0 || strcmp(name + 1, ".") == 0 || !name[1])
		return ib_err_set(err, EINVAL,
				  "filesystem \"%s\" must be mounted on ordinary directory", type);
	*name++ = '\0';
	parent = ib_rootfs_open_dest(root_fd, dir, false, err);
	if (parent < 0)
		return -1;
	if (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)
		return ib_err_sys(err, "create `%s` in rootfs", path);
	fd = openat(parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open `%s` in rootfs", path);
	if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)) {
		close(fd);
		return ib_err_set(err, ENOTDIR,
				  "filesystem \"%s\" must be mounted on ordinary directory", type);
	}
	return fd;
}

static int attach(int mnt_fd, int dest_fd)
{
	return ib_move_mount(mnt_fd, "", dest_fd, "",
			     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

/* A new filesystem instance (proc, tmpfs, sysfs, mqueue, devpts, ...) as a
 * detached mount, its data options passed one by one. */
static int new_fs(const char *type, const char *source, const char *data, unsigned long ms_flags,
		  unsigned attrs, ib_err *err)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} sb_flags[] = {
	    {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_LAZYTIME, "lazytime"}};
	_cleanup_close_ int fsfd = ib_fsopen(type, FSOPEN_CLOEXEC);
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;
	int mfd;

	if (fsfd < 0)
		return ib_err_sys(err, "fsopen %s", type);
	if (source && *source)
		(void)ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "source", source, 0);
	/* Superblock flags (mount(2)'s MS_SYNCHRONOUS, ...) are options here. */
	for (size_t i = 0; i < IB_ARRAY_SIZE(sb_flags); i++)
		if ((ms_flags & sb_flags[i].flag) &&
		    ib_fsconfig(fsfd, FSCONFIG_SET_FLAG, sb_flags[i].name, NULL, 0) < 0)
			return ib_err_sys(err, "%s option `%s`", type, sb_flags[i].name);
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
	const char *rel;
	int at = ib_cgroup_at(path, &rel); /* a cgroup dir: no sysfs walk */
	_cleanup_close_ int t =
	    ib_open_tree(at, rel, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
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
	/* Delegated: the container's root owns what it may write there. */
	if (cg->delegated)
		attrs &= ~(unsigned)MOUNT_ATTR_RDONLY;
	if (cg->mode == IB_CGROUP_V2) {
		_cleanup_close_ int t = clone_tree(cg->v2_dir, attrs, err);
		return t < 0 || attach(t, dest_fd) < 0 ? ib_err_sys(err, "attach cgroup2") : 0;
	}
	tmp = new_fs("tmpfs", "cgroup", "mode=755", 0, attrs & ~MOUNT_ATTR_RDONLY, err);
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
		t = clone_tree(dir, 0, err);
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
		t = clone_tree(cg->v2_dir, 0, err);
		if (sub < 0 || t < 0 || attach(t, sub) < 0)
			return t < 0 ? -1 : ib_err_sys(err, "mount cgroup unified");
	}
	/* The tmpfs and every bind below it at once (one call, not one per
	 * hierarchy: each takes the global mount lock). Nothing runs in this
	 * mount namespace before it is done. */
	if (attrs) {
		struct mount_attr a = {.attr_set = attrs};
		if (ib_mount_setattr(tmp, "", AT_EMPTY_PATH | AT_RECURSIVE, &a) < 0)
			return ib_err_sys(err, "set attributes on the cgroup tree");
	}
	return 0;
}

static bool is_type(const struct ib_mount *m, const char *t)
{
	return m->type && strcmp(m->type, t) == 0;
}

/* Deepest directory tree tmpcopyup copies (each level holds two fds). */
#define COPYUP_MAX_DEPTH 128

/* Owner, mode and times of st onto the new object (fd, or name in dir
 * without following a symlink when fd < 0). */
static int copy_meta(int fd, int dir, const char *name, const struct stat *st, ib_err *err)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fd >= 0) {
		if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 ||
		    futimens(fd, ts) < 0)
			return ib_err_sys(err, "tmpcopyup: attributes of `%s`", name);
		return 0;
	}
	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return ib_err_sys(err, "tmpcopyup: attributes of `%s`", name);
	return 0;
}

static int copy_file_data(int in, int out, const char *name, ib_err *err)
{
	char buf[65536];

	for (;;) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0);

		if (n == 0)
			return 0;
		if (n > 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
			return ib_err_sys(err, "tmpcopyup: copy `%s`", name);
		break;
	}
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ib_err_sys(err, "tmpcopyup: read `%s`", name);
		if (n == 0)
			return 0;
		if (ib_write_all(out, buf, (size_t)n) != n)
			return ib_err_sys(err, "tmpcopyup: write `%s`", name);
	}
}

/* Copy the contents of directory src into directory dst (tmpcopyup). The
 * source is the container's image: nothing in it is followed (symlinks are
 * copied as symlinks) and every decision is made on the opened object. */
static int copy_tree(int src, int dst, unsigned depth, ib_err *err)
{
	_cleanup_close_ int rd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	int ret = 0;

	if (depth > COPYUP_MAX_DEPTH)
		return ib_err_set(err, ELOOP, "tmpcopyup: directory tree too deep");
	if (rd < 0)
		return ib_err_sys(err, "tmpcopyup: open directory");
	d = fdopendir(rd);
	if (!d)
		return ib_err_sys(err, "tmpcopyup: read directory");
	rd = -1;
	while (ret == 0 && (errno = 0, e = readdir(d))) {
		const char *name = e->d_name;
		_cleanup_close_ int in = -1, out = -1;
		struct stat st;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = ib_err_sys(err, "tmpcopyup: stat `%s`", name);
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			in =
			    openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (in < 0 || fstat(in, &st) < 0 ||
			    (mkdirat(dst, name, 0700) < 0 && errno != EEXIST) ||
			    (out = openat(dst, name,
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				ret = ib_err_sys(err, "tmpcopyup: directory `%s`", name);
				break;
			}
			ret = copy_tree(in, out, depth + 1, err);
			if (ret == 0)
				ret = copy_meta(out, -1, name, &st, err);
		} else if (S_ISREG(st.st_mode)) {
			/* O_NONBLOCK: never hang on a FIFO swapped in meanwhile. */
			in = openat(dirfd(d), name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
				ret = ib_err_sys(err, "tmpcopyup: open `%s`", name);
				break;
			}
			out = openat(dst, name,
				     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (out < 0) {
				ret = ib_err_sys(err, "tmpcopyup: create `%s`", name);
				break;
			}
			ret = copy_file_data(in, out, name, err);
			if (ret == 0)
				ret = copy_meta(out, -1, name, &st, err);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(dirfd(d), name, target, sizeof(target) - 1);

			if (n < 0) {
				ret = ib_err_sys(err, "tmpcopyup: read symlink `%s`", name);
				break;
			}
			target[n] = '\0';
			if (symlinkat(target, dst, name) < 0) {
				ret = ib_err_sys(err, "tmpcopyup: symlink `%s`", name);
				break;
			}
			ret = copy_meta(-1, dst, name, &st, err);
		} else if (S_ISFIFO(st.st_mode)) {
			if (mkfifoat(dst, name, 0600) < 0 ||
			    fchmodat(dst, name, st.st_mode & 07777, 0) < 0) {
				ret = ib_err_sys(err, "tmpcopyup: fifo `%s`", name);
				break;
			}
			ret = copy_meta(-1, dst, name, &st, err);
		} else {
			/* Device nodes cannot be made in a user namespace, and
			 * sockets are not copied. */
			ib_debug("tmpcopyup: `%s` not copied (not a file, directory or symlink)",
				 name);
		}
	}
	if (ret == 0 && errno != 0)
		ret = ib_err_sys(err, "tmpcopyup: read directory");
	closedir(d);
	return ret;
}

/* tmpfs data: the mode of the directory it covers, unless the options say
 * otherwise (a later mode= wins). */
static char *tmpfs_data(const struct ib_mount *m, int dest, bool created)
{
	struct stat st;

	if (created || fstat(dest, &st) < 0 || !S_ISDIR(st.st_mode))
		return ib_xstrdup(m->data ? m->data : "");
	return ib_xasprintf("mode=%04o%s%s", (unsigned)(st.st_mode & 07777), m->data ? "," : "",
			    m->data ? m->data : "");
}

/* Recursive attributes ("rro", ...) of a new filesystem: it has no
 * submounts, so they are attributes of its one mount. */
static unsigned merge_rec_attrs(unsigned attrs, const struct ib_mount *m)
{
	if (m->rec_attr_clr & MOUNT_ATTR__ATIME)
		attrs &= ~(unsigned)MOUNT_ATTR__ATIME;
	attrs &= ~(m->rec_attr_clr & ~(unsigned)MOUNT_ATTR__ATIME);
	return attrs | m->rec_attr_set;
}

/* runc's destination may carry the rootfs path as a prefix: the same place. */
static const char *dest_in_rootfs(const struct ib_rootfs_ctx *c, const char *dest)
{
	const char *root = c->spec->root_path;
	size_t n = root ? strlen(root) : 0;

	if (n > 1 && strncmp(dest, root, n) == 0 && (dest[n] == '/' || dest[n] == '\0'))
		return dest[n] ? dest + n : "/";
	return dest;
}

/* A bind of the container's own files (ib_mount.rootfs_source): the
 * source is resolved in the rootfs as the mounts before it left it, and
 * cloned with the spec's flags (top mount) and recursive attributes. */
static int bind_from_rootfs(struct ib_rootfs_ctx *c, const struct ib_mount *m, ib_err *err)
{
	_cleanup_close_ int src = open_in_root(c->pm->rootfs_fd, m->rootfs_source, O_PATH);
	_cleanup_close_ int t = -1;
	struct mount_attr a = {.attr_set = ib_mount_attrs_from_flags(m->flags)};
	struct mount_attr ra = {.attr_set = m->rec_attr_set, .attr_clr = m->rec_attr_clr};

	if (src < 0)
		return ib_err_sys(err, "bind mount source `%s` in the rootfs", m->source);
	t = ib_open_tree(src, "",
			 AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			     (m->recursive ? AT_RECURSIVE : 0));
	if (t < 0)
		return ib_err_sys(err, "bind mount source `%s`", m->source);
	if (a.attr_set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME))
		a.attr_clr = MOUNT_ATTR__ATIME;
	if (a.attr_set && ib_mount_setattr(t, "", AT_EMPTY_PATH, &a) < 0)
		return ib_err_sys(err, "set flags on bind mount `%s`", m->source);
	if ((ra.attr_set || ra.attr_clr) &&
	    ib_mount_setattr(t, "", AT_EMPTY_PATH | AT_RECURSIVE, &ra) < 0)
		return ib_err_sys(err, "set recursive flags on bind mount `%s`", m->source);
	return IB_STEAL_FD(t);
}

static int mount_one(struct ib_rootfs_ctx *c, size_t i, ib_err *err)
{
	const struct ib_mount *m = &c->spec->mounts[i];
	const char *dest_path = dest_in_rootfs(c, m->destination);
	int prepared = c->pm->mount_fds[i];

	if (m->rootfs_source && prepared < 0) {
		prepared = bind_from_rootfs(c, m, err);
		if (prepared < 0)
			return -1;
		c->pm->mount_fds[i] = prepared;
	}
	bool file = false, created = false;
	_cleanup_close_ int dest = -1, mfd = -1;

	if (prepared >= 0) {
		struct stat st;
		file = fstat(prepared, &st) == 0 && !S_ISDIR(st.st_mode);
	}
	if (is_type(m, "proc") || is_type(m, "sysfs"))
		dest = open_dest_ordinary_dir(c->pm->rootfs_fd, dest_path, m->type, err);
	else
		dest = open_dest(c->pm->rootfs_fd, dest_path, file, &created, err);
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
		unsigned attrs = merge_rec_attrs(ib_mount_attrs_from_flags(m->flags), m);
		const char *type = m->type ? m->type : "";
		bool tmpfs = strcmp(type, "tmpfs") == 0;
		_cleanup_free_ char *data = tmpfs ? tmpfs_data(m, dest, created) : NULL;
		bool late_ro =
		    (attrs & MOUNT_ATTR_RDONLY) &&
		    (tmpfs || strcmp(dest_path, "/dev") == 0 || strcmp(dest_path, "/dev/") == 0);

		/* A read-only tmpfs (or /dev) is made read-only only at the
		 * end, once everything below it exists (like runc). */
		if (late_ro)
			attrs &= ~(unsigned)MOUNT_ATTR_RDONLY;
		if (strcmp(type, "cgroup2") == 0 && c->cg && c->cg->delegated)
			attrs &= ~(unsigned)MOUNT_ATTR_RDONLY;
		mfd = new_fs(type, m->source, data ? data : m->data, m->flags, attrs, err);
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
		if (tmpfs && m->tmpcopyup && !created) {
			_cleanup_close_ int to =
			    openat(mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (to < 0)
				return ib_err_sys(err, "tmpcopyup");
			if (copy_tree(dest, to, 0, err) < 0)
				return -1;
		}
		if (attach(mfd, dest) < 0)
			return ib_err_sys(err, "attach");
		if (late_ro) {
			c->late_ro[c->n_late_ro++] = fcntl(mfd, F_DUPFD_CLOEXEC, 3);
			if (c->late_ro[c->n_late_ro - 1] < 0)
				return ib_err_sys(err, "dup");
		}
	}
	return set_propagation(mfd, m->propagation, err);
}

/* Where an optional emulated file goes: an existing regular file of a sysfs
 * (the container's /sys), or -1. */
static int emul_dest_existing(int root_fd, const char *rel)
{
	_cleanup_close_ int fd = ib_openat2(root_fd, rel, O_PATH | O_CLOEXEC, RESOLVE_INSIDE);
	struct statfs sfs;
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fstatfs(fd, &sfs) < 0 ||
	    sfs.f_type != SYSFS_MAGIC)
		return -1;
	return IB_STEAL_FD(fd);
}

/* Where a created emulated file goes: on the container's /dev tmpfs only
 * (never a file added to the image), created if missing, or -1. */
static int emul_dest_created(int root_fd, const char *rel)
{
	_cleanup_free_ char *dir = ib_xstrdup(rel);
	char *slash = strrchr(dir, '/');
	_cleanup_close_ int dfd = -1;
	struct statfs sfs;
	ib_err e = {0};
	int fd;

	if (!slash)
		return -1;
	*slash = '\0';
	dfd = ib_openat2(root_fd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, RESOLVE_INSIDE);
	if (dfd < 0 || fstatfs(dfd, &sfs) < 0 || sfs.f_type != TMPFS_MAGIC)
		return -1;
	fd = ib_rootfs_open_dest(root_fd, rel, true, &e);
	ib_err_clear(&e);
	return fd;
}

/* A sysctl key's file: "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward. */
static char *sysctl_path(const char *key)
{
	char *path = ib_xasprintf("/proc/sys/%s", key);

	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	return path;
}

/* A /proc/sys knob strictly below one of the spec's readonly paths is
 * attached after them (ib_rootfs_finish), read-only like them: attached
 * before, the readonly path's recursive clone would copy it and leave the
 * original below, a hidden duplicate in the container's mount table (20
 * with Docker's defaults, in every later mount call and every mountinfo
 * read). Not when the spec sets that sysctl: its write must reach our
 * file. */
bool ib_rootfs_knob_deferred(const struct ib_spec *s, const struct ib_emul_file *f)
{
	bool below = false;

	if (!(f->flags & IB_EMUL_SYSCTL))
		return false;
	for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++) {
		const char *r = s->readonly_paths[i];
		size_t n = strlen(r);

		if (n > 1 && !strncmp(f->path, r, n) && f->path[n] == '/')
			below = true;
	}
	for (size_t i = 0; below && i < s->n_sysctls; i++) {
		_cleanup_free_ char *path = sysctl_path(s->sysctls[i].key);

		if (!strcmp(path, f->path))
			return false;
	}
	return below;
}

static int mount_deferred_knobs(struct ib_rootfs_ctx *c, ib_err *err)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC};

	for (size_t i = 0; i < c->n_procview && ib_emul_files[i].name; i++) {
		const struct ib_emul_file *f = &ib_emul_files[i];
		_cleanup_close_ int dest = -1;

		if (c->procview_fds[i] < 0 || !ib_rootfs_knob_deferred(c->spec, f))
			continue;
		/* After the pivot: the container's root is ours. */
		dest = ib_openat2(AT_FDCWD, f->path, O_PATH | O_CLOEXEC,
				  RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
		if (dest < 0 && errno == ENOENT)
			continue; /* a knob the container's namespaces do not show */
		if (dest < 0)
			return ib_err_sys(err, "emulated %s", f->path);
		/* A clone of the read-only view (init.c) has its flags: the
		 * runtime attached that view only once they were set. */
		if (!(c->procview_ro && c->procview_ro[i]) &&
		    ib_mount_setattr(c->procview_fds[i], "", AT_EMPTY_PATH, &a) < 0)
			return ib_err_sys(err, "emulated %s read-only", f->path);
		if (attach(c->procview_fds[i], dest) < 0) {
			if (errno == ENOENT)
				continue; /* dropped by the kernel meanwhile */
			return ib_err_sys(err, "mount emulated %s", f->path);
		}
	}
	return 0;
}

/* The supervisor's emulated files (supervisor/emul.h) go over the
 * container's own: the /proc ones right over its proc mount (where /proc
 * is a proc mount; they are required), the others once every mount is in
 * place (best effort: a /sys file this kernel has not, no /dev tmpfs). */
static int mount_procview(struct ib_rootfs_ctx *c, bool proc, ib_err *err)
{
	for (size_t i = 0; i < c->n_procview && ib_emul_files[i].name; i++) {
		const struct ib_emul_file *f = &ib_emul_files[i];
		const char *rel = f->path + 1;
		_cleanup_close_ int dest = -1;

		if (ib_emul_under_proc(f) != proc || c->procview_fds[i] < 0)
			continue; /* not served on this host (a /proc/sys knob) */
		if (ib_rootfs_knob_deferred(c->spec, f))
			continue;
		if (proc) {
			dest =
			    ib_openat2(c->pm->rootfs_fd, rel, O_PATH | O_CLOEXEC, RESOLVE_INSIDE);
			/* A /proc/sys knob the container's namespaces do not show. */
			if (dest < 0 && errno == ENOENT && (f->flags & IB_EMUL_SYSCTL))
				continue;
			if (dest < 0)
				return ib_err_sys(err, "emulated %s", f->path);
			if (attach(c->procview_fds[i], dest) < 0) {
				/* A knob whose entry the kernel dropped meanwhile: its
				 * own file stays, which the container's root cannot
				 * write (non-namespaced: host root's). */
				if (errno == ENOENT && (f->flags & IB_EMUL_SYSCTL))
					continue;
				return ib_err_sys(err, "mount emulated %s", f->path);
			}
			continue;
		}
		if (f->flags & IB_EMUL_CREATE)
			dest = emul_dest_created(c->pm->rootfs_fd, rel);
		else
			dest = emul_dest_existing(c->pm->rootfs_fd, rel);
		/* Not mounted: the kernel's file shows (nothing to print: the
		 * init's stderr is the container's). */
		if (dest >= 0)
			(void)attach(c->procview_fds[i], dest);
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

	c->late_ro = ib_xmalloc0((s->n_mounts + 1) * sizeof(int));
	c->n_late_ro = 0;

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
		    mount_procview(c, true, err) < 0)
			return -1;
	}
	if (mount_devices(c, have_devpts, err) < 0 || mount_procview(c, false, err) < 0)
		return -1;
	/* The console is bound over /dev/console after the pivot, when /dev
	 * may be read-only already: its mount point exists from now on. */
	if (s->process && s->process->terminal) {
		_cleanup_close_ int con =
		    ib_rootfs_open_dest(c->pm->rootfs_fd, "/dev/console", true, err);
		if (con < 0)
			return -1;
	}
	return make_dev_symlinks(c->pm->rootfs_fd, have_devpts, err);
}

/* Undo mountinfo's octal escapes (\040 space, ...) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int ib_rootfs_full_procfs_mounts(const char *mountinfo, const char *rootfs, char ***out)
{
	_cleanup_free_ char *copy = ib_xstrdup(mountinfo);
	size_t rl = strlen(rootfs);
	char *save = NULL;

	*out = ib_xmalloc0(sizeof(char *));
	/* id parent maj:min root mountpoint opts [optional...] - fstype source super */
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[64], *tsave = NULL;
		int n = 0, dash = -1;

		for (char *t = strtok_r(line, " ", &tsave); t && n < 64;
		     t = strtok_r(NULL, " ", &tsave))
			f[n++] = t;
		for (int i = 6; i < n; i++)
			if (strcmp(f[i], "-") == 0) {
				dash = i;
				break;
			}
		if (dash < 0 || dash + 1 >= n)
			continue;
		if (strcmp(f[dash + 1], "proc") != 0 && strcmp(f[dash + 1], "sysfs") != 0)
			continue;
		/* Only full mounts (the filesystem's root) make new ones possible. */
		if (strcmp(f[3], "/") != 0)
			continue;
		unescape_octal(f[4]);
		if (strncmp(f[4], rootfs, rl) == 0 && (f[4][rl] == '/' || f[4][rl] == '\0'))
			continue;
		ib_strv_push(out, f[4]);
	}
	return 0;
}

/* --no-pivot keeps the host's mounts under the new root. The kernel lets a
 * (nested) user namespace mount a fresh proc or sysfs as long as a fully
 * visible one exists in its mount namespace: the host's would do, and its
 * copy would show everything the container's masks hide. Remove them, or,
 * as they are locked in our namespace, cover them (like runc). */
static int hide_host_procfs(struct ib_rootfs_ctx *c, ib_err *err)
{
	_cleanup_free_ char *mountinfo = NULL;
	_cleanup_strv_ char **mps = NULL;
	char self[64], root[PATH_MAX];
	ssize_t n;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", c->pm->rootfs_fd);
	n = readlink(self, root, sizeof(root) - 1);
	if (n <= 0)
		return ib_err_sys(err, "path of the rootfs");
	root[n] = '\0';
	if (ib_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
		return -1;
	ib_rootfs_full_procfs_mounts(mountinfo, root, &mps);
	for (size_t i = 0; mps[i]; i++) {
		_cleanup_close_ int t = -1;

		if (umount2(mps[i], MNT_DETACH | UMOUNT_NOFOLLOW) == 0)
			continue;
		if (errno == ENOENT)
			continue; /* under one covered already */
		if (errno != EINVAL && errno != EPERM)
			return ib_err_sys(err, "unmount %s", mps[i]);
		t = new_fs("tmpfs", "tmpfs", "size=0,mode=0", 0, MOUNT_ATTR_RDONLY, err);
		if (t < 0)
			return -1;
		if (ib_move_mount(t, "", AT_FDCWD, mps[i], MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			if (errno == ENOENT)
				continue;
			return ib_err_sys(err, "cover %s", mps[i]);
		}
	}
	return 0;
}

int ib_rootfs_pivot(struct ib_rootfs_ctx *c, ib_err *err)
{
	if (c->no_pivot && hide_host_procfs(c, err) < 0)
		return ib_err_wrap(err, "--no-pivot");
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
	_cleanup_free_ char *path = sysctl_path(sc->key);
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
		t = new_fs("tmpfs", "tmpfs", "size=0,mode=755", 0, MOUNT_ATTR_RDONLY, err);
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
	if (mount_deferred_knobs(c, err) < 0)
		return -1;
	for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++)
		if (mask_path(s->masked_paths[i], err) < 0)
			return -1;
	for (size_t i = 0; i < c->n_late_ro; i++) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

		if (ib_mount_setattr(c->late_ro[i], "", AT_EMPTY_PATH, &a) < 0)
			return ib_err_sys(err, "make a tmpfs read-only");
		close(c->late_ro[i]);
	}
	c->n_late_ro = 0;
	if (s->root_readonly) {
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};
		if (ib_mount_setattr(AT_FDCWD, "/", 0, &a) < 0)
			return ib_err_sys(err, "make rootfs read-only");
	}
	return 0;
}
