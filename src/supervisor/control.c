/* The supervisor's control socket: <state dir>/sup.sock, a SOCK_SEQPACKET
 * socket that only host root can reach (0700 state dir, 0600 socket) and
 * whose peers are checked with SO_PEERCRED. One request per connection:
 *   IB_SUP_OP_LISTENER + SCM_RIGHTS fd: a new process's seccomp listener
 *                                       (`exec`), forwarded to the agent;
 *   IB_SUP_OP_STATS:                    the counters as JSON.
 * Clients connect through /proc/self/fd/N of the state dir: engines' state
 * roots make <root>/<id>/sup.sock longer than sun_path. The supervisor binds
 * the socket by its real path when it fits: that is the name sock_diag
 * reports, which the policy's engine-socket check can then follow to the
 * file instead of scanning every process on the host for its holder (one
 * scan per container started, for each running container's socket on the
 * rootfs's filesystem). */
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/util.h"
#include "supervisor/notify.h"
#include "supervisor/supervisor_int.h"

#define MAGIC 0x69627375U /* "ibsu" */
#define MAX_REPLY 4096

struct req {
	uint32_t magic, op;
};

struct resp {
	int32_t status; /* 0 or an errno */
	uint32_t len;	/* payload bytes that follow */
};

int ib_sup_send_fd(int sock, const void *data, size_t len, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {(void *)data, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

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
		if (r == (ssize_t)len)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return -1;
	}
}

int ib_sup_recv_fd(int sock, void *data, size_t len, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {data, len};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t r;

	*fd = -1;
	do
		r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (r < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); r > 0 && c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (r != (ssize_t)len) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		if (r >= 0)
			errno = r == 0 ? EPIPE : EPROTO;
		return -1;
	}
	return 0;
}

static void sock_path(struct sockaddr_un *sa, int dirfd)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd,
		 IB_SUPERVISOR_SOCKET);
}

/* The real path of the socket when it fits in sun_path and state_dir still
 * names the directory we hold (the state root is host root's, 0700). */
static bool real_sock_path(struct sockaddr_un *sa, int dirfd, const char *state_dir)
{
	struct stat a, b;

	if (!state_dir || state_dir[0] != '/' ||
	    strlen(state_dir) + 1 + strlen(IB_SUPERVISOR_SOCKET) >= sizeof(sa->sun_path))
		return false;
	if (fstat(dirfd, &a) < 0 || stat(state_dir, &b) < 0 || a.st_dev != b.st_dev ||
	    a.st_ino != b.st_ino)
		return false;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", state_dir, IB_SUPERVISOR_SOCKET);
	return true;
}

int ib_sup_ctl_listen(int state_dirfd, const char *state_dir, ib_err *err)
{
	struct sockaddr_un sa;
	_cleanup_close_ int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0)
		return ib_err_sys(err, "supervisor socket");
	if (!real_sock_path(&sa, state_dirfd, state_dir))
		sock_path(&sa, state_dirfd);
	(void)unlinkat(state_dirfd, IB_SUPERVISOR_SOCKET, 0);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ib_err_sys(err, "bind supervisor socket");
	if (fchmodat(state_dirfd, IB_SUPERVISOR_SOCKET, 0600, 0) < 0 || listen(s, 16) < 0)
		return ib_err_sys(err, "supervisor socket");
	return IB_STEAL_FD(s);
}

static char *stats_json(void)
{
	struct json_object *o = json_object_new_object();
	const struct ib_notify_stats *st = ib_sup_stats;
	char *out;

#define F(name) json_object_object_add(o, #name, json_object_new_uint64(IB_STAT_GET(st, name)))
	F(notifications);
	F(allowed);
	F(denied);
	F(failed);
	F(stale);
	F(listeners);
	F(audit_dropped);
	F(fuse_opens);
	F(fuse_unpinned);
	F(pinned);
	F(pinned_bytes);
#undef F
	out = ib_xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return out;
}

static void reply(int c, int status, const char *payload)
{
	char buf[sizeof(struct resp) + MAX_REPLY];
	struct resp r = {.status = status, .len = payload ? (uint32_t)strlen(payload) : 0};

	if (r.len > MAX_REPLY)
		r.len = MAX_REPLY;
	memcpy(buf, &r, sizeof(r));
	if (r.len)
		memcpy(buf + sizeof(r), payload, r.len);
	(void)ib_sup_send_fd(c, buf, sizeof(r) + r.len, -1);
}

void ib_sup_ctl_serve(int lsock, int (*op_listener)(int fd))
{
	_cleanup_close_ int c = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	struct timeval tv = {.tv_sec = 2};
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct req rq;
	int fd = -1;

	if (c < 0)
		return;
	/* Only host root: the socket's permissions already say so; the
	 * peer's credentials are checked too (defence in depth). */
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.uid != 0) {
		reply(c, EPERM, NULL);
		return;
	}
	(void)setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (ib_sup_recv_fd(c, &rq, sizeof(rq), &fd) < 0 || rq.magic != MAGIC) {
		if (fd >= 0)
			close(fd);
		reply(c, EPROTO, NULL);
		return;
	}
	switch (rq.op) {
	case IB_SUP_OP_LISTENER:
		if (fd < 0) {
			reply(c, EBADF, NULL);
			return;
		}
		reply(c, op_listener(fd) < 0 ? EPIPE : 0, NULL);
		return;
	case IB_SUP_OP_STATS: {
		_cleanup_free_ char *j = stats_json();
		if (fd >= 0)
			close(fd);
		reply(c, 0, j);
		return;
	}
	default:
		if (fd >= 0)
			close(fd);
		reply(c, EINVAL, NULL);
	}
}

/* ---- client side (runtime) ---- */

static int request(const char *state_dir, uint32_t op, int fd, char **payload, ib_err *err)
{
	_cleanup_close_ int dirfd = open(state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int s = -1;
	struct sockaddr_un sa;
	struct req rq = {.magic = MAGIC, .op = op};
	char buf[sizeof(struct resp) + MAX_REPLY + 1];
	struct resp r;
	ssize_t n;

	if (dirfd < 0)
		return ib_err_sys(err, "state dir `%s`", state_dir);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0)
		return ib_err_sys(err, "socket");
	sock_path(&sa, dirfd);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return ib_err_sys(err, "the supervisor is not running (connect)");
	if (ib_sup_send_fd(s, &rq, sizeof(rq), fd) < 0)
		return ib_err_sys(err, "talk to the supervisor");
	do
		n = recv(s, buf, sizeof(buf) - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof(r))
		return ib_err_set(err, n < 0 ? errno : EPIPE, "no answer from the supervisor");
	memcpy(&r, buf, sizeof(r));
	if (r.status)
		return ib_err_set(err, r.status, "the supervisor refused: %s", strerror(r.status));
	if (payload) {
		size_t len = (size_t)n - sizeof(r);
		buf[sizeof(r) + len] = '\0';
		*payload = ib_xstrdup(buf + sizeof(r));
	}
	return 0;
}

int ib_supervisor_add_listener(const char *state_dir, int listener_fd, ib_err *err)
{
	return request(state_dir, IB_SUP_OP_LISTENER, listener_fd, NULL, err);
}

int ib_supervisor_stats(const char *state_dir, char **json, ib_err *err)
{
	return request(state_dir, IB_SUP_OP_STATS, -1, json, err);
}
