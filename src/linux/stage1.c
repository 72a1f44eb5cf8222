/* The container's first stage: from the runtime to the init.
 *
 * The user namespace exists before the init (the ID-mapped mounts were
 * prepared against it), so the init cannot be cloned with CLONE_NEWUSER. A
 * first stage, still the host's root, joins the container's v1 cgroups,
 * then its user namespace, and forks the init into new namespaces owned by
 * that user namespace (CLONE_PARENT: the init is the runtime's child).
 *
 * On x86_64 the first stage is a CLONE_VM|CLONE_VFORK child on a stack of
 * its own: a process that lives for a few system calls gets no copy of the
 * runtime's memory (a fork's page-table copy and its copy-on-write faults
 * cost ~1 ms on a virtualised host), and the runtime sleeps until it has
 * exited. Sharing the runtime's memory, it makes system calls only: no
 * allocation, no global state, the cgroup files it writes opened for it.
 * The init it forks gets its own copy of that memory, as from a fork. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

#include "cgroup/cgroup.h"
#include "common/phase.h"
#include "common/util.h"
#include "linux/runtime_int.h"
#include "linux/sync.h"
#include "linux/syscalls.h"

/* The init runs on its copy of this stack until it executes the user's
 * program: as large as a main thread's usual limit, mapped lazily. */
#define STAGE1_STACK_SIZE (8UL << 20)
#define STAGE1_GUARD_SIZE (64UL << 10)

struct stage1 {
	struct ib_init_cfg *c;
	const char *const *join_paths; /* for messages: what join_fds[i] is */
	const int *join_fds;	       /* opened for writing: "0" joins */
	size_t n_join;
	const int *keep; /* ascending, -1s first */
	size_t n_keep;
	unsigned int first_fd;
	int v2fd; /* the init is cloned into it (CLONE_INTO_CGROUP), or -1 */
	/* The v1 pids hierarchy's `tasks`, opened for writing, or -1: the
	 * init joins it itself, first thing (see init_child). */
	int pids_fd;
	const char *pids_path;
	/* Written by the first stage, read by the init in its copy. */
	struct timespec t_start, t_joined;
	/* ASan: the runtime's stack, given back before the first stage ends
	 * (it and the runtime share ASan's record of the thread's stack). */
	bool own_stack; /* run by clone3_run, on a stack of its own */
	const void *asan_bottom;
	size_t asan_size;
};

/* ASan keeps one record of the thread's stack in memory we share: the first
 * stage says it runs on its own (the init, forked meanwhile, keeps that in
 * its copy: it runs there too), and hands the runtime's back as it ends. */
static void asan_on_own_stack(struct stage1 *a)
{
#ifdef __SANITIZE_ADDRESS__
	if (a->own_stack)
		__sanitizer_finish_switch_fiber(NULL, &a->asan_bottom, &a->asan_size);
#else
	(void)a;
#endif
}

static void asan_back_to_runtime(const struct stage1 *a)
{
#ifdef __SANITIZE_ADDRESS__
	if (a->own_stack)
		__sanitizer_start_switch_fiber(NULL, a->asan_bottom, a->asan_size);
#else
	(void)a;
#endif
}

/* Every fd from first_fd on but keep[] (ascending). */
static int close_except(const struct stage1 *a)
{
	unsigned int lo = a->first_fd;

	for (size_t i = 0; i < a->n_keep; i++) {
		if (a->keep[i] < 0 || (unsigned int)a->keep[i] < lo)
			continue;
		if ((unsigned int)a->keep[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned int)a->keep[i] - 1, 0) < 0)
			return -1;
		lo = (unsigned int)a->keep[i] + 1;
	}
	return syscall(SYS_close_range, lo, ~0U, 0) < 0 ? -1 : 0;
}

/* The init, in its own copy of the runtime's memory. */
static __attribute__((noreturn)) void init_child(struct stage1 *a)
{
	/* Its v1 pids cgroup before anything that could fork: the first stage
	 * stays out of it (with it, the init's birth would count twice against
	 * the limit: pids.max 1 would refuse it, runc's and crun's do not).
	 * "0" to `tasks` moves just this thread (we are single-threaded) and
	 * skips the kernel's global threadgroup rwsem, whose write side waits
	 * for an RCU grace period (4-25 ms measured here) as another's pid
	 * written there does. The permission is the opener's (the host's
	 * root), not ours. */
	if (a->pids_fd >= 0) {
		if (write(a->pids_fd, "0", 1) != 1) {
			ib_err err = {0};

			ib_err_sys(&err, "join cgroup %s", a->pids_path);
			ib_sync_send_error(a->c->sync_fd, &err);
			_exit(1);
		}
		close(a->pids_fd);
	}
	/* A directory of the host's. */
	if (a->v2fd >= 0)
		close(a->v2fd);
	/* The runtime's cached /sys/fs/cgroup fd is a number we do not have
	 * (ib_cgroup_at_close checks before it closes). */
	ib_cgroup_at_close();
	ib_phase_child_since("init", &a->t_start);
	ib_phase_mark_at("init-cgroup-join", &a->t_joined);
	ib_phase_mark("init-clone");
	ib_init_stage2(a->c);
}

