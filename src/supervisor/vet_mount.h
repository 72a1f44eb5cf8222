/* The rules for mount-family system calls made inside a container
 * (DESIGN.md behaviour 6): pure decisions, no system calls. The supervisor's
 * notification loop decodes a call, resolves its path arguments in the
 * caller's context, reads the caller's mount table, asks ib_vet_decide() and
 * then performs the call (or answers the errno) as the decision says.
 *
 * What the kernel already protects and what it does not is summarised at the
 * top of vet_mount.c (measured on 6.18 in ironbox containers); this header
 * is the contract with the supervisor.
 *
 * ## The model
 *
 * *Immutable* mounts are every mount of the container's initial mount
 * namespace at CREATED (rootfs, binds/volumes, /proc, /sys, /dev and its
 * submounts, masks, read-only paths, emulated /proc files, cgroups),
 * identified by mount ID, plus the *covers* the supervisor later puts on a
 * procfs/sysfs the container mounts itself. Three properties are enforced in
 * every mount namespace of the container (the initial one and any nested
 * one, same or new user namespace):
 *
 *  1. Nothing the jail hides is uncovered. Each immutable mount sits on a
 *     *spot*: its parent's filesystem (st_dev) and the path of its mount
 *     point inside that filesystem. Unmounting or moving a mount whose spot
 *     is an immutable's spot would make the hidden content visible, whatever
 *     the mount's ID (copies in nested namespaces have new IDs but the same
 *     spot), so umount2/move_mount/MS_MOVE/pivot_root of such a mount is
 *     refused. A non-recursive bind/clone copies a mount without its
 *     children, so one whose source contains a *sensitive* spot (mask,
 *     emulated file, read-only path, anything on a proc/sysfs) is refused;
 *     so is MS_UNBINDABLE on a cover (a later recursive bind would skip it).
 *  2. What the runtime made read-only stays read-only. A mount is
 *     *ro-protected* when it is an immutable read-only mount, or shows a
 *     part of a filesystem (same st_dev, root at or below) whose most
 *     specific immutable mount is read-only: binds and clones of a read-only
 *     volume, of the read-only rootfs, of /proc/sys, in any namespace and by
 *     whoever made them, without tracking lineage call by call. Clearing
 *     read-only on it (remount without MS_RDONLY, mount_setattr clearing
 *     MOUNT_ATTR_RDONLY) is refused. A fresh sysfs is the same superblock as
 *     the jail's (per network namespace), so it is made read-only when the
 *     jail's /sys is.
 *  3. In the initial namespace, the jail's mounts themselves (by ID) are
 *     neither unmounted, moved, nor mounted over (on their root, or on a
 *     directory that contains one of them). In nested namespaces mounting
 *     over copies is allowed (an inner `unshare --mount-proc`, an inner
 *     runtime's /proc and /dev): it hides, it does not uncover.
 * Everything else is the container's own business and allowed: its own
 * tmpfs/proc/sysfs/cgroup/overlay/mqueue/devpts/fuse mounts, binds of its
 * paths, their remounts and unmounts, propagation changes, new namespaces,
 * pivot_root into an inner rootfs and detaching the old root.
 *
 * A procfs or sysfs the container mounts is allowed with a post-action: the
 * supervisor covers it like the container's own (ib_vet_cover_plan()) and
 * registers the covers (ib_vet_state_add_cover()) before the caller can see
 * it. Inside a nested user namespace the kernel refuses such mounts
 * (mount_too_revealing() looks for a fully visible proc/sysfs in the
 * mounting task's mount namespace: there every copy is MNT_LOCKED and the
 * masks hide files), and an inner container that pivoted away from the old
 * root has none left to show, so the supervisor builds every one itself
 * (rule_mount.c): the caller must be capable over the owners of its mount
 * namespace and of its pid (proc) or network (sysfs) namespace
 * (ib_vet_ns_capable(), denied and audited otherwise); a grandchild in the
 * caller's namespaces, user namespace and effective capabilities creates
 * the superblock (the kernel repeats those checks for the caller); the
 * supervisor mounts it (fsmount) in the jail's mount namespace, where the
 * jail's /proc is fully visible, attaches the covers to the still detached
 * tree (accepted by 6.18) from the jail's own emulated files and /dev/null
 * (never from the caller's view, which an inner rootfs controls), then
 * move_mount()s it into the caller's mount namespace (checked on 6.18:
 * the caller sees its own pid 1, the emulated values and the masks). It
 * never shows more than the jail's /proc: the caller's pids, the same
 * covers. The covers are not locked in the caller's namespace; the rules
 * here refuse unmounting or moving them.
 *
 * ## How the supervisor calls it, per system call
 *
 * Registers the seccomp filter decides alone (no notification):
 *   mount      flags has none of MS_REMOUNT|MS_BIND|MS_MOVE and only
 *              MS_SHARED|MS_PRIVATE|MS_SLAVE (+MS_REC): ALLOW.
 *              MS_UNBINDABLE must be trapped (see 1.). MS_REMOUNT|MS_RDONLY
 *              with data == NULL and without MS_BIND: allowed in principle
 *              (it can only add read-only), trap it anyway if the audit log
 *              should see it.
 *   open_tree  flags without OPEN_TREE_CLONE: ALLOW (an O_PATH-like handle;
 *              what is done with it later is trapped).
 *   fsopen     ALLOW (nothing exists until fsmount).
 *   fspick     ALLOW (reconfiguration acts on the superblock; the kernel
 *              requires CAP_SYS_ADMIN over its owner: host filesystems of
 *              the rootfs, volumes and emulated files answer EPERM, checked;
 *              the container's own superblocks carry no jail flag: masks,
 *              read-only paths and the read-only rootfs are per-mount flags).
 *   fsconfig   cmd != FSCONFIG_SET_STRING: ALLOW. SET_STRING is trapped for
 *              the ID translation only (idopts.h).
 * Trapped (everything else of mount, umount2, open_tree with
 * OPEN_TREE_CLONE, move_mount, fsmount, mount_setattr, fsconfig
 * SET_STRING) and pivot_root, which is not in the original list but must be
 * trapped: pivot_root(".", ".") inside a mask directory moves the mask away
 * and uncovers it (shown on 6.18 with /sys/firmware).
 *
 * For each trapped call the supervisor:
 *   a. reads the pointer arguments once (strings up to PATH_MAX, mount's
 *      data up to a page, mount_setattr's struct mount_attr with its size);
 *   b. resolves every path argument in the caller's context (its mount
 *      namespace, root, cwd, and for dirfd arguments a pidfd_getfd() copy
 *      of the fd) to an O_PATH fd, honouring the call's own follow rules
 *      (umount2 UMOUNT_NOFOLLOW, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH,
 *      MOVE_MOUNT_[FT]_SYMLINKS/EMPTY_PATH, mount(2) follows), and fills an
 *      ib_vet_obj from statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID) (mnt_id,
 *      STATX_ATTR_MOUNT_ROOT) and readlink(/proc/self/fd/N) in that context;
 *   c. then reads /proc/<caller tid>/mountinfo into an ib_mnttab (after b.,
 *      so the table contains every mount b. found);
 *   d. calls ib_vet_decide();
 *   e. on deny: answers -error, and writes ib_vet_audit() as a JSON line;
 *      on allow: performs the call ON THE RESOLVED FDS (never re-resolving
 *      the paths), with decision.data instead of the caller's data/value
 *      when set and decision.flags as the flags, in the caller's context
 *      and credentials (user namespace included: performed as host root, a
 *      mount would escape the kernel's own checks), then the post-actions,
 *      and answers the result (new fds with SECCOMP_IOCTL_NOTIF_ADDFD).
 *      Never SECCOMP_USER_NOTIF_FLAG_CONTINUE for a call whose pointers
 *      decided something. Per call:
 *   mount      src = source path (MS_BIND, MS_MOVE), dst = target.
 *              MS_REMOUNT|MS_BIND -> mount_setattr(dst_fd, "",
 *              AT_EMPTY_PATH) setting the given per-mount flags and
 *              clearing the others (mount(2) replaces them all); MS_REMOUNT ->
 *              mount(NULL, "/proc/self/fd/<dst_fd>", NULL, flags, data) in
 *              the worker, or fspick+fsconfig+mount_setattr on dst_fd;
 *              MS_BIND -> open_tree(src_fd, "", OPEN_TREE_CLONE|
 *              AT_EMPTY_PATH [|AT_RECURSIVE]) + move_mount(.., dst_fd,
 *              MOVE_MOUNT_T_EMPTY_PATH); MS_MOVE -> move_mount(src_fd,
 *              dst_fd); new fs -> fsopen/fsconfig/fsmount/move_mount or
 *              mount() on /proc/self/fd/<dst_fd>. post COVER: see above.
 *   umount2    dst = target; perform umount2("/proc/self/fd/<dst_fd>",
 *              flags) in the caller's mount namespace (needs a procfs
 *              showing the worker; for a directory fchdir(dst_fd) +
 *              umount2(".") works without one).
 *   open_tree  src = dfd+path; perform with AT_EMPTY_PATH on src_fd, then
 *              record the clone: ib_vet_state_add_clone(new mount id).
 *   move_mount src = from (a detached tree fd or an attached mount), dst =
 *              to; perform on the two fds.
 *   fsmount    perform first (the new mount is detached, the caller cannot
 *              see it yet), set call.new_fstype from fstatfs()/mountinfo of
 *              the result, decide, then cover (post COVER), add
 *              decision.attr_set with mount_setattr, record
 *              (ib_vet_state_add_fresh()) and hand the fd over -- or close it.
 *   mount_setattr dst = dfd+path (AT_EMPTY_PATH etc.), flags = AT_RECURSIVE
 *              and friends, attr_* from the struct (size checked, unknown
 *              trailing bytes must be zero).
 *   fsconfig   key/value of SET_STRING: perform on a pidfd_getfd() copy of
 *              the context fd with decision.data as the value, from the
 *              host's user namespace (id_dir = IB_IDOPTS_TO_HOST; the kernel
 *              parses tmpfs/devpts/proc IDs in current_user_ns()) -- only
 *              the ID keys need performing; a call the decision left
 *              unchanged may be CONTINUEd (the translation decides nothing).
 *   pivot_root src = new_root, dst = put_old; perform in the worker.
 *
 * Unique mount IDs (STATX_MNT_ID_UNIQUE, listmount/statmount) would be
 * better than mountinfo's; the table and the objects must then both use
 * them. The engine treats IDs as opaque. Old IDs are safe enough here: the
 * jail's mounts never go away while the container lives, so their IDs are
 * never reused for anything else.
 *
 * ## Limits (known, accepted)
 *  - Spots are paths inside a filesystem. proc and sysfs cannot rename, so
 *    the sensitive spots are stable; a spot on the rootfs or on /dev's tmpfs
 *    moves if the container renames a directory above it (mv /mnt /mnt2
 *    with a volume on /mnt/ro). In the initial namespace the ID rules still
 *    hold; in a nested namespace a copy of that volume could then be
 *    unmounted, showing the image's empty mount-point directory.
 *  - Covers stay registered after the container's own procfs is gone; an
 *    anonymous device number reused later can cause a false denial (fails
 *    closed). The supervisor may prune covers whose spot device no longer
 *    appears in any table.
 *  - Fresh cgroup/cgroup2 mounts are not forced read-only (file ownership
 *    and the runtime's delegation decide what the container may write);
 *    sysfs is (same superblock as the jail's /sys).
 *  - In the initial namespace mounting over a jail mount is refused, as
 *    the brief asks; a workload that needs it (e.g. a kind node replacing
 *    /sys/fs/cgroup) would need that rule relaxed for the mount kind.
 */
