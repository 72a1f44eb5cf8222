/* Host mounts (DESIGN.md behaviour 4, the seeds' "File sharing"): which host
 * objects may reach a container, decided on the object that is then mounted.
 *
 * Every host path of a spec (bind sources, the rootfs, overlay layers) is
 * opened once, here (openat2 without magic links: /proc/self/fd/N and
 * /proc/PID/root never name a source). The decision is taken on that fd:
 * its identity (filesystem, path from the filesystem's root) gives every
 * path at which the object is visible on the host, and those paths and the
 * object itself are compared with the restricted and allowed entries (see
 * policy.h for the rules). Bind sources are then cloned from that fd right
 * away (open_tree(fd, "", OPEN_TREE_CLONE)): create mounts that clone, so a
 * symlink flipped after the check changes nothing. The rootfs and overlay
 * layers stay O_PATH fds that create clones from in the host's mount
 * namespace (a clone of a mount of another namespace fails with EINVAL). */
#include "policy/policy.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "linux/syscalls.h"
#include "policy/policy_int.h"

#define MAX_TREE_ENTRIES 100000 /* hard-link search of a directory, then fail closed */
/* Beyond this many listening sockets on a directory's filesystem, its tree
 * is searched for them first, for at most what locating them all would cost:
 * locating one costs about as much as 8 entries of a directory read, or one
 * subdirectory opened (measured: ~7 us, ~1 us, ~7 us). */
#define LOCATE_EACH_MAX 64
#define WALK_COST_PER_SOCKET 8
#define WALK_DIR_COST 8

/* The path of what fd names, as realpath() would give it; NULL when it is
 * not reachable from our root or was deleted. */