static __attribute__((noreturn)) void stage1_exit(const struct stage1 *a, int status)
{
	asan_back_to_runtime(a);
	_exit(status);
}

static __attribute__((noreturn)) void stage1_fail(const struct stage1 *a, ib_err *err)
{
	ib_sync_send_error(a->c->sync_fd, err);
	stage1_exit(a, 1);
}

static int stage1_main(void *arg)
{
	struct stage1 *a = arg;
	struct ib_init_cfg *c = a->c;
	struct clone_args ca = {.flags = CLONE_PARENT | CLONE_PIDFD | (uint64_t)c->clone_flags,
				.exit_signal = 0};
	ib_err err = {0};
	int pidfd = -1;
	pid_t pid;

	asan_on_own_stack(a);
	clock_gettime(CLOCK_MONOTONIC, &a->t_start);
	/* Not dumpable: no process of the container may open /proc/<us>/exe,
	 * mem or fds while we are still the runtime (CVE-2019-5736). The flag
	 * is the memory's: with CLONE_VM the runtime's too, which it may as
	 * well be. The init inherits it; its execve resets it. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		stage1_exit(a, 1);
	/* Of the runtime's fds (its lock, the v2 cgroup directory, the staging
	 * mount namespace, the supervisor's socket, the caller's other
	 * fds...) none is ours: a directory fd of the host would lead out of
	 * the container (CVE-2024-21626). */
	if (close_except(a) < 0) {
		ib_err_sys(&err, "close inherited fds");
		stage1_fail(a, &err);
	}
	/* Still the host's root: "0" to v1 `tasks` moves just this thread,
	 * cheaply (ib_cgroup_join_self); the init is born in them. */
	for (size_t i = 0; i < a->n_join; i++) {
		if (write(a->join_fds[i], "0", 1) != 1) {
			ib_err_sys(&err, "join cgroup %s", a->join_paths[i]);
			stage1_fail(a, &err);
		}
		close(a->join_fds[i]);
	}
	clock_gettime(CLOCK_MONOTONIC, &a->t_joined);
	if (setns(c->userns_fd, CLONE_NEWUSER) < 0) {
		ib_err_sys(&err, "join user namespace");
		stage1_fail(a, &err);
	}
	close(c->userns_fd);
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	/* Straight into its v2 cgroup (we are not in it: a pids limit counts
	 * the init alone). The permission is checked on the cgroup.procs files
	 * as the host's root we still are (setns does not change our IDs). */
	if (a->v2fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)a->v2fd;
	}
	pid = ib_clone3(&ca);
	if (pid == 0)
		init_child(a);
	if (a->v2fd >= 0)
		close(a->v2fd);
	if (a->pids_fd >= 0)
		close(a->pids_fd);
	if (pid < 0) {
		ib_err_sys(&err, "clone container init");
		stage1_fail(a, &err);
	}
	/* The runtime reads the pid from the pidfd (ours may be in another pid
	 * namespace). */
	stage1_exit(a, ib_sync_send(c->sync_fd, IB_SYNC_PID, 0, NULL, pidfd, &err) < 0);
}

#if defined(__x86_64__)
/* clone3 whose child runs fn(arg) on the stack ca describes, then exits
 * with its result: a child sharing our memory (CLONE_VM) cannot return
 * through our frames. Returns the child's pid, or -1 with errno. */
static pid_t clone3_run(struct clone_args *ca, int (*fn)(void *), void *arg)
{
	register long r12 __asm__("r12") = (long)(uintptr_t)fn;
	register long r13 __asm__("r13") = (long)(uintptr_t)arg;
	long ret;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 /* The child: a new stack, no frame to return to. */
			 "xor %%ebp, %%ebp\n\t"
			 "mov %%r13, %%rdi\n\t"
			 "call *%%r12\n\t"
			 "mov %%eax, %%edi\n\t"
			 "mov %[exit], %%eax\n\t"
			 "syscall\n\t"
			 "hlt\n"
			 "1:\n\t"
			 : "=a"(ret)
			 : "0"((long)SYS_clone3), "D"(ca), "S"(sizeof(*ca)), "r"(r12),
			   "r"(r13), [exit] "i"(SYS_exit_group)
			 : "rcx", "r11", "memory");
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return (pid_t)ret;
}

