/* Rule "setid": no set-uid/set-gid file, and no file capability, may
 * appear on a host-shared bind mount.
 *
 * Through an ID-mapped volume the container's root is the host's root on
 * those files: a set-uid-root binary made there by the container is one
 * that any host user can run as euid 0. So on objects whose identity
 * (filesystem + path from its root, notify.h) lies below a host-shared
 * source, set-id bits on non-directories are refused with EPERM: chmod,
 * fchmod, fchmodat, fchmodat2 with S_ISUID/S_ISGID, open/openat/creat
 * creating a file (O_CREAT, O_TMPFILE) with such a mode, mknod of a regular
 * file with one. Everything else the BPF sends here (the rootfs, named
 * volumes, tmpfs: set-id semantics kept) is performed by the supervisor
 * itself in the caller's context, on the object it decided on: the caller's
 * path is read once and never resolved again by the kernel.
 *
 * Directories keep S_ISGID (group inheritance, no privilege): mkdir is not
 * trapped and chmod g+s of a directory is allowed everywhere.
 *
 * File capabilities (security.capability, e.g. cap_setuid=ep) grant the
 * same: xattr writes of a capability's size are trapped (ib_rule_setid_xattr). */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/notify.h"

#define MAX_HOPS 40
#define SETID (S_ISUID | S_ISGID)

/* "a/b/c" -> ("a/b", "c"), "c" -> (NULL, "c"), "/c" -> ("/", "c"); a
 * trailing slash leaves base "". path is modified. */
static void split(char *path, const char **dir, const char **base)
{
	char *slash = strrchr(path, '/');

	if (!slash) {
		*dir = NULL;
		*base = path;
		return;
	}
	*base = slash + 1;
	if (slash == path) {
		*dir = "/";
	} else {
		*slash = '\0';
		*dir = path;
	}
}