static char *fd_real_path(int fd)
{
	char buf[4096];
	ssize_t n = ib_fd_readlink(fd, buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	if (buf[0] != '/' || (n > 10 && !strcmp(buf + n - 10, " (deleted)")))
		return NULL;
	return ib_xstrdup(buf);
}

/* head resolved like realpath(): one openat2 (symlinks followed, no magic
 * links) and the name the kernel has for the object, instead of an lstat
 * and a readlink per component. */
static char *resolve_existing(const char *head)
{
	_cleanup_free_ char *norm = ib_policy_normalize(head);
	_cleanup_close_ int fd = -1;
	char *real;

	/* A normalized path with no symlink on the way is the kernel's name
	 * for the object (no readlink). Missing (ENOENT, ENOTDIR): the same
	 * answer as with symlinks followed, as none was met before. */
	if (!strcmp(norm, head)) {
		fd = ib_openat2(AT_FDCWD, head, O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
		if (fd >= 0)
			return IB_STEAL(norm);
		if (errno == ENOENT || errno == ENOTDIR)
			return NULL;
	}
	fd = ib_openat2(AT_FDCWD, head, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);

	/* Missing: the caller tries the parent. Anything else (a magic link on
	 * the way: ELOOP) gets realpath()'s own answer. */
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? NULL : realpath(head, NULL);
	real = fd_real_path(fd);
	return real ? real : realpath(head, NULL);
}

/* known_missing: path was just found not to exist (ENOENT): its parents
 * are tried at once. */
static char *resolve(const char *path, bool known_missing)
{
	_cleanup_free_ char *full = NULL, *head = NULL, *tail = NULL;
	char *real;

	if (path[0] == '/') {
		full = ib_xstrdup(path);
	} else {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		full = ib_xasprintf("%s/%s", cwd ? cwd : "/", path);
	}
	real = known_missing ? NULL : resolve_existing(full);
	if (real)
		return real;

	/* Resolve the longest existing prefix, append the rest lexically. */
	head = ib_xstrdup(full);
	tail = ib_xstrdup("");
	for (;;) {
		char *slash = strrchr(head, '/');
		char *t;

		if (!slash || slash == head) {
			/* Only "/" is left: head is "/first-component". */
			t = ib_xasprintf("%s%s%s", head, *tail ? "/" : "", tail);
			free(tail);
			tail = t;
			return ib_policy_normalize(tail);
		}
		t = ib_xasprintf("%s%s%s", slash + 1, *tail ? "/" : "", tail);
		free(tail);
		tail = t;
		*slash = '\0';
		real = resolve_existing(head);
		if (real) {
			_cleanup_free_ char *joined = ib_xasprintf("%s/%s", real, tail);
			free(real);
			return ib_policy_normalize(joined);
		}
	}
}

char *ib_policy_resolve(const char *path)
{
	return resolve(path, false);
}

static bool path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return strcmp(path, "/") != 0;
	return !strncmp(path, dir, n) && path[n] == '/';
}

static bool path_within(const char *path, const char *dir)
{
	return !strcmp(path, dir) || path_inside(path, dir);
}

/* path is inside restricted entry r: does a pattern cover path or one of its
 * ancestors below r? */
static bool engine_covered(char **patterns, const char *path, const char *r)
{
	size_t rlen = strcmp(r, "/") ? strlen(r) : 0;

	for (size_t i = 0; patterns && patterns[i]; i++) {
		const char *pat = patterns[i];
		bool abs = pat[0] == '/';
		_cleanup_free_ char *cand = ib_xstrdup(abs ? path : path + rlen + 1);
		size_t min = abs ? rlen : 0;

		for (;;) {
			char *slash;

			if (fnmatch(pat, cand, FNM_PATHNAME) == 0)
				return true;
			slash = strrchr(cand, '/');
			if (!slash || (size_t)(slash - cand) <= min)
				break;
			*slash = '\0';
		}
	}
	return false;
}

static char **role_patterns(const struct ib_policy *p, enum ib_role role)
{
	return role == IB_ROLE_ROOTFS ? p->engine_rootfs : p->engine_allowed;
}

/* The old, purely lexical rule: is, is inside (not covered), or contains. */
static bool match_one(const struct ib_policy *p, const char *path, const char *r)
{
	if (!strcmp(path, r))
		return true;
	if (path_inside(path, r))
		return !engine_covered(p->engine_allowed, path, r);
	return path_inside(r, path);
}

bool ib_policy_path_restricted(const struct ib_policy *p, const char *resolved, const char **which)
{
	_cleanup_free_ char *norm = ib_policy_normalize(resolved);

	/* Containing a directory offered read-only. */
	for (size_t i = 0; p->read_only_mounts && p->read_only_mounts[i]; i++) {
		if (path_inside(p->read_only_mounts[i], norm)) {
			if (which)
				*which = p->read_only_mounts[i];
			return true;
		}
	}
	for (size_t i = 0; p->restricted_mounts && p->restricted_mounts[i]; i++) {
		if (match_one(p, norm, p->restricted_mounts[i])) {
			if (which)
				*which = p->restricted_mounts[i];
			return true;
		}
	}
	return false;
}

/* ---- the context: entries, their objects, the host's mounts ---- */

static void pentry_init(struct ib_pentry *e, const char *path)
{
	memset(e, 0, sizeof(*e));
	e->literal = ib_policy_normalize(path);
	e->resolved = ib_xstrdup(e->literal);
}

void ib_pentry_set_id(struct ib_pentry *e, dev_t dev, const char *fs_path, ino_t ino, mode_t mode)
{
	ib_fsid_clear(&e->id);
	e->id.dev = dev;
	e->id.fs_path = ib_xstrdup(fs_path);
	e->id.ino = ino;
	e->id.mode = mode;
	e->have_id = true;
}

/* The live form: resolved path and, when the entry exists, its object. */
static void pentry_resolve(struct ib_pentry *e, const struct ib_mount_table *mt)
{
	_cleanup_close_ int fd = -1;
	ib_err ignored = {0};

	free(e->resolved);
	e->resolved = NULL;
	/* No symlink on the way (most entries): the literal, normalized, is
	 * the kernel's name for the object, no readlink. Missing: the same
	 * answer as with symlinks followed, as none was met before. */
	fd = ib_openat2(AT_FDCWD, e->literal, O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
	if (fd >= 0 && ib_fsid_from_fd_named(fd, e->literal, mt, &e->id, &ignored) == 0) {
		e->have_id = true;
		e->resolved = ib_xstrdup(e->literal);
		return;
	}
	if (fd < 0 && errno == ENOENT) {
		e->resolved = resolve(e->literal, true);
		return;
	}
	if (fd >= 0)
		close(fd);
	ib_err_clear(&ignored);
	fd = ib_openat2(AT_FDCWD, e->literal, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
	if (fd < 0 && errno == ENOENT && e->literal[0] == '/') {
		e->resolved = resolve(e->literal, true);
		return;
	}
	if (fd >= 0 && ib_fsid_from_fd_table(fd, mt, &e->id, &ignored) == 0) {
		e->have_id = true;
		/* The object's path as we see it: what realpath() would say,
		 * without a readlink of every component. */
		e->resolved = ib_policy_normalize(e->id.path);
	}
	if (!e->resolved)
		e->resolved = ib_policy_resolve(e->literal);
}

static void entries_from(struct ib_pentry **out, size_t *n, char **paths, const char *extra)
{
	size_t len = ib_strv_len(paths) + (extra ? 1 : 0);

	*out = ib_xmalloc0((len + 1) * sizeof(**out));
	*n = 0;
	for (size_t i = 0; paths && paths[i]; i++)
		pentry_init(&(*out)[(*n)++], paths[i]);
	if (extra)
		pentry_init(&(*out)[(*n)++], extra);
}

void ib_mount_ctx_init_text(struct ib_mount_ctx *c, const struct ib_policy *p,
			    const char *mountinfo)
{
	memset(c, 0, sizeof(*c));
	c->p = p;
	c->no_sockets = true;
	ib_mount_table_parse(mountinfo, &c->mt);
	entries_from(&c->restricted, &c->n_restricted, p->restricted_mounts, NULL);
	entries_from(&c->allowed, &c->n_allowed, p->allowed_mounts, NULL);
	entries_from(&c->read_only, &c->n_read_only, p->read_only_mounts, NULL);
}

int ib_mount_ctx_init(struct ib_mount_ctx *c, const struct ib_policy *p, const char *extra,
		      ib_err *err)
{
	_cleanup_close_ int root = -1;
	_cleanup_free_ char *extra_abs = NULL;
	ib_err ignored = {0};

	memset(c, 0, sizeof(*c));
	c->p = p;
	if (ib_mount_table_read(&c->mt, err) < 0)
		return -1;
	if (extra)
		extra_abs = ib_policy_resolve(extra);
	entries_from(&c->restricted, &c->n_restricted, p->restricted_mounts, extra_abs);
	entries_from(&c->allowed, &c->n_allowed, p->allowed_mounts, NULL);
	entries_from(&c->read_only, &c->n_read_only, p->read_only_mounts, NULL);
	for (size_t i = 0; i < c->n_restricted; i++)
		pentry_resolve(&c->restricted[i], &c->mt);
	for (size_t i = 0; i < c->n_allowed; i++)
		pentry_resolve(&c->allowed[i], &c->mt);
	for (size_t i = 0; i < c->n_read_only; i++)
		pentry_resolve(&c->read_only[i], &c->mt);
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root >= 0 && ib_fsid_from_fd_table(root, &c->mt, &c->root, &ignored) == 0)
		c->have_root = true;
	return 0;
}

static void entries_free(struct ib_pentry *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].literal);
		free(e[i].resolved);
		ib_fsid_clear(&e[i].id);
	}
	free(e);
}

void ib_mount_ctx_clear(struct ib_mount_ctx *c)
{
	ib_mount_table_clear(&c->mt);
	entries_free(c->restricted, c->n_restricted);
	entries_free(c->allowed, c->n_allowed);
	entries_free(c->read_only, c->n_read_only);
	ib_fsid_clear(&c->root);
	ib_unix_sockets_free(c->socks, c->n_socks);
	memset(c, 0, sizeof(*c));
}

/* ---- the decision ---- */

enum ib_verdict ib_mount_ctx_classify_path(const struct ib_mount_ctx *c, const char *path,
					   enum ib_role role, const char **which)
{
	const struct ib_pentry *inner = NULL;
	const char *inner_form = NULL;