#ifndef IRONBOX_VET_MOUNT_H
#define IRONBOX_VET_MOUNT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "spec/spec.h"
#include "supervisor/idopts.h"
#include "supervisor/mounttable.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200
#endif

/* ---- The container's jail ---------------------------------------------- */

enum ib_vet_kind {
	IB_VET_K_ROOTFS,
	IB_VET_K_MOUNT, /* a mount of the spec (bind/volume, tmpfs, cgroup, ...) */
	IB_VET_K_PROC,
	IB_VET_K_SYSFS,
	IB_VET_K_DEV, /* /dev and what is below it */
	IB_VET_K_MASK,
	IB_VET_K_RO_PATH,
	IB_VET_K_EMULATED,
	IB_VET_K_COVER, /* put by the supervisor on a procfs/sysfs the container mounted */
};

struct ib_vet_immutable {
	uint64_t id; /* 0 for covers registered by spot only */
	unsigned major, minor;
	char *root;	  /* the mount's root inside its filesystem */
	char *mountpoint; /* where it was (audit) */
	char *fstype;
	bool ro;
	enum ib_vet_kind kind;
	bool has_spot;
	unsigned spot_major, spot_minor;
	char *spot;	/* path of the mount point in the parent's filesystem */
	bool sensitive; /* uncovering the spot shows kernel data */
};

