/* Rule "mount": the mount family (mount, umount2, move_mount, fsconfig
 * SET_STRING, mount_setattr, pivot_root; open_tree clones, fsopen and
 * fsmount are ENOSYS, notify_rules.c), decided by the engine of vet_mount.h on the container's jail
 * (its init's mounts at CREATED) and performed here, in the caller's
 * context, on the very objects decided on.
 *
 * Each handler reads the caller's pointer arguments once, reopens its fd
 * arguments (O_PATH through /proc/TID/fd, or pidfd_getfd() for file
 * descriptors that cannot be reopened: fs contexts, user namespaces),
 * re-validates the notification, enters the caller's context (mount
 * namespace, root, cwd, credentials, capabilities) and resolves every path
 * into an O_PATH fd with the call's own follow rules; then it reads the
 * caller's mount table, asks ib_vet_decide() and performs the call on those
 * fds: mount(2), umount2(2) and pivot_root(2) through the magic links of our
 * own fds (thread-self/fd/N of our procfs, as cwd), the new API on the fds
 * themselves. Never "continue": the kernel would read the arguments again.
 *
 * A fresh procfs/sysfs (vet_mount.h, "The model") is built by us for every
 * caller, also one in a nested user namespace where the kernel would refuse
 * it: superblock made as the caller (ns_fs_create), mounted and covered in
 * the jail's mount namespace with the jail's own files (jail_sources,
 * cover), attached in the caller's (perform_new).
 *
 * The jail state is shared by the workers (clones and fresh mounts are
 * recorded in it): one lock, held from the decision to the recording. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/syscalls.h"
#include "supervisor/notify.h"
#include "supervisor/vet_mount.h"

#ifndef MS_MGC_MSK
#define MS_MGC_MSK 0xffff0000
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif
#ifndef MOUNT_ATTR_SIZE_VER0
#define MOUNT_ATTR_SIZE_VER0 32
#endif

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ib_vet_state g_st;
static bool g_jail;
static int g_jail_mntns = -1;

/* What a fresh procfs/sysfs is covered with, taken from the jail itself
 * (never from the caller's view, which an inner container builds as it
 * likes): the jail's emulated files and its /dev/null, O_PATH in the jail's
 * mount namespace (the init's at CREATED, whatever the init did since),
 * where they are cloned. Found on first use, each checked against the
 * jail's table. */
struct jail_src {
	const char *path; /* in the container ("/proc/meminfo") */
	int fd;
	char *root; /* the cover's root in its filesystem (the state) */
};
static struct {
	bool ready;
	struct jail_src null;
	struct jail_src *emul;
	size_t n_emul;
} g_src = {.null = {.fd = -1}};

/* ---- the jail ---- */

int ib_rule_mount_jail(const struct ib_jail_text *j, const struct ib_notify_policy *p, ib_err *err)
{
	static char *none[] = {NULL};
	struct ib_idmap *uid = NULL, *gid = NULL;
	size_t n_uid = 0, n_gid = 0;
	struct ib_mnttab t = {0};
	int r = -1;

	if (ib_idopts_parse_map(j->uid_map, &uid, &n_uid, err) < 0 ||
	    ib_idopts_parse_map(j->gid_map, &gid, &n_gid, err) < 0 ||
	    ib_mnttab_parse(j->mountinfo, &t, err) < 0)
		goto out;
	{
		struct ib_vet_policy pol = {
		    .masked = p->masked ? (char **)p->masked : none,
		    .readonly = p->readonly ? (char **)p->readonly : none,
		    .emulated = p->emulated ? (char **)p->emulated : none,
		    .ids = {.uid = uid, .gid = gid, .n_uid = n_uid, .n_gid = n_gid}};

		pthread_mutex_lock(&g_lock);
		if (!g_jail && ib_vet_state_init(&g_st, &t, &pol, err) == 0)
			g_jail = true;
		r = g_jail ? 0 : -1;
		pthread_mutex_unlock(&g_lock);
	}
out:
	ib_mnttab_free(&t);
	free(uid);
	free(gid);
	return r;
}

void ib_rule_mount_jail_ns(int fd)
{
	pthread_mutex_lock(&g_lock);
	if (g_jail_mntns < 0)
		g_jail_mntns = IB_STEAL_FD(fd);
	pthread_mutex_unlock(&g_lock);
	if (fd >= 0)
		close(fd);
}

/* ---- one call ---- */

#define MAX_OBJS 2

/* The caller's namespaces a new filesystem is created in (opened once:
 * decided on and joined). */
enum { NS_NET, NS_IPC, NS_CGROUP, NS_PID, NS_USER, NS_N };
static const struct {
	const char *name;
	int type;
} g_ns[NS_N] = {[NS_NET] = {"ns/net", CLONE_NEWNET},
		[NS_IPC] = {"ns/ipc", CLONE_NEWIPC},
		[NS_CGROUP] = {"ns/cgroup", CLONE_NEWCGROUP},
		[NS_PID] = {"ns/pid", CLONE_NEWPID},
		[NS_USER] = {"ns/user", CLONE_NEWUSER}};

struct obj {
	int fd;			/* ours, O_PATH (or the detached tree) */
	struct ib_caller_obj o; /* identity (path as the caller sees it) */
	struct ib_vet_obj v;
};

struct mcall {
	struct ib_notify_call *c;
	struct ib_vet_call call;
	struct obj src, dst;
	struct ib_mnttab tab;
	char *source, *target, *fstype, *data, *key, *value, *from, *to;
	int src_dirfd, dst_dirfd; /* the caller's dirfds, reopened (-1: cwd) */
	int ctx_fd;		  /* pidfd_getfd() copy (fsconfig, fsmount) */
	int userns_fd;		  /* mount_setattr MOUNT_ATTR_IDMAP */
	int ns[NS_N];		  /* a new filesystem: the caller's namespaces */
	struct mount_attr attr;
};

static void mcall_init(struct mcall *m, struct ib_notify_call *c)
{
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->src.fd = m->dst.fd = m->src_dirfd = m->dst_dirfd = m->ctx_fd = m->userns_fd = -1;
	for (size_t i = 0; i < NS_N; i++)
		m->ns[i] = -1;
}

static void obj_clear(struct obj *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	ib_caller_obj_clear(&o->o);
}

