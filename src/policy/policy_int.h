/* Internal to the policy module. */
#ifndef IRONBOX_POLICY_INT_H
#define IRONBOX_POLICY_INT_H

#include <stdbool.h>

#include "common/fsid.h"
#include "policy/policy.h"

/* Lexically normalized absolute path: "//" and "." dropped, ".." popped,
 * no trailing slash. `path` must be absolute. Returns malloc'd memory. */
char *ib_policy_normalize(const char *path);

/* Resolve a host path like realpath(3); for a path that does not exist, the
 * longest existing prefix is resolved and the rest is appended lexically.
 * Relative paths are taken against the current directory. */
char *ib_policy_resolve(const char *path);

/* ---- deciding on the object behind a host path (policy_mounts.c) ---- */

/* Which patterns cover paths inside a restricted entry. */
enum ib_role {
	IB_ROLE_BIND,	/* a bind source or overlay layer: engineAllowed */
	IB_ROLE_ROOTFS, /* the rootfs or one of its layers: engineRootfs */
};

/* What a path (or the object behind it) is for the policy. */
enum ib_verdict {
	IB_V_OTHER,	 /* neither shared nor engine-owned: refused */
	IB_V_ALLOWED,	 /* in a shared host directory (allowedMounts) */
	IB_V_ALLOWED_RO, /* in a directory offered read-only (readOnlyMounts) */
	IB_V_ENGINE,	 /* engine-owned, inside a restricted entry */
	IB_V_RESTRICTED, /* refused */
};

/* A restricted or allowed entry: as written, resolved (symlinks), and the
 * object it names when it exists. */
struct ib_pentry {
	char *literal, *resolved;
	bool have_id;
	struct ib_fsid id;
};

/* A listening unix socket bound to a file: its socket inode (sockfs) and
 * the file's filesystem (mountinfo dev) and inode. */
struct ib_unix_sock {
	unsigned long sock_ino;
	dev_t dev;
	ino_t ino;
	char *name; /* the path it was bound to (in the binder's namespace) */
	/* Filled in when first needed: */
	int located;   /* 0 not yet, 1 fs_path is its only name, -1 no such name */
	char *fs_path; /* path from the filesystem's root of its only name */
	int served;    /* 0 not yet, 1 held by an engine, -1 not */
};

struct ib_mount_ctx {
	const struct ib_policy *p;
	struct ib_mount_table mt; /* the host's mounts */
	struct ib_pentry *restricted, *allowed, *read_only;
	size_t n_restricted, n_allowed, n_read_only;
	/* The bind being decided is read-only: its top mount ("ro"), its whole
	 * tree ("rro"). IB_V_ALLOWED_RO objects need them (top / below). */
	bool bind_ro, bind_rro;
	bool have_root;
	struct ib_fsid root; /* the host's root directory */
	/* Listening unix sockets, loaded when first needed. */
	bool socks_loaded;
	struct ib_unix_sock *socks;
	size_t n_socks;
	/* Tests: no /proc or netlink look-ups for engine sockets. */
	bool no_sockets;
};

/* Everything from the live system: the mount table, entries (plus extra, a
 * restricted entry such as ironbox's state root) with their identities. */
int ib_mount_ctx_init(struct ib_mount_ctx *c, const struct ib_policy *p, const char *extra,
		      ib_err *err);
/* Pure form for tests: the mount table from text, entries without
 * identities (set them with ib_pentry_set_id), no engine sockets. */
void ib_mount_ctx_init_text(struct ib_mount_ctx *c, const struct ib_policy *p,
			    const char *mountinfo);
void ib_pentry_set_id(struct ib_pentry *e, dev_t dev, const char *fs_path, ino_t ino, mode_t mode);
void ib_mount_ctx_clear(struct ib_mount_ctx *c);

/* One path, lexically (normalized, absolute): which restricted entry it is,
 * is inside or contains, whether engine patterns of role cover it, whether
 * an allowed entry holds it. */
enum ib_verdict ib_mount_ctx_classify_path(const struct ib_mount_ctx *c, const char *path,
					   enum ib_role role, const char **which);
/* The object id (dev, fs_path, ino, mode): every path at which it is visible
 * in c->mt, and its relation to the entries' objects and the host root (see
 * policy.h). *which: the restricted entry that refused it. */
enum ib_verdict ib_mount_ctx_decide(const struct ib_mount_ctx *c, const struct ib_fsid *id,
				    enum ib_role role, const char **which);

/* Decide on an open fd (and, when recursive, on the mounts below it) and on
 * the engine sockets it may expose. shown names it in errors; what is
 * "" for a bind or e.g. " as the container's root filesystem".
 * *engine_owned: every part is engine-owned. */
int ib_mount_ctx_check_fd(struct ib_mount_ctx *c, int fd, enum ib_role role, bool recursive,
			  const char *shown, bool *engine_owned, ib_err *err);
/* The mounts below an already-decided object (id.path) in the context's
 * table; below (may be NULL): gets their ib_mount_entry_identity()s. */
int ib_mount_ctx_check_below(struct ib_mount_ctx *c, const struct ib_fsid *id, enum ib_role role,
			     const char *shown, bool *engine_owned, char ***below, ib_err *err);

/* ---- engine sockets (engine_sockets.c) ---- */

/* Every listening unix socket bound to a file (sock_diag, falling back to
 * /proc/net/unix). Filesystem devs are given as in mountinfo (t). */
int ib_unix_sockets_list(const struct ib_mount_table *t, struct ib_unix_sock **out, size_t *n,
			 ib_err *err);
void ib_unix_sockets_free(struct ib_unix_sock *s, size_t n);
/* served[i]: socket inode inos[i] is held open by a container engine
 * process (dockerd, containerd, podman, buildkitd, crio, cri-dockerd). */
void ib_engine_served(const unsigned long *inos, size_t n, bool *served);
bool ib_policy_is_engine_name(const char *comm);
/* Is a socket with one of these file inodes somewhere in the tree of
 * directory dirfd (its own mount only)? Returns 1 found (*found_ino set),
 * 0 not found, -1 when the search would cost more than max_entries: one
 * per entry read, dir_cost more per subdirectory opened (the caller fails
 * closed, or looks another way). */
int ib_tree_has_inode(int dirfd, const ino_t *inos, size_t n, size_t max_entries, size_t dir_cost,
		      ino_t *found_ino);

#endif