	/* Containing a directory offered read-only is as containing a
	 * restricted one (-v /lib:/x would show /lib/modules writable). */
	for (size_t i = 0; i < c->n_read_only; i++) {
		const struct ib_pentry *r = &c->read_only[i];

		if (path_inside(r->literal, path) || path_inside(r->resolved, path)) {
			if (which)
				*which = r->literal;
			return IB_V_RESTRICTED;
		}
	}
	for (size_t i = 0; i < c->n_restricted; i++) {
		const struct ib_pentry *r = &c->restricted[i];
		const char *forms[2] = {r->literal,
					strcmp(r->literal, r->resolved) ? r->resolved : NULL};

		for (size_t k = 0; k < 2 && forms[k]; k++) {
			/* Is or contains a restricted entry: never. */
			if (!strcmp(path, forms[k]) || path_inside(forms[k], path)) {
				if (which)
					*which = r->literal;
				return IB_V_RESTRICTED;
			}
			if (path_inside(path, forms[k]) &&
			    (!inner_form || strlen(forms[k]) > strlen(inner_form))) {
				inner = r;
				inner_form = forms[k];
			}
		}
	}
	/* Inside restricted entries: the innermost one's patterns decide (an
	 * admin may restrict /var/lib and /var/lib/docker: Docker's volumes
	 * stay engine-owned). */
	if (inner) {
		if (engine_covered(role_patterns(c->p, role), path, inner_form))
			return IB_V_ENGINE;
		if (which)
			*which = inner->literal;
		return IB_V_RESTRICTED;
	}
	for (size_t i = 0; i < c->n_read_only; i++)
		if (path_within(path, c->read_only[i].literal) ||
		    path_within(path, c->read_only[i].resolved))
			return IB_V_ALLOWED_RO;
	for (size_t i = 0; i < c->n_allowed; i++)
		if (path_within(path, c->allowed[i].literal) ||
		    path_within(path, c->allowed[i].resolved))
			return IB_V_ALLOWED;
	return IB_V_OTHER;
}

enum ib_verdict ib_mount_ctx_decide(const struct ib_mount_ctx *c, const struct ib_fsid *id,
				    enum ib_role role, const char **which)
{
	_cleanup_strv_ char **canon = NULL;
	_cleanup_strv_ char **vis = ib_mount_table_visible(&c->mt, id->dev, id->fs_path, &canon);
	bool allowed = false, read_only = false, all_engine = canon[0] != NULL, id_engine = false;

	/* Every path at which the object shows on the host: restricted by any
	 * of them (a volume bound from /etc is /etc). */
	for (size_t i = 0; vis[i]; i++) {
		if (ib_mount_ctx_classify_path(c, vis[i], role, which) == IB_V_RESTRICTED) {
			ib_debug("%s is visible at %s: restricted", id->fs_path, vis[i]);
			return IB_V_RESTRICTED;
		}
	}
	/* Shared or engine-owned by where it lives, never by an alias: a
	 * volume bound from /usr/local/sbin is not shared because the
	 * engine's data root is (or is engine-owned because it is restricted). */
	for (size_t i = 0; canon[i]; i++) {
		enum ib_verdict v = ib_mount_ctx_classify_path(c, canon[i], role, NULL);

		allowed |= v == IB_V_ALLOWED;
		read_only |= v == IB_V_ALLOWED_RO;
		all_engine &= v == IB_V_ENGINE;
	}
	/* The directories offered read-only, whatever paths reach them: one
	 * that contains such a directory is restricted, one inside it (or it)
	 * is read-only. */
	for (size_t i = 0; i < c->n_read_only; i++) {
		const struct ib_pentry *r = &c->read_only[i];

		if (!r->have_id)
			continue;
		if (ib_fsid_within(id, &r->id)) {
			read_only = true;
		} else if (ib_fsid_within(&r->id, id)) {
			if (which)
				*which = r->literal;
			return IB_V_RESTRICTED;
		}
	}
	/* The restricted objects themselves, whatever paths reach them. */
	const struct ib_pentry *inner = NULL;
	for (size_t i = 0; i < c->n_restricted; i++) {
		const struct ib_pentry *r = &c->restricted[i];

		if (!r->have_id)
			continue;
		if ((!S_ISDIR(id->mode) && id->ino && id->dev == r->id.dev &&
		     id->ino == r->id.ino) ||
		    ib_fsid_within(&r->id, id)) {
			/* It is (a hard link of) the entry, or contains it. */
			if (which)
				*which = r->literal;
			return IB_V_RESTRICTED;
		}
		if (ib_fsid_within(id, &r->id) &&
		    (!inner || strlen(r->id.fs_path) > strlen(inner->id.fs_path)))
			inner = r;
	}
	if (inner) {
		/* Inside: as if reached through the (innermost) entry's path. */
		const char *rest =
		    id->fs_path + (strcmp(inner->id.fs_path, "/") ? strlen(inner->id.fs_path) : 0);
		_cleanup_free_ char *as_entry = strcmp(inner->literal, "/")
						    ? ib_xasprintf("%s%s", inner->literal, rest)
						    : ib_xstrdup(rest);

		if (!path_inside(as_entry, inner->literal) ||
		    !engine_covered(role_patterns(c->p, role), as_entry, inner->literal)) {
			if (which)
				*which = inner->literal;
			return IB_V_RESTRICTED;
		}
		id_engine = true;
	}
	/* The host's root (a source that holds all of it). */
	if (c->have_root && ib_fsid_within(&c->root, id)) {
		if (which)
			*which = "/";
		return IB_V_RESTRICTED;
	}
	/* Engine-owned (a volume, a per-container file) even when the data root
	 * lies in a shared directory. */
	if (id_engine || all_engine)
		return IB_V_ENGINE;
	if (read_only)
		return IB_V_ALLOWED_RO;
	for (size_t i = 0; i < c->n_allowed && !allowed; i++)
		allowed = c->allowed[i].have_id && ib_fsid_within(id, &c->allowed[i].id);
	return allowed ? IB_V_ALLOWED : IB_V_OTHER;
}

/* ---- engine sockets ---- */

static int load_sockets(struct ib_mount_ctx *c, ib_err *err)
{
	if (c->socks_loaded)
		return 0;
	if (ib_unix_sockets_list(&c->mt, &c->socks, &c->n_socks, err) < 0)
		return ib_err_wrap(err, "list the host's unix sockets");
	c->socks_loaded = true;
	return 0;
}

