/* Paths below the cgroup mount root, resolved from a directory fd of it.
 *
 * A path walk through sysfs (/sys, then /sys/fs) takes sysfs's kernfs lock
 * for every sysfs component. Every network namespace being created holds
 * that lock for writing while it adds its loopback device's files, so with
 * containers created in parallel the runtime's ~60 cgroup-file lookups per
 * create queued behind them (the main off-CPU wait at 32 in flight; crun
 * showed none). From an fd of /sys/fs/cgroup (a tmpfs on cgroup v1 and
 * hybrid hosts, the cgroup2 root on unified ones) a lookup never touches
 * sysfs.
 *
 * The fd is opened once per process, close-on-exec, and checked to still be
 * that directory before each use: a child that closed the runtime's fds
 * (the container's init does, first thing) may have the number reused. The
 * container's first stage, the init and exec's child drop it
 * (ib_cgroup_at_close) before they join the container's user namespace or
 * enter a mount namespace of their own (open_tree and move_mount want
 * mounts of the caller's), and the init again once its mounts are made.
 * The supervisor, which enters the container's mount namespace, resolves
 * by path as before (ib_cgroup_at_disable): a lazy reopen there would cache
 * the container's /sys/fs/cgroup. Only a speed-up: the same object is
 * reached as by the path. */
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
static int root_fd = -1;
static bool disabled;
static dev_t root_dev;
static ino_t root_ino;

/* Under root_lock. */
static int root_fd_valid(void)
{
	struct stat st;

	if (root_fd >= 0 &&
	    (fstat(root_fd, &st) < 0 || st.st_dev != root_dev || st.st_ino != root_ino))
		root_fd = -1; /* closed behind our back: the number is not ours */
	if (root_fd < 0) {
		int fd = open(CGROUP_ROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0) {
			close(fd);
			return -1;
		}
		root_fd = fd;
		root_dev = st.st_dev;
		root_ino = st.st_ino;
	}
	return root_fd;
}

int ib_cgroup_at(const char *path, const char **rel)
{
	const size_t n = sizeof(CGROUP_ROOT) - 1;
	int fd;

	*rel = path;
	if (!path || strncmp(path, CGROUP_ROOT, n) != 0 || (path[n] != '/' && path[n] != '\0'))
		return AT_FDCWD;
	/* Disabled once, before any thread exists (the supervisor): then no
	 * lock either, which a fork of a threaded process might find held. */
	if (__atomic_load_n(&disabled, __ATOMIC_ACQUIRE))
		return AT_FDCWD;
	pthread_mutex_lock(&root_lock);
	fd = root_fd_valid();
	pthread_mutex_unlock(&root_lock);
	if (fd < 0)
		return AT_FDCWD;
	path += n;
	while (*path == '/')
		path++;
	*rel = *path ? path : ".";
	return fd;
}

static void root_fd_drop(bool disable)
{
	struct stat st;

	pthread_mutex_lock(&root_lock);
	/* Never close a number that is not ours any more. */
	if (root_fd >= 0 && fstat(root_fd, &st) == 0 && st.st_dev == root_dev &&
	    st.st_ino == root_ino)
		close(root_fd);
	root_fd = -1;
	if (disable)
		__atomic_store_n(&disabled, true, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&root_lock);
}

void ib_cgroup_at_close(void)
{
	root_fd_drop(false);
}

void ib_cgroup_at_disable(void)
{
	root_fd_drop(true);
}

int ib_cg_open(const char *path, int flags)
{
	const char *rel;
	int at = ib_cgroup_at(path, &rel);

	return openat(at, rel, flags);
}

int ib_cg_access(const char *path)
{
	const char *rel;
	int at = ib_cgroup_at(path, &rel);

	return faccessat(at, rel, F_OK, 0);
}

int ib_cg_stat(const char *path, struct stat *st)
{
	const char *rel;
	int at = ib_cgroup_at(path, &rel);

	return fstatat(at, rel, st, 0);
}

int ib_cg_mkdir(const char *path, mode_t mode)
{
	const char *rel;
	int at = ib_cgroup_at(path, &rel);

	return mkdirat(at, rel, mode);
}

int ib_cg_rmdir(const char *path)
{
	const char *rel;
	int at = ib_cgroup_at(path, &rel);

	return unlinkat(at, rel, AT_REMOVEDIR);
}