static int open_dir(int dirfd, const char *dir)
{
	return openat(dirfd >= 0 ? dirfd : AT_FDCWD, dir ? dir : ".",
		      O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Is the object behind fd (or the entry leaf in that directory) on a
 * host-shared mount? 1 yes, 0 no, -1 unknown (fails closed). Records the
 * target for the audit log and the object's mode. */
static int host_shared(struct ib_notify_call *c, int fd, const char *leaf, mode_t *mode,
		       const struct ib_shared_src **which)
{
	struct ib_caller_obj o;
	ib_err err = {0};
	int r;

	if (ib_caller_identify(&c->caller, fd, &o, &err) < 0)
		return -1;
	free(c->target);
	c->target = leaf ? ib_xasprintf("%s/%s", o.path ? o.path : "?", leaf)
			 : ib_xstrdup(o.path ? o.path : "?");
	if (mode)
		*mode = o.mode;
	r = ib_notify_host_shared(c->policy, &o, which) ? 1 : 0;
	ib_caller_obj_clear(&o);
	return r;
}

static void deny_shared(struct ib_notify_call *c, const struct ib_shared_src *s)
{
	_cleanup_free_ char *why =
	    s ? ib_xasprintf("set-id file on a host-shared mount (source %s)", s->source)
	      : ib_xstrdup("set-id file on a mount that cannot be identified");

	ib_notify_deny(c, EPERM, why);
}

/* Read the path argument; false when the call was answered. */
static bool read_path(struct ib_notify_call *c, unsigned arg, char **path)
{
	ib_err err = {0};

	*path = ib_caller_read_path(&c->caller, ib_notify_arg(c, arg), &err);
	if (!*path) {
		if (ib_notify_valid(c))
			ib_notify_fail(c, err.code ? err.code : EFAULT);
		return false;
	}
	ib_notify_arg_str(c, "path", *path);
	return true;
}

/* The caller's dirfd argument reopened (-1 for AT_FDCWD, or when path is
 * absolute: the kernel ignores it then); false when the call was answered. */
static bool caller_dirfd(struct ib_notify_call *c, int dfd, const char *path, int *out)
{
	ib_err err = {0};

	*out = -1;
	if (dfd == AT_FDCWD)
		return true;
	ib_notify_arg_int(c, "dfd", dfd);
	if (path[0] == '/')
		return true;
	*out = ib_caller_fd(&c->caller, dfd, NULL, &err);
	if (*out < 0) {
		if (ib_notify_valid(c))
			ib_notify_fail(c, err.code ? err.code : EBADF);
		return false;
	}
	return true;
}

static bool enter(struct ib_notify_call *c)
{
	ib_err err = {0};

	if (ib_caller_enter(&c->caller, &err) < 0) {
		ib_notify_deny(c, EPERM, err.msg);
		return false;
	}
	return true;
}

/* A path as we must resolve it for the caller. */
static char *caller_path(struct ib_notify_call *c, const char *path)
{
	return ib_caller_proc_self(path, c->caller.creds.ns_tgid, c->caller.creds.ns_tid);
}

void ib_rule_setid_chmod(struct ib_notify_call *c)
{
	const char *sc = c->syscall;
	bool by_fd = !strcmp(sc, "fchmod");
	_cleanup_free_ char *path = NULL, *rpath = NULL;
	_cleanup_close_ int dirfd = -1, target = -1;
	const struct ib_shared_src *which = NULL;
	int dfd = AT_FDCWD, flags = 0, fd = -1, fdflags = 0, r;
	unsigned path_arg = 0;
	mode_t mode, type = 0;
	ib_err err = {0};

	if (by_fd) {
		fd = (int)ib_notify_arg(c, 0);
		mode = (mode_t)ib_notify_arg(c, 1);
		ib_notify_arg_int(c, "fd", fd);
	} else if (!strcmp(sc, "chmod")) {
		mode = (mode_t)ib_notify_arg(c, 1);
	} else {
		dfd = (int)ib_notify_arg(c, 0);
		path_arg = 1;
		mode = (mode_t)ib_notify_arg(c, 2);
		if (!strcmp(sc, "fchmodat2")) {
			flags = (int)ib_notify_arg(c, 3);
			ib_notify_arg_hex(c, "flags", (unsigned)flags);
		}
	}
	mode &= 07777;
	ib_notify_arg_oct(c, "mode", mode);
	if (!by_fd && (!read_path(c, path_arg, &path) || !caller_dirfd(c, dfd, path, &dirfd)))
		return;
	if (by_fd) {
		target = ib_caller_fd(&c->caller, fd, &fdflags, &err);
		if (target < 0) {
			if (ib_notify_valid(c))
				ib_notify_fail(c, err.code ? err.code : EBADF);
			return;
		}
	}
	if (!ib_notify_valid(c))
		return;
	if (by_fd && (fdflags & O_PATH)) {
		ib_notify_fail(c, EBADF);
		return;
	}
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
		ib_notify_fail(c, EINVAL);
		return;
	}
	if (!enter(c))
		return;
	if (!by_fd) {
		if (!*path && (flags & AT_EMPTY_PATH)) {
			target = dirfd >= 0 ? fcntl(dirfd, F_DUPFD_CLOEXEC, 0)
					    : openat(AT_FDCWD, ".", O_PATH | O_CLOEXEC);
		} else if (!*path) {
			ib_notify_fail(c, ENOENT);
			return;
		} else {
			rpath = caller_path(c, path);
			target = openat(dirfd >= 0 ? dirfd : AT_FDCWD, rpath,
					O_PATH | O_CLOEXEC |
					    ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0));
		}
		if (target < 0) {
			ib_notify_fail(c, errno);
			return;
		}
	}
	r = host_shared(c, target, NULL, &type, &which);
	if (S_ISLNK(type)) {
		ib_notify_fail(c, EOPNOTSUPP);
		return;
	}
	if (r != 0 && !S_ISDIR(type)) {
		deny_shared(c, which);
		return;
	}
	if (ib_caller_chmod_fd(target, mode) < 0)
		ib_notify_fail(c, errno);
	else
		ib_notify_reply(c, 0);
}

/* fs.protected_symlinks, for a final symlink we follow by hand: may the
 * caller (our current credentials) follow link in directory dir? */
