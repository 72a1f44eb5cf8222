/* The notification agent (notify.h): setup, the listener loop, the worker
 * pool, and the answers. */
#include "supervisor/notify.h"
#include "supervisor/sysinfo_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <malloc.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/syscalls.h"
#include "supervisor/audit.h"

#define MAX_WORKERS 4
#define WORKER_STACK (256 * 1024)
#define SETTLE_IDLE_MS 20
#define SLOW_CALL_MS 2

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

struct listener {
	int fd;
	int refs; /* the listener list's + one per call being handled */
	bool hup;
};

/* Leader/followers: one thread (the leader) polls the supervisor's socket
 * and the listeners, receives a notification and handles the call itself,
 * then leads again: a call never waits for a thread to wake up, and a
 * sequence of calls costs no switch between threads. So that a slow call
 * (a mount that blocks) does not stop the others, the leader arms a timer
 * (SLOW_CALL_MS) when it takes a call; a standby thread waits for it, and
 * if it fires while nobody leads, takes over (another thread becomes the
 * standby, up to MAX_WORKERS). A thread that finishes its call leads if
 * nobody does, else stands by if nobody does, else waits idle. With every
 * thread busy nobody polls: the notifications wait in the kernel
 * (back-pressure). The main thread is none of them: it watches the
 * supervisor's end (watch()). */
static struct {
	const struct ib_notify_agent_cfg *cfg;
	struct seccomp_notif_sizes sizes;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool leader;		/* a thread is polling */
	bool standby;		/* a thread waits for the timer */
	unsigned workers, idle; /* threads; of them waiting on cond */
	int timer;		/* timerfd: a call taken SLOW_CALL_MS ago */
	struct listener **ls;	/* the listeners (the leader's) */
	size_t n;
} ag = {.lock = PTHREAD_MUTEX_INITIALIZER, .timer = -1};

/* ---- answers ---- */

static int send_resp(struct ib_notify_call *c, int64_t val, int error)
{
	struct seccomp_notif_resp *resp = ib_xmalloc0(ag.sizes.seccomp_notif_resp);
	int r;

	resp->id = c->req->id;
	resp->val = val;
	resp->error = error ? -error : 0;
	resp->flags = 0;
	r = ioctl(c->listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	free(resp);
	c->answered = true;
	if (r < 0) {
		IB_STAT_ADD(ag.cfg->stats, stale, 1);
		return -1;
	}
	return 0;
}

bool ib_notify_valid(struct ib_notify_call *c)
{
	uint64_t id = c->req->id;

	if (ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0)
		return true;
	c->answered = true; /* nobody to answer */
	IB_STAT_ADD(ag.cfg->stats, stale, 1);
	return false;
}

/* Our answer lets the caller see what the call did: the kept mount table
 * is read again, unless the call's change was applied to it already. */
static void tab_answered(struct ib_notify_call *c)
{
	if (!c->caller.tab_kept)
		ib_caller_tab_changed();
}

void ib_notify_reply(struct ib_notify_call *c, int64_t val)
{
	tab_answered(c);
	if (send_resp(c, val, 0) == 0)
		IB_STAT_ADD(ag.cfg->stats, allowed, 1);
}

void ib_notify_fail(struct ib_notify_call *c, int error)
{
	tab_answered(c);
	if (send_resp(c, -1, error ? error : EIO) == 0)
		IB_STAT_ADD(ag.cfg->stats, failed, 1);
}

void ib_notify_deny(struct ib_notify_call *c, int error, const char *reason)
{
	struct ib_audit_entry e = {.id = c->policy->id,
				   .pid = (pid_t)c->req->pid,
				   .container_pid = c->caller.creds.ns_tid,
				   .syscall = c->syscall,
				   .args = c->args,
				   .target = c->target,
				   .rule = c->rule ? c->rule->rule : "none",
				   .reason = reason,
				   .error = error};

	if (!ib_audit_write(ag.cfg->audit_fd, &e))
		IB_STAT_ADD(ag.cfg->stats, audit_dropped, 1);
	IB_STAT_ADD(ag.cfg->stats, denied, 1);
	send_resp(c, -1, error);
}

void ib_notify_reply_fd(struct ib_notify_call *c, int fd, bool cloexec)
{
	struct seccomp_notif_addfd add = {.id = c->req->id,
					  .flags = SECCOMP_ADDFD_FLAG_SEND,
					  .srcfd = (uint32_t)fd,
					  .newfd = 0,
					  .newfd_flags = cloexec ? O_CLOEXEC : 0};
	int r, saved;

	tab_answered(c);
	r = ioctl(c->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	saved = errno;

	close(fd);
	if (r >= 0) {
		c->answered = true;
		IB_STAT_ADD(ag.cfg->stats, allowed, 1);
	} else if (saved == ENOENT) {
		c->answered = true;
		IB_STAT_ADD(ag.cfg->stats, stale, 1);
	} else {
		/* Not installed (EMFILE in the caller, ...): that is the answer. */
		ib_notify_fail(c, saved);
	}
}

static struct json_object *args_of(struct ib_notify_call *c)
{
	if (!c->args)
		c->args = json_object_new_object();
	return c->args;
}

void ib_notify_arg_str(struct ib_notify_call *c, const char *key, const char *val)
{
	json_object_object_add(args_of(c), key, val ? json_object_new_string(val) : NULL);
}

void ib_notify_arg_int(struct ib_notify_call *c, const char *key, int64_t val)
{
	json_object_object_add(args_of(c), key, json_object_new_int64(val));
}

void ib_notify_arg_oct(struct ib_notify_call *c, const char *key, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0%llo", (unsigned long long)val);
	json_object_object_add(args_of(c), key, json_object_new_string(buf));
}

void ib_notify_arg_hex(struct ib_notify_call *c, const char *key, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)val);
	json_object_object_add(args_of(c), key, json_object_new_string(buf));
}