/* A detached mount tree the supervisor handed out (open_tree clone,
 * fsmount): what each of its mounts shows. */
struct ib_vet_detached_mnt {
	unsigned major, minor;
	char *root;
	bool ro;
};

struct ib_vet_detached {
	uint64_t id; /* mount ID of the tree's top */
	struct ib_vet_detached_mnt *m;
	size_t n; /* m[0] is the top */
};

/* The container's static configuration (from the spec and the supervisor):
 * absolute paths as in the container. */
struct ib_vet_policy {
	char **masked;	 /* linux.maskedPaths */
	char **readonly; /* linux.readonlyPaths */
	char **emulated; /* files the supervisor serves, e.g. "/proc/meminfo" */
	struct ib_idopts_maps ids;
};

struct ib_vet_state {
	struct ib_vet_immutable *imm;
	size_t n_imm;
	struct ib_vet_detached *det;
	size_t n_det;
	char **masked, **readonly, **emulated; /* copies */
	struct ib_idmap *uid, *gid;
	size_t n_uid, n_gid;
	bool sysfs_ro; /* the jail's /sys is read-only */
};

/* Every mount of `created` (the init's mountinfo at CREATED) becomes
 * immutable; kinds come from the policy's path lists. */
int ib_vet_state_init(struct ib_vet_state *st, const struct ib_mnttab *created,
		      const struct ib_vet_policy *pol, ib_err *err);