static bool may_follow(int dir, const char *link)
{
	struct stat d, l;

	if (!ib_caller_protected_symlinks())
		return true;
	if (fstatat(dir, link, &l, AT_SYMLINK_NOFOLLOW) < 0 || fstat(dir, &d) < 0)
		return false;
	if (l.st_uid == (uid_t)syscall(SYS_setfsuid, (uid_t)-1))
		return true;
	if ((d.st_mode & (S_ISVTX | S_IWOTH)) != (S_ISVTX | S_IWOTH))
		return true;
	return d.st_uid == l.st_uid;
}

/* An existing FIFO: its open waits for a peer the container may never
 * provide, holding a worker. O_RDONLY gets ENXIO at once (the kernel's
 * answer to a FIFO open that cannot complete; a set-id mode on an existing
 * FIFO decides nothing); O_WRONLY and O_RDWR wait for nothing opened
 * O_NONBLOCK (O_WRONLY succeeds only with a reader there). This look
 * spares a FIFO found here the open (which would wake a writer waiting
 * for a reader); the decision is taken again on the opened file. */
static bool is_fifo(int parent, const char *base)
{
	struct stat st;

	return fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(st.st_mode);
}

/* fd was opened O_NONBLOCK for us: the caller's fd is blocking. */
static int clear_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
}

/* Create (or open) base in parent for the caller: the kernel does all of
 * it (mode, umask, set-gid stripping, O_EXCL, protected_regular) except
 * following a final symlink, which we do by hand so that every directory
 * a file may be created in is decided first. */
static void create_in(struct ib_notify_call *c, int parent_fd, const char *base0, int flags,
		      mode_t mode)
{
	_cleanup_close_ int parent = fcntl(parent_fd, F_DUPFD_CLOEXEC, 0);
	_cleanup_free_ char *base = ib_xstrdup(base0);

	for (int hop = 0;; hop++) {
		const struct ib_shared_src *which = NULL;
		char target[PATH_MAX];
		const char *tdir, *tbase;
		ssize_t n;
		bool fifo;
		int fd, r;

		if (parent < 0) {
			ib_notify_fail(c, errno);
			return;
		}
		if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
			ib_notify_fail(c, EISDIR);
			return;
		}
		r = host_shared(c, parent, base, NULL, &which);
		if (r != 0 && (mode & SETID)) {
			deny_shared(c, which);
			return;
		}
		/* Never waiting in open: an existing FIFO (or a device, or a
		 * leased file) would hold this worker until a peer comes, which
		 * the container may never send, even once the caller is gone.
		 * Always O_NONBLOCK: the container can put a FIFO in place of
		 * the file looked at between the look and the open. */
		fifo = !(flags & O_NONBLOCK) && is_fifo(parent, base);
		if (fifo && (flags & O_ACCMODE) == O_RDONLY) {
			ib_notify_fail(c, ENXIO);
			return;
		}
		fd = openat(parent, base, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 && !(flags & O_NONBLOCK)) {
			struct stat st;

			/* A FIFO opened for reading without a writer: a blocking
			 * open would have waited for one (ENXIO, as above). */
			if (fstat(fd, &st) < 0 ||
			    (S_ISFIFO(st.st_mode) && (flags & O_ACCMODE) == O_RDONLY) ||
			    clear_nonblock(fd) < 0) {
				close(fd);
				ib_notify_fail(c, ENXIO);
				return;
			}
		}
		if (fd >= 0) {
			ib_notify_reply_fd(c, fd, flags & O_CLOEXEC);
			return;
		}
		if (errno != ELOOP || (flags & O_NOFOLLOW)) {
			ib_notify_fail(c, errno);
			return;
		}
		/* base is a symlink the caller's open would follow. */
		if (hop >= MAX_HOPS) {
			ib_notify_fail(c, ELOOP);
			return;
		}
		if (!may_follow(parent, base)) {
			ib_notify_fail(c, EACCES);
			return;
		}
		n = readlinkat(parent, base, target, sizeof(target) - 1);
		if (n < 0) {
			ib_notify_fail(c, errno);
			return;
		}
		target[n] = '\0';
		split(target, &tdir, &tbase);
		/* Relative to the link's directory; an absolute target starts
		 * from our root, the caller's. */
		if (tdir) {
			int next = openat(parent, tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);

			close(parent);
			parent = next;
		}
		free(base);
		base = ib_xstrdup(tbase);
	}
}

