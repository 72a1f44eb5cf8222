/* OCI hooks: each hook runs with the state JSON on stdin, the bundle as its
 * working directory (where it can be reached), its stdout and stderr on the
 * runtime's stderr (stderr is also kept for the error message), and an
 * optional timeout enforced through a pidfd. */
#include "linux/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define IB_HOOK_STDERR_TAIL 512

extern char **environ;

struct tail {
	char buf[IB_HOOK_STDERR_TAIL];
	size_t len;
	bool truncated;
};

static void tail_add(struct tail *t, const char *data, size_t n)
{
	if (n >= sizeof(t->buf)) {
		memcpy(t->buf, data + n - sizeof(t->buf), sizeof(t->buf));
		t->truncated = t->truncated || n > sizeof(t->buf) || t->len > 0;
		t->len = sizeof(t->buf);
		return;
	}
	if (t->len + n > sizeof(t->buf)) {
		size_t drop = t->len + n - sizeof(t->buf);
		memmove(t->buf, t->buf + drop, t->len - drop);
		t->len -= drop;
		t->truncated = true;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
}

/* Read what is available from the hook's stderr: forward it to ours and keep
 * the tail. Returns false once the pipe is at EOF (or broken). */
static bool drain_stderr(int fd, struct tail *t)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			tail_add(t, buf, (size_t)n);
			if (ib_write_all(STDERR_FILENO, buf, (size_t)n) < 0) {
				/* Our stderr is gone: keep collecting anyway. */
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return true;
		return false;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child side, after fork: only async-signal-safe calls. */
static __attribute__((noreturn)) void hook_child(const struct ib_hook *h, char **argv, int state_fd,
						 int err_w, int cwd_fd)
{
	sigset_t none;
	int out_fd;

	/* Move our fds above 2 first so the dup2s below cannot clobber them. */
	state_fd = fcntl(state_fd, F_DUPFD_CLOEXEC, 3);
	err_w = fcntl(err_w, F_DUPFD_CLOEXEC, 3);
	out_fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (out_fd < 0)
		out_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (state_fd < 0 || err_w < 0 || out_fd < 0)
		_exit(127);
	if (dup2(state_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(err_w, STDERR_FILENO) < 0)
		_exit(127);

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);

	if (cwd_fd >= 0 && fchdir(cwd_fd) < 0) {
		const char *msg = "cannot change to the bundle directory: ";
		const char *reason = strerror(errno);
		if (write(STDERR_FILENO, msg, strlen(msg)) < 0 ||
		    write(STDERR_FILENO, reason, strlen(reason)) < 0 ||
		    write(STDERR_FILENO, "\n", 1))
			_exit(127);
		_exit(127);
	}
	execve(h->path, argv, h->env ? h->env : environ);
	{
		const char *msg = "cannot exec hook: ";
		const char *reason = strerror(errno);
		if (write(STDERR_FILENO, msg, strlen(msg)) < 0 ||
		    write(STDERR_FILENO, reason, strlen(reason)) < 0 ||
		    write(STDERR_FILENO, "\n", 1))
			_exit(127);
	}
	_exit(127);
}

static void format_tail(struct tail *t, char *out, size_t outlen)
{
	size_t len = t->len;

	while (len > 0 && (t->buf[len - 1] == '\n' || t->buf[len - 1] == ' '))
		len--;
	if (len == 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, outlen, ", stderr: %s%.*s", t->truncated ? "..." : "", (int)len, t->buf);
}

static int run_hook(const char *kind, size_t idx, const struct ib_hook *h, const char *state_json,
		    int cwd_fd, ib_err *err)
{
	_cleanup_close_ int state_fd = -1, pidfd = -1, err_r = -1;
	int pipefd[2];
	char *default_argv[2] = {h->path, NULL};
	char **argv = (h->args && h->args[0]) ? h->args : default_argv;
	size_t json_len = state_json ? strlen(state_json) : 0;
	struct tail tail = {.len = 0};
	char excerpt[IB_HOOK_STDERR_TAIL + 32];
	int64_t deadline = h->timeout > 0 ? now_ms() + (int64_t)h->timeout * 1000 : -1;
	bool exited = false, timed_out = false;
	int status = 0;
	pid_t pid;

	if (!h->path || !h->path[0])
		return ib_err_set(err, EINVAL, "error running %s hook #%zu: empty path", kind, idx);

	/* The state goes in a memfd: no pipe to block on and no
	 * SIGPIPE if the hook never reads it. */
	state_fd = memfd_create("ironbox-hook-state", MFD_CLOEXEC);
	if (state_fd < 0)
		return ib_err_sys(err, "%s hook #%zu: memfd_create", kind, idx);
	if (json_len && ib_write_all(state_fd, state_json, json_len) < 0)
		return ib_err_sys(err, "%s hook #%zu: write state", kind, idx);
	if (lseek(state_fd, 0, SEEK_SET) < 0)
		return ib_err_sys(err, "%s hook #%zu: lseek state", kind, idx);

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return ib_err_sys(err, "%s hook #%zu: pipe", kind, idx);
	err_r = pipefd[0];

	pid = fork();
	if (pid < 0) {
		close(pipefd[1]);
		return ib_err_sys(err, "%s hook #%zu: fork", kind, idx);
	}
	if (pid == 0)
		hook_child(h, argv, state_fd, pipefd[1], cwd_fd);
	close(pipefd[1]);
	fcntl(err_r, F_SETFL, O_NONBLOCK);

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);

	while (!exited) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		int timeout = -1, r;
		int pid_idx = -1, err_idx = -1;

		if (pidfd >= 0) {
			pid_idx = (int)n;
			pfd[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
		} else {
			timeout = 20; /* no pidfd: poll waitpid */
		}
		if (err_r >= 0) {
			err_idx = (int)n;
			pfd[n++] = (struct pollfd){.fd = err_r, .events = POLLIN};
		}
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0) {
				timed_out = true;
				break;
			}
			if (timeout < 0 || left < timeout)
				timeout = (int)left;
		}
		r = poll(pfd, n, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			errno = saved;
			return ib_err_sys(err, "%s hook #%zu: poll", kind, idx);
		}
		if (err_idx >= 0 && pfd[err_idx].revents && !drain_stderr(err_r, &tail)) {
			close(err_r);
			err_r = -1;
		}
		if (pid_idx < 0 || pfd[pid_idx].revents) {
			pid_t w = waitpid(pid, &status, pidfd >= 0 ? 0 : WNOHANG);
			if (w == pid) {
				exited = true;
			} else if (w < 0 && errno != EINTR) {
				return ib_err_sys(err, "%s hook #%zu: waitpid", kind, idx);
			}
		}
	}

	if (timed_out) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return ib_err_set(err, ETIMEDOUT, "%s hook #%zu (%s): timeout after %ds", kind, idx,
				  h->path, h->timeout);
	}

	/* The hook is gone; collect what it left in the pipe without waiting
	 * for descendants that may still hold the write end. */
	if (err_r >= 0)
		drain_stderr(err_r, &tail);

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	format_tail(&tail, excerpt, sizeof(excerpt));
	if (WIFSIGNALED(status))
		return ib_err_set(err, 0, "error running %s hook #%zu: %s: signal: %s%s", kind, idx,
				  h->path, strsignal(WTERMSIG(status)), excerpt);
	return ib_err_set(err, 0, "error running %s hook #%zu: %s: exit status %d%s", kind, idx,
			  h->path, WEXITSTATUS(status), excerpt);
}

int ib_hooks_run(const char *kind, const struct ib_hook *hooks, size_t n, const char *state_json,
		 int cwd_fd, ib_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (run_hook(kind, i, &hooks[i], state_json, cwd_fd, err) < 0)
			return -1;
	return 0;
}

void ib_hooks_run_warn(const char *kind, const struct ib_hook *hooks, size_t n,
		       const char *state_json, int cwd_fd)
{
	for (size_t i = 0; i < n; i++) {
		ib_err e = {0};

		if (run_hook(kind, i, &hooks[i], state_json, cwd_fd, &e) < 0)
			ib_warn("%s", e.msg);
	}
}

int ib_hooks_open_dir(const char *bundle)
{
	return bundle && *bundle ? open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
}