void ib_vet_state_free(struct ib_vet_state *st);

/* A cover the supervisor attached: the cover mount shows (major:minor,
 * root, ro) and sits at spot_path of the filesystem spot_major:spot_minor
 * (the new procfs/sysfs). */
void ib_vet_state_add_cover(struct ib_vet_state *st, unsigned major, unsigned minor,
			    const char *root, bool ro, unsigned spot_major, unsigned spot_minor,
			    const char *spot_path, const char *what);
/* open_tree(OPEN_TREE_CLONE) performed: new_id is the clone's top, made
 * from obj (as resolved for the decision) in table t. */
struct ib_vet_obj;
void ib_vet_state_add_clone(struct ib_vet_state *st, uint64_t new_id, const struct ib_mnttab *t,
			    const struct ib_vet_obj *src, bool recursive);
/* fsmount performed: a fresh filesystem, nothing to protect in it. */
void ib_vet_state_add_fresh(struct ib_vet_state *st, uint64_t new_id, unsigned major,
			    unsigned minor);

/* ---- One call ------------------------------------------------------------ */

enum ib_vet_sys {
	IB_VET_MOUNT,
	IB_VET_UMOUNT2,
	IB_VET_OPEN_TREE,
	IB_VET_MOVE_MOUNT,
	IB_VET_FSOPEN,
	IB_VET_FSCONFIG,
	IB_VET_FSMOUNT,
	IB_VET_FSPICK,
	IB_VET_MOUNT_SETATTR,
	IB_VET_PIVOT_ROOT,
};

/* A path/fd argument resolved by the supervisor in the caller's context. */
struct ib_vet_obj {
	bool present;
	uint64_t mnt_id;  /* statx STATX_MNT_ID of the resolved object */
	bool mnt_root;	  /* STATX_ATTR_MOUNT_ROOT: it is that mount's root */
	const char *path; /* absolute, as the caller sees it; NULL for a detached mount */
};

struct ib_vet_call {
	enum ib_vet_sys sys;
	/* as read from the caller (audit; fstype and data also decide) */
	const char *source, *target, *fstype, *data;
	uint64_t flags;	       /* the call's flags argument (mount, umount2, open_tree, ...) */
	struct ib_vet_obj src; /* bind/move source, open_tree path, move_mount from, new_root */
	struct ib_vet_obj dst; /* mount/umount/setattr/fspick target, move_mount to, put_old */
	/* mount_setattr */
	uint64_t attr_set, attr_clr, propagation;
	/* fsconfig */
	unsigned cmd;
	const char *key, *value;
	/* fsmount: what the supervisor created, and its fsmount attr_flags */
	const char *new_fstype;
	unsigned new_major, new_minor;
	uint64_t attr;
};

struct ib_vet_ctx {
	const struct ib_vet_state *st;
	const struct ib_mnttab *tab; /* the caller's mount namespace */
	enum ib_idopts_dir id_dir;   /* how the supervisor will perform the call */
};