/* ---- the host-shared decision ---- */

static const char *below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return path[0] == '/' ? path : NULL;
	if (strncmp(path, dir, n) != 0 || (path[n] != '\0' && path[n] != '/'))
		return NULL;
	return path + n;
}

bool ib_notify_host_shared(const struct ib_notify_policy *p, const struct ib_caller_obj *o,
			   const struct ib_shared_src **which)
{
	for (size_t i = 0; i < p->n_shared; i++) {
		const struct ib_shared_src *s = &p->shared[i];
		bool hit;

		if (s->dev != o->dev)
			continue;
		if (o->fs_path)
			hit = below(o->fs_path, s->fs_path) != NULL;
		else if (o->mount_known)
			hit = below(o->mount_root, s->fs_path) || below(s->fs_path, o->mount_root);
		else
			hit = true;
		if (hit) {
			if (which)
				*which = s;
			return true;
		}
	}
	return false;
}

/* ---- dispatch ---- */

/* This thread answered a mount call: the kept table is read again, if it
 * must be, before the thread polls (not on the answer's path). */
static __thread bool t_prefetch;

static void handle(const struct seccomp_notif *req, const struct listener *l)
{
	struct ib_notify_call c = {.req = req, .policy = ag.cfg->policy, .listener = l->fd};
	_cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
	ib_err err = {0};

	c.syscall = name ? name : "?";
	c.rule = name ? ib_notify_rule_named(name) : NULL;
	c.caller.proc_fd = c.caller.mnt_fd = c.caller.root_fd = c.caller.cwd_fd = -1;
	if (!c.rule || c.rule->kind != IB_NOTIFY_TRAP || !c.rule->handler) {
		ib_notify_deny(&c, EPERM, "no rule for this call");
	} else if (ib_caller_open((pid_t)req->pid, &c.caller, &err) < 0) {
		if (ib_notify_valid(&c))
			ib_notify_deny(&c, EPERM, err.msg);
	} else {
		c.rule->handler(&c);
		if (!c.answered)
			ib_notify_deny(&c, EPERM, "undecided");
		/* The caller goes on: have the table ready for its next call
		 * (before this thread polls again, see lead()). */
		if (!strcmp(c.rule->rule, "mount"))
			t_prefetch = true;
	}
	ib_caller_close(&c.caller);
	json_object_put(c.args);
	free(c.target);
}

