#include "common/fsid.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/util.h"

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* Does path lie at or below dir (whole components)? Returns the rest
 * ("" or "/...") or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/' ? (path[1] ? path : "") : NULL;
	if (strncmp(path, dir, n) != 0)
		return NULL;
	if (path[n] != '\0' && path[n] != '/')
		return NULL;
	return path + n;
}

int ib_mountinfo_lookup(const char *mountinfo, uint64_t mnt_id, dev_t *dev, char **root,
			char **mount_point)
{
	for (const char *line = mountinfo; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		_cleanup_free_ char *copy = strndup(line, len);
		char r[4096], m[4096];
		unsigned long long id;
		unsigned maj, min;

		line = end ? end + 1 : NULL;
		if (!copy)
			abort();
		if (sscanf(copy, "%llu %*u %u:%u %4095s %4095s", &id, &maj, &min, r, m) != 5 ||
		    id != mnt_id)
			continue;
		unescape_octal(r);
		unescape_octal(m);
		*dev = makedev(maj, min);
		*root = ib_xstrdup(r);
		*mount_point = ib_xstrdup(m);
		return 0;
	}
	errno = ENOENT;
	return -1;
}

int ib_fsid_resolve(const char *mountinfo, uint64_t mnt_id, const char *path, dev_t *dev,
		    char **fs_path, ib_err *err)
{
	_cleanup_free_ char *root = NULL, *mnt = NULL;
	const char *rest;

	if (ib_mountinfo_lookup(mountinfo, mnt_id, dev, &root, &mnt) < 0)
		return ib_err_set(err, ENOENT, "mount %llu of `%s` not in mountinfo",
				  (unsigned long long)mnt_id, path);
	rest = below(path, mnt);
	if (!rest)
		return ib_err_set(err, EXDEV, "`%s` is not below its mount point `%s`", path, mnt);
	if (!strcmp(root, "/"))
		*fs_path = ib_xstrdup(*rest ? rest : "/");
	else
		*fs_path = ib_xasprintf("%s%s", root, rest);
	return 0;
}

/* The mount id and caller-visible path of the object fd refers to (fails
 * closed for an unreachable or deleted object). */
static int fd_identity(int fd, struct statx *stx, char path[4096], ib_err *err)
{
	ssize_t n;

	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, stx) < 0)
		return ib_err_sys(err, "statx");
	if (!(stx->stx_mask & STATX_MNT_ID))
		return ib_err_set(err, ENOTSUP, "statx gives no mount id");
	n = ib_fd_readlink(fd, path, 4095);
	if (n < 0)
		return ib_err_sys(err, "readlink /proc/self/fd/%d", fd);
	path[n] = '\0';
	if (path[0] != '/')
		return ib_err_set(err, EXDEV, "`%s` is not reachable from our root", path);
	/* A name that really ends so is indistinguishable: fail closed. */
	if (n > 10 && !strcmp(path + n - 10, " (deleted)"))
		return ib_err_set(err, ENOENT, "`%s` was deleted", path);
	return 0;
}

int ib_fsid_from_fd(int fd, const char *mountinfo, struct ib_fsid *out, ib_err *err)
{
	_cleanup_free_ char *own_mountinfo = NULL;
	char path[4096];
	struct statx stx;

	memset(out, 0, sizeof(*out));
	if (fd_identity(fd, &stx, path, err) < 0)
		return -1;
	if (!mountinfo) {
		if (ib_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &own_mountinfo, NULL, err) <
		    0)
			return -1;
		mountinfo = own_mountinfo;
	}
	if (ib_fsid_resolve(mountinfo, stx.stx_mnt_id, path, &out->dev, &out->fs_path, err) < 0)
		return -1;
	out->ino = (ino_t)stx.stx_ino;
	out->mode = stx.stx_mode;
	out->mnt_id = stx.stx_mnt_id;
	out->path = ib_xstrdup(path);
	return 0;
}

void ib_fsid_clear(struct ib_fsid *id)
{
	free(id->fs_path);
	free(id->path);
	memset(id, 0, sizeof(*id));
}

