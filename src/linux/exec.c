/* exec: run another process in a running container. The runtime moves
 * itself into the container's pid namespace for children only, clones the
 * new process straight into the container's v2 cgroup, and the child joins
 * the v1 hierarchies (still host root), then every other namespace of the
 * container's init through its pidfd, and becomes the container's user. */
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "cgroup/cgroup.h"
#include "linux/process.h"
#include "linux/container.h"
#include "linux/runtime_int.h"
#include "linux/sync.h"
#include "linux/syscalls.h"
#include "state/state.h"
#include "supervisor/supervisor.h"

static void cgroup_freep(struct ib_cgroup **cg)
{
	ib_cgroup_free(*cg);
}

struct exec_child {
	const struct ib_exec_opts *o;
	const struct ib_cgroup *cg;
	bool in_v2;
	int init_pidfd, sync_fd, console_fd;
	bool console_relayed;
	const struct ib_seccomp *seccomp;
	pid_t runtime_pid;
};

static __attribute__((noreturn)) void exec_child_main(struct exec_child *c)
{
	const struct ib_process *p = c->o->process;
	const int keep[] = {c->sync_fd, c->console_fd, c->init_pidfd};
	struct ib_exec_plan plan = {0};
	ib_err err = {0};

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		_exit(1);
	/* The runtime's fds (the v2 cgroup directory, its own pid namespace,
	 * the caller's other fds...) lead to the host: gone before we enter the
	 * container (CVE-2024-21626). */
	if (ib_close_fds_except(3 + c->o->preserve_fds, keep, IB_ARRAY_SIZE(keep), &err) < 0)
		goto fail;
	if (c->cg && ib_cgroup_join_self(c->cg, c->in_v2, &err) < 0)
		goto fail;
	/* No fd of the host's /sys/fs/cgroup past this point (cgroup_at.c). */
	ib_cgroup_at_close();
	if (setns(c->init_pidfd, CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC |
				     CLONE_NEWUTS | CLONE_NEWCGROUP) < 0) {
		ib_err_sys(&err, "join the container's namespaces");
		goto fail;
	}
	close(c->init_pidfd);
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		ib_err_sys(&err, "switch to the container's root user");
		goto fail;
	}
	(void)setgroups(0, NULL);
	if (p->terminal) {
		if (ib_console_setup(c->console_fd, p, false, c->console_relayed, &err) < 0)
			goto fail;
		close(c->console_fd);
	} else if (setsid() < 0) {
		ib_err_sys(&err, "setsid");
		goto fail;
	}
	/* ironbox's filter (built by the runtime while we joined the
	 * namespaces); its listener goes to the supervisor. */
	{
		struct ib_sync_msg m;

		if (ib_sync_expect(c->sync_fd, IB_SYNC_FILTER, &m, &err) < 0)
			goto fail;
		if (ib_seccomp_supervised_import(m.fd, &err) < 0) {
			close(m.fd);
			goto fail;
		}
		close(m.fd);
	}
	if (ib_seccomp_supervise(c->sync_fd, c->seccomp, &err) < 0)
		goto fail;
	{
		const struct ib_setup_fds fds = {c->o->preserve_fds, &c->sync_fd, 1, c->sync_fd};

		if (ib_process_setup(p, c->seccomp, &fds, &plan, &err) < 0)
			goto fail;
	}
	/* The sync socket is close-on-exec: EOF tells the runtime we executed. */
	ib_process_execve(p, &plan, &err);
fail:
	ib_sync_send_error(c->sync_fd, &err);
	_exit(127);
}