void ib_rule_setid_open(struct ib_notify_call *c)
{
	const char *sc = c->syscall;
	_cleanup_free_ char *path = NULL, *rpath = NULL;
	_cleanup_close_ int dirfd = -1, parent = -1;
	unsigned path_arg = 0;
	int dfd = AT_FDCWD, flags;
	mode_t mode;

	if (!strcmp(sc, "creat")) {
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		mode = (mode_t)ib_notify_arg(c, 1);
	} else if (!strcmp(sc, "open")) {
		flags = (int)ib_notify_arg(c, 1);
		mode = (mode_t)ib_notify_arg(c, 2);
	} else {
		dfd = (int)ib_notify_arg(c, 0);
		path_arg = 1;
		flags = (int)ib_notify_arg(c, 2);
		mode = (mode_t)ib_notify_arg(c, 3);
	}
	mode &= 07777;
	ib_notify_arg_hex(c, "flags", (unsigned)flags);
	ib_notify_arg_oct(c, "mode", mode);
	if (!read_path(c, path_arg, &path) || !caller_dirfd(c, dfd, path, &dirfd))
		return;
	if (!ib_notify_valid(c) || !enter(c))
		return;
	rpath = caller_path(c, path);
	if (flags & O_PATH) {
		/* O_PATH ignores O_CREAT and O_TMPFILE: nothing is created. */
		int fd = openat(dirfd >= 0 ? dirfd : AT_FDCWD, rpath, flags | O_CLOEXEC, 0);

		if (fd < 0)
			ib_notify_fail(c, errno);
		else
			ib_notify_reply_fd(c, fd, flags & O_CLOEXEC);
		return;
	}
	if (!*rpath) {
		ib_notify_fail(c, ENOENT);
		return;
	}
	if ((flags & __O_TMPFILE) == __O_TMPFILE) {
		/* An unnamed file in the directory path (linkat can name it). */
		const struct ib_shared_src *which = NULL;
		int r, fd;

		parent = openat(dirfd >= 0 ? dirfd : AT_FDCWD, rpath,
				O_PATH | O_DIRECTORY | O_CLOEXEC | (flags & O_NOFOLLOW));
		if (parent < 0) {
			ib_notify_fail(c, errno);
			return;
		}
		r = host_shared(c, parent, NULL, NULL, &which);
		if (r != 0) {
			deny_shared(c, which);
			return;
		}
		fd = openat(parent, ".", flags | O_CLOEXEC, mode);
		if (fd < 0)
			ib_notify_fail(c, errno);
		else
			ib_notify_reply_fd(c, fd, flags & O_CLOEXEC);
		return;
	}
	{
		const char *dir, *base;

		split(rpath, &dir, &base);
		parent = open_dir(dirfd, dir);
		if (parent < 0) {
			ib_notify_fail(c, errno);
			return;
		}
		create_in(c, parent, base, flags, mode);
	}
}

void ib_rule_setid_mknod(struct ib_notify_call *c)
{
	bool at = !strcmp(c->syscall, "mknodat");
	_cleanup_free_ char *path = NULL, *rpath = NULL;
	_cleanup_close_ int dirfd = -1, parent = -1;
	const struct ib_shared_src *which = NULL;
	int dfd = at ? (int)ib_notify_arg(c, 0) : AT_FDCWD;
	mode_t mode = (mode_t)ib_notify_arg(c, at ? 2 : 1);
	dev_t dev = (dev_t)(unsigned)ib_notify_arg(c, at ? 3 : 2);
	const char *dir, *base;
	bool regular = (mode & S_IFMT) == 0 || (mode & S_IFMT) == S_IFREG;
	int r;

	ib_notify_arg_oct(c, "mode", mode);
	ib_notify_arg_int(c, "dev", (int64_t)dev);
	if (!read_path(c, at ? 1 : 0, &path) || !caller_dirfd(c, dfd, path, &dirfd))
		return;
	if (!ib_notify_valid(c) || !enter(c))
		return;
	rpath = caller_path(c, path);
	if (!*rpath) {
		ib_notify_fail(c, ENOENT);
		return;
	}
	split(rpath, &dir, &base);
	parent = open_dir(dirfd, dir);
	if (parent < 0) {
		ib_notify_fail(c, errno);
		return;
	}
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		ib_notify_fail(c, EEXIST);
		return;
	}
	r = host_shared(c, parent, base, NULL, &which);
	if (regular && (mode & SETID) && r != 0) {
		deny_shared(c, which);
		return;
	}
	if (mknodat(parent, base, mode, dev) < 0)
		ib_notify_fail(c, errno);
	else
		ib_notify_reply(c, 0);
}