/* Our references to the caller's objects, dropped before its call is
 * answered: a mount we still held when its next call comes (an umount of
 * what it just mounted, or of the target of a refused move) would fail
 * with EBUSY. */
static void mcall_drop_refs(struct mcall *m)
{
	struct obj *objs[] = {&m->src, &m->dst};

	for (size_t i = 0; i < IB_ARRAY_SIZE(objs); i++) {
		if (objs[i]->fd >= 0)
			close(objs[i]->fd);
		objs[i]->fd = -1;
	}
	for (int *fd = &m->src_dirfd; fd <= &m->userns_fd; fd++) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
}

static void mcall_free(struct mcall *m)
{
	obj_clear(&m->src);
	obj_clear(&m->dst);
	ib_mnttab_free(&m->tab);
	free(m->source);
	free(m->target);
	free(m->fstype);
	free(m->data);
	free(m->key);
	free(m->value);
	free(m->from);
	free(m->to);
	for (int *fd = &m->src_dirfd; fd <= &m->userns_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	for (size_t i = 0; i < NS_N; i++)
		if (m->ns[i] >= 0)
			close(m->ns[i]);
}

/* Answered (false) when the caller's memory cannot be read. NULL pointer:
 * *out = NULL unless required. */
static bool read_str(struct mcall *m, unsigned arg, const char *key, bool required, char **out)
{
	uint64_t addr = ib_notify_arg(m->c, arg);
	ib_err err = {0};

	*out = NULL;
	if (!addr && !required)
		return true;
	*out = ib_caller_read_path(&m->c->caller, addr, &err);
	if (!*out) {
		if (ib_notify_valid(m->c))
			ib_notify_fail(m->c, err.code == ENAMETOOLONG ? ENAMETOOLONG
					     : err.code		      ? err.code
								      : EFAULT);
		return false;
	}
	ib_notify_arg_str(m->c, key, *out);
	return true;
}

/* The caller's dirfd (AT_FDCWD: -1), reopened O_PATH. */
static bool caller_dirfd(struct mcall *m, int dfd, const char *key, int *out)
{
	ib_err err = {0};

	*out = -1;
	if (dfd == AT_FDCWD)
		return true;
	ib_notify_arg_int(m->c, key, dfd);
	*out = ib_caller_fd(&m->c->caller, dfd, NULL, &err);
	if (*out < 0) {
		if (ib_notify_valid(m->c))
			ib_notify_fail(m->c, EBADF);
		return false;
	}
	return true;
}

/* A copy of the caller's fd itself (fs contexts cannot be reopened). */
static bool caller_getfd(struct mcall *m, int fd, int *out)
{
	_cleanup_close_ int pidfd = ib_pidfd_open(m->c->caller.creds.tgid, 0);

	*out = -1;
	if (pidfd >= 0)
		*out = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (*out < 0) {
		int e = errno;

		if (ib_notify_valid(m->c))
			ib_notify_fail(m->c, e == ESRCH || pidfd < 0 ? EPERM : EBADF);
		return false;
	}
	if (fcntl(*out, F_SETFD, FD_CLOEXEC) < 0) {
		ib_notify_fail(m->c, EIO);
		return false;
	}
	return true;
}

/* "/proc/self/fd/N" or "/proc/thread-self/fd/N", alone or followed by
 * "/...": N, and *rest the "/..." part ("" if none); -1 otherwise. */
static int proc_self_fd(const char *path, const char **rest)
{
	static const char *const prefixes[] = {"/proc/self/fd/", "/proc/thread-self/fd/"};

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(prefixes[i]);
		long v = 0;
		const char *p;

		if (strncmp(path, prefixes[i], n))
			continue;
		for (p = path + n; *p >= '0' && *p <= '9' && v <= INT_MAX / 10; p++)
			v = v * 10 + (*p - '0');
		if (p == path + n || (*p && *p != '/') || v > INT_MAX)
			return -1;
		*rest = p;
		return (int)v;
	}
	return -1;
}

/* The caller's /proc/self/fd/N (runc mounts its container's /proc, /sys,
 * ... through that magic link): the caller's fd N itself, when the
 * caller's /proc is a procfs. Its own pid in the pid namespace of that
 * procfs is not known here: runc's init already is in a new pid namespace
 * while /proc is still its parent's. 0 or an errno; -1 if the path is not
 * of that form or /proc is no procfs (resolved as any other path). */
static int resolve_proc_self_fd(struct mcall *m, const char *path, bool follow, struct obj *o)
{
	_cleanup_close_ int proc = -1, fd = -1;
	const char *rest = NULL;
	int n = proc_self_fd(path, &rest);
	struct statfs sf;
	ib_err err = {0};

	if (n < 0)
		return -1;
	proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0 || fstatfs(proc, &sf) < 0 || sf.f_type != PROC_SUPER_MAGIC)
		return -1;
	fd = ib_caller_fd(&m->c->caller, n, NULL, &err);
	if (fd < 0)
		return err.code == EBADF ? ENOENT : err.code ? err.code : EIO;
	if (!*rest) {
		o->fd = IB_STEAL_FD(fd);
		return 0;
	}
	o->fd = openat(fd, rest + 1, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	return o->fd < 0 ? errno : 0;
}

/* Resolve (dirfd, path) in the caller's context (entered) to o->fd. An
 * empty path with empty_ok names dirfd itself. 0 or an errno. */
static int resolve(struct mcall *m, int dirfd, const char *path, bool follow, bool empty_ok,
		   struct obj *o)
{
	_cleanup_free_ char *p = NULL;

