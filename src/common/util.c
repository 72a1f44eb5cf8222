#include "common/util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void ib_freep(void *p)
{
	free(*(void **)p);
}

void ib_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

void ib_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

void ib_strv_freep(char ***v)
{
	ib_strv_free(*v);
}

void *ib_xmalloc0(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	return p;
}

void *ib_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

char *ib_xstrdup(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	r = strdup(s);
	if (!r)
		abort();
	return r;
}

char *ib_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	if (vasprintf(&r, fmt, ap) < 0)
		abort();
	va_end(ap);
	return r;
}

char *ib_path_clean(const char *abs)
{
	size_t n = strlen(abs), len = 0;
	char *out = ib_xmalloc0(n + 2);
	const char *p = abs;

	while (*p) {
		const char *e;
		size_t k;

		while (*p == '/')
			p++;
		e = strchrnul(p, '/');
		k = (size_t)(e - p);
		if (k == 0 || (k == 1 && p[0] == '.')) {
			/* nothing */
		} else if (k == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--; /* the '/' before it */
		} else {
			out[len++] = '/';
			memcpy(out + len, p, k);
			len += k;
		}
		p = e;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return out;
}

char *ib_path_abs_clean(const char *path)
{
	_cleanup_free_ char *joined = NULL;
	char cwd[PATH_MAX];

	if (path[0] == '/')
		return ib_path_clean(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	joined = ib_xasprintf("%s/%s", cwd, path);
	return ib_path_clean(joined);
}

size_t ib_strv_len(char **v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

bool ib_strv_has(char **v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

void ib_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

char **ib_strv_dup(char **v)
{
	size_t n = ib_strv_len(v);
	char **r = ib_xmalloc0((n + 1) * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		r[i] = ib_xstrdup(v[i]);
	return r;
}

void ib_strv_push(char ***v, const char *s)
{
	size_t n = ib_strv_len(*v);
	*v = ib_xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = ib_xstrdup(s);
	(*v)[n + 1] = NULL;
}

ssize_t ib_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return (ssize_t)done;
}

ssize_t ib_read_all(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int ib_read_file_at(int dirfd, const char *path, char **out, size_t *len, ib_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, used = 0;
	char *buf;

	if (fd < 0)
		return ib_err_sys(err, "open `%s`", path);
	buf = ib_xmalloc0(cap);
	for (;;) {
		ssize_t r;
		if (used + 1 >= cap) {
			cap *= 2;
			buf = ib_xrealloc(buf, cap);
		}
		r = read(fd, buf + used, cap - used - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return ib_err_sys(err, "read `%s`", path);
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	*out = buf;
	if (len)
		*len = used;
	return 0;
}

int ib_write_file_at(int dirfd, const char *path, const char *data, size_t len, ib_err *err)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return ib_err_sys(err, "open `%s`", path);
	if (ib_write_all(fd, data, len) < 0)
		return ib_err_sys(err, "write `%s`", path);
	return 0;
}

/* Write tmp, then put it in place of path: an existing file is exchanged
 * with the new one, so readers see one or the other, as with rename. A
 * rename that replaces a file makes ext4 write the new file back first
 * (auto_da_alloc): ~1 ms here, where /run is ext4, for state that does not
 * outlive a reboot anyway.
 *
 * reuse (only for a writer that holds the file's lock, and whose readers
 * take it too): tmp keeps the old version afterwards and is overwritten
 * next time, in place, rather than unlinked and created anew. Under
 * churn, each inode ext4 allocates scans past the recently freed ones. Not
 * truncated to zero first, which would make ext4 write it back at close
 * (auto_da_alloc again): overwritten, then cut to length. */
static int write_via(const char *tmp, const char *path, const char *data, size_t len, mode_t mode,
		     bool reuse, ib_err *err)
{
	_cleanup_close_ int fd =
	    open(tmp, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (reuse ? 0 : O_TRUNC), mode);

	if (fd < 0)
		return ib_err_sys(err, "create `%s`", tmp);
	if (ib_write_all(fd, data, len) < 0 || (reuse && ftruncate(fd, (off_t)len) < 0)) {
		ib_err_sys(err, "write `%s`", tmp);
		unlink(tmp);
		return -1;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
		if (!reuse)
			unlink(tmp);
		return 0;
	}
	/* Not there yet (or no exchange on this filesystem). */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, 0) < 0) {
		ib_err_sys(err, "rename `%s`", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int ib_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, ib_err *err)
{
	_cleanup_free_ char *tmp = ib_xasprintf("%s.tmp.%d", path, (int)getpid());

	return write_via(tmp, path, data, len, mode, false, err);
}

int ib_write_file_atomic_locked(const char *path, const char *data, size_t len, mode_t mode,
				ib_err *err)
{
	_cleanup_free_ char *tmp = ib_xasprintf("%s.tmp", path);

	return write_via(tmp, path, data, len, mode, true, err);
}

int ib_mkdir_p(const char *path, mode_t mode, ib_err *err)
{
	_cleanup_free_ char *copy = ib_xstrdup(path);

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return ib_err_sys(err, "mkdir `%s`", copy);
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return ib_err_sys(err, "mkdir `%s`", copy);
	return 0;
}

bool ib_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

ssize_t ib_fd_readlink(int fd, char *buf, size_t len)
{
	static int dir = -1;
	static pid_t owner;
	char name[16];
	pid_t self = getpid();

	if (dir < 0 || owner != self) {
		/* A fork's copy names the parent's fds: never used, replaced. */
		if (dir >= 0 && owner != self)
			close(dir);
		dir = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dir < 0)
			return -1;
		owner = self;
	}
	snprintf(name, sizeof(name), "%d", fd);
	return readlinkat(dir, name, buf, len);
}
