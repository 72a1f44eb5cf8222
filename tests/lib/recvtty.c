/* recvtty: minimal --console-socket receiver for the integration tests.
 *
 *   recvtty [-i INPUT] [-n] SOCKET OUTFILE
 *
 * Listens on the unix socket SOCKET, accepts one connection, receives the pty
 * master over SCM_RIGHTS, optionally writes INPUT to it, then copies
 * everything read from the master into OUTFILE until the pty closes (EIO/EOF).
 * With -n it exits right after receiving the fd (writes "ok" to OUTFILE).
 * Exits 0 on success. The socket is created before the process daemonizes
 * nothing: run it in the background and wait for SOCKET to appear. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int recv_fd(int sock)
{
	char buf[256];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr msg = { 0 };
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0) {
		perror("recvtty: recvmsg");
		return -1;
	}
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
			return fd;
		}
	}
	fprintf(stderr, "recvtty: no fd received\n");
	return -1;
}

int main(int argc, char **argv)
{
	const char *input = NULL;
	int once = 0, opt;
	while ((opt = getopt(argc, argv, "i:n")) != -1) {
		if (opt == 'i')
			input = optarg;
		else if (opt == 'n')
			once = 1;
		else
			return 2;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "usage: recvtty [-i INPUT] [-n] SOCKET OUTFILE\n");
		return 2;
	}
	const char *path = argv[optind], *out = argv[optind + 1];
	/* Never outlive a test that forgot us: give up after IB_RECVTTY_TIMEOUT
	 * seconds (default 120). */
	const char *t = getenv("IB_RECVTTY_TIMEOUT");
	alarm(t ? (unsigned)atoi(t) : 120);
	int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "recvtty: socket path too long\n");
		return 1;
	}
	strcpy(sa.sun_path, path);
	unlink(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 1) < 0) {
		perror("recvtty: bind/listen");
		return 1;
	}
	int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0) {
		perror("recvtty: accept");
		return 1;
	}
	int master = recv_fd(c);
	close(c);
	close(ls);
	unlink(path);
	if (master < 0)
		return 1;
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (ofd < 0) {
		perror("recvtty: open output");
		return 1;
	}
	if (!isatty(master)) {
		fprintf(stderr, "recvtty: received fd is not a tty\n");
		return 1;
	}
	if (once) {
		if (write(ofd, "ok\n", 3) < 0)
			return 1;
		return 0;
	}
	if (input && write(master, input, strlen(input)) < 0)
		perror("recvtty: write input");
	char buf[4096];
	for (;;) {
		ssize_t n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* EIO once the last slave fd closes */
		if (write(ofd, buf, n) != n) {
			perror("recvtty: write output");
			return 1;
		}
	}
	return 0;
}
