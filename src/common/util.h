/* Cleanup helpers and small file/string utilities shared by all modules. */
#ifndef IRONBOX_UTIL_H
#define IRONBOX_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"

void ib_freep(void *p);
void ib_closep(int *fd);
void ib_fclosep(FILE **f);
void ib_strv_freep(char ***v);

#define _cleanup_free_ __attribute__((cleanup(ib_freep)))
#define _cleanup_close_ __attribute__((cleanup(ib_closep)))
#define _cleanup_fclose_ __attribute__((cleanup(ib_fclosep)))
#define _cleanup_strv_ __attribute__((cleanup(ib_strv_freep)))

/* Hand ownership out of a cleanup variable. */
#define IB_STEAL(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tmp = (p);                                                          \
		(p) = NULL;                                                                        \
		_tmp;                                                                              \
	})
#define IB_STEAL_FD(fd)                                                                            \
	({                                                                                         \
		int _tmp = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_tmp;                                                                              \
	})

#define IB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation failure is not a recoverable condition for a runtime: abort. */
void *ib_xmalloc0(size_t n);
void *ib_xrealloc(void *p, size_t n);
char *ib_xstrdup(const char *s);
char *ib_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An absolute path made clean: no "." or ".." component (".." of "/" is
 * "/"), no repeated or trailing '/'; malloc'd. */
char *ib_path_clean(const char *abs);
/* path from the current directory if relative, then clean; NULL (errno)
 * when the current directory cannot be read. */
char *ib_path_abs_clean(const char *path);

size_t ib_strv_len(char **v);
void ib_strv_free(char **v);
char **ib_strv_dup(char **v);
/* Append a copy of s to a NULL-terminated vector (reallocates). */
void ib_strv_push(char ***v, const char *s);
bool ib_strv_has(char **v, const char *s);

/* Whole-file helpers; dirfd may be AT_FDCWD. Return -1 and fill err. */
int ib_read_file_at(int dirfd, const char *path, char **out, size_t *len, ib_err *err);
/* readlink() of our /proc/self/fd/<fd>: the kernel's name for what fd
 * names. Through a kept O_PATH fd of that directory (close-on-exec, our
 * process's only: reopened after a fork), so no path walk through /proc
 * per call. Like readlink: no NUL; -1 + errno. */
ssize_t ib_fd_readlink(int fd, char *buf, size_t len);
int ib_write_file_at(int dirfd, const char *path, const char *data, size_t len, ib_err *err);
/* Write to a temp file beside path, fsync-less rename: readers see old or new. */
int ib_write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, ib_err *err);
/* The same for a writer that holds the file's lock (and readers that take
 * it): the temporary file has one name (path.tmp) and is kept, holding the
 * previous version, to be overwritten by the next write: no inode created
 * and freed per write, and one left by a killed writer is simply reused. */
int ib_write_file_atomic_locked(const char *path, const char *data, size_t len, mode_t mode,
				ib_err *err);

/* write(2)/read(2) looping over EINTR and short counts. */
ssize_t ib_write_all(int fd, const void *buf, size_t len);
ssize_t ib_read_all(int fd, void *buf, size_t len);

/* mkdir -p; mode for created directories. */
int ib_mkdir_p(const char *path, mode_t mode, ib_err *err);

/* Parse a decimal integer; false on garbage or overflow. */
bool ib_parse_long(const char *s, long *out);

#endif