static void listener_put(struct listener *l)
{
	bool last;

	pthread_mutex_lock(&ag.lock);
	last = --l->refs == 0;
	pthread_mutex_unlock(&ag.lock);
	if (last) {
		close(l->fd);
		free(l);
	}
}

/* A listener from the supervisor ('L' + its fd). */
static int recv_listener(int sock)
{
	char msg = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&msg, 1};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	int fd = -1;
	ssize_t r;

	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -2; /* the supervisor is gone */
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(h), sizeof(int));
	if (msg != 'L' && fd >= 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void *worker(void *arg);

/* A new thread shares our fs_struct until its ib_caller_thread_init():
 * wait for that, since we are about to enter a caller's context (setns and
 * chroot need a private one). */
static bool spawn_worker(void)
{
	pthread_attr_t a;
	pthread_t t;
	sem_t ready;
	int r;

	sem_init(&ready, 0, 0);
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, WORKER_STACK);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&t, &a, worker, &ready);
	pthread_attr_destroy(&a);
	if (r == 0)
		while (sem_wait(&ready) < 0 && errno == EINTR)
			;
	sem_destroy(&ready);
	if (r != 0) {
		pthread_mutex_lock(&ag.lock);
		ag.workers--;
		pthread_mutex_unlock(&ag.lock);
	}
	return r == 0;
}

/* As the leader: poll until a notification is received (returned, with
 * its listener referenced). */
static struct seccomp_notif *lead(struct listener **from)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;

	if (t_prefetch) {
		t_prefetch = false;
		ib_caller_tab_prefetch();
	}
	for (;;) {
		size_t k = 0, polled = ag.n;
		int r;

		if (cap < 1 + ag.n) {
			cap = 1 + ag.n + 4;
			pfd = ib_xrealloc(pfd, cap * sizeof(*pfd));
		}
		pfd[k++] = (struct pollfd){.fd = ag.cfg->sup_fd, .events = POLLIN};
		for (size_t i = 0; i < ag.n; i++)
			pfd[k++] = (struct pollfd){.fd = ag.ls[i]->fd, .events = POLLIN};
		/* Still in the last caller's context: for a short while. */
		r = poll(pfd, k, ib_caller_unsettled() ? SETTLE_IDLE_MS : -1);
		if (r == 0)
			ib_caller_idle();
		if (r <= 0) {
			if (r == 0 || errno == EINTR)
				continue;
			_exit(1);
		}
		if (pfd[0].revents) {
			int fd = recv_listener(ag.cfg->sup_fd);

			if (fd == -2)
				_exit(0);
			if (fd >= 0) {
				struct listener *l = ib_xmalloc0(sizeof(*l));
				uint64_t fl = SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP;

				/* The caller waits for our answer: wake us, and it
				 * afterwards, on the CPU at hand (Linux 6.6+). */
				(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, fl);
				l->fd = fd;
				l->refs = 1;
				ag.ls = ib_xrealloc(ag.ls, (ag.n + 1) * sizeof(*ag.ls));
				ag.ls[ag.n++] = l;
			}
		}
		/* Only those polled: a listener just received is polled next time. */
		for (size_t i = 0; i < polled; i++) {
			short re = pfd[1 + i].revents;

			if (re & POLLIN) {
				struct seccomp_notif *req = ib_xmalloc0(ag.sizes.seccomp_notif);

				if (ioctl(ag.ls[i]->fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0) {
					/* ENOENT: the caller went away meanwhile. */
					free(req);
					continue;
				}
				IB_STAT_ADD(ag.cfg->stats, notifications, 1);
				pthread_mutex_lock(&ag.lock);
				ag.ls[i]->refs++;
				pthread_mutex_unlock(&ag.lock);
				*from = ag.ls[i];
				free(pfd);
				return req;
			} else if (re & (POLLHUP | POLLERR | POLLNVAL)) {
				/* Every process of this filter is gone. */
				ag.ls[i]->hup = true;
			}
		}
		for (size_t i = 0; i < ag.n;) {
			if (ag.ls[i]->hup) {
				listener_put(ag.ls[i]);
				ag.ls[i] = ag.ls[--ag.n];
			} else {
				i++;
			}
		}
	}
}

