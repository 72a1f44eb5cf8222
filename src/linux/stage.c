#include "linux/stage.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/fsid.h"
#include "common/util.h"
#include "linux/syscalls.h"

static int write_map(pid_t pid, const char *file, const struct ib_idmap *m, size_t n, ib_err *err)
{
	char buf[1024], path[64];
	size_t len = 0;

	for (size_t i = 0; i < n && len < sizeof(buf) - 40; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
					m[i].container_id, m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (ib_write_file_at(AT_FDCWD, path, buf, len, err) < 0)
		return ib_err_wrap(err, "write %s", file);
	return 0;
}

/* The placeholder: holds the user namespace until the runtime has it,
 * and exits at EOF on the pipe (arg: its read end | write end << 16; its
 * copy of the write end is closed first). It shares our memory (CLONE_VM):
 * no copy of our page tables, and none of our pages made copy-on-write for
 * the rest of the create. So it touches nothing of ours: raw system calls
 * on its own stack, uninstrumented. */
static char placeholder_sink;

__attribute__((no_sanitize("address", "undefined"))) static int placeholder_main(void *arg)
{
	intptr_t fds = (intptr_t)arg;

	ib_raw_syscall3(SYS_close, (int)(fds >> 16), 0, 0);
	ib_raw_syscall3(SYS_read, (int)(fds & 0xffff), (long)(uintptr_t)&placeholder_sink, 1);
	ib_raw_syscall3(SYS_exit, 0, 0, 0);
	return 0;
}

int ib_userns_create(const struct ib_spec *s, pid_t *placeholder, ib_err *err)
{
	/* Never unmapped: the placeholder may outlive this call (a short
	 * runtime process; one per create). */
	const size_t stack_size = 64 * 1024;
	void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int pipefd[2], fd = -1;
	char path[64];
	pid_t pid;

	if (stack == MAP_FAILED)
		return ib_err_sys(err, "placeholder stack");
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ib_err_sys(err, "pipe");
	if (pipefd[0] > 0xffff || pipefd[1] > 0xffff) {
		close(pipefd[0]);
		close(pipefd[1]);
		return ib_err_set(err, EMFILE, "placeholder pipe: fd numbers too high");
	}
	pid =
	    clone(placeholder_main, (char *)stack + stack_size, CLONE_VM | CLONE_NEWUSER | SIGCHLD,
		  (void *)(intptr_t)(pipefd[0] | pipefd[1] << 16));
	close(pipefd[0]);
	*placeholder = -1;
	if (pid < 0) {
		close(pipefd[1]);
		return ib_err_sys(err, "create user namespace");
	}
	if (write_map(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err) == 0 &&
	    write_map(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err) == 0) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			ib_err_sys(err, "open user namespace");
	}
	close(pipefd[1]);
	/* It exits on EOF; the caller reaps it once it needs it gone (waiting
	 * here cost a scheduling round trip on a busy machine). On failure it
	 * is reaped now. */
	if (fd < 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	else if (waitpid(pid, NULL, WNOHANG) != pid)
		*placeholder = pid;
	return fd;
}

int ib_stage_enter(ib_err *err)
{
	_cleanup_close_ int host = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	if (host < 0)
		return ib_err_sys(err, "open mount namespace");
	if (unshare(CLONE_NEWNS) < 0)
		return ib_err_sys(err, "private mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		ib_err_sys(err, "make / a slave mount");
		(void)setns(host, CLONE_NEWNS);
		return -1;
	}
	return IB_STEAL_FD(host);
}

/* NS_MNT_GET_INFO (Linux 6.12): how many mounts a namespace has. */
struct mnt_ns_info_ {
	uint32_t size, nr_mounts;
	uint64_t mnt_ns_id;
};
#define NS_MNT_GET_INFO_ _IOR(0xb7, 10, struct mnt_ns_info_)

/* Every mount of our (staging) namespace in one table. mountinfo leaves out
 * a mount whose mount point is out of sight (renamed out of its parent's
 * root: it can be renamed back later), the kernel's count does not: the
 * table is whole when it has as many entries as the count before and after
 * it was read (else read again: the host's mount events reach us too). */
static int read_whole_table(struct ib_mount_table *t, const char *shown, ib_err *err)
{
	_cleanup_close_ int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	for (int tries = 0; tries < 8; tries++) {
		struct mnt_ns_info_ a = {.size = sizeof(a)}, b = {.size = sizeof(b)};

		if (ns < 0 || ioctl(ns, NS_MNT_GET_INFO_, &a) < 0)
			return ib_err_sys(err,
					  "can't mount %s: the mounts below it cannot be checked "
					  "(counting a namespace's mounts needs Linux 6.12)",
					  shown);
		if (ib_mount_table_read(t, err) < 0)
			return -1;
		if (ioctl(ns, NS_MNT_GET_INFO_, &b) < 0)
			return ib_err_sys(err, "count the staging namespace's mounts");
		if (a.nr_mounts == b.nr_mounts && b.nr_mounts == t->n)
			return 0;
		ib_mount_table_clear(t);
	}
	return ib_err_set(err, EPERM,
			  "can't mount %s: the mounts below it changed while the container was "
			  "created (some out of sight)",
			  shown);
}

/* A recursive clone, now attached at <stage>/<name>: every mount it holds
 * (by the mount tree, wherever renames moved them) must be one the policy
 * decided on (below: their identities). A mount moved below the source
 * between that decision and the clone is refused, not mounted. */
static int check_staged(int stage, const char *name, char **below, const char *shown,
			struct ib_mount_table *t, ib_err *err)
{
	const struct ib_mount_entry **sub = NULL;
	struct statx stx;
	size_t n;
	int r = 0;

	if (!t->e && read_whole_table(t, shown, err) < 0)
		return -1;
	if (statx(stage, name, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID))
		return ib_err_sys(err, "staged mount of `%s`", shown);
	n = ib_mount_table_descendants(t, stx.stx_mnt_id, &sub);
	for (size_t i = 0; i < n && r == 0; i++) {
		_cleanup_free_ char *who = ib_mount_entry_identity(sub[i]);

		if (!ib_strv_has(below, who))
			r = ib_err_set(err, EPERM,
				       "can't mount %s: the mounts below it changed while the "
				       "container was created (%s)",
				       shown, who);
	}
	free(sub);
	return r;
}

int ib_stage_binds(const char *stage_dir, const struct ib_spec *s, struct ib_prepared_mounts *pm,
		   ib_err *err)
{
	__attribute__((cleanup(ib_mount_table_clear))) struct ib_mount_table staged = {0};
	_cleanup_close_ int fsfd = -1, stage = -1;

	if (mkdir(stage_dir, 0700) < 0 && errno != EEXIST)
		return ib_err_sys(err, "create staging dir");
	fsfd = ib_fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0 || ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0700", 0) < 0 ||
	    ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ib_err_sys(err, "create staging tmpfs");
	stage = ib_fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (stage < 0 || ib_move_mount(stage, "", AT_FDCWD, stage_dir, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ib_err_sys(err, "mount staging tmpfs");
	for (size_t i = 0; i < s->n_mounts && i < pm->n_mount_fds; i++) {
		int fd = pm->mount_fds[i];
		struct stat st;
		char name[32];

		if (fd < 0 || !ib_mount_is_staged(&s->mounts[i]))
			continue;
		snprintf(name, sizeof(name), "m%zu", i);
		if (fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode)) {
			int f = openat(stage, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
			if (f < 0)
				return ib_err_sys(err, "stage bind %zu", i);
			close(f);
		} else if (mkdirat(stage, name, 0700) < 0) {
			return ib_err_sys(err, "stage bind %zu", i);
		}
		if (ib_move_mount(fd, "", stage, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return ib_err_sys(err, "stage bind mount %s", s->mounts[i].destination);
		close(fd);
		pm->mount_fds[i] = -1;
	}
	/* The device nodes' tmpfs, so that it goes with this namespace. */
	if (pm->devices_fs_fd >= 0) {
		if ((mkdirat(stage, "dev", 0700) < 0 && errno != EEXIST) ||
		    ib_move_mount(pm->devices_fs_fd, "", stage, "dev", MOVE_MOUNT_F_EMPTY_PATH) < 0)
			return ib_err_sys(err, "stage the device nodes");
		close(pm->devices_fs_fd);
		pm->devices_fs_fd = -1;
	}
	/* A rootfs cloned with mounts below it: attached too, to be checked
	 * like a bind; the init then gets a clone of what was checked. */
	if (s->root_below && pm->rootfs_fd >= 0 &&
	    (mkdirat(stage, "root", 0700) < 0 ||
	     ib_move_mount(pm->rootfs_fd, "", stage, "root", MOVE_MOUNT_F_EMPTY_PATH) < 0))
		return ib_err_sys(err, "stage rootfs `%s`", s->root_path);
	/* What the recursive clones hold, all attached now: one table. */
	for (size_t i = 0; i < s->n_mounts; i++) {
		char name[32];

		if (!s->mounts[i].source_below || !ib_mount_is_staged(&s->mounts[i]))
			continue;
		snprintf(name, sizeof(name), "m%zu", i);
		if (check_staged(stage, name, s->mounts[i].source_below, s->mounts[i].source,
				 &staged, err) < 0)
			return -1;
	}
	if (s->root_below && pm->rootfs_fd >= 0) {
		int fd;

		if (check_staged(stage, "root", s->root_below, s->root_path, &staged, err) < 0)
			return -1;
		fd =
		    ib_open_tree(stage, "root", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (fd < 0)
			return ib_err_sys(err, "rootfs `%s`", s->root_path);
		close(pm->rootfs_fd);
		pm->rootfs_fd = fd;
	}
	return 0;
}

void ib_stage_leave(int host_mntns)
{
	if (host_mntns < 0)
		return;
	(void)setns(host_mntns, CLONE_NEWNS);
	close(host_mntns);
}

int ib_stage_open_bind(const char *stage_dir, const struct ib_mount *m, size_t i, ib_err *err)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/m%zu", stage_dir, i);
	fd = ib_open_tree(AT_FDCWD, path,
			  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (m->recursive ? AT_RECURSIVE : 0));
	if (fd < 0)
		return ib_err_sys(err, "bind mount `%s`", m->source ? m->source : "");
	return fd;
}

int ib_stage_open_root(const struct ib_spec *s, ib_err *err)
{
	_cleanup_close_ int fd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return ib_err_sys(err, "rootfs (%s)", s->root_path);
	if (fstat(fd, &st) < 0)
		return ib_err_sys(err, "rootfs (%s)", s->root_path);
	if (st.st_dev != s->root_dev || st.st_ino != s->root_ino)
		return ib_err_set(err, EXDEV,
				  "rootfs (%s) is no longer the directory that was checked; "
				  "refused",
				  s->root_path);
	return IB_STEAL_FD(fd);
}