	if (!path)
		return EFAULT;
	if (path[0] == '/') {
		int r = resolve_proc_self_fd(m, path, follow, o);

		if (r >= 0)
			return r;
	}
	if (!*path) {
		if (!empty_ok)
			return ENOENT;
		o->fd = dirfd >= 0 ? fcntl(dirfd, F_DUPFD_CLOEXEC, 3)
				   : open(".", O_PATH | O_CLOEXEC | O_DIRECTORY);
		return o->fd < 0 ? errno : 0;
	}
	p = ib_caller_proc_self(path, m->c->caller.creds.ns_tgid, m->c->caller.creds.ns_tid);
	o->fd = openat(dirfd >= 0 ? dirfd : AT_FDCWD, p,
		       O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	return o->fd < 0 ? errno : 0;
}

/* Fill o->v (after every object was resolved: the first identify reads
 * the caller's mountinfo). */
static int identify(struct mcall *m, struct obj *o)
{
	struct statfs sf;
	ib_err err = {0};

	if (o->fd < 0)
		return 0;
	/* One statx there: the object's type, mode, mount id and whether it
	 * is its mount's root. */
	if (ib_caller_identify(&m->c->caller, o->fd, &o->o, &err) < 0)
		return err.code ? err.code : EIO;
	if (!o->o.mnt_id_known)
		return EIO;
	o->v.present = true;
	o->v.mnt_id = o->o.mnt_id;
	o->v.mnt_root = o->o.mnt_root;
	o->v.path = o->o.path;
	o->v.nsfs = fstatfs(o->fd, &sf) == 0 && sf.f_type == NSFS_MAGIC;
	return 0;
}

/* Our fd's magic link, relative to our procfs (the cwd while performing). */
static const char *magic(char *buf, size_t len, int fd)
{
	snprintf(buf, len, "thread-self/fd/%d", fd);
	return buf;
}

static bool to_procfs(void)
{
	return ib_caller_chdir_procfs() == 0;
}

/* ---- covers (post-action of a fresh procfs/sysfs) ---- */

static const struct ib_vet_immutable *jail_mount(uint64_t id)
{
	for (size_t i = 0; i < g_st.n_imm; i++)
		if (g_st.imm[i].id == id && g_st.imm[i].kind != IB_VET_K_COVER)
			return &g_st.imm[i];
	return NULL;
}

/* path (in the container) opened in the jail's root; *im: the jail mount
 * it lies on, fs_path: its path from that filesystem's root. */
static int jail_open(int root, const char *path, struct statx *stx,
		     const struct ib_vet_immutable **im, char **fs_path, ib_err *err)
{
	_cleanup_close_ int fd = ib_openat2(root, path, O_PATH | O_NOFOLLOW | O_CLOEXEC,
					    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	size_t n;
	const char *rest;

	if (fd < 0)
		return ib_err_sys(err, "the jail's %s", path);
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MNT_ID, stx) <
		0 ||
	    !(stx->stx_mask & STATX_MNT_ID))
		return ib_err_sys(err, "statx the jail's %s", path);
	*im = jail_mount(stx->stx_mnt_id);
	if (!*im)
		return ib_err_set(err, EPERM, "the jail's %s is not on one of its mounts", path);
	n = strlen((*im)->mountpoint);
	if (!strcmp((*im)->mountpoint, "/"))
		rest = path;
	else if (!strncmp(path, (*im)->mountpoint, n) && (!path[n] || path[n] == '/'))
		rest = path + n;
	else
		return ib_err_set(err, EPERM, "the jail's %s is not where its mount is", path);
	*fs_path = !*rest		       ? ib_xstrdup((*im)->root)
		   : !strcmp((*im)->root, "/") ? ib_xstrdup(rest)
					       : ib_xasprintf("%s%s", (*im)->root, rest);
	return IB_STEAL_FD(fd);
}

/* One source: its fd, or -1 when the jail has no such file or it is not
 * what it must be (the cover that needs it then fails: EPERM). */
static void jail_find(int root, struct jail_src *js, bool null)
{
	const struct ib_vet_immutable *im = NULL;
	struct statx stx;
	ib_err err = {0};

	js->fd = jail_open(root, js->path, &stx, &im, &js->root, &err);
	if (js->fd < 0)
		return;
	if (null ? !S_ISCHR(stx.stx_mode) || stx.stx_rdev_major != 1 || stx.stx_rdev_minor != 3
		 : im->kind != IB_VET_K_EMULATED || strcmp(im->mountpoint, js->path) != 0) {
		close(js->fd);
		js->fd = -1;
		free(js->root);
		js->root = NULL;
	}
}

/* Called with the lock held, by a worker in its caller's context (c):
 * leaves it in the jail's mount namespace with our capabilities. */
static int jail_sources(struct ib_caller *c, ib_err *err)
{
	_cleanup_close_ int root = -1;
	size_t n = 0;

	if (g_jail_mntns < 0)
		return ib_err_set(err, EPERM, "no mount namespace of the jail");
	if (ib_caller_as_agent(c, g_jail_mntns, err) < 0)
		return -1;
	if (g_src.ready)
		return 0;
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return ib_err_sys(err, "the jail's root");
	g_src.null.path = "/dev/null";
	jail_find(root, &g_src.null, true);
	for (char **p = g_st.emulated; p && *p; p++)
		n++;
	g_src.emul = ib_xmalloc0((n ? n : 1) * sizeof(*g_src.emul));
	for (size_t i = 0; i < n; i++) {
		g_src.emul[i].path = g_st.emulated[i];
		jail_find(root, &g_src.emul[i], false);
	}
	g_src.n_emul = n;
	g_src.ready = true;
	return 0;
}

static const struct jail_src *emulated_src(const char *path)
{
	for (size_t i = 0; path && i < g_src.n_emul; i++)
		if (!strcmp(g_src.emul[i].path, path))
			return &g_src.emul[i];
	return NULL;
}

/* Cover the fresh procfs/sysfs behind our fd mnt (a detached mount: nobody
 * sees it before it is covered) as the engine plans, with the jail's own
 * sources (jail_sources(); we are in the jail's mount namespace, where they
 * can be cloned); registers each cover. 0 or an errno. Called with the
 * lock held. */
