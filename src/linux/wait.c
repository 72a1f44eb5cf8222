/* Waiting for a foreground container process: signals we receive are
 * forwarded to it; with a terminal and no --console-socket (a user at a
 * shell), the runtime receives the pty master itself and relays it to its own
 * stdio, like runc. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/util.h"
#include "linux/runtime_int.h"
#include "linux/syscalls.h"

int ib_recv_fd(int sock, ib_err *err)
{
	char name[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {name, sizeof(name)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	int fd = -1;
	ssize_t r;

	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ib_err_sys(err, "receive the pty master");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd < 0)
		return ib_err_set(err, EPROTO, "no pty master received");
	return fd;
}

/* Exit status as a shell reports it: 128+signal when killed. */
static int shell_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 255;
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		(void)ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable on from to to; false at EOF/error. */
static bool relay(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	return ib_write_all(to, buf, (size_t)n) == n;
}

int ib_wait_container(pid_t pid, int pidfd, int master, int *exit_status, ib_err *err)
{
	static const int sigs[] = {SIGINT,  SIGTERM, SIGHUP,   SIGQUIT,
				   SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};
	struct termios saved, raw;
	bool restore = false, in_open = master >= 0, out_open = master >= 0;
	sigset_t set, old;
	_cleanup_close_ int sfd = -1;
	int status = 0, ret = 0;

	if (master >= 0 && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		raw.c_oflag = saved.c_oflag; /* keep output processing */
		restore = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
		copy_winsize(STDIN_FILENO, master);
	}
	sigemptyset(&set);
	for (size_t i = 0; i < IB_ARRAY_SIZE(sigs); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	for (;;) {
		struct pollfd pfd[4] = {{.fd = pidfd, .events = POLLIN},
					{.fd = sfd, .events = POLLIN},
					{.fd = in_open ? STDIN_FILENO : -1, .events = POLLIN},
					{.fd = out_open ? master : -1, .events = POLLIN}};
		int r = poll(pfd, 4, -1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = ib_err_sys(err, "wait for the container process");
			break;
		}
		if (pfd[3].revents & (POLLIN | POLLHUP))
			out_open = relay(master, STDOUT_FILENO);
		if (pfd[2].revents & (POLLIN | POLLHUP))
			in_open = relay(STDIN_FILENO, master);
		if (pfd[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH && master >= 0)
					copy_winsize(STDIN_FILENO, master);
				else
					ib_pidfd_send_signal(pidfd, (int)si.ssi_signo);
			}
		}
		if (pfd[0].revents) {
			/* Drain what the process wrote before it exited. */
			while (out_open && poll(&pfd[3], 1, 0) > 0 && (pfd[3].revents & POLLIN))
				out_open = relay(master, STDOUT_FILENO);
			break;
		}
	}
	if (restore)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
	*exit_status = shell_status(status);
	return ret;
}
