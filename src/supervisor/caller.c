/* The caller-context facility (caller.h). */
#include "supervisor/caller.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/fsid.h"
#include "common/util.h"

static int g_procfs = -1;     /* the host's /proc */
static int g_home_mntns = -1; /* the agent's own (empty) mount namespace */
static ino_t g_own_userns;    /* the agent's user namespace */
static bool g_protected_symlinks = true;

int ib_caller_setup(int procfs_fd, int home_mntns_fd, ib_err *err)
{
	_cleanup_free_ char *ps = NULL;
	struct stat st;

	g_procfs = procfs_fd;
	g_home_mntns = home_mntns_fd;
	/* Not namespaced: the host's value is every container's. */
	if (ib_read_file_at(procfs_fd, "sys/fs/protected_symlinks", &ps, NULL, err) == 0)
		g_protected_symlinks = atoi(ps) != 0;
	ib_err_clear(err);
	if (fstatat(procfs_fd, "self/ns/user", &st, 0) < 0)
		return ib_err_sys(err, "stat own user namespace");
	g_own_userns = st.st_ino;
	return 0;
}

int ib_caller_procfs(void)
{
	return g_procfs;
}

bool ib_caller_protected_symlinks(void)
{
	return g_protected_symlinks;
}

/* ---- /proc/TID/status ---- */

static const char *field(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, key, kl) && l[kl] == ':')
			return l + kl + 1;
	return NULL;
}

/* The n-th (0-based) number of a field, or the last one (n < 0). */
static bool field_num(const char *text, const char *key, int n, int base, unsigned long long *out)
{
	const char *p = field(text, key);
	bool found = false;

	for (int i = 0; p && *p && *p != '\n'; i++) {
		char *end;
		unsigned long long v;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\n' || !*p)
			break;
		v = strtoull(p, &end, base);
		if (end == p)
			return false;
		if (n < 0 || i == n) {
			*out = v;
			found = true;
			if (n >= 0)
				return true;
		}
		p = end;
	}
	return found;
}

int ib_caller_parse_status(const char *text, struct ib_caller_creds *out, ib_err *err)
{
	unsigned long long v;
	const char *g;

	memset(out, 0, sizeof(*out));
	if (!field_num(text, "Tgid", 0, 10, &v))
		return ib_err_set(err, EINVAL, "status: no Tgid");
	out->tgid = (pid_t)v;
	out->ns_tgid = field_num(text, "NStgid", -1, 10, &v) ? (pid_t)v : 0;
	out->ns_tid = field_num(text, "NSpid", -1, 10, &v) ? (pid_t)v : 0;
	if (!field_num(text, "Uid", 1, 10, &v))
		return ib_err_set(err, EINVAL, "status: no euid");
	out->euid = (uid_t)v;
	if (!field_num(text, "Uid", 3, 10, &v))
		return ib_err_set(err, EINVAL, "status: no fsuid");
	out->fsuid = (uid_t)v;
	if (!field_num(text, "Gid", 3, 10, &v))
		return ib_err_set(err, EINVAL, "status: no fsgid");
	out->fsgid = (gid_t)v;
	if (!field_num(text, "CapEff", 0, 16, &v))
		return ib_err_set(err, EINVAL, "status: no CapEff");
	out->cap_eff = v;
	out->umask = field_num(text, "Umask", 0, 8, &v) ? (mode_t)v : 022;
	g = field(text, "Groups");
	while (g && *g && *g != '\n') {
		char *end;

		while (*g == ' ' || *g == '\t')
			g++;
		if (!*g || *g == '\n')
			break;
		v = strtoull(g, &end, 10);
		if (end == g)
			break;
		if (out->n_groups == IB_ARRAY_SIZE(out->groups))
			return ib_err_set(err, E2BIG, "status: too many supplementary groups");
		out->groups[out->n_groups++] = (gid_t)v;
		g = end;
	}
	return 0;
}

/* ---- open / close ---- */

/* Per worker thread: the /proc/TID directory and status file of the last
 * caller, kept for its next call. An fd of /proc/TID names that task, not
 * the number: once the task is gone every read through it fails (ESRCH,
 * ENOENT), even if the number is reused, and we open afresh. */
static __thread struct {
	pid_t tid;
	int dir, status;
} t_proc = {0, -1, -1};

/* Per worker thread: the caller's context it is still in after a call
 * (see caller.h), with the fds that hold it, until it settles. */
static __thread struct {
	bool dirty;    /* not in our own namespace, root and cwd */
	bool reusable; /* in the namespace and root of id (see park()) */
	bool cwd_here; /* our cwd is a caller's (not our procfs) */
	bool as_agent; /* a rule moved us elsewhere (ib_caller_as_agent) */
	int fds[2];    /* mnt, root */
	struct ib_caller_ctx_id id;
	uint64_t fs_gen; /* g_fs_gen when its fds were opened */
} t_park = {.fds = {-1, -1}};

/* Counts pivot_roots (ib_caller_fs_moved()). */
static _Atomic uint64_t g_fs_gen;

void ib_caller_fs_moved(void)
{
	g_fs_gen++;
}

static void proc_forget(void)
{
	if (t_proc.dir >= 0)
		close(t_proc.dir);
	if (t_proc.status >= 0)
		close(t_proc.status);
	t_proc.tid = 0;
	t_proc.dir = t_proc.status = -1;
}