/* Wait for cond (the lock held); a thread still in a caller's context
 * settles after SETTLE_IDLE_MS. */
static void idle_wait(void)
{
	struct timespec t;

	if (!ib_caller_unsettled()) {
		pthread_cond_wait(&ag.cond, &ag.lock);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += SETTLE_IDLE_MS * 1000000L;
	if (t.tv_nsec >= 1000000000L)
		t.tv_sec++, t.tv_nsec -= 1000000000L;
	if (pthread_cond_timedwait(&ag.cond, &ag.lock, &t) == ETIMEDOUT) {
		pthread_mutex_unlock(&ag.lock);
		ib_caller_idle();
		pthread_mutex_lock(&ag.lock);
	}
}

/* As the standby: true once the timer fired with nobody leading (we lead
 * now), false on a stale expiry (someone leads: stand by again). */
static bool stand_by(void)
{
	struct pollfd p = {.fd = ag.timer, .events = POLLIN};
	uint64_t expiries;
	bool spawn = false, lead = false;
	int r;

	do {
		r = poll(&p, 1, ib_caller_unsettled() ? SETTLE_IDLE_MS : -1);
		if (r == 0)
			ib_caller_idle();
	} while (r == 0 || (r < 0 && errno == EINTR));
	if (r < 0)
		_exit(1);
	(void)!read(ag.timer, &expiries, sizeof(expiries));
	pthread_mutex_lock(&ag.lock);
	ag.standby = false;
	if (!ag.leader) {
		ag.leader = lead = true;
		/* the next slow call needs a standby too */
		if (ag.idle)
			pthread_cond_signal(&ag.cond);
		else if (ag.workers < MAX_WORKERS)
			spawn = true, ag.workers++;
	}
	pthread_mutex_unlock(&ag.lock);
	if (spawn)
		spawn_worker();
	return lead;
}

static __attribute__((noreturn)) void serve(void)
{
	const struct itimerspec slow = {.it_value = {0, SLOW_CALL_MS * 1000000L}};

	for (;;) {
		struct seccomp_notif *req;
		struct listener *l = NULL;
		bool spawn = false, standby = false;

		pthread_mutex_lock(&ag.lock);
		for (;;) {
			if (!ag.leader) {
				ag.leader = true;
				break;
			}
			if (!ag.standby) {
				ag.standby = standby = true;
				break;
			}
			ag.idle++;
			idle_wait();
			ag.idle--;
		}
		pthread_mutex_unlock(&ag.lock);
		if (standby && !stand_by())
			continue;
		req = lead(&l);
		pthread_mutex_lock(&ag.lock);
		ag.leader = false;
		/* No standby (the first call; or the standby took over): an
		 * idle thread or a new one takes the free role, leader or
		 * standby, so a slow call never leaves the others waiting
		 * while a thread could poll. */
		if (!ag.standby) {
			if (ag.idle)
				pthread_cond_signal(&ag.cond);
			else if (ag.workers < MAX_WORKERS)
				spawn = true, ag.workers++;
		}
		pthread_mutex_unlock(&ag.lock);
		(void)timerfd_settime(ag.timer, 0, &slow, NULL);
		if (spawn)
			spawn_worker();
		handle(req, l);
		listener_put(l);
		free(req);
	}
}

/* The main thread serves no call: it only watches the supervisor's end.
 * It keeps its parent-death signal (a worker's change of credentials for a
 * caller would clear a thread's own, and a new thread starts without one)
 * and ends the agent on the supervisor's EOF even when every worker is
 * busy with a call that blocks. */
static __attribute__((noreturn)) void watch(void)
{
	struct pollfd p = {.fd = ag.cfg->sup_fd, .events = 0};

	for (;;) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p.revents & (POLLHUP | POLLERR | POLLNVAL))
			_exit(0);
	}
}

static void *worker(void *arg)
{
	ib_err err = {0};

	if (ib_caller_thread_init(&err) < 0)
		abort(); /* fail closed: the listeners go, calls get ENOSYS */
	sem_post(arg);
	serve();
}

