/* The supervisor's side of its notification agent (supervisor_int.h):
 * the agent is forked with the container's first trapped call, not with
 * the container. Most containers never make one (no mount, no set-id
 * chmod, no sysinfo), and an agent costs a process, a mount namespace and
 * a pivot_root per container.
 *
 * Until then the supervisor holds the seccomp listeners (the init's, and
 * those of exec'd processes) and polls them: a notification stays queued in
 * the kernel, and its caller blocked, until the agent receives it. What the
 * agent judges mounts against (the jail: the init's mount table and ID
 * maps, and its mount namespace) is taken here at attach, while the init
 * still waits for start, exactly as the agent took it before; whatever the
 * container does before its first trapped call cannot change it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/process.h"
#include "supervisor/emul.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor_int.h"

static struct {
	const struct ib_notify_policy *policy;
	int userns_fd, audit_fd; /* kept for the agent until it is started */
	struct ib_jail_text jail;
	int jail_ns; /* the init's mount namespace at attach */
	int *held;   /* listeners waiting for the agent */
	size_t n_held;
	pid_t pid; /* the agent, once started */
	int sock, info_sock;
} ln = {.userns_fd = -1, .audit_fd = -1, .jail_ns = -1, .sock = -1, .info_sock = -1};

void ib_sup_agent_prepare(const struct ib_notify_policy *pol, int userns_fd, int audit_fd)
{
	ln.policy = pol;
	ln.userns_fd = userns_fd;
	ln.audit_fd = audit_fd;
}

static char *read_proc(pid_t pid, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return ib_emul_read(path);
}

int ib_sup_agent_take_jail(pid_t init, int pidfd)
{
	char path[48];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)init);
	ln.jail_ns = open(path, O_RDONLY | O_CLOEXEC);
	ln.jail.init = init;
	ln.jail.mountinfo = read_proc(init, "mountinfo");
	ln.jail.uid_map = read_proc(init, "uid_map");
	ln.jail.gid_map = read_proc(init, "gid_map");
	/* All of it the init's: it was alive after the last read (the pid
	 * cannot have been reused before). */
	if (syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) < 0 || ln.jail_ns < 0 ||
	    !ln.jail.mountinfo || !ln.jail.uid_map || !ln.jail.gid_map)
		return -1;
	return 0;
}

static int send_listener(int fd)
{
	char byte = 'L';
	int r = ib_sup_send_fd(ln.sock, &byte, 1, fd);

	close(fd);
	return r;
}

int ib_sup_agent_listener(int fd)
{
	IB_STAT_ADD(ib_sup_stats, listeners, 1);
	if (ln.pid > 0)
		return send_listener(fd);
	ln.held = ib_xrealloc(ln.held, (ln.n_held + 1) * sizeof(*ln.held));
	ln.held[ln.n_held++] = fd;
	return 0;
}

static int start(void)
{
	int sp[2], info[2];
	pid_t pid, self = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, info) < 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		close(sp[0]);
		close(sp[1]);
		close(info[0]);
		close(info[1]);
		return -1;
	}
	if (pid == 0) {
		struct ib_notify_agent_cfg ac = {.sup_fd = 3,
						 .sup_pid = self,
						 .userns_fd = 4,
						 .audit_fd = 5,
						 .info_fd = 6,
						 .jail_ns_fd = ln.jail_ns >= 0 ? 7 : -1,
						 .jail = ln.jail.init > 0 ? &ln.jail : NULL,
						 .stats = ib_sup_stats,
						 .policy = ln.policy};
		int fds[] = {sp[1], ln.userns_fd, ln.audit_fd, info[1], ln.jail_ns};

		if (ib_sup_place_fds(fds, 5) < 0)
			_exit(1);
		ib_notify_agent_main(&ac);
	}
	close(sp[1]);
	close(info[1]);
	ln.pid = pid;
	ln.sock = sp[0];
	ln.info_sock = info[0];
	/* The agent has what it needs: nothing of the container stays open
	 * here that it does not need. */
	close(ln.userns_fd);
	close(ln.audit_fd);
	if (ln.jail_ns >= 0)
		close(ln.jail_ns);
	ln.userns_fd = ln.audit_fd = ln.jail_ns = -1;
	free(ln.jail.mountinfo);
	free(ln.jail.uid_map);
	free(ln.jail.gid_map);
	ln.jail = (struct ib_jail_text){0};
	return 0;
}

size_t ib_sup_agent_pollfds(struct pollfd *pfd, size_t max)
{
	size_t k = 0;

	if (ln.pid > 0) {
		pfd[k++] = (struct pollfd){.fd = ln.sock, .events = POLLIN};
		if (k < max)
			pfd[k++] = (struct pollfd){.fd = ln.info_sock, .events = POLLIN};
		return k;
	}
	for (size_t i = 0; i < ln.n_held && k < max; i++)
		pfd[k++] = (struct pollfd){.fd = ln.held[i], .events = POLLIN};
	return k;
}

size_t ib_sup_agent_n_pollfds(void)
{
	return ln.pid > 0 ? 2 : ln.n_held;
}

int ib_sup_agent_events(const struct pollfd *pfd, size_t n)
{
	bool wanted = false;

	if (ln.pid > 0) {
		/* The agent says nothing on its socket: any event is its end. */
		if (n > 0 && pfd[0].revents)
			return -1;
		if (n > 1 && (pfd[1].revents & (POLLERR | POLLHUP)))
			return -1;
		if (n > 1 && (pfd[1].revents & POLLIN))
			ib_sup_answer_sysinfo(ln.info_sock);
		return 0;
	}
	/* Held listeners: a call waits (start the agent), or every process of
	 * that filter is gone (drop it). Polled in the order held. */
	for (size_t i = 0, j = 0; i < n; i++) {
		if (pfd[i].revents & POLLIN) {
			wanted = true;
		} else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL)) {
			close(ln.held[j]);
			memmove(&ln.held[j], &ln.held[j + 1], (ln.n_held - j - 1) * sizeof(int));
			ln.n_held--;
			continue;
		}
		j++;
	}
	if (!wanted)
		return 0;
	/* Fails closed: without an agent we exit, and the listeners go with
	 * us (the container's trapped calls get ENOSYS). */
	if (start() < 0)
		return -1;
	for (size_t i = 0; i < ln.n_held; i++)
		if (send_listener(ln.held[i]) < 0)
			return -1;
	free(ln.held);
	ln.held = NULL;
	ln.n_held = 0;
	return 0;
}

/* The agent exits on our EOF (its main thread watches for it). One that
 * does not within STOP_GRACE_MS is killed: nothing of it may wait for us
 * once we stop serving the container's /proc. */
#define STOP_GRACE_MS 100

void ib_sup_agent_stop(void)
{
	if (ln.sock >= 0)
		close(ln.sock);
	ln.sock = -1;
	if (ln.pid > 0)
		ib_child_reap_within(ln.pid, STOP_GRACE_MS);
	ln.pid = 0;
}
