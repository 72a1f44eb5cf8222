/* The caller's context: what the supervisor needs to act *as* the thread
 * that made a trapped system call.
 *
 * The supervisor's notification agent (notify.c) lives in the container's
 * user namespace, so whatever it does is bounded by what the container
 * itself may do; each worker thread narrows that further, per call, to the
 * caller's own view and rights:
 *   - mount namespace, root and cwd: the worker has its own fs_struct
 *     (unshare(CLONE_FS)), setns()es into the caller's mount namespace,
 *     chroots to /proc/TID/root and chdirs to /proc/TID/cwd;
 *   - umask: the caller's (per fs_struct);
 *   - credentials: fsuid, fsgid and supplementary groups set per thread
 *     (raw syscalls: glibc would broadcast setgroups to every thread) and
 *     effective capabilities = the caller's (permitted stays full so they
 *     can be restored). A caller in a user namespace nested inside the
 *     container's gets no capabilities at all: its capabilities only count
 *     in its own namespace, which a thread cannot join; the emulation is
 *     narrower, never wider.
 * Afterwards the worker takes its own credentials back and leaves the
 * caller's cwd (an idle worker must not keep a mount busy). If the caller
 * was in the container's own mount namespace with the init's root (which
 * the container cannot unmount), the worker stays there a short while: a
 * call from a thread with the very same namespace and root (checked on
 * the objects: namespace inode; mount id, device and inode of the root the
 * worker holds) is served without joining them again. Any other context is
 * left at once: the worker returns to the agent's own (empty) mount
 * namespace, pinning no other namespace and no chroot's mount
 * (ib_caller_settle()).
 *
 * Every /proc file is reached through a directory fd of the host's procfs
 * (the container's /proc, visible once chrooted, does not know our pids). */
#ifndef IRONBOX_CALLER_H
#define IRONBOX_CALLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/fsid.h"
#include "supervisor/mounttable.h"

/* Credentials and fs attributes of a thread, from /proc/TID/status (IDs as
 * the reader's user namespace sees them). */
struct ib_caller_creds {
	pid_t tgid;
	pid_t ns_tid, ns_tgid; /* in the caller's own pid namespace */
	uid_t euid, fsuid;
	gid_t fsgid;
	gid_t groups[256];
	size_t n_groups;
	uint64_t cap_eff;
	mode_t umask;
};

/* Which namespace and root a context has (the root's mount id, device
 * and inode: one directory of one mount). */
struct ib_caller_ctx_id {
	dev_t ns_dev;
	ino_t ns_ino;
	uint64_t root_mnt;
	dev_t root_dev;
	ino_t root_ino;
	int root_is_mnt_root; /* the root is its mount's root: 1, 0, -1 unknown */
};

struct ib_caller {
	pid_t tid;	     /* host tid of the calling thread */
	int proc_fd;	     /* /proc/<tid> of the host's procfs */
	int mnt_fd;	     /* its mount namespace */
	int root_fd, cwd_fd; /* its root and cwd (O_PATH) */
	bool foreign_userns; /* in a user namespace nested in the container's */
	bool entered;	     /* this thread is in the caller's context */
	bool reused;	     /* the thread was in it already; the fds are the thread's */
	bool was_entered;    /* entered in full during this call */
	uint64_t fs_gen;     /* pivot_roots counted when the fds were opened */
	bool id_known;	     /* id is read (from the fds) */
	struct ib_caller_ctx_id id;
	struct ib_caller_creds creds;
	struct ib_mnttab tab; /* its mountinfo, parsed (read on demand) */
	bool tab_read;
	bool tab_hit;  /* the table came from the kept one (same namespace and root) */
	bool tab_kept; /* what the call did was applied to the kept table */
};

/* Per process: the host's procfs and the namespace to come back to. */
int ib_caller_setup(int procfs_fd, int home_mntns_fd, ib_err *err);
/* The host's procfs (ib_caller_setup's; magic links of our own fds are
 * reached through it as thread-self/fd/N). */
int ib_caller_procfs(void);
/* fs.protected_symlinks (for symlinks a rule follows by hand). */
bool ib_caller_protected_symlinks(void);
/* Per worker thread, once: its own fs_struct. */
int ib_caller_thread_init(ib_err *err);

/* Open the context of thread tid (host pid). Nothing is entered yet.
 * c->proc_fd belongs to the thread (kept for tid's next call); the other
 * fds are c's, or the thread's if c->reused. */
int ib_caller_open(pid_t tid, struct ib_caller *c, ib_err *err);
void ib_caller_close(struct ib_caller *c);

/* Copy len bytes of the caller's memory at addr (once: the caller may
 * change it afterwards, the copy is what is decided and used). */
int ib_caller_read(const struct ib_caller *c, uint64_t addr, void *buf, size_t len, ib_err *err);
/* A NUL-terminated path (at most PATH_MAX bytes), malloc'd. */
char *ib_caller_read_path(const struct ib_caller *c, uint64_t addr, ib_err *err);
/* O_PATH reopen of the caller's fd (the same object: mount and dentry).
 * -1 with EBADF if it has no such fd. *flags_out (if non-NULL) gets the
 * fd's open flags (fdinfo). */
