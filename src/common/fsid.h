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
/* The filesystem, root and mount point of mount mnt_id in mountinfo text
 * (malloc'd strings); -1 with errno ENOENT if it is not there. */
int ib_mountinfo_lookup(const char *mountinfo, uint64_t mnt_id, dev_t *dev, char **root,
			char **mount_point);
void ib_fsid_clear(struct ib_fsid *id);
/* inner is outer itself or lies below it (same filesystem, path prefix by
 * whole components). */
bool ib_fsid_within(const struct ib_fsid *inner, const struct ib_fsid *outer);
/* The same for bare (dev, fs_path) pairs. */
bool ib_fspath_within(dev_t inner_dev, const char *inner, dev_t outer_dev, const char *outer);

/* ---- the mount table (a parsed mountinfo) ---- */

struct ib_mount_entry {
	uint64_t id, parent;
	dev_t dev;	  /* the filesystem (major:minor) */
	char *root;	  /* the mount's root, as a path from the filesystem's root */
	char *mnt;	  /* its mount point as the reader of mountinfo sees it */
	char *fstype;	  /* "ext4", "overlay", "fuse.sshfs", ... */
	char *source;	  /* mount source ("/dev/vda", "overlay", ...) */
	char *super_opts; /* superblock options, still escaped (\054 for ',') */
};

struct ib_mount_table {
	struct ib_mount_entry *e;
	size_t n;
};

/* Parse mountinfo text (octal escapes undone except in super_opts). Lines
 * that do not parse are skipped. */
void ib_mount_table_parse(const char *mountinfo, struct ib_mount_table *t);
/* Read and parse /proc/self/mountinfo. */
int ib_mount_table_read(struct ib_mount_table *t, ib_err *err);
void ib_mount_table_clear(struct ib_mount_table *t);
const struct ib_mount_entry *ib_mount_table_find(const struct ib_mount_table *t, uint64_t id);
/* Every path at which the object (dev, fs_path) is visible: for each mount
 * of that filesystem whose root is fs_path or one of its ancestors, the
 * mount point plus the rest of fs_path. NULL-terminated, without duplicates;
 * empty when no mount shows it. canonical (may be NULL) gets the subset seen
 * through the most general of those mounts (the shortest root: "/" when the
 * whole filesystem is mounted somewhere): where the object lives, as
 * opposed to aliases made by bind mounts of a part of it (a volume bound
 * from /etc shows /etc at .../_data: an alias). */
char **ib_mount_table_visible(const struct ib_mount_table *t, dev_t dev, const char *fs_path,
			      char ***canonical);
/* The mounts whose mount point is path or lies below it, other than mount
 * `self`: what a recursive bind of path (reached through mount self) takes
 * along. Returns their count and a malloc'd array of pointers into t. */
size_t ib_mount_table_below(const struct ib_mount_table *t, const char *path, uint64_t self,
			    const struct ib_mount_entry ***out);
/* The mounts below mount `top` in the tree (by parent IDs, not by path):
 * what a recursive clone attached there holds, wherever renames moved its
 * mount points. Returns their count and a malloc'd array of pointers into t. */
size_t ib_mount_table_descendants(const struct ib_mount_table *t, uint64_t top,
				  const struct ib_mount_entry ***out);
/* What a mount shows, independent of where: "MAJOR:MINOR ROOT" (its
 * filesystem and the path of its root in it); a clone shows the same. */
char *ib_mount_entry_identity(const struct ib_mount_entry *e);
/* ib_fsid_from_fd with an already parsed table of the caller's mounts. */
int ib_fsid_from_fd_table(int fd, const struct ib_mount_table *t, struct ib_fsid *out, ib_err *err);
/* The same for an fd the caller opened by path, an absolute path without
 * "." or ".." components, with no symlink followed (openat2
 * RESOLVE_NO_SYMLINKS): that path is the kernel's name for the object, no
 * readlink is needed. Any other fd must go through ib_fsid_from_fd_table. */
int ib_fsid_from_fd_named(int fd, const char *path, const struct ib_mount_table *t,
			  struct ib_fsid *out, ib_err *err);

#endif