bool ib_fspath_within(dev_t inner_dev, const char *inner, dev_t outer_dev, const char *outer)
{
	return inner_dev == outer_dev && inner && outer && below(inner, outer) != NULL;
}

bool ib_fsid_within(const struct ib_fsid *inner, const struct ib_fsid *outer)
{
	return ib_fspath_within(inner->dev, inner->fs_path, outer->dev, outer->fs_path);
}

/* ---- the mount table ---- */

static char *unescaped(const char *s)
{
	char *c = ib_xstrdup(s);

	unescape_octal(c);
	return c;
}

void ib_mount_table_parse(const char *mountinfo, struct ib_mount_table *t)
{
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	for (const char *line = mountinfo; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		_cleanup_free_ char *copy = strndup(line, len);
		char *f[64], *save = NULL;
		size_t n = 0, dash = 0;
		unsigned long long id, parent;
		unsigned maj, min;

		line = end ? end + 1 : NULL;
		if (!copy)
			abort();
		for (char *tok = strtok_r(copy, " ", &save); tok && n < IB_ARRAY_SIZE(f);
		     tok = strtok_r(NULL, " ", &save))
			f[n++] = tok;
		/* id parent maj:min root mnt opts [optional...] - fstype source super */
		for (size_t i = 6; i < n; i++)
			if (!strcmp(f[i], "-")) {
				dash = i;
				break;
			}
		if (n < 7 || !dash || dash + 1 >= n || sscanf(f[0], "%llu", &id) != 1 ||
		    sscanf(f[1], "%llu", &parent) != 1 || sscanf(f[2], "%u:%u", &maj, &min) != 2 ||
		    f[3][0] != '/' || f[4][0] != '/')
			continue;
		if (t->n == cap) {
			cap = cap ? cap * 2 : 64;
			t->e = ib_xrealloc(t->e, cap * sizeof(*t->e));
		}
		t->e[t->n++] = (struct ib_mount_entry){
		    .id = id,
		    .parent = parent,
		    .dev = makedev(maj, min),
		    .root = unescaped(f[3]),
		    .mnt = unescaped(f[4]),
		    .fstype = unescaped(f[dash + 1]),
		    .source = dash + 2 < n ? unescaped(f[dash + 2]) : ib_xstrdup(""),
		    .super_opts = ib_xstrdup(dash + 3 < n ? f[dash + 3] : ""),
		};
	}
}

int ib_mount_table_read(struct ib_mount_table *t, ib_err *err)
{
	_cleanup_free_ char *text = NULL;

	memset(t, 0, sizeof(*t));
	if (ib_read_file_at(AT_FDCWD, "/proc/self/mountinfo", &text, NULL, err) < 0)
		return -1;
	ib_mount_table_parse(text, t);
	return 0;
}

void ib_mount_table_clear(struct ib_mount_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->e[i].root);
		free(t->e[i].mnt);
		free(t->e[i].fstype);
		free(t->e[i].source);
		free(t->e[i].super_opts);
	}
	free(t->e);
	memset(t, 0, sizeof(*t));
}

const struct ib_mount_entry *ib_mount_table_find(const struct ib_mount_table *t, uint64_t id)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].id == id)
			return &t->e[i];
	return NULL;
}

/* dir + rest, where rest is "" or "/...". */
static char *join(const char *dir, const char *rest)
{
	if (!*rest)
		return ib_xstrdup(dir);
	if (!strcmp(dir, "/"))
		return ib_xstrdup(rest);
	return ib_xasprintf("%s%s", dir, rest);
}

char **ib_mount_table_visible(const struct ib_mount_table *t, dev_t dev, const char *fs_path,
			      char ***canonical)
{
	char **v = ib_xmalloc0(sizeof(char *));
	size_t shortest = SIZE_MAX;

	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].dev == dev && below(fs_path, t->e[i].root) &&
		    strlen(t->e[i].root) < shortest)
			shortest = strlen(t->e[i].root);
	if (canonical)
		*canonical = ib_xmalloc0(sizeof(char *));
	for (size_t i = 0; i < t->n; i++) {
		const char *rest;
		_cleanup_free_ char *p = NULL;
		bool dup = false;

		if (t->e[i].dev != dev || !(rest = below(fs_path, t->e[i].root)))
			continue;
		p = join(t->e[i].mnt, rest);
		if (canonical && strlen(t->e[i].root) == shortest) {
			for (size_t j = 0; (*canonical)[j] && !dup; j++)
				dup = !strcmp((*canonical)[j], p);
			if (!dup)
				ib_strv_push(canonical, p);
			dup = false;
		}
		for (size_t j = 0; v[j] && !dup; j++)
			dup = !strcmp(v[j], p);
		if (!dup)
			ib_strv_push(&v, p);
	}
	return v;
}

