/* Walking a cgroup directory tree the container may have shaped.
 *
 * A delegated cgroup holds whatever sub-cgroups the container made: any
 * names, any depth (deeper than PATH_MAX as a path). The walk therefore never
 * builds a path: it holds at most two directory fds, enters a child with
 * openat(O_NOFOLLOW) relative to its parent and returns with openat("..")
 * (a cgroup directory cannot be moved to another parent: v1 rename is within
 * one parent only, v2 has none), and keeps the child names of each level on
 * the heap. */
#include "cgroup/cgroup_int.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

struct level {
	char **names; /* subdirectories, read when the level was entered */
	size_t n, i;
	char *name; /* this level's name in its parent (NULL for the top) */
};

/* The subdirectories of dfd (not . and ..), read once. */
static int list_subdirs(int dfd, char ***names, size_t *n, ib_err *err)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (fd < 0)
		return ib_err_sys(err, "open cgroup directory");
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return ib_err_sys(err, "read cgroup directory");
	}
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (*n + 1 >= cap) {
			cap = cap ? cap * 2 : 8;
			*names = ib_xrealloc(*names, cap * sizeof(char *));
		}
		(*names)[(*n)++] = ib_xstrdup(de->d_name);
		(*names)[*n] = NULL;
	}
	closedir(d);
	return 0;
}

static void level_clear(struct level *l)
{
	for (size_t k = 0; k < l->n; k++)
		free(l->names[k]);
	free(l->names);
	free(l->name);
	memset(l, 0, sizeof(*l));
}

int ib_cg_walk(int top_fd, ib_cg_pre_fn pre, ib_cg_post_fn post, void *data, ib_err *err)
{
	struct level *stack = NULL;
	size_t depth = 0, cap = 0;
	int fd, rc = 0;

	fd = openat(top_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return ib_err_sys(err, "open cgroup directory");
	stack = ib_xmalloc0(sizeof(*stack));
	cap = 1;
	if ((pre && pre(fd, data, err) < 0) ||
	    list_subdirs(fd, &stack[0].names, &stack[0].n, err) < 0) {
		rc = -1;
		goto out;
	}
	for (;;) {
		struct level *cur = &stack[depth];

		if (cur->i < cur->n) {
			const char *name = cur->names[cur->i++];
			int child =
			    openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			struct level *next;

			if (child < 0) {
				if (errno == ENOENT)
					continue; /* removed under us */
				rc = ib_err_sys(err, "open cgroup `%s`", name);
				goto out;
			}
			if (depth + 1 == cap) {
				cap *= 2;
				stack = ib_xrealloc(stack, cap * sizeof(*stack));
				cur = &stack[depth];
			}
			next = &stack[depth + 1];
			memset(next, 0, sizeof(*next));
			next->name = ib_xstrdup(name);
			depth++;
			close(fd);
			fd = child;
			if ((pre && pre(fd, data, err) < 0) ||
			    list_subdirs(fd, &next->names, &next->n, err) < 0) {
				rc = -1;
				goto out;
			}
			continue;
		}
		if (depth == 0)
			break;
		/* Done with this level: back to the parent, then leave it. */
		{
			int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			_cleanup_free_ char *name = IB_STEAL(cur->name);

			if (parent < 0) {
				rc = ib_err_sys(err, "open parent of cgroup `%s`", name);
				goto out;
			}
			close(fd);
			fd = parent;
			level_clear(cur);
			depth--;
			if (post && post(fd, name, data, err) < 0) {
				rc = -1;
				goto out;
			}
		}
	}
out:
	for (size_t k = 0; k <= depth; k++)
		level_clear(&stack[k]);
	free(stack);
	close(fd);
	return rc;
}
