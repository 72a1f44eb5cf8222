/* Shared between the cgroup files: cgroup.c (create, limits, lifecycle),
 * cgroup_layout.c (hierarchies and paths), cgroup_stats.c (events --stats). */
#ifndef IRONBOX_CGROUP_INT_H
#define IRONBOX_CGROUP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup/cgroup.h"

static inline void ib_cg_layout_clearp(struct ib_cgroup_layout *l)
{
	ib_cgroup_layout_clear(l);
}
#define _cleanup_layout_ __attribute__((cleanup(ib_cg_layout_clearp)))
#define LAYOUT_INIT                                                                                \
	{                                                                                          \
		.h = NULL, .n = 0, .v2 = -1                                                        \
	}

/* dir of a hierarchy for cgroup path (mount + path below its root). */
char *ib_cg_hier_dir(const struct ib_cgroup_hierarchy *h, const char *path);
bool ib_cg_file_exists(const char *dir, const char *file);
/* Write val to dir/file; errno is preserved for callers that look at it. */
int ib_cg_write(const char *dir, const char *file, const char *val, ib_err *err);
/* Apply resources to the container's cgroup (cgroup_limits.c). */
int ib_cg_apply_resources(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l,
			  const struct ib_resources *r, ib_err *err);
/* Contents of dir/file (malloc'd), NULL with err. */
char *ib_cg_read(const char *dir, const char *file, ib_err *err);
/* The directory that carries controller ctl for cg, NULL if not available;
 * *is_v2 tells which kind; enable turns it on in the unified tree. */
char *ib_cg_ctl_dir(const struct ib_cgroup *cg, const struct ib_cgroup_layout *l, const char *ctl,
		    bool enable, bool *is_v2);
/* Value of "key value" in a flat-keyed file's text. */
bool ib_cg_kv_u64(const char *text, const char *key, uint64_t *out);
/* A cgroup path made absolute and free of "." / ".." / "//" (err if it
 * would leave the hierarchy). */
char *ib_cg_clean_path(const char *p, ib_err *err);

/* Walk the cgroup tree at top_fd (cgroup_tree.c): pre(dir_fd) for the top
 * and every sub-cgroup, parents first; post(parent_fd, name) for every
 * sub-cgroup once everything below it was walked (children first). Never
 * builds a path (any depth), holds at most two fds, follows no symlink; a
 * sub-cgroup removed meanwhile is skipped. Stops at the first error. */
typedef int (*ib_cg_pre_fn)(int dir_fd, void *data, ib_err *err);
typedef int (*ib_cg_post_fn)(int parent_fd, const char *name, void *data, ib_err *err);
int ib_cg_walk(int top_fd, ib_cg_pre_fn pre, ib_cg_post_fn post, void *data, ib_err *err);

#endif