size_t ib_mount_table_below(const struct ib_mount_table *t, const char *path, uint64_t self,
			    const struct ib_mount_entry ***out)
{
	size_t n = 0;

	*out = ib_xmalloc0((t->n + 1) * sizeof(**out));
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].id != self && below(t->e[i].mnt, path))
			(*out)[n++] = &t->e[i];
	return n;
}

size_t ib_mount_table_descendants(const struct ib_mount_table *t, uint64_t top,
				  const struct ib_mount_entry ***out)
{
	_cleanup_free_ bool *in = ib_xmalloc0((t->n + 1) * sizeof(*in));
	size_t n = 0;

	*out = ib_xmalloc0((t->n + 1) * sizeof(**out));
	/* Parents come before children in mountinfo, but a move can reorder
	 * them: add until nothing more is added. */
	for (bool more = true; more;) {
		more = false;
		for (size_t i = 0; i < t->n; i++) {
			bool parent_in = t->e[i].parent == top;

			for (size_t j = 0; j < t->n && !parent_in; j++)
				parent_in = in[j] && t->e[j].id == t->e[i].parent;
			if (in[i] || t->e[i].id == top || !parent_in)
				continue;
			in[i] = more = true;
			(*out)[n++] = &t->e[i];
		}
	}
	return n;
}

char *ib_mount_entry_identity(const struct ib_mount_entry *e)
{
	return ib_xasprintf("%u:%u %s", major(e->dev), minor(e->dev), e->root ? e->root : "");
}

/* The identity of fd, opened as path, from its statx and the table. */
static int fsid_in_table(const struct statx *stx, const char *path, const struct ib_mount_table *t,
			 struct ib_fsid *out, ib_err *err)
{
	const struct ib_mount_entry *m;
	const char *rest;

	m = ib_mount_table_find(t, stx->stx_mnt_id);
	if (!m)
		return ib_err_set(err, ENOENT, "mount %llu of `%s` not in mountinfo",
				  (unsigned long long)stx->stx_mnt_id, path);
	rest = below(path, m->mnt);
	if (!rest)
		return ib_err_set(err, EXDEV, "`%s` is not below its mount point `%s`", path,
				  m->mnt);
	out->dev = m->dev;
	out->fs_path = !strcmp(m->root, "/") ? ib_xstrdup(*rest ? rest : "/")
					     : ib_xasprintf("%s%s", m->root, rest);
	out->ino = (ino_t)stx->stx_ino;
	out->mode = stx->stx_mode;
	out->mnt_id = stx->stx_mnt_id;
	out->path = ib_xstrdup(path);
	return 0;
}

int ib_fsid_from_fd_table(int fd, const struct ib_mount_table *t, struct ib_fsid *out, ib_err *err)
{
	char path[4096];
	struct statx stx;

	memset(out, 0, sizeof(*out));
	if (fd_identity(fd, &stx, path, err) < 0)
		return -1;
	return fsid_in_table(&stx, path, t, out, err);
}

int ib_fsid_from_fd_named(int fd, const char *path, const struct ib_mount_table *t,
			  struct ib_fsid *out, ib_err *err)
{
	struct statx stx;

	memset(out, 0, sizeof(*out));
	if (path[0] != '/')
		return ib_err_set(err, EINVAL, "`%s` is not an absolute path", path);
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &stx) < 0)
		return ib_err_sys(err, "statx");
	if (!(stx.stx_mask & STATX_MNT_ID))
		return ib_err_set(err, ENOTSUP, "statx gives no mount id");
	return fsid_in_table(&stx, path, t, out, err);
}
