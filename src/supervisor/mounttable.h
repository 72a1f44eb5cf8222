/* A mount namespace's table as the kernel shows it in /proc/<pid>/mountinfo,
 * parsed into structs, with the few questions the mount rules ask of it
 * (vet_mount.h): which mount is the parent, where does a mount sit in its
 * parent's filesystem, which mounts are below a path. Pure: the caller reads
 * the file (from a process of the namespace in question, after resolving
 * the call's arguments) and passes the text.
 *
 * Mount IDs are those of mountinfo's first field; statx(STATX_MNT_ID) on an
 * fd returns the same numbering (STATX_MNT_ID_UNIQUE does not: don't mix). */
#ifndef IRONBOX_MOUNTTABLE_H
#define IRONBOX_MOUNTTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* Propagation state from mountinfo's optional fields. */
#define IB_MNT_SHARED 0x1u
#define IB_MNT_SLAVE 0x2u
#define IB_MNT_UNBINDABLE 0x4u

struct ib_mnt {
	uint64_t id, parent_id;
	unsigned major, minor; /* the filesystem (st_dev of its files) */
	char *root;	       /* the mount's root inside its filesystem, unescaped */
	char *mountpoint;      /* relative to the reading process's root, unescaped */
	unsigned long flags;   /* per-mount options as MS_* bits (MS_RDONLY, MS_NOSUID, ...) */
	unsigned propagation;  /* IB_MNT_* */
	char *fstype;	       /* "tmpfs", "fuse.ironbox", ... */
	char *source;
	char *super_opts; /* the filesystem's own options (field after the source) */
	char *mem;	  /* the five strings above live in this one allocation */
};

struct ib_mnttab {
	struct ib_mnt *m;
	size_t n;
};

/* Parse mountinfo text (lines as the kernel writes them). Refuses a
 * malformed line (EINVAL) rather than guessing: decisions rest on it. */
int ib_mnttab_parse(const char *text, struct ib_mnttab *t, ib_err *err);
void ib_mnttab_free(struct ib_mnttab *t);
/* A deep copy (every string of struct ib_mnt: keep in step with it); one
 * allocation per entry. */
void ib_mnttab_copy(const struct ib_mnttab *from, struct ib_mnttab *to);
/* Append a deep copy of m / remove the entry of mount id (false: none).
 * For a table kept up to date with the changes the agent itself made
 * (caller.c checks the result against the kernel's list of mounts). */
void ib_mnttab_add(struct ib_mnttab *t, const struct ib_mnt *m);
bool ib_mnttab_remove(struct ib_mnttab *t, uint64_t id);

/* One mount as statmount(2) describes it (the fields mountinfo shows). */
struct ib_mnt_stat {
	uint64_t id, parent_id; /* statmount's mnt_id_old, mnt_parent_id_old */
	unsigned major, minor;	/* sb_dev_major, sb_dev_minor */
	uint64_t attr;		/* mnt_attr: MOUNT_ATTR_* */
	uint64_t propagation;	/* mnt_propagation: MS_SHARED|MS_SLAVE|MS_UNBINDABLE|MS_PRIVATE */
	uint32_t sb_flags;	/* SB_RDONLY, SB_SYNCHRONOUS, SB_DIRSYNC, SB_LAZYTIME */
	const char *root, *mountpoint, *fstype; /* raw (not escaped) */
	const char *subtype, *source;		/* NULL: none */
	const char *opts; /* mnt_opts: the filesystem's options, escaped as in mountinfo */
};
/* The entry mountinfo would show for it (unit-tested against the parser). */
void ib_mnt_from_stat(const struct ib_mnt_stat *s, struct ib_mnt *out);
void ib_mnt_free(struct ib_mnt *m);

/* Two lists of mount IDs (listmount(2) before and after a call; sorted
 * here, in place): the IDs only in `after` (added, at most max kept) and
 * only in `before` (removed). Returns the total number of differences
 * (also those beyond max). A duplicate ID counts as a difference. */
size_t ib_mnt_ids_delta(uint64_t *before, size_t nb, uint64_t *after, size_t na, uint64_t *added,
			size_t *n_added, uint64_t *removed, size_t *n_removed, size_t max);

const struct ib_mnt *ib_mnttab_find(const struct ib_mnttab *t, uint64_t id);
/* The mount m is attached to; NULL for the namespace's root or when the
 * parent is not in the table (outside the reader's root). */
const struct ib_mnt *ib_mnttab_parent(const struct ib_mnttab *t, const struct ib_mnt *m);
/* a is m or an ancestor of m (through parent links in the table). */
bool ib_mnttab_is_ancestor(const struct ib_mnttab *t, const struct ib_mnt *a,
			   const struct ib_mnt *m);

/* The path, inside m's filesystem, of `path` (an absolute path as the
 * reader sees it, inside m): m->root joined with path relative to
 * m->mountpoint. NULL when path is not at or below m's mount point. */
char *ib_mnt_fs_path(const struct ib_mnt *m, const char *path);

/* Where m sits: its parent's filesystem and the path of m's mount point
 * inside that filesystem. Unmounting or moving m makes that spot of the
 * parent's filesystem visible again. false when the parent is unknown. */
bool ib_mnttab_spot(const struct ib_mnttab *t, const struct ib_mnt *m, unsigned *major,
		    unsigned *minor, char **path);

/* path is dir or below it ("/a/b" is under "/a" and "/", "/ab" is not). */
bool ib_path_under(const char *path, const char *dir);

/* One per-mount option word ("ro", "nosuid", ...) as its MS_* bit, 0 if
 * it is none of them. */
unsigned long ib_mnt_flag_word(const char *word);

#endif