/* An empty tmpfs as our root: the agent keeps no view of the host's
 * mounts, and its workers come back here between calls (pinning no
 * container's mount namespace). */
static int empty_root(ib_err *err)
{
	_cleanup_close_ int fsfd = -1, mfd = -1;

	if (unshare(CLONE_NEWNS) < 0)
		return ib_err_sys(err, "own mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return ib_err_sys(err, "make mounts private");
	fsfd = ib_fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fsfd < 0 || ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
	    ib_fsconfig(fsfd, FSCONFIG_SET_STRING, "size", "4k", 0) < 0 ||
	    ib_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return ib_err_sys(err, "create empty root");
	mfd = ib_fsmount(fsfd, FSMOUNT_CLOEXEC,
			 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
			     MOUNT_ATTR_NOEXEC);
	if (mfd < 0 || ib_move_mount(mfd, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return ib_err_sys(err, "mount empty root");
	if (chdir("/proc") < 0 || ib_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		return ib_err_sys(err, "pivot to empty root");
	return 0;
}

void ib_notify_agent_main(const struct ib_notify_agent_cfg *cfg)
{
	int procfs, home;
	ib_err err = {0};
	pthread_condattr_t ca;

	ag.cfg = cfg;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ag.cond, &ca);
	pthread_condattr_destroy(&ca);
	ib_rule_sysinfo_init(cfg->info_fd);
	prctl(PR_SET_NAME, "ironbox-notify", 0, 0, 0);
	/* The supervisor's pid as it knew it before the fork: had it died
	 * before we set the signal, our parent would be a reaper already. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != cfg->sup_pid)
		_exit(1);
	procfs = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfs < 0)
		_exit(1);
	/* Into the container's user namespace, as its root: from here on we
	 * can do nothing the container could not. */
	if (setns(cfg->userns_fd, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
	    setresuid(0, 0, 0) < 0)
		_exit(1);
	close(cfg->userns_fd);
	(void)setgroups(0, NULL);
	/* The change of credentials cleared it: we go with the supervisor,
	 * even with every thread stopped or busy (watch() below keeps it: the
	 * workers, which change credentials per call, are other threads). */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != cfg->sup_pid)
		_exit(1);
	/* Not dumpable: no process of the container may ptrace or open our
	 * /proc files, even if it could name us. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (empty_root(&err) < 0)
		_exit(1);
	home = openat(procfs, "self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (home < 0 || ib_caller_setup(procfs, home, &err) < 0)
		_exit(1);
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &ag.sizes) < 0)
		_exit(1);
	if (ag.sizes.seccomp_notif < sizeof(struct seccomp_notif))
		ag.sizes.seccomp_notif = sizeof(struct seccomp_notif);
	if (ag.sizes.seccomp_notif_resp < sizeof(struct seccomp_notif_resp))
		ag.sizes.seccomp_notif_resp = sizeof(struct seccomp_notif_resp);
	/* One malloc arena for every worker (each would get its own, pages
	 * kept per thread), and what our parent's heap left us given back. */
	mallopt(M_ARENA_MAX, 1);
	malloc_trim(0);
	/* procfs and home stay open for the workers (this thread, which
	 * spawns the first, is set up the same way: a failure here fails
	 * closed before any is). */
	if (ib_caller_thread_init(&err) < 0)
		_exit(1);
	/* The jail, as the supervisor took it at attach. Without it every
	 * mount call is refused (fails closed); without the init's table
	 * cached every call reads its mount table itself. */
	if (cfg->jail_ns_fd >= 0)
		ib_rule_mount_jail_ns(cfg->jail_ns_fd);
	if (cfg->jail) {
		(void)ib_rule_mount_jail(cfg->jail, cfg->policy, &err);
		ib_caller_tab_cache(cfg->jail->init);
	}
	/* (non-blocking: a taker re-arming it between our poll and read
	 * resets the count) */
	ag.timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (ag.timer < 0)
		_exit(1);
	ag.workers = 1;
	if (!spawn_worker())
		_exit(1); /* fails closed: the supervisor goes, calls get ENOSYS */
	watch();
}