#define IB_VET_POST_COVER 0x1u	/* cover the new procfs/sysfs (cover_fs) */
#define IB_VET_POST_RECORD 0x2u /* record the detached result in the state */

struct ib_vet_decision {
	bool allow;
	int error;	  /* errno to answer when denied */
	const char *rule; /* the rule that decided (static string) */
	char *reason;	  /* one line for the audit log (malloc'd) */
	char *data; /* mount data / fsconfig value to use instead (malloc'd), NULL = as called */
	uint64_t flags;	      /* flags to perform with (the call's, possibly + MS_RDONLY) */
	uint64_t attr_set;    /* attributes to add after fsmount (MOUNT_ATTR_RDONLY) */
	unsigned post;	      /* IB_VET_POST_* */
	const char *cover_fs; /* "proc" or "sysfs" with IB_VET_POST_COVER */
};

/* Always fills d (0 returned); a call it cannot place is denied (EPERM,
 * rule "unknown-mount"): decisions fail closed. */
int ib_vet_decide(const struct ib_vet_ctx *ctx, const struct ib_vet_call *call,
		  struct ib_vet_decision *d);
void ib_vet_decision_free(struct ib_vet_decision *d);

/* ---- Post-action: covering a procfs/sysfs -------------------------------- */

enum ib_vet_cover_op {
	IB_VET_COVER_RO,      /* bind the new mount's own rel recursively onto itself, read-only */
	IB_VET_COVER_MASK,    /* file: bind /dev/null; directory: empty read-only tmpfs */
	IB_VET_COVER_EMULATE, /* bind the supervisor's file `from` */
};

struct ib_vet_cover {
	enum ib_vet_cover_op op;
	char *rel;  /* below the new mount, e.g. "meminfo", "sys" */
	char *from; /* EMULATE: the container path of the served file ("/proc/meminfo") */
};

/* What to put on a fresh "proc" or "sysfs", in order (read-only paths,
 * then masks, then emulated files). Entries whose rel does not exist on
 * the new mount are skipped by the supervisor. Returns the count. */
size_t ib_vet_cover_plan(const struct ib_vet_state *st, const char *fstype,
			 struct ib_vet_cover **out);
void ib_vet_cover_plan_free(struct ib_vet_cover *v, size_t n);

/* ---- Capabilities of a caller over a namespace ---------------------------- */

/* A user namespace of an ownership chain: the owner of a target namespace
 * first (chain[0]), then each parent, up to at most the container's user
 * namespace (the agent's: it sees no further). */
struct ib_vet_userns {
	uint64_t id;	/* nsfs inode */
	uint32_t owner; /* its creator's euid, as the agent sees it */
};

/* Would a caller in user namespace caller_ns, with effective uid euid (as
 * the agent sees it) and has_cap (the capability in its effective set), be
 * capable over a namespace owned by chain[0]? The kernel's cap_capable(),
 * decided from the caller's namespaces and credentials as read once: with
 * the capability in its own user namespace, or over one nested in it whose
 * ancestor just below its own was created by its euid. A target outside the
 * caller's reach (an ancestor, a sibling, a chain cut short) is not: fails
 * closed. A supervisor performing a procfs/sysfs mount for a nested caller
 * asks it for the owner of the caller's mount namespace (may_mount()) and
 * of its pid namespace (proc) or network namespace (sysfs). */
bool ib_vet_ns_capable(const struct ib_vet_userns *chain, size_t n, uint64_t caller_ns,
		       uint32_t euid, bool has_cap);

/* ---- Audit ---------------------------------------------------------------- */

/* The decoded call and its decision as a JSON object (the caller adds pid,
 * container and time, and serialises it as one line). */
json_object *ib_vet_audit(const struct ib_vet_ctx *ctx, const struct ib_vet_call *call,
			  const struct ib_vet_decision *d);
/* "MS_REMOUNT|MS_BIND|MS_RDONLY" etc. (malloc'd; "0" for none, unknown bits
 * in hex). */
char *ib_vet_flags_str(enum ib_vet_sys sys, uint64_t flags);
char *ib_vet_attr_str(uint64_t attr);
const char *ib_vet_sys_name(enum ib_vet_sys sys);
const char *ib_vet_kind_name(enum ib_vet_kind kind);

#endif