/* File capabilities (security.capability) are set-id bits by another name:
 * a cap_setuid=ep file on a host-shared mount is root for any host user.
 * Every xattr write of a capability's size comes here; the name and the
 * value are read once, and the write is performed on the object decided on. */
void ib_rule_setid_xattr(struct ib_notify_call *c)
{
	const char *sc = c->syscall;
	bool by_fd = !strcmp(sc, "fsetxattr"), nofollow = !strcmp(sc, "lsetxattr");
	_cleanup_free_ char *path = NULL, *rpath = NULL, *name = NULL;
	_cleanup_close_ int target = -1;
	const struct ib_shared_src *which = NULL;
	size_t size = (size_t)ib_notify_arg(c, 3);
	int flags = (int)ib_notify_arg(c, 4), fdflags = 0, r;
	unsigned char value[24];
	mode_t type = 0;
	ib_err err = {0};

	ib_notify_arg_int(c, "size", (int64_t)size);
	ib_notify_arg_hex(c, "flags", (unsigned)flags);
	if (size > sizeof(value)) { /* the BPF traps 12, 20, 24 only */
		ib_notify_deny(c, EPERM, "unexpected xattr size");
		return;
	}
	if (by_fd) {
		ib_notify_arg_int(c, "fd", (int)ib_notify_arg(c, 0));
		target = ib_caller_fd(&c->caller, (int)ib_notify_arg(c, 0), &fdflags, &err);
	} else if (!read_path(c, 0, &path)) {
		return;
	}
	name = ib_caller_read_path(&c->caller, ib_notify_arg(c, 1), &err);
	if (name)
		ib_notify_arg_str(c, "name", name);
	if (!name || ib_caller_read(&c->caller, ib_notify_arg(c, 2), value, size, &err) < 0 ||
	    (by_fd && target < 0)) {
		if (ib_notify_valid(c))
			ib_notify_fail(c, err.code ? err.code : EFAULT);
		return;
	}
	if (!ib_notify_valid(c))
		return;
	if (by_fd && (fdflags & O_PATH)) {
		ib_notify_fail(c, EBADF);
		return;
	}
	if (!enter(c))
		return;
	if (!by_fd) {
		if (!*path) {
			ib_notify_fail(c, ENOENT);
			return;
		}
		rpath = caller_path(c, path);
		target = openat(AT_FDCWD, rpath, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0));
		if (target < 0) {
			ib_notify_fail(c, errno);
			return;
		}
	}
	r = host_shared(c, target, NULL, &type, &which);
	if (!strcmp(name, "security.capability") && !S_ISDIR(type) && r != 0) {
		_cleanup_free_ char *why =
		    which ? ib_xasprintf("file capabilities on a host-shared mount (source %s)",
					 which->source)
			  : ib_xstrdup("file capabilities on a mount that cannot be identified");

		ib_notify_deny(c, EPERM, why);
		return;
	}
	if (S_ISLNK(type)) {
		/* Only through a path, which could be swapped: not performed. */
		ib_notify_deny(c, EPERM, "extended attribute of a symlink");
		return;
	}
	if (ib_caller_setxattr_fd(target, name, value, size, flags) < 0)
		ib_notify_fail(c, errno);
	else
		ib_notify_reply(c, 0);
}