/* The status text of tid, read now into buf (NUL-terminated). */
static int read_status(pid_t tid, char *buf, size_t size, ib_err *err)
{
	char name[32];
	ssize_t n;

	if (t_proc.tid == tid) {
		/* A read at offset 0 renders the file again. */
		n = pread(t_proc.status, buf, size, 0);
		if (n > 0)
			goto got;
	}
	proc_forget();
	snprintf(name, sizeof(name), "%d", (int)tid);
	t_proc.dir = openat(g_procfs, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (t_proc.dir < 0)
		return ib_err_sys(err, "open /proc/%d", (int)tid);
	t_proc.status = openat(t_proc.dir, "status", O_RDONLY | O_CLOEXEC);
	if (t_proc.status < 0) {
		ib_err_sys(err, "open /proc/%d/status", (int)tid);
		proc_forget();
		return -1;
	}
	t_proc.tid = tid;
	n = pread(t_proc.status, buf, size, 0);
	if (n <= 0) {
		ib_err_set(err, n < 0 ? errno : ESRCH, "read /proc/%d/status", (int)tid);
		proc_forget();
		return -1;
	}
got:
	if ((size_t)n == size)
		return ib_err_set(err, E2BIG, "/proc/%d/status: too long", (int)tid);
	buf[n] = '\0';
	return 0;
}

/* Mount id, device and inode of a directory (dirfd + path, or dirfd);
 * *mnt_root (if non-NULL): whether it is its mount's root (-1: unknown). */
static int dir_id(int dirfd, const char *path, uint64_t *mnt, dev_t *dev, ino_t *ino, int *mnt_root)
{
	struct statx stx;

	if (statx(dirfd, path, *path ? 0 : AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &stx) < 0)
		return -1;
	if (!(stx.stx_mask & STATX_MNT_ID)) {
		errno = ENOTSUP;
		return -1;
	}
	*mnt = stx.stx_mnt_id;
	*dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	*ino = (ino_t)stx.stx_ino;
	if (mnt_root)
		*mnt_root = !(stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) ? -1
			    : (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT)     ? 1
									       : 0;
	return 0;
}

/* The context id read from c's own fds. */
static int ctx_identify(struct ib_caller *c)
{
	struct ib_caller_ctx_id *id = &c->id;
	struct stat ns;

	if (c->id_known)
		return 0;
	if (fstat(c->mnt_fd, &ns) < 0 || dir_id(c->root_fd, "", &id->root_mnt, &id->root_dev,
						&id->root_ino, &id->root_is_mnt_root) < 0)
		return -1;
	id->ns_dev = ns.st_dev;
	id->ns_ino = ns.st_ino;
	c->id_known = true;
	return 0;
}

/* Whether tid's namespace and root are now the ones this thread is
 * parked in. The parked fds pin those objects (a mount's id, a namespace's
 * inode are not reused while held), and a directory has one dentry, so
 * equal ids mean the same objects; what tid does afterwards, it does to a
 * call that is already ours. */
static bool parked_here(int proc_fd)
{
	struct ib_caller_ctx_id now;
	struct stat ns;

	if (!t_park.reusable || t_park.fs_gen != g_fs_gen)
		return false;
	if (fstatat(proc_fd, "ns/mnt", &ns, 0) < 0 ||
	    dir_id(proc_fd, "root", &now.root_mnt, &now.root_dev, &now.root_ino,
		   &now.root_is_mnt_root) < 0)
		return false;
	/* (a mount has one root: with its id that is exact, whatever inode
	 * numbers the file system repeats) */
	return now.root_is_mnt_root == 1 && ns.st_dev == t_park.id.ns_dev &&
	       ns.st_ino == t_park.id.ns_ino && now.root_mnt == t_park.id.root_mnt &&
	       now.root_dev == t_park.id.root_dev && now.root_ino == t_park.id.root_ino;
}

int ib_caller_open(pid_t tid, struct ib_caller *c, ib_err *err)
{
	static __thread char status[16384];
	struct stat st;

	memset(c, 0, sizeof(*c));
	c->proc_fd = c->mnt_fd = c->root_fd = c->cwd_fd = -1;
	c->tid = tid;
	if (read_status(tid, status, sizeof(status), err) < 0 ||
	    ib_caller_parse_status(status, &c->creds, err) < 0)
		return ib_err_wrap(err, "credentials of %d", (int)tid);
	c->proc_fd = t_proc.dir; /* the thread's: not closed with c */
	c->fs_gen = g_fs_gen;	 /* (a pivot_root from here on moves what we open) */
	if (fstatat(c->proc_fd, "ns/user", &st, 0) < 0)
		return ib_err_sys(err, "user namespace of %d", (int)tid);
	c->foreign_userns = st.st_ino != g_own_userns;
	if (parked_here(c->proc_fd)) {
		c->mnt_fd = t_park.fds[0];
		c->root_fd = t_park.fds[1];
		c->id = t_park.id;
		c->id_known = c->reused = true;
	} else {
		ib_caller_settle();
		c->mnt_fd = openat(c->proc_fd, "ns/mnt", O_RDONLY | O_CLOEXEC);
		if (c->mnt_fd < 0)
			return ib_err_sys(err, "mount namespace of %d", (int)tid);
		c->root_fd = openat(c->proc_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (c->root_fd < 0)
			return ib_err_sys(err, "root of %d", (int)tid);
	}
	c->cwd_fd = openat(c->proc_fd, "cwd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->cwd_fd < 0)
		return ib_err_sys(err, "cwd of %d", (int)tid);
	return 0;
}

static bool tc_is_init_ctx(const struct ib_caller_ctx_id *id);

/* After a call on this thread that entered c and left it: no caller's cwd
 * is kept; the namespace and root are, if they are the init's (see
 * caller.h) and no rule took us elsewhere, else we go home now. */
static void park(struct ib_caller *c)
{
	if (t_park.cwd_here && ib_caller_chdir_procfs() < 0)
		abort(); /* must not keep a caller's directory busy */
	if (!t_park.as_agent && t_park.fs_gen == g_fs_gen && ctx_identify(c) == 0 &&
	    tc_is_init_ctx(&c->id)) {
		if (!c->reused) {
			t_park.fds[0] = IB_STEAL_FD(c->mnt_fd);
			t_park.fds[1] = IB_STEAL_FD(c->root_fd);
			t_park.id = c->id;
		}
		t_park.reusable = true;
		return;
	}
	if (c->reused)
		c->mnt_fd = c->root_fd = -1; /* closed by settling */
	ib_caller_settle();
}

void ib_caller_close(struct ib_caller *c)
{
	int *own[3] = {&c->mnt_fd, &c->root_fd, &c->cwd_fd};

	if (c->entered)
		ib_caller_leave(c);
	if (c->was_entered)
		park(c);
	else if (t_park.dirty && !t_park.reusable)
		ib_caller_settle(); /* entering failed half-way */
	if (c->reused)
		c->mnt_fd = c->root_fd = -1; /* the thread's */
	for (size_t i = 0; i < IB_ARRAY_SIZE(own); i++)
		if (*own[i] >= 0) {
			close(*own[i]);
			*own[i] = -1;
		}
	c->proc_fd = -1;
	ib_mnttab_free(&c->tab);
	c->tab_read = false;
}

/* ---- memory and fds ---- */

int ib_caller_read(const struct ib_caller *c, uint64_t addr, void *buf, size_t len, ib_err *err)
{
	struct iovec local = {buf, len}, remote = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(c->tid, &local, 1, &remote, 1, 0);

	if (n < 0)
		return ib_err_sys(err, "read memory of %d", (int)c->tid);
	if ((size_t)n != len)
		return ib_err_set(err, EFAULT, "short read of memory of %d", (int)c->tid);
	return 0;
}

char *ib_caller_read_path(const struct ib_caller *c, uint64_t addr, ib_err *err)
{
	char *buf = ib_xmalloc0(PATH_MAX);
	size_t got = 0;
	long page = sysconf(_SC_PAGESIZE);

	if (!addr) {
		free(buf);
		ib_err_set(err, EFAULT, "NULL path");
		return NULL;
	}
	/* Page by page: the string may end just before an unmapped page. */
	while (got < PATH_MAX) {
		uint64_t at = addr + got;
		size_t chunk = (size_t)(page - (long)(at % (uint64_t)page));
		struct iovec local, remote;
		ssize_t n;

		if (chunk > PATH_MAX - got)
			chunk = PATH_MAX - got;
		local = (struct iovec){buf + got, chunk};
		remote = (struct iovec){(void *)(uintptr_t)at, chunk};
		n = process_vm_readv(c->tid, &local, 1, &remote, 1, 0);
		if (n <= 0) {
			free(buf);
			ib_err_set(err, n < 0 ? errno : EFAULT, "read path of %d", (int)c->tid);
			return NULL;
		}
		if (memchr(buf + got, '\0', (size_t)n))
			return buf;
		got += (size_t)n;
	}
	free(buf);
	ib_err_set(err, ENAMETOOLONG, "path of %d too long", (int)c->tid);
	return NULL;
}

static int caps_set_effective(uint64_t eff);
static uint64_t t_effective(void);

static int caller_fd_open(const struct ib_caller *c, int fd, int *flags_out, ib_err *err)
{
	char name[48];
	_cleanup_close_ int f = -1;

	snprintf(name, sizeof(name), "fd/%d", fd);
	f = openat(c->proc_fd, name, O_PATH | O_CLOEXEC);
	if (f < 0)
		return ib_err_set(err, errno == ENOENT ? EBADF : errno, "fd %d of %d: %s", fd,
				  (int)c->tid, strerror(errno));
	if (flags_out) {
		_cleanup_free_ char *info = NULL;
		unsigned long long v;

		snprintf(name, sizeof(name), "fdinfo/%d", fd);
		if (ib_read_file_at(c->proc_fd, name, &info, NULL, err) < 0)
			return -1;
		if (!field_num(info, "flags", 0, 8, &v))
			return ib_err_set(err, EINVAL, "fdinfo %d of %d: no flags", fd,
					  (int)c->tid);
		*flags_out = (int)v;
	}
	return IB_STEAL_FD(f);
}

/* The caller's own fd (the object it holds: no right of the caller's is
 * needed to take it). In the caller's context, /proc/TID/fd/N is opened
 * with our capabilities for that one call: the kernel's ptrace check of
 * that link fails (EACCES) for a caller in a nested user namespace with
 * the caller's IDs and none of our capabilities (they count there only
 * through our CAP_SYS_PTRACE). */
int ib_caller_fd(const struct ib_caller *c, int fd, int *flags_out, ib_err *err)
{
	uint64_t eff;
	int f;

	if (fd < 0)
		return ib_err_set(err, EBADF, "bad fd %d", fd);
	if (!c->entered)
		return caller_fd_open(c, fd, flags_out, err);
	eff = t_effective();
	if (caps_set_effective(~0ULL) < 0)
		return ib_err_sys(err, "own capabilities");
	f = caller_fd_open(c, fd, flags_out, err);
	if (caps_set_effective(eff) < 0)
		abort(); /* must not act for the caller with our capabilities */
	return f;
}

/* ---- credentials ---- */

/* This thread's credentials and umask as they are now (the raw syscalls
 * change the calling thread only, and nothing else changes them), so that
 * entering and leaving a caller's context make only the calls that change
 * something: a root caller with our capabilities needs none. */
static __thread struct {
	uint64_t permitted, effective, inheritable;
	uid_t fsuid;
	gid_t fsgid;
	mode_t umask;
	size_t n_groups;
	gid_t groups[IB_ARRAY_SIZE(((struct ib_caller_creds *)0)->groups)];
} t_cur;

static uint64_t t_effective(void)
{
	return t_cur.effective;
}

/* Effective = eff & permitted (this thread only). */
static int caps_set_effective(uint64_t eff)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {0};

	eff &= t_cur.permitted;
	data[0].permitted = (uint32_t)t_cur.permitted;
	data[1].permitted = (uint32_t)(t_cur.permitted >> 32);
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	data[0].inheritable = (uint32_t)t_cur.inheritable;
	data[1].inheritable = (uint32_t)(t_cur.inheritable >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -1;
	t_cur.effective = eff;
	return 0;
}

static int set_fs_ids(uid_t uid, gid_t gid)
{
	/* setfs*id return the previous value; -1 (invalid) reads the current. */
	syscall(SYS_setfsgid, gid);
	if ((gid_t)syscall(SYS_setfsgid, (gid_t)-1) != gid)
		return -1;
	t_cur.fsgid = gid;
	syscall(SYS_setfsuid, uid);
	if ((uid_t)syscall(SYS_setfsuid, (uid_t)-1) != uid)
		return -1;
	t_cur.fsuid = uid;
	return 0;
}

static int set_groups(const gid_t *groups, size_t n)
{
	if (syscall(SYS_setgroups, n, groups) < 0)
		return -1;
	if (n) /* groups may be NULL then: memcpy's arguments never may */
		memcpy(t_cur.groups, groups, n * sizeof(*groups));
	t_cur.n_groups = n;
	return 0;
}

int ib_caller_thread_init(ib_err *err)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (unshare(CLONE_FS) < 0)
		return ib_err_sys(err, "unshare fs attributes");
	/* Our creator may have been in a caller's context: home first. */
	if (setns(g_home_mntns, CLONE_NEWNS) < 0)
		return ib_err_sys(err, "own mount namespace");
	/* Our own state: every capability we have effective, fs IDs 0, no
	 * supplementary groups (the agent dropped them), umask 022. */
	if (syscall(SYS_capget, &hdr, data) < 0)
		return ib_err_sys(err, "capget");
	t_cur.permitted = data[0].permitted | ((uint64_t)data[1].permitted << 32);
	t_cur.inheritable = data[0].inheritable | ((uint64_t)data[1].inheritable << 32);
	if (caps_set_effective(~0ULL) < 0 || set_groups(NULL, 0) < 0 || set_fs_ids(0, 0) < 0 ||
	    caps_set_effective(~0ULL) < 0)
		return ib_err_sys(err, "set own credentials");
	umask(022);
	t_cur.umask = 022;
	return 0;
}

/* This thread's namespace, root and cwd become c's. */
static int enter_fs(struct ib_caller *c, ib_err *err)
{
	if (c->reused) {
		t_park.reusable = false; /* until this call is over */
		t_park.cwd_here = true;
		if (fchdir(c->cwd_fd) < 0)
			return ib_err_sys(err, "take the cwd of %d", (int)c->tid);
		return 0;
	}
	t_park.fs_gen = c->fs_gen;
	if (setns(c->mnt_fd, CLONE_NEWNS) < 0)
		return ib_err_sys(err, "join the mount namespace of %d", (int)c->tid);
	t_park.dirty = t_park.cwd_here = true;
	if (fchdir(c->root_fd) < 0 || chroot(".") < 0)
		return ib_err_sys(err, "take the root of %d", (int)c->tid);
	if (fchdir(c->cwd_fd) < 0)
		return ib_err_sys(err, "take the cwd of %d", (int)c->tid);
	return 0;
}

int ib_caller_enter(struct ib_caller *c, ib_err *err)
{
	gid_t groups[IB_ARRAY_SIZE(c->creds.groups)];
	size_t n = 0;
	bool ids;

	c->entered = true;
	if (enter_fs(c, err) < 0)
		goto fail;
	if (t_cur.umask != c->creds.umask) {
		umask(c->creds.umask);
		t_cur.umask = c->creds.umask;
	}
	for (size_t i = 0; i < c->creds.n_groups; i++)
		/* An unmapped group (overflow) is nobody's: leave it out. */
		if (!c->foreign_userns || c->creds.groups[i] != 65534)
			groups[n++] = c->creds.groups[i];
	if ((n != t_cur.n_groups || memcmp(groups, t_cur.groups, n * sizeof(*groups))) &&
	    set_groups(groups, n) < 0) {
		ib_err_sys(err, "take the groups of %d", (int)c->tid);
		goto fail;
	}
	/* Changing the fs IDs from or to 0 changes the effective capabilities:
	 * they are set afterwards, always then. */
	ids = t_cur.fsuid != c->creds.fsuid || t_cur.fsgid != c->creds.fsgid;
	if (ids && set_fs_ids(c->creds.fsuid, c->creds.fsgid) < 0) {
		ib_err_set(err, EPERM, "take the fsuid/fsgid of %d", (int)c->tid);
		goto fail;
	}
	if ((ids ||
	     t_cur.effective != ((c->foreign_userns ? 0 : c->creds.cap_eff) & t_cur.permitted)) &&
	    caps_set_effective(c->foreign_userns ? 0 : c->creds.cap_eff) < 0) {
		ib_err_sys(err, "take the capabilities of %d", (int)c->tid);
		goto fail;
	}
	c->was_entered = true;
	return 0;
fail:
	ib_caller_leave(c);
	return -1;
}

int ib_caller_as_agent(struct ib_caller *c, int mntns_fd, ib_err *err)
{
	if (!c->entered)
		return ib_err_set(err, EINVAL, "not in the context of %d", (int)c->tid);
	if (caps_set_effective(~0ULL) < 0)
		return ib_err_sys(err, "own capabilities");
	t_park.as_agent = true;
	if (mntns_fd >= 0 && setns(mntns_fd, CLONE_NEWNS) < 0)
		return ib_err_sys(err, "join a mount namespace of the container");
	return 0;
}

int ib_caller_chdir_procfs(void)
{
	if (fchdir(g_procfs) < 0)
		return -1;
	t_park.cwd_here = false;
	return 0;
}

/* Our own credentials back: a thread that cannot restore itself must not
 * serve another caller. */
static void own_creds(void)
{
	bool ids = t_cur.fsuid != 0 || t_cur.fsgid != 0;

	/* Our capabilities first: they are needed for the rest. */
	if (ids || t_cur.effective != t_cur.permitted)
		if (caps_set_effective(~0ULL) < 0)
			abort();
	if (t_cur.n_groups && set_groups(NULL, 0) < 0)
		abort();
	if (ids && (set_fs_ids(0, 0) < 0 || caps_set_effective(~0ULL) < 0))
		abort();
}

void ib_caller_leave(struct ib_caller *c)
{
	if (!c->entered)
		return;
	own_creds();
	c->entered = false;
}

bool ib_caller_unsettled(void)
{
	return t_park.dirty || t_proc.dir >= 0;
}

void ib_caller_settle(void)
{
	if (!t_park.dirty)
		return;
	if (setns(g_home_mntns, CLONE_NEWNS) < 0)
		abort();
	if (t_cur.umask != 022) {
		umask(022);
		t_cur.umask = 022;
	}
	for (size_t i = 0; i < IB_ARRAY_SIZE(t_park.fds); i++)
		if (t_park.fds[i] >= 0) {
			close(t_park.fds[i]);
			t_park.fds[i] = -1;
		}
	t_park.dirty = t_park.reusable = t_park.cwd_here = t_park.as_agent = false;
}

void ib_caller_idle(void)
{
	ib_caller_settle();
	/* the last caller's task (and with it its pid and user namespaces)
	 * is not kept by an idle worker */
	proc_forget();
}

/* ---- identity ---- */

/* The rest of path below dir ("" or "/..."), or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/' ? (path[1] ? path : "") : NULL;
	if (strncmp(path, dir, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path + n;
}

/* ---- the mount table ---- */

/* Reading /proc/TID/mountinfo (the kernel formats every mount of the
 * namespace) and parsing it is the larger part of a vetted call. The table
 * of the container's own mount namespace, as the init's root (the jail's,
 * which the container cannot unmount) shows it, is kept between calls:
 *   - it is read through one fd of /proc/INIT/mountinfo, opened at the
 *     first call once the init can be looked at (not before it executed
 *     the container's program: until then it is not dumpable); that fd
 *     holds the namespace and the root, both live as long as the container;
 *   - a caller uses it only when it is in that very namespace and has that
 *     very root (namespace inode; the root's mount ID, device and inode),
 *     any other caller reads its own;
 *   - it is read again when poll() on that fd reports a change of the
 *     namespace since the last read (the kernel counts every attach,
 *     detach and remount in it, whoever made it) or when we answered a
 *     call since then (ib_caller_tab_changed: our own calls may change
 *     what that count leaves out, propagation for one) -- except a call of
 *     ours that attached or detached exactly one mount, checked against
 *     the kernel's list of mounts, which is applied to the table instead
 *     (ib_caller_tab_begin/commit, below);
 *   - it is checked at the same point of a call as the file was read
 *     before (after the call's objects were resolved).
 * Each call gets its own copy. */
#define TC_TRIES 64 /* opening the init's files, at most */

static struct {
	pthread_mutex_t lock;
	pid_t init;	/* 0: none known */
	unsigned tries; /* to open the init's files */
	int fd;		/* -1: nothing cached */
	dev_t ns_dev;
	ino_t ns_ino;
	uint64_t root_mnt;
	dev_t root_dev;
	ino_t root_ino;
	bool valid;
	uint64_t gen; /* bumped whenever tab is replaced or changed */
	struct ib_mnttab tab;
	/* The kernel's list of the namespace's mounts when the last change of
	 * ours was applied (table generation ids_gen), NULL if none. */
	uint64_t *ids;
	size_t n_ids;
	uint64_t ids_gen;
	uint64_t deltas, rereads; /* statistics (tests, bench) */
} g_tc = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

/* The identity of a root kept with the table: only a mount's root is kept
 * (*mnt 0 otherwise; tc_fresh_locked checks the table). */
static int root_id(int root_fd, uint64_t *mnt, dev_t *dev, ino_t *ino)
{
	int mnt_root;

	if (dir_id(root_fd, "", mnt, dev, ino, &mnt_root) < 0)
		return -1;
	if (mnt_root < 0) {
		errno = ENOTSUP;
		return -1;
	}
	if (!mnt_root)
		*mnt = 0;
	return 0;
}

/* The namespace and root identity of /proc/<dir> (dir: a pid or an open
 * /proc/TID directory when dirfd >= 0). */
static int ns_root_id(int dirfd, struct stat *ns, uint64_t *mnt, dev_t *dev, ino_t *ino)
{
	_cleanup_close_ int root = openat(dirfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (root < 0 || fstatat(dirfd, "ns/mnt", ns, 0) < 0)
		return -1;
	return root_id(root, mnt, dev, ino);
}

void ib_caller_tab_cache(pid_t init)
{
	pthread_mutex_lock(&g_tc.lock);
	if (!g_tc.init)
		g_tc.init = init;
	pthread_mutex_unlock(&g_tc.lock);
}

/* With the lock held: open the init's mountinfo. */
static int tc_open_locked(pid_t init, ib_err *err)
{
	char name[32];
	_cleanup_close_ int dir = -1, fd = -1;
	struct stat ns1, ns2;
	uint64_t m1, m2;
	dev_t d1, d2;
	ino_t i1, i2;

	snprintf(name, sizeof(name), "%d", (int)init);
	dir = openat(g_procfs, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0 || ns_root_id(dir, &ns1, &m1, &d1, &i1) < 0)
		return ib_err_sys(err, "namespace and root of %d", (int)init);
	fd = openat(dir, "mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ns_root_id(dir, &ns2, &m2, &d2, &i2) < 0)
		return ib_err_sys(err, "mountinfo of %d", (int)init);
	/* What the fd holds is what was checked before and after opening it. */
	if (ns1.st_dev != ns2.st_dev || ns1.st_ino != ns2.st_ino || m1 != m2 || d1 != d2 ||
	    i1 != i2)
		return ib_err_set(err, EAGAIN, "%d changed its namespace or root", (int)init);
	if (!m1)
		return ib_err_set(err, ENOTSUP, "the root of %d is not a mount's", (int)init);
	g_tc.fd = IB_STEAL_FD(fd);
	g_tc.ns_dev = ns1.st_dev;
	g_tc.ns_ino = ns1.st_ino;
	g_tc.root_mnt = m1;
	g_tc.root_dev = d1;
	g_tc.root_ino = i1;
	g_tc.valid = false;
	return 0;
}

void ib_caller_tab_changed(void)
{
	pthread_mutex_lock(&g_tc.lock);
	g_tc.valid = false;
	pthread_mutex_unlock(&g_tc.lock);
}

static int read_fd_all(int fd, char **out)
{
	size_t cap = 16384, used = 0;
	char *buf = ib_xmalloc0(cap);

	if (lseek(fd, 0, SEEK_SET) < 0) {
		free(buf);
		return -1;
	}
	for (;;) {
		ssize_t r;

		if (used + 1 >= cap) {
			cap *= 2;
			buf = ib_xrealloc(buf, cap);
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	*out = buf;
	return 0;
}

/* With the lock held: the cached table, read again if needed. */
static bool tc_fresh_locked(void)
{
	struct pollfd p = {.fd = g_tc.fd, .events = POLLPRI};
	_cleanup_free_ char *text = NULL;
	struct ib_mnttab t = {0};
	const struct ib_mnt *r;
	ib_err err = {0};
	int pr;

	if (g_tc.fd < 0)
		return false;
	/* poll() first: it takes note of the count the read then shows (a
	 * change between the two is reported next time). */
	do
		pr = poll(&p, 1, 0);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return false;
	if (g_tc.valid && !(p.revents & (POLLERR | POLLPRI)))
		return true;
	g_tc.valid = false;
	if (read_fd_all(g_tc.fd, &text) < 0 || ib_mnttab_parse(text, &t, &err) < 0)
		return false;
	/* The fd shows the namespace and root it was opened with: that must be
	 * the pair checked around its opening (the init could have changed
	 * either meanwhile, and back). Then the root's mount is in the table
	 * (mount IDs are the namespace's own) at "/" (paths are from it). Else
	 * nothing is kept. */
	r = ib_mnttab_find(&t, g_tc.root_mnt);
	if (!r || strcmp(r->mountpoint, "/") != 0) {
		ib_mnttab_free(&t);
		close(g_tc.fd);
		g_tc.fd = -1;
		g_tc.tries = TC_TRIES;
		return false;
	}
	ib_mnttab_free(&g_tc.tab);
	g_tc.tab = t;
	g_tc.valid = true;
	g_tc.gen++;
	g_tc.rereads++;
	return true;
}

void ib_caller_tab_prefetch(void)
{
	pthread_mutex_lock(&g_tc.lock);
	if (g_tc.fd >= 0 && !g_tc.valid)
		(void)tc_fresh_locked();
	pthread_mutex_unlock(&g_tc.lock);
}

/* The cached table for c, copied to *out: false when c is not in the
 * cached namespace with the cached root (or the cache failed). */
static bool tc_lookup(struct ib_caller *c, struct ib_mnttab *out)
{
	uint64_t mnt;
	bool hit;

	/* (the ids are read once per call, and kept with a parked context) */
	if (ctx_identify(c) < 0 || c->id.root_is_mnt_root < 0)
		return false;
	/* Only a mount's root is kept (tc_fresh_locked checks the table). */
	mnt = c->id.root_is_mnt_root ? c->id.root_mnt : 0;
	pthread_mutex_lock(&g_tc.lock);
	if (g_tc.fd < 0 && g_tc.init > 0 && g_tc.tries < TC_TRIES) {
		ib_err err = {0};

		g_tc.tries++;
		(void)tc_open_locked(g_tc.init, &err);
	}
	hit = g_tc.fd >= 0 && c->id.ns_dev == g_tc.ns_dev && c->id.ns_ino == g_tc.ns_ino &&
	      mnt == g_tc.root_mnt && c->id.root_dev == g_tc.root_dev &&
	      c->id.root_ino == g_tc.root_ino && tc_fresh_locked();
	if (hit)
		ib_mnttab_copy(&g_tc.tab, out);
	pthread_mutex_unlock(&g_tc.lock);
	return hit;
}

/* Whether id is the kept table's namespace and root (the init's). */
static bool tc_is_init_ctx(const struct ib_caller_ctx_id *id)
{
	bool yes;

	pthread_mutex_lock(&g_tc.lock);
	yes = g_tc.fd >= 0 && id->root_is_mnt_root == 1 && id->ns_dev == g_tc.ns_dev &&
	      id->ns_ino == g_tc.ns_ino && id->root_mnt == g_tc.root_mnt &&
	      id->root_dev == g_tc.root_dev && id->root_ino == g_tc.root_ino;
	pthread_mutex_unlock(&g_tc.lock);
	return yes;
}

/* The caller's mount table, read and parsed once per call at most. */
static const struct ib_mnttab *caller_tab(struct ib_caller *c, ib_err *err)
{
	_cleanup_free_ char *text = NULL;

	if (c->tab_read)
		return &c->tab;
	if (tc_lookup(c, &c->tab)) {
		c->tab_read = true;
		c->tab_hit = true;
		return &c->tab;
	}
	if (ib_read_file_at(c->proc_fd, "mountinfo", &text, NULL, err) < 0 ||
	    ib_mnttab_parse(text, &c->tab, err) < 0) {
		ib_err_wrap(err, "mountinfo of %d", (int)c->tid);
		return NULL;
	}
	c->tab_read = true;
	return &c->tab;
}

/* ---- keeping the table up to date with our own calls ----
 *
 * A mount or umount2 we performed changes the namespace's table by one
 * mount; reading and parsing the whole mountinfo again after each (the
 * kernel formats every mount) cost far more than the call. When the call's
 * table was the kept one, the change is applied to it instead, and only
 * when the kernel's own list of the namespace's mounts (listmount(2),
 * unique IDs, no formatting) shows exactly that change:
 *   begin:  (lock held) the kept table is valid; list the mounts (before);
 *           poll(): no change of the namespace since the table was checked,
 *           so the table and `before` describe the same mounts;
 *   perform the call (g_lock of rule_mount serialises every call we
 *           perform; the lock here is not held across it);
 *   commit: (lock held) poll() (takes note of our own change: the next
 *           lookup must not read again because of it), then list the
 *           mounts (after). The table is still the one begin saw (gen)
 *           and still valid (no answer of another call invalidated it),
 *           `after` is `before` plus exactly one mount whose parent is in
 *           the table (mount: its entry from statmount(2), the kernel's
 *           own description of it, paths from our root = the caller's),
 *           or minus exactly the mount we unmounted (umount2); anything
 *           else (a propagated copy, a mount made or removed meanwhile by
 *           someone else, a failed listing) and the table is read again.
 * Changes that attach or detach mounts are all seen by the lists; changes
 * of a mount's flags in the container's namespaces are made only by calls
 * we perform and answer (which invalidate as before), propagation-type
 * changes are not counted by the kernel for poll() either way. */
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#define STATX_MNT_ID_UNIQUE_ 0x4000U
#define LSMT_ROOT_ 0xffffffffffffffffULL

struct mnt_id_req_ {
	uint32_t size, spare;
	uint64_t mnt_id, param;
};

struct statmount_ {
	uint32_t size, mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major, sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags, fs_type;
	uint64_t mnt_id, mnt_parent_id;
	uint32_t mnt_id_old, mnt_parent_id_old;
	uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
	uint32_t mnt_root, mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype, sb_source;
	uint32_t opt_num, opt_array, opt_sec_num, opt_sec_array;
	uint64_t supported_mask;
	uint32_t uidmap_num, uidmap, gidmap_num, gidmap;
	uint64_t spare2[43];
	char str[];
};

#define SM_SB_BASIC 0x1U
#define SM_MNT_BASIC 0x2U
#define SM_MNT_ROOT 0x8U
#define SM_MNT_POINT 0x10U
#define SM_FS_TYPE 0x20U
#define SM_MNT_OPTS 0x80U
#define SM_FS_SUBTYPE 0x100U
#define SM_SB_SOURCE 0x200U
#define SM_NEEDED (SM_SB_BASIC | SM_MNT_BASIC | SM_MNT_ROOT | SM_MNT_POINT | SM_FS_TYPE)

uint64_t ib_caller_mnt_uid(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE_, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID_UNIQUE_))
		return 0;
	return stx.stx_mnt_id;
}

/* The unique IDs of the mounts of our mount namespace reachable from our
 * root (what /proc/TID/mountinfo of a task with that root lists). */
static ssize_t list_mounts(uint64_t **out, size_t hint)
{
	struct mnt_id_req_ req = {.size = 24, .mnt_id = LSMT_ROOT_};
	size_t cap = hint < 128 ? 256 : 2 * hint;
	uint64_t *ids = ib_xmalloc0(cap * sizeof(*ids));
	long n = syscall(SYS_listmount, &req, ids, cap, 0);

	if (n < 0 || (size_t)n >= cap) { /* a full buffer may have left some out */
		free(ids);
		return -1;
	}
	*out = ids;
	return n;
}

/* 0: no change since the last poll; 1: changed; -1: error. */
static int tc_poll_locked(void)
{
	struct pollfd p = {.fd = g_tc.fd, .events = POLLPRI};
	int pr;

	do
		pr = poll(&p, 1, 0);
	while (pr < 0 && errno == EINTR);
	if (pr < 0)
		return -1;
	return (p.revents & (POLLERR | POLLPRI)) ? 1 : 0;
}

void ib_caller_tab_begin(struct ib_caller *c, struct ib_caller_tab_txn *x)
{
	uint64_t *ids = NULL;
	ssize_t n;

	memset(x, 0, sizeof(*x));
	if (!c->tab_hit || !c->entered)
		return;
	pthread_mutex_lock(&g_tc.lock);
	if (g_tc.fd >= 0 && g_tc.valid) {
		/* The list taken with our last change, if the table is still the
		 * one it was applied to (else listed now; either way no change
		 * since, as poll() then says). */
		if (g_tc.ids && g_tc.ids_gen == g_tc.gen) {
			n = (ssize_t)g_tc.n_ids;
			ids = ib_xmalloc0((g_tc.n_ids ? g_tc.n_ids : 1) * sizeof(*ids));
			memcpy(ids, g_tc.ids, g_tc.n_ids * sizeof(*ids));
		} else {
			n = list_mounts(&ids, g_tc.tab.n);
		}
		if (n >= 0 && tc_poll_locked() == 0) {
			x->on = true;
			x->gen = g_tc.gen;
			x->before = IB_STEAL(ids);
			x->n_before = (size_t)n;
		} else {
			g_tc.valid = false; /* changed meanwhile: read again */
		}
	}
	pthread_mutex_unlock(&g_tc.lock);
	free(ids);
}

/* The entry of mount uid (our namespace) as mountinfo would show it. */
static bool stat_entry(uint64_t uid, struct ib_mnt *out)
{
	struct mnt_id_req_ req = {.size = 24,
				  .mnt_id = uid,
				  .param = SM_NEEDED | SM_MNT_OPTS | SM_FS_SUBTYPE | SM_SB_SOURCE};
	union {
		struct statmount_ sm;
		char b[8192];
	} small;
	_cleanup_free_ struct statmount_ *big = NULL;
	struct statmount_ *sm = &small.sm;
	size_t len = sizeof(small);
	struct ib_mnt_stat s;
	long r = syscall(SYS_statmount, &req, sm, len, 0);

	if (r < 0 && errno == EOVERFLOW) { /* long strings (an overlay's options) */
		len = 65536;
		sm = big = ib_xmalloc0(len);
		r = syscall(SYS_statmount, &req, sm, len, 0);
	}
	if (r < 0 || (sm->mask & SM_NEEDED) != SM_NEEDED || sm->size > len || sm->mnt_id != uid)
		return false;
	/* the strings are offsets into str[], NUL-terminated within size */
	sm->str[len - sizeof(*sm) - 1] = '\0';
	s = (struct ib_mnt_stat){
	    .id = sm->mnt_id_old,
	    .parent_id = sm->mnt_parent_id_old,
	    .major = sm->sb_dev_major,
	    .minor = sm->sb_dev_minor,
	    .attr = sm->mnt_attr,
	    .propagation = sm->mnt_propagation,
	    .sb_flags = sm->sb_flags,
	    .root = sm->str + sm->mnt_root,
	    .mountpoint = sm->str + sm->mnt_point,
	    .fstype = sm->str + sm->fs_type,
	    .subtype = (sm->mask & SM_FS_SUBTYPE) ? sm->str + sm->fs_subtype : NULL,
	    .source = (sm->mask & SM_SB_SOURCE) ? sm->str + sm->sb_source : NULL,
	    .opts = (sm->mask & SM_MNT_OPTS) ? sm->str + sm->mnt_opts : NULL,
	};
	if (s.root[0] != '/' || s.mountpoint[0] != '/')
		return false; /* unreachable from our root */
	ib_mnt_from_stat(&s, out);
	return true;
}

void ib_caller_tab_commit(struct ib_caller *c, struct ib_caller_tab_txn *x, uint64_t gone_uid,
			  uint64_t gone_id)
{
	uint64_t *after = NULL, added[2], removed[2];
	size_t n_added, n_removed, diff;
	bool ok = false;
	ssize_t n;

	if (!x->on)
		return;
	pthread_mutex_lock(&g_tc.lock);
	if (g_tc.fd < 0 || !g_tc.valid || g_tc.gen != x->gen || tc_poll_locked() < 0)
		goto out;
	n = list_mounts(&after, x->n_before);
	if (n < 0)
		goto out;
	diff = ib_mnt_ids_delta(x->before, x->n_before, after, (size_t)n, added, &n_added, removed,
				&n_removed, IB_ARRAY_SIZE(added));
	if (!gone_uid && diff == 1 && n_added == 1) {
		struct ib_mnt e;

		if (!stat_entry(added[0], &e))
			goto out;
		if (!ib_mnttab_find(&g_tc.tab, e.id) && ib_mnttab_find(&g_tc.tab, e.parent_id)) {
			ib_mnttab_add(&g_tc.tab, &e);
			ok = true;
		}
		ib_mnt_free(&e);
	} else if (gone_uid && diff == 1 && n_removed == 1 && removed[0] == gone_uid) {
		/* (a mount with submounts in the table cannot go alone) */
		for (size_t i = 0; i < g_tc.tab.n; i++)
			if (g_tc.tab.m[i].parent_id == gone_id && g_tc.tab.m[i].id != gone_id)
				goto out;
		ok = ib_mnttab_remove(&g_tc.tab, gone_id);
	}
out:
	free(g_tc.ids);
	g_tc.ids = NULL;
	if (ok) {
		g_tc.gen++;
		g_tc.deltas++;
		c->tab_kept = true;
		/* `after` was listed once our poll() took note of the count:
		 * it is the table's list until poll() reports a change */
		g_tc.ids = IB_STEAL(after);
		g_tc.n_ids = (size_t)n;
		g_tc.ids_gen = g_tc.gen;
	} else {
		g_tc.valid = false;
	}
	pthread_mutex_unlock(&g_tc.lock);
	free(after);
}

void ib_caller_tab_txn_free(struct ib_caller_tab_txn *x)
{
	free(x->before);
	memset(x, 0, sizeof(*x));
}

int ib_caller_take_mnttab(struct ib_caller *c, struct ib_mnttab *out, ib_err *err)
{
	if (!caller_tab(c, err))
		return -1;
	*out = c->tab;
	c->tab = (struct ib_mnttab){0};
	c->tab_read = false;
	return 0;
}

int ib_caller_identify(struct ib_caller *c, int fd, struct ib_caller_obj *out, ib_err *err)
{
	const char *mount_point = NULL;
	const struct ib_mnttab *tab;
	const struct ib_mnt *mnt;
	char link[64], path[PATH_MAX];
	struct statx stx;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_TYPE | STATX_MODE | STATX_MNT_ID, &stx) < 0)
		return ib_err_sys(err, "statx");
	out->mode = stx.stx_mode;
	out->dev = makedev(stx.stx_dev_major, stx.stx_dev_minor);
	out->mnt_id_known = stx.stx_mask & STATX_MNT_ID;
	out->mnt_id = stx.stx_mnt_id;
	out->mnt_root = (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	tab = caller_tab(c, err);
	if (!tab)
		return -1;
	if ((stx.stx_mask & STATX_MNT_ID) && (mnt = ib_mnttab_find(tab, stx.stx_mnt_id))) {
		out->dev = makedev(mnt->major, mnt->minor);
		out->mount_root = ib_xstrdup(mnt->root);
		mount_point = mnt->mountpoint;
		out->mount_known = true;
	}
	/* The path as our (the caller's) root sees it. */
	snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
	n = readlinkat(g_procfs, link, path, sizeof(path) - 1);
	if (n < 0)
		return ib_err_sys(err, "readlink %s", link);
	path[n] = '\0';
	if (path[0] != '/' || (n > 10 && !strcmp(path + n - 10, " (deleted)")))
		return 0; /* deleted or unreachable: only its mount is known */
	out->path = ib_xstrdup(path);
	if (out->mount_known) {
		const char *rest = below(path, mount_point);

		if (rest) {
			if (!strcmp(out->mount_root, "/"))
				out->fs_path = ib_xstrdup(*rest ? rest : "/");
			else
				out->fs_path = ib_xasprintf("%s%s", out->mount_root, rest);
		}
	}
	return 0;
}

void ib_caller_obj_clear(struct ib_caller_obj *o)
{
	free(o->mount_root);
	free(o->fs_path);
	free(o->path);
	memset(o, 0, sizeof(*o));
}

int ib_caller_chmod_fd(int fd, mode_t mode)
{
	char link[64];

	snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
	return fchmodat(g_procfs, link, mode, 0);
}

int ib_caller_setxattr_fd(int fd, const char *name, const void *value, size_t size, int flags)
{
	char link[64];

	/* No *at form before setxattrat: through our procfs as cwd. */
	snprintf(link, sizeof(link), "thread-self/fd/%d", fd);
	if (ib_caller_chdir_procfs() < 0)
		return -1;
	return setxattr(link, name, value, size, flags);
}

char *ib_caller_proc_self(const char *path, pid_t ns_tgid, pid_t ns_tid)
{
	static const char self[] = "/proc/self", tself[] = "/proc/thread-self";

	if (ns_tgid > 0 && !strncmp(path, self, sizeof(self) - 1) &&
	    (path[sizeof(self) - 1] == '/' || !path[sizeof(self) - 1]))
		return ib_xasprintf("/proc/%d%s", (int)ns_tgid, path + sizeof(self) - 1);
	if (ns_tgid > 0 && ns_tid > 0 && !strncmp(path, tself, sizeof(tself) - 1) &&
	    (path[sizeof(tself) - 1] == '/' || !path[sizeof(tself) - 1]))
		return ib_xasprintf("/proc/%d/task/%d%s", (int)ns_tgid, (int)ns_tid,
				    path + sizeof(tself) - 1);
	return ib_xstrdup(path);
}