int ib_caller_fd(const struct ib_caller *c, int fd, int *flags_out, ib_err *err);

/* Enter the caller's context on this thread (see above). Leave restores
 * our credentials; ib_caller_close() then leaves the cwd and either keeps
 * the namespace and root (with c's fds for them) or settles: goes back to
 * the agent's own mount namespace. The agent settles a thread that has
 * been idle a while. */
int ib_caller_enter(struct ib_caller *c, ib_err *err);
void ib_caller_leave(struct ib_caller *c);
void ib_caller_settle(void);
/* An idle worker: settles, and lets the last caller's /proc/TID go. */
void ib_caller_idle(void);
/* Whether this thread holds anything of a caller (ib_caller_idle()). */
bool ib_caller_unsettled(void);
/* This entered thread's cwd becomes our procfs (for thread-self/fd/N). */
int ib_caller_chdir_procfs(void);
/* Around a pivot_root(2) we perform: it moves the root and cwd of every
 * task that had the old root, parked workers included, which then are
 * not where their ids say. */
void ib_caller_fs_moved(void);
/* For a rule's own work within a call (building a covered procfs for the
 * caller, from objects the rule chose, not the caller): this entered
 * thread takes the agent's full capabilities and joins mount namespace
 * mntns_fd (its root as root and cwd; -1: stays). Settling restores as
 * usual. */
int ib_caller_as_agent(struct ib_caller *c, int mntns_fd, ib_err *err);

/* Where an object reached through the caller's mounts lies. */
struct ib_caller_obj {
	dev_t dev;	   /* its filesystem (mountinfo major:minor of its mount) */
	mode_t mode;	   /* file type and mode */
	bool mount_known;  /* its mount is in the caller's mountinfo */
	char *mount_root;  /* that mount's root, from the filesystem's root */
	char *fs_path;	   /* the object's path from the filesystem's root, NULL if
			    * unknown (deleted, unreachable from the caller's root) */
	char *path;	   /* as the caller sees it (NULL if unknown) */
	bool mnt_id_known; /* the kernel told its mount's id: */
	uint64_t mnt_id;
	bool mnt_root; /* it is its mount's root */
};
/* Keep the table of init's mount namespace, as its root shows it, between
 * calls (see caller.c); once, at CREATED (init: its host pid). */
void ib_caller_tab_cache(pid_t init);
/* We are about to answer a call: what it did may not show in the
 * namespace's change count, the kept table is read again. */
void ib_caller_tab_changed(void);
/* Read the kept table again now if it is out of date (after an answer, so
 * that the next call finds it ready). */
void ib_caller_tab_prefetch(void);
/* Keeping the table up to date with a call of ours that attaches or
 * detaches one mount in the caller's namespace, instead of reading it
 * again (see caller.c): begin() right before performing the call, on the
 * worker still in the caller's context, commit() after it succeeded, in
 * that context too (gone_uid/gone_id: the unique and mountinfo IDs of the
 * mount an umount2 removed; 0 for a mount, which adds one). Whatever does
 * not add up exactly leaves the table to be read again. */
struct ib_caller_tab_txn {
	bool on;
	uint64_t gen;
	uint64_t *before;
	size_t n_before;
};
void ib_caller_tab_begin(struct ib_caller *c, struct ib_caller_tab_txn *x);
void ib_caller_tab_commit(struct ib_caller *c, struct ib_caller_tab_txn *x, uint64_t gone_uid,
			  uint64_t gone_id);
void ib_caller_tab_txn_free(struct ib_caller_tab_txn *x);
/* The unique mount ID (STATX_MNT_ID_UNIQUE) of fd's mount, 0 if unknown. */
uint64_t ib_caller_mnt_uid(int fd);
/* Move the caller's mount table (read now if it was not yet) to *out;
 * a later identify reads it again. */
int ib_caller_take_mnttab(struct ib_caller *c, struct ib_mnttab *out, ib_err *err);
/* Identify our fd (opened while in the caller's context). */
int ib_caller_identify(struct ib_caller *c, int fd, struct ib_caller_obj *out, ib_err *err);
void ib_caller_obj_clear(struct ib_caller_obj *o);

/* chmod(2) of the object behind our fd (an O_PATH one too), with the
 * current (caller's) credentials. */
int ib_caller_chmod_fd(int fd, mode_t mode);

/* setxattr(2) of the object behind our fd (an O_PATH one too), with the
 * current credentials. Changes this thread's cwd (restored by leave). */
int ib_caller_setxattr_fd(int fd, const char *name, const void *value, size_t size, int flags);

/* ---- pure helpers (unit-tested) ---- */

/* Parse /proc/TID/status text. */
int ib_caller_parse_status(const char *text, struct ib_caller_creds *out, ib_err *err);
/* ib_mountinfo_lookup() is in common/fsid.h. */
/* A caller path with /proc/self or /proc/thread-self rewritten to the
 * caller's pids in its own pid namespace (we have none there), malloc'd. */
char *ib_caller_proc_self(const char *path, pid_t ns_tgid, pid_t ns_tid);

#endif
