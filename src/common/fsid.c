#include "common/fsid.h"

#include <fcntl.h>
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

int ib_fsid_resolve(const char *mountinfo, uint64_t mnt_id, const char *path, dev_t *dev,
		    char **fs_path, ib_err *err)
{
	const char *line = mountinfo;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		_cleanup_free_ char *copy = strndup(line, len);
		char root[4096], mnt[4096];
		unsigned long long id;
		unsigned maj, min;

		line = end ? end + 1 : NULL;
		if (!copy)
			abort();
		if (sscanf(copy, "%llu %*u %u:%u %4095s %4095s", &id, &maj, &min, root, mnt) != 5 ||
		    id != mnt_id)
			continue;
		unescape_octal(root);
		unescape_octal(mnt);
		{
			const char *rest = below(path, mnt);

			if (!rest)
				return ib_err_set(err, EXDEV,
						  "`%s` is not below its mount point `%s`", path,
						  mnt);
			*dev = makedev(maj, min);
			if (!strcmp(root, "/"))
				*fs_path = ib_xstrdup(*rest ? rest : "/");
			else
				*fs_path = ib_xasprintf("%s%s", root, rest);
			return 0;
		}
	}
	return ib_err_set(err, ENOENT, "mount %llu of `%s` not in mountinfo",
			  (unsigned long long)mnt_id, path);
}

int ib_fsid_from_fd(int fd, const char *mountinfo, struct ib_fsid *out, ib_err *err)
{
	_cleanup_free_ char *own_mountinfo = NULL;
	char link[64], path[4096];
	struct statx stx;
	ssize_t n;

	memset(out, 0, sizeof(*out));
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
		  STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID, &stx) < 0)
		return ib_err_sys(err, "statx");
	if (!(stx.stx_mask & STATX_MNT_ID))
		return ib_err_set(err, ENOTSUP, "statx gives no mount id");
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n < 0)
		return ib_err_sys(err, "readlink %s", link);
	path[n] = '\0';
	if (path[0] != '/')
		return ib_err_set(err, EXDEV, "`%s` is not reachable from our root", path);
	if (n > 10 && !strcmp(path + n - 10, " (deleted)")) {
		/* A name that really ends so is indistinguishable: fail closed. */
		return ib_err_set(err, ENOENT, "`%s` was deleted", path);
	}
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