static int cover(int mnt, const char *fstype)
{
	struct ib_vet_cover *plan = NULL;
	size_t n = ib_vet_cover_plan(&g_st, fstype, &plan);
	struct stat spot;
	int rc = 0;

	if (fstat(mnt, &spot) < 0) {
		ib_vet_cover_plan_free(plan, n);
		return errno;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const struct ib_vet_cover *v = &plan[i];
		const struct jail_src *js = NULL;
		_cleanup_close_ int at = -1, tree = -1, fsfd = -1;
		_cleanup_free_ char *root = NULL, *spot_path = NULL;
		struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
		struct stat st, cst;
		bool is_ro = true;

		/* /proc/sys/net is per network namespace, looked up in ours
		 * (the agent's), not the caller's: neither the jail's emulated
		 * file there (jail_find() finds the /proc/sys mount instead)
		 * nor this spot is the caller's. The kernel's entries there are
		 * read-only outside the initial network namespace
		 * (nf_conntrack_max, sysctl/knob.h), and the covered /proc/sys
		 * is read-only anyway: no cover is no write to the host. */
		if (v->op == IB_VET_COVER_EMULATE && !strcmp(fstype, "proc") &&
		    !strncmp(v->rel, "sys/net/", 8))
			continue;
		at = openat(mnt, v->rel, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (at < 0) {
			if (errno == ENOENT)
				continue;
			rc = errno;
			break;
		}
		if (fstat(at, &st) < 0) {
			rc = errno;
			break;
		}
		switch (v->op) {
		case IB_VET_COVER_RO:
			tree = ib_open_tree(at, "",
					    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH |
						AT_RECURSIVE);
			if (tree < 0 || fstat(tree, &cst) < 0 ||
			    ib_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro) < 0)
				rc = errno;
			root = ib_xasprintf("/%s", v->rel);
			break;
		case IB_VET_COVER_MASK:
			if (S_ISDIR(st.st_mode)) {
				fsfd = ib_fsopen("tmpfs", FSOPEN_CLOEXEC);
				if (fsfd < 0 ||
				    ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "0", 0) < 0 ||
				    ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
				    ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
				    (tree = ib_fsmount(fsfd, FSMOUNT_CLOEXEC,
						       MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
							   MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)) <
					0 ||
				    fstat(tree, &cst) < 0)
					rc = errno;
				root = ib_xstrdup("/");
				break;
			}
			js = &g_src.null;
			break;
		case IB_VET_COVER_EMULATE:
			is_ro = false;
			js = emulated_src(v->from);
			/* A virtual /proc/sys knob the jail's namespaces do not
			 * show (rootfs.c left it uncovered there too, e.g. a net
			 * knob of a module the container's netns has not): the
			 * kernel's file, which its root cannot write, as in the
			 * jail. Any other file: nothing to show but the kernel's. */
			if ((!js || js->fd < 0) && !strncmp(v->from, "/proc/sys/", 10))
				continue;
			if (!js)
				rc = EPERM;
			break;
		}
		if (!rc && js && js->fd < 0)
			rc = EPERM; /* the jail has no such source */
		if (!rc && js) {
			tree = ib_open_tree(js->fd, "",
					    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
			if (tree < 0 || fstat(tree, &cst) < 0)
				rc = errno;
			root = ib_xstrdup(js->root);
		}
		if (!rc && tree < 0)
			rc = EIO;
		if (rc)
			break;
		if (ib_move_mount(tree, "", at, "",
				  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
			rc = errno;
			break;
		}
		spot_path = ib_xasprintf("/%s", v->rel);
		ib_vet_state_add_cover(&g_st, major(cst.st_dev), minor(cst.st_dev), root, is_ro,
				       major(spot.st_dev), minor(spot.st_dev), spot_path,
				       v->from ? v->from : v->rel);
	}
	ib_vet_cover_plan_free(plan, n);
	return rc;
}

/* ---- a new filesystem in the caller's namespaces ---- */

/* Filesystems that take a namespace from the task that creates them. */
static bool ns_scoped(const char *fstype)
{
	static const char *const v[] = {"proc", "sysfs", "mqueue", "cgroup", "cgroup2", NULL};

	for (size_t i = 0; fstype && v[i]; i++)
		if (!strcmp(fstype, v[i]))
			return true;
	return false;
}

static unsigned ms_to_attr(uint64_t fl)
{
	unsigned a = 0;

	if (fl & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (fl & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (fl & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (fl & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (fl & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (fl & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else if (fl & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

/* In the grandchild: no malloc (forked from a threaded process). data is
 * our own writable copy. The fs context after FSCONFIG_CMD_CREATE
 * (ctx_only) or its detached mount. */
static int fs_create(const char *fstype, const char *source, char *data, uint64_t fl, bool ctx_only)
{
	static const struct {
		uint64_t ms;
		const char *flag;
	} sb[] = {{MS_RDONLY, "ro"},
		  {MS_SYNCHRONOUS, "sync"},
		  {MS_DIRSYNC, "dirsync"},
		  {MS_LAZYTIME, "lazytime"}};
	int fs = ib_fsopen(fstype, FSOPEN_CLOEXEC), mfd;

	if (fs < 0)
		return -1;
	if (source && ib_fsconfig(fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(sb) / sizeof(sb[0]); i++)
		if ((fl & sb[i].ms) && ib_fsconfig(fs, FSCONFIG_SET_FLAG, sb[i].flag, NULL, 0) < 0)
			return -1;
	for (char *opt = data, *next; opt && *opt; opt = next) {
		char *eq;

		next = strchr(opt, ',');
		if (next)
			*next++ = '\0';
		if (!*opt)
			continue;
		eq = strchr(opt, '=');
		if (eq)
			*eq++ = '\0';
		if (ib_fsconfig(fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, opt, eq, 0) < 0)
			return -1;
	}
	if (ib_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -1;
	if (ctx_only)
		return fs;
	mfd = ib_fsmount(fs, FSMOUNT_CLOEXEC, ms_to_attr(fl));
	close(fs);
	return mfd;
}

static int send_fd(int sock, int fd)
{
	char byte = 0, cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&msg);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&byte, 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	int fd = -1;

	if (recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1)
		return -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

static int wait_code(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return EIO;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EIO;
}

/* Effective capabilities = eff & permitted (this thread; in a forked
 * child: the process). */
static int set_effective(uint64_t eff)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct cd[2];

	if (syscall(SYS_capget, &hdr, cd) < 0)
		return -1;
	cd[0].effective = (uint32_t)eff & cd[0].permitted;
	cd[1].effective = (uint32_t)(eff >> 32) & cd[1].permitted;
	return (int)syscall(SYS_capset, &hdr, cd);
}

/* The caller's namespaces, opened once (m->ns), with our rights (the
 * caller's could not open a nested user namespace's files: ptrace access
 * to a task there needs CAP_SYS_PTRACE over it or being its creator). */
static int open_ns(struct mcall *m)
{
	ib_err err = {0};

	if (m->ns[0] >= 0)
		return 0;
	if (ib_caller_as_agent(&m->c->caller, -1, &err) < 0)
		return err.code ? err.code : EPERM;
	for (size_t i = 0; i < NS_N; i++) {
		m->ns[i] = openat(m->c->caller.proc_fd, g_ns[i].name, O_RDONLY | O_CLOEXEC);
		if (m->ns[i] < 0)
			return errno;
	}
	return 0;
}

/* The owner of namespace nsfd and its ancestors, up to ours. */
static size_t owner_chain(int nsfd, struct ib_vet_userns *chain, size_t max)
{
	struct stat own;
	size_t n = 0;
	int u;

	if (fstatat(ib_caller_procfs(), "thread-self/ns/user", &own, 0) < 0)
		return 0;
	u = ioctl(nsfd, NS_GET_USERNS);
	while (u >= 0 && n < max) {
		struct stat st;
		uid_t uid;
		int parent;

		if (fstat(u, &st) < 0 || ioctl(u, NS_GET_OWNER_UID, &uid) < 0)
			break;
		chain[n++] = (struct ib_vet_userns){.id = st.st_ino, .owner = uid};
		if (st.st_ino == own.st_ino)
			break;
		parent = ioctl(u, NS_GET_PARENT);
		close(u);
		u = parent;
	}
	if (u >= 0)
		close(u);
	return n;
}

/* A fresh procfs/sysfs is built by us, outside the caller's reach (the
 * kernel would refuse it in a nested user namespace): first decide, as the
 * kernel would for the caller, that it may mount there at all -- capable
 * over the owner of its mount namespace (may_mount()) and of its pid
 * namespace (proc) or network namespace (sysfs). NULL or why not. */
static char *pseudofs_refusal(struct mcall *m, const char *fs)
{
	const struct ib_caller *c = &m->c->caller;
	bool cap = c->creds.cap_eff & (1ULL << CAP_SYS_ADMIN);
	struct ib_vet_userns chain[40];
	struct stat self;
	size_t n;

	if (fstat(m->ns[NS_USER], &self) < 0)
		return ib_xstrdup("the caller's user namespace is gone");
	n = owner_chain(c->mnt_fd, chain, IB_ARRAY_SIZE(chain));
	if (!ib_vet_ns_capable(chain, n, self.st_ino, c->creds.euid, cap))
		return ib_xasprintf("the caller has no CAP_SYS_ADMIN over the user namespace "
				    "owning its mount namespace");
	n = owner_chain(m->ns[strcmp(fs, "proc") == 0 ? NS_PID : NS_NET], chain,
			IB_ARRAY_SIZE(chain));
	if (!ib_vet_ns_capable(chain, n, self.st_ino, c->creds.euid, cap))
		return ib_xasprintf("the caller has no CAP_SYS_ADMIN over the user namespace "
				    "owning its %s namespace",
				    strcmp(fs, "proc") == 0 ? "pid" : "network");
	return NULL;
}

/* A new filesystem, created by a grandchild of ours that joined the
 * caller's network, IPC, cgroup and pid namespaces (proc shows the caller's
 * pids, sysfs its network devices, ...) and, for a caller in a nested user
 * namespace, that user namespace, with the caller's effective capabilities
 * (and our fsuid/fsgid: the caller's): the kernel checks fsopen
 * (may_mount() over the caller's mount namespace, the current one) and
 * the superblock (proc: capable over its pid namespace's owner; sysfs: over
 * its network's) for the caller, and reads the options in its user
 * namespace. Returns the fs context after FSCONFIG_CMD_CREATE (ctx_only:
 * we mount it) or its detached mount, made in the caller's mount namespace.
 * fd or -errno. */
static int ns_fs_create(struct mcall *m, const char *data_in, uint64_t fl, bool ctx_only)
{
	int sp[2] = {-1, -1}, rc, fd;
	_cleanup_free_ char *data = data_in ? ib_xstrdup(data_in) : NULL;
	uint64_t eff = m->c->caller.creds.cap_eff;
	bool nested = m->c->caller.foreign_userns;
	pid_t pid;

	if ((rc = open_ns(m)))
		return -rc;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = errno;
		goto out;
	}
	if (pid == 0) {
		pid_t g;

		/* our capabilities to join, then the caller's */
		if (set_effective(~0ULL) < 0)
			_exit(EPERM);
		for (size_t i = 0; i < NS_USER; i++)
			if (setns(m->ns[i], g_ns[i].type) < 0)
				_exit(errno);
		if (nested && setns(m->ns[NS_USER], CLONE_NEWUSER) < 0)
			_exit(EPERM);
		if (set_effective(eff) < 0)
			_exit(EPERM);
		g = fork();
		if (g < 0)
			_exit(errno);
		if (g == 0) {
			int mfd = fs_create(m->fstype, m->source, data, fl, ctx_only);

			if (mfd < 0)
				_exit(errno ? errno : EIO);
			_exit(send_fd(sp[1], mfd) < 0 ? EIO : 0);
		}
		_exit(wait_code(g));
	}
	rc = wait_code(pid);
out:
	fd = rc ? -1 : recv_fd(sp[0]);
	if (!rc && fd < 0)
		rc = EIO;
	close(sp[0]);
	close(sp[1]);
	return rc ? -rc : fd;
}

/* ---- perform ---- */

/* umount2 of the mount decided on (dst: its root). Our fd would make it
 * busy: it is reached from the directory holding its mount point (".." of
 * a mount's root is there) by the mount point's name, checked to still
 * lead to that very mount, and our fd is closed first. */
static int do_umount(struct mcall *m, char *buf, size_t len)
{
	const struct ib_mnt *mnt = ib_mnttab_find(&m->tab, m->dst.v.mnt_id);
	const char *base = mnt ? strrchr(mnt->mountpoint, '/') : NULL;
	int flags = (int)(m->call.flags & ~UMOUNT_NOFOLLOW);
	_cleanup_close_ int parent = -1;
	struct statx stx;

	if (!m->dst.v.mnt_root) {
		errno = EINVAL; /* what the kernel answers for a non-root */
		return -1;
	}
	if (!base || !base[1] || !strcmp(base, "/.") || !strcmp(base, "/..")) {
		/* the root of the caller's view: only a lazy detach makes sense */
		return umount2(magic(buf, len, m->dst.fd), flags);
	}
	base++;
	if (S_ISDIR(m->dst.o.mode)) {
		parent = openat(m->dst.fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
	} else {
		/* a file mount: its directory by name (checked below) */
		_cleanup_free_ char *dir =
		    ib_xasprintf("%.*s", (int)(base - 1 - mnt->mountpoint), mnt->mountpoint);

		parent = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (parent < 0)
		return -1;
	close(m->dst.fd);
	m->dst.fd = -1;
	if (statx(parent, base, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != m->dst.v.mnt_id) {
		errno = EBUSY; /* changed under us: the caller may retry */
		return -1;
	}
	snprintf(buf, len, "thread-self/fd/%d/%s", parent, base);
	return umount2(buf, flags | UMOUNT_NOFOLLOW);
}

/* A new filesystem: by mount(2) on our fd's magic link, or, for one that
 * takes the caller's namespaces or must be covered, created detached in
 * those namespaces (ns_fs_create()), covered, then moved onto the target.
 * A procfs/sysfs is mounted (fsmount) and covered by us in the jail's mount
 * namespace: the kernel's mount_too_revealing() looks for a fully visible
 * one in the mount namespace of the task that mounts, which the jail has
 * (its /proc, unlocked there) and a nested user namespace has not (every
 * copy is MNT_LOCKED there, the masks hide files); the covers make the new
 * one show no more than the jail's. Then we attach it in the caller's mount
 * namespace. 0 or an errno. */
static int perform_new(struct mcall *m, const struct ib_vet_decision *d, const char *data,
		       uint64_t fl)
{
	char b[48];
	bool covered = d->post & IB_VET_POST_COVER;
	_cleanup_close_ int fd = -1, mfd = -1;
	ib_err err = {0};
	int rc;

	if (!ns_scoped(m->fstype) && !covered)
		return mount(m->source, magic(b, sizeof(b), m->dst.fd), m->fstype, fl, data) < 0
			   ? errno
			   : 0;
	fd = ns_fs_create(m, data, fl, covered);
	if (fd < 0)
		return -fd;
	if (covered) {
		/* in the jail's mount namespace, with our rights */
		if (jail_sources(&m->c->caller, &err) < 0)
			return err.code ? err.code : EPERM;
		mfd = ib_fsmount(fd, FSMOUNT_CLOEXEC, ms_to_attr(fl) | (unsigned)d->attr_set);
		if (mfd < 0)
			return errno;
		rc = cover(mfd, d->cover_fs ? d->cover_fs : m->fstype);
		if (rc)
			return rc;
	} else {
		mfd = IB_STEAL_FD(fd);
	}
	if (ib_caller_as_agent(&m->c->caller, m->c->caller.mnt_fd, &err) < 0)
		return err.code ? err.code : EPERM;
	if (ib_move_mount(mfd, "", m->dst.fd, "",
			  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return errno;
	return 0;
}

/* A mount(2) of a new filesystem that perform_new() creates in the
 * caller's namespaces (also for a nested caller: not through
 * perform_nested()). */
static bool new_ns_fs(const struct mcall *m, const struct ib_vet_decision *d)
{
	return m->call.sys == IB_VET_MOUNT &&
	       !(d->flags & (MS_BIND | MS_MOVE | MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE |
			     MS_UNBINDABLE)) &&
	       (ns_scoped(m->fstype) || (d->post & IB_VET_POST_COVER));
}

static int perform_mount(struct mcall *m, const struct ib_vet_decision *d)
{
	char a[48], b[PATH_MAX + 64];
	const char *data = d->data ? d->data : m->data;
	uint64_t fl = d->flags;
	int r;

	if (fl & (MS_BIND | MS_MOVE)) {
		if (fl & MS_REMOUNT)
			r = mount(NULL, magic(b, sizeof(b), m->dst.fd), NULL, fl, data);
		else
			r = mount(magic(a, sizeof(a), m->src.fd), magic(b, sizeof(b), m->dst.fd),
				  NULL, fl, NULL);
	} else if (fl & (MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
		r = mount(NULL, magic(b, sizeof(b), m->dst.fd), NULL, fl, data);
	} else {
		return perform_new(m, d, data, fl);
	}
	return r < 0 ? errno : 0;
}

/* The allowed call, performed on the decided objects: 0 or an errno. */
static int perform_call(struct mcall *m, const struct ib_vet_decision *d)
{
	char a[48], b[PATH_MAX + 64];
	int r = -1;

	errno = 0;
	if (!to_procfs())
		return EIO;
	switch (m->call.sys) {
	case IB_VET_MOUNT:
		return perform_mount(m, d);
	case IB_VET_UMOUNT2:
		r = do_umount(m, b, sizeof(b));
		break;
	case IB_VET_PIVOT_ROOT:
		ib_caller_fs_moved();
		r = ib_pivot_root(magic(a, sizeof(a), m->src.fd), magic(b, sizeof(b), m->dst.fd));
		ib_caller_fs_moved();
		break;
	case IB_VET_MOVE_MOUNT:
		r = ib_move_mount(m->src.fd, "", m->dst.fd, "",
				  MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH |
				      (unsigned)(m->call.flags & (MOVE_MOUNT_BENEATH | 0x100)));
		break;
	case IB_VET_MOUNT_SETATTR: {
		struct mount_attr at = m->attr;

		if (m->userns_fd >= 0)
			at.userns_fd = (uint64_t)m->userns_fd;
		r = ib_mount_setattr(m->dst.fd, "", AT_EMPTY_PATH | (m->call.flags & AT_RECURSIVE),
				     &at);
		break;
	}
	case IB_VET_FSCONFIG:
		r = ib_fsconfig(m->ctx_fd, FSCONFIG_SET_STRING, m->key,
				d->data ? d->data : m->value, (int)ib_notify_arg(m->c, 4));
		break;
	default:
		return ENOSYS;
	}
	return r < 0 ? (errno ? errno : EIO) : 0;
}

/* A caller in a user namespace nested in the container's: its capabilities
 * count there only, which a thread cannot join. A child of ours joins it
 * (full capabilities there, narrowed to the caller's effective set) and
 * performs the call; what it changes in the state is lost: new
 * filesystems (covered ones, ns-scoped ones) are made by perform_new() in
 * the worker instead. */
static int perform_nested(struct mcall *m, const struct ib_vet_decision *d)
{
	pid_t pid = fork();

	if (pid < 0)
		return errno;
	if (pid == 0) {
		int userns;

		/* our effective set back, to open the caller's user namespace
		 * and join it; then the caller's set. Not before: in the
		 * caller's context (its fsuid, no capabilities of ours) the
		 * ptrace check of /proc/TID/ns/user fails for a caller in a
		 * nested user namespace (EACCES): we are capable over it with
		 * our CAP_SYS_PTRACE only, its IDs are not ours. */
		if (set_effective(~0ULL) < 0)
			_exit(EPERM);
		userns = openat(m->c->caller.proc_fd, "ns/user", O_RDONLY | O_CLOEXEC);
		if (userns < 0)
			_exit(errno);
		if (setns(userns, CLONE_NEWUSER) < 0 ||
		    set_effective(m->c->caller.creds.cap_eff) < 0)
			_exit(EPERM);
		close(userns);
		_exit(perform_call(m, d));
	}
	return wait_code(pid);
}

/* A call whose effect on the caller's mount table is one mount attached
 * (a new filesystem mounted by mount(2) on our fd's magic link: not one
 * covered or made in the caller's namespaces) or detached (umount2): the
 * agent's kept table is updated with it rather than read again
 * (ib_caller_tab_begin/commit check it against the kernel's list). */
static bool one_mount_change(const struct mcall *m, const struct ib_vet_decision *d)
{
	if (m->call.sys == IB_VET_UMOUNT2)
		return m->dst.fd >= 0;
	return m->call.sys == IB_VET_MOUNT &&
	       !(d->flags & (MS_BIND | MS_MOVE | MS_REMOUNT | MS_SHARED | MS_PRIVATE | MS_SLAVE |
			     MS_UNBINDABLE)) &&
	       !ns_scoped(m->fstype) && !(d->post & IB_VET_POST_COVER);
}

static void perform(struct mcall *m, const struct ib_vet_decision *d)
{
	struct ib_caller_tab_txn x = {0};
	uint64_t gone_uid = 0, gone_id = m->dst.v.mnt_id;
	bool nested;
	int rc;

	if (one_mount_change(m, d)) {
		if (m->call.sys == IB_VET_UMOUNT2)
			gone_uid = ib_caller_mnt_uid(m->dst.fd);
		if (m->call.sys != IB_VET_UMOUNT2 || gone_uid)
			ib_caller_tab_begin(&m->c->caller, &x);
	}
	nested = m->c->caller.foreign_userns && !new_ns_fs(m, d);
	/* (perform_nested's child counts in its own copy: counted here too) */
	if (nested && m->call.sys == IB_VET_PIVOT_ROOT)
		ib_caller_fs_moved();
	rc = nested ? perform_nested(m, d) : perform_call(m, d);
	if (nested && m->call.sys == IB_VET_PIVOT_ROOT)
		ib_caller_fs_moved();
	if (!rc)
		ib_caller_tab_commit(&m->c->caller, &x, gone_uid, gone_id);
	ib_caller_tab_txn_free(&x);
	mcall_drop_refs(m);
	if (rc)
		ib_notify_fail(m->c, rc);
	else
		ib_notify_reply(m->c, 0);
}

/* ---- read the arguments ---- */

/* mount(2): false when answered. */
static bool args_mount(struct mcall *m, bool *src_path, bool *dst_path)
{
	uint64_t fl = ib_notify_arg(m->c, 3);

	if ((fl & MS_MGC_MSK) == MS_MGC_VAL)
		fl &= ~(uint64_t)MS_MGC_MSK;
	m->call.sys = IB_VET_MOUNT;
	m->call.flags = fl;
	ib_notify_arg_hex(m->c, "flags", fl);
	if (!read_str(m, 1, "target", true, &m->target))
		return false;
	*dst_path = true;
	if (fl & MS_REMOUNT) {
		if (!read_str(m, 4, "data", false, &m->data))
			return false;
	} else if (fl & (MS_BIND | MS_MOVE) &&
		   !(fl & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE) && !(fl & MS_BIND))) {
		if (!read_str(m, 0, "source", true, &m->source))
			return false;
		*src_path = true;
	} else if (!(fl & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE))) {
		if (!read_str(m, 0, "source", false, &m->source) ||
		    !read_str(m, 2, "fstype", true, &m->fstype) ||
		    !read_str(m, 4, "data", false, &m->data))
			return false;
	}
	m->call.source = m->source;
	m->call.target = m->target;
	m->call.fstype = m->fstype;
	m->call.data = m->data;
	return true;
}

void ib_rule_mount(struct ib_notify_call *c)
{
	const char *sc = c->syscall;
	struct mcall m;
	bool src_path = false, dst_path = false, src_follow = true, dst_follow = true;
	bool src_empty = false, dst_empty = false;
	struct ib_vet_decision d = {0};
	struct ib_vet_ctx ctx = {.st = &g_st, .tab = &m.tab, .id_dir = IB_IDOPTS_TO_CONTAINER};
	ib_err err = {0};
	int rc;

	mcall_init(&m, c);
	if (!strcmp(sc, "mount")) {
		if (!args_mount(&m, &src_path, &dst_path))
			goto out;
	} else if (!strcmp(sc, "umount2") || !strcmp(sc, "umount")) {
		m.call.sys = IB_VET_UMOUNT2;
		m.call.flags = !strcmp(sc, "umount") ? 0 : ib_notify_arg(c, 1);
		ib_notify_arg_hex(c, "flags", m.call.flags);
		if (!read_str(&m, 0, "target", true, &m.target))
			goto out;
		m.call.target = m.target;
		dst_path = true;
		dst_follow = !(m.call.flags & UMOUNT_NOFOLLOW);
	} else if (!strcmp(sc, "pivot_root")) {
		m.call.sys = IB_VET_PIVOT_ROOT;
		if (!read_str(&m, 0, "new_root", true, &m.source) ||
		    !read_str(&m, 1, "put_old", true, &m.target))
			goto out;
		m.call.source = m.source;
		m.call.target = m.target;
		src_path = dst_path = true;
	} else if (!strcmp(sc, "move_mount")) {
		m.call.sys = IB_VET_MOVE_MOUNT;
		m.call.flags = ib_notify_arg(c, 4);
		ib_notify_arg_hex(c, "flags", m.call.flags);
		if (!read_str(&m, 1, "from", true, &m.from) ||
		    !read_str(&m, 3, "to", true, &m.to) ||
		    !caller_dirfd(&m, (int)ib_notify_arg(c, 0), "from_dfd", &m.src_dirfd) ||
		    !caller_dirfd(&m, (int)ib_notify_arg(c, 2), "to_dfd", &m.dst_dirfd))
			goto out;
		m.call.source = m.from;
		m.call.target = m.to;
		src_path = dst_path = true;
		src_follow = m.call.flags & MOVE_MOUNT_F_SYMLINKS;
		dst_follow = m.call.flags & MOVE_MOUNT_T_SYMLINKS;
		src_empty = m.call.flags & MOVE_MOUNT_F_EMPTY_PATH;
		dst_empty = m.call.flags & MOVE_MOUNT_T_EMPTY_PATH;
	} else if (!strcmp(sc, "mount_setattr")) {
		uint64_t size = ib_notify_arg(c, 4), uattr = ib_notify_arg(c, 3);
		unsigned char buf[4096];

		m.call.sys = IB_VET_MOUNT_SETATTR;
		m.call.flags = ib_notify_arg(c, 2);
		ib_notify_arg_hex(c, "flags", m.call.flags);
		if (!read_str(&m, 1, "path", true, &m.target) ||
		    !caller_dirfd(&m, (int)ib_notify_arg(c, 0), "dfd", &m.dst_dirfd))
			goto out;
		if (size < MOUNT_ATTR_SIZE_VER0 || size > sizeof(buf)) {
			ib_notify_fail(c, size > sizeof(buf) ? E2BIG : EINVAL);
			goto out;
		}
		if (ib_caller_read(&c->caller, uattr, buf, size, &err) < 0) {
			if (ib_notify_valid(c))
				ib_notify_fail(c, EFAULT);
			goto out;
		}
		for (uint64_t i = sizeof(m.attr); i < size; i++)
			if (buf[i]) {
				ib_notify_fail(c, E2BIG);
				goto out;
			}
		memcpy(&m.attr, buf, size < sizeof(m.attr) ? size : sizeof(m.attr));
		m.call.attr_set = m.attr.attr_set;
		m.call.attr_clr = m.attr.attr_clr;
		m.call.propagation = m.attr.propagation;
		ib_notify_arg_hex(c, "attr_set", m.attr.attr_set);
		ib_notify_arg_hex(c, "attr_clr", m.attr.attr_clr);
		if ((m.attr.attr_set & MOUNT_ATTR_IDMAP) &&
		    !caller_getfd(&m, (int)m.attr.userns_fd, &m.userns_fd))
			goto out;
		m.call.target = m.target;
		dst_path = true;
		dst_follow = !(m.call.flags & AT_SYMLINK_NOFOLLOW);
		dst_empty = m.call.flags & AT_EMPTY_PATH;
	} else if (!strcmp(sc, "fsconfig")) {
		m.call.sys = IB_VET_FSCONFIG;
		m.call.cmd = (unsigned)ib_notify_arg(c, 1);
		if (!read_str(&m, 2, "key", true, &m.key) ||
		    !read_str(&m, 3, "value", true, &m.value) ||
		    !caller_getfd(&m, (int)ib_notify_arg(c, 0), &m.ctx_fd))
			goto out;
		m.call.key = m.key;
		m.call.value = m.value;
	} else {
		ib_notify_deny(c, EPERM, "not a mount call");
		goto out;
	}
	if (!ib_notify_valid(c))
		goto out;
	if (ib_caller_enter(&c->caller, &err) < 0) {
		ib_notify_deny(c, EPERM, err.msg);
		goto out;
	}
	rc = 0;
	if (src_path)
		rc = resolve(&m, m.src_dirfd, m.call.source, src_follow, src_empty, &m.src);
	if (!rc && dst_path)
		rc = resolve(&m, m.dst_dirfd, m.call.target, dst_follow, dst_empty, &m.dst);
	if (!rc)
		rc = identify(&m, &m.src);
	if (!rc)
		rc = identify(&m, &m.dst);
	if (!rc && ib_caller_take_mnttab(&c->caller, &m.tab, &err) < 0)
		rc = EIO;
	if (rc) {
		mcall_drop_refs(&m);
		ib_notify_fail(c, rc);
		goto leave;
	}
	/* A mount not in the caller's table is a detached tree. */
	if (m.src.v.present && !ib_mnttab_find(&m.tab, m.src.v.mnt_id))
		m.src.v.path = NULL;
	if (m.dst.v.present && !ib_mnttab_find(&m.tab, m.dst.v.mnt_id))
		m.dst.v.path = NULL;
	m.call.src = m.src.v;
	m.call.dst = m.dst.v;
	free(c->target);
	c->target = ib_xstrdup(m.dst.o.path ? m.dst.o.path : m.src.o.path ? m.src.o.path : "?");

	pthread_mutex_lock(&g_lock);
	if (!g_jail) {
		pthread_mutex_unlock(&g_lock);
		mcall_drop_refs(&m);
		ib_notify_deny(c, EPERM, "no jail recorded for this container");
		goto leave;
	}
	ib_vet_decide(&ctx, &m.call, &d);
	if (d.allow && (d.post & IB_VET_POST_COVER) && new_ns_fs(&m, &d)) {
		char *why = open_ns(&m) ? ib_xstrdup("the caller's namespaces are gone")
					: pseudofs_refusal(&m, d.cover_fs ? d.cover_fs : m.fstype);

		if (why) {
			d.allow = false;
			d.error = EPERM;
			d.rule = "pseudofs-not-capable";
			free(d.reason);
			d.reason = why;
		}
	}
	if (d.allow)
		perform(&m, &d);
	pthread_mutex_unlock(&g_lock);
	if (!d.allow) {
		json_object_put(c->args);
		c->args = ib_vet_audit(&ctx, &m.call, &d);
		mcall_drop_refs(&m);
		ib_notify_deny(c, d.error ? d.error : EPERM,
			       d.reason ? d.reason : "refused by the mount rules");
	}
leave:
	ib_caller_leave(&c->caller);
out:
	ib_vet_decision_free(&d);
	mcall_free(&m);
}