int ib_container_exec(const struct ib_global_opts *g, const struct ib_exec_opts *o,
		      int *exit_status, ib_err *err)
{
	const char *root = ib_root_of(g);
	_cleanup_state_ struct ib_state *st = NULL;
	_cleanup_spec_ struct ib_spec *spec = NULL;
	__attribute__((cleanup(cgroup_freep))) struct ib_cgroup *cg = NULL;
	_cleanup_free_ char *cfg_path = NULL, *cfg_text = NULL;
	_cleanup_close_ int init_pidfd = -1, console = -1, v2fd = -1, pidfd = -1, own_pidns = -1,
			    tty_sock = -1;
	struct exec_child ec;
	struct ib_sync_msg m;
	enum ib_status status;
	int sv[2];
	pid_t pid;

	*exit_status = 0;
	if (ib_check_preserved_fds(o->preserve_fds, err) < 0)
		return -1;
	st = ib_state_load(root, o->id, err);
	if (!st)
		return -1;
	status = ib_state_status(root, st);
	if (status == IB_STATUS_STOPPED)
		return ib_err_set(err, EINVAL, "cannot exec in a stopped container");
	/* The process would freeze on joining its cgroup (runc 1.1 refuses
	 * too, unless --ignore-paused: it then runs once resumed). */
	if (status == IB_STATUS_PAUSED && !o->ignore_paused)
		return ib_err_set(err, EINVAL, "cannot exec in a paused container");
	if (o->process->terminal && !o->console_socket && o->detach)
		return ib_err_set(err, EINVAL,
				  "cannot allocate tty if runc will detach without setting console "
				  "socket");
	init_pidfd = ib_pidfd_open(st->pid, 0);
	if (init_pidfd < 0 || ib_proc_starttime(st->pid) != st->pid_start)
		return ib_err_set(err, ESRCH, "cannot exec in a stopped container");
	cfg_path = ib_state_path(root, o->id, "config.json");
	if (ib_read_file_at(AT_FDCWD, cfg_path, &cfg_text, NULL, err) < 0)
		return -1;
	spec = ib_spec_parse(cfg_text, st->bundle ? st->bundle : "/", err);
	if (!spec)
		return -1;
	if (st->cgroup_path && *st->cgroup_path) {
		cg = ib_cgroup_from_path(st->cgroup_path, err);
		if (!cg)
			return -1;
		v2fd = ib_cgroup_v2_fd(cg, err);
		ib_err_clear(err);
	}
	if (o->console_socket) {
		console = ib_console_connect(o->console_socket, err);
		if (console < 0)
			return -1;
	} else if (o->process->terminal) {
		/* Foreground without a console socket: we relay the pty. */
		int tv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tv) < 0)
			return ib_err_sys(err, "socketpair");
		tty_sock = tv[0];
		console = tv[1];
	}
	ib_caps_set_runtime_bounding(ib_caps_current_bounding());
	/* Children of ours are born in the container's pid namespace (ours is
	 * restored right after the clone: nothing else of ours belongs there). */
	own_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (own_pidns < 0)
		return ib_err_sys(err, "open own pid namespace");
	if (setns(init_pidfd, CLONE_NEWPID) < 0)
		return ib_err_sys(err, "join the container's pid namespace");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return ib_err_sys(err, "socketpair");
	ec = (struct exec_child){.o = o,
				 .cg = cg,
				 .in_v2 = v2fd >= 0,
				 .init_pidfd = init_pidfd,
				 .sync_fd = sv[1],
				 .console_fd = console,
				 .console_relayed = tty_sock >= 0,
				 .seccomp = spec->seccomp,
				 .runtime_pid = getpid()};
	pid = ib_clone_into_cgroup(v2fd, &pidfd);
	if (pid < 0 && errno == EBUSY && v2fd >= 0) {
		/* A delegated v2 cgroup with controllers on: the init's. */
		ib_err e = {0};
		int fd = ib_cgroup_v2_fd_of_pid(cg, st->pid, init_pidfd, &e);

		if (fd >= 0) {
			close(v2fd);
			v2fd = fd;
			pid = ib_clone_into_cgroup(v2fd, &pidfd);
		} else {
			ib_warn("exec: join the init's cgroup: %s", e.msg);
			errno = EBUSY;
		}
	}
	if (pid != 0 && setns(own_pidns, CLONE_NEWPID) < 0)
		ib_warn("restore pid namespace: %s", strerror(errno));
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return ib_err_sys(err, "clone exec process");
	}
	if (pid == 0) {
		close(sv[0]);
		exec_child_main(&ec);
	}
	close(sv[1]);
	/* ironbox's filter, built while the child joins the namespaces. */
	{
		_cleanup_close_ int ffd = ib_seccomp_supervised_export(err);
		ib_err e = {0};

		if (ffd < 0) {
			ib_pidfd_send_signal(pidfd, SIGKILL);
			close(sv[0]);
			(void)waitpid(pid, NULL, 0);
			return -1;
		}
		/* A child that failed first has said why: read below. */
		(void)ib_sync_send(sv[0], IB_SYNC_FILTER, 0, NULL, ffd, &e);
	}
	/* Its seccomp listener goes to the container's supervisor, the one of
	 * the spec's filter to its seccomp agent; then EOF (close-on-exec)
	 * means the program was executed. */
	while (ib_sync_recv(sv[0], &m, err) == 0) {
		if (m.type == IB_SYNC_LISTENER && m.fd < 0)
			continue; /* the spec's agent holds the one listener */
		if (m.type == IB_SYNC_LISTENER) {
			_cleanup_free_ char *dir = ib_state_path(root, o->id, NULL);
			ib_err e = {0};

			/* Without it, its trapped calls fail (ENOSYS): closed, not open. */
			if (ib_supervisor_add_listener(dir, m.fd, &e) < 0)
				ib_warn(
				    "the supervisor of %s is not running: trapped system calls of "
				    "this process fail (%s)",
				    o->id, e.msg);
			close(m.fd);
			continue;
		}
		if (m.type == IB_SYNC_AGENT_FD) {
			_cleanup_close_ int lfd = m.fd;

			if (ib_forward_to_agent(o->id, st->pid, pid, st->bundle, "running", spec,
						lfd, err) == 0)
				continue;
			/* The agent would never answer: the process must not run. */
			ib_pidfd_send_signal(pidfd, SIGKILL);
			m.fd = -1;
		} else if (m.type == IB_SYNC_ERROR) {
			ib_err_set(err, m.value, "%s", m.text);
		} else {
			ib_err_set(err, EPROTO, "unexpected message from exec process");
		}
		if (m.fd >= 0)
			close(m.fd);
		close(sv[0]);
		(void)waitpid(pid, NULL, 0);
		return -1;
	}
	ib_err_clear(err);
	close(sv[0]);
	if (o->pid_file && ib_write_pid_file(o->pid_file, pid, err) < 0) {
		/* Nobody could find it to wait for it: do not leave it running. */
		ib_pidfd_send_signal(pidfd, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return -1;
	}
	if (o->detach)
		return 0;
	if (tty_sock >= 0) {
		_cleanup_close_ int master = ib_recv_fd(tty_sock, err);

		if (master < 0) {
			ib_pidfd_send_signal(pidfd, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			return -1;
		}
		return ib_wait_container(pid, pidfd, master, exit_status, err);
	}
	return ib_wait_container(pid, pidfd, -1, exit_status, err);
}