/* The socket file's only name, when it still has it: its path from the
 * filesystem's root (s->located 1), or none when the name is gone, moved,
 * or one of several (a hard link): then only a search finds it. */
static void locate_socket(const struct ib_mount_ctx *c, struct ib_unix_sock *s)
{
	_cleanup_close_ int fd = -1;
	struct ib_fsid id;
	struct statx stx;
	ib_err ignored = {0};

	_cleanup_free_ char *norm = NULL;
	bool named;

	if (s->located)
		return;
	s->located = -1;
	/* Reached without a symlink (as nearly every socket is), the name,
	 * normalized, is the kernel's name for the file: no readlink. */
	fd = ib_openat2(AT_FDCWD, s->name, O_PATH | O_NOFOLLOW | O_CLOEXEC, RESOLVE_NO_SYMLINKS);
	named = fd >= 0 && s->name[0] == '/';
	if (fd < 0 && errno == ELOOP)
		fd = ib_openat2(AT_FDCWD, s->name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
				RESOLVE_NO_MAGICLINKS);
	if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_NLINK | STATX_INO, &stx) < 0 ||
	    stx.stx_ino != s->ino || stx.stx_nlink != 1)
		return;
	if (named)
		norm = ib_policy_normalize(s->name);
	if ((named ? ib_fsid_from_fd_named(fd, norm, &c->mt, &id, &ignored)
		   : ib_fsid_from_fd_table(fd, &c->mt, &id, &ignored)) < 0)
		return;
	if (id.dev == s->dev) {
		s->fs_path = IB_STEAL(id.fs_path);
		s->located = 1;
	}
	ib_fsid_clear(&id);
}

/* Which of the sockets at idx[] are held by an engine (one /proc scan). */
static void find_served(struct ib_mount_ctx *c, const size_t *idx, size_t n)
{
	unsigned long *inos = ib_xmalloc0((n + 1) * sizeof(*inos));
	bool *served = ib_xmalloc0((n + 1) * sizeof(*served));
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		if (!c->socks[idx[i]].served)
			inos[k++] = c->socks[idx[i]].sock_ino;
	if (k)
		ib_engine_served(inos, k, served);
	for (size_t i = 0, j = 0; i < n; i++)
		if (!c->socks[idx[i]].served)
			c->socks[idx[i]].served = served[j++] ? 1 : -1;
	free(inos);
	free(served);
}

/* The directory id is, opened for reading: from the fd it was decided on,
 * or (a mount below a recursive bind, known by its mount) by its path, and
 * then only if what opened is still that mount's root: a directory renamed
 * in its place is not searched instead. -1 (ESTALE) otherwise. */