static pid_t spawn(struct stage1 *a, int v2fd)
{
	struct clone_args ca = {.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD};
	const size_t len = STAGE1_GUARD_SIZE + STAGE1_STACK_SIZE;
	char *map = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	pid_t pid;
	int saved;

	if (map == MAP_FAILED)
		return -1;
	if (mprotect(map + STAGE1_GUARD_SIZE, STAGE1_STACK_SIZE, PROT_READ | PROT_WRITE) < 0) {
		saved = errno;
		munmap(map, len);
		errno = saved;
		return -1;
	}
	ca.stack = (uint64_t)(uintptr_t)(map + STAGE1_GUARD_SIZE);
	ca.stack_size = STAGE1_STACK_SIZE;
	(void)v2fd;
	a->own_stack = true;
#ifdef __SANITIZE_ADDRESS__
	__sanitizer_start_switch_fiber(NULL, map + STAGE1_GUARD_SIZE, STAGE1_STACK_SIZE);
#endif
	/* Returns once the first stage has exited (CLONE_VFORK). */
	pid = clone3_run(&ca, stage1_main, a);
	saved = errno;
#ifdef __SANITIZE_ADDRESS__
	/* Back on ours, given back by the first stage; if there was none, the
	 * switch announced is taken back. */
	if (pid < 0) {
		const void *bottom;
		size_t size;

		__sanitizer_finish_switch_fiber(NULL, &bottom, &size);
		__sanitizer_start_switch_fiber(NULL, bottom, size);
	}
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
	munmap(map, len);
	errno = saved;
	return pid;
}
#else
/* Elsewhere: a forked first stage, with a copy of our memory. */
static pid_t spawn(struct stage1 *a, int v2fd)
{
	int pidfd = -1;
	pid_t pid = ib_clone_into_cgroup(-1, &pidfd);

	(void)v2fd;

	if (pid == 0)
		_exit(stage1_main(a));
	if (pid > 0)
		close(pidfd);
	return pid;
}
#endif

static int cmp_int(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;

	return (a > b) - (a < b);
}

pid_t ib_init_spawn(struct ib_init_cfg *c, int v2fd, ib_err *err)
{
	const struct ib_cgroup *cg = c->cg;
	size_t n_v1 = 0, n_join = 0, n_keep = 0;
	_cleanup_free_ int *join_fds = NULL, *keep = NULL;
	_cleanup_strv_ char **paths = NULL;
	_cleanup_free_ char *pids_path = NULL;
	struct stage1 a = {
	    .c = c, .first_fd = 3 + (unsigned int)c->preserve_fds, .v2fd = v2fd, .pids_fd = -1};
	pid_t pid = -1;

	while (cg && cg->v1_dirs && cg->v1_dirs[n_v1])
		n_v1++;
	join_fds = ib_xmalloc0((n_v1 + 1) * sizeof(int));
	paths = ib_xmalloc0((n_v1 + 2) * sizeof(char *));
	for (size_t i = 0; i <= n_v1; i++) {
		bool v2 = i == n_v1;
		int fd;

		/* v2: only where CLONE_INTO_CGROUP does not put the init. */
		if (v2 && (!cg || !cg->v2_dir || c->in_v2_cgroup))
			break;
		if (!v2 && ib_cgroup_v1_is_pids(cg->v1_dirs[i])) {
			if (a.pids_fd >= 0)
				continue; /* one pids hierarchy */
			a.pids_path = pids_path = ib_xasprintf("%s/tasks", cg->v1_dirs[i]);
			a.pids_fd = ib_cg_open(a.pids_path, O_WRONLY | O_CLOEXEC);
			if (a.pids_fd < 0) {
				ib_err_sys(err, "join cgroup %s", a.pids_path);
				goto out;
			}
			continue;
		}
		paths[n_join] = ib_xasprintf("%s/%s", v2 ? cg->v2_dir : cg->v1_dirs[i],
					     v2 ? "cgroup.procs" : "tasks");
		fd = ib_cg_open(paths[n_join], O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			ib_err_sys(err, "join cgroup %s", paths[n_join]);
			goto out;
		}
		join_fds[n_join++] = fd;
	}
	keep = ib_xmalloc0((n_join + 6) * sizeof(int));
	keep[n_keep++] = v2fd;
	keep[n_keep++] = a.pids_fd;
	keep[n_keep++] = c->sync_fd;
	keep[n_keep++] = c->fifo_fd;
	keep[n_keep++] = c->console_fd;
	keep[n_keep++] = c->userns_fd;
	memcpy(keep + n_keep, join_fds, n_join * sizeof(int));
	n_keep += n_join;
	qsort(keep, n_keep, sizeof(int), cmp_int);
	a.join_paths = (const char *const *)paths;
	a.join_fds = join_fds;
	a.n_join = n_join;
	a.keep = keep;
	a.n_keep = n_keep;
	pid = spawn(&a, v2fd);
	if (pid < 0)
		ib_err_sys(err, "clone container process");
out:
	for (size_t i = 0; i < n_join; i++)
		close(join_fds[i]);
	if (a.pids_fd >= 0)
		close(a.pids_fd);
	return pid;
}
