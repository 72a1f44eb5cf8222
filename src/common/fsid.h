/* Where a file really lives, whatever path reached it.
 *
 * A path on the host says little: a bind mount, a volume mounted with
 * `o=bind,device=/etc`, or a symlink flipped after a check all make one path
 * name another object. An ib_fsid names the object an open fd refers to:
 * its filesystem (the superblock's device, from mountinfo), its inode, the
 * mount it was reached through, and its path from the root of that
 * filesystem (the mount's "root" field in mountinfo + the path below the
 * mount point). Two objects on one filesystem compare by these paths even
 * when they were reached through different mounts. */
#ifndef IRONBOX_FSID_H
#define IRONBOX_FSID_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

struct ib_fsid {
	dev_t dev;	 /* the filesystem (mountinfo major:minor) */
	ino_t ino;	 /* the inode */
	mode_t mode;	 /* file type and permissions */
	uint64_t mnt_id; /* the mount it was reached through (mountinfo id) */
	char *fs_path;	 /* path from the filesystem's root, "/" for the root */
	char *path;	 /* path as the caller sees it (its root, its mounts) */
};

/* Identify the object fd refers to. mountinfo is the text of the
 * /proc/PID/mountinfo of a process whose root and mounts are the caller's
 * (NULL = /proc/self/mountinfo). Fails with EXDEV for an object not
 * reachable from the caller's root, ENOENT for a deleted one. */
int ib_fsid_from_fd(int fd, const char *mountinfo, struct ib_fsid *out, ib_err *err);
/* Pure part: given the mount id and the caller-visible path of an object,
 * find its filesystem and fs_path in mountinfo text (unit-tested). */
int ib_fsid_resolve(const char *mountinfo, uint64_t mnt_id, const char *path, dev_t *dev,
		    char **fs_path, ib_err *err);
void ib_fsid_clear(struct ib_fsid *id);
/* inner is outer itself or lies below it (same filesystem, path prefix by
 * whole components). */
bool ib_fsid_within(const struct ib_fsid *inner, const struct ib_fsid *outer);
/* The same for bare (dev, fs_path) pairs. */
bool ib_fspath_within(dev_t inner_dev, const char *inner, dev_t outer_dev, const char *outer);

#endif
