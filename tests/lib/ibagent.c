/* A minimal OCI seccomp agent for the tests: listens on a unix socket,
 * receives containerProcessState messages (JSON + the seccomp listener fd),
 * appends each JSON to a log file, and answers every notification of every
 * listener with -ERRNO (so a trapped mkdir fails with that errno).
 *
 *   ibagent SOCKET LOG ERRNO
 *
 * Exits when it receives SIGTERM. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS 64

static int recv_state(int conn, int logfd)
{
	char buf[65536], cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {buf, sizeof(buf) - 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC);
	int fd = -1;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	dprintf(logfd, "%s\n", buf);
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct pollfd p[MAX_FDS];
	int n = 1, lsock, logfd, err;

	if (argc != 4)
		return 2;
	err = atoi(argv[3]);
	logfd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
	unlink(argv[1]);
	if (logfd < 0 || lsock < 0 || bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lsock, 8) < 0) {
		perror("ibagent");
		return 1;
	}
	p[0] = (struct pollfd){.fd = lsock, .events = POLLIN};
	for (;;) {
		if (poll(p, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[0].revents & POLLIN) {
			int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
			int fd = conn >= 0 ? recv_state(conn, logfd) : -1;

			if (conn >= 0)
				close(conn);
			if (fd >= 0 && n < MAX_FDS)
				p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
		}
		for (int i = 1; i < n; i++) {
			struct seccomp_notif req;
			struct seccomp_notif_resp resp;

			if (p[i].revents & (POLLHUP | POLLERR)) {
				close(p[i].fd);
				p[i--] = p[--n];
				continue;
			}
			if (!(p[i].revents & POLLIN))
				continue;
			memset(&req, 0, sizeof(req));
			if (ioctl(p[i].fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
				continue;
			memset(&resp, 0, sizeof(resp));
			resp.id = req.id;
			resp.error = -err;
			(void)ioctl(p[i].fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
		}
	}
}