static int open_dir_of(const struct ib_fsid *id, int dirfd)
{
	struct statx stx;
	int d;

	if (dirfd >= 0)
		return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = open(id->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d >= 0 && (statx(d, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
		       !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != id->mnt_id ||
		       !(stx.stx_attributes & STATX_ATTR_MOUNT_ROOT) ||
		       makedev(stx.stx_dev_major, stx.stx_dev_minor) != id->dev)) {
		close(d);
		errno = ESTALE;
		return -1;
	}
	return d;
}

/* Could a socket file of the directory's filesystem be in its tree? With
 * many of them there (a state root of hundreds of containers beside their
 * bundles), one bounded walk of the tree for their inodes costs less than
 * locating each by its name; found none: none is. Only where a directory
 * entry's inode number is the file's (overlayfs, for one, may list another
 * than stat shows). Few of them, another filesystem, or a tree too big to
 * walk for the price: "maybe", each is located. */
static bool socket_files_within(const struct ib_mount_ctx *c, const struct ib_fsid *id, int dirfd)
{
	_cleanup_free_ ino_t *inos = NULL;
	_cleanup_close_ int d = -1;
	struct statfs fs;
	size_t n = 0;
	ino_t found = 0;

	for (size_t i = 0; i < c->n_socks; i++)
		n += c->socks[i].dev == id->dev;
	if (n <= LOCATE_EACH_MAX)
		return true;
	inos = ib_xmalloc0(n * sizeof(*inos));
	n = 0;
	for (size_t i = 0; i < c->n_socks; i++)
		if (c->socks[i].dev == id->dev)
			inos[n++] = c->socks[i].ino;
	d = open_dir_of(id, dirfd);
	if (d < 0 || fstatfs(d, &fs) < 0 ||
	    (fs.f_type != EXT4_SUPER_MAGIC && fs.f_type != XFS_SUPER_MAGIC &&
	     fs.f_type != TMPFS_MAGIC))
		return true;
	return ib_tree_has_inode(d, inos, n, n * WALK_COST_PER_SOCKET, WALK_DIR_COST, &found) != 0;
}

/* sub: NULL for the object itself, else what refused it, e.g.
 * "/x/y (mounted below it)". */
static int refuse_restricted(const char *shown, const char *what, const char *sub, ib_err *err)
{
	if (sub)
		return ib_err_set(err, EPERM,
				  "can't mount %s%s because %s is configured as a restricted host "
				  "mount",
				  shown, what, sub);
	return ib_err_set(err, EPERM,
			  "can't mount %s%s because it's configured as a restricted host mount",
			  shown, what);
}

/* Is, or holds, the object a listening socket served by a container engine
 * (docker.sock by any name: hard links included)? A directory can only hold
 * a hard link to a socket file of its own filesystem: sockets elsewhere are
 * never looked at (engine sockets usually live on /run's tmpfs, user data
 * elsewhere: no cost at all). A socket file with one name is found by
 * comparing that name's path; an engine's socket with several names (or a
 * moved one) needs a search of the directory's tree on its own mount,
 * bounded: beyond MAX_TREE_ENTRIES entries the mount is refused.
 * dirfd: the directory (-1: open id->path for the search). */
static int check_sockets(struct ib_mount_ctx *c, const struct ib_fsid *id, int dirfd,
			 const char *shown, const char *what, const char *sub, ib_err *err)
{
	size_t *cand = NULL, *maybe = NULL, n_cand = 0, n_maybe = 0;
	ino_t *search = NULL;
	size_t n_search = 0;
	int ret = 0;

	if (c->no_sockets || (!S_ISSOCK(id->mode) && !S_ISDIR(id->mode)))
		return 0;
	if (load_sockets(c, err) < 0)
		return -1;
	if (S_ISDIR(id->mode) && !socket_files_within(c, id, dirfd))
		return 0;
	cand = ib_xmalloc0((c->n_socks + 1) * sizeof(*cand));
	maybe = ib_xmalloc0((c->n_socks + 1) * sizeof(*maybe));
	for (size_t i = 0; i < c->n_socks; i++) {
		struct ib_unix_sock *s = &c->socks[i];

		if (s->dev != id->dev)
			continue;
		if (S_ISSOCK(id->mode)) {
			if (s->ino == id->ino)
				cand[n_cand++] = i;
			continue;
		}
		locate_socket(c, s);
		if (s->located < 0)
			maybe[n_maybe++] = i;
		else if (ib_fspath_within(s->dev, s->fs_path, id->dev, id->fs_path))
			cand[n_cand++] = i;
	}
	find_served(c, cand, n_cand);
	for (size_t i = 0; i < n_cand && !ret; i++)
		if (c->socks[cand[i]].served > 0) {
			ib_debug("%s is or holds the engine socket %s", id->path,
				 c->socks[cand[i]].name);
			ret = refuse_restricted(shown, what, sub, err);
		}
	find_served(c, maybe, n_maybe);
	search = ib_xmalloc0((n_maybe + 1) * sizeof(*search));
	for (size_t i = 0; i < n_maybe; i++)
		if (c->socks[maybe[i]].served > 0)
			search[n_search++] = c->socks[maybe[i]].ino;
	if (!ret && n_search) {
		_cleanup_close_ int d = open_dir_of(id, dirfd);
		ino_t found = 0;
		int r = d < 0 ? -1
			      : ib_tree_has_inode(d, search, n_search, MAX_TREE_ENTRIES, 0, &found);

		if (r > 0) {
			ib_debug("%s holds a hard link (inode %lu) to an engine socket", id->path,
				 (unsigned long)found);
			ret = refuse_restricted(shown, what, sub, err);
		} else if (r < 0) {
			ret = ib_err_set(err, EPERM,
					 "can't mount %s%s because it may hold a hard link to a "
					 "container engine's socket (too many files to search)",
					 shown, what);
		}
	}
	free(cand);
	free(maybe);
	free(search);
	return ret;
}

/* ---- checking fds ---- */

static char **split_escaped(const char *s, char sep, bool keep_empty);
static char **split_super_opts(const char *super);
static int check_engine_fs(struct ib_mount_ctx *c, const struct ib_fsid *id, const char *shown,
			   const char *what, int depth, ib_err *err);

static int check_object_at(struct ib_mount_ctx *c, const struct ib_fsid *id, int fd,
			   enum ib_role role, const char *shown, const char *what, const char *sub,
			   int depth, bool *engine_owned, ib_err *err)
{
	const char *which = NULL;
	enum ib_verdict v = ib_mount_ctx_decide(c, id, role, &which);

	if (v == IB_V_RESTRICTED) {
		ib_debug("mount source %s (%s) is restricted by %s", shown, id->path,
			 which ? which : "?");
		return refuse_restricted(shown, what, sub, err);
	}
	if (v == IB_V_ALLOWED_RO && (role != IB_ROLE_BIND || !(sub ? c->bind_rro : c->bind_ro))) {
		ib_debug("mount source %s (%s) is offered read-only", shown, id->path);
		if (role != IB_ROLE_BIND)
			return ib_err_set(err, EPERM,
					  "can't mount %s%s because the admin policy offers it "
					  "read-only, as a bind mount only",
					  shown, what);
		if (sub)
			return ib_err_set(err, EPERM,
					  "can't mount %s%s because %s is offered read-only by the "
					  "admin policy (make the whole tree read-only: rro)",
					  shown, what, sub);
		return ib_err_set(err, EPERM,
				  "can't mount %s%s read-write because the admin policy offers it "
				  "read-only (add :ro)",
				  shown, what);
	}
	/* Outside the allowed mounts: refused before any search below it (a
	 * big tree would only change the message). */
	if (v == IB_V_OTHER) {
		ib_debug("mount source %s (%s) is not in a shared host directory", shown, id->path);
		if (sub)
			return ib_err_set(
			    err, EPERM,
			    "can't mount %s%s because %s is not in the admin policy's "
			    "allowed mounts",
			    shown, what, sub);
		return ib_err_set(err, EPERM,
				  "can't mount %s%s because it's not in the admin policy's allowed "
				  "mounts",
				  shown, what);
	}
	if (check_sockets(c, id, fd, shown, what, sub, err) < 0)
		return -1;
	if (role == IB_ROLE_BIND && check_engine_fs(c, id, shown, what, depth, err) < 0)
		return -1;
	if (v != IB_V_ENGINE)
		*engine_owned = false;
	return 0;
}

static int check_object(struct ib_mount_ctx *c, const struct ib_fsid *id, int fd, enum ib_role role,
			const char *shown, const char *what, const char *sub, bool *engine_owned,
			ib_err *err)
{
	return check_object_at(c, id, fd, role, shown, what, sub, 0, engine_owned, err);
}

/* One source of an engine-made filesystem, by path: it must pass as a bind
 * source would. */
static int check_fs_source(struct ib_mount_ctx *c, const char *path, const char *shown,
			   const char *what, int depth, ib_err *err)
{
	_cleanup_free_ char *sub =
	    ib_xasprintf("%s (a source of the filesystem mounted there)", path);
	_cleanup_close_ int fd = -1;
	struct ib_fsid id;
	bool eng = true;
	int r;

	if (path[0] != '/')
		return ib_err_set(
		    err, EPERM,
		    "can't mount %s%s because the filesystem mounted there comes from "
		    "%s, which cannot be checked",
		    shown, what, path);
	fd = ib_openat2(AT_FDCWD, path, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
	if (fd < 0 || ib_fsid_from_fd_table(fd, &c->mt, &id, err) < 0)
		return ib_err_set(
		    err, EPERM,
		    "can't mount %s%s because the filesystem mounted there comes from "
		    "%s, which cannot be checked",
		    shown, what, path);
	r = check_object_at(c, &id, fd, IB_ROLE_BIND, shown, what, sub, depth + 1, &eng, err);
	ib_fsid_clear(&id);
	return r;
}

/* A whole filesystem an engine mounted in its own area -- a named volume
 * made with `docker volume create -o type=overlay -o o=lowerdir=/etc,...` or
 * `-o type=ext4 -o device=/dev/sdb1` -- shows what its sources hold: each
 * must pass too (the layers of an overlay, a device or file given by path:
 * host devices are restricted). Binds (`-o o=bind`) are not filesystems of
 * their own: their object was decided on already; sources that name no
 * host path (tmpfs, nfs's host:/dir) have nothing to check. */
static int check_engine_fs(struct ib_mount_ctx *c, const struct ib_fsid *id, const char *shown,
			   const char *what, int depth, ib_err *err)
{
	const struct ib_mount_entry *me = ib_mount_table_find(&c->mt, id->mnt_id);
	_cleanup_strv_ char **opts = NULL;

	if (!me || strcmp(me->root, "/") ||
	    ib_mount_ctx_classify_path(c, me->mnt, IB_ROLE_BIND, NULL) != IB_V_ENGINE)
		return 0;
	if (depth > 2)
		return ib_err_set(
		    err, EPERM, "can't mount %s%s because its filesystems stack too deep to check",
		    shown, what);
	if (strcmp(me->fstype, "overlay") != 0)
		return me->source[0] == '/'
			   ? check_fs_source(c, me->source, shown, what, depth, err)
			   : 0;
	opts = split_super_opts(me->super_opts);
	for (size_t i = 0; opts[i]; i++) {
		const char *eq = strchr(opts[i], '=');
		_cleanup_free_ char *key = eq ? strndup(opts[i], (size_t)(eq - opts[i])) : NULL;
		_cleanup_strv_ char **layers = NULL;

		if (!eq ||
		    (strcmp(key, "lowerdir") && strcmp(key, "lowerdir+") &&
		     strcmp(key, "upperdir") && strcmp(key, "workdir") && strcmp(key, "datadir+")))
			continue;
		layers = split_escaped(eq + 1, strcmp(key, "lowerdir") ? '\0' : ':', false);
		for (size_t j = 0; layers[j]; j++)
			if (check_fs_source(c, layers[j], shown, what, depth, err) < 0)
				return -1;
	}
	return 0;
}

int ib_mount_ctx_check_below(struct ib_mount_ctx *c, const struct ib_fsid *id, enum ib_role role,
			     const char *shown, bool *engine_owned, char ***below, ib_err *err)
{
	const struct ib_mount_entry **subs = NULL;
	size_t n = ib_mount_table_below(&c->mt, id->path, id->mnt_id, &subs);
	int r = 0;

	for (size_t i = 0; below && i < n; i++) {
		_cleanup_free_ char *who = ib_mount_entry_identity(subs[i]);

		if (!*below)
			*below = ib_xmalloc0(sizeof(**below));
		ib_strv_push(below, who);
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		struct ib_fsid sid = {.dev = subs[i]->dev,
				      .fs_path = subs[i]->root,
				      .mnt_id = subs[i]->id,
				      .path = subs[i]->mnt,
				      .mode = S_IFDIR};
		struct statx stx;

		/* The object on top at that mount point. */
		if (statx(AT_FDCWD, subs[i]->mnt, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO,
			  &stx) == 0) {
			sid.mode = stx.stx_mode;
			sid.ino = (ino_t)stx.stx_ino;
		}
		_cleanup_free_ char *sub = ib_xasprintf("%s (mounted below it)", subs[i]->mnt);

		r = check_object(c, &sid, -1, role, shown, "", sub, engine_owned, err);
	}
	free(subs);
	return r;
}

int ib_mount_ctx_check_fd(struct ib_mount_ctx *c, int fd, enum ib_role role, bool recursive,
			  const char *shown, bool *engine_owned, ib_err *err)
{
	struct ib_fsid id;
	int r;

	*engine_owned = true;
	if (ib_fsid_from_fd_table(fd, &c->mt, &id, err) < 0)
		return ib_err_wrap(err, "can't mount %s", shown);
	r = check_object(c, &id, fd, role, shown, "", NULL, engine_owned, err);
	if (r == 0 && recursive)
		r = ib_mount_ctx_check_below(c, &id, role, shown, engine_owned, NULL, err);
	ib_fsid_clear(&id);
	return r;
}

/* ---- opening what the spec names ---- */

/* As the user wrote it, minus trailing slashes (Docker shows it so). */
static char *shown_path(const char *path)
{
	char *s = ib_xstrdup(path);
	size_t len = strlen(s);

	while (len > 1 && s[len - 1] == '/')
		s[--len] = '\0';
	return s;
}

static int open_host_path(const struct ib_mount_ctx *c, const char *path, const char *shown,
			  const char *what, const char *kind, enum ib_role role, ib_err *err)
{
	int fd;

	if (!path || !*path)
		return ib_err_set(err, EINVAL, "%s without a source", kind);
	fd = ib_openat2(AT_FDCWD, path, O_PATH | O_CLOEXEC, RESOLVE_NO_MAGICLINKS);
	if (fd >= 0)
		return fd;
	if (errno == ELOOP)
		return ib_err_set(err, EPERM,
				  "can't mount %s%s because its path goes through a magic link "
				  "(/proc/PID/fd/N, /proc/PID/root, ...) or a symlink loop",
				  shown, what);
	if (errno == ENOENT || errno == ENOTDIR) {
		/* Nothing to mount; still, a missing restricted path (a daemon.json
		 * not written yet) reads as what it is. */
		int saved = errno;
		_cleanup_free_ char *resolved = ib_policy_resolve(path);

		if (ib_mount_ctx_classify_path(c, resolved, role, NULL) == IB_V_RESTRICTED)
			return ib_err_set(
			    err, EPERM,
			    "can't mount %s%s because it's configured as a restricted "
			    "host mount",
			    shown, what);
		errno = saved;
	}
	return ib_err_sys(err, "%s `%s`", kind, path);
}

int ib_policy_check_mount_source(const struct ib_policy *p, const char *source, bool *engine_owned,
				 ib_err *err)
{
	struct ib_mount_ctx c;
	_cleanup_free_ char *shown = shown_path(source ? source : "");
	_cleanup_close_ int fd = -1;
	bool eng = true;
	int r = -1;

	if (ib_mount_ctx_init(&c, p, NULL, err) < 0)
		return -1;
	fd = open_host_path(&c, source, shown, "", "bind mount source", IB_ROLE_BIND, err);
	if (fd >= 0)
		r = ib_mount_ctx_check_fd(&c, fd, IB_ROLE_BIND, true, shown, &eng, err);
	if (engine_owned)
		*engine_owned = eng;
	ib_mount_ctx_clear(&c);
	return r;
}

/* Split at unescaped sep; backslash escapes are undone. */
static char **split_escaped(const char *s, char sep, bool keep_empty)
{
	char **v = ib_xmalloc0(sizeof(char *));
	_cleanup_free_ char *cur = ib_xmalloc0(strlen(s) + 1);
	size_t n = 0;

	for (const char *p = s;; p++) {
		if (*p == '\\' && p[1]) {
			cur[n++] = *++p;
			continue;
		}
		if (*p == sep || !*p) {
			cur[n] = '\0';
			if (n || keep_empty)
				ib_strv_push(&v, cur);
			n = 0;
			if (!*p)
				break;
			continue;
		}
		cur[n++] = *p;
	}
	return v;
}

static void overlay_add(struct ib_overlay_src *o, const char *key, const char *path, int fd)
{
	o->fds = ib_xrealloc(o->fds, (o->n + 1) * sizeof(int));
	o->fds[o->n++] = fd;
	ib_strv_push(&o->keys, key);
	ib_strv_push(&o->paths, path);
}

/* Open and decide on each layer of an overlay given as option strings
 * (lowerdir=a:b::c, lowerdir+=, upperdir=, workdir=, datadir+=). base: a
 * directory relative layer paths are taken against (NULL = cwd). */
static int open_overlay(struct ib_mount_ctx *c, char **opts, const char *base, enum ib_role role,
			const char *what, bool *engine_owned, struct ib_overlay_src **out,
			ib_err *err)
{
	struct ib_overlay_src *o = ib_xmalloc0(sizeof(*o));

	o->keys = ib_xmalloc0(sizeof(char *));
	o->paths = ib_xmalloc0(sizeof(char *));
	o->opts = ib_xmalloc0(sizeof(char *));
	*out = o;
	for (size_t i = 0; opts[i]; i++) {
		const char *eq = strchr(opts[i], '=');
		_cleanup_free_ char *key = eq ? strndup(opts[i], (size_t)(eq - opts[i])) : NULL;
		_cleanup_strv_ char **layers = NULL;
		bool lowerdir, data = false;

		if (!eq || (strcmp(key, "lowerdir") && strcmp(key, "lowerdir+") &&
			    strcmp(key, "upperdir") && strcmp(key, "workdir") &&
			    strcmp(key, "datadir+"))) {
			ib_strv_push(&o->opts, opts[i]);
			continue;
		}
		lowerdir = !strcmp(key, "lowerdir");
		/* lowerdir=a:b::c -- after "::" the layers are data-only. */
		layers =
		    lowerdir ? split_escaped(eq + 1, ':', true) : split_escaped(eq + 1, '\0', true);
		for (size_t j = 0; layers[j]; j++) {
			_cleanup_free_ char *path = NULL, *shown = NULL;
			bool eng = true;
			int fd;

			if (!*layers[j]) {
				data = lowerdir;
				continue;
			}
			path = base && layers[j][0] != '/' ? ib_xasprintf("%s/%s", base, layers[j])
							   : ib_xstrdup(layers[j]);
			shown = shown_path(path);
			fd = open_host_path(c, path, shown, what, "overlay layer", role, err);
			if (fd < 0)
				return -1;
			overlay_add(o, lowerdir ? (data ? "datadir+" : "lowerdir+") : key, path,
				    fd);
			if (ib_mount_ctx_check_fd(c, fd, role, false, shown, &eng, err) < 0)
				return -1;
			*engine_owned &= eng;
		}
	}
	return 0;
}

/* Split mount data at unescaped commas, escapes kept for the next split. */
static char **split_data(const char *data)
{
	char **v = ib_xmalloc0(sizeof(char *));
	_cleanup_free_ char *cur = ib_xmalloc0(strlen(data) + 1);
	size_t n = 0;

	for (const char *p = data;; p++) {
		if (*p == '\\' && p[1]) {
			cur[n++] = *p++;
			cur[n++] = *p;
			continue;
		}
		if (*p == ',' || !*p) {
			cur[n] = '\0';
			if (n)
				ib_strv_push(&v, cur);
			n = 0;
			if (!*p)
				break;
			continue;
		}
		cur[n++] = *p;
	}
	return v;
}

/* mountinfo shows ',' '\' ' ' as octal escapes in super options; overlayfs
 * escapes ':' in layer paths with a backslash. */
static char **split_super_opts(const char *super)
{
	_cleanup_free_ char *copy = ib_xstrdup(super);
	char **v = ib_xmalloc0(sizeof(char *));
	char *save = NULL;

	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char *w = o;

		for (char *r = o; *r; r++) {
			if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' &&
			    r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
				/* A backslash stays one: overlayfs escapes ':' in
				 * layer paths as "\:", shown as "\134:". */
				*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		ib_strv_push(&v, o);
	}
	return v;
}

/* The rootfs: decided on as a whole (with the mounts below it), and when it
 * is the root of an overlay mount (the engine's), each of that overlay's
 * layers too: create builds its own overlay from those layers. */
static int open_rootfs(struct ib_mount_ctx *c, struct ib_spec *s, ib_err *err)
{
	_cleanup_free_ char *shown = shown_path(s->root_path);
	static const char what[] = " as the container's root filesystem";
	const struct ib_mount_entry *m;
	struct ib_fsid id;
	struct stat st;
	bool eng = true;
	int fd, r;

	fd = ib_openat2(AT_FDCWD, s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC,
			RESOLVE_NO_MAGICLINKS);
	if (fd < 0) {
		if (errno == ELOOP)
			return ib_err_set(err, EPERM,
					  "can't mount %s%s because its path goes through a magic "
					  "link or a symlink loop",
					  shown, what);
		return ib_err_sys(err, "rootfs (%s)", s->root_path);
	}
	s->root_fd = fd;
	if (fstat(fd, &st) < 0)
		return ib_err_sys(err, "rootfs (%s)", s->root_path);
	s->root_dev = st.st_dev;
	s->root_ino = st.st_ino;
	if (ib_fsid_from_fd_table(fd, &c->mt, &id, err) < 0)
		return ib_err_wrap(err, "rootfs (%s)", s->root_path);
	r = check_object(c, &id, fd, IB_ROLE_ROOTFS, shown, what, NULL, &eng, err);
	if (r == 0)
		r = ib_mount_ctx_check_below(c, &id, IB_ROLE_ROOTFS, shown, &eng, &s->root_below,
					     err);
	m = ib_mount_table_find(&c->mt, id.mnt_id);
	if (r == 0 && m && !strcmp(m->fstype, "overlay") && !strcmp(id.fs_path, "/") &&
	    !strcmp(m->root, "/")) {
		_cleanup_strv_ char **opts = split_super_opts(m->super_opts);
		_cleanup_free_ char *base = NULL;
		char *slash;

		/* Docker and Podman shorten long option strings with paths
		 * relative to the driver's home (<home>/<id>/merged is the rootfs). */
		base = ib_xstrdup(id.path);
		for (int k = 0; k < 2 && (slash = strrchr(base, '/')) && slash != base; k++)
			*slash = '\0';
		r = open_overlay(c, opts, base, IB_ROLE_ROOTFS, what, &eng, &s->root_overlay, err);
	}
	ib_fsid_clear(&id);
	return r;
}

static bool is_overlay(const struct ib_mount *m)
{
	return !m->bind && m->type && !strcmp(m->type, "overlay");
}

/* A bind source written inside the container's rootfs (a path of the
 * bundle's rootfs, lexically): the container's own files, bound in the
 * container by the init, resolved in its root after the mounts before it
 * (so a source made by an earlier mount exists); never a host path. */
static bool bind_inside_rootfs(const struct ib_spec *s, struct ib_mount *m)
{
	_cleanup_free_ char *root = NULL, *src = NULL;
	size_t n;

	if (!s->root_path || !m->source || m->source[0] != '/')
		return false;
	root = ib_policy_normalize(s->root_path);
	src = ib_policy_normalize(m->source);
	n = strlen(root);
	if (n <= 1 || strncmp(src, root, n) != 0 || (src[n] != '/' && src[n] != '\0'))
		return false;
	free(m->rootfs_source);
	m->rootfs_source = ib_xstrdup(src[n] ? src + n + 1 : ".");
	m->host_shared = false; /* the rootfs keeps set-id semantics */
	return true;
}

int ib_policy_open_mounts(const struct ib_policy *p, struct ib_spec *s, const char *state_root,
			  ib_err *err)
{
	struct ib_mount_ctx c;
	struct ib_fsid *ids = ib_xmalloc0((s->n_mounts + 1) * sizeof(*ids));
	bool *eng = ib_xmalloc0((s->n_mounts + 1) * sizeof(*eng));
	int r = 0;

	if (ib_mount_ctx_init(&c, p, state_root, err) < 0) {
		free(ids);
		free(eng);
		return -1;
	}
	if (s->root_path)
		r = open_rootfs(&c, s, err);
	/* Decide on each source, then clone exactly that object. */
	for (size_t i = 0; i < s->n_mounts && r == 0; i++) {
		struct ib_mount *m = &s->mounts[i];
		_cleanup_free_ char *shown = NULL;
		_cleanup_close_ int fd = -1;

		eng[i] = true;
		if (is_overlay(m)) {
			_cleanup_strv_ char **opts = split_data(m->data ? m->data : "");

			r = open_overlay(&c, opts, NULL, IB_ROLE_BIND, "", &eng[i], &m->overlay,
					 err);
			m->host_shared = !eng[i];
			continue;
		}
		if (!m->bind && !(m->type && !strcmp(m->type, "bind")))
			continue;
		if (bind_inside_rootfs(s, m))
			continue;
		shown = shown_path(m->source ? m->source : "");
		c.bind_ro = m->flags & MS_RDONLY;
		c.bind_rro = m->rec_attr_set & MOUNT_ATTR_RDONLY;
		fd = open_host_path(&c, m->source, shown, "", "bind mount source", IB_ROLE_BIND,
				    err);
		if (fd < 0 || ib_fsid_from_fd_table(fd, &c.mt, &ids[i], err) < 0) {
			r = -1;
			break;
		}
		r = check_object(&c, &ids[i], fd, IB_ROLE_BIND, shown, "", NULL, &eng[i], err);
		/* What a recursive clone takes along, decided before it is made:
		 * with nothing below, the source is cloned alone (a mount moved
		 * below it meanwhile stays out); otherwise the staged clone is
		 * checked to hold only what was decided on (stage.c). */
		if (r == 0 && m->recursive)
			r = ib_mount_ctx_check_below(&c, &ids[i], IB_ROLE_BIND, shown, &eng[i],
						     &m->source_below, err);
		if (r < 0)
			break;
		m->host_shared = !eng[i];
		m->source_fd = ib_open_tree(fd, "",
					    AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
						(m->source_below ? AT_RECURSIVE : 0));
		if (m->source_fd < 0) {
			r = ib_err_sys(err, "bind mount source `%s`", m->source);
			break;
		}
		/* For the supervisor's rules (set-id on host-shared binds): the
		 * clone is a new mount, not in any mountinfo; this is the object. */
		m->source_dev = ids[i].dev;
		free(m->source_fs_path);
		m->source_fs_path = ib_xstrdup(ids[i].fs_path);
	}
	for (size_t i = 0; i < s->n_mounts; i++)
		ib_fsid_clear(&ids[i]);
	free(ids);
	free(eng);
	ib_mount_ctx_clear(&c);
	return r;
}
