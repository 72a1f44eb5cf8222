/* Container-side filesystem setup, run by the container process in its new
 * mount namespace: attach the prepared rootfs, mount the spec's mounts and
 * devices inside it (every destination resolved inside the rootfs, so a
 * symlink in the image can never redirect a mount to the host), pivot_root,
 * then masked/readonly paths and the read-only root. */
#ifndef IRONBOX_ROOTFS_H
#define IRONBOX_ROOTFS_H

#include <stdbool.h>

#include "common/err.h"
#include "cgroup/cgroup.h"
#include "linux/mountfd.h"
#include "spec/spec.h"

struct ib_rootfs_ctx {
	const struct ib_spec *spec;
	struct ib_prepared_mounts *pm; /* fds received from the runtime */
	int target_fd;		       /* O_PATH fd of the bundle's rootfs directory */
	const struct ib_cgroup *cg;    /* container cgroup (for cgroup mounts), may be NULL */
	bool no_pivot;
	const int *procview_fds; /* emulated files (supervisor/emul.h order) */
	const bool *procview_ro; /* cloned from the read-only view: read-only */
	size_t n_procview;
	/* Set by ib_rootfs_mount_all: read-only tmpfs and /dev mounts, made
	 * read-only by ib_rootfs_finish once everything below them exists. */
	int *late_ro;
	size_t n_late_ro;
};

/* Attach the rootfs and everything below it (before pivot_root). */
int ib_rootfs_mount_all(struct ib_rootfs_ctx *c, ib_err *err);
/* Make the new rootfs the process root (pivot_root or MS_MOVE + chroot). */
int ib_rootfs_pivot(struct ib_rootfs_ctx *c, ib_err *err);
/* After the pivot: sysctls, masked and readonly paths, read-only root,
 * rootfs propagation. */
int ib_rootfs_finish(struct ib_rootfs_ctx *c, ib_err *err);
/* Is emulated file f a /proc/sys knob attached read-only after the spec's
 * readonly paths (ib_rootfs_finish)? */
struct ib_emul_file;
bool ib_rootfs_knob_deferred(const struct ib_spec *s, const struct ib_emul_file *f);

/* Open (O_PATH) path inside the tree rooted at root_fd, creating missing
 * directories (and the last component as an empty file when want_file).
 * Symlinks are resolved as if root_fd were "/"; the target of a dangling
 * symlink on the way is created (inside the tree, like runc). */
int ib_rootfs_open_dest(int root_fd, const char *path, bool want_file, ib_err *err);

/* Mount points of full proc and sysfs mounts outside rootfs in a mountinfo
 * text (NULL-terminated, malloc'd). Pure, for tests. */
int ib_rootfs_full_procfs_mounts(const char *mountinfo, const char *rootfs, char ***out);

#endif
