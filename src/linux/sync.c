#include "linux/sync.h"

#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "common/util.h"

struct wire {
	uint32_t type;
	int32_t value;
	uint32_t text_len;
};

int ib_sync_send(int sock, uint32_t type, int32_t value, const char *text, int fd, ib_err *err)
{
	struct wire w = {.type = type, .value = value, .text_len = text ? strlen(text) : 0};
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov[2] = {{&w, sizeof(w)}, {(void *)text, w.text_len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = w.text_len ? 2 : 1};

	if (w.text_len >= IB_ERR_MSG_MAX)
		w.text_len = iov[1].iov_len = IB_ERR_MSG_MAX - 1;
	if (fd >= 0) {
		struct cmsghdr *c;
		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t r = sendmsg(sock, &m, MSG_NOSIGNAL);
		if (r >= 0)
			return 0;
		if (errno != EINTR)
			return ib_err_sys(err, "send sync message");
	}
}

int ib_sync_recv(int sock, struct ib_sync_msg *msg, ib_err *err)
{
	struct wire w;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {&w, sizeof(w)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t r;

	msg->fd = -1;
	msg->text[0] = '\0';
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return ib_err_sys(err, "receive sync message");
	if (r == 0)
		return ib_err_set(err, EPIPE, "container process exited before it was ready");
	if ((size_t)r < sizeof(w))
		return ib_err_set(err, EPROTO, "short sync message");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&msg->fd, CMSG_DATA(c), sizeof(int));
	msg->type = w.type;
	msg->value = w.value;
	if (w.text_len) {
		if (w.text_len >= IB_ERR_MSG_MAX)
			return ib_err_set(err, EPROTO, "oversized sync message");
		if (ib_read_all(sock, msg->text, w.text_len) != (ssize_t)w.text_len)
			return ib_err_sys(err, "receive sync message text");
		msg->text[w.text_len] = '\0';
	}
	return 0;
}

int ib_sync_expect(int sock, uint32_t type, struct ib_sync_msg *msg, ib_err *err)
{
	if (ib_sync_recv(sock, msg, err) < 0)
		return -1;
	if (msg->type == IB_SYNC_ERROR)
		return ib_err_set(err, msg->value, "%s", msg->text);
	if (msg->type != type)
		return ib_err_set(err, EPROTO, "unexpected sync message %u (wanted %u)", msg->type,
				  type);
	return 0;
}

void ib_sync_send_error(int sock, const ib_err *err)
{
	ib_sync_send(sock, IB_SYNC_ERROR, err->code, err->msg, -1, NULL);
}

int ib_send_fd_named(int sock, int fd, const char *name, ib_err *err)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {(void *)name, strlen(name)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sock, &m, MSG_NOSIGNAL) < 0)
		return ib_err_sys(err, "send fd");
	return 0;
}

int ib_console_connect(const char *path, ib_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ib_err_sys(err, "socket");
	if (strlen(path) >= sizeof(sa.sun_path))
		return ib_err_set(err, ENAMETOOLONG, "console socket path too long: %s", path);
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ib_err_sys(err, "connect to console socket %s", path);
	return IB_STEAL_FD(fd);
}
